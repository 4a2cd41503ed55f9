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

G_END_DECLS
