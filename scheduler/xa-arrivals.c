/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-arrivals.h"
#include "xa-scheduler-private.h"

struct _XaArrivals {
  XaAdmission *admission;
  XaScheduler *scheduler;
  XaClock *clock;
  gchar *group;
  GPtrArray *requests;
  GPtrArray *guests;
  gdouble *at_s;
  /* the host's clock when the arrivals began: their times count from it */
  gdouble start_s;
  /* the first VM not submitted yet */
  guint next;
  guint64 event;
};

static void xa_arrivals_on_time (gpointer data);

/* Submits, in one call, every VM whose time has come, then waits on the
 * clock for the next one. */
static gboolean
xa_arrivals_submit_due (XaArrivals *self, GError **error)
{
  g_autoptr(GPtrArray) requests = g_ptr_array_new ();
  g_autoptr(GPtrArray) guests = self->guests != NULL ? g_ptr_array_new () : NULL;
  gdouble now = xa_clock_now (self->clock);

  while (self->next < self->requests->len &&
         self->start_s + self->at_s[self->next] <= now) {
    g_ptr_array_add (requests, g_ptr_array_index (self->requests, self->next));
    if (guests != NULL)
      g_ptr_array_add (guests, g_ptr_array_index (self->guests, self->next));
    self->next++;
  }
  /* before the submission, which may be the last thing the run waits for */
  xa_scheduler_set_arriving (self->scheduler, self->next < self->requests->len);
  if (requests->len > 0 && !xa_admission_submit (self->admission, self->group, requests, guests,
                                                 NULL, NULL, error))
    return FALSE;
  if (self->next < self->requests->len)
    self->event = xa_clock_add (self->clock, self->start_s + self->at_s[self->next],
                                xa_arrivals_on_time, self);
  return TRUE;
}

static void
xa_arrivals_on_time (gpointer data)
{
  XaArrivals *self = data;
  g_autoptr(GError) error = NULL;

  self->event = 0;
  if (self->scheduler->stopping)
    return;
  if (!xa_arrivals_submit_due (self, &error)) {
    xa_scheduler_set_arriving (self->scheduler, FALSE);
    xa_scheduler_fatal (self->scheduler, g_steal_pointer (&error));
  }
}

/**
 * xa_arrivals_new:
 * @admission: the admission, before its run; it must outlive the arrivals
 * @group: what the requests come with (xa_admission_submit())
 * @requests: (element-type XaRequest): the VMs, in the order they arrive
 * @guests: (element-type XaGuest) (nullable): what each boots
 * @at_s: (array) (nullable): when each arrives, in seconds after now on the
 *   host's clock, never decreasing; %NULL for all at once
 * @error: a #GError
 *
 * Submits the VMs due now, as a boot would, and the others each at its
 * time while the scheduler runs, which waits for them: their wait counts
 * from their arrival.
 *
 * Returns: (transfer full) (nullable): the arrivals, to free after the run
 */
XaArrivals *
xa_arrivals_new (XaAdmission *admission, const gchar *group, GPtrArray *requests,
                 GPtrArray *guests, const gdouble *at_s, GError **error)
{
  g_autoptr(XaArrivals) self = g_new0 (XaArrivals, 1);

  g_return_val_if_fail (guests == NULL || guests->len == requests->len, NULL);

  self->admission = admission;
  self->scheduler = xa_admission_get_scheduler (admission);
  self->clock = self->scheduler->clock;
  self->group = g_strdup (group);
  self->requests = g_ptr_array_ref (requests);
  self->guests = guests != NULL ? g_ptr_array_ref (guests) : NULL;
  self->at_s = at_s != NULL ? g_memdup2 (at_s, sizeof (gdouble) * requests->len)
                            : g_new0 (gdouble, requests->len);
  self->start_s = xa_clock_now (self->clock);
  if (!xa_arrivals_submit_due (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

void
xa_arrivals_free (XaArrivals *self)
{
  if (self == NULL)
    return;
  if (self->event != 0)
    xa_clock_cancel (self->clock, self->event);
  g_free (self->group);
  g_ptr_array_unref (self->requests);
  g_clear_pointer (&self->guests, g_ptr_array_unref);
  g_free (self->at_s);
  g_free (self);
}
