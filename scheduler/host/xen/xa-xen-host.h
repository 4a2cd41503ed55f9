/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The real host: libxenctrl, libxenguest, libxenstore. */

#include "xa-host-backend.h"

G_BEGIN_DECLS

XaHost *xa_xen_host_new (GError **error);

G_END_DECLS
