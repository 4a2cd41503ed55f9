/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The real host: libxenctrl, libxenguest, libxenstore. */

#include "xa-host-backend.h"

G_BEGIN_DECLS

/* Where a Xen dom0 has its hypervisor interface. */
#define XA_XEN_PRIVCMD "/dev/xen/privcmd"

XaHost *xa_xen_host_new (GError **error);

G_END_DECLS
