/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <math.h>

#include "xa-error.h"
#include "xa-plan-private.h"

/**
 * xa_plan_new:
 * @n_nodes: the host's node count
 * @n_placements: the number of requests
 *
 * Returns: (transfer full): a plan whose placements are all deferred, with
 *   no reason yet
 */
XaPlan *
xa_plan_new (guint n_nodes, guint n_placements)
{
  XaPlan *plan = g_new0 (XaPlan, 1);

  plan->n_nodes = n_nodes;
  plan->n_placements = n_placements;
  plan->placements = g_new0 (XaPlacement, n_placements);
  for (guint i = 0; i < n_placements; i++) {
    plan->placements[i].outcome = XA_OUTCOME_DEFERRED;
    plan->placements[i].mib_by_node = g_new0 (guint64, n_nodes);
  }
  return plan;
}

void
xa_plan_free (XaPlan *plan)
{
  if (plan == NULL)
    return;
  for (guint i = 0; i < plan->n_placements; i++) {
    g_free (plan->placements[i].mib_by_node);
    g_free (plan->placements[i].reason);
  }
  g_free (plan->placements);
  g_free (plan);
}

guint64
xa_placement_total_mib (const XaPlacement *placement, guint n_nodes)
{
  guint64 total = 0;

  for (guint n = 0; n < n_nodes; n++)
    total += placement->mib_by_node[n];
  return total;
}

/**
 * xa_placement_is_local:
 * @placement: a placement
 * @n_nodes: the host's node count
 *
 * FORMATS.md calls a VM local when at least 99 % of its memory is on one node.
 *
 * Returns: %TRUE if @placement is local
 */
gboolean
xa_placement_is_local (const XaPlacement *placement, guint n_nodes)
{
  guint64 total = xa_placement_total_mib (placement, n_nodes);
  guint64 largest = 0;

  for (guint n = 0; n < n_nodes; n++)
    largest = MAX (largest, placement->mib_by_node[n]);
  return total > 0 && largest * 100 >= total * 99;
}

/**
 * xa_plan_count_local:
 * @plan: a plan
 *
 * Returns: how many planned VMs have their memory on one node
 */
guint
xa_plan_count_local (const XaPlan *plan)
{
  guint local = 0;

  for (guint i = 0; i < plan->n_placements; i++) {
    if (plan->placements[i].outcome == XA_OUTCOME_PLANNED &&
        xa_placement_is_local (&plan->placements[i], plan->n_nodes))
      local++;
  }
  return local;
}

/**
 * xa_plan_overplanned:
 * @plan: a plan
 * @topo: the host it was made for
 * @out_vms: (out): planned VMs that would not find their memory where planned
 * @out_mib: (out): the memory that would land elsewhere
 *
 * Takes the planned VMs in request order, the order their builds would
 * allocate, against each node's free memory. The batch and exact policies
 * never over-plan; the xenopsd ones do whenever parallel builds pick the same
 * node.
 */
void
xa_plan_overplanned (const XaPlan *plan, const XaTopology *topo, guint *out_vms,
                     guint64 *out_mib)
{
  g_autofree guint64 *left = g_new (guint64, topo->n_nodes);

  *out_vms = 0;
  *out_mib = 0;
  for (guint n = 0; n < topo->n_nodes; n++)
    left[n] = topo->nodes[n].free_mib;
  for (guint i = 0; i < plan->n_placements; i++) {
    const XaPlacement *placement = &plan->placements[i];
    guint64 short_mib = 0;

    if (placement->outcome != XA_OUTCOME_PLANNED)
      continue;
    for (guint n = 0; n < topo->n_nodes; n++) {
      guint64 mib = placement->mib_by_node[n];

      short_mib += mib > left[n] ? mib - left[n] : 0;
      left[n] -= MIN (mib, left[n]);
    }
    *out_vms += short_mib > 0 ? 1 : 0;
    *out_mib += short_mib;
  }
}

static const gchar *const xa_policy_names[] = {
  [XA_POLICY_BATCH] = "batch",
  [XA_POLICY_XENOPSD] = "xenopsd",
  [XA_POLICY_XENOPSD_NODECLAIM] = "xenopsd-nodeclaim",
  [XA_POLICY_XENOPSD_LEGACY] = "xenopsd-legacy",
  [XA_POLICY_EXACT] = "exact",
  NULL,
};

const gchar *
xa_policy_to_string (XaPolicy policy)
{
  g_return_val_if_fail (policy <= XA_POLICY_LAST, NULL);

  return xa_policy_names[policy];
}

/**
 * xa_policy_from_string:
 * @text: a policy's name, as on the command line
 * @out_policy: (out): the policy
 * @error: a #GError, %XA_ERROR_INVALID_INPUT for an unknown name
 *
 * Returns: %TRUE if @text names a policy
 */
gboolean
xa_policy_from_string (const gchar *text, XaPolicy *out_policy, GError **error)
{
  g_autofree gchar *known = NULL;

  for (guint p = 0; p <= XA_POLICY_LAST; p++) {
    if (g_strcmp0 (text, xa_policy_names[p]) == 0) {
      *out_policy = (XaPolicy) p;
      return TRUE;
    }
  }
  known = g_strjoinv (", ", (gchar **) xa_policy_names);
  g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
               "\"%s\" is not a policy (use one of %s)", text, known);
  return FALSE;
}

/**
 * xa_plan_check_policy:
 * @policy: a policy
 * @topo: the host
 * @error: a #GError, %XA_ERROR_INVALID_INPUT when @policy does not apply to
 *   @topo
 *
 * Returns: whether @policy can plan for @topo
 */
gboolean
xa_plan_check_policy (XaPolicy policy, const XaTopology *topo, GError **error)
{
  if (policy == XA_POLICY_XENOPSD_NODECLAIM && !topo->node_claims) {
    g_set_error_literal (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                         "the xenopsd-nodeclaim policy models a Xen with per-node claims, "
                         "but this host has none (node_claims: false in its host file)");
    return FALSE;
  }
  return TRUE;
}

/**
 * xa_plan:
 * @topo: the host, with free memory already net of in-flight claims
 * @requests: (element-type XaRequest): the batch
 * @options: the policy and its knobs
 * @error: a #GError, %XA_ERROR_INVALID_INPUT when the policy does not
 *   apply to this host
 *
 * Returns: (transfer full) (nullable): one placement per request, in their
 *   order
 */
XaPlan *
xa_plan (const XaTopology *topo, GPtrArray *requests, const XaPlanOptions *options,
         GError **error)
{
  g_return_val_if_fail (topo != NULL && requests != NULL && options != NULL, NULL);

  if (!xa_plan_check_policy (options->policy, topo, error))
    return NULL;
  switch (options->policy) {
  case XA_POLICY_BATCH:
    return xa_plan_batch (topo, requests, options->now_s);
  case XA_POLICY_EXACT:
    return xa_plan_exact (topo, requests, options->now_s, XA_PLAN_EXACT_STEPS_DEFAULT);
  case XA_POLICY_XENOPSD_NODECLAIM:
  case XA_POLICY_XENOPSD:
  case XA_POLICY_XENOPSD_LEGACY:
    return xa_plan_reference (topo, requests, options->policy);
  default:
    g_return_val_if_reached (NULL);
  }
}

guint64
xa_plan_sum (const guint64 *per_node, XaNodeSet nodes, guint n_nodes)
{
  guint64 sum = 0;

  for (guint n = 0; n < n_nodes; n++) {
    if (xa_nodeset_has (nodes, n))
      sum += per_node[n];
  }
  return sum;
}

/**
 * xa_plan_compare_mib:
 * @a: (type guint): an index into @user_data
 * @b: (type guint): another
 * @user_data: (array) (element-type guint64): MiB per index
 *
 * Orders indices by their MiB, the smallest first, then by index.
 *
 * Returns: as for #GCompareDataFunc
 */
gint
xa_plan_compare_mib (gconstpointer a, gconstpointer b, gpointer user_data)
{
  const guint64 *mib = user_data;
  guint ia = *(const guint *) a;
  guint ib = *(const guint *) b;

  if (mib[ia] != mib[ib])
    return mib[ia] < mib[ib] ? -1 : 1;
  return ia < ib ? -1 : (ia > ib ? 1 : 0);
}

/* What a VM takes on the host: its memory and Xen's overhead for it. */
guint64
xa_plan_need_mib (const XaTopology *topo, const XaRequest *req)
{
  return req->memory_mib + xa_topology_overhead_mib (topo, req->vcpus);
}

static XaNodeSet
xa_plan_nodes_of_cpus (const XaTopology *topo, GArray *cpus)
{
  XaNodeSet nodes = 0;

  for (guint i = 0; i < cpus->len; i++) {
    gint node = xa_topology_node_of_cpu (topo, g_array_index (cpus, guint, i));

    if (node >= 0)
      nodes |= XA_NODESET_BIT (node);
  }
  return nodes;
}

/* The nodes of a pinned VM's CPUs, else the nodes it may use; usable ones only. */
XaNodeSet
xa_plan_allowed_nodes (const XaTopology *topo, const XaRequest *req)
{
  XaNodeSet allowed = xa_nodeset_all (topo->n_nodes);

  if (req->hard_affinity != NULL)
    allowed = xa_plan_nodes_of_cpus (topo, req->hard_affinity);
  else if (req->nodes != 0)
    allowed = req->nodes;
  return allowed & xa_topology_usable_nodes (topo);
}

gint
xa_plan_effective_priority (const XaRequest *req, gdouble now_s)
{
  gdouble waited_s = now_s - req->queued_s;
  gdouble levels = waited_s > 0 ? floor (waited_s / XA_PLAN_AGING_S_PER_LEVEL) : 0;

  return req->priority + (gint) MIN (levels, (gdouble) G_MAXINT16);
}

/* Returns a reason when @req can never fit this host, NULL otherwise. */
gchar *
xa_plan_why_never_fits (const XaTopology *topo, const XaRequest *req, XaNodeSet allowed)
{
  guint64 need = xa_plan_need_mib (topo, req);
  guint64 capacity = 0;
  guint n_cpus = xa_topology_n_cpus (topo);

  for (guint n = 0; n < topo->n_nodes; n++) {
    if (xa_nodeset_has (allowed, n))
      capacity += topo->nodes[n].capacity_mib;
  }
  if (req->vcpus > n_cpus)
    return g_strdup_printf ("it has %u vCPUs, but the host has %u CPUs", req->vcpus, n_cpus);
  if (allowed == 0)
    return g_strdup ("none of the nodes it may use is usable on this host");
  if (need > capacity) {
    g_autofree gchar *nodes = xa_nodeset_format (allowed);

    return g_strdup_printf ("it needs %" G_GUINT64_FORMAT " MiB with overhead, but "
                            "its nodes (%s) hold at most %" G_GUINT64_FORMAT " MiB "
                            "beside the resident domains",
                            need, nodes, capacity);
  }
  return NULL;
}

/**
 * xa_plan_split_evenly:
 * @n_nodes: the host's node count
 * @room_mib: (array) (nullable): the most each node may take; %NULL for
 *   no limit
 * @nodes: the nodes to spread over
 * @need_mib: what to spread
 * @mib_by_node: (array): zeros in, the share of each node out
 *
 * Spreads @need_mib over @nodes evenly, as Xen's allocator does across a
 * domain's node affinity: nodes with less room than their share give all
 * they have and the rest is split evenly over the others.
 */
void
xa_plan_split_evenly (guint n_nodes, const guint64 *room_mib, XaNodeSet nodes, guint64 need_mib,
                      guint64 *mib_by_node)
{
  XaNodeSet open = nodes;
  guint64 left = need_mib;

  while (left > 0 && open != 0) {
    guint n_open = xa_nodeset_count (open);
    guint64 share = left / n_open;
    guint64 extra = left % n_open;
    gboolean capped = FALSE;

    for (guint n = 0; n < n_nodes; n++) {
      if (room_mib != NULL && xa_nodeset_has (open, n) && room_mib[n] - mib_by_node[n] <= share) {
        left -= room_mib[n] - mib_by_node[n];
        mib_by_node[n] = room_mib[n];
        open &= ~XA_NODESET_BIT (n);
        capped = TRUE;
      }
    }
    if (capped)
      continue;
    for (guint n = 0; n < n_nodes; n++) {
      if (!xa_nodeset_has (open, n))
        continue;
      mib_by_node[n] += share + (extra > 0 ? 1 : 0);
      extra -= extra > 0 ? 1 : 0;
    }
    left = 0;
  }
}

/* A pinned VM's memory lands on the nodes of its CPUs; it is spread in
 * proportion to their free memory, or evenly where they have too little
 * (the xenopsd policies place it all the same). */
void
xa_plan_split_by_free (guint n_nodes, const guint64 *free_mib, XaNodeSet nodes, guint64 need_mib,
                       guint64 *mib_by_node)
{
  guint64 have = xa_plan_sum (free_mib, nodes, n_nodes);
  guint64 left = need_mib;

  if (have < need_mib) {
    xa_plan_split_evenly (n_nodes, NULL, nodes, need_mib, mib_by_node);
    return;
  }
  for (guint n = 0; n < n_nodes; n++) {
    if (!xa_nodeset_has (nodes, n))
      continue;
    mib_by_node[n] = (guint64) (((unsigned __int128) need_mib * free_mib[n]) / have);
    left -= mib_by_node[n];
  }
  for (guint n = 0; n < n_nodes && left > 0; n++) {
    guint64 room = xa_nodeset_has (nodes, n) ? free_mib[n] - mib_by_node[n] : 0;
    guint64 more = MIN (room, left);

    mib_by_node[n] += more;
    left -= more;
  }
}

void
xa_placement_reject (XaPlacement *placement, gchar *reason)
{
  placement->outcome = XA_OUTCOME_REJECTED;
  placement->reason = reason;
}

void
xa_placement_defer (XaPlacement *placement, XaNodeSet allowed, guint64 need_mib,
                    guint64 have_mib)
{
  g_autofree gchar *nodes = xa_nodeset_format (allowed);

  placement->outcome = XA_OUTCOME_DEFERRED;
  g_free (placement->reason);
  placement->reason = g_strdup_printf ("it needs %" G_GUINT64_FORMAT " MiB with overhead, "
                                       "but its nodes (%s) have %" G_GUINT64_FORMAT " MiB free "
                                       "in this batch",
                                       need_mib, nodes, have_mib);
}
