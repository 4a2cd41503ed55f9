/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <jansson.h>

#include "xa-store.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (json_t, json_decref)

typedef struct {
  gint status;
  gchar *out;
  gchar *err;
} Run;

static void
run_clear (Run *run)
{
  g_free (run->out);
  g_free (run->err);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

/* Runs the built xadmit with @args (NULL-terminated) and no standard input. */
static void
run_xadmit (Run *run, const gchar *first, ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  const gchar *arg;
  va_list ap;

  g_ptr_array_add (argv, (gpointer) g_getenv ("XADMIT"));
  va_start (ap, first);
  for (arg = first; arg != NULL; arg = va_arg (ap, const gchar *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  proc = g_subprocess_newv ((const gchar *const *) argv->pdata,
                            G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE |
                            G_SUBPROCESS_FLAGS_STDIN_INHERIT, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (proc, NULL, NULL, &run->out, &run->err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (proc));
  run->status = g_subprocess_get_exit_status (proc);
}

static gchar *
data_file (const gchar *dir, const gchar *name)
{
  return g_build_filename (g_getenv ("XA_DATA_DIR"), dir, name, NULL);
}

static gchar *
host_spec (const gchar *name)
{
  g_autofree gchar *path = data_file ("hosts", name);

  return g_strdup_printf ("sim:%s", path);
}

/* An error is one line on stderr, and nothing on stdout. */
static void
assert_one_line_error (const Run *run, gint status, const gchar *message)
{
  g_assert_cmpint (run->status, ==, status);
  g_assert_cmpstr (run->out, ==, "");
  g_assert_nonnull (strstr (run->err, message));
  g_assert_cmpint (strchr (run->err, '\n') - run->err, ==, (gint) strlen (run->err) - 1);
}

static void
test_cli_version_and_help (void)
{
  g_auto(Run) version = { 0 };
  g_auto(Run) help = { 0 };
  g_auto(Run) plan_help = { 0 };
  g_auto(Run) host_help = { 0 };

  run_xadmit (&version, "--version", NULL);
  g_assert_cmpint (version.status, ==, 0);
  g_assert_true (g_str_has_prefix (version.out, "xadmit "));
  run_xadmit (&help, "--help", NULL);
  g_assert_cmpint (help.status, ==, 0);
  g_assert_nonnull (strstr (help.out, "plan"));
  g_assert_nonnull (strstr (help.out, "host"));
  run_xadmit (&plan_help, "plan", "--help", NULL);
  g_assert_cmpint (plan_help.status, ==, 0);
  g_assert_nonnull (strstr (plan_help.out, "MANIFEST"));
  g_assert_nonnull (strstr (plan_help.out, "Exit codes"));
  run_xadmit (&host_help, "host", "--help", NULL);
  g_assert_cmpint (host_help.status, ==, 0);
  g_assert_nonnull (strstr (host_help.out, "--sim-state"));
}

static void
test_cli_usage_errors (void)
{
  g_auto(Run) none = { 0 };
  g_auto(Run) unknown = { 0 };
  g_auto(Run) flag = { 0 };
  g_auto(Run) no_manifest = { 0 };
  g_auto(Run) bad_host = { 0 };

  run_xadmit (&none, NULL);
  g_assert_cmpint (none.status, ==, 2);
  run_xadmit (&unknown, "boot-everything", NULL);
  assert_one_line_error (&unknown, 2, "\"boot-everything\" is not a command");
  run_xadmit (&flag, "plan", "--frobnicate", NULL);
  assert_one_line_error (&flag, 2, "Unknown option --frobnicate");
  run_xadmit (&no_manifest, "plan", "--host", "sim", NULL);
  assert_one_line_error (&no_manifest, 2, "expected one MANIFEST");
  run_xadmit (&bad_host, "host", "--host", "kvm", NULL);
  assert_one_line_error (&bad_host, 2, "--host: \"kvm\" is not a host (use sim, sim:FILE or xen)");
}

static void
test_cli_plan_policy_errors (void)
{
  g_autofree gchar *manifest = data_file ("manifests", "demo.json");
  g_auto(Run) unknown = { 0 };
  g_auto(Run) no_claims = { 0 };

  run_xadmit (&unknown, "plan", manifest, "--host", "sim", "--policy", "best-effort", NULL);
  assert_one_line_error (&unknown, 2, "xadmit plan: --policy: \"best-effort\" is not a policy "
                                      "(use one of batch, xenopsd, xenopsd-nodeclaim, "
                                      "xenopsd-legacy, exact)");
  run_xadmit (&no_claims, "plan", manifest, "--host", "sim", "--policy", "xenopsd-nodeclaim",
              NULL);
  assert_one_line_error (&no_claims, 2, "but this host has none (node_claims: false");
}

static void
test_cli_host_prints_default (void)
{
  g_auto(Run) run = { 0 };

  run_xadmit (&run, "host", NULL);
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
  g_autofree gchar *spec = host_spec ("4node.json");
  g_auto(Run) first = { 0 };
  g_auto(Run) second = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree gchar *dir = g_dir_make_tmp ("xadmit-cli-XXXXXX", &error);
  g_autofree gchar *path = g_build_filename (dir, "host.json", NULL);
  g_autofree gchar *spec2 = g_strdup_printf ("sim:%s", path);

  g_assert_no_error (error);
  run_xadmit (&first, "host", "--host", spec, "--json", NULL);
  g_assert_cmpint (first.status, ==, 0);
  g_assert_cmpstr (first.err, ==, "");
  g_assert_true (g_file_set_contents (path, first.out, -1, &error));
  run_xadmit (&second, "host", "--host", spec2, "--json", NULL);
  g_assert_cmpint (second.status, ==, 0);
  g_assert_cmpstr (first.out, ==, second.out);
  g_unlink (path);
  g_rmdir (dir);
}

static json_t *
parse_json (const gchar *text)
{
  json_error_t jerr;
  json_t *root = json_loads (text, JSON_REJECT_DUPLICATES, &jerr);

  if (root == NULL)
    g_error ("not JSON: %s: %s", jerr.text, text);
  return root;
}

static guint64
host_free_mib (const gchar *spec, guint node)
{
  g_auto(Run) run = { 0 };
  g_autoptr(json_t) host = NULL;

  run_xadmit (&run, "host", "--host", spec, "--json", NULL);
  g_assert_cmpint (run.status, ==, 0);
  host = parse_json (run.out);
  return (guint64) json_integer_value (
    json_object_get (json_array_get (json_object_get (host, "nodes"), node), "free"));
}

static void
check_plan_summary (const gchar *spec, json_t *summary, gint status)
{
  json_t *vms = json_object_get (summary, "vm");
  const gchar *counts[] = { "planned", "running", "failed", "deferred", "rejected", "cancelled" };
  json_int_t sum = 0;
  gsize n_nodes = json_array_size (json_object_get (json_array_get (vms, 0), "memory_by_node_mib"));

  for (gsize i = 0; i < G_N_ELEMENTS (counts); i++)
    sum += json_integer_value (json_object_get (summary, counts[i]));
  g_assert_cmpint (sum, ==, json_integer_value (json_object_get (summary, "vms")));
  g_assert_cmpint ((json_int_t) json_array_size (vms), ==, json_integer_value (json_object_get (summary, "vms")));
  g_assert_cmpint (json_integer_value (json_object_get (summary, "local")) +
                   json_integer_value (json_object_get (summary, "split")), ==,
                   json_integer_value (json_object_get (summary, "planned")));
  g_assert_cmpint (status, ==,
                   json_integer_value (json_object_get (summary, "planned")) == sum ? 0 : 3);
  for (gsize n = 0; n < n_nodes; n++) {
    json_int_t planned = 0;
    json_t *vm;
    gsize i;

    json_array_foreach (vms, i, vm)
      planned += json_integer_value (json_array_get (json_object_get (vm, "memory_by_node_mib"), n));
    g_assert_cmpuint ((guint64) planned, <=, host_free_mib (spec, (guint) n));
  }
}

/* Every manifest in data/ on every host in data/: valid JSON, the counts add
 * up, and no node is given more than it has free. */
static void
test_cli_plan_every_data_file (void)
{
  const gchar *hosts[] = { "default.json", "2node.json", "4node.json", "4node-claims.json",
                           "8node.json" };
  const gchar *manifests[] = { "demo.json", "evacuate.json", "mixed-priorities.json",
                               "dense-4node.json", "dense-8node.json" };

  for (gsize h = 0; h < G_N_ELEMENTS (hosts); h++) {
    for (gsize m = 0; m < G_N_ELEMENTS (manifests); m++) {
      g_autofree gchar *spec = host_spec (hosts[h]);
      g_autofree gchar *manifest = data_file ("manifests", manifests[m]);
      g_auto(Run) run = { 0 };
      g_autoptr(json_t) summary = NULL;

      g_test_message ("%s on %s", manifests[m], hosts[h]);
      run_xadmit (&run, "plan", manifest, "--host", spec, "--json", NULL);
      g_assert_true (run.status == 0 || run.status == 3);
      g_assert_cmpstr (run.err, ==, "");
      summary = parse_json (run.out);
      g_assert_cmpstr (json_string_value (json_object_get (summary, "policy")), ==, "batch");
      check_plan_summary (spec, summary, run.status);
    }
  }
}

static void
test_cli_plan_prints_a_placement (void)
{
  g_autofree gchar *manifest = data_file ("manifests", "demo.json");
  g_auto(Run) run = { 0 };

  run_xadmit (&run, "plan", manifest, "--host", "sim", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "plan for 24 VMs on \"sim-2s\""));
  g_assert_nonnull (strstr (run.out, "24 planned"));
}

static void
test_cli_plan_exit_3_when_not_all_fit (void)
{
  g_autofree gchar *spec = host_spec ("4node.json");
  g_autofree gchar *manifest = data_file ("manifests", "mixed-priorities.json");
  g_auto(Run) run = { 0 };

  run_xadmit (&run, "plan", manifest, "--host", spec, NULL);
  g_assert_cmpint (run.status, ==, 3);
  g_assert_nonnull (strstr (run.out, "huge-never-fits rejected: "));
  g_assert_nonnull (strstr (run.out, "too-many-vcpus rejected: it has 128 vCPUs, but the host has 64 CPUs"));
}

static gchar *
write_temp (const gchar *dir, const gchar *name, const gchar *contents)
{
  g_autoptr(GError) error = NULL;
  gchar *path = g_build_filename (dir, name, NULL);

  g_assert_true (g_file_set_contents (path, contents, -1, &error));
  g_assert_no_error (error);
  return path;
}

static void
test_cli_plan_rejects_broken_files (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *dir = g_dir_make_tmp ("xadmit-cli-XXXXXX", &error);
  g_autofree gchar *bad_manifest = write_temp (dir, "bad.json",
    "{\"vms\": [{\"name\": \"db-01\", \"memory\": \"4 GB\", \"vcpus\": 2}]}");
  g_autofree gchar *bad_host = write_temp (dir, "host.json", "{\"nodes\": [{\"memory\": 0, \"cpus\": 1}]}");
  g_autofree gchar *spec = g_strdup_printf ("sim:%s", bad_host);
  g_autofree gchar *expected = g_strdup_printf (
    "%s: vms[0] \"db-01\": memory: \"4 GB\" is not a size (use 4GiB or 4096)", bad_manifest);
  g_auto(Run) manifest_run = { 0 };
  g_auto(Run) host_run = { 0 };
  g_auto(Run) missing_run = { 0 };

  run_xadmit (&manifest_run, "plan", bad_manifest, "--host", "sim", "--json", NULL);
  assert_one_line_error (&manifest_run, 2, expected);
  run_xadmit (&host_run, "plan", bad_manifest, "--host", spec, "--json", NULL);
  assert_one_line_error (&host_run, 2, "nodes[0]: memory: 0 is not allowed here (at least 1 MiB)");
  run_xadmit (&missing_run, "plan", "/nonexistent/vms.json", "--host", "sim", NULL);
  assert_one_line_error (&missing_run, 2, "/nonexistent/vms.json: cannot read: ");
  g_unlink (bad_manifest);
  g_unlink (bad_host);
  g_rmdir (dir);
}

static void
test_cli_xen_without_hypervisor_fails_cleanly (void)
{
  g_auto(Run) run = { 0 };

  if (g_file_test ("/dev/xen/privcmd", G_FILE_TEST_EXISTS)) {
    g_test_skip ("this machine runs Xen");
    return;
  }
  run_xadmit (&run, "host", "--host", "xen", NULL);
  assert_one_line_error (&run, 1, "xadmit host: ");
}

/* A host file that does not exist is bad input: exit 2. */
static void
test_cli_missing_host_file_is_bad_input (void)
{
  g_auto(Run) run = { 0 };

  run_xadmit (&run, "host", "--host", "sim:/nonexistent/host.json", NULL);
  assert_one_line_error (&run, 2, "xadmit host: /nonexistent/host.json: cannot read: ");
}

/* The state file is created from the topology, then wins over it. */
static void
test_cli_sim_state_is_kept (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *dir = g_dir_make_tmp ("xadmit-cli-XXXXXX", &error);
  g_autofree gchar *state = g_build_filename (dir, "sim.json", NULL);
  g_autofree gchar *spec4 = host_spec ("4node.json");
  g_autofree gchar *spec2 = host_spec ("2node.json");
  g_auto(Run) create = { 0 };
  g_auto(Run) reuse = { 0 };
  g_auto(Run) mismatch = { 0 };

  run_xadmit (&create, "host", "--host", spec4, "--sim-state", state, "--json", NULL);
  g_assert_cmpint (create.status, ==, 0);
  g_assert_true (g_file_test (state, G_FILE_TEST_IS_REGULAR));
  run_xadmit (&reuse, "host", "--host", "sim", "--sim-state", state, "--json", NULL);
  g_assert_cmpint (reuse.status, ==, 0);
  g_assert_cmpstr (create.out, ==, reuse.out);
  run_xadmit (&mismatch, "host", "--host", spec2, "--sim-state", state, NULL);
  assert_one_line_error (&mismatch, 2, "the simulated host in it has 4 nodes, but");
  g_unlink (state);
  g_rmdir (dir);
}

/* The same dense boot, planned as xenopsd's parallel builds would: some
 * nodes are given more than they have, which batch never does. */
static void
test_cli_plan_xenopsd_over_plans (void)
{
  g_autofree gchar *spec = host_spec ("4node.json");
  g_autofree gchar *manifest = data_file ("manifests", "dense-4node.json");
  g_auto(Run) xenopsd = { 0 };
  g_auto(Run) table = { 0 };
  g_auto(Run) batch = { 0 };
  g_autoptr(json_t) xenopsd_summary = NULL;
  g_autoptr(json_t) batch_summary = NULL;

  run_xadmit (&xenopsd, "plan", manifest, "--host", spec, "--policy", "xenopsd", "--json", NULL);
  g_assert_cmpint (xenopsd.status, ==, 0);
  xenopsd_summary = parse_json (xenopsd.out);
  g_assert_cmpstr (json_string_value (json_object_get (xenopsd_summary, "policy")), ==, "xenopsd");
  g_assert_cmpint (json_integer_value (json_object_get (xenopsd_summary, "overplanned")), >, 0);
  g_assert_cmpint (json_integer_value (json_object_get (xenopsd_summary, "overplanned_mib")), >, 0);
  run_xadmit (&table, "plan", manifest, "--host", spec, "--policy", "xenopsd", NULL);
  g_assert_nonnull (strstr (table.out, "over-planned"));
  run_xadmit (&batch, "plan", manifest, "--host", spec, "--json", NULL);
  batch_summary = parse_json (batch.out);
  g_assert_cmpint (json_integer_value (json_object_get (batch_summary, "overplanned")), ==, 0);
  g_assert_cmpint (json_integer_value (json_object_get (batch_summary, "local")), ==, 18);
}

/* On a Xen with per-node claims, xenopsd claims each single-node plan: the
 * VM that fits no node any more gets no affinity and is striped. */
static void
test_cli_plan_xenopsd_nodeclaim (void)
{
  g_autofree gchar *spec = host_spec ("4node-claims.json");
  g_autofree gchar *manifest = data_file ("manifests", "dense-4node.json");
  g_auto(Run) run = { 0 };
  g_autoptr(json_t) summary = NULL;

  run_xadmit (&run, "plan", manifest, "--host", spec, "--policy", "xenopsd-nodeclaim", "--json",
              NULL);
  g_assert_cmpint (run.status, ==, 0);
  summary = parse_json (run.out);
  g_assert_cmpint (json_integer_value (json_object_get (summary, "local")), <, 18);
  g_assert_cmpint (json_integer_value (json_object_get (summary, "split")), >, 0);
}

static void
test_cli_bench_usage_errors (void)
{
  g_auto(Run) nothing = { 0 };
  g_auto(Run) seed = { 0 };
  g_auto(Run) extra = { 0 };

  run_xadmit (&nothing, "bench", NULL);
  assert_one_line_error (&nothing, 2, "xadmit bench: nothing to measure: give --planner, --store or --storm");
  run_xadmit (&seed, "bench", "--planner", "--seed", "-1", NULL);
  assert_one_line_error (&seed, 2, "xadmit bench: --seed: -1 is negative");
  run_xadmit (&extra, "bench", "--planner", "storm.json", NULL);
  assert_one_line_error (&extra, 2, "unexpected argument \"storm.json\"");
}

static void
test_cli_plan_exact (void)
{
  g_autofree gchar *spec = host_spec ("4node.json");
  g_autofree gchar *manifest = data_file ("manifests", "dense-4node.json");
  g_auto(Run) run = { 0 };
  g_autoptr(json_t) summary = NULL;

  run_xadmit (&run, "plan", manifest, "--host", spec, "--policy", "exact", "--json", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpstr (run.err, ==, "");
  summary = parse_json (run.out);
  g_assert_cmpstr (json_string_value (json_object_get (summary, "policy")), ==, "exact");
  g_assert_cmpint (json_integer_value (json_object_get (summary, "local")), ==, 18);
}


/* A ledger of its own for each boot test. */
typedef struct {
  gchar *dir;
  gchar *db;
} Ledger;

static void
ledger_clear (Ledger *ledger)
{
  const gchar *suffixes[] = { "", "-wal", "-shm" };

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++) {
    g_autofree gchar *path = g_strconcat (ledger->db, suffixes[i], NULL);

    g_unlink (path);
  }
  g_rmdir (ledger->dir);
  g_free (ledger->db);
  g_free (ledger->dir);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Ledger, ledger_clear)

static void
ledger_init (Ledger *ledger)
{
  g_autoptr(GError) error = NULL;

  ledger->dir = g_dir_make_tmp ("xadmit-boot-XXXXXX", &error);
  g_assert_no_error (error);
  ledger->db = g_build_filename (ledger->dir, "xadmit.db", NULL);
}

/* Boots @manifest on @host with @policy (NULL: batch) and a seed; returns
 * the JSON summary, the exit status in *out_status. */
static json_t *
boot_json (const Ledger *ledger, const gchar *host, const gchar *manifest, const gchar *policy,
           const gchar *seed, gint *out_status)
{
  g_autofree gchar *spec = host_spec (host);
  g_autofree gchar *path = data_file ("manifests", manifest);
  g_auto(Run) run = { 0 };

  run_xadmit (&run, "boot", path, "--host", spec, "--db", ledger->db, "--json", "--seed", seed,
              "--policy", policy != NULL ? policy : "batch", NULL);
  g_assert_cmpstr (run.err, ==, "");
  *out_status = run.status;
  return parse_json (run.out);
}

static json_int_t
count (json_t *summary, const gchar *key)
{
  return json_integer_value (json_object_get (summary, key));
}

static json_t *
vm_named (json_t *summary, const gchar *name)
{
  json_t *vm;
  gsize i;

  json_array_foreach (json_object_get (summary, "vm"), i, vm) {
    if (g_strcmp0 (json_string_value (json_object_get (vm, "name")), name) == 0)
      return vm;
  }
  g_assert_not_reached ();
}

static void
test_cli_boot_runs_the_demo (void)
{
  g_auto(Ledger) ledger = { 0 };
  g_autoptr(json_t) summary = NULL;
  gint status = -1;

  ledger_init (&ledger);
  summary = boot_json (&ledger, "default.json", "demo.json", NULL, "1", &status);
  g_assert_cmpint (status, ==, 0);
  g_assert_cmpint (count (summary, "running"), ==, 24);
  g_assert_cmpint (count (summary, "local"), ==, 24);
  g_assert_cmpint (count (summary, "spilled"), ==, 0);
  g_assert_cmpint (json_integer_value (json_object_get (summary, "seed")), ==, 1);
  /* nothing beats the lower bound */
  g_assert_cmpfloat (json_real_value (json_object_get (summary, "makespan_s")), >=,
                     json_real_value (json_object_get (summary, "lower_bound_s")));
  g_assert_cmpfloat (json_real_value (json_object_get (summary, "makespan_s")), <=,
                     1.05 * json_real_value (json_object_get (summary, "lower_bound_s")));
}

/* The same seed, byte for byte the same summary but for the planning time;
 * another seed, other build times. */
static void
test_cli_boot_is_deterministic (void)
{
  g_auto(Ledger) ledger = { 0 };
  g_autoptr(json_t) first = NULL;
  g_autoptr(json_t) again = NULL;
  g_autoptr(json_t) other = NULL;
  g_autofree gchar *first_text = NULL;
  g_autofree gchar *again_text = NULL;
  gint status = -1;

  ledger_init (&ledger);
  first = boot_json (&ledger, "4node.json", "evacuate.json", NULL, "7", &status);
  again = boot_json (&ledger, "4node.json", "evacuate.json", NULL, "7", &status);
  other = boot_json (&ledger, "4node.json", "evacuate.json", NULL, "8", &status);
  json_object_del (first, "plan_ms");
  json_object_del (again, "plan_ms");
  first_text = json_dumps (first, JSON_SORT_KEYS);
  again_text = json_dumps (again, JSON_SORT_KEYS);
  g_assert_cmpstr (first_text, ==, again_text);
  g_assert_cmpfloat (json_real_value (json_object_get (first, "makespan_s")), !=,
                     json_real_value (json_object_get (other, "makespan_s")));
}

/* The parallel-start race, by itself: xenopsd's builds pick the same nodes
 * and spill; batch plans the storm and nothing spills. */
static void
test_cli_boot_batch_does_not_spill_where_xenopsd_does (void)
{
  g_auto(Ledger) ledger = { 0 };
  g_autoptr(json_t) batch = NULL;
  g_autoptr(json_t) xenopsd = NULL;
  gint status = -1;

  ledger_init (&ledger);
  batch = boot_json (&ledger, "4node.json", "dense-4node.json", NULL, "1", &status);
  g_assert_cmpint (status, ==, 0);
  xenopsd = boot_json (&ledger, "4node.json", "dense-4node.json", "xenopsd", "1", &status);
  g_assert_cmpint (status, ==, 0);
  g_assert_cmpint (count (batch, "spilled"), ==, 0);
  g_assert_cmpint (count (batch, "local"), ==, 18);
  g_assert_cmpint (count (xenopsd, "spilled"), >, 0);
  g_assert_cmpint (count (xenopsd, "remote_mib"), >, 0);
}

/* The request's log in the ledger: did it ever wait? */
static gboolean
was_deferred (const Ledger *ledger, const gchar *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(XaStore) store = xa_store_open (ledger->db, &error);
  gboolean deferred = FALSE;

  g_assert_no_error (error);
  for (gint64 host_id = 1; host_id <= 2; host_id++) {
    g_autoptr(GPtrArray) running = xa_store_list_requests (store, host_id, XA_REQUEST_RUNNING,
                                                           &error);

    for (guint i = 0; i < running->len; i++) {
      const XaStoreRequest *request = g_ptr_array_index (running, i);

      deferred |= g_strcmp0 (request->req->name, name) == 0 && request->deferrals > 0;
    }
  }
  return deferred;
}

/* xenopsd-nodeclaim fails app-db's start (its host-wide claim); batch defers
 * it while flaky-db builds, and builds it once flaky-db has failed for good. */
static void
test_cli_boot_batch_defers_what_nodeclaim_fails (void)
{
  g_auto(Ledger) ledger = { 0 };
  g_autoptr(json_t) batch = NULL;
  g_autoptr(json_t) nodeclaim = NULL;
  gint status = -1;

  ledger_init (&ledger);
  batch = boot_json (&ledger, "2node-claims-faults.json", "flaky-storm.json", NULL, "1", &status);
  g_assert_cmpint (status, ==, 3);
  g_assert_cmpstr (json_string_value (json_object_get (vm_named (batch, "app-db"), "state")), ==,
                   "running");
  g_assert_true (was_deferred (&ledger, "app-db"));
  g_assert_cmpint (json_integer_value (json_object_get (vm_named (batch, "flaky-db"),
                                                        "attempts")), ==, 3);
  nodeclaim = boot_json (&ledger, "2node-claims-faults.json", "flaky-storm.json",
                         "xenopsd-nodeclaim", "1", &status);
  g_assert_cmpstr (json_string_value (json_object_get (vm_named (nodeclaim, "app-db"), "state")),
                   ==, "failed");
  g_assert_nonnull (strstr (json_string_value (json_object_get (vm_named (nodeclaim, "app-db"),
                                                                "reason")), "(ENOMEM)"));
}

/* Locality comes from the allocator, not the plan: memory taken from node 0
 * at 5 s pushes big-a's later pages to node 1, although it was planned on
 * node 0 alone. A build that fails is retried. */
static void
test_cli_boot_spill_comes_from_the_host (void)
{
  g_auto(Ledger) ledger = { 0 };
  g_autoptr(json_t) summary = NULL;
  g_autofree gchar *spec = host_spec ("2node-take.json");
  g_autofree gchar *manifest = data_file ("manifests", "two-big.json");
  g_auto(Run) plan = { 0 };
  g_autoptr(json_t) planned = NULL;
  json_t *big_a;
  gint status = -1;

  ledger_init (&ledger);
  run_xadmit (&plan, "plan", manifest, "--host", spec, "--json", NULL);
  planned = parse_json (plan.out);
  g_assert_cmpint (count (planned, "local"), ==, 4);
  summary = boot_json (&ledger, "2node-take.json", "two-big.json", NULL, "1", &status);
  g_assert_cmpint (status, ==, 0);
  big_a = vm_named (summary, "big-a");
  g_assert_cmpuint (json_array_size (json_object_get (big_a, "planned_nodes")), ==, 1);
  g_assert_cmpint (json_integer_value (json_array_get (json_object_get (big_a, "planned_nodes"),
                                                       0)), ==, 0);
  g_assert_cmpint (count (summary, "spilled"), ==, 1);
  g_assert_cmpint (count (summary, "remote_mib"), >, 0);
  g_assert_cmpint (json_integer_value (json_object_get (vm_named (summary, "web-02"),
                                                        "attempts")), ==, 2);
}

static void
test_cli_boot_usage_errors (void)
{
  g_autofree gchar *manifest = data_file ("manifests", "demo.json");
  g_autofree gchar *spec = host_spec ("4node.json");
  g_auto(Run) no_manifest = { 0 };
  g_auto(Run) exact = { 0 };
  g_auto(Run) batch = { 0 };
  g_auto(Run) nodeclaim = { 0 };
  g_auto(Run) timeout = { 0 };

  run_xadmit (&no_manifest, "boot", "--host", "sim", NULL);
  assert_one_line_error (&no_manifest, 2, "expected one MANIFEST");
  run_xadmit (&exact, "boot", manifest, "--host", "sim", "--policy", "exact", NULL);
  assert_one_line_error (&exact, 2, "--policy: exact is for xadmit plan");
  run_xadmit (&batch, "boot", manifest, "--host", "sim", "--max-batch", "0", NULL);
  assert_one_line_error (&batch, 2, "--max-batch: 0 is not between 1 and 100000");
  run_xadmit (&nodeclaim, "boot", manifest, "--host", spec, "--policy", "xenopsd-nodeclaim",
              NULL);
  assert_one_line_error (&nodeclaim, 2, "this host has none (node_claims: false");
  run_xadmit (&timeout, "boot", manifest, "--host", "sim", "--defer-timeout", "-1", NULL);
  assert_one_line_error (&timeout, 2, "--defer-timeout: -1 is negative");
}

/* A ledger xadmit cannot use: one sentence, exit 1, the file as it was. */
static void
test_cli_boot_refuses_a_broken_ledger (void)
{
  g_auto(Ledger) ledger = { 0 };
  g_autofree gchar *manifest = data_file ("manifests", "demo.json");
  g_autoptr(GError) error = NULL;
  g_auto(Run) run = { 0 };
  g_autofree gchar *after = NULL;

  ledger_init (&ledger);
  g_assert_true (g_file_set_contents_full (ledger.db, "not a database", -1,
                                           G_FILE_SET_CONTENTS_NONE, 0600, &error));
  run_xadmit (&run, "boot", manifest, "--host", "sim", "--db", ledger.db, NULL);
  assert_one_line_error (&run, 1, "is not a database xadmit can read");
  g_assert_true (g_file_get_contents (ledger.db, &after, NULL, &error));
  g_assert_cmpstr (after, ==, "not a database");
}

/* The same manifest booted again on the same host: what waits is queued
 * anew, what runs is left alone, never started twice. */
static void
test_cli_boot_again_leaves_running_vms_alone (void)
{
  g_auto(Ledger) ledger = { 0 };
  g_autofree gchar *spec = host_spec ("4node.json");
  g_autofree gchar *manifest = data_file ("manifests", "mixed-priorities.json");
  g_autofree gchar *state = NULL;
  g_autofree gchar *lock = NULL;
  g_auto(Run) first = { 0 };
  g_auto(Run) again = { 0 };
  g_autoptr(json_t) before = NULL;
  g_autoptr(json_t) after = NULL;

  ledger_init (&ledger);
  state = g_build_filename (ledger.dir, "state.json", NULL);
  lock = g_strconcat (state, ".lock", NULL);
  run_xadmit (&first, "boot", manifest, "--host", spec, "--sim-state", state, "--db", ledger.db,
              "--defer-timeout", "1", "--json", NULL);
  g_assert_cmpint (first.status, ==, 3);
  before = parse_json (first.out);
  g_assert_cmpint (count (before, "deferred"), >, 0);
  run_xadmit (&again, "boot", manifest, "--host", spec, "--sim-state", state, "--db", ledger.db,
              "--defer-timeout", "1", "--json", NULL);
  g_assert_cmpint (again.status, ==, 3);
  g_assert_nonnull (strstr (again.err, "run on this host already, left alone: "));
  after = parse_json (again.out);
  g_assert_cmpint (count (after, "running"), ==, 0);
  g_assert_cmpint (count (after, "vms"), ==,
                   count (before, "vms") - count (before, "running"));
  g_assert_cmpint (count (after, "deferred"), ==, count (before, "deferred"));
  g_unlink (state);
  g_unlink (lock);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cli/version-and-help", test_cli_version_and_help);
  g_test_add_func ("/cli/usage-errors", test_cli_usage_errors);
  g_test_add_func ("/cli/host/prints-default", test_cli_host_prints_default);
  g_test_add_func ("/cli/host/json-round-trips", test_cli_host_json_round_trips);
  g_test_add_func ("/cli/host/xen-without-hypervisor-fails-cleanly",
                   test_cli_xen_without_hypervisor_fails_cleanly);
  g_test_add_func ("/cli/host/missing-host-file-is-bad-input",
                   test_cli_missing_host_file_is_bad_input);
  g_test_add_func ("/cli/host/sim-state-is-kept", test_cli_sim_state_is_kept);
  g_test_add_func ("/cli/plan/prints-a-placement", test_cli_plan_prints_a_placement);
  g_test_add_func ("/cli/plan/every-data-file", test_cli_plan_every_data_file);
  g_test_add_func ("/cli/plan/exit-3-when-not-all-fit", test_cli_plan_exit_3_when_not_all_fit);
  g_test_add_func ("/cli/plan/rejects-broken-files", test_cli_plan_rejects_broken_files);
  g_test_add_func ("/cli/plan/policy-errors", test_cli_plan_policy_errors);
  g_test_add_func ("/cli/plan/xenopsd-over-plans", test_cli_plan_xenopsd_over_plans);
  g_test_add_func ("/cli/plan/xenopsd-nodeclaim", test_cli_plan_xenopsd_nodeclaim);
  g_test_add_func ("/cli/plan/exact", test_cli_plan_exact);
  g_test_add_func ("/cli/bench/usage-errors", test_cli_bench_usage_errors);
  g_test_add_func ("/cli/boot/runs-the-demo", test_cli_boot_runs_the_demo);
  g_test_add_func ("/cli/boot/is-deterministic", test_cli_boot_is_deterministic);
  g_test_add_func ("/cli/boot/batch-does-not-spill-where-xenopsd-does",
                   test_cli_boot_batch_does_not_spill_where_xenopsd_does);
  g_test_add_func ("/cli/boot/batch-defers-what-nodeclaim-fails",
                   test_cli_boot_batch_defers_what_nodeclaim_fails);
  g_test_add_func ("/cli/boot/spill-comes-from-the-host", test_cli_boot_spill_comes_from_the_host);
  g_test_add_func ("/cli/boot/again-leaves-running-vms-alone",
                   test_cli_boot_again_leaves_running_vms_alone);
  g_test_add_func ("/cli/boot/usage-errors", test_cli_boot_usage_errors);
  g_test_add_func ("/cli/boot/refuses-a-broken-ledger", test_cli_boot_refuses_a_broken_ledger);
  return g_test_run ();
}
