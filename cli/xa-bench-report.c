/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib/gstdio.h>

#include "xa-batch.h"
#include "xa-bench-private.h"
#include "xa-output.h"
#include "xa-store.h"

/*
 * `xadmit bench --report`: how long `xadmit report --since 1d` takes, in
 * each format, on a ledger of 100,000 VMs admitted over five days in
 * batches of 100 on an 8-node host. The ledger is built through the store
 * API and kept in the current directory (the build directory, as meson
 * runs benchmarks) for an hour, so that runs in a row reuse it.
 */

#define XA_BENCH_REPORT_VMS 100000
#define XA_BENCH_REPORT_BATCH 100
#define XA_BENCH_REPORT_DAYS 5
#define XA_BENCH_REPORT_NODES 8
#define XA_BENCH_REPORT_PATH "xadmit-bench-report.db"
/* a ledger older than this is built again: its last day must end now */
#define XA_BENCH_REPORT_KEEP_S 3600

static const gchar *const xa_bench_report_formats[] = { "table", "csv", "json", "html" };

/* Renames @requests vm-N from @first on, so that no two share a name. */
static void
xa_bench_report_rename (GPtrArray *requests, guint first)
{
  for (guint i = 0; i < requests->len; i++) {
    XaRequest *req = g_ptr_array_index (requests, i);

    g_free (req->name);
    req->name = g_strdup_printf ("vm-%06u", first + i);
  }
}

/* The planned VMs of @batch built, from 0.2 s after @at for their size. */
static gboolean
xa_bench_report_build (XaStore *store, GPtrArray *batch, const XaPlan *plan, XaStoreTime at,
                       GError **error)
{
  for (guint i = 0; i < batch->len; i++) {
    XaStoreRequest *request = g_ptr_array_index (batch, i);
    const XaPlacement *placement = &plan->placements[i];
    gdouble build_s = 0.2 + (gdouble) request->req->memory_mib / 2048.0;
    XaStoreTime start = { at.wall_us + 200000, at.host_s + 0.2 };
    XaStoreTime end = { at.wall_us + (gint64) (build_s * G_USEC_PER_SEC), at.host_s + build_s };

    if (placement->outcome != XA_OUTCOME_PLANNED)
      continue;
    if (!xa_store_start_build (store, request, start, error) ||
        !xa_store_complete_build (store, request, XA_BENCH_REPORT_NODES, placement->mib_by_node,
                                  end, error))
      return FALSE;
  }
  return TRUE;
}

/* Batch @b: 100 VMs queued, the host seen, the queue planned, built. */
static gboolean
xa_bench_report_batch (XaStore *store, gint64 host_id, GRand *rand, guint b, XaStoreTime at,
                       GError **error)
{
  g_autoptr(GPtrArray) requests = xa_bench_requests (rand, XA_BENCH_REPORT_BATCH);
  g_autoptr(GPtrArray) queued = NULL;
  g_autoptr(GPtrArray) batch = g_ptr_array_new ();
  g_autoptr(XaPlan) plan = NULL;
  guint64 free_mib[XA_BENCH_REPORT_NODES];
  XaStoreSnapshot snapshot = { XA_BENCH_REPORT_NODES, free_mib, free_mib, 0, NULL };
  XaStoreBatch info = { "batch", 0, 0.1, { at.wall_us + 1000, at.host_s + 0.001 }, NULL };

  for (guint n = 0; n < XA_BENCH_REPORT_NODES; n++)
    free_mib[n] = G_GUINT64_CONSTANT (1) << 20;
  xa_bench_report_rename (requests, b * XA_BENCH_REPORT_BATCH);
  if (!xa_store_submit (store, host_id, "bench-report", requests, NULL, at, NULL, error) ||
      !xa_store_refresh (store, host_id, &snapshot, at, &info.snapshot_id, error) ||
      (queued = xa_store_list_requests (store, host_id, XA_REQUEST_QUEUED, error)) == NULL)
    return FALSE;
  plan = xa_bench_plan_queued (queued, queued->len, batch);
  return xa_store_admit_batch (store, host_id, &info, batch, plan, error) &&
         xa_bench_report_build (store, batch, plan, info.at, error);
}

/* The ledger at @path, anew: the batches evenly over the days up to now. */
static gboolean
xa_bench_report_fill (const XaBench *bench, const gchar *path, GError **error)
{
  g_autoptr(XaStore) store = xa_store_open (path, error);
  g_autoptr(GRand) rand = g_rand_new_with_seed (bench->seed);
  guint n_batches = XA_BENCH_REPORT_VMS / XA_BENCH_REPORT_BATCH;
  gint64 span_us = (gint64) XA_BENCH_REPORT_DAYS * 86400 * G_USEC_PER_SEC;
  gint64 first_us = g_get_real_time () - span_us;
  XaStoreTime at = { first_us, 0 };
  gint64 host_id = 0;

  if (store == NULL || !xa_store_ensure_host (store, "sim:bench-report", "bench-report-8n",
                                              "sim", XA_BENCH_REPORT_NODES, at, &host_id, error))
    return FALSE;
  xa_store_hold (store);
  for (guint b = 0; b < n_batches; b++) {
    at.wall_us = first_us + span_us / n_batches * b;
    at.host_s = (gdouble) (at.wall_us - first_us) / G_USEC_PER_SEC;
    if (!xa_cli_signals_check (bench->signals, error) ||
        !xa_bench_report_batch (store, host_id, rand, b, at, error) ||
        !xa_store_flush (store, error))
      return FALSE;
  }
  return xa_store_release (store, error);
}

/* The ledger, reused if it was built in the last hour, else built (in a
 * file of its own, renamed once whole). */
static gboolean
xa_bench_report_ledger (const XaBench *bench, gboolean *out_reused, GError **error)
{
  GStatBuf st;
  g_autofree gchar *part = g_strconcat (XA_BENCH_REPORT_PATH, ".part", NULL);

  *out_reused = g_stat (XA_BENCH_REPORT_PATH, &st) == 0 &&
                (gint64) st.st_mtime > g_get_real_time () / G_USEC_PER_SEC -
                                       XA_BENCH_REPORT_KEEP_S;
  if (*out_reused)
    return TRUE;
  xa_bench_remove_ledger (NULL, XA_BENCH_REPORT_PATH);
  xa_bench_remove_ledger (NULL, part);
  if (!bench->quiet)
    g_printerr ("bench: building %s: %u VMs over %u days...\n", XA_BENCH_REPORT_PATH,
                XA_BENCH_REPORT_VMS, XA_BENCH_REPORT_DAYS);
  if (!xa_bench_report_fill (bench, part, error)) {
    xa_bench_remove_ledger (NULL, part);
    return FALSE;
  }
  if (g_rename (part, XA_BENCH_REPORT_PATH) != 0) {
    g_set_error (error, XA_ERROR, XA_ERROR_FAILED, "%s: cannot rename it: %s", part,
                 g_strerror (errno));
    return FALSE;
  }
  return TRUE;
}

/* `xadmit report --since 1d --format @format`, run as a user would: its
 * wall time in ms. */
static gboolean
xa_bench_report_time (const gchar *self_exe, const gchar *format, const gchar *output,
                      gdouble *out_ms, GError **error)
{
  const gchar *argv[] = {
    self_exe, "report", "--db", XA_BENCH_REPORT_PATH, "--since", "1d", "--format", format,
    "--output", output, NULL,
  };
  gint64 start = g_get_monotonic_time ();
  gint status = 0;

  if (!g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL,
                     &status, error) ||
      !g_spawn_check_wait_status (status, error))
    return FALSE;
  *out_ms = (gdouble) (g_get_monotonic_time () - start) / 1000.0;
  return TRUE;
}

static void
xa_bench_report_print (const XaBench *bench, gboolean reused, const gdouble *ms)
{
  if (bench->json != NULL) {
    json_t *row = json_pack ("{s:i, s:i, s:s, s:b}", "vms", XA_BENCH_REPORT_VMS, "days",
                             XA_BENCH_REPORT_DAYS, "since", "1d", "reused", reused);

    for (guint f = 0; f < G_N_ELEMENTS (xa_bench_report_formats); f++) {
      g_autofree gchar *key = g_strdup_printf ("%s_ms", xa_bench_report_formats[f]);

      json_object_set_new (row, key, xa_output_real3 (ms[f]));
    }
    json_object_set_new (bench->json, "report", row);
    return;
  }
  if (!bench->quiet)
    g_print ("report: xadmit report --since 1d on a ledger of %u VMs over %u days (%s, %s), "
             "wall ms:\n", XA_BENCH_REPORT_VMS, XA_BENCH_REPORT_DAYS, XA_BENCH_REPORT_PATH,
             reused ? "reused" : "built now");
  for (guint f = 0; f < G_N_ELEMENTS (xa_bench_report_formats); f++)
    g_print ("  %-6s %9.1f ms  (target < 1000 ms)\n", xa_bench_report_formats[f], ms[f]);
  fflush (stdout);
}

/**
 * xa_bench_report:
 * @bench: the seed of the VM mix, the signals, where the table goes
 * @error: a #GError, %G_IO_ERROR_CANCELLED on a signal
 *
 * Times `xadmit report --since 1d` in each format on a ledger of 100,000
 * VMs over five days, built (or reused) in the current directory.
 *
 * Returns: %TRUE if every report worked
 */
gboolean
xa_bench_report (const XaBench *bench, GError **error)
{
  g_autofree gchar *self_exe = g_file_read_link ("/proc/self/exe", error);
  g_autofree gchar *dir = NULL;
  gdouble ms[G_N_ELEMENTS (xa_bench_report_formats)];
  gboolean reused = FALSE;

  if (self_exe == NULL || !xa_bench_report_ledger (bench, &reused, error) ||
      (dir = g_dir_make_tmp ("xadmit-bench-report-XXXXXX", error)) == NULL)
    return FALSE;
  for (guint f = 0; f < G_N_ELEMENTS (xa_bench_report_formats); f++) {
    g_autofree gchar *output = g_build_filename (dir, xa_bench_report_formats[f], NULL);
    gboolean timed = xa_cli_signals_check (bench->signals, error) &&
                     xa_bench_report_time (self_exe, xa_bench_report_formats[f], output, &ms[f],
                                           error);

    g_unlink (output);
    if (!timed) {
      g_rmdir (dir);
      return FALSE;
    }
  }
  g_rmdir (dir);
  xa_bench_report_print (bench, reused, ms);
  return TRUE;
}
