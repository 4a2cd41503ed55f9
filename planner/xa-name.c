/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "xa-error.h"
#include "xa-name.h"
#include "xa-text.h"

/* What is wrong with @name, or NULL. */
static const gchar *
xa_name_problem (const gchar *name)
{
  if (strlen (name) > XA_NAME_MAX_LEN)
    return "is longer than " G_STRINGIFY (XA_NAME_MAX_LEN) " characters";
  if (name[0] == '-')
    return "starts with '-'";
  for (const gchar *c = name; *c != '\0'; c++) {
    if (!g_ascii_isalnum (*c) && *c != '.' && *c != '_' && *c != '-')
      return "has a character outside A-Z a-z 0-9 . _ -";
  }
  return NULL;
}

/**
 * xa_name_validate:
 * @name: a VM, domain or host name
 * @error: a #GError
 *
 * Names are 1–64 characters of A–Z a–z 0–9 . _ - and do not start with '-',
 * so that they are safe in a table, a file name and an xl command line.
 *
 * Returns: %TRUE if @name is a valid name
 */
gboolean
xa_name_validate (const gchar *name, GError **error)
{
  const gchar *problem;
  g_autofree gchar *shown = NULL;

  if (name[0] == '\0') {
    g_set_error_literal (error, XA_ERROR, XA_ERROR_INVALID_INPUT, "the name is empty");
    return FALSE;
  }
  problem = xa_name_problem (name);
  if (problem == NULL)
    return TRUE;
  shown = xa_text_quote (name);
  g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT, "%s %s", shown, problem);
  return FALSE;
}
