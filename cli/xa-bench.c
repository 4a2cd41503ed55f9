/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib/gstdio.h>
#include <math.h>
#include <sys/resource.h>

#include "xa-admission.h"
#include "xa-arrivals.h"
#include "xa-bench-private.h"
#include "xa-host-file.h"
#include "xa-json.h"
#include "xa-output.h"
#include "xa-plan.h"
#include "xa-scheduler.h"
#include "xa-store.h"
#include "xa-xenopsd.h"

/* Each plan is timed at least this often, and for at least this long. */
#define XA_BENCH_MIN_RUNS 3
#define XA_BENCH_MIN_MS 200.0
#define XA_BENCH_MAX_RUNS 51

static const guint xa_bench_vms[] = { 100, 1000, 10000 };
static const guint xa_bench_nodes[] = { 2, 8, 16, 64 };

/* A mix of VM sizes (MiB) with their vCPUs, the small ones more common. */
static const struct {
  guint64 memory_mib;
  guint vcpus;
  gint weight;
} xa_bench_sizes[] = {
  { 512, 1, 2 }, { 1024, 1, 3 }, { 2048, 2, 3 }, { 4096, 2, 3 },
  { 8192, 4, 2 }, { 16384, 8, 1 }, { 32768, 8, 1 },
};

typedef struct {
  gdouble ms;
  guint on_one_node;
} XaBenchResult;

GPtrArray *
xa_bench_requests (GRand *rand, guint n_vms)
{
  GPtrArray *requests = g_ptr_array_new_with_free_func ((GDestroyNotify) xa_request_free);
  gint total_weight = 0;

  for (guint s = 0; s < G_N_ELEMENTS (xa_bench_sizes); s++)
    total_weight += xa_bench_sizes[s].weight;
  for (guint i = 0; i < n_vms; i++) {
    g_autofree gchar *name = g_strdup_printf ("vm-%05u", i);
    gint pick = g_rand_int_range (rand, 0, total_weight);
    guint s = 0;
    XaRequest *req;

    while (pick >= xa_bench_sizes[s].weight)
      pick -= xa_bench_sizes[s++].weight;
    req = xa_request_new (name, xa_bench_sizes[s].memory_mib, xa_bench_sizes[s].vcpus);
    req->priority = g_rand_int_range (rand, 0, 10) == 0 ? 10 : 0;
    g_ptr_array_add (requests, req);
  }
  return requests;
}

/* Sockets of 4 nodes (10 local, 12 in the socket, 32 across), 16 CPUs and
 * 8 cores a node, free memory so that the VMs ask for XA_BENCH_FILL of it. */
static XaTopology *
xa_bench_topology (guint n_nodes, GPtrArray *requests)
{
  /* Xen's overhead, which the VMs' need includes */
  const XaTopology xen = { .overhead_mib_per_vm = 1, .overhead_kib_per_vcpu = 1176 };
  XaTopology *topo;
  guint64 need_mib = 0;
  guint64 node_mib;

  for (guint i = 0; i < requests->len; i++) {
    const XaRequest *req = g_ptr_array_index (requests, i);

    need_mib += xa_mem_request_need_mib (&xen, req);
  }
  node_mib = (guint64) ceil ((gdouble) need_mib / XA_BENCH_FILL / n_nodes / 1024.0) * 1024;
  topo = xa_topology_new_uniform (n_nodes, node_mib, 16, 8);
  topo->overhead_mib_per_vm = xen.overhead_mib_per_vm;
  topo->overhead_kib_per_vcpu = xen.overhead_kib_per_vcpu;
  for (guint n = 0; n < n_nodes; n++) {
    for (guint m = 0; m < n_nodes; m++)
      topo->distances[n * n_nodes + m] = n == m ? 10 : (n / 4 == m / 4 ? 12 : 32);
  }
  return topo;
}

gint
xa_bench_compare_ms (gconstpointer a, gconstpointer b)
{
  gdouble ma = *(const gdouble *) a;
  gdouble mb = *(const gdouble *) b;

  return ma < mb ? -1 : (ma > mb ? 1 : 0);
}

/* One plan; xenopsd builds its candidate node sets once per process, so
 * that is left out of its time. */
static XaPlan *
xa_bench_plan_once (const XaTopology *topo, GPtrArray *requests, XaPolicy policy, gdouble *ms)
{
  g_autoptr(XaXenopsd) numa = policy == XA_POLICY_BATCH ? NULL : xa_xenopsd_new (topo);
  gint64 start = g_get_monotonic_time ();
  XaPlan *plan = policy == XA_POLICY_BATCH ? xa_batch_plan (topo, requests, 0)
                                           : xa_xenopsd_batch_plan (numa, topo, requests, policy);

  *ms = (gdouble) (g_get_monotonic_time () - start) / 1000.0;
  return plan;
}

/* The median wall time of one plan, and how many VMs it puts on one node
 * that holds them. */
static XaBenchResult
xa_bench_time (const XaTopology *topo, GPtrArray *requests, XaPolicy policy)
{
  g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (gdouble));
  gdouble total_ms = 0;
  XaBenchResult result = { 0 };

  while (times->len < XA_BENCH_MAX_RUNS &&
         (times->len < XA_BENCH_MIN_RUNS || total_ms < XA_BENCH_MIN_MS)) {
    gdouble ms;
    g_autoptr(XaPlan) plan = xa_bench_plan_once (topo, requests, policy, &ms);
    guint overplanned;
    guint64 overplanned_mib;

    g_array_append_val (times, ms);
    total_ms += ms;
    xa_plan_overplanned (plan, topo, &overplanned, &overplanned_mib);
    result.on_one_node = xa_plan_count_local (plan) - overplanned;
  }
  g_array_sort (times, xa_bench_compare_ms);
  result.ms = g_array_index (times, gdouble, times->len / 2);
  return result;
}

static void
xa_bench_print_planner_head (const XaBench *bench)
{
  if (bench->json != NULL) {
    json_object_set_new (bench->json, "planner", json_array ());
    return;
  }
  if (!bench->quiet) {
    g_print ("planner: median wall time of one plan; %.0f %% of the free memory asked; "
             "seed %u\n", XA_BENCH_FILL * 100, bench->seed);
    g_print ("xenopsd: its candidate node sets are built once per process, outside the time\n"
             "1-node: VMs planned on a single node that has their memory (xenopsd's parallel\n"
             "builds may plan a node beyond its free memory)\n\n");
  }
  g_print ("%6s %6s %12s %12s %9s %12s %12s %12s\n", "VMs", "nodes", "batch ms", "xenopsd ms",
           "ratio", "batch us/VM", "batch 1-node", "xenopsd 1-node");
}

/* A row of the table, printed at once so that a long run shows progress. */
static void
xa_bench_print_planner_row (const XaBench *bench, guint n_vms, guint n_nodes,
                            const XaBenchResult *batch, const XaBenchResult *xenopsd)
{
  gdouble ratio = batch->ms / MAX (xenopsd->ms, 1e-6);
  gdouble us_per_vm = batch->ms * 1000.0 / n_vms;

  if (bench->json != NULL) {
    json_array_append_new (json_object_get (bench->json, "planner"),
                           json_pack ("{s:i, s:i, s:o, s:o, s:o, s:o, s:i, s:i}",
                                      "vms", (int) n_vms, "nodes", (int) n_nodes,
                                      "batch_ms", xa_output_real3 (batch->ms),
                                      "xenopsd_ms", xa_output_real3 (xenopsd->ms),
                                      "ratio", xa_output_real3 (ratio),
                                      "batch_us_per_vm", xa_output_real3 (us_per_vm),
                                      "batch_one_node", (int) batch->on_one_node,
                                      "xenopsd_one_node", (int) xenopsd->on_one_node));
    return;
  }
  g_print ("%6u %6u %12.3f %12.3f %9.2f %12.3f %12u %12u\n", n_vms, n_nodes, batch->ms,
           xenopsd->ms, ratio, us_per_vm, batch->on_one_node, xenopsd->on_one_node);
  fflush (stdout);
}

/**
 * xa_bench_planner:
 * @bench: the seed, the signals, where the table goes
 * @error: a #GError, %G_IO_ERROR_CANCELLED on a signal
 *
 * Times one plan of 100, 1,000 and 10,000 VMs on hosts of 2, 8, 16 and 64
 * nodes, batch and xenopsd on the same input, and prints a table with the
 * ratio and, for each, how many VMs end up on one node that holds them.
 *
 * Returns: %FALSE if a signal stopped it
 */
gboolean
xa_bench_planner (const XaBench *bench, GError **error)
{
  xa_bench_print_planner_head (bench);
  for (guint v = 0; v < G_N_ELEMENTS (xa_bench_vms); v++) {
    for (guint h = 0; h < G_N_ELEMENTS (xa_bench_nodes); h++) {
      g_autoptr(GRand) rand = g_rand_new_with_seed (bench->seed);
      g_autoptr(GPtrArray) requests = xa_bench_requests (rand, xa_bench_vms[v]);
      g_autoptr(XaTopology) topo = xa_bench_topology (xa_bench_nodes[h], requests);
      XaBenchResult batch;
      XaBenchResult xenopsd;

      if (!xa_cli_signals_check (bench->signals, error))
        return FALSE;
      batch = xa_bench_time (topo, requests, XA_POLICY_BATCH);
      if (!xa_cli_signals_check (bench->signals, error))
        return FALSE;
      xenopsd = xa_bench_time (topo, requests, XA_POLICY_XENOPSD);
      xa_bench_print_planner_row (bench, xa_bench_vms[v], xa_bench_nodes[h], &batch, &xenopsd);
    }
  }
  return TRUE;
}

#define XA_BENCH_STORE_RUNS 3
#define XA_BENCH_STORE_SUBMITS 10000
#define XA_BENCH_STORE_ADMITS 1000
#define XA_BENCH_STORE_NODES 8

typedef struct {
  gdouble submit_ms;
  gdouble admit_ms;
} XaBenchStoreRun;

static XaStoreTime
xa_bench_now (void)
{
  XaStoreTime now = { g_get_real_time (), 0 };

  return now;
}

/* The first @count queued requests, planned as one batch. */
XaPlan *
xa_bench_plan_queued (GPtrArray *queued, guint count, GPtrArray *batch)
{
  g_autoptr(GPtrArray) reqs = g_ptr_array_new ();
  g_autoptr(XaTopology) topo = NULL;

  for (guint i = 0; i < count; i++) {
    g_ptr_array_add (batch, g_ptr_array_index (queued, i));
    g_ptr_array_add (reqs, ((XaStoreRequest *) g_ptr_array_index (queued, i))->req);
  }
  topo = xa_bench_topology (XA_BENCH_STORE_NODES, reqs);
  return xa_batch_plan (topo, reqs, 0);
}

/* One fresh ledger: a bulk submit, then one admission. */
static gboolean
xa_bench_store_once (const gchar *path, guint32 seed, XaBenchStoreRun *run, GError **error)
{
  g_autoptr(XaStore) store = xa_store_open (path, error);
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr(GPtrArray) requests = xa_bench_requests (rand, XA_BENCH_STORE_SUBMITS);
  guint64 node_mib[XA_BENCH_STORE_NODES];
  XaStoreSnapshot snapshot = { XA_BENCH_STORE_NODES, node_mib, node_mib, 0, NULL };
  g_autoptr(GPtrArray) queued = NULL;
  g_autoptr(GPtrArray) batch = g_ptr_array_new ();
  g_autoptr(XaPlan) plan = NULL;
  XaStoreBatch info = { "batch", 0, 0, xa_bench_now () };
  gint64 host_id = 0;
  gint64 start;

  for (guint n = 0; n < XA_BENCH_STORE_NODES; n++)
    node_mib[n] = G_GUINT64_CONSTANT (1) << 20;
  if (store == NULL ||
      !xa_store_ensure_host (store, "bench", "bench-8n", "sim", XA_BENCH_STORE_NODES,
                             xa_bench_now (), &host_id, error) ||
      !xa_store_refresh (store, host_id, &snapshot, xa_bench_now (), &info.snapshot_id, error))
    return FALSE;
  start = g_get_monotonic_time ();
  if (!xa_store_submit (store, host_id, "bench", requests, NULL, xa_bench_now (), NULL, error))
    return FALSE;
  run->submit_ms = (gdouble) (g_get_monotonic_time () - start) / 1000.0;
  queued = xa_store_list_requests (store, host_id, XA_REQUEST_QUEUED, error);
  if (queued == NULL)
    return FALSE;
  plan = xa_bench_plan_queued (queued, XA_BENCH_STORE_ADMITS, batch);
  start = g_get_monotonic_time ();
  if (!xa_store_admit_batch (store, host_id, &info, batch, plan, error))
    return FALSE;
  run->admit_ms = (gdouble) (g_get_monotonic_time () - start) / 1000.0;
  return TRUE;
}

/* Removes a ledger's files, and @dir (nullable) if it is then empty. */
void
xa_bench_remove_ledger (const gchar *dir, const gchar *path)
{
  const gchar *suffixes[] = { "", "-wal", "-shm", ".lock" };

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++) {
    g_autofree gchar *file = g_strconcat (path, suffixes[i], NULL);

    g_unlink (file);
  }
  if (dir != NULL)
    g_rmdir (dir);
}

static void
xa_bench_print_store (const XaBench *bench, gdouble submit_ms, gdouble admit_ms)
{
  if (bench->json != NULL) {
    json_object_set_new (bench->json, "store",
                         json_pack ("{s:i, s:i, s:o, s:i, s:o}", "runs", XA_BENCH_STORE_RUNS,
                                    "submit_requests", XA_BENCH_STORE_SUBMITS,
                                    "submit_ms", xa_output_real3 (submit_ms),
                                    "admit_placements", XA_BENCH_STORE_ADMITS,
                                    "admit_ms", xa_output_real3 (admit_ms)));
    return;
  }
  if (!bench->quiet)
    g_print ("store: median of %u runs, each in a fresh ledger in %s\n", XA_BENCH_STORE_RUNS,
             g_get_tmp_dir ());
  g_print ("  submit %u requests, one call:     %9.3f ms  (target <= 1000 ms)\n",
           XA_BENCH_STORE_SUBMITS, submit_ms);
  g_print ("  admit a batch of %u placements:  %9.3f ms  (target <= 50 ms)\n",
           XA_BENCH_STORE_ADMITS, admit_ms);
  fflush (stdout);
}

/**
 * xa_bench_store:
 * @bench: the seed, the signals, where the table goes
 * @error: a #GError, %G_IO_ERROR_CANCELLED on a signal
 *
 * Times, in fresh ledgers in a temporary directory, the submission of
 * 10,000 requests in one call and the admission of a batch of 1,000, and
 * prints the medians of three runs.
 *
 * Returns: %TRUE if every run worked
 */
gboolean
xa_bench_store (const XaBench *bench, GError **error)
{
  gdouble submit_ms[XA_BENCH_STORE_RUNS];
  gdouble admit_ms[XA_BENCH_STORE_RUNS];

  for (guint r = 0; r < XA_BENCH_STORE_RUNS; r++) {
    g_autofree gchar *dir = NULL;
    g_autofree gchar *path = NULL;
    XaBenchStoreRun run = { 0 };
    gboolean ok;

    if (!xa_cli_signals_check (bench->signals, error) ||
        (dir = g_dir_make_tmp ("xadmit-bench-XXXXXX", error)) == NULL)
      return FALSE;
    path = g_build_filename (dir, "xadmit.db", NULL);
    ok = xa_bench_store_once (path, bench->seed, &run, error);
    xa_bench_remove_ledger (dir, path);
    if (!ok)
      return FALSE;
    submit_ms[r] = run.submit_ms;
    admit_ms[r] = run.admit_ms;
  }
  qsort (submit_ms, XA_BENCH_STORE_RUNS, sizeof (gdouble), xa_bench_compare_ms);
  qsort (admit_ms, XA_BENCH_STORE_RUNS, sizeof (gdouble), xa_bench_compare_ms);
  xa_bench_print_store (bench, submit_ms[XA_BENCH_STORE_RUNS / 2],
                        admit_ms[XA_BENCH_STORE_RUNS / 2]);
  return TRUE;
}

#define XA_BENCH_STORM_VMS 1000
#define XA_BENCH_STORM_NODES 8

/* A host file of @n_nodes nodes of 32 CPUs and 16 cores, sockets of four
 * (10 / 12 / 32), sized so that the VMs ask for XA_BENCH_FILL of its
 * memory. */
gboolean
xa_bench_write_host (const gchar *path, guint n_nodes, GPtrArray *requests, GPtrArray *faults,
                     GError **error)
{
  g_autoptr(XaTopology) topo = xa_bench_topology (n_nodes, requests);
  g_autofree gchar *name = g_strdup_printf ("bench-%un", n_nodes);
  g_autoptr(XaHostInfo) info = xa_host_info_new (name, n_nodes);
  g_autoptr(json_t) root = NULL;
  g_autofree gchar *text = NULL;

  for (guint n = 0; n < n_nodes; n++) {
    info->nodes[n].total_mib = info->nodes[n].free_mib = topo->nodes[n].free_mib;
    info->nodes[n].n_cores = 16;
    for (guint c = 0; c < 32; c++) {
      guint id = n * 32 + c;

      g_array_append_val (info->nodes[n].cpus, id);
    }
  }
  memcpy (info->distances, topo->distances, sizeof (guint32) * n_nodes * n_nodes);
  root = xa_host_file_to_json (info, faults);
  text = json_dumps (root, JSON_INDENT (2));
  return g_file_set_contents (path, text, -1, error);
}

/* How a storm is admitted: batch in both modes, and xenopsd's way, which
 * is never strict (docs/formats.md, Run summary). */
typedef struct {
  XaPolicy policy;
  gboolean strict;
} XaBenchStormMode;

static const XaBenchStormMode xa_bench_storm_modes[] = {
  { XA_POLICY_BATCH, TRUE }, { XA_POLICY_BATCH, FALSE }, { XA_POLICY_XENOPSD, FALSE },
};

gdouble
xa_bench_cpu_us (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return (gdouble) (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * G_USEC_PER_SEC +
         (gdouble) (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

/* Queues the storm on a fresh host and ledger, each VM at its time of
 * @at_s (%NULL: all at once), and runs it; with @state_path, the host keeps
 * its state there as --sim-state does. */
gboolean
xa_bench_run_storm (const gchar *host_path, const gchar *state_path, const gchar *db_path,
                    GPtrArray *requests, GPtrArray *guests, const gdouble *at_s,
                    const XaSchedulerOptions *options, XaBenchStorm *storm, GError **error)
{
  g_autofree gchar *spec = g_strdup_printf ("sim:%s", host_path);
  g_autoptr(XaHost) host = xa_host_open (spec, state_path, error);
  g_autoptr(XaAdmission) admission = NULL;
  g_autoptr(XaArrivals) arrivals = NULL;
  XaScheduler *scheduler;
  gint64 start_us = g_get_monotonic_time ();
  gdouble start_cpu = xa_bench_cpu_us ();

  if (host == NULL ||
      (admission = xa_admission_open (host, db_path, options, NULL, error)) == NULL ||
      (arrivals = xa_arrivals_new (admission, "storm", requests, guests, at_s, error)) == NULL)
    return FALSE;
  scheduler = xa_admission_get_scheduler (admission);
  if (!xa_scheduler_run (scheduler, error))
    return FALSE;
  storm->wall_ms = (gdouble) (g_get_monotonic_time () - start_us) / 1000.0;
  storm->cpu_us = xa_bench_cpu_us () - start_cpu;
  storm->run = xa_scheduler_get_run (scheduler);
  storm->counts = xa_scheduler_get_counts (scheduler);
  storm->statements = xa_store_get_n_statements (xa_admission_get_store (admission));
  return TRUE;
}

static void
xa_bench_print_storm_head (const XaBench *bench)
{
  if (bench->json != NULL) {
    json_object_set_new (bench->json, "storm", json_array ());
    return;
  }
  if (!bench->quiet)
    g_print ("storm: %u VMs on %u nodes, %.0f %% of the free memory asked, seed %u; "
             "host clock for the makespan, wall and CPU time for xadmit; strict: exact MiB "
             "per node, or affinity only; state: none, or a --sim-state file\n\n",
             XA_BENCH_STORM_VMS, XA_BENCH_STORM_NODES, XA_BENCH_FILL * 100, bench->seed);
  g_print ("%-8s %-6s %-5s %8s %8s %8s %10s %11s %11s %7s %9s %10s\n", "policy", "strict",
           "state", "running",
           "1-node", "spilled", "remote GiB", "makespan s", "lower bound", "ratio", "wall ms",
           "CPU us/VM");
}

static void
xa_bench_print_storm (const XaBench *bench, const XaBenchStorm *storm, gboolean with_state)
{
  const XaRun *run = storm->run;
  XaRunCounts counts = xa_run_count (run);
  gdouble remote_gib = (gdouble) counts.remote_mib / 1024.0;
  gdouble ratio = run->makespan_s / MAX (run->lower_bound_s, 1e-9);
  gdouble cpu_us_per_vm = storm->cpu_us / run->vms->len;

  if (bench->json != NULL) {
    json_array_append_new (json_object_get (bench->json, "storm"),
                           json_pack ("{s:s, s:b, s:b, s:i, s:i, s:i, s:o, s:o, s:o, s:o, s:o, "
                                      "s:o}", "policy", run->policy, "strict", run->strict,
                                      "sim_state", with_state,
                                      "running", (int) counts.running,
                                      "local", (int) counts.local,
                                      "spilled", (int) counts.spilled,
                                      "remote_gib", xa_output_real3 (remote_gib),
                                      "makespan_s", xa_output_real3 (run->makespan_s),
                                      "lower_bound_s", xa_output_real3 (run->lower_bound_s),
                                      "ratio", xa_output_real3 (ratio),
                                      "wall_ms", xa_output_real3 (storm->wall_ms),
                                      "cpu_us_per_vm", xa_output_real3 (cpu_us_per_vm)));
    return;
  }
  g_print ("%-8s %-6s %-5s %8u %8u %8u %10.1f %11.1f %11.1f %7.3f %9.0f %10.1f\n",
           run->policy, run->strict ? "yes" : "no", with_state ? "file" : "none", counts.running, counts.local, counts.spilled,
           remote_gib, run->makespan_s, run->lower_bound_s, ratio, storm->wall_ms,
           cpu_us_per_vm);
  fflush (stdout);
}

/* One storm in @mode on a fresh ledger, with or without a state file. */
static gboolean
xa_bench_storm_once (const XaBench *bench, const gchar *dir, const gchar *host_path,
                     GPtrArray *requests, const XaBenchStormMode *mode, gboolean with_state,
                     GError **error)
{
  g_autofree gchar *db = g_strdup_printf ("%s/%s.db", dir, xa_policy_to_string (mode->policy));
  g_autofree gchar *state = with_state ? g_build_filename (dir, "state.json", NULL) : NULL;
  XaSchedulerOptions options = XA_SCHEDULER_OPTIONS_DEFAULT;
  XaBenchStorm storm = { 0 };
  gboolean ok;

  options.policy = mode->policy;
  options.strict = mode->strict;
  options.seed = bench->seed;
  ok = xa_cli_signals_check (bench->signals, error) &&
       xa_bench_run_storm (host_path, state, db, requests, NULL, NULL, &options, &storm,
                           error);
  if (ok)
    xa_bench_print_storm (bench, &storm, with_state);
  g_clear_pointer (&storm.run, xa_run_free);
  xa_bench_remove_ledger (NULL, db);
  if (state != NULL)
    g_unlink (state);
  return ok;
}

/**
 * xa_bench_storm:
 * @bench: the seed of the VM mix and the build times, the signals, where
 *   the table goes
 * @error: a #GError, %G_IO_ERROR_CANCELLED on a signal
 *
 * Boots a storm of 1,000 VMs on an 8-node simulated host, batch strict
 * and not, and xenopsd, on the same input, each with a fresh ledger in a temporary
 * directory, without and with a state file (--sim-state), and prints
 * locality, makespan against the lower bound, wall time and CPU time per
 * VM.
 *
 * Returns: %TRUE if every run worked
 */
gboolean
xa_bench_storm (const XaBench *bench, GError **error)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (bench->seed);
  g_autoptr(GPtrArray) requests = xa_bench_requests (rand, XA_BENCH_STORM_VMS);
  g_autofree gchar *dir = g_dir_make_tmp ("xadmit-storm-XXXXXX", error);
  g_autofree gchar *host_path = NULL;
  gboolean ok = TRUE;

  if (dir == NULL)
    return FALSE;
  host_path = g_build_filename (dir, "host.json", NULL);
  if (!xa_bench_write_host (host_path, XA_BENCH_STORM_NODES, requests, NULL, error)) {
    g_rmdir (dir);
    return FALSE;
  }
  xa_bench_print_storm_head (bench);
  for (guint m = 0; m < G_N_ELEMENTS (xa_bench_storm_modes) && ok; m++) {
    const XaBenchStormMode *mode = &xa_bench_storm_modes[m];

    ok = xa_bench_storm_once (bench, dir, host_path, requests, mode, FALSE, error) &&
         xa_bench_storm_once (bench, dir, host_path, requests, mode, TRUE, error);
  }
  g_unlink (host_path);
  g_rmdir (dir);
  return ok;
}
