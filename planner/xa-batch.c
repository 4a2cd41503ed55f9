/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "xa-batch-private.h"

/* Search steps for all of a batch's improvement step. */
#define XA_BATCH_IMPROVE_STEPS G_GUINT64_CONSTANT (400000)
/* Moves the balancing pass may weigh, per VM of the batch and in all. */
#define XA_BATCH_BALANCE_STEPS_PER_VM 64
#define XA_BATCH_BALANCE_STEPS 65536
/* Rounds of re-choosing the nodes of split VMs once the batch is placed. */
#define XA_BATCH_SETTLE_ROUNDS 8

const XaRequest *
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
  return xa_mem_compare_index (ia, ib);
}

/* vCPUs per core on @node, with @more_vcpus added. */
gdouble
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
void
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

void
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
  xa_mem_split_evenly (batch->n_nodes, batch->free_mib, nodes, batch->need_mib[index],
                       placement->mib_by_node);
  xa_batch_commit (batch, index);
}

static void
xa_batch_defer (XaBatch *batch, guint index)
{
  const XaRequest *req = xa_batch_request (batch, index);

  xa_placement_defer (&batch->plan->placements[index], batch->topo, batch->free_mib,
                      batch->allowed[index], xa_request_is_pinned (req), batch->need_mib[index]);
}

static void
xa_batch_place_pinned (XaBatch *batch, guint index)
{
  XaNodeSet allowed = batch->allowed[index];

  if (xa_mem_sum (batch->free_mib, allowed, batch->n_nodes) < batch->need_mib[index]) {
    xa_batch_defer (batch, index);
    return;
  }
  xa_mem_deal_extents (batch->n_nodes, batch->free_mib, allowed, batch->need_mib[index],
                       batch->plan->placements[index].mib_by_node);
  xa_batch_commit (batch, index);
}

/* One node if one holds the VM, else the best span; FALSE if neither. */
static gboolean
xa_batch_place_now (XaBatch *batch, guint index, gboolean may_span)
{
  gint node = xa_batch_fit_single_node (batch, index);
  XaNodeSet span;

  if (node >= 0) {
    xa_batch_put_on_node (batch, index, (guint) node);
    return TRUE;
  }
  span = may_span ? xa_batch_fit_span (batch, index) : 0;
  if (span == 0)
    return FALSE;
  xa_batch_put_on_span (batch, index, span);
  return TRUE;
}

/* Wherever the VM fits now, or deferred. */
static void
xa_batch_place_or_defer (XaBatch *batch, guint index)
{
  if (xa_request_is_pinned (xa_batch_request (batch, index)))
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
    gchar *reason = xa_mem_why_never_fits (batch->topo, xa_batch_request (batch, i),
                                           batch->allowed[i]);

    if (reason != NULL)
      xa_placement_reject (&batch->plan->placements[i], reason);
    else
      g_array_append_val (level, i);
  }
  g_array_sort_with_data (level, xa_mem_compare_size, batch->need_mib);
  return level;
}

/* Admits as many VMs of the level as the free memory holds: the smallest,
 * since splitting lets a set of VMs use all the memory it adds up to. */
static void
xa_batch_choose_admitted (XaBatch *batch, GArray *level)
{
  guint64 left = xa_mem_sum (batch->free_mib,
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
    if (xa_request_is_pinned (xa_batch_request (batch, i)))
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
      xa_batch_room_make (batch, batch->order[k]);
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
    batch->nearest = xa_batch_fit_nearest_new (topo);
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

    batch->allowed[i] = xa_request_allowed_nodes (req, topo);
    batch->need_mib[i] = xa_mem_request_need_mib (topo, req);
    batch->priority[i] = xa_request_effective_priority (req, now_s);
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
 * xa_batch_plan:
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
xa_batch_plan (const XaTopology *topo, GPtrArray *requests, gdouble now_s)
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
  xa_batch_balance_run (&batch);
  xa_batch_settle (&batch);
  plan = batch.plan;
  xa_batch_clear (&batch);
  return plan;
}
