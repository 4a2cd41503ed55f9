/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <math.h>
#include <string.h>

#include "xa-json.h"
#include "xa-output.h"
#include "xa-text.h"

/* docs/formats.md, JSON on stdout: indented by two spaces */
#define XA_OUTPUT_JSON_FLAGS (JSON_INDENT (2) | JSON_REAL_PRECISION (15))

/* Seconds and milliseconds have 3 decimals in every output (docs/formats.md). */
json_t *
xa_output_real3 (gdouble value)
{
  return json_real (round (value * 1000.0) / 1000.0);
}

/**
 * xa_output_iso_time:
 * @wall_us: a wall-clock time, microseconds since the epoch; 0 for none
 *
 * Returns: (transfer full) (nullable): ISO 8601 UTC, to the microsecond;
 *   %NULL for 0 (it did not happen)
 */
gchar *
xa_output_iso_time (gint64 wall_us)
{
  g_autoptr(GDateTime) second = NULL;
  g_autoptr(GDateTime) time = NULL;

  if (wall_us <= 0)
    return NULL;
  second = g_date_time_new_from_unix_utc (wall_us / G_USEC_PER_SEC);
  time = g_date_time_add (second, wall_us % G_USEC_PER_SEC);
  return g_date_time_format_iso8601 (time);
}

/* An ISO 8601 UTC time, or JSON null for 0 (it did not happen). */
json_t *
xa_output_time_to_json (gint64 wall_us)
{
  g_autofree gchar *text = xa_output_iso_time (wall_us);

  return text != NULL ? json_string (text) : json_null ();
}

/**
 * xa_output_cut:
 * @text: a value for a table's column
 * @width: the column's width, in characters
 *
 * Returns: (transfer full): @text made safe for one line, cut to @width
 *   characters with … last where it was cut
 */
gchar *
xa_output_cut (const gchar *text, guint width)
{
  g_autofree gchar *shown = xa_text_quote_full (text, -1, XA_TEXT_QUOTE_MAX_CHARS,
                                                XA_TEXT_QUOTE_BARE);
  g_autofree gchar *head = NULL;

  if (g_utf8_strlen (shown, -1) <= width)
    return g_steal_pointer (&shown);
  head = g_utf8_substring (shown, 0, width - 1);
  return g_strconcat (head, "…", NULL);
}

/* printf's width, in bytes, that pads @text to @width characters. */
gint
xa_output_field_width (const gchar *text, gint width)
{
  return width + (gint) strlen (text) - (gint) g_utf8_strlen (text, -1);
}

/**
 * xa_output_wrap:
 * @text: words
 * @indent: blanks before each line
 * @columns: the width of a line, @indent included
 *
 * Returns: (transfer full): @text on lines of at most @columns, each ending
 *   in a newline (a word longer than a line, alone on its own)
 */
gchar *
xa_output_wrap (const gchar *text, guint indent, guint columns)
{
  g_auto(GStrv) words = g_strsplit (text, " ", -1);
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GString) line = g_string_new (NULL);

  for (guint i = 0; words[i] != NULL; i++) {
    if (line->len > 0 && indent + line->len + 1 + strlen (words[i]) > columns) {
      g_string_append_printf (out, "%*s%s\n", (gint) indent, "", line->str);
      g_string_truncate (line, 0);
    }
    g_string_append_printf (line, "%s%s", line->len > 0 ? " " : "", words[i]);
  }
  if (line->len > 0)
    g_string_append_printf (out, "%*s%s\n", (gint) indent, "", line->str);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* Written as it is made: a plan of 100,000 VMs on 64 nodes is 100 MiB of
 * text, which need not be held whole, let alone twice. */
void
xa_output_print_json (json_t *root)
{
  json_dumpf (root, stdout, XA_OUTPUT_JSON_FLAGS);
  fputc ('\n', stdout);
}

static void
xa_output_print_nodes (const XaHostInfo *info)
{
  g_print ("%-5s %10s %10s %10s %6s %6s  %s\n",
           "node", "memory", "free", "dirty", "cpus", "cores", "cpu ids");
  for (guint n = 0; n < info->n_nodes; n++) {
    const XaHostNode *hn = &info->nodes[n];
    g_autofree gchar *ids = xa_nodeset_format_ids (hn->cpus);
    const gchar *shown = ids[0] != '\0' ? ids : "-";

    g_print ("%-5u %10" G_GUINT64_FORMAT " %10" G_GUINT64_FORMAT " %10" G_GUINT64_FORMAT
             " %6u %6u  %s\n",
             n, hn->total_mib, hn->free_mib, hn->dirty_mib, hn->cpus->len, hn->n_cores, shown);
  }
}

/* Distance columns a block of the matrix shows, so that a line of a host of
 * 64 nodes stays within 80 columns. */
#define XA_OUTPUT_DISTANCE_COLUMNS 16

static void
xa_output_print_distance_block (const XaHostInfo *info, guint first, guint last)
{
  g_print ("%-5s", "node");
  for (guint j = first; j <= last; j++)
    g_print (" %3u", j);
  g_print ("\n");
  for (guint i = 0; i < info->n_nodes; i++) {
    g_print ("%-5u", i);
    for (guint j = first; j <= last; j++) {
      guint32 d = info->distances[i * info->n_nodes + j];

      if (d == XA_DISTANCE_UNREACHABLE)
        g_print (" %3s", "-");
      else
        g_print (" %3u", d);
    }
    g_print ("\n");
  }
}

/* The matrix in blocks of XA_OUTPUT_DISTANCE_COLUMNS destination nodes. */
static void
xa_output_print_distances (const XaHostInfo *info)
{
  for (guint first = 0; first < info->n_nodes; first += XA_OUTPUT_DISTANCE_COLUMNS) {
    guint last = MIN (first + XA_OUTPUT_DISTANCE_COLUMNS, info->n_nodes) - 1;

    if (info->n_nodes <= XA_OUTPUT_DISTANCE_COLUMNS)
      g_print ("\nnode distances:\n");
    else
      g_print ("\nnode distances to nodes %u-%u:\n", first, last);
    xa_output_print_distance_block (info, first, last);
  }
}

/* Longer domain names are printed whole, out of line, rather than widen
 * every row. */
#define XA_OUTPUT_NAME_WIDTH 32

/* A domain's memory as "node:MiB" for the nodes that hold any. */
static gchar *
xa_output_format_domain_memory (const XaHostDomain *domain, guint n_nodes, guint64 *total_mib)
{
  GString *text = g_string_new (NULL);

  *total_mib = 0;
  for (guint n = 0; n < n_nodes; n++) {
    if (domain->memory_by_node_mib[n] == 0)
      continue;
    *total_mib += domain->memory_by_node_mib[n];
    g_string_append_printf (text, "%s%u:%" G_GUINT64_FORMAT, text->len > 0 ? " " : "", n,
                            domain->memory_by_node_mib[n]);
  }
  return g_string_free (text, FALSE);
}

static void
xa_output_print_domains (const XaHostInfo *info)
{
  gint width = (gint) strlen ("domain");

  if (info->domains->len == 0) {
    g_print ("\nno domains\n");
    return;
  }
  for (guint i = 0; i < info->domains->len; i++) {
    const XaHostDomain *domain = g_ptr_array_index (info->domains, i);

    width = MAX (width, (gint) MIN (strlen (domain->name), XA_OUTPUT_NAME_WIDTH));
  }
  g_print ("\n%-*s %5s %10s  %s\n", width, "domain", "vcpus", "MiB", "node:MiB");
  for (guint i = 0; i < info->domains->len; i++) {
    const XaHostDomain *domain = g_ptr_array_index (info->domains, i);
    guint64 total_mib;
    g_autofree gchar *by_node = xa_output_format_domain_memory (domain, info->n_nodes, &total_mib);

    g_print ("%-*s %5u %10" G_GUINT64_FORMAT "  %s\n", width, domain->name, domain->vcpus,
             total_mib, by_node[0] != '\0' ? by_node : "-");
  }
}

/**
 * xa_output_print_host:
 * @info: a host
 * @kind: "sim" or "xen"
 *
 * Prints what `xl info -n` would, in MiB: per node memory and CPUs, the
 * distance matrix, and the resident domains.
 */
void
xa_output_print_host (const XaHostInfo *info, const gchar *kind)
{
  guint n_cpus = 0;
  guint n_cores = 0;

  for (guint n = 0; n < info->n_nodes; n++) {
    n_cpus += info->nodes[n].cpus->len;
    n_cores += info->nodes[n].n_cores;
  }
  g_print ("host \"%s\" (%s): %u %s, %u %s, %u %s%s\n",
           info->name, g_strcmp0 (kind, "sim") == 0 ? "simulated" : "Xen",
           info->n_nodes, xa_text_plural (info->n_nodes, "node", "nodes"),
           n_cpus, xa_text_plural (n_cpus, "CPU", "CPUs"),
           n_cores, xa_text_plural (n_cores, "core", "cores"),
           info->node_claims ? ", per-node claims" : "");
  xa_output_print_nodes (info);
  xa_output_print_distances (info);
  xa_output_print_domains (info);
}

static json_t *
xa_output_time_or_null (gdouble seconds)
{
  return seconds >= 0 ? xa_output_real3 (seconds) : json_null ();
}

static json_t *
xa_output_run_vm_to_json (const XaRunVm *vm, guint n_nodes)
{
  json_t *jvm = json_object ();
  json_t *nodes = json_array ();
  json_t *memory = json_array ();

  for (guint n = 0; n < n_nodes; n++) {
    if (xa_nodeset_has (vm->planned_nodes, n))
      json_array_append_new (nodes, json_integer (n));
    json_array_append_new (memory, json_integer ((json_int_t) vm->memory_by_node_mib[n]));
  }
  json_object_set_new (jvm, "name", json_string (vm->name));
  json_object_set_new (jvm, "state", json_string (xa_run_state_to_string (vm->state)));
  json_object_set_new (jvm, "planned_nodes", nodes);
  json_object_set_new (jvm, "memory_by_node_mib", memory);
  json_object_set_new (jvm, "queued_s", xa_output_real3 (vm->queued_s));
  json_object_set_new (jvm, "started_s", xa_output_time_or_null (vm->started_s));
  json_object_set_new (jvm, "finished_s", xa_output_time_or_null (vm->finished_s));
  json_object_set_new (jvm, "attempts", json_integer (vm->attempts));
  json_object_set_new (jvm, "reason", vm->reason != NULL ? json_string (vm->reason) : json_null ());
  return jvm;
}

/* true, false, or null when no exact search ran (docs/formats.md) */
static json_t *
xa_output_optimal_to_json (XaPlanOptimal optimal)
{
  switch (optimal) {
  case XA_PLAN_OPTIMAL_PROVEN:
    return json_true ();
  case XA_PLAN_OPTIMAL_UNPROVEN:
    return json_false ();
  case XA_PLAN_OPTIMAL_UNKNOWN:
  default:
    return json_null ();
  }
}

/* The run summary with an empty "vm", to be filled or written after. */
static json_t *
xa_output_run_head_to_json (const XaRun *run)
{
  XaRunCounts counts = xa_run_count (run);
  json_t *root = json_object ();
  json_object_set_new (root, "policy", json_string (run->policy));
  json_object_set_new (root, "seed", run->seed >= 0 ? json_integer (run->seed) : json_null ());
  /* a dry run builds nothing, so it has no mode (docs/formats.md) */
  if (run->seed >= 0)
    json_object_set_new (root, "strict", json_boolean (run->strict));
  json_object_set_new (root, "host", json_string (run->host));
  json_object_set_new (root, "vms", json_integer (run->vms->len));
  json_object_set_new (root, "planned", json_integer (counts.planned));
  json_object_set_new (root, "running", json_integer (counts.running));
  json_object_set_new (root, "failed", json_integer (counts.failed));
  json_object_set_new (root, "deferred", json_integer (counts.deferred));
  json_object_set_new (root, "rejected", json_integer (counts.rejected));
  json_object_set_new (root, "cancelled", json_integer (counts.cancelled));
  json_object_set_new (root, "ended", json_integer (counts.ended));
  json_object_set_new (root, "local", json_integer (counts.local));
  json_object_set_new (root, "split", json_integer (counts.split));
  json_object_set_new (root, "spilled", json_integer (counts.spilled));
  json_object_set_new (root, "remote_mib", json_integer ((json_int_t) counts.remote_mib));
  json_object_set_new (root, "overplanned", json_integer (run->overplanned));
  json_object_set_new (root, "overplanned_mib", json_integer ((json_int_t) run->overplanned_mib));
  json_object_set_new (root, "makespan_s", xa_output_real3 (run->makespan_s));
  json_object_set_new (root, "lower_bound_s", xa_output_real3 (run->lower_bound_s));
  json_object_set_new (root, "plan_ms", xa_output_real3 (run->plan_ms));
  json_object_set_new (root, "optimal", xa_output_optimal_to_json (run->optimal));
  json_object_set_new (root, "vm", json_array ());
  return root;
}

/**
 * xa_output_run_to_json:
 * @run: a run
 *
 * Returns: (transfer full): the run summary of docs/formats.md
 */
json_t *
xa_output_run_to_json (const XaRun *run)
{
  json_t *root = xa_output_run_head_to_json (run);
  json_t *vms = json_object_get (root, "vm");

  for (guint i = 0; i < run->vms->len; i++)
    json_array_append_new (vms, xa_output_run_vm_to_json (g_ptr_array_index (run->vms, i),
                                                          run->n_nodes));
  return root;
}

/* @vm's JSON, indented as an element of the summary's "vm". */
static void
xa_output_print_run_vm_json (const XaRunVm *vm, guint n_nodes)
{
  g_autoptr(json_t) jvm = xa_output_run_vm_to_json (vm, n_nodes);
  g_autofree gchar *text = json_dumps (jvm, XA_OUTPUT_JSON_FLAGS);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    printf ("%s    %s", i > 0 ? "\n" : "", lines[i]);
}

/**
 * xa_output_print_run_json:
 * @run: a run
 *
 * Prints xa_output_run_to_json() as xa_output_print_json() would, a VM at
 * a time: the summary of 1.2 million VMs on 64 nodes is gigabytes as
 * jansson's objects, and a few hundred MiB of text.
 */
void
xa_output_print_run_json (const XaRun *run)
{
  g_autoptr(json_t) head = xa_output_run_head_to_json (run);
  g_autofree gchar *text = json_dumps (head, XA_OUTPUT_JSON_FLAGS);
  const gchar *empty = "\"vm\": []";
  gchar *vms = g_strrstr (text, empty);

  g_return_if_fail (vms != NULL);
  *vms = '\0';
  /* stdio, not g_print(), which flushes at every call */
  printf ("%s\"vm\": [", text);
  for (guint i = 0; i < run->vms->len; i++) {
    fputs (i > 0 ? ",\n" : "\n", stdout);
    xa_output_print_run_vm_json (g_ptr_array_index (run->vms, i), run->n_nodes);
  }
  printf ("%s%s\n", run->vms->len > 0 ? "\n  ]" : "]", vms + strlen (empty));
}

/* A VM without a node set is pinned, or left to Xen's default. */
static gchar *
xa_output_nodes_label (const XaRunVm *vm)
{
  gboolean placed = vm->state == XA_RUN_STATE_PLANNED || vm->state == XA_RUN_STATE_RUNNING;

  if (!placed || vm->planned_nodes != 0)
    return xa_nodeset_format (vm->planned_nodes);
  return g_strdup (vm->pinned ? "pinned" : "any");
}

static void
xa_output_print_run_vm (const XaRunVm *vm, guint n_nodes)
{
  g_autofree gchar *nodes = xa_output_nodes_label (vm);

  g_print ("%-24s %-9s %-8s %6u %10" G_GUINT64_FORMAT " ",
           vm->name, xa_run_state_to_string (vm->state), nodes, vm->vcpus, vm->memory_mib);
  for (guint n = 0; n < n_nodes; n++)
    g_print (" %8" G_GUINT64_FORMAT, vm->memory_by_node_mib[n]);
  g_print ("\n");
}

static void
xa_output_print_run_nodes (const XaRun *run, const gchar *column)
{
  g_print ("\n%-5s %10s %10s %10s\n", "node", "free", column, "left");
  for (guint n = 0; n < run->n_nodes; n++) {
    guint64 free_mib = run->free_mib[n];
    guint64 used = 0;

    gint64 left;

    for (guint i = 0; i < run->vms->len; i++) {
      const XaRunVm *vm = g_ptr_array_index (run->vms, i);

      /* a VM left alone held its memory before the run began */
      used += vm->left_alone ? 0 : vm->memory_by_node_mib[n];
    }
    /* a boot's "left" is what the host shows at the end; a plan's, its guess */
    left = run->left_mib != NULL ? (gint64) run->left_mib[n] : (gint64) free_mib - (gint64) used;
    g_print ("%-5u %10" G_GUINT64_FORMAT " %10" G_GUINT64_FORMAT " %10" G_GINT64_FORMAT "%s\n",
             n, free_mib, used, left,
             run->left_mib == NULL && used > free_mib ? "  over-planned" : "");
  }
}

static void
xa_output_print_run_reasons (const XaRun *run)
{
  gboolean header = FALSE;

  for (guint i = 0; i < run->vms->len; i++) {
    const XaRunVm *vm = g_ptr_array_index (run->vms, i);

    if (vm->reason == NULL)
      continue;
    if (!header)
      g_print ("\n");
    header = TRUE;
    g_print ("%s %s: %s\n", vm->name, xa_run_state_to_string (vm->state), vm->reason);
  }
}

static void
xa_output_print_plan_counts (const XaRun *run, const XaRunCounts *counts)
{
  g_print ("\n%u planned (%u on one node, %u split), %u deferred, %u rejected",
           counts->planned, counts->local, counts->split, counts->deferred, counts->rejected);
  if (counts->failed > 0)
    g_print (", %u failed", counts->failed);
  g_print ("; planning took %.3f ms", run->plan_ms);
  if (run->optimal == XA_PLAN_OPTIMAL_PROVEN)
    g_print ("; proven optimal");
  else if (run->optimal == XA_PLAN_OPTIMAL_UNPROVEN)
    g_print ("; not proven optimal (the exact search ran out of steps)");
  g_print ("\n");
  if (run->overplanned > 0)
    g_print ("over-planned: %u %s (%" G_GUINT64_FORMAT " MiB of their memory is not free on "
             "their nodes and would land elsewhere)\n", run->overplanned,
             xa_text_plural (run->overplanned, "VM", "VMs"), run->overplanned_mib);
}

static void
xa_output_print_boot_counts (const XaRun *run, const XaRunCounts *counts)
{
  g_print ("\n%u running (%u on one node, %u split; %u spilled, %" G_GUINT64_FORMAT
           " MiB off their nodes), %u failed, %u deferred, %u rejected, %u cancelled, %u ended\n",
           counts->running, counts->local, counts->split, counts->spilled, counts->remote_mib,
           counts->failed, counts->deferred, counts->rejected, counts->cancelled, counts->ended);
  g_print ("makespan %.3f s (lower bound %.3f s, host clock); planning took %.3f ms\n",
           run->makespan_s, run->lower_bound_s, run->plan_ms);
  g_print ("%s\n", run->strict ? "strict: each build got exactly its planned MiB per node"
                               : "not strict: builds followed node affinity, and memory may "
                                 "spill to other nodes");
}

/**
 * xa_output_print_run:
 * @run: a run
 *
 * Prints per VM its state, node set and MiB per node (planned in a dry run,
 * where the host put it in a boot), the reasons, per-node totals and the
 * counts.
 */
void
xa_output_print_run (const XaRun *run)
{
  XaRunCounts counts = xa_run_count (run);
  gboolean dry = run->seed < 0;

  g_print ("%s %u %s on \"%s\", policy %s", dry ? "plan for" : "boot of", run->vms->len,
           xa_text_plural (run->vms->len, "VM", "VMs"), run->host, run->policy);
  if (!dry)
    g_print (", seed %" G_GINT64_FORMAT, run->seed);
  g_print ("\n\n");
  g_print ("%-24s %-9s %-8s %6s %10s  %s\n", "name", "state", "nodes", "vcpus", "memory",
           dry ? "MiB planned on nodes 0..n" : "MiB on nodes 0..n, as the host reports it");
  for (guint i = 0; i < run->vms->len; i++)
    xa_output_print_run_vm (g_ptr_array_index (run->vms, i), run->n_nodes);
  xa_output_print_run_reasons (run);
  xa_output_print_run_nodes (run, dry ? "planned" : "placed");
  if (dry)
    xa_output_print_plan_counts (run, &counts);
  else
    xa_output_print_boot_counts (run, &counts);
}
