/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-mem.h"
#include "xa-plan-why.h"

static void
xa_plan_why_one (const XaPlan *plan, const XaTopology *topo, const guint64 *left_mib,
                 const XaRequest *req, guint index, XaPlanWhy *why)
{
  const XaPlacement *placement = &plan->placements[index];
  XaNodeSet allowed = xa_request_allowed_nodes (req, topo);

  why->need_mib = xa_mem_request_need_mib (topo, req);
  why->runner_up = xa_plan_runner_up (plan, topo, left_mib, req, index);
  why->runner_up_left_mib = why->runner_up >= 0 ? left_mib[why->runner_up] : 0;
  for (guint n = 0; n < topo->n_nodes; n++) {
    guint64 could = left_mib[n] + placement->mib_by_node[n];

    if (xa_nodeset_has (placement->nodes, n))
      why->left_mib += left_mib[n];
    if (xa_nodeset_has (allowed, n) && could > why->widest_mib) {
      why->widest_node = n;
      why->widest_mib = could;
    }
  }
}

/**
 * xa_plan_why:
 * @plan: a plan
 * @topo: the host it was made for
 * @requests: (element-type XaRequest): its requests
 *
 * Returns: (transfer full) (array length=plan->n_placements): what each
 *   planned VM's placement rested on; zeros for the others
 */
XaPlanWhy *
xa_plan_why (const XaPlan *plan, const XaTopology *topo, GPtrArray *requests)
{
  g_autofree guint64 *left_mib = xa_plan_left_mib (plan, topo);
  XaPlanWhy *why = g_new0 (XaPlanWhy, plan->n_placements);

  for (guint i = 0; i < plan->n_placements; i++) {
    why[i].runner_up = -1;
    if (plan->placements[i].outcome == XA_OUTCOME_PLANNED)
      xa_plan_why_one (plan, topo, left_mib, g_ptr_array_index (requests, i), i, &why[i]);
  }
  return why;
}
