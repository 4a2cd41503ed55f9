/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-bench-private.h"
#include "xa-test-scheduler.h"

/* Complexity by counting, not timing (bench --scale times it): a boot's
 * ledger statements and main-loop iterations grow linearly with its VMs. */

#define N_NODES 16
#define SMALL 200
/* four times the VMs cost at most this many tenths of the small counts */
#define GROWTH_TENTHS 44

typedef struct {
  guint running;
  guint64 statements;
  guint64 iterations;
  guint64 events;
} Cost;

/* Boots @n_vms VMs of 1, 2 and 4 GiB in turn on a fresh ledger and a
 * fresh 16-node host of bench's, sized so that they ask for 90 % of its
 * memory. */
static Cost
boot_and_count (guint n_vms)
{
  XaTestScheduler f = { 0 };
  XaSchedulerOptions options = XA_SCHEDULER_OPTIONS_DEFAULT;
  g_autoptr(GPtrArray) requests = xa_test_requests_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(XaRun) run = NULL;
  g_autofree gchar *path = NULL;
  g_autofree gchar *spec = NULL;
  XaSchedulerCounts counts;
  Cost cost;

  for (guint i = 0; i < n_vms; i++)
    xa_test_add_vm (requests, NULL, (G_GUINT64_CONSTANT (1) << (i % 3)) * GiB, 1);
  xa_test_scheduler_set_up (&f, NULL);
  path = g_build_filename (f.dir, "host.json", NULL);
  g_assert_true (xa_bench_write_host (path, N_NODES, requests, NULL, &error));
  g_assert_no_error (error);
  spec = xa_test_host_spec_at (path);
  f.host = xa_host_open (spec, NULL, &error);
  g_assert_no_error (error);
  xa_test_scheduler_open_admission (&f, &options, NULL);
  g_assert_true (xa_admission_submit (f.admission, "scale", requests, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  cost.running = xa_test_scheduler_run_and_count (&f, &run).running;
  cost.statements = xa_store_get_n_statements (f.store);
  counts = xa_scheduler_get_counts (f.scheduler);
  cost.iterations = counts.iterations;
  cost.events = counts.events;
  xa_test_scheduler_tear_down (&f, NULL);
  return cost;
}

/* Four times the VMs cost at most 4.4 times the statements and iterations;
 * and the main context is not polled once per clock event. */
static void
test_cost_grows_linearly (void)
{
  Cost small = boot_and_count (SMALL);
  Cost large = boot_and_count (4 * SMALL);

  g_test_message ("statements %" G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT ", iterations %"
                  G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT ", events %" G_GUINT64_FORMAT " -> %"
                  G_GUINT64_FORMAT, small.statements, large.statements, small.iterations,
                  large.iterations, small.events, large.events);
  g_assert_cmpuint (small.running, ==, SMALL);
  g_assert_cmpuint (large.running, ==, 4 * SMALL);
  g_assert_cmpuint (large.statements * 10, <=, small.statements * GROWTH_TENTHS);
  g_assert_cmpuint (large.iterations * 10, <=, small.iterations * GROWTH_TENTHS);
  g_assert_cmpuint (large.iterations * 8, <=, large.events);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/scheduler/scale/cost-grows-linearly", test_cost_grows_linearly);
  return g_test_run ();
}
