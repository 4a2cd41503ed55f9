/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-bench.h"
#include "xa-output.h"
#include "xa-plan.h"

#define XA_BENCH_TIGHT_INSTANCES 200

/* How a row plans: batch's own plan without the search (as before issue
 * 12), the batch policy, the exact policy. */
typedef struct {
  const gchar *name;
  XaPolicy policy;
  gboolean search;
} XaBenchTightMode;

static const XaBenchTightMode xa_bench_tight_modes[] = {
  { "batch, no search", XA_POLICY_BATCH, FALSE },
  { "batch", XA_POLICY_BATCH, TRUE },
  { "exact", XA_POLICY_EXACT, TRUE },
};

#define XA_BENCH_TIGHT_EXACT (G_N_ELEMENTS (xa_bench_tight_modes) - 1)

typedef struct {
  guint split;
  guint deferred;
  guint worse;
  guint proven;
  gdouble total_ms;
  gdouble max_ms;
} XaBenchTightRow;

static XaPlan *
xa_bench_tight_plan (const XaBenchTightMode *mode, const XaTopology *topo, GPtrArray *requests,
                     XaBenchTightRow *row)
{
  XaPlanOptions options = { .policy = mode->policy };
  gint64 start = g_get_monotonic_time ();
  XaPlan *plan = mode->search ? xa_plan (topo, requests, &options, NULL)
                              : xa_batch_plan (topo, requests, 0);
  gdouble ms = (gdouble) (g_get_monotonic_time () - start) / 1000.0;

  row->total_ms += ms;
  row->max_ms = MAX (row->max_ms, ms);
  row->split += xa_plan_count (plan, XA_OUTCOME_PLANNED) - xa_plan_count_local (plan);
  row->deferred += xa_plan_count (plan, XA_OUTCOME_DEFERRED);
  row->proven += plan->optimal == XA_PLAN_OPTIMAL_PROVEN ? 1 : 0;
  return plan;
}

/* Worse: fewer VMs planned, or as many and fewer of them on one node. */
static gboolean
xa_bench_tight_is_worse (const XaPlan *plan, const XaPlan *than)
{
  guint planned = xa_plan_count (plan, XA_OUTCOME_PLANNED);
  guint than_planned = xa_plan_count (than, XA_OUTCOME_PLANNED);

  if (planned != than_planned)
    return planned < than_planned;
  return xa_plan_count_local (plan) < xa_plan_count_local (than);
}

/* One instance, every mode on it, each against exact's plan. */
static void
xa_bench_tight_once (guint32 seed, guint32 index, XaBenchTightRow *rows)
{
  g_autoptr(GPtrArray) requests = NULL;
  g_autoptr(XaTopology) topo = xa_tight_batch_new (seed, index, &requests);
  XaPlan *plans[G_N_ELEMENTS (xa_bench_tight_modes)];

  for (guint m = 0; m < G_N_ELEMENTS (xa_bench_tight_modes); m++)
    plans[m] = xa_bench_tight_plan (&xa_bench_tight_modes[m], topo, requests, &rows[m]);
  for (guint m = 0; m < G_N_ELEMENTS (xa_bench_tight_modes); m++) {
    rows[m].worse += xa_bench_tight_is_worse (plans[m], plans[XA_BENCH_TIGHT_EXACT]) ? 1 : 0;
    xa_plan_free (plans[m]);
  }
}

static void
xa_bench_tight_print (const XaBench *bench, const XaBenchTightRow *rows)
{
  json_t *table = bench->json != NULL ? json_array () : NULL;

  if (bench->json == NULL && !bench->quiet)
    g_print ("\ntight batches: %u instances of %u VMs on %u nodes asking %u-%u %% of the free "
             "memory, seed %u\nbatch searches on from its plan on batches of at most %u VMs on "
             "%u nodes, %" G_GUINT64_FORMAT " steps; exact, %" G_GUINT64_FORMAT " steps\n"
             "worse: instances with fewer VMs planned, or on one node, than exact; proven: "
             "instances proven optimal\n\n", XA_BENCH_TIGHT_INSTANCES, XA_TIGHT_BATCH_VMS,
             XA_TIGHT_BATCH_NODES, XA_TIGHT_BATCH_FILL_MIN, XA_TIGHT_BATCH_FILL_MAX, bench->seed,
             XA_PLAN_SEARCH_MAX_VMS, XA_PLAN_SEARCH_MAX_NODES, XA_PLAN_SEARCH_STEPS,
             XA_EXACT_STEPS_DEFAULT);
  if (bench->json == NULL)
    g_print ("%-16s %6s %9s %6s %7s %10s %10s\n", "policy", "split", "deferred", "worse",
             "proven", "ms/batch", "max ms");
  for (guint m = 0; m < G_N_ELEMENTS (xa_bench_tight_modes); m++) {
    const XaBenchTightRow *row = &rows[m];
    gdouble mean_ms = row->total_ms / XA_BENCH_TIGHT_INSTANCES;

    if (table != NULL)
      json_array_append_new (table, json_pack ("{s:s, s:b, s:i, s:i, s:i, s:i, s:o, s:o}",
                                               "policy",
                                               xa_policy_to_string (xa_bench_tight_modes[m].policy),
                                               "search", xa_bench_tight_modes[m].search,
                                               "split", (int) row->split,
                                               "deferred", (int) row->deferred,
                                               "worse", (int) row->worse,
                                               "proven", (int) row->proven,
                                               "ms_per_batch", xa_output_real3 (mean_ms),
                                               "max_ms", xa_output_real3 (row->max_ms)));
    else
      g_print ("%-16s %6u %9u %6u %7u %10.3f %10.3f\n", xa_bench_tight_modes[m].name, row->split,
               row->deferred, row->worse, row->proven, mean_ms, row->max_ms);
  }
  if (table != NULL)
    json_object_set_new (bench->json, "tight", json_pack ("{s:i, s:i, s:i, s:o}",
                                                          "instances", XA_BENCH_TIGHT_INSTANCES,
                                                          "vms", XA_TIGHT_BATCH_VMS,
                                                          "nodes", XA_TIGHT_BATCH_NODES,
                                                          "rows", table));
}

/**
 * xa_bench_tight:
 * @bench: the seed of the family, the signals, where the table goes
 * @error: a #GError, %G_IO_ERROR_CANCELLED on a signal
 *
 * Plans 200 small tight batches (xa_tight_batch_new()) with batch's own
 * plan, the batch policy and the exact policy, and prints for each the VMs
 * split and deferred over all of them, in how many it is worse than exact,
 * in how many its plan is proven optimal, and its wall time per batch.
 *
 * Returns: %FALSE if a signal stopped it
 */
gboolean
xa_bench_tight (const XaBench *bench, GError **error)
{
  XaBenchTightRow rows[G_N_ELEMENTS (xa_bench_tight_modes)] = { { 0 } };

  for (guint32 i = 0; i < XA_BENCH_TIGHT_INSTANCES; i++) {
    if (!xa_cli_signals_check (bench->signals, error))
      return FALSE;
    xa_bench_tight_once (bench->seed, i, rows);
  }
  xa_bench_tight_print (bench, rows);
  fflush (stdout);
  return TRUE;
}
