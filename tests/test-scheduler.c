/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-test-cli.h"
#include "xa-test-scheduler.h"

/* Stops the run once @stop_after builds are under way. */
static void
stop_when_busy (const XaSchedulerProgress *progress, gpointer user_data)
{
  XaTestScheduler *f = user_data;

  if (progress->building >= f->stop_after && !xa_scheduler_was_stopped (f->scheduler))
    xa_scheduler_stop (f->scheduler, f->abort);
}

/* A build that fails is destroyed, its claim released, and retried. */
static void
test_failed_build_is_retried (XaTestScheduler *f, gconstpointer data)
{
  g_autoptr(GPtrArray) requests = xa_test_scheduler_manifest ("two-big.json");
  XaSchedulerOptions options = XA_SCHEDULER_OPTIONS_DEFAULT;
  g_autoptr(XaRun) run = NULL;
  XaRunCounts counts;

  xa_test_scheduler_prepare (f, "2node-take.json", NULL, requests, &options);
  counts = xa_test_scheduler_run_and_count (f, &run);
  g_assert_cmpuint (counts.running, ==, 4);
  g_assert_cmpuint (((XaRunVm *) g_ptr_array_index (run->vms, 3))->attempts, ==, 2);
  xa_test_scheduler_assert_ledger_matches_host (f);
}

/* two-big.json on 2node-take.json, where 30 GiB of node 0 go at 5 s while
 * big-a (planned there alone) populates; @running VMs end running, and the
 * run is strict only where asked of batch. */
static XaRun *
run_two_big_under_take (XaTestScheduler *f, XaPolicy policy, gboolean strict, guint running,
                        XaRunCounts *counts)
{
  g_autoptr(GPtrArray) requests = xa_test_scheduler_manifest ("two-big.json");
  XaSchedulerOptions options = XA_SCHEDULER_OPTIONS_DEFAULT;
  XaRun *run = NULL;

  options.policy = policy;
  options.strict = strict;
  xa_test_scheduler_prepare (f, "2node-take.json", NULL, requests, &options);
  *counts = xa_test_scheduler_run_and_count (f, &run);
  g_assert_cmpint (run->strict, ==, strict && policy == XA_POLICY_BATCH);
  g_assert_cmpuint (counts->running, ==, running);
  g_assert_cmpstr (((XaRunVm *) g_ptr_array_index (run->vms, 0))->name, ==, "big-a");
  return run;
}

/* Strict: big-a's exact pages on node 0 run out, so its build fails, and
 * it is planned again over both nodes: nothing spills. Not strict: it
 * keeps node 0 and the allocator spills its later pages to node 1. */
static void
assert_big_a_under_take (XaTestScheduler *f, gboolean strict)
{
  XaRunCounts counts;
  g_autoptr(XaRun) run = run_two_big_under_take (f, XA_POLICY_BATCH, strict, 4, &counts);
  const XaRunVm *big_a = g_ptr_array_index (run->vms, 0);

  g_assert_cmpuint (counts.spilled, ==, strict ? 0 : 1);
  g_assert_cmpint (counts.remote_mib > 0, ==, !strict);
  g_assert_cmpuint (big_a->attempts, ==, strict ? 2 : 1);
  g_assert_cmpuint (xa_nodeset_count (big_a->planned_nodes), ==, strict ? 2 : 1);
  g_assert_true (xa_nodeset_has (big_a->planned_nodes, 0));
  g_assert_cmpuint (big_a->memory_by_node_mib[1], >, 0);
  xa_test_scheduler_assert_ledger_matches_host (f);
}

static void
test_strict_fails_and_replans (XaTestScheduler *f, gconstpointer data)
{
  assert_big_a_under_take (f, TRUE);
}

static void
test_no_strict_spills (XaTestScheduler *f, gconstpointer data)
{
  assert_big_a_under_take (f, FALSE);
}

/* xenopsd's builds follow affinity only, whatever the options ask; it does
 * not retry web-02's failed build. */
static void
test_xenopsd_is_never_strict (XaTestScheduler *f, gconstpointer data)
{
  XaRunCounts counts;
  g_autoptr(XaRun) run = run_two_big_under_take (f, XA_POLICY_XENOPSD, TRUE, 3, &counts);

  g_assert_cmpuint (counts.spilled, >=, 1);
  g_assert_cmpuint (run->n_nodes, ==, 2);
}

/* A first stop: nothing more is admitted, what was building finishes. */
static void
test_stop_lets_builds_finish (XaTestScheduler *f, gconstpointer data)
{
  g_autoptr(GPtrArray) requests = xa_test_scheduler_manifest ("dense-8node.json");
  XaSchedulerOptions options = XA_SCHEDULER_OPTIONS_DEFAULT;
  XaRunCounts counts;

  xa_test_scheduler_prepare (f, "8node.json", NULL, requests, &options);
  f->stop_after = 4;
  xa_scheduler_set_progress (f->scheduler, stop_when_busy, f);
  counts = xa_test_scheduler_run_and_count (f, NULL);
  g_assert_true (xa_scheduler_was_stopped (f->scheduler));
  g_assert_cmpuint (counts.running, >=, 4);
  g_assert_cmpuint (counts.cancelled, >, 0);
  g_assert_cmpuint (counts.running + counts.cancelled, ==, requests->len);
  xa_test_scheduler_assert_ledger_matches_host (f);
}

/* A second stop: the domains being built go, with their claims. */
static void
test_abort_destroys_half_built_domains (XaTestScheduler *f, gconstpointer data)
{
  g_autoptr(GPtrArray) requests = xa_test_scheduler_manifest ("dense-8node.json");
  XaSchedulerOptions options = XA_SCHEDULER_OPTIONS_DEFAULT;
  g_autoptr(XaRun) run = NULL;
  guint cut_short = 0;
  XaRunCounts counts;

  xa_test_scheduler_prepare (f, "8node.json", NULL, requests, &options);
  f->stop_after = 4;
  f->abort = TRUE;
  xa_scheduler_set_progress (f->scheduler, stop_when_busy, f);
  counts = xa_test_scheduler_run_and_count (f, &run);
  for (guint i = 0; i < run->vms->len; i++) {
    const XaRunVm *vm = g_ptr_array_index (run->vms, i);

    cut_short += g_strcmp0 (vm->reason, "xadmit was interrupted twice: its half-built domain "
                                        "was destroyed") == 0 ? 1 : 0;
  }
  /* the first report comes when a build ends: the others were cut short */
  g_assert_cmpuint (cut_short, >, 0);
  g_assert_cmpuint (counts.running + counts.cancelled, ==, requests->len);
  g_assert_cmpuint (counts.running, <, f->stop_after);
  xa_test_scheduler_assert_ledger_matches_host (f);
}

/* Requests submitted again to a new admission: those that run are left
 * alone, named, and the scheduler gets nothing to start twice. */
static void
test_admission_leaves_running_vms_alone (XaTestScheduler *f, gconstpointer data)
{
  g_autoptr(GPtrArray) requests = xa_test_scheduler_manifest ("demo.json");
  g_autoptr(GPtrArray) left_alone = NULL;
  g_autoptr(XaStoreReconciliation) found = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(XaRun) run = NULL;
  XaSchedulerOptions options = XA_SCHEDULER_OPTIONS_DEFAULT;
  XaRunCounts counts;

  xa_test_scheduler_prepare (f, "4node.json", NULL, requests, &options);
  counts = xa_test_scheduler_run_and_count (f, NULL);
  g_assert_cmpuint (counts.running, ==, requests->len);
  g_clear_pointer (&f->admission, xa_admission_free);
  xa_test_scheduler_open_admission (f, &options, &found);
  g_assert_cmpuint (found->built->len + found->half_built->len + found->gone->len, ==, 0);
  g_assert_true (xa_admission_submit (f->admission, "test", requests, NULL, &left_alone, NULL,
                                      &error));
  g_assert_no_error (error);
  g_assert_cmpuint (left_alone->len, ==, requests->len);
  g_assert_cmpstr (g_ptr_array_index (left_alone, 0), ==,
                   ((XaRequest *) g_ptr_array_index (requests, 0))->name);
  xa_test_scheduler_take_queued (f);
  counts = xa_test_scheduler_run_and_count (f, &run);
  /* the summary covers the whole manifest, those left alone as running */
  g_assert_cmpuint (run->vms->len, ==, requests->len);
  g_assert_cmpuint (counts.running, ==, requests->len);
  g_assert_cmpfloat (run->makespan_s, ==, 0);
  g_assert_cmpfloat (run->lower_bound_s, ==, 0);
  xa_test_scheduler_assert_ledger_matches_host (f);
}

/* A storm in several batches writes the simulated host's state once per
 * batch at most, and once at the end, not at every host call. */
static void
test_state_saved_once_per_batch (XaTestScheduler *f, gconstpointer data)
{
  g_autoptr(GPtrArray) requests = xa_test_scheduler_manifest ("dense-8node.json");
  g_autofree gchar *state = xa_test_state_path (f->dir);
  XaSchedulerOptions options = XA_SCHEDULER_OPTIONS_DEFAULT;
  g_autoptr(GPtrArray) batches = NULL;
  g_autoptr(GError) error = NULL;
  XaRunCounts counts;
  guint saves;

  options.max_batch = 4;
  xa_test_scheduler_prepare (f, "8node.json", state, requests, &options);
  saves = f->host->n_saves;
  counts = xa_test_scheduler_run_and_count (f, NULL);
  batches = xa_store_list_batches (f->store, f->host_id, 0, G_MAXINT64, &error);
  g_assert_no_error (error);
  g_test_message ("%u batches, %u saves", batches->len, f->host->n_saves - saves);
  g_assert_cmpuint (counts.running, >, batches->len);
  g_assert_cmpuint (batches->len, >, 1);
  g_assert_cmpuint (f->host->n_saves - saves, >=, 1);
  g_assert_cmpuint (f->host->n_saves - saves, <=, batches->len + 1);
}

#define DESTROY_FAILS_3_TIMES \
  "{\"call_fails\": \"destroy\", \"use\": 1}, {\"call_fails\": \"destroy\", \"use\": 2}, " \
  "{\"call_fails\": \"destroy\", \"use\": 3}"

/* Boots vm-a and vm-b on a 2-node sim host whose file has @faults; with
 * @abort, a double stop comes once a build has ended. */
static XaRun *
run_with_faults (XaTestScheduler *f, const gchar *faults, gboolean abort)
{
  g_autofree gchar *text = g_strdup_printf (
    "{\"nodes\": [{\"memory\": \"16GiB\", \"cpus\": 8}, {\"memory\": \"16GiB\", \"cpus\": 8}],"
    " \"faults\": [%s]}", faults);
  g_autofree gchar *path = xa_test_dir_write (f->dir, "host.json", text);
  g_autofree gchar *spec = xa_test_host_spec_at (path);
  g_autoptr(GPtrArray) requests = xa_test_requests_new ();
  XaSchedulerOptions options = XA_SCHEDULER_OPTIONS_DEFAULT;
  g_autoptr(GError) error = NULL;
  XaRun *run = NULL;

  xa_test_add_vm (requests, "vm-a", 1024, 1);
  xa_test_add_vm (requests, "vm-b", 1024, 1);
  f->host = xa_host_open (spec, NULL, &error);
  g_assert_no_error (error);
  xa_test_scheduler_open_admission (f, &options, NULL);
  g_assert_true (xa_admission_submit (f->admission, "test", requests, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  if (abort) {
    f->stop_after = 1;
    f->abort = TRUE;
    xa_scheduler_set_progress (f->scheduler, stop_when_busy, f);
  }
  xa_test_scheduler_run_and_count (f, &run);
  return run;
}

static const XaRunVm *
run_vm (const XaRun *run, guint index)
{
  return g_ptr_array_index (run->vms, index);
}

/* A failed build whose destroy fails once is destroyed on the next try, so
 * its retry gets a fresh domain (never "a domain has handle ... already"). */
static void
test_failed_build_destroy_is_retried (XaTestScheduler *f, gconstpointer data)
{
  g_autoptr(XaRun) run = run_with_faults (
    f, "{\"build_fails\": \"vm-a\"}, {\"call_fails\": \"destroy\", \"use\": 1}", FALSE);

  g_assert_cmpstr (xa_run_state_to_string (run_vm (run, 0)->state), ==, "running");
  g_assert_cmpuint (run_vm (run, 0)->attempts, ==, 2);
  xa_test_scheduler_assert_ledger_matches_host (f);
}

/* A build that hangs is killed at its timeout, 30 s and 1 s per GiB on
 * the host's clock, as on Xen: it fails with ETIMEDOUT's reason and its
 * retry runs; the other VM is not held up. */
static void
test_hung_build_times_out_and_is_retried (XaTestScheduler *f, gconstpointer data)
{
  g_autoptr(XaRun) run = run_with_faults (f, "{\"build_hangs\": \"vm-a\"}", FALSE);

  g_assert_cmpstr (xa_run_state_to_string (run_vm (run, 0)->state), ==, "running");
  g_assert_cmpuint (run_vm (run, 0)->attempts, ==, 2);
  g_assert_cmpfloat (run_vm (run, 0)->started_s, >=, 31.0);
  g_assert_cmpuint (run_vm (run, 1)->attempts, ==, 1);
  g_assert_cmpfloat (run_vm (run, 1)->finished_s, <, 31.0);
  xa_test_scheduler_assert_ledger_matches_host (f);
}

/* The next start after a domain that would not go: it destroys the domain
 * and releases its claim, the ledger equal to the host again. */
static void
assert_next_start_removes_leftover (XaTestScheduler *f)
{
  g_autoptr(XaStoreReconciliation) found = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(XaHostInfo) info = NULL;
  XaSchedulerOptions options = XA_SCHEDULER_OPTIONS_DEFAULT;

  info = xa_host_snapshot (f->host, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (info->domains->len, ==, 2);
  g_clear_pointer (&f->admission, xa_admission_free);
  xa_test_scheduler_open_admission (f, &options, &found);
  g_assert_cmpuint (found->leftover->len, ==, 1);
  g_assert_cmpuint (found->released_mib, >, 1024);
  g_clear_pointer (&info, xa_host_info_free);
  info = xa_host_snapshot (f->host, &error);
  g_assert_cmpuint (info->domains->len, ==, 1);
  xa_test_scheduler_assert_ledger_matches_host (f);
}

/* A failed build whose domain cannot be destroyed at all fails for good
 * with why, its claim kept as that domain's, until the next start. */
static void
test_undestroyable_build_goes_at_next_start (XaTestScheduler *f, gconstpointer data)
{
  g_autoptr(XaRun) run = run_with_faults (f, "{\"build_fails\": \"vm-a\"}, "
                                          DESTROY_FAILS_3_TIMES, FALSE);

  g_assert_cmpstr (xa_run_state_to_string (run_vm (run, 0)->state), ==, "failed");
  g_assert_cmpuint (run_vm (run, 0)->attempts, ==, 1);
  g_assert_nonnull (strstr (run_vm (run, 0)->reason, "could not be destroyed"));
  g_assert_cmpstr (xa_run_state_to_string (run_vm (run, 1)->state), ==, "running");
  assert_next_start_removes_leftover (f);
}

/* The same when a double stop cannot destroy a build under way. */
static void
test_undestroyable_abort_goes_at_next_start (XaTestScheduler *f, gconstpointer data)
{
  g_autoptr(XaRun) run = run_with_faults (f, DESTROY_FAILS_3_TIMES, TRUE);
  guint kept = 0;

  for (guint i = 0; i < run->vms->len; i++) {
    const XaRunVm *vm = run_vm (run, i);

    kept += vm->state == XA_RUN_STATE_FAILED &&
            strstr (vm->reason, "interrupted twice; then its domain") != NULL ? 1 : 0;
  }
  g_assert_cmpuint (kept, ==, 1);
  assert_next_start_removes_leftover (f);
}

/* Each run state has the name the run summary prints, and back. */
static void
test_run_state_names (void)
{
  const gchar *names[] = { "planned", "running", "failed", "deferred", "rejected", "cancelled",
                           "ended" };
  XaRunState state = XA_RUN_STATE_LAST;

  for (guint s = 0; s <= XA_RUN_STATE_LAST; s++) {
    g_assert_cmpstr (xa_run_state_to_string ((XaRunState) s), ==, names[s]);
    g_assert_true (xa_run_state_from_string (names[s], &state));
    g_assert_cmpint (state, ==, s);
  }
  g_assert_false (xa_run_state_from_string ("building", &state));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  xa_test_scheduler_add ("/scheduler/failed-build-is-retried", test_failed_build_is_retried);
  xa_test_scheduler_add ("/scheduler/strict/fails-and-replans", test_strict_fails_and_replans);
  xa_test_scheduler_add ("/scheduler/strict/off-spills", test_no_strict_spills);
  xa_test_scheduler_add ("/scheduler/strict/never-for-xenopsd", test_xenopsd_is_never_strict);
  xa_test_scheduler_add ("/scheduler/stop-lets-builds-finish", test_stop_lets_builds_finish);
  xa_test_scheduler_add ("/scheduler/failed-build/hung-times-out-and-is-retried",
                         test_hung_build_times_out_and_is_retried);
  xa_test_scheduler_add ("/scheduler/failed-build/destroy-is-retried",
                         test_failed_build_destroy_is_retried);
  xa_test_scheduler_add ("/scheduler/failed-build/undestroyable-goes-at-next-start",
                         test_undestroyable_build_goes_at_next_start);
  xa_test_scheduler_add ("/scheduler/abort/undestroyable-goes-at-next-start",
                         test_undestroyable_abort_goes_at_next_start);
  xa_test_scheduler_add ("/scheduler/abort-destroys-half-built-domains",
                         test_abort_destroys_half_built_domains);
  xa_test_scheduler_add ("/scheduler/admission/leaves-running-vms-alone",
                         test_admission_leaves_running_vms_alone);
  xa_test_scheduler_add ("/scheduler/state/saved-once-per-batch", test_state_saved_once_per_batch);
  g_test_add_func ("/scheduler/run/state-names", test_run_state_names);
  return g_test_run ();
}
