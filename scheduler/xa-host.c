/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-error.h"
#include "xa-host-private.h"

#define XA_XEN_PRIVCMD "/dev/xen/privcmd"

/**
 * xa_host_auto_spec:
 *
 * With no --host, a machine that runs Xen is admitted for real.
 *
 * Returns: "xen" where /dev/xen/privcmd exists, "sim" elsewhere
 */
const gchar *
xa_host_auto_spec (void)
{
  return g_file_test (XA_XEN_PRIVCMD, G_FILE_TEST_EXISTS) ? "xen" : "sim";
}

/**
 * xa_host_open:
 * @spec: "sim", "sim:FILE" or "xen"
 * @sim_state: (nullable): where the simulated host keeps its state between runs
 * @error: a #GError
 *
 * Returns: (transfer full): the host, or %NULL
 */
XaHost *
xa_host_open (const gchar *spec, const gchar *sim_state, GError **error)
{
  g_return_val_if_fail (spec != NULL, NULL);

  if (g_strcmp0 (spec, "sim") == 0)
    return xa_sim_host_new (NULL, sim_state, error);
  if (g_str_has_prefix (spec, "sim:") && spec[4] != '\0')
    return xa_sim_host_new (spec + 4, sim_state, error);
  if (g_strcmp0 (spec, "xen") == 0) {
    if (sim_state != NULL) {
      g_set_error_literal (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                           "--sim-state is for the simulated host, not --host xen");
      return NULL;
    }
    return xa_xen_host_new (error);
  }
  g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
               "--host: \"%s\" is not a host (use sim, sim:FILE or xen)", spec);
  return NULL;
}

void
xa_host_free (XaHost *host)
{
  if (host == NULL)
    return;
  host->klass->free (host);
}

/**
 * xa_host_get_kind:
 * @host: a host
 *
 * Returns: "sim" or "xen"
 */
const gchar *
xa_host_get_kind (XaHost *host)
{
  return host->klass->kind;
}

/**
 * xa_host_snapshot:
 * @host: a host
 * @error: a #GError
 *
 * Returns: (transfer full): per-node memory, CPUs, distances and the
 *   resident domains, as the host reports them now
 */
XaHostInfo *
xa_host_snapshot (XaHost *host, GError **error)
{
  g_return_val_if_fail (host != NULL, NULL);
  return host->klass->snapshot (host, error);
}
