/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-store-private.h"

/* What a placement rested on, recorded with its decision (migration 4),
 * read back for `xadmit explain`. */

static void
xa_store_why_from_row (XaStmt *stmt, XaStoreWhy *out)
{
  out->batch_id = sqlite3_column_int64 (stmt, 0);
  out->why.need_mib = (guint64) sqlite3_column_int64 (stmt, 1);
  out->why.left_mib = (guint64) sqlite3_column_int64 (stmt, 2);
  out->why.runner_up = sqlite3_column_type (stmt, 3) == SQLITE_NULL
                         ? -1 : sqlite3_column_int (stmt, 3);
  out->why.runner_up_left_mib = (guint64) sqlite3_column_int64 (stmt, 4);
  out->why.widest_node = (guint) sqlite3_column_int (stmt, 5);
  out->why.widest_mib = (guint64) sqlite3_column_int64 (stmt, 6);
  out->policy = g_strdup ((const gchar *) sqlite3_column_text (stmt, 7));
  out->at.wall_us = sqlite3_column_int64 (stmt, 8);
  out->at.host_s = sqlite3_column_double (stmt, 9);
}

/**
 * xa_store_get_why:
 * @self: the store
 * @request_id: a request
 * @out: (out caller-allocates): its newest decision, to clear with
 *   xa_store_why_clear()
 * @out_found: (out): whether a decision on it was recorded
 * @error: a #GError
 *
 * Returns: %TRUE unless the ledger could not be read
 */
gboolean
xa_store_get_why (XaStore *self, gint64 request_id, XaStoreWhy *out, gboolean *out_found,
                  GError **error)
{
  const gchar *purpose = "read what the placement rested on";
  g_autoptr(XaStmt) stmt = xa_store_prepare (
    self, "SELECT d.batch_id, d.need_mib, d.left_mib, d.runner_up, d.runner_up_left_mib, "
          "d.widest_node, d.widest_mib, b.policy, b.wall_us, b.host_s FROM decisions d "
          "JOIN batches b ON b.id = d.batch_id WHERE d.request_id = ?1 "
          "ORDER BY d.batch_id DESC LIMIT 1", purpose, error);
  gint row;

  g_return_val_if_fail (self != NULL && out != NULL && out_found != NULL, FALSE);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, request_id);
  if ((row = xa_store_step_row (self, stmt, purpose, error)) < 0)
    return FALSE;
  *out_found = row == 1;
  if (*out_found)
    xa_store_why_from_row (stmt, out);
  return TRUE;
}

void
xa_store_why_clear (XaStoreWhy *why)
{
  g_clear_pointer (&why->policy, g_free);
}
