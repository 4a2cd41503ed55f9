/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "xa-request.h"

G_BEGIN_DECLS

/**
 * XaSimVm:
 * @req: the VM
 * @at_s: when it is submitted, on the host's clock; the members of a group
 *   come together
 * @cancel_at_s: when its cancel is asked, or -1 for never
 */
typedef struct {
  XaRequest *req;
  gdouble at_s;
  gdouble cancel_at_s;
} XaSimVm;

/**
 * XaSimScenario:
 * @seed: what it was made from
 * @service: admitted as the daemon does, else as a boot (which ends when
 *   nothing more can be done)
 * @n_nodes: the host's nodes
 * @host: the host file, without its faults
 * @vms: (element-type XaSimVm): the workload, by arrival
 * @faults: (element-type utf8): the host file's faults, one JSON object each
 * @crash_at: the admitter is killed as it is about to run this event of
 *   the driver's count, 0 for never
 * @ledger_fail_at: from this event on, the ledger's writes fail, 0 for never
 * @ledger_rc: with SQLITE_FULL or SQLITE_IOERR
 *
 * One seed's run: a host, a workload and the faults thrown at them.
 */
typedef struct {
  guint32 seed;
  gboolean service;
  guint n_nodes;
  gchar *host;
  GPtrArray *vms;
  GPtrArray *faults;
  guint64 crash_at;
  guint64 ledger_fail_at;
  gint ledger_rc;
} XaSimScenario;

XaSimScenario *xa_sim_scenario_new (guint32 seed);
XaSimScenario *xa_sim_scenario_copy (const XaSimScenario *self);
void xa_sim_scenario_free (XaSimScenario *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XaSimScenario, xa_sim_scenario_free)

gchar *xa_sim_scenario_host_text (const XaSimScenario *self);
gchar *xa_sim_scenario_describe (const XaSimScenario *self);

G_END_DECLS
