/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-test-scheduler.h"

/* Complexity by counting, not timing (bench --scale times it): a boot's
 * ledger statements and main-loop iterations grow linearly with its VMs. */

#define N_NODES 16
#define SMALL 200
/* at most this many tenths of four times the small boot's counts */
#define GROWTH_TENTHS 44

typedef struct {
  guint running;
  guint64 statements;
  guint64 iterations;
  guint64 events;
} Cost;

/* 16 nodes in sockets of four (10 / 12 / 32), with enough memory that the
 * VMs ask for about 90 % of it. */
static gchar *
host_json (guint64 node_gib)
{
  g_autoptr(GString) json = g_string_new ("{\"name\": \"scale-16n\", \"nodes\": [");

  for (guint n = 0; n < N_NODES; n++)
    g_string_append_printf (json, "%s{\"memory\": \"%" G_GUINT64_FORMAT "GiB\", \"cpus\": 16, "
                            "\"cores\": 8}", n > 0 ? ", " : "", node_gib);
  g_string_append (json, "], \"distances\": [");
  for (guint n = 0; n < N_NODES; n++) {
    g_string_append (json, n > 0 ? ", [" : "[");
    for (guint m = 0; m < N_NODES; m++)
      g_string_append_printf (json, "%s%u", m > 0 ? ", " : "",
                              n == m ? 10 : (n / 4 == m / 4 ? 12 : 32));
    g_string_append (json, "]");
  }
  g_string_append (json, "], \"populate_mib_per_s\": 2048, \"bandwidth_mib_per_s\": 16384, "
                         "\"overhead_mib_per_vm\": 1, \"overhead_kib_per_vcpu\": 1176}");
  return g_string_free (g_steal_pointer (&json), FALSE);
}

/* Boots @n_vms VMs of 1, 2 and 4 GiB in turn on a fresh host and ledger. */
static Cost
boot_and_count (guint n_vms)
{
  XaTestScheduler f = { 0 };
  XaSchedulerOptions options = XA_SCHEDULER_OPTIONS_DEFAULT;
  g_autoptr(GPtrArray) requests = xa_test_requests_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(XaRun) run = NULL;
  g_autofree gchar *json = NULL;
  g_autofree gchar *path = NULL;
  g_autofree gchar *spec = NULL;
  guint64 total_gib = 0;
  Cost cost;

  for (guint i = 0; i < n_vms; i++) {
    guint64 gib = G_GUINT64_CONSTANT (1) << (i % 3);

    xa_test_add_vm (requests, NULL, gib * GiB, 1);
    total_gib += gib;
  }
  xa_test_scheduler_set_up (&f, NULL);
  json = host_json (total_gib * 10 / 9 / N_NODES + 1);
  path = xa_test_dir_write (f.dir, "host.json", json);
  spec = xa_test_host_spec_at (path);
  f.host = xa_host_open (spec, NULL, &error);
  g_assert_no_error (error);
  xa_test_scheduler_open_admission (&f, &options, NULL);
  g_assert_true (xa_admission_submit (f.admission, "scale", requests, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  cost.running = xa_test_scheduler_run_and_count (&f, &run).running;
  cost.statements = xa_store_get_n_statements (f.store);
  cost.iterations = xa_scheduler_get_counts (f.scheduler).iterations;
  cost.events = xa_scheduler_get_counts (f.scheduler).events;
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
