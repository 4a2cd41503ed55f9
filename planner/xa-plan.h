/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The planner's front: the dispatcher, and every layer below it. */

#include <glib.h>

#include "xa-batch.h"
#include "xa-error.h"
#include "xa-exact.h"
#include "xa-mem.h"
#include "xa-placement.h"
#include "xa-plan-result.h"
#include "xa-plan-why.h"
#include "xa-policy.h"
#include "xa-request.h"
#include "xa-tight-batch.h"
#include "xa-topology.h"
#include "xa-xenopsd.h"

G_BEGIN_DECLS

/* The batch policy searches on from its plan, as the exact policy does,
 * when the batch has at most this many VMs on at most this many nodes, and
 * for at most this many steps: enough on 16 VMs × 8 nodes to find every
 * plan that 2,000,000 steps find (README, Design), tens of ms at worst. */
#define XA_PLAN_SEARCH_MAX_VMS 16
#define XA_PLAN_SEARCH_MAX_NODES 8
#define XA_PLAN_SEARCH_STEPS G_GUINT64_CONSTANT (150000)

gboolean xa_plan_check_policy (XaPolicy          policy,
                               const XaTopology *topo,
                               GError          **error);
XaPlan *xa_plan (const XaTopology    *topo,
                 GPtrArray           *requests,
                 const XaPlanOptions *options,
                 GError             **error);

G_END_DECLS
