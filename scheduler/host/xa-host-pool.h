/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Builds that block (libxenguest's) run in a thread pool; their
 * completions come back to the main loop of the host's clock. */

#include "xa-host-backend.h"

G_BEGIN_DECLS

void xa_host_pool_build (XaHost            *host,
                         guint32            domid,
                         const XaBuildSpec *spec,
                         XaHostBuildDone    done,
                         gpointer           user_data);
void xa_host_pool_cancel (XaHost  *host,
                          guint32  domid);
void xa_host_pool_free (XaHostPool *pool);

G_END_DECLS
