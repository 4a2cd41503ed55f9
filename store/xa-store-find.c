/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-error.h"
#include "xa-store-private.h"
#include "xa-text.h"

/**
 * xa_store_lookup_host:
 * @self: the store
 * @key: who the host is (see xa_store_ensure_host())
 * @out_host_id: (out): its id in the ledger, 0 if the ledger does not know it
 * @error: a #GError
 *
 * Finds a host without recording it, for commands that only read.
 *
 * Returns: %TRUE on success, known or not
 */
gboolean
xa_store_lookup_host (XaStore *self, const gchar *key, gint64 *out_host_id, GError **error)
{
  guint n_nodes = 0;

  g_return_val_if_fail (self != NULL && key != NULL && out_host_id != NULL, FALSE);

  return xa_store_find_host (self, key, out_host_id, &n_nodes, error);
}

/* The host's request with this UUID, or NULL with no error. */
static XaStoreRequest *
xa_store_find_by_uuid (XaStore *self, gint64 host_id, const gchar *uuid, GError **error)
{
  const gchar *purpose = "look the request up";
  g_autoptr(XaStmt) stmt = xa_store_prepare (
    self, "SELECT " XA_STORE_REQUEST_COLUMNS " FROM requests WHERE uuid = ?2 AND host_id = ?1",
    purpose, error);

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, host_id);
  sqlite3_bind_text (stmt, 2, uuid, -1, SQLITE_TRANSIENT);
  return xa_store_step_row (self, stmt, purpose, error) == 1 ? xa_store_request_from_row (stmt)
                                                            : NULL;
}

/* The host's newest request of this name, or NULL with no error. */
static XaStoreRequest *
xa_store_find_by_name (XaStore *self, gint64 host_id, const gchar *name, GError **error)
{
  const gchar *purpose = "look the request up by its name";
  g_autoptr(XaStmt) stmt = xa_store_prepare (
    self, "SELECT " XA_STORE_REQUEST_COLUMNS " FROM requests WHERE host_id = ?1 AND name = ?2 "
          "ORDER BY id DESC LIMIT 1", purpose, error);

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, host_id);
  sqlite3_bind_text (stmt, 2, name, -1, SQLITE_TRANSIENT);
  return xa_store_step_row (self, stmt, purpose, error) == 1 ? xa_store_request_from_row (stmt)
                                                            : NULL;
}

/**
 * xa_store_find_request:
 * @self: the store
 * @host_id: the host
 * @id_or_name: a request's UUID, or a VM's name
 * @error: a #GError, %XA_ERROR_NOT_FOUND when nothing matches
 *
 * What a command line means by ID or NAME: the request with that UUID,
 * else the newest request of that name (docs/formats.md, Queue), whatever
 * its state.
 *
 * Returns: (transfer full) (nullable): the request
 */
XaStoreRequest *
xa_store_find_request (XaStore *self, gint64 host_id, const gchar *id_or_name, GError **error)
{
  g_autoptr(GError) local = NULL;
  XaStoreRequest *request;
  g_autofree gchar *shown = NULL;

  g_return_val_if_fail (self != NULL && id_or_name != NULL, NULL);

  request = xa_store_find_by_uuid (self, host_id, id_or_name, &local);
  if (request == NULL && local == NULL)
    request = xa_store_find_by_name (self, host_id, id_or_name, &local);
  if (local != NULL) {
    g_propagate_error (error, g_steal_pointer (&local));
    return NULL;
  }
  if (request != NULL)
    return request;
  shown = xa_text_quote (id_or_name);
  g_set_error (error, XA_ERROR, XA_ERROR_NOT_FOUND,
               "%s: no request of this host has the id or name %s", self->path, shown);
  return NULL;
}

static void
xa_store_node_status_fill (XaStmt *stmt, gpointer element)
{
  XaStoreNodeStatus *status = element;

  status->node = (guint) sqlite3_column_int (stmt, 0);
  status->total_mib = (guint64) sqlite3_column_int64 (stmt, 1);
  status->free_mib = (guint64) sqlite3_column_int64 (stmt, 2);
  status->seen.wall_us = sqlite3_column_int64 (stmt, 3);
  status->seen.host_s = sqlite3_column_double (stmt, 4);
}

/**
 * xa_store_node_status:
 * @self: the store
 * @host_id: the host
 * @error: a #GError
 *
 * Per node, as the ledger has them: the memory and free memory of its
 * newest record of the host, what the claims of the builds in flight have
 * yet to take, and what that leaves to plan (as xa_store_available()).
 *
 * Returns: (transfer full) (element-type XaStoreNodeStatus) (nullable):
 *   the nodes recorded, in node order; none before the host is first seen
 */
GArray *
xa_store_node_status (XaStore *self, gint64 host_id, GError **error)
{
  const gchar *purpose = "read the nodes' memory";
  g_autoptr(XaStmt) stmt = xa_store_prepare (
    self, "SELECT node, total_mib, free_mib, seen_wall_us, seen_host_s FROM nodes "
          "WHERE host_id = ?1 ORDER BY node", purpose, error);
  g_autoptr(GArray) nodes = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  if (stmt == NULL || !xa_store_read_outstanding (self, host_id, error))
    return NULL;
  sqlite3_bind_int64 (stmt, 1, host_id);
  nodes = xa_store_collect_array (self, stmt, purpose, sizeof (XaStoreNodeStatus),
                                  xa_store_node_status_fill, NULL, error);
  if (nodes == NULL)
    return NULL;
  for (guint i = 0; i < nodes->len; i++) {
    XaStoreNodeStatus *status = &g_array_index (nodes, XaStoreNodeStatus, i);
    gint64 claimed = xa_store_outstanding_on (self, status->node);

    status->claimed_mib = claimed > 0 ? (guint64) claimed : 0;
    status->available_mib = status->free_mib > status->claimed_mib
                            ? status->free_mib - status->claimed_mib : 0;
  }
  return g_steal_pointer (&nodes);
}
