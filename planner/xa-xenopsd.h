/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "xa-plan.h"
#include "xa-topology.h"

G_BEGIN_DECLS

/* Beyond this many usable nodes xenopsd only considers single nodes. */
#define XA_XENOPSD_ENUMERATE_MAX_NODES 16

/**
 * XaXenopsd:
 *
 * xenopsd's NUMA placement policy (topology.ml, softaffinity.ml), the
 * reference the batch planner is measured against: candidate node sets
 * ordered once by distance, and per-node usage counters that only grow.
 */
typedef struct _XaXenopsd XaXenopsd;

XaXenopsd *xa_xenopsd_new (const XaTopology *topo);
void xa_xenopsd_free (XaXenopsd *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XaXenopsd, xa_xenopsd_free)

guint xa_xenopsd_n_candidates (const XaXenopsd *self);
XaNodeSet xa_xenopsd_candidate (const XaXenopsd *self,
                                guint            index,
                                gdouble         *out_mean);
guint64 xa_xenopsd_usage (const XaXenopsd *self,
                          guint            node);
XaNodeSet xa_xenopsd_plan (XaXenopsd     *self,
                           const guint64 *free_mib,
                           guint64        memory_mib,
                           guint          vcpus,
                           guint          cores);
XaPlan *xa_xenopsd_plan_batch (XaXenopsd        *self,
                               const XaTopology *topo,
                               GPtrArray        *requests,
                               XaPolicy          variant);

G_END_DECLS
