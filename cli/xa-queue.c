/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xa-error.h"
#include "xa-host-record.h"
#include "xa-queue.h"
#include "xa-text.h"

/* How long, in milliseconds, a process that would create a --sim-state
 * waits for the host's lock that another holds to create it. */
#define XA_QUEUE_CREATE_WAIT_MS 5000

void
xa_queue_free (XaQueue *queue)
{
  if (queue == NULL)
    return;
  g_clear_pointer (&queue->store, xa_store_free);
  g_clear_pointer (&queue->info, xa_host_info_free);
  g_clear_pointer (&queue->host, xa_host_free);
  g_free (queue->db_path);
  g_free (queue);
}

/* The host's lock, to create its state file; %FALSE with no error once
 * the file exists, written meanwhile by the process that held the lock.
 * That process holds it for the few milliseconds of one save: it is asked
 * again each millisecond. */
static gboolean
xa_queue_lock_to_create (const XaOptions *opts, XaHost *host, GError **error)
{
  for (guint i = 0;; i++) {
    g_autoptr(GError) busy = NULL;

    if (g_file_test (opts->sim_state, G_FILE_TEST_EXISTS))
      return FALSE;
    if (xa_host_lock (host, &busy))
      return TRUE;
    if (!g_error_matches (busy, XA_ERROR, XA_ERROR_BUSY) || i == XA_QUEUE_CREATE_WAIT_MS) {
      g_propagate_error (error, g_steal_pointer (&busy));
      return FALSE;
    }
    g_usleep (G_USEC_PER_SEC / 1000);
  }
}

/* A new simulated host's identity goes to its state file before anything is
 * queued for it, as boot's does, under the host's lock; a process that finds
 * the file written meanwhile reads it. */
static XaHost *
xa_queue_create_state (const XaOptions *opts, XaHost *host, XaHostInfo **info, GError **error)
{
  g_autoptr(XaHost) owned = host;
  g_autoptr(GError) local = NULL;

  if (!xa_queue_lock_to_create (opts, owned, &local) ||
      g_file_test (opts->sim_state, G_FILE_TEST_EXISTS)) {
    if (local != NULL) {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
    g_clear_pointer (info, xa_host_info_free);
    return xa_cli_open_host (opts, info, error);
  }
  if (!xa_host_save (owned, error))
    return NULL;
  if (!opts->quiet)
    g_printerr ("%s: created %s for a new simulated host\n", g_get_prgname (), opts->sim_state);
  return g_steal_pointer (&owned);
}

/* A --sim-state this user may not read is root's, as /dev/xen/privcmd is
 * on Xen: both are %XA_ERROR_PERMISSION, which a reader gets past. */
static gboolean
xa_queue_check_state_readable (const XaOptions *opts, GError **error)
{
  if (opts->sim_state == NULL || g_access (opts->sim_state, R_OK) == 0 || errno != EACCES)
    return TRUE;
  g_set_error (error, XA_ERROR, XA_ERROR_PERMISSION, "--sim-state: %s: this user may not read it",
               opts->sim_state);
  return FALSE;
}

/* The host; a writer creates a missing --sim-state, a reader refuses it
 * (a typo, more likely than a wish for a new host). */
static XaHost *
xa_queue_open_host (const XaOptions *opts, gboolean writer, XaHostInfo **info, GError **error)
{
  gboolean missing;
  g_autoptr(XaHost) host = NULL;

  if (!xa_queue_check_state_readable (opts, error))
    return NULL;
  missing = opts->sim_state != NULL && !g_file_test (opts->sim_state, G_FILE_TEST_EXISTS);
  if (missing && !writer) {
    g_set_error (error, XA_ERROR, XA_ERROR_NOT_FOUND,
                 "--sim-state: %s does not exist; xadmit submit, daemon or boot creates it",
                 opts->sim_state);
    return NULL;
  }
  host = xa_cli_open_host (opts, info, error);
  if (host == NULL)
    return NULL;
  if (g_str_equal (xa_host_get_kind (host), "sim") && opts->sim_state == NULL) {
    g_set_error_literal (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                         "--sim-state: missing: a simulated host kept in no state file lives "
                         "only as long as one process, so no daemon could take its requests "
                         "(give the FILE the daemon has)");
    return NULL;
  }
  if (missing)
    return xa_queue_create_state (opts, g_steal_pointer (&host), info, error);
  return g_steal_pointer (&host);
}

/* A reader finds the host if the ledger exists; a writer records both. */
static gboolean
xa_queue_open_store (XaQueue *queue, XaQueueMode mode, GError **error)
{
  gboolean writer = mode == XA_QUEUE_CREATE;
  g_autofree gchar *key = NULL;

  if (!writer && !g_file_test (queue->db_path, G_FILE_TEST_EXISTS))
    return TRUE;
  queue->store = writer ? xa_store_open (queue->db_path, error)
                        : xa_store_open_reader (queue->db_path, error);
  if (queue->store == NULL)
    return FALSE;
  if (writer)
    return xa_host_record_ensure (queue->host, queue->info, queue->store, &queue->host_id,
                                  error);
  key = xa_host_record_key (queue->host, queue->info);
  return xa_store_lookup_host (queue->store, key, &queue->host_id, error);
}

/* What tells the host apart without opening it: a simulated host's name
 * is its topology's (its --sim-state describes the same host), a Xen
 * host's this machine's. */
static gchar *
xa_queue_name_unopened (const gchar *spec)
{
  g_autoptr(XaHost) host = NULL;
  g_autoptr(XaHostInfo) info = NULL;

  if (g_str_equal (spec, "xen"))
    return g_strdup (g_get_host_name ());
  host = xa_host_open (spec, NULL, NULL);
  if (host == NULL || (info = xa_host_snapshot (host, NULL)) == NULL)
    return NULL;
  return g_strdup (info->name);
}

/* Several hosts of @kind: what tells them apart, and where that fails. */
static void
xa_queue_set_several (const gchar *kind, guint n_kind, const gchar *known, const gchar *name,
                      guint n_named, GError **error)
{
  g_autofree gchar *told = name == NULL ? g_strdup ("its topology gives no name to tell which")
                           : g_strdup_printf ("%u %s named %s", n_named,
                                              n_named == 1 ? "is" : "are", name);
  const gchar *hint = n_named > 1 ? "only the host itself tells them apart"
                     : g_str_equal (kind, "xen") ? "--host xen means the one named after this "
                                                   "machine"
                     : "--host sim:FILE means the one its topology names";

  g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
               "the ledger knows %u %s hosts (%s) and %s: %s; xadmit report --host UUID reads "
               "any of them", n_kind, kind, known, told, hint);
}

/**
 * xa_queue_pick_host:
 * @hosts: (element-type XaStoreHostRow): the hosts the ledger knows
 * @kind: "sim" or "xen", as --host says
 * @name: (nullable): the host's name, where known without opening it
 * @error: a #GError: %XA_ERROR_NOT_FOUND for no host of @kind,
 *   %XA_ERROR_INVALID_INPUT for several that @name does not tell apart
 *
 * The ledger's record of a host this user may not open, whose UUID it
 * cannot read: the one host of @kind, else the one of those named @name.
 *
 * Returns: (transfer none) (nullable): the host, one of @hosts
 */
const XaStoreHostRow *
xa_queue_pick_host (GPtrArray *hosts, const gchar *kind, const gchar *name, GError **error)
{
  g_autoptr(GString) known = g_string_new (NULL);
  const XaStoreHostRow *of_kind = NULL;
  const XaStoreHostRow *named = NULL;
  guint n_kind = 0;
  guint n_named = 0;

  g_return_val_if_fail (hosts != NULL && kind != NULL, NULL);

  for (guint i = 0; i < hosts->len; i++) {
    const XaStoreHostRow *host = g_ptr_array_index (hosts, i);

    if (!g_str_equal (host->kind, kind))
      continue;
    of_kind = host;
    n_kind++;
    g_string_append_printf (known, "%s%s %s", known->len > 0 ? ", " : "", host->name, host->key);
    if (g_strcmp0 (host->name, name) == 0) {
      named = host;
      n_named++;
    }
  }
  if (n_kind == 1)
    return of_kind;
  if (n_named == 1)
    return named;
  if (n_kind == 0)
    g_set_error (error, XA_ERROR, XA_ERROR_NOT_FOUND, "the ledger knows no %s host", kind);
  else
    xa_queue_set_several (kind, n_kind, known->str, name, n_named, error);
  return NULL;
}

/* A reader that may not open the host (@denied: root's --sim-state, or
 * Xen's privcmd) shows the ledger's record of it, if it may read the
 * ledger, and says so on stderr. */
static gboolean
xa_queue_open_recorded (XaQueue *queue, const XaOptions *opts, GError *denied, GError **error)
{
  g_autoptr(GError) owned = denied;
  const gchar *spec = opts->host_spec != NULL ? opts->host_spec : xa_host_auto_spec ();
  g_autofree gchar *name = xa_queue_name_unopened (spec);
  g_autoptr(GPtrArray) hosts = NULL;
  const XaStoreHostRow *host;

  if (!g_file_test (queue->db_path, G_FILE_TEST_EXISTS)) {
    g_propagate_error (error, g_steal_pointer (&owned));
    return FALSE;
  }
  if ((queue->store = xa_store_open_reader (queue->db_path, error)) == NULL ||
      (hosts = xa_store_list_hosts (queue->store, error)) == NULL)
    return FALSE;
  host = xa_queue_pick_host (hosts, g_str_equal (spec, "xen") ? "xen" : "sim", name, error);
  if (host == NULL) {
    g_prefix_error (error, "%s, and ", owned->message);
    return FALSE;
  }
  queue->host_id = host->id;
  queue->info = xa_host_info_new (host->name, host->n_nodes);
  if (!opts->quiet)
    g_printerr ("%s: the host itself could not be read (%s): shown as the ledger last "
                "recorded it\n", g_get_prgname (), owned->message);
  return TRUE;
}

/**
 * xa_queue_open:
 * @opts: the command's options
 * @db_path: (nullable): --db, %NULL for xa_store_default_path()
 * @mode: what the command does with the ledger and the host
 * @error: a #GError
 *
 * The host of --host and --sim-state, and its record in the ledger: the
 * one a daemon or a boot for the same --host and --sim-state admits for.
 * A simulated host needs --sim-state. No admitter lock is taken. A writer
 * is refused a ledger it may only read before the host is opened.
 *
 * Returns: (transfer full) (nullable): the queue
 */
XaQueue *
xa_queue_open (const XaOptions *opts, const gchar *db_path, XaQueueMode mode, GError **error)
{
  g_autoptr(XaQueue) queue = g_new0 (XaQueue, 1);
  g_autoptr(GError) denied = NULL;

  queue->db_path = db_path != NULL ? g_strdup (db_path) : xa_store_default_path ();
  if (mode != XA_QUEUE_READ && !xa_store_check_writer (queue->db_path, error))
    return NULL;
  queue->host = xa_queue_open_host (opts, mode == XA_QUEUE_CREATE, &queue->info, &denied);
  if (queue->host == NULL && mode == XA_QUEUE_READ &&
      g_error_matches (denied, XA_ERROR, XA_ERROR_PERMISSION))
    return xa_queue_open_recorded (queue, opts, g_steal_pointer (&denied), error)
           ? g_steal_pointer (&queue) : NULL;
  if (queue->host == NULL) {
    g_propagate_error (error, g_steal_pointer (&denied));
    return NULL;
  }
  if (!xa_queue_open_store (queue, mode, error))
    return NULL;
  return g_steal_pointer (&queue);
}

/**
 * xa_queue_find:
 * @queue: the queue
 * @id_or_name: a request's UUID or a VM's name, from the command line
 * @error: a #GError, %XA_ERROR_NOT_FOUND when nothing matches
 *
 * Returns: (transfer full) (nullable): the request it means: that UUID's,
 *   else the newest of that name
 */
XaStoreRequest *
xa_queue_find (XaQueue *queue, const gchar *id_or_name, GError **error)
{
  g_autofree gchar *shown = NULL;

  if (queue->store != NULL && queue->host_id != 0)
    return xa_store_find_request (queue->store, queue->host_id, id_or_name, error);
  shown = xa_text_quote (id_or_name);
  g_set_error (error, XA_ERROR, XA_ERROR_NOT_FOUND,
               "%s: the ledger has no request for this host, so none is %s", queue->db_path,
               shown);
  return NULL;
}

void
xa_queue_admitter_clear (XaQueueAdmitter *daemon)
{
  g_clear_pointer (&daemon->command, g_free);
}

/* The lock file holds "PID" or "PID COMMAND"; anything else says nothing. */
static void
xa_queue_read_holder (gint fd, XaQueueAdmitter *daemon)
{
  gchar text[128] = { 0 };
  gssize len = pread (fd, text, sizeof text - 1, 0);
  g_auto(GStrv) words = NULL;

  if (len <= 0)
    return;
  words = g_strsplit (g_strstrip (text), " ", 2);
  if (words[0] == NULL || !g_ascii_string_to_signed (words[0], 10, 1, G_MAXINT32,
                                                     &daemon->pid, NULL))
    return;
  if (words[1] != NULL && *g_strstrip (words[1]) != '\0')
    daemon->command = xa_text_quote_full (words[1], -1, XA_TEXT_QUOTE_MAX_CHARS,
                                          XA_TEXT_QUOTE_BARE);
}

/* Whether an admitter holds PATH.lock: a shared lock that cannot be had
 * means it does (docs/formats.md, Ledger); one that can is let go at once. */
void
xa_queue_probe_admitter (const gchar *db_path, XaQueueAdmitter *daemon)
{
  g_autofree gchar *lock_path = g_strconcat (db_path, ".lock", NULL);
  gint fd = g_open (lock_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0);
  struct stat st;

  if (fd < 0) {
    daemon->unknown = errno == EACCES;
    return;
  }
  if (flock (fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
    daemon->running = TRUE;
    xa_queue_read_holder (fd, daemon);
    if (fstat (fd, &st) == 0)
      daemon->since_us = (gint64) st.st_mtim.tv_sec * G_USEC_PER_SEC +
                         st.st_mtim.tv_nsec / 1000;
  }
  g_close (fd, NULL);
}

/* Per node, the free memory the admitter plans with: while one runs, its
 * newest record of the host in the ledger; else the host as it is now (the
 * ledger's record may be older than the last builds), unless this user may
 * not read the host: then the ledger's newest record, if any. Claims are
 * the ledger's either way. */
GArray *
xa_queue_nodes (XaQueue *queue, gboolean admitting, GError **error)
{
  g_autoptr(GArray) recorded = NULL;
  GArray *nodes;

  if (queue->store != NULL && queue->host_id != 0 &&
      (recorded = xa_store_node_status (queue->store, queue->host_id, error)) == NULL)
    return NULL;
  if (queue->host == NULL ||
      (admitting && recorded != NULL && recorded->len == queue->info->n_nodes))
    return g_steal_pointer (&recorded);
  nodes = g_array_sized_new (FALSE, TRUE, sizeof (XaStoreNodeStatus), queue->info->n_nodes);
  for (guint n = 0; n < queue->info->n_nodes; n++) {
    const XaHostNode *hn = &queue->info->nodes[n];
    guint64 claimed = recorded != NULL && n < recorded->len
                      ? g_array_index (recorded, XaStoreNodeStatus, n).claimed_mib : 0;
    XaStoreNodeStatus status = { n, hn->total_mib, hn->free_mib, claimed,
                                 hn->free_mib > claimed ? hn->free_mib - claimed : 0,
                                 { g_get_real_time (), queue->info->time_s } };

    g_array_append_val (nodes, status);
  }
  return nodes;
}

