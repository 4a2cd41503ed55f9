/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* xadmit boot on a kept host: booting again, what runs already, what others left. */
#include "xa-test-cli.h"
#include "xa-test-util.h"

/* Boots mixed-priorities.json on a kept host, which leaves more than one
 * VM waiting (exit 3); returns its summary. */
static json_t *
boot_leaving_some_waiting (const XaTestDir *dir)
{
  g_auto(XaTestRun) first = { 0 };
  json_t *summary;

  xa_test_boot_on_kept_host (&first, dir, "mixed-priorities.json");
  g_assert_cmpint (first.status, ==, 3);
  summary = xa_test_json_parse (first.out);
  g_assert_cmpint (xa_test_json_int (summary, "deferred"), >, 1);
  return summary;
}

/* The same manifest booted again on the same host: what waits is queued
 * anew, what runs is left alone, never started twice. */
static void
test_cli_boot_again_leaves_running_vms_alone (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autoptr(json_t) before = boot_leaving_some_waiting (dir);
  g_auto(XaTestRun) again = { 0 };
  g_autoptr(json_t) after = NULL;

  xa_test_boot_on_kept_host (&again, dir, "mixed-priorities.json");
  g_assert_cmpint (again.status, ==, 3);
  g_assert_nonnull (strstr (again.err, "run on this host already, left alone: "));
  after = xa_test_json_parse (again.out);
  /* the whole manifest, those left alone counted as running */
  g_assert_cmpint (xa_test_json_int (after, "running"), ==, xa_test_json_int (before, "running"));
  g_assert_cmpint (xa_test_json_int (after, "vms"), ==, xa_test_json_int (before, "vms"));
  g_assert_cmpint (xa_test_json_int (after, "deferred"), ==, xa_test_json_int (before, "deferred"));
}

/* A VM whose memory or vCPUs the manifest changed after it was started is
 * left alone, saying what it runs with and what is asked now; a second boot
 * counts the whole manifest. */
static void
test_cli_boot_again_says_what_changed (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *changed = xa_test_dir_write (
    dir, "two-big.json",
    "{\"vms\": [{\"name\": \"big-a\", \"memory\": \"40GiB\", \"vcpus\": 8},"
    " {\"name\": \"big-b\", \"memory\": \"40GiB\", \"vcpus\": 8},"
    " {\"name\": \"web-01\", \"memory\": \"8GiB\", \"vcpus\": 4},"
    " {\"name\": \"web-02\", \"memory\": \"4GiB\", \"vcpus\": 2, \"nodes\": [1]}]}");
  g_auto(XaTestRun) first = { 0 };
  g_auto(XaTestRun) again = { 0 };
  g_autoptr(json_t) after = NULL;

  xa_test_boot_on_kept_host (&first, dir, "two-big.json");
  g_assert_cmpint (first.status, ==, 0);
  xa_test_boot_kept (&again, dir, "4node.json", changed, TRUE);
  g_assert_cmpint (again.status, ==, 0);
  g_assert_nonnull (strstr (again.err, "xadmit boot: web-01 runs already with 4096 MiB, 2 vCPUs; "
                                       "the manifest now asks 8192 MiB, 4 vCPUs: destroy it to "
                                       "apply\n"));
  g_assert_nonnull (strstr (again.err, "xadmit boot: web-02 runs already with any node; the "
                                       "manifest now asks nodes 1: destroy it to apply\n"));
  g_assert_null (strstr (again.err, "big-a runs already with"));
  after = xa_test_json_parse (again.out);
  g_assert_cmpint (xa_test_json_int (after, "vms"), ==, 4);
  g_assert_cmpint (xa_test_json_int (after, "running"), ==, 4);
}

/* A VM named like a domain on the host (dom0) is rejected with why, never
 * a second domain of that name, and the state file loads again. */
static void
test_cli_boot_rejects_a_name_the_host_has (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *manifest = xa_test_dir_write (
    dir, "dom0.json",
    "{\"vms\": [{\"name\": \"dom0\", \"memory\": 1024, \"vcpus\": 1},"
    " {\"name\": \"web\", \"memory\": 1024, \"vcpus\": 1}]}");
  g_autofree gchar *spec = xa_test_host_spec ("2node.json");
  g_autofree gchar *state = xa_test_state_path (dir);
  g_auto(XaTestRun) boot = { 0 };
  g_auto(XaTestRun) host = { 0 };
  g_autoptr(json_t) summary = NULL;
  g_autoptr(json_t) shown = NULL;
  json_t *vm;

  xa_test_boot_kept (&boot, dir, "2node.json", manifest, TRUE);
  g_assert_cmpint (boot.status, ==, 3);
  summary = xa_test_json_parse (boot.out);
  vm = xa_test_json_vm_named (summary, "dom0");
  g_assert_cmpstr (xa_test_json_string (vm, "state"), ==, "rejected");
  g_assert_cmpstr (xa_test_json_string (vm, "reason"), ==,
                   "a domain named \"dom0\" runs on the host already: give the VM another name");
  g_assert_cmpstr (xa_test_json_string (xa_test_json_vm_named (summary, "web"), "state"), ==,
                   "running");
  xa_test_run_xadmit (&host, "host", "--host", spec, "--sim-state", state, "--json", NULL);
  g_assert_cmpstr (host.err, ==, "");
  g_assert_cmpint (host.status, ==, 0);
  shown = xa_test_json_parse (host.out);
  g_assert_cmpuint (json_array_size (json_object_get (shown, "domains")), ==, 2);
}

/* A boot cut short leaves its VMs queued; booting another manifest on the
 * same host says how many wait, of which manifest, and how to start them. */
static void
test_cli_boot_says_what_other_manifests_leave_waiting (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autoptr(json_t) before = boot_leaving_some_waiting (dir);
  g_auto(XaTestRun) other = { 0 };
  g_autofree gchar *told = NULL;

  xa_test_boot_on_kept_host (&other, dir, "two-big.json");
  told = g_strdup_printf ("xadmit boot: %" JSON_INTEGER_FORMAT " requests of other manifests "
                          "(mixed-priorities.json) wait for this host and will not be started "
                          "by this boot: boot those manifests again to start them\n",
                          xa_test_json_int (before, "deferred"));
  g_assert_nonnull (strstr (other.err, told));
}

/* The "left" column of a boot's node table: each node's memory as the
 * host shows it at the end, here after something outside xadmit took 30
 * GiB of node 0 mid-run (start-free minus placed would say 36834). */
static void
test_cli_boot_left_is_what_the_host_shows (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *spec = xa_test_host_spec ("2node-take.json");
  g_autofree gchar *manifest = xa_test_data_path ("manifests", "two-big.json");
  g_autofree gchar *state = xa_test_state_path (dir);
  g_auto(XaTestRun) boot = { 0 };
  g_auto(XaTestRun) host = { 0 };
  g_autoptr(json_t) shown = NULL;
  g_autofree gchar *table = NULL;
  json_t *node;
  gsize n;

  xa_test_boot_kept (&boot, dir, "2node-take.json", manifest, FALSE);
  g_assert_cmpint (boot.status, ==, 0);
  xa_test_run_xadmit (&host, "host", "--host", spec, "--sim-state", state, "--json", NULL);
  g_assert_cmpint (host.status, ==, 0);
  shown = xa_test_json_parse (host.out);
  table = g_strdup (strstr (boot.out, "\nnode "));
  g_assert_nonnull (table);
  json_array_foreach (json_object_get (shown, "nodes"), n, node) {
    g_autofree gchar *prefix = g_strdup_printf ("\n%-5" G_GSIZE_FORMAT " ", n);
    const gchar *line = strstr (table, prefix);
    guint64 free_mib = 0, placed = 0, left = 0;

    g_assert_nonnull (line);
    g_assert_cmpint (sscanf (line + strlen (prefix), "%" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
                             " %" G_GUINT64_FORMAT, &free_mib, &placed, &left), ==, 3);
    g_assert_cmpuint (left, ==, (guint64) xa_test_json_int (node, "free"));
  }
  g_assert_nonnull (strstr (table, "\n0          61440      24606       6114\n"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cli/boot/again-leaves-running-vms-alone",
                   test_cli_boot_again_leaves_running_vms_alone);
  g_test_add_func ("/cli/boot/left-is-what-the-host-shows",
                   test_cli_boot_left_is_what_the_host_shows);
  g_test_add_func ("/cli/boot/says-what-other-manifests-leave-waiting",
                   test_cli_boot_says_what_other_manifests_leave_waiting);
  g_test_add_func ("/cli/boot/again-says-what-changed", test_cli_boot_again_says_what_changed);
  g_test_add_func ("/cli/boot/rejects-a-name-the-host-has",
                   test_cli_boot_rejects_a_name_the_host_has);
  return g_test_run ();
}
