/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "xa-nodeset.h"

G_BEGIN_DECLS

/* Distances above 255 (0xFFFFFFFF, -1 in a file) mean "no path". */
#define XA_DISTANCE_MAX_REACHABLE 255
#define XA_DISTANCE_UNREACHABLE G_MAXUINT32
#define XA_DISTANCE_LOCAL 10
#define XA_DISTANCE_REMOTE 20

/**
 * XaNode:
 * @free_mib: what the planner may use: host free memory net of in-flight claims
 * @capacity_mib: total memory minus resident domains: the most this node
 *   could ever offer, which decides between deferred and rejected
 * @cpus: (element-type guint): logical CPU ids
 * @n_cores: physical cores among @cpus
 * @vcpus_placed: vCPUs of domains already on this node
 */
typedef struct {
  guint64 free_mib;
  guint64 capacity_mib;
  GArray *cpus;
  guint n_cores;
  guint vcpus_placed;
} XaNode;

/**
 * XaTopology:
 * @n_nodes: number of nodes, at most %XA_MAX_NODES
 * @nodes: the nodes, node i at index i
 * @distances: @n_nodes × @n_nodes, row-major, %XA_DISTANCE_UNREACHABLE for no path
 * @overhead_mib_per_vm: what Xen takes for a domain beyond its memory
 * @overhead_kib_per_vcpu: and for each of its vCPUs
 * @node_claims: the hypervisor can claim memory on one node (XenServer's
 *   patched Xen); stock Xen 4.17 claims host-wide only
 */
typedef struct {
  guint n_nodes;
  XaNode *nodes;
  guint32 *distances;
  guint64 overhead_mib_per_vm;
  guint64 overhead_kib_per_vcpu;
  gboolean node_claims;
} XaTopology;

guint32 *xa_topology_distances_new_default (guint n_nodes);
XaTopology *xa_topology_new (guint n_nodes);
XaTopology *xa_topology_new_uniform (guint   n_nodes,
                                     guint64 mib_per_node,
                                     guint   cpus_per_node,
                                     guint   cores_per_node);
void xa_topology_free (XaTopology *topo);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XaTopology, xa_topology_free)

static inline guint32
xa_topology_distance (const XaTopology *topo, guint from, guint to)
{
  return topo->distances[from * topo->n_nodes + to];
}

XaNodeSet xa_topology_usable_nodes (const XaTopology *topo);
guint xa_topology_n_cpus (const XaTopology *topo);
gint xa_topology_node_of_cpu (const XaTopology *topo,
                              guint             cpu);

gboolean xa_topology_distances_valid (const guint32 *distances,
                                      guint          n_nodes,
                                      guint         *bad_from,
                                      guint         *bad_to);

G_END_DECLS
