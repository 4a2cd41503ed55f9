/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "xa-report-private.h"

/* What a report gathers of a host before its VMs: its batches, its nodes'
 * memory over time, and the queue waits, in one pass over its VMs. */

const gdouble xa_report_wait_percentiles[XA_REPORT_N_WAITS] = { 50, 95, 100 };

void
xa_report_host_free (XaReportHost *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->batches, g_ptr_array_unref);
  g_clear_pointer (&self->memory_at, g_array_unref);
  g_clear_pointer (&self->memory_used_mib, g_array_unref);
  g_free (self->total_mib);
  g_clear_pointer (&self->waits_s, g_array_unref);
  for (guint n = 0; self->node_waits_s != NULL && n < self->host->n_nodes; n++)
    g_array_unref (self->node_waits_s[n]);
  g_free (self->node_waits_s);
  g_free (self);
}

/**
 * xa_report_host_waits:
 * @waits_s: (element-type gdouble): queue waits, ascending
 * @out_s: (array fixed-size=3) (out caller-allocates): p50, p95 and max;
 *   -1 each when there is none
 */
void
xa_report_host_waits (const GArray *waits_s, gdouble *out_s)
{
  xa_store_percentiles ((const gdouble *) (gpointer) waits_s->data, waits_s->len,
                        XA_REPORT_N_WAITS, xa_report_wait_percentiles, out_s);
}

/* A wall-clock time for people, UTC, to the second; "-" for none. */
gchar *
xa_report_time (gint64 wall_us)
{
  g_autoptr(GDateTime) at = NULL;

  if (wall_us <= 0 || wall_us == G_MAXINT64)
    return g_strdup ("-");
  at = g_date_time_new_from_unix_utc (wall_us / G_USEC_PER_SEC);
  return at != NULL ? g_date_time_format (at, "%Y-%m-%d %H:%M:%S") : g_strdup ("-");
}

guint64
xa_report_vm_total (const guint64 *mib_by_node, guint n_nodes)
{
  guint64 total = 0;

  for (guint n = 0; n < n_nodes; n++)
    total += mib_by_node[n];
  return total;
}

/* Keeps every other snapshot: the kept ones stay evenly spread. */
static void
xa_report_host_thin (XaReportHost *self)
{
  guint n_nodes = self->host->n_nodes;
  guint kept = 0;

  for (guint i = 0; i < self->memory_at->len; i += 2, kept++) {
    g_array_index (self->memory_at, XaStoreTime, kept) =
      g_array_index (self->memory_at, XaStoreTime, i);
    memmove (&g_array_index (self->memory_used_mib, guint64, (gsize) kept * n_nodes),
             &g_array_index (self->memory_used_mib, guint64, (gsize) i * n_nodes),
             sizeof (guint64) * n_nodes);
  }
  g_array_set_size (self->memory_at, kept);
  g_array_set_size (self->memory_used_mib, kept * n_nodes);
}

/* The snapshots, a point each until there are too many; then every
 * second, fourth... as many as their count asks (@stride). */
typedef struct {
  XaReportHost *self;
  guint64 n_snapshots;
  guint64 stride;
  gint64 current_us;
} XaReportMemoryScan;

static gboolean
xa_report_host_add_sample (const XaStoreNodeSample *sample, gpointer user_data,
                           GError **error G_GNUC_UNUSED)
{
  XaReportMemoryScan *scan = user_data;
  XaReportHost *self = scan->self;
  guint n_nodes = self->host->n_nodes;

  if (sample->node >= n_nodes)
    return TRUE;
  if (sample->node == 0) {
    guint64 index = scan->n_snapshots++;

    scan->current_us = -1;
    if (index % scan->stride != 0)
      return TRUE;
    if (self->memory_at->len == 2 * XA_REPORT_MEMORY_POINTS) {
      xa_report_host_thin (self);
      scan->stride *= 2;
      if (index % scan->stride != 0)
        return TRUE;
    }
    scan->current_us = sample->at.wall_us;
    g_array_append_val (self->memory_at, sample->at);
    g_array_set_size (self->memory_used_mib, self->memory_at->len * n_nodes);
  }
  if (scan->current_us < 0)
    return TRUE;
  g_array_index (self->memory_used_mib, guint64,
                 (gsize) (self->memory_at->len - 1) * n_nodes + sample->node) =
    sample->total_mib > sample->free_mib ? sample->total_mib - sample->free_mib : 0;
  self->total_mib[sample->node] = sample->total_mib;
  return TRUE;
}

/* A VM's nodes for its queue wait: those of its plan, else where it is. */
static gboolean
xa_report_host_count_vm (XaStoreVmRow *vm, gpointer user_data, GError **error G_GNUC_UNUSED)
{
  g_autoptr(XaStoreVmRow) row = vm;
  XaReportHost *self = user_data;

  self->n_vms++;
  self->n_in_state[row->state]++;
  if (row->first_wait_s < 0)
    return TRUE;
  g_array_append_val (self->waits_s, row->first_wait_s);
  for (guint n = 0; n < self->host->n_nodes; n++) {
    if (row->planned_nodes != 0 ? xa_nodeset_has (row->planned_nodes, n) : row->actual_mib[n] > 0)
      g_array_append_val (self->node_waits_s[n], row->first_wait_s);
  }
  return TRUE;
}

static gint
xa_report_compare_seconds (gconstpointer a, gconstpointer b)
{
  gdouble x = *(const gdouble *) a;
  gdouble y = *(const gdouble *) b;

  return (x > y) - (x < y);
}

/**
 * xa_report_host_new:
 * @store: the ledger
 * @host: a host of it; it must outlive the result
 * @range: what to report of it
 * @error: a #GError
 *
 * Returns: (transfer full) (nullable): what the report says of @host
 *   before its VMs
 */
XaReportHost *
xa_report_host_new (XaStore *store, const XaStoreHostRow *host, const XaStoreReportRange *range,
                    GError **error)
{
  g_autoptr(XaReportHost) self = g_new0 (XaReportHost, 1);
  XaReportMemoryScan scan = { self, 0, 1, -1 };

  self->host = host;
  self->range = *range;
  self->memory_at = g_array_new (FALSE, TRUE, sizeof (XaStoreTime));
  self->memory_used_mib = g_array_new (FALSE, TRUE, sizeof (guint64));
  self->total_mib = g_new0 (guint64, MAX (host->n_nodes, 1));
  self->waits_s = g_array_new (FALSE, FALSE, sizeof (gdouble));
  self->node_waits_s = g_new0 (GArray *, MAX (host->n_nodes, 1));
  for (guint n = 0; n < host->n_nodes; n++)
    self->node_waits_s[n] = g_array_new (FALSE, FALSE, sizeof (gdouble));
  self->batches = xa_store_report_batches (store, range, error);
  if (self->batches == NULL ||
      !xa_store_report_node_memory (store, range, xa_report_host_add_sample, &scan, error) ||
      !xa_store_report_vms (store, range, xa_report_host_count_vm, self, error))
    return NULL;
  g_array_sort (self->waits_s, xa_report_compare_seconds);
  for (guint n = 0; n < host->n_nodes; n++)
    g_array_sort (self->node_waits_s[n], xa_report_compare_seconds);
  return g_steal_pointer (&self);
}
