/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "xa-placement.h"
#include "xa-request.h"
#include "xa-topology.h"

G_BEGIN_DECLS

/**
 * XaPlanOptimal:
 * @XA_PLAN_OPTIMAL_UNKNOWN: no exact search ran (a batch beyond its reach,
 *   or a xenopsd policy)
 * @XA_PLAN_OPTIMAL_PROVEN: the exact search finished: no plan is better
 * @XA_PLAN_OPTIMAL_UNPROVEN: the exact search ran out of steps: the plan is
 *   the best it found, not proven optimal
 *
 * Whether a plan is proven optimal (docs/formats.md, Run summary).
 */
typedef enum {
  XA_PLAN_OPTIMAL_UNKNOWN,
  XA_PLAN_OPTIMAL_PROVEN,
  XA_PLAN_OPTIMAL_UNPROVEN,
} XaPlanOptimal;

XaPlanOptimal xa_plan_optimal_combine (XaPlanOptimal a,
                                       XaPlanOptimal b);

/**
 * XaPlan:
 * @n_nodes: the host's node count, the length of every @mib_by_node
 * @placements: one per request, in the order of the requests
 * @optimal: whether an exact search proved the plan optimal
 */
typedef struct {
  guint n_nodes;
  guint n_placements;
  XaPlacement *placements;
  XaPlanOptimal optimal;
} XaPlan;

XaPlan *xa_plan_new (guint n_nodes,
                     guint n_placements);
void xa_plan_free (XaPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XaPlan, xa_plan_free)

guint xa_plan_count (const XaPlan *plan,
                     XaOutcome     outcome);
guint xa_plan_count_local (const XaPlan *plan);
guint64 *xa_plan_left_mib (const XaPlan     *plan,
                           const XaTopology *topo);
gint xa_plan_runner_up (const XaPlan     *plan,
                        const XaTopology *topo,
                        const guint64    *left_mib,
                        const XaRequest  *req,
                        guint             index);
void xa_plan_overplanned (const XaPlan     *plan,
                          const XaTopology *topo,
                          guint            *out_vms,
                          guint64          *out_mib);

G_END_DECLS
