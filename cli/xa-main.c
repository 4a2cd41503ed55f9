/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <locale.h>
#include <stdlib.h>

#include "xa-bench.h"
#include "xa-boot.h"
#include "xa-cancel.h"
#include "xa-config-command.h"
#include "xa-cli.h"
#include "xa-daemon.h"
#include "xa-error.h"
#include "xa-explain.h"
#include "xa-host-file.h"
#include "xa-json.h"
#include "xa-manifest.h"
#include "xa-output.h"
#include "xa-report.h"
#include "xa-status.h"
#include "xa-submit.h"
#include "xa-text.h"

typedef struct {
  const gchar *name;
  const gchar *summary;
  int (*run) (int argc, char **argv);
} XaCommand;

static int
xa_cmd_host (int argc, char **argv)
{
  g_auto(XaOptions) opts = { 0 };
  g_autoptr(GOptionContext) ctx = xa_cli_option_context_new (
    "- show the host's NUMA nodes, distances and domains",
    "Per node: memory, free and dirty MiB, CPUs and cores; the distance matrix;\n"
    "the domains already running with their memory per node. With --json, the\n"
    "host topology format, which --host sim:FILE reads back.", &opts, TRUE, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(XaHostInfo) info = NULL;
  const gchar *kind = NULL;

  if (!xa_cli_parse_options (ctx, &opts, &argc, &argv, &error))
    return xa_cli_fail ("host", error);
  if (argc > 1) {
    g_autofree gchar *shown = xa_text_quote (argv[1]);

    g_printerr ("xadmit host: unexpected argument %s (see xadmit host --help)\n", shown);
    return XA_EXIT_USAGE;
  }
  info = xa_cli_snapshot_host (&opts, &kind, &error);
  if (info == NULL)
    return xa_cli_fail ("host", error);
  if (opts.json) {
    g_autoptr(json_t) root = xa_host_file_to_json (info, NULL);

    xa_output_print_json (root);
  } else if (!opts.quiet) {
    xa_output_print_host (info, kind);
  }
  return XA_EXIT_OK;
}

static XaPlan *
xa_main_plan_timed (const XaTopology *topo, GPtrArray *requests, const XaPlanOptions *options,
                    gdouble *plan_ms, GError **error)
{
  gint64 start;
  XaPlan *plan;

  g_debug ("planning %u %s on %u %s", requests->len, xa_text_plural (requests->len, "VM", "VMs"),
           topo->n_nodes, xa_text_plural (topo->n_nodes, "node", "nodes"));
  start = g_get_monotonic_time ();
  plan = xa_plan (topo, requests, options, error);
  *plan_ms = (gdouble) (g_get_monotonic_time () - start) / 1000.0;
  return plan;
}

static gboolean
xa_main_plan_is_complete (const XaPlan *plan)
{
  for (guint i = 0; i < plan->n_placements; i++) {
    if (plan->placements[i].outcome != XA_OUTCOME_PLANNED)
      return FALSE;
  }
  return TRUE;
}

/* Prints @run, the run of @plan by @policy; exit 3 unless every VM is
 * planned. Asked for the optimum, it warns when it could not prove it. */
static int
xa_main_print_plan (const XaOptions *opts, XaPolicy policy, const XaPlan *plan, const XaRun *run)
{
  if (policy == XA_POLICY_EXACT && plan->optimal == XA_PLAN_OPTIMAL_UNPROVEN && !opts->quiet)
    g_printerr ("xadmit plan: the exact search ran out of steps; this is the best plan it "
                "found, not a proven optimum\n");
  xa_cli_print_run (opts, run);
  return xa_main_plan_is_complete (plan) ? XA_EXIT_OK : XA_EXIT_INCOMPLETE;
}

static int
xa_cmd_plan (int argc, char **argv)
{
  g_auto(XaOptions) opts = { 0 };
  g_autofree gchar *policy_name = NULL;
  const GOptionEntry entries[] = {
    { "policy", 0, 0, G_OPTION_ARG_STRING, &policy_name,
      "How to plan: batch (default), exact (branch and bound, small batches), or "
      "xenopsd, xenopsd-nodeclaim, xenopsd-legacy (the reference, for comparison)", "P" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) ctx = xa_cli_option_context_new (
    "MANIFEST - plan a batch of VM starts without starting anything (MANIFEST - for "
    "standard input)",
    "Plans every VM of MANIFEST as one batch against the host's per-node free\n"
    "memory (memory + Xen's per-domain overhead) and prints, per VM, its node set\n"
    "and MiB per node, or why it is deferred (does not fit now) or rejected (can\n"
    "never fit this host). Nothing is started and nothing is recorded.\n\n"
    "The xenopsd policies plan as xenopsd's parallel builds would, each VM on its\n"
    "own against free memory that the others have not yet taken: xenopsd is\n"
    "xenopsd on stock Xen 4.17, xenopsd-nodeclaim on a Xen with per-node claims\n"
    "(the host needs node_claims: true), xenopsd-legacy the version before 2025.\n"
    "Their plans may give a node more than it has: the summary counts those VMs\n"
    "as over-planned, and VMs whose start xenopsd would fail as failed.",
    &opts, TRUE, entries);
  g_autoptr(GError) error = NULL;
  XaPlanOptions options = { .policy = XA_POLICY_BATCH };
  g_autoptr(XaHostInfo) info = NULL;
  g_autoptr(XaTopology) topo = NULL;
  g_autoptr(GPtrArray) requests = NULL;
  g_autoptr(XaPlan) plan = NULL;
  g_autoptr(XaRun) run = NULL;
  const gchar *kind = NULL;
  gdouble plan_ms = 0;
  g_autoptr(XaCliSignals) signals = NULL;

  if (!xa_cli_parse_options (ctx, &opts, &argc, &argv, &error))
    return xa_cli_fail ("plan", error);
  if (argc != 2) {
    g_printerr ("xadmit plan: expected one MANIFEST (see xadmit plan --help)\n");
    return XA_EXIT_USAGE;
  }
  if (policy_name != NULL && !xa_policy_from_string (policy_name, &options.policy, &error)) {
    g_prefix_error_literal (&error, "--policy: ");
    return xa_cli_fail ("plan", error);
  }
  if ((signals = xa_cli_signals_new (NULL, NULL, &error)) == NULL ||
      (info = xa_cli_snapshot_host (&opts, &kind, &error)) == NULL)
    return xa_cli_fail ("plan", error);
  topo = xa_host_info_to_topology (info);
  requests = xa_cli_load_manifest (argv[1], NULL, &error);
  if (requests == NULL || !xa_cli_signals_check (signals, &error))
    return xa_cli_fail ("plan", error);
  plan = xa_main_plan_timed (topo, requests, &options, &plan_ms, &error);
  if (plan == NULL || !xa_cli_signals_check (signals, &error))
    return xa_cli_fail ("plan", error);
  run = xa_run_new_from_plan (options.policy, info->name, topo, requests, plan, plan_ms);
  return xa_main_print_plan (&opts, options.policy, plan, run);
}

/* Which benchmarks to run. */
typedef struct {
  gboolean planner;
  gboolean store;
  gboolean storm;
  gboolean scale;
  gboolean daemon;
  gboolean report;
  /* with SCENARIO files */
  gchar *policies;
  gint seeds;
} XaCmdBenchWhich;

static void
xa_cmd_bench_which_clear (XaCmdBenchWhich *which)
{
  g_free (which->policies);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (XaCmdBenchWhich, xa_cmd_bench_which_clear)

/* Without a benchmark named, the first three; --scale and --daemon take
 * minutes, and run only when asked. */
static gboolean
xa_cmd_bench_run (const XaBench *bench, const XaCmdBenchWhich *which, GError **error)
{
  gboolean all = !which->planner && !which->store && !which->storm && !which->scale &&
                 !which->daemon && !which->report;

  return ((!all && !which->planner) || (xa_bench_planner (bench, error) &&
                                         xa_bench_tight (bench, error))) &&
         ((!all && !which->store) || xa_bench_store (bench, error)) &&
         ((!all && !which->storm) || xa_bench_storm (bench, error)) &&
         (!which->scale || xa_bench_scale (bench, error)) &&
         (!which->daemon || xa_bench_daemon (bench, error)) &&
         (!which->report || xa_bench_report (bench, error));
}

/* bench's options and help; GLib copies the entries, which point into
 * @which and @seed. */
static GOptionContext *
xa_cmd_bench_context (XaOptions *opts, XaCmdBenchWhich *which, gint *seed)
{
  const GOptionEntry entries[] = {
    { "planner", 0, 0, G_OPTION_ARG_NONE, &which->planner,
      "Time the planner: 100, 1000 and 10000 VMs on 2, 8, 16 and 64 nodes, batch and "
      "xenopsd side by side; then 200 small tight batches (16 VMs on 8 nodes), batch against "
      "exact: VMs split and deferred, time per batch", NULL },
    { "store", 0, 0, G_OPTION_ARG_NONE, &which->store,
      "Time the ledger: submitting 10000 requests and admitting a batch of 1000, in a "
      "temporary database", NULL },
    { "storm", 0, 0, G_OPTION_ARG_NONE, &which->storm,
      "Boot 1000 VMs on an 8-node simulated host, batch (strict and not) and xenopsd side by "
      "side: locality, makespan against its lower bound, CPU per VM", NULL },
    { "scale", 0, 0, G_OPTION_ARG_NONE, &which->scale,
      "Boot 1000 to 20000 VMs on a 16-node simulated host, batch and xenopsd side by side: "
      "CPU per VM, wall, peak RSS, ledger statements per VM, batches, makespan", NULL },
    { "daemon", 0, 0, G_OPTION_ARG_NONE, &which->daemon,
      "10000 requests queued by 8 xadmit submit at once against xadmit daemon on a 16-node "
      "simulated host: its CPU per request, time to admission (p50, p99), RSS", NULL },
    { "report", 0, 0, G_OPTION_ARG_NONE, &which->report,
      "xadmit report --since 1d in each format on a ledger of 100000 VMs over 5 days, built "
      "through the store (or reused, if under an hour old) as ./xadmit-bench-report.db", NULL },
    { "seed", 0, 0, G_OPTION_ARG_INT, seed, "Seed of the VM mix (default 1)", "N" },
    { "policies", 0, 0, G_OPTION_ARG_STRING, &which->policies,
      "With SCENARIO: the policies, comma-separated (default batch, strict and not, "
      "xenopsd, xenopsd-nodeclaim where the host has node claims, xenopsd-legacy)", "LIST" },
    { "seeds", 0, 0, G_OPTION_ARG_INT, &which->seeds,
      "With SCENARIO: seeds 1 to N instead of each scenario's", "N" },
    G_OPTION_ENTRY_NULL
  };

  return xa_cli_option_context_new (
    "[--planner] [--store] [--storm] [--scale] [--daemon] [--report] | SCENARIO... - measure, not test",
    "Benchmarks print tables of xadmit against the xenopsd reference policy,\n"
    "measured in the same run on the same input; without --planner, --store,\n"
    "--storm, --scale or --daemon, the first three. They are not tests: nothing\n"
    "fails on a slow machine.\n"
    "With SCENARIO files (docs/formats.md, Scenario), each storm for each seed\n"
    "with batch and the reference policies on a fresh simulated host, a row a\n"
    "run, then batch against each reference; --json: an array of run summaries.\n"
    "With -q, the tables without the lines that explain them; with --json, one\n"
    "document of the tables (docs/formats.md).", opts, FALSE, entries);
}

/* As many seeds as a scenario file may list. */
#define XA_CMD_BENCH_MAX_SEEDS 1000

/* bench SCENARIO...: its own options, and an array of run summaries. */
static int
xa_cmd_bench_scenarios (const XaOptions *opts, const XaCmdBenchWhich *which, int n_paths,
                        char **paths)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(XaCliSignals) signals = NULL;
  g_autoptr(json_t) doc = NULL;
  XaBench bench = { 0 };

  if (which->planner || which->store || which->storm || which->scale || which->daemon ||
      n_paths == 0 || which->seeds < 0 || which->seeds > XA_CMD_BENCH_MAX_SEEDS) {
    g_printerr ("xadmit bench: %s (see xadmit bench --help)\n",
                n_paths == 0 ? "--policies and --seeds go with SCENARIO files"
                : which->seeds != 0 ? "--seeds: expected a count of 1 to 1000"
                : "SCENARIO files go without --planner, --store, --storm, --scale, --daemon");
    return XA_EXIT_USAGE;
  }
  signals = xa_cli_signals_new (NULL, NULL, &error);
  if (signals == NULL)
    return xa_cli_fail ("bench", error);
  bench = (XaBench) { 0, signals, opts->quiet, NULL };
  if (opts->json)
    bench.json = doc = json_array ();
  if (!xa_bench_scenarios (&bench, paths, (guint) n_paths, which->policies, which->seeds,
                           &error))
    return xa_cli_fail ("bench", error);
  if (doc != NULL)
    xa_output_print_json (doc);
  return XA_EXIT_OK;
}

static int
xa_cmd_bench (int argc, char **argv)
{
  g_auto(XaOptions) opts = { 0 };
  g_auto(XaCmdBenchWhich) which = { FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, NULL, 0 };
  gint seed = 1;
  g_autoptr(GOptionContext) ctx = xa_cmd_bench_context (&opts, &which, &seed);
  g_autoptr(GError) error = NULL;
  g_autoptr(XaCliSignals) signals = NULL;
  g_autoptr(json_t) doc = NULL;
  XaBench bench = { 0 };

  if (!xa_cli_parse_options (ctx, &opts, &argc, &argv, &error))
    return xa_cli_fail ("bench", error);
  if (argc > 1 || which.policies != NULL || which.seeds != 0)
    return xa_cmd_bench_scenarios (&opts, &which, argc - 1, argv + 1);
  if (seed < 0) {
    g_printerr ("xadmit bench: --seed: %d is negative\n", seed);
    return XA_EXIT_USAGE;
  }
  signals = xa_cli_signals_new (NULL, NULL, &error);
  if (signals == NULL)
    return xa_cli_fail ("bench", error);
  bench = (XaBench) { (guint32) seed, signals, opts.quiet, NULL };
  if (opts.json)
    bench.json = doc = json_pack ("{s:i}", "seed", seed);
  if (!xa_cmd_bench_run (&bench, &which, &error))
    return xa_cli_fail ("bench", error);
  if (doc != NULL)
    xa_output_print_json (doc);
  return XA_EXIT_OK;
}

static const XaCommand commands[] = {
  { "host", "show the host's NUMA nodes, distances and domains", xa_cmd_host },
  { "plan", "plan a batch of VM starts without starting anything", xa_cmd_plan },
  { "boot", "start every VM of a manifest, planned in batches, and wait", xa_boot_main },
  { "daemon", "admit the VMs queued for a host as they come, until stopped", xa_daemon_main },
  { "submit", "queue VM starts in the ledger for the daemon", xa_submit_main },
  { "status", "show the daemon, the queue and each node's memory", xa_status_main },
  { "cancel", "cancel VM starts that are queued or being built", xa_cancel_main },
  { "explain", "say why a VM went where it went, or why it still waits", xa_explain_main },
  { "report", "report on past batches and VMs: table, CSV, JSON or HTML", xa_report_main },
  { "config", "print the settings, from the configuration file and options", xa_config_main },
  { "bench", "measure the planner against xenopsd's policy, and the ledger", xa_cmd_bench },
};

/* Runs @command with its arguments, named "xadmit COMMAND" in messages. */
static int
xa_main_run (const XaCommand *command, int argc, char **argv)
{
  g_autofree gchar *prgname = g_strdup_printf ("xadmit %s", command->name);

  g_set_prgname (prgname);
  return command->run (argc, argv);
}

static void
xa_print_usage (FILE *out)
{
  fprintf (out,
           "Usage: xadmit COMMAND [OPTION...]\n\n"
           "NUMA-aware batch admission of parallel VM starts on a Xen host.\n\n"
           "Commands:\n");
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-8s %s\n", commands[i].name, commands[i].summary);
  fprintf (out,
           "\n'xadmit help COMMAND' or 'xadmit COMMAND --help' explains a command and its\n"
           "options.\n"
           "  --version  print the version\n");
}

/* `xadmit help COMMAND` is `xadmit COMMAND --help`. */
static int
xa_main_help (const gchar *name)
{
  char *argv[] = { (char *) name, (char *) "--help", NULL };

  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++) {
    if (g_str_equal (name, commands[i].name))
      return xa_main_run (&commands[i], 2, argv);
  }
  g_printerr ("xadmit help: \"%s\" is not a command (see xadmit --help)\n", name);
  return XA_EXIT_USAGE;
}

int
main (int argc, char **argv)
{
  g_autofree gchar *shown = NULL;

  setlocale (LC_ALL, "");
  if (argc < 2) {
    xa_print_usage (stderr);
    return XA_EXIT_USAGE;
  }
  if (g_str_equal (argv[1], "help") && argc > 2)
    return xa_main_help (argv[2]);
  if (g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h") ||
      g_str_equal (argv[1], "help")) {
    xa_print_usage (stdout);
    return XA_EXIT_OK;
  }
  if (g_str_equal (argv[1], "--version")) {
    g_print ("xadmit %s\n", XA_VERSION);
    return XA_EXIT_OK;
  }
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++) {
    if (g_str_equal (argv[1], commands[i].name))
      return xa_main_run (&commands[i], argc - 1, argv + 1);
  }
  shown = xa_text_quote (argv[1]);
  g_printerr ("xadmit: %s is not a command (see xadmit --help)\n", shown);
  return XA_EXIT_USAGE;
}
