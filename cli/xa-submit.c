/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <unistd.h>

#include "xa-error.h"
#include "xa-host-record.h"
#include "xa-json.h"
#include "xa-manifest.h"
#include "xa-name.h"
#include "xa-output.h"
#include "xa-queue.h"
#include "xa-submit.h"
#include "xa-text.h"
#include "xa-wake.h"

/* An integer option left out of the command line. */
#define XA_SUBMIT_UNSET G_MININT

/* A timer, not a -wal file monitor that a busy daemon's every commit fires. */
#define XA_SUBMIT_WAIT_MS 200

typedef struct {
  XaOptions opts;
  gchar *db_path;
  gchar *name;
  gchar *memory;
  gint vcpus;
  gchar *nodes;
  gint priority;
  gchar *group;
  gboolean no_rollback;
  gchar *kernel;
  gchar *ramdisk;
  gchar *cmdline;
  gboolean wait;
} XaSubmitOptions;

static void
xa_submit_options_clear (XaSubmitOptions *submit)
{
  xa_cli_options_clear (&submit->opts);
  g_free (submit->db_path);
  g_free (submit->name);
  g_free (submit->memory);
  g_free (submit->nodes);
  g_free (submit->group);
  g_free (submit->kernel);
  g_free (submit->ramdisk);
  g_free (submit->cmdline);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (XaSubmitOptions, xa_submit_options_clear)

/* Whether a VM was described with options rather than a manifest. */
static gboolean
xa_submit_has_vm_options (const XaSubmitOptions *submit)
{
  return submit->name != NULL || submit->memory != NULL || submit->vcpus != XA_SUBMIT_UNSET ||
         submit->nodes != NULL || submit->priority != XA_SUBMIT_UNSET ||
         submit->kernel != NULL || submit->ramdisk != NULL || submit->cmdline != NULL;
}

static void
xa_submit_set_string (json_t *jvm, const gchar *key, const gchar *value)
{
  if (value != NULL)
    json_object_set_new (jvm, key, json_string (value));
}

/* The VM of the options, checked by the manifest's own parser: the same
 * rules and words, the field named as its option. */
static GPtrArray *
xa_submit_vm_from_options (const XaSubmitOptions *submit, GPtrArray **out_guests,
                           GError **error)
{
  g_autoptr(json_t) jvm = json_object ();
  g_autoptr(XaGuest) guest = NULL;
  g_autoptr(XaRequest) req = NULL;
  g_autoptr(GPtrArray) requests = NULL;

  xa_submit_set_string (jvm, "name", submit->name);
  xa_submit_set_string (jvm, "memory", submit->memory);
  if (submit->vcpus != XA_SUBMIT_UNSET)
    json_object_set_new (jvm, "vcpus", json_integer (submit->vcpus));
  if (submit->priority != XA_SUBMIT_UNSET)
    json_object_set_new (jvm, "priority", json_integer (submit->priority));
  xa_submit_set_string (jvm, "nodes", submit->nodes);
  xa_submit_set_string (jvm, "kernel", submit->kernel);
  xa_submit_set_string (jvm, "ramdisk", submit->ramdisk);
  xa_submit_set_string (jvm, "cmdline", submit->cmdline);
  req = xa_manifest_parse_vm (jvm, &guest, error);
  if (req == NULL) {
    g_prefix_error_literal (error, "--");
    return NULL;
  }
  requests = g_ptr_array_new_with_free_func ((GDestroyNotify) xa_request_free);
  g_ptr_array_add (requests, g_steal_pointer (&req));
  *out_guests = g_ptr_array_new_with_free_func ((GDestroyNotify) xa_guest_free);
  g_ptr_array_add (*out_guests, g_steal_pointer (&guest));
  return g_steal_pointer (&requests);
}

/* The VMs of MANIFEST or of the options, and the submission they go in:
 * the manifest or the VM they came as. --group puts them all in one
 * group, which starts together or not at all (a manifest's own "group"
 * fields give way to it). */
static GPtrArray *
xa_submit_load (const XaSubmitOptions *submit, const gchar *manifest, GPtrArray **out_guests,
                gchar **out_group, GError **error)
{
  GPtrArray *requests;
  g_autofree gchar *base = NULL;

  if (submit->group != NULL && !xa_name_validate (submit->group, error)) {
    g_prefix_error_literal (error, "--group: ");
    return NULL;
  }
  if (manifest != NULL)
    requests = xa_cli_load_manifest (manifest, out_guests, error);
  else
    requests = xa_submit_vm_from_options (submit, out_guests, error);
  if (requests == NULL)
    return NULL;
  for (guint i = 0; i < requests->len; i++) {
    XaRequest *req = g_ptr_array_index (requests, i);

    req->no_rollback = submit->no_rollback;
    if (submit->group == NULL)
      continue;
    g_free (req->group);
    req->group = g_strdup (submit->group);
  }
  if (manifest != NULL && g_str_equal (manifest, "-"))
    *out_group = g_strdup ("submit:stdin");
  else if (manifest != NULL)
    *out_group = g_strdup_printf ("submit:%s", (base = g_path_get_basename (manifest)));
  else
    *out_group = g_strdup_printf ("submit:%s", submit->name);
  return requests;
}

/* The just queued request @uuid, named @name, is rejected or cancelled
 * for @reason; one over already (rolled back with its group) stays so. */
static gboolean
xa_submit_end_queued (XaQueue *queue, const gchar *uuid, const gchar *name, XaRequestState to,
                      const gchar *reason, XaStoreTime at, GError **error)
{
  g_autoptr(XaStoreRequest) request = xa_store_find_request (queue->store, queue->host_id, uuid,
                                                             error);

  if (request == NULL)
    return FALSE;
  if (request->state != XA_REQUEST_QUEUED)
    return TRUE;
  if (to == XA_REQUEST_REJECTED ? !xa_store_reject (queue->store, request, reason, at, error)
                                : !xa_store_cancel (queue->store, request->id, reason, at, error))
    return FALSE;
  g_printerr ("xadmit submit: %s is %s: %s\n", name, xa_request_state_to_string (to), reason);
  return TRUE;
}

/* The other VMs of @failed's group among the just queued @uuids go with
 * it, as a batch rolls a group back: none starts without the others. */
static gboolean
xa_submit_roll_back (XaQueue *queue, GPtrArray *requests, GPtrArray *uuids,
                     const XaRequest *failed, const gchar *reason, XaStoreTime at, GError **error)
{
  g_autofree gchar *why = xa_request_rolled_back (failed, reason);

  for (guint i = 0; i < requests->len; i++) {
    const XaRequest *req = g_ptr_array_index (requests, i);

    if (req != failed && g_strcmp0 (req->group, failed->group) == 0 &&
        !xa_submit_end_queued (queue, g_ptr_array_index (uuids, i), req->name,
                               XA_REQUEST_CANCELLED, why, at, error))
      return FALSE;
  }
  return TRUE;
}

/* Rejects those of the just queued @uuids that the host can never start,
 * as boot's admission does, and their groups with them (unless kept with
 * --no-rollback). */
static gboolean
xa_submit_reject_unfit (XaQueue *queue, GPtrArray *requests, GPtrArray *guests,
                        GPtrArray *uuids, XaStoreTime at, GError **error)
{
  g_autoptr(GHashTable) domain_names = xa_host_record_domain_names (queue->info);

  for (guint i = 0; i < requests->len; i++) {
    const XaRequest *req = g_ptr_array_index (requests, i);
    g_autofree gchar *reason = xa_host_record_unfit (queue->host, domain_names, req,
                                                     g_ptr_array_index (guests, i));

    if (reason == NULL)
      continue;
    if (!xa_submit_end_queued (queue, g_ptr_array_index (uuids, i), req->name,
                               XA_REQUEST_REJECTED, reason, at, error))
      return FALSE;
    if (req->group != NULL && !req->no_rollback &&
        !xa_submit_roll_back (queue, requests, uuids, req, reason, at, error))
      return FALSE;
  }
  return TRUE;
}

/* Queues every VM, the unfit ones rejected, in one transaction. */
static GPtrArray *
xa_submit_queue (XaQueue *queue, const gchar *group, GPtrArray *requests, GPtrArray *guests,
                 GError **error)
{
  XaStoreTime at = xa_host_record_now (queue->host);
  g_autoptr(GPtrArray) uuids = NULL;
  gboolean ok;

  xa_store_hold (queue->store);
  ok = xa_store_submit (queue->store, queue->host_id, group, requests, guests, at, &uuids,
                        error) &&
       xa_submit_reject_unfit (queue, requests, guests, uuids, at, error);
  /* after a failure, what was held is rolled back already */
  if (!xa_store_release (queue->store, ok ? error : NULL) || !ok)
    return NULL;
  return g_steal_pointer (&uuids);
}

static void
xa_submit_print_ids (const XaOptions *opts, GPtrArray *requests, GPtrArray *uuids)
{
  g_autoptr(json_t) array = NULL;

  if (!opts->json) {
    for (guint i = 0; i < uuids->len; i++)
      g_print ("%s\n", (const gchar *) g_ptr_array_index (uuids, i));
    return;
  }
  array = json_array ();
  for (guint i = 0; i < uuids->len; i++)
    json_array_append_new (array, json_pack ("{s:s, s:s}", "id", g_ptr_array_index (uuids, i),
                                             "name",
                                             ((XaRequest *) g_ptr_array_index (requests, i))->name));
  xa_output_print_json (array);
}

typedef struct {
  XaQueue *queue;
  GPtrArray *uuids;
  XaRequestState *states;
  GMainLoop *loop;
  GError *error;
  gboolean interrupted;
  gboolean progress;
  gboolean progress_shown;
} XaSubmitWait;

static void
xa_submit_wait_progress (XaSubmitWait *wait)
{
  guint counts[XA_REQUEST_STATE_LAST + 1] = { 0 };

  if (!wait->progress)
    return;
  for (guint i = 0; i < wait->uuids->len; i++)
    counts[wait->states[i]]++;
  wait->progress_shown = TRUE;
  g_printerr ("\r  queued %u   planned %u   building %u   running %u   not started %u   ",
              counts[XA_REQUEST_QUEUED], counts[XA_REQUEST_PLANNED],
              counts[XA_REQUEST_BUILDING], counts[XA_REQUEST_RUNNING],
              wait->uuids->len - counts[XA_REQUEST_QUEUED] - counts[XA_REQUEST_PLANNED] -
              counts[XA_REQUEST_BUILDING] - counts[XA_REQUEST_RUNNING]);
}

/* Reads the states of the requests not yet terminal; stops the loop once
 * none is left, or on an error. */
static gboolean
xa_submit_wait_look (gpointer user_data)
{
  XaSubmitWait *wait = user_data;
  gboolean done = TRUE;

  for (guint i = 0; i < wait->uuids->len; i++) {
    g_autoptr(XaStoreRequest) request = NULL;

    if (wait->states[i] >= XA_REQUEST_RUNNING)
      continue;
    request = xa_store_find_request (wait->queue->store, wait->queue->host_id,
                                     g_ptr_array_index (wait->uuids, i), &wait->error);
    if (request == NULL) {
      g_main_loop_quit (wait->loop);
      return G_SOURCE_REMOVE;
    }
    wait->states[i] = request->state;
    done = done && request->state >= XA_REQUEST_RUNNING;
  }
  xa_submit_wait_progress (wait);
  if (!done)
    return G_SOURCE_CONTINUE;
  g_main_loop_quit (wait->loop);
  return G_SOURCE_REMOVE;
}

static void
xa_submit_wait_on_signal (guint count G_GNUC_UNUSED, gpointer user_data)
{
  XaSubmitWait *wait = user_data;

  wait->interrupted = TRUE;
  g_main_loop_quit (wait->loop);
}

/* One line for each request that did not start, with why. */
static gint
xa_submit_wait_report (const XaOptions *opts, XaSubmitWait *wait)
{
  gint code = XA_EXIT_OK;

  for (guint i = 0; i < wait->uuids->len; i++) {
    g_autoptr(XaStoreRequest) request = NULL;

    if (wait->states[i] == XA_REQUEST_RUNNING)
      continue;
    code = XA_EXIT_INCOMPLETE;
    request = xa_store_find_request (wait->queue->store, wait->queue->host_id,
                                     g_ptr_array_index (wait->uuids, i), NULL);
    if (request != NULL && !opts->quiet)
      g_printerr ("xadmit submit: %s is %s: %s\n", request->req->name,
                  xa_request_state_to_string (request->state),
                  request->reason != NULL ? request->reason : "no reason recorded");
  }
  return code;
}

/* --wait: until every request is running, failed, rejected, cancelled or
 * ended; 0 if all run, 3 if not, 130 on a signal (they stay queued). */
static gint
xa_submit_wait (const XaOptions *opts, XaSubmitWait *wait, GError **error)
{
  g_autofree XaRequestState *states = g_new0 (XaRequestState, wait->uuids->len);
  guint timer;

  wait->states = states;
  wait->progress = isatty (STDERR_FILENO) && !opts->quiet;
  if (xa_submit_wait_look (wait) == G_SOURCE_CONTINUE) {
    timer = g_timeout_add (XA_SUBMIT_WAIT_MS, xa_submit_wait_look, wait);
    g_main_loop_run (wait->loop);
    /* the timer removed itself unless a signal stopped the loop */
    if (wait->interrupted && wait->error == NULL)
      g_source_remove (timer);
  }
  if (wait->progress_shown)
    g_printerr ("\r%80s\r", "");
  if (wait->error != NULL) {
    g_propagate_error (error, g_steal_pointer (&wait->error));
    return -1;
  }
  if (wait->interrupted) {
    g_printerr ("xadmit submit: interrupted: the requests stay queued\n");
    return XA_EXIT_INTERRUPTED;
  }
  return xa_submit_wait_report (opts, wait);
}

static gint
xa_submit_run (const XaSubmitOptions *submit, const gchar *manifest, GError **error)
{
  g_autoptr(GPtrArray) guests = NULL;
  g_autofree gchar *group = NULL;
  /* all input checked before the ledger or a state file exists */
  g_autoptr(GPtrArray) requests = xa_submit_load (submit, manifest, &guests, &group, error);
  g_autoptr(XaQueue) queue = NULL;
  g_autoptr(GPtrArray) uuids = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  XaSubmitWait wait = { .loop = loop };
  g_autoptr(XaCliSignals) signals = NULL;

  /* with --wait, a signal that comes once the requests are queued ends the
   * wait, and leaves them queued */
  if (requests == NULL ||
      (submit->wait &&
       (signals = xa_cli_signals_new (xa_submit_wait_on_signal, &wait, error)) == NULL) ||
      (queue = xa_queue_open (&submit->opts, submit->db_path, XA_QUEUE_CREATE, error)) == NULL ||
      (signals != NULL && !xa_cli_signals_check (signals, error)) ||
      (uuids = xa_submit_queue (queue, group, requests, guests, error)) == NULL)
    return -1;
  xa_submit_print_ids (&submit->opts, requests, uuids);
  /* a script reads the ids while --wait waits */
  fflush (stdout);
  if (!xa_wake_ring (queue->db_path) && !submit->opts.quiet)
    g_printerr ("xadmit submit: no daemon is running for this ledger: the requests wait in "
                "it\n");
  if (!submit->wait)
    return XA_EXIT_OK;
  wait.queue = queue;
  wait.uuids = uuids;
  return xa_submit_wait (&submit->opts, &wait, error);
}

static GOptionContext *
xa_submit_option_context (XaSubmitOptions *submit)
{
  const GOptionEntry entries[] = {
    { "name", 0, 0, G_OPTION_ARG_STRING, &submit->name, "The VM's name, without a MANIFEST",
      "N" },
    { "memory", 0, 0, G_OPTION_ARG_STRING, &submit->memory,
      "Its memory, a size (4GiB, 4096)", "SIZE" },
    { "vcpus", 0, 0, G_OPTION_ARG_INT, &submit->vcpus, "Its vCPUs", "N" },
    { "nodes", 0, 0, G_OPTION_ARG_STRING, &submit->nodes,
      "The nodes it may use, a node set (0-3,^2; default all)", "SET" },
    { "priority", 0, 0, G_OPTION_ARG_INT, &submit->priority,
      "-1000 to 1000, higher first (default 0)", "P" },
    { "group", 0, 0, G_OPTION_ARG_STRING, &submit->group,
      "Put every VM in group G: they start together, or none does", "G" },
    { "no-rollback", 0, 0, G_OPTION_ARG_NONE, &submit->no_rollback,
      "When a VM of a group fails to build, keep the others built", NULL },
    { "kernel", 0, 0, G_OPTION_ARG_FILENAME, &submit->kernel, "What it boots on Xen", "F" },
    { "ramdisk", 0, 0, G_OPTION_ARG_FILENAME, &submit->ramdisk, "... with this ramdisk", "F" },
    { "cmdline", 0, 0, G_OPTION_ARG_STRING, &submit->cmdline, "... and command line", "S" },
    { "wait", 0, 0, G_OPTION_ARG_NONE, &submit->wait,
      "Wait until every VM submitted runs or will not (exit 0 if all run, else 3)", NULL },
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &submit->db_path,
      XA_QUEUE_DB_HELP, "PATH" },
    G_OPTION_ENTRY_NULL
  };
  return xa_cli_option_context_new (
    "MANIFEST|- | --name N --memory SIZE --vcpus N - queue VM starts for the daemon",
    "Checks the VMs of MANIFEST (- for standard input), or the one VM of --name,\n"
    "--memory and --vcpus, as boot does, queues them in the ledger for the host of\n"
    "--host and --sim-state in one transaction, prints their ids one per line\n"
    "(--json: an array of {id, name}) and wakes the daemon admitting for the\n"
    "ledger. Without a daemon the requests wait in the ledger, and it says so. A\n"
    "name is unique among the host's requests not yet running or over; one the\n"
    "host can never start (a guest it cannot boot, a name a domain has) is\n"
    "rejected at once, with the reason.",
    &submit->opts, TRUE, entries);
}

/* A MANIFEST or a VM's options, not both and not neither. */
static gboolean
xa_submit_check_arguments (const XaSubmitOptions *submit, int argc, GError **error)
{
  if (argc > 2 || (argc == 2 && xa_submit_has_vm_options (submit))) {
    g_set_error_literal (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                         "expected one MANIFEST or the options of one VM (--name, --memory, "
                         "--vcpus...), not both (see xadmit submit --help)");
    return FALSE;
  }
  if (argc < 2 && !xa_submit_has_vm_options (submit)) {
    g_set_error_literal (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                         "expected a MANIFEST, or --name, --memory and --vcpus (see xadmit "
                         "submit --help)");
    return FALSE;
  }
  return xa_cli_check_path ("--db", submit->db_path, error);
}

int
xa_submit_main (int argc, char **argv)
{
  g_auto(XaSubmitOptions) submit = { .vcpus = XA_SUBMIT_UNSET, .priority = XA_SUBMIT_UNSET };
  g_autoptr(GOptionContext) ctx = xa_submit_option_context (&submit);
  g_autoptr(GError) error = NULL;
  gint code;

  if (!xa_cli_parse_options (ctx, &submit.opts, &argc, &argv, &error) ||
      !xa_submit_check_arguments (&submit, argc, &error))
    return xa_cli_fail ("submit", error);
  code = xa_submit_run (&submit, argc == 2 ? argv[1] : NULL, &error);
  if (code < 0)
    return xa_cli_fail ("submit", error);
  return code;
}
