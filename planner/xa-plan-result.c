/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-mem.h"
#include "xa-plan-result.h"

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

/**
 * xa_plan_count:
 * @plan: a plan
 * @outcome: an outcome
 *
 * Returns: how many VMs @plan gives @outcome
 */
guint
xa_plan_count (const XaPlan *plan, XaOutcome outcome)
{
  guint count = 0;

  for (guint i = 0; i < plan->n_placements; i++)
    count += plan->placements[i].outcome == outcome ? 1 : 0;
  return count;
}

/**
 * xa_plan_count_local:
 * @plan: a plan
 *
 * Returns: how many planned VMs have their memory on one node
 */
guint
xa_plan_count_local (const XaPlan *plan)
{
  guint local = 0;

  for (guint i = 0; i < plan->n_placements; i++) {
    if (plan->placements[i].outcome == XA_OUTCOME_PLANNED &&
        xa_placement_is_local (&plan->placements[i], plan->n_nodes))
      local++;
  }
  return local;
}

/**
 * xa_plan_overplanned:
 * @plan: a plan
 * @topo: the host it was made for
 * @out_vms: (out): planned VMs that would not find their memory where planned
 * @out_mib: (out): the memory that would land elsewhere
 *
 * Takes the planned VMs in request order, the order their builds would
 * allocate, against each node's free memory. The batch and exact policies
 * never over-plan; the xenopsd ones do whenever parallel builds pick the same
 * node.
 */
void
xa_plan_overplanned (const XaPlan *plan, const XaTopology *topo, guint *out_vms,
                     guint64 *out_mib)
{
  g_autofree guint64 *left = g_new (guint64, topo->n_nodes);

  *out_vms = 0;
  *out_mib = 0;
  for (guint n = 0; n < topo->n_nodes; n++)
    left[n] = topo->nodes[n].free_mib;
  for (guint i = 0; i < plan->n_placements; i++) {
    const XaPlacement *placement = &plan->placements[i];
    guint64 short_mib = 0;

    if (placement->outcome != XA_OUTCOME_PLANNED)
      continue;
    for (guint n = 0; n < topo->n_nodes; n++) {
      guint64 mib = placement->mib_by_node[n];

      short_mib += mib > left[n] ? mib - left[n] : 0;
      left[n] -= MIN (mib, left[n]);
    }
    *out_vms += short_mib > 0 ? 1 : 0;
    *out_mib += short_mib;
  }
}

/**
 * xa_plan_left_mib:
 * @plan: a plan
 * @topo: the host it was made for, with the free memory it planned against
 *
 * Returns: (transfer full) (array length=topo->n_nodes): each node's free
 *   memory once every planned VM has what the plan gives it
 */
guint64 *
xa_plan_left_mib (const XaPlan *plan, const XaTopology *topo)
{
  guint64 *left = g_new (guint64, topo->n_nodes);

  for (guint n = 0; n < topo->n_nodes; n++) {
    guint64 placed = 0;

    for (guint i = 0; i < plan->n_placements; i++) {
      if (plan->placements[i].outcome == XA_OUTCOME_PLANNED)
        placed += plan->placements[i].mib_by_node[n];
    }
    left[n] = topo->nodes[n].free_mib > placed ? topo->nodes[n].free_mib - placed : 0;
  }
  return left;
}

/**
 * xa_plan_runner_up:
 * @plan: a plan
 * @topo: the host it was made for
 * @left_mib: (array length=topo->n_nodes): xa_plan_left_mib()
 * @req: the request of placement @index
 * @index: a placement planned on one node
 *
 * The node the VM would have gone to instead: of its other allowed nodes
 * that can still hold it with the plan as it is, the tightest fit, as best
 * fit orders them.
 *
 * Returns: that node, or -1 when none could (or the VM is not planned on
 *   one node)
 */
gint
xa_plan_runner_up (const XaPlan *plan, const XaTopology *topo, const guint64 *left_mib,
                   const XaRequest *req, guint index)
{
  const XaPlacement *placement = &plan->placements[index];
  XaNodeSet others = xa_request_allowed_nodes (req, topo) & ~placement->nodes;
  guint64 need = xa_mem_request_need_mib (topo, req);
  gint best = -1;

  if (placement->outcome != XA_OUTCOME_PLANNED || xa_nodeset_count (placement->nodes) != 1)
    return -1;
  for (guint n = 0; n < topo->n_nodes; n++) {
    if (xa_nodeset_has (others, n) && left_mib[n] >= need &&
        (best < 0 || left_mib[n] < left_mib[best]))
      best = (gint) n;
  }
  return best;
}

/**
 * xa_plan_optimal_combine:
 * @a: what is known of some plans
 * @b: what is known of another
 *
 * Returns: of them all: unproven if any search ran out of steps, else
 *   unknown if any plan was not searched, else proven
 */
XaPlanOptimal
xa_plan_optimal_combine (XaPlanOptimal a, XaPlanOptimal b)
{
  if (a == XA_PLAN_OPTIMAL_UNPROVEN || b == XA_PLAN_OPTIMAL_UNPROVEN)
    return XA_PLAN_OPTIMAL_UNPROVEN;
  if (a == XA_PLAN_OPTIMAL_UNKNOWN || b == XA_PLAN_OPTIMAL_UNKNOWN)
    return XA_PLAN_OPTIMAL_UNKNOWN;
  return XA_PLAN_OPTIMAL_PROVEN;
}
