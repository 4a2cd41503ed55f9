/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <signal.h>

#include "xa-test-cli.h"
#include "xa-test-util.h"

static void
test_cli_plan_prints_a_placement (void)
{
  g_autofree gchar *manifest = xa_test_data_path ("manifests", "demo.json");
  g_auto(XaTestRun) run = { 0 };

  xa_test_run_xadmit (&run, "plan", manifest, "--host", "sim", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "plan for 24 VMs on \"sim-2s\""));
  g_assert_nonnull (strstr (run.out, "24 planned"));
}

static guint64
host_free_mib (const gchar *spec, guint node)
{
  g_auto(XaTestRun) run = { 0 };
  g_autoptr(json_t) host = NULL;

  xa_test_run_xadmit (&run, "host", "--host", spec, "--json", NULL);
  g_assert_cmpint (run.status, ==, 0);
  host = xa_test_json_parse (run.out);
  return (guint64) xa_test_json_int (json_array_get (json_object_get (host, "nodes"), node),
                                     "free");
}

static void
check_plan_summary (const gchar *spec, json_t *summary, gint status)
{
  json_t *vms = json_object_get (summary, "vm");
  const gchar *counts[] = { "planned", "running", "failed", "deferred", "rejected", "cancelled",
                            "ended" };
  json_int_t sum = 0;
  gsize n_nodes = json_array_size (json_object_get (json_array_get (vms, 0), "memory_by_node_mib"));

  for (gsize i = 0; i < G_N_ELEMENTS (counts); i++)
    sum += xa_test_json_int (summary, counts[i]);
  g_assert_cmpint (sum, ==, xa_test_json_int (summary, "vms"));
  g_assert_cmpint ((json_int_t) json_array_size (vms), ==, xa_test_json_int (summary, "vms"));
  g_assert_cmpint (xa_test_json_int (summary, "local") + xa_test_json_int (summary, "split"), ==,
                   xa_test_json_int (summary, "planned"));
  g_assert_cmpint (status, ==, xa_test_json_int (summary, "planned") == sum ? 0 : 3);
  for (gsize n = 0; n < n_nodes; n++) {
    json_int_t planned = 0;
    json_t *vm;
    gsize i;

    json_array_foreach (vms, i, vm)
      planned += json_integer_value (json_array_get (json_object_get (vm, "memory_by_node_mib"),
                                                     n));
    g_assert_cmpuint ((guint64) planned, <=, host_free_mib (spec, (guint) n));
  }
}

/* Every manifest in data/ on every host in data/: valid JSON, the counts add
 * up, and no node is given more than it has free. */
static void
test_cli_plan_adds_up_on_every_data_file (void)
{
  const gchar *hosts[] = { "default.json", "2node.json", "4node.json", "4node-claims.json",
                           "8node.json" };
  const gchar *manifests[] = { "demo.json", "evacuate.json", "mixed-priorities.json",
                               "dense-4node.json", "dense-8node.json" };

  for (gsize h = 0; h < G_N_ELEMENTS (hosts); h++) {
    for (gsize m = 0; m < G_N_ELEMENTS (manifests); m++) {
      g_autofree gchar *spec = xa_test_host_spec (hosts[h]);
      g_autofree gchar *manifest = xa_test_data_path ("manifests", manifests[m]);
      g_auto(XaTestRun) run = { 0 };
      g_autoptr(json_t) summary = NULL;

      g_test_message ("%s on %s", manifests[m], hosts[h]);
      xa_test_run_xadmit (&run, "plan", manifest, "--host", spec, "--json", NULL);
      g_assert_true (run.status == 0 || run.status == 3);
      g_assert_cmpstr (run.err, ==, "");
      summary = xa_test_json_parse (run.out);
      g_assert_cmpstr (xa_test_json_string (summary, "policy"), ==, "batch");
      check_plan_summary (spec, summary, run.status);
    }
  }
}

static void
test_cli_plan_exit_3_when_not_all_fit (void)
{
  g_autofree gchar *spec = xa_test_host_spec ("4node.json");
  g_autofree gchar *manifest = xa_test_data_path ("manifests", "mixed-priorities.json");
  g_auto(XaTestRun) run = { 0 };

  xa_test_run_xadmit (&run, "plan", manifest, "--host", spec, NULL);
  g_assert_cmpint (run.status, ==, 3);
  g_assert_nonnull (strstr (run.out, "huge-never-fits rejected: "));
  g_assert_nonnull (strstr (run.out,
                            "too-many-vcpus rejected: it has 128 vCPUs, but the host has 64 CPUs"));
}

static void
test_cli_plan_rejects_broken_files (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *bad_manifest = xa_test_dir_write (dir, "bad.json",
    "{\"vms\": [{\"name\": \"db-01\", \"memory\": \"4 GB\", \"vcpus\": 2}]}");
  g_autofree gchar *bad_host = xa_test_dir_write (dir, "host.json",
                                                  "{\"nodes\": [{\"memory\": 0, \"cpus\": 1}]}");
  g_autofree gchar *spec = xa_test_host_spec_at (bad_host);
  g_autofree gchar *expected = g_strdup_printf (
    "%s: vms[0] \"db-01\": memory: \"4 GB\" is not a size (use 4GiB or 4096)", bad_manifest);

  xa_test_xadmit_fails (2, expected, "plan", bad_manifest, "--host", "sim", "--json", NULL);
  xa_test_xadmit_fails (2, "nodes[0]: memory: 0 is not allowed here (at least 1 MiB)", "plan",
                        bad_manifest, "--host", spec, "--json", NULL);
  xa_test_xadmit_fails (2, "/nonexistent/vms.json: cannot read: ", "plan", "/nonexistent/vms.json",
                        "--host", "sim", NULL);
}

static void
test_cli_plan_rejects_bad_policies (void)
{
  g_autofree gchar *manifest = xa_test_data_path ("manifests", "demo.json");

  xa_test_xadmit_fails (2, "xadmit plan: --policy: \"best-effort\" is not a policy (use one of "
                        "batch, xenopsd, xenopsd-nodeclaim, xenopsd-legacy, exact)",
                        "plan", manifest, "--host", "sim", "--policy", "best-effort", NULL);
  xa_test_xadmit_fails (2, "but this host has none (node_claims: false", "plan", manifest, "--host",
                        "sim", "--policy", "xenopsd-nodeclaim", NULL);
}

/* Plans data/manifests/@manifest on data/hosts/@host with @policy (NULL:
 * the default), which must fit all; returns the JSON summary. */
static json_t *
plan_json (const gchar *host, const gchar *manifest, const gchar *policy)
{
  g_autofree gchar *spec = xa_test_host_spec (host);
  g_autofree gchar *path = xa_test_data_path ("manifests", manifest);
  g_auto(XaTestRun) run = { 0 };

  if (policy != NULL)
    xa_test_run_xadmit (&run, "plan", path, "--host", spec, "--policy", policy, "--json", NULL);
  else
    xa_test_run_xadmit (&run, "plan", path, "--host", spec, "--json", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpstr (run.err, ==, "");
  return xa_test_json_parse (run.out);
}

/* The same dense boot, planned as xenopsd's parallel builds would: some
 * nodes are given more than they have, which batch never does. */
static void
test_cli_plan_xenopsd_over_plans (void)
{
  g_autofree gchar *spec = xa_test_host_spec ("4node.json");
  g_autofree gchar *manifest = xa_test_data_path ("manifests", "dense-4node.json");
  g_autoptr(json_t) xenopsd = plan_json ("4node.json", "dense-4node.json", "xenopsd");
  g_autoptr(json_t) batch = plan_json ("4node.json", "dense-4node.json", NULL);
  g_auto(XaTestRun) table = { 0 };

  g_assert_cmpstr (xa_test_json_string (xenopsd, "policy"), ==, "xenopsd");
  g_assert_cmpint (xa_test_json_int (xenopsd, "overplanned"), >, 0);
  g_assert_cmpint (xa_test_json_int (xenopsd, "overplanned_mib"), >, 0);
  xa_test_run_xadmit (&table, "plan", manifest, "--host", spec, "--policy", "xenopsd", NULL);
  g_assert_nonnull (strstr (table.out, "over-planned"));
  g_assert_cmpint (xa_test_json_int (batch, "overplanned"), ==, 0);
  g_assert_cmpint (xa_test_json_int (batch, "local"), ==, 18);
}

/* On a Xen with per-node claims, xenopsd claims each single-node plan: the
 * VM that fits no node any more gets no affinity and is striped. */
static void
test_cli_plan_xenopsd_nodeclaim_stripes_what_fits_no_node (void)
{
  g_autoptr(json_t) summary = plan_json ("4node-claims.json", "dense-4node.json",
                                         "xenopsd-nodeclaim");

  g_assert_cmpint (xa_test_json_int (summary, "local"), <, 18);
  g_assert_cmpint (xa_test_json_int (summary, "split"), >, 0);
}

/* dense-4node's 18 VMs fit on single nodes, and the exact search finds how. */
static void
test_cli_plan_exact_puts_every_vm_on_one_node (void)
{
  g_autoptr(json_t) summary = plan_json ("4node.json", "dense-4node.json", "exact");

  g_assert_cmpstr (xa_test_json_string (summary, "policy"), ==, "exact");
  g_assert_cmpint (xa_test_json_int (summary, "local"), ==, 18);
  g_assert_true (json_is_true (json_object_get (summary, "optimal")));
}

/* batch searches no batch of 18 VMs, so nothing proves its plan optimal;
 * on two-big's two VMs it searches, and its summary line says so. */
static void
test_cli_plan_batch_says_whether_it_is_proven_optimal (void)
{
  g_autoptr(json_t) summary = plan_json ("4node.json", "dense-4node.json", NULL);
  g_autofree gchar *spec = xa_test_host_spec ("4node.json");
  g_autofree gchar *manifest = xa_test_data_path ("manifests", "two-big.json");
  g_auto(XaTestRun) run = { 0 };

  g_assert_true (json_is_null (json_object_get (summary, "optimal")));
  xa_test_run_xadmit (&run, "plan", manifest, "--host", spec, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "; proven optimal\n"));
}

/* Plans @manifest on @spec with @policy, or boots it with a ledger in
 * @boot_dir; returns the first VM's memory_by_node_mib, compact. */
static gchar *
memory_by_node (const gchar *manifest, const gchar *spec, const gchar *policy,
                const XaTestDir *boot_dir)
{
  g_autofree gchar *db = boot_dir != NULL ? xa_test_ledger_path (boot_dir) : NULL;
  g_auto(XaTestRun) run = { 0 };
  g_autoptr(json_t) summary = NULL;

  if (boot_dir != NULL)
    xa_test_run_xadmit (&run, "boot", manifest, "--host", spec, "--db", db, "--policy", policy,
                        "--json", NULL);
  else
    xa_test_run_xadmit (&run, "plan", manifest, "--host", spec, "--policy", policy, "--json",
                        NULL);
  g_assert_cmpstr (run.err, ==, "");
  g_assert_cmpint (run.status, ==, 0);
  summary = xa_test_json_parse (run.out);
  return json_dumps (json_object_get (json_array_get (json_object_get (summary, "vm"), 0),
                                      "memory_by_node_mib"), JSON_COMPACT);
}

/* A VM pinned to CPUs of both nodes is not placed by the plan but by Xen's
 * allocator, extent by extent over the two nodes: the plan must say where
 * its memory lands, although the nodes have different free memory. */
static void
test_cli_plan_predicts_a_pinned_vm_as_boot_places_it (void)
{
  const gchar *policies[] = { "batch", "xenopsd" };
  g_autofree gchar *spec = xa_test_host_spec ("2node.json");
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *manifest = xa_test_dir_write (dir, "pinned.json",
    "{\"vms\": [{\"name\": \"pinned\", \"memory\": 1027, \"vcpus\": 1, "
    "\"hard_affinity\": [0, 24]}]}");

  for (gsize p = 0; p < G_N_ELEMENTS (policies); p++) {
    g_autoptr(XaTestDir) boot_dir = xa_test_dir_new ();
    g_autofree gchar *planned = memory_by_node (manifest, spec, policies[p], NULL);
    g_autofree gchar *booted = memory_by_node (manifest, spec, policies[p], boot_dir);

    g_test_message ("%s: plan %s, boot %s", policies[p], planned, booted);
    g_assert_cmpstr (planned, ==, booted);
    /* 1,030 MiB with overhead, 2 MiB to each node in turn from node 0 */
    g_assert_cmpstr (booted, ==, "[516,514]");
  }
}

/* CPUs and nodes the host lacks, and a pin outside the VM's nodes, are
 * facts of the host: that VM is rejected with the reason and the rest of
 * the manifest goes on, in plan and in boot, with every policy. */
static void
test_cli_plan_rejects_vms_the_host_cannot_run (void)
{
  const gchar *policies[] = { "batch", "xenopsd", "exact" };
  const gchar *reasons[] = {
    "node-9 rejected: its nodes name node 9, but the host has nodes 0-1",
    "cpu-999 rejected: its hard_affinity names CPU 999, which the host does not have",
    "pinned-elsewhere rejected: its hard_affinity CPUs are on node 0, outside its nodes (1)",
  };
  g_autofree gchar *spec = xa_test_host_spec ("2node.json");
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *db = xa_test_ledger_path (dir);
  g_autofree gchar *manifest = xa_test_dir_write (dir, "ids.json",
    "{\"vms\": [{\"name\": \"fine\", \"memory\": 1024, \"vcpus\": 1},"
    " {\"name\": \"node-9\", \"memory\": 1024, \"vcpus\": 1, \"nodes\": [0, 9]},"
    " {\"name\": \"cpu-999\", \"memory\": 1024, \"vcpus\": 1, \"hard_affinity\": [0, 999]},"
    " {\"name\": \"pinned-elsewhere\", \"memory\": 1024, \"vcpus\": 1,"
    "  \"hard_affinity\": [0], \"nodes\": [1]},"
    " {\"name\": \"pinned-inside\", \"memory\": 1024, \"vcpus\": 1,"
    "  \"hard_affinity\": [30], \"nodes\": \"1\"}]}");

  for (gsize p = 0; p < G_N_ELEMENTS (policies) + 1; p++) {
    g_auto(XaTestRun) run = { 0 };

    if (p < G_N_ELEMENTS (policies))
      xa_test_run_xadmit (&run, "plan", manifest, "--host", spec, "--policy", policies[p], NULL);
    else
      xa_test_run_xadmit (&run, "boot", manifest, "--host", spec, "--db", db, NULL);
    g_test_message ("%s", run.out);
    g_assert_cmpint (run.status, ==, 3);
    g_assert_cmpstr (run.err, ==, "");
    for (gsize r = 0; r < G_N_ELEMENTS (reasons); r++)
      g_assert_nonnull (strstr (run.out, reasons[r]));
    g_assert_nonnull (strstr (run.out, ", 3 rejected"));
    g_assert_nonnull (strstr (run.out, p < G_N_ELEMENTS (policies) ? "2 planned" : "2 running"));
  }
}

/* Two islands of two 16 GiB nodes that cannot reach each other: a 40 GiB
 * VM never fits, and plan and boot reject it (exit 3) while the rest runs. */
static void
test_cli_plan_rejects_what_fits_no_reachable_nodes (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *db = xa_test_ledger_path (dir);
  g_autofree gchar *host = xa_test_dir_write (dir, "islands.json",
    "{\"nodes\": [{\"memory\": \"16GiB\", \"cpus\": 4}, {\"memory\": \"16GiB\", \"cpus\": 4},"
    " {\"memory\": \"16GiB\", \"cpus\": 4}, {\"memory\": \"16GiB\", \"cpus\": 4}],"
    " \"distances\": [[10, 20, -1, -1], [20, 10, -1, -1], [-1, -1, 10, 20], [-1, -1, 20, 10]]}");
  g_autofree gchar *spec = xa_test_host_spec_at (host);
  g_autofree gchar *manifest = xa_test_dir_write (dir, "vms.json",
    "{\"vms\": [{\"name\": \"big\", \"memory\": \"40GiB\", \"vcpus\": 2},"
    " {\"name\": \"small\", \"memory\": \"20GiB\", \"vcpus\": 2}]}");
  const gchar *reason = "big rejected: it needs 40964 MiB with overhead on nodes that can all "
                        "reach each other, but the largest such set of its nodes (0-1) holds at "
                        "most 32768 MiB beside the resident domains";
  g_auto(XaTestRun) plan = { 0 };
  g_auto(XaTestRun) boot = { 0 };

  xa_test_run_xadmit (&plan, "plan", manifest, "--host", spec, NULL);
  g_assert_cmpint (plan.status, ==, 3);
  g_assert_nonnull (strstr (plan.out, reason));
  g_assert_nonnull (strstr (plan.out, "1 planned (0 on one node, 1 split)"));
  xa_test_run_xadmit (&boot, "boot", manifest, "--host", spec, "--db", db, NULL);
  g_assert_cmpint (boot.status, ==, 3);
  g_assert_nonnull (strstr (boot.out, reason));
  g_assert_nonnull (strstr (boot.out, "1 running"));
}

/* "-" reads the manifest from standard input: the same plan as from the
 * file; an error in it names standard input. */
static void
test_cli_plan_reads_standard_input (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *manifest = xa_test_data_path ("manifests", "demo.json");
  g_autofree gchar *broken = xa_test_dir_write (dir, "broken.json", "{\"vms\": [{}]}");
  g_auto(XaTestRun) from_file = { 0 };
  g_auto(XaTestRun) from_stdin = { 0 };
  g_auto(XaTestRun) bad = { 0 };
  g_autoptr(json_t) file_json = NULL;
  g_autoptr(json_t) stdin_json = NULL;

  xa_test_run_xadmit (&from_file, "plan", manifest, "--host", "sim", "--json", NULL);
  xa_test_run_xadmit_with_input (&from_stdin, manifest, "plan", "-", "--host", "sim", "--json",
                                 NULL);
  g_assert_cmpint (from_stdin.status, ==, 0);
  g_assert_cmpstr (from_stdin.err, ==, "");
  file_json = xa_test_json_parse (from_file.out);
  stdin_json = xa_test_json_parse (from_stdin.out);
  json_object_del (file_json, "plan_ms");
  json_object_del (stdin_json, "plan_ms");
  g_assert_true (json_equal (file_json, stdin_json));
  xa_test_run_xadmit_with_input (&bad, broken, "plan", "-", "--host", "sim", NULL);
  xa_test_run_assert_error (&bad, 2, "xadmit plan: standard input: vms[0]");
}

/* plan stops on a signal as boot does: exit 130, no plan printed. It is
 * signalled once it said which host it chose, while it waits for its
 * manifest on standard input. */
static void
test_cli_plan_stops_on_a_signal (void)
{
  const gint signals[] = { SIGINT, SIGTERM, SIGHUP };
  g_autofree gchar *path = xa_test_data_path ("manifests", "demo.json");
  g_autofree gchar *manifest = NULL;

  g_assert_true (g_file_get_contents (path, &manifest, NULL, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (signals); i++) {
    g_autoptr(XaTestDir) dir = xa_test_dir_new ();
    const gint one[] = { signals[i], 0 };
    g_auto(XaTestRun) run = { 0 };

    xa_test_run_xadmit_signalled (&run, dir, TRUE, "xadmit: using the simulated host", one,
                                  manifest, "plan", "-", NULL);
    g_assert_cmpint (run.status, ==, 130);
    g_assert_cmpstr (run.out, ==, "");
    g_assert_nonnull (strstr (run.err, "xadmit plan: interrupted\n"));
  }
}

/* The summary is written a VM at a time, exactly as jansson writes the
 * whole document (docs/formats.md, JSON on stdout: two-space indent). */
static void
test_cli_plan_json_is_written_as_one_document (void)
{
  g_autofree gchar *manifest = xa_test_data_path ("manifests", "mixed-priorities.json");
  g_autofree gchar *host = xa_test_host_spec ("4node.json");
  g_autoptr(json_t) root = NULL;
  g_autofree gchar *whole = NULL;
  g_autofree gchar *expected = NULL;
  g_auto(XaTestRun) plan = { 0 };

  xa_test_run_xadmit (&plan, "plan", manifest, "--host", host, "--json", NULL);
  g_assert_cmpint (plan.status, ==, 3);
  root = xa_test_json_parse (plan.out);
  g_assert_cmpuint (json_array_size (json_object_get (root, "vm")), ==, 30);
  whole = json_dumps (root, JSON_INDENT (2) | JSON_REAL_PRECISION (15));
  expected = g_strconcat (whole, "\n", NULL);
  g_assert_cmpstr (plan.out, ==, expected);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cli/plan/prints-a-placement", test_cli_plan_prints_a_placement);
  g_test_add_func ("/cli/plan/adds-up-on-every-data-file",
                   test_cli_plan_adds_up_on_every_data_file);
  g_test_add_func ("/cli/plan/exit-3-when-not-all-fit", test_cli_plan_exit_3_when_not_all_fit);
  g_test_add_func ("/cli/plan/rejects-broken-files", test_cli_plan_rejects_broken_files);
  g_test_add_func ("/cli/plan/rejects-bad-policies", test_cli_plan_rejects_bad_policies);
  g_test_add_func ("/cli/plan/xenopsd-over-plans", test_cli_plan_xenopsd_over_plans);
  g_test_add_func ("/cli/plan/xenopsd-nodeclaim-stripes-what-fits-no-node",
                   test_cli_plan_xenopsd_nodeclaim_stripes_what_fits_no_node);
  g_test_add_func ("/cli/plan/exact-puts-every-vm-on-one-node",
                   test_cli_plan_exact_puts_every_vm_on_one_node);
  g_test_add_func ("/cli/plan/batch-says-whether-it-is-proven-optimal",
                   test_cli_plan_batch_says_whether_it_is_proven_optimal);
  g_test_add_func ("/cli/plan/rejects-vms-the-host-cannot-run",
                   test_cli_plan_rejects_vms_the_host_cannot_run);
  g_test_add_func ("/cli/plan/rejects-what-fits-no-reachable-nodes",
                   test_cli_plan_rejects_what_fits_no_reachable_nodes);
  g_test_add_func ("/cli/plan/predicts-a-pinned-vm-as-boot-places-it",
                   test_cli_plan_predicts_a_pinned_vm_as_boot_places_it);
  g_test_add_func ("/cli/plan/reads-standard-input", test_cli_plan_reads_standard_input);
  g_test_add_func ("/cli/plan/stops-on-a-signal", test_cli_plan_stops_on_a_signal);
  g_test_add_func ("/cli/plan/json-is-written-as-one-document",
                   test_cli_plan_json_is_written_as_one_document);
  return g_test_run ();
}
