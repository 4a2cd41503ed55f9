/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <xenctrl.h>

G_BEGIN_DECLS

GHashTable *xa_xen_console_read_meminfo (xc_interface *xch,
                                         guint         n_nodes,
                                         GError      **error);

G_END_DECLS
