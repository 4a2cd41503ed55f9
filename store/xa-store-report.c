/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-mem.h"
#include "xa-store-private.h"

/*
 * `xadmit report`'s reads: every query binds the host and a wall-clock
 * range and runs on an index (a test asks SQLite, with EXPLAIN QUERY PLAN);
 * VMs and snapshots go to a callback a row at a time, so a report of a
 * long history holds one VM, not all of them.
 */

#define XA_STORE_REPORT_HOSTS \
  "SELECT id, key, name, kind, n_nodes FROM hosts ORDER BY id"

#define XA_STORE_REPORT_BATCH_COLUMNS \
  "SELECT b.id, b.wall_us, b.host_s, b.policy, b.n_requests, b.n_planned, b.n_deferred, " \
  "b.n_rejected, b.plan_ms FROM batches b " \
  "WHERE b.host_id = ?1 AND b.wall_us >= ?2 AND b.wall_us < ?3 "
#define XA_STORE_REPORT_BATCHES \
  XA_STORE_REPORT_BATCH_COLUMNS "ORDER BY b.wall_us, b.id"
/* the batches that planned a request of that name */
#define XA_STORE_REPORT_VM_BATCHES \
  XA_STORE_REPORT_BATCH_COLUMNS \
  "AND b.id IN (SELECT p.batch_id FROM requests r JOIN placements p ON p.request_id = r.id " \
  "WHERE r.host_id = ?1 AND r.name = ?4) ORDER BY b.wall_us, b.id"
/* a row per node of each VM the batch placed; start and end count only for
 * the VMs it planned last (a VM planned again belongs to its later batch) */
#define XA_STORE_REPORT_BATCH_NODES \
  "SELECT p.request_id, p.node, p.in_set, p.actual_mib, " \
  "CASE WHEN r.batch_id = p.batch_id THEN r.started_host_s END, " \
  "CASE WHEN r.batch_id = p.batch_id THEN r.finished_host_s END " \
  "FROM placements p JOIN requests r ON r.id = p.request_id " \
  "WHERE p.batch_id = ?1 ORDER BY p.request_id, p.node"

#define XA_STORE_REPORT_VMS \
  XA_STORE_VM_COLUMNS \
  "WHERE r.host_id = ?1 AND r.queued_wall_us >= ?2 AND r.queued_wall_us < ?3 " \
  "ORDER BY r.queued_wall_us, r.id, p.node"
#define XA_STORE_REPORT_VMS_NAMED \
  XA_STORE_VM_COLUMNS \
  "WHERE r.host_id = ?1 AND r.name = ?4 AND r.queued_wall_us >= ?2 AND r.queued_wall_us < ?3 " \
  "ORDER BY r.queued_wall_us, r.id, p.node"

#define XA_STORE_REPORT_NODE_MEMORY \
  "SELECT s.wall_us, s.host_s, n.node, n.total_mib, n.free_mib " \
  "FROM snapshots s JOIN snapshot_nodes n ON n.snapshot_id = s.id " \
  "WHERE s.host_id = ?1 AND s.wall_us >= ?2 AND s.wall_us < ?3 " \
  "ORDER BY s.wall_us, s.id, n.node"

const gchar *const xa_store_report_statements[] = {
  XA_STORE_REPORT_BATCHES,
  XA_STORE_REPORT_VM_BATCHES,
  XA_STORE_REPORT_BATCH_NODES,
  XA_STORE_REPORT_VMS,
  XA_STORE_REPORT_VMS_NAMED,
  XA_STORE_REPORT_NODE_MEMORY,
  NULL,
};

void
xa_store_host_row_free (XaStoreHostRow *row)
{
  if (row == NULL)
    return;
  g_free (row->key);
  g_free (row->name);
  g_free (row->kind);
  g_free (row);
}

static XaStoreHostRow *
xa_store_host_row_from (XaStmt *stmt)
{
  XaStoreHostRow *row = g_new0 (XaStoreHostRow, 1);

  row->id = sqlite3_column_int64 (stmt, 0);
  row->key = xa_store_column_strdup (stmt, 1);
  row->name = xa_store_column_strdup (stmt, 2);
  row->kind = xa_store_column_strdup (stmt, 3);
  row->n_nodes = (guint) sqlite3_column_int (stmt, 4);
  return row;
}

/**
 * xa_store_list_hosts:
 * @self: the store
 * @error: a #GError
 *
 * Returns: (transfer full) (element-type XaStoreHostRow) (nullable): every
 *   host the ledger knows, in the order it first saw them
 */
GPtrArray *
xa_store_list_hosts (XaStore *self, GError **error)
{
  const gchar *purpose = "read the hosts";
  g_autoptr(XaStmt) stmt = xa_store_prepare (self, XA_STORE_REPORT_HOSTS, purpose, error);

  if (stmt == NULL)
    return NULL;
  return xa_store_collect_rows (self, stmt, purpose, (XaStoreRowNew) xa_store_host_row_from,
                                (GDestroyNotify) xa_store_host_row_free, error);
}

static void
xa_store_report_bind (XaStmt *stmt, const XaStoreReportRange *range)
{
  sqlite3_bind_int64 (stmt, 1, range->host_id);
  sqlite3_bind_int64 (stmt, 2, range->from_wall_us);
  sqlite3_bind_int64 (stmt, 3, range->to_wall_us);
  if (range->vm_name != NULL)
    sqlite3_bind_text (stmt, 4, range->vm_name, -1, SQLITE_TRANSIENT);
}

void
xa_store_report_batch_free (XaStoreReportBatch *batch)
{
  if (batch == NULL)
    return;
  g_free (batch->row.policy);
  g_free (batch);
}

static XaStoreReportBatch *
xa_store_report_batch_from (XaStmt *stmt)
{
  XaStoreReportBatch *batch = g_new0 (XaStoreReportBatch, 1);

  xa_store_batch_row_fill (&batch->row, stmt);
  batch->makespan_s = -1;
  return batch;
}

/* One VM of the batch, its memory per node as built: its locality. */
static void
xa_store_report_batch_count (XaStoreReportBatch *batch, const guint64 *actual_mib,
                             XaNodeSet planned, guint n_nodes, gboolean built)
{
  guint64 outside;

  if (!built)
    return;
  outside = xa_mem_spilled_mib (actual_mib, planned, n_nodes);
  batch->row.n_built++;
  if (xa_mem_is_local (actual_mib, n_nodes))
    batch->row.n_local++;
  else
    batch->n_split++;
  if (outside > 0) {
    batch->n_spilled++;
    batch->remote_mib += outside;
  }
}

/* The state of the VM a batch's rows are at, in xa_store_report_locality(). */
typedef struct {
  gint64 request_id;
  XaNodeSet planned;
  gboolean built;
  guint64 *actual_mib;
  gdouble first_start_s;
  gdouble last_end_s;
} XaStoreBatchScan;

static void
xa_store_batch_scan_row (XaStoreBatchScan *scan, XaStmt *stmt, guint n_nodes)
{
  gint node = sqlite3_column_int (stmt, 1);

  if (node >= 0 && (guint) node < n_nodes) {
    if (sqlite3_column_int (stmt, 2))
      scan->planned |= XA_NODESET_BIT (node);
    scan->built = scan->built || sqlite3_column_type (stmt, 3) != SQLITE_NULL;
    scan->actual_mib[node] = (guint64) sqlite3_column_int64 (stmt, 3);
  }
  if (sqlite3_column_type (stmt, 4) != SQLITE_NULL && (scan->first_start_s < 0 ||
                                                       sqlite3_column_double (stmt, 4) <
                                                       scan->first_start_s))
    scan->first_start_s = sqlite3_column_double (stmt, 4);
  if (sqlite3_column_type (stmt, 5) != SQLITE_NULL)
    scan->last_end_s = MAX (scan->last_end_s, sqlite3_column_double (stmt, 5));
}

/* The locality and makespan of @batch's VMs, from its placements. */
static gboolean
xa_store_report_locality (XaStore *self, XaStoreReportBatch *batch, guint n_nodes, GError **error)
{
  const gchar *purpose = "read a batch's placements";
  g_autoptr(XaStmt) stmt = xa_store_prepare (self, XA_STORE_REPORT_BATCH_NODES, purpose, error);
  g_autofree guint64 *actual_mib = g_new0 (guint64, MAX (n_nodes, 1));
  XaStoreBatchScan scan = { 0, 0, FALSE, actual_mib, -1, -1 };
  gint row;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, batch->row.id);
  while ((row = xa_store_step_row (self, stmt, purpose, error)) == 1) {
    if (sqlite3_column_int64 (stmt, 0) != scan.request_id) {
      xa_store_report_batch_count (batch, actual_mib, scan.planned, n_nodes, scan.built);
      memset (actual_mib, 0, sizeof (guint64) * n_nodes);
      scan.request_id = sqlite3_column_int64 (stmt, 0);
      scan.planned = 0;
      scan.built = FALSE;
    }
    xa_store_batch_scan_row (&scan, stmt, n_nodes);
  }
  if (row < 0)
    return FALSE;
  xa_store_report_batch_count (batch, actual_mib, scan.planned, n_nodes, scan.built);
  if (scan.first_start_s >= 0 && scan.last_end_s >= scan.first_start_s)
    batch->makespan_s = scan.last_end_s - scan.first_start_s;
  return TRUE;
}

/**
 * xa_store_report_batches:
 * @self: the store
 * @range: the host and the time range; with a VM name, the batches that
 *   planned a request of that name
 * @error: a #GError
 *
 * Returns: (transfer full) (element-type XaStoreReportBatch) (nullable):
 *   the batches admitted in the range, oldest first, with what they built
 */
GPtrArray *
xa_store_report_batches (XaStore *self, const XaStoreReportRange *range, GError **error)
{
  const gchar *purpose = "read the batches";
  g_autoptr(XaStmt) stmt = xa_store_prepare (
    self, range->vm_name != NULL ? XA_STORE_REPORT_VM_BATCHES : XA_STORE_REPORT_BATCHES, purpose,
    error);
  g_autoptr(GPtrArray) batches = NULL;

  if (stmt == NULL)
    return NULL;
  xa_store_report_bind (stmt, range);
  batches = xa_store_collect_rows (self, stmt, purpose, (XaStoreRowNew) xa_store_report_batch_from,
                                   (GDestroyNotify) xa_store_report_batch_free, error);
  if (batches == NULL)
    return NULL;
  for (guint i = 0; i < batches->len; i++) {
    if (!xa_store_report_locality (self, g_ptr_array_index (batches, i), range->n_nodes, error))
      return NULL;
  }
  return g_steal_pointer (&batches);
}

/**
 * xa_store_report_vms:
 * @self: the store
 * @range: the host and the time range (when queued); with a VM name, the
 *   requests of that name only
 * @func: given each VM's row, in the order they were queued
 * @user_data: for @func
 * @error: a #GError
 *
 * Returns: %TRUE once @func had every VM
 */
gboolean
xa_store_report_vms (XaStore *self, const XaStoreReportRange *range, XaStoreVmFunc func,
                     gpointer user_data, GError **error)
{
  const gchar *purpose = "read the VMs' history";
  g_autoptr(XaStmt) stmt = xa_store_prepare (
    self, range->vm_name != NULL ? XA_STORE_REPORT_VMS_NAMED : XA_STORE_REPORT_VMS, purpose,
    error);

  if (stmt == NULL)
    return FALSE;
  xa_store_report_bind (stmt, range);
  return xa_store_each_vm (self, stmt, range->n_nodes, purpose, func, user_data, error);
}

/**
 * xa_store_report_node_memory:
 * @self: the store
 * @range: the host and the time range (its VM name does not count)
 * @func: given every node's memory at every snapshot, in time order
 * @user_data: for @func
 * @error: a #GError
 *
 * Returns: %TRUE once @func had every sample
 */
gboolean
xa_store_report_node_memory (XaStore *self, const XaStoreReportRange *range,
                             XaStoreNodeSampleFunc func, gpointer user_data, GError **error)
{
  const gchar *purpose = "read the nodes' memory over time";
  g_autoptr(XaStmt) stmt = xa_store_prepare (self, XA_STORE_REPORT_NODE_MEMORY, purpose, error);
  XaStoreReportRange all_names = *range;
  gint row;

  if (stmt == NULL)
    return FALSE;
  all_names.vm_name = NULL;
  xa_store_report_bind (stmt, &all_names);
  while ((row = xa_store_step_row (self, stmt, purpose, error)) == 1) {
    XaStoreNodeSample sample = {
      { sqlite3_column_int64 (stmt, 0), sqlite3_column_double (stmt, 1) },
      (guint) sqlite3_column_int (stmt, 2),
      (guint64) sqlite3_column_int64 (stmt, 3),
      (guint64) sqlite3_column_int64 (stmt, 4),
    };

    if (!func (&sample, user_data, error))
      return FALSE;
  }
  return row == 0;
}
