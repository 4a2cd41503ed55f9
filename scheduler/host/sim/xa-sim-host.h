/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The simulated host: a model of Xen's allocator, claims and build times
 * on a virtual clock. */

#include "xa-host-backend.h"

G_BEGIN_DECLS

XaHost *xa_sim_host_new (const gchar *topology_path,
                         const gchar *state_path,
                         GError     **error);

G_END_DECLS
