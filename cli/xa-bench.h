/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void xa_bench_planner (guint32 seed);
gboolean xa_bench_store (guint32   seed,
                         GError  **error);
gboolean xa_bench_storm (guint32   seed,
                         GError  **error);

G_END_DECLS
