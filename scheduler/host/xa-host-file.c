/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading a host file (docs/formats.md): nodes, distances, domains, settings. */
#include "xa-error.h"
#include "xa-host-file.h"
#include "xa-json.h"
#include "xa-request.h"
#include "xa-size.h"
#include "xa-text.h"

#define XA_HOST_MAX_CPUS_PER_NODE 4096
#define XA_RATE_MAX (G_GINT64_CONSTANT (1) << 40)

static const gchar *const host_keys[] = {
  "name", "nodes", "distances", "populate_mib_per_s", "bandwidth_mib_per_s",
  "scrub_mib_per_s", "overhead_mib_per_vm", "overhead_kib_per_vcpu",
  "node_claims", "domains", "faults", "uuid", "time_s", NULL
};
static const gchar *const node_keys[] = { "memory", "free", "dirty", "cpus", "cores", NULL };
static const gchar *const domain_keys[] = {
  "name", "memory_by_node", "vcpus", "uuid", "domid", "claim", "claim_node",
  "estimated", "unfinished", "paused", "down", NULL
};

/* Either every node gives "cpus" as a count, or every node as a list. */
typedef struct {
  gboolean seen_count;
  gboolean seen_list;
  guint next_id;
  GHashTable *owner;
} XaCpuParse;

static gboolean
xa_host_file_parse_cpus (json_t *jnode, guint node, XaCpuParse *cp, XaHostNode *hn,
                         GError **error)
{
  json_t *value = json_object_get (jnode, "cpus");
  g_autoptr(GArray) list = NULL;

  if (value == NULL) {
    g_set_error_literal (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                         "cpus: missing (expected a count or a list of CPU ids)");
    return FALSE;
  }
  if (json_is_integer (value)) {
    gint64 count = 0;

    if (!xa_json_get_int (jnode, "cpus", XA_JSON_REQUIRED, 0, XA_HOST_MAX_CPUS_PER_NODE,
                          &count, error))
      return FALSE;
    cp->seen_count = TRUE;
    for (gint64 i = 0; i < count; i++) {
      guint id = cp->next_id++;

      g_array_append_val (hn->cpus, id);
    }
  } else {
    if (!xa_json_get_cpu_list (jnode, "cpus", &list, error))
      return FALSE;
    cp->seen_list = TRUE;
    for (guint i = 0; i < list->len; i++) {
      guint id = g_array_index (list, guint, i);
      gpointer other = g_hash_table_lookup (cp->owner, GUINT_TO_POINTER (id + 1));

      if (other != NULL) {
        g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                     "cpus: CPU %u is also on node %u", id, GPOINTER_TO_UINT (other) - 1);
        return FALSE;
      }
      g_hash_table_insert (cp->owner, GUINT_TO_POINTER (id + 1), GUINT_TO_POINTER (node + 1));
    }
    g_array_append_vals (hn->cpus, list->data, list->len);
  }
  if (cp->seen_count && cp->seen_list) {
    g_set_error_literal (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                         "cpus: a count on some nodes and a list on others "
                         "(use the same form on every node)");
    return FALSE;
  }
  return TRUE;
}

static gboolean
xa_host_file_parse_cores (json_t *jnode, XaHostNode *hn, GError **error)
{
  gint64 cores = hn->cpus->len;

  if (!xa_json_get_int (jnode, "cores", XA_JSON_OPTIONAL, 0, G_MAXINT32, &cores, error))
    return FALSE;
  if (cores > (gint64) hn->cpus->len) {
    g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                 "cores: %" G_GINT64_FORMAT " is more than the node's %u %s",
                 cores, hn->cpus->len, xa_text_plural (hn->cpus->len, "CPU", "CPUs"));
    return FALSE;
  }
  if (cores == 0 && hn->cpus->len > 0) {
    g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                 "cores: 0, but the node has %u %s", hn->cpus->len,
                 xa_text_plural (hn->cpus->len, "CPU", "CPUs"));
    return FALSE;
  }
  hn->n_cores = (guint) cores;
  return TRUE;
}

/* Memory and CPUs; "free" waits for the domains (it defaults to what they
 * leave). */
static gboolean
xa_host_file_parse_node (json_t *jnode, guint node, XaCpuParse *cp, XaHostNode *hn,
                         GError **error)
{
  return xa_json_check_object (jnode, node_keys, error) &&
         xa_json_get_size (jnode, "memory", XA_JSON_REQUIRED | XA_JSON_NONZERO,
                           &hn->total_mib, error) &&
         xa_host_file_parse_cpus (jnode, node, cp, hn, error) &&
         xa_host_file_parse_cores (jnode, hn, error);
}

static gboolean
xa_host_file_parse_nodes (XaHostInfo *info, json_t *jnodes, GError **error)
{
  g_autoptr(GHashTable) owner = g_hash_table_new (g_direct_hash, g_direct_equal);
  XaCpuParse cp = { .owner = owner };

  for (guint n = 0; n < info->n_nodes; n++) {
    if (!xa_host_file_parse_node (json_array_get (jnodes, n), n, &cp, &info->nodes[n], error)) {
      g_prefix_error (error, "nodes[%u]: ", n);
      return FALSE;
    }
  }
  return TRUE;
}

static gboolean
xa_host_file_parse_free (XaHostInfo *info, json_t *jnodes, GError **error)
{
  for (guint n = 0; n < info->n_nodes; n++) {
    json_t *jnode = json_array_get (jnodes, n);
    XaHostNode *hn = &info->nodes[n];
    guint64 used = xa_host_info_domains_mib (info, n);

    if (used > hn->total_mib) {
      g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                   "nodes[%u]: the domains use %" G_GUINT64_FORMAT " MiB here, more than "
                   "its memory (%" G_GUINT64_FORMAT " MiB)", n, used, hn->total_mib);
      return FALSE;
    }
    hn->free_mib = hn->total_mib - used;
    if (!xa_json_get_size (jnode, "free", XA_JSON_OPTIONAL, &hn->free_mib, error) ||
        !xa_json_get_size (jnode, "dirty", XA_JSON_OPTIONAL, &hn->dirty_mib, error)) {
      g_prefix_error (error, "nodes[%u]: ", n);
      return FALSE;
    }
    if (hn->free_mib > hn->total_mib - used) {
      g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                   "nodes[%u]: free: %" G_GUINT64_FORMAT " MiB is more than memory "
                   "(%" G_GUINT64_FORMAT " MiB) minus what the domains use there "
                   "(%" G_GUINT64_FORMAT " MiB)", n, hn->free_mib, hn->total_mib, used);
      return FALSE;
    }
    if (hn->dirty_mib > hn->free_mib) {
      g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                   "nodes[%u]: dirty: %" G_GUINT64_FORMAT " MiB is more than free "
                   "(%" G_GUINT64_FORMAT " MiB)", n, hn->dirty_mib, hn->free_mib);
      return FALSE;
    }
  }
  return TRUE;
}

/* 0xFFFFFFFF, -1 and anything above 255 mean "no path", as in an ACPI SLIT. */
static gboolean
xa_host_file_parse_distance (json_t *value, gboolean diagonal, guint32 *out, GError **error)
{
  gint64 d;

  if (!json_is_integer (value)) {
    g_autofree gchar *shown = xa_json_describe (value);

    g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                 "%s is not an integer distance", shown);
    return FALSE;
  }
  d = json_integer_value (value);
  if (d == -1 || d > XA_DISTANCE_MAX_REACHABLE) {
    *out = XA_DISTANCE_UNREACHABLE;
    return TRUE;
  }
  if (d < XA_DISTANCE_LOCAL) {
    g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                 "%" G_GINT64_FORMAT " is below 10 (use 10-255, or -1 for unreachable)", d);
    return FALSE;
  }
  if (diagonal && d != XA_DISTANCE_LOCAL) {
    g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                 "%" G_GINT64_FORMAT " on the diagonal (a node's distance to itself is 10)", d);
    return FALSE;
  }
  *out = (guint32) d;
  return TRUE;
}

static gboolean
xa_host_file_parse_distance_row (XaHostInfo *info, guint i, json_t *row, GError **error)
{
  if (!json_is_array (row) || json_array_size (row) != info->n_nodes) {
    g_autofree gchar *shown = xa_json_describe (row);

    g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                 "distances[%u]: %s is not a list of %u distances", i, shown, info->n_nodes);
    return FALSE;
  }
  for (guint j = 0; j < info->n_nodes; j++) {
    if (!xa_host_file_parse_distance (json_array_get (row, j), i == j,
                                      &info->distances[i * info->n_nodes + j], error)) {
      g_prefix_error (error, "distances[%u][%u]: ", i, j);
      return FALSE;
    }
  }
  return TRUE;
}

static gboolean
xa_host_file_parse_distances (XaHostInfo *info, json_t *root, GError **error)
{
  json_t *rows = NULL;

  if (!xa_json_get_array (root, "distances", XA_JSON_OPTIONAL, &rows, error))
    return FALSE;
  if (rows == NULL)
    return TRUE;
  if (json_array_size (rows) != info->n_nodes) {
    g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                 "distances: %zu %s for %u %s (one row per node)",
                 json_array_size (rows), xa_text_plural (json_array_size (rows), "row", "rows"),
                 info->n_nodes, xa_text_plural (info->n_nodes, "node", "nodes"));
    return FALSE;
  }
  for (guint i = 0; i < info->n_nodes; i++) {
    if (!xa_host_file_parse_distance_row (info, i, json_array_get (rows, i), error))
      return FALSE;
  }
  return TRUE;
}

static gboolean
xa_host_file_parse_domain_memory (XaHostInfo *info, json_t *jdom, XaHostDomain *domain,
                                  GError **error)
{
  json_t *list = NULL;
  json_t *item;
  gsize i;

  if (!xa_json_get_array (jdom, "memory_by_node", XA_JSON_REQUIRED, &list, error))
    return FALSE;
  if (json_array_size (list) != info->n_nodes) {
    g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                 "memory_by_node: %zu %s for %u %s (one per node)",
                 json_array_size (list), xa_text_plural (json_array_size (list), "entry", "entries"),
                 info->n_nodes, xa_text_plural (info->n_nodes, "node", "nodes"));
    return FALSE;
  }
  json_array_foreach (list, i, item) {
    if (!xa_json_size_value (item, XA_JSON_OPTIONAL, &domain->memory_by_node_mib[i], error)) {
      g_prefix_error (error, "memory_by_node[%zu]: ", i);
      return FALSE;
    }
  }
  return TRUE;
}

static gboolean
xa_host_file_get_uuid (json_t *object, gchar **out, GError **error)
{
  const gchar *uuid = NULL;

  if (!xa_json_get_string (object, "uuid", XA_JSON_OPTIONAL, &uuid, error))
    return FALSE;
  if (uuid != NULL && !g_uuid_string_is_valid (uuid)) {
    g_autofree gchar *shown = xa_text_quote (uuid);

    g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT, "uuid: %s is not a UUID", shown);
    return FALSE;
  }
  *out = g_strdup (uuid);
  return TRUE;
}

/* How a domain went down, as Xen says it (docs/formats.md, Resident
 * domains). */
static gboolean
xa_host_file_get_down (json_t *jdom, gchar **out, GError **error)
{
  static const gchar *const downs[] = {
    "poweroff", "reboot", "crash", "watchdog", "soft_reset", NULL
  };
  const gchar *down = NULL;

  if (!xa_json_get_string (jdom, "down", XA_JSON_OPTIONAL, &down, error))
    return FALSE;
  if (down == NULL)
    return TRUE;
  if (!g_strv_contains (downs, down)) {
    g_autofree gchar *shown = xa_text_quote (down);

    g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                 "down: %s is not how a domain goes down (use poweroff, reboot, crash, "
                 "watchdog or soft_reset)", shown);
    return FALSE;
  }
  *out = g_strdup (down);
  return TRUE;
}

/* What a host's snapshot adds to a domain: its handle, id, claim, whether
 * its memory per node is an estimate, whether its build finished, whether
 * it is paused or went down. */
static gboolean
xa_host_file_parse_domain_state (XaHostInfo *info, json_t *jdom, XaHostDomain *domain,
                                 GError **error)
{
  gint64 domid = 0;
  gint64 claim_node = -1;

  if (!xa_host_file_get_uuid (jdom, &domain->uuid, error) ||
      !xa_json_get_bool (jdom, "paused", &domain->paused, error) ||
      !xa_host_file_get_down (jdom, &domain->down, error) ||
      !xa_json_get_int (jdom, "domid", XA_JSON_OPTIONAL, 0, XA_HOST_DOMID_MAX, &domid, error) ||
      !xa_json_get_size (jdom, "claim", XA_JSON_OPTIONAL, &domain->claim_mib, error) ||
      !xa_json_get_int (jdom, "claim_node", XA_JSON_OPTIONAL, -1, info->n_nodes - 1, &claim_node,
                        error) ||
      !xa_json_get_bool (jdom, "estimated", &domain->estimated, error) ||
      !xa_json_get_bool (jdom, "unfinished", &domain->unfinished, error))
    return FALSE;
  domain->domid = (guint32) domid;
  domain->claim_node = (gint) claim_node;
  return TRUE;
}

static XaHostDomain *
xa_host_file_parse_domain (XaHostInfo *info, json_t *jdom, GError **error)
{
  g_autoptr(XaHostDomain) domain = NULL;
  const gchar *name = NULL;
  gint64 vcpus = 0;

  if (!xa_json_check_object (jdom, domain_keys, error) ||
      !xa_json_get_name (jdom, "name", XA_JSON_REQUIRED, &name, error))
    return NULL;
  domain = xa_host_domain_new (name, 0, info->n_nodes);
  if (!xa_json_get_int (jdom, "vcpus", XA_JSON_REQUIRED, 1, XA_VCPUS_MAX, &vcpus, error) ||
      !xa_host_file_parse_domain_memory (info, jdom, domain, error) ||
      !xa_host_file_parse_domain_state (info, jdom, domain, error))
    return NULL;
  domain->vcpus = (guint) vcpus;
  return g_steal_pointer (&domain);
}

static gboolean
xa_host_file_parse_domains (XaHostInfo *info, json_t *root, GError **error)
{
  g_autoptr(GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);
  json_t *list = NULL;
  json_t *jdom;
  gsize i;

  if (!xa_json_get_array (root, "domains", XA_JSON_OPTIONAL, &list, error))
    return FALSE;
  if (list == NULL)
    return TRUE;
  json_array_foreach (list, i, jdom) {
    XaHostDomain *domain = xa_host_file_parse_domain (info, jdom, error);

    if (domain == NULL) {
      xa_json_prefix_entry (error, "domains", i, jdom);
      return FALSE;
    }
    g_ptr_array_add (info->domains, domain);
    if (!g_hash_table_add (names, domain->name)) {
      g_set_error_literal (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                           "name: another domain has the same name");
      xa_json_prefix_entry (error, "domains", i, jdom);
      return FALSE;
    }
  }
  return TRUE;
}

static gboolean
xa_host_file_get_rate (json_t *root, const gchar *key, gint64 min, guint64 *out, GError **error)
{
  gint64 value = (gint64) *out;

  if (!xa_json_get_int (root, key, XA_JSON_OPTIONAL, min, XA_RATE_MAX, &value, error))
    return FALSE;
  *out = (guint64) value;
  return TRUE;
}

/* The host's clock, which a simulated host's state keeps. */
static gboolean
xa_host_file_parse_time (XaHostInfo *info, json_t *root, GError **error)
{
  json_t *value = json_object_get (root, "time_s");

  if (value == NULL)
    return TRUE;
  if (!json_is_number (value) || json_number_value (value) < 0) {
    g_autofree gchar *shown = xa_json_describe (value);

    g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                 "time_s: %s is not a time in seconds (a number, 0 or more)", shown);
    return FALSE;
  }
  info->time_s = json_number_value (value);
  return TRUE;
}

static gboolean
xa_host_file_parse_settings (XaHostInfo *info, json_t *root, GError **error)
{
  return xa_host_file_get_uuid (root, &info->uuid, error) &&
         xa_host_file_parse_time (info, root, error) &&
         xa_host_file_get_rate (root, "populate_mib_per_s", 1, &info->populate_mib_per_s, error) &&
         xa_host_file_get_rate (root, "bandwidth_mib_per_s", 1, &info->bandwidth_mib_per_s, error) &&
         xa_host_file_get_rate (root, "scrub_mib_per_s", 1, &info->scrub_mib_per_s, error) &&
         xa_host_file_get_rate (root, "overhead_mib_per_vm", 0, &info->overhead_mib_per_vm, error) &&
         xa_host_file_get_rate (root, "overhead_kib_per_vcpu", 0, &info->overhead_kib_per_vcpu, error) &&
         xa_json_get_bool (root, "node_claims", &info->node_claims, error);
}

static XaHostInfo *
xa_host_file_parse_host (json_t *root, GError **error)
{
  g_autoptr(XaHostInfo) info = NULL;
  const gchar *name = "sim";
  json_t *jnodes = NULL;

  if (!xa_json_check_keys (root, host_keys, error))
    return NULL;
  if (json_object_get (root, "name") != NULL && !xa_json_get_name (root, "name", XA_JSON_REQUIRED, &name, error))
    return NULL;
  if (!xa_json_get_array (root, "nodes", XA_JSON_REQUIRED, &jnodes, error))
    return NULL;
  if (json_array_size (jnodes) == 0 || json_array_size (jnodes) > XA_MAX_NODES) {
    g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                 "nodes: %zu %s (expected 1 to %d)", json_array_size (jnodes),
                 xa_text_plural (json_array_size (jnodes), "node", "nodes"), XA_MAX_NODES);
    return NULL;
  }
  info = xa_host_info_new (name, (guint) json_array_size (jnodes));
  if (!xa_host_file_parse_nodes (info, jnodes, error) ||
      !xa_host_file_parse_distances (info, root, error) ||
      !xa_host_file_parse_settings (info, root, error) ||
      !xa_host_file_parse_domains (info, root, error) ||
      !xa_host_file_parse_free (info, jnodes, error))
    return NULL;
  return g_steal_pointer (&info);
}

/**
 * xa_host_file_parse:
 * @display_name: the file's name in error messages
 * @root: the document's top-level object
 * @faults: (out) (optional) (element-type XaSimFault): the faults it schedules
 * @error: a #GError
 *
 * Parses a host topology (docs/formats.md). Every error names the file, the entry
 * and the field.
 *
 * Returns: (transfer full): the host, or %NULL
 */
XaHostInfo *
xa_host_file_parse (const gchar *display_name, json_t *root, GPtrArray **faults,
                    GError **error)
{
  g_autoptr(XaHostInfo) info = xa_host_file_parse_host (root, error);
  g_autoptr(GPtrArray) parsed_faults = NULL;

  if (info != NULL)
    parsed_faults = xa_sim_fault_parse_list (info, root, error);
  if (parsed_faults == NULL) {
    xa_json_prefix_file (error, display_name);
    return NULL;
  }
  if (faults != NULL)
    *faults = g_steal_pointer (&parsed_faults);
  return g_steal_pointer (&info);
}

XaHostInfo *
xa_host_file_load_data (const gchar *display_name, const gchar *data, gsize len,
                        GPtrArray **faults, GError **error)
{
  g_autoptr(json_t) root = xa_json_load_data (display_name, data, len, error);

  if (root == NULL)
    return NULL;
  return xa_host_file_parse (display_name, root, faults, error);
}

XaHostInfo *
xa_host_file_load (const gchar *path, GPtrArray **faults, GError **error)
{
  g_autoptr(json_t) root = xa_json_load_file (path, error);

  if (root == NULL)
    return NULL;
  return xa_host_file_parse (path, root, faults, error);
}
