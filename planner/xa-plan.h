/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "xa-error.h"
#include "xa-request.h"
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
 * XaPolicy:
 * @XA_POLICY_BATCH: the whole batch at once against per-node free memory
 * @XA_POLICY_XENOPSD: xenopsd HEAD on stock Xen 4.17: no per-node claims, so
 *   every parallel build sees the same free memory
 * @XA_POLICY_XENOPSD_NODECLAIM: xenopsd HEAD on a Xen with per-node claims:
 *   single-node plans claim their node, multi-node plans are dropped
 * @XA_POLICY_XENOPSD_LEGACY: xenopsd before 2025: a running minimum of free
 *   memory that never subtracts a placed VM, soft affinity for any plan
 * @XA_POLICY_EXACT: branch and bound, for small batches and for tests
 */
typedef enum {
  XA_POLICY_BATCH,
  XA_POLICY_XENOPSD,
  XA_POLICY_XENOPSD_NODECLAIM,
  XA_POLICY_XENOPSD_LEGACY,
  XA_POLICY_EXACT,
} XaPolicy;

#define XA_POLICY_LAST XA_POLICY_EXACT

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
 * @exhausted: the exact search ran out of budget: the plan is the best it
 *   found, not proven optimal
 */
typedef struct {
  guint n_nodes;
  guint n_placements;
  XaPlacement *placements;
  gboolean exhausted;
} XaPlan;

/**
 * XaPlanOptions:
 * @policy: how to plan
 * @now_s: the host's clock now, against each request's @queued_s (aging)
 */
typedef struct {
  XaPolicy policy;
  gdouble now_s;
} XaPlanOptions;

/* Each this many seconds a request waits counts as one priority level more. */
#define XA_PLAN_AGING_S_PER_LEVEL 1.0
#define XA_PLAN_EXACT_STEPS_DEFAULT G_GUINT64_CONSTANT (2000000)

XaPlan *xa_plan_new (guint n_nodes,
                     guint n_placements);
void xa_plan_free (XaPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XaPlan, xa_plan_free)

guint64 xa_placement_total_mib (const XaPlacement *placement,
                                guint              n_nodes);
gboolean xa_placement_is_local (const XaPlacement *placement,
                                guint              n_nodes);

guint xa_plan_count_local (const XaPlan *plan);
void xa_plan_overplanned (const XaPlan     *plan,
                          const XaTopology *topo,
                          guint            *out_vms,
                          guint64          *out_mib);

XaNodeSet xa_plan_allowed_nodes (const XaTopology *topo,
                                 const XaRequest  *req);
gchar *xa_plan_why_never_fits (const XaTopology *topo,
                               const XaRequest  *req,
                               XaNodeSet         allowed);
gint xa_plan_effective_priority (const XaRequest *req,
                                 gdouble          now_s);
void xa_plan_split_evenly (guint          n_nodes,
                           const guint64 *room_mib,
                           XaNodeSet      nodes,
                           guint64        need_mib,
                           guint64       *mib_by_node);

const gchar *xa_policy_to_string (XaPolicy policy);
gboolean xa_policy_from_string (const gchar *text,
                                XaPolicy    *out_policy,
                                GError     **error);

gboolean xa_plan_check_policy (XaPolicy          policy,
                               const XaTopology *topo,
                               GError          **error);
XaPlan *xa_plan (const XaTopology    *topo,
                 GPtrArray           *requests,
                 const XaPlanOptions *options,
                 GError             **error);
XaPlan *xa_plan_batch (const XaTopology *topo,
                       GPtrArray        *requests,
                       gdouble           now_s);
XaPlan *xa_plan_reference (const XaTopology *topo,
                           GPtrArray        *requests,
                           XaPolicy          variant);
XaPlan *xa_plan_exact (const XaTopology *topo,
                       GPtrArray        *requests,
                       gdouble           now_s,
                       guint64           max_steps);

G_END_DECLS
