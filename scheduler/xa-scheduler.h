/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "xa-host.h"
#include "xa-plan.h"
#include "xa-run.h"
#include "xa-store.h"

G_BEGIN_DECLS

/* The most builds at once; xenopsd's maintainers cite 16 workers. */
#define XA_SCHEDULER_MAX_WORKERS 16

/**
 * XaSchedulerOptions:
 * @policy: how to admit: batch, or one of xenopsd's ways
 * @seed: seeds the simulated host's build-time jitter
 * @workers: builds at once, 0 for as many as the host's populate
 *   bandwidth takes (batch) or %XA_SCHEDULER_MAX_WORKERS (xenopsd)
 * @max_batch: a batch closes when this many requests wait
 * @window_s: or when its first request has waited this long
 * @retries: failed builds retried this many times (batch; xenopsd does not
 *   retry a start)
 * @defer_timeout_s: deferred requests stop waiting for memory after this
 * @strict: every batch build gets its plan's MiB per node exactly, so a
 *   node short of pages fails the build instead of spilling; the xenopsd
 *   policies are affinity-only, as xenopsd is, and ignore it
 * @paused: built domains stay paused, for a toolstack that adds their
 *   devices and unpauses them itself
 */
typedef struct {
  XaPolicy policy;
  guint32 seed;
  guint workers;
  guint max_batch;
  gdouble window_s;
  guint retries;
  gdouble defer_timeout_s;
  gboolean strict;
  gboolean paused;
} XaSchedulerOptions;

#define XA_SCHEDULER_OPTIONS_DEFAULT { XA_POLICY_BATCH, 1, 0, 64, 0.2, 2, 600.0, TRUE, FALSE }

/**
 * XaSchedulerProgress:
 * @running: VMs built and running
 * @building: builds under way
 * @waiting: VMs queued or planned, not yet building
 * @failed: VMs that failed or were rejected
 * @now_s: the host's clock
 */
typedef struct {
  guint running;
  guint building;
  guint waiting;
  guint failed;
  gdouble now_s;
} XaSchedulerProgress;

typedef void (*XaSchedulerProgressFunc) (const XaSchedulerProgress *progress,
                                         gpointer                   user_data);

/**
 * XaSchedulerCounts:
 * @batches: batches admitted
 * @iterations: main-context iterations the run loop made
 * @events: clock events it ran
 *
 * What a run did, counted, for the bench and the tests that bound its cost.
 */
typedef struct {
  guint batches;
  guint64 iterations;
  guint64 events;
} XaSchedulerCounts;

typedef struct _XaScheduler XaScheduler;

XaScheduler *xa_scheduler_new (XaHost                   *host,
                               XaStore                  *store,
                               gint64                    host_id,
                               const XaSchedulerOptions *options,
                               GError                  **error);
void xa_scheduler_free (XaScheduler *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XaScheduler, xa_scheduler_free)

void xa_scheduler_add (XaScheduler    *self,
                       XaStoreRequest *request);
void xa_scheduler_set_service (XaScheduler *self,
                               gboolean     service);
void xa_scheduler_set_options (XaScheduler              *self,
                               const XaSchedulerOptions *options);
void xa_scheduler_set_arriving (XaScheduler *self,
                                gboolean     arriving);
gboolean xa_scheduler_take_cancels (XaScheduler *self,
                                    GError     **error);
const XaHostInfo *xa_scheduler_reread_host (XaScheduler *self,
                                            GError     **error);
void xa_scheduler_set_progress (XaScheduler             *self,
                                XaSchedulerProgressFunc  func,
                                gpointer                 user_data);
gboolean xa_scheduler_run (XaScheduler *self,
                           GError     **error);
void xa_scheduler_stop (XaScheduler *self,
                        gboolean     abort);
gboolean xa_scheduler_was_stopped (XaScheduler *self);
XaRun *xa_scheduler_get_run (XaScheduler *self);
XaSchedulerCounts xa_scheduler_get_counts (XaScheduler *self);
XaRunCounts xa_scheduler_get_let_go (XaScheduler *self);

G_END_DECLS
