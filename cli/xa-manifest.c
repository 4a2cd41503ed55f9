/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-error.h"
#include "xa-guest.h"
#include "xa-json.h"
#include "xa-manifest.h"
#include "xa-request.h"

static const gchar *const manifest_keys[] = { "vms", NULL };
static const gchar *const vm_keys[] = {
  "name", "memory", "vcpus", "priority", "hard_affinity", "nodes", "group",
  "type", "kernel", "ramdisk", "cmdline", NULL
};

/* CPU and node ids the host lacks are kept: the planner rejects such a VM
 * (docs/formats.md, "Rejected and deferred"); only malformed ids are bad
 * input here. */
static gboolean
xa_manifest_parse_hard_affinity (json_t *jvm, XaRequest *req, GError **error)
{
  if (!xa_json_get_cpu_list (jvm, "hard_affinity", &req->hard_affinity, error))
    return FALSE;
  if (req->hard_affinity != NULL && req->hard_affinity->len == 0) {
    g_set_error_literal (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                         "hard_affinity: the list is empty (leave it out for no affinity)");
    return FALSE;
  }
  return TRUE;
}

static gboolean
xa_manifest_parse_node_list (json_t *list, XaNodeSet *nodes, GError **error)
{
  json_t *item;
  gsize i;

  json_array_foreach (list, i, item) {
    json_int_t node = json_is_integer (item) ? json_integer_value (item) : -1;

    if (node < 0 || node >= XA_MAX_NODES) {
      g_autofree gchar *shown = xa_json_describe (item);

      g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                   "nodes[%zu]: %s is not a node id (0-%u)", i, shown, XA_MAX_NODES - 1);
      return FALSE;
    }
    *nodes |= XA_NODESET_BIT (node);
  }
  if (*nodes == 0) {
    g_set_error_literal (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                         "nodes: the list is empty (leave it out to allow every node)");
    return FALSE;
  }
  return TRUE;
}

/* "nodes" is a list of node ids, or the text form xl users know: "0-3,^2". */
static gboolean
xa_manifest_parse_nodes (json_t *jvm, XaRequest *req, GError **error)
{
  json_t *value = json_object_get (jvm, "nodes");

  if (value == NULL)
    return TRUE;
  if (json_is_string (value)) {
    if (!xa_nodeset_parse (json_string_value (value), XA_MAX_NODES, &req->nodes, error)) {
      g_prefix_error (error, "nodes: ");
      return FALSE;
    }
    return TRUE;
  }
  if (!json_is_array (value)) {
    g_autofree gchar *shown = xa_json_describe (value);

    g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                 "nodes: %s is not a list of nodes such as [0, 1] or \"0-1\"", shown);
    return FALSE;
  }
  return xa_manifest_parse_node_list (value, &req->nodes, error);
}

/* Used by the Xen backend only, but checked here so a typo fails early. */
static XaGuest *
xa_manifest_parse_boot (json_t *jvm, GError **error)
{
  const gchar *type_name = "pv";
  const gchar *kernel = NULL;
  const gchar *ramdisk = NULL;
  const gchar *cmdline = NULL;
  XaGuestType type;

  if (!xa_json_get_string (jvm, "type", XA_JSON_OPTIONAL, &type_name, error) ||
      !xa_json_get_string (jvm, "kernel", XA_JSON_OPTIONAL, &kernel, error) ||
      !xa_json_get_string (jvm, "ramdisk", XA_JSON_OPTIONAL, &ramdisk, error) ||
      !xa_json_get_string (jvm, "cmdline", XA_JSON_OPTIONAL, &cmdline, error))
    return NULL;
  if (!xa_guest_type_from_string (type_name, &type, error)) {
    g_prefix_error (error, "type: ");
    return NULL;
  }
  if (!xa_guest_check_cmdline (cmdline, error)) {
    g_prefix_error (error, "cmdline: ");
    return NULL;
  }
  return xa_guest_new (type, kernel, ramdisk, cmdline);
}

/**
 * xa_manifest_parse_vm:
 * @jvm: one VM of a manifest's "vms"
 * @out_guest: (out) (transfer full): what it boots
 * @error: a #GError, naming the field first
 *
 * Returns: (transfer full) (nullable): the VM
 */
XaRequest *
xa_manifest_parse_vm (json_t *jvm, XaGuest **out_guest, GError **error)
{
  g_autoptr(XaRequest) req = NULL;
  const gchar *name = NULL;
  const gchar *group = NULL;
  guint64 memory_mib = 0;
  gint64 vcpus = 0;
  gint64 priority = 0;

  if (!xa_json_check_object (jvm, vm_keys, error) ||
      !xa_json_get_name (jvm, "name", XA_JSON_REQUIRED, &name, error) ||
      !xa_json_get_name (jvm, "group", XA_JSON_OPTIONAL, &group, error) ||
      !xa_json_get_size (jvm, "memory", XA_JSON_REQUIRED | XA_JSON_NONZERO, &memory_mib, error) ||
      !xa_json_get_int (jvm, "vcpus", XA_JSON_REQUIRED, 1, XA_VCPUS_MAX, &vcpus, error) ||
      !xa_json_get_int (jvm, "priority", XA_JSON_OPTIONAL, XA_PRIORITY_MIN, XA_PRIORITY_MAX,
                        &priority, error))
    return NULL;
  req = xa_request_new (name, memory_mib, (guint) vcpus);
  req->priority = (gint) priority;
  req->group = g_strdup (group);
  if (!xa_manifest_parse_hard_affinity (jvm, req, error) ||
      !xa_manifest_parse_nodes (jvm, req, error))
    return NULL;
  *out_guest = xa_manifest_parse_boot (jvm, error);
  return *out_guest != NULL ? g_steal_pointer (&req) : NULL;
}

static GPtrArray *
xa_manifest_parse_vms (json_t *root, GPtrArray *guests, GError **error)
{
  g_autoptr(GPtrArray) requests = g_ptr_array_new_with_free_func ((GDestroyNotify) xa_request_free);
  g_autoptr(GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);
  json_t *vms = NULL;
  json_t *jvm;
  gsize i;

  if (!xa_json_check_keys (root, manifest_keys, error) ||
      !xa_json_get_array (root, "vms", XA_JSON_REQUIRED, &vms, error))
    return NULL;
  if (json_array_size (vms) == 0) {
    g_set_error_literal (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                         "vms: the list is empty (expected at least one VM)");
    return NULL;
  }
  json_array_foreach (vms, i, jvm) {
    g_autoptr(XaGuest) guest = NULL;
    g_autoptr(XaRequest) req = xa_manifest_parse_vm (jvm, &guest, error);

    if (req != NULL && g_hash_table_contains (names, req->name)) {
      g_set_error_literal (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                           "name: another VM in the manifest has the same name");
      g_clear_pointer (&req, xa_request_free);
    }
    if (req == NULL) {
      xa_json_prefix_entry (error, "vms", i, jvm);
      return NULL;
    }
    g_hash_table_add (names, req->name);
    g_ptr_array_add (requests, g_steal_pointer (&req));
    g_ptr_array_add (guests, g_steal_pointer (&guest));
  }
  return g_steal_pointer (&requests);
}

/**
 * xa_manifest_parse:
 * @display_name: the file's name in error messages
 * @root: the document's top-level object
 * @out_guests: (out) (optional) (element-type XaGuest): what each VM boots,
 *   in manifest order
 * @error: a #GError
 *
 * Returns: (transfer full) (element-type XaRequest): the VMs in manifest
 *   order, or %NULL
 */
GPtrArray *
xa_manifest_parse (const gchar *display_name, json_t *root, GPtrArray **out_guests,
                   GError **error)
{
  g_autoptr(GPtrArray) guests = g_ptr_array_new_with_free_func ((GDestroyNotify) xa_guest_free);
  GPtrArray *requests = xa_manifest_parse_vms (root, guests, error);

  if (requests == NULL)
    xa_json_prefix_file (error, display_name);
  else if (out_guests != NULL)
    *out_guests = g_steal_pointer (&guests);
  return requests;
}

/**
 * xa_manifest_load_data:
 * @display_name: the manifest's name in error messages
 * @data: the manifest's bytes (standard input's, a fuzzer's)
 * @len: their length
 * @out_guests: (out) (optional) (element-type XaGuest): what each VM boots
 * @error: a #GError
 *
 * Returns: (transfer full) (element-type XaRequest): the VMs, or %NULL
 */
GPtrArray *
xa_manifest_load_data (const gchar *display_name, const gchar *data, gsize len,
                       GPtrArray **out_guests, GError **error)
{
  g_autoptr(json_t) root = xa_json_load_data (display_name, data, len, error);

  if (root == NULL)
    return NULL;
  return xa_manifest_parse (display_name, root, out_guests, error);
}

GPtrArray *
xa_manifest_load (const gchar *path, GPtrArray **out_guests, GError **error)
{
  g_autoptr(json_t) root = xa_json_load_file (path, error);

  if (root == NULL)
    return NULL;
  return xa_manifest_parse (path, root, out_guests, error);
}
