/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-admission.h"
#include "xa-test-blocking.h"
#include "xa-test-util.h"

#define N_NODES XA_TEST_BLOCKING_NODES
#define N_VMS 10
#define WORKERS XA_TEST_BLOCKING_WORKERS

/* A ledger in a folder of its own, a blocking host, the VMs to queue and
 * the scheduler's options; a test sets them, then pool_run(). */
typedef struct {
  XaTestDir *dir;
  gchar *db;
  XaTestBlockingHost *blocking;
  XaHost *host;
  GPtrArray *requests;
  GPtrArray *guests;
  XaSchedulerOptions options;
  XaAdmission *admission;
  XaRun *run;
  /* a service run: the ledger's first VM's MiB on node 1 once it runs */
  gboolean service;
  guint64 seen_mib;
} Pool;

static void
pool_setup (Pool *f, gconstpointer data)
{
  const XaSchedulerOptions defaults = XA_SCHEDULER_OPTIONS_DEFAULT;

  f->dir = xa_test_dir_new ();
  f->db = g_build_filename (f->dir, "xadmit.db", NULL);
  f->blocking = xa_test_blocking_host_new ();
  f->host = &f->blocking->parent;
  f->requests = xa_test_requests_new ();
  f->options = defaults;
}

static void
pool_teardown (Pool *f, gconstpointer data)
{
  g_clear_pointer (&f->run, xa_run_free);
  g_clear_pointer (&f->admission, xa_admission_free);
  g_clear_pointer (&f->guests, g_ptr_array_unref);
  g_ptr_array_unref (f->requests);
  xa_host_free (f->host);
  g_free (f->db);
  xa_test_dir_free (f->dir);
}

/* A service run: once its VM runs, the test reads what the ledger says of
 * its memory on node 1 (before the run's end could count it), and stops. */
static void
pool_look_and_stop (const XaSchedulerProgress *progress, gpointer user_data)
{
  Pool *f = user_data;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GError) error = NULL;

  if (progress->running == 0)
    return;
  rows = xa_store_list_vms (xa_admission_get_store (f->admission),
                            xa_admission_get_host_id (f->admission), N_NODES, 0, G_MAXINT64,
                            &error);
  g_assert_no_error (error);
  f->seen_mib = ((XaStoreVmRow *) g_ptr_array_index (rows, 0))->actual_mib[1];
  xa_scheduler_stop (xa_admission_get_scheduler (f->admission), FALSE);
}

/* Opens the ledger for the host, queues the VMs and runs them. */
static void
pool_run (Pool *f)
{
  g_autoptr(GError) error = NULL;
  XaScheduler *scheduler;

  g_clear_pointer (&f->run, xa_run_free);
  g_clear_pointer (&f->admission, xa_admission_free);
  f->admission = xa_admission_open (f->host, f->db, &f->options, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (xa_admission_submit (f->admission, "pool", f->requests, f->guests, NULL, NULL,
                                      &error));
  scheduler = xa_admission_get_scheduler (f->admission);
  if (f->service) {
    xa_scheduler_set_service (scheduler, TRUE);
    xa_scheduler_set_progress (scheduler, pool_look_and_stop, f);
  }
  g_assert_true (xa_scheduler_run (scheduler, &error));
  g_assert_no_error (error);
  f->run = xa_scheduler_get_run (scheduler);
}

static const XaRunVm *
pool_vm (Pool *f, guint index)
{
  return g_ptr_array_index (f->run->vms, index);
}

/* The scheduler on a host whose builds block: they run WORKERS at a time
 * in the pool's threads, each completion comes back to the main loop, and
 * every VM runs with the ledger matching the host. */
static void
test_pool_builds_in_parallel_and_finishes_on_the_main_loop (Pool *f, gconstpointer data)
{
  XaRunCounts counts;

  xa_test_add_vms (f->requests, N_VMS, 4 * GiB, 2);
  f->options.workers = WORKERS;
  f->options.max_batch = N_VMS;
  pool_run (f);
  counts = xa_run_count (f->run);
  g_assert_cmpuint (counts.running, ==, N_VMS);
  g_assert_cmpuint (counts.local, ==, N_VMS);
  g_assert_cmpuint (f->blocking->built, ==, N_VMS);
  g_assert_cmpuint (f->blocking->peak, ==, WORKERS);
  g_assert_cmpuint (f->blocking->unpaused, ==, N_VMS);
  g_assert_false (f->blocking->built_on_main);
  g_assert_false (f->blocking->finished_off_main);
}

/* A VM whose guest the host cannot boot is rejected with the host's reason
 * before anything is built; the VM beside it runs. */
static void
test_pool_guest_the_host_cannot_boot_is_rejected (Pool *f, gconstpointer data)
{
  xa_test_add_vms (f->requests, 2, GiB, 1);
  f->guests = g_ptr_array_new_with_free_func ((GDestroyNotify) xa_guest_free);
  g_ptr_array_add (f->guests, xa_guest_new (XA_GUEST_PVH, "/boot/vmlinuz", NULL, NULL));
  g_ptr_array_add (f->guests, xa_guest_new (XA_GUEST_PV, "/boot/vmlinuz", NULL, NULL));
  f->blocking->gate_open = TRUE;
  pool_run (f);
  g_assert_cmpint (pool_vm (f, 0)->state, ==, XA_RUN_STATE_REJECTED);
  g_assert_cmpstr (pool_vm (f, 0)->reason, ==, "type: \"pvh\" is not built here");
  g_assert_cmpint (pool_vm (f, 1)->state, ==, XA_RUN_STATE_RUNNING);
  g_assert_cmpuint (f->blocking->built, ==, 1);
}

/* --paused: every VM is built and runs in the ledger's sense, and none is
 * unpaused: the toolstack that asked does that. */
static void
test_pool_paused_builds_stay_paused (Pool *f, gconstpointer data)
{
  xa_test_add_vms (f->requests, 3, GiB, 1);
  f->options.paused = TRUE;
  f->blocking->gate_open = TRUE;
  pool_run (f);
  g_assert_cmpuint (xa_run_count (f->run).running, ==, 3);
  g_assert_cmpuint (f->blocking->built, ==, 3);
  g_assert_cmpuint (f->blocking->unpaused, ==, 0);
}

/* Where domain_memory guesses, the snapshot at the run's end counts: the
 * summary and the ledger show where the pages are, not the guess. */
static void
test_pool_run_ends_with_the_hosts_count (Pool *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  const XaStoreVmRow *row;

  xa_test_add_vms (f->requests, 1, GiB, 1);
  f->blocking->gate_open = TRUE;
  f->blocking->counts_differ = TRUE;
  pool_run (f);
  g_assert_cmpint (pool_vm (f, 0)->state, ==, XA_RUN_STATE_RUNNING);
  g_assert_cmpuint (pool_vm (f, 0)->memory_by_node_mib[0], ==, 0);
  g_assert_cmpuint (pool_vm (f, 0)->memory_by_node_mib[1], ==, GiB);
  rows = xa_store_list_vms (xa_admission_get_store (f->admission),
                            xa_admission_get_host_id (f->admission), N_NODES, 0, G_MAXINT64,
                            &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 1);
  row = g_ptr_array_index (rows, 0);
  g_assert_cmpuint (row->actual_mib[0], ==, 0);
  g_assert_cmpuint (row->actual_mib[1], ==, GiB);
}

/* A service (the daemon) never reaches a run's end: it counts as soon as
 * its builds are over, so the ledger has the host's count while it runs. */
static void
test_pool_service_counts_when_idle (Pool *f, gconstpointer data)
{
  xa_test_add_vms (f->requests, 1, GiB, 1);
  f->blocking->gate_open = TRUE;
  f->blocking->counts_differ = TRUE;
  f->service = TRUE;
  pool_run (f);
  g_assert_cmpuint (f->seen_mib, ==, GiB);
}

/* A domain that crashes while the run goes on is destroyed and its request
 * ends with the reason; the memory it frees lets the VM that waited for it
 * start; the run's watch is gone when it returns. */
static void
test_pool_domain_down_during_the_run_ends (Pool *f, gconstpointer data)
{
  /* the host's two nodes hold one of them, not both */
  xa_test_add_vms (f->requests, 2, 100 * GiB, 1);
  f->options.workers = 1;
  f->blocking->gate_open = TRUE;
  f->blocking->crashes = 1;
  pool_run (f);
  g_assert_cmpint (pool_vm (f, 0)->state, ==, XA_RUN_STATE_ENDED);
  g_assert_cmpstr (pool_vm (f, 0)->reason, ==, "its domain went down (crash) and was destroyed");
  g_assert_cmpint (pool_vm (f, 1)->state, ==, XA_RUN_STATE_RUNNING);
  g_assert_cmpuint (pool_vm (f, 1)->attempts, ==, 1);
  g_assert_cmpuint (f->blocking->built, ==, 2);
  g_assert_cmpuint (f->blocking->watching, ==, 0);
  g_assert_null (xa_test_blocking_find_domain (f->blocking, 1, "test", NULL));
}

/* A domain that went down while no xadmit ran: the next start destroys it
 * and ends its request. */
static void
test_pool_domain_down_before_a_start_ends (Pool *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) ended = NULL;
  XaHostDomain *domain;

  xa_test_add_vms (f->requests, 1, GiB, 1);
  f->blocking->gate_open = TRUE;
  pool_run (f);
  g_clear_pointer (&f->admission, xa_admission_free);
  domain = g_ptr_array_index (f->blocking->domains, 0);
  domain->down = g_strdup ("poweroff");
  f->admission = xa_admission_open (f->host, f->db, &f->options, NULL, &error);
  g_assert_no_error (error);
  ended = xa_store_list_requests (xa_admission_get_store (f->admission),
                                  xa_admission_get_host_id (f->admission), XA_REQUEST_ENDED,
                                  &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ended->len, ==, 1);
  g_assert_cmpstr (((XaStoreRequest *) g_ptr_array_index (ended, 0))->reason, ==,
                   "its domain went down (poweroff) and was destroyed");
  g_assert_cmpuint (f->blocking->domains->len, ==, 0);
}

static void
note_done (const GError *error, gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
}

/* A domain destroyed while its build waits at the gate, which never
 * opens: the destroy stops the build (as it kills xadmit-xenguest on
 * Xen), and its end reaches the main loop and goes no further, as on the
 * simulated host. */
static void
test_pool_destroy_stops_and_silences_the_build (void)
{
  g_autoptr(GError) error = NULL;
  XaTestBlockingHost *blocking = xa_test_blocking_host_new ();
  g_autoptr(XaHost) host = &blocking->parent;
  XaDomainSpec domain = { "00000000-0000-4000-8000-0000000000aa", "doomed", 1, FALSE };
  XaBuildSpec spec = { "doomed", 1, GiB, NULL, N_NODES, NULL, NULL, NULL };
  guint32 domid = 0;
  gboolean called = FALSE;

  g_assert_true (xa_host_create_domain (host, &domain, &domid, &error));
  xa_host_build (host, domid, &spec, note_done, &called);
  g_assert_true (xa_host_destroy (host, domid, &error));
  g_assert_no_error (error);
  g_mutex_lock (&blocking->lock);
  while (blocking->built == 0)
    g_cond_wait (&blocking->cond, &blocking->lock);
  g_mutex_unlock (&blocking->lock);
  g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (blocking->stopped, ==, 1);
  g_assert_false (called);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/scheduler/host-pool/builds-in-parallel-and-finishes-on-the-main-loop", Pool, NULL, pool_setup,
              test_pool_builds_in_parallel_and_finishes_on_the_main_loop, pool_teardown);
  g_test_add ("/scheduler/host-pool/guest-the-host-cannot-boot-is-rejected", Pool, NULL, pool_setup,
              test_pool_guest_the_host_cannot_boot_is_rejected, pool_teardown);
  g_test_add ("/scheduler/host-pool/run-ends-with-the-hosts-count", Pool, NULL, pool_setup,
              test_pool_run_ends_with_the_hosts_count, pool_teardown);
  g_test_add ("/scheduler/host-pool/service-counts-when-idle", Pool, NULL, pool_setup,
              test_pool_service_counts_when_idle, pool_teardown);
  g_test_add ("/scheduler/host-pool/domain-down-during-the-run-ends", Pool, NULL, pool_setup,
              test_pool_domain_down_during_the_run_ends, pool_teardown);
  g_test_add ("/scheduler/host-pool/domain-down-before-a-start-ends", Pool, NULL, pool_setup,
              test_pool_domain_down_before_a_start_ends, pool_teardown);
  g_test_add ("/scheduler/host-pool/paused-builds-stay-paused", Pool, NULL, pool_setup,
              test_pool_paused_builds_stay_paused, pool_teardown);
  g_test_add_func ("/scheduler/host-pool/destroy-stops-and-silences-the-build",
                   test_pool_destroy_stops_and_silences_the_build);
  return g_test_run ();
}
