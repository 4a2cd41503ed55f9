/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-output.h"
#include "xa-report-private.h"
#include "xa-text.h"

/* `report --format table` (for people, 100 columns) and `--format csv` (a
 * row per VM, RFC 4180). */

#define XA_REPORT_COLUMNS 100
#define XA_REPORT_NAME_WIDTH 18
#define XA_REPORT_NODES_WIDTH 7
#define XA_REPORT_POLICY_WIDTH 17

/* Seconds with 3 decimals, "-" for what did not happen. */
static gchar *
xa_report_text_seconds (gdouble seconds)
{
  return seconds >= 0 ? g_strdup_printf ("%.3f", seconds) : g_strdup ("-");
}

static void
xa_report_table_batch (XaReport *report, const XaStoreReportBatch *batch)
{
  g_autofree gchar *when = xa_report_time (batch->row.at.wall_us);
  g_autofree gchar *policy = xa_output_cut (batch->row.policy, XA_REPORT_POLICY_WIDTH);
  g_autofree gchar *makespan = xa_report_text_seconds (batch->makespan_s);

  fprintf (report->out,
           "  %6" G_GINT64_FORMAT " %s %-*s %4u %5u %5u %7u %8" G_GUINT64_FORMAT " %8.3f %9s\n",
           batch->row.id, when, xa_output_field_width (policy, XA_REPORT_POLICY_WIDTH), policy,
           batch->row.n_requests, batch->row.n_local, batch->n_split, batch->n_spilled,
           batch->remote_mib, batch->row.plan_ms, makespan);
}

static void
xa_report_table_range (XaReport *report, const XaReportHost *host)
{
  g_autofree gchar *since = xa_report_time (report->since_us);
  g_autofree gchar *until = xa_report_time (report->until_us);
  const guint *in = host->n_in_state;

  fprintf (report->out, "%s%u %s queued from %s to %s (UTC): %u running, %u failed, "
           "%u queued, %u other\n", report->vm_name != NULL ? "requests of that VM: " : "",
           host->n_vms, xa_text_plural (host->n_vms, "VM", "VMs"),
           report->since_us > 0 ? since : "the start",
           report->until_us < G_MAXINT64 ? until : "now",
           in[XA_REQUEST_RUNNING], in[XA_REQUEST_FAILED], in[XA_REQUEST_QUEUED],
           host->n_vms - in[XA_REQUEST_RUNNING] - in[XA_REQUEST_FAILED] - in[XA_REQUEST_QUEUED]);
}

static gboolean
xa_report_table_host (XaReport *report, const XaReportHost *host, GError **error)
{
  g_autofree gchar *name = xa_output_cut (host->host->name, XA_TEXT_QUOTE_MAX_CHARS);
  g_autofree gchar *ledger = xa_output_cut (report->ledger, XA_REPORT_COLUMNS - 7);

  fprintf (report->out, "%shost %s (%s, %u %s), ledger:\n  %s\n", report->n_hosts > 0 ? "\n" : "",
           name, host->host->kind, host->host->n_nodes,
           xa_text_plural (host->host->n_nodes, "node", "nodes"), ledger);
  if (report->vm_name != NULL)
    fprintf (report->out, "VM %s\n", report->vm_name);
  xa_report_table_range (report, host);
  fprintf (report->out, "\n%u %s (VMs built on one node, split, spilled; remote MiB; makespan "
           "s):\n  %6s %-19s %-*s %4s %5s %5s %7s %8s %8s %9s\n", host->batches->len,
           xa_text_plural (host->batches->len, "batch", "batches"), "batch", "time (UTC)",
           XA_REPORT_POLICY_WIDTH, "policy", "VMs", "local", "split", "spilled", "remote",
           "plan ms", "makespan");
  for (guint i = 0; i < host->batches->len; i++)
    xa_report_table_batch (report, g_ptr_array_index (host->batches, i));
  fprintf (report->out, "\nVMs (MiB with Xen's overhead; waits and builds in seconds, host "
           "clock):\n  %-*s  %-9s %-*s %5s %8s %8s %9s %9s %7s\n", XA_REPORT_NAME_WIDTH, "name",
           "state", XA_REPORT_NODES_WIDTH, "nodes", "tries", "wait", "build", "planned",
           "built", "spilled");
  return TRUE;
}

static void
xa_report_table_events (XaReport *report, GPtrArray *events)
{
  for (guint i = 0; i < events->len; i++) {
    const XaStoreEvent *event = g_ptr_array_index (events, i);
    g_autofree gchar *when = xa_report_time (event->at.wall_us);
    g_autoptr(GString) line = g_string_new (NULL);
    g_autofree gchar *shown = NULL;
    g_autofree gchar *wrapped = NULL;

    g_string_append_printf (line, "%s %s", when, event->to);
    if (event->batch_id != 0)
      g_string_append_printf (line, " (batch %" G_GINT64_FORMAT ")", event->batch_id);
    if (event->reason != NULL)
      g_string_append_printf (line, ": %s", event->reason);
    shown = xa_text_quote_full (line->str, -1, XA_TEXT_MESSAGE_MAX_BYTES, XA_TEXT_QUOTE_BARE);
    wrapped = xa_output_wrap (shown, 6, XA_REPORT_COLUMNS);
    fputs (wrapped, report->out);
  }
}

static gboolean
xa_report_table_vm (XaReport *report, const XaReportHost *host, const XaStoreVmRow *vm,
                    GPtrArray *events, GError **error)
{
  guint n_nodes = host->host->n_nodes;
  g_autofree gchar *name = xa_output_cut (vm->name, XA_REPORT_NAME_WIDTH);
  g_autofree gchar *set = xa_nodeset_format (vm->planned_nodes);
  g_autofree gchar *nodes = xa_output_cut (vm->planned_nodes != 0 ? set : "-",
                                           XA_REPORT_NODES_WIDTH);
  g_autofree gchar *wait = xa_report_text_seconds (vm->first_wait_s);
  g_autofree gchar *build = xa_report_text_seconds (vm->build_s);

  fprintf (report->out, "  %-*s  %-9s %-*s %5u %8s %8s %9" G_GUINT64_FORMAT " %9" G_GUINT64_FORMAT
           " %7" G_GUINT64_FORMAT "\n", xa_output_field_width (name, XA_REPORT_NAME_WIDTH), name,
           xa_request_state_to_string (vm->state),
           xa_output_field_width (nodes, XA_REPORT_NODES_WIDTH), nodes, vm->attempts, wait,
           build, xa_report_vm_total (vm->planned_mib, n_nodes),
           xa_report_vm_total (vm->actual_mib, n_nodes), vm->spilled_mib);
  if (vm->reason != NULL) {
    g_autofree gchar *reason = xa_text_quote_full (vm->reason, -1, XA_TEXT_MESSAGE_MAX_BYTES,
                                                   XA_TEXT_QUOTE_BARE);
    g_autofree gchar *wrapped = xa_output_wrap (reason, 4, XA_REPORT_COLUMNS);

    fputs (wrapped, report->out);
  }
  if (events != NULL)
    xa_report_table_events (report, events);
  return TRUE;
}

static gboolean
xa_report_table_host_end (XaReport *report, const XaReportHost *host, GError **error)
{
  guint n_points = host->memory_at->len;
  gdouble waits[XA_REPORT_N_WAITS];

  xa_report_host_waits (host->waits_s, waits);
  fprintf (report->out, "\nnodes (in use: at the last snapshot; queue waits of the VMs planned "
           "there, s):\n  %-4s %10s %10s %6s %9s %9s %9s\n", "node", "total MiB", "in use",
           "VMs", "wait p50", "p95", "max");
  for (guint n = 0; n < host->host->n_nodes; n++) {
    guint64 used = n_points > 0 ? g_array_index (host->memory_used_mib, guint64,
                                                 (gsize) (n_points - 1) * host->host->n_nodes + n)
                                : 0;
    gdouble node[XA_REPORT_N_WAITS];
    g_autofree gchar *p50 = NULL;
    g_autofree gchar *p95 = NULL;
    g_autofree gchar *max = NULL;

    xa_report_host_waits (host->node_waits_s[n], node);
    p50 = xa_report_text_seconds (node[0]);
    p95 = xa_report_text_seconds (node[1]);
    max = xa_report_text_seconds (node[2]);
    fprintf (report->out, "  %-4u %10" G_GUINT64_FORMAT " %10" G_GUINT64_FORMAT " %6u %9s %9s "
             "%9s\n", n, host->total_mib[n], used, host->node_waits_s[n]->len, p50, p95, max);
  }
  fprintf (report->out, "queue wait (queued to first build start), %u started: p50 %.3f s, "
           "p95 %.3f s, max %.3f s\n", host->waits_s->len, MAX (waits[0], 0), MAX (waits[1], 0),
           MAX (waits[2], 0));
  return TRUE;
}

const XaReportFormat xa_report_format_table = {
  NULL, xa_report_table_host, xa_report_table_vm, xa_report_table_host_end, NULL,
};

/* RFC 4180: a field with a comma, a quote or a line break is quoted, its
 * quotes doubled. */
static void
xa_report_csv_field (XaReport *report, const gchar *text, gboolean last)
{
  if (text == NULL) {
    fputs (last ? "\r\n" : ",", report->out);
    return;
  }
  if (strpbrk (text, ",\"\r\n") != NULL) {
    fputc ('"', report->out);
    for (const gchar *c = text; *c != '\0'; c++) {
      if (*c == '"')
        fputc ('"', report->out);
      fputc (*c, report->out);
    }
    fputc ('"', report->out);
  } else {
    fputs (text, report->out);
  }
  fputs (last ? "\r\n" : ",", report->out);
}

static const gchar *const xa_report_csv_columns[] = {
  "host", "id", "name", "submission", "group", "state", "reason", "attempts", "memory_mib",
  "planned_nodes", "planned_by_node_mib", "actual_by_node_mib", "spilled_mib", "queued",
  "started", "finished", "queue_wait_s", "build_s", NULL,
};

static gboolean
xa_report_csv_begin (XaReport *report, GError **error)
{
  for (guint i = 0; xa_report_csv_columns[i] != NULL; i++)
    xa_report_csv_field (report, xa_report_csv_columns[i], xa_report_csv_columns[i + 1] == NULL);
  return TRUE;
}

/* MiB per node, "4100;0": one field whatever the node count. */
static gchar *
xa_report_csv_mib (const guint64 *mib, guint n_nodes)
{
  GString *text = g_string_new (NULL);

  for (guint n = 0; n < n_nodes; n++)
    g_string_append_printf (text, "%s%" G_GUINT64_FORMAT, n > 0 ? ";" : "", mib[n]);
  return g_string_free (text, FALSE);
}

static gboolean
xa_report_csv_vm (XaReport *report, const XaReportHost *host, const XaStoreVmRow *vm,
                  GPtrArray *events, GError **error)
{
  guint n_nodes = host->host->n_nodes;
  g_autofree gchar *attempts = g_strdup_printf ("%u", vm->attempts);
  g_autofree gchar *memory = g_strdup_printf ("%" G_GUINT64_FORMAT, vm->memory_mib);
  g_autofree gchar *nodes = xa_nodeset_format (vm->planned_nodes);
  g_autofree gchar *planned = xa_report_csv_mib (vm->planned_mib, n_nodes);
  g_autofree gchar *actual = xa_report_csv_mib (vm->actual_mib, n_nodes);
  g_autofree gchar *spilled = g_strdup_printf ("%" G_GUINT64_FORMAT, vm->spilled_mib);
  g_autofree gchar *queued = xa_output_iso_time (vm->queued_wall_us);
  g_autofree gchar *started = xa_output_iso_time (vm->started_wall_us);
  g_autofree gchar *finished = xa_output_iso_time (vm->finished_wall_us);
  g_autofree gchar *wait = vm->first_wait_s >= 0 ? g_strdup_printf ("%.3f", vm->first_wait_s)
                                                  : NULL;
  g_autofree gchar *build = vm->build_s >= 0 ? g_strdup_printf ("%.3f", vm->build_s) : NULL;
  const gchar *fields[] = {
    host->host->name, vm->uuid, vm->name, vm->group_id, vm->group,
    xa_request_state_to_string (vm->state), vm->reason, attempts, memory, nodes, planned, actual,
    spilled, queued, started, finished, wait, build,
  };

  G_STATIC_ASSERT (G_N_ELEMENTS (fields) == G_N_ELEMENTS (xa_report_csv_columns) - 1);
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    xa_report_csv_field (report, fields[i], i + 1 == G_N_ELEMENTS (fields));
  return TRUE;
}

const XaReportFormat xa_report_format_csv = {
  xa_report_csv_begin, NULL, xa_report_csv_vm, NULL, NULL,
};
