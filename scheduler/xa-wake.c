/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gio/gunixsocketaddress.h>

#include "xa-error.h"
#include "xa-wake.h"

/*
 * A process that queues work for a ledger (submit, cancel) rings the
 * daemon admitting for it: it connects to a Unix socket named after the
 * ledger, and the daemon, woken by the connection, reads the ledger again.
 * The ledger holds everything; a ring says only "look". The socket is in
 * the abstract namespace: it goes with the daemon, crash or not, and its
 * name fits however long the ledger's path is. Anyone may ring: a ring
 * costs the daemon one read of its own ledger.
 */

struct _XaWake {
  GSocketService *service;
  XaWakeFunc func;
  gpointer user_data;
};

/* "xadmit-" and the SHA-256 of the ledger's absolute path. */
static GSocketAddress *
xa_wake_address (const gchar *db_path)
{
  g_autofree gchar *absolute = g_canonicalize_filename (db_path, NULL);
  g_autofree gchar *digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, absolute, -1);
  g_autofree gchar *name = g_strconcat ("xadmit-", digest, NULL);

  return g_unix_socket_address_new_with_type (name, -1, G_UNIX_SOCKET_ADDRESS_ABSTRACT);
}

static gboolean
xa_wake_incoming (GSocketService *service, GSocketConnection *connection, GObject *source,
                  gpointer user_data)
{
  XaWake *self = user_data;

  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  self->func (self->user_data);
  return TRUE;
}

/**
 * xa_wake_listen:
 * @db_path: the ledger the caller admits for (it holds its lock)
 * @func: called in the thread-default main context at each ring
 * @user_data: for @func
 * @error: a #GError, %XA_ERROR_BUSY if another process listens already
 *
 * Returns: (transfer full): the doorbell, or %NULL
 */
XaWake *
xa_wake_listen (const gchar *db_path, XaWakeFunc func, gpointer user_data, GError **error)
{
  g_autoptr(GSocketAddress) address = xa_wake_address (db_path);
  g_autoptr(GError) local = NULL;
  XaWake *self = g_new0 (XaWake, 1);

  self->func = func;
  self->user_data = user_data;
  self->service = g_socket_service_new ();
  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (self->service), address,
                                      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, NULL,
                                      NULL, &local)) {
    g_set_error (error, XA_ERROR,
                 g_error_matches (local, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE)
                   ? XA_ERROR_BUSY : XA_ERROR_FAILED,
                 "%s: cannot listen for the processes that queue work: %s", db_path,
                 local->message);
    xa_wake_free (self);
    return NULL;
  }
  g_signal_connect (self->service, "incoming", G_CALLBACK (xa_wake_incoming), self);
  g_socket_service_start (self->service);
  return self;
}

void
xa_wake_free (XaWake *self)
{
  if (self == NULL)
    return;
  g_socket_service_stop (self->service);
  g_socket_listener_close (G_SOCKET_LISTENER (self->service));
  g_object_unref (self->service);
  g_free (self);
}

/**
 * xa_wake_ring:
 * @db_path: a ledger
 *
 * Wakes the daemon admitting for @db_path, if one runs.
 *
 * Returns: %TRUE if a daemon heard it; %FALSE if none listens
 */
gboolean
xa_wake_ring (const gchar *db_path)
{
  g_autoptr(GSocketAddress) address = xa_wake_address (db_path);
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_DEFAULT, NULL);

  return socket != NULL && g_socket_connect (socket, address, NULL, NULL);
}
