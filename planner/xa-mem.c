/* SPDX-License-Identifier: LGPL-2.1-or-later */
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
 * @room_mib: (array) (nullable): the most each node may take; %NULL for
 *   no limit
 * @nodes: the nodes to spread over
 * @need_mib: what to spread
 * @mib_by_node: (array): zeros in, the share of each node out
 *
 * Spreads @need_mib over @nodes evenly, as Xen's allocator does across a
 * domain's node affinity: nodes with less room than their share give all
 * they have and the rest is split evenly over the others.
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
      if (room_mib != NULL && xa_nodeset_has (open, n) && room_mib[n] - mib_by_node[n] <= share) {
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

/* A pinned VM's memory lands on the nodes of its CPUs; it is spread in
 * proportion to their free memory, or evenly where they have too little
 * (the xenopsd policies place it all the same). */
void
xa_mem_split_by_free (guint n_nodes, const guint64 *free_mib, XaNodeSet nodes, guint64 need_mib,
                      guint64 *mib_by_node)
{
  guint64 have = xa_mem_sum (free_mib, nodes, n_nodes);
  guint64 left = need_mib;

  if (have < need_mib) {
    xa_mem_split_evenly (n_nodes, NULL, nodes, need_mib, mib_by_node);
    return;
  }
  for (guint n = 0; n < n_nodes; n++) {
    if (!xa_nodeset_has (nodes, n))
      continue;
    mib_by_node[n] = (guint64) (((unsigned __int128) need_mib * free_mib[n]) / have);
    left -= mib_by_node[n];
  }
  for (guint n = 0; n < n_nodes && left > 0; n++) {
    guint64 room = xa_nodeset_has (nodes, n) ? free_mib[n] - mib_by_node[n] : 0;
    guint64 more = MIN (room, left);

    mib_by_node[n] += more;
    left -= more;
  }
}

/* Returns a reason when @req can never fit this host, NULL otherwise. */
gchar *
xa_mem_why_never_fits (const XaTopology *topo, const XaRequest *req, XaNodeSet allowed)
{
  guint64 need = xa_mem_request_need_mib (topo, req);
  guint64 capacity = 0;
  guint n_cpus = xa_topology_n_cpus (topo);

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
  return NULL;
}
