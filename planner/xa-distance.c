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
