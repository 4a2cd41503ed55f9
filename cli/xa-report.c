/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <string.h>
#include <unistd.h>

#include "xa-cli.h"
#include "xa-error.h"
#include "xa-name.h"
#include "xa-queue.h"
#include "xa-report-private.h"
#include "xa-report.h"
#include "xa-text.h"
#include "xa-time.h"

/*
 * `xadmit report`: what the ledger recorded of past batches and VMs, per
 * host, as a table, CSV, JSON or a self-contained HTML page. It reads the
 * ledger only, without the admitter's lock (docs/formats.md, Ledger), and
 * recomputes nothing the ledger recorded.
 */

typedef struct {
  gchar *db_path;
  gchar *host;
  gchar *since;
  gchar *until;
  gchar *vm;
  gchar *format;
  gchar *output;
} XaReportArgs;

static void
xa_report_args_clear (XaReportArgs *args)
{
  g_free (args->db_path);
  g_free (args->host);
  g_free (args->since);
  g_free (args->until);
  g_free (args->vm);
  g_free (args->format);
  g_free (args->output);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (XaReportArgs, xa_report_args_clear)

static const struct {
  const gchar *name;
  const XaReportFormat *format;
} xa_report_formats[] = {
  { "table", &xa_report_format_table },
  { "csv", &xa_report_format_csv },
  { "json", &xa_report_format_json },
  { "html", &xa_report_format_html },
};

static const XaReportFormat *
xa_report_find_format (const XaOptions *opts, const gchar *name, GError **error)
{
  g_autofree gchar *shown = NULL;

  if (name == NULL)
    return opts->json ? &xa_report_format_json : &xa_report_format_table;
  for (gsize i = 0; i < G_N_ELEMENTS (xa_report_formats); i++) {
    if (g_str_equal (name, xa_report_formats[i].name) &&
        (!opts->json || xa_report_formats[i].format == &xa_report_format_json))
      return xa_report_formats[i].format;
  }
  shown = xa_text_quote (name);
  g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
               opts->json ? "--format: %s is not json, which --json asks for"
                          : "--format: %s is not a format (use table, csv, json or html)", shown);
  return NULL;
}

/* --since and --until, against one "now"; until is not included. */
static gboolean
xa_report_parse_range (const XaReportArgs *args, XaReport *report, GError **error)
{
  gint64 now_us = g_get_real_time ();

  report->since_us = 0;
  report->until_us = G_MAXINT64;
  if (args->since != NULL && !xa_time_parse (args->since, now_us, &report->since_us, error)) {
    g_prefix_error_literal (error, "--since: ");
    return FALSE;
  }
  if (args->until != NULL && !xa_time_parse (args->until, now_us, &report->until_us, error)) {
    g_prefix_error_literal (error, "--until: ");
    return FALSE;
  }
  if (report->since_us >= report->until_us) {
    g_set_error_literal (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                         "--until: the range is empty: --until must be later than --since");
    return FALSE;
  }
  return TRUE;
}

/* Every option, before the ledger is opened. */
static gboolean
xa_report_check_args (const XaReportArgs *args, GError **error)
{
  if (!xa_cli_check_path ("--db", args->db_path, error) ||
      !xa_cli_check_path ("--output", args->output, error))
    return FALSE;
  if (args->vm != NULL && !xa_name_validate (args->vm, error)) {
    g_prefix_error_literal (error, "--vm: ");
    return FALSE;
  }
  if (args->host != NULL && *args->host == '\0') {
    g_set_error_literal (error, XA_ERROR, XA_ERROR_INVALID_INPUT, "--host: the name is empty");
    return FALSE;
  }
  return TRUE;
}

/* A reader of the ledger: one that does not exist is not made. */
static XaStore *
xa_report_open_store (const gchar *db_path, GError **error)
{
  if (!g_file_test (db_path, G_FILE_TEST_EXISTS)) {
    g_autofree gchar *shown = xa_text_quote_path (db_path);

    g_set_error (error, XA_ERROR, XA_ERROR_NOT_FOUND,
                 "--db: %s does not exist: no ledger to report on", shown);
    return NULL;
  }
  return xa_store_open_reader (db_path, error);
}

/* A host as --host names it: by its UUID (its key less the kind), its key,
 * or its name. */
static gboolean
xa_report_host_matches (const XaStoreHostRow *host, const gchar *wanted)
{
  const gchar *uuid = strchr (host->key, ':');

  return g_str_equal (host->name, wanted) || g_str_equal (host->key, wanted) ||
         (uuid != NULL && g_str_equal (uuid + 1, wanted));
}

/* The hosts to report: the one --host names, else all. */
static gboolean
xa_report_select_hosts (GPtrArray *hosts, const gchar *wanted, GError **error)
{
  g_autoptr(GString) known = g_string_new (NULL);
  g_autofree gchar *shown = NULL;

  for (guint i = hosts->len; wanted != NULL && i > 0; i--) {
    const XaStoreHostRow *host = g_ptr_array_index (hosts, i - 1);

    g_string_prepend (known, host->name);
    g_string_prepend (known, i > 1 ? ", " : "");
    if (!xa_report_host_matches (host, wanted))
      g_ptr_array_remove_index (hosts, i - 1);
  }
  if (wanted == NULL || hosts->len > 0)
    return TRUE;
  shown = xa_text_quote (wanted);
  g_set_error (error, XA_ERROR, XA_ERROR_NOT_FOUND,
               "--host: the ledger knows no host %s (it knows %s)", shown,
               known->len > 0 ? known->str : "none");
  return FALSE;
}

static gboolean
xa_report_check_written (XaReport *report, GError **error)
{
  if (!ferror (report->out))
    return TRUE;
  g_set_error_literal (error, XA_ERROR, XA_ERROR_FAILED, "cannot write the report");
  return FALSE;
}

typedef struct {
  XaReport *report;
  const XaReportFormat *format;
  const XaReportHost *host;
  XaStore *store;
} XaReportWalk;

static gboolean
xa_report_write_vm (XaStoreVmRow *vm, gpointer user_data, GError **error)
{
  g_autoptr(XaStoreVmRow) row = vm;
  XaReportWalk *walk = user_data;
  g_autoptr(GPtrArray) events = NULL;

  if (!xa_cli_signals_check (walk->report->signals, error))
    return FALSE;
  if (walk->report->vm_name != NULL &&
      (events = xa_store_list_events (walk->store, row->id, error)) == NULL)
    return FALSE;
  if (!walk->format->vm (walk->report, walk->host, row, events, error))
    return FALSE;
  walk->report->n_vms++;
  return xa_report_check_written (walk->report, error);
}

static gboolean
xa_report_write_host (XaReport *report, const XaReportFormat *format, XaStore *store,
                      const XaStoreHostRow *host, GError **error)
{
  XaStoreReportRange range = { host->id, host->n_nodes, report->since_us, report->until_us,
                               report->vm_name };
  g_autoptr(XaReportHost) gathered = xa_report_host_new (store, host, &range, error);
  XaReportWalk walk = { report, format, NULL, store };

  if (gathered == NULL || (format->host != NULL && !format->host (report, gathered, error)))
    return FALSE;
  walk.host = gathered;
  report->n_vms = 0;
  if (!xa_store_report_vms (store, &range, xa_report_write_vm, &walk, error) ||
      (format->host_end != NULL && !format->host_end (report, gathered, error)))
    return FALSE;
  report->n_hosts++;
  return TRUE;
}

static gboolean
xa_report_write (XaReport *report, const XaReportFormat *format, XaStore *store,
                 GPtrArray *hosts, GError **error)
{
  if (format->begin != NULL && !format->begin (report, error))
    return FALSE;
  for (guint i = 0; i < hosts->len; i++) {
    if (!xa_report_write_host (report, format, store, g_ptr_array_index (hosts, i), error))
      return FALSE;
  }
  if (format->end != NULL && !format->end (report, error))
    return FALSE;
  if (fflush (report->out) != 0) {
    g_set_error (error, XA_ERROR, XA_ERROR_FAILED, "cannot write the report: %s",
                 g_strerror (errno));
    return FALSE;
  }
  return xa_report_check_written (report, error);
}

/* --output FILE: a temporary file beside it, renamed over it once the
 * report is complete, so that FILE is never half a report; else stdout. */
typedef struct {
  gchar *path;
  gchar *tmp_path;
  FILE *file;
} XaReportOutput;

static void
xa_report_output_clear (XaReportOutput *output)
{
  if (output->tmp_path != NULL) {
    if (output->file != NULL)
      fclose (output->file);
    g_unlink (output->tmp_path);
  }
  g_free (output->tmp_path);
  g_free (output->path);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (XaReportOutput, xa_report_output_clear)

static gboolean
xa_report_output_fail (const XaReportOutput *output, const gchar *what, GError **error)
{
  g_autofree gchar *shown = xa_text_quote_path (output->path);

  g_set_error (error, XA_ERROR, XA_ERROR_FAILED, "--output: %s: cannot %s: %s", shown, what,
               g_strerror (errno));
  return FALSE;
}

static gboolean
xa_report_output_open (XaReportOutput *output, const gchar *path, GError **error)
{
  gint fd;

  if (path == NULL) {
    output->file = stdout;
    return TRUE;
  }
  output->path = g_strdup (path);
  output->tmp_path = g_strconcat (path, ".XXXXXX", NULL);
  fd = g_mkstemp_full (output->tmp_path, O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) {
    g_clear_pointer (&output->tmp_path, g_free);
    return xa_report_output_fail (output, "create it", error);
  }
  output->file = fdopen (fd, "w");
  if (output->file == NULL) {
    close (fd);
    return xa_report_output_fail (output, "write it", error);
  }
  return TRUE;
}

static gboolean
xa_report_output_commit (XaReportOutput *output, GError **error)
{
  gboolean closed;

  if (output->tmp_path == NULL)
    return TRUE;
  closed = fsync (fileno (output->file)) == 0;
  closed = fclose (g_steal_pointer (&output->file)) == 0 && closed;
  if (!closed)
    return xa_report_output_fail (output, "write it", error);
  if (g_rename (output->tmp_path, output->path) != 0)
    return xa_report_output_fail (output, "replace it", error);
  g_clear_pointer (&output->tmp_path, g_free);
  return TRUE;
}

static GOptionContext *
xa_report_option_context (XaOptions *opts, XaReportArgs *args)
{
  const GOptionEntry entries[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &args->db_path, XA_QUEUE_DB_HELP, "PATH" },
    { "host", 0, 0, G_OPTION_ARG_STRING, &args->host,
      "Only this host of the ledger: its UUID or its name (default every host)", "UUID|NAME" },
    { "since", 0, 0, G_OPTION_ARG_STRING, &args->since,
      "From T on: ISO 8601 (2026-11-29T10:00:00Z; 2026-11-29 10:00 or 2026-11-29 in local "
      "time) or that long before now (30m, 2h, 7d)", "T" },
    { "until", 0, 0, G_OPTION_ARG_STRING, &args->until,
      "Before T (same forms; default now)", "T" },
    { "vm", 0, 0, G_OPTION_ARG_STRING, &args->vm,
      "Only the VM of this name: every request of that name, across boots, with its log",
      "NAME" },
    { "format", 0, 0, G_OPTION_ARG_STRING, &args->format,
      "table (default; fits 100 columns), csv (a row per VM), json (one document) or html "
      "(one self-contained page with charts)", "F" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &args->output,
      "Write the report to FILE (replaced whole once complete) rather than stdout", "FILE" },
    G_OPTION_ENTRY_NULL
  };

  return xa_cli_option_context_new (
    "- report on past batches and VMs, from the ledger",
    "What the ledger recorded, per host: each batch (time, policy, VMs, on one\n"
    "node / split / spilled, remote MiB, planning ms, the makespan of its builds);\n"
    "each VM queued in the range (planned nodes and MiB per node, the MiB per node\n"
    "the host reported once built, queue wait, build time, attempts, outcome and\n"
    "reason); each node (memory in use over time, queue wait p50, p95 and max).\n"
    "Times filter on the wall clock; waits and builds are on the host's clock.\n"
    "Nothing is written to the ledger, and no lock is taken. --json is --format\n"
    "json (docs/formats.md, What report --json prints).",
    opts, FALSE, entries);
}

static gboolean
xa_report_run (const XaOptions *opts, const XaReportArgs *args, GError **error)
{
  g_autofree gchar *db_path = args->db_path != NULL ? g_strdup (args->db_path)
                                                    : xa_store_default_path ();
  XaReport report = { NULL, db_path, 0, G_MAXINT64, args->vm, NULL, 0, 0 };
  const XaReportFormat *format = xa_report_find_format (opts, args->format, error);
  g_autoptr(XaStore) store = NULL;
  g_autoptr(GPtrArray) hosts = NULL;
  g_auto(XaReportOutput) output = { NULL, NULL, NULL };
  g_autoptr(XaCliSignals) signals = NULL;

  if (format == NULL || !xa_report_check_args (args, error) ||
      !xa_report_parse_range (args, &report, error) ||
      (store = xa_report_open_store (db_path, error)) == NULL ||
      (hosts = xa_store_list_hosts (store, error)) == NULL ||
      !xa_report_select_hosts (hosts, args->host, error) ||
      (signals = xa_cli_signals_new (NULL, NULL, error)) == NULL ||
      !xa_report_output_open (&output, args->output, error))
    return FALSE;
  report.out = output.file;
  report.signals = signals;
  return xa_report_write (&report, format, store, hosts, error) &&
         xa_report_output_commit (&output, error);
}

int
xa_report_main (int argc, char **argv)
{
  g_auto(XaOptions) opts = { 0 };
  g_auto(XaReportArgs) args = { 0 };
  g_autoptr(GOptionContext) ctx = xa_report_option_context (&opts, &args);
  g_autoptr(GError) error = NULL;

  /* numbers in CSV, JSON and SVG take a dot, whatever the locale */
  setlocale (LC_NUMERIC, "C");
  if (!xa_cli_parse_options (ctx, &opts, &argc, &argv, &error))
    return xa_cli_fail ("report", error);
  if (argc > 1) {
    g_autofree gchar *shown = xa_text_quote (argv[1]);

    g_printerr ("xadmit report: unexpected argument %s (see xadmit report --help)\n", shown);
    return XA_EXIT_USAGE;
  }
  if (!xa_report_run (&opts, &args, &error))
    return xa_cli_fail ("report", error);
  return XA_EXIT_OK;
}
