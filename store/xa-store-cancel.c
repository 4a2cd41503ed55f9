/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-error.h"
#include "xa-store-private.h"

/* Cancelling: a queued request at once, a build in flight by its admitter
 * (docs/design.md, "Cancelling"). */

/**
 * xa_store_cancel:
 * @self: the store
 * @request_id: a queued, planned or building request
 * @reason: why, one sentence
 * @at: now
 * @error: a #GError, %XA_ERROR_INVALID_INPUT if it has ended already
 *
 * Withdraws the request and releases its claim. A domain being built for
 * it is the caller's to destroy.
 *
 * Returns: %TRUE if it is cancelled
 */
gboolean
xa_store_cancel (XaStore *self, gint64 request_id, const gchar *reason, XaStoreTime at,
                 GError **error)
{
  XaRequestState state = XA_REQUEST_QUEUED;

  g_return_val_if_fail (self != NULL && reason != NULL, FALSE);

  /* a request that ended is the caller's mistake: checked before any
   * write, so that it costs no writes held with it */
  if (!xa_store_read_state (self, request_id, &state, error))
    return FALSE;
  if (state > XA_REQUEST_BUILDING) {
    g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                 "request %" G_GINT64_FORMAT " is %s already: there is nothing to cancel",
                 request_id, xa_request_state_to_string (state));
    return FALSE;
  }
  if (!xa_store_begin (self, error))
    return FALSE;
  if (!xa_store_release_claims (self, request_id, error) ||
      !xa_store_set_state (self, request_id, state, XA_REQUEST_CANCELLED, reason, at, FALSE,
                           error))
    return xa_store_rollback (self);
  return xa_store_commit (self, error);
}

/* A build in flight is its admitter's to stop: the ledger notes the ask. */
static gboolean
xa_store_note_cancel (XaStore *self, gint64 request_id, XaStoreTime at, gboolean *out_noted,
                      GError **error)
{
  const gchar *purpose = "note the cancel asked";
  g_autoptr(XaStmt) stmt = xa_store_prepare (
    self, "UPDATE requests SET cancel_asked_wall_us = coalesce (cancel_asked_wall_us, ?2) "
          "WHERE id = ?1 AND (state = 'planned' OR state = 'building')", purpose, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, request_id);
  sqlite3_bind_int64 (stmt, 2, at.wall_us);
  return xa_store_step_changed (self, stmt, purpose, out_noted, error);
}

/* One try at xa_store_ask_cancel(); %FALSE with no error when the request
 * moved on between its read and its write. */
static gboolean
xa_store_ask_cancel_once (XaStore *self, gint64 request_id, const gchar *reason, XaStoreTime at,
                          XaRequestState *out_state, GError **error)
{
  g_autoptr(GError) local = NULL;
  gboolean noted = FALSE;

  if (!xa_store_read_state (self, request_id, out_state, error))
    return FALSE;
  if (*out_state == XA_REQUEST_QUEUED) {
    if (xa_store_cancel (self, request_id, reason, at, &local)) {
      *out_state = XA_REQUEST_CANCELLED;
      return TRUE;
    }
    if (!g_error_matches (local, XA_ERROR, XA_ERROR_FAILED))
      g_propagate_error (error, g_steal_pointer (&local));
    return FALSE;
  }
  if (*out_state == XA_REQUEST_PLANNED || *out_state == XA_REQUEST_BUILDING)
    return xa_store_note_cancel (self, request_id, at, &noted, error) && noted;
  if (*out_state == XA_REQUEST_RUNNING)
    g_set_error (error, XA_ERROR, XA_ERROR_FAILED,
                 "it is running: xadmit leaves a running VM alone (xl destroy stops it)");
  else
    g_set_error (error, XA_ERROR, XA_ERROR_FAILED,
                 "it is %s already: there is nothing to cancel",
                 xa_request_state_to_string (*out_state));
  return FALSE;
}

/**
 * xa_store_ask_cancel:
 * @self: the store
 * @request_id: a request
 * @reason: why, one sentence
 * @at: now
 * @out_state: (out): %XA_REQUEST_CANCELLED for a request that was queued;
 *   planned or building for a build in flight, whose admitter now stops it
 *   (xa_store_list_cancel_asked())
 * @error: a #GError, %XA_ERROR_FAILED for a request running or over,
 *   whose message says so
 *
 * Returns: %TRUE if the request is cancelled, or its cancel noted
 */
gboolean
xa_store_ask_cancel (XaStore *self, gint64 request_id, const gchar *reason, XaStoreTime at,
                     XaRequestState *out_state, GError **error)
{
  g_return_val_if_fail (self != NULL && reason != NULL && out_state != NULL, FALSE);

  /* an admitter may move it on between the read and the write: read again */
  for (guint tries = 0; tries < 3; tries++) {
    g_autoptr(GError) local = NULL;

    if (xa_store_ask_cancel_once (self, request_id, reason, at, out_state, &local))
      return TRUE;
    if (local != NULL) {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  }
  g_set_error (error, XA_ERROR, XA_ERROR_BUSY,
               "request %" G_GINT64_FORMAT " keeps changing state; ask again", request_id);
  return FALSE;
}

static void
xa_store_id_fill (XaStmt *stmt, gpointer element)
{
  *(gint64 *) element = sqlite3_column_int64 (stmt, 0);
}

/**
 * xa_store_list_cancel_asked:
 * @self: the store
 * @host_id: the host
 * @error: a #GError
 *
 * Returns: (transfer full) (element-type gint64): the builds in flight on
 *   @host_id whose cancel was asked, oldest ask first
 */
GArray *
xa_store_list_cancel_asked (XaStore *self, gint64 host_id, GError **error)
{
  const gchar *purpose = "list the cancels asked";
  g_autoptr(XaStmt) stmt = xa_store_prepare (
    self, "SELECT id FROM requests WHERE host_id = ?1 AND (state = 'planned' OR "
          "state = 'building') AND cancel_asked_wall_us IS NOT NULL "
          "ORDER BY cancel_asked_wall_us, id", purpose, error);

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, host_id);
  return xa_store_collect_array (self, stmt, purpose, sizeof (gint64), xa_store_id_fill, NULL,
                                 error);
}

