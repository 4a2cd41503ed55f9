/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "xa-plan-result.h"
#include "xa-policy.h"

G_BEGIN_DECLS

typedef XaPlan *(*XaPlanGroupFunc) (const XaTopology    *topo,
                                    GPtrArray           *requests,
                                    const XaPlanOptions *options);

XaPlan *xa_plan_whole_groups (const XaTopology    *topo,
                              GPtrArray           *requests,
                              const XaPlanOptions *options,
                              XaPlanGroupFunc      plan_func);

G_END_DECLS
