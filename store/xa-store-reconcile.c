/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-store-private.h"

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

static void
xa_in_flight_fill (XaStmt *stmt, gpointer element)
{
  XaInFlight *in_flight = element;

  in_flight->id = sqlite3_column_int64 (stmt, 0);
  in_flight->uuid = xa_store_column_strdup (stmt, 1);
  in_flight->memory_mib = (guint64) sqlite3_column_int64 (stmt, 2);
  in_flight->state = sqlite3_column_int (stmt, 3) ? XA_REQUEST_BUILDING : XA_REQUEST_PLANNED;
}

/* @sql selects id, uuid, memory_mib and whether it is building, of host ?1. */
static GArray *
xa_store_list_in_flight (XaStore *self, const gchar *sql, gint64 host_id, GError **error)
{
  const gchar *purpose = "read the requests to reconcile";
  g_autoptr(XaStmt) stmt = xa_store_prepare (self, sql, purpose, error);

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, host_id);
  return xa_store_collect_array (self, stmt, purpose, sizeof (XaInFlight), xa_in_flight_fill,
                                 xa_in_flight_clear, error);
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

/* Built (all its memory, and the host knows its build ended): running.
 * Half-built or gone: queued again. */
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
  if (domain != NULL && domain_mib >= in_flight->memory_mib && !domain->unfinished) {
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
                               TRUE, FALSE, at, error);
}

/* A running request whose domain is gone has ended; a failed one that
 * kept its claim (its domain could not be destroyed) gives it up now, and
 * its domain, if still there, is the caller's to destroy. */
static gboolean
xa_store_reconcile_settled (XaStore *self, gint64 host_id, GHashTable *domains, XaStoreTime at,
                            XaStoreReconciliation *result, GError **error)
{
  g_autoptr(GArray) running = xa_store_list_in_flight (
    self, "SELECT id, uuid, memory_mib, 0 FROM requests "
          "WHERE host_id = ?1 AND state = 'running' ORDER BY id", host_id, error);
  g_autoptr(GArray) leftover = NULL;

  if (running == NULL)
    return FALSE;
  for (guint k = 0; k < running->len; k++) {
    const XaInFlight *one = &g_array_index (running, XaInFlight, k);

    if (g_hash_table_contains (domains, one->uuid))
      continue;
    g_array_append_val (result->ended, one->id);
    if (!xa_store_set_state (self, one->id, XA_REQUEST_RUNNING, XA_REQUEST_ENDED,
                             "its domain is no longer on the host", at, FALSE, error))
      return FALSE;
  }
  leftover = xa_store_list_in_flight (
    self, "SELECT id, uuid, memory_mib, 0 FROM requests WHERE host_id = ?1 AND state = 'failed' "
          "AND id IN (SELECT request_id FROM claims) ORDER BY id", host_id, error);
  if (leftover == NULL)
    return FALSE;
  for (guint k = 0; k < leftover->len; k++) {
    const XaInFlight *one = &g_array_index (leftover, XaInFlight, k);
    guint64 claimed_mib = 0;

    g_array_append_val (result->leftover, one->id);
    if (!xa_store_claimed_mib (self, one->id, &claimed_mib, error) ||
        !xa_store_release_claims (self, one->id, error))
      return FALSE;
    result->released_mib += claimed_mib;
  }
  return TRUE;
}

/* The request of @uuid if the ledger has it queued, else 0. */
static gboolean
xa_store_queued_of_domain (XaStore *self, gint64 host_id, const gchar *uuid, gint64 *out_id,
                           GError **error)
{
  const gchar *purpose = "find the queued request of a domain";
  g_autoptr(XaStmt) stmt = xa_store_prepare (
    self, "SELECT id FROM requests WHERE uuid = ?1 AND host_id = ?2 AND state = 'queued'",
    purpose, error);
  gint row;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, uuid, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, host_id);
  if ((row = xa_store_step_row (self, stmt, purpose, error)) < 0)
    return FALSE;
  *out_id = row == 1 ? sqlite3_column_int64 (stmt, 0) : 0;
  return TRUE;
}

/* A domain whose request is still queued: xadmit stopped between creating
 * it and committing its admission (xenopsd's way commits once a turn, not
 * before each domain). Nothing recorded its build, so it is half-built: the
 * caller destroys it, and the request, queued still, waits for a build. */
static gboolean
xa_store_reconcile_unrecorded (XaStore *self, gint64 host_id, const XaStoreSnapshot *snapshot,
                               XaStoreReconciliation *result, GError **error)
{
  for (guint d = 0; d < snapshot->n_domains; d++) {
    gint64 id = 0;

    if (snapshot->domains[d].uuid == NULL)
      continue;
    if (!xa_store_queued_of_domain (self, host_id, snapshot->domains[d].uuid, &id, error))
      return FALSE;
    if (id != 0)
      g_array_append_val (result->half_built, id);
  }
  return TRUE;
}

static gboolean
xa_store_cancel_asked_in_txn (XaStore *self, gint64 host_id, XaStoreTime at, GError **error)
{
  g_autoptr(GArray) asked = xa_store_list_in_flight (
    self, "SELECT id, uuid, memory_mib, 0 FROM requests WHERE host_id = ?1 AND "
          "state = 'queued' AND cancel_asked_wall_us IS NOT NULL ORDER BY id", host_id, error);

  if (asked == NULL)
    return FALSE;
  for (guint k = 0; k < asked->len; k++) {
    if (!xa_store_set_state (self, g_array_index (asked, XaInFlight, k).id, XA_REQUEST_QUEUED,
                             XA_REQUEST_CANCELLED, "cancelled while its build was in flight; "
                             "the build stopped when xadmit did", at, FALSE, error))
      return FALSE;
  }
  return TRUE;
}

/**
 * xa_store_cancel_asked:
 * @self: the store
 * @host_id: the host
 * @at: now
 * @error: a #GError
 *
 * After a reconcile, once the half-built domains are gone: a build whose
 * cancel was asked while no admitter carried it out, and that the
 * reconcile queued again, is cancelled.
 *
 * Returns: %TRUE on success
 */
gboolean
xa_store_cancel_asked (XaStore *self, gint64 host_id, XaStoreTime at, GError **error)
{
  if (!xa_store_begin (self, error))
    return FALSE;
  if (!xa_store_cancel_asked_in_txn (self, host_id, at, error))
    return xa_store_rollback (self);
  return xa_store_commit (self, error);
}

static gboolean
xa_store_reconcile_in_txn (XaStore *self, gint64 host_id, const XaStoreSnapshot *snapshot,
                           XaStoreTime at, XaStoreReconciliation *result, GError **error)
{
  g_autoptr(GHashTable) domains = xa_store_domains_by_uuid (snapshot);
  g_autoptr(GArray) in_flight = NULL;
  gint64 snapshot_id = 0;

  if (!xa_store_refresh_in_txn (self, host_id, snapshot, domains, at, &snapshot_id, error) ||
      !xa_store_reconcile_settled (self, host_id, domains, at, result, error) ||
      !xa_store_reconcile_unrecorded (self, host_id, snapshot, result, error))
    return FALSE;
  in_flight = xa_store_list_in_flight (
    self, "SELECT id, uuid, memory_mib, state = 'building' FROM requests "
          "WHERE host_id = ?1 AND state IN ('planned', 'building') ORDER BY id", host_id, error);
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
  g_array_unref (reconciliation->ended);
  g_array_unref (reconciliation->leftover);
  g_free (reconciliation);
}

static XaStoreReconciliation *
xa_store_reconciliation_new (void)
{
  XaStoreReconciliation *reconciliation = g_new0 (XaStoreReconciliation, 1);

  reconciliation->built = g_array_new (FALSE, FALSE, sizeof (gint64));
  reconciliation->half_built = g_array_new (FALSE, FALSE, sizeof (gint64));
  reconciliation->gone = g_array_new (FALSE, FALSE, sizeof (gint64));
  reconciliation->ended = g_array_new (FALSE, FALSE, sizeof (gint64));
  reconciliation->leftover = g_array_new (FALSE, FALSE, sizeof (gint64));
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
 * (the caller destroys the half-built domains). A running request whose
 * domain is gone has ended. A failed request that kept its claim (its
 * domain could not be destroyed) releases it; the caller destroys the
 * domain. No claim is left: no build is live in a process that has just
 * started.
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

typedef struct {
  gint64 id;
  XaRequestState state;
} XaLiveRequest;

static void
xa_live_request_fill (XaStmt *stmt, gpointer element)
{
  XaLiveRequest *live = element;

  live->id = sqlite3_column_int64 (stmt, 0);
  xa_request_state_from_string ((const gchar *) sqlite3_column_text (stmt, 1), &live->state);
}

static gboolean
xa_store_end_host_in_txn (XaStore *self, gint64 host_id, const gchar *reason, XaStoreTime at,
                          GError **error)
{
  const gchar *purpose = "read the host's live requests";
  g_autoptr(XaStmt) stmt = xa_store_prepare (
    self, "SELECT id, state FROM requests WHERE host_id = ?1 AND state IN "
          "('queued', 'planned', 'building', 'running') ORDER BY id", purpose, error);
  g_autoptr(GArray) live = NULL;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, host_id);
  live = xa_store_collect_array (self, stmt, purpose, sizeof (XaLiveRequest),
                                 xa_live_request_fill, NULL, error);
  if (live == NULL)
    return FALSE;
  for (guint k = 0; k < live->len; k++) {
    const XaLiveRequest *one = &g_array_index (live, XaLiveRequest, k);
    XaRequestState to = one->state == XA_REQUEST_RUNNING ? XA_REQUEST_ENDED
                                                         : XA_REQUEST_CANCELLED;

    if (!xa_store_release_claims (self, one->id, error) ||
        !xa_store_set_state (self, one->id, one->state, to, reason, at, FALSE, error))
      return FALSE;
  }
  return TRUE;
}

/**
 * xa_store_end_host:
 * @self: the store
 * @host_id: a host that is gone with its domains
 * @reason: why, one sentence
 * @at: now
 * @error: a #GError
 *
 * The host went away (a simulated host kept in no file ends with its
 * process): its running requests have ended, and those still waiting or
 * in flight are cancelled, their claims released.
 *
 * Returns: %TRUE on success
 */
gboolean
xa_store_end_host (XaStore *self, gint64 host_id, const gchar *reason, XaStoreTime at,
                   GError **error)
{
  g_return_val_if_fail (self != NULL && reason != NULL, FALSE);

  if (!xa_store_begin (self, error))
    return FALSE;
  if (!xa_store_end_host_in_txn (self, host_id, reason, at, error))
    return xa_store_rollback (self);
  return xa_store_commit (self, error);
}
