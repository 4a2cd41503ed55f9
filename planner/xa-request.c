/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <math.h>

#include "xa-request.h"

/**
 * xa_request_new:
 * @name: the VM's name
 * @memory_mib: its memory
 * @vcpus: its vCPUs
 *
 * Returns: (transfer full): a request with priority 0, no hard affinity,
 *   every node allowed
 */
XaRequest *
xa_request_new (const gchar *name, guint64 memory_mib, guint vcpus)
{
  XaRequest *req = g_new0 (XaRequest, 1);

  req->name = g_strdup (name);
  req->memory_mib = memory_mib;
  req->vcpus = vcpus;
  return req;
}

void
xa_request_free (XaRequest *req)
{
  if (req == NULL)
    return;
  g_free (req->name);
  g_clear_pointer (&req->hard_affinity, g_array_unref);
  g_free (req);
}

static XaNodeSet
xa_request_nodes_of_cpus (const XaTopology *topo, GArray *cpus)
{
  XaNodeSet nodes = 0;

  for (guint i = 0; i < cpus->len; i++) {
    gint node = xa_topology_node_of_cpu (topo, g_array_index (cpus, guint, i));

    if (node >= 0)
      nodes |= XA_NODESET_BIT (node);
  }
  return nodes;
}

/* The nodes of a pinned VM's CPUs, else the nodes it may use; usable ones only. */
XaNodeSet
xa_request_allowed_nodes (const XaRequest *req, const XaTopology *topo)
{
  XaNodeSet allowed = xa_nodeset_all (topo->n_nodes);

  if (req->hard_affinity != NULL)
    allowed = xa_request_nodes_of_cpus (topo, req->hard_affinity);
  else if (req->nodes != 0)
    allowed = req->nodes;
  return allowed & xa_topology_usable_nodes (topo);
}

gint
xa_request_effective_priority (const XaRequest *req, gdouble now_s)
{
  gdouble waited_s = now_s - req->queued_s;
  gdouble levels = waited_s > 0 ? floor (waited_s / XA_REQUEST_AGING_S_PER_LEVEL) : 0;

  return req->priority + (gint) MIN (levels, (gdouble) G_MAXINT16);
}
