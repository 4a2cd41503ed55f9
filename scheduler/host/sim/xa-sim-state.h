/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The state file, the topology it starts from, and its lock. */

#include "xa-sim-private.h"

G_BEGIN_DECLS

void xa_sim_state_changed (XaSimHost *self);
gboolean xa_sim_state_save (XaHost  *host,
                            GError **error);
gboolean xa_sim_state_lock (XaHost  *host,
                            GError **error);
gboolean xa_sim_state_load (XaSimHost   *self,
                            const gchar *topology_path,
                            GError     **error);
void xa_sim_state_start (XaSimHost *self);
XaNodeSet xa_sim_state_nodes_of_cpus (XaSimHost *self,
                                      GArray    *cpus,
                                      guint     *out_unknown);

G_END_DECLS
