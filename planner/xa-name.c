/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "xa-error.h"
#include "xa-name.h"

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
  gsize len = strlen (name);
  g_autofree gchar *shown = g_strescape (name, NULL);

  if (len == 0) {
    g_set_error_literal (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                         "the name is empty");
    return FALSE;
  }
  if (len > XA_NAME_MAX_LEN) {
    g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                 "\"%s\" is longer than %d characters", shown, XA_NAME_MAX_LEN);
    return FALSE;
  }
  if (name[0] == '-') {
    g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                 "\"%s\" starts with '-'", shown);
    return FALSE;
  }
  for (const gchar *c = name; *c != '\0'; c++) {
    if (!g_ascii_isalnum (*c) && *c != '.' && *c != '_' && *c != '-') {
      g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                   "\"%s\" has a character outside A-Z a-z 0-9 . _ -", shown);
      return FALSE;
    }
  }
  return TRUE;
}
