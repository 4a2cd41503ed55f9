/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-error.h"
#include "xa-names.h"
#include "xa-policy.h"
#include "xa-text.h"

/* Each policy's name on the command line and in the ledger, by value. */
static const gchar *const xa_policy_names[] = {
  [XA_POLICY_BATCH] = "batch",
  [XA_POLICY_XENOPSD] = "xenopsd",
  [XA_POLICY_XENOPSD_NODECLAIM] = "xenopsd-nodeclaim",
  [XA_POLICY_XENOPSD_LEGACY] = "xenopsd-legacy",
  [XA_POLICY_EXACT] = "exact",
};

G_STATIC_ASSERT (G_N_ELEMENTS (xa_policy_names) == XA_POLICY_LAST + 1);

const gchar *
xa_policy_to_string (XaPolicy policy)
{
  g_return_val_if_fail (policy <= XA_POLICY_LAST, NULL);

  return xa_policy_names[policy];
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
  gint p = xa_names_find (xa_policy_names, G_N_ELEMENTS (xa_policy_names), text);
  g_autofree gchar *known = NULL;
  g_autofree gchar *shown = NULL;

  if (p >= 0) {
    *out_policy = (XaPolicy) p;
    return TRUE;
  }
  known = xa_names_join (xa_policy_names, G_N_ELEMENTS (xa_policy_names));
  shown = xa_text_quote (text);
  g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
               "%s is not a policy (use one of %s)", shown, known);
  return FALSE;
}
