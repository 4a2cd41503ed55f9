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
  /* virtual: now; real: never less than the time of the last event run */
  gdouble now_s;
  gint64 start_us;
  gdouble start_s;
  gdouble speed;
  guint64 next_id;
  /* pending events by (time, id), and id → their place */
  GSequence *events;
  GHashTable *by_id;
  /* real: the one timer of the main context, due at the first event */
  GSource *timer;
  guint64 n_run;
  guint64 die_at;
  XaClockFunc hook;
  gpointer hook_data;
};

/* A real clock runs at most this many due events per dispatch, so that a
 * signal waits little behind a pile of them. */
#define XA_CLOCK_EVENTS_PER_DISPATCH 64

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

/* A real clock runs together the events of one millisecond of the wall
 * clock, as GLib's timeouts do: a chain of short events goes at this pace
 * at most, and the run loop commits once for them all. */
#define XA_CLOCK_GRAIN_US 1000

/* When @at_s comes on the monotonic clock, less the grain, in µs;
 * G_MAXINT64 for never. */
static gint64
xa_clock_ready_at (XaClock *self, gdouble at_s)
{
  gdouble us = (gdouble) self->start_us + (at_s - self->start_s) / self->speed * G_USEC_PER_SEC -
               XA_CLOCK_GRAIN_US;

  if (!(us < (gdouble) G_MAXINT64))
    return G_MAXINT64;
  return (gint64) MAX (us, 0.0);
}

/* A real clock's timer is due when its first event is. */
static void
xa_clock_arm (XaClock *self)
{
  GSequenceIter *first = g_sequence_get_begin_iter (self->events);

  if (g_sequence_iter_is_end (first)) {
    g_source_set_ready_time (self->timer, -1);
    return;
  }
  g_source_set_ready_time (self->timer, xa_clock_ready_at (
                             self, ((const XaClockEvent *) g_sequence_get (first))->at_s));
}

/* Runs the events due, up to XA_CLOCK_EVENTS_PER_DISPATCH, then sets the
 * timer for the next one. */
static gboolean
xa_clock_timer_fired (gpointer data)
{
  XaClock *self = data;

  for (guint n = 0; n < XA_CLOCK_EVENTS_PER_DISPATCH; n++) {
    GSequenceIter *first = g_sequence_get_begin_iter (self->events);
    XaClockEvent event;

    if (g_sequence_iter_is_end (first))
      break;
    event = *(XaClockEvent *) g_sequence_get (first);
    if (xa_clock_ready_at (self, event.at_s) > g_get_monotonic_time ())
      break;
    g_hash_table_remove (self->by_id, &event.id);
    g_sequence_remove (first);
    self->now_s = MAX (self->now_s, event.at_s);
    xa_clock_run (self, event.func, event.user_data);
  }
  xa_clock_arm (self);
  return G_SOURCE_CONTINUE;
}

static gboolean
xa_clock_timer_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  return callback (user_data);
}

/* A source that is due at its ready time alone, which the clock sets. */
static GSourceFuncs xa_clock_timer_funcs = {
  .dispatch = xa_clock_timer_dispatch,
};

/* From now on @self follows the monotonic clock from @start_s, @speed
 * times as fast, its events run by one timer of the thread-default main
 * context: one source however many events wait, as GLib looks at every
 * source at each iteration. */
static void
xa_clock_start_real (XaClock *self, gdouble start_s, gdouble speed)
{
  self->is_virtual = FALSE;
  self->start_us = g_get_monotonic_time ();
  self->start_s = start_s;
  self->now_s = start_s;
  self->speed = speed;
  self->timer = g_source_new (&xa_clock_timer_funcs, sizeof (GSource));
  g_source_set_callback (self->timer, xa_clock_timer_fired, self, NULL);
  g_source_attach (self->timer, g_main_context_get_thread_default ());
  xa_clock_arm (self);
}

/**
 * xa_clock_new_real:
 *
 * Returns: (transfer full): a clock on the monotonic clock, 0 now; its
 *   events run from the thread-default main context
 */
XaClock *
xa_clock_new_real (void)
{
  XaClock *self = xa_clock_new_virtual (0);

  xa_clock_start_real (self, 0, 1);
  return self;
}

void
xa_clock_free (XaClock *self)
{
  if (self == NULL)
    return;
  if (self->timer != NULL) {
    g_source_destroy (self->timer);
    g_source_unref (self->timer);
  }
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
  XaClockEvent *event = g_new (XaClockEvent, 1);
  guint64 id = ++self->next_id;

  *event = (XaClockEvent) { MAX (at_s, self->now_s), id, func, user_data };
  g_hash_table_insert (self->by_id, &event->id,
                       g_sequence_insert_sorted (self->events, event, xa_clock_compare_events,
                                                 NULL));
  if (!self->is_virtual)
    xa_clock_arm (self);
  return id;
}

void
xa_clock_cancel (XaClock *self, guint64 id)
{
  GSequenceIter *iter = g_hash_table_lookup (self->by_id, &id);

  if (iter == NULL)
    return;
  g_hash_table_remove (self->by_id, &id);
  g_sequence_remove (iter);
  if (!self->is_virtual)
    xa_clock_arm (self);
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
 * clock, @speed times as fast, and its events still to come run from the
 * thread-default main context, after their delay divided by @speed. A simulated host under a daemon lives in wall time
 * so (docs/design.md, The two clocks).
 */
void
xa_clock_follow_wall (XaClock *self, gdouble speed)
{
  g_return_if_fail (self->is_virtual && speed > 0);

  xa_clock_start_real (self, self->now_s, speed);
}
