/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gio/gio.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "xa-notify.h"
#include "xa-test-cli.h"
#include "xa-test-daemon.h"

/* xadmit daemon, spawned on a kept simulated host (xa-test-daemon.c). */

/* Requests queued while it runs are admitted; SIGHUP re-reads the host and
 * goes on; SIGTERM ends it, 0. */
static void
test_cli_daemon_admits_what_is_queued (XaTestDaemon *d, gconstpointer data)
{
  xa_test_daemon_start (d, "10000");
  g_assert_true (xa_test_daemon_queue (d, "web", 3, 4));
  xa_test_daemon_wait_for (d, XA_REQUEST_RUNNING, 3);
  g_assert_true (xa_test_daemon_queue (d, "db", 2, 8));
  xa_test_daemon_wait_for (d, XA_REQUEST_RUNNING, 5);
  xa_test_daemon_signal (d, SIGHUP);
  xa_test_daemon_read_until (d, "xadmit daemon: SIGHUP: read the host \"epyc-4n\" again: 4 nodes, ");
  xa_test_daemon_signal (d, SIGTERM);
  g_assert_cmpint (xa_test_daemon_wait (d), ==, 0);
  g_assert_nonnull (strstr (d->said->str, "xadmit daemon: stopped; of the 5 requests it took, "
                                          "5 run,"));
  g_assert_cmpuint (xa_test_daemon_count_in (d, XA_REQUEST_RUNNING), ==, 5);
  xa_test_daemon_assert_ledger_matches_host (d);
}

/* SIGHUP reads the configuration file again under the command line: what
 * the scheduler runs with changes, what the daemon opened at its start
 * waits for the next, and a bad file changes nothing. */
static void
test_cli_daemon_hangup_reads_the_configuration (XaTestDaemon *d, gconstpointer data)
{
  g_autofree gchar *conf = xa_test_dir_write (d->dir, "xadmit.conf",
                                              "[xadmit]\nmax-batch = 8\nretries = 1\n");
  const gchar *options[] = { "--config", conf, "--retries", "3", NULL };

  d->options = options;
  xa_test_daemon_start (d, "10000");
  g_assert_true (g_file_set_contents (conf,
                                      "[xadmit]\nmax-batch = 4\nretries = 0\nwindow-ms = 50\n"
                                      "workers = 2\n",
                                      -1, NULL));
  xa_test_daemon_signal (d, SIGHUP);
  /* the command line's --retries 3 stays over the file's */
  xa_test_daemon_read_until (d, "xadmit daemon: SIGHUP: read the configuration again: "
                                "max-batch 4 (was 8), window-ms 50 (was 200)");
  xa_test_daemon_read_until (d, "xadmit daemon: SIGHUP: workers 2 (was 0): only when the "
                                "daemon starts again");
  g_assert_true (g_file_set_contents (conf, "[xadmit]\nwindow-ms = fast\n", -1, NULL));
  xa_test_daemon_signal (d, SIGHUP);
  xa_test_daemon_read_until (d, "xadmit daemon: SIGHUP: the configuration is not taken, nothing "
                                "changes: ");
  g_assert_true (xa_test_daemon_queue (d, "web", 2, 4));
  xa_test_daemon_wait_for (d, XA_REQUEST_RUNNING, 2);
  xa_test_daemon_signal (d, SIGTERM);
  g_assert_cmpint (xa_test_daemon_wait (d), ==, 0);
}

/* One SIGTERM during a build: it admits nothing more, the build finishes,
 * exit 0. */
static void
test_cli_daemon_lets_builds_finish (XaTestDaemon *d, gconstpointer data)
{
  xa_test_daemon_start_building (d, "10");
  xa_test_daemon_signal (d, SIGTERM);
  g_assert_cmpint (xa_test_daemon_wait (d), ==, 0);
  g_assert_nonnull (strstr (d->said->str, "letting the builds under way finish"));
  g_assert_cmpuint (xa_test_daemon_count_in (d, XA_REQUEST_RUNNING), ==, 1);
  xa_test_daemon_assert_ledger_matches_host (d);
}

/* Two SIGTERMs during a build: the half-built domain goes, its claim is
 * released, exit 130. */
static void
test_cli_daemon_second_signal_destroys_builds (XaTestDaemon *d, gconstpointer data)
{
  xa_test_daemon_start_building (d, "1");
  xa_test_daemon_signal (d, SIGTERM);
  /* a second SIGTERM before the first is taken would be merged with it */
  xa_test_daemon_read_until (d, "xadmit daemon: interrupted: ");
  xa_test_daemon_signal (d, SIGTERM);
  g_assert_cmpint (xa_test_daemon_wait (d), ==, 130);
  g_assert_nonnull (strstr (d->said->str, "destroying the domains being built"));
  g_assert_cmpuint (xa_test_daemon_count_in (d, XA_REQUEST_CANCELLED), ==, 1);
  xa_test_daemon_assert_ledger_matches_host (d);
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

  xa_test_daemon_start_building (d, "1");
  /* more than the four nodes have beside the build: it waits while the
   * build holds its memory, so it is cancelled first */
  g_assert_true (xa_test_daemon_queue (d, "huge", 1, 250));
  daemon_cancel (d, &deferred, "huge-0");
  g_assert_cmpint (deferred.status, ==, 0);
  g_assert_cmpstr (deferred.out, ==, "huge-0: cancelled (it was queued)\n");
  daemon_cancel (d, &building, "big-0");
  g_assert_cmpint (building.status, ==, 0);
  g_assert_cmpstr (building.out, ==, "big-0: building: its admitter stops the build, destroys "
                                     "its domain and releases its claim\n");
  xa_test_daemon_wait_for (d, XA_REQUEST_CANCELLED, 2);
  g_assert_true (xa_test_daemon_queue (d, "small", 1, 1));
  xa_test_daemon_wait_for (d, XA_REQUEST_RUNNING, 1);
  daemon_cancel (d, &running, "small-0");
  g_assert_cmpint (running.status, ==, 1);
  g_assert_nonnull (strstr (running.err, "small-0: it is running: xadmit leaves a running VM "
                                         "alone (xl destroy stops it)"));
  daemon_cancel (d, &unknown, "nobody");
  g_assert_cmpint (unknown.status, ==, 2);
  xa_test_daemon_signal (d, SIGTERM);
  g_assert_cmpint (xa_test_daemon_wait (d), ==, 0);
  g_assert_nonnull (strstr (d->said->str, "big-0: cancelled while it was being built: its "
                                          "half-built domain was destroyed"));
  xa_test_daemon_assert_ledger_matches_host (d);
}

/* A VM that cannot fit beside a build waits --defer-timeout (5 s of the
 * host's clock, counted from its queueing) and then fails, saying why. */
static void
test_cli_daemon_gives_up_after_defer_timeout (XaTestDaemon *d, gconstpointer data)
{
  static const gchar *const options[] = { "--defer-timeout", "5", NULL };
  g_autoptr(GPtrArray) failed = NULL;

  d->options = options;
  xa_test_daemon_start (d, "1000");
  g_assert_true (xa_test_daemon_queue (d, "small", 1, 16));
  xa_test_daemon_wait_for (d, XA_REQUEST_RUNNING, 1);
  g_assert_true (xa_test_daemon_queue (d, "huge", 1, 250));
  xa_test_daemon_wait_for (d, XA_REQUEST_FAILED, 1);
  failed = xa_store_list_requests (d->store, d->host_id, XA_REQUEST_FAILED, NULL);
  g_assert_cmpstr (((XaStoreRequest *) g_ptr_array_index (failed, 0))->req->name, ==, "huge-0");
  g_assert_nonnull (strstr (((XaStoreRequest *) g_ptr_array_index (failed, 0))->reason,
                            "it waited 5 s (--defer-timeout) and memory never came: it needs"));
  xa_test_daemon_signal (d, SIGTERM);
  g_assert_cmpint (xa_test_daemon_wait (d), ==, 0);
}

/* Eight xadmit submit at once while the daemon admits: each exits 0 with
 * nothing on stderr (no busy database), and the daemon runs every VM once. */
static void
test_cli_daemon_many_submitters (XaTestDaemon *d, gconstpointer data)
{
  g_autoptr(GPtrArray) procs = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;

  xa_test_daemon_start (d, "10000");
  for (guint k = 0; k < 8; k++) {
    g_autofree gchar *prefix = g_strdup_printf ("s%u", k);
    g_autofree gchar *manifest = xa_test_write_many_vms (d->dir, prefix, 25, "512MiB");

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
  xa_test_daemon_open_ledger (d);
  xa_test_daemon_wait_for (d, XA_REQUEST_RUNNING, 200);
  g_assert_cmpuint (xa_test_daemon_count_in (d, XA_REQUEST_RUNNING), ==, 200);
  xa_test_daemon_signal (d, SIGTERM);
  g_assert_cmpint (xa_test_daemon_wait (d), ==, 0);
  xa_test_daemon_assert_ledger_matches_host (d);
}

/* A cancel asked of a build while no daemon runs (it was killed): the
 * next daemon destroys the half-built domain and cancels the request. */
static void
test_cli_daemon_cancel_carried_out_at_restart (XaTestDaemon *d, gconstpointer data)
{
  g_auto(XaTestRun) run = { 0 };

  xa_test_daemon_start_building (d, "1");
  xa_test_daemon_signal (d, SIGKILL);
  g_assert_cmpint (xa_test_daemon_wait (d), ==, 128 + SIGKILL);
  daemon_cancel (d, &run, "big-0");
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.err, "no daemon is running for this ledger"));
  xa_test_daemon_start (d, "10000");
  xa_test_daemon_wait_for (d, XA_REQUEST_CANCELLED, 1);
  g_assert_cmpuint (xa_test_daemon_count_in (d, XA_REQUEST_QUEUED), ==, 0);
  xa_test_daemon_signal (d, SIGTERM);
  g_assert_cmpint (xa_test_daemon_wait (d), ==, 0);
  xa_test_daemon_assert_ledger_matches_host (d);
}

/* Killed during a build, restarted: the half-built domain goes and its VM
 * is built again, with those queued while no daemon ran. */
static void
test_cli_daemon_recovers_after_a_kill (XaTestDaemon *d, gconstpointer data)
{
  xa_test_daemon_start_building (d, "1");
  xa_test_daemon_signal (d, SIGKILL);
  g_assert_cmpint (xa_test_daemon_wait (d), ==, 128 + SIGKILL);
  /* nobody answers: the work waits in the ledger */
  g_assert_false (xa_test_daemon_queue (d, "small", 2, 1));
  xa_test_daemon_start (d, "10000");
  g_assert_nonnull (strstr (d->said->str, "xadmit daemon: after a restart: 0 builds had "
                                          "finished, 1 had stopped half-way"));
  xa_test_daemon_wait_for (d, XA_REQUEST_RUNNING, 3);
  xa_test_daemon_signal (d, SIGTERM);
  g_assert_cmpint (xa_test_daemon_wait (d), ==, 0);
  xa_test_daemon_assert_ledger_matches_host (d);
}

/* A boot killed after its first batch leaves its other VMs queued, and
 * builds half-done or not begun: a daemon on its host reconciles, then
 * admits every one of them. The boot's -v lines fill the pipe the test
 * stops reading, so it cannot end before it is killed. */
static void
test_cli_daemon_admits_what_a_killed_boot_left (XaTestDaemon *d, gconstpointer data)
{
  g_autofree gchar *manifest = xa_test_write_many_vms (d->dir, "vm", 2000, "32MiB");
  const gchar *argv[] = { g_getenv ("XADMIT"), "boot", manifest, "--host", d->spec,
                          "--sim-state", d->state, "--db", d->db, "-v", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) boot = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                                         G_SUBPROCESS_FLAGS_STDERR_PIPE,
                                                   &error);

  g_assert_no_error (error);
  /* its debug lines, read as the daemon's are */
  d->err = g_data_input_stream_new (g_subprocess_get_stderr_pipe (boot));
  xa_test_daemon_read_until (d, "xadmit boot: batch 1 closed: ");
  g_subprocess_force_exit (boot);
  g_assert_true (g_subprocess_wait (boot, NULL, &error));
  g_assert_true (g_subprocess_get_if_signaled (boot));
  g_clear_object (&d->err);
  /* before the daemon: it may hold the ledger's write lock while its
   * 2000 lines wait for this process to read them */
  xa_test_daemon_open_ledger (d);
  xa_test_daemon_start (d, "10000");
  g_assert_nonnull (strstr (d->said->str, "xadmit daemon: after a restart: "));
  xa_test_daemon_wait_for (d, XA_REQUEST_RUNNING, 2000);
  xa_test_daemon_signal (d, SIGTERM);
  g_assert_cmpint (xa_test_daemon_wait (d), ==, 0);
  g_assert_nonnull (strstr (d->said->str, " run, 0 failed"));
  xa_test_daemon_assert_ledger_matches_host (d);
}

/* Its decisions, one plain line each on a stderr that is no terminal: no
 * GLib prefix, no timestamp. */
static void
test_cli_daemon_logs_its_decisions (XaTestDaemon *d, gconstpointer data)
{
  xa_test_daemon_start (d, "10000");
  g_assert_true (xa_test_daemon_queue (d, "web", 3, 4));
  xa_test_daemon_wait_for (d, XA_REQUEST_RUNNING, 3);
  xa_test_daemon_signal (d, SIGTERM);
  g_assert_cmpint (xa_test_daemon_wait (d), ==, 0);
  g_assert_nonnull (strstr (d->said->str, "\nxadmit daemon: batch 1 closed: "));
  g_assert_nonnull (strstr (d->said->str, ", policy batch: "));
  g_assert_nonnull (strstr (d->said->str, "\nxadmit daemon: web-0: planned on node "));
  g_assert_nonnull (strstr (d->said->str, " MiB) in batch "));
  g_assert_null (strstr (d->said->str, "Message"));
  g_assert_null (strstr (d->said->str, "INFO"));
}

/* The next notification that starts with @prefix; those before it are
 * skipped. */
static gchar *
receive_until (GSocket *socket, const gchar *prefix)
{
  for (;;) {
    g_autoptr(GError) error = NULL;
    g_autofree gchar *state = xa_notify_receive (socket, &error);

    g_assert_no_error (error);
    if (g_str_has_prefix (state, prefix))
      return g_steal_pointer (&state);
  }
}

/* The daemon started as systemd starts a Type=notify service, with @name
 * (a path, or "@" and an abstract name) the test's socket: what it sent
 * first, READY=1, in @out_ready. */
static GSocket *
start_under_systemd (XaTestDaemon *d, const gchar *name, gchar **out_ready)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = xa_notify_listen (name, &error);

  g_assert_no_error (error);
  /* a safety net only: each receive returns as the daemon sends */
  g_socket_set_timeout (socket, XA_TEST_DAEMON_PATIENCE_US / G_USEC_PER_SEC);
  d->notify_socket = name;
  xa_test_daemon_start (d, "10000");
  *out_ready = receive_until (socket, "READY=1");
  return g_steal_pointer (&socket);
}

/* Under systemd: READY=1 once it admits, STATUS= as it works, STOPPING=1
 * at the first SIGTERM. */
static void
test_cli_daemon_tells_systemd (XaTestDaemon *d, gconstpointer data)
{
  g_autofree gchar *path = g_build_filename (d->dir, "notify", NULL);
  g_autofree gchar *ready = NULL;
  g_autoptr(GSocket) socket = start_under_systemd (d, path, &ready);
  g_autofree gchar *stopping = NULL;

  g_assert_cmpstr (ready, ==, "READY=1\nSTATUS=admitting");
  g_assert_true (xa_test_daemon_queue (d, "web", 3, 4));
  g_free (receive_until (socket, "STATUS=admitting: 0 waiting, 0 building, 3 running"));
  xa_test_daemon_signal (d, SIGTERM);
  stopping = receive_until (socket, "STOPPING=1");
  g_assert_cmpint (xa_test_daemon_wait (d), ==, 0);
  g_assert_cmpstr (stopping, ==, "STOPPING=1\nSTATUS=stopping: letting the builds under way "
                                 "finish");
}

/* An abstract socket ("@name"), and SIGHUP's RELOADING=1, then READY=1. */
static void
test_cli_daemon_tells_systemd_of_a_reload (XaTestDaemon *d, gconstpointer data)
{
  g_autofree gchar *name = g_strdup_printf ("@xadmit-test-%d-%u", (gint) getpid (),
                                            g_random_int ());
  g_autofree gchar *ready = NULL;
  g_autoptr(GSocket) socket = start_under_systemd (d, name, &ready);
  g_autofree gchar *ready_again = NULL;

  g_assert_true (g_str_has_prefix (ready, "READY=1\n"));
  xa_test_daemon_signal (d, SIGHUP);
  g_free (receive_until (socket, "RELOADING=1\nMONOTONIC_USEC="));
  ready_again = receive_until (socket, "READY=1");
  g_assert_cmpstr (ready_again, ==, "READY=1");
  xa_test_daemon_signal (d, SIGTERM);
  g_free (receive_until (socket, "STOPPING=1"));
  g_assert_cmpint (xa_test_daemon_wait (d), ==, 0);
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

  xa_test_daemon_start (d, "100");
  assert_refused_by_daemon (d, host, "daemon", "--host", d->spec, "--sim-state", d->state,
                            "--db", d->db, NULL);
  assert_refused_by_daemon (d, ledger, "daemon", "--host", d->spec, "--db", d->db, NULL);
  assert_refused_by_daemon (d, host, "boot", manifest, "--host", d->spec, "--sim-state",
                            d->state, "--db", d->db, NULL);
  assert_refused_by_daemon (d, ledger, "boot", manifest, "--host", d->spec, "--db", d->db,
                            NULL);
  xa_test_daemon_signal (d, SIGTERM);
  g_assert_cmpint (xa_test_daemon_wait (d), ==, 0);
}

/* While a boot holds the host and the ledger, a daemon is refused, told
 * which process and command holds them. The boot holds them until it has
 * printed its summary, which the test leaves unread meanwhile. */
static void
test_cli_daemon_refused_while_a_boot_runs (XaTestDaemon *d, gconstpointer data)
{
  g_autofree gchar *manifest = xa_test_write_many_vms (d->dir, "vm", 2000, "32MiB");
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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  xa_test_daemon_add ("/cli/daemon/admits-what-is-queued", test_cli_daemon_admits_what_is_queued);
  xa_test_daemon_add ("/cli/daemon/hangup-reads-the-configuration",
                      test_cli_daemon_hangup_reads_the_configuration);
  xa_test_daemon_add ("/cli/daemon/logs-its-decisions", test_cli_daemon_logs_its_decisions);
  xa_test_daemon_add ("/cli/daemon/tells-systemd", test_cli_daemon_tells_systemd);
  xa_test_daemon_add ("/cli/daemon/tells-systemd-of-a-reload",
                      test_cli_daemon_tells_systemd_of_a_reload);
  xa_test_daemon_add ("/cli/daemon/lets-builds-finish", test_cli_daemon_lets_builds_finish);
  xa_test_daemon_add ("/cli/daemon/second-signal-destroys-builds",
                   test_cli_daemon_second_signal_destroys_builds);
  xa_test_daemon_add ("/cli/daemon/recovers-after-a-kill", test_cli_daemon_recovers_after_a_kill);
  xa_test_daemon_add ("/cli/daemon/admits-what-a-killed-boot-left",
                   test_cli_daemon_admits_what_a_killed_boot_left);
  xa_test_daemon_add ("/cli/daemon/one-admitter", test_cli_daemon_one_admitter);
  xa_test_daemon_add ("/cli/daemon/cancels-in-each-state", test_cli_daemon_cancels_in_each_state);
  xa_test_daemon_add ("/cli/daemon/many-submitters", test_cli_daemon_many_submitters);
  xa_test_daemon_add ("/cli/daemon/gives-up-after-defer-timeout",
                      test_cli_daemon_gives_up_after_defer_timeout);
  xa_test_daemon_add ("/cli/daemon/cancel-carried-out-at-restart",
                   test_cli_daemon_cancel_carried_out_at_restart);
  xa_test_daemon_add ("/cli/daemon/refused-while-a-boot-runs",
                   test_cli_daemon_refused_while_a_boot_runs);
  g_test_add_func ("/cli/daemon/refuses-bad-options", test_cli_daemon_refuses_bad_options);
  return g_test_run ();
}
