/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <jansson.h>

G_BEGIN_DECLS

/**
 * XaArrival:
 * @XA_ARRIVAL_BURST: every VM at once
 * @XA_ARRIVAL_EVERY: one VM every so many seconds, in manifest order
 * @XA_ARRIVAL_POISSON: exponential gaps, so many VMs a second on average
 *
 * How a scenario's VMs reach the host (docs/formats.md, Scenario).
 */
typedef enum {
  XA_ARRIVAL_BURST,
  XA_ARRIVAL_EVERY,
  XA_ARRIVAL_POISSON,
} XaArrival;

/**
 * XaScenario:
 * @name: what the tables call it
 * @host_path: its host file
 * @manifest_path: its manifest
 * @arrival: how its VMs arrive
 * @arrival_value: seconds between two VMs (every), VMs a second (poisson)
 * @seeds: (element-type guint32): the seeds a bench runs
 *
 * One storm for `xadmit bench`; its paths as given, made relative to the
 * scenario file's folder.
 */
typedef struct {
  gchar *name;
  gchar *host_path;
  gchar *manifest_path;
  XaArrival arrival;
  gdouble arrival_value;
  GArray *seeds;
} XaScenario;

XaScenario *xa_scenario_parse (const gchar *path,
                               json_t      *root,
                               GError     **error);
XaScenario *xa_scenario_load_data (const gchar *path,
                                   const gchar *data,
                                   gsize        len,
                                   GError     **error);
XaScenario *xa_scenario_load (const gchar *path,
                              GError     **error);
void xa_scenario_free (XaScenario *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XaScenario, xa_scenario_free)

gdouble *xa_scenario_arrival_times (const XaScenario *self,
                                    guint32           seed,
                                    guint             n_vms);

G_END_DECLS
