/* SPDX-License-Identifier: LGPL-2.1-or-later */
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
  return g_test_run ();
}
