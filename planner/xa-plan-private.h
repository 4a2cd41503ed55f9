/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the policies share; not for use outside planner/. */

#include "xa-plan.h"

G_BEGIN_DECLS

guint64 xa_plan_sum (const guint64 *per_node,
                     XaNodeSet      nodes,
                     guint          n_nodes);
gint xa_plan_compare_mib (gconstpointer a,
                          gconstpointer b,
                          gpointer      user_data);
guint64 xa_plan_need_mib (const XaTopology *topo,
                          const XaRequest  *req);
void xa_plan_split_by_free (guint          n_nodes,
                            const guint64 *free_mib,
                            XaNodeSet      nodes,
                            guint64        need_mib,
                            guint64       *mib_by_node);
void xa_placement_reject (XaPlacement *placement,
                          gchar       *reason);
void xa_placement_defer (XaPlacement *placement,
                         XaNodeSet    allowed,
                         guint64      need_mib,
                         guint64      have_mib);

G_END_DECLS
