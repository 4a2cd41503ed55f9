/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "xa-host-info.h"

G_BEGIN_DECLS

/**
 * XaHost:
 *
 * A host backend: the simulated host or a real Xen host. The calls are
 * modelled on libxenctrl; the scheduler (issue #5) adds the per-domain ones.
 */
typedef struct _XaHost XaHost;

const gchar *xa_host_auto_spec (void);
XaHost *xa_host_open (const gchar *spec,
                      const gchar *sim_state,
                      GError     **error);
void xa_host_free (XaHost *host);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XaHost, xa_host_free)

const gchar *xa_host_get_kind (XaHost *host);
XaHostInfo *xa_host_snapshot (XaHost  *host,
                              GError **error);

G_END_DECLS
