/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-plan-group.h"
#include "xa-plan.h"

/* The dispatcher, at the top of the planner: every policy below it, in one
 * table; nothing below calls back up here. */

/* Batch's plan; a small batch's, improved by the exact search. */
static XaPlan *
xa_plan_with_batch (const XaTopology *topo, GPtrArray *requests, const XaPlanOptions *options)
{
  XaPlan *plan = xa_batch_plan (topo, requests, options->now_s);

  if (requests->len <= XA_PLAN_SEARCH_MAX_VMS && topo->n_nodes <= XA_PLAN_SEARCH_MAX_NODES)
    xa_exact_improve (topo, requests, options->now_s, XA_PLAN_SEARCH_STEPS, plan);
  return plan;
}

static XaPlan *
xa_plan_with_exact (const XaTopology *topo, GPtrArray *requests, const XaPlanOptions *options)
{
  return xa_exact_plan (topo, requests, options->now_s, XA_EXACT_STEPS_DEFAULT);
}

/* A new xenopsd for each batch: usage counters at zero. */
static XaPlan *
xa_plan_with_xenopsd (const XaTopology *topo, GPtrArray *requests, const XaPlanOptions *options)
{
  g_autoptr(XaXenopsd) numa = xa_xenopsd_new (topo);

  return xa_xenopsd_batch_plan (numa, topo, requests, options->policy);
}

static gboolean
xa_plan_check_node_claims (const XaTopology *topo, GError **error)
{
  if (topo->node_claims)
    return TRUE;
  g_set_error_literal (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                       "the xenopsd-nodeclaim policy models a Xen with per-node claims, "
                       "but this host has none (node_claims: false in its host file)");
  return FALSE;
}

typedef XaPlan *(*XaPolicyPlanFunc) (const XaTopology    *topo,
                                     GPtrArray           *requests,
                                     const XaPlanOptions *options);
typedef gboolean (*XaPolicyCheckFunc) (const XaTopology *topo,
                                       GError          **error);

/* A row of the table, at its policy's index: how it plans, and whether it
 * applies to a host (%NULL: to any). */
typedef struct {
  XaPolicyPlanFunc plan;
  XaPolicyCheckFunc check;
} XaPolicyInfo;

static const XaPolicyInfo xa_plan_policies[] = {
  [XA_POLICY_BATCH] = { xa_plan_with_batch, NULL },
  [XA_POLICY_XENOPSD] = { xa_plan_with_xenopsd, NULL },
  [XA_POLICY_XENOPSD_NODECLAIM] = { xa_plan_with_xenopsd, xa_plan_check_node_claims },
  [XA_POLICY_XENOPSD_LEGACY] = { xa_plan_with_xenopsd, NULL },
  [XA_POLICY_EXACT] = { xa_plan_with_exact, NULL },
};

G_STATIC_ASSERT (G_N_ELEMENTS (xa_plan_policies) == XA_POLICY_LAST + 1);

/**
 * xa_plan_check_policy:
 * @policy: a policy
 * @topo: the host
 * @error: a #GError, %XA_ERROR_INVALID_INPUT when @policy does not apply to
 *   @topo
 *
 * Returns: whether @policy can plan for @topo
 */
gboolean
xa_plan_check_policy (XaPolicy policy, const XaTopology *topo, GError **error)
{
  g_return_val_if_fail (policy <= XA_POLICY_LAST, FALSE);

  return xa_plan_policies[policy].check == NULL || xa_plan_policies[policy].check (topo, error);
}

/**
 * xa_plan:
 * @topo: the host, with free memory already net of in-flight claims
 * @requests: (element-type XaRequest): the batch
 * @options: the policy and its knobs
 * @error: a #GError, %XA_ERROR_INVALID_INPUT when the policy does not
 *   apply to this host
 *
 * Returns: (transfer full) (nullable): one placement per request, in their
 *   order
 */
XaPlan *
xa_plan (const XaTopology *topo, GPtrArray *requests, const XaPlanOptions *options,
         GError **error)
{
  g_return_val_if_fail (topo != NULL && requests != NULL && options != NULL, NULL);

  if (!xa_plan_check_policy (options->policy, topo, error))
    return NULL;
  for (guint i = 0; i < requests->len; i++) {
    const XaRequest *req = g_ptr_array_index (requests, i);

    if (req->group != NULL)
      return xa_plan_whole_groups (topo, requests, options,
                                   xa_plan_policies[options->policy].plan);
  }
  return xa_plan_policies[options->policy].plan (topo, requests, options);
}
