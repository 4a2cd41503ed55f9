/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "xa-error.h"
#include "xa-file.h"
#include "xa-json.h"
#include "xa-resources.h"
#include "xa-sim-alloc.h"
#include "xa-sim-life.h"
#include "xa-sim-state.h"
#include "xa-text.h"

/* The simulated host's state: the topology it starts from (and which node
 * each CPU is on), the state file that keeps it between runs, and the lock
 * on that file. */

#define XA_SIM_DEFAULT_RESOURCE "/org/xadmit/hosts/default.json"

/* A host call or the clock changed what the state file keeps: the next
 * xa_host_save() writes it. */
void
xa_sim_state_changed (XaSimHost *self)
{
  self->changed = TRUE;
}

static gboolean
xa_sim_state_rename (const gchar *from, const gchar *to, GError **error)
{
  if (g_rename (from, to) == 0)
    return TRUE;
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "cannot rename %s: %s", from,
               g_strerror (errno));
  return FALSE;
}

/* Writes the state file if the host changed since it was last written or
 * read: the scheduler calls this once per batch and at the end of a run
 * (docs/design.md, Data flow of a batch), not at every host call. */
gboolean
xa_sim_state_save (XaHost *host, GError **error)
{
  XaSimHost *self = (XaSimHost *) host;
  gdouble now = xa_sim_host_now (self);
  g_autofree gchar *text = NULL;
  g_autofree gchar *tmp = NULL;
  g_autoptr(GError) error_local = NULL;

  if (self->state_path == NULL || (self->on_disk && !self->changed && now == self->info->time_s))
    return TRUE;
  self->info->time_s = now;
  text = xa_host_file_to_text (self->info, self->faults);
  tmp = g_strconcat (self->state_path, ".tmp", NULL);
  /* a temporary file renamed over the old one: a crash of this process
   * never leaves half a state behind. Not synced: a hypervisor's domains
   * do not outlive a power loss either, and a daemon saves at each turn */
  if (!g_file_set_contents_full (tmp, text, -1, G_FILE_SET_CONTENTS_NONE, 0600, &error_local) ||
      !xa_sim_state_rename (tmp, self->state_path, &error_local)) {
    g_autofree gchar *state = xa_text_quote_path (self->state_path);

    g_set_error (error, XA_ERROR, XA_ERROR_FAILED, "%s: cannot save the simulated host: %s",
                 state, error_local->message);
    return FALSE;
  }
  self->on_disk = TRUE;
  self->changed = FALSE;
  self->parent.n_saves++;
  return TRUE;
}

gboolean
xa_sim_state_lock (XaHost *host, GError **error)
{
  XaSimHost *self = (XaSimHost *) host;
  g_autofree gchar *path = NULL;
  g_autofree gchar *what = NULL;

  /* a host without a state file lives in this process alone */
  if (self->state_path == NULL || self->lock_fd >= 0)
    return TRUE;
  path = g_strconcat (self->state_path, ".lock", NULL);
  what = g_strdup_printf ("the simulated host in %s", self->state_path);
  return xa_file_lock (path, what, &self->lock_fd, error);
}

static XaHostInfo *
xa_sim_state_load_default (GPtrArray **faults, GError **error)
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
xa_sim_state_load_topology (const gchar *topology_path, GPtrArray **faults, GError **error)
{
  if (topology_path == NULL)
    return xa_sim_state_load_default (faults, error);
  return xa_host_file_load (topology_path, faults, error);
}

/* The settings of a host file that define the host beside its nodes. */
static const struct {
  const gchar *name;
  gsize offset;
} xa_sim_state_settings[] = {
  { "populate_mib_per_s", G_STRUCT_OFFSET (XaHostInfo, populate_mib_per_s) },
  { "bandwidth_mib_per_s", G_STRUCT_OFFSET (XaHostInfo, bandwidth_mib_per_s) },
  { "scrub_mib_per_s", G_STRUCT_OFFSET (XaHostInfo, scrub_mib_per_s) },
  { "overhead_mib_per_vm", G_STRUCT_OFFSET (XaHostInfo, overhead_mib_per_vm) },
  { "overhead_kib_per_vcpu", G_STRUCT_OFFSET (XaHostInfo, overhead_kib_per_vcpu) },
};

static guint64
xa_sim_state_setting (const XaHostInfo *info, guint i)
{
  return G_STRUCT_MEMBER (guint64, info, xa_sim_state_settings[i].offset);
}

static gint64
xa_sim_state_distance (const XaHostInfo *info, guint i, guint j)
{
  guint32 d = info->distances[i * info->n_nodes + j];

  return d == XA_DISTANCE_UNREACHABLE ? -1 : (gint64) d;
}

/* Node @n of the state (@a) against the topology (@b): memory, CPUs, cores. */
static gchar *
xa_sim_state_node_difference (const XaHostNode *a, const XaHostNode *b, guint n)
{
  if (a->total_mib != b->total_mib)
    return g_strdup_printf ("node %u: memory: %" G_GUINT64_FORMAT " MiB in the state file, %"
                            G_GUINT64_FORMAT " MiB in the topology", n, a->total_mib, b->total_mib);
  if (a->cpus->len != b->cpus->len)
    return g_strdup_printf ("node %u: cpus: %u in the state file, %u in the topology", n,
                            a->cpus->len, b->cpus->len);
  for (guint k = 0; k < a->cpus->len; k++) {
    guint ca = g_array_index (a->cpus, guint, k);
    guint cb = g_array_index (b->cpus, guint, k);

    if (ca != cb)
      return g_strdup_printf ("node %u: cpus[%u]: CPU %u in the state file, CPU %u in the "
                              "topology", n, k, ca, cb);
  }
  if (a->n_cores != b->n_cores)
    return g_strdup_printf ("node %u: cores: %u in the state file, %u in the topology", n,
                            a->n_cores, b->n_cores);
  return NULL;
}

/* The first way the host saved in a state file (@a) differs from the
 * topology it is loaded for (@b), or %NULL. */
static gchar *
xa_sim_state_difference (const XaHostInfo *a, const XaHostInfo *b)
{
  if (a->n_nodes != b->n_nodes)
    return g_strdup_printf ("nodes: %u in the state file, %u in the topology", a->n_nodes,
                            b->n_nodes);
  for (guint n = 0; n < a->n_nodes; n++) {
    gchar *difference = xa_sim_state_node_difference (&a->nodes[n], &b->nodes[n], n);

    if (difference != NULL)
      return difference;
  }
  for (guint i = 0; i < a->n_nodes * a->n_nodes; i++) {
    if (a->distances[i] != b->distances[i])
      return g_strdup_printf ("distances[%u][%u]: %" G_GINT64_FORMAT " in the state file, %"
                              G_GINT64_FORMAT " in the topology", i / a->n_nodes, i % a->n_nodes,
                              xa_sim_state_distance (a, i / a->n_nodes, i % a->n_nodes),
                              xa_sim_state_distance (b, i / a->n_nodes, i % a->n_nodes));
  }
  for (guint i = 0; i < G_N_ELEMENTS (xa_sim_state_settings); i++) {
    if (xa_sim_state_setting (a, i) != xa_sim_state_setting (b, i))
      return g_strdup_printf ("%s: %" G_GUINT64_FORMAT " in the state file, %" G_GUINT64_FORMAT
                              " in the topology", xa_sim_state_settings[i].name,
                              xa_sim_state_setting (a, i), xa_sim_state_setting (b, i));
  }
  if (a->node_claims != b->node_claims)
    return g_strdup_printf ("node_claims: %s in the state file, %s in the topology",
                            a->node_claims ? "true" : "false", b->node_claims ? "true" : "false");
  return NULL;
}

/* A saved state wins over the topology, as a running hypervisor would, but
 * only for the host it was made from. */
static gboolean
xa_sim_state_load_saved (XaSimHost *self, const gchar *topology_path, GError **error)
{
  g_autoptr(XaHostInfo) topology = NULL;
  g_autofree gchar *difference = NULL;

  if (!g_file_test (self->state_path, G_FILE_TEST_EXISTS)) {
    self->info = xa_sim_state_load_topology (topology_path, &self->faults, error);
    return self->info != NULL;
  }
  self->on_disk = TRUE;
  self->info = xa_host_file_load (self->state_path, &self->faults, error);
  if (self->info == NULL || topology_path == NULL)
    return self->info != NULL;
  topology = xa_host_file_load (topology_path, NULL, error);
  if (topology == NULL)
    return FALSE;
  difference = xa_sim_state_difference (self->info, topology);
  if (difference != NULL) {
    g_autofree gchar *state = xa_text_quote_path (self->state_path);
    g_autofree gchar *shown = xa_text_quote_path (topology_path);

    g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                 "%s: the simulated host in it is not the one %s describes: %s "
                 "(use another --sim-state file)", state, shown, difference);
    return FALSE;
  }
  return TRUE;
}

/* The first sum of claims (the host's, or node @n's) that goes past its
 * memory, as "the host" or "node N", or %NULL. A claim is made of free
 * memory and never grows, so no more can be claimed; and the sums the host
 * keeps as claims change (xa-sim-alloc.c) never wrap so. */
static gchar *
xa_sim_state_overclaimed (const XaHostInfo *info, guint64 *out_memory_mib)
{
  g_autofree guint64 *on_node = g_new0 (guint64, info->n_nodes);
  guint64 memory = 0;
  guint64 claimed = 0;

  for (guint n = 0; n < info->n_nodes; n++)
    memory += info->nodes[n].total_mib;
  for (guint i = 0; i < info->domains->len; i++) {
    const XaHostDomain *domain = g_ptr_array_index (info->domains, i);
    gint n = domain->claim_node;

    if (!g_uint64_checked_add (&claimed, claimed, domain->claim_mib) || claimed > memory) {
      *out_memory_mib = memory;
      return g_strdup ("the host");
    }
    if (n >= 0 && (!g_uint64_checked_add (&on_node[n], on_node[n], domain->claim_mib) ||
                   on_node[n] > info->nodes[n].total_mib)) {
      *out_memory_mib = info->nodes[n].total_mib;
      return g_strdup_printf ("node %d", n);
    }
  }
  return NULL;
}

static gboolean
xa_sim_state_check_claims (const XaHostInfo *info, const gchar *path, GError **error)
{
  guint64 memory = 0;
  g_autofree gchar *where = xa_sim_state_overclaimed (info, &memory);
  g_autofree gchar *shown = NULL;

  if (where == NULL)
    return TRUE;
  shown = path != NULL ? xa_text_quote_path (path) : g_strdup ("the embedded default host");
  g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
               "%s: domains: the claims add up to more than the memory of %s (%"
               G_GUINT64_FORMAT " MiB)", shown, where, memory);
  return FALSE;
}

/* Sets the host's info and faults from its state file if it has one,
 * else from @topology_path (%NULL: the embedded default). */
gboolean
xa_sim_state_load (XaSimHost *self, const gchar *topology_path, GError **error)
{
  if (self->state_path != NULL) {
    if (!xa_sim_state_load_saved (self, topology_path, error))
      return FALSE;
  } else {
    self->info = xa_sim_state_load_topology (topology_path, &self->faults, error);
    if (self->info == NULL)
      return FALSE;
  }
  return xa_sim_state_check_claims (self->info, self->on_disk ? self->state_path : topology_path,
                                    error);
}

/* Memory someone else takes on a node, or gives back, at a time: a fault
 * of the host file. */
typedef struct {
  XaSimHost *host;
  XaSimFault *fault;
} XaSimTake;

/* What node @n could have free: its memory less what the domains hold. */
static guint64
xa_sim_state_unheld (XaSimHost *self, guint n)
{
  guint64 held = 0;

  for (guint i = 0; i < self->info->domains->len; i++)
    held += ((XaHostDomain *) g_ptr_array_index (self->info->domains, i))->memory_by_node_mib[n];
  return self->info->nodes[n].total_mib - MIN (held, self->info->nodes[n].total_mib);
}

/* The fault leaves the host's list once it happened, so the state saved
 * after it never schedules it again. What is given back comes clean, and
 * never beyond what the domains leave of the node. */
static void
xa_sim_state_take_memory (gpointer data)
{
  XaSimTake *take = data;
  XaSimHost *self = take->host;
  XaHostNode *node = &self->info->nodes[take->fault->node];

  xa_sim_host_scrub (self);
  if (take->fault->kind == XA_SIM_FAULT_GIVE_MEMORY)
    node->free_mib = MIN (node->free_mib + take->fault->take_mib,
                          xa_sim_state_unheld (self, take->fault->node));
  else
    node->free_mib -= MIN (node->free_mib, take->fault->take_mib);
  node->dirty_mib = MIN (node->dirty_mib, node->free_mib);
  g_ptr_array_remove (self->faults, take->fault);
  take->fault = NULL;
  xa_sim_state_changed (self);
}

/* Domain ids: those the host file gives, dom0 0, the others from there on. */
static void
xa_sim_state_number_domains (XaSimHost *self)
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

static void
xa_sim_state_index_cpus (XaSimHost *self)
{
  for (guint n = 0; n < self->info->n_nodes; n++) {
    GArray *cpus = self->info->nodes[n].cpus;

    for (guint k = 0; k < cpus->len; k++)
      g_hash_table_insert (self->cpu_nodes, GUINT_TO_POINTER (g_array_index (cpus, guint, k)),
                           GUINT_TO_POINTER (n + 1));
  }
}

static gint
xa_sim_state_node_of_cpu (XaSimHost *self, guint cpu)
{
  return GPOINTER_TO_INT (g_hash_table_lookup (self->cpu_nodes, GUINT_TO_POINTER (cpu))) - 1;
}

/* The nodes of @cpus; *out_unknown is a CPU the host lacks, or G_MAXUINT. */
XaNodeSet
xa_sim_state_nodes_of_cpus (XaSimHost *self, GArray *cpus, guint *out_unknown)
{
  XaNodeSet nodes = 0;

  *out_unknown = G_MAXUINT;
  for (guint i = 0; i < cpus->len; i++) {
    guint cpu = g_array_index (cpus, guint, i);
    gint node = xa_sim_state_node_of_cpu (self, cpu);

    if (node < 0)
      *out_unknown = cpu;
    else
      nodes |= XA_NODESET_BIT (node);
  }
  return nodes;
}

/* The domains the state holds, and the faults still to come. */
void
xa_sim_state_start (XaSimHost *self)
{
  gdouble now = xa_sim_host_now (self);

  xa_sim_state_number_domains (self);
  for (guint i = 0; i < self->info->domains->len; i++) {
    XaHostDomain *domain = g_ptr_array_index (self->info->domains, i);
    XaSimDomain *sd = xa_sim_host_add_domain (self, domain);

    sd->max_vcpus = domain->vcpus;
    sd->max_mib = xa_host_domain_total_mib (domain, self->info->n_nodes) + domain->claim_mib;
    xa_sim_alloc_count_claim (self, domain);
    xa_host_load_add (self->loads, domain, self->info->n_nodes);
  }
  xa_sim_state_index_cpus (self);
  for (guint i = 0; i < self->faults->len; i++) {
    XaSimFault *fault = g_ptr_array_index (self->faults, i);
    XaSimTake *take;

    /* a take still listed has not happened, however late it is now */
    if (fault->kind != XA_SIM_FAULT_TAKE_MEMORY && fault->kind != XA_SIM_FAULT_GIVE_MEMORY)
      continue;
    take = g_new (XaSimTake, 1);
    *take = (XaSimTake) { self, fault };
    g_ptr_array_add (self->takes, take);
    xa_clock_add (self->parent.clock, MAX (fault->at_s, now), xa_sim_state_take_memory, take);
  }
  xa_sim_life_resume (self);
}
