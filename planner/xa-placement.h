/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "xa-nodeset.h"
#include "xa-topology.h"

G_BEGIN_DECLS

/**
 * XaOutcome:
 * @XA_OUTCOME_PLANNED: the VM has its nodes and memory per node
 * @XA_OUTCOME_DEFERRED: it does not fit now; it stays queued
 * @XA_OUTCOME_REJECTED: it can never fit this host
 * @XA_OUTCOME_FAILED: a reference policy would fail its start (xenopsd's
 *   host-wide claim is refused); the batch policies never give it
 */
typedef enum {
  XA_OUTCOME_PLANNED,
  XA_OUTCOME_DEFERRED,
  XA_OUTCOME_REJECTED,
  XA_OUTCOME_FAILED,
} XaOutcome;

#define XA_OUTCOME_LAST XA_OUTCOME_FAILED

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

gboolean xa_placement_is_local (const XaPlacement *placement,
                                guint              n_nodes);
void xa_placement_reject (XaPlacement *placement,
                          gchar       *reason);
void xa_placement_fail (XaPlacement *placement,
                        gchar       *reason);
void xa_placement_defer (XaPlacement      *placement,
                         const XaTopology *topo,
                         const guint64    *free_mib,
                         XaNodeSet         allowed,
                         gboolean          pinned,
                         guint64           need_mib);

G_END_DECLS
