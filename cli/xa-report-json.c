/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "xa-json.h"
#include "xa-output.h"
#include "xa-report-private.h"

/* `report --format json`: one document (docs/formats.md, What report
 * --json prints), written as it goes: a host's VMs one a line, never all
 * of them in memory. */

static json_t *
xa_report_json_seconds (gdouble seconds)
{
  return seconds >= 0 ? xa_output_real3 (seconds) : json_null ();
}

static json_t *
xa_report_json_string (const gchar *text)
{
  return text != NULL ? json_string (text) : json_null ();
}

/* @object's text without its closing brace, to go on with members of our
 * own; FALSE if jansson could not write it. */
static gboolean
xa_report_json_open (XaReport *report, json_t *object, gsize flags, GError **error)
{
  g_autofree gchar *text = json_dumps (object, flags | JSON_REAL_PRECISION (15));
  gchar *brace = text != NULL ? strrchr (text, '}') : NULL;

  if (brace == NULL) {
    g_set_error_literal (error, XA_ERROR, XA_ERROR_FAILED, "cannot write the report as JSON");
    return FALSE;
  }
  while (brace > text && (brace[-1] == '\n' || brace[-1] == ' '))
    brace--;
  *brace = '\0';
  fputs (text, report->out);
  return TRUE;
}

static gboolean
xa_report_json_begin (XaReport *report, GError **error)
{
  g_autoptr(json_t) head = json_pack (
    "{s:s, s:o, s:o, s:o}", "ledger", report->ledger, "since",
    xa_output_time_to_json (report->since_us), "until",
    report->until_us < G_MAXINT64 ? xa_output_time_to_json (report->until_us) : json_null (),
    "vm", xa_report_json_string (report->vm_name));

  if (!xa_report_json_open (report, head, JSON_INDENT (2), error))
    return FALSE;
  fputs (",\n  \"hosts\": [", report->out);
  return TRUE;
}

static json_t *
xa_report_json_waits (const GArray *waits_s)
{
  gdouble waits[XA_REPORT_N_WAITS];

  xa_report_host_waits (waits_s, waits);
  return json_pack ("{s:o, s:o, s:o}", "p50", xa_report_json_seconds (waits[0]), "p95",
                    xa_report_json_seconds (waits[1]), "max", xa_report_json_seconds (waits[2]));
}

static json_t *
xa_report_json_batch (const XaStoreReportBatch *batch)
{
  return json_pack ("{s:I, s:o, s:o, s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:I, s:o, s:o}",
                    "id", (json_int_t) batch->row.id, "time",
                    xa_output_time_to_json (batch->row.at.wall_us), "host_s",
                    xa_output_real3 (batch->row.at.host_s), "policy", batch->row.policy, "vms",
                    (gint) batch->row.n_requests, "planned", (gint) batch->row.n_planned,
                    "deferred",
                    (gint) batch->row.n_deferred, "rejected", (gint) batch->row.n_rejected, "built",
                    (gint) batch->row.n_built, "local", (gint) batch->row.n_local, "split",
                    (gint) batch->n_split, "spilled", (gint) batch->n_spilled, "remote_mib",
                    (json_int_t) batch->remote_mib, "plan_ms", xa_output_real3 (batch->row.plan_ms),
                    "makespan_s", xa_report_json_seconds (batch->makespan_s));
}

static json_t *
xa_report_json_mib (const guint64 *mib, guint n_nodes)
{
  json_t *array = json_array ();

  for (guint n = 0; n < n_nodes; n++)
    json_array_append_new (array, json_integer ((json_int_t) mib[n]));
  return array;
}

/* The memory in use per node at each kept snapshot. */
static json_t *
xa_report_json_memory (const XaReportHost *host)
{
  guint n_nodes = host->host->n_nodes;
  json_t *times = json_array ();
  json_t *host_s = json_array ();
  json_t *used = json_array ();

  for (guint i = 0; i < host->memory_at->len; i++) {
    const XaStoreTime *at = &g_array_index (host->memory_at, XaStoreTime, i);

    json_array_append_new (times, xa_output_time_to_json (at->wall_us));
    json_array_append_new (host_s, xa_output_real3 (at->host_s));
    json_array_append_new (used, xa_report_json_mib (&g_array_index (host->memory_used_mib,
                                                                     guint64,
                                                                     (gsize) i * n_nodes),
                                                     n_nodes));
  }
  return json_pack ("{s:o, s:o, s:o}", "times", times, "host_s", host_s, "used_mib", used);
}

static json_t *
xa_report_json_nodes (const XaReportHost *host)
{
  json_t *nodes = json_array ();

  for (guint n = 0; n < host->host->n_nodes; n++)
    json_array_append_new (nodes, json_pack ("{s:i, s:I, s:i, s:o}", "node", (gint) n,
                                             "total_mib", (json_int_t) host->total_mib[n],
                                             "vms_started", (gint) host->node_waits_s[n]->len,
                                             "queue_wait_s",
                                             xa_report_json_waits (host->node_waits_s[n])));
  return nodes;
}

static json_t *
xa_report_json_states (const XaReportHost *host)
{
  json_t *states = json_object ();

  for (guint s = 0; s <= XA_REQUEST_STATE_LAST; s++)
    json_object_set_new (states, xa_request_state_to_string ((XaRequestState) s),
                         json_integer (host->n_in_state[s]));
  return states;
}

static gboolean
xa_report_json_host (XaReport *report, const XaReportHost *host, GError **error)
{
  json_t *batches = json_array ();
  g_autoptr(json_t) head = NULL;

  for (guint i = 0; i < host->batches->len; i++)
    json_array_append_new (batches, xa_report_json_batch (g_ptr_array_index (host->batches, i)));
  head = json_pack ("{s:s, s:s, s:s, s:i, s:i, s:o, s:o, s:o, s:o, s:o}", "host",
                    host->host->name, "key", host->host->key, "kind", host->host->kind, "nodes",
                    (gint) host->host->n_nodes, "vm_count", (gint) host->n_vms, "states",
                    xa_report_json_states (host), "queue_wait_s",
                    xa_report_json_waits (host->waits_s), "batches", batches, "node_stats",
                    xa_report_json_nodes (host), "memory", xa_report_json_memory (host));
  fputs (report->n_hosts > 0 ? ",\n    " : "\n    ", report->out);
  if (!xa_report_json_open (report, head, JSON_COMPACT, error))
    return FALSE;
  fputs (",\"vms\":[", report->out);
  return TRUE;
}

static json_t *
xa_report_json_events (GPtrArray *events)
{
  json_t *array = json_array ();

  for (guint i = 0; i < events->len; i++) {
    const XaStoreEvent *event = g_ptr_array_index (events, i);

    json_array_append_new (array, json_pack (
      "{s:o, s:o, s:o, s:s, s:o}", "time", xa_output_time_to_json (event->at.wall_us), "host_s",
      xa_output_real3 (event->at.host_s), "batch",
      event->batch_id != 0 ? json_integer (event->batch_id) : json_null (), "state", event->to,
      "reason", xa_report_json_string (event->reason)));
  }
  return array;
}

static json_t *
xa_report_json_vm_times (const XaStoreVmRow *vm)
{
  return json_pack ("{s:o, s:o, s:o, s:o, s:o}", "queued",
                    xa_output_time_to_json (vm->queued_wall_us), "started",
                    xa_output_time_to_json (vm->started_wall_us), "finished",
                    xa_output_time_to_json (vm->finished_wall_us), "queue_wait_s",
                    xa_report_json_seconds (vm->first_wait_s), "build_s",
                    xa_report_json_seconds (vm->build_s));
}

static gboolean
xa_report_json_vm (XaReport *report, const XaReportHost *host, const XaStoreVmRow *vm,
                   GPtrArray *events, GError **error)
{
  guint n_nodes = host->host->n_nodes;
  json_t *nodes = json_array ();
  g_autoptr(json_t) object = NULL;
  g_autofree gchar *text = NULL;

  for (guint n = 0; n < n_nodes; n++) {
    if (xa_nodeset_has (vm->planned_nodes, n))
      json_array_append_new (nodes, json_integer (n));
  }
  object = json_pack ("{s:s, s:s, s:s, s:o, s:s, s:o, s:i, s:I, s:o, s:o, s:o, s:I}", "id",
                      vm->uuid, "name", vm->name, "submission", vm->group_id, "group",
                      xa_report_json_string (vm->group), "state",
                      xa_request_state_to_string (vm->state), "reason",
                      xa_report_json_string (vm->reason), "attempts", (gint) vm->attempts,
                      "memory_mib", (json_int_t) vm->memory_mib, "planned_nodes", nodes,
                      "planned_by_node_mib", xa_report_json_mib (vm->planned_mib, n_nodes),
                      "actual_by_node_mib", xa_report_json_mib (vm->actual_mib, n_nodes),
                      "spilled_mib", (json_int_t) vm->spilled_mib);
  json_object_update_new (object, xa_report_json_vm_times (vm));
  if (events != NULL)
    json_object_set_new (object, "events", xa_report_json_events (events));
  text = json_dumps (object, JSON_COMPACT | JSON_REAL_PRECISION (15));
  fprintf (report->out, "%s\n      %s", report->n_vms > 0 ? "," : "", text);
  return TRUE;
}

static gboolean
xa_report_json_host_end (XaReport *report, const XaReportHost *host, GError **error)
{
  fputs (report->n_vms > 0 ? "\n    ]}" : "]}", report->out);
  return TRUE;
}

static gboolean
xa_report_json_end (XaReport *report, GError **error)
{
  fputs (report->n_hosts > 0 ? "\n  ]\n}\n" : "]\n}\n", report->out);
  return TRUE;
}

const XaReportFormat xa_report_format_json = {
  xa_report_json_begin, xa_report_json_host, xa_report_json_vm, xa_report_json_host_end,
  xa_report_json_end,
};
