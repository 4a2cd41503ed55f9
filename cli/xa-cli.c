/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <signal.h>
#include <unistd.h>

#include "xa-cli.h"
#include "xa-error.h"
#include "xa-file.h"
#include "xa-json.h"
#include "xa-log.h"
#include "xa-log-writer.h"
#include "xa-manifest.h"
#include "xa-output.h"
#include "xa-text.h"

void
xa_cli_options_clear (XaOptions *opts)
{
  g_free (opts->host_spec);
  g_free (opts->sim_state);
  g_free (opts->config_path);
}

/* The configuration this process runs with, read once its options are
 * parsed: xa_cli_fail() names the file for a bad value that came from it. */
static XaConfig *xa_cli_config;

/* Returns: (nullable): the configuration, once xa_cli_parse_options() read it */
const XaConfig *
xa_cli_get_config (void)
{
  return xa_cli_config;
}

static int
xa_cli_exit_code_for_xa_error (XaError code)
{
  switch (code) {
  case XA_ERROR_INVALID_INPUT:
  case XA_ERROR_NOT_FOUND:
    return XA_EXIT_USAGE;
  case XA_ERROR_FAILED:
  case XA_ERROR_BUSY:
  case XA_ERROR_NO_HYPERVISOR:
  case XA_ERROR_PERMISSION:
  case XA_ERROR_DATABASE:
    return XA_EXIT_FAILED;
  }
  return XA_EXIT_FAILED;
}

/**
 * xa_cli_exit_code_for_error:
 * @error: why a command failed
 *
 * The one place that maps an error to an exit code (docs/formats.md): bad
 * input and a bad flag give 2, a signal (G_IO_ERROR_CANCELLED) 130, anything
 * else (a host call, XA_HOST_ERROR) 1.
 *
 * Returns: %XA_EXIT_USAGE, %XA_EXIT_INTERRUPTED or %XA_EXIT_FAILED
 */
int
xa_cli_exit_code_for_error (const GError *error)
{
  if (error->domain == G_OPTION_ERROR)
    return XA_EXIT_USAGE;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return XA_EXIT_INTERRUPTED;
  if (error->domain == XA_ERROR)
    return xa_cli_exit_code_for_xa_error ((XaError) error->code);
  return XA_EXIT_FAILED;
}

/* The values in our messages are quoted already; this also catches what
 * GLib's option parser echoes of the command line. */
int
xa_cli_fail (const gchar *command, const GError *error)
{
  g_autoptr(GError) attributed = g_error_copy (error);
  g_autofree gchar *shown = NULL;

  if (xa_cli_config != NULL)
    xa_config_attribute (xa_cli_config, attributed);
  shown = xa_text_quote_full (attributed->message, -1, XA_TEXT_MESSAGE_MAX_BYTES,
                              XA_TEXT_QUOTE_BARE | XA_TEXT_QUOTE_ESCAPED);

  g_printerr ("xadmit %s: %s\n", command, shown);
  return xa_cli_exit_code_for_error (error);
}

/**
 * xa_cli_option_context_new:
 * @params: the arguments, then " - " and what the command does
 * @summary: the command's --help text
 * @opts: where the common options go
 * @with_host: also --host and --sim-state
 * @extra: (nullable): the command's own options
 *
 * Every command takes -q, -v, --json and --config; those that look at a
 * host, --host and --sim-state.
 *
 * Returns: (transfer full): the context
 */
GOptionContext *
xa_cli_option_context_new (const gchar *params, const gchar *summary, XaOptions *opts,
                           gboolean with_host, const GOptionEntry *extra)
{
  const GOptionEntry host[] = {
    { "host", 0, 0, G_OPTION_ARG_STRING, &opts->host_spec,
      "The host: sim (the embedded simulated host), sim:FILE (a host topology file) "
      "or xen (this machine's hypervisor); default xen where /dev/xen/privcmd exists, "
      "else sim", "SPEC" },
    { "sim-state", 0, 0, G_OPTION_ARG_FILENAME, &opts->sim_state,
      "Keep the simulated host's domains and memory in FILE between runs", "FILE" },
    G_OPTION_ENTRY_NULL
  };
  const GOptionEntry output[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &opts->json,
      "Print JSON on stdout (the formats of docs/formats.md), messages on stderr", NULL },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &opts->verbose,
      "Say on stderr what each batch decided and why", NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &opts->quiet,
      "Print only errors and the results (the JSON document, if asked for)", NULL },
    { "config", 0, 0, G_OPTION_ARG_FILENAME, &opts->config_path,
      "Settings from FILE, which must exist (default " XA_CONFIG_PATH " if it exists); "
      "options given here win (xadmit config prints them)", "FILE" },
    G_OPTION_ENTRY_NULL
  };
  GOptionContext *ctx = g_option_context_new (params);

  opts->with_host = with_host;
  g_option_context_set_summary (ctx, summary);
  if (with_host)
    g_option_context_add_main_entries (ctx, host, NULL);
  g_option_context_add_main_entries (ctx, output, NULL);
  if (extra != NULL)
    g_option_context_add_main_entries (ctx, extra, NULL);
  g_option_context_set_description (ctx,
    "Exit codes: 0 done; 1 could not do it (host, database, I/O); 2 usage error or bad\n"
    "input, nothing changed; 3 done, but not every VM planned or running; 130 interrupted\n"
    "(SIGINT, SIGTERM or SIGHUP).\n");
  return ctx;
}

/**
 * xa_cli_check_path:
 * @flag: the option, for the message
 * @path: (nullable): its value, %NULL when not given
 * @error: a #GError, %XA_ERROR_INVALID_INPUT
 *
 * A path option names a file: not an empty string, not a directory.
 * Checked with the other options, before anything is created.
 *
 * Returns: %TRUE if @path may name a file
 */
gboolean
xa_cli_check_path (const gchar *flag, const gchar *path, GError **error)
{
  if (path == NULL)
    return TRUE;
  if (*path == '\0') {
    g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT, "%s: the path is empty", flag);
    return FALSE;
  }
  if (g_str_has_suffix (path, G_DIR_SEPARATOR_S) || g_file_test (path, G_FILE_TEST_IS_DIR)) {
    g_autofree gchar *shown = xa_text_quote_path (path);

    /* the words of xa_file_read(), which refuses a directory it is given */
    g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                 "%s: %s: cannot read: it is a directory, not a regular file", flag, shown);
    return FALSE;
  }
  return TRUE;
}

/**
 * xa_cli_parse_options:
 * @ctx: the command's options
 * @opts: where the common ones go
 * @argc: the arguments' count
 * @argv: (array length=argc): the arguments; the options are taken out
 * @error: a #GError
 *
 * The configuration file's settings first, then the command line, which
 * overrides them; then the checks every command shares.
 *
 * Returns: %TRUE if they parsed
 */
gboolean
xa_cli_parse_options (GOptionContext *ctx, XaOptions *opts, int *argc, char ***argv,
                      GError **error)
{
  g_clear_pointer (&xa_cli_config, xa_config_free);
  xa_cli_config = xa_config_load (*argc, *argv, error);
  if (xa_cli_config == NULL ||
      !xa_config_apply (xa_cli_config, ctx, opts->with_host, opts->every_setting, error) ||
      !g_option_context_parse (ctx, argc, argv, error) ||
      !xa_cli_check_path ("--sim-state", opts->sim_state, error))
    return FALSE;
  if (opts->host_spec != NULL && g_str_has_prefix (opts->host_spec, "sim:") &&
      opts->host_spec[4] != '\0' && !xa_cli_check_path ("--host", opts->host_spec + 4, error))
    return FALSE;
  if (opts->verbose && opts->quiet) {
    g_set_error_literal (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                         "--verbose and --quiet contradict each other");
    return FALSE;
  }
  xa_log_writer_install ();
  xa_log_set_level (xa_log_writer_level (opts->verbose, opts->quiet, G_LOG_LEVEL_WARNING));
  if (opts->verbose)
    g_log_set_debug_enabled (TRUE);
  return TRUE;
}

/* Without --host, which host was chosen is one line on stderr. */
static void
xa_announce_host (const XaOptions *opts, const gchar *kind, const XaHostInfo *info)
{
  if (opts->host_spec != NULL || opts->quiet)
    return;
  if (g_strcmp0 (kind, "xen") == 0)
    g_printerr ("xadmit: using this machine's Xen hypervisor (/dev/xen/privcmd; "
                "--host sim to simulate)\n");
  else
    g_printerr ("xadmit: using the simulated host \"%s\" (no /dev/xen/privcmd here; "
                "--host to choose)\n", info->name);
}

/**
 * xa_cli_open_host:
 * @opts: the command's options
 * @out_info: (out) (transfer full): the host's first snapshot
 * @error: a #GError
 *
 * Opens --host (or the host this machine has) and says which on stderr
 * when --host was not given.
 *
 * Returns: (transfer full) (nullable): the host
 */
XaHost *
xa_cli_open_host (const XaOptions *opts, XaHostInfo **out_info, GError **error)
{
  const gchar *spec = opts->host_spec != NULL ? opts->host_spec : xa_host_auto_spec ();
  g_autoptr(XaHost) host = xa_host_open (spec, opts->sim_state, error);

  if (host == NULL)
    return NULL;
  *out_info = xa_host_snapshot (host, error);
  if (*out_info == NULL)
    return NULL;
  xa_announce_host (opts, xa_host_get_kind (host), *out_info);
  return g_steal_pointer (&host);
}

/**
 * xa_cli_snapshot_host:
 * @opts: the command's options
 * @kind: (out): "sim" or "xen"
 * @error: a #GError
 *
 * The host as it is now, for commands that only read it: a --sim-state
 * file must exist, since a missing one is more likely a typo than a wish
 * for a new host (xadmit boot creates it).
 *
 * Returns: (transfer full) (nullable): the host's snapshot
 */
XaHostInfo *
xa_cli_snapshot_host (const XaOptions *opts, const gchar **kind, GError **error)
{
  XaHostInfo *info = NULL;
  g_autoptr(XaHost) host = NULL;

  if (opts->sim_state != NULL && !g_file_test (opts->sim_state, G_FILE_TEST_EXISTS)) {
    g_set_error (error, XA_ERROR, XA_ERROR_NOT_FOUND,
                 "--sim-state: %s does not exist; xadmit boot creates it", opts->sim_state);
    return NULL;
  }
  host = xa_cli_open_host (opts, &info, error);
  if (host == NULL)
    return NULL;
  *kind = xa_host_get_kind (host);
  return info;
}

/* Standard input is read up to this, as files are (docs/formats.md). */
/**
 * xa_cli_load_manifest:
 * @path: the manifest's file, or "-" for standard input
 * @out_guests: (out) (optional): what each VM boots
 * @error: a #GError
 *
 * Returns: (transfer full) (element-type XaRequest): the VMs, or %NULL
 */
GPtrArray *
xa_cli_load_manifest (const gchar *path, GPtrArray **out_guests, GError **error)
{
  g_autofree gchar *data = NULL;
  gsize len;

  if (!g_str_equal (path, "-"))
    return xa_manifest_load (path, out_guests, error);
  if (!xa_file_read_stream ("standard input", STDIN_FILENO, XA_FILE_MAX_BYTES, &data, &len,
                            error))
    return NULL;
  return xa_manifest_load_data ("standard input", data, len, out_guests, error);
}

/* The run summary: JSON on stdout, or the table, or with -q nothing. */
void
xa_cli_print_run (const XaOptions *opts, const XaRun *run)
{
  if (opts->json)
    xa_output_print_run_json (run);
  else if (!opts->quiet)
    xa_output_print_run (run);
}

/* The signals that stop a long command, all handled alike. */
static const gint xa_cli_stop_signals[] = { SIGINT, SIGTERM, SIGHUP };

/* A signal handler may only touch these: the counts, whether SIGHUP
 * reloads, and a pipe that wakes the main loop. The count is read at once,
 * so a command that checks between steps never misses a signal that came
 * before. */
static volatile sig_atomic_t xa_cli_signals_caught;
static volatile sig_atomic_t xa_cli_signals_hangups;
static volatile sig_atomic_t xa_cli_signals_hangup_reloads;
static gint xa_cli_signals_pipe[2] = { -1, -1 };

struct _XaCliSignals {
  struct sigaction previous[G_N_ELEMENTS (xa_cli_stop_signals)];
  guint source;
  guint handled;
  guint hangups_handled;
  XaCliSignalFunc func;
  gpointer user_data;
  XaCliSignalFunc reload;
  gpointer reload_data;
};

static void
xa_cli_signals_handler (int signum)
{
  gint saved_errno = errno;

  if (signum == SIGHUP && xa_cli_signals_hangup_reloads)
    xa_cli_signals_hangups = xa_cli_signals_hangups + 1;
  else
    xa_cli_signals_caught = xa_cli_signals_caught + 1;
  if (write (xa_cli_signals_pipe[1], "!", 1) < 0) {
    /* the pipe is full: the main loop has a wakeup pending already */
  }
  errno = saved_errno;
}

static gboolean
xa_cli_signals_on_wakeup (gint fd, GIOCondition condition G_GNUC_UNUSED, gpointer user_data)
{
  XaCliSignals *self = user_data;
  gchar buffer[64];

  while (read (fd, buffer, sizeof (buffer)) > 0)
    ;
  while (self->hangups_handled < (guint) xa_cli_signals_hangups) {
    self->hangups_handled++;
    self->reload (self->hangups_handled, self->reload_data);
  }
  while (self->handled < (guint) xa_cli_signals_caught) {
    self->handled++;
    if (self->func != NULL)
      self->func (self->handled, self->user_data);
  }
  return G_SOURCE_CONTINUE;
}

static void
xa_cli_signals_close_pipe (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (xa_cli_signals_pipe); i++) {
    if (xa_cli_signals_pipe[i] >= 0)
      close (xa_cli_signals_pipe[i]);
    xa_cli_signals_pipe[i] = -1;
  }
}

/**
 * xa_cli_signals_new:
 * @func: (nullable): called in the main loop on each signal
 * @user_data: for @func
 *
 * Catches SIGINT, SIGTERM and SIGHUP, so that every long command stops on
 * them the same way (docs/formats.md, exit 130) and cleans up: with a main
 * loop, @func says so; without, xa_cli_signals_check() between its steps.
 * One at a time in a process.
 *
 * Returns: (transfer full) (nullable): the handlers, which restore the
 *   previous ones when freed; %NULL if the pipe could not be made
 */
XaCliSignals *
xa_cli_signals_new (XaCliSignalFunc func, gpointer user_data, GError **error)
{
  XaCliSignals *self;
  struct sigaction action = { .sa_handler = xa_cli_signals_handler, .sa_flags = SA_RESTART };

  g_return_val_if_fail (xa_cli_signals_pipe[0] < 0, NULL);
  if (!g_unix_open_pipe (xa_cli_signals_pipe, FD_CLOEXEC, error) ||
      !g_unix_set_fd_nonblocking (xa_cli_signals_pipe[0], TRUE, error) ||
      !g_unix_set_fd_nonblocking (xa_cli_signals_pipe[1], TRUE, error)) {
    g_prefix_error_literal (error, "cannot make the pipe that signals wake xadmit with: ");
    xa_cli_signals_close_pipe ();
    return NULL;
  }
  self = g_new0 (XaCliSignals, 1);
  self->func = func;
  self->user_data = user_data;
  xa_cli_signals_caught = 0;
  xa_cli_signals_hangups = 0;
  xa_cli_signals_hangup_reloads = FALSE;
  self->source = g_unix_fd_add (xa_cli_signals_pipe[0], G_IO_IN, xa_cli_signals_on_wakeup, self);
  sigemptyset (&action.sa_mask);
  for (guint i = 0; i < G_N_ELEMENTS (xa_cli_stop_signals); i++)
    sigaction (xa_cli_stop_signals[i], &action, &self->previous[i]);
  return self;
}

void
xa_cli_signals_free (XaCliSignals *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (xa_cli_stop_signals); i++)
    sigaction (xa_cli_stop_signals[i], &self->previous[i], NULL);
  g_source_remove (self->source);
  xa_cli_signals_close_pipe ();
  g_free (self);
}

/**
 * xa_cli_signals_set_reload:
 * @self: the handlers
 * @reload: called in the main loop on each SIGHUP, which then no longer
 *   stops the command; @count is 1 for the first
 * @user_data: for @reload
 *
 * A long-running command re-reads what it runs on at a SIGHUP, as daemons do.
 */
void
xa_cli_signals_set_reload (XaCliSignals *self, XaCliSignalFunc reload, gpointer user_data)
{
  self->reload = reload;
  self->reload_data = user_data;
  xa_cli_signals_hangup_reloads = TRUE;
}

/**
 * xa_cli_signals_check:
 * @self: the handlers
 * @error: a #GError, %G_IO_ERROR_CANCELLED once a signal came
 *
 * Whether a signal came.
 *
 * Returns: %FALSE once the command must stop
 */
gboolean
xa_cli_signals_check (XaCliSignals *self G_GNUC_UNUSED, GError **error)
{
  if (xa_cli_signals_caught == 0)
    return TRUE;
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "interrupted");
  return FALSE;
}
