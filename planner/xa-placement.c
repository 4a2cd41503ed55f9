/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-mem.h"
#include "xa-placement.h"

guint64
xa_placement_total_mib (const XaPlacement *placement, guint n_nodes)
{
  return xa_mem_sum (placement->mib_by_node, xa_nodeset_all (n_nodes), n_nodes);
}

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

void
xa_placement_defer (XaPlacement *placement, XaNodeSet allowed, guint64 need_mib,
                    guint64 have_mib)
{
  g_autofree gchar *nodes = xa_nodeset_format (allowed);

  placement->outcome = XA_OUTCOME_DEFERRED;
  g_free (placement->reason);
  placement->reason = g_strdup_printf ("it needs %" G_GUINT64_FORMAT " MiB with overhead, "
                                       "but its nodes (%s) have %" G_GUINT64_FORMAT " MiB free "
                                       "in this batch",
                                       need_mib, nodes, have_mib);
}
