/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-build.h"
#include "xa-log.h"
#include "xa-sched-group.h"
#include "xa-sched-track.h"

/* A build waits at most this often, a second apart, for its nodes to have
 * the memory its plan gives them (a failed build's domain going away). */
#define XA_BUILD_NODE_CHECKS 5
#define XA_BUILD_NODE_CHECK_S 1.0
/* A failed build's domain is destroyed in at most this many tries. */
#define XA_BUILD_DESTROY_TRIES 3

static void xa_build_pre (XaVm *vm);

/* ---- the end of a build, good or bad ---- */

static void
xa_build_end (XaVm *vm)
{
  XaScheduler *self = vm->sched;

  vm->building = FALSE;
  self->running--;
  xa_sched_track_vm (vm);
  self->last_end_s = xa_scheduler_now (self);
  self->generation++;
  xa_scheduler_after_job (self);
}

/* Destroys the VM's half-built domain, trying again if the host refuses;
 * the domain (and its claim) stays only if every try failed. */
gboolean
xa_build_destroy (XaVm *vm, GError **error)
{
  g_autoptr(GError) last = NULL;

  for (guint tries = 0; vm->has_domain && tries < XA_BUILD_DESTROY_TRIES; tries++) {
    g_clear_error (&last);
    if (xa_host_destroy (vm->sched->host, vm->domid, &last))
      vm->has_domain = FALSE;
  }
  xa_sched_track_vm (vm);
  if (!vm->has_domain)
    return TRUE;
  g_propagate_error (error, g_steal_pointer (&last));
  return FALSE;
}

/* A domain xa_build_destroy() could not destroy (@kept says why): the
 * request fails for good (a retry would meet a domain of its handle), its
 * claim held by that domain until the next start removes it. */
gboolean
xa_build_keep_domain (XaVm *vm, const gchar *reason, const GError *kept, GError **error)
{
  XaScheduler *self = vm->sched;
  g_autofree gchar *why = g_strdup_printf ("%s; then its domain %u could not be destroyed (%s): "
                                           "it keeps its claim until xadmit starts again and "
                                           "removes it", reason, vm->domid, kept->message);
  gboolean recorded;

  vm->has_domain = FALSE;
  vm->finished_s = xa_scheduler_now (self);
  recorded = xa_store_fail_build_leftover (self->store, vm->request, why,
                                           xa_scheduler_time (self), error);
  xa_sched_track_vm (vm);
  return recorded;
}

/* The ledger's record of a failed build: queued again or failed, its claim
 * released, once its domain is gone. */
static gboolean
xa_build_record_failure (XaVm *vm, const gchar *reason, gboolean *retry, GError **error)
{
  g_autoptr(GError) kept = NULL;

  if (xa_build_destroy (vm, &kept))
    return xa_store_fail_build (vm->sched->store, vm->request, reason, *retry,
                                xa_scheduler_time (vm->sched), error);
  *retry = FALSE;
  return xa_build_keep_domain (vm, reason, kept, error);
}

/* Destroys what was built, releases the claim; batch tries again. */
static void
xa_build_fail (XaVm *vm, const gchar *reason)
{
  XaScheduler *self = vm->sched;
  XaLogAbout about = { vm->request, NULL, 0, vm->planned_nodes };
  g_autoptr(GError) error = NULL;
  gboolean retry = xa_scheduler_is_batch (self) && vm->request->attempts <= self->options.retries;

  if (!xa_build_record_failure (vm, reason, &retry, &error)) {
    xa_scheduler_fatal (self, g_steal_pointer (&error));
    return;
  }
  xa_log (XA_LOG_NOTABLE, &about, "%s: attempt %u failed: %s; %s", vm->request->req->name,
          vm->request->attempts, reason,
          retry ? "it goes back to the queue to be tried again" : "no retry left: it failed");
  vm->deferred = FALSE;
  if (!retry)
    vm->finished_s = xa_scheduler_now (self);
  xa_build_end (vm);
  if (!retry)
    xa_sched_group_failed (vm, reason);
}

void
xa_build_fail_error (XaVm *vm, const GError *error)
{
  xa_build_fail (vm, error->message);
}

/* The build is done: what is left of the claim goes, the domain runs (or
 * stays paused, if asked, or until its group is built), and the ledger
 * records where its memory went. */
static void
xa_build_done (const GError *build_error, gpointer user_data)
{
  XaVm *vm = user_data;
  XaScheduler *self = vm->sched;
  g_autoptr(GError) error = NULL;

  if (build_error != NULL) {
    xa_build_fail_error (vm, build_error);
    return;
  }
  if (!xa_host_claim (self->host, vm->domid, -1, 0, &error) ||
      (!self->options.paused && !xa_sched_group_holds (vm) &&
       !xa_host_unpause (self->host, vm->domid, &error)) ||
      !xa_host_domain_memory (self->host, vm->domid, vm->actual_mib, &error)) {
    xa_build_fail_error (vm, error);
    return;
  }
  if (!xa_store_complete_build (self->store, vm->request, self->n_nodes, vm->actual_mib,
                                xa_scheduler_time (self), &error)) {
    xa_scheduler_fatal (self, g_steal_pointer (&error));
    return;
  }
  vm->finished_s = xa_scheduler_now (self);
  self->unsettled = TRUE;
  xa_build_end (vm);
}

/* Strict: a VM with a node set gets exactly its planned MiB on each node,
 * as xenguest's vNUMA ranges give it, so a short node fails the build
 * instead of spilling; else (and a pinned VM, whose MiB are a prediction)
 * it follows its affinity, as Xen's allocator does. */
void
xa_build_domain (XaVm *vm)
{
  const XaRequest *req = vm->request->req;
  const XaGuest *guest = vm->request->guest;
  gboolean exact = vm->sched->options.strict && vm->planned_nodes != 0;
  XaBuildSpec spec = { req->name, vm->request->attempts, req->memory_mib,
                       exact ? vm->planned_mib : NULL, vm->sched->n_nodes, guest->kernel,
                       guest->ramdisk, guest->cmdline };

  xa_host_build (vm->sched->host, vm->domid, &spec, xa_build_done, vm);
}

/* The running VMs' domains by handle, where the host counted their pages. */
static GHashTable *
xa_build_counted_domains (const XaHostInfo *info)
{
  GHashTable *domains = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < info->domains->len; i++) {
    XaHostDomain *domain = g_ptr_array_index (info->domains, i);

    if (domain->uuid != NULL && !domain->estimated)
      g_hash_table_insert (domains, domain->uuid, domain);
  }
  return domains;
}

/* Where a host's domain_memory guesses (Xen between two 'u' tables), one
 * snapshot at the end of a run counts the pages of the domains it built,
 * and the ledger and the summary take the count. */
gboolean
xa_build_settle_actuals (XaScheduler *self, GError **error)
{
  g_autoptr(XaHostInfo) info = NULL;
  g_autoptr(GHashTable) domains = NULL;
  gsize size = sizeof (guint64) * self->n_nodes;

  if (!xa_host_domain_memory_is_estimated (self->host))
    return TRUE;
  if ((info = xa_host_snapshot (self->host, error)) == NULL)
    return FALSE;
  domains = xa_build_counted_domains (info);
  for (guint i = 0; i < self->vms->len; i++) {
    XaVm *vm = g_ptr_array_index (self->vms, i);
    const XaHostDomain *domain = g_hash_table_lookup (domains, vm->request->uuid);

    if (domain == NULL || vm->started_s < 0 || vm->request->state != XA_REQUEST_RUNNING ||
        memcmp (vm->actual_mib, domain->memory_by_node_mib, size) == 0)
      continue;
    memcpy (vm->actual_mib, domain->memory_by_node_mib, size);
    if (!xa_store_correct_actual (self->store, vm->request, self->n_nodes, vm->actual_mib, error))
      return FALSE;
  }
  return TRUE;
}

/* ---- build_pre, in Xen's order ---- */

static GArray *
xa_build_cpus_of (XaScheduler *self, XaNodeSet nodes)
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
gboolean
xa_build_set_affinity (XaVm *vm, XaNodeSet nodes, GError **error)
{
  XaScheduler *self = vm->sched;
  g_autoptr(GArray) cpus = NULL;

  if (xa_request_is_pinned (vm->request->req))
    return xa_host_set_vcpu_affinity (self->host, vm->domid, vm->request->req->hard_affinity,
                                      TRUE, error);
  if (nodes == 0)
    return TRUE;
  cpus = xa_build_cpus_of (self, nodes);
  return xa_host_set_vcpu_affinity (self->host, vm->domid, cpus, FALSE, error) &&
         xa_host_set_node_affinity (self->host, vm->domid, nodes, error);
}

gboolean
xa_build_create_domain (XaVm *vm, GError **error)
{
  XaScheduler *self = vm->sched;
  const XaRequest *req = vm->request->req;
  XaDomainSpec spec = { vm->request->uuid, req->name, req->vcpus,
                        vm->request->guest->type == XA_GUEST_PVH };

  if (!xa_host_create_domain (self->host, &spec, &vm->domid, error))
    return FALSE;
  vm->has_domain = TRUE;
  xa_sched_track_vm (vm);
  return TRUE;
}

/* Timer mode (PVH and HVM only), vCPUs, then max memory: a claim may not
 * exceed it. */
gboolean
xa_build_size_domain (XaVm *vm, GError **error)
{
  XaScheduler *self = vm->sched;
  const XaRequest *req = vm->request->req;

  if (vm->request->guest->type == XA_GUEST_PVH &&
      !xa_host_set_timer_mode (self->host, vm->domid, error))
    return FALSE;
  return xa_host_set_max_vcpus (self->host, vm->domid, req->vcpus, error) &&
         xa_host_set_max_mem (self->host, vm->domid, vm->need_mib, error);
}

/* Whether the VM's nodes have what its plan gives them, besides what the
 * other admitted builds will take; *out_node, *out_have say where not. */
static gboolean
xa_build_nodes_hold (XaVm *vm, guint *out_node, guint64 *out_have, GError **error)
{
  XaScheduler *self = vm->sched;
  guint64 free_mib[XA_MAX_NODES];
  guint64 reserved[XA_MAX_NODES];

  if (!xa_host_free_memory (self->host, free_mib, NULL, error))
    return FALSE;
  xa_sched_track_reserved (self, vm, reserved);
  for (guint n = 0; n < self->n_nodes; n++) {
    if (vm->planned_mib[n] == 0)
      continue;
    *out_have = free_mib[n] > reserved[n] ? free_mib[n] - reserved[n] : 0;
    if (*out_have < vm->planned_mib[n]) {
      *out_node = n;
      return FALSE;
    }
  }
  return TRUE;
}

static void
xa_build_check_again (gpointer data)
{
  XaVm *vm = data;

  vm->check_event = 0;
  xa_build_pre (vm);
}

/* Per-node claims where the host has them and the plan is one node;
 * else the host-wide claim of stock Xen 4.17. */
static gboolean
xa_build_claim (XaVm *vm, GError **error)
{
  XaScheduler *self = vm->sched;
  gint node = -1;

  if (self->host_info->node_claims && xa_nodeset_count (vm->planned_nodes) == 1)
    node = __builtin_ctzll (vm->planned_nodes);
  return xa_host_claim (self->host, vm->domid, node, vm->need_mib, error);
}

static void
xa_build_pre (XaVm *vm)
{
  XaScheduler *self = vm->sched;
  g_autoptr(GError) error = NULL;
  guint64 have = 0;
  guint node = 0;

  if (!xa_build_nodes_hold (vm, &node, &have, &error)) {
    g_autofree gchar *reason = NULL;

    if (error != NULL) {
      xa_build_fail_error (vm, error);
      return;
    }
    if (++vm->checks < XA_BUILD_NODE_CHECKS) {
      vm->check_event = xa_clock_add (self->clock, xa_scheduler_now (self) +
                                      XA_BUILD_NODE_CHECK_S, xa_build_check_again, vm);
      return;
    }
    reason = g_strdup_printf ("node %u has %" G_GUINT64_FORMAT " MiB for it, but its plan gives "
                              "it %" G_GUINT64_FORMAT " MiB there", node, have,
                              vm->planned_mib[node]);
    xa_build_fail (vm, reason);
    return;
  }
  if (!xa_build_size_domain (vm, &error) ||
      !xa_build_set_affinity (vm, vm->planned_nodes, &error) ||
      !xa_build_claim (vm, &error)) {
    xa_build_fail_error (vm, error);
    return;
  }
  xa_build_domain (vm);
}

gboolean
xa_build_begin (XaVm *vm)
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
  xa_sched_track_vm (vm);
  return TRUE;
}

void
xa_build_start_batch (XaVm *vm)
{
  g_autoptr(GError) error = NULL;

  if (!xa_build_begin (vm))
    return;
  if (!xa_build_create_domain (vm, &error)) {
    xa_build_fail_error (vm, error);
    return;
  }
  xa_build_pre (vm);
}
