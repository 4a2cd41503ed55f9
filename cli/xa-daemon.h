/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean xa_daemon_parse_speed (const gchar *text,
                                gdouble     *out_speed,
                                GError     **error);
int xa_daemon_main (int    argc,
                    char **argv);

G_END_DECLS
