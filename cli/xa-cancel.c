/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-cancel.h"
#include "xa-error.h"
#include "xa-host-record.h"
#include "xa-queue.h"
#include "xa-text.h"
#include "xa-wake.h"

/*
 * `xadmit cancel ID|NAME...`: a queued request is cancelled in the ledger
 * at once; a build in flight is its admitter's to stop, so the ledger notes
 * the ask and the daemon is rung (docs/design.md, "Cancelling"); a running
 * VM is left alone, which the message says.
 */

#define XA_CANCEL_REASON "cancelled by xadmit cancel"

/* One request: its line on stdout, or the reason it was not cancelled on
 * stderr with the exit code that reason gives. */
static gint
xa_cancel_one (XaQueue *queue, const gchar *id_or_name, gboolean *out_in_flight)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(XaStoreRequest) request = xa_queue_find (queue, id_or_name, &error);
  XaRequestState state = XA_REQUEST_QUEUED;

  if (request == NULL ||
      !xa_store_ask_cancel (queue->store, request->id, XA_CANCEL_REASON,
                            xa_host_record_now (queue->host), &state, &error)) {
    g_autofree gchar *shown = xa_text_quote (id_or_name);

    g_printerr ("%s: %s: %s\n", g_get_prgname (), request != NULL ? request->req->name : shown,
                error->message);
    return xa_cli_exit_code_for_error (error);
  }
  if (state == XA_REQUEST_CANCELLED) {
    g_print ("%s: cancelled (it was queued)\n", request->req->name);
    return XA_EXIT_OK;
  }
  *out_in_flight = TRUE;
  g_print ("%s: %s: its admitter stops the build, destroys its domain and releases its claim\n",
           request->req->name, xa_request_state_to_string (state));
  return XA_EXIT_OK;
}

static gint
xa_cancel_run (const XaOptions *opts, const gchar *db_path, gint argc, char **argv,
               GError **error)
{
  g_autoptr(XaQueue) queue = xa_queue_open (opts, db_path, XA_QUEUE_WRITE, error);
  gboolean in_flight = FALSE;
  gint code = XA_EXIT_OK;

  if (queue == NULL)
    return -1;
  for (gint i = 1; i < argc; i++) {
    gint one = xa_cancel_one (queue, argv[i], &in_flight);

    code = MAX (code, one);
  }
  if (in_flight && !xa_wake_ring (queue->db_path) && !opts->quiet)
    g_printerr ("%s: no daemon is running for this ledger: the next one (or boot) to start "
                "cancels the builds it finds stopped\n", g_get_prgname ());
  return code;
}

static GOptionContext *
xa_cancel_option_context (XaOptions *opts, gchar **db_path)
{
  const GOptionEntry entries[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, db_path, XA_QUEUE_DB_HELP, "PATH" },
    G_OPTION_ENTRY_NULL
  };

  return xa_cli_option_context_new (
    "ID|NAME... - cancel VM starts that have not finished",
    "A queued request is cancelled at once. One being planned or built is\n"
    "its admitter's to stop: the daemon destroys the half-built domain and\n"
    "releases its claim (a daemon started later does it, if none runs). A\n"
    "running VM is not touched: stopping it is xl destroy's job. A NAME is the\n"
    "newest request of that name. Exit 1 if a request could not be cancelled\n"
    "(running, or over), 2 if one is not found.",
    opts, TRUE, entries);
}

int
xa_cancel_main (int argc, char **argv)
{
  g_auto(XaOptions) opts = { 0 };
  g_autofree gchar *db_path = NULL;
  g_autoptr(GOptionContext) ctx = xa_cancel_option_context (&opts, &db_path);
  g_autoptr(GError) error = NULL;
  gint code;

  if (!xa_cli_parse_options (ctx, &opts, &argc, &argv, &error) ||
      !xa_cli_check_path ("--db", db_path, &error))
    return xa_cli_fail ("cancel", error);
  if (argc < 2) {
    g_set_error_literal (&error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                         "which requests? give their IDs or NAMEs (see xadmit cancel --help)");
    return xa_cli_fail ("cancel", error);
  }
  code = xa_cancel_run (&opts, db_path, argc, argv, &error);
  if (code < 0)
    return xa_cli_fail ("cancel", error);
  return code;
}
