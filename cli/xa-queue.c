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

/* The host; a writer creates a missing --sim-state, a reader refuses it
 * (a typo, more likely than a wish for a new host). */
static XaHost *
xa_queue_open_host (const XaOptions *opts, gboolean writer, XaHostInfo **info, GError **error)
{
  gboolean missing = opts->sim_state != NULL &&
                     !g_file_test (opts->sim_state, G_FILE_TEST_EXISTS);
  g_autoptr(XaHost) host = NULL;

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
xa_queue_open_store (XaQueue *queue, gboolean writer, GError **error)
{
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

/**
 * xa_queue_open:
 * @opts: the command's options
 * @db_path: (nullable): --db, %NULL for xa_store_default_path()
 * @writer: whether the command queues: it creates a missing ledger and
 *   --sim-state, and records the host in the ledger
 * @error: a #GError
 *
 * The host of --host and --sim-state, and its record in the ledger: the
 * one a daemon or a boot for the same --host and --sim-state admits for.
 * A simulated host needs --sim-state. No admitter lock is taken.
 *
 * Returns: (transfer full) (nullable): the queue
 */
XaQueue *
xa_queue_open (const XaOptions *opts, const gchar *db_path, gboolean writer, GError **error)
{
  g_autoptr(XaQueue) queue = g_new0 (XaQueue, 1);

  queue->db_path = db_path != NULL ? g_strdup (db_path) : xa_store_default_path ();
  queue->host = xa_queue_open_host (opts, writer, &queue->info, error);
  if (queue->host == NULL || !xa_queue_open_store (queue, writer, error))
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
 * ledger's record may be older than the last builds). Claims are the
 * ledger's either way. */
GArray *
xa_queue_nodes (XaQueue *queue, gboolean admitting, GError **error)
{
  g_autoptr(GArray) recorded = NULL;
  GArray *nodes;

  if (queue->store != NULL && queue->host_id != 0 &&
      (recorded = xa_store_node_status (queue->store, queue->host_id, error)) == NULL)
    return NULL;
  if (admitting && recorded != NULL && recorded->len == queue->info->n_nodes)
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

/* An ISO 8601 UTC time, or JSON null for 0 (it did not happen). */
