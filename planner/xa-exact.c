/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "xa-batch.h"
#include "xa-distance.h"
#include "xa-exact-private.h"
#include "xa-mem.h"

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

/* sums[k]: the most memory any k nodes have left, k = 0 … n_nodes. */
static void
xa_exact_room_by_count (const XaExact *exact, guint64 *sums)
{
  guint64 rem[XA_MAX_NODES];

  for (guint n = 0; n < exact->n_nodes; n++) {
    guint at;

    for (at = n; at > 0 && rem[at - 1] < exact->rem_mib[n]; at--)
      rem[at] = rem[at - 1];
    rem[at] = exact->rem_mib[n];
  }
  sums[0] = 0;
  for (guint k = 0; k < exact->n_nodes; k++)
    sums[k + 1] = sums[k] + rem[k];
}

/* The fewest nodes a split VM of @need_mib can span, two at least. */
static guint
xa_exact_fewest_nodes (const XaExact *exact, const guint64 *sums, guint64 need_mib)
{
  guint k = 2;

  while (k < exact->n_nodes && sums[k] < need_mib)
    k++;
  return k;
}

/* The fewest nodes under the split VMs of @splits, each alone with what is
 * left now (@sums): memory only shrinks from here, so never more. */
static guint
xa_exact_split_floor (const XaExact *exact, const guint64 *sums, const guint *splits,
                      guint n_splits)
{
  guint floor = 0;

  for (guint k = 0; k < n_splits; k++)
    floor += xa_exact_fewest_nodes (exact, sums, exact->need_mib[splits[k]]);
  return floor;
}

static gboolean
xa_exact_can_beat_best (XaExact *exact, guint pos)
{
  guint64 total = xa_exact_rem (exact, xa_nodeset_all (exact->n_nodes)) - exact->split_mib;
  guint admitted = 0;
  guint singles = xa_exact_singles_bound (exact, pos);
  guint spread = exact->pinned_spread_from[pos];
  guint64 sums[XA_MAX_NODES + 1];
  guint split_floor = 0;

  for (guint l = 0; l < exact->n_levels; l++) {
    guint more = xa_exact_admission_bound (exact, l, pos, total);

    exact->bound.admitted[l] = exact->now.admitted[l] + more;
    admitted += more;
  }
  exact->bound.singles = exact->now.singles + singles;
  /* the VMs marked split so far need their fewest nodes; admitting that
   * many with that many on one node splits the others too */
  if (exact->n_splits > 0) {
    xa_exact_room_by_count (exact, sums);
    split_floor = xa_exact_split_floor (exact, sums, exact->splits, exact->n_splits);
  }
  exact->bound.split_nodes = split_floor + 2 * (admitted - MIN (admitted, singles + spread));
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
  if (xa_exact_compare_score (exact, &exact->now, &exact->best) <= 0)
    return;
  exact->improved = TRUE;
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

/* Whether a leaf with @split_nodes under its split VMs can beat the best. */
static gboolean
xa_exact_splits_can_beat_best (const XaExact *exact, guint split_nodes)
{
  XaExactScore floor = exact->now;

  floor.split_nodes = split_nodes;
  return xa_exact_compare_score (exact, &floor, &exact->best) > 0;
}

/* The next larger number with as many bits set (Gosper's hack). */
static guint64
xa_exact_next_combination (guint64 pick)
{
  guint64 low = pick & -pick;
  guint64 up = pick + low;

  return up + (((up ^ pick) / low) >> 2);
}

static void xa_exact_place_splits (XaExact   *exact,
                                   const guint *splits,
                                   guint      n_splits,
                                   guint      done,
                                   guint      used);

/* Spans split VM @done over each set of @size of its nodes that holds it. */
static void
xa_exact_place_split_over (XaExact *exact, const guint *splits, guint n_splits, guint done,
                           guint used, guint size)
{
  guint index = splits[done];
  XaNodeSet allowed = exact->allowed[index];
  guint count = xa_nodeset_count (allowed);
  guint64 first = size >= 64 ? G_MAXUINT64 : (G_GUINT64_CONSTANT (1) << size) - 1;
  guint64 last = first << (count - size);

  for (guint64 pick = first;; pick = xa_exact_next_combination (pick)) {
    XaNodeSet s = xa_nodeset_pick (allowed, pick);

    if (xa_exact_rem (exact, s) >= exact->need_mib[index] &&
        xa_distance_is_reachable (exact->topo, s)) {
      xa_mem_split_evenly (exact->n_nodes, exact->rem_mib, s, exact->need_mib[index],
                           xa_exact_mib_of (exact, index));
      xa_exact_take (exact, index, s);
      xa_exact_place_splits (exact, splits, n_splits, done + 1, used + size);
      xa_exact_give_back (exact, index);
    }
    if (pick == last || exact->steps == 0)
      return;
  }
}

/* At a leaf: each split VM in turn takes a set of two nodes or more from
 * what the others left, its memory spread as Xen's allocator spreads it;
 * the fewest nodes first, and no more than can still beat the best. */
static void
xa_exact_place_splits (XaExact *exact, const guint *splits, guint n_splits, guint done,
                       guint used)
{
  guint64 sums[XA_MAX_NODES + 1];
  guint rest;
  guint index;

  if (!xa_exact_take_step (exact))
    return;
  if (done == n_splits) {
    guint floor = exact->now.split_nodes;

    exact->now.split_nodes = used;
    xa_exact_keep_if_best (exact);
    exact->now.split_nodes = floor;
    return;
  }
  index = splits[done];
  xa_exact_room_by_count (exact, sums);
  rest = xa_exact_split_floor (exact, sums, splits + done + 1, n_splits - done - 1);
  for (guint size = xa_exact_fewest_nodes (exact, sums, exact->need_mib[index]);
       size <= xa_nodeset_count (exact->allowed[index]) &&
       xa_exact_splits_can_beat_best (exact, used + size + rest); size++)
    xa_exact_place_split_over (exact, splits, n_splits, done, used, size);
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
  exact->splits[exact->n_splits++] = index;
  exact->split_mib += need;
  exact->now.admitted[level]++;
  /* it will span two nodes at least */
  exact->now.split_nodes += 2;
  xa_exact_search (exact, pos + 1);
  exact->now.split_nodes -= 2;
  exact->now.admitted[level]--;
  exact->split_mib -= need;
  exact->n_splits--;
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
    xa_exact_place_splits (exact, exact->splits, exact->n_splits, 0, 0);
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

/**
 * xa_exact_improve:
 * @topo: the host, with free memory already net of in-flight claims
 * @requests: (element-type XaRequest): the batch
 * @now_s: the host's clock, for aging
 * @max_steps: how many search steps it may take
 * @plan: batch's plan for @requests, which it replaces if it finds better
 *
 * Branch and bound over every choice of each VM: one node, a set of nodes,
 * or deferred. Split VMs take their nodes last, from what the single-node
 * VMs leave, their memory spread as Xen's allocator spreads it. Best is, in
 * this order: the most VMs admitted at each priority level from the
 * highest down, the most VMs on one node, the fewest nodes under split VMs.
 * @plan is the incumbent: only a strictly better plan replaces it, so the
 * result is never worse, and when the search ends within @max_steps it is
 * proven optimal. Its @optimal says which.
 */
void
xa_exact_improve (const XaTopology *topo, GPtrArray *requests, gdouble now_s, guint64 max_steps,
                  XaPlan *plan)
{
  XaExact exact = { 0 };

  g_return_if_fail (topo != NULL && requests != NULL && plan != NULL);
  g_return_if_fail (plan->n_placements == requests->len && plan->n_nodes == topo->n_nodes);

  xa_exact_init (&exact, topo, requests, now_s);
  xa_exact_seed (&exact, plan);
  exact.steps = max_steps;
  xa_exact_search (&exact, 0);
  if (exact.improved)
    xa_exact_write_plan (&exact, plan);
  plan->optimal = exact.exhausted ? XA_PLAN_OPTIMAL_UNPROVEN : XA_PLAN_OPTIMAL_PROVEN;
  xa_exact_clear (&exact);
}

/**
 * xa_exact_plan:
 * @topo: the host, with free memory already net of in-flight claims
 * @requests: (element-type XaRequest): the batch
 * @now_s: the host's clock, for aging
 * @max_steps: how many search steps it may take
 *
 * The exact policy: batch's plan, then xa_exact_improve() on it. Meant for
 * small batches (some 16 VMs on 8 nodes); beyond @max_steps the best plan
 * found, never worse than batch's.
 *
 * Returns: (transfer full): one placement per request, in their order
 */
XaPlan *
xa_exact_plan (const XaTopology *topo, GPtrArray *requests, gdouble now_s, guint64 max_steps)
{
  XaPlan *plan;

  g_return_val_if_fail (topo != NULL && requests != NULL, NULL);

  plan = xa_batch_plan (topo, requests, now_s);
  xa_exact_improve (topo, requests, now_s, max_steps, plan);
  return plan;
}
