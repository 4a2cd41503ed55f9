/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "xa-mem.h"
#include "xa-names.h"
#include "xa-run.h"

static const gchar *const xa_run_state_names[] = {
  "planned", "running", "failed", "deferred", "rejected", "cancelled", "ended",
};
G_STATIC_ASSERT (G_N_ELEMENTS (xa_run_state_names) == XA_RUN_STATE_LAST + 1);

const gchar *
xa_run_state_to_string (XaRunState state)
{
  g_return_val_if_fail (state <= XA_RUN_STATE_LAST, NULL);

  return xa_run_state_names[state];
}

gboolean
xa_run_state_from_string (const gchar *text, XaRunState *out_state)
{
  gint s = xa_names_find (xa_run_state_names, G_N_ELEMENTS (xa_run_state_names), text);

  if (s < 0)
    return FALSE;
  *out_state = (XaRunState) s;
  return TRUE;
}

static void
xa_run_vm_free (gpointer data)
{
  XaRunVm *vm = data;

  g_free (vm->name);
  g_free (vm->memory_by_node_mib);
  g_free (vm->reason);
  g_free (vm);
}

XaRun *
xa_run_new (const gchar *policy, gint64 seed, const gchar *host, guint n_nodes)
{
  XaRun *run = g_new0 (XaRun, 1);

  run->policy = g_strdup (policy);
  run->seed = seed;
  run->host = g_strdup (host);
  run->n_nodes = n_nodes;
  run->vms = g_ptr_array_new_with_free_func (xa_run_vm_free);
  return run;
}

static XaRunState
xa_run_state_of_outcome (XaOutcome outcome)
{
  switch (outcome) {
  case XA_OUTCOME_PLANNED:
    return XA_RUN_STATE_PLANNED;
  case XA_OUTCOME_DEFERRED:
    return XA_RUN_STATE_DEFERRED;
  case XA_OUTCOME_REJECTED:
    return XA_RUN_STATE_REJECTED;
  case XA_OUTCOME_FAILED:
  default:
    return XA_RUN_STATE_FAILED;
  }
}

/**
 * xa_run_new_from_plan:
 * @policy: the policy that planned
 * @host: the name of the host planned against
 * @topo: what the planner saw of it
 * @requests: (element-type XaRequest): the VMs, in manifest order
 * @plan: the plan
 * @plan_ms: wall-clock time spent planning
 *
 * Returns: (transfer full): the run summary of a dry run: planned VMs with
 *   their planned memory, and whether the plan is proven optimal
 */
XaRun *
xa_run_new_from_plan (XaPolicy policy, const gchar *host, const XaTopology *topo,
                      GPtrArray *requests, const XaPlan *plan, gdouble plan_ms)
{
  XaRun *run = xa_run_new (xa_policy_to_string (policy), -1, host, plan->n_nodes);

  for (guint i = 0; i < requests->len; i++) {
    const XaRequest *req = g_ptr_array_index (requests, i);
    const XaPlacement *placement = &plan->placements[i];
    XaRunVm *vm = xa_run_add_vm (run, req->name, xa_run_state_of_outcome (placement->outcome));

    vm->planned_nodes = placement->nodes;
    memcpy (vm->memory_by_node_mib, placement->mib_by_node, sizeof (guint64) * plan->n_nodes);
    vm->reason = g_strdup (placement->reason);
    vm->vcpus = req->vcpus;
    vm->memory_mib = req->memory_mib;
    vm->pinned = xa_request_is_pinned (req);
  }
  run->plan_ms = plan_ms;
  run->optimal = plan->optimal;
  xa_plan_overplanned (plan, topo, &run->overplanned, &run->overplanned_mib);
  run->free_mib = g_new (guint64, plan->n_nodes);
  for (guint n = 0; n < plan->n_nodes; n++)
    run->free_mib[n] = topo->nodes[n].free_mib;
  return run;
}

void
xa_run_free (XaRun *run)
{
  if (run == NULL)
    return;
  g_free (run->policy);
  g_free (run->host);
  g_free (run->free_mib);
  g_free (run->left_mib);
  g_ptr_array_unref (run->vms);
  g_free (run);
}

/**
 * xa_run_add_vm:
 * @run: a run
 * @name: the VM's name
 * @state: its state
 *
 * Returns: (transfer none): a VM with no memory, never started
 */
XaRunVm *
xa_run_add_vm (XaRun *run, const gchar *name, XaRunState state)
{
  XaRunVm *vm = g_new0 (XaRunVm, 1);

  vm->name = g_strdup (name);
  vm->state = state;
  vm->memory_by_node_mib = g_new0 (guint64, run->n_nodes);
  vm->started_s = -1;
  vm->finished_s = -1;
  g_ptr_array_add (run->vms, vm);
  return vm;
}

static void
xa_run_count_memory (const XaRun *run, const XaRunVm *vm, XaRunCounts *counts)
{
  guint64 outside = xa_mem_spilled_mib (vm->memory_by_node_mib, vm->planned_nodes, run->n_nodes);

  if (xa_mem_is_local (vm->memory_by_node_mib, run->n_nodes))
    counts->local++;
  else
    counts->split++;
  if (outside > 0) {
    counts->spilled++;
    counts->remote_mib += outside;
  }
}

/**
 * xa_run_count:
 * @run: a run
 *
 * Returns: its counts (docs/formats.md)
 */
XaRunCounts
xa_run_count (const XaRun *run)
{
  XaRunCounts counts = { 0 };

  for (guint i = 0; i < run->vms->len; i++) {
    const XaRunVm *vm = g_ptr_array_index (run->vms, i);

    switch (vm->state) {
    case XA_RUN_STATE_PLANNED:
      counts.planned++;
      xa_run_count_memory (run, vm, &counts);
      break;
    case XA_RUN_STATE_RUNNING:
      counts.running++;
      xa_run_count_memory (run, vm, &counts);
      break;
    case XA_RUN_STATE_FAILED:
      counts.failed++;
      break;
    case XA_RUN_STATE_DEFERRED:
      counts.deferred++;
      break;
    case XA_RUN_STATE_REJECTED:
      counts.rejected++;
      break;
    case XA_RUN_STATE_ENDED:
      counts.ended++;
      break;
    case XA_RUN_STATE_CANCELLED:
    default:
      counts.cancelled++;
      break;
    }
  }
  return counts;
}
