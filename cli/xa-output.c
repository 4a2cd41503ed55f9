/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <math.h>

#include "xa-output.h"

/* Seconds and milliseconds have 3 decimals in every output (FORMATS.md). */
static json_t *
xa_output_real3 (gdouble value)
{
  return json_real (round (value * 1000.0) / 1000.0);
}

void
xa_output_print_json (json_t *root)
{
  g_autofree gchar *text = json_dumps (root, JSON_INDENT (2) | JSON_REAL_PRECISION (15));

  g_print ("%s\n", text);
}

static void
xa_output_print_nodes (const XaHostInfo *info)
{
  g_print ("%-5s %10s %10s %10s %6s %6s  %s\n",
           "node", "memory", "free", "dirty", "cpus", "cores", "cpu ids");
  for (guint n = 0; n < info->n_nodes; n++) {
    const XaHostNode *hn = &info->nodes[n];
    g_autofree gchar *ids = xa_id_list_format (hn->cpus);
    const gchar *shown = ids[0] != '\0' ? ids : "-";

    g_print ("%-5u %10" G_GUINT64_FORMAT " %10" G_GUINT64_FORMAT " %10" G_GUINT64_FORMAT
             " %6u %6u  %s\n",
             n, hn->total_mib, hn->free_mib, hn->dirty_mib, hn->cpus->len, hn->n_cores, shown);
  }
}

static void
xa_output_print_distances (const XaHostInfo *info)
{
  g_print ("\nnode distances:\n%-5s", "node");
  for (guint j = 0; j < info->n_nodes; j++)
    g_print (" %4u", j);
  g_print ("\n");
  for (guint i = 0; i < info->n_nodes; i++) {
    g_print ("%-5u", i);
    for (guint j = 0; j < info->n_nodes; j++) {
      guint32 d = info->distances[i * info->n_nodes + j];

      if (d == XA_DISTANCE_UNREACHABLE)
        g_print (" %4s", "-");
      else
        g_print (" %4u", d);
    }
    g_print ("\n");
  }
}

static void
xa_output_print_domains (const XaHostInfo *info)
{
  if (info->domains->len == 0) {
    g_print ("\nno domains\n");
    return;
  }
  g_print ("\n%-24s %5s  %s\n", "domain", "vcpus", "MiB on nodes 0..n");
  for (guint i = 0; i < info->domains->len; i++) {
    const XaHostDomain *domain = g_ptr_array_index (info->domains, i);

    g_print ("%-24s %5u ", domain->name, domain->vcpus);
    for (guint n = 0; n < info->n_nodes; n++)
      g_print (" %" G_GUINT64_FORMAT, domain->memory_by_node_mib[n]);
    g_print ("\n");
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
  g_print ("host \"%s\" (%s): %u nodes, %u CPUs, %u cores%s\n",
           info->name, g_strcmp0 (kind, "sim") == 0 ? "simulated" : "Xen",
           info->n_nodes, n_cpus, n_cores, info->node_claims ? ", per-node claims" : "");
  xa_output_print_nodes (info);
  xa_output_print_distances (info);
  xa_output_print_domains (info);
}

static const gchar *
xa_output_outcome_state (XaOutcome outcome)
{
  switch (outcome) {
  case XA_OUTCOME_PLANNED:
    return "planned";
  case XA_OUTCOME_DEFERRED:
    return "deferred";
  case XA_OUTCOME_REJECTED:
    return "rejected";
  case XA_OUTCOME_FAILED:
    return "failed";
  default:
    g_assert_not_reached ();
  }
}

static json_t *
xa_output_plan_vm_to_json (const XaRequest *req, const XaPlacement *placement, guint n_nodes)
{
  json_t *jvm = json_object ();
  json_t *nodes = json_array ();
  json_t *memory = json_array ();

  for (guint n = 0; n < n_nodes; n++) {
    if (xa_nodeset_has (placement->nodes, n))
      json_array_append_new (nodes, json_integer (n));
    json_array_append_new (memory, json_integer ((json_int_t) placement->mib_by_node[n]));
  }
  json_object_set_new (jvm, "name", json_string (req->name));
  json_object_set_new (jvm, "state", json_string (xa_output_outcome_state (placement->outcome)));
  json_object_set_new (jvm, "planned_nodes", nodes);
  json_object_set_new (jvm, "memory_by_node_mib", memory);
  json_object_set_new (jvm, "queued_s", xa_output_real3 (0));
  json_object_set_new (jvm, "started_s", json_null ());
  json_object_set_new (jvm, "finished_s", json_null ());
  json_object_set_new (jvm, "attempts", json_integer (0));
  json_object_set_new (jvm, "reason", placement->reason != NULL ? json_string (placement->reason)
                                                                 : json_null ());
  return jvm;
}

typedef struct {
  guint by_outcome[XA_OUTCOME_LAST + 1];
  guint local;
  guint split;
  guint overplanned;
  guint64 overplanned_mib;
} XaPlanCounts;

static XaPlanCounts
xa_output_plan_counts (const XaPlanRun *run)
{
  XaPlanCounts counts = { { 0 } };

  for (guint i = 0; i < run->plan->n_placements; i++)
    counts.by_outcome[run->plan->placements[i].outcome]++;
  counts.local = xa_plan_count_local (run->plan);
  counts.split = counts.by_outcome[XA_OUTCOME_PLANNED] - counts.local;
  xa_plan_overplanned (run->plan, run->topo, &counts.overplanned, &counts.overplanned_mib);
  return counts;
}

/**
 * xa_output_plan_to_json:
 * @run: a dry run
 *
 * Returns: (transfer full): the run summary of FORMATS.md for @run
 */
json_t *
xa_output_plan_to_json (const XaPlanRun *run)
{
  XaPlanCounts counts = xa_output_plan_counts (run);
  json_t *root = json_object ();
  json_t *vms = json_array ();

  for (guint i = 0; i < run->requests->len; i++)
    json_array_append_new (vms, xa_output_plan_vm_to_json (g_ptr_array_index (run->requests, i),
                                                           &run->plan->placements[i],
                                                           run->plan->n_nodes));
  json_object_set_new (root, "policy", json_string (run->policy));
  json_object_set_new (root, "seed", json_null ());
  json_object_set_new (root, "host", json_string (run->host->name));
  json_object_set_new (root, "vms", json_integer (run->requests->len));
  json_object_set_new (root, "planned", json_integer (counts.by_outcome[XA_OUTCOME_PLANNED]));
  json_object_set_new (root, "running", json_integer (0));
  json_object_set_new (root, "failed", json_integer (counts.by_outcome[XA_OUTCOME_FAILED]));
  json_object_set_new (root, "deferred", json_integer (counts.by_outcome[XA_OUTCOME_DEFERRED]));
  json_object_set_new (root, "rejected", json_integer (counts.by_outcome[XA_OUTCOME_REJECTED]));
  json_object_set_new (root, "cancelled", json_integer (0));
  json_object_set_new (root, "local", json_integer (counts.local));
  json_object_set_new (root, "split", json_integer (counts.split));
  json_object_set_new (root, "spilled", json_integer (0));
  json_object_set_new (root, "remote_mib", json_integer (0));
  json_object_set_new (root, "overplanned", json_integer (counts.overplanned));
  json_object_set_new (root, "overplanned_mib", json_integer ((json_int_t) counts.overplanned_mib));
  json_object_set_new (root, "makespan_s", xa_output_real3 (0));
  json_object_set_new (root, "lower_bound_s", xa_output_real3 (0));
  json_object_set_new (root, "plan_ms", xa_output_real3 (run->plan_ms));
  json_object_set_new (root, "vm", vms);
  return root;
}

/* A planned VM without a node set is pinned, or left to Xen's default. */
static gchar *
xa_output_plan_nodes_label (const XaRequest *req, const XaPlacement *placement)
{
  if (placement->outcome != XA_OUTCOME_PLANNED || placement->nodes != 0)
    return xa_nodeset_format (placement->nodes);
  return g_strdup (req->hard_affinity != NULL ? "pinned" : "any");
}

static void
xa_output_print_plan_vm (const XaRequest *req, const XaPlacement *placement, guint n_nodes)
{
  g_autofree gchar *nodes = xa_output_plan_nodes_label (req, placement);
  g_print ("%-24s %-9s %-8s %6u %10" G_GUINT64_FORMAT " ",
           req->name, xa_output_outcome_state (placement->outcome), nodes, req->vcpus,
           req->memory_mib);
  for (guint n = 0; n < n_nodes; n++)
    g_print (" %8" G_GUINT64_FORMAT, placement->mib_by_node[n]);
  g_print ("\n");
}

static void
xa_output_print_plan_nodes (const XaPlanRun *run)
{
  g_print ("\n%-5s %10s %10s %10s\n", "node", "free", "planned", "left");
  for (guint n = 0; n < run->plan->n_nodes; n++) {
    guint64 free_mib = run->topo->nodes[n].free_mib;
    guint64 planned = 0;

    for (guint i = 0; i < run->plan->n_placements; i++)
      planned += run->plan->placements[i].mib_by_node[n];
    g_print ("%-5u %10" G_GUINT64_FORMAT " %10" G_GUINT64_FORMAT " %10" G_GINT64_FORMAT "%s\n",
             n, free_mib, planned, (gint64) free_mib - (gint64) planned,
             planned > free_mib ? "  over-planned" : "");
  }
}

static void
xa_output_print_plan_reasons (const XaPlanRun *run)
{
  gboolean header = FALSE;

  for (guint i = 0; i < run->plan->n_placements; i++) {
    const XaPlacement *placement = &run->plan->placements[i];
    const XaRequest *req = g_ptr_array_index (run->requests, i);

    if (placement->reason == NULL)
      continue;
    if (!header)
      g_print ("\n");
    header = TRUE;
    g_print ("%s %s: %s\n", req->name, xa_output_outcome_state (placement->outcome),
             placement->reason);
  }
}

/**
 * xa_output_print_plan:
 * @run: a dry run
 *
 * Prints per VM its node set and MiB per node (memory + overhead), the
 * reasons of deferred and rejected VMs, per-node totals and the counts.
 */
void
xa_output_print_plan (const XaPlanRun *run)
{
  XaPlanCounts counts = xa_output_plan_counts (run);

  g_print ("plan for %u VMs on \"%s\", policy %s\n\n", run->requests->len, run->host->name,
           run->policy);
  g_print ("%-24s %-9s %-8s %6s %10s  %s\n", "name", "state", "nodes", "vcpus", "memory",
           "MiB planned on nodes 0..n");
  for (guint i = 0; i < run->requests->len; i++)
    xa_output_print_plan_vm (g_ptr_array_index (run->requests, i), &run->plan->placements[i],
                             run->plan->n_nodes);
  xa_output_print_plan_reasons (run);
  xa_output_print_plan_nodes (run);
  g_print ("\n%u planned (%u on one node, %u split), %u deferred, %u rejected",
           counts.by_outcome[XA_OUTCOME_PLANNED], counts.local, counts.split,
           counts.by_outcome[XA_OUTCOME_DEFERRED], counts.by_outcome[XA_OUTCOME_REJECTED]);
  if (counts.by_outcome[XA_OUTCOME_FAILED] > 0)
    g_print (", %u failed", counts.by_outcome[XA_OUTCOME_FAILED]);
  g_print ("; planning took %.3f ms\n", run->plan_ms);
  if (counts.overplanned > 0)
    g_print ("over-planned VMs: %u (%" G_GUINT64_FORMAT " MiB of their memory is not free on "
             "their nodes and would land elsewhere)\n", counts.overplanned, counts.overplanned_mib);
}
