/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-error.h"
#include "xa-xen-host.h"

/* Built instead of xa-xen-host.c when libxen-dev was not found. */
XaHost *
xa_xen_host_new (GError **error)
{
  g_set_error_literal (error, XA_ERROR, XA_ERROR_NO_HYPERVISOR,
                       "--host xen: this xadmit was built without the Xen backend "
                       "(install libxen-dev and configure with -Dxen=enabled)");
  return NULL;
}
