/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <unistd.h>

#include "xa-admission.h"
#include "xa-host-backend.h"
#include "xa-host-file.h"
#include "xa-host-record.h"
#include "xa-manifest.h"
#include "xa-scheduler.h"
#include "xa-test-util.h"

typedef struct {
  XaTestDir *dir;
  gchar *db;
  XaHost *host;
  XaAdmission *admission;
  /* the admission's */
  XaStore *store;
  gint64 host_id;
  XaScheduler *scheduler;
  guint stop_after;
  gboolean abort;
} Fixture;

/* The fixture's ledger and the sim host's state file live in @dir. */
static void
fixture_use_dir (Fixture *f, XaTestDir *dir)
{
  f->dir = dir;
  f->db = g_build_filename (dir, "xadmit.db", NULL);
}

static gchar *
fixture_state_path (const Fixture *f)
{
  return g_build_filename (f->dir, "state.json", NULL);
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  fixture_use_dir (f, xa_test_dir_new ());
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->admission, xa_admission_free);
  g_clear_pointer (&f->host, xa_host_free);
  g_clear_pointer (&f->db, g_free);
  g_clear_pointer (&f->dir, xa_test_dir_free);
}

/* Opens the admission for f->host; @out_found (optional) says what the
 * reconciliation found. */
static void
open_admission (Fixture *f, const XaSchedulerOptions *options, XaStoreReconciliation **out_found)
{
  g_autoptr(GError) error = NULL;

  f->admission = xa_admission_open (f->host, f->db, options, out_found, &error);
  g_assert_no_error (error);
  f->store = xa_admission_get_store (f->admission);
  f->host_id = xa_admission_get_host_id (f->admission);
  f->scheduler = xa_admission_get_scheduler (f->admission);
}

/* Opens @host_file (a sim host) with @state, and the admission for it. */
static void
open_sim (Fixture *f, const gchar *host_file, const gchar *state,
          const XaSchedulerOptions *options, XaStoreReconciliation **out_found)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *spec = xa_test_host_spec (host_file);

  f->host = xa_host_open (spec, state, &error);
  g_assert_no_error (error);
  open_admission (f, options, out_found);
}

/* Opens @host_file (a sim host), records it, queues @requests. */
static void
prepare (Fixture *f, const gchar *host_file, const gchar *state, GPtrArray *requests,
         const XaSchedulerOptions *options)
{
  g_autoptr(GError) error = NULL;

  open_sim (f, host_file, state, options, NULL);
  g_assert_true (xa_admission_submit (f->admission, "test", requests, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
}

static GPtrArray *
manifest (const gchar *name, const gchar *host_file)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *host_path = xa_test_data_path ("hosts", host_file);
  g_autofree gchar *manifest_path = xa_test_data_path ("manifests", name);
  g_autoptr(XaHostInfo) info = xa_host_file_load (host_path, NULL, &error);
  g_autoptr(XaTopology) topo = xa_host_info_to_topology (info);
  GPtrArray *requests = xa_manifest_load (manifest_path, NULL, &error);

  g_assert_no_error (error);
  return requests;
}

/* Stops the run once @stop_after builds are under way. */
static void
stop_when_busy (const XaSchedulerProgress *progress, gpointer user_data)
{
  Fixture *f = user_data;

  if (progress->building >= f->stop_after && !xa_scheduler_was_stopped (f->scheduler))
    xa_scheduler_stop (f->scheduler, f->abort);
}

/* Hands the scheduler what the ledger has queued. */
static void
take_queued (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (xa_admission_take_queued (f->admission, &error));
  g_assert_no_error (error);
}

static XaRunCounts
run_and_count (Fixture *f, XaRun **out_run)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(XaRun) run = NULL;
  XaRunCounts counts;

  g_assert_true (xa_scheduler_run (f->scheduler, &error));
  g_assert_no_error (error);
  run = xa_scheduler_get_run (f->scheduler);
  counts = xa_run_count (run);
  if (out_run != NULL)
    *out_run = g_steal_pointer (&run);
  return counts;
}

/* How many of the host's requests the ledger has in @state. */
static guint
count_in (Fixture *f, XaRequestState state)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) requests = xa_store_list_requests (f->store, f->host_id, state, &error);

  g_assert_no_error (error);
  return requests->len;
}

/* What the ledger holds in flight: nothing, once a run has ended. */
static guint
in_flight (Fixture *f)
{
  return count_in (f, XA_REQUEST_PLANNED) + count_in (f, XA_REQUEST_BUILDING);
}

/* The ledger after a run: no claim left (the memory it counts available is
 * the host's free memory), and each running VM's memory as the host has it. */
static void
assert_ledger_matches_host (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(XaHostInfo) info = xa_host_snapshot (f->host, &error);
  g_auto(XaHostRecord) record = { { 0 } };
  g_autoptr(GPtrArray) vms = NULL;
  guint64 available[XA_MAX_NODES];

  g_assert_cmpuint (in_flight (f), ==, 0);
  xa_host_record_init (&record, info);
  g_assert_true (xa_store_refresh (f->store, f->host_id, &record.snapshot,
                                   xa_host_record_now (f->host), NULL, &error));
  g_assert_true (xa_store_available (f->store, f->host_id, info->n_nodes, available, &error));
  for (guint n = 0; n < info->n_nodes; n++)
    g_assert_cmpuint (available[n], ==, info->nodes[n].free_mib);
  vms = xa_store_list_vms (f->store, f->host_id, info->n_nodes, 0, G_MAXINT64, &error);
  for (guint i = 0; i < vms->len; i++) {
    const XaStoreVmRow *row = g_ptr_array_index (vms, i);
    const XaHostDomain *domain = xa_host_info_find_domain (info, row->uuid);

    if (row->state != XA_REQUEST_RUNNING) {
      g_assert_null (domain);
      continue;
    }
    g_assert_nonnull (domain);
    for (guint n = 0; n < info->n_nodes; n++)
      g_assert_cmpuint (row->actual_mib[n], ==, domain->memory_by_node_mib[n]);
  }
}

/* A build that fails is destroyed, its claim released, and retried. */
static void
test_failed_build_is_retried (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) requests = manifest ("two-big.json", "2node-take.json");
  XaSchedulerOptions options = XA_SCHEDULER_OPTIONS_DEFAULT;
  g_autoptr(XaRun) run = NULL;
  XaRunCounts counts;

  prepare (f, "2node-take.json", NULL, requests, &options);
  counts = run_and_count (f, &run);
  g_assert_cmpuint (counts.running, ==, 4);
  g_assert_cmpuint (((XaRunVm *) g_ptr_array_index (run->vms, 3))->attempts, ==, 2);
  assert_ledger_matches_host (f);
}

/* A first stop: nothing more is admitted, what was building finishes. */
static void
test_stop_lets_builds_finish (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) requests = manifest ("dense-8node.json", "8node.json");
  XaSchedulerOptions options = XA_SCHEDULER_OPTIONS_DEFAULT;
  XaRunCounts counts;

  prepare (f, "8node.json", NULL, requests, &options);
  f->stop_after = 4;
  xa_scheduler_set_progress (f->scheduler, stop_when_busy, f);
  counts = run_and_count (f, NULL);
  g_assert_true (xa_scheduler_was_stopped (f->scheduler));
  g_assert_cmpuint (counts.running, >=, 4);
  g_assert_cmpuint (counts.cancelled, >, 0);
  g_assert_cmpuint (counts.running + counts.cancelled, ==, requests->len);
  assert_ledger_matches_host (f);
}

/* A second stop: the domains being built go, with their claims. */
static void
test_abort_destroys_half_built_domains (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) requests = manifest ("dense-8node.json", "8node.json");
  XaSchedulerOptions options = XA_SCHEDULER_OPTIONS_DEFAULT;
  g_autoptr(XaRun) run = NULL;
  guint cut_short = 0;
  XaRunCounts counts;

  prepare (f, "8node.json", NULL, requests, &options);
  f->stop_after = 4;
  f->abort = TRUE;
  xa_scheduler_set_progress (f->scheduler, stop_when_busy, f);
  counts = run_and_count (f, &run);
  for (guint i = 0; i < run->vms->len; i++) {
    const XaRunVm *vm = g_ptr_array_index (run->vms, i);

    cut_short += g_strcmp0 (vm->reason, "xadmit was interrupted twice: its half-built domain "
                                        "was destroyed") == 0 ? 1 : 0;
  }
  /* the first report comes when a build ends: the others were cut short */
  g_assert_cmpuint (cut_short, >, 0);
  g_assert_cmpuint (counts.running + counts.cancelled, ==, requests->len);
  g_assert_cmpuint (counts.running, <, f->stop_after);
  assert_ledger_matches_host (f);
}

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
assert_each_vm_settled (Fixture *f, const XaRunCounts *counts, guint n_vms)
{
  guint in_ledger = 0;

  g_assert_cmpuint (counts->planned, ==, 0);
  for (guint state = 0; state <= XA_REQUEST_STATE_LAST; state++) {
    guint n = count_in (f, (XaRequestState) state);

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
  Fixture f = { 0 };
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
  fixture_set_up (&f, NULL);
  prepare (&f, "4node.json", NULL, requests, &options);
  counts = run_and_count (&f, &run);
  g_assert_cmpuint (counts.spilled, ==, 0);
  g_assert_cmpuint (counts.running + counts.deferred + counts.rejected, ==, n_vms);
  g_assert_cmpfloat (run->makespan_s, >=, run->lower_bound_s);
  assert_each_vm_settled (&f, &counts, n_vms);
  assert_ledger_matches_host (&f);
  fixture_tear_down (&f, NULL);
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
  const Fixture *f = user_data;

  if (progress->running >= f->stop_after)
    _exit (0);
}

/* The child of the crash test: a storm on the parent's host state and
 * ledger, cut short. */
static void
run_until_the_crash (GPtrArray *requests)
{
  Fixture f = { 0 };
  g_autofree gchar *state = NULL;
  XaSchedulerOptions options = XA_SCHEDULER_OPTIONS_DEFAULT;

  fixture_use_dir (&f, g_strdup (g_getenv ("XA_TEST_CRASH_DIR")));
  f.stop_after = (guint) g_ascii_strtoull (g_getenv ("XA_TEST_CRASH_AFTER"), NULL, 10);
  state = fixture_state_path (&f);
  /* batches of 8: the host is saved with the domains of the batches before */
  options.max_batch = 8;
  prepare (&f, "8node.json", state, requests, &options);
  xa_scheduler_set_progress (f.scheduler, crash_when_running, &f);
  xa_scheduler_run (f.scheduler, NULL);
  g_assert_not_reached ();
}

/* The domains xadmit built that the host has: a UUID each. */
static guint
n_built_domains (Fixture *f)
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
restart_loses_no_domain (Fixture *f, GPtrArray *requests, guint after)
{
  g_autofree gchar *state = fixture_state_path (f);
  g_autoptr(XaStoreReconciliation) found = NULL;
  XaSchedulerOptions options = XA_SCHEDULER_OPTIONS_DEFAULT;
  XaRunCounts counts;
  guint running;
  guint queued;

  open_sim (f, "8node.json", state, &options, &found);
  g_test_message ("crashed after %u VMs ran: the restart found %u builds finished, "
                  "%u half-built, %u not begun", after, found->built->len,
                  found->half_built->len, found->gone->len);
  g_assert_cmpuint (found->built->len + found->half_built->len, >, 0);
  assert_ledger_matches_host (f);
  running = count_in (f, XA_REQUEST_RUNNING);
  g_assert_cmpuint (running, ==, n_built_domains (f));
  queued = count_in (f, XA_REQUEST_QUEUED);
  g_assert_cmpuint (running + queued, ==, requests->len);
  take_queued (f);
  counts = run_and_count (f, NULL);
  g_assert_cmpuint (counts.running, ==, queued);
  assert_ledger_matches_host (f);
}

/* A crash once @after VMs run, in a child on a fresh directory, then the
 * restart in this process. */
static void
crash_then_restart (GPtrArray *requests, guint after)
{
  Fixture f = { 0 };
  g_autofree gchar *after_text = g_strdup_printf ("%u", after);

  fixture_set_up (&f, NULL);
  g_setenv ("XA_TEST_CRASH_DIR", f.dir, TRUE);
  g_setenv ("XA_TEST_CRASH_AFTER", after_text, TRUE);
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  restart_loses_no_domain (&f, requests, after);
  fixture_tear_down (&f, NULL);
}

/* One crash point, after 6 VMs run; several in the slow suite. */
static void
test_crash_restart_loses_no_domain (void)
{
  g_autoptr(GPtrArray) requests = manifest ("dense-8node.json", "8node.json");
  const guint quick[] = { 6 };
  const guint slow[] = { 1, 3, 6, 12, 20 };
  const guint *points = g_test_slow () ? slow : quick;
  gsize n_points = g_test_slow () ? G_N_ELEMENTS (slow) : G_N_ELEMENTS (quick);

  if (g_test_subprocess ()) {
    run_until_the_crash (requests);
    return;
  }
  for (gsize i = 0; i < n_points; i++)
    crash_then_restart (requests, points[i]);
}

/* Requests submitted again to a new admission: those that run are left
 * alone, named, and the scheduler gets nothing to start twice. */
static void
test_admission_leaves_running_vms_alone (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) requests = manifest ("demo.json", "4node.json");
  g_autoptr(GPtrArray) left_alone = NULL;
  g_autoptr(XaStoreReconciliation) found = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(XaRun) run = NULL;
  XaSchedulerOptions options = XA_SCHEDULER_OPTIONS_DEFAULT;
  XaRunCounts counts;

  prepare (f, "4node.json", NULL, requests, &options);
  counts = run_and_count (f, NULL);
  g_assert_cmpuint (counts.running, ==, requests->len);
  g_clear_pointer (&f->admission, xa_admission_free);
  open_admission (f, &options, &found);
  g_assert_cmpuint (found->built->len + found->half_built->len + found->gone->len, ==, 0);
  g_assert_true (xa_admission_submit (f->admission, "test", requests, NULL, &left_alone, NULL,
                                      &error));
  g_assert_no_error (error);
  g_assert_cmpuint (left_alone->len, ==, requests->len);
  g_assert_cmpstr (g_ptr_array_index (left_alone, 0), ==,
                   ((XaRequest *) g_ptr_array_index (requests, 0))->name);
  take_queued (f);
  counts = run_and_count (f, &run);
  /* the summary covers the whole manifest, those left alone as running */
  g_assert_cmpuint (run->vms->len, ==, requests->len);
  g_assert_cmpuint (counts.running, ==, requests->len);
  g_assert_cmpfloat (run->makespan_s, ==, 0);
  g_assert_cmpfloat (run->lower_bound_s, ==, 0);
  assert_ledger_matches_host (f);
}

/* A storm in several batches writes the simulated host's state once per
 * batch at most, and once at the end, not at every host call. */
static void
test_state_saved_once_per_batch (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) requests = manifest ("dense-8node.json", "8node.json");
  g_autofree gchar *state = fixture_state_path (f);
  XaSchedulerOptions options = XA_SCHEDULER_OPTIONS_DEFAULT;
  g_autoptr(GPtrArray) batches = NULL;
  g_autoptr(GError) error = NULL;
  XaRunCounts counts;
  guint saves;

  options.max_batch = 4;
  prepare (f, "8node.json", state, requests, &options);
  saves = f->host->n_saves;
  counts = run_and_count (f, NULL);
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
run_with_faults (Fixture *f, const gchar *faults, gboolean abort)
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
  open_admission (f, &options, NULL);
  g_assert_true (xa_admission_submit (f->admission, "test", requests, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  if (abort) {
    f->stop_after = 1;
    f->abort = TRUE;
    xa_scheduler_set_progress (f->scheduler, stop_when_busy, f);
  }
  run_and_count (f, &run);
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
test_failed_build_destroy_is_retried (Fixture *f, gconstpointer data)
{
  g_autoptr(XaRun) run = run_with_faults (
    f, "{\"build_fails\": \"vm-a\"}, {\"call_fails\": \"destroy\", \"use\": 1}", FALSE);

  g_assert_cmpstr (xa_run_state_to_string (run_vm (run, 0)->state), ==, "running");
  g_assert_cmpuint (run_vm (run, 0)->attempts, ==, 2);
  assert_ledger_matches_host (f);
}

/* The next start after a domain that would not go: it destroys the domain
 * and releases its claim, the ledger equal to the host again. */
static void
assert_next_start_removes_leftover (Fixture *f)
{
  g_autoptr(XaStoreReconciliation) found = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(XaHostInfo) info = NULL;
  XaSchedulerOptions options = XA_SCHEDULER_OPTIONS_DEFAULT;

  info = xa_host_snapshot (f->host, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (info->domains->len, ==, 2);
  g_clear_pointer (&f->admission, xa_admission_free);
  open_admission (f, &options, &found);
  g_assert_cmpuint (found->leftover->len, ==, 1);
  g_assert_cmpuint (found->released_mib, >, 1024);
  g_clear_pointer (&info, xa_host_info_free);
  info = xa_host_snapshot (f->host, &error);
  g_assert_cmpuint (info->domains->len, ==, 1);
  assert_ledger_matches_host (f);
}

/* A failed build whose domain cannot be destroyed at all fails for good
 * with why, its claim kept as that domain's, until the next start. */
static void
test_undestroyable_build_goes_at_next_start (Fixture *f, gconstpointer data)
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
test_undestroyable_abort_goes_at_next_start (Fixture *f, gconstpointer data)
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

static void
add (const gchar *path, void (*func) (Fixture *, gconstpointer))
{
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  add ("/scheduler/failed-build-is-retried", test_failed_build_is_retried);
  add ("/scheduler/stop-lets-builds-finish", test_stop_lets_builds_finish);
  add ("/scheduler/failed-build/destroy-is-retried", test_failed_build_destroy_is_retried);
  add ("/scheduler/failed-build/undestroyable-goes-at-next-start",
       test_undestroyable_build_goes_at_next_start);
  add ("/scheduler/abort/undestroyable-goes-at-next-start",
       test_undestroyable_abort_goes_at_next_start);
  add ("/scheduler/abort-destroys-half-built-domains", test_abort_destroys_half_built_domains);
  g_test_add_func ("/scheduler/property/holds-over-seeds", test_property_holds_over_seeds);
  g_test_add_func ("/scheduler/crash/restart-loses-no-domain", test_crash_restart_loses_no_domain);
  add ("/scheduler/admission/leaves-running-vms-alone", test_admission_leaves_running_vms_alone);
  add ("/scheduler/state/saved-once-per-batch", test_state_saved_once_per_batch);
  g_test_add_func ("/scheduler/run/state-names", test_run_state_names);
  return g_test_run ();
}
