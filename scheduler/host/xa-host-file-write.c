/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Writing a host file: the host as the JSON that xa_host_file_parse() reads. */
#include "xa-host-file.h"
#include "xa-json.h"

/* CPU ids as a count when they are numbered node by node from 0, the form a
 * person writes; otherwise as lists. */
static gboolean
xa_host_file_cpus_are_counted (const XaHostInfo *info)
{
  guint next = 0;

  for (guint n = 0; n < info->n_nodes; n++) {
    GArray *cpus = info->nodes[n].cpus;

    for (guint i = 0; i < cpus->len; i++) {
      if (g_array_index (cpus, guint, i) != next++)
        return FALSE;
    }
  }
  return TRUE;
}

static json_t *
xa_host_file_node_to_json (const XaHostNode *hn, gboolean counted)
{
  json_t *jnode = json_object ();
  json_t *cpus;

  if (counted) {
    cpus = json_integer (hn->cpus->len);
  } else {
    cpus = json_array ();
    for (guint i = 0; i < hn->cpus->len; i++)
      json_array_append_new (cpus, json_integer (g_array_index (hn->cpus, guint, i)));
  }
  json_object_set_new (jnode, "memory", json_integer ((json_int_t) hn->total_mib));
  json_object_set_new (jnode, "free", json_integer ((json_int_t) hn->free_mib));
  json_object_set_new (jnode, "dirty", json_integer ((json_int_t) hn->dirty_mib));
  json_object_set_new (jnode, "cpus", cpus);
  json_object_set_new (jnode, "cores", json_integer (hn->n_cores));
  return jnode;
}

static json_t *
xa_host_file_distances_to_json (const XaHostInfo *info)
{
  json_t *rows = json_array ();

  for (guint i = 0; i < info->n_nodes; i++) {
    json_t *row = json_array ();

    for (guint j = 0; j < info->n_nodes; j++) {
      guint32 d = info->distances[i * info->n_nodes + j];

      json_array_append_new (row, json_integer (d == XA_DISTANCE_UNREACHABLE ? -1 : (json_int_t) d));
    }
    json_array_append_new (rows, row);
  }
  return rows;
}

static json_t *
xa_host_file_domain_to_json (const XaHostDomain *domain, guint n_nodes)
{
  json_t *jdom = json_object ();
  json_t *memory = json_array ();

  for (guint n = 0; n < n_nodes; n++)
    json_array_append_new (memory, json_integer ((json_int_t) domain->memory_by_node_mib[n]));
  json_object_set_new (jdom, "name", json_string (domain->name));
  json_object_set_new (jdom, "memory_by_node", memory);
  json_object_set_new (jdom, "vcpus", json_integer (domain->vcpus));
  if (domain->uuid != NULL)
    json_object_set_new (jdom, "uuid", json_string (domain->uuid));
  if (domain->domid != 0)
    json_object_set_new (jdom, "domid", json_integer (domain->domid));
  if (domain->claim_mib != 0) {
    json_object_set_new (jdom, "claim", json_integer ((json_int_t) domain->claim_mib));
    json_object_set_new (jdom, "claim_node", json_integer (domain->claim_node));
  }
  if (domain->estimated)
    json_object_set_new (jdom, "estimated", json_true ());
  if (domain->unfinished)
    json_object_set_new (jdom, "unfinished", json_true ());
  if (domain->paused && domain->uuid != NULL)
    json_object_set_new (jdom, "paused", json_true ());
  if (domain->down != NULL)
    json_object_set_new (jdom, "down", json_string (domain->down));
  return jdom;
}

/* Everything of @info but its domains. */
static json_t *
xa_host_file_head_to_json (const XaHostInfo *info, GPtrArray *faults)
{
  json_t *root = json_object ();
  json_t *nodes = json_array ();
  gboolean counted = xa_host_file_cpus_are_counted (info);

  for (guint n = 0; n < info->n_nodes; n++)
    json_array_append_new (nodes, xa_host_file_node_to_json (&info->nodes[n], counted));
  json_object_set_new (root, "name", json_string (info->name));
  if (info->uuid != NULL)
    json_object_set_new (root, "uuid", json_string (info->uuid));
  if (info->time_s > 0)
    json_object_set_new (root, "time_s", json_real (info->time_s));
  json_object_set_new (root, "nodes", nodes);
  json_object_set_new (root, "distances", xa_host_file_distances_to_json (info));
  json_object_set_new (root, "populate_mib_per_s", json_integer ((json_int_t) info->populate_mib_per_s));
  json_object_set_new (root, "bandwidth_mib_per_s", json_integer ((json_int_t) info->bandwidth_mib_per_s));
  json_object_set_new (root, "scrub_mib_per_s", json_integer ((json_int_t) info->scrub_mib_per_s));
  json_object_set_new (root, "overhead_mib_per_vm", json_integer ((json_int_t) info->overhead_mib_per_vm));
  json_object_set_new (root, "overhead_kib_per_vcpu", json_integer ((json_int_t) info->overhead_kib_per_vcpu));
  json_object_set_new (root, "node_claims", json_boolean (info->node_claims));
  if (faults != NULL && faults->len > 0) {
    json_t *jfaults = json_array ();

    for (guint i = 0; i < faults->len; i++)
      json_array_append_new (jfaults, xa_sim_fault_to_json (g_ptr_array_index (faults, i)));
    json_object_set_new (root, "faults", jfaults);
  }
  return root;
}

/**
 * xa_host_file_to_json:
 * @info: a host
 * @faults: (nullable) (element-type XaSimFault): faults to keep with it
 *
 * Writes @info in the host format, memory in MiB, so that it can be read
 * back with xa_host_file_parse().
 *
 * Returns: (transfer full): the document
 */
json_t *
xa_host_file_to_json (const XaHostInfo *info, GPtrArray *faults)
{
  json_t *root = xa_host_file_head_to_json (info, faults);
  json_t *domains = json_array ();

  for (guint i = 0; i < info->domains->len; i++)
    json_array_append_new (domains, xa_host_file_domain_to_json (g_ptr_array_index (info->domains, i),
                                                                 info->n_nodes));
  json_object_set_new (root, "domains", domains);
  return root;
}

static int
xa_host_file_append (const char *buffer, size_t size, void *data)
{
  g_string_append_len (data, buffer, (gssize) size);
  return 0;
}

/**
 * xa_host_file_to_text:
 * @info: a host
 * @faults: (nullable) (element-type XaSimFault): faults to keep with it
 *
 * xa_host_file_to_json() as compact text, written one domain at a time:
 * a host of 10,000 domains never holds its whole document as a tree.
 *
 * Returns: (transfer full): the text, one line
 */
gchar *
xa_host_file_to_text (const XaHostInfo *info, GPtrArray *faults)
{
  g_autoptr(json_t) head = xa_host_file_head_to_json (info, faults);
  GString *text = g_string_sized_new (4096 + 256 * (gsize) info->domains->len);

  json_dump_callback (head, xa_host_file_append, text, JSON_COMPACT);
  /* the head is an object with a name: it ends in '}' after a member */
  g_string_truncate (text, text->len - 1);
  g_string_append (text, ",\"domains\":[");
  for (guint i = 0; i < info->domains->len; i++) {
    g_autoptr(json_t) domain = xa_host_file_domain_to_json (g_ptr_array_index (info->domains, i),
                                                             info->n_nodes);

    if (i > 0)
      g_string_append_c (text, ',');
    json_dump_callback (domain, xa_host_file_append, text, JSON_COMPACT);
  }
  g_string_append (text, "]}");
  return g_string_free (text, FALSE);
}
