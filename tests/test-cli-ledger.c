/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The ledger across versions and users: a ledger of the previous schema
 * upgraded by today's xadmit, and one root shares with a group, read by its
 * members (docs/formats.md, Ledger). */
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xa-test-cli.h"

/* A group and two users that need no entry in /etc: one in the group. */
#define TEST_GID 4242
#define TEST_MEMBER_UID 4243
#define TEST_STRANGER_UID 4244

/* tests/data/ledger-v4.sql as a ledger file, 0600 as xadmit makes them. */
static gchar *
write_v4_ledger (const XaTestDir *dir)
{
  g_autofree gchar *sql_path = g_build_filename (g_getenv ("G_TEST_SRCDIR"), "data",
                                                 "ledger-v4.sql", NULL);
  g_autofree gchar *sql = NULL;
  gchar *path = g_build_filename (dir, "v4.db", NULL);
  sqlite3 *db = NULL;

  g_assert_true (g_file_get_contents (sql_path, &sql, NULL, NULL));
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
  g_assert_cmpint (g_chmod (path, 0600), ==, 0);
  return path;
}

static gint64
ledger_int (const gchar *path, const gchar *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 value;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return value;
}

/* Today's xadmit opens it: migrated, its requests kept and readable. */
static void
test_ledger_upgrades_schema_4 (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *db = write_v4_ledger (dir);
  g_autofree gchar *state_data = NULL;
  g_autofree gchar *state = NULL;
  g_autofree gchar *state_fixture = g_build_filename (g_getenv ("G_TEST_SRCDIR"), "data",
                                                      "ledger-v4-sim-state.json", NULL);
  g_auto(XaTestRun) report = { 0 };
  g_auto(XaTestRun) status = { 0 };
  g_autoptr(json_t) root = NULL;
  g_autoptr(json_t) queue = NULL;

  g_assert_true (g_file_get_contents (state_fixture, &state_data, NULL, NULL));
  state = xa_test_dir_write (dir, "state.json", state_data);
  g_assert_cmpint (ledger_int (db, "PRAGMA user_version"), ==, 4);
  xa_test_run_xadmit (&report, "report", "--db", db, "--format", "json", "--vm", "web-02", NULL);
  g_assert_cmpint (report.status, ==, 0);
  g_assert_nonnull (strstr (report.out, "\"web-02\""));
  g_assert_cmpint (ledger_int (db, "PRAGMA user_version"), ==, 5);
  g_assert_cmpint (ledger_int (db, "SELECT count(*) FROM sqlite_schema WHERE name = "
                                   "'requests_by_name'"), ==, 1);
  g_assert_cmpint (ledger_int (db, "SELECT count(*) FROM requests WHERE state = 'running'"),
                   ==, 3);
  xa_test_run_xadmit (&status, "status", "--db", db, "--host", "sim", "--sim-state", state,
                      "--json", "web-01", "db-01", NULL);
  g_assert_cmpint (status.status, ==, 0);
  root = xa_test_json_parse (status.out);
  queue = json_incref (json_object_get (root, "requests"));
  g_assert_cmpuint (json_array_size (queue), ==, 2);
  g_assert_cmpstr (xa_test_json_string (json_array_get (queue, 1), "state"), ==, "running");
}

/* Runs the built xadmit as @uid with only the group @gid. */
static void
run_as (XaTestRun *run, guint uid, guint gid, const gchar *const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  /* the suite's own (missing) configuration may sit where the user cannot
   * reach, as in a package build's private directory */
  g_auto(GStrv) envp = g_environ_setenv (g_get_environ (), "XADMIT_CONFIG",
                                         "/nonexistent/xadmit.conf", TRUE);
  g_autoptr(GError) error = NULL;

  g_ptr_array_add (argv, g_strdup ("setpriv"));
  g_ptr_array_add (argv, g_strdup_printf ("--reuid=%u", uid));
  g_ptr_array_add (argv, g_strdup_printf ("--regid=%u", gid));
  g_ptr_array_add (argv, g_strdup ("--clear-groups"));
  g_ptr_array_add (argv, g_strdup (g_getenv ("XADMIT")));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (args[i]));
  g_ptr_array_add (argv, NULL);
  g_spawn_sync (NULL, (gchar **) argv->pdata, envp, G_SPAWN_SEARCH_PATH, NULL, NULL, &run->out,
                &run->err, &run->status, &error);
  g_assert_no_error (error);
  run->status = WIFEXITED (run->status) ? WEXITSTATUS (run->status) : -1;
}

static void
assert_shared (const gchar *path, guint mode, guint gid)
{
  GStatBuf st;

  g_assert_cmpint (g_lstat (path, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 07777, ==, mode);
  g_assert_cmpuint (st.st_gid, ==, gid);
}

/* Root boots with ledger-group in @dir, and queues one VM more. */
static void
share_a_ledger (const XaTestDir *dir, const gchar *db, const gchar *state)
{
  g_autofree gchar *config = xa_test_dir_write (dir, "x.conf", "[xadmit]\nledger-group = 4242\n");
  g_autofree gchar *manifest = xa_test_data_path ("manifests", "demo.json");
  g_autofree gchar *wal = g_strconcat (db, "-wal", NULL);
  g_autofree gchar *shm = g_strconcat (db, "-shm", NULL);
  g_autofree gchar *lock = g_strconcat (db, ".lock", NULL);
  g_auto(XaTestRun) boot = { 0 };
  g_auto(XaTestRun) queued = { 0 };

  g_assert_cmpint (g_chmod (dir, 0755), ==, 0);
  xa_test_run_xadmit (&boot, "boot", "-q", "--config", config, "--host", "sim", "--sim-state",
                      state, "--db", db, manifest, NULL);
  g_assert_cmpint (boot.status, ==, 0);
  assert_shared (db, 0640, TEST_GID);
  assert_shared (wal, 0640, TEST_GID);
  assert_shared (shm, 0640, TEST_GID);
  assert_shared (lock, 0600, 0);
  xa_test_run_xadmit (&queued, "submit", "-q", "--config", config, "--host", "sim",
                      "--sim-state", state, "--db", db, "--name", "queued-01", "--memory", "1GiB",
                      "--vcpus", "1", NULL);
  g_assert_cmpint (queued.status, ==, 0);
  /* root's alone, as /dev/xen/privcmd is on Xen */
  assert_shared (state, 0600, 0);
}

/* What a member who may not read the host is told on stderr, once. */
#define TEST_HOST_UNREAD "the host itself could not be read (--sim-state: "

/* The member's status and explain show the ledger's record of the host,
 * which it may not read, and say so on stderr. */
static void
assert_member_reads_the_ledgers_host (const gchar *db, const gchar *state)
{
  const gchar *const json_args[] = { "status", "--db", db, "--host", "sim", "--sim-state",
                                     state, "--json", NULL };
  const gchar *const text_args[] = { "status", "--db", db, "--host", "sim", "--sim-state",
                                     state, NULL };
  const gchar *const explain_args[] = { "explain", "--db", db, "--host", "sim", "--sim-state",
                                        state, "queued-01", NULL };
  g_auto(XaTestRun) json = { 0 };
  g_auto(XaTestRun) text = { 0 };
  g_auto(XaTestRun) explain = { 0 };
  g_autoptr(json_t) root = NULL;
  json_t *nodes;

  run_as (&json, TEST_MEMBER_UID, TEST_GID, json_args);
  g_assert_cmpint (json.status, ==, 0);
  g_assert_nonnull (strstr (json.err, TEST_HOST_UNREAD));
  root = xa_test_json_parse (json.out);
  g_assert_cmpstr (xa_test_json_string (root, "host_seen"), ==, "ledger");
  g_assert_cmpstr (xa_test_json_string (root, "host"), ==, "sim-2s");
  /* the admitter's lock stays root's alone */
  g_assert_true (json_is_null (json_object_get (json_object_get (root, "daemon"), "running")));
  g_assert_cmpuint (json_array_size (json_object_get (root, "requests")), ==, 1);
  nodes = json_object_get (root, "nodes");
  g_assert_cmpuint (json_array_size (nodes), ==, 2);
  g_assert_cmpint (json_integer_value (json_object_get (json_array_get (nodes, 0), "total_mib")),
                   >, 0);
  run_as (&text, TEST_MEMBER_UID, TEST_GID, text_args);
  g_assert_cmpint (text.status, ==, 0);
  g_assert_nonnull (strstr (text.err, TEST_HOST_UNREAD));
  g_assert_nonnull (strstr (text.out, "queued-01"));
  g_assert_nonnull (strstr (text.out, "free as seen at "));
  run_as (&explain, TEST_MEMBER_UID, TEST_GID, explain_args);
  g_assert_cmpint (explain.status, ==, 0);
  g_assert_nonnull (strstr (explain.err, TEST_HOST_UNREAD));
  g_assert_nonnull (strstr (explain.out, "queued-01 (request "));
  g_assert_nonnull (strstr (explain.out, "When the ledger last recorded the host ("));
}

/* The group's members run status, explain and report, the first two from
 * the ledger's record of the host they may not read, and cannot submit or
 * cancel; someone outside the group cannot read the ledger at all. */
static void
test_ledger_group_reads (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *db = g_build_filename (dir, "x.db", NULL);
  g_autofree gchar *state = g_build_filename (dir, "state.json", NULL);
  const gchar *const report_args[] = { "report", "--db", db, "--format", "json", NULL };
  const gchar *const submit_args[] = { "submit", "--db", db, "--host", "sim", "--sim-state",
                                       state, "--name", "v", "--memory", "1GiB", "--vcpus", "1",
                                       NULL };
  const gchar *const cancel_args[] = { "cancel", "--db", db, "--host", "sim", "--sim-state",
                                       state, "queued-01", NULL };
  g_auto(XaTestRun) report = { 0 };
  g_auto(XaTestRun) submit = { 0 };
  g_auto(XaTestRun) cancel = { 0 };
  g_auto(XaTestRun) stranger = { 0 };
  g_autofree gchar *setpriv = g_find_program_in_path ("setpriv");

  if (geteuid () != 0 || setpriv == NULL) {
    g_test_skip ("needs root (as in CI) and setpriv, to run xadmit as another user");
    return;
  }
  share_a_ledger (dir, db, state);
  run_as (&report, TEST_MEMBER_UID, TEST_GID, report_args);
  g_assert_cmpint (report.status, ==, 0);
  g_assert_nonnull (strstr (report.out, "\"db-01\""));
  assert_member_reads_the_ledgers_host (db, state);
  /* the writers need the host, and are refused before they open it */
  run_as (&cancel, TEST_MEMBER_UID, TEST_GID, cancel_args);
  xa_test_run_assert_error (&cancel, 1, "only root may write it");
  run_as (&submit, TEST_MEMBER_UID, TEST_GID, submit_args);
  xa_test_run_assert_error (&submit, 1, "may only read it (xadmit status, report); only root "
                                        "may write it");
  run_as (&stranger, TEST_STRANGER_UID, TEST_STRANGER_UID, report_args);
  g_assert_cmpint (stranger.status, ==, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cli/ledger/upgrades-schema-4", test_ledger_upgrades_schema_4);
  g_test_add_func ("/cli/ledger/group-reads", test_ledger_group_reads);
  return g_test_run ();
}
