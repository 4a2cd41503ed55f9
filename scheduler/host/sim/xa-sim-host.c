/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <glib/gstdio.h>

#include "xa-sim-alloc.h"
#include "xa-sim-build.h"
#include "xa-sim-host.h"
#include "xa-sim-life.h"
#include "xa-sim-state.h"

/* The simulated host's calls, as XaHostClass has them; the allocator,
 * builds and state live in xa-sim-alloc.c, xa-sim-build.c, xa-sim-state.c. */

gdouble
xa_sim_host_now (XaSimHost *self)
{
  return xa_clock_now (self->parent.clock);
}

/* Dirty memory is scrubbed in the background, on every node at once. */
void
xa_sim_host_scrub (XaSimHost *self)
{
  gdouble now = xa_sim_host_now (self);
  gdouble scrubbed = (now - self->scrubbed_s) * (gdouble) self->info->scrub_mib_per_s;

  for (guint n = 0; n < self->info->n_nodes && scrubbed > 0; n++) {
    XaHostNode *node = &self->info->nodes[n];

    node->dirty_mib -= MIN (node->dirty_mib, (guint64) scrubbed);
  }
  self->scrubbed_s = now;
}

/* Counts a use of a host call in each fault on it; the host file's faults
 * break the k-th. A fault stops counting at its use, so it fires once,
 * in whichever life of the host that use comes. */
gboolean
xa_sim_host_call (XaSimHost *self, const gchar *call, GError **error)
{
  const XaSimFault *failing = NULL;

  xa_sim_host_scrub (self);
  for (guint i = 0; i < self->faults->len; i++) {
    XaSimFault *fault = g_ptr_array_index (self->faults, i);

    if (fault->kind != XA_SIM_FAULT_CALL_FAILS || g_strcmp0 (fault->call, call) != 0 ||
        fault->used >= fault->use)
      continue;
    fault->used++;
    xa_sim_state_changed (self);
    if (fault->used == fault->use)
      failing = fault;
  }
  if (failing != NULL)
    return xa_host_fail (error, failing->errnum, call,
                         "use %u fails, as the host file's faults say", failing->use);
  return TRUE;
}

XaSimDomain *
xa_sim_host_domain (XaSimHost *self, guint32 domid, const gchar *call, GError **error)
{
  XaSimDomain *sd = g_hash_table_lookup (self->domains, GUINT_TO_POINTER (domid));

  if (sd == NULL)
    xa_host_fail (error, ESRCH, call, "there is no domain %u", domid);
  return sd;
}

static XaHostInfo *
xa_sim_host_snapshot (XaHost *host, GError **error)
{
  XaSimHost *self = (XaSimHost *) host;
  XaHostInfo *info;

  if (!xa_sim_host_call (self, "snapshot", error))
    return NULL;
  info = xa_host_info_copy (self->info);
  info->time_s = xa_sim_host_now (self);
  return info;
}

/* The nodes and the loads kept as domains change, and copies of the few
 * domains asked for: not every domain, as a full snapshot. */
static XaHostInfo *
xa_sim_host_snapshot_some (XaHost *host, const guint32 *domids, guint n_domids, GError **error)
{
  XaSimHost *self = (XaSimHost *) host;
  guint n_nodes = self->info->n_nodes;
  XaHostInfo *info;

  if (!xa_sim_host_call (self, "snapshot", error))
    return NULL;
  info = xa_host_info_copy_nodes (self->info);
  info->time_s = xa_sim_host_now (self);
  info->loads = g_memdup2 (self->loads, sizeof (XaHostNodeLoad) * n_nodes);
  for (guint i = 0; i < n_domids; i++) {
    XaSimDomain *sd = g_hash_table_lookup (self->domains, GUINT_TO_POINTER (domids[i]));

    if (sd != NULL)
      g_ptr_array_add (info->domains, xa_host_domain_copy (sd->domain, n_nodes));
  }
  return info;
}

static gboolean
xa_sim_host_free_memory (XaHost *host, guint64 *free_mib, guint64 *claimed_mib, GError **error)
{
  XaSimHost *self = (XaSimHost *) host;

  xa_sim_host_scrub (self);
  for (guint n = 0; n < self->info->n_nodes; n++) {
    free_mib[n] = self->info->nodes[n].free_mib;
    if (claimed_mib != NULL)
      claimed_mib[n] = xa_sim_alloc_claims (self, (gint) n, NULL);
  }
  return TRUE;
}

/* Tracks @domain, found by its domid and by its handle if it has one. */
XaSimDomain *
xa_sim_host_add_domain (XaSimHost *self, XaHostDomain *domain)
{
  XaSimDomain *sd = g_new0 (XaSimDomain, 1);

  sd->host = self;
  sd->domain = domain;
  sd->last_node = -1;
  g_hash_table_insert (self->domains, GUINT_TO_POINTER (domain->domid), sd);
  if (domain->uuid != NULL)
    g_hash_table_insert (self->handles, domain->uuid, sd);
  return sd;
}

static gboolean
xa_sim_host_create_domain (XaHost *host, const XaDomainSpec *spec, guint32 *out_domid,
                           GError **error)
{
  XaSimHost *self = (XaSimHost *) host;
  XaHostDomain *domain;
  XaSimDomain *sd;

  if (!xa_sim_host_call (self, "create_domain", error))
    return FALSE;
  if (g_hash_table_contains (self->handles, spec->uuid))
    return xa_host_fail (error, EEXIST, "create_domain", "a domain has handle %s already",
                         spec->uuid);
  if (self->next_domid > XA_HOST_DOMID_MAX)
    return xa_host_fail (error, ENOSPC, "create_domain", "no domain id is left");
  domain = xa_host_domain_new (spec->name, spec->vcpus, self->info->n_nodes);
  domain->uuid = g_strdup (spec->uuid);
  domain->domid = self->next_domid++;
  g_ptr_array_add (self->info->domains, domain);
  xa_host_load_add (self->loads, domain, self->info->n_nodes);
  sd = xa_sim_host_add_domain (self, domain);
  sd->pvh = spec->pvh;
  domain->paused = TRUE;
  /* as on Xen, where xenstored learns of it last: until its build ends
   * well, a restart sees it half-built, whatever memory it holds */
  domain->unfinished = TRUE;
  *out_domid = domain->domid;
  xa_sim_state_changed (self);
  return TRUE;
}

static gboolean
xa_sim_host_set_max_vcpus (XaHost *host, guint32 domid, guint vcpus, GError **error)
{
  XaSimHost *self = (XaSimHost *) host;
  XaSimDomain *sd;

  if (!xa_sim_host_call (self, "max_vcpus", error))
    return FALSE;
  sd = xa_sim_host_domain (self, domid, "max_vcpus", error);
  if (sd == NULL)
    return FALSE;
  if (vcpus == 0 || vcpus != sd->domain->vcpus)
    return xa_host_fail (error, EINVAL, "max_vcpus", "domain %u was created with %u vCPUs, not %u",
                         domid, sd->domain->vcpus, vcpus);
  sd->max_vcpus = vcpus;
  return TRUE;
}

static gboolean
xa_sim_host_set_timer_mode (XaHost *host, guint32 domid, GError **error)
{
  XaSimHost *self = (XaSimHost *) host;
  XaSimDomain *sd;

  if (!xa_sim_host_call (self, "timer_mode", error))
    return FALSE;
  sd = xa_sim_host_domain (self, domid, "timer_mode", error);
  if (sd == NULL)
    return FALSE;
  if (!sd->pvh)
    return xa_host_fail (error, EINVAL, "timer_mode", "domain %u is PV, not an HVM container",
                         domid);
  return TRUE;
}

static gboolean
xa_sim_host_set_max_mem (XaHost *host, guint32 domid, guint64 max_mib, GError **error)
{
  XaSimHost *self = (XaSimHost *) host;
  XaSimDomain *sd;

  if (!xa_sim_host_call (self, "max_mem", error))
    return FALSE;
  sd = xa_sim_host_domain (self, domid, "max_mem", error);
  if (sd == NULL)
    return FALSE;
  sd->max_mib = max_mib;
  return TRUE;
}

static gboolean
xa_sim_host_set_vcpu_affinity (XaHost *host, guint32 domid, GArray *cpus, gboolean hard,
                               GError **error)
{
  XaSimHost *self = (XaSimHost *) host;
  XaSimDomain *sd;
  XaNodeSet nodes;
  guint unknown;

  if (!xa_sim_host_call (self, "vcpu_affinity", error))
    return FALSE;
  sd = xa_sim_host_domain (self, domid, "vcpu_affinity", error);
  if (sd == NULL)
    return FALSE;
  /* Xen allocates the vCPUs with max_vcpus: before, there is no vCPU */
  if (sd->max_vcpus == 0)
    return xa_host_fail (error, ESRCH, "vcpu_affinity", "domain %u has no vCPUs yet", domid);
  nodes = xa_sim_state_nodes_of_cpus (self, cpus, &unknown);
  if (unknown != G_MAXUINT || nodes == 0)
    return xa_host_fail (error, EINVAL, "vcpu_affinity", "the host has no CPU %u",
                         unknown != G_MAXUINT ? unknown : 0);
  if (hard)
    sd->hard_nodes = nodes;
  else
    sd->soft_nodes = nodes;
  return TRUE;
}

static gboolean
xa_sim_host_set_node_affinity (XaHost *host, guint32 domid, XaNodeSet nodes, GError **error)
{
  XaSimHost *self = (XaSimHost *) host;
  XaNodeSet all = xa_nodeset_all (self->info->n_nodes);
  XaSimDomain *sd;

  if (!xa_sim_host_call (self, "node_affinity", error))
    return FALSE;
  sd = xa_sim_host_domain (self, domid, "node_affinity", error);
  if (sd == NULL)
    return FALSE;
  if ((nodes & all) == 0)
    return xa_host_fail (error, EINVAL, "node_affinity", "no node of the host is in the set");
  /* all nodes turns automatic node affinity back on, as in Xen */
  sd->node_affinity = (nodes & all) == all ? 0 : nodes & all;
  return TRUE;
}

static gboolean
xa_sim_host_claim (XaHost *host, guint32 domid, gint node, guint64 mib, GError **error)
{
  XaSimHost *self = (XaSimHost *) host;
  XaSimDomain *sd;
  guint64 have;

  if (!xa_sim_host_call (self, "claim_pages", error))
    return FALSE;
  sd = xa_sim_host_domain (self, domid, "claim_pages", error);
  if (sd == NULL)
    return FALSE;
  if (mib == 0) {
    xa_sim_alloc_set_claim (self, sd->domain, 0, -1);
    xa_sim_state_changed (self);
    return TRUE;
  }
  if (node >= 0 && !self->info->node_claims)
    return xa_host_fail (error, ENOSYS, "claim_pages", "this Xen has no per-node claims");
  if (node >= (gint) self->info->n_nodes)
    return xa_host_fail (error, EINVAL, "claim_pages", "there is no node %d", node);
  if (sd->domain->claim_mib != 0)
    return xa_host_fail (error, EINVAL, "claim_pages", "domain %u holds a claim already", domid);
  have = xa_host_domain_total_mib (sd->domain, self->info->n_nodes);
  if (mib <= have || mib > sd->max_mib)
    return xa_host_fail (error, EINVAL, "claim_pages",
                         "%" G_GUINT64_FORMAT " MiB is not between the domain's %"
                         G_GUINT64_FORMAT " MiB and its maximum of %" G_GUINT64_FORMAT " MiB",
                         mib, have, sd->max_mib);
  if (mib - have > xa_sim_alloc_unclaimed (self, -1, sd->domain) ||
      (node >= 0 && mib - have > xa_sim_alloc_unclaimed (self, node, sd->domain)))
    return xa_host_fail (error, ENOMEM, "claim_pages",
                         "%" G_GUINT64_FORMAT " MiB is more than %s has unclaimed",
                         mib - have, node >= 0 ? "the node" : "the host");
  xa_sim_alloc_set_claim (self, sd->domain, mib - have, node);
  xa_sim_state_changed (self);
  return TRUE;
}

static gboolean
xa_sim_host_unpause (XaHost *host, guint32 domid, GError **error)
{
  XaSimHost *self = (XaSimHost *) host;
  XaSimDomain *sd;

  if (!xa_sim_host_call (self, "unpause", error))
    return FALSE;
  sd = xa_sim_host_domain (self, domid, "unpause", error);
  if (sd == NULL)
    return FALSE;
  sd->domain->paused = FALSE;
  xa_sim_state_changed (self);
  xa_sim_life_started (self, sd);
  return TRUE;
}

/* Its memory is free again, and dirty. */
static gboolean
xa_sim_host_destroy (XaHost *host, guint32 domid, GError **error)
{
  XaSimHost *self = (XaSimHost *) host;
  XaSimDomain *sd;

  if (!xa_sim_host_call (self, "destroy", error))
    return FALSE;
  sd = xa_sim_host_domain (self, domid, "destroy", error);
  if (sd == NULL)
    return FALSE;
  xa_sim_build_cancel (self, sd);
  xa_sim_life_forget (self, sd);
  for (guint n = 0; n < self->info->n_nodes; n++) {
    self->info->nodes[n].free_mib += sd->domain->memory_by_node_mib[n];
    self->info->nodes[n].dirty_mib += sd->domain->memory_by_node_mib[n];
  }
  xa_sim_alloc_set_claim (self, sd->domain, 0, -1);
  xa_host_load_remove (self->loads, sd->domain, self->info->n_nodes);
  if (sd->domain->uuid != NULL)
    g_hash_table_remove (self->handles, sd->domain->uuid);
  g_ptr_array_remove (self->info->domains, sd->domain);
  g_hash_table_remove (self->domains, GUINT_TO_POINTER (domid));
  xa_sim_state_changed (self);
  return TRUE;
}

static gboolean
xa_sim_host_domain_memory (XaHost *host, guint32 domid, guint64 *mib_by_node, GError **error)
{
  XaSimHost *self = (XaSimHost *) host;
  XaSimDomain *sd = xa_sim_host_domain (self, domid, "domain_memory", error);

  if (sd == NULL)
    return FALSE;
  memcpy (mib_by_node, sd->domain->memory_by_node_mib, sizeof (guint64) * self->info->n_nodes);
  return TRUE;
}

static void
xa_sim_host_free_domain (gpointer data)
{
  XaSimDomain *sd = data;

  g_clear_pointer (&sd->build, xa_sim_build_free);
  g_free (sd);
}

static void
xa_sim_host_free (XaHost *host)
{
  XaSimHost *self = (XaSimHost *) host;

  g_clear_pointer (&self->handles, g_hash_table_unref);
  g_clear_pointer (&self->cpu_nodes, g_hash_table_unref);
  g_clear_pointer (&self->domains, g_hash_table_unref);
  g_clear_pointer (&self->builds, g_ptr_array_unref);
  g_clear_pointer (&self->rand, g_rand_free);
  g_free (self->claimed_on_node_mib);
  g_free (self->loads);
  xa_host_info_free (self->info);
  g_clear_pointer (&self->faults, g_ptr_array_unref);
  g_clear_pointer (&self->takes, g_ptr_array_unref);
  if (self->lock_fd >= 0)
    g_close (self->lock_fd, NULL);
  g_free (self->state_path);
  g_free (self);
}

/* The seed drives the build-time jitter: the same seed, the same run. */
static void
xa_sim_host_set_seed (XaHost *host, guint32 seed)
{
  XaSimHost *self = (XaSimHost *) host;

  g_rand_set_seed (self->rand, seed);
}

static const XaHostClass xa_sim_host_class = {
  .kind = "sim",
  .set_seed = xa_sim_host_set_seed,
  .snapshot = xa_sim_host_snapshot,
  .snapshot_some = xa_sim_host_snapshot_some,
  .lock = xa_sim_state_lock,
  .save = xa_sim_state_save,
  .free_memory = xa_sim_host_free_memory,
  .create_domain = xa_sim_host_create_domain,
  .set_max_vcpus = xa_sim_host_set_max_vcpus,
  .set_timer_mode = xa_sim_host_set_timer_mode,
  .set_max_mem = xa_sim_host_set_max_mem,
  .set_vcpu_affinity = xa_sim_host_set_vcpu_affinity,
  .set_node_affinity = xa_sim_host_set_node_affinity,
  .claim = xa_sim_host_claim,
  .build = xa_sim_build_start,
  .unpause = xa_sim_host_unpause,
  .destroy = xa_sim_host_destroy,
  .domain_memory = xa_sim_host_domain_memory,
  .watch_domains = xa_sim_life_watch,
  .unwatch_domains = xa_sim_life_unwatch,
  .free = xa_sim_host_free,
};

/**
 * xa_sim_host_new:
 * @topology_path: (nullable): a host file, or %NULL for the embedded default
 * @state_path: (nullable): where the host's state is kept between runs
 * @error: a #GError
 *
 * Returns: (transfer full): the simulated host, or %NULL
 */
XaHost *
xa_sim_host_new (const gchar *topology_path, const gchar *state_path, GError **error)
{
  g_autoptr(XaHost) host = NULL;
  XaSimHost *self = g_new0 (XaSimHost, 1);

  self->parent.klass = &xa_sim_host_class;
  self->lock_fd = -1;
  self->domains = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
                                         xa_sim_host_free_domain);
  self->handles = g_hash_table_new (g_str_hash, g_str_equal);
  self->cpu_nodes = g_hash_table_new (g_direct_hash, g_direct_equal);
  self->builds = g_ptr_array_new ();
  self->takes = g_ptr_array_new_with_free_func (g_free);
  self->rand = g_rand_new_with_seed (1);
  self->state_path = g_strdup (state_path);
  host = &self->parent;
  if (!xa_sim_state_load (self, topology_path, error))
    return NULL;
  if (self->info->uuid == NULL)
    self->info->uuid = g_uuid_string_random ();
  self->claimed_on_node_mib = g_new0 (guint64, self->info->n_nodes);
  self->loads = g_new0 (XaHostNodeLoad, self->info->n_nodes);
  self->parent.clock = xa_clock_new_virtual (self->info->time_s);
  self->scrubbed_s = self->info->time_s;
  xa_sim_state_start (self);
  return g_steal_pointer (&host);
}
