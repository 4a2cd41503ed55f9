/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-error.h"
#include "xa-store-private.h"

static gboolean
xa_store_insert_snapshot (XaStore *self, gint64 host_id, XaStoreTime at, gint64 *out_id,
                          GError **error)
{
  const gchar *purpose = "record the host snapshot";
  g_autoptr(XaStmt) stmt = xa_store_prepare (
    self, "INSERT INTO snapshots (host_id, wall_us, host_s) VALUES (?1, ?2, ?3)", purpose, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, host_id);
  xa_store_bind_time (stmt, 2, at);
  if (!xa_store_step_done (self, stmt, purpose, error))
    return FALSE;
  *out_id = sqlite3_last_insert_rowid (self->db);
  return TRUE;
}

static gboolean
xa_store_insert_snapshot_node (XaStore *self, gint64 snapshot_id, guint node, guint64 total_mib,
                               guint64 free_mib, GError **error)
{
  const gchar *purpose = "record a node of the snapshot";
  g_autoptr(XaStmt) stmt = xa_store_prepare (
    self, "INSERT INTO snapshot_nodes (snapshot_id, node, total_mib, free_mib) "
          "VALUES (?1, ?2, ?3, ?4)", purpose, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, snapshot_id);
  sqlite3_bind_int (stmt, 2, (gint) node);
  sqlite3_bind_int64 (stmt, 3, (gint64) total_mib);
  sqlite3_bind_int64 (stmt, 4, (gint64) free_mib);
  return xa_store_step_done (self, stmt, purpose, error);
}

static gboolean
xa_store_upsert_node (XaStore *self, gint64 host_id, guint node, guint64 total_mib,
                      guint64 free_mib, XaStoreTime at, GError **error)
{
  const gchar *purpose = "record the node's memory";
  g_autoptr(XaStmt) stmt = xa_store_prepare (
    self, "INSERT INTO nodes (host_id, node, total_mib, free_mib, seen_wall_us, seen_host_s) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (host_id, node) DO UPDATE SET "
          "total_mib = excluded.total_mib, free_mib = excluded.free_mib, "
          "seen_wall_us = excluded.seen_wall_us, seen_host_s = excluded.seen_host_s",
    purpose, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, host_id);
  sqlite3_bind_int (stmt, 2, (gint) node);
  sqlite3_bind_int64 (stmt, 3, (gint64) total_mib);
  sqlite3_bind_int64 (stmt, 4, (gint64) free_mib);
  xa_store_bind_time (stmt, 5, at);
  return xa_store_step_done (self, stmt, purpose, error);
}

/* The in-flight claims of a host, as (request id, UUID, node) rows; the few
 * claims first, not every request of the host. */
static GArray *
xa_store_list_claims (XaStore *self, gint64 host_id, GPtrArray *uuids, GError **error)
{
  const gchar *purpose = "read the claims";
  g_autoptr(XaStmt) stmt = xa_store_prepare (
    self, "SELECT c.request_id, r.uuid, c.node FROM claims c "
          "CROSS JOIN requests r ON r.id = c.request_id WHERE r.host_id = ?1", purpose, error);
  g_autoptr(GArray) claims = g_array_new (FALSE, FALSE, sizeof (gint64));
  gint row;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, host_id);
  while ((row = xa_store_step_row (self, stmt, purpose, error)) == 1) {
    gint64 request_id = sqlite3_column_int64 (stmt, 0);
    gint64 node = sqlite3_column_int64 (stmt, 2);

    g_array_append_val (claims, request_id);
    g_array_append_val (claims, node);
    g_ptr_array_add (uuids, xa_store_column_strdup (stmt, 1));
  }
  if (row < 0)
    return NULL;
  return g_steal_pointer (&claims);
}

static gboolean
xa_store_charge_claim (XaStore *self, gint64 request_id, gint64 node, guint64 charged_mib,
                       GError **error)
{
  const gchar *purpose = "charge the claim";
  g_autoptr(XaStmt) stmt = xa_store_prepare (
    self, "UPDATE claims SET charged_mib = min (claim_mib, ?3) WHERE request_id = ?1 AND node = ?2",
    purpose, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, request_id);
  sqlite3_bind_int64 (stmt, 2, node);
  sqlite3_bind_int64 (stmt, 3, (gint64) charged_mib);
  return xa_store_step_done (self, stmt, purpose, error);
}

/* UUID → XaStoreDomain, for the domains that have one. */
static GHashTable *
xa_store_domains_by_uuid (const XaStoreSnapshot *snapshot)
{
  GHashTable *domains = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint d = 0; d < snapshot->n_domains; d++) {
    if (snapshot->domains[d].uuid != NULL)
      g_hash_table_insert (domains, (gpointer) snapshot->domains[d].uuid,
                           (gpointer) &snapshot->domains[d]);
  }
  return domains;
}

/* What a build has allocated on a node so far is no longer claimed there:
 * the host's free memory already shows it. */
static gboolean
xa_store_charge_claims (XaStore *self, gint64 host_id, GHashTable *domains, guint n_nodes,
                        GError **error)
{
  g_autoptr(GPtrArray) uuids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) claims = xa_store_list_claims (self, host_id, uuids, error);

  if (claims == NULL)
    return FALSE;
  for (guint k = 0; k < uuids->len; k++) {
    const XaStoreDomain *domain = g_hash_table_lookup (domains, g_ptr_array_index (uuids, k));
    gint64 request_id = g_array_index (claims, gint64, 2 * k);
    gint64 node = g_array_index (claims, gint64, 2 * k + 1);

    /* a claim on a node the host no longer has cannot be charged */
    if (node < 0 || (guint64) node >= n_nodes)
      continue;
    if (!xa_store_charge_claim (self, request_id, node,
                                domain != NULL ? domain->mib_by_node[node] : 0, error))
      return FALSE;
  }
  return TRUE;
}

static gboolean
xa_store_refresh_in_txn (XaStore *self, gint64 host_id, const XaStoreSnapshot *snapshot,
                         GHashTable *domains, XaStoreTime at, gint64 *out_snapshot_id,
                         GError **error)
{
  if (!xa_store_insert_snapshot (self, host_id, at, out_snapshot_id, error))
    return FALSE;
  for (guint n = 0; n < snapshot->n_nodes; n++) {
    if (!xa_store_insert_snapshot_node (self, *out_snapshot_id, n, snapshot->total_mib[n],
                                        snapshot->free_mib[n], error) ||
        !xa_store_upsert_node (self, host_id, n, snapshot->total_mib[n], snapshot->free_mib[n],
                               at, error))
      return FALSE;
  }
  return xa_store_charge_claims (self, host_id, domains, snapshot->n_nodes, error);
}

/**
 * xa_store_refresh:
 * @self: the store
 * @host_id: the host
 * @snapshot: what the host shows now
 * @at: when it was seen
 * @out_snapshot_id: (out) (optional): the snapshot's id, for the batch
 * @error: a #GError
 *
 * Records each node's memory and free memory, and charges each claim with
 * what its build has allocated so far, in one transaction.
 *
 * Returns: %TRUE if recorded
 */
gboolean
xa_store_refresh (XaStore *self, gint64 host_id, const XaStoreSnapshot *snapshot, XaStoreTime at,
                  gint64 *out_snapshot_id, GError **error)
{
  g_autoptr(GHashTable) domains = NULL;
  gint64 snapshot_id = 0;

  g_return_val_if_fail (self != NULL && snapshot != NULL, FALSE);

  domains = xa_store_domains_by_uuid (snapshot);
  if (!xa_store_begin (self, error))
    return FALSE;
  if (!xa_store_refresh_in_txn (self, host_id, snapshot, domains, at, &snapshot_id, error))
    return xa_store_rollback (self);
  if (!xa_store_commit (self, error))
    return FALSE;
  if (out_snapshot_id != NULL)
    *out_snapshot_id = snapshot_id;
  return TRUE;
}

/**
 * xa_store_available:
 * @self: the store
 * @host_id: the host
 * @n_nodes: its node count
 * @available_mib: (array length=n_nodes) (out caller-allocates): per node,
 *   free memory as last seen minus what in-flight claims have yet to take
 * @error: a #GError, %XA_ERROR_FAILED too if the host was never seen
 *
 * What the planner may give away on each node.
 *
 * Returns: %TRUE on success
 */
gboolean
xa_store_available (XaStore *self, gint64 host_id, guint n_nodes, guint64 *available_mib,
                    GError **error)
{
  const gchar *purpose = "work out the memory available on each node";
  /* the claims summed once, the few claims first, not every request */
  g_autoptr(XaStmt) stmt = xa_store_prepare (
    self, "SELECT n.node, n.free_mib - coalesce (c.outstanding, 0) FROM nodes n LEFT JOIN "
          "(SELECT c.node, sum (max (c.claim_mib - c.charged_mib, 0)) AS outstanding "
          " FROM claims c CROSS JOIN requests r ON r.id = c.request_id "
          " WHERE r.host_id = ?1 GROUP BY c.node) c ON c.node = n.node "
          "WHERE n.host_id = ?1 ORDER BY n.node", purpose, error);
  guint seen = 0;
  gint row;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, host_id);
  while ((row = xa_store_step_row (self, stmt, purpose, error)) == 1) {
    gint node = sqlite3_column_int (stmt, 0);
    gint64 available = sqlite3_column_int64 (stmt, 1);

    if (node >= 0 && (guint) node < n_nodes) {
      available_mib[node] = available > 0 ? (guint64) available : 0;
      seen++;
    }
  }
  if (row < 0)
    return FALSE;
  if (seen != n_nodes) {
    g_set_error (error, XA_ERROR, XA_ERROR_FAILED,
                 "%s: the host's %u nodes have not all been seen yet (%u recorded)",
                 self->path, n_nodes, seen);
    return FALSE;
  }
  return TRUE;
}

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
  if (!xa_store_step_done (self, stmt, purpose, error))
    return FALSE;
  *out_id = sqlite3_last_insert_rowid (self->db);
  return TRUE;
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
  if (!xa_store_step_done (self, stmt, purpose, error))
    return FALSE;
  *out_planned = sqlite3_changes (self->db) == 1;
  return TRUE;
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
                        const XaPlacement *placement, guint n_nodes, XaStoreTime at,
                        gboolean *out_planned, GError **error)
{
  if (!xa_store_mark_planned (self, request_id, batch_id, out_planned, error))
    return FALSE;
  if (!*out_planned)
    return TRUE;
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
  if (!xa_store_step_done (self, stmt, purpose, error))
    return FALSE;
  *out_deferred = sqlite3_changes (self->db) == 1;
  return TRUE;
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
                    const XaPlacement *placement, guint n_nodes, XaStoreTime at,
                    gboolean *out_changed, GError **error)
{
  switch (placement->outcome) {
  case XA_OUTCOME_PLANNED:
    return xa_store_admit_planned (self, request->id, batch_id, placement, n_nodes, at,
                                   out_changed, error);
  case XA_OUTCOME_DEFERRED:
    return xa_store_admit_deferred (self, request->id, batch_id, placement->reason, at,
                                    out_changed, error);
  case XA_OUTCOME_REJECTED:
  case XA_OUTCOME_FAILED:
  default:
    return xa_store_change_state (self, request->id, XA_REQUEST_QUEUED,
                                  xa_store_state_of_outcome (placement->outcome),
                                  placement->reason, at, out_changed, error);
  }
}

static gboolean
xa_store_admit_in_txn (XaStore *self, gint64 host_id, const XaStoreBatch *batch,
                       GPtrArray *requests, const XaPlan *plan, gint64 *out_batch_id,
                       gboolean *changed, GError **error)
{
  if (!xa_store_insert_batch (self, host_id, batch, plan, out_batch_id, error))
    return FALSE;
  for (guint i = 0; i < requests->len; i++) {
    if (!xa_store_admit_one (self, *out_batch_id, g_ptr_array_index (requests, i),
                             &plan->placements[i], plan->n_nodes, batch->at, &changed[i], error))
      return FALSE;
  }
  return TRUE;
}

/* After the commit, the caller's copies learn what the ledger now says. */
static void
xa_store_apply_admission (GPtrArray *requests, const XaPlan *plan, const gboolean *changed)
{
  for (guint i = 0; i < requests->len; i++) {
    XaStoreRequest *request = g_ptr_array_index (requests, i);
    const XaPlacement *placement = &plan->placements[i];

    if (!changed[i])
      continue;
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
 * the ledger gave it.
 *
 * Returns: %TRUE if the batch is recorded
 */
gboolean
xa_store_admit_batch (XaStore *self, gint64 host_id, const XaStoreBatch *batch,
                      GPtrArray *requests, const XaPlan *plan, GError **error)
{
  g_autofree gboolean *changed = NULL;
  gint64 batch_id = 0;

  g_return_val_if_fail (self != NULL && batch != NULL && requests != NULL && plan != NULL, FALSE);
  g_return_val_if_fail (requests->len == plan->n_placements, FALSE);

  changed = g_new0 (gboolean, requests->len);
  if (!xa_store_begin (self, error))
    return FALSE;
  if (!xa_store_admit_in_txn (self, host_id, batch, requests, plan, &batch_id, changed, error))
    return xa_store_rollback (self);
  if (!xa_store_commit (self, error))
    return FALSE;
  xa_store_apply_admission (requests, plan, changed);
  return TRUE;
}

static gboolean
xa_store_mark_started (XaStore *self, gint64 request_id, XaStoreTime at, GError **error)
{
  const gchar *purpose = "mark the build started";
  g_autoptr(XaStmt) stmt = xa_store_prepare (
    self, "UPDATE requests SET state = 'building', attempts = attempts + 1, "
          "started_wall_us = ?2, started_host_s = ?3 WHERE id = ?1 AND state = 'planned'",
    purpose, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, request_id);
  xa_store_bind_time (stmt, 2, at);
  if (!xa_store_step_done (self, stmt, purpose, error))
    return FALSE;
  if (sqlite3_changes (self->db) != 1)
    return xa_store_not_in_state (self, request_id, XA_REQUEST_PLANNED, XA_REQUEST_BUILDING,
                                  error);
  return TRUE;
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

/* The request's end, or a step back to the queue, with the time and why. */
static gboolean
xa_store_finish (XaStore *self, gint64 request_id, XaRequestState from, XaRequestState to,
                 const gchar *reason, XaStoreTime at, GError **error)
{
  const gchar *purpose = "record the end of the build";
  g_autoptr(XaStmt) stmt = xa_store_prepare (
    self, "UPDATE requests SET state = ?3, reason = ?4, finished_wall_us = ?5, "
          "finished_host_s = ?6 WHERE id = ?1 AND state = ?2", purpose, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, request_id);
  sqlite3_bind_text (stmt, 2, xa_request_state_to_string (from), -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, xa_request_state_to_string (to), -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, reason, -1, SQLITE_TRANSIENT);
  xa_store_bind_time (stmt, 5, at);
  if (!xa_store_step_done (self, stmt, purpose, error))
    return FALSE;
  if (sqlite3_changes (self->db) != 1)
    return xa_store_not_in_state (self, request_id, from, to, error);
  return xa_store_log_event (self, request_id, 0, xa_request_state_to_string (from), to, reason,
                             at, error);
}

static gboolean
xa_store_complete_in_txn (XaStore *self, gint64 request_id, XaRequestState from, guint n_nodes,
                          const guint64 *actual_mib, XaStoreTime at, GError **error)
{
  return xa_store_record_actual (self, request_id, n_nodes, actual_mib, error) &&
         xa_store_release_claims (self, request_id, error) &&
         xa_store_finish (self, request_id, from, XA_REQUEST_RUNNING, NULL, at, error);
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

static gboolean
xa_store_fail_in_txn (XaStore *self, gint64 request_id, XaRequestState from, const gchar *reason,
                      gboolean retry, XaStoreTime at, GError **error)
{
  if (!xa_store_release_claims (self, request_id, error))
    return FALSE;
  if (retry)
    return xa_store_set_state (self, request_id, from, XA_REQUEST_QUEUED, reason, at, error);
  return xa_store_finish (self, request_id, from, XA_REQUEST_FAILED, reason, at, error);
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

  if (request->state != XA_REQUEST_PLANNED && request->state != XA_REQUEST_BUILDING) {
    g_set_error (error, XA_ERROR, XA_ERROR_FAILED,
                 "%s: request %" G_GINT64_FORMAT " is %s, so its build cannot fail",
                 xa_store_get_path (self), request->id,
                 xa_request_state_to_string (request->state));
    return FALSE;
  }
  if (!xa_store_begin (self, error))
    return FALSE;
  if (!xa_store_fail_in_txn (self, request->id, request->state, reason, retry, at, error))
    return xa_store_rollback (self);
  if (!xa_store_commit (self, error))
    return FALSE;
  request->state = retry ? XA_REQUEST_QUEUED : XA_REQUEST_FAILED;
  g_free (request->reason);
  request->reason = g_strdup (reason);
  return TRUE;
}

typedef struct {
  gint64 id;
  gchar *uuid;
  guint64 memory_mib;
  XaRequestState state;
} XaInFlight;

static void
xa_in_flight_clear (gpointer data)
{
  XaInFlight *in_flight = data;

  g_free (in_flight->uuid);
}

static GArray *
xa_store_list_in_flight (XaStore *self, gint64 host_id, GError **error)
{
  const gchar *purpose = "read the builds in flight";
  g_autoptr(XaStmt) stmt = xa_store_prepare (
    self, "SELECT id, uuid, memory_mib, state = 'building' FROM requests "
          "WHERE host_id = ?1 AND state IN ('planned', 'building') ORDER BY id", purpose, error);
  g_autoptr(GArray) in_flight = g_array_new (FALSE, FALSE, sizeof (XaInFlight));
  gint row;

  if (stmt == NULL)
    return NULL;
  g_array_set_clear_func (in_flight, xa_in_flight_clear);
  sqlite3_bind_int64 (stmt, 1, host_id);
  while ((row = xa_store_step_row (self, stmt, purpose, error)) == 1) {
    XaInFlight one = {
      sqlite3_column_int64 (stmt, 0),
      xa_store_column_strdup (stmt, 1),
      (guint64) sqlite3_column_int64 (stmt, 2),
      sqlite3_column_int (stmt, 3) ? XA_REQUEST_BUILDING : XA_REQUEST_PLANNED,
    };

    g_array_append_val (in_flight, one);
  }
  if (row < 0)
    return NULL;
  return g_steal_pointer (&in_flight);
}

static gboolean
xa_store_claimed_mib (XaStore *self, gint64 request_id, guint64 *out_mib, GError **error)
{
  const gchar *purpose = "read the claim";
  g_autoptr(XaStmt) stmt = xa_store_prepare (
    self, "SELECT coalesce (sum (claim_mib), 0) FROM claims WHERE request_id = ?1", purpose,
    error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, request_id);
  if (xa_store_step_row (self, stmt, purpose, error) != 1)
    return FALSE;
  *out_mib = (guint64) sqlite3_column_int64 (stmt, 0);
  return TRUE;
}

/* Built: running, with its memory. Half-built or gone: queued again. */
static gboolean
xa_store_reconcile_one (XaStore *self, const XaInFlight *in_flight, const XaStoreDomain *domain,
                        guint n_nodes, XaStoreTime at, XaStoreReconciliation *result,
                        GError **error)
{
  guint64 domain_mib = 0;
  guint64 claimed_mib = 0;

  for (guint n = 0; domain != NULL && n < n_nodes; n++)
    domain_mib += domain->mib_by_node[n];
  if (!xa_store_claimed_mib (self, in_flight->id, &claimed_mib, error))
    return FALSE;
  result->released_mib += claimed_mib;
  if (domain != NULL && domain_mib >= in_flight->memory_mib) {
    g_array_append_val (result->built, in_flight->id);
    return xa_store_complete_in_txn (self, in_flight->id, in_flight->state, n_nodes,
                                     domain->mib_by_node, at, error);
  }
  g_array_append_val (domain != NULL ? result->half_built : result->gone, in_flight->id);
  return xa_store_fail_in_txn (self, in_flight->id, in_flight->state,
                               domain != NULL ? "its build stopped half-way when xadmit did; "
                                                "it is queued again"
                                              : "xadmit stopped before its domain was built; "
                                                "it is queued again",
                               TRUE, at, error);
}

static gboolean
xa_store_reconcile_in_txn (XaStore *self, gint64 host_id, const XaStoreSnapshot *snapshot,
                           XaStoreTime at, XaStoreReconciliation *result, GError **error)
{
  g_autoptr(GHashTable) domains = xa_store_domains_by_uuid (snapshot);
  g_autoptr(GArray) in_flight = NULL;
  gint64 snapshot_id = 0;

  if (!xa_store_refresh_in_txn (self, host_id, snapshot, domains, at, &snapshot_id, error))
    return FALSE;
  in_flight = xa_store_list_in_flight (self, host_id, error);
  if (in_flight == NULL)
    return FALSE;
  for (guint k = 0; k < in_flight->len; k++) {
    const XaInFlight *one = &g_array_index (in_flight, XaInFlight, k);

    if (!xa_store_reconcile_one (self, one, g_hash_table_lookup (domains, one->uuid),
                                 snapshot->n_nodes, at, result, error))
      return FALSE;
  }
  return TRUE;
}

void
xa_store_reconciliation_free (XaStoreReconciliation *reconciliation)
{
  if (reconciliation == NULL)
    return;
  g_array_unref (reconciliation->built);
  g_array_unref (reconciliation->half_built);
  g_array_unref (reconciliation->gone);
  g_free (reconciliation);
}

static XaStoreReconciliation *
xa_store_reconciliation_new (void)
{
  XaStoreReconciliation *reconciliation = g_new0 (XaStoreReconciliation, 1);

  reconciliation->built = g_array_new (FALSE, FALSE, sizeof (gint64));
  reconciliation->half_built = g_array_new (FALSE, FALSE, sizeof (gint64));
  reconciliation->gone = g_array_new (FALSE, FALSE, sizeof (gint64));
  return reconciliation;
}

/**
 * xa_store_reconcile:
 * @self: the store
 * @host_id: the host
 * @snapshot: the host as it is now, its domains with their UUIDs
 * @at: now
 * @error: a #GError
 *
 * What a restart does first, in one transaction: records the snapshot, then
 * matches every request that was planned or building against the domains
 * by UUID. A domain that holds all of the VM's memory finished its build:
 * the request is running. Any other in-flight request is queued again
 * (the caller destroys the half-built domains). No claim is left: no
 * build is live in a process that has just started.
 *
 * Returns: (transfer full) (nullable): what was found
 */
XaStoreReconciliation *
xa_store_reconcile (XaStore *self, gint64 host_id, const XaStoreSnapshot *snapshot,
                    XaStoreTime at, GError **error)
{
  g_autoptr(XaStoreReconciliation) result = NULL;

  g_return_val_if_fail (self != NULL && snapshot != NULL, NULL);

  result = xa_store_reconciliation_new ();
  if (!xa_store_begin (self, error))
    return NULL;
  if (!xa_store_reconcile_in_txn (self, host_id, snapshot, at, result, error)) {
    xa_store_rollback (self);
    return NULL;
  }
  if (!xa_store_commit (self, error))
    return NULL;
  return g_steal_pointer (&result);
}
