/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-mem.h"
#include "xa-request.h"
#include "xa-xenopsd.h"

/* What xenopsd's build_pre does around its placement (domain.ml; the Xen
 * call order is in docs/design.md), for a batch of starts that all run at
 * once: every build reads the host before any of them has allocated. */
typedef struct {
  XaPolicy variant;
  const XaTopology *topo;
  XaXenopsd *numa;
  guint64 *view_mib;
  guint64 host_free_mib;
  guint64 claimable_mib;
} XaXenopsdBatch;

/* wait_xen_free_mem: host-wide free memory, which no build in flight has
 * taken yet and which claims do not lower. */
static gboolean
xa_xenopsd_batch_waits_in_vain (const XaXenopsdBatch *ref, guint64 need_mib, XaPlacement *placement)
{
  if (need_mib <= ref->host_free_mib)
    return FALSE;
  xa_placement_fail (placement,
                     g_strdup_printf ("xenopsd's wait for free memory gives up: the host has "
                                      "%" G_GUINT64_FORMAT " MiB free, the VM needs "
                                      "%" G_GUINT64_FORMAT " MiB with overhead",
                                      ref->host_free_mib, need_mib));
  return TRUE;
}

/* The plan's model of the host-wide claim: Xen refuses it past what is
 * unclaimed. */
static XaClaimResult
xa_xenopsd_batch_claim_host (gpointer data, guint64 mib, gchar **out_detail)
{
  XaXenopsdBatch *ref = data;

  if (mib > ref->claimable_mib) {
    *out_detail = g_strdup_printf ("the starts before it claimed all but %" G_GUINT64_FORMAT
                                   " MiB", ref->claimable_mib);
    return XA_CLAIM_NO_MEMORY;
  }
  ref->claimable_mib -= mib;
  return XA_CLAIM_DONE;
}

/* A node claim: stock Xen has none; with them, it holds where the node
 * still has the memory unclaimed. */
static XaClaimResult
xa_xenopsd_batch_claim_node (gpointer data, guint node, guint64 mib, gchar **out_detail)
{
  XaXenopsdBatch *ref = data;

  if (ref->variant != XA_POLICY_XENOPSD_NODECLAIM) {
    *out_detail = g_strdup ("this Xen has no per-node claims");
    return XA_CLAIM_REFUSED;
  }
  if (mib > ref->view_mib[node] || mib > ref->claimable_mib) {
    *out_detail = g_strdup_printf ("node %u has %" G_GUINT64_FORMAT " MiB unclaimed", node,
                                   ref->view_mib[node]);
    return XA_CLAIM_NO_MEMORY;
  }
  ref->view_mib[node] -= mib;
  ref->claimable_mib -= mib;
  return XA_CLAIM_DONE;
}

static const XaXenopsdClaims xa_xenopsd_batch_claims = {
  xa_xenopsd_batch_claim_node,
  xa_xenopsd_batch_claim_host,
};

/* Returns the nodes the VM's soft affinity points to after build_pre, 0 for
 * none; FALSE when its start fails. */
static gboolean
xa_xenopsd_batch_build_pre (XaXenopsdBatch *ref, const XaRequest *req, XaPlacement *placement,
                            XaNodeSet *out_nodes)
{
  guint cores = xa_xenopsd_cores_requested (ref->variant, req->vcpus);
  g_autoptr(GError) error = NULL;
  XaNodeSet plan = 0;

  if (ref->numa != NULL)
    plan = xa_xenopsd_plan (ref->numa, ref->view_mib, req->memory_mib, req->vcpus, cores);
  if (xa_xenopsd_build_pre (ref->variant, plan, req->memory_mib, &xa_xenopsd_batch_claims, ref,
                            out_nodes, &error))
    return TRUE;
  xa_placement_fail (placement, g_strdup (error->message));
  return FALSE;
}

static void
xa_xenopsd_batch_start (XaXenopsdBatch *ref, const XaRequest *req, XaPlacement *placement)
{
  const XaTopology *topo = ref->topo;
  XaNodeSet allowed = xa_request_allowed_nodes (req, topo);
  guint64 need = xa_mem_request_need_mib (topo, req);
  gchar *reason = xa_mem_why_never_fits (topo, req, allowed);
  XaNodeSet nodes = 0;

  if (reason != NULL) {
    xa_placement_reject (placement, reason);
    return;
  }
  if (xa_xenopsd_batch_waits_in_vain (ref, need, placement))
    return;
  /* a pinned VM is not NUMA-placed and makes no claim at all */
  if (!xa_request_is_pinned (req) && !xa_xenopsd_batch_build_pre (ref, req, placement, &nodes))
    return;
  placement->nodes = nodes;
  xa_xenopsd_predict_memory (topo, req, nodes, need, placement->mib_by_node);
  placement->outcome = XA_OUTCOME_PLANNED;
}

/**
 * xa_xenopsd_predict_memory:
 * @topo: the host
 * @req: a VM xenopsd starts
 * @affinity: the nodes of its soft affinity after build_pre, 0 for none
 * @need_mib: what it needs with overhead
 * @mib_by_node: (array) (out caller-allocates): where its memory lands
 *
 * Xen deals the domain's extents over its affine nodes: a pinned VM's
 * CPUs' nodes, else its soft affinity's, else every node. The
 * reference's plans may over-commit a node, so no node's room is checked.
 */
void
xa_xenopsd_predict_memory (const XaTopology *topo, const XaRequest *req, XaNodeSet affinity,
                           guint64 need_mib, guint64 *mib_by_node)
{
  XaNodeSet nodes = affinity != 0 ? affinity : xa_nodeset_all (topo->n_nodes);

  if (xa_request_is_pinned (req))
    nodes = xa_request_allowed_nodes (req, topo);
  xa_mem_deal_extents (topo->n_nodes, NULL, nodes, need_mib, mib_by_node);
}

/**
 * xa_xenopsd_batch_plan:
 * @self: (nullable): xenopsd's placement state, %NULL where it disables
 *   NUMA placement; its usage counters grow, as they do for the whole life
 *   of a xenopsd process
 * @topo: the host
 * @requests: (element-type XaRequest): VMs whose starts all run at once
 * @variant: %XA_POLICY_XENOPSD, %XA_POLICY_XENOPSD_NODECLAIM or
 *   %XA_POLICY_XENOPSD_LEGACY
 *
 * Plans as xenopsd's parallel builds would: one VM at a time in request
 * order, each against the per-node free memory that xenopsd reads at that
 * moment, which the builds before it have not yet allocated from. On stock
 * Xen nothing lowers it; with per-node claims a single-node plan lowers
 * its node; the legacy view never shrinks. Plans may over-commit a node:
 * that is what the reference does. The MiB of a planned VM is where its
 * soft affinity sends it, all nodes when it has none.
 *
 * Returns: (transfer full): one placement per request, in their order
 */
XaPlan *
xa_xenopsd_batch_plan (XaXenopsd *self, const XaTopology *topo, GPtrArray *requests,
                       XaPolicy variant)
{
  XaXenopsdBatch ref = { 0 };
  XaPlan *plan;

  g_return_val_if_fail (topo != NULL && requests != NULL, NULL);
  g_return_val_if_fail (variant == XA_POLICY_XENOPSD || variant == XA_POLICY_XENOPSD_NODECLAIM ||
                        variant == XA_POLICY_XENOPSD_LEGACY, NULL);

  plan = xa_plan_new (topo->n_nodes, requests->len);
  ref.variant = variant;
  ref.topo = topo;
  ref.numa = self;
  ref.view_mib = g_new (guint64, topo->n_nodes);
  for (guint n = 0; n < topo->n_nodes; n++) {
    ref.view_mib[n] = topo->nodes[n].free_mib;
    ref.host_free_mib += topo->nodes[n].free_mib;
  }
  ref.claimable_mib = ref.host_free_mib;
  for (guint i = 0; i < requests->len; i++)
    xa_xenopsd_batch_start (&ref, g_ptr_array_index (requests, i), &plan->placements[i]);
  g_free (ref.view_mib);
  return plan;
}
