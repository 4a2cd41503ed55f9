/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-clock.h"

typedef struct {
  gdouble at_s;
  guint64 id;
  XaClockFunc func;
  gpointer user_data;
} XaClockEvent;

struct _XaClock {
  gboolean is_virtual;
  gdouble now_s;
  gint64 start_us;
  guint64 next_id;
  /* virtual: pending events by (time, id); real: id → GSource */
  GSequence *events;
  GHashTable *by_id;
};

static gint
xa_clock_compare_events (gconstpointer a, gconstpointer b, gpointer user_data)
{
  const XaClockEvent *ea = a;
  const XaClockEvent *eb = b;

  if (ea->at_s != eb->at_s)
    return ea->at_s < eb->at_s ? -1 : 1;
  return ea->id < eb->id ? -1 : (ea->id > eb->id ? 1 : 0);
}

/**
 * xa_clock_new_virtual:
 * @start_s: the time it starts at (a simulated host's saved time)
 *
 * Returns: (transfer full): a clock that only moves when xa_clock_run_next()
 *   runs its next event
 */
XaClock *
xa_clock_new_virtual (gdouble start_s)
{
  XaClock *self = g_new0 (XaClock, 1);

  self->is_virtual = TRUE;
  self->now_s = start_s;
  self->events = g_sequence_new (g_free);
  self->by_id = g_hash_table_new (g_int64_hash, g_int64_equal);
  return self;
}

/**
 * xa_clock_new_real:
 *
 * Returns: (transfer full): a clock on the monotonic clock, 0 now; its
 *   events are timeouts of the thread-default main context
 */
XaClock *
xa_clock_new_real (void)
{
  XaClock *self = g_new0 (XaClock, 1);

  self->start_us = g_get_monotonic_time ();
  self->by_id = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                       (GDestroyNotify) g_source_unref);
  return self;
}

static void
xa_clock_destroy_source (gpointer key, gpointer value, gpointer user_data)
{
  g_source_destroy (value);
}

void
xa_clock_free (XaClock *self)
{
  if (self == NULL)
    return;
  if (!self->is_virtual)
    g_hash_table_foreach (self->by_id, xa_clock_destroy_source, NULL);
  g_hash_table_unref (self->by_id);
  g_clear_pointer (&self->events, g_sequence_free);
  g_free (self);
}

gboolean
xa_clock_is_virtual (XaClock *self)
{
  return self->is_virtual;
}

gdouble
xa_clock_now (XaClock *self)
{
  if (self->is_virtual)
    return self->now_s;
  return (gdouble) (g_get_monotonic_time () - self->start_us) / G_USEC_PER_SEC;
}

typedef struct {
  XaClock *clock;
  guint64 id;
  XaClockFunc func;
  gpointer user_data;
} XaClockTimeout;

static gboolean
xa_clock_timeout_fired (gpointer data)
{
  XaClockTimeout *timeout = data;
  XaClockFunc func = timeout->func;
  gpointer user_data = timeout->user_data;

  g_hash_table_remove (timeout->clock->by_id, &timeout->id);
  func (user_data);
  return G_SOURCE_REMOVE;
}

static guint64
xa_clock_add_real (XaClock *self, gdouble at_s, guint64 id, XaClockFunc func, gpointer user_data)
{
  gdouble in_s = MAX (at_s - xa_clock_now (self), 0.0);
  GSource *source = g_timeout_source_new ((guint) (in_s * 1000.0 + 0.5));
  XaClockTimeout *timeout = g_new (XaClockTimeout, 1);
  gint64 *key = g_new (gint64, 1);

  *timeout = (XaClockTimeout) { self, id, func, user_data };
  *key = (gint64) id;
  g_source_set_callback (source, xa_clock_timeout_fired, timeout, g_free);
  g_source_attach (source, g_main_context_get_thread_default ());
  g_hash_table_insert (self->by_id, key, source);
  return id;
}

/**
 * xa_clock_add:
 * @self: the clock
 * @at_s: when, on this clock; the past means as soon as possible
 * @func: what to run
 * @user_data: for @func
 *
 * Returns: an id for xa_clock_cancel(), never 0
 */
guint64
xa_clock_add (XaClock *self, gdouble at_s, XaClockFunc func, gpointer user_data)
{
  XaClockEvent *event;
  guint64 id = ++self->next_id;

  if (!self->is_virtual)
    return xa_clock_add_real (self, at_s, id, func, user_data);
  event = g_new (XaClockEvent, 1);
  *event = (XaClockEvent) { MAX (at_s, self->now_s), id, func, user_data };
  g_hash_table_insert (self->by_id, &event->id,
                       g_sequence_insert_sorted (self->events, event, xa_clock_compare_events,
                                                 NULL));
  return id;
}

void
xa_clock_cancel (XaClock *self, guint64 id)
{
  GSequenceIter *iter;

  if (!self->is_virtual) {
    GSource *source = g_hash_table_lookup (self->by_id, &id);

    if (source != NULL) {
      g_source_destroy (source);
      g_hash_table_remove (self->by_id, &id);
    }
    return;
  }
  iter = g_hash_table_lookup (self->by_id, &id);
  if (iter == NULL)
    return;
  g_hash_table_remove (self->by_id, &id);
  g_sequence_remove (iter);
}

/**
 * xa_clock_run_next:
 * @self: a virtual clock
 *
 * Moves the clock to its next event and runs it.
 *
 * Returns: %FALSE if there was none
 */
gboolean
xa_clock_run_next (XaClock *self)
{
  GSequenceIter *first;
  XaClockEvent event;

  g_return_val_if_fail (self->is_virtual, FALSE);

  first = g_sequence_get_begin_iter (self->events);
  if (g_sequence_iter_is_end (first))
    return FALSE;
  event = *(XaClockEvent *) g_sequence_get (first);
  g_hash_table_remove (self->by_id, &event.id);
  g_sequence_remove (first);
  self->now_s = event.at_s;
  event.func (event.user_data);
  return TRUE;
}
