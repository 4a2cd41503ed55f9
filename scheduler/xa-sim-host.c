/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gio/gio.h>

#include "xa-error.h"
#include "xa-host-file.h"
#include "xa-host-private.h"
#include "xa-json.h"
#include "xa-resources.h"

#define XA_SIM_DEFAULT_RESOURCE "/org/xadmit/hosts/default.json"

/**
 * XaSimHost:
 *
 * The embedded simulated host. Issue #5 makes it a full model of Xen's
 * allocator on a virtual clock; here it reports the topology it was given.
 */
typedef struct {
  XaHost parent;
  XaHostInfo *info;
  GPtrArray *faults;
  gchar *state_path;
} XaSimHost;

static XaHostInfo *
xa_sim_host_snapshot (XaHost *host, GError **error)
{
  XaSimHost *self = (XaSimHost *) host;

  return xa_host_info_copy (self->info);
}

static void
xa_sim_host_free (XaHost *host)
{
  XaSimHost *self = (XaSimHost *) host;

  xa_host_info_free (self->info);
  g_clear_pointer (&self->faults, g_ptr_array_unref);
  g_free (self->state_path);
  g_free (self);
}

static const XaHostClass xa_sim_host_class = {
  .kind = "sim",
  .snapshot = xa_sim_host_snapshot,
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

static gboolean
xa_sim_host_save (XaSimHost *self, GError **error)
{
  g_autoptr(json_t) root = xa_host_file_to_json (self->info, self->faults);
  g_autofree gchar *text = json_dumps (root, JSON_INDENT (2));
  g_autoptr(GError) error_local = NULL;

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

/* A saved state wins over the topology, as a running hypervisor would. */
static gboolean
xa_sim_host_load_state (XaSimHost *self, const gchar *topology_path, GError **error)
{
  g_autoptr(XaHostInfo) topology = NULL;

  if (!g_file_test (self->state_path, G_FILE_TEST_EXISTS)) {
    self->info = xa_sim_host_load_topology (topology_path, &self->faults, error);
    return self->info != NULL && xa_sim_host_save (self, error);
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
  host = &self->parent;
  if (state_path == NULL) {
    self->info = xa_sim_host_load_topology (topology_path, &self->faults, error);
    return self->info != NULL ? g_steal_pointer (&host) : NULL;
  }
  self->state_path = g_strdup (state_path);
  if (!xa_sim_host_load_state (self, topology_path, error))
    return NULL;
  return g_steal_pointer (&host);
}
