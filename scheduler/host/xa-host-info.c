/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "xa-host-info.h"

/**
 * xa_host_info_new:
 * @name: the host's name
 * @n_nodes: its node count
 *
 * Returns: (transfer full): a host with empty nodes, default distances and
 *   the default rates and overheads of docs/formats.md
 */
XaHostInfo *
xa_host_info_new (const gchar *name, guint n_nodes)
{
  XaHostInfo *info = g_new0 (XaHostInfo, 1);

  info->name = g_strdup (name);
  info->n_nodes = n_nodes;
  info->nodes = g_new0 (XaHostNode, n_nodes);
  info->distances = xa_topology_distances_new_default (n_nodes);
  for (guint i = 0; i < n_nodes; i++)
    info->nodes[i].cpus = g_array_new (FALSE, FALSE, sizeof (guint));
  info->populate_mib_per_s = 2048;
  info->bandwidth_mib_per_s = 16384;
  info->scrub_mib_per_s = 4096;
  info->overhead_mib_per_vm = 1;
  /* 294 pages of 4 KiB per vCPU on Xen 4.17 */
  info->overhead_kib_per_vcpu = 1176;
  info->domains = g_ptr_array_new_with_free_func ((GDestroyNotify) xa_host_domain_free);
  return info;
}

/**
 * xa_host_info_copy_nodes:
 * @info: a host
 *
 * Returns: (transfer full): a deep copy of @info without its domains and
 *   their loads
 */
XaHostInfo *
xa_host_info_copy_nodes (const XaHostInfo *info)
{
  XaHostInfo *copy = g_memdup2 (info, sizeof (XaHostInfo));

  copy->name = g_strdup (info->name);
  copy->uuid = g_strdup (info->uuid);
  copy->nodes = g_memdup2 (info->nodes, sizeof (XaHostNode) * info->n_nodes);
  copy->distances = g_memdup2 (info->distances, sizeof (guint32) * info->n_nodes * info->n_nodes);
  copy->domains = g_ptr_array_new_with_free_func ((GDestroyNotify) xa_host_domain_free);
  copy->loads = NULL;
  for (guint n = 0; n < info->n_nodes; n++)
    copy->nodes[n].cpus = g_array_copy (info->nodes[n].cpus);
  return copy;
}

/**
 * xa_host_info_copy:
 * @info: a host
 *
 * Returns: (transfer full): a deep copy of @info
 */
XaHostInfo *
xa_host_info_copy (const XaHostInfo *info)
{
  XaHostInfo *copy = xa_host_info_copy_nodes (info);

  if (info->loads != NULL)
    copy->loads = g_memdup2 (info->loads, sizeof (XaHostNodeLoad) * info->n_nodes);
  for (guint i = 0; i < info->domains->len; i++)
    g_ptr_array_add (copy->domains,
                     xa_host_domain_copy (g_ptr_array_index (info->domains, i), info->n_nodes));
  return copy;
}

void
xa_host_info_free (XaHostInfo *info)
{
  if (info == NULL)
    return;
  for (guint i = 0; i < info->n_nodes; i++)
    g_array_unref (info->nodes[i].cpus);
  g_free (info->nodes);
  g_free (info->distances);
  g_ptr_array_unref (info->domains);
  g_free (info->loads);
  g_free (info->name);
  g_free (info->uuid);
  g_free (info);
}

XaHostDomain *
xa_host_domain_new (const gchar *name, guint vcpus, guint n_nodes)
{
  XaHostDomain *domain = g_new0 (XaHostDomain, 1);

  domain->name = g_strdup (name);
  domain->vcpus = vcpus;
  domain->memory_by_node_mib = g_new0 (guint64, n_nodes);
  domain->claim_node = -1;
  return domain;
}

XaHostDomain *
xa_host_domain_copy (const XaHostDomain *domain, guint n_nodes)
{
  XaHostDomain *dup = xa_host_domain_new (domain->name, domain->vcpus, n_nodes);

  memcpy (dup->memory_by_node_mib, domain->memory_by_node_mib, sizeof (guint64) * n_nodes);
  dup->uuid = g_strdup (domain->uuid);
  dup->domid = domain->domid;
  dup->claim_mib = domain->claim_mib;
  dup->claim_node = domain->claim_node;
  dup->estimated = domain->estimated;
  dup->unfinished = domain->unfinished;
  dup->paused = domain->paused;
  dup->down = g_strdup (domain->down);
  return dup;
}

void
xa_host_domain_free (XaHostDomain *domain)
{
  if (domain == NULL)
    return;
  g_free (domain->name);
  g_free (domain->uuid);
  g_free (domain->memory_by_node_mib);
  g_free (domain->down);
  g_free (domain);
}

/**
 * xa_host_info_domains_mib:
 * @info: a host
 * @node: a node
 *
 * Returns: the memory the resident domains hold on @node, %G_MAXUINT64 when
 *   that is more
 */
guint64
xa_host_info_domains_mib (const XaHostInfo *info, guint node)
{
  guint64 sum = 0;

  for (guint i = 0; i < info->domains->len; i++) {
    const XaHostDomain *domain = g_ptr_array_index (info->domains, i);

    /* saturated: the domains of a host file may add up past 2^64, which
     * is more than any node's memory, not a small sum */
    if (!g_uint64_checked_add (&sum, sum, domain->memory_by_node_mib[node]))
      return G_MAXUINT64;
  }
  return sum;
}

guint64
xa_host_domain_total_mib (const XaHostDomain *domain, guint n_nodes)
{
  guint64 total = 0;

  for (guint n = 0; n < n_nodes; n++)
    total += domain->memory_by_node_mib[n];
  return total;
}

/**
 * xa_host_info_find_domain:
 * @info: a host
 * @uuid: a domain handle
 *
 * Returns: (transfer none) (nullable): the domain with that handle
 */
const XaHostDomain *
xa_host_info_find_domain (const XaHostInfo *info, const gchar *uuid)
{
  for (guint i = 0; i < info->domains->len; i++) {
    const XaHostDomain *domain = g_ptr_array_index (info->domains, i);

    if (g_strcmp0 (domain->uuid, uuid) == 0)
      return domain;
  }
  return NULL;
}

/* Cuts @domain to the @room each node has left, and puts what a node could
 * not hold on those with room, in ascending node id, as Xen's allocator
 * spills: the domain keeps its total wherever the host has room for it. */
static void
xa_host_domain_fit (XaHostDomain *domain, guint64 *room, guint n_nodes)
{
  guint64 *mib = domain->memory_by_node_mib;
  guint64 cut = 0;

  for (guint n = 0; n < n_nodes; n++) {
    guint64 keep = MIN (mib[n], room[n]);

    cut += mib[n] - keep;
    mib[n] = keep;
    room[n] -= keep;
  }
  for (guint n = 0; n < n_nodes && cut > 0; n++) {
    guint64 more = MIN (cut, room[n]);

    mib[n] += more;
    room[n] -= more;
    cut -= more;
  }
}

/**
 * xa_host_info_fit_domains:
 * @info: a host
 *
 * Fits the domains' memory per node to what each node holds (its memory
 * minus its free memory), so that @info passes the host file's checks: the
 * counted domains first, then the estimated ones. A backend whose counts
 * are rounded up or estimated calls it.
 */
void
xa_host_info_fit_domains (XaHostInfo *info)
{
  g_autofree guint64 *room = g_new0 (guint64, info->n_nodes);

  for (guint n = 0; n < info->n_nodes; n++)
    room[n] = info->nodes[n].total_mib - info->nodes[n].free_mib;
  for (guint pass = 0; pass < 2; pass++) {
    for (guint i = 0; i < info->domains->len; i++) {
      XaHostDomain *domain = g_ptr_array_index (info->domains, i);

      if (domain->estimated == (pass == 1))
        xa_host_domain_fit (domain, room, info->n_nodes);
    }
  }
}

/* A domain's vCPUs count on the node that holds most of its memory. */
static guint
xa_host_domain_home_node (const XaHostDomain *domain, guint n_nodes)
{
  guint home = 0;

  for (guint n = 1; n < n_nodes; n++) {
    if (domain->memory_by_node_mib[n] > domain->memory_by_node_mib[home])
      home = n;
  }
  return home;
}

/* What stays resident whatever is admitted is the memory of the domains
 * without a handle (dom0, those a host file lists). VMs with a handle may
 * go away; what they hold makes a request wait, not fail for good. */
static void
xa_host_load_count (XaHostNodeLoad *loads, const XaHostDomain *domain, guint n_nodes,
                    gboolean add)
{
  XaHostNodeLoad *home = &loads[xa_host_domain_home_node (domain, n_nodes)];

  home->vcpus = add ? home->vcpus + domain->vcpus : home->vcpus - domain->vcpus;
  for (guint n = 0; domain->uuid == NULL && n < n_nodes; n++) {
    guint64 mib = domain->memory_by_node_mib[n];

    loads[n].resident_mib = add ? loads[n].resident_mib + mib : loads[n].resident_mib - mib;
  }
}

/**
 * xa_host_load_add:
 * @loads: (array length=n_nodes): per node, what the domains add up to
 * @domain: a domain to count in
 * @n_nodes: the host's node count
 *
 * A backend that keeps @loads as its domains change calls it after each
 * change, and xa_host_load_remove() before.
 */
void
xa_host_load_add (XaHostNodeLoad *loads, const XaHostDomain *domain, guint n_nodes)
{
  xa_host_load_count (loads, domain, n_nodes, TRUE);
}

void
xa_host_load_remove (XaHostNodeLoad *loads, const XaHostDomain *domain, guint n_nodes)
{
  xa_host_load_count (loads, domain, n_nodes, FALSE);
}

/**
 * xa_host_info_to_topology:
 * @info: a host
 *
 * Returns: (transfer full): what the planner needs of @info; free memory is
 *   the host's, not yet net of any claim
 */
XaTopology *
xa_host_info_to_topology (const XaHostInfo *info)
{
  XaTopology *topo = xa_topology_new (info->n_nodes);
  g_autofree XaHostNodeLoad *counted = NULL;
  const XaHostNodeLoad *loads = info->loads;

  if (loads == NULL) {
    counted = g_new0 (XaHostNodeLoad, info->n_nodes);
    for (guint i = 0; i < info->domains->len; i++)
      xa_host_load_add (counted, g_ptr_array_index (info->domains, i), info->n_nodes);
    loads = counted;
  }
  topo->overhead_mib_per_vm = info->overhead_mib_per_vm;
  topo->overhead_kib_per_vcpu = info->overhead_kib_per_vcpu;
  topo->node_claims = info->node_claims;
  memcpy (topo->distances, info->distances,
          sizeof (guint32) * info->n_nodes * info->n_nodes);
  for (guint n = 0; n < info->n_nodes; n++) {
    const XaHostNode *hn = &info->nodes[n];
    XaNode *node = &topo->nodes[n];
    guint64 resident = loads[n].resident_mib;

    node->free_mib = hn->free_mib;
    node->capacity_mib = hn->total_mib > resident ? hn->total_mib - resident : 0;
    node->n_cores = hn->n_cores;
    node->vcpus_placed = loads[n].vcpus;
    g_array_append_vals (node->cpus, hn->cpus->data, hn->cpus->len);
  }
  return topo;
}
