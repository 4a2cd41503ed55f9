/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <signal.h>

#include "xa-test-cli.h"
#include "xa-test-util.h"

static void
test_cli_prints_version_and_help (void)
{
  g_auto(XaTestRun) version = { 0 };
  g_auto(XaTestRun) help = { 0 };
  g_auto(XaTestRun) plan_help = { 0 };
  g_auto(XaTestRun) host_help = { 0 };

  xa_test_run_xadmit (&version, "--version", NULL);
  g_assert_cmpint (version.status, ==, 0);
  g_assert_true (g_str_has_prefix (version.out, "xadmit "));
  xa_test_run_xadmit (&help, "--help", NULL);
  g_assert_cmpint (help.status, ==, 0);
  g_assert_nonnull (strstr (help.out, "plan"));
  g_assert_nonnull (strstr (help.out, "host"));
  xa_test_run_xadmit (&plan_help, "plan", "--help", NULL);
  g_assert_cmpint (plan_help.status, ==, 0);
  g_assert_nonnull (strstr (plan_help.out, "MANIFEST"));
  g_assert_nonnull (strstr (plan_help.out, "Exit codes"));
  xa_test_run_xadmit (&host_help, "host", "--help", NULL);
  g_assert_cmpint (host_help.status, ==, 0);
  g_assert_nonnull (strstr (host_help.out, "--sim-state"));
}

/* `xadmit help COMMAND` says what `xadmit COMMAND --help` does, for each. */
static void
test_cli_help_command_is_command_help (void)
{
  const gchar *commands[] = { "host", "plan", "boot", "daemon", "bench" };
  g_auto(XaTestRun) boot = { 0 };

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++) {
    g_auto(XaTestRun) help = { 0 };
    g_auto(XaTestRun) option = { 0 };

    xa_test_run_xadmit (&help, "help", commands[i], NULL);
    xa_test_run_xadmit (&option, commands[i], "--help", NULL);
    g_assert_cmpint (help.status, ==, 0);
    g_assert_cmpstr (help.out, ==, option.out);
    g_assert_nonnull (strstr (help.out, "--json"));
    g_assert_nonnull (strstr (help.out, "--quiet"));
    g_assert_nonnull (strstr (help.out, "--verbose"));
  }
  xa_test_xadmit_fails (2, "xadmit help: \"frobnicate\" is not a command", "help", "frobnicate",
                        NULL);
  /* --workers 0 is allowed, so it is explained */
  xa_test_run_xadmit (&boot, "help", "boot", NULL);
  g_assert_nonnull (strstr (boot.out, "(default, and 0: as many as the host's populate"));
}

static void
test_cli_usage_errors (void)
{
  g_auto(XaTestRun) none = { 0 };

  xa_test_run_xadmit (&none, NULL);
  g_assert_cmpint (none.status, ==, 2);
  xa_test_xadmit_fails (2, "\"boot-everything\" is not a command", "boot-everything", NULL);
  xa_test_xadmit_fails (2, "Unknown option --frobnicate", "plan", "--frobnicate", NULL);
  xa_test_xadmit_fails (2, "expected one MANIFEST", "plan", "--host", "sim", NULL);
  xa_test_xadmit_fails (2, "--host: \"kvm\" is not a host (use sim, sim:FILE or xen)", "host",
                        "--host", "kvm", NULL);
}

static void
test_cli_host_prints_the_default_host (void)
{
  g_auto(XaTestRun) run = { 0 };

  xa_test_run_xadmit (&run, "host", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "host \"sim-2s\" (simulated): 2 nodes, 64 CPUs, 32 cores"));
  g_assert_nonnull (strstr (run.out, "dom0"));
  /* no --host: which host was chosen is one line on stderr */
  g_assert_nonnull (strstr (run.err, "using the simulated host \"sim-2s\""));
}

/* host --json prints the host format, which --host sim:FILE reads back. */
static void
test_cli_host_json_round_trips (void)
{
  g_autofree gchar *spec = xa_test_host_spec ("4node.json");
  g_auto(XaTestRun) first = { 0 };
  g_auto(XaTestRun) second = { 0 };
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *path = NULL;
  g_autofree gchar *spec2 = NULL;

  xa_test_run_xadmit (&first, "host", "--host", spec, "--json", NULL);
  g_assert_cmpint (first.status, ==, 0);
  g_assert_cmpstr (first.err, ==, "");
  path = xa_test_dir_write (dir, "host.json", first.out);
  spec2 = xa_test_host_spec_at (path);
  xa_test_run_xadmit (&second, "host", "--host", spec2, "--json", NULL);
  g_assert_cmpint (second.status, ==, 0);
  g_assert_cmpstr (first.out, ==, second.out);
}

/* A host file of @n_nodes nodes at distance 20 from each other, dom0 on
 * the last. */
static gchar *
write_wide_host (const XaTestDir *dir, guint n_nodes)
{
  g_autoptr(GString) text = g_string_new ("{\"name\": \"wide\", \"nodes\": [");

  for (guint n = 0; n < n_nodes; n++)
    g_string_append_printf (text, "%s{\"memory\": \"64GiB\", \"cpus\": 8, \"cores\": 4}",
                            n > 0 ? ", " : "");
  g_string_append (text, "], \"distances\": [");
  for (guint i = 0; i < n_nodes; i++) {
    g_string_append (text, i > 0 ? ", [" : "[");
    for (guint j = 0; j < n_nodes; j++)
      g_string_append_printf (text, "%s%u", j > 0 ? ", " : "", i == j ? 10 : 20);
    g_string_append (text, "]");
  }
  g_string_append (text, "], \"domains\": [{\"name\": \"dom0\", \"vcpus\": 4, "
                         "\"memory_by_node\": [");
  for (guint n = 0; n < n_nodes; n++)
    g_string_append_printf (text, "%s\"%s\"", n > 0 ? ", " : "", n + 1 == n_nodes ? "4GiB" : "0");
  g_string_append (text, "]}]}");
  return xa_test_dir_write (dir, "wide.json", text->str);
}

/* The host table of a 64-node host fits 80 columns, its columns aligned. */
static void
test_cli_host_table_stays_readable_at_64_nodes (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *path = write_wide_host (dir, 64);
  g_autofree gchar *spec = xa_test_host_spec_at (path);
  g_auto(XaTestRun) run = { 0 };
  g_auto(GStrv) lines = NULL;

  xa_test_run_xadmit (&run, "host", "--host", spec, NULL);
  g_assert_cmpint (run.status, ==, 0);
  lines = g_strsplit (run.out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    g_assert_cmpuint (strlen (lines[i]), <=, 80);
  g_assert_nonnull (strstr (run.out, "\nnode distances to nodes 48-63:\nnode   48  49"));
  g_assert_nonnull (strstr (run.out, "\n63     20  20"));
  g_assert_nonnull (strstr (run.out, "\ndomain vcpus        MiB  node:MiB\n"
                                     "dom0       4       4096  63:4096\n"));
}

/* Without /dev/xen/privcmd, --host xen fails in one sentence saying why:
 * no dom0 here, or (built without libxen-dev) no Xen backend at all. */
static void
test_cli_xen_without_hypervisor_fails_cleanly (void)
{
  const gchar *why = XA_TEST_XEN_BACKEND
                       ? "xadmit host: /dev/xen/privcmd does not exist, so this machine is not "
                         "a Xen dom0 (use --host sim)"
                       : "xadmit host: --host xen: this xadmit was built without the Xen backend "
                         "(install libxen-dev and configure with -Dxen=enabled)";

  if (g_file_test ("/dev/xen/privcmd", G_FILE_TEST_EXISTS)) {
    g_test_skip ("this machine runs Xen");
    return;
  }
  xa_test_xadmit_fails (1, why, "host", "--host", "xen", NULL);
}

/* A host file that does not exist is bad input: exit 2. */
static void
test_cli_missing_host_file_is_bad_input (void)
{
  xa_test_xadmit_fails (2, "xadmit host: /nonexistent/host.json: cannot read: ", "host", "--host",
                        "sim:/nonexistent/host.json", NULL);
}

/* Boots a one-VM manifest on @spec with its state in @state: boot is the
 * command that creates a state file. */
static void
boot_to_create (const XaTestDir *dir, const gchar *spec, const gchar *state)
{
  g_autofree gchar *manifest = xa_test_dir_write (dir, "one.json",
    "{\"vms\": [{\"name\": \"one\", \"memory\": 512, \"vcpus\": 1}]}");
  g_autofree gchar *db = xa_test_ledger_path (dir);
  g_auto(XaTestRun) run = { 0 };

  xa_test_run_xadmit (&run, "boot", manifest, "--host", spec, "--sim-state", state, "--db", db,
                      NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_true (g_file_test (state, G_FILE_TEST_IS_REGULAR));
}

/* The state file is created by boot from the topology, then wins over it. */
static void
test_cli_sim_state_is_kept (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *state = g_build_filename (dir, "sim.json", NULL);
  g_autofree gchar *spec4 = xa_test_host_spec ("4node.json");
  g_auto(XaTestRun) create = { 0 };
  g_auto(XaTestRun) reuse = { 0 };

  boot_to_create (dir, spec4, state);
  xa_test_run_xadmit (&create, "host", "--host", spec4, "--sim-state", state, "--json", NULL);
  g_assert_cmpint (create.status, ==, 0);
  xa_test_run_xadmit (&reuse, "host", "--host", "sim", "--sim-state", state, "--json", NULL);
  g_assert_cmpint (reuse.status, ==, 0);
  g_assert_cmpstr (create.out, ==, reuse.out);
}

/* host and plan read a state file, they never make one: a name that does
 * not exist is a typo until boot creates it. */
static void
test_cli_sim_state_must_exist (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *state = g_build_filename (dir, "typo.json", NULL);
  g_autofree gchar *manifest = xa_test_data_path ("manifests", "demo.json");
  g_autofree gchar *lock = g_strconcat (state, ".lock", NULL);

  xa_test_xadmit_fails (2, "typo.json does not exist; xadmit boot creates it", "host",
                        "--sim-state", state, NULL);
  xa_test_xadmit_fails (2, "typo.json does not exist; xadmit boot creates it", "plan", manifest,
                        "--host", "sim", "--sim-state", state, NULL);
  g_assert_false (g_file_test (state, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (lock, G_FILE_TEST_EXISTS));
}

/* A path option names a file: empty and directory paths are bad input. */
static void
test_cli_path_options_name_files (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *manifest = xa_test_data_path ("manifests", "demo.json");
  g_autofree gchar *host_dir = xa_test_host_spec_at (dir);

  xa_test_xadmit_fails (2, "xadmit host: --sim-state: the path is empty", "host", "--sim-state",
                        "", NULL);
  xa_test_xadmit_fails (2, "cannot read: it is a directory, not a regular file", "host",
                        "--sim-state", dir, NULL);
  xa_test_xadmit_fails (2, "xadmit plan: --sim-state: the path is empty", "plan", manifest,
                        "--sim-state", "", NULL);
  xa_test_xadmit_fails (2, "xadmit host: --host: ", "host", "--host", host_dir, NULL);
  xa_test_xadmit_fails (2, "cannot read: it is a directory, not a regular file", "plan", manifest,
                        "--host", host_dir, NULL);
}

/* A host file of two nodes, @node1 the second one, @settings after them. */
static gchar *
two_nodes (const gchar *node1, const gchar *settings)
{
  return g_strdup_printf ("{\"nodes\": [{\"memory\": \"8GiB\", \"cpus\": 4, \"cores\": 2}, %s]%s}",
                          node1, settings);
}

/* A state file belongs to the host it was made from: every node's memory,
 * CPUs and cores, the distances and the settings must match the topology
 * it is loaded for, else bad input naming the first difference. */
static void
test_cli_sim_state_must_match_its_topology (void)
{
  const gchar *node1 = "{\"memory\": \"8GiB\", \"cpus\": 4, \"cores\": 2}";
  const struct {
    const gchar *node1;
    const gchar *settings;
    const gchar *message;
  } cases[] = {
    { "{\"memory\": \"4GiB\", \"cpus\": 4, \"cores\": 2}", "",
      "node 1: memory: 8192 MiB in the state file, 4096 MiB in the topology" },
    { "{\"memory\": \"8GiB\", \"cpus\": 2, \"cores\": 2}", "",
      "node 1: cpus: 4 in the state file, 2 in the topology" },
    { "{\"memory\": \"8GiB\", \"cpus\": 4, \"cores\": 4}", "",
      "node 1: cores: 2 in the state file, 4 in the topology" },
    { node1, ", \"distances\": [[10, 30], [30, 10]]",
      "distances[0][1]: 20 in the state file, 30 in the topology" },
    { node1, ", \"populate_mib_per_s\": 1024",
      "populate_mib_per_s: 2048 in the state file, 1024 in the topology" },
    { node1, ", \"overhead_kib_per_vcpu\": 0",
      "overhead_kib_per_vcpu: 1176 in the state file, 0 in the topology" },
    { node1, ", \"node_claims\": true",
      "node_claims: false in the state file, true in the topology" },
  };
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *state = g_build_filename (dir, "sim.json", NULL);
  g_autofree gchar *text = two_nodes (node1, "");
  g_autofree gchar *path = xa_test_dir_write (dir, "host.json", text);
  g_autofree gchar *spec = xa_test_host_spec_at (path);
  g_autofree gchar *spec4 = xa_test_host_spec ("4node.json");
  g_autofree gchar *renamed = two_nodes (node1, ", \"name\": \"renamed\"");
  g_autofree gchar *saved = NULL;
  g_autofree gchar *after = NULL;
  g_auto(XaTestRun) same = { 0 };

  boot_to_create (dir, spec, state);
  g_assert_true (g_file_get_contents (state, &saved, NULL, NULL));
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree gchar *other = two_nodes (cases[i].node1, cases[i].settings);

    g_free (xa_test_dir_write (dir, "host.json", other));
    xa_test_xadmit_fails (2, cases[i].message, "host", "--host", spec, "--sim-state", state, NULL);
  }
  xa_test_xadmit_fails (2, "nodes: 2 in the state file, 4 in the topology", "host", "--host",
                        spec4, "--sim-state", state, NULL);
  /* the name is a label, not the host */
  g_free (xa_test_dir_write (dir, "host.json", renamed));
  xa_test_run_xadmit (&same, "host", "--host", spec, "--sim-state", state, NULL);
  g_assert_cmpint (same.status, ==, 0);
  g_assert_true (g_file_get_contents (state, &after, NULL, NULL));
  g_assert_cmpstr (after, ==, saved);
}

static void
test_cli_bench_usage_errors (void)
{
  xa_test_xadmit_fails (2, "--verbose and --quiet contradict each other", "bench", "-q", "-v",
                        NULL);
  xa_test_xadmit_fails (2, "xadmit bench: --seed: -1 is negative", "bench", "--planner", "--seed",
                        "-1", NULL);
  xa_test_xadmit_fails (2, "SCENARIO files go without --planner", "bench", "--planner",
                        "storm.json", NULL);
}

/* Every long command stops on SIGINT, SIGTERM and SIGHUP alike: exit 130. */
static void
test_cli_bench_stops_on_every_signal (void)
{
  const gint signals[] = { SIGINT, SIGTERM, SIGHUP };

  for (guint i = 0; i < G_N_ELEMENTS (signals); i++) {
    g_autoptr(XaTestDir) dir = xa_test_dir_new ();
    const gint one[] = { signals[i], 0 };
    g_auto(XaTestRun) run = { 0 };

    xa_test_run_xadmit_signalled (&run, dir, FALSE, "   VMs", one, NULL, "bench", "--planner",
                                  NULL);
    g_assert_cmpint (run.status, ==, 130);
    g_assert_cmpstr (run.err, ==, "xadmit bench: interrupted\n");
  }
}

/* bench takes -q and --json as every command does: --json is one document
 * of its tables, -q leaves out what explains them. */
static void
test_cli_bench_prints_json_and_quiet (void)
{
  g_auto(XaTestRun) json = { 0 };
  g_auto(XaTestRun) quiet = { 0 };
  g_autoptr(json_t) root = NULL;
  json_t *store;

  xa_test_run_xadmit (&json, "bench", "--store", "--json", "--seed", "3", NULL);
  g_assert_cmpint (json.status, ==, 0);
  g_assert_cmpstr (json.err, ==, "");
  root = xa_test_json_parse (json.out);
  g_assert_cmpint (xa_test_json_int (root, "seed"), ==, 3);
  store = json_object_get (root, "store");
  g_assert_cmpint (xa_test_json_int (store, "submit_requests"), ==, 10000);
  g_assert_cmpfloat (xa_test_json_real (store, "admit_ms"), >, 0);
  g_assert_null (json_object_get (root, "planner"));
  xa_test_run_xadmit (&quiet, "bench", "--store", "-q", NULL);
  g_assert_cmpint (quiet.status, ==, 0);
  g_assert_true (g_str_has_prefix (quiet.out, "  submit 10000 requests"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cli/prints-version-and-help", test_cli_prints_version_and_help);
  g_test_add_func ("/cli/usage-errors", test_cli_usage_errors);
  g_test_add_func ("/cli/help-command-is-command-help", test_cli_help_command_is_command_help);
  g_test_add_func ("/cli/host/prints-the-default-host", test_cli_host_prints_the_default_host);
  g_test_add_func ("/cli/host/json-round-trips", test_cli_host_json_round_trips);
  g_test_add_func ("/cli/host/table-stays-readable-at-64-nodes",
                   test_cli_host_table_stays_readable_at_64_nodes);
  g_test_add_func ("/cli/host/xen-without-hypervisor-fails-cleanly",
                   test_cli_xen_without_hypervisor_fails_cleanly);
  g_test_add_func ("/cli/host/missing-host-file-is-bad-input",
                   test_cli_missing_host_file_is_bad_input);
  g_test_add_func ("/cli/host/sim-state-is-kept", test_cli_sim_state_is_kept);
  g_test_add_func ("/cli/host/sim-state-must-exist", test_cli_sim_state_must_exist);
  g_test_add_func ("/cli/host/path-options-name-files", test_cli_path_options_name_files);
  g_test_add_func ("/cli/host/sim-state-must-match-its-topology",
                   test_cli_sim_state_must_match_its_topology);
  g_test_add_func ("/cli/bench/usage-errors", test_cli_bench_usage_errors);
  g_test_add_func ("/cli/bench/stops-on-every-signal", test_cli_bench_stops_on_every_signal);
  g_test_add_func ("/cli/bench/prints-json-and-quiet", test_cli_bench_prints_json_and_quiet);
  return g_test_run ();
}
