/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the queue's commands (submit, cancel, status, explain) share: the
 * host as the ledger knows it. */

#include "xa-cli.h"
#include "xa-store.h"

G_BEGIN_DECLS

/* --db, as boot has it. */
#define XA_QUEUE_DB_HELP \
  "The ledger (default /var/lib/xadmit/xadmit.db as root, else " \
  "$XDG_STATE_HOME/xadmit/xadmit.db)"

/**
 * XaQueueMode:
 * @XA_QUEUE_READ: status, explain: only reads; where this user may not
 *   open the host, the ledger's record of it will do
 * @XA_QUEUE_WRITE: cancel: writes an existing ledger, with the host
 * @XA_QUEUE_CREATE: submit: creates a missing ledger and --sim-state, and
 *   records the host in the ledger
 */
typedef enum {
  XA_QUEUE_READ,
  XA_QUEUE_WRITE,
  XA_QUEUE_CREATE,
} XaQueueMode;

/**
 * XaQueue:
 * @host: (nullable): the host of --host and --sim-state; %NULL only for
 *   %XA_QUEUE_READ, when this user may not open it (stderr said why)
 * @info: its snapshot; with @host %NULL, only its name and node count, as
 *   the ledger recorded them
 * @db_path: the ledger's path
 * @store: (nullable): the ledger; %NULL for a reader when it does not exist
 * @host_id: the host's id in @store; 0 when the ledger does not know it
 */
typedef struct {
  XaHost *host;
  XaHostInfo *info;
  gchar *db_path;
  XaStore *store;
  gint64 host_id;
} XaQueue;

void xa_queue_free (XaQueue *queue);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XaQueue, xa_queue_free)

XaQueue *xa_queue_open (const XaOptions *opts,
                        const gchar     *db_path,
                        XaQueueMode      mode,
                        GError         **error);
const XaStoreHostRow *xa_queue_pick_host (GPtrArray   *hosts,
                                          const gchar *kind,
                                          const gchar *name,
                                          GError     **error);
XaStoreRequest *xa_queue_find (XaQueue     *queue,
                               const gchar *id_or_name,
                               GError     **error);

/**
 * XaQueueAdmitter:
 * @running: whether a process holds the ledger's admitter lock
 * @unknown: this user may not open the lock (root's, 0600, beside a
 *   ledger shared with a group): whether one runs is not known
 * @pid: its pid, 0 if the lock file does not say
 * @command: (nullable): its command ("daemon", "boot"), if the file says
 * @since_us: when it took the lock (the lock file's mtime), wall clock
 */
typedef struct {
  gboolean running;
  gboolean unknown;
  gint64 pid;
  gchar *command;
  gint64 since_us;
} XaQueueAdmitter;

void xa_queue_admitter_clear (XaQueueAdmitter *admitter);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (XaQueueAdmitter, xa_queue_admitter_clear)

void xa_queue_probe_admitter (const gchar     *db_path,
                              XaQueueAdmitter *admitter);
GArray *xa_queue_nodes (XaQueue  *queue,
                        gboolean  admitting,
                        GError  **error);

G_END_DECLS
