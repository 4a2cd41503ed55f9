/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void xa_sim_vfs_install (void);
void xa_sim_vfs_fail (gint rc);
gboolean xa_sim_vfs_is_failing (void);
gboolean xa_sim_vfs_has_failed (void);

G_END_DECLS
