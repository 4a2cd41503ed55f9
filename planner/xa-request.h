/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "xa-nodeset.h"
#include "xa-topology.h"

G_BEGIN_DECLS

#define XA_PRIORITY_MIN (-1000)
#define XA_PRIORITY_MAX 1000
#define XA_VCPUS_MAX 4096
/* Each this many seconds a request waits counts as one priority level more. */
#define XA_REQUEST_AGING_S_PER_LEVEL 1.0

/**
 * XaRequest:
 * @name: the VM's name
 * @memory_mib: the VM's memory, without Xen's overhead
 * @vcpus: number of vCPUs
 * @priority: higher is admitted first
 * @hard_affinity: (element-type guint) (nullable): CPU ids the VM is pinned
 *   to; such a VM is not NUMA-placed, but its memory counts
 * @nodes: the nodes the VM may use, 0 for all
 * @queued_s: the host's clock when the request was queued; with the
 *   planner's now, its age raises its priority (aging)
 * @group: (nullable): its group, whose VMs start together or not at all
 * @no_rollback: its group's built VMs are kept when one fails to build
 *
 * One VM to start, as the planner sees it; what it boots is its #XaGuest.
 */
typedef struct {
  gchar *name;
  guint64 memory_mib;
  guint vcpus;
  gint priority;
  GArray *hard_affinity;
  XaNodeSet nodes;
  gdouble queued_s;
  gchar *group;
  gboolean no_rollback;
} XaRequest;

XaRequest *xa_request_new (const gchar *name,
                           guint64      memory_mib,
                           guint        vcpus);
void xa_request_free (XaRequest *req);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XaRequest, xa_request_free)

gboolean xa_request_is_pinned (const XaRequest *req);
XaNodeSet xa_request_allowed_nodes (const XaRequest  *req,
                                    const XaTopology *topo);
gchar *xa_request_why_not_on_host (const XaRequest  *req,
                                   const XaTopology *topo);
gchar *xa_request_rolled_back (const XaRequest *failed,
                               const gchar     *why);
gint xa_request_effective_priority (const XaRequest *req,
                                    gdouble          now_s);

G_END_DECLS
