/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-cli.h"
#include "xa-error.h"
#include "xa-json.h"
#include "xa-output.h"
#include "xa-text.h"

void
xa_cli_options_clear (XaOptions *opts)
{
  g_free (opts->host_spec);
  g_free (opts->sim_state);
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
 * input and a bad flag give 2, anything else (a host call, XA_HOST_ERROR)
 * gives 1.
 *
 * Returns: %XA_EXIT_USAGE or %XA_EXIT_FAILED
 */
int
xa_cli_exit_code_for_error (const GError *error)
{
  if (error->domain == G_OPTION_ERROR)
    return XA_EXIT_USAGE;
  if (error->domain == XA_ERROR)
    return xa_cli_exit_code_for_xa_error ((XaError) error->code);
  return XA_EXIT_FAILED;
}

/* The values in our messages are quoted already; this also catches what
 * GLib's option parser echoes of the command line. */
int
xa_cli_fail (const gchar *command, const GError *error)
{
  g_autofree gchar *shown = xa_text_quote_full (error->message, -1, XA_TEXT_MESSAGE_MAX_BYTES,
                                                XA_TEXT_QUOTE_BARE | XA_TEXT_QUOTE_ESCAPED);

  g_printerr ("xadmit %s: %s\n", command, shown);
  return xa_cli_exit_code_for_error (error);
}

GOptionContext *
xa_cli_option_context_new (const gchar *params, const gchar *summary, XaOptions *opts,
                       const GOptionEntry *extra)
{
  const GOptionEntry common[] = {
    { "host", 0, 0, G_OPTION_ARG_STRING, &opts->host_spec,
      "The host: sim (the embedded simulated host), sim:FILE (a host topology file) "
      "or xen (this machine's hypervisor); default xen where /dev/xen/privcmd exists, "
      "else sim", "SPEC" },
    { "sim-state", 0, 0, G_OPTION_ARG_FILENAME, &opts->sim_state,
      "Keep the simulated host's domains and memory in FILE between runs", "FILE" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &opts->json,
      "Print JSON on stdout (the formats of docs/formats.md), messages on stderr", NULL },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &opts->verbose, "Say more on stderr", NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &opts->quiet,
      "Print only errors and the JSON document, if asked for", NULL },
    G_OPTION_ENTRY_NULL
  };
  GOptionContext *ctx = g_option_context_new (params);

  g_option_context_set_summary (ctx, summary);
  g_option_context_add_main_entries (ctx, common, NULL);
  if (extra != NULL)
    g_option_context_add_main_entries (ctx, extra, NULL);
  g_option_context_set_description (ctx,
    "Exit codes: 0 done; 1 could not do it (host, database, I/O); 2 usage error or bad\n"
    "input, nothing changed; 3 done, but not every VM planned or running; 130 interrupted.\n");
  return ctx;
}

gboolean
xa_cli_parse_options (GOptionContext *ctx, XaOptions *opts, int *argc, char ***argv,
                  GError **error)
{
  if (!g_option_context_parse (ctx, argc, argv, error))
    return FALSE;
  if (opts->verbose && opts->quiet) {
    g_set_error_literal (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                         "--verbose and --quiet contradict each other");
    return FALSE;
  }
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

XaHostInfo *
xa_cli_snapshot_host (const XaOptions *opts, const gchar **kind, GError **error)
{
  XaHostInfo *info = NULL;
  g_autoptr(XaHost) host = xa_cli_open_host (opts, &info, error);

  if (host == NULL)
    return NULL;
  *kind = xa_host_get_kind (host);
  return info;
}

/* The run summary: JSON on stdout, or the table, or with -q nothing. */
void
xa_cli_print_run (const XaOptions *opts, const XaRun *run)
{
  if (opts->json) {
    g_autoptr(json_t) root = xa_output_run_to_json (run);

    xa_output_print_json (root);
  } else if (!opts->quiet) {
    xa_output_print_run (run);
  }
}

