/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "xa-plan-result.h"

G_BEGIN_DECLS

/**
 * XaPlanWhy:
 * @need_mib: the VM's memory with Xen's overhead
 * @left_mib: what its nodes had left once the batch was placed
 * @runner_up: the node it would have gone to instead (a VM on one node), or
 *   -1 when no other node could hold it
 * @runner_up_left_mib: what @runner_up had left
 * @widest_node: of its nodes, the one that could give it the most with the
 *   rest of the batch placed as planned; for a split VM, why it is split
 * @widest_mib: what @widest_node could give it
 *
 * What a planned VM's placement rested on, recorded with the decision for
 * `xadmit explain`.
 */
typedef struct {
  guint64 need_mib;
  guint64 left_mib;
  gint runner_up;
  guint64 runner_up_left_mib;
  guint widest_node;
  guint64 widest_mib;
} XaPlanWhy;

XaPlanWhy *xa_plan_why (const XaPlan     *plan,
                        const XaTopology *topo,
                        GPtrArray        *requests);

G_END_DECLS
