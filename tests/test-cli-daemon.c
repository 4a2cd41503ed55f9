/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gio/gio.h>
#include <signal.h>
#include <string.h>

#include "xa-test-cli.h"
#include "xa-test-scheduler.h"
#include "xa-wake.h"

/* The built xadmit daemon on a kept simulated host: the test queues work
 * in its ledger as another process would, rings it, and reads the ledger
 * and the daemon's stderr lines to know what it did. */

/* How long the test waits for the ledger to say what it expects. */
#define XA_TEST_DAEMON_PATIENCE_US (30 * G_TIME_SPAN_SECOND)

typedef struct {
  XaTestDir *dir;
  gchar *db;
  gchar *state;
  gchar *spec;
  GSubprocess *proc;
  GDataInputStream *err;
  /* every line it said on stderr so far */
  GString *said;
  /* the test's own connection to the ledger, and the host there */
  XaStore *store;
  gint64 host_id;
} XaTestDaemon;

static void
daemon_set_up (XaTestDaemon *d, gconstpointer data)
{
  d->dir = xa_test_dir_new ();
  d->db = xa_test_ledger_path (d->dir);
  d->state = xa_test_state_path (d->dir);
  d->spec = xa_test_host_spec ("4node.json");
  d->said = g_string_new (NULL);
}

/* A daemon a failed test left behind goes with it. */
static void
daemon_tear_down (XaTestDaemon *d, gconstpointer data)
{
  if (d->proc != NULL) {
    g_subprocess_force_exit (d->proc);
    g_subprocess_wait (d->proc, NULL, NULL);
  }
  g_clear_object (&d->err);
  g_clear_object (&d->proc);
  g_clear_pointer (&d->store, xa_store_free);
  g_string_free (d->said, TRUE);
  g_free (d->spec);
  g_free (d->state);
  g_free (d->db);
  xa_test_dir_free (d->dir);
}

/* Reads its stderr up to a line that starts with @prefix. */
static void
daemon_read_until (XaTestDaemon *d, const gchar *prefix)
{
  for (;;) {
    g_autoptr(GError) error = NULL;
    g_autofree gchar *line = g_data_input_stream_read_line_utf8 (d->err, NULL, NULL, &error);

    g_assert_no_error (error);
    if (line == NULL)
      g_error ("it ended before it said \"%s\"; it said:\n%s", prefix, d->said->str);
    g_string_append_printf (d->said, "%s\n", line);
    if (g_str_has_prefix (line, prefix))
      return;
  }
}

/* Starts xadmit daemon on the kept host, its clock @speed times the
 * wall's, and waits until it admits. */
static void
daemon_start (XaTestDaemon *d, const gchar *speed)
{
  const gchar *argv[] = { g_getenv ("XADMIT"), "daemon", "--host", d->spec, "--sim-state",
                          d->state, "--db", d->db, "--sim-speed", speed, NULL };
  g_autoptr(GError) error = NULL;

  g_assert_null (d->proc);
  d->proc = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                     G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  d->err = g_data_input_stream_new (g_subprocess_get_stderr_pipe (d->proc));
  daemon_read_until (d, "xadmit daemon: pid ");
}

static void
daemon_signal (XaTestDaemon *d, gint signum)
{
  pid_t pid = (pid_t) g_ascii_strtoll (g_subprocess_get_identifier (d->proc), NULL, 10);

  g_assert_cmpint (kill (pid, signum), ==, 0);
}

/* Reads what is left of its stderr, waits for it: its exit status, or
 * 128 and the signal that killed it. */
static gint
daemon_wait (XaTestDaemon *d)
{
  g_autoptr(GError) error = NULL;
  gint status;

  for (;;) {
    g_autofree gchar *line = g_data_input_stream_read_line_utf8 (d->err, NULL, NULL, &error);

    g_assert_no_error (error);
    if (line == NULL)
      break;
    g_string_append_printf (d->said, "%s\n", line);
  }
  g_assert_true (g_subprocess_wait (d->proc, NULL, &error));
  g_assert_no_error (error);
  status = g_subprocess_get_if_signaled (d->proc) ? 128 + g_subprocess_get_term_sig (d->proc)
                                                  : g_subprocess_get_exit_status (d->proc);
  g_clear_object (&d->err);
  g_clear_object (&d->proc);
  return status;
}

/* The ledger and the host in it, as a submitter finds them: the host's
 * UUID is in its state file, which the daemon wrote before it admits. */
static void
daemon_open_ledger (XaTestDaemon *d)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(XaHost) host = xa_host_open (d->spec, d->state, &error);
  g_autoptr(XaHostInfo) info = NULL;
  g_autofree gchar *key = NULL;
  XaStoreTime now = { g_get_real_time (), 0 };

  g_assert_no_error (error);
  info = xa_host_snapshot (host, &error);
  g_assert_no_error (error);
  key = g_strdup_printf ("sim:%s", info->uuid);
  d->store = xa_store_open (d->db, &error);
  g_assert_no_error (error);
  g_assert_true (xa_store_ensure_host (d->store, key, info->name, "sim", info->n_nodes, now,
                                       &d->host_id, &error));
  g_assert_no_error (error);
}

/* Queues @count VMs of @gib GiB named @prefix-N, then rings: whether a
 * daemon heard. */
static gboolean
daemon_queue (XaTestDaemon *d, const gchar *prefix, guint count, guint64 gib)
{
  g_autoptr(GPtrArray) requests = xa_test_requests_new ();
  g_autoptr(GError) error = NULL;
  XaStoreTime now = { g_get_real_time (), 0 };

  if (d->store == NULL)
    daemon_open_ledger (d);
  for (guint i = 0; i < count; i++) {
    g_autofree gchar *name = g_strdup_printf ("%s-%u", prefix, i);

    xa_test_add_vm (requests, name, gib * GiB, 1);
  }
  g_assert_true (xa_store_submit (d->store, d->host_id, "test", requests, NULL, now, NULL,
                                  &error));
  g_assert_no_error (error);
  return xa_wake_ring (d->db);
}

static guint
daemon_count_in (XaTestDaemon *d, XaRequestState state)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) requests = xa_store_list_requests (d->store, d->host_id, state, &error);

  g_assert_no_error (error);
  return requests->len;
}

static gboolean
daemon_tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* Waits until the ledger has @count requests in @state, looking again
 * every 10 ms, for XA_TEST_DAEMON_PATIENCE_US at most. */
static void
daemon_wait_for (XaTestDaemon *d, XaRequestState state, guint count)
{
  gint64 deadline = g_get_monotonic_time () + XA_TEST_DAEMON_PATIENCE_US;
  guint tick = g_timeout_add (10, daemon_tick, NULL);

  while (daemon_count_in (d, state) < count) {
    if (g_get_monotonic_time () > deadline)
      g_error ("the ledger never had %u %s requests; the daemon said:\n%s", count,
               xa_request_state_to_string (state), d->said->str);
    g_main_context_iteration (NULL, TRUE);
  }
  g_source_remove (tick);
}

/* After the daemon: nothing in flight, no claim left, each running VM's
 * memory where the host has it. */
static void
daemon_assert_ledger_matches_host (XaTestDaemon *d)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(XaHost) host = xa_host_open (d->spec, d->state, &error);
  XaTestScheduler f = { .host = host, .store = d->store, .host_id = d->host_id };

  g_assert_no_error (error);
  xa_test_scheduler_assert_ledger_matches_host (&f);
}

/* Requests queued while it runs are admitted; SIGHUP re-reads the host and
 * goes on; SIGTERM ends it, 0. */
static void
test_cli_daemon_admits_what_is_queued (XaTestDaemon *d, gconstpointer data)
{
  daemon_start (d, "10000");
  g_assert_true (daemon_queue (d, "web", 3, 4));
  daemon_wait_for (d, XA_REQUEST_RUNNING, 3);
  g_assert_true (daemon_queue (d, "db", 2, 8));
  daemon_wait_for (d, XA_REQUEST_RUNNING, 5);
  daemon_signal (d, SIGHUP);
  daemon_read_until (d, "xadmit daemon: SIGHUP: read the host \"epyc-4n\" again: 4 nodes, ");
  daemon_signal (d, SIGTERM);
  g_assert_cmpint (daemon_wait (d), ==, 0);
  g_assert_nonnull (strstr (d->said->str, "xadmit daemon: stopped; of the 5 requests it took, "
                                          "5 run,"));
  g_assert_cmpuint (daemon_count_in (d, XA_REQUEST_RUNNING), ==, 5);
  daemon_assert_ledger_matches_host (d);
}

/* Starts a daemon at @speed and queues a VM of 16 GiB: its build takes 8 s
 * of the host's clock, divided by @speed. Returns once it builds. */
static void
daemon_start_building (XaTestDaemon *d, const gchar *speed)
{
  daemon_start (d, speed);
  g_assert_true (daemon_queue (d, "big", 1, 16));
  daemon_wait_for (d, XA_REQUEST_BUILDING, 1);
}

/* One SIGTERM during a build: it admits nothing more, the build finishes,
 * exit 0. */
static void
test_cli_daemon_lets_builds_finish (XaTestDaemon *d, gconstpointer data)
{
  daemon_start_building (d, "10");
  daemon_signal (d, SIGTERM);
  g_assert_cmpint (daemon_wait (d), ==, 0);
  g_assert_nonnull (strstr (d->said->str, "letting the builds under way finish"));
  g_assert_cmpuint (daemon_count_in (d, XA_REQUEST_RUNNING), ==, 1);
  daemon_assert_ledger_matches_host (d);
}

/* Two SIGTERMs during a build: the half-built domain goes, its claim is
 * released, exit 130. */
static void
test_cli_daemon_second_signal_destroys_builds (XaTestDaemon *d, gconstpointer data)
{
  daemon_start_building (d, "1");
  daemon_signal (d, SIGTERM);
  /* a second SIGTERM before the first is taken would be merged with it */
  daemon_read_until (d, "xadmit daemon: interrupted: ");
  daemon_signal (d, SIGTERM);
  g_assert_cmpint (daemon_wait (d), ==, 130);
  g_assert_nonnull (strstr (d->said->str, "destroying the domains being built"));
  g_assert_cmpuint (daemon_count_in (d, XA_REQUEST_CANCELLED), ==, 1);
  daemon_assert_ledger_matches_host (d);
}

/* xadmit cancel of @name on the daemon's host and ledger, into @run. */
static void
daemon_cancel (XaTestDaemon *d, XaTestRun *run, const gchar *name)
{
  xa_test_run_xadmit (run, "cancel", "--host", d->spec, "--sim-state", d->state, "--db", d->db,
                      name, NULL);
}

/* A build in flight is stopped by the daemon when cancel rings it; a VM
 * the daemon holds deferred is cancelled at once and dropped; a running VM
 * is left alone, exit 1, and a name nobody has is exit 2. */
static void
test_cli_daemon_cancels_in_each_state (XaTestDaemon *d, gconstpointer data)
{
  g_auto(XaTestRun) building = { 0 };
  g_auto(XaTestRun) deferred = { 0 };
  g_auto(XaTestRun) running = { 0 };
  g_auto(XaTestRun) unknown = { 0 };

  daemon_start_building (d, "1");
  /* more than the four nodes have beside the build: it waits while the
   * build holds its memory, so it is cancelled first */
  g_assert_true (daemon_queue (d, "huge", 1, 250));
  daemon_cancel (d, &deferred, "huge-0");
  g_assert_cmpint (deferred.status, ==, 0);
  g_assert_cmpstr (deferred.out, ==, "huge-0: cancelled (it was queued)\n");
  daemon_cancel (d, &building, "big-0");
  g_assert_cmpint (building.status, ==, 0);
  g_assert_cmpstr (building.out, ==, "big-0: building: its admitter stops the build, destroys "
                                     "its domain and releases its claim\n");
  daemon_wait_for (d, XA_REQUEST_CANCELLED, 2);
  g_assert_true (daemon_queue (d, "small", 1, 1));
  daemon_wait_for (d, XA_REQUEST_RUNNING, 1);
  daemon_cancel (d, &running, "small-0");
  g_assert_cmpint (running.status, ==, 1);
  g_assert_nonnull (strstr (running.err, "small-0: it is running: xadmit leaves a running VM "
                                         "alone (xl destroy stops it)"));
  daemon_cancel (d, &unknown, "nobody");
  g_assert_cmpint (unknown.status, ==, 2);
  daemon_signal (d, SIGTERM);
  g_assert_cmpint (daemon_wait (d), ==, 0);
  g_assert_nonnull (strstr (d->said->str, "big-0: cancelled while it was being built: its "
                                          "half-built domain was destroyed"));
  daemon_assert_ledger_matches_host (d);
}

/* A manifest of @count VMs of 512 MiB named @prefix-N in the test's
 * directory. */
static gchar *
daemon_write_manifest (XaTestDaemon *d, const gchar *prefix, guint count)
{
  g_autoptr(GString) text = g_string_new ("{\"vms\": [");
  g_autofree gchar *file = g_strdup_printf ("%s.json", prefix);

  for (guint i = 0; i < count; i++)
    g_string_append_printf (text, "%s{\"name\": \"%s-%u\", \"memory\": 512, \"vcpus\": 1}",
                            i > 0 ? ", " : "", prefix, i);
  g_string_append (text, "]}");
  return xa_test_dir_write (d->dir, file, text->str);
}

/* Eight xadmit submit at once while the daemon admits: each exits 0 with
 * nothing on stderr (no busy database), and the daemon runs every VM once. */
static void
test_cli_daemon_many_submitters (XaTestDaemon *d, gconstpointer data)
{
  g_autoptr(GPtrArray) procs = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;

  daemon_start (d, "10000");
  for (guint k = 0; k < 8; k++) {
    g_autofree gchar *prefix = g_strdup_printf ("s%u", k);
    g_autofree gchar *manifest = daemon_write_manifest (d, prefix, 25);

    g_ptr_array_add (procs, g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                              G_SUBPROCESS_FLAGS_STDERR_PIPE, &error,
                                              g_getenv ("XADMIT"), "submit", manifest, "-q",
                                              "--host", d->spec, "--sim-state", d->state,
                                              "--db", d->db, NULL));
    g_assert_no_error (error);
  }
  for (guint k = 0; k < procs->len; k++) {
    g_autofree gchar *err = NULL;

    g_subprocess_communicate_utf8 (g_ptr_array_index (procs, k), NULL, NULL, NULL, &err,
                                   &error);
    g_assert_no_error (error);
    g_assert_cmpstr (err, ==, "");
    g_assert_cmpint (g_subprocess_get_exit_status (g_ptr_array_index (procs, k)), ==, 0);
  }
  daemon_open_ledger (d);
  daemon_wait_for (d, XA_REQUEST_RUNNING, 200);
  g_assert_cmpuint (daemon_count_in (d, XA_REQUEST_RUNNING), ==, 200);
  daemon_signal (d, SIGTERM);
  g_assert_cmpint (daemon_wait (d), ==, 0);
  daemon_assert_ledger_matches_host (d);
}

/* A cancel asked of a build while no daemon runs (it was killed): the
 * next daemon destroys the half-built domain and cancels the request. */
static void
test_cli_daemon_cancel_carried_out_at_restart (XaTestDaemon *d, gconstpointer data)
{
  g_auto(XaTestRun) run = { 0 };

  daemon_start_building (d, "1");
  daemon_signal (d, SIGKILL);
  g_assert_cmpint (daemon_wait (d), ==, 128 + SIGKILL);
  daemon_cancel (d, &run, "big-0");
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.err, "no daemon is running for this ledger"));
  daemon_start (d, "10000");
  daemon_wait_for (d, XA_REQUEST_CANCELLED, 1);
  g_assert_cmpuint (daemon_count_in (d, XA_REQUEST_QUEUED), ==, 0);
  daemon_signal (d, SIGTERM);
  g_assert_cmpint (daemon_wait (d), ==, 0);
  daemon_assert_ledger_matches_host (d);
}

/* Killed during a build, restarted: the half-built domain goes and its VM
 * is built again, with those queued while no daemon ran. */
static void
test_cli_daemon_recovers_after_a_kill (XaTestDaemon *d, gconstpointer data)
{
  daemon_start_building (d, "1");
  daemon_signal (d, SIGKILL);
  g_assert_cmpint (daemon_wait (d), ==, 128 + SIGKILL);
  /* nobody answers: the work waits in the ledger */
  g_assert_false (daemon_queue (d, "small", 2, 1));
  daemon_start (d, "10000");
  g_assert_nonnull (strstr (d->said->str, "xadmit daemon: after a restart: 0 builds had "
                                          "finished, 1 had stopped half-way"));
  daemon_wait_for (d, XA_REQUEST_RUNNING, 3);
  daemon_signal (d, SIGTERM);
  g_assert_cmpint (daemon_wait (d), ==, 0);
  daemon_assert_ledger_matches_host (d);
}

/* A boot killed after its first batch leaves its other VMs queued, and
 * builds half-done or not begun: a daemon on its host reconciles, then
 * admits every one of them. The boot's -v lines fill the pipe the test
 * stops reading, so it cannot end before it is killed. */
static void
test_cli_daemon_admits_what_a_killed_boot_left (XaTestDaemon *d, gconstpointer data)
{
  g_autofree gchar *manifest = xa_test_write_many_vms (d->dir, 2000, "32MiB");
  const gchar *argv[] = { g_getenv ("XADMIT"), "boot", manifest, "--host", d->spec,
                          "--sim-state", d->state, "--db", d->db, "-v", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) boot = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                                         G_SUBPROCESS_FLAGS_STDERR_PIPE,
                                                   &error);

  g_assert_no_error (error);
  /* its debug lines, read as the daemon's are */
  d->err = g_data_input_stream_new (g_subprocess_get_stderr_pipe (boot));
  daemon_read_until (d, "xadmit boot: batch 1: ");
  g_subprocess_force_exit (boot);
  g_assert_true (g_subprocess_wait (boot, NULL, &error));
  g_assert_true (g_subprocess_get_if_signaled (boot));
  g_clear_object (&d->err);
  daemon_start (d, "10000");
  g_assert_nonnull (strstr (d->said->str, "xadmit daemon: after a restart: "));
  daemon_open_ledger (d);
  daemon_wait_for (d, XA_REQUEST_RUNNING, 2000);
  daemon_signal (d, SIGTERM);
  g_assert_cmpint (daemon_wait (d), ==, 0);
  g_assert_nonnull (strstr (d->said->str, " run, 0 failed"));
  daemon_assert_ledger_matches_host (d);
}

/* Runs xadmit with @args (up to %NULL): it must fail with @status, in
 * one line naming the daemon's pid and command. */
static void
assert_refused_by_daemon (XaTestDaemon *d, const gchar *what, ...)
{
  g_autofree gchar *holder = g_strdup_printf ("process %s (xadmit daemon) admits for %s",
                                              g_subprocess_get_identifier (d->proc), what);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_auto(XaTestRun) run = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) proc = NULL;
  va_list ap;

  g_ptr_array_add (argv, (gpointer) g_getenv ("XADMIT"));
  va_start (ap, what);
  for (const gchar *arg = va_arg (ap, const gchar *); arg != NULL; arg = va_arg (ap, const gchar *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  proc = g_subprocess_newv ((const gchar *const *) argv->pdata,
                            G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                            &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (proc, NULL, NULL, &run.out, &run.err, &error));
  g_assert_no_error (error);
  run.status = g_subprocess_get_exit_status (proc);
  xa_test_run_assert_error (&run, 1, holder);
}

/* One admitter: a second daemon, or a boot, on its host or its ledger is
 * refused, told which process holds it. */
static void
test_cli_daemon_one_admitter (XaTestDaemon *d, gconstpointer data)
{
  g_autofree gchar *manifest = xa_test_data_path ("manifests", "demo.json");
  g_autofree gchar *host = g_strdup_printf ("the simulated host in %s", d->state);
  g_autofree gchar *ledger = g_strdup_printf ("the ledger %s", d->db);

  daemon_start (d, "100");
  assert_refused_by_daemon (d, host, "daemon", "--host", d->spec, "--sim-state", d->state,
                            "--db", d->db, NULL);
  assert_refused_by_daemon (d, ledger, "daemon", "--host", d->spec, "--db", d->db, NULL);
  assert_refused_by_daemon (d, host, "boot", manifest, "--host", d->spec, "--sim-state",
                            d->state, "--db", d->db, NULL);
  assert_refused_by_daemon (d, ledger, "boot", manifest, "--host", d->spec, "--db", d->db,
                            NULL);
  daemon_signal (d, SIGTERM);
  g_assert_cmpint (daemon_wait (d), ==, 0);
}

/* While a boot holds the host and the ledger, a daemon is refused, told
 * which process and command holds them. The boot holds them until it has
 * printed its summary, which the test leaves unread meanwhile. */
static void
test_cli_daemon_refused_while_a_boot_runs (XaTestDaemon *d, gconstpointer data)
{
  g_autofree gchar *manifest = xa_test_write_many_vms (d->dir, 2000, "32MiB");
  const gchar *argv[] = { g_getenv ("XADMIT"), "boot", manifest, "--host", d->spec,
                          "--sim-state", d->state, "--db", d->db, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) boot = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                         G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                                                   &error);
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree gchar *first = NULL;
  g_autofree gchar *holder = NULL;
  g_auto(XaTestRun) run = { 0 };
  guint lines = 1;

  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (boot));
  first = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (first);
  holder = g_strdup_printf ("process %s (xadmit boot) admits for the simulated host in %s",
                            g_subprocess_get_identifier (boot), d->state);
  xa_test_run_xadmit (&run, "daemon", "--host", d->spec, "--sim-state", d->state, "--db", d->db,
                      NULL);
  xa_test_run_assert_error (&run, 1, holder);
  for (gchar *line; (line = g_data_input_stream_read_line (out, NULL, NULL, &error)) != NULL;
       lines++)
    g_free (line);
  g_assert_no_error (error);
  g_assert_cmpuint (lines, >, 2000);
  g_assert_true (g_subprocess_wait (boot, NULL, &error));
  g_assert_cmpint (g_subprocess_get_exit_status (boot), ==, 0);
}

/* Bad options: exit 2, one sentence, nothing started. */
static void
test_cli_daemon_refuses_bad_options (void)
{
  xa_test_xadmit_fails (2, "--sim-speed: \"0\" is not a speed above 0", "daemon",
                        "--sim-speed", "0", NULL);
  xa_test_xadmit_fails (2, "--sim-speed: \"-5\" is not a speed above 0", "daemon",
                        "--sim-speed", "-5", NULL);
  xa_test_xadmit_fails (2, "--sim-speed: \"inf\" is not a speed above 0", "daemon",
                        "--sim-speed", "inf", NULL);
  xa_test_xadmit_fails (2, "--sim-speed: \"fast\" is not a speed above 0", "daemon",
                        "--sim-speed", "fast", NULL);
  xa_test_xadmit_fails (2, "Unknown option --frobnicate", "daemon", "--frobnicate", NULL);
  xa_test_xadmit_fails (2, "--max-batch: 0 is not between 1 and", "daemon", "--max-batch", "0",
                        NULL);
  xa_test_xadmit_fails (2, "unexpected argument \"demo.json\"", "daemon", "demo.json", NULL);
}

static void
add_daemon_test (const gchar *path, void (*func) (XaTestDaemon *d, gconstpointer data))
{
  g_test_add (path, XaTestDaemon, NULL, daemon_set_up, func, daemon_tear_down);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  add_daemon_test ("/cli/daemon/admits-what-is-queued", test_cli_daemon_admits_what_is_queued);
  add_daemon_test ("/cli/daemon/lets-builds-finish", test_cli_daemon_lets_builds_finish);
  add_daemon_test ("/cli/daemon/second-signal-destroys-builds",
                   test_cli_daemon_second_signal_destroys_builds);
  add_daemon_test ("/cli/daemon/recovers-after-a-kill", test_cli_daemon_recovers_after_a_kill);
  add_daemon_test ("/cli/daemon/admits-what-a-killed-boot-left",
                   test_cli_daemon_admits_what_a_killed_boot_left);
  add_daemon_test ("/cli/daemon/one-admitter", test_cli_daemon_one_admitter);
  add_daemon_test ("/cli/daemon/cancels-in-each-state", test_cli_daemon_cancels_in_each_state);
  add_daemon_test ("/cli/daemon/many-submitters", test_cli_daemon_many_submitters);
  add_daemon_test ("/cli/daemon/cancel-carried-out-at-restart",
                   test_cli_daemon_cancel_carried_out_at_restart);
  add_daemon_test ("/cli/daemon/refused-while-a-boot-runs",
                   test_cli_daemon_refused_while_a_boot_runs);
  g_test_add_func ("/cli/daemon/refuses-bad-options", test_cli_daemon_refuses_bad_options);
  return g_test_run ();
}
