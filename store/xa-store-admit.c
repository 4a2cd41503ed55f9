/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-store-private.h"

static gboolean
xa_store_insert_batch (XaStore *self, gint64 host_id, const XaStoreBatch *batch,
                       const XaPlan *plan, gint64 *out_id, GError **error)
{
  const gchar *purpose = "record the batch";
  g_autoptr(XaStmt) stmt = xa_store_prepare (
    self, "INSERT INTO batches (host_id, snapshot_id, wall_us, host_s, policy, n_requests, "
          "n_planned, n_deferred, n_rejected, plan_ms) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)", purpose, error);
  guint count[XA_OUTCOME_LAST + 1] = { 0 };

  if (stmt == NULL)
    return FALSE;
  for (guint i = 0; i < plan->n_placements; i++)
    count[plan->placements[i].outcome]++;
  sqlite3_bind_int64 (stmt, 1, host_id);
  if (batch->snapshot_id != 0)
    sqlite3_bind_int64 (stmt, 2, batch->snapshot_id);
  xa_store_bind_time (stmt, 3, batch->at);
  sqlite3_bind_text (stmt, 5, batch->policy, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 6, (gint) plan->n_placements);
  sqlite3_bind_int (stmt, 7, (gint) count[XA_OUTCOME_PLANNED]);
  sqlite3_bind_int (stmt, 8, (gint) count[XA_OUTCOME_DEFERRED]);
  sqlite3_bind_int (stmt, 9, (gint) (count[XA_OUTCOME_REJECTED] + count[XA_OUTCOME_FAILED]));
  sqlite3_bind_double (stmt, 10, batch->plan_ms);
  return xa_store_step_insert (self, stmt, purpose, out_id, error);
}

/* Sets *out_planned to whether the request was still queued. */
static gboolean
xa_store_mark_planned (XaStore *self, gint64 request_id, gint64 batch_id, gboolean *out_planned,
                       GError **error)
{
  const gchar *purpose = "mark the request planned";
  g_autoptr(XaStmt) stmt = xa_store_prepare (
    self, "UPDATE requests SET state = 'planned', reason = NULL, batch_id = ?2 "
          "WHERE id = ?1 AND state = 'queued'", purpose, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, request_id);
  sqlite3_bind_int64 (stmt, 2, batch_id);
  return xa_store_step_changed (self, stmt, purpose, out_planned, error);
}

static gboolean
xa_store_insert_placement (XaStore *self, gint64 request_id, gint64 batch_id, guint node,
                           gboolean in_set, guint64 planned_mib, GError **error)
{
  const gchar *purpose = "record the placement";
  g_autoptr(XaStmt) stmt = xa_store_prepare (
    self, "INSERT INTO placements (request_id, batch_id, node, in_set, planned_mib) "
          "VALUES (?1, ?2, ?3, ?4, ?5)", purpose, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, request_id);
  sqlite3_bind_int64 (stmt, 2, batch_id);
  sqlite3_bind_int (stmt, 3, (gint) node);
  sqlite3_bind_int (stmt, 4, in_set ? 1 : 0);
  sqlite3_bind_int64 (stmt, 5, (gint64) planned_mib);
  return xa_store_step_done (self, stmt, purpose, error);
}

static gboolean
xa_store_insert_why (XaStore *self, gint64 request_id, gint64 batch_id, const XaPlanWhy *why,
                     GError **error)
{
  const gchar *purpose = "record what the placement rested on";
  g_autoptr(XaStmt) stmt = xa_store_prepare (
    self, "INSERT INTO decisions (request_id, batch_id, need_mib, left_mib, runner_up, "
          "runner_up_left_mib, widest_node, widest_mib) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    purpose, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, request_id);
  sqlite3_bind_int64 (stmt, 2, batch_id);
  sqlite3_bind_int64 (stmt, 3, (gint64) why->need_mib);
  sqlite3_bind_int64 (stmt, 4, (gint64) why->left_mib);
  if (why->runner_up >= 0) {
    sqlite3_bind_int (stmt, 5, why->runner_up);
    sqlite3_bind_int64 (stmt, 6, (gint64) why->runner_up_left_mib);
  }
  sqlite3_bind_int (stmt, 7, (gint) why->widest_node);
  sqlite3_bind_int64 (stmt, 8, (gint64) why->widest_mib);
  return xa_store_step_done (self, stmt, purpose, error);
}

static gboolean
xa_store_insert_claim (XaStore *self, gint64 request_id, guint node, guint64 claim_mib,
                       GError **error)
{
  const gchar *purpose = "take the claim";
  g_autoptr(XaStmt) stmt = xa_store_prepare (
    self, "INSERT INTO claims (request_id, node, claim_mib) VALUES (?1, ?2, ?3)", purpose, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, request_id);
  sqlite3_bind_int (stmt, 2, (gint) node);
  sqlite3_bind_int64 (stmt, 3, (gint64) claim_mib);
  return xa_store_step_done (self, stmt, purpose, error);
}

/* Placement rows, claims, state: a planned request's share of a batch. */
static gboolean
xa_store_admit_planned (XaStore *self, gint64 request_id, gint64 batch_id,
                        const XaPlacement *placement, guint n_nodes, const XaPlanWhy *why,
                        XaStoreTime at, gboolean *out_planned, GError **error)
{
  if (!xa_store_mark_planned (self, request_id, batch_id, out_planned, error))
    return FALSE;
  if (!*out_planned)
    return TRUE;
  if (why != NULL && !xa_store_insert_why (self, request_id, batch_id, why, error))
    return FALSE;
  for (guint n = 0; n < n_nodes; n++) {
    guint64 mib = placement->mib_by_node[n];
    gboolean in_set = xa_nodeset_has (placement->nodes, n);

    if ((mib > 0 || in_set) &&
        !xa_store_insert_placement (self, request_id, batch_id, n, in_set, mib, error))
      return FALSE;
    if (mib > 0 && !xa_store_insert_claim (self, request_id, n, mib, error))
      return FALSE;
  }
  return xa_store_log_event (self, request_id, batch_id, "queued", XA_REQUEST_PLANNED, NULL, at,
                             error);
}

/* Sets *out_deferred to whether the request was still queued. */
static gboolean
xa_store_mark_deferred (XaStore *self, gint64 request_id, const gchar *reason,
                        gboolean *out_deferred, GError **error)
{
  const gchar *purpose = "mark the request deferred";
  g_autoptr(XaStmt) stmt = xa_store_prepare (
    self, "UPDATE requests SET reason = ?2, deferrals = deferrals + 1 "
          "WHERE id = ?1 AND state = 'queued'", purpose, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, request_id);
  sqlite3_bind_text (stmt, 2, reason, -1, SQLITE_TRANSIENT);
  return xa_store_step_changed (self, stmt, purpose, out_deferred, error);
}

static gboolean
xa_store_admit_deferred (XaStore *self, gint64 request_id, gint64 batch_id, const gchar *reason,
                         XaStoreTime at, gboolean *out_deferred, GError **error)
{
  if (!xa_store_mark_deferred (self, request_id, reason, out_deferred, error))
    return FALSE;
  return !*out_deferred ||
         xa_store_log_event (self, request_id, batch_id, "queued", XA_REQUEST_QUEUED, reason, at,
                             error);
}

/* The state each outcome of a plan leads to. */
static XaRequestState
xa_store_state_of_outcome (XaOutcome outcome)
{
  switch (outcome) {
  case XA_OUTCOME_PLANNED:
    return XA_REQUEST_PLANNED;
  case XA_OUTCOME_DEFERRED:
    return XA_REQUEST_QUEUED;
  case XA_OUTCOME_REJECTED:
    return XA_REQUEST_REJECTED;
  case XA_OUTCOME_FAILED:
  default:
    return XA_REQUEST_FAILED;
  }
}

/* Sets *out_changed to whether the request was still queued. */
static gboolean
xa_store_admit_one (XaStore *self, gint64 batch_id, const XaStoreRequest *request,
                    const XaPlacement *placement, guint n_nodes, const XaPlanWhy *why,
                    XaStoreTime at, gboolean *out_changed, GError **error)
{
  switch (placement->outcome) {
  case XA_OUTCOME_PLANNED:
    return xa_store_admit_planned (self, request->id, batch_id, placement, n_nodes, why, at,
                                   out_changed, error);
  case XA_OUTCOME_DEFERRED:
    return xa_store_admit_deferred (self, request->id, batch_id, placement->reason, at,
                                    out_changed, error);
  case XA_OUTCOME_REJECTED:
  case XA_OUTCOME_FAILED:
  default:
    return xa_store_change_state (self, request->id, XA_REQUEST_QUEUED,
                                  xa_store_state_of_outcome (placement->outcome),
                                  placement->reason, at, FALSE, out_changed, error);
  }
}

/* @states: where a request is left alone, the state it has instead */
static gboolean
xa_store_admit_in_txn (XaStore *self, gint64 host_id, const XaStoreBatch *batch,
                       GPtrArray *requests, const XaPlan *plan, gint64 *out_batch_id,
                       gboolean *changed, XaRequestState *states, GError **error)
{
  if (!xa_store_insert_batch (self, host_id, batch, plan, out_batch_id, error))
    return FALSE;
  for (guint i = 0; i < requests->len; i++) {
    const XaPlacement *placement = &plan->placements[i];
    const XaStoreRequest *request = g_ptr_array_index (requests, i);

    if (!xa_store_admit_one (self, *out_batch_id, request, placement, plan->n_nodes,
                             batch->why != NULL ? &batch->why[i] : NULL, batch->at,
                             &changed[i], error) ||
        (!changed[i] && !xa_store_read_state (self, request->id, &states[i], error)))
      return FALSE;
    for (guint n = 0; changed[i] && placement->outcome == XA_OUTCOME_PLANNED &&
                      n < plan->n_nodes; n++)
      xa_store_outstanding_add (self, host_id, n, (gint64) placement->mib_by_node[n]);
  }
  return TRUE;
}

/* After the commit, the caller's copies learn what the ledger now says. */
static void
xa_store_apply_admission (GPtrArray *requests, const XaPlan *plan, const gboolean *changed,
                          const XaRequestState *states)
{
  for (guint i = 0; i < requests->len; i++) {
    XaStoreRequest *request = g_ptr_array_index (requests, i);
    const XaPlacement *placement = &plan->placements[i];

    if (!changed[i]) {
      request->state = states[i];
      continue;
    }
    request->state = xa_store_state_of_outcome (placement->outcome);
    request->deferrals += placement->outcome == XA_OUTCOME_DEFERRED ? 1 : 0;
    g_free (request->reason);
    request->reason = g_strdup (placement->reason);
  }
}

/**
 * xa_store_admit_batch:
 * @self: the store
 * @host_id: the host
 * @batch: how the batch was planned
 * @requests: (element-type XaStoreRequest): the queued requests planned,
 *   in the order of @plan's placements
 * @plan: the plan
 * @error: a #GError
 *
 * One transaction: the batch, then per planned request its placement, its
 * claims and its state; deferred requests stay queued with the reason;
 * rejected ones end. A request that is no longer queued (cancelled since
 * it was read) is left alone. On success each of @requests has the state
 * the ledger gave it, or, left alone, the state it has there.
 *
 * Returns: %TRUE if the batch is recorded
 */
gboolean
xa_store_admit_batch (XaStore *self, gint64 host_id, const XaStoreBatch *batch,
                      GPtrArray *requests, const XaPlan *plan, GError **error)
{
  g_autofree gboolean *changed = NULL;
  g_autofree XaRequestState *states = NULL;
  gint64 batch_id = 0;

  g_return_val_if_fail (self != NULL && batch != NULL && requests != NULL && plan != NULL, FALSE);
  g_return_val_if_fail (requests->len == plan->n_placements, FALSE);

  changed = g_new0 (gboolean, requests->len);
  states = g_new0 (XaRequestState, requests->len);
  if (!xa_store_begin (self, error))
    return FALSE;
  if (!xa_store_admit_in_txn (self, host_id, batch, requests, plan, &batch_id, changed, states,
                              error))
    return xa_store_rollback (self);
  if (!xa_store_commit (self, error))
    return FALSE;
  xa_store_apply_admission (requests, plan, changed, states);
  if (batch->out_id != NULL)
    *batch->out_id = batch_id;
  return TRUE;
}
