/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-error.h"
#include "xa-store-private.h"
#include "xa-text.h"

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
  return xa_store_step_insert (self, stmt, purpose, out_id, error);
}

/* Binds ?1 to the owner's id, ?2 to a node and ?3, ?4 to its memory. */
static void
xa_store_bind_node (XaStmt *stmt, gint64 owner_id, guint node, guint64 total_mib,
                    guint64 free_mib)
{
  sqlite3_bind_int64 (stmt, 1, owner_id);
  sqlite3_bind_int (stmt, 2, (gint) node);
  sqlite3_bind_int64 (stmt, 3, (gint64) total_mib);
  sqlite3_bind_int64 (stmt, 4, (gint64) free_mib);
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
  xa_store_bind_node (stmt, snapshot_id, node, total_mib, free_mib);
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
  xa_store_bind_node (stmt, host_id, node, total_mib, free_mib);
  xa_store_bind_time (stmt, 5, at);
  return xa_store_step_done (self, stmt, purpose, error);
}

/* A claim on one node, with its request's UUID. */
typedef struct {
  gint64 request_id;
  gchar *uuid;
  gint64 node;
  guint64 claim_mib;
  guint64 charged_mib;
} XaClaim;

static void
xa_claim_clear (gpointer data)
{
  XaClaim *claim = data;

  g_free (claim->uuid);
}

static void
xa_claim_fill (XaStmt *stmt, gpointer element)
{
  XaClaim *claim = element;

  claim->request_id = sqlite3_column_int64 (stmt, 0);
  claim->uuid = xa_store_column_strdup (stmt, 1);
  claim->node = sqlite3_column_int64 (stmt, 2);
  claim->claim_mib = (guint64) MAX (sqlite3_column_int64 (stmt, 3), 0);
  claim->charged_mib = (guint64) MAX (sqlite3_column_int64 (stmt, 4), 0);
}

/* The claims of the host's builds under way: only a build's domain holds
 * memory that a claim may be charged with (a planned request has none
 * yet, and a build that ends releases its claim). The few building
 * requests first, by their index, not every claim of the host. */
static GArray *
xa_store_list_building_claims (XaStore *self, gint64 host_id, GError **error)
{
  const gchar *purpose = "read the claims";
  g_autoptr(XaStmt) stmt = xa_store_prepare (
    self, "SELECT c.request_id, r.uuid, c.node, c.claim_mib, c.charged_mib FROM requests r "
          "CROSS JOIN claims c ON c.request_id = r.id "
          "WHERE r.host_id = ?1 AND r.state = 'building'", purpose, error);

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, host_id);
  return xa_store_collect_array (self, stmt, purpose, sizeof (XaClaim), xa_claim_fill,
                                 xa_claim_clear, error);
}

/* Every in-flight claim of a host, for a restart's reconciliation. */
static GArray *
xa_store_list_claims (XaStore *self, gint64 host_id, GError **error)
{
  const gchar *purpose = "read the claims";
  g_autoptr(XaStmt) stmt = xa_store_prepare (
    self, "SELECT c.request_id, r.uuid, c.node, c.claim_mib, c.charged_mib FROM claims c "
          "CROSS JOIN requests r ON r.id = c.request_id WHERE r.host_id = ?1", purpose, error);

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, host_id);
  return xa_store_collect_array (self, stmt, purpose, sizeof (XaClaim), xa_claim_fill,
                                 xa_claim_clear, error);
}

static gboolean
xa_store_charge_claim (XaStore *self, gint64 request_id, gint64 node, guint64 charged_mib,
                       GError **error)
{
  const gchar *purpose = "charge the claim";
  g_autoptr(XaStmt) stmt = xa_store_prepare (
    self, "UPDATE claims SET charged_mib = ?3 WHERE request_id = ?1 AND node = ?2",
    purpose, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, request_id);
  sqlite3_bind_int64 (stmt, 2, node);
  sqlite3_bind_int64 (stmt, 3, (gint64) charged_mib);
  return xa_store_step_done (self, stmt, purpose, error);
}

/* UUID → XaStoreDomain, for the domains that have one. */
GHashTable *
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
 * the host's free memory already shows it. Only a claim whose charge
 * changes is written. */
static gboolean
xa_store_charge_claims (XaStore *self, gint64 host_id, GArray *claims, GHashTable *domains,
                        guint n_nodes, GError **error)
{
  for (guint k = 0; k < claims->len; k++) {
    const XaClaim *claim = &g_array_index (claims, XaClaim, k);
    const XaStoreDomain *domain = g_hash_table_lookup (domains, claim->uuid);
    guint64 charged;

    /* a claim on a node the host no longer has cannot be charged */
    if (claim->node < 0 || (guint64) claim->node >= n_nodes)
      continue;
    charged = MIN (claim->claim_mib, domain != NULL ? domain->mib_by_node[claim->node] : 0);
    if (charged == claim->charged_mib)
      continue;
    if (!xa_store_charge_claim (self, claim->request_id, claim->node, charged, error))
      return FALSE;
    /* outstanding is claim − charged, floored at 0: charged never exceeds
     * claim here, an older charge might */
    xa_store_outstanding_add (self, host_id, claim->node,
                              (gint64) MIN (claim->claim_mib, claim->charged_mib) -
                              (gint64) charged);
  }
  return TRUE;
}

/* The snapshot and each node's memory, as the host shows them. */
static gboolean
xa_store_record_nodes (XaStore *self, gint64 host_id, const XaStoreSnapshot *snapshot,
                       XaStoreTime at, gint64 *out_snapshot_id, GError **error)
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
  return TRUE;
}

/* A restart's: every claim of the host charged, whatever its request's
 * state. */
gboolean
xa_store_refresh_in_txn (XaStore *self, gint64 host_id, const XaStoreSnapshot *snapshot,
                         GHashTable *domains, XaStoreTime at, gint64 *out_snapshot_id,
                         GError **error)
{
  g_autoptr(GArray) claims = NULL;

  if (!xa_store_record_nodes (self, host_id, snapshot, at, out_snapshot_id, error) ||
      (claims = xa_store_list_claims (self, host_id, error)) == NULL)
    return FALSE;
  return xa_store_charge_claims (self, host_id, claims, domains, snapshot->n_nodes, error);
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
 * Records each node's memory and free memory, and charges the claim of
 * each build under way with what it has allocated so far, in one
 * transaction: its cost follows the builds under way, not the requests
 * admitted. @snapshot needs only those builds' domains.
 *
 * Returns: %TRUE if recorded
 */
gboolean
xa_store_refresh (XaStore *self, gint64 host_id, const XaStoreSnapshot *snapshot, XaStoreTime at,
                  gint64 *out_snapshot_id, GError **error)
{
  g_autoptr(GHashTable) domains = NULL;
  g_autoptr(GArray) claims = NULL;
  gint64 snapshot_id = 0;

  g_return_val_if_fail (self != NULL && snapshot != NULL, FALSE);

  domains = xa_store_domains_by_uuid (snapshot);
  if (!xa_store_begin (self, error))
    return FALSE;
  if (!xa_store_record_nodes (self, host_id, snapshot, at, &snapshot_id, error) ||
      (claims = xa_store_list_building_claims (self, host_id, error)) == NULL ||
      !xa_store_charge_claims (self, host_id, claims, domains, snapshot->n_nodes, error))
    return xa_store_rollback (self);
  if (!xa_store_commit (self, error))
    return FALSE;
  if (out_snapshot_id != NULL)
    *out_snapshot_id = snapshot_id;
  return TRUE;
}

/**
 * xa_store_outstanding_add:
 * @self: the store
 * @host_id: the host of the claim that changed
 * @node: its node
 * @delta_mib: what its claims have yet to take there changed by
 *
 * Keeps what xa_store_available() subtracts up to date as the claims are
 * written, if it was read for @host_id.
 */
void
xa_store_outstanding_add (XaStore *self, gint64 host_id, gint64 node, gint64 delta_mib)
{
  if (self->outstanding_mib == NULL || host_id != self->outstanding_host || node < 0 ||
      node >= XA_MAX_NODES)
    return;
  if ((guint) node >= self->outstanding_mib->len)
    g_array_set_size (self->outstanding_mib, (guint) node + 1);
  g_array_index (self->outstanding_mib, gint64, node) += delta_mib;
}

/* Per node, what the host's in-flight claims have yet to take, summed
 * once; the few claims first, not every request. */
gboolean
xa_store_read_outstanding (XaStore *self, gint64 host_id, GError **error)
{
  const gchar *purpose = "work out what the claims have yet to take";
  g_autoptr(XaStmt) stmt = xa_store_prepare (
    self, "SELECT c.node, sum (max (c.claim_mib - c.charged_mib, 0)) FROM claims c "
          "CROSS JOIN requests r ON r.id = c.request_id WHERE r.host_id = ?1 GROUP BY c.node",
    purpose, error);
  g_autoptr(GArray) outstanding = g_array_new (FALSE, TRUE, sizeof (gint64));
  gint row;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, host_id);
  while ((row = xa_store_step_row (self, stmt, purpose, error)) == 1) {
    gint64 node = sqlite3_column_int64 (stmt, 0);

    if (node < 0 || node >= XA_MAX_NODES)
      continue;
    if ((guint) node >= outstanding->len)
      g_array_set_size (outstanding, (guint) node + 1);
    g_array_index (outstanding, gint64, node) = sqlite3_column_int64 (stmt, 1);
  }
  if (row < 0)
    return FALSE;
  g_clear_pointer (&self->outstanding_mib, g_array_unref);
  self->outstanding_mib = g_steal_pointer (&outstanding);
  self->outstanding_host = host_id;
  return TRUE;
}

gint64
xa_store_outstanding_on (XaStore *self, guint node)
{
  return node < self->outstanding_mib->len ? g_array_index (self->outstanding_mib, gint64, node)
                                           : 0;
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
 * What the planner may give away on each node. The claims are summed on
 * the first call for @host_id, then kept as this store writes them (one
 * admitter per ledger: docs/design.md).
 *
 * Returns: %TRUE on success
 */
gboolean
xa_store_available (XaStore *self, gint64 host_id, guint n_nodes, guint64 *available_mib,
                    GError **error)
{
  const gchar *purpose = "work out the memory available on each node";
  g_autoptr(XaStmt) stmt = NULL;
  guint seen = 0;
  gint row;

  if ((self->outstanding_mib == NULL || self->outstanding_host != host_id) &&
      !xa_store_read_outstanding (self, host_id, error))
    return FALSE;
  stmt = xa_store_prepare (self, "SELECT node, free_mib FROM nodes WHERE host_id = ?1 "
                                 "ORDER BY node", purpose, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, host_id);
  while ((row = xa_store_step_row (self, stmt, purpose, error)) == 1) {
    gint node = sqlite3_column_int (stmt, 0);
    gint64 available = sqlite3_column_int64 (stmt, 1) - xa_store_outstanding_on (self, (guint) node);

    if (node >= 0 && (guint) node < n_nodes) {
      available_mib[node] = available > 0 ? (guint64) available : 0;
      seen++;
    }
  }
  if (row < 0)
    return FALSE;
  if (seen != n_nodes) {
    g_set_error (error, XA_ERROR, XA_ERROR_FAILED,
                 "%s: the host's %u %s have not all been seen yet (%u recorded)",
                 self->path, n_nodes, xa_text_plural (n_nodes, "node", "nodes"), seen);
    return FALSE;
  }
  return TRUE;
}
