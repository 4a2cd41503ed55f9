/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "xa-host-record.h"
#include "xa-log.h"
#include "xa-sched-batch.h"
#include "xa-sched-group.h"
#include "xa-sched-track.h"
#include "xa-text.h"

/* Batches: a window gathers requests, then one plan admits them. */

/* The host as the planner sees it: free memory net of the claims that
 * builds in flight have yet to use, as the ledger counts them. Of the
 * domains, the ledger charges only those of builds under way, all of them
 * among the admitted VMs holding a domain: the host copies those alone. */
static XaTopology *
xa_sched_batch_refresh (XaScheduler *self, gint64 *out_snapshot_id, GError **error)
{
  g_autofree guint32 *domids = g_new (guint32, MAX (self->holding->len, 1));
  g_autoptr(XaHostInfo) info = NULL;
  g_auto(XaHostRecord) record = { { 0 } };
  guint64 available[XA_MAX_NODES];
  XaTopology *topo;

  for (guint i = 0; i < self->holding->len; i++)
    domids[i] = ((const XaVm *) g_ptr_array_index (self->holding, i))->domid;
  info = xa_host_snapshot_some (self->host, domids, self->holding->len, error);
  if (info == NULL)
    return NULL;
  xa_host_record_init (&record, info);
  if (!xa_store_refresh (self->store, self->host_id, &record.snapshot, xa_scheduler_time (self),
                         out_snapshot_id, error) ||
      !xa_store_available (self->store, self->host_id, self->n_nodes, available, error))
    return NULL;
  topo = xa_host_info_to_topology (info);
  for (guint n = 0; n < self->n_nodes; n++)
    topo->nodes[n].free_mib = available[n];
  return topo;
}

static gint
xa_sched_batch_compare_need (gconstpointer a, gconstpointer b, gpointer user_data)
{
  const XaVm *va = a;
  const XaVm *vb = b;

  if (va->need_mib != vb->need_mib)
    return va->need_mib > vb->need_mib ? -1 : 1;
  return va->index < vb->index ? -1 : (va->index > vb->index ? 1 : 0);
}

/* A service's deferred VM that waited --defer-timeout since it was queued
 * fails, with the reason it last waited for. */
static void
xa_sched_batch_give_up (gpointer data)
{
  XaVm *vm = data;
  XaScheduler *self = vm->sched;
  XaLogAbout about = { vm->request };
  g_autoptr(GError) error = NULL;
  g_autofree gchar *reason = NULL;

  vm->give_up_event = 0;
  if (vm->request->state != XA_REQUEST_QUEUED || !vm->deferred)
    return;
  reason = g_strdup_printf ("it waited %.0f s (--defer-timeout) and memory never came: %s",
                            self->options.defer_timeout_s, vm->request->reason);
  if (!xa_store_give_up (self->store, vm->request, reason, xa_scheduler_time (self), &error)) {
    xa_scheduler_fatal (self, g_steal_pointer (&error));
    return;
  }
  vm->deferred = FALSE;
  vm->finished_s = xa_scheduler_now (self);
  xa_sched_track_vm (vm);
  xa_log (XA_LOG_NOTABLE, &about, "%s: failed: %s", vm->request->req->name, reason);
  /* a group waits as one: its other members go with it */
  xa_sched_group_failed (vm, reason);
}

/* A deferred VM waits: a boot's, until the run's one deadline; a
 * service's, each until --defer-timeout after it was queued. */
static void
xa_sched_batch_defer (XaScheduler *self, XaVm *vm, gdouble now)
{
  vm->deferred = TRUE;
  if (!self->service) {
    if (self->defer_deadline_s < 0)
      self->defer_deadline_s = now + self->options.defer_timeout_s;
    return;
  }
  if (vm->give_up_event == 0)
    vm->give_up_event = xa_clock_add (self->clock,
                                      vm->request->queued.host_s + self->options.defer_timeout_s,
                                      xa_sched_batch_give_up, vm);
}

/* After the ledger took the batch: planned VMs go to the workers, largest
 * first; deferred ones wait for memory. */
static void
xa_sched_batch_apply_plan (XaScheduler *self, GPtrArray *batch, const XaPlan *plan)
{
  GQueue planned = G_QUEUE_INIT;
  gdouble now = xa_scheduler_now (self);

  for (guint i = 0; i < batch->len; i++) {
    XaVm *vm = g_ptr_array_index (batch, i);
    const XaPlacement *placement = &plan->placements[i];

    switch (vm->request->state) {
    case XA_REQUEST_PLANNED:
      vm->planned_nodes = placement->nodes;
      memcpy (vm->planned_mib, placement->mib_by_node, sizeof (guint64) * self->n_nodes);
      g_queue_insert_sorted (&planned, vm, xa_sched_batch_compare_need, NULL);
      break;
    case XA_REQUEST_QUEUED:
      xa_sched_batch_defer (self, vm, now);
      break;
    case XA_REQUEST_BUILDING:
    case XA_REQUEST_RUNNING:
    case XA_REQUEST_FAILED:
    case XA_REQUEST_CANCELLED:
    case XA_REQUEST_REJECTED:
    case XA_REQUEST_ENDED:
    default:
      vm->finished_s = now;
      break;
    }
    xa_sched_track_vm (vm);
  }
  while (!g_queue_is_empty (&planned))
    g_queue_push_tail (&self->ready, g_queue_pop_head (&planned));
  self->deferred_generation = self->generation;
}

/* A member the batch rejected (it can never start) takes its group down,
 * as a failed one does, in the batch's own commit: a restart never finds
 * the others planned without it. */
static void
xa_sched_batch_reject_groups (GPtrArray *batch)
{
  for (guint i = 0; i < batch->len; i++) {
    XaVm *vm = g_ptr_array_index (batch, i);

    if (vm->request->state == XA_REQUEST_REJECTED)
      xa_sched_group_failed (vm, vm->request->reason);
  }
}

/* Where a VM planned on one node would have gone instead. */
static gchar *
xa_sched_batch_runner_up (const XaPlanWhy *why)
{
  if (why->runner_up < 0)
    return g_strdup ("no other node could hold it");
  return g_strdup_printf ("runner-up node %d, %" G_GUINT64_FORMAT " MiB left there",
                          why->runner_up, why->runner_up_left_mib);
}

/* A planned VM: its nodes, its MiB on each, and for one node where it
 * would have gone instead. */
static void
xa_sched_batch_log_planned (XaScheduler *self, const XaLogAbout *about,
                            const XaPlacement *placement, const XaPlanWhy *why)
{
  g_autofree gchar *nodes = NULL;
  g_autofree gchar *runner_up = NULL;
  g_autoptr(GString) mib = NULL;
  guint n_nodes = xa_nodeset_count (placement->nodes);

  if (!xa_log_enabled (XA_LOG_DECIDED))
    return;
  nodes = xa_nodeset_format (placement->nodes);
  mib = g_string_new (NULL);
  for (guint n = 0; n < self->n_nodes; n++) {
    if (xa_nodeset_has (placement->nodes, n))
      g_string_append_printf (mib, "%s%" G_GUINT64_FORMAT, mib->len > 0 ? "+" : "",
                              placement->mib_by_node[n]);
  }
  if (n_nodes == 1)
    runner_up = xa_sched_batch_runner_up (why);
  xa_log (XA_LOG_DECIDED, about, "%s: planned on %s %s (%s MiB) in batch %" G_GINT64_FORMAT "%s%s",
          about->request->req->name, n_nodes == 1 ? "node" : "nodes", nodes, mib->str,
          about->batch_id, runner_up != NULL ? "; " : "", runner_up != NULL ? runner_up : "");
}

/* One message a VM: where it goes and where it would have gone instead,
 * or why it waits or never can. */
static void
xa_sched_batch_log_vm (XaScheduler *self, gint64 batch_id, const XaVm *vm,
                       const XaPlacement *placement, const XaPlanWhy *why)
{
  XaLogAbout about = { vm->request, NULL, batch_id, placement->nodes };
  const gchar *reason = placement->reason != NULL ? placement->reason : "no reason given";

  switch (placement->outcome) {
  case XA_OUTCOME_PLANNED:
    xa_sched_batch_log_planned (self, &about, placement, why);
    break;
  case XA_OUTCOME_DEFERRED:
    xa_log (XA_LOG_DECIDED, &about, "%s: deferred in batch %" G_GINT64_FORMAT ": %s",
            vm->request->req->name, batch_id, reason);
    break;
  case XA_OUTCOME_REJECTED:
  case XA_OUTCOME_FAILED:
  default:
    xa_log (XA_LOG_NOTABLE, &about, "%s: rejected in batch %" G_GINT64_FORMAT ": %s",
            vm->request->req->name, batch_id, reason);
    break;
  }
}

/* What the batch decided: one message for it, one per VM. */
static void
xa_sched_batch_log (XaScheduler *self, gint64 batch_id, GPtrArray *batch, const XaPlan *plan,
                    const XaPlanWhy *why)
{
  XaLogAbout about = { NULL, NULL, batch_id, 0 };
  guint counts[XA_OUTCOME_LAST + 1] = { 0 };

  if (!xa_log_enabled (XA_LOG_NOTABLE))
    return;
  for (guint i = 0; i < batch->len; i++)
    counts[plan->placements[i].outcome]++;
  xa_log (XA_LOG_DECIDED, &about,
          "batch %" G_GINT64_FORMAT " closed: %u %s, policy %s: %u planned, %u deferred, "
          "%u rejected", batch_id, batch->len, xa_text_plural (batch->len, "VM", "VMs"),
          xa_policy_to_string (self->options.policy), counts[XA_OUTCOME_PLANNED],
          counts[XA_OUTCOME_DEFERRED], counts[XA_OUTCOME_REJECTED]);
  for (guint i = 0; i < batch->len; i++)
    xa_sched_batch_log_vm (self, batch_id, g_ptr_array_index (batch, i), &plan->placements[i],
                           &why[i]);
}

/* The window closes: snapshot, ledger, plan, ledger, workers. */
static void
xa_sched_batch_close_window (gpointer data)
{
  XaScheduler *self = data;
  g_autoptr(GPtrArray) batch = NULL;
  g_autoptr(GPtrArray) requests = g_ptr_array_new ();
  g_autoptr(GPtrArray) store_requests = g_ptr_array_new ();
  g_autoptr(XaTopology) topo = NULL;
  g_autoptr(XaPlan) plan = NULL;
  g_autofree XaPlanWhy *why = NULL;
  g_autoptr(GError) error = NULL;
  XaPlanOptions options = { XA_POLICY_BATCH, xa_scheduler_now (self) };
  gint64 batch_id = 0;
  XaStoreBatch info = { "batch", 0, 0, xa_scheduler_time (self), NULL, &batch_id };
  gint64 start;

  self->window = 0;
  if (self->stopping)
    return;
  xa_sched_group_fail_rejects (self);
  /* the highest priorities first, at most --max-batch of them */
  batch = xa_sched_track_take (self, self->options.max_batch, xa_scheduler_now (self));
  if (batch->len == 0)
    return;
  topo = xa_sched_batch_refresh (self, &info.snapshot_id, &error);
  if (topo == NULL) {
    xa_scheduler_fatal (self, g_steal_pointer (&error));
    return;
  }
  for (guint i = 0; i < batch->len; i++) {
    XaVm *vm = g_ptr_array_index (batch, i);

    g_ptr_array_add (requests, vm->request->req);
    g_ptr_array_add (store_requests, vm->request);
  }
  start = g_get_monotonic_time ();
  plan = xa_plan (topo, requests, &options, &error);
  info.plan_ms = (gdouble) (g_get_monotonic_time () - start) / 1000.0;
  self->plan_ms += info.plan_ms;
  if (plan != NULL)
    info.why = why = xa_plan_why (plan, topo, requests);
  if (plan == NULL || !xa_store_admit_batch (self->store, self->host_id, &info, store_requests,
                                             plan, &error)) {
    xa_scheduler_fatal (self, g_steal_pointer (&error));
    return;
  }
  xa_sched_batch_reject_groups (batch);
  if (!xa_scheduler_flush_soon (self))
    return;
  if (self->first_admitted_s < 0)
    self->first_admitted_s = xa_scheduler_now (self);
  self->optimal = self->n_batches == 0 ? plan->optimal
                                        : xa_plan_optimal_combine (self->optimal, plan->optimal);
  self->n_batches++;
  xa_sched_batch_log (self, batch_id, batch, plan, why);
  xa_sched_batch_apply_plan (self, batch, plan);
  xa_scheduler_dispatch (self);
  xa_sched_batch_open_window (self);
}

/* A batch closes when --max-batch requests wait or --window-ms has passed
 * since the first of them. */
void
xa_sched_batch_open_window (XaScheduler *self)
{
  guint waiting;
  gdouble at;

  if (self->window != 0 || self->stopping || self->fatal != NULL)
    return;
  waiting = xa_scheduler_n_waiting (self);
  if (waiting == 0)
    return;
  at = xa_scheduler_now (self) + (waiting >= self->options.max_batch ? 0 : self->options.window_s);
  self->window = xa_clock_add (self->clock, at, xa_sched_batch_close_window, self);
}

/* Memory may have freed since the deferred VMs were planned: they try
 * again once the nodes could hold the smallest of them (or nothing builds
 * any more), until they have waited --defer-timeout; a service's, until
 * they fit or are cancelled, since a retry costs nothing while no memory
 * frees. */
void
xa_sched_batch_retry_deferred (XaScheduler *self)
{
  if (self->generation == self->deferred_generation ||
      (!self->service && self->defer_deadline_s >= 0 &&
       xa_scheduler_now (self) >= self->defer_deadline_s))
    return;
  /* while builds run, each end looks again; with none left, one more plan,
   * as before the run ends */
  if (self->running > 0 && self->deferred->len > 0 && !xa_sched_track_room_for_deferred (self))
    return;
  xa_sched_track_undefer (self);
  self->deferred_generation = self->generation;
}
