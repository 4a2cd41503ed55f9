/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <jansson.h>

#include "xa-host-info.h"
#include "xa-plan.h"

G_BEGIN_DECLS

/**
 * XaPlanRun:
 * @policy: the policy's name
 * @host: the host as it was planned against
 * @topo: what the planner saw of it
 * @requests: (element-type XaRequest): the VMs, in manifest order
 * @plan: one placement per VM
 * @plan_ms: wall-clock time spent planning
 *
 * A dry run, as `xadmit plan` reports it.
 */
typedef struct {
  const gchar *policy;
  const XaHostInfo *host;
  const XaTopology *topo;
  GPtrArray *requests;
  const XaPlan *plan;
  gdouble plan_ms;
} XaPlanRun;

void xa_output_print_json (json_t *root);
void xa_output_print_host (const XaHostInfo *info,
                           const gchar      *kind);
json_t *xa_output_plan_to_json (const XaPlanRun *run);
void xa_output_print_plan (const XaPlanRun *run);

G_END_DECLS
