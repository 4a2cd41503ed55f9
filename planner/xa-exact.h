/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "xa-plan-result.h"
#include "xa-topology.h"

G_BEGIN_DECLS

#define XA_EXACT_STEPS_DEFAULT G_GUINT64_CONSTANT (2000000)

void xa_exact_improve (const XaTopology *topo,
                       GPtrArray        *requests,
                       gdouble           now_s,
                       guint64           max_steps,
                       XaPlan           *plan);
XaPlan *xa_exact_plan (const XaTopology *topo,
                       GPtrArray        *requests,
                       gdouble           now_s,
                       guint64           max_steps);

G_END_DECLS
