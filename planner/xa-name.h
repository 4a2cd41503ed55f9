/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define XA_NAME_MAX_LEN 64

gboolean xa_name_validate (const gchar *name,
                           GError     **error);

G_END_DECLS
