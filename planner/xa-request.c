/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-request.h"

/**
 * xa_request_new:
 * @name: the VM's name
 * @memory_mib: its memory
 * @vcpus: its vCPUs
 *
 * Returns: (transfer full): a request with priority 0, no hard affinity,
 *   every node allowed, a PV guest with nothing to boot yet
 */
XaRequest *
xa_request_new (const gchar *name, guint64 memory_mib, guint vcpus)
{
  XaRequest *req = g_new0 (XaRequest, 1);

  req->name = g_strdup (name);
  req->memory_mib = memory_mib;
  req->vcpus = vcpus;
  req->guest_type = g_strdup ("pv");
  return req;
}

void
xa_request_free (XaRequest *req)
{
  if (req == NULL)
    return;
  g_free (req->name);
  g_clear_pointer (&req->hard_affinity, g_array_unref);
  g_free (req->guest_type);
  g_free (req->kernel);
  g_free (req->ramdisk);
  g_free (req->cmdline);
  g_free (req);
}
