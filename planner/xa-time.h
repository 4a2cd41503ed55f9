/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean xa_time_parse (const gchar *text,
                        gint64       now_us,
                        gint64      *out_us,
                        GError     **error);

G_END_DECLS
