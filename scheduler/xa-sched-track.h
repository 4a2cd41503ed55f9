/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the scheduler keeps of its VMs as they change, so that a batch or
 * an event costs what changed, not a look at every VM. */

#include "xa-scheduler-private.h"

G_BEGIN_DECLS

void xa_sched_track_init (XaScheduler *self);
void xa_sched_track_clear (XaScheduler *self);
void xa_sched_track_add (XaVm *vm);
void xa_sched_track_vm (XaVm *vm);
GPtrArray *xa_sched_track_take (XaScheduler *self,
                                guint        max,
                                gdouble      now_s);
void xa_sched_track_undefer (XaScheduler *self);
void xa_sched_track_reserved (XaScheduler *self,
                              const XaVm  *except,
                              guint64     *reserved_mib);
gboolean xa_sched_track_room_for_deferred (XaScheduler *self);

G_END_DECLS
