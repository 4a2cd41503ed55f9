/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The scheduler over many random storms, and across a crash. */
#include <unistd.h>

#include "xa-test-cli.h"
#include "xa-test-scheduler.h"

/* How many requests the ledger holds in @state after a run that ended
 * with @counts: a deferred VM stays queued, none is left in flight. */
static guint
counted_as (const XaRunCounts *counts, XaRequestState state)
{
  switch (state) {
  case XA_REQUEST_QUEUED:
    return counts->deferred;
  case XA_REQUEST_PLANNED:
  case XA_REQUEST_BUILDING:
    return 0;
  case XA_REQUEST_RUNNING:
    return counts->running;
  case XA_REQUEST_FAILED:
    return counts->failed;
  case XA_REQUEST_CANCELLED:
    return counts->cancelled;
  case XA_REQUEST_REJECTED:
    return counts->rejected;
  case XA_REQUEST_ENDED:
    return counts->ended;
  }
  g_assert_not_reached ();
}

/* Every VM of a finished run is in one terminal state or deferred, in the
 * summary and in the ledger alike, and no request is planned or building. */
static void
assert_each_vm_settled (XaTestScheduler *f, const XaRunCounts *counts, guint n_vms)
{
  guint in_ledger = 0;

  g_assert_cmpuint (counts->planned, ==, 0);
  for (guint state = 0; state <= XA_REQUEST_STATE_LAST; state++) {
    guint n = xa_test_scheduler_count_in (f, (XaRequestState) state);

    g_assert_cmpuint (n, ==, counted_as (counts, (XaRequestState) state));
    in_ledger += n;
  }
  g_assert_cmpuint (in_ledger, ==, n_vms);
}

/* A random storm on a 4-node sim host, with its own seed and max_batch,
 * on a ledger of its own: batch never spills without faults, the lower
 * bound holds, and everything settles with no claim left. */
static void
check_random_storm (GRand *rand, guint round)
{
  XaTestScheduler f = { 0 };
  g_autoptr(GPtrArray) requests = xa_test_requests_new ();
  XaSchedulerOptions options = XA_SCHEDULER_OPTIONS_DEFAULT;
  g_autoptr(XaRun) run = NULL;
  XaRunCounts counts;
  guint n_vms = (guint) g_rand_int_range (rand, 10, 60);

  for (guint i = 0; i < n_vms; i++) {
    g_autofree gchar *name = g_strdup_printf ("r%u-vm-%u", round, i);

    xa_test_add_vm (requests, name, (guint64) g_rand_int_range (rand, 1, 24) * GiB,
                    (guint) g_rand_int_range (rand, 1, 9))->priority =
      g_rand_int_range (rand, 0, 3);
  }
  options.seed = round;
  options.max_batch = (guint) g_rand_int_range (rand, 4, 64);
  xa_test_scheduler_set_up (&f, NULL);
  xa_test_scheduler_prepare (&f, "4node.json", NULL, requests, &options);
  counts = xa_test_scheduler_run_and_count (&f, &run);
  g_assert_cmpuint (counts.spilled, ==, 0);
  g_assert_cmpuint (counts.running + counts.deferred + counts.rejected, ==, n_vms);
  g_assert_cmpfloat (run->makespan_s, >=, run->lower_bound_s);
  assert_each_vm_settled (&f, &counts, n_vms);
  xa_test_scheduler_assert_ledger_matches_host (&f);
  xa_test_scheduler_tear_down (&f, NULL);
}

/* The properties over 12 seeds, over 300 in the slow suite. */
static void
test_property_holds_over_seeds (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (5);
  guint rounds = g_test_slow () ? 300 : 12;

  for (guint round = 0; round < rounds; round++)
    check_random_storm (rand, round);
}

/* Dies as a crash would once f->stop_after VMs run: what the ledger held
 * back for its next commit is lost, and what the host did since it was
 * last saved. */
static void
crash_when_running (const XaSchedulerProgress *progress, gpointer user_data)
{
  const XaTestScheduler *f = user_data;

  if (progress->running >= f->stop_after)
    _exit (0);
}

/* The child of the crash test: a storm on the parent's host state and
 * ledger, cut short. */
static void
run_until_the_crash (GPtrArray *requests, XaPolicy policy)
{
  XaTestScheduler f = { 0 };
  g_autofree gchar *state = NULL;
  XaSchedulerOptions options = XA_SCHEDULER_OPTIONS_DEFAULT;

  options.policy = policy;

  xa_test_scheduler_use_dir (&f, g_strdup (g_getenv ("XA_TEST_CRASH_DIR")));
  f.stop_after = (guint) g_ascii_strtoull (g_getenv ("XA_TEST_CRASH_AFTER"), NULL, 10);
  state = xa_test_state_path (f.dir);
  /* batches of 8: the host is saved with the domains of the batches before */
  options.max_batch = 8;
  xa_test_scheduler_prepare (&f, "8node.json", state, requests, &options);
  xa_scheduler_set_progress (f.scheduler, crash_when_running, &f);
  xa_scheduler_run (f.scheduler, NULL);
  g_assert_not_reached ();
}

/* The domains xadmit built that the host has: a UUID each. */
static guint
n_built_domains (XaTestScheduler *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(XaHostInfo) info = xa_host_snapshot (f->host, &error);
  guint n = 0;

  g_assert_no_error (error);
  for (guint i = 0; i < info->domains->len; i++)
    n += ((XaHostDomain *) g_ptr_array_index (info->domains, i))->uuid != NULL ? 1 : 0;
  return n;
}

/* The restart after a crash once @after VMs ran finds the host as it was
 * last saved, with a ledger no newer: every domain it holds is in the
 * ledger (those built run, half-built ones go), and the rest then boot. */
static void
restart_loses_no_domain (XaTestScheduler *f, GPtrArray *requests, guint after, XaPolicy policy)
{
  g_autofree gchar *state = xa_test_state_path (f->dir);
  g_autoptr(XaStoreReconciliation) found = NULL;
  XaSchedulerOptions options = XA_SCHEDULER_OPTIONS_DEFAULT;
  XaRunCounts counts;
  guint running;
  guint queued;

  xa_test_scheduler_open_sim (f, "8node.json", state, &options, &found);
  g_test_message ("crashed after %u VMs ran: the restart found %u builds finished, "
                  "%u half-built, %u not begun", after, found->built->len,
                  found->half_built->len, found->gone->len);
  /* batch commits before each batch's domains exist: they are all known */
  if (policy == XA_POLICY_BATCH)
    g_assert_cmpuint (found->built->len + found->half_built->len, >, 0);
  xa_test_scheduler_assert_ledger_matches_host (f);
  running = xa_test_scheduler_count_in (f, XA_REQUEST_RUNNING);
  g_assert_cmpuint (running, ==, n_built_domains (f));
  queued = xa_test_scheduler_count_in (f, XA_REQUEST_QUEUED);
  g_assert_cmpuint (running + queued, ==, requests->len);
  xa_test_scheduler_take_queued (f);
  counts = xa_test_scheduler_run_and_count (f, NULL);
  g_assert_cmpuint (counts.running, ==, queued);
  xa_test_scheduler_assert_ledger_matches_host (f);
}

/* A crash once @after VMs run, in a child on a fresh directory, then the
 * restart in this process. */
static void
crash_then_restart (GPtrArray *requests, guint after, XaPolicy policy)
{
  XaTestScheduler f = { 0 };
  g_autofree gchar *after_text = g_strdup_printf ("%u", after);

  xa_test_scheduler_set_up (&f, NULL);
  g_setenv ("XA_TEST_CRASH_DIR", f.dir, TRUE);
  g_setenv ("XA_TEST_CRASH_AFTER", after_text, TRUE);
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  restart_loses_no_domain (&f, requests, after, policy);
  xa_test_scheduler_tear_down (&f, NULL);
}

/* One crash point, after 6 VMs run; several in the slow suite. xenopsd's
 * way commits once a turn, so its crash may leave domains whose admission
 * the ledger never got: the restart destroys them. */
static void
test_crash_restart_loses_no_domain (gconstpointer data)
{
  g_autoptr(GPtrArray) requests = xa_test_scheduler_manifest ("dense-8node.json");
  const guint quick[] = { 6 };
  const guint slow[] = { 1, 3, 6, 12, 20 };
  const guint *points = g_test_slow () ? slow : quick;
  gsize n_points = g_test_slow () ? G_N_ELEMENTS (slow) : G_N_ELEMENTS (quick);

  if (g_test_subprocess ()) {
    run_until_the_crash (requests, (XaPolicy) GPOINTER_TO_INT (data));
    return;
  }
  for (gsize i = 0; i < n_points; i++)
    crash_then_restart (requests, points[i], (XaPolicy) GPOINTER_TO_INT (data));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/scheduler/property/holds-over-seeds", test_property_holds_over_seeds);
  g_test_add_data_func ("/scheduler/crash/restart-loses-no-domain",
                        GINT_TO_POINTER (XA_POLICY_BATCH), test_crash_restart_loses_no_domain);
  g_test_add_data_func ("/scheduler/crash/xenopsd-restart-loses-no-domain",
                        GINT_TO_POINTER (XA_POLICY_XENOPSD), test_crash_restart_loses_no_domain);
  return g_test_run ();
}
