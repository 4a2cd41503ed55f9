/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* systemd's notification protocol (sd_notify(3)): the daemon tells the
 * service manager that it is ready, what it does, that it stops. */

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _XaNotify XaNotify;

XaNotify *xa_notify_new (void);
void xa_notify_free (XaNotify *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XaNotify, xa_notify_free)
void xa_notify_send (XaNotify    *self,
                     const gchar *state);

GSocket *xa_notify_listen (const gchar *name,
                           GError     **error);
gchar *xa_notify_receive (GSocket *socket,
                          GError **error);

G_END_DECLS
