/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The daemon's doorbell: docs/design.md, "Waking the daemon". */
typedef struct _XaWake XaWake;

typedef void (*XaWakeFunc) (gpointer user_data);

XaWake *xa_wake_listen (const gchar  *db_path,
                        XaWakeFunc    func,
                        gpointer      user_data,
                        GError      **error);
void xa_wake_free (XaWake *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XaWake, xa_wake_free)

gboolean xa_wake_ring (const gchar *db_path);

G_END_DECLS
