/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the benchmarks share: xa-bench.c (planner, store, storm) and
 * xa-bench-scale.c (boots of growing size). */

#include "xa-bench.h"
#include "xa-run.h"
#include "xa-scheduler.h"

G_BEGIN_DECLS

/* Memory asked by all VMs over memory free on all nodes. */
#define XA_BENCH_FILL 0.9

/**
 * XaBenchStorm:
 * @wall_ms: the run's wall time, queueing included
 * @cpu_us: its CPU time, user and system
 * @run: (transfer full): its summary
 * @counts: what the scheduler counted
 * @statements: ledger statements, from the ledger's opening to the end
 *
 * One boot on a fresh simulated host and ledger.
 */
typedef struct {
  gdouble wall_ms;
  gdouble cpu_us;
  XaRun *run;
  XaSchedulerCounts counts;
  guint64 statements;
} XaBenchStorm;

GPtrArray *xa_bench_requests (GRand *rand,
                              guint  n_vms);
XaPlan *xa_bench_plan_queued (GPtrArray *queued,
                              guint      count,
                              GPtrArray *batch);
gint xa_bench_compare_ms (gconstpointer a,
                          gconstpointer b);
void xa_bench_remove_ledger (const gchar *dir,
                             const gchar *path);
gboolean xa_bench_write_host (const gchar *path,
                              guint        n_nodes,
                              GPtrArray   *requests,
                              GPtrArray   *faults,
                              GError     **error);
gdouble xa_bench_cpu_us (void);
gboolean xa_bench_run_storm (const gchar              *host_path,
                             const gchar              *state_path,
                             const gchar              *db_path,
                             GPtrArray                *requests,
                             GPtrArray                *guests,
                             const gdouble            *at_s,
                             const XaSchedulerOptions *options,
                             XaBenchStorm             *storm,
                             GError                  **error);

G_END_DECLS
