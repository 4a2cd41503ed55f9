/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "xa-error.h"
#include "xa-host-file.h"
#include "xa-sim-host.h"
#include "xa-json.h"
#include "xa-plan.h"
#include "xa-resources.h"

#define XA_SIM_DEFAULT_RESOURCE "/org/xadmit/hosts/default.json"
/* xenguest populates 1 GiB superpages; the allocator decides per chunk. */
#define XA_SIM_CHUNK_MIB G_GUINT64_CONSTANT (1024)
/* The seed makes each chunk up to this much more work, never less. */
#define XA_SIM_JITTER 0.05

typedef struct _XaSimHost XaSimHost;

/* A build in flight: the chunk it populates and the work left in it, in
 * MiB at the full populate rate (dirty pages count extra: scrubbing). */
typedef struct {
  XaSimHost *host;
  guint32 domid;
  guint64 left_mib;
  guint64 *exact_mib;
  gdouble work_mib;
  gdouble rate_mib_per_s;
  gdouble updated_s;
  guint64 event;
  XaHostBuildDone done;
  gpointer user_data;
} XaSimBuild;

typedef struct {
  XaHostDomain *domain;
  guint max_vcpus;
  guint64 max_mib;
  XaNodeSet soft_nodes;
  XaNodeSet hard_nodes;
  XaNodeSet node_affinity;
  gboolean pvh;
  gboolean paused;
  XaSimBuild *build;
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
  gint lock_fd;
  GRand *rand;
  GHashTable *domains;
  /* handle (UUID) → XaSimDomain, for the domains that have one */
  GHashTable *handles;
  /* CPU → its node + 1 */
  GHashTable *cpu_nodes;
  GPtrArray *builds;
  GHashTable *call_uses;
  guint32 next_domid;
  gdouble scrubbed_s;
  /* outstanding claims, all of them and per node, kept as they change */
  guint64 claimed_mib;
  guint64 *claimed_on_node_mib;
};

static gdouble
xa_sim_host_now (XaSimHost *self)
{
  return xa_clock_now (self->parent.clock);
}

static gboolean
xa_sim_host_save (XaSimHost *self, GError **error)
{
  g_autoptr(json_t) root = NULL;
  g_autofree gchar *text = NULL;
  g_autoptr(GError) error_local = NULL;

  if (self->state_path == NULL)
    return TRUE;
  self->info->time_s = xa_sim_host_now (self);
  root = xa_host_file_to_json (self->info, self->faults);
  text = json_dumps (root, JSON_INDENT (2));
  /* g_file_set_contents writes a temporary file and renames it over the old
   * one, so a crash never leaves half a state behind */
  if (!g_file_set_contents_full (self->state_path, text, -1,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error_local)) {
    g_set_error (error, XA_ERROR, XA_ERROR_FAILED,
                 "%s: cannot save the simulated host: %s", self->state_path, error_local->message);
    return FALSE;
  }
  return TRUE;
}

/* Between host calls the state only changes by itself through faults and
 * chunks; those save it where they cannot report. */
static void
xa_sim_host_save_or_warn (XaSimHost *self)
{
  g_autoptr(GError) error = NULL;

  if (!xa_sim_host_save (self, &error))
    g_warning ("%s", error->message);
}

/* Dirty memory is scrubbed in the background, on every node at once. */
static void
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

/* Counts a use of a host call; the host file's faults break the k-th. */
static gboolean
xa_sim_host_call (XaSimHost *self, const gchar *call, GError **error)
{
  guint uses = GPOINTER_TO_UINT (g_hash_table_lookup (self->call_uses, call)) + 1;

  g_hash_table_insert (self->call_uses, (gpointer) call, GUINT_TO_POINTER (uses));
  xa_sim_host_scrub (self);
  for (guint i = 0; i < self->faults->len; i++) {
    const XaSimFault *fault = g_ptr_array_index (self->faults, i);

    if (fault->kind == XA_SIM_FAULT_CALL_FAILS && g_strcmp0 (fault->call, call) == 0 &&
        fault->use == uses)
      return xa_host_fail (error, EIO, call, "use %u fails, as the host file's faults say", uses);
  }
  return TRUE;
}

static XaSimDomain *
xa_sim_host_domain (XaSimHost *self, guint32 domid, const gchar *call, GError **error)
{
  XaSimDomain *sd = g_hash_table_lookup (self->domains, GUINT_TO_POINTER (domid));

  if (sd == NULL)
    xa_host_fail (error, ESRCH, call, "there is no domain %u", domid);
  return sd;
}

static guint64 xa_sim_host_claims (XaSimHost *self, gint node, const XaHostDomain *except);

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

static gboolean
xa_sim_host_free_memory (XaHost *host, guint64 *free_mib, guint64 *claimed_mib, GError **error)
{
  XaSimHost *self = (XaSimHost *) host;

  xa_sim_host_scrub (self);
  for (guint n = 0; n < self->info->n_nodes; n++) {
    free_mib[n] = self->info->nodes[n].free_mib;
    if (claimed_mib != NULL)
      claimed_mib[n] = xa_sim_host_claims (self, (gint) n, NULL);
  }
  return TRUE;
}

static gboolean
xa_sim_host_lock (XaHost *host, GError **error)
{
  XaSimHost *self = (XaSimHost *) host;
  g_autofree gchar *path = NULL;
  g_autofree gchar *what = NULL;

  /* a host without a state file lives in this process alone */
  if (self->state_path == NULL || self->lock_fd >= 0)
    return TRUE;
  path = g_strconcat (self->state_path, ".lock", NULL);
  what = g_strdup_printf ("the simulated host in %s", self->state_path);
  return xa_host_lock_file (path, what, &self->lock_fd, error);
}

/* Finds @sd by its domid, and by its handle if it has one. */
static void
xa_sim_host_index_domain (XaSimHost *self, XaSimDomain *sd)
{
  g_hash_table_insert (self->domains, GUINT_TO_POINTER (sd->domain->domid), sd);
  if (sd->domain->uuid != NULL)
    g_hash_table_insert (self->handles, sd->domain->uuid, sd);
}

static gboolean
xa_sim_host_create_domain (XaHost *host, const XaDomainSpec *spec, guint32 *out_domid,
                           GError **error)
{
  XaSimHost *self = (XaSimHost *) host;
  XaSimDomain *sd;

  if (!xa_sim_host_call (self, "create_domain", error))
    return FALSE;
  if (g_hash_table_contains (self->handles, spec->uuid))
    return xa_host_fail (error, EEXIST, "create_domain", "a domain has handle %s already",
                         spec->uuid);
  if (self->next_domid > XA_HOST_DOMID_MAX)
    return xa_host_fail (error, ENOSPC, "create_domain", "no domain id is left");
  sd = g_new0 (XaSimDomain, 1);
  sd->domain = xa_host_domain_new (spec->name, spec->vcpus, self->info->n_nodes);
  sd->domain->uuid = g_strdup (spec->uuid);
  sd->domain->domid = self->next_domid++;
  sd->pvh = spec->pvh;
  sd->paused = TRUE;
  g_ptr_array_add (self->info->domains, sd->domain);
  xa_sim_host_index_domain (self, sd);
  *out_domid = sd->domain->domid;
  return xa_sim_host_save (self, error);
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

static gint
xa_sim_host_node_of_cpu (XaSimHost *self, guint cpu)
{
  return GPOINTER_TO_INT (g_hash_table_lookup (self->cpu_nodes, GUINT_TO_POINTER (cpu))) - 1;
}

/* The nodes of @cpus; *out_unknown is a CPU the host lacks, or G_MAXUINT. */
static XaNodeSet
xa_sim_host_nodes_of_cpus (XaSimHost *self, GArray *cpus, guint *out_unknown)
{
  XaNodeSet nodes = 0;

  *out_unknown = G_MAXUINT;
  for (guint i = 0; i < cpus->len; i++) {
    guint cpu = g_array_index (cpus, guint, i);
    gint node = xa_sim_host_node_of_cpu (self, cpu);

    if (node < 0)
      *out_unknown = cpu;
    else
      nodes |= XA_NODESET_BIT (node);
  }
  return nodes;
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
  nodes = xa_sim_host_nodes_of_cpus (self, cpus, &unknown);
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

static guint64
xa_sim_host_free_total (XaSimHost *self)
{
  guint64 free_mib = 0;

  for (guint n = 0; n < self->info->n_nodes; n++)
    free_mib += self->info->nodes[n].free_mib;
  return free_mib;
}

/* Outstanding claims: all of them (@node -1) or those on @node, leaving
 * @except's out. */
static guint64
xa_sim_host_claims (XaSimHost *self, gint node, const XaHostDomain *except)
{
  guint64 claimed = node < 0 ? self->claimed_mib : self->claimed_on_node_mib[node];

  if (except != NULL && (node < 0 || except->claim_node == node))
    claimed -= except->claim_mib;
  return claimed;
}

/* Adds @domain's claim to the sums. */
static void
xa_sim_host_count_claim (XaSimHost *self, const XaHostDomain *domain)
{
  self->claimed_mib += domain->claim_mib;
  if (domain->claim_node >= 0)
    self->claimed_on_node_mib[domain->claim_node] += domain->claim_mib;
}

/* Every change of a claim goes through here, to keep the sums right. */
static void
xa_sim_host_set_claim (XaSimHost *self, XaHostDomain *domain, guint64 mib, gint node)
{
  self->claimed_mib -= domain->claim_mib;
  if (domain->claim_node >= 0)
    self->claimed_on_node_mib[domain->claim_node] -= domain->claim_mib;
  domain->claim_mib = mib;
  domain->claim_node = mib > 0 ? node : -1;
  xa_sim_host_count_claim (self, domain);
}

/* Free memory not claimed by other domains: host-wide, or on @node. */
static guint64
xa_sim_host_unclaimed (XaSimHost *self, gint node, const XaHostDomain *domain)
{
  guint64 free_mib = node < 0 ? xa_sim_host_free_total (self) : self->info->nodes[node].free_mib;
  guint64 claimed = xa_sim_host_claims (self, node, domain);

  return free_mib > claimed ? free_mib - claimed : 0;
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
    xa_sim_host_set_claim (self, sd->domain, 0, -1);
    return xa_sim_host_save (self, error);
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
  if (mib - have > xa_sim_host_unclaimed (self, -1, sd->domain) ||
      (node >= 0 && mib - have > xa_sim_host_unclaimed (self, node, sd->domain)))
    return xa_host_fail (error, ENOMEM, "claim_pages",
                         "%" G_GUINT64_FORMAT " MiB is more than %s has unclaimed",
                         mib - have, node >= 0 ? "the node" : "the host");
  xa_sim_host_set_claim (self, sd->domain, mib - have, node);
  return xa_sim_host_save (self, error);
}

/* Where the domain's pages go first: its node affinity if set, else the
 * nodes of its vCPUs' soft affinity within the hard one, else of the hard
 * one, else every node (Xen's automatic node affinity). */
static XaNodeSet
xa_sim_host_affine_nodes (XaSimHost *self, const XaSimDomain *sd)
{
  XaNodeSet hard = sd->hard_nodes != 0 ? sd->hard_nodes : xa_nodeset_all (self->info->n_nodes);

  if (sd->node_affinity != 0)
    return sd->node_affinity;
  if ((sd->soft_nodes & hard) != 0)
    return sd->soft_nodes & hard;
  return hard;
}

static guint32
xa_sim_host_distance_to (XaSimHost *self, XaNodeSet from, guint to)
{
  guint32 nearest = G_MAXUINT32;

  for (XaNodeSet s = from; s != 0; s &= s - 1) {
    guint n = (guint) __builtin_ctzll (s);

    nearest = MIN (nearest, self->info->distances[n * self->info->n_nodes + to]);
  }
  return nearest;
}

/* The next node outside @taken to spill to: the nearest to @affine. */
static gint
xa_sim_host_next_spill (XaSimHost *self, XaNodeSet affine, XaNodeSet taken, const guint64 *room)
{
  gint best = -1;

  for (guint n = 0; n < self->info->n_nodes; n++) {
    if (xa_nodeset_has (taken, n) || room[n] == 0)
      continue;
    if (best < 0 || xa_sim_host_distance_to (self, affine, n) <
                    xa_sim_host_distance_to (self, affine, (guint) best))
      best = (gint) n;
  }
  return best;
}

/* Per node, what the domain may allocate there: free memory not claimed
 * on that node by another domain. */
static void
xa_sim_host_room (XaSimHost *self, const XaSimDomain *sd, guint64 *room)
{
  for (guint n = 0; n < self->info->n_nodes; n++)
    room[n] = xa_sim_host_unclaimed (self, (gint) n, sd->domain);
}

/* Spreads @mib over the affine nodes, then spills what they cannot take
 * to the other nodes, nearest first. Returns what no node could take. */
static guint64
xa_sim_host_place (XaSimHost *self, const XaSimDomain *sd, guint64 mib, guint64 *take)
{
  g_autofree guint64 *room = g_new (guint64, self->info->n_nodes);
  XaNodeSet affine = xa_sim_host_affine_nodes (self, sd);
  XaNodeSet taken = affine;
  guint64 left = mib;

  xa_sim_host_room (self, sd, room);
  xa_mem_split_evenly (self->info->n_nodes, room, affine, mib, take);
  for (guint n = 0; n < self->info->n_nodes; n++)
    left -= take[n];
  while (left > 0) {
    gint next = xa_sim_host_next_spill (self, affine, taken, room);

    if (next < 0)
      break;
    take[next] = MIN (room[next], left);
    left -= take[next];
    taken |= XA_NODESET_BIT (next);
  }
  return left;
}

/* With exact ranges, the first node that still has memory to get takes
 * the chunk; a node without the room fails the build, never spills. */
static guint64
xa_sim_host_place_exact (XaSimHost *self, const XaSimDomain *sd, guint64 *exact, guint64 mib,
                         guint64 *take)
{
  g_autofree guint64 *room = g_new (guint64, self->info->n_nodes);
  guint64 left = mib;

  xa_sim_host_room (self, sd, room);
  for (guint n = 0; n < self->info->n_nodes && left > 0; n++) {
    guint64 wanted = MIN (exact[n], left);

    if (wanted == 0)
      continue;
    if (room[n] < wanted)
      return left;
    take[n] = wanted;
    exact[n] -= wanted;
    left -= wanted;
  }
  return left;
}

/* Allocates @mib for a domain as Xen's allocator would (or from @exact,
 * node by node); returns the dirty MiB it had to scrub, or -1 with ENOMEM. */
static gint64
xa_sim_host_allocate (XaSimHost *self, XaSimDomain *sd, guint64 *exact, guint64 mib,
                      GError **error)
{
  g_autofree guint64 *take = g_new0 (guint64, self->info->n_nodes);
  guint64 dirty = 0;
  guint64 left;

  xa_sim_host_scrub (self);
  if (mib <= sd->domain->claim_mib + xa_sim_host_unclaimed (self, -1, sd->domain))
    left = exact != NULL ? xa_sim_host_place_exact (self, sd, exact, mib, take)
                         : xa_sim_host_place (self, sd, mib, take);
  else
    left = mib;
  if (left > 0) {
    xa_host_fail (error, ENOMEM, "populate_physmap",
                  "%" G_GUINT64_FORMAT " MiB more for %s do not fit the host's free memory",
                  mib, sd->domain->name);
    return -1;
  }
  for (guint n = 0; n < self->info->n_nodes; n++) {
    XaHostNode *node = &self->info->nodes[n];
    guint64 clean = node->free_mib - node->dirty_mib;
    guint64 from_dirty = take[n] > clean ? take[n] - clean : 0;

    node->dirty_mib -= from_dirty;
    node->free_mib -= take[n];
    sd->domain->memory_by_node_mib[n] += take[n];
    dirty += from_dirty;
  }
  xa_sim_host_set_claim (self, sd->domain, sd->domain->claim_mib - MIN (sd->domain->claim_mib, mib),
                         sd->domain->claim_node);
  return (gint64) dirty;
}

/* Each build populates at the full rate unless the builds together would
 * exceed the host's bandwidth; then they share it. */
static gdouble
xa_sim_host_build_rate (XaSimHost *self)
{
  gdouble share = (gdouble) self->info->bandwidth_mib_per_s / MAX (self->builds->len, 1u);

  return MIN ((gdouble) self->info->populate_mib_per_s, share);
}

static void xa_sim_build_chunk_done (gpointer data);

/* Takes what each build did since its last update off its work, then sets
 * when its chunk ends at the rate it now has: only where the rate changed,
 * or the chunk is new. */
static void
xa_sim_host_retime_builds (XaSimHost *self)
{
  gdouble now = xa_sim_host_now (self);
  gdouble rate = xa_sim_host_build_rate (self);

  for (guint i = 0; i < self->builds->len; i++) {
    XaSimBuild *build = g_ptr_array_index (self->builds, i);

    if (build->event != 0 && build->rate_mib_per_s == rate)
      continue;
    build->work_mib = MAX (build->work_mib - (now - build->updated_s) * build->rate_mib_per_s, 0);
    build->rate_mib_per_s = rate;
    build->updated_s = now;
    xa_clock_cancel (self->parent.clock, build->event);
    build->event = xa_clock_add (self->parent.clock, now + build->work_mib / rate,
                                 xa_sim_build_chunk_done, build);
  }
}

static void
xa_sim_build_free (XaSimBuild *build)
{
  g_free (build->exact_mib);
  g_free (build);
}

static void
xa_sim_build_end (XaSimBuild *build, const GError *error)
{
  XaSimHost *self = build->host;
  XaSimDomain *sd = g_hash_table_lookup (self->domains, GUINT_TO_POINTER (build->domid));
  XaHostBuildDone done = build->done;
  gpointer user_data = build->user_data;

  sd->build = NULL;
  g_ptr_array_remove (self->builds, build);
  xa_sim_build_free (build);
  xa_sim_host_retime_builds (self);
  xa_sim_host_save_or_warn (self);
  done (error, user_data);
}

/* Allocates the next chunk now and sets the work it takes. */
static gboolean
xa_sim_build_next_chunk (XaSimBuild *build, GError **error)
{
  XaSimHost *self = build->host;
  XaSimDomain *sd = g_hash_table_lookup (self->domains, GUINT_TO_POINTER (build->domid));
  guint64 chunk = MIN (build->left_mib, XA_SIM_CHUNK_MIB);
  gint64 dirty = xa_sim_host_allocate (self, sd, build->exact_mib, chunk, error);
  gdouble jitter = 1.0 + g_rand_double (self->rand) * XA_SIM_JITTER;

  if (dirty < 0)
    return FALSE;
  build->left_mib -= chunk;
  build->updated_s = xa_sim_host_now (self);
  build->work_mib = (gdouble) chunk * jitter +
                    (gdouble) dirty * (gdouble) self->info->populate_mib_per_s /
                    (gdouble) self->info->scrub_mib_per_s;
  xa_sim_host_save_or_warn (self);
  return TRUE;
}

static void
xa_sim_build_chunk_done (gpointer data)
{
  XaSimBuild *build = data;
  g_autoptr(GError) error = NULL;

  build->event = 0;
  if (build->left_mib == 0) {
    xa_sim_build_end (build, NULL);
    return;
  }
  if (!xa_sim_build_next_chunk (build, &error)) {
    xa_sim_build_end (build, error);
    return;
  }
  xa_sim_host_retime_builds (build->host);
}

typedef struct {
  XaHostBuildDone done;
  gpointer user_data;
  GError *error;
} XaSimLateFailure;

static void
xa_sim_host_report_failure (gpointer data)
{
  XaSimLateFailure *failure = data;

  failure->done (failure->error, failure->user_data);
  g_error_free (failure->error);
  g_free (failure);
}

/* A build that cannot start still ends through its callback, later. */
static void
xa_sim_host_fail_build (XaSimHost *self, GError *error, XaHostBuildDone done, gpointer user_data)
{
  XaSimLateFailure *failure = g_new (XaSimLateFailure, 1);

  *failure = (XaSimLateFailure) { done, user_data, error };
  xa_clock_add (self->parent.clock, xa_sim_host_now (self), xa_sim_host_report_failure, failure);
}

static gboolean
xa_sim_host_build_fault (XaSimHost *self, const XaBuildSpec *spec, GError **error)
{
  for (guint i = 0; i < self->faults->len; i++) {
    const XaSimFault *fault = g_ptr_array_index (self->faults, i);

    if (fault->kind == XA_SIM_FAULT_BUILD_FAILS && g_strcmp0 (fault->vm, spec->name) == 0 &&
        fault->attempt == spec->attempt)
      return xa_host_fail (error, EIO, "xenguest", "the build of %s fails on attempt %u, as the "
                           "host file's faults say", spec->name, spec->attempt);
  }
  return TRUE;
}

static void
xa_sim_host_build (XaHost *host, guint32 domid, const XaBuildSpec *spec, XaHostBuildDone done,
                   gpointer user_data)
{
  XaSimHost *self = (XaSimHost *) host;
  GError *error = NULL;
  XaSimDomain *sd;
  XaSimBuild *build;

  if (!xa_sim_host_call (self, "build", &error) || !xa_sim_host_build_fault (self, spec, &error) ||
      (sd = xa_sim_host_domain (self, domid, "build", &error)) == NULL) {
    xa_sim_host_fail_build (self, error, done, user_data);
    return;
  }
  build = g_new0 (XaSimBuild, 1);
  build->host = self;
  build->domid = domid;
  /* Xen's per-domain overhead comes with the memory, from the same nodes */
  build->left_mib = xa_mem_need_mib (spec->memory_mib, sd->domain->vcpus,
                                     self->info->overhead_mib_per_vm,
                                     self->info->overhead_kib_per_vcpu);
  build->done = done;
  build->user_data = user_data;
  if (spec->mib_by_node != NULL) {
    build->exact_mib = g_memdup2 (spec->mib_by_node, sizeof (guint64) * self->info->n_nodes);
    build->left_mib = 0;
    for (guint n = 0; n < self->info->n_nodes; n++)
      build->left_mib += spec->mib_by_node[n];
  }
  if (!xa_sim_build_next_chunk (build, &error)) {
    xa_sim_build_free (build);
    xa_sim_host_fail_build (self, error, done, user_data);
    return;
  }
  sd->build = build;
  g_ptr_array_add (self->builds, build);
  xa_sim_host_retime_builds (self);
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
  sd->paused = FALSE;
  return TRUE;
}

/* A build in flight stops at once, without calling back: the caller who
 * destroys the domain knows. Its memory is free again, and dirty. */
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
  if (sd->build != NULL) {
    xa_clock_cancel (self->parent.clock, sd->build->event);
    g_ptr_array_remove (self->builds, sd->build);
    g_clear_pointer (&sd->build, xa_sim_build_free);
    xa_sim_host_retime_builds (self);
  }
  for (guint n = 0; n < self->info->n_nodes; n++) {
    self->info->nodes[n].free_mib += sd->domain->memory_by_node_mib[n];
    self->info->nodes[n].dirty_mib += sd->domain->memory_by_node_mib[n];
  }
  xa_sim_host_set_claim (self, sd->domain, 0, -1);
  if (sd->domain->uuid != NULL)
    g_hash_table_remove (self->handles, sd->domain->uuid);
  g_ptr_array_remove (self->info->domains, sd->domain);
  g_hash_table_remove (self->domains, GUINT_TO_POINTER (domid));
  return xa_sim_host_save (self, error);
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
xa_sim_domain_free (gpointer data)
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
  g_clear_pointer (&self->call_uses, g_hash_table_unref);
  g_clear_pointer (&self->rand, g_rand_free);
  g_free (self->claimed_on_node_mib);
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
  .lock = xa_sim_host_lock,
  .free_memory = xa_sim_host_free_memory,
  .create_domain = xa_sim_host_create_domain,
  .set_max_vcpus = xa_sim_host_set_max_vcpus,
  .set_timer_mode = xa_sim_host_set_timer_mode,
  .set_max_mem = xa_sim_host_set_max_mem,
  .set_vcpu_affinity = xa_sim_host_set_vcpu_affinity,
  .set_node_affinity = xa_sim_host_set_node_affinity,
  .claim = xa_sim_host_claim,
  .build = xa_sim_host_build,
  .unpause = xa_sim_host_unpause,
  .destroy = xa_sim_host_destroy,
  .domain_memory = xa_sim_host_domain_memory,
  .free = xa_sim_host_free,
};

static XaHostInfo *
xa_sim_host_load_default (GPtrArray **faults, GError **error)
{
  /* through xa_get_resource(), so that the linker keeps the resource */
  g_autoptr(GBytes) bytes = g_resource_lookup_data (xa_get_resource (), XA_SIM_DEFAULT_RESOURCE,
                                                    G_RESOURCE_LOOKUP_FLAGS_NONE, error);
  gsize len = 0;
  const gchar *data;

  if (bytes == NULL)
    return NULL;
  data = g_bytes_get_data (bytes, &len);
  return xa_host_file_load_data ("the embedded default host", data, len, faults, error);
}

static XaHostInfo *
xa_sim_host_load_topology (const gchar *topology_path, GPtrArray **faults, GError **error)
{
  if (topology_path == NULL)
    return xa_sim_host_load_default (faults, error);
  return xa_host_file_load (topology_path, faults, error);
}

/* A saved state wins over the topology, as a running hypervisor would. */
static gboolean
xa_sim_host_load_state (XaSimHost *self, const gchar *topology_path, GError **error)
{
  g_autoptr(XaHostInfo) topology = NULL;

  if (!g_file_test (self->state_path, G_FILE_TEST_EXISTS)) {
    self->info = xa_sim_host_load_topology (topology_path, &self->faults, error);
    return self->info != NULL;
  }
  self->info = xa_host_file_load (self->state_path, &self->faults, error);
  if (self->info == NULL || topology_path == NULL)
    return self->info != NULL;
  topology = xa_host_file_load (topology_path, NULL, error);
  if (topology == NULL)
    return FALSE;
  if (topology->n_nodes != self->info->n_nodes) {
    g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                 "%s: the simulated host in it has %u nodes, but %s has %u "
                 "(use another --sim-state file)",
                 self->state_path, self->info->n_nodes, topology_path, topology->n_nodes);
    return FALSE;
  }
  return TRUE;
}

/* Memory someone else takes on a node at a time: a fault of the host file. */
typedef struct {
  XaSimHost *host;
  guint node;
  guint64 mib;
} XaSimTake;

static void
xa_sim_host_take_memory (gpointer data)
{
  const XaSimTake *take = data;
  XaSimHost *self = take->host;
  XaHostNode *node = &self->info->nodes[take->node];

  xa_sim_host_scrub (self);
  node->free_mib -= MIN (node->free_mib, take->mib);
  node->dirty_mib = MIN (node->dirty_mib, node->free_mib);
  xa_sim_host_save_or_warn (self);
}

/* Domain ids: those the host file gives, dom0 0, the others from there on. */
static void
xa_sim_host_number_domains (XaSimHost *self)
{
  self->next_domid = 1;
  for (guint i = 0; i < self->info->domains->len; i++) {
    XaHostDomain *domain = g_ptr_array_index (self->info->domains, i);

    self->next_domid = MAX (self->next_domid, domain->domid + 1);
  }
  for (guint i = 0; i < self->info->domains->len; i++) {
    XaHostDomain *domain = g_ptr_array_index (self->info->domains, i);

    if (domain->domid == 0 && g_strcmp0 (domain->name, "dom0") != 0)
      domain->domid = self->next_domid++;
  }
}

/* The domains the state holds, and the faults still to come. */
static void
xa_sim_host_start (XaSimHost *self)
{
  gdouble now = xa_sim_host_now (self);

  xa_sim_host_number_domains (self);
  for (guint i = 0; i < self->info->domains->len; i++) {
    XaHostDomain *domain = g_ptr_array_index (self->info->domains, i);
    XaSimDomain *sd = g_new0 (XaSimDomain, 1);

    sd->domain = domain;
    sd->max_vcpus = domain->vcpus;
    sd->max_mib = xa_host_domain_total_mib (domain, self->info->n_nodes) + domain->claim_mib;
    xa_sim_host_index_domain (self, sd);
    xa_sim_host_count_claim (self, domain);
  }
  for (guint n = 0; n < self->info->n_nodes; n++) {
    GArray *cpus = self->info->nodes[n].cpus;

    for (guint k = 0; k < cpus->len; k++)
      g_hash_table_insert (self->cpu_nodes, GUINT_TO_POINTER (g_array_index (cpus, guint, k)),
                           GUINT_TO_POINTER (n + 1));
  }
  for (guint i = 0; i < self->faults->len; i++) {
    const XaSimFault *fault = g_ptr_array_index (self->faults, i);
    XaSimTake *take;

    if (fault->kind != XA_SIM_FAULT_TAKE_MEMORY || fault->at_s < now)
      continue;
    take = g_new (XaSimTake, 1);
    *take = (XaSimTake) { self, fault->node, fault->take_mib };
    g_ptr_array_add (self->takes, take);
    xa_clock_add (self->parent.clock, fault->at_s, xa_sim_host_take_memory, take);
  }
}

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
  gboolean loaded;

  self->parent.klass = &xa_sim_host_class;
  self->lock_fd = -1;
  self->domains = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, xa_sim_domain_free);
  self->handles = g_hash_table_new (g_str_hash, g_str_equal);
  self->cpu_nodes = g_hash_table_new (g_direct_hash, g_direct_equal);
  self->builds = g_ptr_array_new ();
  self->takes = g_ptr_array_new_with_free_func (g_free);
  self->call_uses = g_hash_table_new (g_str_hash, g_str_equal);
  self->rand = g_rand_new_with_seed (1);
  self->state_path = g_strdup (state_path);
  host = &self->parent;
  loaded = state_path != NULL ? xa_sim_host_load_state (self, topology_path, error)
                              : (self->info = xa_sim_host_load_topology (topology_path,
                                                                         &self->faults, error))
                                != NULL;
  if (!loaded)
    return NULL;
  if (self->info->uuid == NULL)
    self->info->uuid = g_uuid_string_random ();
  self->claimed_on_node_mib = g_new0 (guint64, self->info->n_nodes);
  self->parent.clock = xa_clock_new_virtual (self->info->time_s);
  self->scrubbed_s = self->info->time_s;
  xa_sim_host_start (self);
  if (!xa_sim_host_save (self, error))
    return NULL;
  return g_steal_pointer (&host);
}


