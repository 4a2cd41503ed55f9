/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-plan.h"

/* Beyond this many nodes, spanning sets are grown by distance instead of
 * enumerated, as xenopsd and libxl also stop enumerating at 16. */
#define XA_BATCH_ENUMERATE_MAX_NODES 16

typedef struct {
  const XaTopology *topo;
  GPtrArray *requests;
  XaPlan *plan;
  guint64 *free_mib;
  guint *vcpus_placed;
  XaNodeSet *allowed;
  XaNodeSet usable;
  guint n_cpus;
} XaBatch;

/* A candidate node set for a VM that spans nodes, ordered by this key. */
typedef struct {
  XaNodeSet nodes;
  guint n_nodes;
  guint32 max_distance;
  guint64 sum_distance;
  guint64 free_mib;
} XaSpan;

static guint64
xa_batch_need_mib (const XaBatch *batch, const XaRequest *req)
{
  return req->memory_mib + xa_topology_overhead_mib (batch->topo, req->vcpus);
}

static gint
xa_batch_compare_order (gconstpointer a, gconstpointer b, gpointer user_data)
{
  const XaBatch *batch = user_data;
  guint ia = *(const guint *) a;
  guint ib = *(const guint *) b;
  const XaRequest *ra = g_ptr_array_index (batch->requests, ia);
  const XaRequest *rb = g_ptr_array_index (batch->requests, ib);
  guint64 na = xa_batch_need_mib (batch, ra);
  guint64 nb = xa_batch_need_mib (batch, rb);
  guint ca = xa_nodeset_count (batch->allowed[ia]);
  guint cb = xa_nodeset_count (batch->allowed[ib]);

  if (ra->priority != rb->priority)
    return ra->priority > rb->priority ? -1 : 1;
  /* the most constrained first, before others take their only nodes */
  if (ca != cb)
    return ca < cb ? -1 : 1;
  if (na != nb)
    return na > nb ? -1 : 1;
  return ia < ib ? -1 : (ia > ib ? 1 : 0);
}

static guint64
xa_batch_sum (const guint64 *per_node, XaNodeSet nodes, guint n_nodes)
{
  guint64 sum = 0;

  for (guint n = 0; n < n_nodes; n++) {
    if (xa_nodeset_has (nodes, n))
      sum += per_node[n];
  }
  return sum;
}

static guint64
xa_batch_capacity (const XaBatch *batch, XaNodeSet nodes)
{
  guint64 sum = 0;

  for (guint n = 0; n < batch->topo->n_nodes; n++) {
    if (xa_nodeset_has (nodes, n))
      sum += batch->topo->nodes[n].capacity_mib;
  }
  return sum;
}

static XaNodeSet
xa_batch_nodes_of_cpus (const XaBatch *batch, GArray *cpus)
{
  XaNodeSet nodes = 0;

  for (guint i = 0; i < cpus->len; i++) {
    gint node = xa_topology_node_of_cpu (batch->topo, g_array_index (cpus, guint, i));

    if (node >= 0)
      nodes |= XA_NODESET_BIT (node);
  }
  return nodes;
}

static XaNodeSet
xa_batch_allowed_nodes (const XaBatch *batch, const XaRequest *req)
{
  XaNodeSet allowed = xa_nodeset_all (batch->topo->n_nodes);

  if (req->hard_affinity != NULL)
    allowed = xa_batch_nodes_of_cpus (batch, req->hard_affinity);
  else if (req->nodes != 0)
    allowed = req->nodes;
  return allowed & batch->usable;
}

/* Returns a reason when @req can never fit this host, NULL otherwise. */
static gchar *
xa_batch_why_never_fits (const XaBatch *batch, const XaRequest *req, XaNodeSet allowed)
{
  guint64 need = xa_batch_need_mib (batch, req);
  guint64 capacity = xa_batch_capacity (batch, allowed);
  g_autofree gchar *nodes = xa_nodeset_format (allowed);

  if (req->vcpus > batch->n_cpus)
    return g_strdup_printf ("it has %u vCPUs, but the host has %u CPUs",
                            req->vcpus, batch->n_cpus);
  if (allowed == 0)
    return g_strdup ("none of the nodes it may use is usable on this host");
  if (need > capacity)
    return g_strdup_printf ("it needs %" G_GUINT64_FORMAT " MiB with overhead, but "
                            "its nodes (%s) hold at most %" G_GUINT64_FORMAT " MiB "
                            "beside the resident domains",
                            need, nodes, capacity);
  return NULL;
}

/* Compares vCPUs per core on two nodes after adding @vcpus, without division. */
static gint
xa_batch_compare_load (const XaBatch *batch, guint a, guint b, guint vcpus)
{
  guint64 load_a = (guint64) (batch->vcpus_placed[a] + vcpus) * batch->topo->nodes[b].n_cores;
  guint64 load_b = (guint64) (batch->vcpus_placed[b] + vcpus) * batch->topo->nodes[a].n_cores;

  if (load_a != load_b)
    return load_a < load_b ? -1 : 1;
  return 0;
}

/* Best fit: the node where the VM leaves the smallest hole, ties to the node
 * with fewer vCPUs per core, then the lower id. */
static gint
xa_batch_best_single_node (const XaBatch *batch, XaNodeSet allowed, guint64 need, guint vcpus)
{
  gint best = -1;

  for (guint n = 0; n < batch->topo->n_nodes; n++) {
    if (!xa_nodeset_has (allowed, n) || batch->free_mib[n] < need)
      continue;
    if (best < 0 ||
        batch->free_mib[n] < batch->free_mib[best] ||
        (batch->free_mib[n] == batch->free_mib[best] &&
         xa_batch_compare_load (batch, n, (guint) best, vcpus) < 0))
      best = (gint) n;
  }
  return best;
}

static gboolean
xa_batch_span_init (const XaBatch *batch, XaNodeSet nodes, XaSpan *span)
{
  const XaTopology *topo = batch->topo;

  span->nodes = nodes;
  span->n_nodes = xa_nodeset_count (nodes);
  span->max_distance = 0;
  span->sum_distance = 0;
  span->free_mib = xa_batch_sum (batch->free_mib, nodes, topo->n_nodes);
  for (guint i = 0; i < topo->n_nodes; i++) {
    for (guint j = 0; j < topo->n_nodes; j++) {
      guint32 d;

      if (!xa_nodeset_has (nodes, i) || !xa_nodeset_has (nodes, j))
        continue;
      d = xa_topology_distance (topo, i, j);
      if (d == XA_DISTANCE_UNREACHABLE)
        return FALSE;
      span->max_distance = MAX (span->max_distance, d);
      span->sum_distance += d;
    }
  }
  return TRUE;
}

/* Fewest nodes, then closest (max, then mean distance), then best fit. */
static gboolean
xa_batch_span_better (const XaSpan *a, const XaSpan *b)
{
  if (a->n_nodes != b->n_nodes)
    return a->n_nodes < b->n_nodes;
  if (a->max_distance != b->max_distance)
    return a->max_distance < b->max_distance;
  if (a->sum_distance != b->sum_distance)
    return a->sum_distance < b->sum_distance;
  if (a->free_mib != b->free_mib)
    return a->free_mib < b->free_mib;
  return a->nodes < b->nodes;
}

static void
xa_batch_consider_span (const XaBatch *batch, XaNodeSet nodes, guint64 need,
                        XaSpan *best)
{
  XaSpan span;

  if (xa_nodeset_count (nodes) < 2 ||
      xa_batch_sum (batch->free_mib, nodes, batch->topo->n_nodes) < need)
    return;
  if (!xa_batch_span_init (batch, nodes, &span))
    return;
  if (best->nodes == 0 || xa_batch_span_better (&span, best))
    *best = span;
}

/* Grows a set from @seed, nearest node first, until it holds @need. */
static XaNodeSet
xa_batch_grow_from (const XaBatch *batch, guint seed, XaNodeSet allowed, guint64 need)
{
  const XaTopology *topo = batch->topo;
  XaNodeSet nodes = XA_NODESET_BIT (seed);
  guint64 have = batch->free_mib[seed];

  while (have < need) {
    gint next = -1;

    for (guint n = 0; n < topo->n_nodes; n++) {
      if (!xa_nodeset_has (allowed, n) || xa_nodeset_has (nodes, n) ||
          batch->free_mib[n] == 0)
        continue;
      if (next < 0 ||
          xa_topology_distance (topo, seed, n) < xa_topology_distance (topo, seed, (guint) next))
        next = (gint) n;
    }
    if (next < 0)
      break;
    nodes |= XA_NODESET_BIT (next);
    have += batch->free_mib[next];
  }
  return nodes;
}

static XaNodeSet
xa_batch_best_span (const XaBatch *batch, XaNodeSet allowed, guint64 need)
{
  XaSpan best = { 0 };

  if (xa_nodeset_count (allowed) <= XA_BATCH_ENUMERATE_MAX_NODES) {
    for (XaNodeSet s = allowed; s != 0; s = (s - 1) & allowed)
      xa_batch_consider_span (batch, s, need, &best);
  } else {
    for (guint n = 0; n < batch->topo->n_nodes; n++) {
      if (xa_nodeset_has (allowed, n))
        xa_batch_consider_span (batch, xa_batch_grow_from (batch, n, allowed, need), need, &best);
    }
  }
  return best.nodes;
}

/* Spreads @need over @nodes evenly, as Xen's allocator does across a domain's
 * node affinity: nodes with less free memory than their share give all they
 * have and the rest is split evenly over the others. */
static void
xa_batch_split_evenly (const XaBatch *batch, XaNodeSet nodes, guint64 need, guint64 *mib_by_node)
{
  XaNodeSet open = nodes;
  guint64 left = need;

  while (left > 0 && open != 0) {
    guint n_open = xa_nodeset_count (open);
    guint64 share = left / n_open;
    guint64 extra = left % n_open;
    gboolean capped = FALSE;

    for (guint n = 0; n < batch->topo->n_nodes; n++) {
      if (xa_nodeset_has (open, n) && batch->free_mib[n] - mib_by_node[n] <= share) {
        left -= batch->free_mib[n] - mib_by_node[n];
        mib_by_node[n] = batch->free_mib[n];
        open &= ~XA_NODESET_BIT (n);
        capped = TRUE;
      }
    }
    if (capped)
      continue;
    for (guint n = 0; n < batch->topo->n_nodes; n++) {
      if (!xa_nodeset_has (open, n))
        continue;
      mib_by_node[n] += share + (extra > 0 ? 1 : 0);
      extra -= extra > 0 ? 1 : 0;
    }
    left = 0;
  }
}

/* A hard-affinity VM's memory lands on the nodes of its CPUs; it is spread in
 * proportion to their free memory. */
static void
xa_batch_split_by_free (const XaBatch *batch, XaNodeSet nodes, guint64 need, guint64 *mib_by_node)
{
  guint64 have = xa_batch_sum (batch->free_mib, nodes, batch->topo->n_nodes);
  guint64 left = need;

  for (guint n = 0; n < batch->topo->n_nodes; n++) {
    if (!xa_nodeset_has (nodes, n))
      continue;
    mib_by_node[n] = (guint64) (((unsigned __int128) need * batch->free_mib[n]) / have);
    left -= mib_by_node[n];
  }
  for (guint n = 0; n < batch->topo->n_nodes && left > 0; n++) {
    guint64 room = xa_nodeset_has (nodes, n) ? batch->free_mib[n] - mib_by_node[n] : 0;
    guint64 more = MIN (room, left);

    mib_by_node[n] += more;
    left -= more;
  }
}

static void
xa_batch_commit (XaBatch *batch, XaPlacement *placement, const XaRequest *req)
{
  guint64 total = xa_placement_total_mib (placement, batch->topo->n_nodes);

  placement->outcome = XA_OUTCOME_PLANNED;
  for (guint n = 0; n < batch->topo->n_nodes; n++) {
    guint64 mib = placement->mib_by_node[n];

    batch->free_mib[n] -= mib;
    batch->vcpus_placed[n] += (guint) ((mib * req->vcpus + total - 1) / total);
  }
}

static void
xa_batch_defer (XaBatch *batch, XaPlacement *placement, XaNodeSet allowed, guint64 need)
{
  g_autofree gchar *nodes = xa_nodeset_format (allowed);
  guint64 have = xa_batch_sum (batch->free_mib, allowed, batch->topo->n_nodes);

  placement->outcome = XA_OUTCOME_DEFERRED;
  placement->reason = g_strdup_printf ("it needs %" G_GUINT64_FORMAT " MiB with overhead, "
                                       "but its nodes (%s) have %" G_GUINT64_FORMAT " MiB free "
                                       "in this batch",
                                       need, nodes, have);
}

/* Where a VM without hard affinity goes: one node if it fits one, else the
 * best spanning set; 0 if nothing holds it now. */
static XaNodeSet
xa_batch_choose_nodes (const XaBatch *batch, XaNodeSet allowed, guint64 need, guint vcpus)
{
  gint node = xa_batch_best_single_node (batch, allowed, need, vcpus);

  if (node >= 0)
    return XA_NODESET_BIT (node);
  return xa_batch_best_span (batch, allowed, need);
}

static void
xa_batch_place (XaBatch *batch, guint index)
{
  const XaRequest *req = g_ptr_array_index (batch->requests, index);
  XaPlacement *placement = &batch->plan->placements[index];
  XaNodeSet allowed = batch->allowed[index];
  guint64 need = xa_batch_need_mib (batch, req);
  XaNodeSet nodes;

  placement->reason = xa_batch_why_never_fits (batch, req, allowed);
  if (placement->reason != NULL) {
    placement->outcome = XA_OUTCOME_REJECTED;
    return;
  }
  if (req->hard_affinity != NULL) {
    if (xa_batch_sum (batch->free_mib, allowed, batch->topo->n_nodes) < need) {
      xa_batch_defer (batch, placement, allowed, need);
      return;
    }
    xa_batch_split_by_free (batch, allowed, need, placement->mib_by_node);
    xa_batch_commit (batch, placement, req);
    return;
  }
  nodes = xa_batch_choose_nodes (batch, allowed, need, req->vcpus);
  if (nodes == 0) {
    xa_batch_defer (batch, placement, allowed, need);
    return;
  }
  placement->nodes = nodes;
  xa_batch_split_evenly (batch, nodes, need, placement->mib_by_node);
  xa_batch_commit (batch, placement, req);
}

/**
 * xa_plan_batch:
 * @topo: the host, with free memory already net of in-flight claims
 * @requests: (element-type XaRequest): the batch
 *
 * Plans the whole batch at once: by priority, then largest first; a VM that
 * fits one node goes where it fits most tightly, one that does not spans the
 * fewest and closest nodes. No node is ever given more than it has free.
 *
 * Returns: (transfer full): one placement per request, in their order
 */
XaPlan *
xa_plan_batch (const XaTopology *topo, GPtrArray *requests)
{
  XaBatch batch = { 0 };
  g_autofree guint *order = NULL;
  g_autofree guint64 *free_mib = NULL;
  g_autofree guint *vcpus_placed = NULL;
  g_autofree XaNodeSet *allowed = NULL;

  g_return_val_if_fail (topo != NULL, NULL);
  g_return_val_if_fail (requests != NULL, NULL);

  order = g_new (guint, requests->len);
  free_mib = g_new (guint64, topo->n_nodes);
  vcpus_placed = g_new (guint, topo->n_nodes);
  allowed = g_new (XaNodeSet, requests->len);
  batch.topo = topo;
  batch.requests = requests;
  batch.plan = xa_plan_new (topo->n_nodes, requests->len);
  batch.free_mib = free_mib;
  batch.vcpus_placed = vcpus_placed;
  batch.usable = xa_topology_usable_nodes (topo);
  batch.n_cpus = xa_topology_n_cpus (topo);
  for (guint n = 0; n < topo->n_nodes; n++) {
    free_mib[n] = topo->nodes[n].free_mib;
    vcpus_placed[n] = topo->nodes[n].vcpus_placed;
  }
  batch.allowed = allowed;
  for (guint i = 0; i < requests->len; i++) {
    order[i] = i;
    allowed[i] = xa_batch_allowed_nodes (&batch, g_ptr_array_index (requests, i));
  }
  g_qsort_with_data (order, (gint) requests->len, sizeof (guint), xa_batch_compare_order, &batch);
  for (guint i = 0; i < requests->len; i++)
    xa_batch_place (&batch, order[i]);
  return batch.plan;
}
