/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "xa-scheduler-private.h"

G_BEGIN_DECLS

void xa_sched_group_join (XaVm *vm);
gboolean xa_sched_group_holds (XaVm *vm);
void xa_sched_group_settle (XaVm *vm);
void xa_sched_group_settle_all (XaScheduler *self);
void xa_sched_group_fail_rejects (XaScheduler *self);
void xa_sched_group_failed (XaVm        *vm,
                            const gchar *reason);

G_END_DECLS
