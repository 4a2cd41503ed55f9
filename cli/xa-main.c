/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <locale.h>
#include <stdlib.h>

#include "xa-bench.h"
#include "xa-error.h"
#include "xa-host.h"
#include "xa-host-file.h"
#include "xa-json.h"
#include "xa-manifest.h"
#include "xa-output.h"

/* Exit codes of FORMATS.md */
#define XA_EXIT_OK 0
#define XA_EXIT_FAILED 1
#define XA_EXIT_USAGE 2
#define XA_EXIT_INCOMPLETE 3

typedef struct {
  gchar *host_spec;
  gchar *sim_state;
  gboolean json;
  gboolean verbose;
  gboolean quiet;
} XaOptions;

static void
xa_options_clear (XaOptions *opts)
{
  g_free (opts->host_spec);
  g_free (opts->sim_state);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (XaOptions, xa_options_clear)

typedef struct {
  const gchar *name;
  const gchar *summary;
  int (*run) (int argc, char **argv);
} XaCommand;

static int
xa_exit_code (const GError *error)
{
  if (g_error_matches (error, XA_ERROR, XA_ERROR_INVALID_INPUT) ||
      error->domain == G_OPTION_ERROR)
    return XA_EXIT_USAGE;
  return XA_EXIT_FAILED;
}

static int
xa_fail (const gchar *command, const GError *error)
{
  g_printerr ("xadmit %s: %s\n", command, error->message);
  return xa_exit_code (error);
}

static GOptionContext *
xa_option_context_new (const gchar *params, const gchar *summary, XaOptions *opts,
                       const GOptionEntry *extra)
{
  const GOptionEntry common[] = {
    { "host", 0, 0, G_OPTION_ARG_STRING, &opts->host_spec,
      "The host: sim (the embedded simulated host), sim:FILE (a host topology file) "
      "or xen (this machine's hypervisor); default xen where /dev/xen/privcmd exists, "
      "else sim", "SPEC" },
    { "sim-state", 0, 0, G_OPTION_ARG_FILENAME, &opts->sim_state,
      "Keep the simulated host's domains and memory in FILE between runs", "FILE" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &opts->json,
      "Print JSON on stdout (the formats in README.md), messages on stderr", NULL },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &opts->verbose, "Say more on stderr", NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &opts->quiet,
      "Print only errors and the JSON document, if asked for", NULL },
    G_OPTION_ENTRY_NULL
  };
  GOptionContext *ctx = g_option_context_new (params);

  g_option_context_set_summary (ctx, summary);
  g_option_context_add_main_entries (ctx, common, NULL);
  if (extra != NULL)
    g_option_context_add_main_entries (ctx, extra, NULL);
  g_option_context_set_description (ctx,
    "Exit codes: 0 done; 1 could not do it (host, database, I/O); 2 usage error or bad\n"
    "input, nothing changed; 3 done, but not every VM planned or running; 130 interrupted.\n");
  return ctx;
}

static gboolean
xa_parse_options (GOptionContext *ctx, XaOptions *opts, int *argc, char ***argv,
                  GError **error)
{
  if (!g_option_context_parse (ctx, argc, argv, error))
    return FALSE;
  if (opts->verbose && opts->quiet) {
    g_set_error_literal (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                         "--verbose and --quiet contradict each other");
    return FALSE;
  }
  if (opts->verbose)
    g_log_set_debug_enabled (TRUE);
  return TRUE;
}

/* Without --host, which host was chosen is one line on stderr. */
static void
xa_announce_host (const XaOptions *opts, const gchar *kind, const XaHostInfo *info)
{
  if (opts->host_spec != NULL || opts->quiet)
    return;
  if (g_strcmp0 (kind, "xen") == 0)
    g_printerr ("xadmit: using this machine's Xen hypervisor (/dev/xen/privcmd; "
                "--host sim to simulate)\n");
  else
    g_printerr ("xadmit: using the simulated host \"%s\" (no /dev/xen/privcmd here; "
                "--host to choose)\n", info->name);
}

static XaHostInfo *
xa_snapshot_host (const XaOptions *opts, const gchar **kind, GError **error)
{
  const gchar *spec = opts->host_spec != NULL ? opts->host_spec : xa_host_auto_spec ();
  g_autoptr(XaHost) host = xa_host_open (spec, opts->sim_state, error);
  XaHostInfo *info;

  if (host == NULL)
    return NULL;
  info = xa_host_snapshot (host, error);
  if (info == NULL)
    return NULL;
  *kind = xa_host_get_kind (host);
  xa_announce_host (opts, *kind, info);
  return info;
}

static int
xa_cmd_host (int argc, char **argv)
{
  g_auto(XaOptions) opts = { 0 };
  g_autoptr(GOptionContext) ctx = xa_option_context_new (
    "- show the host's NUMA nodes, distances and domains",
    "Per node: memory, free and dirty MiB, CPUs and cores; the distance matrix;\n"
    "the domains already running with their memory per node. With --json, the\n"
    "host topology format, which --host sim:FILE reads back.", &opts, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(XaHostInfo) info = NULL;
  const gchar *kind = NULL;

  if (!xa_parse_options (ctx, &opts, &argc, &argv, &error))
    return xa_fail ("host", error);
  if (argc > 1) {
    g_printerr ("xadmit host: unexpected argument \"%s\" (see xadmit host --help)\n", argv[1]);
    return XA_EXIT_USAGE;
  }
  info = xa_snapshot_host (&opts, &kind, &error);
  if (info == NULL)
    return xa_fail ("host", error);
  if (opts.json) {
    g_autoptr(json_t) root = xa_host_file_to_json (info, NULL);

    xa_output_print_json (root);
  } else if (!opts.quiet) {
    xa_output_print_host (info, kind);
  }
  return XA_EXIT_OK;
}

static XaPlan *
xa_plan_timed (const XaTopology *topo, GPtrArray *requests, const XaPlanOptions *options,
               gdouble *plan_ms, GError **error)
{
  gint64 start = g_get_monotonic_time ();
  XaPlan *plan = xa_plan (topo, requests, options, error);

  *plan_ms = (gdouble) (g_get_monotonic_time () - start) / 1000.0;
  return plan;
}

static gboolean
xa_plan_is_complete (const XaPlan *plan)
{
  for (guint i = 0; i < plan->n_placements; i++) {
    if (plan->placements[i].outcome != XA_OUTCOME_PLANNED)
      return FALSE;
  }
  return TRUE;
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
  g_autoptr(GOptionContext) ctx = xa_option_context_new (
    "MANIFEST - plan a batch of VM starts without starting anything",
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
    &opts, entries);
  g_autoptr(GError) error = NULL;
  XaPlanOptions options = { .policy = XA_POLICY_BATCH };
  g_autoptr(XaHostInfo) info = NULL;
  g_autoptr(XaTopology) topo = NULL;
  g_autoptr(GPtrArray) requests = NULL;
  g_autoptr(XaPlan) plan = NULL;
  XaPlanRun run = { 0 };
  const gchar *kind = NULL;

  if (!xa_parse_options (ctx, &opts, &argc, &argv, &error))
    return xa_fail ("plan", error);
  if (argc != 2) {
    g_printerr ("xadmit plan: expected one MANIFEST (see xadmit plan --help)\n");
    return XA_EXIT_USAGE;
  }
  if (policy_name != NULL && !xa_policy_from_string (policy_name, &options.policy, &error)) {
    g_prefix_error_literal (&error, "--policy: ");
    return xa_fail ("plan", error);
  }
  info = xa_snapshot_host (&opts, &kind, &error);
  if (info == NULL)
    return xa_fail ("plan", error);
  topo = xa_host_info_to_topology (info);
  requests = xa_manifest_load (argv[1], topo, &error);
  if (requests == NULL)
    return xa_fail ("plan", error);
  g_debug ("planning %u VMs on %u nodes", requests->len, topo->n_nodes);
  plan = xa_plan_timed (topo, requests, &options, &run.plan_ms, &error);
  if (plan == NULL)
    return xa_fail ("plan", error);
  if (plan->exhausted && !opts.quiet)
    g_printerr ("xadmit plan: the exact search ran out of steps; this is the best plan it "
                "found, not a proven optimum\n");
  run.policy = xa_policy_to_string (options.policy);
  run.topo = topo;
  run.host = info;
  run.requests = requests;
  run.plan = plan;
  if (opts.json) {
    g_autoptr(json_t) root = xa_output_plan_to_json (&run);

    xa_output_print_json (root);
  } else if (!opts.quiet) {
    xa_output_print_plan (&run);
  }
  return xa_plan_is_complete (plan) ? XA_EXIT_OK : XA_EXIT_INCOMPLETE;
}

static int
xa_cmd_bench (int argc, char **argv)
{
  gboolean planner = FALSE;
  gboolean store = FALSE;
  gint seed = 1;
  const GOptionEntry entries[] = {
    { "planner", 0, 0, G_OPTION_ARG_NONE, &planner,
      "Time the planner: 100, 1000 and 10000 VMs on 2, 8, 16 and 64 nodes, batch and "
      "xenopsd side by side", NULL },
    { "store", 0, 0, G_OPTION_ARG_NONE, &store,
      "Time the ledger: submitting 10000 requests and admitting a batch of 1000, in a "
      "temporary database", NULL },
    { "seed", 0, 0, G_OPTION_ARG_INT, &seed, "Seed of the VM mix (default 1)", "N" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("--planner | --store - measure, not test");
  g_autoptr(GError) error = NULL;

  g_option_context_set_summary (ctx,
    "Benchmarks print tables of xadmit against the xenopsd reference policy,\n"
    "measured in the same run on the same input. They are not tests: nothing\n"
    "fails on a slow machine.");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    return xa_fail ("bench", error);
  if (argc > 1) {
    g_printerr ("xadmit bench: unexpected argument \"%s\" (see xadmit bench --help)\n", argv[1]);
    return XA_EXIT_USAGE;
  }
  if (!planner && !store) {
    g_printerr ("xadmit bench: nothing to measure: give --planner or --store "
                "(see xadmit bench --help)\n");
    return XA_EXIT_USAGE;
  }
  if (seed < 0) {
    g_printerr ("xadmit bench: --seed: %d is negative\n", seed);
    return XA_EXIT_USAGE;
  }
  if (planner)
    xa_bench_planner ((guint32) seed);
  if (store && !xa_bench_store ((guint32) seed, &error))
    return xa_fail ("bench", error);
  return XA_EXIT_OK;
}

static const XaCommand commands[] = {
  { "host", "show the host's NUMA nodes, distances and domains", xa_cmd_host },
  { "plan", "plan a batch of VM starts without starting anything", xa_cmd_plan },
  { "bench", "measure the planner against xenopsd's policy, and the ledger", xa_cmd_bench },
};

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
           "\n'xadmit COMMAND --help' explains a command and its options.\n"
           "  --version  print the version\n");
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  if (argc < 2) {
    xa_print_usage (stderr);
    return XA_EXIT_USAGE;
  }
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
    if (g_str_equal (argv[1], commands[i].name)) {
      g_autofree gchar *prgname = g_strdup_printf ("xadmit %s", commands[i].name);

      g_set_prgname (prgname);
      return commands[i].run (argc - 1, argv + 1);
    }
  }
  g_printerr ("xadmit: \"%s\" is not a command (see xadmit --help)\n", argv[1]);
  return XA_EXIT_USAGE;
}
