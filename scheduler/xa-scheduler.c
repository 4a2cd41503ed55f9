/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "xa-host-record.h"
#include "xa-build.h"
#include "xa-log.h"
#include "xa-sched-batch.h"
#include "xa-sched-group.h"
#include "xa-sched-track.h"
#include "xa-xenopsd-start.h"
#include "xa-scheduler-private.h"

/* A virtual clock's events run between two looks at the main context. */
#define XA_SCHEDULER_EVENTS_PER_TURN 64

gdouble
xa_scheduler_now (XaScheduler *self)
{
  return xa_clock_now (self->clock);
}

XaStoreTime
xa_scheduler_time (XaScheduler *self)
{
  return xa_host_record_now (self->host);
}

gboolean
xa_scheduler_is_batch (XaScheduler *self)
{
  return self->options.policy == XA_POLICY_BATCH;
}

/* The store or the host failed under the run: it ends, the ledger says
 * where it stopped, and a restart reconciles. */
void
xa_scheduler_fatal (XaScheduler *self, GError *error)
{
  if (self->fatal == NULL)
    self->fatal = error;
  else
    g_error_free (error);
}

void
xa_scheduler_free_vm (gpointer data)
{
  XaVm *vm = data;

  if (vm->give_up_event != 0)
    xa_clock_cancel (vm->sched->clock, vm->give_up_event);
  if (vm->check_event != 0)
    xa_clock_cancel (vm->sched->clock, vm->check_event);
  xa_store_request_free (vm->request);
  g_free (vm->planned_mib);
  g_free (vm->actual_mib);
  g_free (vm);
}

/* Builds run at once: the workers given, or as many as populate at the
 * full rate within the host's bandwidth. */
static guint
xa_scheduler_workers (const XaSchedulerOptions *options, const XaHostInfo *info)
{
  guint64 lanes = info->bandwidth_mib_per_s / MAX (info->populate_mib_per_s, 1);
  guint cap = (guint) CLAMP (lanes, 1, XA_SCHEDULER_MAX_WORKERS);

  if (options->policy != XA_POLICY_BATCH)
    return options->workers > 0 ? options->workers : XA_SCHEDULER_MAX_WORKERS;
  return options->workers > 0 ? MIN (options->workers, cap) : cap;
}

/**
 * xa_scheduler_new:
 * @host: the host, locked by this process
 * @store: the ledger
 * @host_id: the host in the ledger
 * @options: how to admit
 * @error: a #GError
 *
 * Returns: (transfer full) (nullable): a scheduler with no VM yet
 */
XaScheduler *
xa_scheduler_new (XaHost *host, XaStore *store, gint64 host_id, const XaSchedulerOptions *options,
                  GError **error)
{
  g_autoptr(XaScheduler) self = g_new0 (XaScheduler, 1);

  self->host = host;
  self->clock = xa_host_get_clock (host);
  self->store = store;
  self->host_id = host_id;
  self->options = *options;
  /* xenopsd's builds follow affinity only: strict is batch's */
  self->options.strict = options->strict && options->policy == XA_POLICY_BATCH;
  self->vms = g_ptr_array_new_with_free_func (xa_scheduler_free_vm);
  g_queue_init (&self->ready);
  xa_sched_track_init (self);
  self->first_queued_s = -1;
  self->first_admitted_s = -1;
  self->last_end_s = -1;
  self->defer_deadline_s = -1;
  self->host_info = xa_host_snapshot (host, error);
  if (self->host_info == NULL)
    return NULL;
  self->n_nodes = self->host_info->n_nodes;
  self->topo = xa_host_info_to_topology (self->host_info);
  self->workers = xa_scheduler_workers (options, self->host_info);
  if (!xa_scheduler_is_batch (self))
    self->numa = xa_xenopsd_new (self->topo);
  xa_host_set_seed (host, options->seed);
  return g_steal_pointer (&self);
}

void
xa_scheduler_free (XaScheduler *self)
{
  if (self == NULL)
    return;
  if (self->window != 0)
    xa_clock_cancel (self->clock, self->window);
  g_queue_clear (&self->ready);
  xa_sched_track_clear (self);
  g_clear_pointer (&self->vms, g_ptr_array_unref);
  g_clear_pointer (&self->host_info, xa_host_info_free);
  g_clear_pointer (&self->topo, xa_topology_free);
  g_clear_pointer (&self->numa, xa_xenopsd_free);
  g_clear_error (&self->fatal);
  g_free (self->legacy_view);
  g_free (self->left_mib);
  g_free (self);
}

/* A running request left alone: its domain and its memory as the host
 * showed them when the run began. A paused member of a group a restart cut
 * short is unpaused or destroyed by that domain id (xa-sched-group.c). */
static void
xa_scheduler_add_left_alone (XaScheduler *self, XaVm *vm)
{
  const XaHostDomain *domain = xa_host_info_find_domain (self->host_info, vm->request->uuid);

  vm->left_alone = TRUE;
  if (domain == NULL)
    return;
  vm->domid = domain->domid;
  memcpy (vm->actual_mib, domain->memory_by_node_mib, sizeof (guint64) * self->n_nodes);
}

/**
 * xa_scheduler_add:
 * @self: the scheduler
 * @request: (transfer full): a queued request of this run, or a running
 *   one it leaves alone, for the run summary; added while the run goes
 *   (a service's), it is admitted in the batch window of its arrival
 */
void
xa_scheduler_add (XaScheduler *self, XaStoreRequest *request)
{
  XaVm *vm = g_new0 (XaVm, 1);

  vm->sched = self;
  vm->request = request;
  vm->index = self->vms->len;
  vm->planned_mib = g_new0 (guint64, self->n_nodes);
  vm->actual_mib = g_new0 (guint64, self->n_nodes);
  vm->need_mib = xa_mem_request_need_mib (self->topo, request->req);
  vm->started_s = -1;
  vm->finished_s = -1;
  g_ptr_array_add (self->vms, vm);
  xa_sched_track_add (vm);
  if (request->state == XA_REQUEST_RUNNING) {
    xa_scheduler_add_left_alone (self, vm);
    return;
  }
  if (request->state == XA_REQUEST_REJECTED)
    vm->finished_s = request->queued.host_s;
  if (self->first_queued_s < 0 || request->queued.host_s < self->first_queued_s)
    self->first_queued_s = request->queued.host_s;
  if (!self->in_run)
    return;
  /* a VM that comes while the run goes: a window admits it, or xenopsd
   * starts it when a worker is free */
  if (xa_scheduler_is_batch (self)) {
    xa_sched_batch_open_window (self);
  } else if (request->state == XA_REQUEST_QUEUED) {
    g_queue_push_tail (&self->ready, vm);
    xa_scheduler_dispatch (self);
  }
}

/**
 * xa_scheduler_set_arriving:
 * @self: the scheduler
 * @arriving: more VMs will be added while the run goes
 *
 * While more VMs are to arrive (on the clock's timers, xa-arrivals.c), a
 * run does not end when the VMs it has ran their course.
 */
void
xa_scheduler_set_arriving (XaScheduler *self, gboolean arriving)
{
  self->arriving = arriving;
}

void
xa_scheduler_set_progress (XaScheduler *self, XaSchedulerProgressFunc func, gpointer user_data)
{
  self->progress = func;
  self->progress_data = user_data;
}

static void
xa_scheduler_report (XaScheduler *self)
{
  const guint *in = self->n_in_state;
  XaSchedulerProgress progress = {
    in[XA_REQUEST_RUNNING], self->running, in[XA_REQUEST_QUEUED] + in[XA_REQUEST_PLANNED],
    in[XA_REQUEST_FAILED] + in[XA_REQUEST_REJECTED], xa_scheduler_now (self)
  };

  if (self->progress != NULL)
    self->progress (&progress, self->progress_data);
}

gboolean
xa_scheduler_vm_is_waiting (const XaVm *vm)
{
  return vm->request->state == XA_REQUEST_QUEUED && !vm->deferred;
}

/* The VMs waiting for a batch; xenopsd's VMs never do. */
guint
xa_scheduler_n_waiting (XaScheduler *self)
{
  return xa_wait_queue_get_length (self->waiting);
}

/* A service never reaches a run's end, where a boot counts where its VMs'
 * memory went (xa_build_settle_actuals()): it counts whenever its builds
 * are over, which on Xen is one 'u' table per batch, not per build. */
static void
xa_scheduler_settle_when_idle (XaScheduler *self)
{
  g_autoptr(GError) error = NULL;

  if (!self->service || self->running > 0 || !self->unsettled)
    return;
  self->unsettled = FALSE;
  if (!xa_build_settle_actuals (self, &error))
    xa_scheduler_fatal (self, g_steal_pointer (&error));
}

/* Jobs that end at once call back in here: the loop already running takes
 * their place. */
void
xa_scheduler_dispatch (XaScheduler *self)
{
  if (self->dispatching)
    return;
  self->dispatching = TRUE;
  while (!self->stopping && self->fatal == NULL && self->running < self->workers &&
         !g_queue_is_empty (&self->ready)) {
    XaVm *vm = g_queue_pop_head (&self->ready);

    self->running++;
    if (xa_scheduler_is_batch (self))
      xa_build_start_batch (vm);
    else
      xa_xenopsd_start_job (vm);
  }
  self->dispatching = FALSE;
}

void
xa_scheduler_after_job (XaScheduler *self)
{
  xa_scheduler_dispatch (self);
  xa_scheduler_settle_when_idle (self);
  if (xa_scheduler_is_batch (self)) {
    xa_sched_batch_retry_deferred (self);
    xa_sched_batch_open_window (self);
  }
  xa_scheduler_report (self);
}

/* Done when nothing is building, waiting for a worker or a window, and
 * what is still queued was deferred with nothing since that could free
 * memory. */
static gboolean
xa_scheduler_is_done (XaScheduler *self)
{
  if (self->fatal != NULL)
    return TRUE;
  if (self->running > 0)
    return FALSE;
  if (self->stopping)
    return TRUE;
  if (self->service || self->arriving)
    return FALSE;
  return g_queue_is_empty (&self->ready) && self->window == 0 &&
         xa_scheduler_n_waiting (self) == 0;
}

static void
xa_scheduler_start (XaScheduler *self)
{
  xa_sched_group_settle_all (self);
  if (xa_scheduler_is_batch (self)) {
    xa_sched_batch_open_window (self);
    return;
  }
  /* xenopsd: every VM to a worker as soon as one is free, in arrival order */
  for (guint i = 0; i < self->vms->len; i++) {
    XaVm *vm = g_ptr_array_index (self->vms, i);

    if (vm->request->state == XA_REQUEST_QUEUED)
      g_queue_push_tail (&self->ready, vm);
  }
  xa_scheduler_dispatch (self);
}

/* A domain gone down that no VM of this run has may be one an earlier run
 * built, running in the ledger (a restarted daemon holds only the VMs it
 * is handed): it ends as that run's watch would have ended it. */
static gboolean
xa_scheduler_end_earlier (XaScheduler *self, guint32 domid, const gchar *down, GError **error)
{
  g_autoptr(XaHostInfo) info = xa_host_snapshot_some (self->host, &domid, 1, error);
  g_autoptr(XaStoreRequest) request = NULL;
  g_autoptr(GError) local = NULL;
  g_autofree gchar *reason = NULL;
  const XaHostDomain *domain;

  if (info == NULL)
    return FALSE;
  domain = info->domains->len == 1 ? g_ptr_array_index (info->domains, 0) : NULL;
  if (domain == NULL || domain->uuid == NULL)
    return TRUE;
  request = xa_store_find_request (self->store, self->host_id, domain->uuid, &local);
  if (request == NULL && !g_error_matches (local, XA_ERROR, XA_ERROR_NOT_FOUND)) {
    g_propagate_error (error, g_steal_pointer (&local));
    return FALSE;
  }
  if (request == NULL || request->state != XA_REQUEST_RUNNING)
    return TRUE;
  reason = xa_host_record_down_reason (down);
  if (!xa_host_destroy (self->host, domid, &local)) {
    xa_log (G_LOG_LEVEL_WARNING, &(XaLogAbout) { request },
            "%s: its domain %u went down, and cannot be destroyed: %s", request->req->name, domid,
            local->message);
    return TRUE;
  }
  xa_log (XA_LOG_DECIDED, &(XaLogAbout) { request }, "%s: ended: %s", request->req->name, reason);
  return xa_store_end (self->store, request, reason, xa_scheduler_time (self), error);
}

/* A built VM whose domain went down by itself (docs/design.md, "Xen call
 * order"): the domain is destroyed, the request ends, and what that frees
 * may fit the VMs that wait; so may what any domain that went freed. */
static void
xa_scheduler_domain_down (guint32 domid, const gchar *down, gpointer user_data)
{
  XaScheduler *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *reason = NULL;
  XaVm *vm = g_hash_table_lookup (self->running_by_domid, GUINT_TO_POINTER (domid));
  XaLogAbout about = { NULL };

  if (down == NULL || vm == NULL) {
    if (down != NULL && !xa_scheduler_end_earlier (self, domid, down, &error)) {
      xa_scheduler_fatal (self, g_steal_pointer (&error));
      return;
    }
    self->generation++;
    xa_scheduler_after_job (self);
    return;
  }
  about.request = vm->request;
  /* before the destroy, which may free @down */
  reason = xa_host_record_down_reason (down);
  if (!xa_build_destroy (vm, &error)) {
    xa_log (G_LOG_LEVEL_WARNING, &about, "%s: its domain %u went down, and cannot be destroyed: %s",
            vm->request->req->name, domid, error->message);
    return;
  }
  if (!xa_store_end (self->store, vm->request, reason, xa_scheduler_time (self), &error)) {
    xa_scheduler_fatal (self, g_steal_pointer (&error));
    return;
  }
  xa_sched_track_vm (vm);
  xa_log (XA_LOG_DECIDED, &about, "%s: ended: %s", vm->request->req->name, reason);
  self->generation++;
  xa_scheduler_after_job (self);
}

/* What is ready in the main context (signals, pool completions, a real
 * clock's events). */
static void
xa_scheduler_iterate (XaScheduler *self, GMainContext *context)
{
  do {
    self->n_iterations++;
    xa_scheduler_flush_arm (self);
  } while (g_main_context_iteration (context, FALSE));
}

/* Commits what the ledger holds (a daemon's soon), then waits for the main
 * context. */
static gboolean
xa_scheduler_wait (XaScheduler *self, GMainContext *context)
{
  if (!xa_scheduler_flush_soon (self))
    return FALSE;
  self->n_iterations++;
  g_main_context_iteration (context, TRUE);
  return TRUE;
}

/* One turn of the run loop; %FALSE when nothing is left to wait for. A
 * virtual clock runs up to XA_SCHEDULER_EVENTS_PER_TURN due events between
 * two looks at the main context, and looks before it runs out: the events
 * take no wall time, so a signal still waits a moment at most. A real
 * clock, or a service's virtual clock with no event left, waits. */
static gboolean
xa_scheduler_turn (XaScheduler *self, GMainContext *context)
{
  xa_scheduler_compact (self);
  xa_scheduler_iterate (self, context);
  if (xa_scheduler_is_done (self))
    return FALSE;
  if (!xa_clock_is_virtual (self->clock))
    return xa_scheduler_wait (self, context);
  for (guint e = 0; e < XA_SCHEDULER_EVENTS_PER_TURN; e++) {
    if (!xa_clock_run_next (self->clock))
      return e > 0 || (self->service && xa_scheduler_wait (self, context));
    self->n_events++;
    if (xa_scheduler_is_done (self))
      return FALSE;
  }
  /* xenopsd's way has no batch to commit with: it commits once a turn */
  return xa_scheduler_is_batch (self) || xa_scheduler_flush (self);
}

/**
 * xa_scheduler_run:
 * @self: the scheduler, with its VMs
 * @error: a #GError, when the ledger or the host fails
 *
 * Runs the main loop until every VM has run its course, or only deferred
 * VMs are left with nothing that could free memory, or xa_scheduler_stop()
 * was called (a service's run, only the last). A virtual clock runs its
 * events in order; every so many of them, the thread-default main context
 * handles what is ready (signals).
 *
 * Returns: %TRUE unless the run had to end on an error
 */
gboolean
xa_scheduler_run (XaScheduler *self, GError **error)
{
  GMainContext *context = g_main_context_get_thread_default ();
  g_autoptr(GError) released = NULL;

  if (!xa_host_watch_domains (self->host, xa_scheduler_domain_down, self, error))
    return FALSE;
  /* one commit for many writes, with the host saved first: after an
   * admission, at the end, and before the loop waits on a real clock (a
   * virtual clock never waits, so its commits are once per batch); a
   * daemon's, at most every few tens of milliseconds (xa-scheduler-flush.c) */
  xa_store_hold (self->store);
  xa_scheduler_start (self);
  xa_scheduler_report (self);
  self->in_run = TRUE;
  while (!xa_scheduler_is_done (self) && xa_scheduler_turn (self, context))
    ;
  self->in_run = FALSE;
  xa_scheduler_flush_cancel (self);
  xa_host_unwatch_domains (self->host);
  if ((self->fatal == NULL && !xa_build_settle_actuals (self, &released)) ||
      !xa_host_save (self->host, &released) || !xa_store_release (self->store, &released))
    xa_scheduler_fatal (self, g_steal_pointer (&released));
  /* the summary's "left" is what the host shows, not free minus placed */
  g_clear_pointer (&self->left_mib, g_free);
  self->left_mib = g_new0 (guint64, self->n_nodes);
  if (self->fatal == NULL && !xa_host_free_memory (self->host, self->left_mib, NULL, &released))
    xa_scheduler_fatal (self, g_steal_pointer (&released));
  if (self->fatal != NULL) {
    g_propagate_error (error, g_steal_pointer (&self->fatal));
    return FALSE;
  }
  return TRUE;
}

/* A request still queued when the run ends was deferred; one still in a
 * build the run cut short (it ended on an error) counts as cancelled. */
XaRunState
xa_scheduler_run_state (XaRequestState state)
{
  switch (state) {
  case XA_REQUEST_QUEUED:
    return XA_RUN_STATE_DEFERRED;
  case XA_REQUEST_PLANNED:
    return XA_RUN_STATE_PLANNED;
  case XA_REQUEST_RUNNING:
    return XA_RUN_STATE_RUNNING;
  case XA_REQUEST_FAILED:
    return XA_RUN_STATE_FAILED;
  case XA_REQUEST_REJECTED:
    return XA_RUN_STATE_REJECTED;
  case XA_REQUEST_ENDED:
    return XA_RUN_STATE_ENDED;
  case XA_REQUEST_BUILDING:
  case XA_REQUEST_CANCELLED:
  default:
    return XA_RUN_STATE_CANCELLED;
  }
}

/* What no policy can beat: the first batch window, then the longest build
 * at the full populate rate or all the memory through the bandwidth; and
 * no VM built at the full rate before it arrived. */
static gdouble
xa_scheduler_lower_bound (XaScheduler *self)
{
  gdouble longest = 0;
  gdouble total = 0;
  gdouble arrived_built = 0;
  gdouble populate = (gdouble) self->host_info->populate_mib_per_s;
  gdouble first_window = MAX (self->first_admitted_s - self->first_queued_s, 0);

  for (guint i = 0; i < self->vms->len; i++) {
    const XaVm *vm = g_ptr_array_index (self->vms, i);
    gdouble mib = (gdouble) vm->request->req->memory_mib;

    if (vm->request->state != XA_REQUEST_RUNNING || vm->left_alone)
      continue;
    longest = MAX (longest, mib);
    total += mib;
    arrived_built = MAX (arrived_built,
                         vm->request->queued.host_s - self->first_queued_s + mib / populate);
  }
  if (total == 0)
    return 0;
  return MAX ((xa_scheduler_is_batch (self) ? first_window : 0) +
              MAX (longest / populate, total / (gdouble) self->host_info->bandwidth_mib_per_s),
              arrived_built);
}

/**
 * xa_scheduler_get_run:
 * @self: the scheduler, after xa_scheduler_run()
 *
 * Returns: (transfer full): the run summary (docs/formats.md) of the VMs it
 *   holds (a service lets go of those over: xa_scheduler_get_let_go());
 *   plan_ms is the wall-clock time spent planning
 */
XaRun *
xa_scheduler_get_run (XaScheduler *self)
{
  XaRun *run = xa_run_new (xa_policy_to_string (self->options.policy), self->options.seed,
                           self->host_info->name, self->n_nodes);

  run->strict = self->options.strict;
  for (guint i = 0; i < self->vms->len; i++) {
    const XaVm *vm = g_ptr_array_index (self->vms, i);
    XaRunVm *rvm;

    if (vm->let_go)
      continue;
    rvm = xa_run_add_vm (run, vm->request->req->name, xa_scheduler_run_state (vm->request->state));
    rvm->planned_nodes = vm->planned_nodes;
    if (vm->request->state == XA_REQUEST_RUNNING)
      memcpy (rvm->memory_by_node_mib, vm->actual_mib, sizeof (guint64) * self->n_nodes);
    rvm->queued_s = vm->request->queued.host_s;
    rvm->started_s = vm->started_s;
    rvm->finished_s = vm->finished_s;
    rvm->attempts = vm->request->attempts;
    rvm->reason = g_strdup (vm->request->reason);
    rvm->vcpus = vm->request->req->vcpus;
    rvm->memory_mib = vm->request->req->memory_mib;
    rvm->pinned = xa_request_is_pinned (vm->request->req);
    rvm->left_alone = vm->left_alone;
  }
  run->free_mib = g_new (guint64, self->n_nodes);
  for (guint n = 0; n < self->n_nodes; n++)
    run->free_mib[n] = self->host_info->nodes[n].free_mib;
  if (self->left_mib != NULL)
    run->left_mib = g_memdup2 (self->left_mib, sizeof (guint64) * self->n_nodes);
  run->makespan_s = self->last_end_s >= 0 ? self->last_end_s - self->first_queued_s : 0;
  run->lower_bound_s = xa_scheduler_lower_bound (self);
  run->plan_ms = self->plan_ms;
  run->optimal = self->optimal;
  return run;
}

/**
 * xa_scheduler_get_counts:
 * @self: the scheduler, after xa_scheduler_run()
 *
 * Returns: what the run did, counted
 */
XaSchedulerCounts
xa_scheduler_get_counts (XaScheduler *self)
{
  XaSchedulerCounts counts = { self->n_batches, self->n_iterations, self->n_events };

  return counts;
}
