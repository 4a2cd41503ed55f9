/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gio/gio.h>
#include <signal.h>

#include "xa-test-cli.h"

void
xa_test_run_clear (XaTestRun *run)
{
  g_clear_pointer (&run->out, g_free);
  g_clear_pointer (&run->err, g_free);
}

/* The built xadmit, then @first (nullable, up to %NULL), then the
 * arguments up to %NULL, then %NULL. */
static GPtrArray *
xa_test_argv_va (const gchar *const *first, va_list ap)
{
  GPtrArray *argv = g_ptr_array_new ();
  const gchar *xadmit = g_getenv ("XADMIT");

  g_assert_nonnull (xadmit);
  g_ptr_array_add (argv, (gpointer) xadmit);
  for (; first != NULL && *first != NULL; first++)
    g_ptr_array_add (argv, (gpointer) *first);
  for (const gchar *arg = va_arg (ap, const gchar *); arg != NULL; arg = va_arg (ap, const gchar *))
    g_ptr_array_add (argv, (gpointer) arg);
  g_ptr_array_add (argv, NULL);
  return argv;
}

/* @input: (nullable): the file on its standard input, else the test's own */
static void
xa_test_run_xadmit_va (XaTestRun *run, const gchar *input, const gchar *const *first, va_list ap)
{
  g_autoptr(GPtrArray) argv = xa_test_argv_va (first, ap);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (
    G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE |
    (input == NULL ? G_SUBPROCESS_FLAGS_STDIN_INHERIT : G_SUBPROCESS_FLAGS_NONE));
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;

  if (input != NULL)
    g_subprocess_launcher_set_stdin_file_path (launcher, input);
  proc = g_subprocess_launcher_spawnv (launcher, (const gchar *const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (proc, NULL, NULL, &run->out, &run->err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (proc));
  run->status = g_subprocess_get_exit_status (proc);
}

/**
 * xa_test_run_xadmit:
 * @run: (out caller-allocates): how it went
 * @...: its arguments, then %NULL
 *
 * Runs the built xadmit (the XADMIT variable the test setup gives) with
 * these arguments and the test's own standard input, and waits for it.
 */
void
xa_test_run_xadmit (XaTestRun *run, ...)
{
  va_list ap;

  va_start (ap, run);
  xa_test_run_xadmit_va (run, NULL, NULL, ap);
  va_end (ap);
}

/**
 * xa_test_run_xadmit_with_input:
 * @run: (out caller-allocates): how it went
 * @input: the file xadmit reads on its standard input
 * @...: its arguments, then %NULL
 *
 * As xa_test_run_xadmit(), with @input for standard input.
 */
void
xa_test_run_xadmit_with_input (XaTestRun *run, const gchar *input, ...)
{
  va_list ap;

  va_start (ap, input);
  xa_test_run_xadmit_va (run, input, NULL, ap);
  va_end (ap);
}

/**
 * xa_test_ledger_path:
 * @dir: the test's temporary directory
 *
 * Returns: (transfer full): the path of the test's ledger, in @dir
 */
gchar *
xa_test_ledger_path (const XaTestDir *dir)
{
  return g_build_filename (dir, "xadmit.db", NULL);
}

/**
 * xa_test_state_path:
 * @dir: the test's temporary directory
 *
 * Returns: (transfer full): the path of the simulated host's state, kept
 * beside the ledger from boot to boot
 */
gchar *
xa_test_state_path (const XaTestDir *dir)
{
  return g_build_filename (dir, "state.json", NULL);
}

/**
 * xa_test_write_many_vms:
 * @dir: the test's temporary directory
 * @prefix: the VMs' names' start, and the file's name
 * @count: how many VMs
 * @memory: the memory of each, as a manifest gives it ("256MiB")
 *
 * Returns: (transfer full): the path of a manifest PREFIX.json, written in
 *   @dir, of @count alike VMs named PREFIX-00000 on
 */
gchar *
xa_test_write_many_vms (const XaTestDir *dir, const gchar *prefix, guint count,
                        const gchar *memory)
{
  g_autoptr(GString) text = g_string_new ("{\"vms\": [");
  g_autofree gchar *file = g_strdup_printf ("%s.json", prefix);

  for (guint i = 0; i < count; i++)
    g_string_append_printf (text,
                            "%s{\"name\": \"%s-%05u\", \"memory\": \"%s\", \"vcpus\": 1}",
                            i > 0 ? ", " : "", prefix, i, memory);
  g_string_append (text, "]}");
  return xa_test_dir_write (dir, file, text->str);
}

/**
 * xa_test_boot:
 * @run: (out caller-allocates): how it went
 * @dir: the test's temporary directory, which holds the ledger
 * @host: (nullable): a host file of data/hosts, or %NULL for the embedded
 *   simulated host
 * @manifest: a manifest of data/manifests
 * @...: more arguments, then %NULL
 *
 * Runs xadmit boot of @manifest on @host with the ledger of @dir.
 */
void
xa_test_boot (XaTestRun *run, const XaTestDir *dir, const gchar *host, const gchar *manifest, ...)
{
  g_autofree gchar *spec = host != NULL ? xa_test_host_spec (host) : g_strdup ("sim");
  g_autofree gchar *path = xa_test_data_path ("manifests", manifest);
  g_autofree gchar *db = xa_test_ledger_path (dir);
  const gchar *const first[] = { "boot", path, "--host", spec, "--db", db, NULL };
  va_list ap;

  va_start (ap, manifest);
  xa_test_run_xadmit_va (run, NULL, first, ap);
  va_end (ap);
}

/**
 * xa_test_boot_kept:
 * @run: (out caller-allocates): how it went
 * @dir: the test's temporary directory, which holds the ledger and state
 * @host: a host file of data/hosts
 * @path: the manifest's path
 * @json: print the JSON summary, not the tables
 *
 * Boots the manifest at @path on @host with its state kept in @dir, so
 * that the next boot finds this one's domains.
 */
void
xa_test_boot_kept (XaTestRun *run, const XaTestDir *dir, const gchar *host, const gchar *path,
                   gboolean json)
{
  g_autofree gchar *spec = xa_test_host_spec (host);
  g_autofree gchar *state = xa_test_state_path (dir);
  g_autofree gchar *db = xa_test_ledger_path (dir);

  xa_test_run_xadmit (run, "boot", path, "--host", spec, "--sim-state", state, "--db", db,
                      "--defer-timeout", "1", json ? "--json" : NULL, NULL);
}

/**
 * xa_test_boot_on_kept_host:
 * @run: (out caller-allocates): how it went
 * @dir: the test's temporary directory, which holds the ledger and state
 * @manifest: a manifest of data/manifests
 *
 * Boots @manifest on a kept 4node.json, printing JSON.
 */
void
xa_test_boot_on_kept_host (XaTestRun *run, const XaTestDir *dir, const gchar *manifest)
{
  g_autofree gchar *path = xa_test_data_path ("manifests", manifest);

  xa_test_boot_kept (run, dir, "4node.json", path, TRUE);
}

/* Reads lines of @stream into @text up to the one starting with @prefix,
 * or to the end with @prefix %NULL. */
static void
xa_test_read_lines (GDataInputStream *stream, const gchar *prefix, GString *text)
{
  g_autoptr(GError) error = NULL;

  for (;;) {
    g_autofree gchar *line = g_data_input_stream_read_line_utf8 (stream, NULL, NULL, &error);

    g_assert_no_error (error);
    if (line == NULL) {
      /* it ended before it printed @prefix: too early to interrupt */
      g_assert_null (prefix);
      return;
    }
    g_string_append_printf (text, "%s\n", line);
    if (prefix != NULL && g_str_has_prefix (line, prefix))
      return;
  }
}

/**
 * xa_test_run_xadmit_signalled:
 * @run: (out caller-allocates): how it went
 * @dir: where its other stream goes meanwhile
 * @on_stderr: whether @prefix comes on standard error, else on standard output
 * @prefix: the start of a line it prints once it is under way
 * @signals: the signals sent as soon as that line came, 0-terminated
 * @input: (nullable): written on its standard input after the signals, then
 *   closed; %NULL leaves it the test's own
 * @...: its arguments, then %NULL
 *
 * Runs the built xadmit, waits for its line, signals it and waits for it:
 * the line, not a sleep, says when it runs.
 */
void
xa_test_run_xadmit_signalled (XaTestRun *run, const XaTestDir *dir, gboolean on_stderr,
                              const gchar *prefix, const gint *signals, const gchar *input, ...)
{
  g_autoptr(GPtrArray) argv = NULL;
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (
    (on_stderr ? G_SUBPROCESS_FLAGS_STDERR_PIPE : G_SUBPROCESS_FLAGS_STDOUT_PIPE) |
    (input != NULL ? G_SUBPROCESS_FLAGS_STDIN_PIPE : G_SUBPROCESS_FLAGS_STDIN_INHERIT));
  g_autofree gchar *other_path = g_build_filename (dir, "other-stream", NULL);
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GDataInputStream) stream = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  gchar *other = NULL;
  pid_t pid;
  va_list ap;

  va_start (ap, input);
  argv = xa_test_argv_va (NULL, ap);
  va_end (ap);
  if (on_stderr)
    g_subprocess_launcher_set_stdout_file_path (launcher, other_path);
  else
    g_subprocess_launcher_set_stderr_file_path (launcher, other_path);
  proc = g_subprocess_launcher_spawnv (launcher, (const gchar *const *) argv->pdata, &error);
  g_assert_no_error (error);
  stream = g_data_input_stream_new (on_stderr ? g_subprocess_get_stderr_pipe (proc)
                                              : g_subprocess_get_stdout_pipe (proc));
  xa_test_read_lines (stream, prefix, text);
  /* kill() now, where g_subprocess_send_signal() would later, from a thread */
  pid = (pid_t) g_ascii_strtoll (g_subprocess_get_identifier (proc), NULL, 10);
  for (const gint *sig = signals; *sig != 0; sig++)
    g_assert_cmpint (kill (pid, *sig), ==, 0);
  if (input != NULL) {
    GOutputStream *stdin_pipe = g_subprocess_get_stdin_pipe (proc);

    g_assert_true (g_output_stream_write_all (stdin_pipe, input, strlen (input), NULL, NULL,
                                              &error));
    g_assert_true (g_output_stream_close (stdin_pipe, NULL, &error));
  }
  xa_test_read_lines (stream, NULL, text);
  g_subprocess_wait (proc, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (proc));
  run->status = g_subprocess_get_exit_status (proc);
  g_assert_true (g_file_get_contents (other_path, &other, NULL, &error));
  g_assert_no_error (error);
  if (on_stderr) {
    run->out = other;
    run->err = g_string_free (g_steal_pointer (&text), FALSE);
  } else {
    run->out = g_string_free (g_steal_pointer (&text), FALSE);
    run->err = other;
  }
}

/**
 * xa_test_xadmit_fails:
 * @status: the exit status it must have
 * @message: what its error must say
 * @...: its arguments, then %NULL
 *
 * Runs the built xadmit as xa_test_run_xadmit() does, and asserts it fails
 * as xa_test_run_assert_error() says.
 */
void
xa_test_xadmit_fails (gint status, const gchar *message, ...)
{
  g_auto(XaTestRun) run = { 0 };
  va_list ap;

  va_start (ap, message);
  xa_test_run_xadmit_va (&run, NULL, NULL, ap);
  va_end (ap);
  xa_test_run_assert_error (&run, status, message);
}

/**
 * xa_test_run_assert_error:
 * @run: a finished run
 * @status: the exit status it must have
 * @message: what its error must say
 *
 * An error is one line on standard error holding @message, and nothing on
 * standard output.
 */
void
xa_test_run_assert_error (const XaTestRun *run, gint status, const gchar *message)
{
  g_assert_cmpint (run->status, ==, status);
  g_assert_cmpstr (run->out, ==, "");
  g_assert_nonnull (strstr (run->err, message));
  g_assert_cmpint (strchr (run->err, '\n') - run->err, ==, (gint) strlen (run->err) - 1);
}

/**
 * xa_test_json_parse:
 * @text: what xadmit printed with --json
 *
 * Returns: (transfer full): its JSON; text that is not JSON fails the test
 */
json_t *
xa_test_json_parse (const gchar *text)
{
  g_autoptr(GError) error = NULL;
  json_t *root = xa_json_load_data ("output", text, strlen (text), &error);

  g_assert_no_error (error);
  return root;
}

json_int_t
xa_test_json_int (json_t *object, const gchar *key)
{
  return json_integer_value (json_object_get (object, key));
}

gdouble
xa_test_json_real (json_t *object, const gchar *key)
{
  return json_real_value (json_object_get (object, key));
}

const gchar *
xa_test_json_string (json_t *object, const gchar *key)
{
  return json_string_value (json_object_get (object, key));
}

/**
 * xa_test_json_vm_named:
 * @summary: a boot's JSON summary
 * @name: the name of one of its VMs
 *
 * Returns: (transfer none): the VM's object; a name not there fails the test
 */
json_t *
xa_test_json_vm_named (json_t *summary, const gchar *name)
{
  json_t *vm;
  gsize i;

  json_array_foreach (json_object_get (summary, "vm"), i, vm) {
    if (g_strcmp0 (xa_test_json_string (vm, "name"), name) == 0)
      return vm;
  }
  g_assert_not_reached ();
}
