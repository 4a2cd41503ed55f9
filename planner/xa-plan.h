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
#include "xa-policy.h"
#include "xa-request.h"
#include "xa-topology.h"
#include "xa-xenopsd.h"

G_BEGIN_DECLS

gboolean xa_plan_check_policy (XaPolicy          policy,
                               const XaTopology *topo,
                               GError          **error);
XaPlan *xa_plan (const XaTopology    *topo,
                 GPtrArray           *requests,
                 const XaPlanOptions *options,
                 GError             **error);

G_END_DECLS
