/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xa-error.h"
#include "xa-names.h"
#include "xa-private-file.h"
#include "xa-store-private.h"

/* A writer waits this long for another one (the admitter, a submit). */
#define XA_STORE_BUSY_TIMEOUT_MS 10000
/* A transaction's start or commit refused as busy is tried this often in
 * all, each after the busy timeout. */
#define XA_STORE_BUSY_TRIES 3

static const gchar *const xa_request_state_names[] = {
  [XA_REQUEST_QUEUED] = "queued",
  [XA_REQUEST_PLANNED] = "planned",
  [XA_REQUEST_BUILDING] = "building",
  [XA_REQUEST_RUNNING] = "running",
  [XA_REQUEST_FAILED] = "failed",
  [XA_REQUEST_CANCELLED] = "cancelled",
  [XA_REQUEST_REJECTED] = "rejected",
  [XA_REQUEST_ENDED] = "ended",
};

const gchar *
xa_request_state_to_string (XaRequestState state)
{
  g_return_val_if_fail (state <= XA_REQUEST_STATE_LAST, NULL);

  return xa_request_state_names[state];
}

gboolean
xa_request_state_from_string (const gchar *text, XaRequestState *out_state)
{
  gint s = xa_names_find (xa_request_state_names, G_N_ELEMENTS (xa_request_state_names), text);

  if (s < 0)
    return FALSE;
  *out_state = (XaRequestState) s;
  return TRUE;
}

void
xa_store_request_free (XaStoreRequest *request)
{
  if (request == NULL)
    return;
  g_free (request->uuid);
  g_free (request->group_id);
  g_free (request->reason);
  g_clear_pointer (&request->req, xa_request_free);
  g_clear_pointer (&request->guest, xa_guest_free);
  g_free (request);
}

static void
xa_stmt_finalize (gpointer stmt)
{
  sqlite3_finalize (stmt);
}

void
xa_stmt_release (XaStmt *stmt)
{
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
}

/* Binds a time to @column (wall clock) and @column + 1 (host clock). */
void
xa_store_bind_time (XaStmt *stmt, gint column, XaStoreTime at)
{
  sqlite3_bind_int64 (stmt, column, at.wall_us);
  sqlite3_bind_double (stmt, column + 1, at.host_s);
}

/**
 * xa_store_fail:
 * @self: the store
 * @rc: what SQLite returned
 * @purpose: what the store was doing, as in "cannot @purpose"
 * @error: a #GError, %XA_ERROR_DATABASE
 *
 * Returns: %FALSE, to return in turn
 */
gboolean
xa_store_fail (XaStore *self, gint rc, const gchar *purpose, GError **error)
{
  const gchar *detail = self->db != NULL && sqlite3_errcode (self->db) == rc ?
    sqlite3_errmsg (self->db) : sqlite3_errstr (rc);

  g_set_error (error, XA_ERROR, XA_ERROR_DATABASE, "%s: cannot %s: %s", self->path, purpose,
               detail);
  return FALSE;
}

/**
 * xa_store_prepare:
 * @self: the store
 * @sql: one statement, a literal: its address is the cache's key
 * @purpose: what it is for, for error messages
 * @error: a #GError
 *
 * Returns: (transfer none) (nullable): the statement, prepared on first use
 *   and reused after; release it with g_autoptr(XaStmt)
 */
XaStmt *
xa_store_prepare (XaStore *self, const gchar *sql, const gchar *purpose, GError **error)
{
  sqlite3_stmt *stmt = g_hash_table_lookup (self->statements, sql);
  gint rc;

  self->n_statements++;
  if (stmt != NULL)
    return stmt;
  rc = sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
  if (rc != SQLITE_OK) {
    xa_store_fail (self, rc, purpose, error);
    return NULL;
  }
  g_hash_table_insert (self->statements, (gpointer) sql, stmt);
  return stmt;
}

gchar *
xa_store_column_strdup (XaStmt *stmt, gint column)
{
  return g_strdup ((const gchar *) sqlite3_column_text (stmt, column));
}

/**
 * xa_store_get_n_statements:
 * @self: the store
 *
 * Returns: how many statements it has run since it opened (each use of a
 *   prepared statement counts once, however many rows it steps)
 */
guint64
xa_store_get_n_statements (XaStore *self)
{
  return self->n_statements;
}

/* Steps a statement that returns no rows. */
gboolean
xa_store_step_done (XaStore *self, XaStmt *stmt, const gchar *purpose, GError **error)
{
  gint rc = sqlite3_step (stmt);

  if (rc != SQLITE_DONE)
    return xa_store_fail (self, rc, purpose, error);
  return TRUE;
}

/* Steps an INSERT; *out_id is the new row's. */
gboolean
xa_store_step_insert (XaStore *self, XaStmt *stmt, const gchar *purpose, gint64 *out_id,
                      GError **error)
{
  if (!xa_store_step_done (self, stmt, purpose, error))
    return FALSE;
  *out_id = sqlite3_last_insert_rowid (self->db);
  return TRUE;
}

/* Steps an UPDATE of one row; *out_changed says whether it matched. */
gboolean
xa_store_step_changed (XaStore *self, XaStmt *stmt, const gchar *purpose, gboolean *out_changed,
                       GError **error)
{
  if (!xa_store_step_done (self, stmt, purpose, error))
    return FALSE;
  *out_changed = sqlite3_changes (self->db) == 1;
  return TRUE;
}

/* Returns 1 for a row, 0 at the end, -1 on error. */
gint
xa_store_step_row (XaStore *self, XaStmt *stmt, const gchar *purpose, GError **error)
{
  gint rc = sqlite3_step (stmt);

  if (rc == SQLITE_ROW)
    return 1;
  if (rc == SQLITE_DONE)
    return 0;
  xa_store_fail (self, rc, purpose, error);
  return -1;
}

/**
 * xa_store_collect_rows:
 * @self: the store
 * @stmt: a query, bound
 * @purpose: what it is for, for error messages
 * @row_new: makes an element of the current row
 * @free_func: frees an element
 * @error: a #GError
 *
 * Returns: (transfer full) (nullable): an element per row, in order
 */
GPtrArray *
xa_store_collect_rows (XaStore *self, XaStmt *stmt, const gchar *purpose, XaStoreRowNew row_new,
                       GDestroyNotify free_func, GError **error)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func (free_func);
  gint row;

  while ((row = xa_store_step_row (self, stmt, purpose, error)) == 1)
    g_ptr_array_add (rows, row_new (stmt));
  if (row < 0)
    return NULL;
  return g_steal_pointer (&rows);
}

/**
 * xa_store_collect_array:
 * @self: the store
 * @stmt: a query, bound
 * @purpose: what it is for, for error messages
 * @element_size: the size of an element
 * @fill: fills a zeroed element from the current row
 * @clear_func: (nullable): frees what an element holds
 * @error: a #GError
 *
 * Returns: (transfer full) (nullable): an element per row, in order
 */
GArray *
xa_store_collect_array (XaStore *self, XaStmt *stmt, const gchar *purpose, guint element_size,
                        XaStoreRowFill fill, GDestroyNotify clear_func, GError **error)
{
  g_autoptr(GArray) rows = g_array_new (FALSE, TRUE, element_size);
  gint row;

  g_array_set_clear_func (rows, clear_func);
  while ((row = xa_store_step_row (self, stmt, purpose, error)) == 1) {
    g_array_set_size (rows, rows->len + 1);
    fill (stmt, rows->data + (gsize) (rows->len - 1) * element_size);
  }
  if (row < 0)
    return NULL;
  return g_steal_pointer (&rows);
}

/* A BEGIN IMMEDIATE or a COMMIT that SQLite answers SQLITE_BUSY, after the
 * busy timeout, changed nothing (a COMMIT leaves its transaction open) and
 * may be run again: many submitters at once, or one behind a long batch,
 * must never see "database is locked". */
static gboolean
xa_store_exec (XaStore *self, const gchar *sql, const gchar *purpose, GError **error)
{
  g_autoptr(XaStmt) stmt = xa_store_prepare (self, sql, purpose, error);
  gint rc = SQLITE_BUSY;

  if (stmt == NULL)
    return FALSE;
  for (guint i = 0; i < XA_STORE_BUSY_TRIES && (rc & 0xff) == SQLITE_BUSY; i++) {
    sqlite3_reset (stmt);
    rc = sqlite3_step (stmt);
  }
  if (rc != SQLITE_DONE)
    return xa_store_fail (self, rc, purpose, error);
  return TRUE;
}

static gboolean
xa_store_lost (XaStore *self, GError **error)
{
  g_set_error (error, XA_ERROR, XA_ERROR_FAILED,
               "%s: the writes since the last commit were rolled back after an error",
               self->path);
  return FALSE;
}

/* Writers take the lock at once: a transaction that reads first and writes
 * later could not wait for another writer without risking a deadlock. While
 * held, operations share the transaction that xa_store_flush() commits. */
gboolean
xa_store_begin (XaStore *self, GError **error)
{
  /* SQLite may have rolled back by itself after an error */
  if (self->hold == XA_STORE_HOLD_OPEN && sqlite3_get_autocommit (self->db))
    self->hold = XA_STORE_HOLD_LOST;
  if (self->hold == XA_STORE_HOLD_LOST)
    return xa_store_lost (self, error);
  if (self->hold == XA_STORE_HOLD_OPEN)
    return TRUE;
  if (self->read_only) {
    g_set_error (error, XA_ERROR, XA_ERROR_PERMISSION,
                 "%s: it is root's, and this user may only read it (xadmit status, report); "
                 "only root may write it", self->path);
    return FALSE;
  }
  if (!xa_store_exec (self, "BEGIN IMMEDIATE", "start a transaction", error))
    return FALSE;
  if (self->hold == XA_STORE_HOLD_IDLE)
    self->hold = XA_STORE_HOLD_OPEN;
  return TRUE;
}

gboolean
xa_store_commit (XaStore *self, GError **error)
{
  if (self->hold != XA_STORE_HOLD_OFF)
    return TRUE;
  if (xa_store_exec (self, "COMMIT", "commit a transaction", error))
    return TRUE;
  xa_store_rollback (self);
  return FALSE;
}

/* Undoes the operation under way and, while held, all since the last flush
 * (then later operations fail until xa_store_release()). Returns FALSE, for
 * the error paths that end with it. */
gboolean
xa_store_rollback (XaStore *self)
{
  /* what the claims had yet to take is read again */
  g_clear_pointer (&self->outstanding_mib, g_array_unref);
  if (self->hold == XA_STORE_HOLD_OPEN)
    self->hold = XA_STORE_HOLD_LOST;
  if (!sqlite3_get_autocommit (self->db))
    sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
  return FALSE;
}

/**
 * xa_store_hold:
 * @self: the store
 *
 * From now on, what the operations write is committed only by
 * xa_store_flush(): one commit for many small operations. An operation
 * that fails rolls back all that is held, and the store refuses to write
 * until xa_store_release(): the caller must treat it as the end.
 */
void
xa_store_hold (XaStore *self)
{
  g_return_if_fail (self != NULL);

  if (self->hold == XA_STORE_HOLD_OFF)
    self->hold = XA_STORE_HOLD_IDLE;
}

/**
 * xa_store_is_pending:
 * @self: the store
 *
 * Returns: whether xa_store_flush() has something to do: writes held since
 *   the last flush, or a failure that rolled them back, to report
 */
gboolean
xa_store_is_pending (XaStore *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->hold == XA_STORE_HOLD_OPEN || self->hold == XA_STORE_HOLD_LOST;
}

/**
 * xa_store_flush:
 * @self: the store
 * @error: a #GError
 *
 * Commits what the operations wrote since xa_store_hold() or the last
 * flush. Writes stay held.
 *
 * Returns: %TRUE if committed, or there was nothing to commit
 */
gboolean
xa_store_flush (XaStore *self, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);

  if (self->hold == XA_STORE_HOLD_LOST)
    return xa_store_lost (self, error);
  if (self->hold != XA_STORE_HOLD_OPEN)
    return TRUE;
  if (!xa_store_exec (self, "COMMIT", "commit a transaction", error))
    return xa_store_rollback (self);
  self->hold = XA_STORE_HOLD_IDLE;
  return TRUE;
}

/**
 * xa_store_release:
 * @self: the store
 * @error: a #GError
 *
 * Flushes, and commits each operation by itself again.
 *
 * Returns: %TRUE if what was held is committed
 */
gboolean
xa_store_release (XaStore *self, GError **error)
{
  gboolean ok;

  g_return_val_if_fail (self != NULL, FALSE);

  ok = xa_store_flush (self, error);
  self->hold = XA_STORE_HOLD_OFF;
  return ok;
}

/* Settings of this connection only, and a first read: a file that is not
 * a database is refused before anything is written to it. */
static gboolean
xa_store_configure (XaStore *self, GError **error)
{
  gint rc;

  sqlite3_extended_result_codes (self->db, 1);
  sqlite3_busy_timeout (self->db, XA_STORE_BUSY_TIMEOUT_MS);
  rc = sqlite3_exec (self->db, "PRAGMA foreign_keys = ON; SELECT count(*) FROM sqlite_schema",
                     NULL, NULL, NULL);
  if ((rc & 0xff) == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CORRUPT) {
    g_set_error (error, XA_ERROR, XA_ERROR_DATABASE,
                 "%s: is not a database xadmit can read (%s); it was left as it is",
                 self->path, sqlite3_errmsg (self->db));
    return FALSE;
  }
  if (rc != SQLITE_OK)
    return xa_store_fail (self, rc, "open the database", error);
  return TRUE;
}

/* WAL: readers (status, reports) never wait for the admitter. synchronous
 * NORMAL: in WAL mode a commit survives a crash of xadmit itself; a power
 * cut may lose the last commits, but it also takes every domain down, and
 * the restart reconciles the ledger against the host as it comes back.
 * WAL persists in the file: only for a database known to be ours. A page
 * cache of up to 16 MiB (SQLite's default is 2) holds the B-tree pages a
 * boot of 20,000 VMs keeps writing, which would otherwise be read again
 * from the file at every batch (bench --scale). */
static gboolean
xa_store_use_wal (XaStore *self, GError **error)
{
  gint rc = SQLITE_BUSY;

  /* a switch that meets another connection opening a new ledger fails at
   * once, SQLite's busy timeout aside: it is asked again each millisecond,
   * for as long as that timeout */
  for (guint i = 0; i < XA_STORE_BUSY_TIMEOUT_MS && (rc & 0xff) == SQLITE_BUSY; i++) {
    if (i > 0)
      g_usleep (G_USEC_PER_SEC / 1000);
    rc = sqlite3_exec (self->db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; "
                                 "PRAGMA cache_size = -16384", NULL, NULL, NULL);
  }
  if (rc != SQLITE_OK)
    return xa_store_fail (self, rc, "switch the database to WAL", error);
  return TRUE;
}

/* A reader of a shared ledger cannot make the -wal and -shm, which SQLite
 * deletes when the last connection closes: they are kept for it. */
static void
xa_store_keep_wal_if_shared (XaStore *self)
{
  gint keep = 1;

  if (xa_store_is_shared (self->path))
    sqlite3_file_control (self->db, "main", SQLITE_FCNTL_PERSIST_WAL, &keep);
}

/* The connection, configured, with its schema checked (and migrated, unless
 * read-only). */
static XaStore *
xa_store_connect (const gchar *path, gboolean read_only, GError **error)
{
  g_autoptr(XaStore) self = g_new0 (XaStore, 1);
  gint rc;

  self->path = g_strdup (path);
  self->read_only = read_only;
  self->statements = g_hash_table_new_full (NULL, NULL, NULL, xa_stmt_finalize);
  /* NOMUTEX: one thread uses a store, so SQLite need not lock each call */
  rc = sqlite3_open_v2 (path, &self->db,
                        (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) |
                        SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK) {
    xa_store_fail (self, rc, "open the database", error);
    return NULL;
  }
  if (!xa_store_configure (self, error) || !xa_store_migrate (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

/**
 * xa_store_open:
 * @path: the database file; created (0600, in a 0700 directory) if missing
 * @error: a #GError, %XA_ERROR_DATABASE: not a database, another program's,
 *   newer, corrupt or locked; %XA_ERROR_PERMISSION: it, its -wal or -shm,
 *   or its directory is not private (xa_private_file_check())
 *
 * Opens the ledger and brings its schema up to date. A file that is not
 * ours is never changed.
 *
 * Returns: (transfer full) (nullable): the store
 */
XaStore *
xa_store_open (const gchar *path, GError **error)
{
  g_autoptr(XaStore) self = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  if (!xa_store_prepare_file (path, error) ||
      (self = xa_store_connect (path, FALSE, error)) == NULL)
    return NULL;
  xa_store_keep_wal_if_shared (self);
  /* checked again once SQLite made them: one made meanwhile by another
   * user is refused */
  if (!xa_store_use_wal (self, error) || !xa_store_check_wal (path, XA_PRIVATE_FILE_NONE, error))
    return NULL;
  return g_steal_pointer (&self);
}

/**
 * xa_store_open_reader:
 * @path: the database file, which exists
 * @error: a #GError, as xa_store_open()'s
 *
 * Opens the ledger for a command that only reads it: as xa_store_open()
 * does if this user owns it; read-only if root does and shares it with a
 * group this user is in (xa_store_share()), whose schema must then be
 * current already.
 *
 * Returns: (transfer full) (nullable): the store
 */
XaStore *
xa_store_open_reader (const gchar *path, GError **error)
{
  g_autoptr(XaStore) self = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  if (!xa_store_is_others (path))
    return xa_store_open (path, error);
  if (!xa_store_check_read_only (path, error) ||
      (self = xa_store_connect (path, TRUE, error)) == NULL ||
      !xa_store_check_read_only (path, error))
    return NULL;
  return g_steal_pointer (&self);
}

void
xa_store_free (XaStore *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->statements, g_hash_table_unref);
  g_clear_pointer (&self->outstanding_mib, g_array_unref);
  sqlite3_close (self->db);
  g_free (self->path);
  g_free (self);
}

const gchar *
xa_store_get_path (XaStore *self)
{
  return self->path;
}

/**
 * xa_store_is_lost:
 * @self: the store
 *
 * Returns: whether what it held was rolled back (a write failed): until
 *   xa_store_release(), the ledger is behind what its admitter did, and
 *   later writes are refused
 */
gboolean
xa_store_is_lost (XaStore *self)
{
  return self->hold == XA_STORE_HOLD_LOST;
}
