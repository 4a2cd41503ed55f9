/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gio/gio.h>

#include "xa-host-backend.h"
#include "xa-admission.h"
#include "xa-test-util.h"

#define N_NODES 2
#define N_VMS 10
#define WORKERS 4

/* A host whose builds block, as libxenguest's do, on the real clock: the
 * scheduler's builds run in xa-host-pool.c's threads. Each build waits until
 * WORKERS of them run at once (a barrier, not a sleep), so the test sees the
 * pool's parallelism; the builds after the first WORKERS pass straight. */
typedef struct {
  XaHost parent;
  GThread *main_thread;
  GMutex lock;
  GCond cond;
  /* under lock: */
  GPtrArray *domains;
  guint32 next_domid;
  guint active;
  guint peak;
  gboolean gate_open;
  guint built;
  guint stopped;
  guint unpaused;
  /* its snapshots count each domain's pages on the other node than
   * domain_memory said, as Xen's 'u' table corrects an estimate */
  gboolean counts_differ;
  /* this many domains, once unpaused, crash at the next turn of the main
   * loop */
  guint crashes;
  XaHostDomainDown down;
  gpointer down_data;
  guint watching;
  gboolean built_on_main;
  /* main thread only: */
  gboolean finished_off_main;
} BlockingHost;

static XaHostDomain *
find_domain (BlockingHost *self, guint32 domid, const gchar *call, GError **error)
{
  for (guint i = 0; i < self->domains->len; i++) {
    XaHostDomain *domain = g_ptr_array_index (self->domains, i);

    if (domain->domid == domid)
      return domain;
  }
  xa_host_fail (error, ESRCH, call, "no domain %u", domid);
  return NULL;
}

static XaHostInfo *
blocking_snapshot (XaHost *host, GError **error)
{
  BlockingHost *self = (BlockingHost *) host;
  XaHostInfo *info = xa_host_info_new ("blocking", N_NODES);

  info->uuid = g_strdup ("00000000-0000-4000-8000-000000000001");
  info->populate_mib_per_s = 2048;
  info->bandwidth_mib_per_s = 16384;
  info->scrub_mib_per_s = 4096;
  for (guint n = 0; n < N_NODES; n++) {
    info->nodes[n].total_mib = info->nodes[n].free_mib = 64 * GiB;
    info->nodes[n].n_cores = 4;
    for (guint c = 0; c < 8; c++) {
      guint id = n * 8 + c;

      g_array_append_val (info->nodes[n].cpus, id);
    }
  }
  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->domains->len; i++) {
    const XaHostDomain *domain = g_ptr_array_index (self->domains, i);
    XaHostDomain *copy = xa_host_domain_new (domain->name, domain->vcpus, N_NODES);

    copy->uuid = g_strdup (domain->uuid);
    copy->domid = domain->domid;
    copy->down = g_strdup (domain->down);
    for (guint n = 0; n < N_NODES; n++) {
      guint counted = self->counts_differ ? N_NODES - 1 - n : n;

      copy->memory_by_node_mib[counted] = domain->memory_by_node_mib[n];
      info->nodes[counted].free_mib -= domain->memory_by_node_mib[n];
    }
    g_ptr_array_add (info->domains, copy);
  }
  g_mutex_unlock (&self->lock);
  return info;
}

static gboolean
blocking_free_memory (XaHost *host, guint64 *free_mib, guint64 *claimed_mib, GError **error)
{
  g_autoptr(XaHostInfo) info = blocking_snapshot (host, error);

  for (guint n = 0; n < N_NODES; n++) {
    free_mib[n] = info->nodes[n].free_mib;
    if (claimed_mib != NULL)
      claimed_mib[n] = 0;
  }
  return TRUE;
}

static gboolean
blocking_create_domain (XaHost *host, const XaDomainSpec *spec, guint32 *out_domid,
                        GError **error)
{
  BlockingHost *self = (BlockingHost *) host;
  XaHostDomain *domain = xa_host_domain_new (spec->name, spec->vcpus, N_NODES);

  domain->uuid = g_strdup (spec->uuid);
  g_mutex_lock (&self->lock);
  domain->domid = *out_domid = self->next_domid++;
  g_ptr_array_add (self->domains, domain);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

/* The calls build_pre makes, accepted as Xen would for a sane domain. */
static gboolean
blocking_domain_call (XaHost *host, guint32 domid, const gchar *call, GError **error)
{
  BlockingHost *self = (BlockingHost *) host;
  gboolean found;

  g_mutex_lock (&self->lock);
  found = find_domain (self, domid, call, error) != NULL;
  g_mutex_unlock (&self->lock);
  return found;
}

static gboolean
blocking_set_max_vcpus (XaHost *host, guint32 domid, guint vcpus, GError **error)
{
  return blocking_domain_call (host, domid, "max_vcpus", error);
}

static gboolean
blocking_set_max_mem (XaHost *host, guint32 domid, guint64 max_mib, GError **error)
{
  return blocking_domain_call (host, domid, "setmaxmem", error);
}

static gboolean
blocking_set_vcpu_affinity (XaHost *host, guint32 domid, GArray *cpus, gboolean hard,
                            GError **error)
{
  return blocking_domain_call (host, domid, "vcpu_affinity", error);
}

static gboolean
blocking_set_node_affinity (XaHost *host, guint32 domid, XaNodeSet nodes, GError **error)
{
  return blocking_domain_call (host, domid, "node_affinity", error);
}

static gboolean
blocking_claim (XaHost *host, guint32 domid, gint node, guint64 mib, GError **error)
{
  return blocking_domain_call (host, domid, "claim_pages", error);
}

typedef struct {
  BlockingHost *host;
  guint32 domid;
} Crash;

static gboolean
blocking_crash (gpointer data)
{
  Crash *crash = data;
  XaHostDomain *domain = find_domain (crash->host, crash->domid, "crash", NULL);

  if (domain != NULL) {
    domain->down = g_strdup ("crash");
    if (crash->host->down != NULL)
      crash->host->down (crash->domid, domain->down, crash->host->down_data);
  }
  return G_SOURCE_REMOVE;
}

static gboolean
blocking_watch (XaHost *host, XaHostDomainDown down, gpointer user_data, GError **error)
{
  BlockingHost *self = (BlockingHost *) host;

  self->down = down;
  self->down_data = user_data;
  self->watching++;
  return TRUE;
}

static void
blocking_unwatch (XaHost *host)
{
  BlockingHost *self = (BlockingHost *) host;

  self->down = NULL;
  self->watching--;
}

static gboolean
blocking_unpause (XaHost *host, guint32 domid, GError **error)
{
  BlockingHost *self = (BlockingHost *) host;
  Crash *crash;

  self->finished_off_main |= g_thread_self () != self->main_thread;
  self->unpaused++;
  if (self->crashes > 0) {
    self->crashes--;
    crash = g_new0 (Crash, 1);
    crash->host = self;
    crash->domid = domid;
    g_idle_add_full (G_PRIORITY_DEFAULT, blocking_crash, crash, g_free);
  }
  return blocking_domain_call (host, domid, "unpause", error);
}

/* A stop, from whichever thread it comes. */
static void
blocking_wake (GCancellable *cancellable, gpointer user_data)
{
  BlockingHost *self = user_data;

  g_mutex_lock (&self->lock);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

/* In a pool thread: waits for the others of the first round, then puts
 * the memory on node 0; a stop ends the wait, and the build. */
static gboolean
blocking_build (XaHost *host, guint32 domid, const XaBuildSpec *spec, GCancellable *cancellable,
                GError **error)
{
  BlockingHost *self = (BlockingHost *) host;
  gulong handler = g_cancellable_connect (cancellable, G_CALLBACK (blocking_wake), self, NULL);
  XaHostDomain *domain = NULL;

  g_mutex_lock (&self->lock);
  self->built_on_main |= g_thread_self () == self->main_thread;
  self->active++;
  self->peak = MAX (self->peak, self->active);
  if (self->active == WORKERS)
    self->gate_open = TRUE;
  g_cond_broadcast (&self->cond);
  while (!self->gate_open && !g_cancellable_is_cancelled (cancellable))
    g_cond_wait (&self->cond, &self->lock);
  if (g_cancellable_is_cancelled (cancellable)) {
    self->stopped++;
    xa_host_fail (error, ECANCELED, "populate_physmap", "stopped");
  } else if ((domain = find_domain (self, domid, "populate_physmap", error)) != NULL) {
    domain->memory_by_node_mib[0] = spec->memory_mib;
  }
  self->active--;
  self->built++;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  g_cancellable_disconnect (cancellable, handler);
  return domain != NULL;
}

/* As the Xen backend: PV guests only. */
static gboolean
blocking_check_guest (XaHost *host, const XaGuest *guest, GError **error)
{
  if (guest == NULL || guest->type != XA_GUEST_PVH)
    return TRUE;
  g_set_error_literal (error, XA_ERROR, XA_ERROR_INVALID_INPUT, "type: \"pvh\" is not built here");
  return FALSE;
}

static gboolean
blocking_destroy (XaHost *host, guint32 domid, GError **error)
{
  BlockingHost *self = (BlockingHost *) host;
  XaHostDomain *domain;

  g_mutex_lock (&self->lock);
  domain = find_domain (self, domid, "destroydomain", error);
  if (domain != NULL)
    g_ptr_array_remove (self->domains, domain);
  g_mutex_unlock (&self->lock);
  return domain != NULL;
}

static gboolean
blocking_domain_memory (XaHost *host, guint32 domid, guint64 *mib_by_node, GError **error)
{
  BlockingHost *self = (BlockingHost *) host;
  XaHostDomain *domain;

  g_mutex_lock (&self->lock);
  domain = find_domain (self, domid, "numainfo", error);
  if (domain != NULL)
    memcpy (mib_by_node, domain->memory_by_node_mib, sizeof (guint64) * N_NODES);
  g_mutex_unlock (&self->lock);
  return domain != NULL;
}

static void
blocking_free (XaHost *host)
{
  BlockingHost *self = (BlockingHost *) host;

  g_ptr_array_unref (self->domains);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self);
}

static const XaHostClass blocking_class = {
  .domain_memory_estimated = TRUE,
  .kind = "blocking-test",
  .snapshot = blocking_snapshot,
  .free_memory = blocking_free_memory,
  .create_domain = blocking_create_domain,
  .set_max_vcpus = blocking_set_max_vcpus,
  .set_max_mem = blocking_set_max_mem,
  .set_vcpu_affinity = blocking_set_vcpu_affinity,
  .set_node_affinity = blocking_set_node_affinity,
  .claim = blocking_claim,
  .build_blocking = blocking_build,
  .check_guest = blocking_check_guest,
  .unpause = blocking_unpause,
  .destroy = blocking_destroy,
  .domain_memory = blocking_domain_memory,
  .watch_domains = blocking_watch,
  .unwatch_domains = blocking_unwatch,
  .free = blocking_free,
};

static BlockingHost *
blocking_host_new (void)
{
  BlockingHost *self = g_new0 (BlockingHost, 1);

  self->parent.klass = &blocking_class;
  self->parent.clock = xa_clock_new_real ();
  self->main_thread = g_thread_self ();
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->domains = g_ptr_array_new_with_free_func ((GDestroyNotify) xa_host_domain_free);
  self->next_domid = 1;
  return self;
}

/* A ledger in a folder of its own, a blocking host, the VMs to queue and
 * the scheduler's options; a test sets them, then pool_run(). */
typedef struct {
  XaTestDir *dir;
  gchar *db;
  BlockingHost *blocking;
  XaHost *host;
  GPtrArray *requests;
  GPtrArray *guests;
  XaSchedulerOptions options;
  XaAdmission *admission;
  XaRun *run;
} Pool;

static void
pool_setup (Pool *f, gconstpointer data)
{
  const XaSchedulerOptions defaults = XA_SCHEDULER_OPTIONS_DEFAULT;

  f->dir = xa_test_dir_new ();
  f->db = g_build_filename (f->dir, "xadmit.db", NULL);
  f->blocking = blocking_host_new ();
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
  g_assert_null (find_domain (f->blocking, 1, "test", NULL));
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
  BlockingHost *blocking = blocking_host_new ();
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
