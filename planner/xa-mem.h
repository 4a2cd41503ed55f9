/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "xa-nodeset.h"
#include "xa-request.h"
#include "xa-topology.h"

G_BEGIN_DECLS

/* docs/formats.md: a VM is local when at least this share of its memory is
 * on one node. */
#define XA_LOCAL_PERCENT 99

guint64 xa_mem_need_mib (guint64 memory_mib,
                         guint   vcpus,
                         guint64 overhead_mib_per_vm,
                         guint64 overhead_kib_per_vcpu);
guint64 xa_mem_request_need_mib (const XaTopology *topo,
                                 const XaRequest  *req);
gboolean xa_mem_is_local (const guint64 *mib_by_node,
                          guint          n_nodes);
guint64 xa_mem_spilled_mib (const guint64 *mib_by_node,
                            XaNodeSet      planned,
                            guint          n_nodes);
guint64 xa_mem_sum (const guint64 *per_node,
                    XaNodeSet      nodes,
                    guint          n_nodes);
gint xa_mem_compare_size (gconstpointer a,
                          gconstpointer b,
                          gpointer      user_data);
gint xa_mem_compare_index (guint a,
                           guint b);
void xa_mem_split_evenly (guint          n_nodes,
                          const guint64 *room_mib,
                          XaNodeSet      nodes,
                          guint64        need_mib,
                          guint64       *mib_by_node);
guint64 xa_mem_deal_extents (guint          n_nodes,
                             const guint64 *room_mib,
                             XaNodeSet      nodes,
                             guint64        need_mib,
                             guint64       *mib_by_node);
void xa_mem_guest_by_node (guint          n_nodes,
                           const guint64 *need_by_node,
                           guint64        memory_mib,
                           guint64       *guest_by_node);
gchar *xa_mem_why_never_fits (const XaTopology *topo,
                              const XaRequest  *req,
                              XaNodeSet         allowed);

G_END_DECLS
