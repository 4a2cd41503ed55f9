/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The batch window: when a batch closes, its plan and its record. */

#include "xa-scheduler-private.h"

G_BEGIN_DECLS

void xa_sched_batch_open_window (XaScheduler *self);
void xa_sched_batch_retry_deferred (XaScheduler *self);

G_END_DECLS
