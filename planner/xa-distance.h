/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "xa-nodeset.h"
#include "xa-topology.h"

G_BEGIN_DECLS

void xa_distance_of_set (const XaTopology *topo,
                         XaNodeSet         nodes,
                         guint32          *out_max,
                         guint64          *out_sum);

gboolean xa_distance_is_reachable (const XaTopology *topo,
                                   XaNodeSet         nodes);
gboolean xa_distance_largest_reachable (const XaTopology *topo,
                                        XaNodeSet         nodes,
                                        const guint64    *mib,
                                        guint64           enough_mib,
                                        XaNodeSet        *out_set,
                                        guint64          *out_mib);

G_END_DECLS
