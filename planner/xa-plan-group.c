/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "xa-mem.h"
#include "xa-plan-group.h"

/*
 * A group's VMs (a vApp, an evacuation set) start together or not at all
 * (docs/design.md, "Groups"): a plan that places some VMs of a group but
 * not all is made again without that group, whose VMs wait, named after the
 * member that did not fit. Each round takes one group out, so a batch is
 * planned at most once more per group; one without groups, once.
 */

typedef struct {
  const XaTopology *topo;
  GPtrArray *requests;
  const XaPlanOptions *options;
  XaPlanGroupFunc plan_func;
  /* requests[kept[k]] is the k-th request planned in this round */
  GArray *kept;
  XaPlan *result;
} XaPlanGroups;

static const gchar *
xa_plan_group_of (const XaPlanGroups *groups, guint k)
{
  const XaRequest *req = g_ptr_array_index (groups->requests,
                                            g_array_index (groups->kept, guint, k));

  return req->group;
}

/* The MiB each group of @plan left out, of the groups that had a member
 * planned; the group that misses the most is the furthest from fitting,
 * so it goes first (@out_k: its first member left out). */
static gboolean
xa_plan_group_find_broken (const XaPlanGroups *groups, const XaPlan *plan, guint *out_k)
{
  g_autoptr(GHashTable) placed = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) missing = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  guint64 most = 0;

  for (guint k = 0; k < plan->n_placements; k++) {
    if (xa_plan_group_of (groups, k) != NULL &&
        plan->placements[k].outcome == XA_OUTCOME_PLANNED)
      g_hash_table_add (placed, (gpointer) xa_plan_group_of (groups, k));
  }
  for (guint k = 0; k < plan->n_placements && g_hash_table_size (placed) > 0; k++) {
    const gchar *group = xa_plan_group_of (groups, k);
    guint64 *sum;

    if (group == NULL || plan->placements[k].outcome == XA_OUTCOME_PLANNED ||
        !g_hash_table_contains (placed, group))
      continue;
    if ((sum = g_hash_table_lookup (missing, group)) == NULL) {
      sum = g_new0 (guint64, 1);
      g_hash_table_insert (missing, (gpointer) group, sum);
    }
    *sum += xa_mem_request_need_mib (groups->topo, g_ptr_array_index (
                                       groups->requests, g_array_index (groups->kept, guint, k)));
    if (*sum > most) {
      most = *sum;
      *out_k = k;
    }
  }
  return most > 0;
}

/* The placement a plan of the kept requests gave, into the whole plan. */
static void
xa_plan_group_take (XaPlanGroups *groups, XaPlacement *from, guint index)
{
  XaPlacement *to = &groups->result->placements[index];

  to->outcome = from->outcome;
  to->nodes = from->nodes;
  memcpy (to->mib_by_node, from->mib_by_node, sizeof (guint64) * groups->topo->n_nodes);
  g_free (to->reason);
  to->reason = g_steal_pointer (&from->reason);
}

/* Every kept member of @missing's group waits (or can never start, where
 * @missing never can), and leaves the kept requests. */
static void
xa_plan_group_drop (XaPlanGroups *groups, const XaPlan *plan, guint missing)
{
  const XaPlacement *why = &plan->placements[missing];
  const XaRequest *member = g_ptr_array_index (groups->requests,
                                               g_array_index (groups->kept, guint, missing));
  g_autofree gchar *group = g_strdup (member->group);
  g_autofree gchar *reason = g_strdup_printf ("its group \"%s\" starts as a whole or not at "
                                              "all, and %s cannot start now: %s", group,
                                              member->name, why->reason);

  for (guint k = groups->kept->len; k-- > 0;) {
    guint index = g_array_index (groups->kept, guint, k);
    XaPlacement *to = &groups->result->placements[index];

    if (g_strcmp0 (xa_plan_group_of (groups, k), group) != 0)
      continue;
    to->outcome = why->outcome == XA_OUTCOME_REJECTED ? XA_OUTCOME_REJECTED
                                                      : XA_OUTCOME_DEFERRED;
    g_free (to->reason);
    to->reason = g_strdup (reason);
    g_array_remove_index (groups->kept, k);
  }
}

static XaPlan *
xa_plan_group_round (XaPlanGroups *groups)
{
  g_autoptr(GPtrArray) kept = g_ptr_array_sized_new (groups->kept->len);

  for (guint k = 0; k < groups->kept->len; k++)
    g_ptr_array_add (kept, g_ptr_array_index (groups->requests,
                                              g_array_index (groups->kept, guint, k)));
  return groups->plan_func (groups->topo, kept, groups->options);
}

/**
 * xa_plan_whole_groups:
 * @topo: the host
 * @requests: (element-type XaRequest): the batch
 * @options: how to plan
 * @plan_func: the policy's planner
 *
 * Returns: (transfer full): @plan_func's plan, in which no group has
 *   some VMs planned and others not
 */
XaPlan *
xa_plan_whole_groups (const XaTopology *topo, GPtrArray *requests, const XaPlanOptions *options,
                      XaPlanGroupFunc plan_func)
{
  XaPlanGroups groups = { topo, requests, options, plan_func,
                          g_array_sized_new (FALSE, FALSE, sizeof (guint), requests->len),
                          xa_plan_new (topo->n_nodes, requests->len) };
  XaPlanOptimal optimal = XA_PLAN_OPTIMAL_UNKNOWN;
  gboolean dropped = FALSE;

  for (guint i = 0; i < requests->len; i++)
    g_array_append_val (groups.kept, i);
  while (groups.kept->len > 0) {
    g_autoptr(XaPlan) plan = xa_plan_group_round (&groups);
    guint missing = 0;

    optimal = plan->optimal;
    if (!xa_plan_group_find_broken (&groups, plan, &missing)) {
      for (guint k = 0; k < groups.kept->len; k++)
        xa_plan_group_take (&groups, &plan->placements[k], g_array_index (groups.kept, guint, k));
      break;
    }
    xa_plan_group_drop (&groups, plan, missing);
    dropped = TRUE;
  }
  /* best for the groups kept, which need not be best for the batch */
  groups.result->optimal = dropped && optimal == XA_PLAN_OPTIMAL_PROVEN
                             ? XA_PLAN_OPTIMAL_UNPROVEN : optimal;
  g_array_unref (groups.kept);
  return groups.result;
}
