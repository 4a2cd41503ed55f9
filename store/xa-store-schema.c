/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-error.h"
#include "xa-store-private.h"

/* 'XADM': tells our databases from other SQLite files. */
#define XA_STORE_APPLICATION_ID 0x5841444d

/* The requests table around its state column, and its indexes: written by
 * migration 1 and again by migration 3, which widens the state CHECK. */
#define XA_STORE_REQUESTS_HEAD \
  "  id INTEGER PRIMARY KEY," \
  "  uuid TEXT NOT NULL UNIQUE," \
  "  host_id INTEGER NOT NULL REFERENCES hosts (id)," \
  "  group_id TEXT NOT NULL," \
  "  name TEXT NOT NULL," \
  "  memory_mib INTEGER NOT NULL," \
  "  vcpus INTEGER NOT NULL," \
  "  priority INTEGER NOT NULL," \
  "  nodes INTEGER NOT NULL," \
  "  hard_affinity TEXT," \
  "  guest_type TEXT NOT NULL," \
  "  kernel TEXT," \
  "  ramdisk TEXT," \
  "  cmdline TEXT,"
#define XA_STORE_REQUESTS_TAIL \
  "  reason TEXT," \
  "  attempts INTEGER NOT NULL DEFAULT 0," \
  "  deferrals INTEGER NOT NULL DEFAULT 0," \
  "  batch_id INTEGER REFERENCES batches (id)," \
  "  queued_wall_us INTEGER NOT NULL," \
  "  queued_host_s REAL NOT NULL," \
  "  started_wall_us INTEGER," \
  "  started_host_s REAL," \
  "  finished_wall_us INTEGER," \
  "  finished_host_s REAL);"
/* docs/formats.md: a name is unique among the live requests of a host */
#define XA_STORE_REQUESTS_INDEXES \
  "CREATE INDEX requests_by_state ON requests (host_id, state);" \
  "CREATE INDEX requests_by_time ON requests (host_id, queued_wall_us);" \
  "CREATE UNIQUE INDEX requests_live_names ON requests (host_id, name)" \
  "  WHERE state = 'queued' OR state = 'planned' OR state = 'building';"
/* OR, not IN: SQLite builds a table for an IN list at every row written */
#define XA_STORE_STATES_V1 \
  "state = 'queued' OR state = 'planned' OR state = 'building' OR state = 'running'" \
  " OR state = 'failed' OR state = 'cancelled' OR state = 'rejected'"

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
  XA_STORE_REQUESTS_HEAD
  "  state TEXT NOT NULL CHECK (" XA_STORE_STATES_V1 "),"
  XA_STORE_REQUESTS_TAIL
  XA_STORE_REQUESTS_INDEXES
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
  /* 3: a request may end: it ran, and its domain is no longer on the host.
   * SQLite cannot change a CHECK, so the table is made anew (foreign keys
   * are off while the migration runs) */
  "CREATE TABLE requests_v3 ("
  XA_STORE_REQUESTS_HEAD
  "  state TEXT NOT NULL CHECK (" XA_STORE_STATES_V1 " OR state = 'ended'),"
  XA_STORE_REQUESTS_TAIL
  "INSERT INTO requests_v3 SELECT * FROM requests;"
  "DROP TABLE requests;"
  "ALTER TABLE requests_v3 RENAME TO requests;"
  XA_STORE_REQUESTS_INDEXES,
  /* 4: what each planned VM's placement rested on, for `xadmit explain`;
   * the group whose VMs start together or not at all; a cancel asked of a
   * build in flight, which its admitter carries out */
  "ALTER TABLE requests ADD COLUMN vm_group TEXT;"
  "ALTER TABLE requests ADD COLUMN no_rollback INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE requests ADD COLUMN cancel_asked_wall_us INTEGER;"
  "CREATE TABLE decisions ("
  "  request_id INTEGER NOT NULL REFERENCES requests (id),"
  "  batch_id INTEGER NOT NULL REFERENCES batches (id),"
  "  need_mib INTEGER NOT NULL,"
  "  left_mib INTEGER NOT NULL,"
  "  runner_up INTEGER,"
  "  runner_up_left_mib INTEGER,"
  "  widest_node INTEGER NOT NULL,"
  "  widest_mib INTEGER NOT NULL,"
  "  PRIMARY KEY (request_id, batch_id)) WITHOUT ROWID;",
  /* 5: `xadmit report --vm NAME` reads a VM's every request by its name */
  "CREATE INDEX requests_by_name ON requests (host_id, name, queued_wall_us);",
};

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
    g_set_error (error, XA_ERROR, XA_ERROR_DATABASE,
                 "%s: is an SQLite database of another program (application id 0x%08"
                 G_GINT64_MODIFIER "x); xadmit leaves it as it is",
                 self->path, app_id);
    return FALSE;
  }
  if (version > XA_STORE_SCHEMA_VERSION) {
    g_set_error (error, XA_ERROR, XA_ERROR_DATABASE,
                 "%s: was written by a newer xadmit (schema %" G_GINT64_FORMAT ", this one "
                 "knows up to %d); it was left as it is",
                 self->path, version, XA_STORE_SCHEMA_VERSION);
    return FALSE;
  }
  *out_version = version;
  return TRUE;
}

/* The same, from one snapshot: read one by one, the owner and the schema of
 * a database another process is creating can come from either side of its
 * commit (no owner yet, but tables), which reads as another program's. */
static gboolean
xa_store_check_identity_at_once (XaStore *self, gint64 *out_version, GError **error)
{
  gboolean ours;

  if (sqlite3_exec (self->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
    return xa_store_fail (self, sqlite3_errcode (self->db), "read the database's owner", error);
  ours = xa_store_check_identity (self, out_version, error);
  sqlite3_exec (self->db, "COMMIT", NULL, NULL, NULL);
  return ours;
}

static gboolean
xa_store_migrate_in_txn (XaStore *self, GError **error)
{
  gint64 version = 0;
  gchar *errmsg = NULL;

  if (!xa_store_begin (self, error))
    return FALSE;
  /* read again under the lock: another process may just have migrated */
  if (!xa_store_check_identity (self, &version, error))
    return xa_store_rollback (self);
  for (gint64 v = version; v < XA_STORE_SCHEMA_VERSION; v++) {
    if (sqlite3_exec (self->db, xa_store_migrations[v], NULL, NULL, &errmsg) != SQLITE_OK) {
      g_set_error (error, XA_ERROR, XA_ERROR_DATABASE,
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

/* Each step in order, all in one transaction: a failed migration leaves the
 * database as it was, with its history. A current schema takes no lock, so
 * opening never waits for a writer. Foreign keys are off meanwhile (SQLite
 * ignores that pragma inside a transaction): a step may make a table anew. */
gboolean
xa_store_migrate (XaStore *self, GError **error)
{
  gint64 version = 0;
  gboolean done;

  if (!xa_store_check_identity_at_once (self, &version, error))
    return FALSE;
  if (version == XA_STORE_SCHEMA_VERSION)
    return TRUE;
  if (self->read_only) {
    g_set_error (error, XA_ERROR, XA_ERROR_DATABASE,
                 "%s: was written by an older xadmit (schema %" G_GINT64_FORMAT ", this one "
                 "reads %d), and only its owner may upgrade it: xadmit daemon does when it "
                 "starts", self->path, version, XA_STORE_SCHEMA_VERSION);
    return FALSE;
  }
  if (sqlite3_exec (self->db, "PRAGMA foreign_keys = OFF", NULL, NULL, NULL) != SQLITE_OK)
    return xa_store_fail (self, sqlite3_errcode (self->db), "migrate the schema", error);
  done = xa_store_migrate_in_txn (self, error);
  if (sqlite3_exec (self->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL) != SQLITE_OK && done)
    return xa_store_fail (self, sqlite3_errcode (self->db), "migrate the schema", error);
  return done;
}
