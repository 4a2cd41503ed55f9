/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-plan.h"

/**
 * xa_plan_new:
 * @n_nodes: the host's node count
 * @n_placements: the number of requests
 *
 * Returns: (transfer full): a plan whose placements are all deferred, with
 *   no reason yet
 */
XaPlan *
xa_plan_new (guint n_nodes, guint n_placements)
{
  XaPlan *plan = g_new0 (XaPlan, 1);

  plan->n_nodes = n_nodes;
  plan->n_placements = n_placements;
  plan->placements = g_new0 (XaPlacement, n_placements);
  for (guint i = 0; i < n_placements; i++) {
    plan->placements[i].outcome = XA_OUTCOME_DEFERRED;
    plan->placements[i].mib_by_node = g_new0 (guint64, n_nodes);
  }
  return plan;
}

void
xa_plan_free (XaPlan *plan)
{
  if (plan == NULL)
    return;
  for (guint i = 0; i < plan->n_placements; i++) {
    g_free (plan->placements[i].mib_by_node);
    g_free (plan->placements[i].reason);
  }
  g_free (plan->placements);
  g_free (plan);
}

guint64
xa_placement_total_mib (const XaPlacement *placement, guint n_nodes)
{
  guint64 total = 0;

  for (guint n = 0; n < n_nodes; n++)
    total += placement->mib_by_node[n];
  return total;
}

/**
 * xa_placement_is_local:
 * @placement: a placement
 * @n_nodes: the host's node count
 *
 * FORMATS.md calls a VM local when at least 99 % of its memory is on one node.
 *
 * Returns: %TRUE if @placement is local
 */
gboolean
xa_placement_is_local (const XaPlacement *placement, guint n_nodes)
{
  guint64 total = xa_placement_total_mib (placement, n_nodes);
  guint64 largest = 0;

  for (guint n = 0; n < n_nodes; n++)
    largest = MAX (largest, placement->mib_by_node[n]);
  return total > 0 && largest * 100 >= total * 99;
}
