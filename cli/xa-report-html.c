/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-output.h"
#include "xa-report-private.h"
#include "xa-report-svg.h"

/* `report --format html`: one page, its style and charts inline, no
 * script, no external asset; legible on a 1280-px screen, and printable. */

/* Locality bars: more batches than this are grouped, oldest first. */
#define XA_HTML_MAX_BARS 60
/* Over this span, the memory chart's times have their day. */
#define XA_HTML_DAY_US (G_GINT64_CONSTANT (86400) * G_USEC_PER_SEC)
/* The queue-wait histogram's bins. */
#define XA_HTML_WAIT_BINS 20

static const gchar xa_html_head[] =
  "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
  "<title>xadmit report</title>\n<style>\n"
  "body { font-family: \"DejaVu Sans\", sans-serif; font-size: 14px; color: #222;"
  " max-width: 1200px; margin: 1em auto; padding: 0 1em; }\n"
  "h1 { font-size: 1.6em; } h2 { font-size: 1.3em; border-bottom: 1px solid #999; }\n"
  "figure { margin: 1em 0; } figcaption { font-weight: bold; margin-bottom: .3em; }\n"
  "svg.chart { width: 100%; height: auto; display: block; }\n"
  "table { border-collapse: collapse; width: 100%; margin: .5em 0 1.5em; font-size: 12px; }\n"
  "th, td { border-bottom: 1px solid #ddd; padding: 2px 6px; text-align: left;"
  " vertical-align: top; }\n"
  "th { background: #eee; } td.n { text-align: right; font-variant-numeric: tabular-nums; }\n"
  "td.t { white-space: nowrap; } ul.log { margin: 0; padding-left: 1.2em; }\n"
  ".note { color: #555; }\n"
  "@media print {\n"
  "  body { max-width: none; margin: 0; font-size: 10pt; }\n"
  "  figure, tr { break-inside: avoid; } thead { display: table-header-group; }\n"
  "  h2 { break-before: page; } section:first-of-type h2 { break-before: auto; }\n"
  "  th { background: none; border-bottom: 1px solid #000; }\n"
  "}\n"
  "</style>\n</head>\n<body>\n";

static void
xa_html_text (XaReport *report, const gchar *text)
{
  g_autofree gchar *escaped = g_markup_escape_text (text != NULL ? text : "", -1);

  fputs (escaped, report->out);
}

static gboolean
xa_html_begin (XaReport *report, GError **error)
{
  g_autofree gchar *since = xa_output_iso_time (report->since_us);
  g_autofree gchar *until = report->until_us < G_MAXINT64 ? xa_output_iso_time (report->until_us)
                                                          : NULL;

  fputs (xa_html_head, report->out);
  fputs ("<h1>xadmit report</h1>\n<p class=\"note\">Ledger ", report->out);
  xa_html_text (report, report->ledger);
  fputs ("; VMs queued from ", report->out);
  xa_html_text (report, since != NULL ? since : "the start");
  fputs (" to ", report->out);
  xa_html_text (report, until != NULL ? until : "now");
  if (report->vm_name != NULL) {
    fputs ("; VM ", report->out);
    xa_html_text (report, report->vm_name);
  }
  fputs (". Waits and builds are in seconds on the host's clock; MiB include Xen's "
         "overhead.</p>\n", report->out);
  return TRUE;
}

/* "HH:MM" or, over days, "MM-DD HH:MM", UTC. */
static gchar *
xa_html_clock (gint64 wall_us, gboolean days)
{
  g_autoptr(GDateTime) at = g_date_time_new_from_unix_utc (wall_us / G_USEC_PER_SEC);

  return at != NULL ? g_date_time_format (at, days ? "%m-%d %H:%M" : "%H:%M:%S") : g_strdup ("");
}

/* Where each snapshot stands on the time axis, 0 … 1: by the host's
 * clock (a simulated host's builds take no wall time) where it only moves
 * forward over them, else by the wall clock; FALSE if all were at once. */
static gboolean
xa_html_memory_axis (GArray *memory_at, gdouble *at, gboolean *out_host_clock)
{
  const XaStoreTime *first = &g_array_index (memory_at, XaStoreTime, 0);
  const XaStoreTime *last = &g_array_index (memory_at, XaStoreTime, memory_at->len - 1);
  gboolean forward = last->host_s > first->host_s;

  for (guint i = 1; i < memory_at->len && forward; i++)
    forward = g_array_index (memory_at, XaStoreTime, i).host_s >=
              g_array_index (memory_at, XaStoreTime, i - 1).host_s;
  *out_host_clock = forward;
  for (guint i = 0; i < memory_at->len; i++) {
    const XaStoreTime *now = &g_array_index (memory_at, XaStoreTime, i);

    at[i] = forward ? (now->host_s - first->host_s) / (last->host_s - first->host_s)
                    : (gdouble) (now->wall_us - first->wall_us) /
                      (gdouble) MAX (last->wall_us - first->wall_us, 1);
  }
  return forward || last->wall_us > first->wall_us;
}

static void
xa_html_memory_chart (XaReport *report, const XaReportHost *host, guint index)
{
  guint n_nodes = host->host->n_nodes;
  guint n_points = host->memory_at->len;
  g_autoptr(GPtrArray) series = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) labels = g_ptr_array_new_with_free_func (g_free);
  g_autofree gdouble *values = g_new0 (gdouble, (gsize) MAX (n_points, 1) * n_nodes);
  g_autofree gdouble *at = g_new0 (gdouble, MAX (n_points, 1));
  g_autofree gchar *id = g_strdup_printf ("memory-%u", index);
  gboolean host_clock = FALSE;
  gboolean days = n_points > 0 &&
                  g_array_index (host->memory_at, XaStoreTime, n_points - 1).wall_us -
                  g_array_index (host->memory_at, XaStoreTime, 0).wall_us > XA_HTML_DAY_US;
  XaSvgChart chart = { id, "Memory in use per node over time (stacked)", "GiB", n_nodes, NULL,
                       n_nodes, n_points, NULL, values, "no snapshot of the host in the range" };

  for (guint n = 0; n < n_nodes; n++)
    g_ptr_array_add (series, g_strdup_printf ("node %u", n));
  if (n_points > 0 && xa_html_memory_axis (host->memory_at, at, &host_clock))
    chart.at = at;
  for (guint i = 0; i < n_points; i++) {
    const XaStoreTime *when = &g_array_index (host->memory_at, XaStoreTime, i);

    g_ptr_array_add (labels, host_clock ? g_strdup_printf ("%.1f s", when->host_s)
                                        : xa_html_clock (when->wall_us, days));
    for (guint n = 0; n < n_nodes; n++)
      values[(gsize) i * n_nodes + n] =
        (gdouble) g_array_index (host->memory_used_mib, guint64, (gsize) i * n_nodes + n) / 1024;
  }
  chart.series = (const gchar *const *) series->pdata;
  chart.x_labels = (const gchar *const *) labels->pdata;
  fprintf (report->out, "<figure><figcaption>Memory in use per node (total less free, as each "
           "snapshot of the host recorded it), over %s</figcaption>\n",
           host_clock ? "the host's clock" : "the wall clock, UTC");
  xa_svg_stacked_area (report->out, &chart);
  fputs ("</figure>\n", report->out);
}

/* Batch @i's VMs on one node, split, and spilled, added to @values. */
static void
xa_html_add_locality (const XaStoreReportBatch *batch, gdouble *values)
{
  values[0] += batch->row.n_local;
  values[1] += batch->n_split;
  values[2] += batch->n_spilled;
}

static void
xa_html_locality_chart (XaReport *report, const XaReportHost *host, guint index)
{
  static const gchar *const series[] = { "on one node", "split", "spilled" };
  guint n_batches = host->batches->len;
  guint per_bar = (n_batches + XA_HTML_MAX_BARS - 1) / XA_HTML_MAX_BARS;
  guint n_bars = per_bar > 0 ? (n_batches + per_bar - 1) / per_bar : 0;
  g_autoptr(GPtrArray) labels = g_ptr_array_new_with_free_func (g_free);
  g_autofree gdouble *values = g_new0 (gdouble, (gsize) MAX (n_bars, 1) * 3);
  g_autofree gchar *id = g_strdup_printf ("locality-%u", index);
  XaSvgChart chart = { id, "Locality of the VMs each batch built", "VMs", 3, series, 2, n_bars,
                       NULL, values, "no batch in the range" };

  for (guint b = 0; b < n_bars; b++) {
    const XaStoreReportBatch *first = g_ptr_array_index (host->batches, b * per_bar);
    guint end = MIN ((b + 1) * per_bar, n_batches);
    const XaStoreReportBatch *last = g_ptr_array_index (host->batches, end - 1);

    for (guint i = b * per_bar; i < end; i++)
      xa_html_add_locality (g_ptr_array_index (host->batches, i), &values[b * 3]);
    g_ptr_array_add (labels, first == last
      ? g_strdup_printf ("batch %" G_GINT64_FORMAT, first->row.id)
      : g_strdup_printf ("batches %" G_GINT64_FORMAT "-%" G_GINT64_FORMAT, first->row.id,
                         last->row.id));
  }
  chart.x_labels = (const gchar *const *) labels->pdata;
  fputs ("<figure><figcaption>Locality per batch: VMs built on one node or split (stacked); "
         "spilled, beyond their planned nodes (narrow)</figcaption>\n", report->out);
  xa_svg_bars (report->out, &chart);
  fputs ("</figure>\n", report->out);
}

static void
xa_html_wait_chart (XaReport *report, const XaReportHost *host, guint index)
{
  static const gchar *const series[] = { "VMs" };
  guint n_waits = host->waits_s->len;
  gdouble max = n_waits > 0 ? g_array_index (host->waits_s, gdouble, n_waits - 1) : 0;
  gdouble width = max > 0 ? max / XA_HTML_WAIT_BINS : 1;
  guint n_bins = n_waits > 0 ? XA_HTML_WAIT_BINS : 0;
  g_autoptr(GPtrArray) labels = g_ptr_array_new_with_free_func (g_free);
  gdouble values[XA_HTML_WAIT_BINS] = { 0 };
  g_autofree gchar *id = g_strdup_printf ("waits-%u", index);
  XaSvgChart chart = { id, "Queue waits", "VMs", 1, series, 1, n_bins, NULL, values,
                       "no VM in the range started" };

  for (guint i = 0; i < n_waits; i++) {
    gdouble wait = g_array_index (host->waits_s, gdouble, i);

    values[MIN ((guint) (wait / width), XA_HTML_WAIT_BINS - 1)]++;
  }
  for (guint b = 0; b < n_bins; b++)
    g_ptr_array_add (labels, g_strdup_printf ("%.3g s", width * b));
  chart.x_labels = (const gchar *const *) labels->pdata;
  fputs ("<figure><figcaption>Queue waits (queued to first build start, host clock): VMs per "
         "interval</figcaption>\n", report->out);
  xa_svg_bars (report->out, &chart);
  fputs ("</figure>\n", report->out);
}

/* A number cell; -1 seconds is a dash. */
static void
xa_html_seconds_cell (XaReport *report, gdouble seconds)
{
  if (seconds >= 0)
    fprintf (report->out, "<td class=\"n\">%.3f</td>", seconds);
  else
    fputs ("<td class=\"n\">-</td>", report->out);
}

static void
xa_html_batches (XaReport *report, const XaReportHost *host)
{
  fputs ("<table class=\"batches\"><thead><tr><th>batch</th><th>time (UTC)</th><th>policy</th>"
         "<th>VMs</th><th>planned</th><th>deferred</th><th>rejected</th><th>on one node</th>"
         "<th>split</th><th>spilled</th><th>remote MiB</th><th>planning ms</th>"
         "<th>makespan s</th></tr></thead><tbody>\n", report->out);
  for (guint i = 0; i < host->batches->len; i++) {
    const XaStoreReportBatch *batch = g_ptr_array_index (host->batches, i);
    g_autofree gchar *when = xa_report_time (batch->row.at.wall_us);

    fprintf (report->out, "<tr><td class=\"n\">%" G_GINT64_FORMAT "</td><td class=\"t\">",
             batch->row.id);
    xa_html_text (report, when);
    fputs ("</td><td>", report->out);
    xa_html_text (report, batch->row.policy);
    fprintf (report->out, "</td><td class=\"n\">%u</td><td class=\"n\">%u</td>"
             "<td class=\"n\">%u</td><td class=\"n\">%u</td><td class=\"n\">%u</td>"
             "<td class=\"n\">%u</td><td class=\"n\">%u</td><td class=\"n\">%" G_GUINT64_FORMAT
             "</td><td class=\"n\">%.3f</td>", batch->row.n_requests, batch->row.n_planned,
             batch->row.n_deferred, batch->row.n_rejected, batch->row.n_local, batch->n_split,
             batch->n_spilled, batch->remote_mib, batch->row.plan_ms);
    xa_html_seconds_cell (report, batch->makespan_s);
    fputs ("</tr>\n", report->out);
  }
  fputs ("</tbody></table>\n", report->out);
}

static void
xa_html_nodes (XaReport *report, const XaReportHost *host)
{
  gdouble waits[XA_REPORT_N_WAITS];

  fputs ("<table class=\"nodes\"><thead><tr><th>node</th><th>total MiB</th>"
         "<th>VMs started</th><th>wait p50 s</th><th>p95 s</th><th>max s</th></tr></thead>"
         "<tbody>\n", report->out);
  for (guint n = 0; n <= host->host->n_nodes; n++) {
    const GArray *node_waits = n < host->host->n_nodes ? host->node_waits_s[n] : host->waits_s;

    xa_report_host_waits (node_waits, waits);
    if (n < host->host->n_nodes)
      fprintf (report->out, "<tr><td class=\"n\">%u</td><td class=\"n\">%" G_GUINT64_FORMAT
               "</td>", n, host->total_mib[n]);
    else
      fputs ("<tr><th>all</th><td></td>", report->out);
    fprintf (report->out, "<td class=\"n\">%u</td>", node_waits->len);
    for (guint k = 0; k < XA_REPORT_N_WAITS; k++)
      xa_html_seconds_cell (report, waits[k]);
    fputs ("</tr>\n", report->out);
  }
  fputs ("</tbody></table>\n", report->out);
}

static gboolean
xa_html_host (XaReport *report, const XaReportHost *host, GError **error)
{
  guint index = report->n_hosts;

  fprintf (report->out, "<section id=\"host-%u\">\n<h2>Host ", index);
  xa_html_text (report, host->host->name);
  fprintf (report->out, " (%s, %u nodes)</h2>\n<p>%u VMs queued in the range: %u running, "
           "%u failed, %u still queued; %u batches.</p>\n", host->host->kind,
           host->host->n_nodes, host->n_vms, host->n_in_state[XA_REQUEST_RUNNING],
           host->n_in_state[XA_REQUEST_FAILED], host->n_in_state[XA_REQUEST_QUEUED],
           host->batches->len);
  xa_html_memory_chart (report, host, index);
  xa_html_locality_chart (report, host, index);
  xa_html_wait_chart (report, host, index);
  fputs ("<h3>Batches</h3>\n", report->out);
  xa_html_batches (report, host);
  fputs ("<h3>Queue waits per node (VMs planned there)</h3>\n", report->out);
  xa_html_nodes (report, host);
  fprintf (report->out, "<h3>VMs</h3>\n<table class=\"vms\" id=\"vms-%u\"><thead><tr>"
           "<th>name</th><th>state</th><th>nodes</th><th>planned MiB</th><th>built MiB</th>"
           "<th>spilled MiB</th><th>attempts</th><th>queued (UTC)</th><th>wait s</th>"
           "<th>build s</th><th>reason</th></tr></thead><tbody>\n", index);
  return TRUE;
}

/* "0: 4100 · 1: 2000", the nodes that hold any; "-" for none. */
static void
xa_html_mib_cell (XaReport *report, const guint64 *mib, guint n_nodes)
{
  gboolean any = FALSE;

  fputs ("<td class=\"n\">", report->out);
  for (guint n = 0; n < n_nodes; n++) {
    if (mib[n] == 0)
      continue;
    fprintf (report->out, "%s%u: %" G_GUINT64_FORMAT, any ? "<br>" : "", n, mib[n]);
    any = TRUE;
  }
  fputs (any ? "</td>" : "-</td>", report->out);
}

static void
xa_html_events (XaReport *report, GPtrArray *events)
{
  fputs ("<ul class=\"log\">", report->out);
  for (guint i = 0; i < events->len; i++) {
    const XaStoreEvent *event = g_ptr_array_index (events, i);
    g_autofree gchar *when = xa_output_iso_time (event->at.wall_us);

    fputs ("<li>", report->out);
    xa_html_text (report, when);
    fputs (" ", report->out);
    xa_html_text (report, event->to);
    if (event->batch_id != 0)
      fprintf (report->out, " (batch %" G_GINT64_FORMAT ")", event->batch_id);
    if (event->reason != NULL) {
      fputs (": ", report->out);
      xa_html_text (report, event->reason);
    }
    fputs ("</li>", report->out);
  }
  fputs ("</ul>", report->out);
}

static gboolean
xa_html_vm (XaReport *report, const XaReportHost *host, const XaStoreVmRow *vm,
            GPtrArray *events, GError **error)
{
  guint n_nodes = host->host->n_nodes;
  g_autofree gchar *nodes = xa_nodeset_format (vm->planned_nodes);
  g_autofree gchar *queued = xa_report_time (vm->queued_wall_us);

  fputs ("<tr><td>", report->out);
  xa_html_text (report, vm->name);
  fprintf (report->out, "</td><td>%s</td><td>", xa_request_state_to_string (vm->state));
  xa_html_text (report, vm->planned_nodes != 0 ? nodes : "-");
  fputs ("</td>", report->out);
  xa_html_mib_cell (report, vm->planned_mib, n_nodes);
  xa_html_mib_cell (report, vm->actual_mib, n_nodes);
  fprintf (report->out, "<td class=\"n\">%" G_GUINT64_FORMAT "</td><td class=\"n\">%u</td>"
           "<td class=\"t\">", vm->spilled_mib, vm->attempts);
  xa_html_text (report, queued);
  fputs ("</td>", report->out);
  xa_html_seconds_cell (report, vm->first_wait_s);
  xa_html_seconds_cell (report, vm->build_s);
  fputs ("<td>", report->out);
  xa_html_text (report, vm->reason);
  if (events != NULL)
    xa_html_events (report, events);
  fputs ("</td></tr>\n", report->out);
  return TRUE;
}

static gboolean
xa_html_host_end (XaReport *report, const XaReportHost *host, GError **error)
{
  fputs ("</tbody></table>\n</section>\n", report->out);
  return TRUE;
}

static gboolean
xa_html_end (XaReport *report, GError **error)
{
  if (report->n_hosts == 0)
    fputs ("<p>The ledger knows no host.</p>\n", report->out);
  fputs ("</body>\n</html>\n", report->out);
  return TRUE;
}

const XaReportFormat xa_report_format_html = {
  xa_html_begin, xa_html_host, xa_html_vm, xa_html_host_end, xa_html_end,
};
