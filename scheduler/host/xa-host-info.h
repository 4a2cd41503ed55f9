/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "xa-topology.h"

G_BEGIN_DECLS

/* Domain ids from 0x7FF0 on are reserved (DOMID_FIRST_RESERVED). */
#define XA_HOST_DOMID_MAX 0x7FEF

/**
 * XaHostNode:
 * @total_mib: the node's memory
 * @free_mib: free memory, as Xen counts it (dirty pages included)
 * @dirty_mib: the part of @free_mib freed recently and not yet scrubbed
 * @cpus: (element-type guint): logical CPU ids; SMT siblings are consecutive
 * @n_cores: physical cores among @cpus
 */
typedef struct {
  guint64 total_mib;
  guint64 free_mib;
  guint64 dirty_mib;
  GArray *cpus;
  guint n_cores;
} XaHostNode;

/**
 * XaHostDomain:
 * @name: the domain's name
 * @vcpus: its vCPUs
 * @memory_by_node_mib: its memory on each node
 * @uuid: (nullable): its handle, for the domains xadmit builds
 * @domid: its domain id, 0 where the host file gives none
 * @claim_mib: its outstanding claim, host-wide
 * @claim_node: the node of that claim, -1 for host-wide
 * @estimated: @memory_by_node_mib is a guess, not what the host counted
 * @unfinished: its build has not finished, whatever memory it holds (on
 *   Xen: xadmit's domain that xenstored was not told of yet)
 * @paused: it does not run (a build under way, or one kept paused)
 * @down: (nullable): how it went down ("poweroff", "reboot", "crash"...),
 *   for a domain that shut down and waits for its toolstack to destroy it
 */
typedef struct {
  gchar *name;
  guint vcpus;
  guint64 *memory_by_node_mib;
  gchar *uuid;
  guint32 domid;
  guint64 claim_mib;
  gint claim_node;
  gboolean estimated;
  gboolean unfinished;
  gboolean paused;
  gchar *down;
} XaHostDomain;

/**
 * XaHostNodeLoad:
 * @resident_mib: what the domains without a handle hold on the node
 * @vcpus: the vCPUs of the domains whose home is the node
 *
 * What xa_host_info_to_topology() counts of the domains, per node.
 */
typedef struct {
  guint64 resident_mib;
  guint vcpus;
} XaHostNodeLoad;

/**
 * XaHostInfo:
 * @loads: (nullable) (array length=n_nodes): what every domain of the host
 *   adds up to per node, where @domains holds only some; %NULL: @domains
 *   holds them all
 *
 * What a host backend reports: the host topology of docs/formats.md. @uuid
 * tells hosts apart in the ledger; @time_s is the host's clock.
 */
typedef struct {
  gchar *name;
  gchar *uuid;
  gdouble time_s;
  guint n_nodes;
  XaHostNode *nodes;
  guint32 *distances;
  guint64 populate_mib_per_s;
  guint64 bandwidth_mib_per_s;
  guint64 scrub_mib_per_s;
  guint64 overhead_mib_per_vm;
  guint64 overhead_kib_per_vcpu;
  gboolean node_claims;
  GPtrArray *domains;
  XaHostNodeLoad *loads;
} XaHostInfo;

XaHostInfo *xa_host_info_new (const gchar *name,
                              guint        n_nodes);
XaHostInfo *xa_host_info_copy (const XaHostInfo *info);
XaHostInfo *xa_host_info_copy_nodes (const XaHostInfo *info);
void xa_host_info_free (XaHostInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XaHostInfo, xa_host_info_free)

XaHostDomain *xa_host_domain_new (const gchar *name,
                                  guint        vcpus,
                                  guint        n_nodes);
XaHostDomain *xa_host_domain_copy (const XaHostDomain *domain,
                                   guint               n_nodes);
void xa_host_domain_free (XaHostDomain *domain);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XaHostDomain, xa_host_domain_free)

guint64 xa_host_info_domains_mib (const XaHostInfo *info,
                                  guint             node);
guint64 xa_host_domain_total_mib (const XaHostDomain *domain,
                                  guint               n_nodes);
const XaHostDomain *xa_host_info_find_domain (const XaHostInfo *info,
                                              const gchar      *uuid);
void xa_host_info_fit_domains (XaHostInfo *info);
void xa_host_load_add (XaHostNodeLoad     *loads,
                       const XaHostDomain *domain,
                       guint               n_nodes);
void xa_host_load_remove (XaHostNodeLoad     *loads,
                          const XaHostDomain *domain,
                          guint               n_nodes);
XaTopology *xa_host_info_to_topology (const XaHostInfo *info);

G_END_DECLS
