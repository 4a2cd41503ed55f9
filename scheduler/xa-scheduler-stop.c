/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-build.h"
#include "xa-sched-track.h"
#include "xa-scheduler-private.h"

/* Stopping: a VM cancelled before its build, a build stopped, and the
 * run's stop (a signal, the daemon's SIGTERM). */

void
xa_scheduler_cancel_vm (XaVm *vm, const gchar *reason)
{
  XaScheduler *self = vm->sched;
  g_autoptr(GError) error = NULL;

  if (!xa_store_cancel (self->store, vm->request->id, reason, xa_scheduler_time (self), &error)) {
    xa_scheduler_fatal (self, g_steal_pointer (&error));
    return;
  }
  vm->request->state = XA_REQUEST_CANCELLED;
  g_free (vm->request->reason);
  vm->request->reason = g_strdup (reason);
  vm->finished_s = xa_scheduler_now (self);
  xa_sched_track_vm (vm);
}

/* A build stopped: its half-built domain goes, and its claim with it; one
 * that will not go keeps its claim until the next start removes it. */
void
xa_scheduler_abort_vm (XaVm *vm, const gchar *why)
{
  XaScheduler *self = vm->sched;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) kept_error = NULL;
  g_autofree gchar *reason = NULL;

  if (vm->check_event != 0)
    xa_clock_cancel (self->clock, vm->check_event);
  vm->building = FALSE;
  self->running--;
  if (xa_build_destroy (vm, &error)) {
    reason = g_strdup_printf ("%s: its half-built domain was destroyed", why);
    xa_scheduler_cancel_vm (vm, reason);
    return;
  }
  if (!xa_build_keep_domain (vm, why, error, &kept_error))
    xa_scheduler_fatal (self, g_steal_pointer (&kept_error));
  xa_sched_track_vm (vm);
}

/* A second stop: every build stops. */
static void
xa_scheduler_abort_builds (XaScheduler *self)
{
  for (guint i = 0; i < self->vms->len; i++) {
    XaVm *vm = g_ptr_array_index (self->vms, i);

    if (vm->building)
      xa_scheduler_abort_vm (vm, "xadmit was interrupted twice");
  }
}

/**
 * xa_scheduler_stop:
 * @self: the scheduler
 * @abort: also destroy the domains being built
 *
 * The first stop admits nothing more: planned VMs not yet building are
 * cancelled, builds in flight finish. With @abort, they stop too.
 */
void
xa_scheduler_stop (XaScheduler *self, gboolean abort)
{
  self->stopping = TRUE;
  if (self->window != 0) {
    xa_clock_cancel (self->clock, self->window);
    self->window = 0;
  }
  while (!g_queue_is_empty (&self->ready))
    xa_scheduler_cancel_vm (g_queue_pop_head (&self->ready),
                            "xadmit was interrupted before its build started");
  if (abort)
    xa_scheduler_abort_builds (self);
}

gboolean
xa_scheduler_was_stopped (XaScheduler *self)
{
  return self->stopping;
}
