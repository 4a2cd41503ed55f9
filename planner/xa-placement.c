/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-distance.h"
#include "xa-mem.h"
#include "xa-placement.h"

/**
 * xa_placement_is_local:
 * @placement: a placement
 * @n_nodes: the host's node count
 *
 * Returns: %TRUE if @placement is local, as xa_mem_is_local() says
 */
gboolean
xa_placement_is_local (const XaPlacement *placement, guint n_nodes)
{
  return xa_mem_is_local (placement->mib_by_node, n_nodes);
}

void
xa_placement_reject (XaPlacement *placement, gchar *reason)
{
  placement->outcome = XA_OUTCOME_REJECTED;
  placement->reason = reason;
}

void
xa_placement_fail (XaPlacement *placement, gchar *reason)
{
  placement->outcome = XA_OUTCOME_FAILED;
  placement->reason = reason;
}

/**
 * xa_placement_defer:
 * @placement: where to record it
 * @topo: the host
 * @free_mib: (array): each node's free memory in this batch
 * @allowed: the VM's nodes
 * @pinned: whether the VM is pinned, so that its nodes need not reach
 *   each other
 * @need_mib: what the VM needs with overhead
 *
 * Defers the VM with the reason: too little free on its nodes, or on any
 * set of them that can all reach each other.
 */
void
xa_placement_defer (XaPlacement *placement, const XaTopology *topo, const guint64 *free_mib,
                    XaNodeSet allowed, gboolean pinned, guint64 need_mib)
{
  guint64 have = xa_mem_sum (free_mib, allowed, topo->n_nodes);
  g_autofree gchar *nodes = NULL;
  XaNodeSet set;
  guint64 most;

  placement->outcome = XA_OUTCOME_DEFERRED;
  g_free (placement->reason);
  if (!pinned && have >= need_mib &&
      xa_distance_largest_reachable (topo, allowed, free_mib, need_mib, &set, &most) &&
      most < need_mib) {
    nodes = xa_nodeset_format (set);
    placement->reason = g_strdup_printf ("it needs %" G_GUINT64_FORMAT " MiB with overhead on "
                                         "nodes that can all reach each other, but the most such "
                                         "a set of its nodes (%s) has free in this batch is %"
                                         G_GUINT64_FORMAT " MiB", need_mib, nodes, most);
    return;
  }
  nodes = xa_nodeset_format (allowed);
  placement->reason = g_strdup_printf ("it needs %" G_GUINT64_FORMAT " MiB with overhead, "
                                       "but its nodes (%s) have %" G_GUINT64_FORMAT " MiB free "
                                       "in this batch",
                                       need_mib, nodes, have);
}
