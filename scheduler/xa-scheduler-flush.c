/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-scheduler-private.h"

/* When the run commits the ledger, with the host saved first
 * (docs/design.md, "Data flow of a batch"): at each batch and before each
 * wait, except a daemon's on a real clock, at most every
 * XA_SCHEDULER_FLUSH_MS of wall time, as its batches come as fast as work
 * is queued and a commit and a state file each cost more than the batch.
 * On a virtual clock a run, and where a crash cuts it, stay the same on
 * any machine. */

#define XA_SCHEDULER_FLUSH_MS 50

/* Commits what the ledger holds, after saving the host: the ledger is never
 * newer than a simulated host's state file. */
gboolean
xa_scheduler_flush (XaScheduler *self)
{
  g_autoptr(GError) error = NULL;

  if (xa_host_save (self->host, &error) && xa_store_flush (self->store, &error))
    return TRUE;
  xa_scheduler_fatal (self, g_steal_pointer (&error));
  return FALSE;
}

static gboolean
xa_scheduler_flush_due (gpointer user_data)
{
  XaScheduler *self = user_data;

  g_clear_pointer (&self->flush_timer, g_source_unref);
  xa_scheduler_flush (self);
  return G_SOURCE_REMOVE;
}

/* A daemon on a real clock commits on a timer. */
static gboolean
xa_scheduler_flush_later (XaScheduler *self)
{
  return self->service && !xa_clock_is_virtual (self->clock);
}

/**
 * xa_scheduler_flush_arm:
 * @self: the scheduler
 *
 * If a daemon on a real clock wrote since its last commit, what it wrote
 * is committed within XA_SCHEDULER_FLUSH_MS, by a timer of the main
 * context: the run loop calls this at each iteration, so the timer runs
 * while the daemon is busy, and no timer while it is idle.
 */
void
xa_scheduler_flush_arm (XaScheduler *self)
{
  if (self->flush_timer != NULL || !xa_scheduler_flush_later (self) ||
      !xa_store_is_pending (self->store))
    return;
  self->flush_timer = g_timeout_source_new (XA_SCHEDULER_FLUSH_MS);
  g_source_set_callback (self->flush_timer, xa_scheduler_flush_due, self, NULL);
  g_source_attach (self->flush_timer, g_main_context_get_thread_default ());
}

/**
 * xa_scheduler_flush_soon:
 * @self: the scheduler
 *
 * What the run wrote is committed now, or a daemon's on a real clock by
 * xa_scheduler_flush_arm()'s timer: a crash in between loses those writes,
 * and the host's changes since its state file was saved, which the
 * restart reconciles.
 *
 * Returns: %FALSE if a flush failed: the run ends
 */
gboolean
xa_scheduler_flush_soon (XaScheduler *self)
{
  if (!xa_scheduler_flush_later (self))
    return xa_scheduler_flush (self);
  xa_scheduler_flush_arm (self);
  return TRUE;
}

/* The run's end flushes by itself: no timer outlives it. */
void
xa_scheduler_flush_cancel (XaScheduler *self)
{
  if (self->flush_timer == NULL)
    return;
  g_source_destroy (self->flush_timer);
  g_clear_pointer (&self->flush_timer, g_source_unref);
}
