/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* JSON integers are exact up to 2^53; sizes beyond that are input errors. */
#define XA_SIZE_MAX_MIB (G_GUINT64_CONSTANT (1) << 53)

gboolean xa_size_parse (const gchar *text,
                        guint64     *out_mib,
                        GError     **error);
gboolean xa_size_from_double (gdouble   value,
                              guint64  *out_mib,
                              GError  **error);
gboolean xa_size_from_integer (gint64    value,
                               guint64  *out_mib,
                               GError  **error);

G_END_DECLS
