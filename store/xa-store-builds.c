/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-error.h"
#include "xa-store-private.h"

static gboolean
xa_store_mark_started (XaStore *self, gint64 request_id, XaStoreTime at, GError **error)
{
  const gchar *purpose = "mark the build started";
  g_autoptr(XaStmt) stmt = xa_store_prepare (
    self, "UPDATE requests SET state = 'building', attempts = attempts + 1, "
          "started_wall_us = ?2, started_host_s = ?3 WHERE id = ?1 AND state = 'planned'",
    purpose, error);
  gboolean started = FALSE;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, request_id);
  xa_store_bind_time (stmt, 2, at);
  if (!xa_store_step_changed (self, stmt, purpose, &started, error))
    return FALSE;
  return started ||
         xa_store_not_in_state (self, request_id, XA_REQUEST_PLANNED, XA_REQUEST_BUILDING, error);
}

/**
 * xa_store_start_build:
 * @self: the store
 * @request: a planned request; its state and attempts follow the ledger
 * @at: now
 * @error: a #GError
 *
 * Returns: %TRUE if the request is now building
 */
gboolean
xa_store_start_build (XaStore *self, XaStoreRequest *request, XaStoreTime at, GError **error)
{
  g_return_val_if_fail (self != NULL && request != NULL, FALSE);

  if (!xa_store_begin (self, error))
    return FALSE;
  if (!xa_store_mark_started (self, request->id, at, error) ||
      !xa_store_log_event (self, request->id, 0, "planned", XA_REQUEST_BUILDING, NULL, at, error))
    return xa_store_rollback (self);
  if (!xa_store_commit (self, error))
    return FALSE;
  request->state = XA_REQUEST_BUILDING;
  request->attempts++;
  return TRUE;
}

static gboolean
xa_store_upsert_actual (XaStore *self, gint64 request_id, guint node, guint64 actual_mib,
                        GError **error)
{
  const gchar *purpose = "record where the memory went";
  g_autoptr(XaStmt) stmt = xa_store_prepare (
    self, "INSERT INTO placements (request_id, batch_id, node, in_set, planned_mib, actual_mib) "
          "SELECT id, batch_id, ?2, 0, 0, ?3 FROM requests WHERE id = ?1 AND batch_id IS NOT NULL "
          "ON CONFLICT (request_id, batch_id, node) DO UPDATE SET actual_mib = excluded.actual_mib",
    purpose, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, request_id);
  sqlite3_bind_int (stmt, 2, (gint) node);
  sqlite3_bind_int64 (stmt, 3, (gint64) actual_mib);
  return xa_store_step_done (self, stmt, purpose, error);
}

/* Planned nodes that got nothing say so: 0, not unknown. */
static gboolean
xa_store_zero_unfilled (XaStore *self, gint64 request_id, GError **error)
{
  const gchar *purpose = "record where the memory did not go";
  g_autoptr(XaStmt) stmt = xa_store_prepare (
    self, "UPDATE placements SET actual_mib = 0 WHERE request_id = ?1 AND actual_mib IS NULL "
          "AND batch_id = (SELECT batch_id FROM requests WHERE id = ?1)", purpose, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, request_id);
  return xa_store_step_done (self, stmt, purpose, error);
}

static gboolean
xa_store_record_actual (XaStore *self, gint64 request_id, guint n_nodes,
                        const guint64 *actual_mib, GError **error)
{
  for (guint n = 0; n < n_nodes; n++) {
    if (actual_mib[n] > 0 && !xa_store_upsert_actual (self, request_id, n, actual_mib[n], error))
      return FALSE;
  }
  return xa_store_zero_unfilled (self, request_id, error);
}

/**
 * xa_store_correct_actual:
 * @self: the store
 * @request: a running request
 * @n_nodes: the host's node count
 * @actual_mib: (array length=n_nodes): its domain's memory per node, as the
 *   host counted it since its build ended
 * @error: a #GError
 *
 * Replaces what the build's end recorded (on Xen, an estimate), in one
 * transaction.
 *
 * Returns: %TRUE if recorded
 */
gboolean
xa_store_correct_actual (XaStore *self, const XaStoreRequest *request, guint n_nodes,
                         const guint64 *actual_mib, GError **error)
{
  const gchar *purpose = "forget the memory per node recorded before";
  g_autoptr(XaStmt) stmt = NULL;

  g_return_val_if_fail (self != NULL && request != NULL && actual_mib != NULL, FALSE);

  if (!xa_store_begin (self, error))
    return FALSE;
  stmt = xa_store_prepare (
    self, "UPDATE placements SET actual_mib = NULL WHERE request_id = ?1 "
          "AND batch_id = (SELECT batch_id FROM requests WHERE id = ?1)", purpose, error);
  if (stmt == NULL)
    return xa_store_rollback (self);
  sqlite3_bind_int64 (stmt, 1, request->id);
  if (!xa_store_step_done (self, stmt, purpose, error) ||
      !xa_store_record_actual (self, request->id, n_nodes, actual_mib, error))
    return xa_store_rollback (self);
  return xa_store_commit (self, error);
}

gboolean
xa_store_complete_in_txn (XaStore *self, gint64 request_id, XaRequestState from, guint n_nodes,
                          const guint64 *actual_mib, XaStoreTime at, GError **error)
{
  return xa_store_record_actual (self, request_id, n_nodes, actual_mib, error) &&
         xa_store_release_claims (self, request_id, error) &&
         xa_store_set_state (self, request_id, from, XA_REQUEST_RUNNING, NULL, at, TRUE, error);
}

/**
 * xa_store_complete_build:
 * @self: the store
 * @request: a building request; its state follows the ledger
 * @n_nodes: the host's node count
 * @actual_mib: (array length=n_nodes): the domain's memory per node, as the
 *   host reports it
 * @at: now
 * @error: a #GError
 *
 * One transaction: the memory where it went, the claim released (the host
 * now counts that memory as used), the request running.
 *
 * Returns: %TRUE if recorded
 */
gboolean
xa_store_complete_build (XaStore *self, XaStoreRequest *request, guint n_nodes,
                         const guint64 *actual_mib, XaStoreTime at, GError **error)
{
  g_return_val_if_fail (self != NULL && request != NULL && actual_mib != NULL, FALSE);

  if (!xa_store_begin (self, error))
    return FALSE;
  if (!xa_store_complete_in_txn (self, request->id, XA_REQUEST_BUILDING, n_nodes, actual_mib, at,
                                 error))
    return xa_store_rollback (self);
  if (!xa_store_commit (self, error))
    return FALSE;
  request->state = XA_REQUEST_RUNNING;
  g_clear_pointer (&request->reason, g_free);
  return TRUE;
}

gboolean
xa_store_fail_in_txn (XaStore *self, gint64 request_id, XaRequestState from, const gchar *reason,
                      gboolean retry, gboolean keep_claim, XaStoreTime at, GError **error)
{
  /* failed: its build ended; queued again: another build follows */
  return (keep_claim || xa_store_release_claims (self, request_id, error)) &&
         xa_store_set_state (self, request_id, from, retry ? XA_REQUEST_QUEUED : XA_REQUEST_FAILED,
                             reason, at, !retry, error);
}

static gboolean
xa_store_fail_build_as (XaStore *self, XaStoreRequest *request, const gchar *reason,
                        gboolean retry, gboolean keep_claim, XaStoreTime at, GError **error)
{
  if (request->state != XA_REQUEST_PLANNED && request->state != XA_REQUEST_BUILDING) {
    g_set_error (error, XA_ERROR, XA_ERROR_FAILED,
                 "%s: request %" G_GINT64_FORMAT " is %s, so its build cannot fail",
                 xa_store_get_path (self), request->id,
                 xa_request_state_to_string (request->state));
    return FALSE;
  }
  if (!xa_store_begin (self, error))
    return FALSE;
  if (!xa_store_fail_in_txn (self, request->id, request->state, reason, retry, keep_claim, at,
                             error))
    return xa_store_rollback (self);
  if (!xa_store_commit (self, error))
    return FALSE;
  request->state = retry ? XA_REQUEST_QUEUED : XA_REQUEST_FAILED;
  g_free (request->reason);
  request->reason = g_strdup (reason);
  return TRUE;
}

/**
 * xa_store_fail_build:
 * @self: the store
 * @request: a planned or building request; its state follows the ledger
 * @reason: why, one sentence
 * @retry: queue it again rather than fail it
 * @at: now
 * @error: a #GError
 *
 * One transaction: the claim released, the request queued again or failed.
 *
 * Returns: %TRUE if recorded
 */
gboolean
xa_store_fail_build (XaStore *self, XaStoreRequest *request, const gchar *reason, gboolean retry,
                     XaStoreTime at, GError **error)
{
  g_return_val_if_fail (self != NULL && request != NULL && reason != NULL, FALSE);

  return xa_store_fail_build_as (self, request, reason, retry, FALSE, at, error);
}

/**
 * xa_store_fail_build_leftover:
 * @self: the store
 * @request: a planned or building request; its state follows the ledger
 * @reason: why, one sentence
 * @at: now
 * @error: a #GError
 *
 * The build failed and its domain could not be destroyed: the request
 * fails, and its claim stays, as held by that domain, until the next
 * start's reconciliation destroys the domain and releases it.
 *
 * Returns: %TRUE if recorded
 */
gboolean
xa_store_fail_build_leftover (XaStore *self, XaStoreRequest *request, const gchar *reason,
                              XaStoreTime at, GError **error)
{
  g_return_val_if_fail (self != NULL && request != NULL && reason != NULL, FALSE);

  return xa_store_fail_build_as (self, request, reason, FALSE, TRUE, at, error);
}
