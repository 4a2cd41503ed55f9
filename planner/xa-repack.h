/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define XA_REPACK_MAX_BINS 32

gboolean xa_repack (guint          n_bins,
                    const guint64 *cap_mib,
                    guint          n_items,
                    const guint64 *size_mib,
                    const XaNodeSet *bins_allowed,
                    guint         *out_bin,
                    guint64       *steps);

G_END_DECLS
