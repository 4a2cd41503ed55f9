/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-host-record.h"
#include "xa-test-scheduler.h"

/* The scheduler as a service (the daemon's), in this process: VMs queued
 * while it runs, a request cancelled in the ledger while it holds it, and
 * the clock that follows the wall clock sped up. */

/* A service run the test drives from the main context. */
typedef struct {
  XaTestScheduler *f;
  /* the VMs the test has queued so far */
  guint queued;
  /* the VMs running when the test stops the run */
  guint stop_at;
  /* the id of the request the test cancels while the scheduler holds it */
  gint64 cancelled_id;
  gboolean second_asked;
  gboolean stop_asked;
} XaTestService;

/* Queues one VM of @gib GiB in the ledger, as another process would, and
 * hands it to the scheduler, as the daemon does on a ring: its id. */
static gint64
queue_vm (XaTestService *service, guint64 gib)
{
  XaTestScheduler *f = service->f;
  g_autoptr(GPtrArray) requests = xa_test_requests_new ();
  g_autoptr(GPtrArray) uuids = NULL;
  g_autoptr(GPtrArray) queued = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *name = g_strdup_printf ("late-%u", service->queued++);
  gint64 id = 0;

  xa_test_add_vm (requests, name, gib * GiB, 1);
  g_assert_true (xa_store_submit (f->store, f->host_id, "test", requests, NULL,
                                  xa_host_record_now (f->host), &uuids, &error));
  g_assert_no_error (error);
  queued = xa_store_list_requests (f->store, f->host_id, XA_REQUEST_QUEUED, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < queued->len; i++) {
    const XaStoreRequest *request = g_ptr_array_index (queued, i);

    if (g_str_equal (request->uuid, g_ptr_array_index (uuids, 0)))
      id = request->id;
  }
  g_assert_cmpint (id, >, 0);
  xa_test_scheduler_take_queued (f);
  return id;
}

static gboolean
stop_run (gpointer data)
{
  XaTestService *service = data;

  xa_scheduler_stop (service->f->scheduler, FALSE);
  return G_SOURCE_REMOVE;
}

/* A second VM, queued once the first runs: only a service still runs. */
static gboolean
queue_second (gpointer data)
{
  XaTestService *service = data;

  queue_vm (service, 2);
  return G_SOURCE_REMOVE;
}

static gboolean
queue_first (gpointer data)
{
  XaTestService *service = data;

  queue_vm (service, 4);
  return G_SOURCE_REMOVE;
}

/* The test stops the run from the main context once @stop_at VMs run; in
 * the first test, the first running VM brings the second. */
static void
on_progress (const XaSchedulerProgress *progress, gpointer user_data)
{
  XaTestService *service = user_data;

  if (progress->running == 1 && service->stop_at == 2 && !service->second_asked) {
    service->second_asked = TRUE;
    g_idle_add (queue_second, service);
  }
  if (progress->running == service->stop_at && !service->stop_asked) {
    service->stop_asked = TRUE;
    g_idle_add (stop_run, service);
  }
}

/* Each VM went to a build within the batch window of its arrival. */
static void
assert_admitted_within_the_window (const XaRun *run, const XaSchedulerOptions *options)
{
  for (guint i = 0; i < run->vms->len; i++) {
    const XaRunVm *vm = g_ptr_array_index (run->vms, i);

    if (vm->state != XA_RUN_STATE_RUNNING)
      continue;
    g_assert_cmpfloat (vm->started_s, >=, vm->queued_s);
    g_assert_cmpfloat (vm->started_s - vm->queued_s, <=, options->window_s + 1e-6);
  }
}

static gboolean
give_up (gpointer data)
{
  g_error ("%s did not come within 10 s of wall time", (const gchar *) data);
  return G_SOURCE_REMOVE;
}

/* Runs f's scheduler as a service, @queue run first from the main context,
 * until the test stops it, within 10 s of wall time. */
static XaRunCounts
run_service (XaTestService *service, GSourceFunc queue, XaRun **out_run)
{
  XaScheduler *scheduler = service->f->scheduler;
  guint guard = g_timeout_add_seconds (10, give_up, (gpointer) "the end of the run");
  XaRunCounts counts;

  xa_scheduler_set_service (scheduler, TRUE);
  xa_scheduler_set_progress (scheduler, on_progress, service);
  g_idle_add (queue, service);
  counts = xa_test_scheduler_run_and_count (service->f, out_run);
  g_source_remove (guard);
  return counts;
}

/* VMs queued after the run began are admitted; the run goes on when they
 * all run, and ends only when stopped. */
static void
test_service_admits_vms_queued_while_it_runs (XaTestScheduler *f, gconstpointer data)
{
  XaSchedulerOptions options = XA_SCHEDULER_OPTIONS_DEFAULT;
  XaTestService service = { f, 0, 2, 0, FALSE, FALSE };
  g_autoptr(XaRun) run = NULL;
  XaRunCounts counts;

  xa_test_scheduler_open_sim (f, "4node.json", NULL, &options, NULL);
  counts = run_service (&service, queue_first, &run);
  g_assert_true (xa_scheduler_was_stopped (f->scheduler));
  g_assert_cmpuint (service.queued, ==, 2);
  g_assert_cmpuint (counts.running, ==, 2);
  g_assert_cmpuint (xa_test_scheduler_count_in (f, XA_REQUEST_RUNNING), ==, 2);
  g_assert_cmpuint (xa_scheduler_get_counts (f->scheduler).batches, ==, 2);
  assert_admitted_within_the_window (run, &options);
  xa_test_scheduler_assert_ledger_matches_host (f);
}

/* Two VMs queued, one of them cancelled in the ledger before its batch. */
static gboolean
queue_two_cancel_one (gpointer data)
{
  XaTestService *service = data;
  XaTestScheduler *f = service->f;
  g_autoptr(GError) error = NULL;

  service->cancelled_id = queue_vm (service, 4);
  queue_vm (service, 2);
  g_assert_true (xa_store_cancel (f->store, service->cancelled_id, "withdrawn by the test",
                                  xa_host_record_now (f->host), &error));
  g_assert_no_error (error);
  return G_SOURCE_REMOVE;
}

/* A request the scheduler holds as queued, cancelled in the ledger (by
 * xadmit cancel, say), is dropped at its batch: no error, no build. On
 * the clock the daemon gives a simulated host. */
static void
test_service_drops_a_request_cancelled_in_the_ledger (XaTestScheduler *f, gconstpointer data)
{
  XaSchedulerOptions options = XA_SCHEDULER_OPTIONS_DEFAULT;
  XaTestService service = { f, 0, 1, 0, FALSE, FALSE };
  g_autoptr(XaRun) run = NULL;
  g_autoptr(GPtrArray) cancelled = NULL;
  g_autoptr(GError) error = NULL;
  XaRunCounts counts;

  xa_test_scheduler_open_sim (f, "4node.json", NULL, &options, NULL);
  xa_clock_follow_wall (xa_host_get_clock (f->host), 100);
  counts = run_service (&service, queue_two_cancel_one, &run);
  g_assert_cmpuint (counts.running, ==, 1);
  /* a service lets go of a request over: counted, not in its summary */
  g_assert_cmpuint (counts.cancelled, ==, 0);
  g_assert_cmpuint (run->vms->len, ==, 1);
  g_assert_cmpuint (xa_scheduler_get_let_go (f->scheduler).cancelled, ==, 1);
  g_assert_cmpuint (counts.failed, ==, 0);
  cancelled = xa_store_list_requests (f->store, f->host_id, XA_REQUEST_CANCELLED, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cancelled->len, ==, 1);
  g_assert_cmpint (((XaStoreRequest *) g_ptr_array_index (cancelled, 0))->id, ==,
                   service.cancelled_id);
  g_assert_cmpstr (((XaStoreRequest *) g_ptr_array_index (cancelled, 0))->reason, ==,
                   "withdrawn by the test");
  xa_test_scheduler_assert_ledger_matches_host (f);
}

static const XaRunVm *
run_vm_named (const XaRun *run, const gchar *name)
{
  for (guint i = 0; i < run->vms->len; i++) {
    const XaRunVm *vm = g_ptr_array_index (run->vms, i);

    if (g_str_equal (vm->name, name))
      return vm;
  }
  g_error ("no VM %s in the run", name);
  return NULL;
}

static gboolean
queue_flaky_and_late (gpointer data)
{
  XaTestService *service = data;
  g_autoptr(GPtrArray) requests = xa_test_requests_new ();
  g_autoptr(GError) error = NULL;

  /* flaky-db fails every attempt (the host's faults); first, as it ranks
   * higher, it leaves too little for the second until it has failed */
  xa_test_add_vm (requests, "flaky-db", 100 * GiB, 1)->priority = 10;
  xa_test_add_vm (requests, "late", 60 * GiB, 1);
  g_assert_true (xa_store_submit (service->f->store, service->f->host_id, "test", requests, NULL,
                                  xa_host_record_now (service->f->host), NULL, &error));
  g_assert_no_error (error);
  xa_test_scheduler_take_queued (service->f);
  service->queued = 2;
  return G_SOURCE_REMOVE;
}

/* 200 VMs queued and cancelled in the ledger, then one that runs. */
static gboolean
queue_many_cancelled (gpointer data)
{
  XaTestService *service = data;
  XaTestScheduler *f = service->f;

  for (guint i = 0; i < 200; i++) {
    g_autoptr(GError) error = NULL;
    gint64 id = queue_vm (service, 1);

    g_assert_true (xa_store_cancel (f->store, id, "withdrawn by the test",
                                    xa_host_record_now (f->host), &error));
    g_assert_no_error (error);
  }
  queue_vm (service, 2);
  return G_SOURCE_REMOVE;
}

/* A service lets go of the requests that are over, so a long-running
 * daemon holds only what waits or runs: they are counted, freed a batch
 * at a time, and left out of its summary. */
static void
test_service_lets_go_of_requests_over (XaTestScheduler *f, gconstpointer data)
{
  XaSchedulerOptions options = XA_SCHEDULER_OPTIONS_DEFAULT;
  XaTestService service = { f, 0, 1, 0, FALSE, FALSE };
  g_autoptr(XaRun) run = NULL;
  XaRunCounts counts;

  xa_test_scheduler_open_sim (f, "4node.json", NULL, &options, NULL);
  counts = run_service (&service, queue_many_cancelled, &run);
  g_assert_cmpuint (counts.running, ==, 1);
  g_assert_cmpuint (run->vms->len, ==, 1);
  g_assert_cmpuint (xa_scheduler_get_let_go (f->scheduler).cancelled, ==, 200);
  g_assert_cmpuint (xa_test_scheduler_count_in (f, XA_REQUEST_CANCELLED), ==, 200);
  xa_test_scheduler_assert_ledger_matches_host (f);
}

/* The run stops once a VM ran and none runs any more. */
static void
stop_when_none_runs (const XaSchedulerProgress *progress, gpointer user_data)
{
  XaTestService *service = user_data;

  if (progress->running > 0)
    service->second_asked = TRUE;
  else if (service->second_asked && !service->stop_asked) {
    service->stop_asked = TRUE;
    g_idle_add (stop_run, service);
  }
}

/* A guest that shuts itself down (the simulated host's shuts_down fault)
 * is told to the service as Xen's watch tells it: its domain is destroyed,
 * its request ends saying why, and it is let go. */
static void
test_service_ends_a_vm_that_shuts_down (XaTestScheduler *f, gconstpointer data)
{
  XaSchedulerOptions options = XA_SCHEDULER_OPTIONS_DEFAULT;
  XaTestService service = { f, 0, 1, 0, FALSE, FALSE };
  g_autofree gchar *path = xa_test_dir_write (
    f->dir, "host.json",
    "{\"nodes\": [{\"memory\": \"16GiB\", \"cpus\": 4}, {\"memory\": \"16GiB\", \"cpus\": 4}],"
    " \"faults\": [{\"shuts_down\": \"*\", \"after_s\": 10}]}");
  g_autofree gchar *spec = xa_test_host_spec_at (path);
  g_autoptr(GPtrArray) ended = NULL;
  g_autoptr(XaHostInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  guint guard = g_timeout_add_seconds (10, give_up, (gpointer) "the end of the run");

  f->host = xa_host_open (spec, NULL, &error);
  g_assert_no_error (error);
  xa_test_scheduler_open_admission (f, &options, NULL);
  xa_scheduler_set_service (f->scheduler, TRUE);
  xa_scheduler_set_progress (f->scheduler, stop_when_none_runs, &service);
  g_idle_add (queue_first, &service);
  xa_test_scheduler_run_and_count (f, NULL);
  g_source_remove (guard);
  ended = xa_store_list_requests (f->store, f->host_id, XA_REQUEST_ENDED, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ended->len, ==, 1);
  g_assert_cmpstr (((XaStoreRequest *) g_ptr_array_index (ended, 0))->reason, ==,
                   "its domain went down (poweroff) and was destroyed");
  g_assert_cmpuint (xa_scheduler_get_let_go (f->scheduler).ended, ==, 1);
  info = xa_host_snapshot (f->host, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (info->domains->len, ==, 0);
}

/* Another process's look at the ledger: once it sees the VM running, the
 * run stops. */
static gboolean
look_from_outside (gpointer data)
{
  XaTestService *service = data;
  g_autoptr(XaStore) reader = NULL;
  g_autoptr(GError) error = NULL;
  guint running = 0;

  reader = xa_store_open (service->f->db, &error);
  g_assert_no_error (error);
  g_assert_true (xa_store_count_in_state (reader, service->f->host_id, XA_REQUEST_RUNNING,
                                          &running, &error));
  g_assert_no_error (error);
  if (running == 0)
    return G_SOURCE_CONTINUE;
  service->stop_asked = TRUE;
  stop_run (service);
  return G_SOURCE_REMOVE;
}

/* A daemon on the wall's clock commits on a timer, not at each batch: what
 * it wrote reaches other processes while it runs, not at its end. */
static void
test_service_commits_while_it_runs (XaTestScheduler *f, gconstpointer data)
{
  XaSchedulerOptions options = XA_SCHEDULER_OPTIONS_DEFAULT;
  XaTestService service = { f, 0, G_MAXUINT, 0, FALSE, FALSE };

  xa_test_scheduler_open_sim (f, "4node.json", NULL, &options, NULL);
  xa_clock_follow_wall (xa_host_get_clock (f->host), 100);
  g_timeout_add (5, look_from_outside, &service);
  run_service (&service, queue_first, NULL);
  /* only the look from outside stops the run */
  g_assert_true (service.stop_asked);
  g_assert_true (xa_scheduler_was_stopped (f->scheduler));
  g_assert_cmpuint (xa_test_scheduler_count_in (f, XA_REQUEST_RUNNING), ==, 1);
}

static const XaStoreVmRow *
vm_row_named (GPtrArray *rows, const gchar *name)
{
  for (guint i = 0; i < rows->len; i++) {
    const XaStoreVmRow *row = g_ptr_array_index (rows, i);

    if (g_str_equal (row->name, name))
      return row;
  }
  g_assert_not_reached ();
}

/* A service retries a deferred VM whenever memory frees, until its own
 * --defer-timeout from its queueing (an hour here; tests/test-cli-daemon.c
 * sees one expire), not a run-wide deadline as a boot's. */
static void
test_service_retries_deferred_vms (XaTestScheduler *f, gconstpointer data)
{
  XaSchedulerOptions options = XA_SCHEDULER_OPTIONS_DEFAULT;
  XaTestService service = { f, 0, 1, 0, FALSE, FALSE };
  g_autoptr(XaRun) run = NULL;
  g_autoptr(GPtrArray) vms = NULL;
  g_autoptr(GError) error = NULL;
  const XaStoreVmRow *flaky;
  const XaStoreVmRow *late;
  XaRunCounts counts;

  options.defer_timeout_s = 3600;
  xa_test_scheduler_open_sim (f, "2node-claims-faults.json", NULL, &options, NULL);
  counts = run_service (&service, queue_flaky_and_late, &run);
  /* the failed one is let go: counted, and its history in the ledger */
  g_assert_cmpuint (xa_scheduler_get_let_go (f->scheduler).failed, ==, 1);
  g_assert_cmpuint (counts.running, ==, 1);
  g_assert_cmpint (run_vm_named (run, "late")->state, ==, XA_RUN_STATE_RUNNING);
  vms = xa_store_list_vms (f->store, f->host_id, 2, 0, G_MAXINT64, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vms->len, ==, 2);
  flaky = vm_row_named (vms, "flaky-db");
  late = vm_row_named (vms, "late");
  g_assert_cmpint (flaky->state, ==, XA_REQUEST_FAILED);
  g_assert_cmpint (late->started_wall_us, >=, flaky->finished_wall_us);
  xa_test_scheduler_assert_ledger_matches_host (f);
}

typedef struct {
  XaClock *clock;
  gdouble fired_at[2];
  guint fired;
} XaTestTimers;

static void
on_timer (gpointer data)
{
  XaTestTimers *timers = data;

  timers->fired_at[timers->fired++] = xa_clock_now (timers->clock);
}

/* A virtual clock made to follow the wall clock keeps its time and its
 * events, which come in order, not before their time, after their delay
 * divided by the speed. */
static void
test_clock_follows_the_wall_sped_up (void)
{
  g_autoptr(XaClock) clock = xa_clock_new_virtual (100);
  XaTestTimers timers = { clock, { 0 }, 0 };
  gint64 start_us;
  gint64 wall_us;
  guint guard;

  xa_clock_add (clock, 130, on_timer, &timers);
  xa_clock_add (clock, 120, on_timer, &timers);
  start_us = g_get_monotonic_time ();
  xa_clock_follow_wall (clock, 1000);
  g_assert_false (xa_clock_is_virtual (clock));
  g_assert_cmpfloat (xa_clock_now (clock), >=, 100);
  guard = g_timeout_add_seconds (10, give_up, (gpointer) "the clock's events");
  while (timers.fired < 2)
    g_main_context_iteration (NULL, TRUE);
  wall_us = g_get_monotonic_time () - start_us;
  g_source_remove (guard);
  g_assert_cmpfloat (timers.fired_at[0], >=, 120);
  g_assert_cmpfloat (timers.fired_at[1], >=, 130);
  /* 30 s of this clock are 30 ms of the wall's */
  g_assert_cmpint (wall_us, >=, 29 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpfloat (xa_clock_now (clock), >=, 100 + (gdouble) wall_us / G_USEC_PER_SEC * 1000 - 1);
}

static void
count_fired (gpointer data)
{
  (*(guint *) data)++;
}

/* An event due a moment from now fires at once, however far the clock
 * moves while it is set: at this speed a microsecond of the wall is 11
 * days of the clock, so a delay read twice would often come out negative. */
static void
test_clock_event_due_now_fires_at_once (void)
{
  g_autoptr(XaClock) clock = xa_clock_new_virtual (0);
  guint fired = 0;

  xa_clock_follow_wall (clock, 1e12);
  for (guint i = 0; i < 2000; i++) {
    xa_clock_add (clock, xa_clock_now (clock) + 1, count_fired, &fired);
    for (guint k = 0; k < 100 && fired <= i; k++)
      g_main_context_iteration (NULL, FALSE);
    g_assert_cmpuint (fired, ==, i + 1);
  }
}

/* An event further off than a guint of milliseconds waits, and goes. */
static void
test_clock_event_far_off_waits (void)
{
  g_autoptr(XaClock) clock = xa_clock_new_virtual (0);
  guint fired = 0;
  guint64 id;

  xa_clock_follow_wall (clock, 1e-9);
  id = xa_clock_add (clock, 1e3, count_fired, &fired);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (fired, ==, 0);
  xa_clock_cancel (clock, id);
  g_assert_false (g_main_context_pending (NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  xa_test_scheduler_add ("/scheduler/service/admits-vms-queued-while-it-runs",
                         test_service_admits_vms_queued_while_it_runs);
  xa_test_scheduler_add ("/scheduler/service/drops-a-request-cancelled-in-the-ledger",
                         test_service_drops_a_request_cancelled_in_the_ledger);
  xa_test_scheduler_add ("/scheduler/service/lets-go-of-requests-over",
                         test_service_lets_go_of_requests_over);
  xa_test_scheduler_add ("/scheduler/service/ends-a-vm-that-shuts-down",
                         test_service_ends_a_vm_that_shuts_down);
  xa_test_scheduler_add ("/scheduler/service/retries-deferred-vms",
                         test_service_retries_deferred_vms);
  xa_test_scheduler_add ("/scheduler/service/commits-while-it-runs",
                         test_service_commits_while_it_runs);
  g_test_add_func ("/host/clock/follows-the-wall-sped-up", test_clock_follows_the_wall_sped_up);
  g_test_add_func ("/host/clock/event-due-now-fires-at-once",
                   test_clock_event_due_now_fires_at_once);
  g_test_add_func ("/host/clock/event-far-off-waits", test_clock_event_far_off_waits);
  return g_test_run ();
}
