/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-error.h"
#include "xa-json.h"
#include "xa-output.h"
#include "xa-queue.h"
#include "xa-status.h"
#include "xa-text.h"

/* Human output fits this many columns. */
#define XA_STATUS_COLUMNS 100
/* The widths of the queue's NAME, GROUP and NODES columns. */
#define XA_STATUS_NAME_WIDTH 20
#define XA_STATUS_GROUP_WIDTH 16
#define XA_STATUS_NODES_WIDTH 8

/* The requests to show: those named, else the queue and the builds in
 * flight. */
static GPtrArray *
xa_status_requests (XaQueue *queue, gchar **names, GError **error)
{
  g_autoptr(GPtrArray) rows = NULL;

  if (names[0] == NULL && (queue->store == NULL || queue->host_id == 0))
    return g_ptr_array_new_with_free_func ((GDestroyNotify) xa_store_vm_row_free);
  if (names[0] == NULL)
    return xa_store_list_live_vms (queue->store, queue->host_id, queue->info->n_nodes, error);
  rows = g_ptr_array_new_with_free_func ((GDestroyNotify) xa_store_vm_row_free);
  for (guint i = 0; names[i] != NULL; i++) {
    g_autoptr(XaStoreRequest) request = xa_queue_find (queue, names[i], error);
    XaStoreVmRow *row;

    if (request == NULL ||
        (row = xa_store_get_vm (queue->store, request->id, queue->info->n_nodes, error)) == NULL)
      return NULL;
    g_ptr_array_add (rows, row);
  }
  return g_steal_pointer (&rows);
}

static json_t *
xa_status_daemon_to_json (const XaQueueAdmitter *daemon)
{
  if (!daemon->running)
    return json_pack ("{s:o, s:n, s:n, s:n}", "running",
                      daemon->unknown ? json_null () : json_false (), "pid", "command", "since");
  return json_pack ("{s:b, s:o, s:o, s:o}", "running", TRUE, "pid",
                    daemon->pid > 0 ? json_integer (daemon->pid) : json_null (), "command",
                    daemon->command != NULL ? json_string (daemon->command) : json_null (),
                    "since", xa_output_time_to_json (daemon->since_us));
}

static json_t *
xa_status_request_to_json (const XaStoreVmRow *row, guint n_nodes)
{
  json_t *nodes = json_array ();
  json_t *mib = json_array ();

  for (guint n = 0; n < n_nodes; n++) {
    if (xa_nodeset_has (row->planned_nodes, n))
      json_array_append_new (nodes, json_integer (n));
    json_array_append_new (mib, json_integer ((json_int_t) row->planned_mib[n]));
  }
  return json_pack ("{s:s, s:s, s:o, s:s, s:s, s:o, s:I, s:o, s:o, s:o, s:o, s:o}",
                    "id", row->uuid, "name", row->name,
                    "group", row->group != NULL ? json_string (row->group) : json_null (),
                    "submission", row->group_id,
                    "state", xa_request_state_to_string (row->state),
                    "reason", row->reason != NULL ? json_string (row->reason) : json_null (),
                    "memory_mib", (json_int_t) row->memory_mib, "planned_nodes", nodes,
                    "planned_by_node_mib", mib,
                    "queued", xa_output_time_to_json (row->queued_wall_us),
                    "started", xa_output_time_to_json (row->started_wall_us),
                    "finished", xa_output_time_to_json (row->finished_wall_us));
}

static json_t *
xa_status_to_json (XaQueue *queue, const XaQueueAdmitter *daemon, GPtrArray *rows, GArray *nodes)
{
  json_t *requests = json_array ();
  json_t *jnodes = json_array ();

  for (guint i = 0; i < rows->len; i++)
    json_array_append_new (requests,
                           xa_status_request_to_json (g_ptr_array_index (rows, i),
                                                      queue->info->n_nodes));
  for (guint i = 0; i < nodes->len; i++) {
    const XaStoreNodeStatus *status = &g_array_index (nodes, XaStoreNodeStatus, i);

    json_array_append_new (jnodes, json_pack ("{s:i, s:I, s:I, s:I, s:I, s:o}", "node",
                                              (gint) status->node,
                                              "total_mib", (json_int_t) status->total_mib,
                                              "free_mib", (json_int_t) status->free_mib,
                                              "claimed_mib", (json_int_t) status->claimed_mib,
                                              "available_mib",
                                              (json_int_t) status->available_mib, "seen",
                                              xa_output_time_to_json (status->seen.wall_us)));
  }
  return json_pack ("{s:s, s:s, s:s, s:o, s:o, s:o}", "ledger", queue->db_path, "host",
                    queue->info->name, "host_seen", queue->host != NULL ? "host" : "ledger",
                    "daemon", xa_status_daemon_to_json (daemon), "requests", requests,
                    "nodes", jnodes);
}

/* A local time for people, month to second. */
static gchar *
xa_status_format_time (gint64 wall_us)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_local (wall_us / G_USEC_PER_SEC);

  return g_date_time_format (time, "%m-%d %H:%M:%S");
}

static void
xa_status_print_daemon (const XaQueueAdmitter *daemon)
{
  g_autofree gchar *since = NULL;

  if (daemon->unknown) {
    g_print ("daemon: not known: only root may read the ledger's lock\n");
    return;
  }
  if (!daemon->running) {
    g_print ("daemon: none runs for this ledger: what is queued waits for xadmit daemon\n");
    return;
  }
  since = daemon->since_us > 0 ? xa_status_format_time (daemon->since_us) : g_strdup ("?");
  if (daemon->pid > 0)
    g_print ("daemon: pid %" G_GINT64_FORMAT "%s%s%s, since %s\n", daemon->pid,
             daemon->command != NULL ? " (" : "",
             daemon->command != NULL ? daemon->command : "",
             daemon->command != NULL ? ")" : "", since);
  else
    g_print ("daemon: a process holds the ledger's lock, since %s\n", since);
}

static void
xa_status_print_request (const XaStoreVmRow *row)
{
  g_autofree gchar *name = xa_output_cut (row->name, XA_STATUS_NAME_WIDTH);
  g_autofree gchar *group = xa_output_cut (row->group != NULL ? row->group : "-",
                                           XA_STATUS_GROUP_WIDTH);
  g_autofree gchar *set = xa_nodeset_format (row->planned_nodes);
  g_autofree gchar *nodes = xa_output_cut (row->planned_nodes != 0 ? set : "-",
                                           XA_STATUS_NODES_WIDTH);
  g_autofree gchar *queued = xa_status_format_time (row->queued_wall_us);
  g_autofree gchar *id = g_strndup (row->uuid, 8);
  g_autofree gchar *wrapped = row->reason != NULL
    ? xa_output_wrap (row->reason, 12, XA_STATUS_COLUMNS) : NULL;

  g_print ("  %-8s  %-*s  %-*s  %-9s %9" G_GUINT64_FORMAT "  %-*s  %s\n", id,
           xa_output_field_width (name, XA_STATUS_NAME_WIDTH), name,
           xa_output_field_width (group, XA_STATUS_GROUP_WIDTH), group,
           xa_request_state_to_string (row->state), row->memory_mib,
           xa_output_field_width (nodes, XA_STATUS_NODES_WIDTH), nodes, queued);
  if (row->reason != NULL)
    g_print ("%s", wrapped);
}

static void
xa_status_print_nodes (GArray *nodes)
{
  g_autofree gchar *seen = nodes->len > 0
    ? xa_status_format_time (g_array_index (nodes, XaStoreNodeStatus, 0).seen.wall_us) : NULL;

  g_print ("\nnodes, MiB, free as seen at %s:\n", seen != NULL ? seen : "-");
  g_print ("  %-4s  %10s  %10s  %10s  %10s\n", "node", "total", "free", "claimed", "available");
  for (guint i = 0; i < nodes->len; i++) {
    const XaStoreNodeStatus *status = &g_array_index (nodes, XaStoreNodeStatus, i);

    g_print ("  %-4u  %10" G_GUINT64_FORMAT "  %10" G_GUINT64_FORMAT "  %10" G_GUINT64_FORMAT
             "  %10" G_GUINT64_FORMAT "\n", status->node, status->total_mib, status->free_mib,
             status->claimed_mib, status->available_mib);
  }
}

static void
xa_status_print (XaQueue *queue, const XaQueueAdmitter *daemon, GPtrArray *rows, GArray *nodes)
{
  guint counts[XA_REQUEST_STATE_LAST + 1] = { 0 };

  g_print ("ledger %s, host %s\n", queue->db_path, queue->info->name);
  xa_status_print_daemon (daemon);
  for (guint i = 0; i < rows->len; i++)
    counts[((XaStoreVmRow *) g_ptr_array_index (rows, i))->state]++;
  g_print ("\nrequests: %u queued, %u planned, %u building", counts[XA_REQUEST_QUEUED],
           counts[XA_REQUEST_PLANNED], counts[XA_REQUEST_BUILDING]);
  if (rows->len > counts[XA_REQUEST_QUEUED] + counts[XA_REQUEST_PLANNED] +
                  counts[XA_REQUEST_BUILDING])
    g_print (", %u over", rows->len - counts[XA_REQUEST_QUEUED] - counts[XA_REQUEST_PLANNED] -
                          counts[XA_REQUEST_BUILDING]);
  g_print ("\n");
  if (rows->len > 0)
    g_print ("  %-8s  %-*s  %-*s  %-9s %9s  %-*s  %s\n", "id", XA_STATUS_NAME_WIDTH, "name",
             XA_STATUS_GROUP_WIDTH, "group", "state", "MiB", XA_STATUS_NODES_WIDTH, "nodes",
             "queued");
  for (guint i = 0; i < rows->len; i++)
    xa_status_print_request (g_ptr_array_index (rows, i));
  xa_status_print_nodes (nodes);
}

/* Each name of the host's requests once, newest first, one a line: what
 * explain, cancel and report --vm take, for the shell's completion. */
static gint
xa_status_print_names (XaQueue *queue, GError **error)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) rows = NULL;

  if (queue->store == NULL || queue->host_id == 0)
    return XA_EXIT_OK;
  rows = xa_store_list_vms (queue->store, queue->host_id, queue->info->n_nodes, 0, G_MAXINT64,
                            error);
  if (rows == NULL)
    return -1;
  for (guint i = rows->len; i > 0; i--) {
    const XaStoreVmRow *row = g_ptr_array_index (rows, i - 1);

    if (g_hash_table_add (seen, row->name))
      g_print ("%s\n", row->name);
  }
  return XA_EXIT_OK;
}

static GOptionContext *
xa_status_option_context (XaOptions *opts, gchar **db_path, gboolean *names_only)
{
  const GOptionEntry entries[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, db_path,
      XA_QUEUE_DB_HELP, "PATH" },
    { "names", 0, 0, G_OPTION_ARG_NONE, names_only,
      "Print only the names of the host's requests, any state, each once, newest first, one a "
      "line (for shell completion)", NULL },
    G_OPTION_ENTRY_NULL
  };

  return xa_cli_option_context_new (
    "[ID|NAME...] - show the daemon, the queue and each node's memory",
    "Whether a daemon admits for the ledger (its pid, and since when), the\n"
    "requests of the host of --host and --sim-state that are queued (with why\n"
    "they wait), planned or being built, and per node the free memory (as the\n"
    "running admitter last saw it, else the host's now; the ledger's last record\n"
    "where this user may not read the host, which stderr says), what the claims\n"
    "of the builds in flight have yet to take, and what is left to plan. With IDs or\n"
    "NAMEs, those requests only, whatever their state (a NAME is the newest\n"
    "request of that name). Nothing is written. With --json, one document\n"
    "(docs/formats.md, Queue).",
    opts, TRUE, entries);
}

static gint
xa_status_run (const XaOptions *opts, const gchar *db_path, gchar **names, gboolean names_only,
               GError **error)
{
  g_autoptr(XaQueue) queue = xa_queue_open (opts, db_path, XA_QUEUE_READ, error);
  g_auto(XaQueueAdmitter) daemon = { 0 };
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GArray) nodes = NULL;

  if (queue != NULL && names_only)
    return xa_status_print_names (queue, error);
  if (queue == NULL || (rows = xa_status_requests (queue, names, error)) == NULL)
    return -1;
  xa_queue_probe_admitter (queue->db_path, &daemon);
  if ((nodes = xa_queue_nodes (queue, daemon.running, error)) == NULL)
    return -1;
  if (opts->json) {
    g_autoptr(json_t) root = xa_status_to_json (queue, &daemon, rows, nodes);

    xa_output_print_json (root);
  } else if (!opts->quiet) {
    xa_status_print (queue, &daemon, rows, nodes);
  }
  return XA_EXIT_OK;
}

int
xa_status_main (int argc, char **argv)
{
  g_auto(XaOptions) opts = { 0 };
  g_autofree gchar *db_path = NULL;
  gboolean names_only = FALSE;
  g_autoptr(GOptionContext) ctx = xa_status_option_context (&opts, &db_path, &names_only);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) names = NULL;
  gint code;

  if (!xa_cli_parse_options (ctx, &opts, &argc, &argv, &error) ||
      !xa_cli_check_path ("--db", db_path, &error))
    return xa_cli_fail ("status", error);
  names = g_new0 (gchar *, (gsize) argc);
  for (gint i = 1; i < argc; i++)
    names[i - 1] = g_strdup (argv[i]);
  code = xa_status_run (&opts, db_path, names, names_only, &error);
  if (code < 0)
    return xa_cli_fail ("status", error);
  return code;
}
