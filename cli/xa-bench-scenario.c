/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib/gstdio.h>
#include <unistd.h>

#include "xa-bench-private.h"
#include "xa-error.h"
#include "xa-manifest.h"
#include "xa-output.h"
#include "xa-plan.h"
#include "xa-scenario.h"

/* `xadmit bench SCENARIO…`: each scenario's storm, for each seed, with
 * batch and the reference policies, on fresh simulated hosts and ledgers;
 * a row a run, then batch against each reference. */

/* How a run admits: batch strict or not, or a xenopsd policy. */
typedef struct {
  XaPolicy policy;
  gboolean strict;
} XaBenchMode;

/* A scenario with its manifest and its host, read before any run. */
typedef struct {
  XaScenario *scenario;
  GPtrArray *requests;
  GPtrArray *guests;
  XaTopology *topo;
} XaBenchInput;

/* One run of a scenario: its seed and mode, then its summary and the CPU
 * time it took. */
typedef struct {
  const XaBenchInput *input;
  guint32 seed;
  XaBenchMode mode;
  XaRun *run;
  gdouble cpu_us;
} XaBenchOutcome;

static void
xa_bench_input_clear (gpointer data)
{
  XaBenchInput *input = data;

  g_clear_pointer (&input->scenario, xa_scenario_free);
  g_clear_pointer (&input->requests, g_ptr_array_unref);
  g_clear_pointer (&input->guests, g_ptr_array_unref);
  g_clear_pointer (&input->topo, xa_topology_free);
}

static void
xa_bench_outcome_clear (gpointer data)
{
  XaBenchOutcome *outcome = data;

  g_clear_pointer (&outcome->run, xa_run_free);
}

static const gchar *
xa_bench_mode_name (const XaBenchMode *mode)
{
  if (mode->policy == XA_POLICY_BATCH && !mode->strict)
    return "batch --no-strict";
  return xa_policy_to_string (mode->policy);
}

/* batch adds its --no-strict twin; a policy named twice runs once. */
static gboolean
xa_bench_add_policy (GArray *modes, const gchar *name, GError **error)
{
  XaBenchMode mode = { XA_POLICY_BATCH, TRUE };

  if (!xa_policy_from_string (name, &mode.policy, error))
    return FALSE;
  if (mode.policy == XA_POLICY_EXACT) {
    g_set_error_literal (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                         "exact is for xadmit plan; a bench boots with batch or a xenopsd "
                         "policy");
    return FALSE;
  }
  for (guint m = 0; m < modes->len; m++) {
    if (g_array_index (modes, XaBenchMode, m).policy == mode.policy)
      return TRUE;
  }
  mode.strict = mode.policy == XA_POLICY_BATCH;
  g_array_append_val (modes, mode);
  if (mode.policy == XA_POLICY_BATCH) {
    mode.strict = FALSE;
    g_array_append_val (modes, mode);
  }
  return TRUE;
}

/* --policies, a comma-separated list; all but exact by default. */
static GArray *
xa_bench_parse_policies (const gchar *list, GError **error)
{
  g_autoptr(GArray) modes = g_array_new (FALSE, FALSE, sizeof (XaBenchMode));
  g_auto(GStrv) names = g_strsplit (list != NULL ? list : "batch,xenopsd,xenopsd-nodeclaim,"
                                                         "xenopsd-legacy", ",", -1);

  for (guint i = 0; names[i] != NULL; i++) {
    if (!xa_bench_add_policy (modes, g_strstrip (names[i]), error)) {
      g_prefix_error_literal (error, "--policies: ");
      return NULL;
    }
  }
  return g_steal_pointer (&modes);
}

/* The scenario, its manifest and its host, all checked. */
static gboolean
xa_bench_input_load (const gchar *path, XaBenchInput *input, GError **error)
{
  g_autofree gchar *spec = NULL;
  g_autoptr(XaHost) host = NULL;
  g_autoptr(XaHostInfo) info = NULL;

  input->scenario = xa_scenario_load (path, error);
  if (input->scenario == NULL)
    return FALSE;
  input->requests = xa_manifest_load (input->scenario->manifest_path, &input->guests, error);
  if (input->requests == NULL)
    return FALSE;
  spec = g_strdup_printf ("sim:%s", input->scenario->host_path);
  host = xa_host_open (spec, NULL, error);
  if (host == NULL || (info = xa_host_snapshot (host, error)) == NULL)
    return FALSE;
  input->topo = xa_host_info_to_topology (info);
  return TRUE;
}

/* The seeds of a scenario: its own, or 1…N with --seeds N. */
static GArray *
xa_bench_seeds (const XaScenario *scenario, gint n_seeds)
{
  GArray *seeds;

  if (n_seeds <= 0)
    return g_array_ref (scenario->seeds);
  seeds = g_array_new (FALSE, FALSE, sizeof (guint32));
  for (guint32 s = 1; s <= (guint32) n_seeds; s++)
    g_array_append_val (seeds, s);
  return seeds;
}

static void
xa_bench_print_scenario_head (const XaBench *bench)
{
  if (bench->json != NULL)
    return;
  if (!bench->quiet)
    g_print ("scenarios: each on a fresh simulated host and ledger; run / fail / def: VMs "
             "running, failed, deferred; 1-node, split, spill: running VMs (docs/formats.md, "
             "Locality); makespan on the host's clock, vs LB its ratio to the lower bound; "
             "plan ms and CPU us/VM measured on this machine\n\n");
  g_print ("%-16s %4s %-17s %4s %4s %4s %6s %5s %5s %10s %10s %6s %8s %9s\n", "scenario",
           "seed", "policy", "run", "fail", "def", "1-node", "split", "spill", "remote MiB",
           "makespan s", "vs LB", "plan ms", "CPU us/VM");
}

static void
xa_bench_print_outcome (const XaBench *bench, const XaBenchOutcome *outcome)
{
  const XaRun *run = outcome->run;
  XaRunCounts counts = xa_run_count (run);
  gdouble cpu_us_per_vm = outcome->cpu_us / MAX (run->vms->len, 1);
  json_t *summary;

  if (bench->json != NULL) {
    summary = xa_output_run_to_json (run);
    json_object_set_new (summary, "scenario", json_string (outcome->input->scenario->name));
    json_object_set_new (summary, "cpu_us_per_vm", xa_output_real3 (cpu_us_per_vm));
    json_array_append_new (bench->json, summary);
    return;
  }
  g_print ("%-16s %4" G_GINT64_FORMAT " %-17s %4u %4u %4u %6u %5u %5u %10" G_GUINT64_FORMAT
           " %10.1f %6.2f %8.2f %9.1f\n", outcome->input->scenario->name, run->seed,
           xa_bench_mode_name (&outcome->mode), counts.running, counts.failed, counts.deferred,
           counts.local, counts.split, counts.spilled, counts.remote_mib, run->makespan_s,
           run->makespan_s / MAX (run->lower_bound_s, 1e-9), run->plan_ms, cpu_us_per_vm);
  fflush (stdout);
}

/* One run on a fresh ledger in @dir, removed after it. */
static gboolean
xa_bench_run_scenario (const gchar *dir, XaBenchOutcome *outcome, GError **error)
{
  const XaBenchInput *input = outcome->input;
  g_autofree gchar *db = g_build_filename (dir, "xadmit.db", NULL);
  g_autofree gdouble *at_s = xa_scenario_arrival_times (input->scenario, outcome->seed,
                                                        input->requests->len);
  XaSchedulerOptions options = XA_SCHEDULER_OPTIONS_DEFAULT;
  XaBenchStorm storm = { 0 };
  gboolean ok;

  options.policy = outcome->mode.policy;
  options.strict = outcome->mode.strict;
  options.seed = outcome->seed;
  ok = xa_bench_run_storm (input->scenario->host_path, NULL, db, input->requests, input->guests,
                           at_s, &options, &storm, error);
  xa_bench_remove_ledger (NULL, db);
  if (!ok)
    return FALSE;
  outcome->run = storm.run;
  outcome->cpu_us = storm.cpu_us;
  return TRUE;
}

/* A line on a terminal, redrawn before each run; nothing when piped. */
static void
xa_bench_show_progress (const XaBench *bench, guint done, guint total,
                        const XaBenchOutcome *next)
{
  if (bench->quiet || !isatty (STDERR_FILENO))
    return;
  if (next == NULL) {
    g_printerr ("\r%79s\r", "");
    return;
  }
  g_printerr ("\r  run %u of %u: %s, seed %u, %s%20s", done + 1, total,
              next->input->scenario->name, next->seed, xa_bench_mode_name (&next->mode), "");
}

/* Every scenario × seed × mode that applies to its host, in that order. */
static GArray *
xa_bench_plan_runs (GArray *inputs, GArray *modes, gint n_seeds)
{
  GArray *outcomes = g_array_new (FALSE, TRUE, sizeof (XaBenchOutcome));

  g_array_set_clear_func (outcomes, xa_bench_outcome_clear);
  for (guint i = 0; i < inputs->len; i++) {
    const XaBenchInput *input = &g_array_index (inputs, XaBenchInput, i);
    g_autoptr(GArray) seeds = xa_bench_seeds (input->scenario, n_seeds);

    for (guint s = 0; s < seeds->len; s++) {
      for (guint m = 0; m < modes->len; m++) {
        XaBenchOutcome outcome = { input, g_array_index (seeds, guint32, s),
                                   g_array_index (modes, XaBenchMode, m), NULL, 0 };

        /* xenopsd-nodeclaim only where the host has node claims */
        if (!xa_plan_check_policy (outcome.mode.policy, input->topo, NULL))
          continue;
        g_array_append_val (outcomes, outcome);
      }
    }
  }
  return outcomes;
}

static gboolean
xa_bench_run_all (const XaBench *bench, GArray *outcomes, GError **error)
{
  g_autofree gchar *dir = g_dir_make_tmp ("xadmit-scenario-XXXXXX", error);
  gboolean ok = dir != NULL;

  for (guint r = 0; r < outcomes->len && ok; r++) {
    XaBenchOutcome *outcome = &g_array_index (outcomes, XaBenchOutcome, r);

    xa_bench_show_progress (bench, r, outcomes->len, outcome);
    ok = xa_cli_signals_check (bench->signals, error) &&
         xa_bench_run_scenario (dir, outcome, error);
    xa_bench_show_progress (bench, r, outcomes->len, NULL);
    if (ok)
      xa_bench_print_outcome (bench, outcome);
  }
  if (dir != NULL)
    g_rmdir (dir);
  return ok;
}

/* What a mode's runs of a scenario add up to, over its seeds. */
typedef struct {
  guint runs;
  guint running;
  guint local;
  guint64 remote_mib;
  gdouble makespan_s;
} XaBenchSums;

static XaBenchSums
xa_bench_sum (GArray *outcomes, const XaBenchInput *input, const XaBenchMode *mode)
{
  XaBenchSums sums = { 0 };

  for (guint r = 0; r < outcomes->len; r++) {
    const XaBenchOutcome *outcome = &g_array_index (outcomes, XaBenchOutcome, r);
    XaRunCounts counts;

    if (outcome->input != input || outcome->mode.policy != mode->policy ||
        outcome->mode.strict != mode->strict)
      continue;
    counts = xa_run_count (outcome->run);
    sums.runs++;
    sums.running += counts.running;
    sums.local += counts.local;
    sums.remote_mib += counts.remote_mib;
    sums.makespan_s += outcome->run->makespan_s;
  }
  return sums;
}

/* batch ÷ @ref, or "-" where @ref is 0. */
static gchar *
xa_bench_format_ratio (gdouble batch, gdouble ref)
{
  if (ref <= 0)
    return g_strdup (batch <= 0 ? "=" : "-");
  return g_strdup_printf ("%.3f", batch / ref);
}

static void
xa_bench_print_ratio (const XaBenchInput *input, const XaBenchMode *ref, const XaBenchSums *b,
                      const XaBenchSums *r)
{
  g_autofree gchar *remote = xa_bench_format_ratio ((gdouble) b->remote_mib,
                                                    (gdouble) r->remote_mib);
  g_autofree gchar *makespan = xa_bench_format_ratio (b->makespan_s, r->makespan_s);

  g_print ("%-16s %-17s %12s %10s %+10.1f %+11.1f\n", input->scenario->name,
           xa_bench_mode_name (ref), remote, makespan,
           ((gdouble) b->local - r->local) / b->runs, ((gdouble) b->running - r->running) / b->runs);
}

/* batch (strict) against each xenopsd policy, scenario by scenario. */
static void
xa_bench_print_ratios (const XaBench *bench, GArray *inputs, GArray *outcomes)
{
  const XaBenchMode batch = { XA_POLICY_BATCH, TRUE };

  if (bench->json != NULL)
    return;
  g_print ("\n");
  if (!bench->quiet)
    g_print ("batch against each reference, over the seeds: remote MiB and makespan as batch / "
             "reference (of their sums; = both 0, - the reference's 0); 1-node and running as "
             "batch minus reference, VMs a run on average\n\n");
  g_print ("%-16s %-17s %12s %10s %10s %11s\n", "scenario", "reference", "remote MiB /",
           "makespan /", "1-node +/-", "running +/-");
  for (guint i = 0; i < inputs->len; i++) {
    const XaBenchInput *input = &g_array_index (inputs, XaBenchInput, i);
    XaBenchSums b = xa_bench_sum (outcomes, input, &batch);

    for (XaPolicy p = XA_POLICY_XENOPSD; p <= XA_POLICY_XENOPSD_LEGACY && b.runs > 0; p++) {
      const XaBenchMode ref = { p, FALSE };
      XaBenchSums r = xa_bench_sum (outcomes, input, &ref);

      if (r.runs == b.runs)
        xa_bench_print_ratio (input, &ref, &b, &r);
    }
  }
}

/**
 * xa_bench_scenarios:
 * @bench: the signals, where the tables go (@json: an array)
 * @paths: (array length=n_paths): the scenario files
 * @n_paths: how many
 * @policies: (nullable): --policies, comma-separated
 * @n_seeds: --seeds N, 0 for each scenario's seeds
 * @error: a #GError, %XA_ERROR_INVALID_INPUT for bad input (nothing ran),
 *   %G_IO_ERROR_CANCELLED on a signal
 *
 * Reads every scenario, its manifest and its host, then runs each for each
 * seed with each mode that applies to its host, printing a row a run, and
 * then batch against each reference policy.
 *
 * Returns: %TRUE if every run worked
 */
gboolean
xa_bench_scenarios (const XaBench *bench, gchar **paths, guint n_paths, const gchar *policies,
                    gint n_seeds, GError **error)
{
  g_autoptr(GArray) modes = xa_bench_parse_policies (policies, error);
  g_autoptr(GArray) inputs = g_array_new (FALSE, TRUE, sizeof (XaBenchInput));
  g_autoptr(GArray) outcomes = NULL;

  g_array_set_clear_func (inputs, xa_bench_input_clear);
  if (modes == NULL)
    return FALSE;
  for (guint i = 0; i < n_paths; i++) {
    g_array_set_size (inputs, i + 1);
    if (!xa_bench_input_load (paths[i], &g_array_index (inputs, XaBenchInput, i), error))
      return FALSE;
  }
  outcomes = xa_bench_plan_runs (inputs, modes, n_seeds);
  xa_bench_print_scenario_head (bench);
  if (!xa_bench_run_all (bench, outcomes, error))
    return FALSE;
  xa_bench_print_ratios (bench, inputs, outcomes);
  return TRUE;
}
