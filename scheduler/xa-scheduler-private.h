/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The scheduler and its VMs, shared by its files: xa-scheduler.c (dispatch,
 * run, stop, the run summary), xa-scheduler-service.c (the daemon's
 * service mode, a new look at the host), xa-scheduler-flush.c (when the
 * ledger commits), xa-sched-batch.c (the batch
 * window, its plan and record), xa-sched-track.c (what it keeps of its VMs
 * as they change), xa-build.c (one VM's build, in Xen's order) and
 * xa-xenopsd-start.c (xenopsd's way, each build deciding alone); and
 * xa-arrivals.c, which submits VMs over time and ends a run on an error.
 * Each of them but the first two declares its functions in a header of its
 * own. */

#include "xa-scheduler.h"
#include "xa-wait-queue.h"
#include "xa-xenopsd.h"

G_BEGIN_DECLS

typedef struct _XaVm XaVm;

/* What an admitted VM has yet to take from the nodes, as tracked. */
typedef enum {
  XA_VM_TAKES_NOTHING,
  XA_VM_TAKES_PLANNED, /* all its planned MiB: no domain yet */
  XA_VM_TAKES_REST,    /* its planned MiB less what its domain holds */
} XaVmTakes;

struct _XaScheduler {
  XaHost *host;
  XaClock *clock;
  XaStore *store;
  gint64 host_id;
  XaSchedulerOptions options;
  XaHostInfo *host_info;
  /* the host as the planner types see it, at the start */
  XaTopology *topo;
  guint n_nodes;
  GPtrArray *vms;
  /* planned VMs waiting for a worker, largest first within a batch */
  GQueue ready;
  /* kept as the VMs change (xa-sched-track.c), so that no batch or event
   * looks at every VM: those waiting for a batch, those deferred and the
   * least of their needs, per node the MiB planned for admitted VMs
   * without a domain yet, the admitted VMs with one, the VMs in each state */
  XaWaitQueue *waiting;
  GPtrArray *deferred;
  guint64 deferred_min_need_mib;
  guint64 planned_mib[XA_MAX_NODES];
  GPtrArray *holding;
  guint n_in_state[XA_REQUEST_STATE_LAST + 1];
  /* domid → the running VM of that domain, for a domain that goes down */
  GHashTable *running_by_domid;
  /* group → its VMs (GPtrArray), which a batch takes all together */
  GHashTable *groups;
  /* members rejected as they were handed over, whose groups the next
   * batch rolls back */
  GPtrArray *group_rejects;
  /* a service's builds ended since its last count of their memory */
  gboolean unsettled;
  /* a service's VMs over, counted and let go (xa-scheduler-service.c);
   * those of them not yet freed */
  XaRunCounts let_go;
  guint n_let_go_held;
  guint running;
  guint workers;
  guint64 window;
  /* memory may have changed since the last plan deferred anything */
  guint64 generation;
  guint64 deferred_generation;
  gdouble first_queued_s;
  gdouble first_admitted_s;
  gdouble last_end_s;
  gdouble defer_deadline_s;
  gdouble plan_ms;
  /* over the batches planned so far (none: unknown) */
  XaPlanOptimal optimal;
  /* batches admitted */
  guint n_batches;
  /* the run loop's main-context iterations and clock events */
  guint64 n_iterations;
  guint64 n_events;
  gboolean stopping;
  gboolean dispatching;
  /* a service runs until stopped, and takes VMs while it runs */
  gboolean service;
  /* more VMs will arrive (xa_scheduler_set_arriving()): a run waits */
  gboolean arriving;
  gboolean in_run;
  /* a real clock's next commit (xa-scheduler-flush.c) */
  GSource *flush_timer;
  GError *fatal;
  XaXenopsd *numa;
  guint64 *legacy_view;
  /* each node's free memory when the run ended */
  guint64 *left_mib;
  XaSchedulerProgressFunc progress;
  gpointer progress_data;
};

struct _XaVm {
  XaScheduler *sched;
  XaStoreRequest *request;
  guint index;
  guint32 domid;
  gboolean has_domain;
  gboolean deferred;
  gboolean building;
  /* it ran before this run, which left it alone */
  gboolean left_alone;
  XaNodeSet planned_nodes;
  guint64 *planned_mib;
  guint64 *actual_mib;
  guint64 need_mib;
  gdouble started_s;
  gdouble finished_s;
  guint checks;
  /* a service's: when a deferred VM stops waiting (--defer-timeout) */
  guint64 give_up_event;
  guint64 check_event;
  /* as xa-sched-track.c last saw it */
  XaWaitPlace *wait;
  gboolean in_deferred;
  XaVmTakes takes;
  guint holding_index;
  gboolean by_domid;
  /* it is one of its group's members (xa-sched-group.c) */
  gboolean in_group;
  /* over, and let go by a service: freed at its next compaction */
  gboolean let_go;
  XaRequestState tracked_state;
};

/* xa-scheduler.c: what the others call back */
gdouble xa_scheduler_now (XaScheduler *self);
XaStoreTime xa_scheduler_time (XaScheduler *self);
gboolean xa_scheduler_is_batch (XaScheduler *self);
void xa_scheduler_fatal (XaScheduler *self,
                         GError      *error);
gboolean xa_scheduler_vm_is_waiting (const XaVm *vm);
guint xa_scheduler_n_waiting (XaScheduler *self);
void xa_scheduler_dispatch (XaScheduler *self);
void xa_scheduler_after_job (XaScheduler *self);
void xa_scheduler_cancel_vm (XaVm        *vm,
                             const gchar *reason);
void xa_scheduler_abort_vm (XaVm        *vm,
                            const gchar *why);
void xa_scheduler_free_vm (gpointer data);
XaRunState xa_scheduler_run_state (XaRequestState state);

/* xa-scheduler-flush.c */
gboolean xa_scheduler_flush (XaScheduler *self);
gboolean xa_scheduler_flush_soon (XaScheduler *self);
void xa_scheduler_flush_arm (XaScheduler *self);
void xa_scheduler_flush_cancel (XaScheduler *self);

/* xa-scheduler-service.c */
void xa_scheduler_maybe_let_go (XaVm *vm);
void xa_scheduler_compact (XaScheduler *self);

G_END_DECLS
