/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-batch.h"
#include "xa-error.h"
#include "xa-exact.h"
#include "xa-policy.h"
#include "xa-xenopsd.h"

static XaPlan *
xa_policy_plan_batch (const XaTopology *topo, GPtrArray *requests, const XaPlanOptions *options)
{
  return xa_batch_plan (topo, requests, options->now_s);
}

static XaPlan *
xa_policy_plan_exact (const XaTopology *topo, GPtrArray *requests, const XaPlanOptions *options)
{
  return xa_exact_plan (topo, requests, options->now_s, XA_EXACT_STEPS_DEFAULT);
}

/* A new xenopsd for each batch: usage counters at zero. */
static XaPlan *
xa_policy_plan_xenopsd (const XaTopology *topo, GPtrArray *requests,
                        const XaPlanOptions *options)
{
  g_autoptr(XaXenopsd) numa = xa_xenopsd_new (topo);

  return xa_xenopsd_batch_plan (numa, topo, requests, options->policy);
}

static gboolean
xa_policy_check_node_claims (const XaTopology *topo, GError **error)
{
  if (topo->node_claims)
    return TRUE;
  g_set_error_literal (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                       "the xenopsd-nodeclaim policy models a Xen with per-node claims, "
                       "but this host has none (node_claims: false in its host file)");
  return FALSE;
}

static const XaPolicyInfo xa_policy_table[] = {
  [XA_POLICY_BATCH] = { XA_POLICY_BATCH, "batch", xa_policy_plan_batch, NULL },
  [XA_POLICY_XENOPSD] = { XA_POLICY_XENOPSD, "xenopsd", xa_policy_plan_xenopsd, NULL },
  [XA_POLICY_XENOPSD_NODECLAIM] = { XA_POLICY_XENOPSD_NODECLAIM, "xenopsd-nodeclaim",
                                    xa_policy_plan_xenopsd, xa_policy_check_node_claims },
  [XA_POLICY_XENOPSD_LEGACY] = { XA_POLICY_XENOPSD_LEGACY, "xenopsd-legacy",
                                 xa_policy_plan_xenopsd, NULL },
  [XA_POLICY_EXACT] = { XA_POLICY_EXACT, "exact", xa_policy_plan_exact, NULL },
};

G_STATIC_ASSERT (G_N_ELEMENTS (xa_policy_table) == XA_POLICY_LAST + 1);

/**
 * xa_policy_lookup:
 * @policy: a policy
 *
 * Returns: (transfer none): its row of the policy table
 */
const XaPolicyInfo *
xa_policy_lookup (XaPolicy policy)
{
  g_return_val_if_fail (policy <= XA_POLICY_LAST, NULL);

  return &xa_policy_table[policy];
}

const gchar *
xa_policy_to_string (XaPolicy policy)
{
  g_return_val_if_fail (policy <= XA_POLICY_LAST, NULL);

  return xa_policy_table[policy].name;
}

/**
 * xa_policy_from_string:
 * @text: a policy's name, as on the command line
 * @out_policy: (out): the policy
 * @error: a #GError, %XA_ERROR_INVALID_INPUT for an unknown name
 *
 * Returns: %TRUE if @text names a policy
 */
gboolean
xa_policy_from_string (const gchar *text, XaPolicy *out_policy, GError **error)
{
  g_autoptr(GString) known = g_string_new (NULL);

  for (guint p = 0; p <= XA_POLICY_LAST; p++) {
    if (g_strcmp0 (text, xa_policy_table[p].name) == 0) {
      *out_policy = xa_policy_table[p].policy;
      return TRUE;
    }
    g_string_append_printf (known, "%s%s", p > 0 ? ", " : "", xa_policy_table[p].name);
  }
  g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
               "\"%s\" is not a policy (use one of %s)", text, known->str);
  return FALSE;
}
