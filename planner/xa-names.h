/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Enumerations written as words (policies, guest types, states): one lookup
 * for all of them, each keeping its words in an array indexed by value. */

#include <glib.h>

G_BEGIN_DECLS

gint xa_names_find (const gchar *const *names,
                    guint               n_names,
                    const gchar        *text);
gchar *xa_names_join (const gchar *const *names,
                      guint               n_names);

G_END_DECLS
