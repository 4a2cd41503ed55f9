/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The store's insides, shared by its files; SQL lives in store/ only. */

#include <sqlite3.h>

#include "xa-private-file.h"
#include "xa-store.h"

G_BEGIN_DECLS

/* xa_store_hold(): operations share one transaction until a flush. */
typedef enum {
  XA_STORE_HOLD_OFF,  /* each operation commits by itself */
  XA_STORE_HOLD_IDLE, /* holding, no transaction open */
  XA_STORE_HOLD_OPEN, /* holding, a transaction open */
  XA_STORE_HOLD_LOST, /* holding, what was held rolled back: writes refused */
} XaStoreHold;

struct _XaStore {
  gchar *path;
  sqlite3 *db;
  /* prepared once, reused: the address of the SQL literal → sqlite3_stmt */
  GHashTable *statements;
  XaStoreHold hold;
  /* opened read-only: a reader of root's shared ledger */
  gboolean read_only;
  /* statements run since the store opened, which the bench and the
   * counting tests read */
  guint64 n_statements;
  /* per node (gint64), what the in-flight claims of @outstanding_host have
   * yet to take: read once, then kept as the store writes claims, so that
   * xa_store_available() reads no claim; %NULL until asked, and after a
   * rollback */
  gint64 outstanding_host;
  GArray *outstanding_mib;
};

/* A statement of the store's cache: going out of scope resets it, so no
 * path leaves it half-stepped or holding its bindings. */
typedef sqlite3_stmt XaStmt;
void xa_stmt_release (XaStmt *stmt);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XaStmt, xa_stmt_release)

XaStmt *xa_store_prepare (XaStore     *self,
                          const gchar *sql,
                          const gchar *purpose,
                          GError     **error);
gchar *xa_store_column_strdup (XaStmt *stmt,
                               gint    column);
void xa_store_bind_time (XaStmt      *stmt,
                         gint         column,
                         XaStoreTime  at);
gboolean xa_store_fail (XaStore     *self,
                        gint         rc,
                        const gchar *purpose,
                        GError     **error);
gboolean xa_store_step_done (XaStore     *self,
                             XaStmt      *stmt,
                             const gchar *purpose,
                             GError     **error);
gboolean xa_store_step_insert (XaStore     *self,
                               XaStmt      *stmt,
                               const gchar *purpose,
                               gint64      *out_id,
                               GError     **error);
gboolean xa_store_step_changed (XaStore     *self,
                                XaStmt      *stmt,
                                const gchar *purpose,
                                gboolean    *out_changed,
                                GError     **error);
gint xa_store_step_row (XaStore     *self,
                        XaStmt      *stmt,
                        const gchar *purpose,
                        GError     **error);

/* Makes an element of a list from the statement's current row. */
typedef gpointer (*XaStoreRowNew) (XaStmt *stmt);
/* Fills a zeroed element of an array from the statement's current row. */
typedef void (*XaStoreRowFill) (XaStmt  *stmt,
                                gpointer element);
GPtrArray *xa_store_collect_rows (XaStore        *self,
                                  XaStmt         *stmt,
                                  const gchar    *purpose,
                                  XaStoreRowNew   row_new,
                                  GDestroyNotify  free_func,
                                  GError        **error);
GArray *xa_store_collect_array (XaStore        *self,
                                XaStmt         *stmt,
                                const gchar    *purpose,
                                guint           element_size,
                                XaStoreRowFill  fill,
                                GDestroyNotify  clear_func,
                                GError        **error);

gboolean xa_store_begin (XaStore *self,
                         GError **error);
gboolean xa_store_commit (XaStore *self,
                          GError **error);
gboolean xa_store_rollback (XaStore *self);

gboolean xa_store_log_event (XaStore        *self,
                             gint64          request_id,
                             gint64          batch_id,
                             const gchar    *from,
                             XaRequestState  to,
                             const gchar    *reason,
                             XaStoreTime     at,
                             GError        **error);
gboolean xa_store_release_claims (XaStore *self,
                                  gint64   request_id,
                                  GError **error);
/* @ends_build: @at is when the build ended too, recorded with the state */
gboolean xa_store_change_state (XaStore        *self,
                                gint64          request_id,
                                XaRequestState  from,
                                XaRequestState  to,
                                const gchar    *reason,
                                XaStoreTime     at,
                                gboolean        ends_build,
                                gboolean       *out_changed,
                                GError        **error);
gboolean xa_store_not_in_state (XaStore        *self,
                                gint64          request_id,
                                XaRequestState  from,
                                XaRequestState  to,
                                GError        **error);
gboolean xa_store_read_state (XaStore        *self,
                              gint64          request_id,
                              XaRequestState *out_state,
                              GError        **error);
gboolean xa_store_set_state (XaStore        *self,
                             gint64          request_id,
                             XaRequestState  from,
                             XaRequestState  to,
                             const gchar    *reason,
                             XaStoreTime     at,
                             gboolean        ends_build,
                             GError        **error);

/* xa-store-queue.c: a request as xa_store_request_from_row() reads it, in
 * the order of these columns */
#define XA_STORE_REQUEST_COLUMNS \
  "id, uuid, group_id, state, reason, attempts, deferrals, queued_wall_us, queued_host_s, " \
  "name, memory_mib, vcpus, priority, nodes, hard_affinity, guest_type, kernel, ramdisk, " \
  "cmdline, vm_group, no_rollback"
XaStoreRequest *xa_store_request_from_row (XaStmt *stmt);
/* *out_id is 0 for a host the ledger does not know */
gboolean xa_store_find_host (XaStore     *self,
                             const gchar *key,
                             gint64      *out_id,
                             guint       *out_n_nodes,
                             GError     **error);

/* xa-store-claims.c: per node (gint64), what the host's in-flight claims
 * have yet to take */
gboolean xa_store_read_outstanding (XaStore *self,
                                    gint64   host_id,
                                    GError **error);
gint64 xa_store_outstanding_on (XaStore *self,
                                guint    node);

/* xa-store-history.c: what every query of VMs selects, in the order
 * xa_store_each_vm() reads it: a row per node of the last plan */
#define XA_STORE_VM_COLUMNS \
  "SELECT r.id, r.uuid, r.name, r.state, r.started_host_s - r.queued_host_s, " \
  "r.finished_host_s - r.started_host_s, p.node, p.in_set, p.planned_mib, " \
  "coalesce (p.actual_mib, 0), r.group_id, r.reason, r.memory_mib, r.queued_wall_us, " \
  "coalesce (r.started_wall_us, 0), coalesce (r.finished_wall_us, 0), r.vm_group, " \
  "r.attempts, (SELECT min (e.host_s) FROM events e " \
  "  WHERE e.request_id = r.id AND e.to_state = 'building') - r.queued_host_s " \
  "FROM requests r " \
  "LEFT JOIN placements p ON p.request_id = r.id AND p.batch_id = r.batch_id "
void xa_store_batch_row_fill (XaStoreBatchRow *row,
                              XaStmt          *stmt);
gboolean xa_store_each_vm (XaStore       *self,
                           XaStmt        *stmt,
                           guint          n_nodes,
                           const gchar   *purpose,
                           XaStoreVmFunc  func,
                           gpointer       user_data,
                           GError       **error);

/* xa-store-report.c: the report's queries, NULL-terminated, which a test
 * asks SQLite how it runs */
extern const gchar *const xa_store_report_statements[];

/* xa-store-schema.c */
gboolean xa_store_prepare_file (const gchar *path,
                                GError     **error);
gboolean xa_store_check_wal (const gchar       *path,
                             XaPrivateFileFlags flags,
                             GError           **error);
gboolean xa_store_check_read_only (const gchar *path,
                                   GError     **error);
gboolean xa_store_is_others (const gchar *path);
gboolean xa_store_is_shared (const gchar *path);
gboolean xa_store_migrate (XaStore *self,
                           GError **error);

/* xa-store-claims.c: a snapshot, for the reconciliation too */
void xa_store_outstanding_add (XaStore *self,
                               gint64   host_id,
                               gint64   node,
                               gint64   delta_mib);
GHashTable *xa_store_domains_by_uuid (const XaStoreSnapshot *snapshot);
gboolean xa_store_refresh_in_txn (XaStore               *self,
                                  gint64                 host_id,
                                  const XaStoreSnapshot *snapshot,
                                  GHashTable            *domains,
                                  XaStoreTime            at,
                                  gint64                *out_snapshot_id,
                                  GError               **error);

/* xa-store-builds.c: a build's end, for the reconciliation too */
gboolean xa_store_complete_in_txn (XaStore        *self,
                                   gint64          request_id,
                                   XaRequestState  from,
                                   guint           n_nodes,
                                   const guint64  *actual_mib,
                                   XaStoreTime     at,
                                   GError        **error);
gboolean xa_store_fail_in_txn (XaStore        *self,
                               gint64          request_id,
                               XaRequestState  from,
                               const gchar    *reason,
                               gboolean        retry,
                               gboolean        keep_claim,
                               XaStoreTime     at,
                               GError        **error);

G_END_DECLS
