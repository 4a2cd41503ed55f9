/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-request.h"

/**
 * xa_request_new:
 * @name: the VM's name
 * @memory_mib: its memory
 * @vcpus: its vCPUs
 *
 * Returns: (transfer full): a request with priority 0, no hard affinity and
 *   every node allowed
 */
XaRequest *
xa_request_new (const gchar *name, guint64 memory_mib, guint vcpus)
{
  XaRequest *req = g_new0 (XaRequest, 1);

  req->name = g_strdup (name);
  req->memory_mib = memory_mib;
  req->vcpus = vcpus;
  return req;
}

void
xa_request_free (XaRequest *req)
{
  if (req == NULL)
    return;
  g_free (req->name);
  g_clear_pointer (&req->hard_affinity, g_array_unref);
  g_free (req);
}
