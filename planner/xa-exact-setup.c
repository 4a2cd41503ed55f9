/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "xa-exact-private.h"
#include "xa-mem.h"

typedef struct {
  const gint *priority;
  const guint64 *need_mib;
} XaExactOrder;

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
  exact->pinned_spread_from = g_new0 (guint, exact->n_vms + 1);
  for (guint pos = exact->n_vms; pos > 0; pos--) {
    guint index = exact->order[pos - 1];
    gboolean spread = xa_request_is_pinned (g_ptr_array_index (exact->requests, index)) &&
                      xa_nodeset_count (exact->allowed[index]) > 1;

    exact->pinned_spread_from[pos - 1] = exact->pinned_spread_from[pos] + (spread ? 1 : 0);
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

static void
xa_exact_alloc (XaExact *exact, guint n_requests, guint n_nodes)
{
  exact->need_mib = g_new (guint64, n_requests);
  exact->allowed = g_new (XaNodeSet, n_requests);
  exact->order = g_new (guint, n_requests);
  exact->by_size = g_new (guint, n_requests);
  exact->level_of = g_new (guint, n_requests);
  exact->pos_of = g_new (guint, n_requests);
  exact->mib = g_new0 (guint64, (gsize) n_requests * n_nodes);
  exact->best_mib = g_new0 (guint64, (gsize) n_requests * n_nodes);
  exact->nodes = g_new0 (XaNodeSet, n_requests);
  exact->splits = g_new (guint, n_requests);
  exact->best_nodes = g_new0 (XaNodeSet, n_requests);
  exact->rem_mib = g_new (guint64, n_nodes);
  exact->twins = g_new (XaNodeSet, n_nodes);
}

/**
 * xa_exact_init:
 * @exact: zeroed state
 * @topo: the host, with free memory already net of in-flight claims
 * @requests: (element-type XaRequest): the batch
 * @now_s: the host's clock, for aging
 *
 * Orders the VMs for the search; those that can never fit stay out of it
 * (the incumbent plan rejects them already, for the same reason).
 */
void
xa_exact_init (XaExact *exact, const XaTopology *topo, GPtrArray *requests, gdouble now_s)
{
  g_autofree gint *priority = g_new (gint, requests->len);
  XaExactOrder key = { priority, NULL };

  exact->requests = requests;
  exact->topo = topo;
  exact->n_nodes = topo->n_nodes;
  xa_exact_alloc (exact, requests->len, topo->n_nodes);
  for (guint n = 0; n < topo->n_nodes; n++) {
    exact->rem_mib[n] = topo->nodes[n].free_mib;
    if (topo->nodes[n].cpus->len > 0)
      exact->with_cpus |= XA_NODESET_BIT (n);
  }
  for (guint i = 0; i < requests->len; i++) {
    const XaRequest *req = g_ptr_array_index (requests, i);
    g_autofree gchar *reason = NULL;

    exact->allowed[i] = xa_request_allowed_nodes (req, topo);
    exact->need_mib[i] = xa_mem_request_need_mib (topo, req);
    exact->pos_of[i] = G_MAXUINT;
    priority[i] = xa_request_effective_priority (req, now_s);
    reason = xa_mem_why_never_fits (topo, req, exact->allowed[i]);
    if (reason != NULL)
      continue;
    exact->order[exact->n_vms] = i;
    exact->by_size[exact->n_vms] = i;
    exact->n_vms++;
  }
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

/**
 * xa_exact_seed:
 * @exact: the state of xa_exact_init()
 * @plan: a plan for the same batch that never over-plans, batch's
 *
 * Makes @plan the best leaf so far, scored as the search scores its own
 * leaves, so that the search keeps only a plan that beats it.
 */
void
xa_exact_seed (XaExact *exact, const XaPlan *plan)
{
  exact->best_rem_mib = xa_plan_left_mib (plan, exact->topo);
  for (guint k = 0; k < exact->n_vms; k++) {
    guint i = exact->order[k];
    const XaPlacement *placement = &plan->placements[i];
    const XaRequest *req = g_ptr_array_index (exact->requests, i);
    guint count = xa_nodeset_count (xa_request_is_pinned (req) ? exact->allowed[i]
                                                                : placement->nodes);

    if (placement->outcome != XA_OUTCOME_PLANNED)
      continue;
    memcpy (&exact->best_mib[(gsize) i * exact->n_nodes], placement->mib_by_node,
            sizeof (guint64) * exact->n_nodes);
    exact->best_nodes[i] = placement->nodes;
    exact->best.admitted[exact->level_of[i]]++;
    exact->best.singles += count == 1 ? 1 : 0;
    /* the search counts no nodes under a pinned VM */
    if (!xa_request_is_pinned (req) && count > 1)
      exact->best.split_nodes += count;
  }
}

/**
 * xa_exact_write_plan:
 * @exact: a search that found a better plan than its seed
 * @plan: the seed, rewritten with that plan; its rejected VMs stay so
 */
void
xa_exact_write_plan (const XaExact *exact, XaPlan *plan)
{
  for (guint k = 0; k < exact->n_vms; k++) {
    guint i = exact->order[k];
    const XaRequest *req = g_ptr_array_index (exact->requests, i);
    XaPlacement *placement = &plan->placements[i];
    const guint64 *mib = &exact->best_mib[(gsize) i * exact->n_nodes];

    placement->nodes = exact->best_nodes[i];
    memcpy (placement->mib_by_node, mib, sizeof (guint64) * exact->n_nodes);
    if (xa_mem_sum (mib, xa_nodeset_all (exact->n_nodes), exact->n_nodes) == 0) {
      xa_placement_defer (placement, exact->topo, exact->best_rem_mib, exact->allowed[i],
                          xa_request_is_pinned (req), exact->need_mib[i]);
      continue;
    }
    placement->outcome = XA_OUTCOME_PLANNED;
    g_clear_pointer (&placement->reason, g_free);
  }
}

void
xa_exact_clear (XaExact *exact)
{
  for (guint l = 0; l < exact->n_levels; l++)
    g_free (exact->smallest_sum[l]);
  g_free (exact->smallest_sum);
  g_free (exact->level_start);
  g_free (exact->level_end);
  g_free (exact->pinned_spread_from);
  g_free (exact->need_mib);
  g_free (exact->allowed);
  g_free (exact->order);
  g_free (exact->by_size);
  g_free (exact->level_of);
  g_free (exact->pos_of);
  g_free (exact->mib);
  g_free (exact->best_mib);
  g_free (exact->nodes);
  g_free (exact->splits);
  g_free (exact->best_nodes);
  g_free (exact->rem_mib);
  g_free (exact->best_rem_mib);
  g_free (exact->twins);
  g_free (exact->now.admitted);
  g_free (exact->best.admitted);
  g_free (exact->bound.admitted);
}
