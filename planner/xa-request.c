/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <math.h>

#include "xa-request.h"
#include "xa-text.h"

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
  g_free (req->group);
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

/* A pinned VM runs on the CPUs of its hard_affinity, so on their nodes only. */
gboolean
xa_request_is_pinned (const XaRequest *req)
{
  return req->hard_affinity != NULL;
}

/* The nodes of a pinned VM's CPUs, else the nodes it may use; usable ones only. */
XaNodeSet
xa_request_allowed_nodes (const XaRequest *req, const XaTopology *topo)
{
  XaNodeSet allowed = xa_nodeset_all (topo->n_nodes);

  if (xa_request_is_pinned (req))
    allowed = xa_request_nodes_of_cpus (topo, req->hard_affinity);
  else if (req->nodes != 0)
    allowed = req->nodes;
  return allowed & xa_topology_usable_nodes (topo);
}

/* The first CPU of @cpus the host lacks, -1 if it has them all. */
static gint64
xa_request_missing_cpu (const XaTopology *topo, GArray *cpus)
{
  for (guint i = 0; i < cpus->len; i++) {
    guint cpu = g_array_index (cpus, guint, i);

    if (xa_topology_node_of_cpu (topo, cpu) < 0)
      return cpu;
  }
  return -1;
}

/**
 * xa_request_why_not_on_host:
 * @req: a VM
 * @topo: the host it is for
 *
 * A manifest may name CPUs and nodes that this host lacks, or pin a VM to
 * CPUs outside the nodes it allows: facts of the host, which reject the VM
 * (docs/formats.md, "Rejected and deferred").
 *
 * Returns: (transfer full) (nullable): why @req cannot run on @topo as
 *   given, or %NULL
 */
gchar *
xa_request_why_not_on_host (const XaRequest *req, const XaTopology *topo)
{
  XaNodeSet missing = req->nodes & ~xa_nodeset_all (topo->n_nodes);
  XaNodeSet pinned_to;
  gint64 cpu;

  if (missing != 0)
    return g_strdup_printf ("its nodes name node %u, but the host has nodes 0-%u",
                            (guint) __builtin_ctzll (missing), topo->n_nodes - 1);
  if (!xa_request_is_pinned (req))
    return NULL;
  cpu = xa_request_missing_cpu (topo, req->hard_affinity);
  if (cpu >= 0)
    return g_strdup_printf ("its hard_affinity names CPU %" G_GINT64_FORMAT ", which the host "
                            "does not have", cpu);
  pinned_to = xa_request_nodes_of_cpus (topo, req->hard_affinity);
  if (req->nodes != 0 && (pinned_to & ~req->nodes) != 0) {
    g_autofree gchar *cpu_nodes = xa_nodeset_format (pinned_to);
    g_autofree gchar *nodes = xa_nodeset_format (req->nodes);

    return g_strdup_printf ("its hard_affinity CPUs are on %s %s, outside its nodes (%s)",
                            xa_text_plural (xa_nodeset_count (pinned_to), "node", "nodes"),
                            cpu_nodes, nodes);
  }
  return NULL;
}

gint
xa_request_effective_priority (const XaRequest *req, gdouble now_s)
{
  gdouble waited_s = now_s - req->queued_s;
  gdouble levels = waited_s > 0 ? floor (waited_s / XA_REQUEST_AGING_S_PER_LEVEL) : 0;

  return req->priority + (gint) MIN (levels, (gdouble) G_MAXINT16);
}

/**
 * xa_request_rolled_back:
 * @failed: a VM of a group that will not start
 * @why: why not
 *
 * Returns: (transfer full): the reason its group's other VMs are given as
 *   they are rolled back
 */
gchar *
xa_request_rolled_back (const XaRequest *failed, const gchar *why)
{
  g_return_val_if_fail (failed != NULL && failed->group != NULL && why != NULL, NULL);

  return g_strdup_printf ("rolled back with its group %s: %s will not start (%s)", failed->group,
                          failed->name, why);
}
