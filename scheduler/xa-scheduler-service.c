/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-error.h"
#include "xa-log.h"
#include "xa-scheduler-private.h"

/* The scheduler as a service, the daemon's: it runs until stopped, takes
 * VMs while it runs (xa_scheduler_add()) and reads the host again when
 * asked. */

/**
 * xa_scheduler_set_service:
 * @self: the scheduler, with the batch policy
 * @service: run until stopped
 *
 * A service's xa_scheduler_run() does not end when its VMs have run their
 * course, only on xa_scheduler_stop() (or an error): meanwhile it waits in
 * the main context, and VMs added with xa_scheduler_add() are admitted in
 * the batch window of their arrival. The daemon runs so.
 */
void
xa_scheduler_set_service (XaScheduler *self, gboolean service)
{
  g_return_if_fail (xa_scheduler_is_batch (self));
  self->service = service;
}

/**
 * xa_scheduler_reread_host:
 * @self: the scheduler
 * @error: a #GError, %XA_ERROR_FAILED if the host's nodes changed
 *
 * Takes a new snapshot of the host as the one it starts from: its CPUs,
 * node claims and topology (each batch reads the free memory anew anyway).
 *
 * Returns: (transfer none) (nullable): the new snapshot
 */
const XaHostInfo *
xa_scheduler_reread_host (XaScheduler *self, GError **error)
{
  g_autoptr(XaHostInfo) info = xa_host_snapshot (self->host, error);

  if (info == NULL)
    return NULL;
  if (info->n_nodes != self->n_nodes) {
    g_set_error (error, XA_ERROR, XA_ERROR_FAILED,
                 "the host has %u NUMA nodes now, not %u: restart xadmit", info->n_nodes,
                 self->n_nodes);
    return NULL;
  }
  g_clear_pointer (&self->topo, xa_topology_free);
  self->topo = xa_host_info_to_topology (info);
  g_clear_pointer (&self->host_info, xa_host_info_free);
  self->host_info = g_steal_pointer (&info);
  return self->host_info;
}

/* The VM of @request_id, if this run holds it in flight. */
static XaVm *
xa_scheduler_find_in_flight (XaScheduler *self, gint64 request_id)
{
  for (guint i = 0; i < self->vms->len; i++) {
    XaVm *vm = g_ptr_array_index (self->vms, i);

    if (vm->request->id == request_id &&
        (vm->request->state == XA_REQUEST_PLANNED || vm->request->state == XA_REQUEST_BUILDING))
      return vm;
  }
  return NULL;
}

/**
 * xa_scheduler_take_cancels:
 * @self: the scheduler
 * @error: a #GError, when the ledger cannot be read
 *
 * Carries out the cancels asked of builds this run has in flight
 * (`xadmit cancel`, xa_store_ask_cancel()): a planned VM leaves the queue
 * for a worker, a build stops and its half-built domain goes; both release
 * their claims. A cancel costs a look at every VM, as a cancel is rare.
 *
 * Returns: %TRUE unless the ledger could not be read
 */
gboolean
xa_scheduler_take_cancels (XaScheduler *self, GError **error)
{
  g_autoptr(GArray) asked = xa_store_list_cancel_asked (self->store, self->host_id, error);

  if (asked == NULL)
    return FALSE;
  for (guint k = 0; k < asked->len; k++) {
    XaVm *vm = xa_scheduler_find_in_flight (self, g_array_index (asked, gint64, k));

    if (vm == NULL)
      continue;
    if (vm->building) {
      xa_scheduler_abort_vm (vm, "cancelled while it was being built");
      xa_scheduler_after_job (self);
    } else {
      g_queue_remove (&self->ready, vm);
      xa_scheduler_cancel_vm (vm, "cancelled before its build began");
    }
    xa_log (XA_LOG_NOTABLE, &(XaLogAbout) { vm->request }, "%s: %s", vm->request->req->name,
            vm->request->reason);
  }
  return TRUE;
}

/* Only a service lets go: a run's summary lists every VM it had. */
static gboolean
xa_scheduler_can_let_go (const XaVm *vm)
{
  switch (vm->request->state) {
  case XA_REQUEST_FAILED:
  case XA_REQUEST_REJECTED:
  case XA_REQUEST_CANCELLED:
  case XA_REQUEST_ENDED:
    return vm->sched->service && !vm->let_go && !vm->in_group && !vm->building &&
           !vm->has_domain;
  case XA_REQUEST_QUEUED:
  case XA_REQUEST_PLANNED:
  case XA_REQUEST_BUILDING:
  case XA_REQUEST_RUNNING:
  default:
    return FALSE;
  }
}

static void
xa_scheduler_count_let_go (XaRunCounts *counts, XaRunState state)
{
  switch (state) {
  case XA_RUN_STATE_FAILED:
    counts->failed++;
    break;
  case XA_RUN_STATE_REJECTED:
    counts->rejected++;
    break;
  case XA_RUN_STATE_ENDED:
    counts->ended++;
    break;
  case XA_RUN_STATE_CANCELLED:
  case XA_RUN_STATE_PLANNED:
  case XA_RUN_STATE_RUNNING:
  case XA_RUN_STATE_DEFERRED:
  default:
    counts->cancelled++;
    break;
  }
}

/**
 * xa_scheduler_maybe_let_go:
 * @vm: a VM whose state or group just changed
 *
 * A service lets go of a VM that is over, in no group, with nothing of it
 * left on the host: the ledger keeps its history, the service its count,
 * and its memory goes at the next compaction. So a daemon holds only what
 * waits or runs, however long it runs.
 */
void
xa_scheduler_maybe_let_go (XaVm *vm)
{
  XaScheduler *self = vm->sched;

  if (!xa_scheduler_can_let_go (vm))
    return;
  vm->let_go = TRUE;
  self->n_let_go_held++;
  xa_scheduler_count_let_go (&self->let_go, xa_scheduler_run_state (vm->request->state));
}

/**
 * xa_scheduler_compact:
 * @self: the scheduler, between two turns of its loop (no VM in use)
 *
 * Frees the VMs let go, once they are a quarter of those it holds: one
 * pass over them for many VMs, which keeps their order.
 */
void
xa_scheduler_compact (XaScheduler *self)
{
  g_autoptr(GPtrArray) old = NULL;

  if (self->n_let_go_held < MAX (64u, self->vms->len / 4))
    return;
  old = g_steal_pointer (&self->vms);
  self->vms = g_ptr_array_new_full (old->len - self->n_let_go_held, xa_scheduler_free_vm);
  for (guint i = 0; i < old->len; i++) {
    XaVm *vm = g_ptr_array_index (old, i);

    if (vm->let_go)
      xa_scheduler_free_vm (vm);
    else
      g_ptr_array_add (self->vms, vm);
  }
  /* each VM is in the new array or freed */
  g_ptr_array_set_free_func (old, NULL);
  self->n_let_go_held = 0;
}

/**
 * xa_scheduler_get_let_go:
 * @self: a service
 *
 * Returns: the VMs over that it let go, per state (the run summary lists
 *   only those it holds)
 */
XaRunCounts
xa_scheduler_get_let_go (XaScheduler *self)
{
  return self->let_go;
}

/**
 * xa_scheduler_set_options:
 * @self: a service, running or not
 * @options: its settings read again (a daemon's SIGHUP)
 *
 * Takes what a run may change on its way: --max-batch, --window-ms,
 * --retries, --defer-timeout, strict and --paused, each from its next use
 * (the next batch, build or failure; a deferred VM keeps the timeout it
 * was given). The policy, the seed and the workers stay as they started.
 */
void
xa_scheduler_set_options (XaScheduler *self, const XaSchedulerOptions *options)
{
  g_return_if_fail (self != NULL && options != NULL);

  self->options.max_batch = options->max_batch;
  self->options.window_s = options->window_s;
  self->options.retries = options->retries;
  self->options.defer_timeout_s = options->defer_timeout_s;
  self->options.strict = options->strict && self->options.policy == XA_POLICY_BATCH;
  self->options.paused = options->paused;
}
