/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* xadmit boot and its files: the ledger, the state file, their locks. */
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <unistd.h>

#include "xa-file.h"
#include "xa-host.h"
#include "xa-test-cli.h"
#include "xa-test-util.h"

/* A ledger xadmit cannot use: one sentence, exit 1, the file as it was. */
static void
test_cli_boot_refuses_a_broken_ledger (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *db = xa_test_ledger_path (dir);
  g_autofree gchar *manifest = xa_test_data_path ("manifests", "demo.json");
  g_autoptr(GError) error = NULL;
  g_autofree gchar *after = NULL;

  g_assert_true (g_file_set_contents_full (db, "not a database", -1,
                                           G_FILE_SET_CONTENTS_NONE, 0600, &error));
  xa_test_xadmit_fails (1, "is not a database xadmit can read", "boot", manifest, "--host", "sim",
                        "--db", db, NULL);
  g_assert_true (g_file_get_contents (db, &after, NULL, &error));
  g_assert_cmpstr (after, ==, "not a database");
}

/* One admitter per host: while this process holds the simulated host, a
 * boot on it is told who does. */
static void
test_cli_boot_one_admitter_per_host (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *spec = xa_test_host_spec ("4node.json");
  g_autofree gchar *state = xa_test_state_path (dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(XaHost) host = xa_host_open (spec, state, &error);
  g_auto(XaTestRun) run = { 0 };

  g_assert_no_error (error);
  g_assert_true (xa_host_lock (host, &error));
  g_assert_no_error (error);
  xa_test_boot_on_kept_host (&run, dir, "demo.json");
  xa_test_run_assert_error (&run, 1, "admits for the simulated host in");
  /* it names only commands that exist */
  g_assert_nonnull (strstr (run.err, "wait until it ends, or stop it)"));
  g_assert_null (strstr (run.err, "submit"));
  g_assert_null (strstr (run.err, "daemon"));
}

/* Another program's SQLite database, in rollback-journal mode as SQLite
 * makes them by default. */
static void
write_foreign_database (const gchar *path)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "PRAGMA application_id = 1234; "
                                     "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); "
                                     "INSERT INTO notes (text) VALUES ('theirs')",
                                 NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);
  /* private, so that what is refused is whose database it is */
  g_assert_cmpint (g_chmod (path, 0600), ==, 0);
}

/* Another program's database is refused and left byte for byte as it was:
 * not switched to WAL, no -wal or -shm beside it. */
static void
test_cli_boot_leaves_a_foreign_database_alone (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *db = g_build_filename (dir, "theirs.db", NULL);
  g_autofree gchar *wal = g_strconcat (db, "-wal", NULL);
  g_autofree gchar *shm = g_strconcat (db, "-shm", NULL);
  g_autofree gchar *manifest = xa_test_data_path ("manifests", "demo.json");
  g_autofree gchar *before = NULL;
  g_autofree gchar *after = NULL;
  gsize before_len = 0;
  gsize after_len = 0;

  write_foreign_database (db);
  g_assert_true (g_file_get_contents (db, &before, &before_len, NULL));
  xa_test_xadmit_fails (1, "is an SQLite database of another program", "boot", manifest,
                        "--host", "sim", "--db", db, NULL);
  g_assert_true (g_file_get_contents (db, &after, &after_len, NULL));
  g_assert_cmpuint (after_len, ==, before_len);
  g_assert_cmpint (memcmp (before, after, before_len), ==, 0);
  g_assert_false (g_file_test (wal, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (shm, G_FILE_TEST_EXISTS));
}

/* Exit 2 changes nothing: whatever input is bad, boot creates neither the
 * ledger nor the state file nor its lock. */
static void
test_cli_boot_bad_input_creates_nothing (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *bad = xa_test_dir_write (dir, "bad.json",
    "{\"vms\": [{\"name\": \"a\", \"memory\": \"4 GB\", \"vcpus\": 1}]}");
  g_autofree gchar *manifest = xa_test_data_path ("manifests", "demo.json");
  g_autofree gchar *spec4 = xa_test_host_spec ("4node.json");
  g_autofree gchar *db = g_build_filename (dir, "new.db", NULL);
  g_autofree gchar *state = g_build_filename (dir, "new-state.json", NULL);
  g_autofree gchar *lock = g_strconcat (state, ".lock", NULL);

  xa_test_xadmit_fails (2, "memory: \"4 GB\" is not a size", "boot", bad, "--host", "sim",
                        "--sim-state", state, "--db", db, NULL);
  g_assert_false (g_file_test (state, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (lock, G_FILE_TEST_EXISTS));
  xa_test_xadmit_fails (2, "this host has none (node_claims: false", "boot", manifest, "--host",
                        spec4, "--policy", "xenopsd-nodeclaim", "--sim-state", state, "--db", db,
                        NULL);
  xa_test_xadmit_fails (2, "--db: the path is empty", "boot", manifest, "--host", "sim",
                        "--sim-state", state, "--db", "", NULL);
  xa_test_xadmit_fails (2, "--sim-state: the path is empty", "boot", manifest, "--host", "sim",
                        "--sim-state", "", "--db", db, NULL);
  xa_test_xadmit_fails (2, "it is a directory, not a regular file", "boot", manifest,
                        "--host", "sim", "--sim-state", state, "--db", dir, NULL);
  xa_test_xadmit_fails (2, "it is a directory, not a regular file", "boot", manifest,
                        "--host", "sim", "--sim-state", dir, "--db", db, NULL);
  g_assert_false (g_file_test (db, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (state, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (lock, G_FILE_TEST_EXISTS));
}

/* A state file of another host is bad input before the ledger exists. */
static void
test_cli_boot_refuses_a_state_of_another_host (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *manifest = xa_test_data_path ("manifests", "demo.json");
  g_autofree gchar *spec2 = xa_test_host_spec ("2node.json");
  g_autofree gchar *db = g_build_filename (dir, "new.db", NULL);
  g_autofree gchar *state = xa_test_state_path (dir);
  g_auto(XaTestRun) first = { 0 };

  xa_test_boot_on_kept_host (&first, dir, "demo.json");
  g_assert_cmpint (first.status, ==, 0);
  xa_test_xadmit_fails (2, "nodes: 4 in the state file, 2 in the topology", "boot", manifest,
                        "--host", spec2, "--sim-state", state, "--db", db, NULL);
  g_assert_false (g_file_test (db, G_FILE_TEST_EXISTS));
}

/* boot is the command that makes a state file, and says so, once. */
static void
test_cli_boot_creates_the_state_and_says_so (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *manifest = xa_test_data_path ("manifests", "demo.json");
  g_autofree gchar *db = xa_test_ledger_path (dir);
  g_autofree gchar *state = xa_test_state_path (dir);
  g_autofree gchar *quiet_state = g_build_filename (dir, "quiet.json", NULL);
  g_autofree gchar *said = g_strdup_printf ("xadmit boot: created %s for a new simulated host\n",
                                            state);
  g_auto(XaTestRun) first = { 0 };
  g_auto(XaTestRun) again = { 0 };
  g_auto(XaTestRun) quiet = { 0 };

  xa_test_run_xadmit (&first, "boot", manifest, "--host", "sim", "--sim-state", state, "--db",
                      db, NULL);
  g_assert_cmpint (first.status, ==, 0);
  g_assert_true (g_file_test (state, G_FILE_TEST_IS_REGULAR));
  g_assert_nonnull (strstr (first.err, said));
  xa_test_run_xadmit (&again, "boot", manifest, "--host", "sim", "--sim-state", state, "--db",
                      db, NULL);
  g_assert_cmpint (again.status, ==, 0);
  g_assert_null (strstr (again.err, "created"));
  xa_test_run_xadmit (&quiet, "boot", manifest, "--host", "sim", "--sim-state", quiet_state,
                      "--db", db, "-q", NULL);
  g_assert_cmpint (quiet.status, ==, 0);
  g_assert_true (g_file_test (quiet_state, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpstr (quiet.err, ==, "");
}

/* One admitter per ledger, even on hosts of their own: while this process
 * holds the ledger's lock, a boot on it says who does and exits 1. */
static void
test_cli_boot_one_admitter_per_ledger (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *db = xa_test_ledger_path (dir);
  g_autofree gchar *lock = g_strconcat (db, ".lock", NULL);
  g_autofree gchar *command = g_path_get_basename (g_get_prgname ());
  g_autofree gchar *holder = g_strdup_printf ("process %d (%s) admits for the ledger",
                                              (gint) getpid (), command);
  g_autoptr(GError) error = NULL;
  g_auto(XaTestRun) run = { 0 };
  gint fd = -1;

  g_assert_true (xa_file_lock (lock, "the test's ledger", &fd, &error));
  g_assert_no_error (error);
  xa_test_boot (&run, dir, "default.json", "demo.json", NULL);
  xa_test_run_assert_error (&run, 1, holder);
  g_close (fd, NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cli/boot/refuses-a-broken-ledger", test_cli_boot_refuses_a_broken_ledger);
  g_test_add_func ("/cli/boot/one-admitter-per-host", test_cli_boot_one_admitter_per_host);
  g_test_add_func ("/cli/boot/leaves-a-foreign-database-alone",
                   test_cli_boot_leaves_a_foreign_database_alone);
  g_test_add_func ("/cli/boot/bad-input-creates-nothing", test_cli_boot_bad_input_creates_nothing);
  g_test_add_func ("/cli/boot/refuses-a-state-of-another-host",
                   test_cli_boot_refuses_a_state_of_another_host);
  g_test_add_func ("/cli/boot/creates-the-state-and-says-so",
                   test_cli_boot_creates_the_state_and_says_so);
  g_test_add_func ("/cli/boot/one-admitter-per-ledger", test_cli_boot_one_admitter_per_ledger);
  return g_test_run ();
}
