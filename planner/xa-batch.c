/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "xa-plan-private.h"
#include "xa-repack.h"

/* Beyond this many nodes, spanning sets are grown by distance instead of
 * enumerated, as xenopsd and libxl also stop enumerating at 16. */
#define XA_BATCH_ENUMERATE_MAX_NODES 16

/* The improvement step repacks up to this many nodes at once, chosen among
 * the VM's this many roomiest nodes, holding at most this many VMs. */
#define XA_BATCH_REPACK_MAX_NODES 5
#define XA_BATCH_REPACK_UNIVERSE 8
#define XA_BATCH_REPACK_MAX_VMS 32
/* Search steps for one repack, and for all of a batch's improvement step. */
#define XA_BATCH_REPACK_STEPS G_GUINT64_CONSTANT (20000)
#define XA_BATCH_IMPROVE_STEPS G_GUINT64_CONSTANT (400000)
/* Moves the balancing pass may weigh, per VM of the batch and in all. */
#define XA_BATCH_BALANCE_STEPS_PER_VM 64
#define XA_BATCH_BALANCE_STEPS 65536
/* Rounds of re-choosing the nodes of split VMs once the batch is placed. */
#define XA_BATCH_SETTLE_ROUNDS 8

typedef struct {
  const XaTopology *topo;
  GPtrArray *requests;
  XaPlan *plan;
  guint n_nodes;
  guint64 *free_mib;
  guint *vcpus;
  XaNodeSet with_cpus;
  /* per request */
  XaNodeSet *allowed;
  guint64 *need_mib;
  gint *priority;
  gint *home;
  guint *home_at;
  gboolean *chosen;
  guint *order;
  /* per node: the VMs of this batch placed on it alone, and their memory */
  GArray **homed;
  guint64 *homed_mib;
  /* per node, the nodes by distance from it; only beyond enumeration */
  guint *nearest;
  guint64 steps;
  guint64 balance_steps;
} XaBatch;

/* A candidate node set for a VM that spans nodes, ordered by this key. */
typedef struct {
  XaNodeSet nodes;
  guint n_nodes;
  guint32 max_distance;
  guint64 sum_distance;
  gboolean cores_short;
  guint64 free_mib;
} XaSpan;

static const XaRequest *
xa_batch_request (const XaBatch *batch, guint index)
{
  return g_ptr_array_index (batch->requests, index);
}

static gint
xa_batch_compare_order (gconstpointer a, gconstpointer b, gpointer user_data)
{
  const XaBatch *batch = user_data;
  guint ia = *(const guint *) a;
  guint ib = *(const guint *) b;
  guint ca = xa_nodeset_count (batch->allowed[ia]);
  guint cb = xa_nodeset_count (batch->allowed[ib]);

  if (batch->priority[ia] != batch->priority[ib])
    return batch->priority[ia] > batch->priority[ib] ? -1 : 1;
  /* the most constrained first, before others take their only nodes */
  if (ca != cb)
    return ca < cb ? -1 : 1;
  if (batch->need_mib[ia] != batch->need_mib[ib])
    return batch->need_mib[ia] > batch->need_mib[ib] ? -1 : 1;
  return ia < ib ? -1 : (ia > ib ? 1 : 0);
}

static guint
xa_batch_cores (const XaBatch *batch, XaNodeSet nodes)
{
  guint cores = 0;

  for (guint n = 0; n < batch->n_nodes; n++) {
    if (xa_nodeset_has (nodes, n))
      cores += batch->topo->nodes[n].n_cores;
  }
  return cores;
}

/* vCPUs per core on @node, with @more_vcpus added. */
static gdouble
xa_batch_load (const XaBatch *batch, guint node, gint more_vcpus)
{
  return (gdouble) ((gint) batch->vcpus[node] + more_vcpus) /
         (gdouble) MAX (batch->topo->nodes[node].n_cores, 1);
}

/* vCPUs that a placement puts on a node: its share of the VM's memory there. */
static guint
xa_batch_vcpus_on (guint64 mib, guint64 total_mib, guint vcpus)
{
  return total_mib > 0
    ? (guint) (((unsigned __int128) mib * vcpus + total_mib - 1) / total_mib) : 0;
}

static void
xa_batch_set_home (XaBatch *batch, guint index, guint node)
{
  batch->home[index] = (gint) node;
  batch->home_at[index] = batch->homed[node]->len;
  g_array_append_val (batch->homed[node], index);
  batch->homed_mib[node] += batch->need_mib[index];
}

static void
xa_batch_clear_home (XaBatch *batch, guint index)
{
  GArray *homed = batch->homed[batch->home[index]];
  guint last = g_array_index (homed, guint, homed->len - 1);

  g_array_index (homed, guint, batch->home_at[index]) = last;
  batch->home_at[last] = batch->home_at[index];
  g_array_set_size (homed, homed->len - 1);
  batch->homed_mib[batch->home[index]] -= batch->need_mib[index];
  batch->home[index] = -1;
}

static void
xa_batch_commit (XaBatch *batch, guint index)
{
  XaPlacement *placement = &batch->plan->placements[index];
  guint vcpus = xa_batch_request (batch, index)->vcpus;
  guint64 total = batch->need_mib[index];

  placement->outcome = XA_OUTCOME_PLANNED;
  g_clear_pointer (&placement->reason, g_free);
  for (guint n = 0; n < batch->n_nodes; n++) {
    batch->free_mib[n] -= placement->mib_by_node[n];
    batch->vcpus[n] += xa_batch_vcpus_on (placement->mib_by_node[n], total, vcpus);
  }
  if (xa_nodeset_count (placement->nodes) == 1)
    xa_batch_set_home (batch, index, (guint) __builtin_ctzll (placement->nodes));
}

/* Takes a planned VM off its nodes, as if it had not been placed. */
static void
xa_batch_uncommit (XaBatch *batch, guint index)
{
  XaPlacement *placement = &batch->plan->placements[index];
  guint vcpus = xa_batch_request (batch, index)->vcpus;
  guint64 total = batch->need_mib[index];

  for (guint n = 0; n < batch->n_nodes; n++) {
    batch->free_mib[n] += placement->mib_by_node[n];
    batch->vcpus[n] -= xa_batch_vcpus_on (placement->mib_by_node[n], total, vcpus);
  }
  memset (placement->mib_by_node, 0, sizeof (guint64) * batch->n_nodes);
  placement->nodes = 0;
  placement->outcome = XA_OUTCOME_DEFERRED;
  if (batch->home[index] >= 0)
    xa_batch_clear_home (batch, index);
}

static void
xa_batch_put_on_node (XaBatch *batch, guint index, guint node)
{
  XaPlacement *placement = &batch->plan->placements[index];

  placement->nodes = XA_NODESET_BIT (node);
  placement->mib_by_node[node] = batch->need_mib[index];
  xa_batch_commit (batch, index);
}

static void
xa_batch_put_on_span (XaBatch *batch, guint index, XaNodeSet nodes)
{
  XaPlacement *placement = &batch->plan->placements[index];

  placement->nodes = nodes;
  xa_plan_split_evenly (batch->n_nodes, batch->free_mib, nodes, batch->need_mib[index],
                        placement->mib_by_node);
  xa_batch_commit (batch, index);
}

/* Where a VM fits one node: a node with cores for all its vCPUs if there is
 * one, then the tightest fit (best fit, so large holes stay for large VMs),
 * then the fewest vCPUs per core. */
static gint
xa_batch_best_single_node (const XaBatch *batch, guint index)
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
xa_batch_span_init (const XaBatch *batch, XaNodeSet nodes, guint vcpus, XaSpan *span)
{
  const XaTopology *topo = batch->topo;

  span->nodes = nodes;
  span->n_nodes = xa_nodeset_count (nodes);
  span->max_distance = 0;
  span->sum_distance = 0;
  span->cores_short = xa_batch_cores (batch, nodes) < vcpus;
  span->free_mib = xa_plan_sum (batch->free_mib, nodes, topo->n_nodes);
  for (XaNodeSet a = nodes; a != 0; a &= a - 1) {
    for (XaNodeSet b = nodes; b != 0; b &= b - 1) {
      guint32 d = xa_topology_distance (topo, (guint) __builtin_ctzll (a),
                                        (guint) __builtin_ctzll (b));

      if (d == XA_DISTANCE_UNREACHABLE)
        return FALSE;
      span->max_distance = MAX (span->max_distance, d);
      span->sum_distance += d;
    }
  }
  return TRUE;
}

/* Fewest nodes, then closest (max, then mean distance), then cores for
 * every vCPU, then best fit. */
static gboolean
xa_batch_span_better (const XaSpan *a, const XaSpan *b)
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
xa_batch_consider_span (const XaBatch *batch, XaNodeSet nodes, guint64 need, guint vcpus,
                        XaSpan *best)
{
  XaSpan span;
  guint count = xa_nodeset_count (nodes);

  /* fewer nodes always wins: a larger set need not be measured */
  if (count < 2 || (best->nodes != 0 && count > best->n_nodes) ||
      xa_plan_sum (batch->free_mib, nodes, batch->n_nodes) < need)
    return;
  if (!xa_batch_span_init (batch, nodes, vcpus, &span))
    return;
  if (best->nodes == 0 || xa_batch_span_better (&span, best))
    *best = span;
}

/* Grows a set from @seed, nearest node first, until it holds @need. */
static XaNodeSet
xa_batch_grow_from (const XaBatch *batch, guint seed, XaNodeSet allowed, guint64 need)
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

typedef struct {
  const XaTopology *topo;
  guint seed;
} XaNearestKey;

static gint
xa_batch_compare_distance (gconstpointer a, gconstpointer b, gpointer user_data)
{
  const XaNearestKey *key = user_data;
  guint na = *(const guint *) a;
  guint nb = *(const guint *) b;
  guint32 da = xa_topology_distance (key->topo, key->seed, na);
  guint32 db = xa_topology_distance (key->topo, key->seed, nb);

  if (na == key->seed || nb == key->seed)
    return na == key->seed ? (nb == key->seed ? 0 : -1) : 1;
  if (da != db)
    return da < db ? -1 : 1;
  return na < nb ? -1 : (na > nb ? 1 : 0);
}

/* Per node, every node by distance from it, itself first: the order in
 * which spans grow on hosts too large to enumerate. */
static guint *
xa_batch_nearest_new (const XaTopology *topo)
{
  guint *nearest = g_new (guint, (gsize) topo->n_nodes * topo->n_nodes);

  for (guint seed = 0; seed < topo->n_nodes; seed++) {
    XaNearestKey key = { topo, seed };
    guint *row = &nearest[seed * topo->n_nodes];

    for (guint n = 0; n < topo->n_nodes; n++)
      row[n] = n;
    g_qsort_with_data (row, (gint) topo->n_nodes, sizeof (guint), xa_batch_compare_distance, &key);
  }
  return nearest;
}

/* Every set of @size of the nodes in @allowed: Gosper's walk over the
 * ranks of those nodes. */
static void
xa_batch_consider_spans_of_size (const XaBatch *batch, XaNodeSet allowed, guint size,
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
    xa_batch_consider_span (batch, set, need, vcpus, best);
    ranks = ripple | (((ranks ^ ripple) >> 2) / low);
  }
}

static XaNodeSet
xa_batch_best_span (const XaBatch *batch, guint index)
{
  XaNodeSet allowed = batch->allowed[index];
  guint64 need = batch->need_mib[index];
  guint vcpus = xa_batch_request (batch, index)->vcpus;
  guint n_allowed = xa_nodeset_count (allowed);
  XaSpan best = { 0 };

  if (xa_plan_sum (batch->free_mib, allowed, batch->n_nodes) < need)
    return 0;
  if (batch->nearest == NULL || n_allowed <= XA_BATCH_ENUMERATE_MAX_NODES) {
    /* fewest nodes first: the first size that holds the VM is the answer */
    for (guint size = 2; size <= n_allowed && best.nodes == 0; size++)
      xa_batch_consider_spans_of_size (batch, allowed, size, need, vcpus, &best);
  } else {
    for (guint n = 0; n < batch->n_nodes; n++) {
      if (xa_nodeset_has (allowed, n))
        xa_batch_consider_span (batch, xa_batch_grow_from (batch, n, allowed, need), need,
                                vcpus, &best);
    }
  }
  return best.nodes;
}

static XaNodeSet
xa_batch_nodes_of (const guint *nodes, guint count)
{
  XaNodeSet set = 0;

  for (guint k = 0; k < count; k++)
    set |= XA_NODESET_BIT (nodes[k]);
  return set;
}

/* Adds up to @limit nodes of @nodes to @universe, the roomiest first. */
static guint
xa_batch_add_roomiest (const XaBatch *batch, XaNodeSet nodes, guint *universe, guint count,
                       guint limit)
{
  for (guint added = 0; added < limit && nodes != 0; added++) {
    gint best = -1;

    for (XaNodeSet s = nodes; s != 0; s &= s - 1) {
      guint n = (guint) __builtin_ctzll (s);

      if (best < 0 || batch->free_mib[n] > batch->free_mib[best])
        best = (gint) n;
    }
    universe[count++] = (guint) best;
    nodes &= ~XA_NODESET_BIT (best);
  }
  return count;
}

/* The nodes a repack for @index may use: the roomiest it may go on, and
 * the roomiest others, where VMs in its way can go. */
static guint
xa_batch_repack_universe (const XaBatch *batch, guint index, guint *universe)
{
  XaNodeSet own = batch->allowed[index] & batch->with_cpus;
  guint count = xa_batch_add_roomiest (batch, own, universe, 0, XA_BATCH_REPACK_UNIVERSE / 2);

  count = xa_batch_add_roomiest (batch, batch->with_cpus & ~own, universe, count,
                                 XA_BATCH_REPACK_UNIVERSE - count);
  return xa_batch_add_roomiest (batch, own & ~xa_batch_nodes_of (universe, count), universe,
                                count, XA_BATCH_REPACK_UNIVERSE - count);
}

/* The VMs of this batch alone on one of @nodes, then @index: a repack pool. */
static GArray *
xa_batch_pool (const XaBatch *batch, XaNodeSet nodes, guint index)
{
  GArray *pool = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint n = 0; n < batch->n_nodes; n++) {
    if (xa_nodeset_has (nodes, n))
      g_array_append_vals (pool, batch->homed[n]->data, batch->homed[n]->len);
  }
  g_array_append_val (pool, index);
  return pool;
}

static guint
xa_batch_n_homed (const XaBatch *batch, XaNodeSet nodes)
{
  guint count = 0;

  for (guint n = 0; n < batch->n_nodes; n++)
    count += xa_nodeset_has (nodes, n) ? batch->homed[n]->len : 0;
  return count;
}

/* Moves the VMs homed on @nodes among them, with @index, so that all fit. */
static gboolean
xa_batch_try_repack (XaBatch *batch, guint index, XaNodeSet nodes)
{
  guint bins[XA_BATCH_REPACK_MAX_NODES];
  guint64 cap[XA_BATCH_REPACK_MAX_NODES];
  guint n_bins = 0;
  g_autoptr(GArray) pool = NULL;
  g_autofree guint64 *size = NULL;
  g_autofree guint32 *bins_allowed = NULL;
  g_autofree guint *out_bin = NULL;
  guint64 steps = MIN (batch->steps, XA_BATCH_REPACK_STEPS);
  gboolean packed;

  if (xa_plan_sum (batch->free_mib, nodes, batch->n_nodes) < batch->need_mib[index] ||
      xa_batch_n_homed (batch, nodes) + 1 > XA_BATCH_REPACK_MAX_VMS)
    return FALSE;
  pool = xa_batch_pool (batch, nodes, index);
  size = g_new (guint64, pool->len);
  bins_allowed = g_new0 (guint32, pool->len);
  out_bin = g_new (guint, pool->len);
  for (guint n = 0; n < batch->n_nodes; n++) {
    if (!xa_nodeset_has (nodes, n))
      continue;
    bins[n_bins] = n;
    cap[n_bins++] = batch->free_mib[n];
  }
  for (guint k = 0; k < pool->len; k++) {
    guint i = g_array_index (pool, guint, k);

    size[k] = batch->need_mib[i];
    for (guint b = 0; b < n_bins; b++) {
      if (batch->home[i] == (gint) bins[b])
        cap[b] += size[k];
      if (xa_nodeset_has (batch->allowed[i] & batch->with_cpus, bins[b]))
        bins_allowed[k] |= 1u << b;
    }
  }
  packed = xa_repack (n_bins, cap, pool->len, size, bins_allowed, out_bin, &steps);
  batch->steps -= MIN (batch->steps, XA_BATCH_REPACK_STEPS) - steps;
  if (!packed)
    return FALSE;
  for (guint k = 0; k + 1 < pool->len; k++)
    xa_batch_uncommit (batch, g_array_index (pool, guint, k));
  for (guint k = 0; k < pool->len; k++)
    xa_batch_put_on_node (batch, g_array_index (pool, guint, k), bins[out_bin[k]]);
  return TRUE;
}

/* Whether some node could hold @index if this batch's VMs moved off it. */
static gboolean
xa_batch_could_fit_alone (const XaBatch *batch, guint index)
{
  for (XaNodeSet s = batch->allowed[index] & batch->with_cpus; s != 0; s &= s - 1) {
    guint n = (guint) __builtin_ctzll (s);

    if (batch->free_mib[n] + batch->homed_mib[n] >= batch->need_mib[index])
      return TRUE;
  }
  return FALSE;
}

/* The improvement step: moves and swaps of this batch's single-node VMs
 * among 2 to XA_BATCH_REPACK_MAX_NODES nodes, so that @index fits one too. */
static gboolean
xa_batch_make_room (XaBatch *batch, guint index)
{
  guint universe[XA_BATCH_REPACK_UNIVERSE];
  guint n_universe;
  XaNodeSet own = batch->allowed[index] & batch->with_cpus;

  if (!xa_batch_could_fit_alone (batch, index))
    return FALSE;
  n_universe = xa_batch_repack_universe (batch, index, universe);
  if (xa_plan_sum (batch->free_mib, xa_batch_nodes_of (universe, n_universe), batch->n_nodes) <
      batch->need_mib[index])
    return FALSE;
  for (guint k = 2; k <= MIN (n_universe, XA_BATCH_REPACK_MAX_NODES); k++) {
    for (guint mask = 1; mask < (1u << n_universe); mask++) {
      XaNodeSet nodes = 0;

      if ((guint) __builtin_popcount (mask) != k)
        continue;
      if (batch->steps == 0)
        return FALSE;
      for (guint u = 0; u < n_universe; u++)
        nodes |= (mask >> u) & 1 ? XA_NODESET_BIT (universe[u]) : 0;
      if ((nodes & own) != 0 && xa_batch_try_repack (batch, index, nodes))
        return TRUE;
    }
  }
  return FALSE;
}

static void
xa_batch_defer (XaBatch *batch, guint index)
{
  XaNodeSet allowed = batch->allowed[index];

  xa_placement_defer (&batch->plan->placements[index], allowed, batch->need_mib[index],
                      xa_plan_sum (batch->free_mib, allowed, batch->n_nodes));
}

static void
xa_batch_place_pinned (XaBatch *batch, guint index)
{
  XaNodeSet allowed = batch->allowed[index];

  if (xa_plan_sum (batch->free_mib, allowed, batch->n_nodes) < batch->need_mib[index]) {
    xa_batch_defer (batch, index);
    return;
  }
  xa_plan_split_by_free (batch->n_nodes, batch->free_mib, allowed, batch->need_mib[index],
                         batch->plan->placements[index].mib_by_node);
  xa_batch_commit (batch, index);
}

/* One node if one holds the VM, else the best span; FALSE if neither. */
static gboolean
xa_batch_place_now (XaBatch *batch, guint index, gboolean may_span)
{
  gint node = xa_batch_best_single_node (batch, index);
  XaNodeSet span;

  if (node >= 0) {
    xa_batch_put_on_node (batch, index, (guint) node);
    return TRUE;
  }
  span = may_span ? xa_batch_best_span (batch, index) : 0;
  if (span == 0)
    return FALSE;
  xa_batch_put_on_span (batch, index, span);
  return TRUE;
}

/* Wherever the VM fits now, or deferred. */
static void
xa_batch_place_or_defer (XaBatch *batch, guint index)
{
  if (xa_batch_request (batch, index)->hard_affinity != NULL)
    xa_batch_place_pinned (batch, index);
  else if (!xa_batch_place_now (batch, index, TRUE))
    xa_batch_defer (batch, index);
}

static gboolean
xa_batch_is_waiting (const XaBatch *batch, guint index)
{
  return batch->plan->placements[index].outcome == XA_OUTCOME_DEFERRED &&
         batch->plan->placements[index].reason == NULL;
}

/* The level's VMs that can be admitted, smallest first. */
static GArray *
xa_batch_level_by_need (XaBatch *batch, guint from, guint to)
{
  GArray *level = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint k = from; k < to; k++) {
    guint i = batch->order[k];
    gchar *reason = xa_plan_why_never_fits (batch->topo, xa_batch_request (batch, i),
                                            batch->allowed[i]);

    if (reason != NULL)
      xa_placement_reject (&batch->plan->placements[i], reason);
    else
      g_array_append_val (level, i);
  }
  g_array_sort_with_data (level, xa_plan_compare_mib, batch->need_mib);
  return level;
}

/* Admits as many VMs of the level as the free memory holds: the smallest,
 * since splitting lets a set of VMs use all the memory it adds up to. */
static void
xa_batch_choose_admitted (XaBatch *batch, GArray *level)
{
  guint64 left = xa_plan_sum (batch->free_mib,
                              batch->with_cpus & xa_topology_usable_nodes (batch->topo),
                              batch->n_nodes);

  for (guint k = 0; k < level->len; k++) {
    guint i = g_array_index (level, guint, k);

    if (batch->need_mib[i] > left)
      break;
    left -= batch->need_mib[i];
    batch->chosen[i] = TRUE;
  }
}

/* The chosen VMs, most constrained and largest first: the pinned ones where
 * their CPUs are, the others on the node that holds them most tightly. */
static void
xa_batch_place_greedily (XaBatch *batch, guint from, guint to)
{
  for (guint k = from; k < to; k++) {
    guint i = batch->order[k];

    if (!batch->chosen[i])
      continue;
    if (xa_batch_request (batch, i)->hard_affinity != NULL)
      xa_batch_place_pinned (batch, i);
    else
      xa_batch_place_now (batch, i, FALSE);
  }
}

/* One priority level: choose whom to admit, place them on single nodes,
 * repack to fit those that found none, split what still does not fit; then
 * the VMs not chosen, smallest first, take what is left. */
static void
xa_batch_place_level (XaBatch *batch, guint from, guint to)
{
  g_autoptr(GArray) level = xa_batch_level_by_need (batch, from, to);

  xa_batch_choose_admitted (batch, level);
  xa_batch_place_greedily (batch, from, to);
  for (guint k = from; k < to; k++) {
    if (batch->chosen[batch->order[k]] && xa_batch_is_waiting (batch, batch->order[k]))
      xa_batch_make_room (batch, batch->order[k]);
  }
  for (guint k = from; k < to; k++) {
    guint i = batch->order[k];

    if (batch->chosen[i] && xa_batch_is_waiting (batch, i))
      xa_batch_place_now (batch, i, TRUE);
  }
  for (guint k = 0; k < level->len; k++) {
    guint i = g_array_index (level, guint, k);

    if (xa_batch_is_waiting (batch, i))
      xa_batch_place_or_defer (batch, i);
  }
}

static gint
xa_batch_most_loaded_node (const XaBatch *batch)
{
  gint worst = -1;

  for (guint n = 0; n < batch->n_nodes; n++) {
    if (batch->homed[n]->len > 0 &&
        (worst < 0 || xa_batch_load (batch, n, 0) > xa_batch_load (batch, (guint) worst, 0)))
      worst = (gint) n;
  }
  return worst;
}

/* Nodes with CPUs other than @skip, the least loaded first. */
static guint
xa_batch_by_load (const XaBatch *batch, guint skip, guint *nodes)
{
  guint count = 0;

  for (XaNodeSet s = batch->with_cpus & ~XA_NODESET_BIT (skip); s != 0; s &= s - 1) {
    guint n = (guint) __builtin_ctzll (s);
    guint at;

    for (at = count; at > 0 && xa_batch_load (batch, nodes[at - 1], 0) > xa_batch_load (batch, n, 0);
         at--)
      nodes[at] = nodes[at - 1];
    nodes[at] = n;
    count++;
  }
  return count;
}

/* Each VM on @from goes to the least loaded node that has room for it; of
 * those moves, the one after which the busier of the two nodes is least
 * loaded, if that is below @from's load now. Ties go to the tighter fit. */
static gboolean
xa_batch_best_balancing_move (XaBatch *batch, guint from, guint *out_index, guint *out_node)
{
  GArray *homed = batch->homed[from];
  guint targets[XA_MAX_NODES];
  guint n_targets = xa_batch_by_load (batch, from, targets);
  gdouble limit = xa_batch_load (batch, from, 0);
  gdouble best = limit;
  gboolean found = FALSE;

  for (guint k = 0; k < homed->len; k++) {
    guint i = g_array_index (homed, guint, k);
    gint vcpus = (gint) xa_batch_request (batch, i)->vcpus;
    gdouble from_after = xa_batch_load (batch, from, -vcpus);

    for (guint t = 0; t < n_targets && batch->balance_steps > 0; t++) {
      guint n = targets[t];
      gdouble worse;

      batch->balance_steps--;
      if (!xa_nodeset_has (batch->allowed[i], n) || batch->free_mib[n] < batch->need_mib[i])
        continue;
      worse = MAX (from_after, xa_batch_load (batch, n, vcpus));
      if (worse < limit &&
          (!found || worse < best ||
           (worse == best && batch->free_mib[n] < batch->free_mib[*out_node]))) {
        found = TRUE;
        best = worse;
        *out_index = i;
        *out_node = n;
      }
      break;
    }
  }
  return found;
}

/* Balances vCPUs against cores: moves single-node VMs of this batch off the
 * most loaded node while that lowers it, never splitting or deferring one. */
static void
xa_batch_balance (XaBatch *batch)
{
  for (;;) {
    gint from = xa_batch_most_loaded_node (batch);
    guint index = 0;
    guint node = 0;

    if (from < 0 || !xa_batch_best_balancing_move (batch, (guint) from, &index, &node))
      return;
    xa_batch_uncommit (batch, index);
    xa_batch_put_on_node (batch, index, node);
  }
}

static gboolean
xa_batch_is_split (const XaBatch *batch, guint index)
{
  const XaPlacement *placement = &batch->plan->placements[index];

  return placement->outcome == XA_OUTCOME_PLANNED && xa_nodeset_count (placement->nodes) > 1;
}

/* Moves may have opened room: split VMs take the best nodes now on offer,
 * deferred ones try again, until nothing changes. */
static void
xa_batch_settle (XaBatch *batch)
{
  for (guint round = 0; round < XA_BATCH_SETTLE_ROUNDS; round++) {
    gboolean changed = FALSE;

    for (guint k = 0; k < batch->requests->len; k++) {
      guint i = batch->order[k];
      XaPlacement *placement = &batch->plan->placements[i];
      XaNodeSet before = placement->nodes;

      if (xa_batch_is_split (batch, i)) {
        xa_batch_uncommit (batch, i);
        xa_batch_place_now (batch, i, TRUE);
        changed |= placement->nodes != before;
      } else if (placement->outcome == XA_OUTCOME_DEFERRED) {
        xa_batch_place_or_defer (batch, i);
        changed |= placement->outcome == XA_OUTCOME_PLANNED;
      }
    }
    if (!changed)
      return;
  }
}

static void
xa_batch_init (XaBatch *batch, const XaTopology *topo, GPtrArray *requests, gdouble now_s)
{
  batch->topo = topo;
  batch->requests = requests;
  batch->n_nodes = topo->n_nodes;
  batch->plan = xa_plan_new (topo->n_nodes, requests->len);
  batch->free_mib = g_new (guint64, topo->n_nodes);
  batch->vcpus = g_new (guint, topo->n_nodes);
  batch->homed = g_new (GArray *, topo->n_nodes);
  batch->homed_mib = g_new0 (guint64, topo->n_nodes);
  if (topo->n_nodes > XA_BATCH_ENUMERATE_MAX_NODES)
    batch->nearest = xa_batch_nearest_new (topo);
  batch->allowed = g_new (XaNodeSet, requests->len);
  batch->need_mib = g_new (guint64, requests->len);
  batch->priority = g_new (gint, requests->len);
  batch->home = g_new (gint, requests->len);
  batch->home_at = g_new (guint, requests->len);
  batch->chosen = g_new0 (gboolean, requests->len);
  batch->order = g_new (guint, requests->len);
  batch->steps = XA_BATCH_IMPROVE_STEPS;
  batch->balance_steps = XA_BATCH_BALANCE_STEPS_PER_VM * requests->len + XA_BATCH_BALANCE_STEPS;
  for (guint n = 0; n < topo->n_nodes; n++) {
    batch->free_mib[n] = topo->nodes[n].free_mib;
    batch->vcpus[n] = topo->nodes[n].vcpus_placed;
    batch->homed[n] = g_array_new (FALSE, FALSE, sizeof (guint));
    if (topo->nodes[n].cpus->len > 0)
      batch->with_cpus |= XA_NODESET_BIT (n);
  }
  for (guint i = 0; i < requests->len; i++) {
    const XaRequest *req = g_ptr_array_index (requests, i);

    batch->allowed[i] = xa_plan_allowed_nodes (topo, req);
    batch->need_mib[i] = xa_plan_need_mib (topo, req);
    batch->priority[i] = xa_plan_effective_priority (req, now_s);
    batch->home[i] = -1;
    batch->order[i] = i;
  }
  g_qsort_with_data (batch->order, (gint) requests->len, sizeof (guint), xa_batch_compare_order,
                     batch);
}

static void
xa_batch_clear (XaBatch *batch)
{
  g_free (batch->free_mib);
  g_free (batch->vcpus);
  for (guint n = 0; n < batch->n_nodes; n++)
    g_array_unref (batch->homed[n]);
  g_free (batch->homed);
  g_free (batch->homed_mib);
  g_free (batch->nearest);
  g_free (batch->allowed);
  g_free (batch->need_mib);
  g_free (batch->priority);
  g_free (batch->home);
  g_free (batch->home_at);
  g_free (batch->chosen);
  g_free (batch->order);
}

/**
 * xa_plan_batch:
 * @topo: the host, with free memory already net of in-flight claims
 * @requests: (element-type XaRequest): the batch
 * @now_s: the host's clock, for aging
 *
 * Plans the whole batch at once, one priority level after the other (each
 * second a request has waited counts as one level more). In a level: admit
 * the most VMs the free memory holds; place them most constrained, then
 * largest first, each on the node where it fits most tightly; repack this
 * batch's single-node VMs over a few nodes to fit those that found no node
 * (the improvement step); what still fits no single node spans the fewest
 * and closest nodes, or is deferred. Last, single-node VMs move off the node
 * with the most vCPUs per core while that helps, and split VMs take the best
 * nodes left. No node is ever given more than it has free.
 *
 * Returns: (transfer full): one placement per request, in their order
 */
XaPlan *
xa_plan_batch (const XaTopology *topo, GPtrArray *requests, gdouble now_s)
{
  XaBatch batch = { 0 };
  XaPlan *plan;

  g_return_val_if_fail (topo != NULL, NULL);
  g_return_val_if_fail (requests != NULL, NULL);

  xa_batch_init (&batch, topo, requests, now_s);
  for (guint from = 0, to; from < requests->len; from = to) {
    for (to = from + 1; to < requests->len; to++) {
      if (batch.priority[batch.order[to]] != batch.priority[batch.order[from]])
        break;
    }
    xa_batch_place_level (&batch, from, to);
  }
  xa_batch_balance (&batch);
  xa_batch_settle (&batch);
  plan = batch.plan;
  xa_batch_clear (&batch);
  return plan;
}
