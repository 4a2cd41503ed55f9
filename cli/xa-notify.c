/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gio/gunixsocketaddress.h>

#include "xa-notify.h"

/* Through GIO rather than libsystemd: one fewer dependency, and the
 * protocol is a documented datagram of "KEY=VALUE" lines. */

/* A datagram is one message, its lines in one send. */
#define XA_NOTIFY_MAX_BYTES 4096

struct _XaNotify {
  GSocket *socket;
  GSocketAddress *address;
};

/* $NOTIFY_SOCKET's form: a path, or "@" and an abstract name. */
static GSocketAddress *
xa_notify_address (const gchar *name)
{
  if (name[0] == '@' && name[1] != '\0')
    return g_unix_socket_address_new_with_type (name + 1, -1, G_UNIX_SOCKET_ADDRESS_ABSTRACT);
  if (name[0] == '/')
    return g_unix_socket_address_new (name);
  return NULL;
}

/**
 * xa_notify_new:
 *
 * Returns: (transfer full) (nullable): the socket systemd named in
 *   $NOTIFY_SOCKET, %NULL when it named none (not a Type=notify service)
 */
XaNotify *
xa_notify_new (void)
{
  const gchar *name = g_getenv ("NOTIFY_SOCKET");
  g_autoptr(GSocketAddress) address = name != NULL ? xa_notify_address (name) : NULL;
  g_autoptr(GError) error = NULL;
  XaNotify *self;
  GSocket *socket;

  if (address == NULL)
    return NULL;
  socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_DEFAULT,
                         &error);
  if (socket == NULL) {
    g_debug ("NOTIFY_SOCKET %s: %s", name, error->message);
    return NULL;
  }
  self = g_new0 (XaNotify, 1);
  self->socket = socket;
  self->address = g_steal_pointer (&address);
  return self;
}

void
xa_notify_free (XaNotify *self)
{
  if (self == NULL)
    return;
  g_object_unref (self->socket);
  g_object_unref (self->address);
  g_free (self);
}

/**
 * xa_notify_send:
 * @self: (nullable): the socket, or %NULL, when nothing is sent
 * @state: one or more "KEY=VALUE" lines: "READY=1", "STATUS=..."
 *
 * A service manager that does not listen costs the daemon nothing but a
 * debug message: the notification is for it, not for the admission.
 */
void
xa_notify_send (XaNotify *self, const gchar *state)
{
  g_autoptr(GError) error = NULL;

  if (self == NULL)
    return;
  if (g_socket_send_to (self->socket, self->address, state, strlen (state), NULL, &error) < 0)
    g_debug ("NOTIFY_SOCKET: cannot send %s: %s", state, error->message);
}

/**
 * xa_notify_listen:
 * @name: a path, or "@" and an abstract name, as $NOTIFY_SOCKET gives it
 * @error: a #GError
 *
 * The service manager's end, for the tests and `xadmit bench --daemon`,
 * which wait for the daemon's READY=1.
 *
 * Returns: (transfer full) (nullable): a datagram socket bound to @name
 */
GSocket *
xa_notify_listen (const gchar *name, GError **error)
{
  g_autoptr(GSocketAddress) address = xa_notify_address (name);
  g_autoptr(GSocket) socket = NULL;

  if (address == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "%s is neither a path nor @ and an abstract name", name);
    return NULL;
  }
  socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_DEFAULT,
                         error);
  if (socket == NULL || !g_socket_bind (socket, address, FALSE, error))
    return NULL;
  return g_steal_pointer (&socket);
}

/**
 * xa_notify_receive:
 * @socket: from xa_notify_listen(), with the timeout its caller wants
 * @error: a #GError, %G_IO_ERROR_TIMED_OUT after the socket's timeout
 *
 * Returns: (transfer full) (nullable): the next notification's lines
 */
gchar *
xa_notify_receive (GSocket *socket, GError **error)
{
  g_autofree gchar *buffer = g_malloc (XA_NOTIFY_MAX_BYTES + 1);
  gssize got = g_socket_receive (socket, buffer, XA_NOTIFY_MAX_BYTES, NULL, error);

  if (got < 0)
    return NULL;
  buffer[got] = '\0';
  return g_steal_pointer (&buffer);
}
