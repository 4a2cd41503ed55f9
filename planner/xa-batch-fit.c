/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Where one VM of the batch fits: one node, else the best span of nodes. */
#include "xa-batch-private.h"
#include "xa-distance.h"

/* A candidate node set for a VM that spans nodes, ordered by this key. */
typedef struct {
  XaNodeSet nodes;
  guint n_nodes;
  guint32 max_distance;
  guint64 sum_distance;
  gboolean cores_short;
  guint64 free_mib;
} XaSpan;

static guint
xa_batch_fit_cores (const XaBatch *batch, XaNodeSet nodes)
{
  guint cores = 0;

  for (guint n = 0; n < batch->n_nodes; n++) {
    if (xa_nodeset_has (nodes, n))
      cores += batch->topo->nodes[n].n_cores;
  }
  return cores;
}

/* Where a VM fits one node: a node with cores for all its vCPUs if there is
 * one, then the tightest fit (best fit, so large holes stay for large VMs),
 * then the fewest vCPUs per core. */
gint
xa_batch_fit_single_node (const XaBatch *batch, guint index)
{
  const XaRequest *req = xa_batch_request (batch, index);
  XaNodeSet candidates = batch->allowed[index] & batch->with_cpus;
  guint64 need = batch->need_mib[index];
  gint best = -1;

  for (guint n = 0; n < batch->n_nodes; n++) {
    gboolean short_n = batch->topo->nodes[n].n_cores < req->vcpus;
    gboolean short_best;

    if (!xa_nodeset_has (candidates, n) || batch->free_mib[n] < need)
      continue;
    if (best < 0) {
      best = (gint) n;
      continue;
    }
    short_best = batch->topo->nodes[best].n_cores < req->vcpus;
    if (short_n != short_best) {
      best = short_n ? best : (gint) n;
      continue;
    }
    if (batch->free_mib[n] < batch->free_mib[best] ||
        (batch->free_mib[n] == batch->free_mib[best] &&
         xa_batch_load (batch, n, (gint) req->vcpus) < xa_batch_load (batch, (guint) best,
                                                                      (gint) req->vcpus)))
      best = (gint) n;
  }
  return best;
}

static gboolean
xa_batch_fit_span_init (const XaBatch *batch, XaNodeSet nodes, guint vcpus, XaSpan *span)
{
  const XaTopology *topo = batch->topo;

  span->nodes = nodes;
  span->n_nodes = xa_nodeset_count (nodes);
  span->cores_short = xa_batch_fit_cores (batch, nodes) < vcpus;
  span->free_mib = xa_mem_sum (batch->free_mib, nodes, topo->n_nodes);
  xa_distance_of_set (topo, nodes, &span->max_distance, &span->sum_distance);
  return span->max_distance != XA_DISTANCE_UNREACHABLE;
}

/* Fewest nodes, then closest (max, then mean distance), then cores for
 * every vCPU, then best fit. */
static gboolean
xa_batch_fit_span_better (const XaSpan *a, const XaSpan *b)
{
  if (a->n_nodes != b->n_nodes)
    return a->n_nodes < b->n_nodes;
  if (a->max_distance != b->max_distance)
    return a->max_distance < b->max_distance;
  if (a->sum_distance != b->sum_distance)
    return a->sum_distance < b->sum_distance;
  if (a->cores_short != b->cores_short)
    return !a->cores_short;
  if (a->free_mib != b->free_mib)
    return a->free_mib < b->free_mib;
  return a->nodes < b->nodes;
}

static void
xa_batch_fit_consider_span (const XaBatch *batch, XaNodeSet nodes, guint64 need, guint vcpus,
                            XaSpan *best)
{
  XaSpan span;
  guint count = xa_nodeset_count (nodes);

  /* fewer nodes always wins: a larger set need not be measured */
  if (count < 2 || (best->nodes != 0 && count > best->n_nodes) ||
      xa_mem_sum (batch->free_mib, nodes, batch->n_nodes) < need)
    return;
  if (!xa_batch_fit_span_init (batch, nodes, vcpus, &span))
    return;
  if (best->nodes == 0 || xa_batch_fit_span_better (&span, best))
    *best = span;
}

/* Grows a set from @seed, nearest node first, until it holds @need. */
static XaNodeSet
xa_batch_fit_grow_from (const XaBatch *batch, guint seed, XaNodeSet allowed, guint64 need)
{
  const guint *nearest = &batch->nearest[seed * batch->n_nodes];
  XaNodeSet nodes = 0;
  guint64 have = 0;

  for (guint k = 0; k < batch->n_nodes && have < need; k++) {
    guint n = nearest[k];

    if (!xa_nodeset_has (allowed, n) || (batch->free_mib[n] == 0 && n != seed))
      continue;
    nodes |= XA_NODESET_BIT (n);
    have += batch->free_mib[n];
  }
  return nodes;
}

/* Per node, every node by distance from it, itself first: the order in
 * which spans grow on hosts too large to enumerate. */
guint *
xa_batch_fit_nearest_new (const XaTopology *topo)
{
  guint *nearest = g_new (guint, (gsize) topo->n_nodes * topo->n_nodes);
  g_autofree guint64 *key = g_new (guint64, topo->n_nodes);

  for (guint seed = 0; seed < topo->n_nodes; seed++) {
    guint *row = &nearest[seed * topo->n_nodes];

    for (guint n = 0; n < topo->n_nodes; n++) {
      row[n] = n;
      /* the seed before any node, however near */
      key[n] = n == seed ? 0 : (guint64) xa_topology_distance (topo, seed, n) + 1;
    }
    g_qsort_with_data (row, (gint) topo->n_nodes, sizeof (guint), xa_mem_compare_size, key);
  }
  return nearest;
}

/* Every set of @size of the nodes in @allowed: Gosper's walk over the
 * ranks of those nodes. */
static void
xa_batch_fit_consider_spans_of_size (const XaBatch *batch, XaNodeSet allowed, guint size,
                                     guint64 need, guint vcpus, XaSpan *best)
{
  guint nodes[XA_MAX_NODES];
  guint n_allowed = 0;

  for (guint n = 0; n < batch->n_nodes; n++) {
    if (xa_nodeset_has (allowed, n))
      nodes[n_allowed++] = n;
  }
  for (guint64 ranks = XA_NODESET_BIT (size) - 1; ranks < XA_NODESET_BIT (n_allowed);) {
    guint64 low = ranks & -ranks;
    guint64 ripple = ranks + low;
    XaNodeSet set = 0;

    for (guint r = 0; r < n_allowed; r++)
      set |= (ranks >> r) & 1 ? XA_NODESET_BIT (nodes[r]) : 0;
    xa_batch_fit_consider_span (batch, set, need, vcpus, best);
    ranks = ripple | (((ranks ^ ripple) >> 2) / low);
  }
}

XaNodeSet
xa_batch_fit_span (const XaBatch *batch, guint index)
{
  XaNodeSet allowed = batch->allowed[index];
  guint64 need = batch->need_mib[index];
  guint vcpus = xa_batch_request (batch, index)->vcpus;
  guint n_allowed = xa_nodeset_count (allowed);
  XaSpan best = { 0 };

  if (xa_mem_sum (batch->free_mib, allowed, batch->n_nodes) < need)
    return 0;
  if (batch->nearest == NULL || n_allowed <= XA_BATCH_ENUMERATE_MAX_NODES) {
    /* fewest nodes first: the first size that holds the VM is the answer */
    for (guint size = 2; size <= n_allowed && best.nodes == 0; size++)
      xa_batch_fit_consider_spans_of_size (batch, allowed, size, need, vcpus, &best);
  } else {
    for (guint n = 0; n < batch->n_nodes; n++) {
      if (xa_nodeset_has (allowed, n))
        xa_batch_fit_consider_span (batch, xa_batch_fit_grow_from (batch, n, allowed, need), need,
                                    vcpus, &best);
    }
  }
  return best.nodes;
}
