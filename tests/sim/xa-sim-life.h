/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "xa-sim-scenario.h"

G_BEGIN_DECLS

/* How one life of the admitter ended. */
typedef enum {
  XA_SIM_LIFE_DONE = 0,   /* the workload ran its course */
  XA_SIM_LIFE_FAILED = 1, /* an invariant broke: the failure file says which */
  XA_SIM_LIFE_ERROR = 2,  /* it stopped on an error: the next life restarts */
} XaSimLifeEnd;

/**
 * XaSimLifeSpec:
 * @scenario: the seed's scenario; its crash and ledger fault are still to
 *   come when not 0
 * @dir: the run's folder: host file, state, ledger, what was submitted
 * @first_event: the events the lives before ran
 * @events_max: a life stops once the events reach it, 0 for no bound
 * @verbose: print the events
 */
typedef struct {
  const XaSimScenario *scenario;
  const gchar *dir;
  guint64 first_event;
  guint64 events_max;
  gboolean verbose;
} XaSimLifeSpec;

XaSimLifeEnd xa_sim_life_run (const XaSimLifeSpec *spec,
                              guint64             *out_events);

G_END_DECLS
