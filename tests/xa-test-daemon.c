/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <signal.h>
#include <string.h>

#include "xa-test-cli.h"
#include "xa-test-daemon.h"
#include "xa-test-scheduler.h"
#include "xa-wake.h"

static void
xa_test_daemon_set_up (XaTestDaemon *d, gconstpointer data)
{
  d->dir = xa_test_dir_new ();
  d->db = xa_test_ledger_path (d->dir);
  d->state = xa_test_state_path (d->dir);
  d->spec = xa_test_host_spec ("4node.json");
  d->said = g_string_new (NULL);
}

static void xa_test_daemon_read_rest (XaTestDaemon *d);

/* A daemon a failed test left behind goes with it. */
static void
xa_test_daemon_tear_down (XaTestDaemon *d, gconstpointer data)
{
  if (d->proc != NULL) {
    g_subprocess_force_exit (d->proc);
    xa_test_daemon_read_rest (d);
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

/* One line more into d->said; %FALSE at its end. */
static gboolean
xa_test_daemon_read_line (XaTestDaemon *d)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *line = g_data_input_stream_read_line_utf8 (d->err, NULL, NULL, &error);

  g_assert_no_error (error);
  if (line == NULL)
    return FALSE;
  g_string_append_printf (d->said, "%s\n", line);
  return TRUE;
}

static void
xa_test_daemon_on_line (GObject *source, GAsyncResult *result, gpointer user_data)
{
  XaTestDaemon *d = user_data;
  g_autofree gchar *line = g_data_input_stream_read_line_finish_utf8 (
    G_DATA_INPUT_STREAM (source), result, NULL, NULL);

  if (line == NULL) {
    d->drained = TRUE;
    return;
  }
  g_string_append_printf (d->said, "%s\n", line);
  g_data_input_stream_read_line_async (d->err, G_PRIORITY_DEFAULT, NULL, xa_test_daemon_on_line,
                                       d);
}

/**
 * xa_test_daemon_drain:
 * @d: a daemon whose stderr the test reads
 *
 * From now on its stderr is read into d->said as the main context runs
 * (xa_test_daemon_wait_for() runs it), so that a daemon that says a line
 * per decision never fills its pipe.
 */
void
xa_test_daemon_drain (XaTestDaemon *d)
{
  d->draining = TRUE;
  d->drained = FALSE;
  g_data_input_stream_read_line_async (d->err, G_PRIORITY_DEFAULT, NULL, xa_test_daemon_on_line,
                                       d);
}

/* The next line not yet looked at, if a whole one came; NULL if none. */
static gchar *
xa_test_daemon_next_line (XaTestDaemon *d)
{
  const gchar *start = d->said->str + d->scanned;
  const gchar *end = strchr (start, '\n');

  if (end == NULL)
    return NULL;
  d->scanned += (gsize) (end - start) + 1;
  return g_strndup (start, (gsize) (end - start));
}

/* Reads its stderr up to a line that starts with @prefix, after those
 * looked at before. */
void
xa_test_daemon_read_until (XaTestDaemon *d, const gchar *prefix)
{
  for (;;) {
    g_autofree gchar *line = xa_test_daemon_next_line (d);

    if (line != NULL) {
      if (g_str_has_prefix (line, prefix))
        return;
      continue;
    }
    if (d->draining ? d->drained : !xa_test_daemon_read_line (d))
      g_error ("it ended before it said \"%s\"; it said:\n%s", prefix, d->said->str);
    if (d->draining)
      g_main_context_iteration (NULL, TRUE);
  }
}

/* Everything it says until its stderr closes. */
static void
xa_test_daemon_read_rest (XaTestDaemon *d)
{
  while (d->draining && !d->drained)
    g_main_context_iteration (NULL, TRUE);
  while (!d->draining && d->err != NULL && xa_test_daemon_read_line (d))
    ;
  d->draining = FALSE;
  d->scanned = d->said->len;
}

/* Starts xadmit daemon on the kept host, its clock @speed times the
 * wall's, and waits until it admits. With @die_at, it kills itself as its
 * clock runs its @die_at-th event (XADMIT_TEST_DIE_AT_EVENT), which may be
 * before it says it admits. */
void
xa_test_daemon_start_dying (XaTestDaemon *d, const gchar *speed, guint die_at)
{
  const gchar *base[] = { g_getenv ("XADMIT"), "daemon", "--host", d->spec, "--sim-state",
                          d->state, "--db", d->db, "--sim-speed", speed };
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (
    G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autofree gchar *die_text = g_strdup_printf ("%u", die_at);
  g_autoptr(GError) error = NULL;

  g_assert_null (d->proc);
  for (guint i = 0; i < G_N_ELEMENTS (base); i++)
    g_ptr_array_add (argv, (gpointer) base[i]);
  for (guint i = 0; d->options != NULL && d->options[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) d->options[i]);
  g_ptr_array_add (argv, NULL);
  if (die_at > 0)
    g_subprocess_launcher_setenv (launcher, "XADMIT_TEST_DIE_AT_EVENT", die_text, TRUE);
  if (d->notify_socket != NULL)
    g_subprocess_launcher_setenv (launcher, "NOTIFY_SOCKET", d->notify_socket, TRUE);
  d->proc = g_subprocess_launcher_spawnv (launcher, (const gchar * const *) argv->pdata, &error);
  g_assert_no_error (error);
  d->err = g_data_input_stream_new (g_subprocess_get_stderr_pipe (d->proc));
}

void
xa_test_daemon_start (XaTestDaemon *d, const gchar *speed)
{
  xa_test_daemon_start_dying (d, speed, 0);
  xa_test_daemon_read_until (d, "xadmit daemon: pid ");
  xa_test_daemon_drain (d);
}

void
xa_test_daemon_signal (XaTestDaemon *d, gint signum)
{
  pid_t pid = (pid_t) g_ascii_strtoll (g_subprocess_get_identifier (d->proc), NULL, 10);

  g_assert_cmpint (kill (pid, signum), ==, 0);
}

/* Reads what is left of its stderr, waits for it: its exit status, or
 * 128 and the signal that killed it. */
gint
xa_test_daemon_wait (XaTestDaemon *d)
{
  g_autoptr(GError) error = NULL;
  gint status;

  xa_test_daemon_read_rest (d);
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
void
xa_test_daemon_open_ledger (XaTestDaemon *d)
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
gboolean
xa_test_daemon_queue (XaTestDaemon *d, const gchar *prefix, guint count, guint64 gib)
{
  g_autoptr(GPtrArray) requests = xa_test_requests_new ();
  g_autoptr(GError) error = NULL;
  XaStoreTime now = { g_get_real_time (), 0 };

  if (d->store == NULL)
    xa_test_daemon_open_ledger (d);
  for (guint i = 0; i < count; i++) {
    g_autofree gchar *name = g_strdup_printf ("%s-%u", prefix, i);

    xa_test_add_vm (requests, name, gib * GiB, 1);
  }
  g_assert_true (xa_store_submit (d->store, d->host_id, "test", requests, NULL, now, NULL,
                                  &error));
  g_assert_no_error (error);
  return xa_wake_ring (d->db);
}

guint
xa_test_daemon_count_in (XaTestDaemon *d, XaRequestState state)
{
  g_autoptr(GError) error = NULL;
  guint count = 0;

  g_assert_true (xa_store_count_in_state (d->store, d->host_id, state, &count, &error));
  g_assert_no_error (error);
  return count;
}

static gboolean
xa_test_daemon_tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* Waits until the ledger has @count requests in @state, looking again
 * every 10 ms, for XA_TEST_DAEMON_PATIENCE_US at most. */
void
xa_test_daemon_wait_for (XaTestDaemon *d, XaRequestState state, guint count)
{
  gint64 deadline = g_get_monotonic_time () + XA_TEST_DAEMON_PATIENCE_US;
  guint tick = g_timeout_add (10, xa_test_daemon_tick, NULL);

  while (xa_test_daemon_count_in (d, state) < count) {
    if (g_get_monotonic_time () > deadline)
      g_error ("the ledger never had %u %s requests; the daemon said:\n%s", count,
               xa_request_state_to_string (state), d->said->str);
    g_main_context_iteration (NULL, TRUE);
  }
  g_source_remove (tick);
}

/* After the daemon: nothing in flight, no claim left, each running VM's
 * memory where the host has it. */
void
xa_test_daemon_assert_ledger_matches_host (XaTestDaemon *d)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(XaHost) host = xa_host_open (d->spec, d->state, &error);
  XaTestScheduler f = { .host = host, .store = d->store, .host_id = d->host_id };

  g_assert_no_error (error);
  xa_test_scheduler_assert_ledger_matches_host (&f);
}

/* Starts a daemon at @speed and queues a VM of 16 GiB: its build takes 8 s
 * of the host's clock, divided by @speed. Returns once it builds. */
void
xa_test_daemon_start_building (XaTestDaemon *d, const gchar *speed)
{
  xa_test_daemon_start (d, speed);
  g_assert_true (xa_test_daemon_queue (d, "big", 1, 16));
  xa_test_daemon_wait_for (d, XA_REQUEST_BUILDING, 1);
}

void
xa_test_daemon_add (const gchar *path, XaTestDaemonFunc func)
{
  g_test_add (path, XaTestDaemon, NULL, xa_test_daemon_set_up, func, xa_test_daemon_tear_down);
}

