/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xa-error.h"
#include "xa-store-private.h"

/* 'XADM': tells our databases from other SQLite files. */
#define XA_STORE_APPLICATION_ID 0x5841444d
/* A writer waits this long for another one (the admitter, a submit). */
#define XA_STORE_BUSY_TIMEOUT_MS 10000

/* migrations[v] takes a database from schema version v to v + 1. */
static const gchar *const xa_store_migrations[XA_STORE_SCHEMA_VERSION] = {
  "CREATE TABLE hosts ("
  "  id INTEGER PRIMARY KEY,"
  "  key TEXT NOT NULL UNIQUE,"
  "  name TEXT NOT NULL,"
  "  kind TEXT NOT NULL CHECK (kind = 'sim' OR kind = 'xen'),"
  "  n_nodes INTEGER NOT NULL CHECK (n_nodes BETWEEN 1 AND 64),"
  "  created_wall_us INTEGER NOT NULL);"
  "CREATE TABLE snapshots ("
  "  id INTEGER PRIMARY KEY,"
  "  host_id INTEGER NOT NULL REFERENCES hosts (id),"
  "  wall_us INTEGER NOT NULL,"
  "  host_s REAL NOT NULL);"
  "CREATE INDEX snapshots_by_time ON snapshots (host_id, wall_us);"
  "CREATE TABLE snapshot_nodes ("
  "  snapshot_id INTEGER NOT NULL REFERENCES snapshots (id),"
  "  node INTEGER NOT NULL,"
  "  total_mib INTEGER NOT NULL,"
  "  free_mib INTEGER NOT NULL,"
  "  PRIMARY KEY (snapshot_id, node)) WITHOUT ROWID;"
  "CREATE TABLE nodes ("
  "  host_id INTEGER NOT NULL REFERENCES hosts (id),"
  "  node INTEGER NOT NULL,"
  "  total_mib INTEGER NOT NULL,"
  "  free_mib INTEGER NOT NULL,"
  "  seen_wall_us INTEGER NOT NULL,"
  "  seen_host_s REAL NOT NULL,"
  "  PRIMARY KEY (host_id, node)) WITHOUT ROWID;"
  "CREATE TABLE batches ("
  "  id INTEGER PRIMARY KEY,"
  "  host_id INTEGER NOT NULL REFERENCES hosts (id),"
  "  snapshot_id INTEGER REFERENCES snapshots (id),"
  "  wall_us INTEGER NOT NULL,"
  "  host_s REAL NOT NULL,"
  "  policy TEXT NOT NULL,"
  "  n_requests INTEGER NOT NULL,"
  "  n_planned INTEGER NOT NULL,"
  "  n_deferred INTEGER NOT NULL,"
  "  n_rejected INTEGER NOT NULL,"
  "  plan_ms REAL NOT NULL);"
  "CREATE INDEX batches_by_time ON batches (host_id, wall_us);"
  "CREATE TABLE requests ("
  "  id INTEGER PRIMARY KEY,"
  "  uuid TEXT NOT NULL UNIQUE,"
  "  host_id INTEGER NOT NULL REFERENCES hosts (id),"
  "  group_id TEXT NOT NULL,"
  "  name TEXT NOT NULL,"
  "  memory_mib INTEGER NOT NULL,"
  "  vcpus INTEGER NOT NULL,"
  "  priority INTEGER NOT NULL,"
  "  nodes INTEGER NOT NULL,"
  "  hard_affinity TEXT,"
  "  guest_type TEXT NOT NULL,"
  "  kernel TEXT,"
  "  ramdisk TEXT,"
  "  cmdline TEXT,"
  /* OR, not IN: SQLite builds a table for an IN list at every row written */
  "  state TEXT NOT NULL CHECK (state = 'queued' OR state = 'planned' OR state = 'building'"
  "    OR state = 'running' OR state = 'failed' OR state = 'cancelled' OR state = 'rejected'),"
  "  reason TEXT,"
  "  attempts INTEGER NOT NULL DEFAULT 0,"
  "  deferrals INTEGER NOT NULL DEFAULT 0,"
  "  batch_id INTEGER REFERENCES batches (id),"
  "  queued_wall_us INTEGER NOT NULL,"
  "  queued_host_s REAL NOT NULL,"
  "  started_wall_us INTEGER,"
  "  started_host_s REAL,"
  "  finished_wall_us INTEGER,"
  "  finished_host_s REAL);"
  "CREATE INDEX requests_by_state ON requests (host_id, state);"
  "CREATE INDEX requests_by_time ON requests (host_id, queued_wall_us);"
  /* FORMATS.md: a name is unique among the live requests of a host */
  "CREATE UNIQUE INDEX requests_live_names ON requests (host_id, name)"
  "  WHERE state = 'queued' OR state = 'planned' OR state = 'building';"
  "CREATE TABLE placements ("
  "  request_id INTEGER NOT NULL REFERENCES requests (id),"
  "  batch_id INTEGER NOT NULL REFERENCES batches (id),"
  "  node INTEGER NOT NULL,"
  "  in_set INTEGER NOT NULL,"
  "  planned_mib INTEGER NOT NULL,"
  "  actual_mib INTEGER,"
  "  PRIMARY KEY (request_id, batch_id, node)) WITHOUT ROWID;"
  "CREATE INDEX placements_by_batch ON placements (batch_id);"
  "CREATE TABLE claims ("
  "  request_id INTEGER NOT NULL REFERENCES requests (id),"
  "  node INTEGER NOT NULL,"
  "  claim_mib INTEGER NOT NULL,"
  "  charged_mib INTEGER NOT NULL DEFAULT 0,"
  "  PRIMARY KEY (request_id, node)) WITHOUT ROWID;"
  "CREATE TABLE events ("
  "  id INTEGER PRIMARY KEY,"
  "  request_id INTEGER NOT NULL REFERENCES requests (id),"
  "  batch_id INTEGER REFERENCES batches (id),"
  "  wall_us INTEGER NOT NULL,"
  "  host_s REAL NOT NULL,"
  "  from_state TEXT,"
  "  to_state TEXT NOT NULL,"
  "  reason TEXT);"
  "CREATE INDEX events_by_request ON events (request_id);"
  "CREATE TRIGGER events_are_kept BEFORE DELETE ON events"
  "  BEGIN SELECT RAISE (ABORT, 'the event log is append-only'); END;"
  "CREATE TRIGGER events_are_final BEFORE UPDATE ON events"
  "  BEGIN SELECT RAISE (ABORT, 'the event log is append-only'); END;",
  /* 2: claims get a rowid; SQLite deletes from a WITHOUT ROWID table that
   * has a foreign key five times slower, and each build ends with one */
  "CREATE TABLE claims_v2 ("
  "  request_id INTEGER NOT NULL REFERENCES requests (id),"
  "  node INTEGER NOT NULL,"
  "  claim_mib INTEGER NOT NULL,"
  "  charged_mib INTEGER NOT NULL DEFAULT 0,"
  "  PRIMARY KEY (request_id, node));"
  "INSERT INTO claims_v2 (request_id, node, claim_mib, charged_mib)"
  "  SELECT request_id, node, claim_mib, charged_mib FROM claims;"
  "DROP TABLE claims;"
  "ALTER TABLE claims_v2 RENAME TO claims;",
};

static const gchar *const xa_request_state_names[] = {
  [XA_REQUEST_QUEUED] = "queued",
  [XA_REQUEST_PLANNED] = "planned",
  [XA_REQUEST_BUILDING] = "building",
  [XA_REQUEST_RUNNING] = "running",
  [XA_REQUEST_FAILED] = "failed",
  [XA_REQUEST_CANCELLED] = "cancelled",
  [XA_REQUEST_REJECTED] = "rejected",
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
  for (guint s = 0; s <= XA_REQUEST_STATE_LAST; s++) {
    if (g_strcmp0 (text, xa_request_state_names[s]) == 0) {
      *out_state = (XaRequestState) s;
      return TRUE;
    }
  }
  return FALSE;
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

/* Binds ?1 to a host and ?2, ?3 to a wall-clock range, as reports filter. */
void
xa_store_bind_range (XaStmt *stmt, gint64 host_id, gint64 from_wall_us, gint64 to_wall_us)
{
  sqlite3_bind_int64 (stmt, 1, host_id);
  sqlite3_bind_int64 (stmt, 2, from_wall_us);
  sqlite3_bind_int64 (stmt, 3, to_wall_us);
}

/**
 * xa_store_fail:
 * @self: the store
 * @rc: what SQLite returned
 * @purpose: what the store was doing, as in "cannot @purpose"
 * @error: a #GError, %XA_ERROR_FAILED
 *
 * Returns: %FALSE, to return in turn
 */
gboolean
xa_store_fail (XaStore *self, gint rc, const gchar *purpose, GError **error)
{
  const gchar *detail = self->db != NULL && sqlite3_errcode (self->db) == rc ?
    sqlite3_errmsg (self->db) : sqlite3_errstr (rc);

  g_set_error (error, XA_ERROR, XA_ERROR_FAILED, "%s: cannot %s: %s", self->path, purpose,
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

/* Steps a statement that returns no rows. */
gboolean
xa_store_step_done (XaStore *self, XaStmt *stmt, const gchar *purpose, GError **error)
{
  gint rc = sqlite3_step (stmt);

  if (rc != SQLITE_DONE)
    return xa_store_fail (self, rc, purpose, error);
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

static gboolean
xa_store_exec (XaStore *self, const gchar *sql, const gchar *purpose, GError **error)
{
  g_autoptr(XaStmt) stmt = xa_store_prepare (self, sql, purpose, error);

  return stmt != NULL && xa_store_step_done (self, stmt, purpose, error);
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
  if (self->held_open && sqlite3_get_autocommit (self->db))
    self->held_lost = TRUE;
  if (self->held_lost)
    return xa_store_lost (self, error);
  if (self->held_open)
    return TRUE;
  if (!xa_store_exec (self, "BEGIN IMMEDIATE", "start a transaction", error))
    return FALSE;
  self->held_open = self->holding;
  return TRUE;
}

gboolean
xa_store_commit (XaStore *self, GError **error)
{
  if (self->holding)
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
  self->held_lost = self->held_open;
  self->held_open = FALSE;
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

  self->holding = TRUE;
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

  if (self->held_lost)
    return xa_store_lost (self, error);
  if (!self->held_open)
    return TRUE;
  if (!xa_store_exec (self, "COMMIT", "commit a transaction", error))
    return xa_store_rollback (self);
  self->held_open = FALSE;
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
  self->holding = self->held_open = self->held_lost = FALSE;
  return ok;
}

/**
 * xa_store_default_path:
 *
 * Returns: (transfer full): /var/lib/xadmit/xadmit.db as root, else
 *   xadmit/xadmit.db in the user's state directory ($XDG_STATE_HOME,
 *   ~/.local/state)
 */
gchar *
xa_store_default_path (void)
{
  if (geteuid () == 0)
    return g_strdup ("/var/lib/xadmit/xadmit.db");
  return g_build_filename (g_get_user_state_dir (), "xadmit", "xadmit.db", NULL);
}

/* Creates the directory 0700 and the file 0600 if missing; refuses a
 * database that other users could write. */
static gboolean
xa_store_prepare_file (const gchar *path, GError **error)
{
  g_autofree gchar *dir = g_path_get_dirname (path);
  GStatBuf st;
  gint fd;

  if (g_mkdir_with_parents (dir, 0700) != 0) {
    gint saved_errno = errno;

    g_set_error (error, XA_ERROR, XA_ERROR_FAILED, "%s: cannot create its directory: %s",
                 path, g_strerror (saved_errno));
    return FALSE;
  }
  fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0)
    g_close (fd, NULL);
  if (g_stat (path, &st) != 0) {
    gint saved_errno = errno;

    g_set_error (error, XA_ERROR, XA_ERROR_FAILED, "%s: cannot create the database: %s",
                 path, g_strerror (saved_errno));
    return FALSE;
  }
  if (!S_ISREG (st.st_mode)) {
    g_set_error (error, XA_ERROR, XA_ERROR_FAILED, "%s: is not a database file", path);
    return FALSE;
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    g_set_error (error, XA_ERROR, XA_ERROR_FAILED,
                 "%s: other users may write it (mode %04o), so its claims cannot be "
                 "trusted; make it private with chmod 600",
                 path, (guint) (st.st_mode & 07777));
    return FALSE;
  }
  return TRUE;
}

static gint64
xa_store_pragma_int (XaStore *self, const gchar *sql, const gchar *purpose, GError **error)
{
  g_autoptr(XaStmt) stmt = xa_store_prepare (self, sql, purpose, error);

  if (stmt == NULL || xa_store_step_row (self, stmt, purpose, error) != 1)
    return -1;
  return sqlite3_column_int64 (stmt, 0);
}

/* Whether this is a database of ours (or a new, empty one), and not newer. */
static gboolean
xa_store_check_identity (XaStore *self, gint64 *out_version, GError **error)
{
  gint64 app_id = xa_store_pragma_int (self, "PRAGMA application_id", "read the database's owner",
                                       error);
  gint64 version;
  gint64 n_objects;

  if (app_id < 0)
    return FALSE;
  version = xa_store_pragma_int (self, "PRAGMA user_version", "read the schema version", error);
  if (version < 0)
    return FALSE;
  n_objects = xa_store_pragma_int (self, "SELECT count(*) FROM sqlite_schema",
                                   "read the schema", error);
  if (n_objects < 0)
    return FALSE;
  if (app_id != XA_STORE_APPLICATION_ID && (app_id != 0 || n_objects > 0)) {
    g_set_error (error, XA_ERROR, XA_ERROR_FAILED,
                 "%s: is an SQLite database of another program (application id 0x%08"
                 G_GINT64_MODIFIER "x); xadmit leaves it as it is",
                 self->path, app_id);
    return FALSE;
  }
  if (version > XA_STORE_SCHEMA_VERSION) {
    g_set_error (error, XA_ERROR, XA_ERROR_FAILED,
                 "%s: was written by a newer xadmit (schema %" G_GINT64_FORMAT ", this one "
                 "knows up to %d); it was left as it is",
                 self->path, version, XA_STORE_SCHEMA_VERSION);
    return FALSE;
  }
  *out_version = version;
  return TRUE;
}

/* Each step in order, all in one transaction: a failed migration leaves the
 * database as it was, with its history. A current schema takes no lock, so
 * opening never waits for a writer. */
static gboolean
xa_store_migrate (XaStore *self, GError **error)
{
  gint64 version = 0;
  gchar *errmsg = NULL;

  if (!xa_store_check_identity (self, &version, error))
    return FALSE;
  if (version == XA_STORE_SCHEMA_VERSION)
    return TRUE;
  if (!xa_store_begin (self, error))
    return FALSE;
  /* read again under the lock: another process may just have migrated */
  if (!xa_store_check_identity (self, &version, error))
    return xa_store_rollback (self);
  for (gint64 v = version; v < XA_STORE_SCHEMA_VERSION; v++) {
    if (sqlite3_exec (self->db, xa_store_migrations[v], NULL, NULL, &errmsg) != SQLITE_OK) {
      g_set_error (error, XA_ERROR, XA_ERROR_FAILED,
                   "%s: cannot migrate the schema from version %" G_GINT64_FORMAT ": %s",
                   self->path, v, errmsg);
      sqlite3_free (errmsg);
      return xa_store_rollback (self);
    }
  }
  if (version < XA_STORE_SCHEMA_VERSION) {
    g_autofree gchar *stamp = g_strdup_printf ("PRAGMA application_id = %d; "
                                               "PRAGMA user_version = %d",
                                               XA_STORE_APPLICATION_ID, XA_STORE_SCHEMA_VERSION);

    if (sqlite3_exec (self->db, stamp, NULL, NULL, NULL) != SQLITE_OK) {
      xa_store_fail (self, sqlite3_errcode (self->db), "record the schema version", error);
      return xa_store_rollback (self);
    }
  }
  return xa_store_commit (self, error);
}

/* WAL: readers (status, reports) never wait for the admitter. synchronous
 * NORMAL: in WAL mode a commit survives a crash of xadmit itself; a power
 * cut may lose the last commits, but it also takes every domain down, and
 * the restart reconciles the ledger against the host as it comes back. */
static gboolean
xa_store_configure (XaStore *self, GError **error)
{
  gint rc;

  sqlite3_extended_result_codes (self->db, 1);
  sqlite3_busy_timeout (self->db, XA_STORE_BUSY_TIMEOUT_MS);
  rc = sqlite3_exec (self->db,
                     "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; "
                     "PRAGMA foreign_keys = ON",
                     NULL, NULL, NULL);
  if ((rc & 0xff) == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CORRUPT) {
    g_set_error (error, XA_ERROR, XA_ERROR_FAILED,
                 "%s: is not a database xadmit can read (%s); it was left as it is",
                 self->path, sqlite3_errmsg (self->db));
    return FALSE;
  }
  if (rc != SQLITE_OK)
    return xa_store_fail (self, rc, "open the database", error);
  return TRUE;
}

/**
 * xa_store_open:
 * @path: the database file; created (0600, in a 0700 directory) if missing
 * @error: a #GError, %XA_ERROR_FAILED: not a database, another program's,
 *   newer, corrupt, locked or writable by others
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
  gint rc;

  g_return_val_if_fail (path != NULL, NULL);

  if (!xa_store_prepare_file (path, error))
    return NULL;
  self = g_new0 (XaStore, 1);
  self->path = g_strdup (path);
  self->statements = g_hash_table_new_full (NULL, NULL, NULL, xa_stmt_finalize);
  /* NOMUTEX: one thread uses a store, so SQLite need not lock each call */
  rc = sqlite3_open_v2 (path, &self->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK) {
    xa_store_fail (self, rc, "open the database", error);
    return NULL;
  }
  if (!xa_store_configure (self, error) || !xa_store_migrate (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

void
xa_store_free (XaStore *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->statements, g_hash_table_unref);
  sqlite3_close (self->db);
  g_free (self->path);
  g_free (self);
}

const gchar *
xa_store_get_path (XaStore *self)
{
  return self->path;
}
