/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "xa-plan.h"

G_BEGIN_DECLS

/**
 * XaRunState:
 * @XA_RUN_STATE_PLANNED: planned, in a dry run
 * @XA_RUN_STATE_RUNNING: built and running
 * @XA_RUN_STATE_FAILED: its build or its start failed
 * @XA_RUN_STATE_DEFERRED: it did not fit while the run lasted
 * @XA_RUN_STATE_REJECTED: it can never fit the host
 * @XA_RUN_STATE_CANCELLED: withdrawn before it ran
 * @XA_RUN_STATE_ENDED: it ran, and its domain is no longer on the host
 *
 * Where a VM of a run summary ended (docs/formats.md).
 */
typedef enum {
  XA_RUN_STATE_PLANNED,
  XA_RUN_STATE_RUNNING,
  XA_RUN_STATE_FAILED,
  XA_RUN_STATE_DEFERRED,
  XA_RUN_STATE_REJECTED,
  XA_RUN_STATE_CANCELLED,
  XA_RUN_STATE_ENDED,
} XaRunState;

#define XA_RUN_STATE_LAST XA_RUN_STATE_ENDED

const gchar *xa_run_state_to_string (XaRunState state);
gboolean xa_run_state_from_string (const gchar *text,
                                   XaRunState  *out_state);

/**
 * XaRunVm:
 * @name: the VM's name
 * @state: where it ended
 * @planned_nodes: the node set the policy chose and acted on, 0 for none
 * @memory_by_node_mib: a running VM's memory per node as the host reports
 *   it; a planned VM's planned memory; zeros otherwise
 * @queued_s: when it was queued, host clock
 * @started_s: when its last build began, < 0 for never
 * @finished_s: when its last build ended, < 0 for never
 * @attempts: builds started
 * @reason: (nullable): why it is not running, one sentence
 * @vcpus: its vCPUs, for tables
 * @memory_mib: its memory, for tables
 * @pinned: it has hard affinity, for tables
 * @left_alone: it ran before this run, which left it alone
 *
 * One VM of a run summary (docs/formats.md).
 */
typedef struct {
  gchar *name;
  XaRunState state;
  XaNodeSet planned_nodes;
  guint64 *memory_by_node_mib;
  gdouble queued_s;
  gdouble started_s;
  gdouble finished_s;
  guint attempts;
  gchar *reason;
  guint vcpus;
  guint64 memory_mib;
  gboolean pinned;
  gboolean left_alone;
} XaRunVm;

/**
 * XaRun:
 * @policy: the policy's name
 * @seed: the seed, < 0 for none (a dry run)
 * @host: the host's name
 * @n_nodes: its node count
 * @vms: (element-type XaRunVm): every VM, in manifest order
 * @makespan_s: first request queued → last build ended, 0 for no build
 * @lower_bound_s: what no policy can beat on this host (docs/formats.md)
 * @plan_ms: wall-clock time spent planning
 * @strict: every build got its plan's MiB per node exactly (a boot; a dry
 *   run builds nothing and leaves it %FALSE)
 * @overplanned: VMs planned where their memory is not free (dry runs)
 * @overplanned_mib: that memory
 * @free_mib: (nullable): each node's free memory when the run began, for
 *   tables
 * @left_mib: (nullable): each node's free memory when the run ended, as the
 *   host shows it; %NULL for a dry run, whose tables subtract the plan
 * @optimal: whether the exact search proved the plan optimal (a boot:
 *   every batch's plan)
 */
typedef struct {
  gchar *policy;
  gint64 seed;
  gchar *host;
  guint n_nodes;
  GPtrArray *vms;
  gdouble makespan_s;
  gdouble lower_bound_s;
  gdouble plan_ms;
  gboolean strict;
  guint overplanned;
  guint64 overplanned_mib;
  guint64 *free_mib;
  guint64 *left_mib;
  XaPlanOptimal optimal;
} XaRun;

/**
 * XaRunCounts:
 *
 * The counts of a run summary: VMs per state, then over running (or, in a
 * dry run, planned) VMs: on one node (99 %), split, and spilled (more than
 * 1 % outside their planned nodes) with the memory that spilled.
 */
typedef struct {
  guint planned;
  guint running;
  guint failed;
  guint deferred;
  guint rejected;
  guint cancelled;
  guint ended;
  guint local;
  guint split;
  guint spilled;
  guint64 remote_mib;
} XaRunCounts;

XaRun *xa_run_new (const gchar *policy,
                   gint64       seed,
                   const gchar *host,
                   guint        n_nodes);
XaRun *xa_run_new_from_plan (XaPolicy          policy,
                             const gchar      *host,
                             const XaTopology *topo,
                             GPtrArray        *requests,
                             const XaPlan     *plan,
                             gdouble           plan_ms);
void xa_run_free (XaRun *run);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XaRun, xa_run_free)
XaRunVm *xa_run_add_vm (XaRun       *run,
                        const gchar *name,
                        XaRunState   state);
XaRunCounts xa_run_count (const XaRun *run);

G_END_DECLS
