/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "xa-request.h"
#include "xa-topology.h"

G_BEGIN_DECLS

typedef enum {
  XA_OUTCOME_PLANNED,
  XA_OUTCOME_DEFERRED,
  XA_OUTCOME_REJECTED,
} XaOutcome;

/**
 * XaPlacement:
 * @outcome: planned, deferred (does not fit now) or rejected (never fits)
 * @nodes: the node set the VM's vCPUs and memory are given; 0 for a VM with
 *   hard affinity or without a plan
 * @mib_by_node: memory + overhead planned on each node (zeros unless planned)
 * @reason: (nullable): why the VM was deferred or rejected, one sentence
 */
typedef struct {
  XaOutcome outcome;
  XaNodeSet nodes;
  guint64 *mib_by_node;
  gchar *reason;
} XaPlacement;

/**
 * XaPlan:
 * @n_nodes: the host's node count, the length of every @mib_by_node
 * @placements: one per request, in the order of the requests
 */
typedef struct {
  guint n_nodes;
  guint n_placements;
  XaPlacement *placements;
} XaPlan;

XaPlan *xa_plan_new (guint n_nodes,
                     guint n_placements);
void xa_plan_free (XaPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XaPlan, xa_plan_free)

guint64 xa_placement_total_mib (const XaPlacement *placement,
                                guint              n_nodes);
gboolean xa_placement_is_local (const XaPlacement *placement,
                                guint              n_nodes);

XaPlan *xa_plan_batch (const XaTopology *topo,
                       GPtrArray        *requests);

G_END_DECLS
