/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "xa-error.h"
#include "xa-ledger.h"
#include "xa-scheduler.h"
#include "xa-xenopsd.h"

/* A build waits at most this often, a second apart, for its nodes to have
 * the memory its plan gives them (a failed build's domain going away). */
#define XA_SCHEDULER_NODE_CHECKS 5
#define XA_SCHEDULER_NODE_CHECK_S 1.0
/* at most this much of the ledger's record (wall time) waits for a commit */
#define XA_SCHEDULER_FLUSH_US (100 * G_TIME_SPAN_MILLISECOND)

typedef struct _XaVm XaVm;

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
  gint64 flushed_us;
  gboolean stopping;
  gboolean dispatching;
  GError *fatal;
  XaXenopsd *numa;
  guint64 *legacy_view;
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
  XaNodeSet planned_nodes;
  guint64 *planned_mib;
  guint64 *actual_mib;
  guint64 need_mib;
  gdouble started_s;
  gdouble finished_s;
  guint checks;
  guint64 check_event;
};

static void xa_scheduler_after_job (XaScheduler *self);
static void xa_scheduler_build_pre (XaVm *vm);

static gdouble
xa_scheduler_now (XaScheduler *self)
{
  return xa_clock_now (self->clock);
}

static XaStoreTime
xa_scheduler_time (XaScheduler *self)
{
  return xa_ledger_now (self->host);
}

static gboolean
xa_scheduler_is_batch (XaScheduler *self)
{
  return self->options.policy == XA_POLICY_BATCH;
}

/* The store or the host failed under the run: it ends, the ledger says
 * where it stopped, and a restart reconciles. */
static void
xa_scheduler_fatal (XaScheduler *self, GError *error)
{
  if (self->fatal == NULL)
    self->fatal = error;
  else
    g_error_free (error);
}

/* Commits what the ledger holds. An admission is flushed before any of its
 * domains exist: a restart then finds each domain it made in flight. */
static gboolean
xa_scheduler_flush (XaScheduler *self)
{
  g_autoptr(GError) error = NULL;

  self->flushed_us = g_get_monotonic_time ();
  if (xa_store_flush (self->store, &error))
    return TRUE;
  xa_scheduler_fatal (self, g_steal_pointer (&error));
  return FALSE;
}

static void
xa_vm_free (gpointer data)
{
  XaVm *vm = data;

  xa_store_request_free (vm->request);
  g_free (vm->planned_mib);
  g_free (vm->actual_mib);
  g_free (vm);
}

/* Builds run at once: the workers given, or as many as populate at the
 * full rate within the host's bandwidth. */
static guint
xa_scheduler_workers (const XaSchedulerOptions *options, const XaHostInfo *info)
{
  guint64 lanes = info->bandwidth_mib_per_s / MAX (info->populate_mib_per_s, 1);
  guint cap = (guint) CLAMP (lanes, 1, XA_SCHEDULER_MAX_WORKERS);

  if (options->policy != XA_POLICY_BATCH)
    return options->workers > 0 ? options->workers : XA_SCHEDULER_MAX_WORKERS;
  return options->workers > 0 ? MIN (options->workers, cap) : cap;
}

/**
 * xa_scheduler_new:
 * @host: the host, locked by this process
 * @store: the ledger
 * @host_id: the host in the ledger
 * @options: how to admit
 * @error: a #GError
 *
 * Returns: (transfer full) (nullable): a scheduler with no VM yet
 */
XaScheduler *
xa_scheduler_new (XaHost *host, XaStore *store, gint64 host_id, const XaSchedulerOptions *options,
                  GError **error)
{
  g_autoptr(XaScheduler) self = g_new0 (XaScheduler, 1);

  self->host = host;
  self->clock = xa_host_get_clock (host);
  self->store = store;
  self->host_id = host_id;
  self->options = *options;
  self->vms = g_ptr_array_new_with_free_func (xa_vm_free);
  g_queue_init (&self->ready);
  self->first_queued_s = -1;
  self->first_admitted_s = -1;
  self->last_end_s = -1;
  self->defer_deadline_s = -1;
  self->host_info = xa_host_snapshot (host, error);
  if (self->host_info == NULL)
    return NULL;
  self->n_nodes = self->host_info->n_nodes;
  self->topo = xa_host_info_to_topology (self->host_info);
  self->workers = xa_scheduler_workers (options, self->host_info);
  if (!xa_scheduler_is_batch (self))
    self->numa = xa_xenopsd_new (self->topo);
  xa_host_set_seed (host, options->seed);
  return g_steal_pointer (&self);
}

void
xa_scheduler_free (XaScheduler *self)
{
  if (self == NULL)
    return;
  if (self->window != 0)
    xa_clock_cancel (self->clock, self->window);
  g_queue_clear (&self->ready);
  g_clear_pointer (&self->vms, g_ptr_array_unref);
  g_clear_pointer (&self->host_info, xa_host_info_free);
  g_clear_pointer (&self->topo, xa_topology_free);
  g_clear_pointer (&self->numa, xa_xenopsd_free);
  g_clear_error (&self->fatal);
  g_free (self->legacy_view);
  g_free (self);
}

/**
 * xa_scheduler_add:
 * @self: the scheduler
 * @request: (transfer full): a queued request of this run
 */
void
xa_scheduler_add (XaScheduler *self, XaStoreRequest *request)
{
  XaVm *vm = g_new0 (XaVm, 1);

  vm->sched = self;
  vm->request = request;
  vm->index = self->vms->len;
  vm->planned_mib = g_new0 (guint64, self->n_nodes);
  vm->actual_mib = g_new0 (guint64, self->n_nodes);
  vm->need_mib = xa_mem_request_need_mib (self->topo, request->req);
  vm->started_s = -1;
  vm->finished_s = -1;
  if (self->first_queued_s < 0 || request->queued.host_s < self->first_queued_s)
    self->first_queued_s = request->queued.host_s;
  g_ptr_array_add (self->vms, vm);
}

void
xa_scheduler_set_progress (XaScheduler *self, XaSchedulerProgressFunc func, gpointer user_data)
{
  self->progress = func;
  self->progress_data = user_data;
}

static void
xa_scheduler_report (XaScheduler *self)
{
  XaSchedulerProgress progress = { 0, self->running, 0, 0, xa_scheduler_now (self) };

  if (self->progress == NULL)
    return;
  for (guint i = 0; i < self->vms->len; i++) {
    const XaVm *vm = g_ptr_array_index (self->vms, i);

    switch (vm->request->state) {
    case XA_REQUEST_RUNNING:
      progress.running++;
      break;
    case XA_REQUEST_QUEUED:
    case XA_REQUEST_PLANNED:
      progress.waiting++;
      break;
    case XA_REQUEST_FAILED:
    case XA_REQUEST_REJECTED:
      progress.failed++;
      break;
    case XA_REQUEST_BUILDING:
    case XA_REQUEST_CANCELLED:
    default:
      break;
    }
  }
  self->progress (&progress, self->progress_data);
}

static gboolean
xa_vm_is_waiting (const XaVm *vm)
{
  return vm->request->state == XA_REQUEST_QUEUED && !vm->deferred;
}

static guint
xa_scheduler_n_waiting (XaScheduler *self)
{
  guint waiting = 0;

  for (guint i = 0; i < self->vms->len; i++)
    waiting += xa_vm_is_waiting (g_ptr_array_index (self->vms, i)) ? 1 : 0;
  return waiting;
}

/* ---- the end of a build, good or bad ---- */

static void
xa_scheduler_end_job (XaVm *vm)
{
  XaScheduler *self = vm->sched;

  vm->building = FALSE;
  self->running--;
  self->last_end_s = xa_scheduler_now (self);
  self->generation++;
  xa_scheduler_after_job (self);
}

/* Destroys what was built, releases the claim; batch tries again. */
static void
xa_scheduler_fail_job (XaVm *vm, const gchar *reason)
{
  XaScheduler *self = vm->sched;
  g_autoptr(GError) error = NULL;
  gboolean retry = xa_scheduler_is_batch (self) && vm->request->attempts <= self->options.retries;

  if (vm->has_domain && !xa_host_destroy (self->host, vm->domid, &error)) {
    g_warning ("%s: cannot destroy its half-built domain %u: %s", vm->request->req->name,
               vm->domid, error->message);
    g_clear_error (&error);
  }
  vm->has_domain = FALSE;
  g_debug ("%s: attempt %u failed: %s", vm->request->req->name, vm->request->attempts, reason);
  if (!xa_store_fail_build (self->store, vm->request, reason, retry, xa_scheduler_time (self),
                            &error)) {
    xa_scheduler_fatal (self, g_steal_pointer (&error));
    return;
  }
  vm->deferred = FALSE;
  if (!retry)
    vm->finished_s = xa_scheduler_now (self);
  xa_scheduler_end_job (vm);
}

static void
xa_scheduler_fail_job_error (XaVm *vm, const GError *error)
{
  xa_scheduler_fail_job (vm, error->message);
}

/* The build is done: what is left of the claim goes, the domain runs, and
 * the ledger records where its memory went. */
static void
xa_scheduler_built (const GError *build_error, gpointer user_data)
{
  XaVm *vm = user_data;
  XaScheduler *self = vm->sched;
  g_autoptr(GError) error = NULL;

  if (build_error != NULL) {
    xa_scheduler_fail_job_error (vm, build_error);
    return;
  }
  if (!xa_host_claim (self->host, vm->domid, -1, 0, &error) ||
      !xa_host_unpause (self->host, vm->domid, &error) ||
      !xa_host_domain_memory (self->host, vm->domid, vm->actual_mib, &error)) {
    xa_scheduler_fail_job_error (vm, error);
    return;
  }
  if (!xa_store_complete_build (self->store, vm->request, self->n_nodes, vm->actual_mib,
                                xa_scheduler_time (self), &error)) {
    xa_scheduler_fatal (self, g_steal_pointer (&error));
    return;
  }
  vm->finished_s = xa_scheduler_now (self);
  xa_scheduler_end_job (vm);
}

/* A VM the plan splits gets exactly its planned MiB on each node, as
 * xenguest's vNUMA ranges give it; one on a single node follows its node
 * affinity, as Xen's allocator does. */
static void
xa_scheduler_build (XaVm *vm)
{
  const XaRequest *req = vm->request->req;
  const XaGuest *guest = vm->request->guest;
  gboolean exact = xa_scheduler_is_batch (vm->sched) && xa_nodeset_count (vm->planned_nodes) > 1;
  XaBuildSpec spec = { req->name, vm->request->attempts, req->memory_mib,
                       exact ? vm->planned_mib : NULL, vm->sched->n_nodes, guest->kernel,
                       guest->ramdisk, guest->cmdline };

  xa_host_build (vm->sched->host, vm->domid, &spec, xa_scheduler_built, vm);
}

/* ---- build_pre, in Xen's order ---- */

static GArray *
xa_scheduler_cpus_of (XaScheduler *self, XaNodeSet nodes)
{
  GArray *cpus = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint n = 0; n < self->n_nodes; n++) {
    if (xa_nodeset_has (nodes, n))
      g_array_append_vals (cpus, self->host_info->nodes[n].cpus->data,
                           self->host_info->nodes[n].cpus->len);
  }
  return cpus;
}

/* Soft affinity to the nodes' CPUs, and node affinity to the nodes. */
static gboolean
xa_scheduler_set_affinity (XaVm *vm, XaNodeSet nodes, GError **error)
{
  XaScheduler *self = vm->sched;
  g_autoptr(GArray) cpus = NULL;

  if (vm->request->req->hard_affinity != NULL)
    return xa_host_set_vcpu_affinity (self->host, vm->domid, vm->request->req->hard_affinity,
                                      TRUE, error);
  if (nodes == 0)
    return TRUE;
  cpus = xa_scheduler_cpus_of (self, nodes);
  return xa_host_set_vcpu_affinity (self->host, vm->domid, cpus, FALSE, error) &&
         xa_host_set_node_affinity (self->host, vm->domid, nodes, error);
}

static gboolean
xa_scheduler_create_domain (XaVm *vm, GError **error)
{
  XaScheduler *self = vm->sched;
  const XaRequest *req = vm->request->req;
  XaDomainSpec spec = { vm->request->uuid, req->name, req->vcpus,
                        vm->request->guest->type == XA_GUEST_PVH };

  if (!xa_host_create_domain (self->host, &spec, &vm->domid, error))
    return FALSE;
  vm->has_domain = TRUE;
  return TRUE;
}

/* Timer mode (PVH and HVM only), vCPUs, then max memory: a claim may not
 * exceed it. */
static gboolean
xa_scheduler_size_domain (XaVm *vm, guint64 max_mib, GError **error)
{
  XaScheduler *self = vm->sched;
  const XaRequest *req = vm->request->req;

  if (vm->request->guest->type == XA_GUEST_PVH &&
      !xa_host_set_timer_mode (self->host, vm->domid, error))
    return FALSE;
  return xa_host_set_max_vcpus (self->host, vm->domid, req->vcpus, error) &&
         xa_host_set_max_mem (self->host, vm->domid, max_mib, error);
}

/* What the other admitted builds still have to take on @node. */
static guint64
xa_scheduler_reserved_by_others (XaScheduler *self, const XaVm *vm, guint node)
{
  guint64 reserved = 0;

  for (guint i = 0; i < self->vms->len; i++) {
    const XaVm *other = g_ptr_array_index (self->vms, i);
    guint64 have[XA_MAX_NODES];

    if (other == vm || other->planned_mib[node] == 0 ||
        (other->request->state != XA_REQUEST_PLANNED &&
         other->request->state != XA_REQUEST_BUILDING))
      continue;
    if (!other->has_domain || !xa_host_domain_memory (self->host, other->domid, have, NULL))
      have[node] = 0;
    reserved += other->planned_mib[node] > have[node] ? other->planned_mib[node] - have[node] : 0;
  }
  return reserved;
}

/* Whether the VM's nodes have what its plan gives them, besides what the
 * other admitted builds will take; *out_node, *out_have say where not. */
static gboolean
xa_scheduler_nodes_hold (XaVm *vm, guint *out_node, guint64 *out_have, GError **error)
{
  XaScheduler *self = vm->sched;
  guint64 free_mib[XA_MAX_NODES];

  if (!xa_host_free_memory (self->host, free_mib, NULL, error))
    return FALSE;
  for (guint n = 0; n < self->n_nodes; n++) {
    guint64 reserved;

    if (vm->planned_mib[n] == 0)
      continue;
    reserved = xa_scheduler_reserved_by_others (self, vm, n);
    *out_have = free_mib[n] > reserved ? free_mib[n] - reserved : 0;
    if (*out_have < vm->planned_mib[n]) {
      *out_node = n;
      return FALSE;
    }
  }
  return TRUE;
}

static void
xa_scheduler_check_again (gpointer data)
{
  XaVm *vm = data;

  vm->check_event = 0;
  xa_scheduler_build_pre (vm);
}

/* Per-node claims where the host has them and the plan is one node;
 * else the host-wide claim of stock Xen 4.17. */
static gboolean
xa_scheduler_claim (XaVm *vm, GError **error)
{
  XaScheduler *self = vm->sched;
  gint node = -1;

  if (self->host_info->node_claims && xa_nodeset_count (vm->planned_nodes) == 1)
    node = __builtin_ctzll (vm->planned_nodes);
  return xa_host_claim (self->host, vm->domid, node, vm->need_mib, error);
}

static void
xa_scheduler_build_pre (XaVm *vm)
{
  XaScheduler *self = vm->sched;
  g_autoptr(GError) error = NULL;
  guint64 have = 0;
  guint node = 0;

  if (!xa_scheduler_nodes_hold (vm, &node, &have, &error)) {
    g_autofree gchar *reason = NULL;

    if (error != NULL) {
      xa_scheduler_fail_job_error (vm, error);
      return;
    }
    if (++vm->checks < XA_SCHEDULER_NODE_CHECKS) {
      vm->check_event = xa_clock_add (self->clock, xa_scheduler_now (self) +
                                      XA_SCHEDULER_NODE_CHECK_S, xa_scheduler_check_again, vm);
      return;
    }
    reason = g_strdup_printf ("node %u has %" G_GUINT64_FORMAT " MiB for it, but its plan gives "
                              "it %" G_GUINT64_FORMAT " MiB there", node, have,
                              vm->planned_mib[node]);
    xa_scheduler_fail_job (vm, reason);
    return;
  }
  if (!xa_scheduler_size_domain (vm, vm->need_mib, &error) ||
      !xa_scheduler_set_affinity (vm, vm->planned_nodes, &error) ||
      !xa_scheduler_claim (vm, &error)) {
    xa_scheduler_fail_job_error (vm, error);
    return;
  }
  xa_scheduler_build (vm);
}

static gboolean
xa_scheduler_start_build (XaVm *vm)
{
  XaScheduler *self = vm->sched;
  g_autoptr(GError) error = NULL;

  if (!xa_store_start_build (self->store, vm->request, xa_scheduler_time (self), &error)) {
    xa_scheduler_fatal (self, g_steal_pointer (&error));
    return FALSE;
  }
  vm->building = TRUE;
  vm->started_s = xa_scheduler_now (self);
  vm->checks = 0;
  return TRUE;
}

static void
xa_scheduler_start_batch_job (XaVm *vm)
{
  g_autoptr(GError) error = NULL;

  if (!xa_scheduler_start_build (vm))
    return;
  if (!xa_scheduler_create_domain (vm, &error)) {
    xa_scheduler_fail_job_error (vm, error);
    return;
  }
  xa_scheduler_build_pre (vm);
}

/* ---- xenopsd's way: each build decides alone, at its own moment ---- */

static XaClaimResult
xa_scheduler_host_claim (XaVm *vm, gint node, guint64 mib, gchar **out_detail)
{
  g_autoptr(GError) error = NULL;

  if (xa_host_claim (vm->sched->host, vm->domid, node, mib, &error))
    return XA_CLAIM_DONE;
  *out_detail = g_strdup (error->message);
  return g_error_matches (error, XA_HOST_ERROR, ENOMEM) ? XA_CLAIM_NO_MEMORY : XA_CLAIM_REFUSED;
}

static XaClaimResult
xa_scheduler_claim_node (gpointer data, guint node, guint64 mib, gchar **out_detail)
{
  return xa_scheduler_host_claim (data, (gint) node, mib, out_detail);
}

static XaClaimResult
xa_scheduler_claim_host (gpointer data, guint64 mib, gchar **out_detail)
{
  return xa_scheduler_host_claim (data, -1, mib, out_detail);
}

static const XaXenopsdClaims xa_scheduler_claims = {
  xa_scheduler_claim_node,
  xa_scheduler_claim_host,
};

/* What numa_placement reads: free memory minus what is claimed on each
 * node; the legacy version its running minimum, never larger. */
static gboolean
xa_scheduler_xenopsd_view (XaScheduler *self, guint64 *view, guint64 *total_free, GError **error)
{
  guint64 free_mib[XA_MAX_NODES];
  guint64 claimed[XA_MAX_NODES];

  if (!xa_host_free_memory (self->host, free_mib, claimed, error))
    return FALSE;
  *total_free = 0;
  for (guint n = 0; n < self->n_nodes; n++) {
    *total_free += free_mib[n];
    view[n] = free_mib[n] > claimed[n] ? free_mib[n] - claimed[n] : 0;
  }
  if (self->options.policy != XA_POLICY_XENOPSD_LEGACY)
    return TRUE;
  if (self->legacy_view == NULL)
    self->legacy_view = g_memdup2 (view, sizeof (guint64) * self->n_nodes);
  for (guint n = 0; n < self->n_nodes; n++)
    view[n] = self->legacy_view[n] = MIN (self->legacy_view[n], view[n]);
  return TRUE;
}

/* The ledger's record of one xenopsd decision: a batch of one. */
static gboolean
xa_scheduler_admit_one (XaVm *vm, XaOutcome outcome, XaNodeSet nodes, const gchar *reason,
                        GError **error)
{
  XaScheduler *self = vm->sched;
  g_autoptr(XaPlan) plan = xa_plan_new (self->n_nodes, 1);
  g_autoptr(GPtrArray) requests = g_ptr_array_new ();
  XaStoreBatch batch = { xa_policy_to_string (self->options.policy), 0, 0,
                         xa_scheduler_time (self) };

  plan->placements[0].outcome = outcome;
  plan->placements[0].reason = g_strdup (reason);
  if (outcome == XA_OUTCOME_PLANNED) {
    plan->placements[0].nodes = nodes;
    xa_mem_split_evenly (self->n_nodes, NULL, nodes != 0 ? nodes : xa_nodeset_all (self->n_nodes),
                         vm->need_mib, plan->placements[0].mib_by_node);
    memcpy (vm->planned_mib, plan->placements[0].mib_by_node, sizeof (guint64) * self->n_nodes);
  }
  g_ptr_array_add (requests, vm->request);
  if (self->first_admitted_s < 0)
    self->first_admitted_s = xa_scheduler_now (self);
  return xa_store_admit_batch (self->store, self->host_id, &batch, requests, plan, error);
}

/* A start xenopsd would not even try, or fails before any build. */
static void
xa_scheduler_refuse_start (XaVm *vm, XaOutcome outcome, const gchar *reason)
{
  XaScheduler *self = vm->sched;
  g_autoptr(GError) error = NULL;

  if (!xa_scheduler_admit_one (vm, outcome, 0, reason, &error)) {
    xa_scheduler_fatal (self, g_steal_pointer (&error));
    return;
  }
  vm->finished_s = xa_scheduler_now (self);
  self->running--;
  xa_scheduler_after_job (self);
}

/* wait_xen_free_mem, host-wide: on stock Xen it gives up at once. */
static gchar *
xa_scheduler_why_no_free_memory (XaVm *vm, guint64 total_free)
{
  if (vm->need_mib <= total_free)
    return NULL;
  return g_strdup_printf ("xenopsd's wait for free memory gives up: the host has %"
                          G_GUINT64_FORMAT " MiB free, the VM needs %" G_GUINT64_FORMAT
                          " MiB with overhead", total_free, vm->need_mib);
}

static void
xa_scheduler_start_xenopsd_job (XaVm *vm)
{
  XaScheduler *self = vm->sched;
  const XaRequest *req = vm->request->req;
  g_autofree gchar *never = xa_mem_why_never_fits (self->topo, req,
                                                   xa_request_allowed_nodes (req, self->topo));
  g_autofree gchar *no_memory = NULL;
  g_autoptr(GError) error = NULL;
  guint64 view[XA_MAX_NODES];
  guint64 total_free = 0;
  XaNodeSet plan = 0;
  XaNodeSet affinity = 0;

  if (never != NULL) {
    xa_scheduler_refuse_start (vm, XA_OUTCOME_REJECTED, never);
    return;
  }
  if (!xa_scheduler_xenopsd_view (self, view, &total_free, &error)) {
    xa_scheduler_fatal (self, g_steal_pointer (&error));
    return;
  }
  no_memory = xa_scheduler_why_no_free_memory (vm, total_free);
  if (no_memory != NULL) {
    xa_scheduler_refuse_start (vm, XA_OUTCOME_FAILED, no_memory);
    return;
  }
  /* a pinned VM is not NUMA-placed, and makes no claim */
  if (self->numa != NULL && req->hard_affinity == NULL) {
    gint64 start = g_get_monotonic_time ();

    plan = xa_xenopsd_plan (self->numa, view, req->memory_mib, req->vcpus,
                            xa_xenopsd_cores_requested (self->options.policy, req->vcpus));
    self->plan_ms += (gdouble) (g_get_monotonic_time () - start) / 1000.0;
  }
  if (!xa_scheduler_admit_one (vm, XA_OUTCOME_PLANNED, plan, NULL, &error)) {
    xa_scheduler_fatal (self, g_steal_pointer (&error));
    return;
  }
  if (!xa_scheduler_flush (self) || !xa_scheduler_start_build (vm))
    return;
  if (!xa_scheduler_create_domain (vm, &error) ||
      !xa_scheduler_size_domain (vm, vm->need_mib, &error) ||
      (req->hard_affinity == NULL &&
       !xa_xenopsd_build_pre (self->options.policy, plan, req->memory_mib, &xa_scheduler_claims,
                              vm, &affinity, &error)) ||
      !xa_scheduler_set_affinity (vm, affinity, &error)) {
    xa_scheduler_fail_job_error (vm, error);
    return;
  }
  vm->planned_nodes = affinity;
  xa_scheduler_build (vm);
}

/* ---- batches ---- */

/* Jobs that end at once call back in here: the loop already running takes
 * their place. */
static void
xa_scheduler_dispatch (XaScheduler *self)
{
  if (self->dispatching)
    return;
  self->dispatching = TRUE;
  while (!self->stopping && self->fatal == NULL && self->running < self->workers &&
         !g_queue_is_empty (&self->ready)) {
    XaVm *vm = g_queue_pop_head (&self->ready);

    self->running++;
    if (xa_scheduler_is_batch (self))
      xa_scheduler_start_batch_job (vm);
    else
      xa_scheduler_start_xenopsd_job (vm);
  }
  self->dispatching = FALSE;
}

static gint
xa_scheduler_compare_priority (gconstpointer a, gconstpointer b, gpointer user_data)
{
  const XaVm *va = *(const XaVm *const *) a;
  const XaVm *vb = *(const XaVm *const *) b;
  gdouble now = *(const gdouble *) user_data;
  gint pa = xa_request_effective_priority (va->request->req, now);
  gint pb = xa_request_effective_priority (vb->request->req, now);

  if (pa != pb)
    return pa > pb ? -1 : 1;
  return va->index < vb->index ? -1 : (va->index > vb->index ? 1 : 0);
}

/* The waiting VMs a batch takes: the highest priorities first, at most
 * --max-batch of them. */
static GPtrArray *
xa_scheduler_take_batch (XaScheduler *self)
{
  GPtrArray *batch = g_ptr_array_new ();
  gdouble now = xa_scheduler_now (self);

  for (guint i = 0; i < self->vms->len; i++) {
    XaVm *vm = g_ptr_array_index (self->vms, i);

    if (xa_vm_is_waiting (vm))
      g_ptr_array_add (batch, vm);
  }
  g_ptr_array_sort_with_data (batch, xa_scheduler_compare_priority, &now);
  if (batch->len > self->options.max_batch)
    g_ptr_array_set_size (batch, (gint) self->options.max_batch);
  return batch;
}

/* The host as the planner sees it: free memory net of the claims that
 * builds in flight have yet to use, as the ledger counts them. */
static XaTopology *
xa_scheduler_refresh (XaScheduler *self, gint64 *out_snapshot_id, GError **error)
{
  g_autoptr(XaHostInfo) info = xa_host_snapshot (self->host, error);
  g_auto(XaLedgerSnapshot) ledger = { { 0 } };
  guint64 available[XA_MAX_NODES];
  XaTopology *topo;

  if (info == NULL)
    return NULL;
  xa_ledger_snapshot_init (&ledger, info);
  if (!xa_store_refresh (self->store, self->host_id, &ledger.snapshot, xa_scheduler_time (self),
                         out_snapshot_id, error) ||
      !xa_store_available (self->store, self->host_id, self->n_nodes, available, error))
    return NULL;
  topo = xa_host_info_to_topology (info);
  for (guint n = 0; n < self->n_nodes; n++)
    topo->nodes[n].free_mib = available[n];
  return topo;
}

static gint
xa_scheduler_compare_need (gconstpointer a, gconstpointer b, gpointer user_data)
{
  const XaVm *va = a;
  const XaVm *vb = b;

  if (va->need_mib != vb->need_mib)
    return va->need_mib > vb->need_mib ? -1 : 1;
  return va->index < vb->index ? -1 : (va->index > vb->index ? 1 : 0);
}

/* After the ledger took the batch: planned VMs go to the workers, largest
 * first; deferred ones wait for memory. */
static void
xa_scheduler_apply_plan (XaScheduler *self, GPtrArray *batch, const XaPlan *plan)
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
      g_queue_insert_sorted (&planned, vm, xa_scheduler_compare_need, NULL);
      break;
    case XA_REQUEST_QUEUED:
      vm->deferred = TRUE;
      if (self->defer_deadline_s < 0)
        self->defer_deadline_s = now + self->options.defer_timeout_s;
      break;
    case XA_REQUEST_BUILDING:
    case XA_REQUEST_RUNNING:
    case XA_REQUEST_FAILED:
    case XA_REQUEST_CANCELLED:
    case XA_REQUEST_REJECTED:
    default:
      vm->finished_s = now;
      break;
    }
  }
  while (!g_queue_is_empty (&planned))
    g_queue_push_tail (&self->ready, g_queue_pop_head (&planned));
  self->deferred_generation = self->generation;
}

static void xa_scheduler_open_window (XaScheduler *self);

/* The window closes: snapshot, ledger, plan, ledger, workers. */
static void
xa_scheduler_close_window (gpointer data)
{
  XaScheduler *self = data;
  g_autoptr(GPtrArray) batch = NULL;
  g_autoptr(GPtrArray) requests = g_ptr_array_new ();
  g_autoptr(GPtrArray) store_requests = g_ptr_array_new ();
  g_autoptr(XaTopology) topo = NULL;
  g_autoptr(XaPlan) plan = NULL;
  g_autoptr(GError) error = NULL;
  XaPlanOptions options = { XA_POLICY_BATCH, xa_scheduler_now (self) };
  XaStoreBatch info = { "batch", 0, 0, xa_scheduler_time (self) };
  gint64 start;

  self->window = 0;
  batch = xa_scheduler_take_batch (self);
  if (batch->len == 0 || self->stopping)
    return;
  topo = xa_scheduler_refresh (self, &info.snapshot_id, &error);
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
  if (plan == NULL || !xa_store_admit_batch (self->store, self->host_id, &info, store_requests,
                                             plan, &error)) {
    xa_scheduler_fatal (self, g_steal_pointer (&error));
    return;
  }
  if (!xa_scheduler_flush (self))
    return;
  if (self->first_admitted_s < 0)
    self->first_admitted_s = xa_scheduler_now (self);
  xa_scheduler_apply_plan (self, batch, plan);
  xa_scheduler_dispatch (self);
  xa_scheduler_open_window (self);
}

/* A batch closes when --max-batch requests wait or --window-ms has passed
 * since the first of them. */
static void
xa_scheduler_open_window (XaScheduler *self)
{
  guint waiting;
  gdouble at;

  if (self->window != 0 || self->stopping || self->fatal != NULL)
    return;
  waiting = xa_scheduler_n_waiting (self);
  if (waiting == 0)
    return;
  at = xa_scheduler_now (self) + (waiting >= self->options.max_batch ? 0 : self->options.window_s);
  self->window = xa_clock_add (self->clock, at, xa_scheduler_close_window, self);
}

/* Memory may have freed since the deferred VMs were planned: they try
 * again, until they have waited --defer-timeout. */
static void
xa_scheduler_retry_deferred (XaScheduler *self)
{
  if (self->generation == self->deferred_generation ||
      (self->defer_deadline_s >= 0 && xa_scheduler_now (self) >= self->defer_deadline_s))
    return;
  for (guint i = 0; i < self->vms->len; i++) {
    XaVm *vm = g_ptr_array_index (self->vms, i);

    vm->deferred = FALSE;
  }
  self->deferred_generation = self->generation;
}

static void
xa_scheduler_after_job (XaScheduler *self)
{
  xa_scheduler_dispatch (self);
  if (xa_scheduler_is_batch (self)) {
    xa_scheduler_retry_deferred (self);
    xa_scheduler_open_window (self);
  }
  xa_scheduler_report (self);
}

/* Done when nothing is building, waiting for a worker or a window, and
 * what is still queued was deferred with nothing since that could free
 * memory. */
static gboolean
xa_scheduler_is_done (XaScheduler *self)
{
  if (self->fatal != NULL)
    return TRUE;
  if (self->running > 0)
    return FALSE;
  if (self->stopping)
    return TRUE;
  return g_queue_is_empty (&self->ready) && self->window == 0 &&
         xa_scheduler_n_waiting (self) == 0;
}

static void
xa_scheduler_start (XaScheduler *self)
{
  if (xa_scheduler_is_batch (self)) {
    xa_scheduler_open_window (self);
    return;
  }
  /* xenopsd: every VM to a worker as soon as one is free, in arrival order */
  for (guint i = 0; i < self->vms->len; i++)
    g_queue_push_tail (&self->ready, g_ptr_array_index (self->vms, i));
  xa_scheduler_dispatch (self);
}

/**
 * xa_scheduler_run:
 * @self: the scheduler, with its VMs
 * @error: a #GError, when the ledger or the host fails
 *
 * Runs the main loop until every VM has run its course, or only deferred
 * VMs are left with nothing that could free memory, or xa_scheduler_stop()
 * was called. A virtual clock runs its events in order; between them, the
 * thread-default main context handles what is ready (signals).
 *
 * Returns: %TRUE unless the run had to end on an error
 */
gboolean
xa_scheduler_run (XaScheduler *self, GError **error)
{
  GMainContext *context = g_main_context_get_thread_default ();
  g_autoptr(GError) released = NULL;

  /* one commit for many writes: before the loop waits, after an admission,
   * or every XA_SCHEDULER_FLUSH_US on a clock that never waits */
  xa_store_hold (self->store);
  self->flushed_us = g_get_monotonic_time ();
  xa_scheduler_start (self);
  xa_scheduler_report (self);
  while (!xa_scheduler_is_done (self)) {
    while (g_main_context_iteration (context, FALSE))
      ;
    if (xa_scheduler_is_done (self))
      break;
    if (xa_clock_is_virtual (self->clock)) {
      if ((g_get_monotonic_time () - self->flushed_us >= XA_SCHEDULER_FLUSH_US &&
           !xa_scheduler_flush (self)) ||
          !xa_clock_run_next (self->clock))
        break;
    } else {
      if (!xa_scheduler_flush (self))
        break;
      g_main_context_iteration (context, TRUE);
    }
  }
  if (!xa_store_release (self->store, &released))
    xa_scheduler_fatal (self, g_steal_pointer (&released));
  if (self->fatal != NULL) {
    g_propagate_error (error, g_steal_pointer (&self->fatal));
    return FALSE;
  }
  return TRUE;
}

static void
xa_scheduler_cancel_vm (XaVm *vm, const gchar *reason)
{
  XaScheduler *self = vm->sched;
  g_autoptr(GError) error = NULL;

  if (!xa_store_cancel (self->store, vm->request->id, reason, xa_scheduler_time (self), &error)) {
    xa_scheduler_fatal (self, g_steal_pointer (&error));
    return;
  }
  vm->request->state = XA_REQUEST_CANCELLED;
  g_free (vm->request->reason);
  vm->request->reason = g_strdup (reason);
  vm->finished_s = xa_scheduler_now (self);
}

/* A second stop: half-built domains go, and their claims with them. */
static void
xa_scheduler_abort_builds (XaScheduler *self)
{
  for (guint i = 0; i < self->vms->len; i++) {
    XaVm *vm = g_ptr_array_index (self->vms, i);
    g_autoptr(GError) error = NULL;

    if (!vm->building)
      continue;
    if (vm->check_event != 0)
      xa_clock_cancel (self->clock, vm->check_event);
    if (vm->has_domain && !xa_host_destroy (self->host, vm->domid, &error))
      g_warning ("%s: cannot destroy its domain %u: %s", vm->request->req->name, vm->domid,
                 error->message);
    vm->has_domain = FALSE;
    vm->building = FALSE;
    self->running--;
    xa_scheduler_cancel_vm (vm, "xadmit was interrupted twice: its half-built domain was "
                                "destroyed");
  }
}

/**
 * xa_scheduler_stop:
 * @self: the scheduler
 * @abort: also destroy the domains being built
 *
 * The first stop admits nothing more: planned VMs not yet building are
 * cancelled, builds in flight finish. With @abort, they stop too.
 */
void
xa_scheduler_stop (XaScheduler *self, gboolean abort)
{
  self->stopping = TRUE;
  if (self->window != 0) {
    xa_clock_cancel (self->clock, self->window);
    self->window = 0;
  }
  while (!g_queue_is_empty (&self->ready))
    xa_scheduler_cancel_vm (g_queue_pop_head (&self->ready),
                            "xadmit was interrupted before its build started");
  if (abort)
    xa_scheduler_abort_builds (self);
}

gboolean
xa_scheduler_was_stopped (XaScheduler *self)
{
  return self->stopping;
}

static const gchar *
xa_scheduler_state_name (XaRequestState state)
{
  return state == XA_REQUEST_QUEUED ? "deferred" : xa_request_state_to_string (state);
}

/* What no policy can beat: the first batch window, then the longest build
 * at the full populate rate or all the memory through the bandwidth. */
static gdouble
xa_scheduler_lower_bound (XaScheduler *self)
{
  gdouble longest = 0;
  gdouble total = 0;
  gdouble first_window = MAX (self->first_admitted_s - self->first_queued_s, 0);

  for (guint i = 0; i < self->vms->len; i++) {
    const XaVm *vm = g_ptr_array_index (self->vms, i);

    if (vm->request->state != XA_REQUEST_RUNNING)
      continue;
    longest = MAX (longest, (gdouble) vm->request->req->memory_mib);
    total += (gdouble) vm->request->req->memory_mib;
  }
  if (total == 0)
    return 0;
  return (xa_scheduler_is_batch (self) ? first_window : 0) +
         MAX (longest / (gdouble) self->host_info->populate_mib_per_s,
              total / (gdouble) self->host_info->bandwidth_mib_per_s);
}

/**
 * xa_scheduler_get_run:
 * @self: the scheduler, after xa_scheduler_run()
 *
 * Returns: (transfer full): the run summary (FORMATS.md); plan_ms is the
 *   wall-clock time spent planning
 */
XaRun *
xa_scheduler_get_run (XaScheduler *self)
{
  XaRun *run = xa_run_new (xa_policy_to_string (self->options.policy), self->options.seed,
                           self->host_info->name, self->n_nodes);

  for (guint i = 0; i < self->vms->len; i++) {
    const XaVm *vm = g_ptr_array_index (self->vms, i);
    XaRunVm *rvm = xa_run_add_vm (run, vm->request->req->name,
                                  xa_scheduler_state_name (vm->request->state));

    rvm->planned_nodes = vm->planned_nodes;
    if (vm->request->state == XA_REQUEST_RUNNING)
      memcpy (rvm->memory_by_node_mib, vm->actual_mib, sizeof (guint64) * self->n_nodes);
    rvm->queued_s = vm->request->queued.host_s;
    rvm->started_s = vm->started_s;
    rvm->finished_s = vm->finished_s;
    rvm->attempts = vm->request->attempts;
    rvm->reason = g_strdup (vm->request->reason);
    rvm->vcpus = vm->request->req->vcpus;
    rvm->memory_mib = vm->request->req->memory_mib;
    rvm->pinned = vm->request->req->hard_affinity != NULL;
  }
  run->free_mib = g_new (guint64, self->n_nodes);
  for (guint n = 0; n < self->n_nodes; n++)
    run->free_mib[n] = self->host_info->nodes[n].free_mib;
  run->makespan_s = self->last_end_s >= 0 ? self->last_end_s - self->first_queued_s : 0;
  run->lower_bound_s = xa_scheduler_lower_bound (self);
  run->plan_ms = self->plan_ms;
  return run;
}
