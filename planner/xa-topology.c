/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-topology.h"

/**
 * xa_topology_distances_new_default:
 * @n_nodes: number of nodes
 *
 * Returns: (transfer full): an @n_nodes × @n_nodes table, 10 local and 20
 *   remote, the default when a host gives none
 */
guint32 *
xa_topology_distances_new_default (guint n_nodes)
{
  guint32 *distances = g_new (guint32, (gsize) n_nodes * n_nodes);

  for (guint i = 0; i < n_nodes; i++) {
    for (guint j = 0; j < n_nodes; j++)
      distances[i * n_nodes + j] = i == j ? XA_DISTANCE_LOCAL : XA_DISTANCE_REMOTE;
  }
  return distances;
}

/**
 * xa_topology_new:
 * @n_nodes: number of nodes
 *
 * Returns: (transfer full): a topology with empty nodes and the default
 *   distances (10 local, 20 remote)
 */
XaTopology *
xa_topology_new (guint n_nodes)
{
  XaTopology *topo;

  g_return_val_if_fail (n_nodes > 0 && n_nodes <= XA_MAX_NODES, NULL);

  topo = g_new0 (XaTopology, 1);
  topo->n_nodes = n_nodes;
  topo->nodes = g_new0 (XaNode, n_nodes);
  topo->distances = xa_topology_distances_new_default (n_nodes);
  for (guint i = 0; i < n_nodes; i++)
    topo->nodes[i].cpus = g_array_new (FALSE, FALSE, sizeof (guint));
  return topo;
}

/**
 * xa_topology_new_uniform:
 * @n_nodes: number of nodes
 * @mib_per_node: free memory of each node, and all it could ever offer
 * @cpus_per_node: logical CPUs of each node, numbered node by node
 * @cores_per_node: physical cores among them
 *
 * Returns: (transfer full): a topology of identical nodes with the default
 *   distances and no per-domain overhead
 */
XaTopology *
xa_topology_new_uniform (guint n_nodes, guint64 mib_per_node, guint cpus_per_node,
                         guint cores_per_node)
{
  XaTopology *topo;

  g_return_val_if_fail (n_nodes > 0 && n_nodes <= XA_MAX_NODES, NULL);

  topo = xa_topology_new (n_nodes);
  for (guint n = 0; n < n_nodes; n++) {
    topo->nodes[n].free_mib = topo->nodes[n].capacity_mib = mib_per_node;
    topo->nodes[n].n_cores = cores_per_node;
    for (guint c = 0; c < cpus_per_node; c++) {
      guint id = n * cpus_per_node + c;

      g_array_append_val (topo->nodes[n].cpus, id);
    }
  }
  return topo;
}

void
xa_topology_free (XaTopology *topo)
{
  if (topo == NULL)
    return;
  for (guint i = 0; i < topo->n_nodes; i++)
    g_array_unref (topo->nodes[i].cpus);
  g_free (topo->nodes);
  g_free (topo->distances);
  g_free (topo);
}

/**
 * xa_topology_usable_nodes:
 * @topo: a topology
 *
 * A node that is unreachable from itself has a broken SLIT row; as xenopsd
 * does, nothing is planned there.
 *
 * Returns: the nodes the planner may use
 */
XaNodeSet
xa_topology_usable_nodes (const XaTopology *topo)
{
  XaNodeSet usable = 0;

  for (guint n = 0; n < topo->n_nodes; n++) {
    if (xa_topology_distance (topo, n, n) != XA_DISTANCE_UNREACHABLE)
      usable |= XA_NODESET_BIT (n);
  }
  return usable;
}

guint
xa_topology_n_cpus (const XaTopology *topo)
{
  guint n_cpus = 0;

  for (guint n = 0; n < topo->n_nodes; n++)
    n_cpus += topo->nodes[n].cpus->len;
  return n_cpus;
}

/**
 * xa_topology_node_of_cpu:
 * @topo: a topology
 * @cpu: a logical CPU id
 *
 * Returns: the node holding @cpu, or -1 if the host has no such CPU
 */
gint
xa_topology_node_of_cpu (const XaTopology *topo, guint cpu)
{
  for (guint n = 0; n < topo->n_nodes; n++) {
    GArray *cpus = topo->nodes[n].cpus;

    for (guint i = 0; i < cpus->len; i++) {
      if (g_array_index (cpus, guint, i) == cpu)
        return (gint) n;
    }
  }
  return -1;
}

/**
 * xa_topology_distances_valid:
 * @distances: @n_nodes × @n_nodes, row-major
 * @n_nodes: the node count
 * @bad_from: (out) (optional): the row of the first bad entry
 * @bad_to: (out) (optional): its column
 *
 * docs/formats.md: a reachable distance (at most 255) is at least 10, and
 * exactly 10 on the diagonal.
 *
 * Returns: %TRUE if every reachable entry says so
 */
gboolean
xa_topology_distances_valid (const guint32 *distances, guint n_nodes, guint *bad_from,
                             guint *bad_to)
{
  for (guint i = 0; i < n_nodes; i++) {
    for (guint j = 0; j < n_nodes; j++) {
      guint32 d = distances[i * n_nodes + j];

      if (d > XA_DISTANCE_MAX_REACHABLE)
        continue;
      if (d < XA_DISTANCE_LOCAL || (i == j && d != XA_DISTANCE_LOCAL)) {
        if (bad_from != NULL)
          *bad_from = i;
        if (bad_to != NULL)
          *bad_to = j;
        return FALSE;
      }
    }
  }
  return TRUE;
}
