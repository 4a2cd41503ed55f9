/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "xa-plan-result.h"
#include "xa-topology.h"

G_BEGIN_DECLS

XaPlan *xa_batch_plan (const XaTopology *topo,
                       GPtrArray        *requests,
                       gdouble           now_s);

G_END_DECLS
