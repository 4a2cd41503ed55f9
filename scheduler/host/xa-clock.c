/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <signal.h>
#include <unistd.h>

#include "xa-clock.h"

/* For the crash tests (docs/design.md, "Crash recovery"): the process kills
 * itself with SIGKILL as it is about to run this clock's Kth event. */
#define XA_CLOCK_DIE_AT_ENV "XADMIT_TEST_DIE_AT_EVENT"

typedef struct {
  gdouble at_s;
  guint64 id;
  XaClockFunc func;
  gpointer user_data;
} XaClockEvent;

struct _XaClock {
  gboolean is_virtual;
  /* virtual: now; real: the time at start_us, and never less than the
   * time of the last event run */
  gdouble now_s;
  gint64 start_us;
  gdouble start_s;
  gdouble speed;
  guint64 next_id;
  /* virtual: pending events by (time, id); real: id → GSource */
  GSequence *events;
  GHashTable *by_id;
  guint64 n_run;
  guint64 die_at;
  XaClockFunc hook;
  gpointer hook_data;
};

static guint64
xa_clock_die_at (void)
{
  const gchar *value = g_getenv (XA_CLOCK_DIE_AT_ENV);

  return value != NULL ? g_ascii_strtoull (value, NULL, 10) : 0;
}

/* Every event runs here, whichever the clock's kind. */
static void
xa_clock_run (XaClock *self, XaClockFunc func, gpointer user_data)
{
  if (++self->n_run == self->die_at)
    kill (getpid (), SIGKILL);
  func (user_data);
  if (self->hook != NULL)
    self->hook (self->hook_data);
}

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
  self->die_at = xa_clock_die_at ();
  self->events = g_sequence_new (g_free);
  self->by_id = g_hash_table_new (g_int64_hash, g_int64_equal);
  return self;
}

/* From now on @self follows the monotonic clock from @start_s, @speed
 * times as fast. */
static void
xa_clock_start_real (XaClock *self, gdouble start_s, gdouble speed)
{
  self->is_virtual = FALSE;
  self->start_us = g_get_monotonic_time ();
  self->start_s = start_s;
  self->now_s = start_s;
  self->speed = speed;
  self->by_id = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                       (GDestroyNotify) g_source_unref);
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

  self->die_at = xa_clock_die_at ();
  xa_clock_start_real (self, 0, 1);
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
  gdouble elapsed_s;

  if (self->is_virtual)
    return self->now_s;
  elapsed_s = (gdouble) (g_get_monotonic_time () - self->start_us) / G_USEC_PER_SEC;
  return MAX (self->start_s + elapsed_s * self->speed, self->now_s);
}

/**
 * xa_clock_at_wall:
 * @self: a clock
 * @wall_us: a wall-clock time (g_get_real_time()) not later than now
 *
 * What @self read at @wall_us: another process's moment on this host's
 * clock, such as when a request was queued. A virtual clock that does not
 * follow the wall clock cannot say, and gives now.
 *
 * Returns: the host's time then, on this clock
 */
gdouble
xa_clock_at_wall (XaClock *self, gint64 wall_us)
{
  gdouble now_s = xa_clock_now (self);
  gint64 ago_us = g_get_real_time () - wall_us;
  gdouble ago_s = (gdouble) MAX (ago_us, 0) / G_USEC_PER_SEC;

  if (self->is_virtual)
    return now_s;
  return MAX (now_s - ago_s * self->speed, 0);
}

typedef struct {
  XaClock *clock;
  gdouble at_s;
  guint64 id;
  XaClockFunc func;
  gpointer user_data;
} XaClockTimeout;

static gboolean
xa_clock_timeout_fired (gpointer data)
{
  XaClockTimeout *timeout = data;
  XaClock *self = timeout->clock;
  XaClockFunc func = timeout->func;
  gpointer user_data = timeout->user_data;

  /* a timer rounded to the millisecond must not run before its time */
  self->now_s = MAX (self->now_s, timeout->at_s);
  g_hash_table_remove (self->by_id, &timeout->id);
  xa_clock_run (self, func, user_data);
  return G_SOURCE_REMOVE;
}

/* The wall-clock milliseconds until @at_s, from one reading of the clock:
 * read twice, a moving clock can put the second past @at_s, and a negative
 * delay cast to guint is a timeout of 49 days. */
static guint
xa_clock_ms_until (XaClock *self, gdouble at_s)
{
  gdouble ms = (at_s - xa_clock_now (self)) / self->speed * 1000.0 + 0.5;

  if (!(ms > 0))
    return 0;
  return ms < (gdouble) G_MAXUINT ? (guint) ms : G_MAXUINT;
}

static guint64
xa_clock_add_real (XaClock *self, gdouble at_s, guint64 id, XaClockFunc func, gpointer user_data)
{
  GSource *source = g_timeout_source_new (xa_clock_ms_until (self, at_s));
  XaClockTimeout *timeout = g_new (XaClockTimeout, 1);
  gint64 *key = g_new (gint64, 1);

  *timeout = (XaClockTimeout) { self, at_s, id, func, user_data };
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
  xa_clock_run (self, event.func, event.user_data);
  return TRUE;
}

/**
 * xa_clock_set_hook:
 * @self: a clock
 * @func: (nullable): what to run after each event, %NULL for nothing
 * @user_data: for @func
 *
 * For tests: the simulation driver (tests/sim/) checks its invariants
 * after every event of the host's clock.
 */
void
xa_clock_set_hook (XaClock *self, XaClockFunc func, gpointer user_data)
{
  self->hook = func;
  self->hook_data = user_data;
}

/**
 * xa_clock_follow_wall:
 * @self: a virtual clock
 * @speed: how many seconds of this clock pass in one of the wall clock
 *
 * Makes @self a real clock from its time now: it follows the monotonic
 * clock, @speed times as fast, and its events still to come become
 * timeouts of the thread-default main context, due after their delay
 * divided by @speed. A simulated host under a daemon lives in wall time
 * so (docs/design.md, The two clocks).
 */
void
xa_clock_follow_wall (XaClock *self, gdouble speed)
{
  g_autoptr(GSequence) events = NULL;

  g_return_if_fail (self->is_virtual && speed > 0);

  events = g_steal_pointer (&self->events);
  g_hash_table_unref (self->by_id);
  xa_clock_start_real (self, self->now_s, speed);
  for (GSequenceIter *iter = g_sequence_get_begin_iter (events); !g_sequence_iter_is_end (iter);
       iter = g_sequence_iter_next (iter)) {
    const XaClockEvent *event = g_sequence_get (iter);

    xa_clock_add_real (self, event->at_s, event->id, event->func, event->user_data);
  }
}
