/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "xa-distance.h"
#include "xa-mem.h"
#include "xa-text.h"

/**
 * xa_mem_need_mib:
 * @memory_mib: a VM's memory
 * @vcpus: its vCPUs
 * @overhead_mib_per_vm: what Xen takes for a domain beyond its memory
 * @overhead_kib_per_vcpu: and for each of its vCPUs
 *
 * Returns: what the VM takes on the host: its memory and Xen's overhead for
 *   it, rounded up to a MiB
 */
guint64
xa_mem_need_mib (guint64 memory_mib, guint vcpus, guint64 overhead_mib_per_vm,
                 guint64 overhead_kib_per_vcpu)
{
  guint64 vcpu_kib = overhead_kib_per_vcpu * vcpus;

  return memory_mib + overhead_mib_per_vm + (vcpu_kib + 1023) / 1024;
}

/**
 * xa_mem_request_need_mib:
 * @topo: the host, for its overhead rates
 * @req: a VM
 *
 * Returns: xa_mem_need_mib() of @req on @topo
 */
guint64
xa_mem_request_need_mib (const XaTopology *topo, const XaRequest *req)
{
  return xa_mem_need_mib (req->memory_mib, req->vcpus, topo->overhead_mib_per_vm,
                          topo->overhead_kib_per_vcpu);
}

/**
 * xa_mem_is_local:
 * @mib_by_node: (array length=n_nodes): a VM's memory on each node
 * @n_nodes: the host's node count
 *
 * docs/formats.md calls a VM local when at least %XA_LOCAL_PERCENT % of its
 * memory is on one node.
 *
 * Returns: %TRUE if the VM has memory and it is local
 */
gboolean
xa_mem_is_local (const guint64 *mib_by_node, guint n_nodes)
{
  guint64 total = 0;
  guint64 largest = 0;

  for (guint n = 0; n < n_nodes; n++) {
    total += mib_by_node[n];
    largest = MAX (largest, mib_by_node[n]);
  }
  return total > 0 && largest * 100 >= total * XA_LOCAL_PERCENT;
}

/**
 * xa_mem_spilled_mib:
 * @mib_by_node: (array length=n_nodes): a VM's memory on each node
 * @planned: the nodes it was planned on; 0 for none (pinned, or no plan)
 * @n_nodes: the host's node count
 *
 * docs/formats.md, Locality: a VM spilled when more of its memory is
 * outside @planned than a local VM may have off its node.
 *
 * Returns: that memory if the VM spilled, else 0
 */
guint64
xa_mem_spilled_mib (const guint64 *mib_by_node, XaNodeSet planned, guint n_nodes)
{
  guint64 total = 0;
  guint64 outside = 0;

  for (guint n = 0; n < n_nodes; n++) {
    total += mib_by_node[n];
    if (planned != 0 && !xa_nodeset_has (planned, n))
      outside += mib_by_node[n];
  }
  return outside * 100 > total * (100 - XA_LOCAL_PERCENT) ? outside : 0;
}

guint64
xa_mem_sum (const guint64 *per_node, XaNodeSet nodes, guint n_nodes)
{
  guint64 sum = 0;

  for (guint n = 0; n < n_nodes; n++) {
    if (xa_nodeset_has (nodes, n))
      sum += per_node[n];
  }
  return sum;
}

/**
 * xa_mem_guest_by_node:
 * @n_nodes: the host's nodes
 * @need_by_node: (array length=n_nodes): a VM's planned MiB per node, its
 *   overhead included
 * @memory_mib: the VM's own memory, what its build populates
 * @guest_by_node: (array length=n_nodes) (out caller-allocates): where that
 *   memory goes, adding up to @memory_mib
 *
 * The overhead is Xen's, not the guest's (docs/design.md, "The xenguest
 * helper"): it comes off the node with the most, then the next, where it
 * fits; a plan short of @memory_mib gets the rest on its largest node.
 */
void
xa_mem_guest_by_node (guint n_nodes, const guint64 *need_by_node, guint64 memory_mib,
                      guint64 *guest_by_node)
{
  guint64 planned = xa_mem_sum (need_by_node, xa_nodeset_all (n_nodes), n_nodes);
  guint64 excess = planned > memory_mib ? planned - memory_mib : 0;

  memcpy (guest_by_node, need_by_node, sizeof (guint64) * n_nodes);
  do {
    guint largest = 0;
    guint64 take;

    for (guint n = 1; n < n_nodes; n++) {
      if (guest_by_node[n] > guest_by_node[largest])
        largest = n;
    }
    if (planned < memory_mib) {
      guest_by_node[largest] += memory_mib - planned;
      return;
    }
    take = MIN (excess, guest_by_node[largest]);
    guest_by_node[largest] -= take;
    excess -= take;
  } while (excess > 0);
}

/* The last tie-break of every planner order: the lower index first. */
gint
xa_mem_compare_index (guint a, guint b)
{
  return a < b ? -1 : (a > b ? 1 : 0);
}

/**
 * xa_mem_compare_size:
 * @a: (type guint): an index into @user_data
 * @b: (type guint): another
 * @user_data: (array) (element-type guint64): MiB per index
 *
 * Orders indices by their MiB, the smallest first, then by index.
 *
 * Returns: as for #GCompareDataFunc
 */
gint
xa_mem_compare_size (gconstpointer a, gconstpointer b, gpointer user_data)
{
  const guint64 *mib = user_data;
  guint ia = *(const guint *) a;
  guint ib = *(const guint *) b;

  if (mib[ia] != mib[ib])
    return mib[ia] < mib[ib] ? -1 : 1;
  return xa_mem_compare_index (ia, ib);
}

/**
 * xa_mem_split_evenly:
 * @n_nodes: the host's node count
 * @room_mib: (array): the most each node may take
 * @nodes: the nodes to spread over
 * @need_mib: what to spread
 * @mib_by_node: (array): zeros in, the share of each node out
 *
 * Spreads @need_mib over @nodes evenly, the exact MiB per node that a plan
 * over several nodes passes to the build: nodes with less room than their
 * share give all they have and the rest is split evenly over the others.
 */
void
xa_mem_split_evenly (guint n_nodes, const guint64 *room_mib, XaNodeSet nodes, guint64 need_mib,
                     guint64 *mib_by_node)
{
  XaNodeSet open = nodes;
  guint64 left = need_mib;

  while (left > 0 && open != 0) {
    guint n_open = xa_nodeset_count (open);
    guint64 share = left / n_open;
    guint64 extra = left % n_open;
    gboolean capped = FALSE;

    for (guint n = 0; n < n_nodes; n++) {
      if (xa_nodeset_has (open, n) && room_mib[n] - mib_by_node[n] <= share) {
        left -= room_mib[n] - mib_by_node[n];
        mib_by_node[n] = room_mib[n];
        open &= ~XA_NODESET_BIT (n);
        capped = TRUE;
      }
    }
    if (capped)
      continue;
    for (guint n = 0; n < n_nodes; n++) {
      if (!xa_nodeset_has (open, n))
        continue;
      mib_by_node[n] += share + (extra > 0 ? 1 : 0);
      extra -= extra > 0 ? 1 : 0;
    }
    left = 0;
  }
}

/* Xen's allocator deals memory in extents of this size, 2 MiB superpages;
 * where no node has a whole one, smaller pages fill in (1 MiB here). */
#define XA_MEM_EXTENT_MIB G_GUINT64_CONSTANT (2)

/* The nodes of @nodes with room left for an extent of @extent_mib. */
static XaNodeSet
xa_mem_givers (guint n_nodes, const guint64 *room_mib, XaNodeSet nodes,
               const guint64 *mib_by_node, guint64 extent_mib)
{
  XaNodeSet givers = 0;

  for (guint n = 0; n < n_nodes; n++) {
    if (xa_nodeset_has (nodes, n) &&
        (room_mib == NULL || room_mib[n] - mib_by_node[n] >= extent_mib))
      givers |= XA_NODESET_BIT (n);
  }
  return givers;
}

/* The first node of @givers from @turn on, cyclically. */
static guint
xa_mem_next_in_turn (XaNodeSet givers, guint turn)
{
  XaNodeSet after = turn < XA_MAX_NODES ? givers & ~(XA_NODESET_BIT (turn) - 1) : 0;

  return (guint) __builtin_ctzll (after != 0 ? after : givers);
}

/* Whole rounds of one extent per node of @givers, as many as all of them
 * can give and @left asks for; whole rounds do not move the turn. */
static guint64
xa_mem_deal_rounds (guint n_nodes, const guint64 *room_mib, XaNodeSet givers, guint64 left,
                    guint64 *mib_by_node)
{
  guint64 rounds = left / (xa_nodeset_count (givers) * XA_MEM_EXTENT_MIB);

  for (guint n = 0; n < n_nodes && room_mib != NULL; n++) {
    if (xa_nodeset_has (givers, n))
      rounds = MIN (rounds, (room_mib[n] - mib_by_node[n]) / XA_MEM_EXTENT_MIB);
  }
  for (guint n = 0; n < n_nodes; n++) {
    if (xa_nodeset_has (givers, n))
      mib_by_node[n] += rounds * XA_MEM_EXTENT_MIB;
  }
  return rounds * XA_MEM_EXTENT_MIB * xa_nodeset_count (givers);
}

/**
 * xa_mem_deal_extents:
 * @n_nodes: the host's node count
 * @room_mib: (array) (nullable): the most each node may give; %NULL for no
 *   limit
 * @nodes: the domain's affine nodes
 * @need_mib: what to place
 * @mib_by_node: (array) (out caller-allocates): the share of each node
 *
 * Predicts where Xen's allocator puts a new domain's memory when nothing
 * gives it exact ranges (docs/design.md, "Xen 4.17's allocator"): extent by
 * extent over @nodes in turn, from node 0 on, skipping a node that has no
 * room for the extent. It never spills beyond @nodes.
 *
 * Returns: the MiB that @nodes could not take, 0 when all of it fits
 */
guint64
xa_mem_deal_extents (guint n_nodes, const guint64 *room_mib, XaNodeSet nodes, guint64 need_mib,
                     guint64 *mib_by_node)
{
  guint64 left = need_mib;
  guint turn = 0;

  memset (mib_by_node, 0, sizeof (guint64) * n_nodes);
  while (left > 0) {
    XaNodeSet givers = xa_mem_givers (n_nodes, room_mib, nodes, mib_by_node, XA_MEM_EXTENT_MIB);
    guint64 extent = MIN (left, XA_MEM_EXTENT_MIB);
    guint node;

    if (givers != 0 && left >= xa_nodeset_count (givers) * XA_MEM_EXTENT_MIB) {
      left -= xa_mem_deal_rounds (n_nodes, room_mib, givers, left, mib_by_node);
      continue;
    }
    if (givers == 0 || extent < XA_MEM_EXTENT_MIB) {
      extent = 1;
      givers = xa_mem_givers (n_nodes, room_mib, nodes, mib_by_node, extent);
    }
    if (givers == 0)
      break;
    node = xa_mem_next_in_turn (givers, turn);
    mib_by_node[node] += extent;
    left -= extent;
    turn = node + 1;
  }
  return left;
}

/* Returns a reason when no set of @allowed whose nodes all reach each
 * other can ever hold @need_mib, NULL otherwise. */
static gchar *
xa_mem_why_unreachable (const XaTopology *topo, XaNodeSet allowed, guint64 need_mib)
{
  guint64 capacity[XA_MAX_NODES];
  g_autofree gchar *nodes = NULL;
  XaNodeSet set;
  guint64 most;

  for (guint n = 0; n < topo->n_nodes; n++) {
    capacity[n] = topo->nodes[n].capacity_mib;
    /* one node reaches itself: most VMs need no search */
    if (xa_nodeset_has (allowed, n) && capacity[n] >= need_mib)
      return NULL;
  }
  if (!xa_distance_largest_reachable (topo, allowed, capacity, need_mib, &set, &most) ||
      most >= need_mib)
    return NULL;
  nodes = xa_nodeset_format (set);
  return g_strdup_printf ("it needs %" G_GUINT64_FORMAT " MiB with overhead on nodes that can "
                          "all reach each other, but the largest such set of its nodes (%s) "
                          "holds at most %" G_GUINT64_FORMAT " MiB beside the resident domains",
                          need_mib, nodes, most);
}

/**
 * xa_mem_why_never_fits:
 * @topo: the host
 * @req: a VM
 * @allowed: the nodes it may use, xa_request_allowed_nodes()
 *
 * The one place every policy asks whether a VM is rejected
 * (docs/formats.md, "Rejected and deferred"). A pinned VM's memory goes
 * where its CPUs are; any other VM needs nodes that reach each other.
 *
 * Returns: (transfer full) (nullable): why @req can never fit this host,
 *   or %NULL
 */
gchar *
xa_mem_why_never_fits (const XaTopology *topo, const XaRequest *req, XaNodeSet allowed)
{
  guint64 need = xa_mem_request_need_mib (topo, req);
  guint64 capacity = 0;
  guint n_cpus = xa_topology_n_cpus (topo);
  gchar *not_on_host = xa_request_why_not_on_host (req, topo);

  if (not_on_host != NULL)
    return not_on_host;
  for (guint n = 0; n < topo->n_nodes; n++) {
    if (xa_nodeset_has (allowed, n))
      capacity += topo->nodes[n].capacity_mib;
  }
  if (req->vcpus > n_cpus)
    return g_strdup_printf ("it has %u vCPUs, but the host has %u %s", req->vcpus, n_cpus,
                            xa_text_plural (n_cpus, "CPU", "CPUs"));
  if (allowed == 0)
    return g_strdup ("none of the nodes it may use is usable on this host");
  if (need > capacity) {
    g_autofree gchar *nodes = xa_nodeset_format (allowed);

    return g_strdup_printf ("it needs %" G_GUINT64_FORMAT " MiB with overhead, but "
                            "its nodes (%s) hold at most %" G_GUINT64_FORMAT " MiB "
                            "beside the resident domains",
                            need, nodes, capacity);
  }
  if (!xa_request_is_pinned (req))
    return xa_mem_why_unreachable (topo, allowed, need);
  return NULL;
}
