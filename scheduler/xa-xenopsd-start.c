/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "xa-build.h"
#include "xa-log.h"
#include "xa-sched-track.h"
#include "xa-xenopsd-start.h"

/* xenopsd's way of starting: each build decides alone, at its own moment. */

static XaClaimResult
xa_xenopsd_start_claim (XaVm *vm, gint node, guint64 mib, gchar **out_detail)
{
  g_autoptr(GError) error = NULL;

  if (xa_host_claim (vm->sched->host, vm->domid, node, mib, &error))
    return XA_CLAIM_DONE;
  *out_detail = g_strdup (error->message);
  return g_error_matches (error, XA_HOST_ERROR, ENOMEM) ? XA_CLAIM_NO_MEMORY : XA_CLAIM_REFUSED;
}

static XaClaimResult
xa_xenopsd_start_claim_node (gpointer data, guint node, guint64 mib, gchar **out_detail)
{
  return xa_xenopsd_start_claim (data, (gint) node, mib, out_detail);
}

static XaClaimResult
xa_xenopsd_start_claim_host (gpointer data, guint64 mib, gchar **out_detail)
{
  return xa_xenopsd_start_claim (data, -1, mib, out_detail);
}

static const XaXenopsdClaims xa_xenopsd_start_claims = {
  xa_xenopsd_start_claim_node,
  xa_xenopsd_start_claim_host,
};

/* What numa_placement reads: free memory minus what is claimed on each
 * node; the legacy version its running minimum, never larger. */
static gboolean
xa_xenopsd_start_view (XaScheduler *self, guint64 *view, guint64 *total_free, GError **error)
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

/* Its decision, one message as a batch's are (xa-sched-batch.c). */
static void
xa_xenopsd_start_log (XaVm *vm, XaOutcome outcome, XaNodeSet nodes, const gchar *reason,
                      gint64 batch_id)
{
  XaLogAbout about = { vm->request, NULL, batch_id, nodes };
  const gchar *policy = xa_policy_to_string (vm->sched->options.policy);
  g_autofree gchar *where = NULL;

  if (outcome != XA_OUTCOME_PLANNED) {
    xa_log (XA_LOG_NOTABLE, &about, "%s: %s by %s in batch %" G_GINT64_FORMAT ": %s",
            vm->request->req->name, outcome == XA_OUTCOME_REJECTED ? "rejected" : "failed",
            policy, batch_id, reason);
    return;
  }
  if (!xa_log_enabled (XA_LOG_DECIDED))
    return;
  where = nodes != 0 ? xa_nodeset_format (nodes) : g_strdup ("none (no NUMA placement)");
  xa_log (XA_LOG_DECIDED, &about, "%s: started by %s in batch %" G_GINT64_FORMAT ", nodes %s",
          vm->request->req->name, policy, batch_id, where);
}

/* The ledger's record of one xenopsd decision: a batch of one. */
static gboolean
xa_xenopsd_start_admit (XaVm *vm, XaOutcome outcome, XaNodeSet nodes, const gchar *reason,
                        GError **error)
{
  XaScheduler *self = vm->sched;
  g_autoptr(XaPlan) plan = xa_plan_new (self->n_nodes, 1);
  g_autoptr(GPtrArray) requests = g_ptr_array_new ();
  gint64 batch_id = 0;
  XaStoreBatch batch = { xa_policy_to_string (self->options.policy), 0, 0,
                         xa_scheduler_time (self), NULL, &batch_id };

  plan->placements[0].outcome = outcome;
  plan->placements[0].reason = g_strdup (reason);
  if (outcome == XA_OUTCOME_PLANNED) {
    plan->placements[0].nodes = nodes;
    xa_xenopsd_predict_memory (self->topo, vm->request->req, nodes, vm->need_mib,
                               plan->placements[0].mib_by_node);
    memcpy (vm->planned_mib, plan->placements[0].mib_by_node, sizeof (guint64) * self->n_nodes);
  }
  g_ptr_array_add (requests, vm->request);
  if (self->first_admitted_s < 0)
    self->first_admitted_s = xa_scheduler_now (self);
  if (!xa_store_admit_batch (self->store, self->host_id, &batch, requests, plan, error))
    return FALSE;
  xa_xenopsd_start_log (vm, outcome, nodes, reason, batch_id);
  xa_sched_track_vm (vm);
  return TRUE;
}

/* A start xenopsd would not even try, or fails before any build. */
static void
xa_xenopsd_start_refuse (XaVm *vm, XaOutcome outcome, const gchar *reason)
{
  XaScheduler *self = vm->sched;
  g_autoptr(GError) error = NULL;

  if (!xa_xenopsd_start_admit (vm, outcome, 0, reason, &error)) {
    xa_scheduler_fatal (self, g_steal_pointer (&error));
    return;
  }
  vm->finished_s = xa_scheduler_now (self);
  self->running--;
  xa_scheduler_after_job (self);
}

/* wait_xen_free_mem, host-wide: on stock Xen it gives up at once. */
static gchar *
xa_xenopsd_start_why_no_memory (XaVm *vm, guint64 total_free)
{
  if (vm->need_mib <= total_free)
    return NULL;
  return g_strdup_printf ("xenopsd's wait for free memory gives up: the host has %"
                          G_GUINT64_FORMAT " MiB free, the VM needs %" G_GUINT64_FORMAT
                          " MiB with overhead", total_free, vm->need_mib);
}

void
xa_xenopsd_start_job (XaVm *vm)
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
    xa_xenopsd_start_refuse (vm, XA_OUTCOME_REJECTED, never);
    return;
  }
  if (!xa_xenopsd_start_view (self, view, &total_free, &error)) {
    xa_scheduler_fatal (self, g_steal_pointer (&error));
    return;
  }
  no_memory = xa_xenopsd_start_why_no_memory (vm, total_free);
  if (no_memory != NULL) {
    xa_xenopsd_start_refuse (vm, XA_OUTCOME_FAILED, no_memory);
    return;
  }
  /* a pinned VM is not NUMA-placed, and makes no claim */
  if (self->numa != NULL && !xa_request_is_pinned (req)) {
    gint64 start = g_get_monotonic_time ();

    plan = xa_xenopsd_plan (self->numa, view, req->memory_mib, req->vcpus,
                            xa_xenopsd_cores_requested (self->options.policy, req->vcpus));
    self->plan_ms += (gdouble) (g_get_monotonic_time () - start) / 1000.0;
  }
  if (!xa_xenopsd_start_admit (vm, XA_OUTCOME_PLANNED, plan, NULL, &error)) {
    xa_scheduler_fatal (self, g_steal_pointer (&error));
    return;
  }
  if (!xa_build_begin (vm))
    return;
  if (!xa_build_create_domain (vm, &error) ||
      !xa_build_size_domain (vm, &error) ||
      (!xa_request_is_pinned (req) &&
       !xa_xenopsd_build_pre (self->options.policy, plan, req->memory_mib, &xa_xenopsd_start_claims,
                              vm, &affinity, &error)) ||
      !xa_build_set_affinity (vm, affinity, &error)) {
    xa_build_fail_error (vm, error);
    return;
  }
  vm->planned_nodes = affinity;
  xa_build_domain (vm);
}
