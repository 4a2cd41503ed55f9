/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib/gstdio.h>

#include "xa-bench-private.h"
#include "xa-output.h"
#include "xa-plan.h"

#define XA_BENCH_SCALE_NODES 16
/* Each boot runs this often; its best CPU and wall time count. */
#define XA_BENCH_SCALE_RUNS 5

static const guint xa_bench_scale_vms[] = { 1000, 2000, 5000, 10000, 20000 };
static const XaPolicy xa_bench_scale_policies[] = { XA_POLICY_BATCH, XA_POLICY_XENOPSD };

/* One size in one policy: the best of its runs. */
typedef struct {
  gdouble cpu_us;
  gdouble wall_ms;
  guint64 peak_rss_kib;
  guint64 statements;
  guint batches;
  guint64 iterations;
  guint running;
  gdouble ratio;
} XaBenchScaleRow;

/* Linux resets the peak RSS (VmHWM) when "5" is written to clear_refs:
 * each boot then shows its own peak, not the process's so far. */
static void
xa_bench_scale_reset_peak (void)
{
  g_file_set_contents ("/proc/self/clear_refs", "5", 1, NULL);
}

/* VmHWM, in KiB; 0 where /proc does not tell. */
static guint64
xa_bench_scale_peak_kib (void)
{
  g_autofree gchar *status = NULL;
  const gchar *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL) ||
      (line = strstr (status, "VmHWM:")) == NULL)
    return 0;
  return g_ascii_strtoull (line + strlen ("VmHWM:"), NULL, 10);
}

/* One boot of @requests in @policy on a fresh host and ledger in @dir. */
static gboolean
xa_bench_scale_once (const gchar *dir, const gchar *host_path, GPtrArray *requests,
                     XaPolicy policy, guint32 seed, XaBenchScaleRow *row, GError **error)
{
  g_autofree gchar *db = g_build_filename (dir, "scale.db", NULL);
  XaSchedulerOptions options = XA_SCHEDULER_OPTIONS_DEFAULT;
  XaBenchStorm storm = { 0 };
  gboolean ok;

  options.policy = policy;
  options.seed = seed;
  xa_bench_scale_reset_peak ();
  ok = xa_bench_run_storm (host_path, NULL, db, requests, NULL, NULL, &options, &storm,
                           error);
  if (ok) {
    XaRunCounts counts = xa_run_count (storm.run);

    row->cpu_us = row->cpu_us > 0 ? MIN (row->cpu_us, storm.cpu_us) : storm.cpu_us;
    row->wall_ms = row->wall_ms > 0 ? MIN (row->wall_ms, storm.wall_ms) : storm.wall_ms;
    row->peak_rss_kib = MAX (row->peak_rss_kib, xa_bench_scale_peak_kib ());
    row->statements = storm.statements;
    row->batches = storm.counts.batches;
    row->iterations = storm.counts.iterations;
    row->running = counts.running;
    row->ratio = storm.run->makespan_s / MAX (storm.run->lower_bound_s, 1e-9);
  }
  g_clear_pointer (&storm.run, xa_run_free);
  xa_bench_remove_ledger (NULL, db);
  return ok;
}

static void
xa_bench_scale_print_head (const XaBench *bench)
{
  if (bench->json != NULL) {
    json_object_set_new (bench->json, "scale", json_array ());
    return;
  }
  if (!bench->quiet)
    g_print ("scale: boot of N VMs on a %u-node simulated host, %.0f %% of the free memory "
             "asked, seed %u, a fresh ledger each run; CPU (user + system) and wall: best of "
             "%u runs; peak RSS of the boot; statements: ledger statements per VM, queueing "
             "included\n\n", XA_BENCH_SCALE_NODES, XA_BENCH_FILL * 100, bench->seed,
             XA_BENCH_SCALE_RUNS);
  g_print ("%-8s %6s %10s %9s %8s %8s %8s %10s %8s %7s\n", "policy", "VMs", "CPU us/VM",
           "wall ms", "RSS MiB", "stmt/VM", "batches", "iterations", "running", "ratio");
}

static void
xa_bench_scale_print_row (const XaBench *bench, XaPolicy policy, guint n_vms,
                          const XaBenchScaleRow *row)
{
  gdouble cpu_us_per_vm = row->cpu_us / n_vms;
  gdouble statements_per_vm = (gdouble) row->statements / n_vms;
  gdouble rss_mib = (gdouble) row->peak_rss_kib / 1024.0;

  if (bench->json != NULL) {
    json_array_append_new (json_object_get (bench->json, "scale"),
                           json_pack ("{s:s, s:i, s:o, s:o, s:o, s:o, s:i, s:I, s:i, s:o}",
                                      "policy", xa_policy_to_string (policy), "vms", (int) n_vms,
                                      "cpu_us_per_vm", xa_output_real3 (cpu_us_per_vm),
                                      "wall_ms", xa_output_real3 (row->wall_ms),
                                      "peak_rss_mib", xa_output_real3 (rss_mib),
                                      "statements_per_vm", xa_output_real3 (statements_per_vm),
                                      "batches", (int) row->batches,
                                      "iterations", (json_int_t) row->iterations,
                                      "running", (int) row->running,
                                      "ratio", xa_output_real3 (row->ratio)));
    return;
  }
  g_print ("%-8s %6u %10.1f %9.0f %8.1f %8.2f %8u %10" G_GUINT64_FORMAT " %8u %7.3f\n",
           xa_policy_to_string (policy), n_vms, cpu_us_per_vm, row->wall_ms, rss_mib,
           statements_per_vm, row->batches, row->iterations, row->running, row->ratio);
  fflush (stdout);
}

/* One size: its host file, then each policy's best of XA_BENCH_SCALE_RUNS. */
static gboolean
xa_bench_scale_size (const XaBench *bench, const gchar *dir, guint n_vms, GError **error)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (bench->seed);
  g_autoptr(GPtrArray) requests = xa_bench_requests (rand, n_vms);
  g_autofree gchar *host_path = g_build_filename (dir, "host.json", NULL);
  gboolean ok = xa_bench_write_host (host_path, XA_BENCH_SCALE_NODES, requests, NULL, error);

  for (guint p = 0; p < G_N_ELEMENTS (xa_bench_scale_policies) && ok; p++) {
    XaBenchScaleRow row = { 0 };

    for (guint r = 0; r < XA_BENCH_SCALE_RUNS && ok; r++)
      ok = xa_cli_signals_check (bench->signals, error) &&
           xa_bench_scale_once (dir, host_path, requests, xa_bench_scale_policies[p],
                                bench->seed, &row, error);
    if (ok)
      xa_bench_scale_print_row (bench, xa_bench_scale_policies[p], n_vms, &row);
  }
  g_unlink (host_path);
  return ok;
}

/**
 * xa_bench_scale:
 * @bench: the seed of the VM mix and the build times, the signals, where
 *   the table goes
 * @error: a #GError, %G_IO_ERROR_CANCELLED on a signal
 *
 * Boots 1,000, 2,000, 5,000, 10,000 and 20,000 VMs on a 16-node simulated
 * host, batch and xenopsd on the same input, each run with a fresh ledger
 * in a temporary directory, and prints what a VM costs: CPU, ledger
 * statements, and the run's wall time, peak RSS, batches, main-loop
 * iterations and makespan against the lower bound.
 *
 * Returns: %TRUE if every run worked
 */
gboolean
xa_bench_scale (const XaBench *bench, GError **error)
{
  g_autofree gchar *dir = g_dir_make_tmp ("xadmit-scale-XXXXXX", error);
  gboolean ok = TRUE;

  if (dir == NULL)
    return FALSE;
  xa_bench_scale_print_head (bench);
  for (guint v = 0; v < G_N_ELEMENTS (xa_bench_scale_vms) && ok; v++)
    ok = xa_bench_scale_size (bench, dir, xa_bench_scale_vms[v], error);
  g_rmdir (dir);
  return ok;
}
