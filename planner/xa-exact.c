/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "xa-distance.h"
#include "xa-exact.h"
#include "xa-mem.h"
#include "xa-request.h"

/* A plan's worth, compared lexicographically: VMs admitted per priority
 * level (highest level first), then VMs on one node, then fewer nodes
 * under split VMs. */
typedef struct {
  guint *admitted;
  guint singles;
  guint split_nodes;
} XaExactScore;

typedef struct {
  const gint *priority;
  const guint64 *need_mib;
} XaExactOrder;

typedef struct {
  GPtrArray *requests;
  const XaTopology *topo;
  guint n_nodes;
  XaNodeSet with_cpus;
  /* the VMs that are not rejected: by priority level, largest first */
  guint n_vms;
  guint *order;
  guint n_levels;
  guint *level_of;
  guint *pos_of;
  guint *level_start;
  guint *level_end;
  /* per level, the sum of its k smallest VMs, k = 0 … its size */
  guint64 **smallest_sum;
  /* the same VMs, smallest first */
  guint *by_size;
  /* per request */
  guint64 *need_mib;
  XaNodeSet *allowed;
  /* per node: the nodes that every VM treats alike */
  XaNodeSet *twins;
  /* the search: the current path, and the best leaf so far */
  guint64 *rem_mib;
  guint64 *mib;
  XaNodeSet *nodes;
  gboolean *split;
  guint64 split_mib;
  XaExactScore now;
  XaExactScore best;
  XaExactScore bound;
  gboolean have_best;
  guint64 *best_mib;
  XaNodeSet *best_nodes;
  guint64 *best_rem_mib;
  guint64 steps;
  gboolean exhausted;
} XaExact;

static gint
xa_exact_compare_order (gconstpointer a, gconstpointer b, gpointer user_data)
{
  const XaExactOrder *key = user_data;
  guint ia = *(const guint *) a;
  guint ib = *(const guint *) b;

  if (key->priority[ia] != key->priority[ib])
    return key->priority[ia] > key->priority[ib] ? -1 : 1;
  if (key->need_mib[ia] != key->need_mib[ib])
    return key->need_mib[ia] > key->need_mib[ib] ? -1 : 1;
  return xa_mem_compare_index (ia, ib);
}

static gint
xa_exact_compare_score (const XaExact *exact, const XaExactScore *a, const XaExactScore *b)
{
  for (guint l = 0; l < exact->n_levels; l++) {
    if (a->admitted[l] != b->admitted[l])
      return a->admitted[l] > b->admitted[l] ? 1 : -1;
  }
  if (a->singles != b->singles)
    return a->singles > b->singles ? 1 : -1;
  if (a->split_nodes != b->split_nodes)
    return a->split_nodes < b->split_nodes ? 1 : -1;
  return 0;
}

static guint64
xa_exact_rem (const XaExact *exact, XaNodeSet nodes)
{
  return xa_mem_sum (exact->rem_mib, nodes, exact->n_nodes);
}

/* Whether @index could go on one node as things stand. */
static gboolean
xa_exact_fits_one_node (const XaExact *exact, guint index)
{
  const XaRequest *req = g_ptr_array_index (exact->requests, index);
  XaNodeSet allowed = exact->allowed[index];

  if (xa_request_is_pinned (req))
    return xa_nodeset_count (allowed) == 1 && xa_exact_rem (exact, allowed) >= exact->need_mib[index];
  for (XaNodeSet s = allowed & exact->with_cpus; s != 0; s &= s - 1) {
    if (exact->rem_mib[__builtin_ctzll (s)] >= exact->need_mib[index])
      return TRUE;
  }
  return FALSE;
}

/* At most how many VMs of @level, from position @pos on, are still admitted. */
static guint
xa_exact_admission_bound (const XaExact *exact, guint level, guint pos, guint64 total_mib)
{
  guint start = MAX (pos, exact->level_start[level]);
  guint left = start < exact->level_end[level] ? exact->level_end[level] - start : 0;
  guint k = 0;

  while (k < left && exact->smallest_sum[level][k + 1] <= total_mib)
    k++;
  return k;
}

/* The smallest VM from @pos on that fits one node, or 0 if none. */
static guint64
xa_exact_smallest_single (const XaExact *exact, guint pos)
{
  for (guint k = 0; k < exact->n_vms; k++) {
    guint index = exact->by_size[k];

    if (exact->pos_of[index] >= pos && xa_exact_fits_one_node (exact, index))
      return exact->need_mib[index];
  }
  return 0;
}

/* At most how many VMs from @pos on still go on one node: the smallest of
 * those that fit a node alone, as many as the nodes can hold together.
 * Nodes with less room than the smallest of them hold none, but can take
 * memory of the split VMs. */
static guint
xa_exact_singles_bound (const XaExact *exact, guint pos)
{
  guint64 smallest = xa_exact_smallest_single (exact, pos);
  guint64 room = 0;
  guint64 elsewhere = 0;
  guint count = 0;

  for (guint n = 0; n < exact->n_nodes; n++) {
    if (xa_nodeset_has (exact->with_cpus, n) && exact->rem_mib[n] >= smallest)
      room += exact->rem_mib[n];
    else
      elsewhere += exact->rem_mib[n];
  }
  room -= MIN (room, exact->split_mib - MIN (exact->split_mib, elsewhere));
  for (guint k = 0; k < exact->n_vms && smallest > 0; k++) {
    guint index = exact->by_size[k];

    if (exact->pos_of[index] < pos || !xa_exact_fits_one_node (exact, index))
      continue;
    if (exact->need_mib[index] > room)
      break;
    room -= exact->need_mib[index];
    count++;
  }
  return count;
}

static gboolean
xa_exact_can_beat_best (XaExact *exact, guint pos)
{
  guint64 total = xa_exact_rem (exact, xa_nodeset_all (exact->n_nodes)) - exact->split_mib;

  if (!exact->have_best)
    return TRUE;
  for (guint l = 0; l < exact->n_levels; l++)
    exact->bound.admitted[l] = exact->now.admitted[l] + xa_exact_admission_bound (exact, l, pos, total);
  exact->bound.singles = exact->now.singles + xa_exact_singles_bound (exact, pos);
  exact->bound.split_nodes = exact->now.split_nodes;
  return xa_exact_compare_score (exact, &exact->bound, &exact->best) > 0;
}

static guint64 *
xa_exact_mib_of (const XaExact *exact, guint index)
{
  return &exact->mib[(gsize) index * exact->n_nodes];
}

static void
xa_exact_keep_if_best (XaExact *exact)
{
  if (exact->have_best && xa_exact_compare_score (exact, &exact->now, &exact->best) <= 0)
    return;
  exact->have_best = TRUE;
  memcpy (exact->best.admitted, exact->now.admitted, sizeof (guint) * exact->n_levels);
  exact->best.singles = exact->now.singles;
  exact->best.split_nodes = exact->now.split_nodes;
  memcpy (exact->best_mib, exact->mib,
          sizeof (guint64) * exact->requests->len * exact->n_nodes);
  memcpy (exact->best_nodes, exact->nodes, sizeof (XaNodeSet) * exact->requests->len);
  memcpy (exact->best_rem_mib, exact->rem_mib, sizeof (guint64) * exact->n_nodes);
}

static gboolean
xa_exact_take_step (XaExact *exact)
{
  if (exact->steps == 0) {
    exact->exhausted = TRUE;
    return FALSE;
  }
  exact->steps--;
  return TRUE;
}

static void
xa_exact_take (XaExact *exact, guint index, XaNodeSet nodes)
{
  const guint64 *mib = xa_exact_mib_of (exact, index);

  for (guint n = 0; n < exact->n_nodes; n++)
    exact->rem_mib[n] -= mib[n];
  exact->nodes[index] = nodes;
}

static void
xa_exact_give_back (XaExact *exact, guint index)
{
  guint64 *mib = xa_exact_mib_of (exact, index);

  for (guint n = 0; n < exact->n_nodes; n++) {
    exact->rem_mib[n] += mib[n];
    mib[n] = 0;
  }
  exact->nodes[index] = 0;
}

/* Whether the split VMs after the @done first can still beat the best plan
 * with @used nodes under the split VMs so far. */
static gboolean
xa_exact_splits_can_beat_best (const XaExact *exact, guint used, guint left)
{
  XaExactScore floor = exact->now;

  if (!exact->have_best)
    return TRUE;
  floor.split_nodes = used + 2 * left;
  return xa_exact_compare_score (exact, &floor, &exact->best) > 0;
}

/* At a leaf: each split VM in turn takes a set of two nodes or more from
 * what the others left, its memory spread as Xen's allocator spreads it. */
static void
xa_exact_place_splits (XaExact *exact, const guint *splits, guint n_splits, guint done,
                       guint used)
{
  guint index;
  XaNodeSet allowed;

  if (!xa_exact_take_step (exact))
    return;
  if (done == n_splits) {
    guint floor = exact->now.split_nodes;

    exact->now.split_nodes = used;
    xa_exact_keep_if_best (exact);
    exact->now.split_nodes = floor;
    return;
  }
  if (!xa_exact_splits_can_beat_best (exact, used, n_splits - done))
    return;
  index = splits[done];
  allowed = exact->allowed[index];
  for (guint size = 2; size <= xa_nodeset_count (allowed); size++) {
    for (XaNodeSet s = allowed; s != 0; s = (s - 1) & allowed) {
      if (xa_nodeset_count (s) != size || xa_exact_rem (exact, s) < exact->need_mib[index] ||
          !xa_distance_is_reachable (exact->topo, s))
        continue;
      xa_mem_split_evenly (exact->n_nodes, exact->rem_mib, s, exact->need_mib[index],
                           xa_exact_mib_of (exact, index));
      xa_exact_take (exact, index, s);
      xa_exact_place_splits (exact, splits, n_splits, done + 1, used + size);
      xa_exact_give_back (exact, index);
    }
  }
}

static void
xa_exact_leaf (XaExact *exact)
{
  g_autofree guint *splits = g_new (guint, exact->n_vms);
  guint n_splits = 0;

  for (guint k = 0; k < exact->n_vms; k++) {
    if (exact->split[exact->order[k]])
      splits[n_splits++] = exact->order[k];
  }
  xa_exact_place_splits (exact, splits, n_splits, 0, 0);
}

static void xa_exact_search (XaExact *exact, guint pos);

/* Puts @index on the memory in its row of @mib, searches on, takes it off. */
static void
xa_exact_try (XaExact *exact, guint pos, guint index, XaNodeSet nodes, gboolean single)
{
  guint level = exact->level_of[index];

  xa_exact_take (exact, index, nodes);
  exact->now.admitted[level]++;
  exact->now.singles += single ? 1 : 0;
  xa_exact_search (exact, pos + 1);
  exact->now.admitted[level]--;
  exact->now.singles -= single ? 1 : 0;
  xa_exact_give_back (exact, index);
}

/* Marks @index to span nodes; which ones, each leaf decides. */
static void
xa_exact_try_split (XaExact *exact, guint pos, guint index)
{
  guint level = exact->level_of[index];
  guint64 need = exact->need_mib[index];

  if (xa_exact_rem (exact, exact->allowed[index]) < need || xa_nodeset_count (exact->allowed[index]) < 2)
    return;
  exact->split[index] = TRUE;
  exact->split_mib += need;
  exact->now.admitted[level]++;
  /* it will span two nodes at least */
  exact->now.split_nodes += 2;
  xa_exact_search (exact, pos + 1);
  exact->now.split_nodes -= 2;
  exact->now.admitted[level]--;
  exact->split_mib -= need;
  exact->split[index] = FALSE;
}

/* The nodes that hold @index alone, tightest first, one of each twin kind
 * with the same room. */
static guint
xa_exact_single_nodes (const XaExact *exact, guint index, guint *nodes)
{
  guint count = 0;

  for (XaNodeSet s = exact->allowed[index] & exact->with_cpus; s != 0; s &= s - 1) {
    guint n = (guint) __builtin_ctzll (s);
    gboolean twin_seen = FALSE;
    guint at;

    if (exact->rem_mib[n] < exact->need_mib[index])
      continue;
    for (guint k = 0; k < count && !twin_seen; k++)
      twin_seen = xa_nodeset_has (exact->twins[n], nodes[k]) &&
                  exact->rem_mib[nodes[k]] == exact->rem_mib[n];
    if (twin_seen)
      continue;
    for (at = count; at > 0 && exact->rem_mib[nodes[at - 1]] > exact->rem_mib[n]; at--)
      nodes[at] = nodes[at - 1];
    nodes[at] = n;
    count++;
  }
  return count;
}

static void
xa_exact_try_singles (XaExact *exact, guint pos, guint index)
{
  guint nodes[XA_MAX_NODES];
  guint count = xa_exact_single_nodes (exact, index, nodes);

  for (guint k = 0; k < count; k++) {
    xa_exact_mib_of (exact, index)[nodes[k]] = exact->need_mib[index];
    xa_exact_try (exact, pos, index, XA_NODESET_BIT (nodes[k]), TRUE);
  }
}

static void
xa_exact_try_pinned (XaExact *exact, guint pos, guint index)
{
  XaNodeSet allowed = exact->allowed[index];

  if (xa_exact_rem (exact, allowed) < exact->need_mib[index])
    return;
  xa_mem_deal_extents (exact->n_nodes, exact->rem_mib, allowed, exact->need_mib[index],
                       xa_exact_mib_of (exact, index));
  xa_exact_try (exact, pos, index, 0, xa_nodeset_count (allowed) == 1);
}

static void
xa_exact_search (XaExact *exact, guint pos)
{
  guint index;

  if (!xa_exact_take_step (exact))
    return;
  /* the split VMs are yet to take their memory: it must be there */
  if (exact->split_mib > xa_exact_rem (exact, xa_nodeset_all (exact->n_nodes)))
    return;
  if (pos == exact->n_vms) {
    xa_exact_leaf (exact);
    return;
  }
  if (!xa_exact_can_beat_best (exact, pos))
    return;
  index = exact->order[pos];
  if (xa_request_is_pinned (g_ptr_array_index (exact->requests, index))) {
    xa_exact_try_pinned (exact, pos, index);
  } else {
    xa_exact_try_singles (exact, pos, index);
    xa_exact_try_split (exact, pos, index);
  }
  xa_exact_search (exact, pos + 1);
}

static void
xa_exact_find_levels (XaExact *exact, const gint *priority)
{
  exact->level_start = g_new (guint, exact->n_vms + 1);
  exact->level_end = g_new (guint, exact->n_vms + 1);
  for (guint pos = 0; pos < exact->n_vms; pos++) {
    guint index = exact->order[pos];

    if (pos == 0 || priority[index] != priority[exact->order[pos - 1]]) {
      exact->level_start[exact->n_levels] = pos;
      exact->n_levels++;
    }
    exact->level_end[exact->n_levels - 1] = pos + 1;
    exact->level_of[index] = exact->n_levels - 1;
    exact->pos_of[index] = pos;
  }
  exact->smallest_sum = g_new (guint64 *, exact->n_levels);
  for (guint l = 0; l < exact->n_levels; l++) {
    guint size = exact->level_end[l] - exact->level_start[l];

    exact->smallest_sum[l] = g_new0 (guint64, size + 1);
    for (guint k = 1; k <= size; k++)
      exact->smallest_sum[l][k] = exact->smallest_sum[l][k - 1] +
                                  exact->need_mib[exact->order[exact->level_end[l] - k]];
  }
}

/* Nodes that every VM may use alike, and that have CPUs alike, are twins. */
static void
xa_exact_find_twins (XaExact *exact)
{
  g_autofree XaNodeSet *sets = g_new (XaNodeSet, exact->n_vms + 1);

  sets[0] = exact->with_cpus;
  for (guint k = 0; k < exact->n_vms; k++)
    sets[k + 1] = exact->allowed[exact->order[k]];
  xa_nodeset_find_twins (exact->n_nodes, sets, exact->n_vms + 1, exact->twins);
}

/* Rejected VMs get their reason here and stay out of the search. */
static void
xa_exact_init (XaExact *exact, const XaTopology *topo, GPtrArray *requests, gdouble now_s,
               XaPlan *plan)
{
  guint n_requests = requests->len;
  g_autofree gint *priority = g_new (gint, n_requests);
  XaExactOrder key;

  exact->requests = requests;
  exact->topo = topo;
  exact->n_nodes = topo->n_nodes;
  exact->need_mib = g_new (guint64, n_requests);
  exact->allowed = g_new (XaNodeSet, n_requests);
  exact->order = g_new (guint, n_requests);
  exact->by_size = g_new (guint, n_requests);
  exact->level_of = g_new (guint, n_requests);
  exact->pos_of = g_new (guint, n_requests);
  exact->mib = g_new0 (guint64, (gsize) n_requests * topo->n_nodes);
  exact->best_mib = g_new0 (guint64, (gsize) n_requests * topo->n_nodes);
  exact->nodes = g_new0 (XaNodeSet, n_requests);
  exact->split = g_new0 (gboolean, n_requests);
  exact->best_nodes = g_new0 (XaNodeSet, n_requests);
  exact->rem_mib = g_new (guint64, topo->n_nodes);
  exact->best_rem_mib = g_new (guint64, topo->n_nodes);
  exact->twins = g_new (XaNodeSet, topo->n_nodes);
  for (guint n = 0; n < topo->n_nodes; n++) {
    exact->rem_mib[n] = topo->nodes[n].free_mib;
    if (topo->nodes[n].cpus->len > 0)
      exact->with_cpus |= XA_NODESET_BIT (n);
  }
  for (guint i = 0; i < n_requests; i++) {
    const XaRequest *req = g_ptr_array_index (requests, i);
    gchar *reason;

    exact->allowed[i] = xa_request_allowed_nodes (req, topo);
    exact->need_mib[i] = xa_mem_request_need_mib (topo, req);
    exact->pos_of[i] = G_MAXUINT;
    priority[i] = xa_request_effective_priority (req, now_s);
    reason = xa_mem_why_never_fits (topo, req, exact->allowed[i]);
    if (reason != NULL) {
      xa_placement_reject (&plan->placements[i], reason);
      continue;
    }
    exact->order[exact->n_vms] = i;
    exact->by_size[exact->n_vms] = i;
    exact->n_vms++;
  }
  key.priority = priority;
  key.need_mib = exact->need_mib;
  g_qsort_with_data (exact->order, (gint) exact->n_vms, sizeof (guint), xa_exact_compare_order,
                     &key);
  g_qsort_with_data (exact->by_size, (gint) exact->n_vms, sizeof (guint), xa_mem_compare_size,
                     exact->need_mib);
  xa_exact_find_levels (exact, priority);
  xa_exact_find_twins (exact);
  exact->now.admitted = g_new0 (guint, MAX (exact->n_levels, 1));
  exact->best.admitted = g_new0 (guint, MAX (exact->n_levels, 1));
  exact->bound.admitted = g_new0 (guint, MAX (exact->n_levels, 1));
}

static void
xa_exact_clear (XaExact *exact)
{
  for (guint l = 0; l < exact->n_levels; l++)
    g_free (exact->smallest_sum[l]);
  g_free (exact->smallest_sum);
  g_free (exact->level_start);
  g_free (exact->level_end);
  g_free (exact->need_mib);
  g_free (exact->allowed);
  g_free (exact->order);
  g_free (exact->by_size);
  g_free (exact->level_of);
  g_free (exact->pos_of);
  g_free (exact->mib);
  g_free (exact->best_mib);
  g_free (exact->nodes);
  g_free (exact->split);
  g_free (exact->best_nodes);
  g_free (exact->rem_mib);
  g_free (exact->best_rem_mib);
  g_free (exact->twins);
  g_free (exact->now.admitted);
  g_free (exact->best.admitted);
  g_free (exact->bound.admitted);
}

static void
xa_exact_write_plan (const XaExact *exact, XaPlan *plan)
{
  for (guint k = 0; k < exact->n_vms; k++) {
    guint i = exact->order[k];
    const XaRequest *req = g_ptr_array_index (exact->requests, i);
    XaPlacement *placement = &plan->placements[i];
    const guint64 *mib = &exact->best_mib[(gsize) i * exact->n_nodes];

    if (xa_mem_sum (mib, xa_nodeset_all (exact->n_nodes), exact->n_nodes) == 0) {
      xa_placement_defer (placement, exact->topo, exact->best_rem_mib, exact->allowed[i],
                          xa_request_is_pinned (req), exact->need_mib[i]);
      continue;
    }
    placement->outcome = XA_OUTCOME_PLANNED;
    placement->nodes = exact->best_nodes[i];
    memcpy (placement->mib_by_node, mib, sizeof (guint64) * exact->n_nodes);
  }
  plan->exhausted = exact->exhausted;
}

/**
 * xa_exact_plan:
 * @topo: the host, with free memory already net of in-flight claims
 * @requests: (element-type XaRequest): the batch
 * @now_s: the host's clock, for aging
 * @max_steps: how many search steps it may take
 *
 * Branch and bound over every choice of each VM: one node, a set of nodes,
 * or deferred. Split VMs take their nodes last, from what the single-node
 * VMs leave, their memory spread as Xen's allocator spreads it. Best is, in this order:
 * the most VMs admitted at each priority level from the highest down, the
 * most VMs on one node, the fewest nodes under split VMs. Meant for small
 * batches (some 20 VMs on 4 nodes): beyond @max_steps the search stops
 * with the best plan found and sets @exhausted in it.
 *
 * Returns: (transfer full): one placement per request, in their order
 */
XaPlan *
xa_exact_plan (const XaTopology *topo, GPtrArray *requests, gdouble now_s, guint64 max_steps)
{
  XaExact exact = { 0 };
  XaPlan *plan;

  g_return_val_if_fail (topo != NULL && requests != NULL, NULL);

  plan = xa_plan_new (topo->n_nodes, requests->len);
  xa_exact_init (&exact, topo, requests, now_s, plan);
  exact.steps = max_steps;
  xa_exact_search (&exact, 0);
  xa_exact_write_plan (&exact, plan);
  xa_exact_clear (&exact);
  return plan;
}
