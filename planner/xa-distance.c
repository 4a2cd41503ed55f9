/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-distance.h"

/**
 * xa_distance_of_set:
 * @topo: the host
 * @nodes: a node set
 * @out_max: (out): the largest distance within @nodes,
 *   %XA_DISTANCE_UNREACHABLE when a pair has no path
 * @out_sum: (out): the sum of the distances
 *
 * Takes all |S|² ordered pairs, a = b included, as xenopsd does.
 */
void
xa_distance_of_set (const XaTopology *topo, XaNodeSet nodes, guint32 *out_max, guint64 *out_sum)
{
  *out_max = 0;
  *out_sum = 0;
  for (XaNodeSet a = nodes; a != 0; a &= a - 1) {
    for (XaNodeSet b = nodes; b != 0; b &= b - 1) {
      guint32 d = xa_topology_distance (topo, (guint) __builtin_ctzll (a),
                                        (guint) __builtin_ctzll (b));

      *out_max = MAX (*out_max, d);
      *out_sum += d;
    }
  }
}

/* Whether every two nodes of @nodes reach each other. */
gboolean
xa_distance_is_reachable (const XaTopology *topo, XaNodeSet nodes)
{
  guint32 max;
  guint64 sum;

  xa_distance_of_set (topo, nodes, &max, &sum);
  return max != XA_DISTANCE_UNREACHABLE;
}

/* Sets a search of mutually reachable nodes may weigh before it gives up
 * (only a contrived distance table on many nodes needs more). */
#define XA_DISTANCE_REACH_STEPS 100000

typedef struct {
  const guint64 *mib;
  XaNodeSet reach[XA_MAX_NODES];
  guint64 enough_mib;
  XaNodeSet best;
  guint64 best_mib;
  guint steps;
} XaReachSearch;

/* Grows @chosen by the candidates that reach every node of it: with a node,
 * then without it, while the candidates could still beat the best. */
static void
xa_distance_reach_search (XaReachSearch *search, XaNodeSet chosen, guint64 have_mib,
                          XaNodeSet candidates)
{
  guint64 could_mib = have_mib;
  guint node;

  if (have_mib > search->best_mib || search->best == 0) {
    search->best = chosen;
    search->best_mib = have_mib;
  }
  for (XaNodeSet c = candidates; c != 0; c &= c - 1)
    could_mib += search->mib[__builtin_ctzll (c)];
  if (candidates == 0 || search->best_mib >= search->enough_mib || could_mib <= search->best_mib ||
      search->steps == 0)
    return;
  search->steps--;
  node = (guint) __builtin_ctzll (candidates);
  xa_distance_reach_search (search, chosen | XA_NODESET_BIT (node), have_mib + search->mib[node],
                            candidates & search->reach[node]);
  xa_distance_reach_search (search, chosen, have_mib, candidates & ~XA_NODESET_BIT (node));
}

/**
 * xa_distance_largest_reachable:
 * @topo: the host
 * @nodes: the nodes to choose from
 * @mib: (array): MiB per node
 * @enough_mib: stop once a set holds this much
 * @out_set: (out): the set of @nodes, every two of which reach each other,
 *   that holds the most MiB (or at least @enough_mib)
 * @out_mib: (out): what it holds
 *
 * A VM's memory must be on nodes that can all reach each other; with
 * unreachable pairs in the table, this finds the most such a set holds.
 *
 * Returns: %FALSE if the search ran out of steps before it knew
 */
gboolean
xa_distance_largest_reachable (const XaTopology *topo, XaNodeSet nodes, const guint64 *mib,
                               guint64 enough_mib, XaNodeSet *out_set, guint64 *out_mib)
{
  XaReachSearch search = { mib, { 0 }, enough_mib, 0, 0, XA_DISTANCE_REACH_STEPS };

  for (XaNodeSet a = nodes; a != 0; a &= a - 1) {
    guint na = (guint) __builtin_ctzll (a);

    for (XaNodeSet b = nodes; b != 0; b &= b - 1) {
      guint nb = (guint) __builtin_ctzll (b);

      if (na != nb && xa_topology_distance (topo, na, nb) != XA_DISTANCE_UNREACHABLE &&
          xa_topology_distance (topo, nb, na) != XA_DISTANCE_UNREACHABLE)
        search.reach[na] |= XA_NODESET_BIT (nb);
    }
  }
  xa_distance_reach_search (&search, 0, 0, nodes);
  *out_set = search.best;
  *out_mib = search.best_mib;
  return search.best_mib >= enough_mib || search.steps > 0;
}
