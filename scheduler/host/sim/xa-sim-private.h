/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The simulated host's object and domains, shared by the files of sim/;
 * each of those declares its own functions in a header of its own. Not for
 * use outside sim/. */

#include "xa-host-backend.h"
#include "xa-host-file.h"

G_BEGIN_DECLS

typedef struct _XaSimHost XaSimHost;
typedef struct _XaSimBuild XaSimBuild;

typedef struct {
  XaSimHost *host;
  XaHostDomain *domain;
  guint max_vcpus;
  guint64 max_mib;
  XaNodeSet soft_nodes;
  XaNodeSet hard_nodes;
  XaNodeSet node_affinity;
  /* the node that gave this domain its last extent, or -1 */
  gint last_node;
  gboolean pvh;
  XaSimBuild *build;
  /* when it shuts down by itself (xa-sim-life.c), or 0 */
  guint64 shutdown_event;
} XaSimDomain;

/**
 * XaSimHost:
 *
 * The embedded simulated host: a model of the hypervisor's side on a
 * virtual clock. It never reads a plan: where a domain's memory goes is
 * what its allocator does with the domain's affinity, claims and the free
 * memory of each node at that moment.
 */
struct _XaSimHost {
  XaHost parent;
  XaHostInfo *info;
  GPtrArray *faults;
  GPtrArray *takes;
  gchar *state_path;
  /* the state file exists, and what it lacks since it was written or read */
  gboolean on_disk;
  gboolean changed;
  gint lock_fd;
  GRand *rand;
  GHashTable *domains;
  /* handle (UUID) → XaSimDomain, for the domains that have one */
  GHashTable *handles;
  /* CPU → its node + 1 */
  GHashTable *cpu_nodes;
  GPtrArray *builds;
  guint32 next_domid;
  gdouble scrubbed_s;
  /* outstanding claims, all of them and per node, kept as they change */
  guint64 claimed_mib;
  guint64 *claimed_on_node_mib;
  /* per node, what the domains add up to (xa_host_load_add()), kept as
   * they change, so that a batch's snapshot need not copy them all */
  XaHostNodeLoad *loads;
  /* who is told of domains that go down (xa-sim-life.c) */
  XaHostDomainDown watch;
  gpointer watch_data;
};

/* xa-sim-host.c: the domains, the clock, the calls that may fail */
gdouble xa_sim_host_now (XaSimHost *self);
void xa_sim_host_scrub (XaSimHost *self);
gboolean xa_sim_host_call (XaSimHost   *self,
                           const gchar *call,
                           GError     **error);
XaSimDomain *xa_sim_host_domain (XaSimHost   *self,
                                 guint32      domid,
                                 const gchar *call,
                                 GError     **error);
XaSimDomain *xa_sim_host_add_domain (XaSimHost    *self,
                                     XaHostDomain *domain);

G_END_DECLS
