/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "xa-name.h"
#include "xa-xen-console.h"
#include "xa-xen-meminfo.h"
#include "xa-xen-private.h"

/*
 * The domains of a Xen host's snapshot: names from xenstore, handles,
 * claims, whether each went down or stopped half-way, and its pages per
 * node from the 'u' table (docs/design.md, "Where a domain's memory is"),
 * or an estimate.
 */

#define XA_XEN_LIST_BATCH 1024

/* The name xl gave the domain, if it is a valid xadmit name. */
static gchar *
xa_xen_list_domain_name (struct xs_handle *xs, guint domid)
{
  g_autofree gchar *path = g_strdup_printf ("/local/domain/%u/name", domid);
  g_autofree gchar *value = NULL;
  g_autofree gchar *name = NULL;
  unsigned int len = 0;

  if (xs != NULL)
    value = xs_read (xs, XBT_NULL, path, &len);
  if (value != NULL)
    name = g_strndup (value, len);
  if (name != NULL && xa_name_validate (name, NULL))
    return g_steal_pointer (&name);
  return g_strdup_printf ("domid-%u", domid);
}

/**
 * xa_xen_list_node_affinity:
 * @self: the host
 * @n_nodes: its nodes
 * @domid: a domain
 * @out: (out): the nodes of its node affinity; none for a domain gone
 *   (ESRCH), which has no affinity left
 * @error: a #GError
 *
 * Returns: %TRUE if read
 */
gboolean
xa_xen_list_node_affinity (XaXenHost *self, guint n_nodes, guint32 domid, XaNodeSet *out,
                           GError **error)
{
  g_autofree guint8 *map = xc_nodemap_alloc (self->xch);
  gint map_bits = xc_get_nodemap_size (self->xch) * 8;

  *out = 0;
  if (map == NULL)
    return xa_host_fail (error, errno, "xc_nodemap_alloc", "cannot allocate a node map");
  if (xc_domain_node_getaffinity (self->xch, domid, map) != 0) {
    if (errno == ESRCH)
      return TRUE;
    return xa_host_fail (error, errno, "xc_domain_node_getaffinity",
                         "cannot read the node affinity of domain %u", domid);
  }
  for (guint n = 0; n < n_nodes && (gint) n < map_bits; n++) {
    if ((map[n / 8] & (1u << (n % 8))) != 0)
      *out |= XA_NODESET_BIT (n);
  }
  return TRUE;
}

static XaNodeSet
xa_xen_list_nodes_with_memory (const XaHostInfo *info)
{
  XaNodeSet nodes = 0;

  for (guint n = 0; n < info->n_nodes; n++) {
    if (info->nodes[n].total_mib > 0)
      nodes |= XA_NODESET_BIT (n);
  }
  return nodes != 0 ? nodes : XA_NODESET_BIT (0);
}

/**
 * xa_xen_list_spread_pages:
 * @nodes: a domain's node affinity, not empty
 * @tot_pages: its pages
 * @by_node_mib: (out caller-allocates): its MiB on each node
 *
 * The estimate where Xen's table lacks the domain: its pages split evenly
 * over its node affinity, which is where Xen allocated them first; rounded
 * up, so that no node looks emptier than it is.
 */
void
xa_xen_list_spread_pages (XaNodeSet nodes, guint64 tot_pages, guint64 *by_node_mib)
{
  guint k = xa_nodeset_count (nodes);
  guint64 share = tot_pages / k;
  guint64 rest = tot_pages % k;

  for (guint n = 0; n < XA_MAX_NODES; n++) {
    guint64 pages;

    if (!xa_nodeset_has (nodes, n))
      continue;
    pages = share + (rest > 0 ? 1 : 0);
    if (rest > 0)
      rest--;
    by_node_mib[n] = (pages + XA_XEN_PAGES_PER_MIB - 1) / XA_XEN_PAGES_PER_MIB;
  }
}

/* The handle Xen keeps for a domain, as a UUID; %NULL where it is all
 * zeros (dom0, and domains created without one). */
static gchar *
xa_xen_list_handle_uuid (const xen_domain_handle_t handle)
{
  GString *uuid = g_string_new (NULL);
  gboolean zero = TRUE;

  for (guint i = 0; i < sizeof (xen_domain_handle_t); i++) {
    zero &= handle[i] == 0;
    g_string_append_printf (uuid, "%s%02x", i == 4 || i == 6 || i == 8 || i == 10 ? "-" : "",
                            handle[i]);
  }
  if (zero) {
    g_string_free (uuid, TRUE);
    return NULL;
  }
  return g_string_free (uuid, FALSE);
}

static gboolean
xa_xen_list_add (XaXenHost *self, XaHostInfo *info, struct xs_handle *xs,
                        GHashTable *meminfo, const xc_domaininfo_t *dominfo, GError **error)
{
  guint domid = dominfo->domain;
  guint vcpus = dominfo->max_vcpu_id == XEN_INVALID_MAX_VCPU_ID ? 0 : dominfo->max_vcpu_id + 1;
  g_autofree gchar *name = NULL;
  g_autoptr(XaHostDomain) domain = NULL;
  XaNodeSet nodes = 0;

  /* A dying domain is handing its pages back: they are not resident. */
  if ((dominfo->flags & XEN_DOMINF_dying) != 0)
    return TRUE;
  name = xa_xen_list_domain_name (xs, domid);
  domain = xa_host_domain_new (name, vcpus, info->n_nodes);
  domain->domid = domid;
  domain->uuid = xa_xen_list_handle_uuid (dominfo->handle);
  domain->claim_mib = dominfo->outstanding_pages / XA_XEN_PAGES_PER_MIB;
  domain->claim_node = -1;
  domain->down = g_strdup (xa_xen_down_reason (dominfo));
  domain->paused = (dominfo->flags & XEN_DOMINF_paused) != 0;
  /* a build introduces its domain last (xa-xen-xs.c): one that xenstored
   * does not know stopped half-way, whatever memory populate gave it */
  domain->unfinished = domain->uuid != NULL && xs != NULL &&
                       !xs_is_domain_introduced (xs, domid);
  if (!xa_xen_meminfo_lookup_mib (meminfo, domid, dominfo->tot_pages, info->n_nodes,
                                  domain->memory_by_node_mib)) {
    if (!xa_xen_list_node_affinity (self, info->n_nodes, domid, &nodes, error))
      return FALSE;
    nodes &= xa_xen_list_nodes_with_memory (info);
    if (nodes == 0)
      nodes = xa_xen_list_nodes_with_memory (info);
    xa_xen_list_spread_pages (nodes, dominfo->tot_pages, domain->memory_by_node_mib);
    domain->estimated = TRUE;
  }
  g_ptr_array_add (info->domains, g_steal_pointer (&domain));
  return TRUE;
}

/* Once per host, not per snapshot: a host that cannot tell says so once. */
static GHashTable *
xa_xen_list_meminfo_or_say (XaXenHost *self, guint n_nodes)
{
  g_autoptr(GError) error = NULL;
  GHashTable *meminfo = xa_xen_console_read_meminfo (self->xch, n_nodes, &error);

  if (meminfo == NULL && !self->said_estimated) {
    g_message ("%s, so each domain's memory per node is estimated from its node affinity",
               error->message);
    self->said_estimated = TRUE;
  }
  return meminfo;
}

/**
 * xa_xen_list_domains:
 * @self: the host
 * @info: its snapshot so far, which gets its domains
 * @error: a #GError
 *
 * Names come from xenstore when it is reachable, "domid-N" otherwise.
 *
 * Returns: %TRUE if listed
 */
gboolean
xa_xen_list_domains (XaXenHost *self, XaHostInfo *info, GError **error)
{
  g_autofree xc_domaininfo_t *batch = g_new0 (xc_domaininfo_t, XA_XEN_LIST_BATCH);
  g_autoptr(GHashTable) meminfo = xa_xen_list_meminfo_or_say (self, info->n_nodes);
  uint32_t first = 0;
  gint got;

  do {
    got = xc_domain_getinfolist (self->xch, first, XA_XEN_LIST_BATCH, batch);
    if (got < 0)
      return xa_host_fail (error, errno, "xc_domain_getinfolist", "cannot list the domains");
    for (gint i = 0; i < got; i++) {
      if (!xa_xen_list_add (self, info, self->xs, meminfo, &batch[i], error))
        return FALSE;
    }
    if (got > 0)
      first = (uint32_t) batch[got - 1].domain + 1;
  } while (got == XA_XEN_LIST_BATCH);
  xa_host_info_fit_domains (info);
  return TRUE;
}
