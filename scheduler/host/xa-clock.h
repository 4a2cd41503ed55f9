/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef void (*XaClockFunc) (gpointer user_data);

/**
 * XaClock:
 *
 * The host's clock, which drives every timer of a run. A virtual clock (the
 * simulated host) jumps from one event to the next, in the order of their
 * time and then of their scheduling, so a run is the same on any machine; a
 * real clock follows the monotonic clock.
 */
typedef struct _XaClock XaClock;

XaClock *xa_clock_new_virtual (gdouble start_s);
XaClock *xa_clock_new_real (void);
void xa_clock_free (XaClock *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XaClock, xa_clock_free)

gboolean xa_clock_is_virtual (XaClock *self);
gdouble xa_clock_now (XaClock *self);
gdouble xa_clock_at_wall (XaClock *self,
                          gint64   wall_us);
guint64 xa_clock_add (XaClock    *self,
                      gdouble     at_s,
                      XaClockFunc func,
                      gpointer    user_data);
void xa_clock_cancel (XaClock *self,
                      guint64  id);
gboolean xa_clock_run_next (XaClock *self);
void xa_clock_set_hook (XaClock    *self,
                        XaClockFunc func,
                        gpointer    user_data);
void xa_clock_follow_wall (XaClock *self,
                           gdouble  speed);

G_END_DECLS
