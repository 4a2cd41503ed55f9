/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-plan.h"

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
  const XaPolicyInfo *info = xa_policy_lookup (policy);

  g_return_val_if_fail (info != NULL, FALSE);

  return info->check == NULL || info->check (topo, error);
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
  return xa_policy_lookup (options->policy)->plan (topo, requests, options);
}
