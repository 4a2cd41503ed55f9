/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "xa-scheduler-private.h"

G_BEGIN_DECLS

gboolean xa_sched_group_holds (XaVm *vm);
void xa_sched_group_built (XaVm *vm);
void xa_sched_group_failed (XaVm        *vm,
                            const gchar *reason);

G_END_DECLS
