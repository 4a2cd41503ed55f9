/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Builds and their timing on the virtual clock. */

#include "xa-sim-private.h"

G_BEGIN_DECLS

void xa_sim_build_start (XaHost            *host,
                         guint32            domid,
                         const XaBuildSpec *spec,
                         XaHostBuildDone    done,
                         gpointer           user_data);
void xa_sim_build_cancel (XaSimHost   *self,
                          XaSimDomain *sd);
void xa_sim_build_free (XaSimBuild *build);

G_END_DECLS
