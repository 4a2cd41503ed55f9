/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Inputs at the limits, within bounded memory and time, and Valgrind's
 * memcheck over a storm: the slow suite only (-m slow), each path alone,
 * so that the peak resident memory of its children is its own. */
#include <gio/gio.h>
#include <sys/resource.h>

#include "xa-test-cli.h"
#include "xa-test-util.h"

#define MiB_BYTES (1024 * 1024)

/* The peak resident memory of any child this process waited for, in MiB. */
static glong
children_peak_rss_mib (void)
{
  struct rusage usage;

  g_assert_cmpint (getrusage (RUSAGE_CHILDREN, &usage), ==, 0);
  return usage.ru_maxrss / 1024;
}

/* The figures are the plain build's: a sanitizer takes several times the
 * memory, and Valgrind cannot run beside it. */
static gboolean
skip_under_sanitizers (void)
{
#if defined(__SANITIZE_ADDRESS__)
  g_test_skip ("measured on the plain build, not under AddressSanitizer");
  return TRUE;
#else
  return FALSE;
#endif
}

/* A manifest of exactly @size bytes: VMs of 16 MiB as long as they fit,
 * then spaces. */
static gchar *
write_manifest_of_size (const XaTestDir *dir, const gchar *file, gsize size, guint *out_vms)
{
  g_autoptr(GString) text = g_string_sized_new (size);
  const gsize tail = 2;

  g_string_append (text, "{\"vms\": [");
  for (guint i = 0;; i++) {
    g_autofree gchar *vm = g_strdup_printf ("%s{\"name\": \"vm-%07u\", \"memory\": \"16MiB\", "
                                            "\"vcpus\": 1}", i > 0 ? ", " : "", i);

    if (text->len + strlen (vm) + tail > size) {
      *out_vms = i;
      break;
    }
    g_string_append (text, vm);
  }
  g_string_append (text, "]}");
  while (text->len < size)
    g_string_append_c (text, ' ');
  return xa_test_dir_write (dir, file, text->str);
}

/* 64 MiB, the most xadmit reads, is planned (1.2 million VMs); a byte
 * more is refused before anything is read. */
static void
test_limits_manifest_at_the_size_cap (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *at_cap = NULL;
  g_autofree gchar *over = NULL;
  g_autoptr(GTimer) timer = NULL;
  g_auto(XaTestRun) plan = { 0 };
  g_auto(XaTestRun) refused = { 0 };
  guint n_vms = 0;

  if (skip_under_sanitizers ())
    return;
  at_cap = write_manifest_of_size (dir, "cap.json", 64 * MiB_BYTES, &n_vms);
  over = write_manifest_of_size (dir, "over.json", 64 * MiB_BYTES + 1, &n_vms);
  timer = g_timer_new ();
  xa_test_run_xadmit (&plan, "plan", at_cap, "--host", "sim", "-q", NULL);
  g_test_message ("plan of a 64 MiB manifest (%u VMs): %.1f s, peak RSS %ld MiB", n_vms,
                  g_timer_elapsed (timer, NULL), children_peak_rss_mib ());
  /* the default host holds the first 15,000 or so; the rest wait */
  g_assert_cmpint (plan.status, ==, 3);
  g_assert_cmpstr (plan.err, ==, "");
  g_assert_cmpint (children_peak_rss_mib (), <, 1536);
  xa_test_run_xadmit (&refused, "plan", over, "--host", "sim", NULL);
  xa_test_run_assert_error (&refused, 2, "it holds more than 64 MiB, the most xadmit reads");
}

/* 100,000 VMs planned on a 64-node host, the JSON summary included: it
 * is written a VM at a time, so it costs no more memory than the plan. */
static void
test_limits_100000_vms_on_64_nodes (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *manifest = xa_test_write_many_vms (dir, "vm", 100000, "128MiB");
  g_autofree gchar *host = xa_test_host_spec ("64node.json");
  g_autoptr(GTimer) timer = NULL;
  g_autoptr(json_t) summary = NULL;
  g_auto(XaTestRun) plan = { 0 };
  gdouble wall_s;

  if (skip_under_sanitizers ())
    return;
  timer = g_timer_new ();
  xa_test_run_xadmit (&plan, "plan", manifest, "--host", host, "-q", "--json", NULL);
  wall_s = g_timer_elapsed (timer, NULL);
  g_test_message ("plan --json of 100,000 VMs on 64 nodes: %.1f s, peak RSS %ld MiB, %zu MiB "
                  "of JSON", wall_s, children_peak_rss_mib (), strlen (plan.out) / MiB_BYTES);
  g_assert_cmpint (plan.status, ==, 0);
  summary = xa_test_json_parse (plan.out);
  g_assert_cmpint (xa_test_json_int (summary, "planned"), ==, 100000);
  g_assert_cmpint (xa_test_json_int (summary, "local"), ==, 100000);
  g_assert_cmpint (children_peak_rss_mib (), <, 512);
  g_assert_cmpfloat (wall_s, <, 120);
}

/* Memcheck over a boot of 300 VMs on the simulated host, its state kept:
 * no invalid access, no use of uninitialised memory, no definite leak. */
static void
test_limits_valgrind_over_a_storm (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *valgrind = g_find_program_in_path ("valgrind");
  g_autofree gchar *manifest = xa_test_data_path ("manifests", "storm-300.json");
  g_autofree gchar *host = xa_test_host_spec ("8node.json");
  g_autofree gchar *db = xa_test_ledger_path (dir);
  g_autofree gchar *state = xa_test_state_path (dir);
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *err = NULL;

  if (skip_under_sanitizers ())
    return;
  if (valgrind == NULL) {
    g_test_skip ("valgrind is not installed (apt-get install valgrind)");
    return;
  }
  proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                           &error, valgrind, "-q", "--leak-check=full", "--error-exitcode=99",
                           "--errors-for-leak-kinds=definite", g_getenv ("XADMIT"), "boot",
                           manifest, "--host", host, "--sim-state", state, "--db", db, "-q",
                           NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (proc, NULL, NULL, NULL, &err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (proc));
  if (g_subprocess_get_exit_status (proc) == 99)
    g_error ("memcheck found errors:\n%s", err);
  /* a storm too large for the host: some wait, so 3 */
  g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 3);
  g_assert_null (strstr (err, "definitely lost"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cli/limits/manifest-at-the-size-cap", test_limits_manifest_at_the_size_cap);
  g_test_add_func ("/cli/limits/100000-vms-on-64-nodes", test_limits_100000_vms_on_64_nodes);
  g_test_add_func ("/cli/limits/valgrind-over-a-storm", test_limits_valgrind_over_a_storm);
  return g_test_run ();
}
