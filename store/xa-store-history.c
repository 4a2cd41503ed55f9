/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <math.h>

#include "xa-error.h"
#include "xa-store-private.h"

/* Binds ?1 to a host and ?2, ?3 to a wall-clock range, as reports filter. */
static void
xa_store_bind_range (XaStmt *stmt, gint64 host_id, gint64 from_wall_us, gint64 to_wall_us)
{
  sqlite3_bind_int64 (stmt, 1, host_id);
  sqlite3_bind_int64 (stmt, 2, from_wall_us);
  sqlite3_bind_int64 (stmt, 3, to_wall_us);
}

void
xa_store_batch_row_free (XaStoreBatchRow *row)
{
  if (row == NULL)
    return;
  g_free (row->policy);
  g_free (row);
}

void
xa_store_vm_row_free (XaStoreVmRow *row)
{
  if (row == NULL)
    return;
  g_free (row->uuid);
  g_free (row->name);
  g_free (row->group_id);
  g_free (row->group);
  g_free (row->reason);
  g_free (row->planned_mib);
  g_free (row->actual_mib);
  g_free (row);
}

/* Columns 0 … 8 of a query of batches: id, wall_us, host_s, policy,
 * n_requests, n_planned, n_deferred, n_rejected, plan_ms. */
void
xa_store_batch_row_fill (XaStoreBatchRow *row, XaStmt *stmt)
{
  row->id = sqlite3_column_int64 (stmt, 0);
  row->at.wall_us = sqlite3_column_int64 (stmt, 1);
  row->at.host_s = sqlite3_column_double (stmt, 2);
  row->policy = xa_store_column_strdup (stmt, 3);
  row->n_requests = (guint) sqlite3_column_int (stmt, 4);
  row->n_planned = (guint) sqlite3_column_int (stmt, 5);
  row->n_deferred = (guint) sqlite3_column_int (stmt, 6);
  row->n_rejected = (guint) sqlite3_column_int (stmt, 7);
  row->plan_ms = sqlite3_column_double (stmt, 8);
}

static XaStoreBatchRow *
xa_store_batch_row_from (XaStmt *stmt)
{
  XaStoreBatchRow *row = g_new0 (XaStoreBatchRow, 1);

  xa_store_batch_row_fill (row, stmt);
  row->n_built = (guint) sqlite3_column_int (stmt, 9);
  row->n_local = (guint) sqlite3_column_int (stmt, 10);
  return row;
}

/**
 * xa_store_list_batches:
 * @self: the store
 * @host_id: the host, 0 for every host
 * @from_wall_us: the first wall-clock time to report
 * @to_wall_us: the end of the range, not included
 * @error: a #GError
 *
 * Returns: (transfer full) (element-type XaStoreBatchRow) (nullable): the
 *   batches admitted in the range, with the locality of their built VMs
 */
GPtrArray *
xa_store_list_batches (XaStore *self, gint64 host_id, gint64 from_wall_us, gint64 to_wall_us,
                       GError **error)
{
  const gchar *purpose = "read the batches";
  g_autoptr(XaStmt) stmt = xa_store_prepare (
    self, "WITH built AS (SELECT batch_id, request_id, "
          "  max (actual_mib) * 100 >= sum (actual_mib) * ?4 AND sum (actual_mib) > 0 AS local "
          "  FROM placements WHERE actual_mib IS NOT NULL GROUP BY batch_id, request_id) "
          "SELECT b.id, b.wall_us, b.host_s, b.policy, b.n_requests, b.n_planned, b.n_deferred, "
          "b.n_rejected, b.plan_ms, "
          "(SELECT count (*) FROM built WHERE built.batch_id = b.id), "
          "(SELECT count (*) FROM built WHERE built.batch_id = b.id AND built.local) "
          "FROM batches b WHERE (?1 = 0 OR b.host_id = ?1) AND b.wall_us >= ?2 AND b.wall_us < ?3 "
          "ORDER BY b.wall_us, b.id", purpose, error);

  if (stmt == NULL)
    return NULL;
  xa_store_bind_range (stmt, host_id, from_wall_us, to_wall_us);
  sqlite3_bind_int (stmt, 4, XA_LOCAL_PERCENT);
  return xa_store_collect_rows (self, stmt, purpose, (XaStoreRowNew) xa_store_batch_row_from,
                                (GDestroyNotify) xa_store_batch_row_free, error);
}

static gdouble
xa_store_column_seconds (XaStmt *stmt, gint column)
{
  return sqlite3_column_type (stmt, column) == SQLITE_NULL ? -1.0
                                                           : sqlite3_column_double (stmt, column);
}

static XaStoreVmRow *
xa_store_vm_row_from (XaStmt *stmt, guint n_nodes)
{
  XaStoreVmRow *row = g_new0 (XaStoreVmRow, 1);

  row->uuid = xa_store_column_strdup (stmt, 1);
  row->name = xa_store_column_strdup (stmt, 2);
  xa_request_state_from_string ((const gchar *) sqlite3_column_text (stmt, 3), &row->state);
  row->wait_s = xa_store_column_seconds (stmt, 4);
  row->build_s = xa_store_column_seconds (stmt, 5);
  row->id = sqlite3_column_int64 (stmt, 0);
  row->group_id = xa_store_column_strdup (stmt, 10);
  row->reason = xa_store_column_strdup (stmt, 11);
  row->memory_mib = (guint64) sqlite3_column_int64 (stmt, 12);
  row->queued_wall_us = sqlite3_column_int64 (stmt, 13);
  row->started_wall_us = sqlite3_column_int64 (stmt, 14);
  row->finished_wall_us = sqlite3_column_int64 (stmt, 15);
  row->group = xa_store_column_strdup (stmt, 16);
  row->attempts = (guint) sqlite3_column_int (stmt, 17);
  row->first_wait_s = xa_store_column_seconds (stmt, 18);
  row->planned_mib = g_new0 (guint64, n_nodes);
  row->actual_mib = g_new0 (guint64, n_nodes);
  return row;
}

/* One placement row: a node's planned and actual memory. */
static void
xa_store_vm_row_add_node (XaStoreVmRow *row, XaStmt *stmt, guint n_nodes)
{
  gint node = sqlite3_column_int (stmt, 6);

  if (sqlite3_column_type (stmt, 6) == SQLITE_NULL || node < 0 || (guint) node >= n_nodes)
    return;
  if (sqlite3_column_int (stmt, 7))
    row->planned_nodes |= XA_NODESET_BIT (node);
  row->planned_mib[node] = (guint64) sqlite3_column_int64 (stmt, 8);
  row->actual_mib[node] = (guint64) sqlite3_column_int64 (stmt, 9);
}

static void
xa_store_vm_row_finish (XaStoreVmRow *row, guint n_nodes)
{
  for (guint n = 0; n < n_nodes && row->planned_nodes != 0; n++) {
    if (!xa_nodeset_has (row->planned_nodes, n))
      row->spilled_mib += row->actual_mib[n];
  }
}

/**
 * xa_store_each_vm:
 * @self: the store
 * @stmt: a query of XA_STORE_VM_COLUMNS, bound, its rows of one VM together
 * @n_nodes: the host's node count
 * @purpose: what it is for, for error messages
 * @func: called with each VM's row, complete, as the query reaches the next
 * @user_data: for @func
 * @error: a #GError
 *
 * Steps through @stmt a VM at a time, holding one row only.
 *
 * Returns: %TRUE once every row was read and taken by @func
 */
gboolean
xa_store_each_vm (XaStore *self, XaStmt *stmt, guint n_nodes, const gchar *purpose,
                  XaStoreVmFunc func, gpointer user_data, GError **error)
{
  g_autoptr(XaStoreVmRow) current = NULL;
  gint row;

  while ((row = xa_store_step_row (self, stmt, purpose, error)) == 1) {
    if (current != NULL && sqlite3_column_int64 (stmt, 0) != current->id) {
      xa_store_vm_row_finish (current, n_nodes);
      if (!func (g_steal_pointer (&current), user_data, error))
        return FALSE;
    }
    if (current == NULL)
      current = xa_store_vm_row_from (stmt, n_nodes);
    xa_store_vm_row_add_node (current, stmt, n_nodes);
  }
  if (row < 0)
    return FALSE;
  if (current == NULL)
    return TRUE;
  xa_store_vm_row_finish (current, n_nodes);
  return func (g_steal_pointer (&current), user_data, error);
}

static gboolean
xa_store_vm_append (XaStoreVmRow *row, gpointer user_data, GError **error G_GNUC_UNUSED)
{
  g_ptr_array_add (user_data, row);
  return TRUE;
}

/* A row per VM of @stmt, a query of XA_STORE_VM_COLUMNS ordered by r.id. */
static GPtrArray *
xa_store_collect_vms (XaStore *self, XaStmt *stmt, guint n_nodes, const gchar *purpose,
                      GError **error)
{
  g_autoptr(GPtrArray) rows =
    g_ptr_array_new_with_free_func ((GDestroyNotify) xa_store_vm_row_free);

  if (!xa_store_each_vm (self, stmt, n_nodes, purpose, xa_store_vm_append, rows, error))
    return NULL;
  return g_steal_pointer (&rows);
}

/**
 * xa_store_list_vms:
 * @self: the store
 * @host_id: the host
 * @n_nodes: its node count
 * @from_wall_us: the first wall-clock time to report (when queued)
 * @to_wall_us: the end of the range, not included
 * @error: a #GError
 *
 * Returns: (transfer full) (element-type XaStoreVmRow) (nullable): per VM
 *   queued in the range: its last plan against where its memory went,
 *   what spilled, how long it waited and how long its build took
 */
GPtrArray *
xa_store_list_vms (XaStore *self, gint64 host_id, guint n_nodes, gint64 from_wall_us,
                   gint64 to_wall_us, GError **error)
{
  const gchar *purpose = "read the VMs' history";
  g_autoptr(XaStmt) stmt = xa_store_prepare (
    self, XA_STORE_VM_COLUMNS
          "WHERE r.host_id = ?1 AND r.queued_wall_us >= ?2 AND r.queued_wall_us < ?3 "
          "ORDER BY r.id, p.node", purpose, error);

  if (stmt == NULL)
    return NULL;
  xa_store_bind_range (stmt, host_id, from_wall_us, to_wall_us);
  return xa_store_collect_vms (self, stmt, n_nodes, purpose, error);
}

/**
 * xa_store_list_live_vms:
 * @self: the store
 * @host_id: the host
 * @n_nodes: its node count
 * @error: a #GError
 *
 * Returns: (transfer full) (element-type XaStoreVmRow) (nullable): the VMs
 *   xadmit has not finished with (queued, planned or building), in the
 *   order they were queued
 */
GPtrArray *
xa_store_list_live_vms (XaStore *self, gint64 host_id, guint n_nodes, GError **error)
{
  const gchar *purpose = "read the queue";
  g_autoptr(XaStmt) stmt = xa_store_prepare (
    self, XA_STORE_VM_COLUMNS
          "WHERE r.host_id = ?1 AND (r.state = 'queued' OR r.state = 'planned' OR "
          "r.state = 'building') ORDER BY r.id, p.node", purpose, error);

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, host_id);
  return xa_store_collect_vms (self, stmt, n_nodes, purpose, error);
}

/**
 * xa_store_get_vm:
 * @self: the store
 * @request_id: a request
 * @n_nodes: its host's node count
 * @error: a #GError, %XA_ERROR_NOT_FOUND if there is no such request
 *
 * Returns: (transfer full) (nullable): the request's row
 */
XaStoreVmRow *
xa_store_get_vm (XaStore *self, gint64 request_id, guint n_nodes, GError **error)
{
  const gchar *purpose = "read the request";
  g_autoptr(XaStmt) stmt = xa_store_prepare (
    self, XA_STORE_VM_COLUMNS "WHERE r.id = ?1 ORDER BY p.node", purpose, error);
  g_autoptr(GPtrArray) rows = NULL;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, request_id);
  rows = xa_store_collect_vms (self, stmt, n_nodes, purpose, error);
  if (rows == NULL)
    return NULL;
  if (rows->len == 0) {
    g_set_error (error, XA_ERROR, XA_ERROR_NOT_FOUND,
                 "%s: there is no request %" G_GINT64_FORMAT, self->path, request_id);
    return NULL;
  }
  return g_ptr_array_steal_index (rows, 0);
}

void
xa_store_event_free (XaStoreEvent *event)
{
  if (event == NULL)
    return;
  g_free (event->from);
  g_free (event->to);
  g_free (event->reason);
  g_free (event);
}

static XaStoreEvent *
xa_store_event_from (XaStmt *stmt)
{
  XaStoreEvent *event = g_new0 (XaStoreEvent, 1);

  event->at.wall_us = sqlite3_column_int64 (stmt, 0);
  event->at.host_s = sqlite3_column_double (stmt, 1);
  event->batch_id = sqlite3_column_int64 (stmt, 2);
  event->from = xa_store_column_strdup (stmt, 3);
  event->to = xa_store_column_strdup (stmt, 4);
  event->reason = xa_store_column_strdup (stmt, 5);
  return event;
}

/**
 * xa_store_list_events:
 * @self: the store
 * @request_id: a request
 * @error: a #GError
 *
 * Returns: (transfer full) (element-type XaStoreEvent) (nullable): the
 *   request's log, oldest first
 */
GPtrArray *
xa_store_list_events (XaStore *self, gint64 request_id, GError **error)
{
  const gchar *purpose = "read the request's log";
  g_autoptr(XaStmt) stmt = xa_store_prepare (
    self, "SELECT wall_us, host_s, coalesce (batch_id, 0), from_state, to_state, reason "
          "FROM events WHERE request_id = ?1 ORDER BY id", purpose, error);

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, request_id);
  return xa_store_collect_rows (self, stmt, purpose, (XaStoreRowNew) xa_store_event_from,
                                (GDestroyNotify) xa_store_event_free, error);
}

static gboolean
xa_store_node_sample_append (const XaStoreNodeSample *sample, gpointer user_data,
                             GError **error G_GNUC_UNUSED)
{
  g_array_append_val ((GArray *) user_data, *sample);
  return TRUE;
}

/**
 * xa_store_node_memory:
 * @self: the store
 * @host_id: the host
 * @from_wall_us: the first wall-clock time to report
 * @to_wall_us: the end of the range, not included
 * @error: a #GError
 *
 * Returns: (transfer full) (element-type XaStoreNodeSample) (nullable):
 *   every node's memory at every snapshot in the range, in time order
 */
GArray *
xa_store_node_memory (XaStore *self, gint64 host_id, gint64 from_wall_us, gint64 to_wall_us,
                      GError **error)
{
  XaStoreReportRange range = { host_id, 0, from_wall_us, to_wall_us, NULL };
  g_autoptr(GArray) samples = g_array_new (FALSE, TRUE, sizeof (XaStoreNodeSample));

  if (!xa_store_report_node_memory (self, &range, xa_store_node_sample_append, samples, error))
    return NULL;
  return g_steal_pointer (&samples);
}

static void
xa_store_seconds_fill (XaStmt *stmt, gpointer element)
{
  *(gdouble *) element = sqlite3_column_double (stmt, 0);
}

/* Nearest-rank percentiles of the seconds @stmt (bound, ordered) gives. */
static gboolean
xa_store_percentiles_of (XaStore *self, XaStmt *stmt, const gchar *purpose, guint n_percentiles,
                         const gdouble *percentiles, gdouble *out_s, GError **error)
{
  g_autoptr(GArray) seconds = xa_store_collect_array (self, stmt, purpose, sizeof (gdouble),
                                                      xa_store_seconds_fill, NULL, error);

  if (seconds == NULL)
    return FALSE;
  xa_store_percentiles ((const gdouble *) seconds->data, seconds->len, n_percentiles, percentiles,
                        out_s);
  return TRUE;
}

/**
 * xa_store_percentiles:
 * @sorted: (array length=n_values): values in ascending order
 * @n_values: how many
 * @n_percentiles: how many to work out
 * @percentiles: (array length=n_percentiles): each in 0 … 100
 * @out: (array length=n_percentiles) (out caller-allocates): the value at
 *   each, nearest rank; -1 when @n_values is 0
 */
void
xa_store_percentiles (const gdouble *sorted, guint n_values, guint n_percentiles,
                      const gdouble *percentiles, gdouble *out)
{
  for (guint k = 0; k < n_percentiles; k++) {
    gdouble rank = ceil (percentiles[k] / 100.0 * (gdouble) n_values);
    guint at = (guint) CLAMP (rank, 1.0, (gdouble) MAX (n_values, 1)) - 1;

    out[k] = n_values > 0 ? sorted[at] : -1.0;
  }
}

/**
 * xa_store_wait_percentiles:
 * @self: the store
 * @host_id: the host
 * @from_wall_us: the first wall-clock time to report (when queued)
 * @to_wall_us: the end of the range, not included
 * @n_percentiles: how many to work out
 * @percentiles: (array length=n_percentiles): each in 0 … 100
 * @out_wait_s: (array length=n_percentiles) (out caller-allocates): the
 *   queue wait (queued → last build started, host clock) at each, nearest
 *   rank; -1 when no request in the range has started
 * @error: a #GError
 *
 * Returns: %TRUE on success
 */
gboolean
xa_store_wait_percentiles (XaStore *self, gint64 host_id, gint64 from_wall_us, gint64 to_wall_us,
                           guint n_percentiles, const gdouble *percentiles, gdouble *out_wait_s,
                           GError **error)
{
  const gchar *purpose = "read the queue waits";
  g_autoptr(XaStmt) stmt = xa_store_prepare (
    self, "SELECT started_host_s - queued_host_s FROM requests "
          "WHERE host_id = ?1 AND started_host_s IS NOT NULL "
          "AND queued_wall_us >= ?2 AND queued_wall_us < ?3 ORDER BY 1", purpose, error);

  if (stmt == NULL)
    return FALSE;
  xa_store_bind_range (stmt, host_id, from_wall_us, to_wall_us);
  return xa_store_percentiles_of (self, stmt, purpose, n_percentiles, percentiles, out_wait_s,
                                  error);
}

/**
 * xa_store_admission_percentiles:
 * @self: the store
 * @host_id: the host
 * @n_percentiles: how many to work out
 * @percentiles: (array length=n_percentiles): each in 0 … 100
 * @out_s: (array length=n_percentiles) (out caller-allocates): the wall
 *   time from queueing to the batch that first planned the request, at
 *   each, nearest rank; -1 when none was planned
 * @error: a #GError
 *
 * Returns: %TRUE on success
 */
gboolean
xa_store_admission_percentiles (XaStore *self, gint64 host_id, guint n_percentiles,
                                const gdouble *percentiles, gdouble *out_s, GError **error)
{
  const gchar *purpose = "read the times to admission";
  g_autoptr(XaStmt) stmt = xa_store_prepare (
    self, "SELECT (min (e.wall_us) - r.queued_wall_us) / 1e6 FROM requests r "
          "JOIN events e ON e.request_id = r.id AND e.to_state = 'planned' "
          "WHERE r.host_id = ?1 GROUP BY r.id ORDER BY 1", purpose, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, host_id);
  return xa_store_percentiles_of (self, stmt, purpose, n_percentiles, percentiles, out_s, error);
}
