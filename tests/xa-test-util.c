/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-test-util.h"

/**
 * xa_test_topology_new:
 * @n_nodes: number of nodes
 * @free_mib: free memory of each node, and all it could ever offer
 *
 * Returns: (transfer full): a host whose nodes have 16 CPUs (ids node by
 *   node) and 8 cores, 10 local and 20 remote, and no per-domain overhead
 */
XaTopology *
xa_test_topology_new (guint n_nodes, guint64 free_mib)
{
  return xa_topology_new_uniform (n_nodes, free_mib, 16, 8);
}

GPtrArray *
xa_test_requests_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) xa_request_free);
}

/**
 * xa_test_add_vm:
 * @requests: (element-type XaRequest): where to add it
 * @name: (nullable): its name, %NULL for vm-N where N is its index
 * @memory_mib: its memory
 * @vcpus: its vCPUs
 *
 * Returns: (transfer none): the new request, last in @requests
 */
XaRequest *
xa_test_add_vm (GPtrArray *requests, const gchar *name, guint64 memory_mib, guint vcpus)
{
  g_autofree gchar *numbered = g_strdup_printf ("vm-%u", requests->len);
  XaRequest *req = xa_request_new (name != NULL ? name : numbered, memory_mib, vcpus);

  g_ptr_array_add (requests, req);
  return req;
}
