/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-names.h"

/**
 * xa_names_find:
 * @names: (array length=n_names): the words of an enumeration, by value
 * @n_names: how many
 * @text: (nullable): a word
 *
 * Returns: the value whose word is @text, or -1
 */
gint
xa_names_find (const gchar *const *names, guint n_names, const gchar *text)
{
  for (guint i = 0; i < n_names; i++) {
    if (g_strcmp0 (text, names[i]) == 0)
      return (gint) i;
  }
  return -1;
}

/**
 * xa_names_join:
 * @names: (array length=n_names): the words of an enumeration
 * @n_names: how many
 *
 * Returns: (transfer full): "a, b, c", for a message that lists them
 */
gchar *
xa_names_join (const gchar *const *names, guint n_names)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < n_names; i++)
    g_string_append_printf (text, "%s%s", i > 0 ? ", " : "", names[i]);
  return g_string_free (g_steal_pointer (&text), FALSE);
}
