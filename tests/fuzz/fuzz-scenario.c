/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The scenario (docs/formats.md, Scenario), as xadmit bench reads it, and
 * the arrival times it draws for each of its seeds. */
#include "xa-fuzz.h"
#include "xa-scenario.h"

/* Enough VMs for a few gaps of each kind. */
#define XA_FUZZ_SCENARIO_VMS 16

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(XaScenario) scenario = xa_scenario_load_data ("scenarios/fuzz.json",
                                                          (const gchar *) data, size, &error);

  xa_fuzz_check_result (scenario != NULL, error);
  if (scenario == NULL)
    return 0;
  for (guint i = 0; i < scenario->seeds->len; i++) {
    g_autofree gdouble *at_s = xa_scenario_arrival_times (scenario,
                                                          g_array_index (scenario->seeds,
                                                                         guint32, i),
                                                          XA_FUZZ_SCENARIO_VMS);

    for (guint k = 1; k < XA_FUZZ_SCENARIO_VMS; k++) {
      if (!(at_s[k] >= at_s[k - 1]))
        g_error ("VM %u arrives at %g, before VM %u at %g", k, at_s[k], k - 1, at_s[k - 1]);
    }
  }
  return 0;
}
