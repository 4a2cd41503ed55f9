/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Names and values built to break SQL and a shell, private files, and
 * inputs at the limits (docs/formats.md, Names, Ledger, JSON input). */
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "xa-test-cli.h"
#include "xa-test-util.h"

/* What a shell would run, were one ever given these: each touches PWNED. */
#define PWNED "pwned"
#define SQL_BREAKER "x'; DROP TABLE requests;--"
#define SHELL_BREAKER "$(touch " PWNED ")`touch " PWNED "`"

/* No shell ran anything of ours, here or in /tmp. */
static void
assert_nothing_ran (const XaTestDir *dir)
{
  g_autofree gchar *here = g_build_filename (dir, PWNED, NULL);

  g_assert_false (g_file_test (here, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (PWNED, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test ("/tmp/" PWNED, G_FILE_TEST_EXISTS));
}

/* A manifest of one VM called @name (@name_len bytes, NULs kept), with
 * @cmdline (nullable), written as @file in @dir. */
static gchar *
write_vm (const XaTestDir *dir, const gchar *file, const gchar *name, gsize name_len,
          const gchar *cmdline)
{
  g_autoptr(json_t) vm = json_pack ("{s:s%, s:s, s:i}", "name", name, name_len, "memory", "1GiB",
                                    "vcpus", 1);
  g_autoptr(json_t) root = NULL;
  g_autofree gchar *text = NULL;

  if (cmdline != NULL)
    json_object_set_new (vm, "cmdline", json_string (cmdline));
  root = json_pack ("{s:[O]}", "vms", vm);
  text = json_dumps (root, JSON_COMPACT);
  return xa_test_dir_write (dir, file, text);
}

/* A name is 1-64 of A-Z a-z 0-9 . _ - : anything else is refused by the
 * name rule, in one line, before a ledger exists to be harmed. */
static void
test_hostile_names_are_refused (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *db = xa_test_ledger_path (dir);
  g_autofree gchar *state = xa_test_state_path (dir);
  g_autofree gchar *long_name = g_strnfill (100000, 'a');
  const struct {
    const gchar *name;
    gsize len;
    const gchar *message;
  } cases[] = {
    { SQL_BREAKER, strlen (SQL_BREAKER), "has a character outside A-Z a-z 0-9 . _ -" },
    { SHELL_BREAKER, strlen (SHELL_BREAKER), "has a character outside A-Z a-z 0-9 . _ -" },
    { "a\"b'c", 5, "has a character outside" },
    { "web\n01", 6, "name: \"web\\n01\" has a character outside" },
    { "a\0b", 3, "a string may not contain \\u0000" },
    { "\xe2\x80\xae" "exe.txt", 10, "\\u202eexe.txt\" has a character outside" },
    { "-rf", 3, "name: \"-rf\"" },
    { long_name, 100000, "(100000 bytes) is longer than 64 characters" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree gchar *manifest = write_vm (dir, "m.json", cases[i].name, cases[i].len, NULL);
    g_auto(XaTestRun) boot = { 0 };
    g_auto(XaTestRun) submit = { 0 };

    xa_test_run_xadmit (&boot, "boot", manifest, "--host", "sim", "--db", db, NULL);
    xa_test_run_assert_error (&boot, 2, cases[i].message);
    if (memchr (cases[i].name, '\0', cases[i].len) == NULL) {
      xa_test_run_xadmit (&submit, "submit", "--name", cases[i].name, "--memory", "1GiB",
                          "--vcpus", "1", "--host", "sim", "--sim-state", state, "--db", db,
                          NULL);
      xa_test_run_assert_error (&submit, 2, "--name: ");
    }
    g_assert_false (g_file_test (db, G_FILE_TEST_EXISTS));
  }
  assert_nothing_ran (dir);
}

static gchar *
ledger_text (const gchar *db, const gchar *sql)
{
  sqlite3 *conn = NULL;
  sqlite3_stmt *stmt = NULL;
  gchar *text;

  g_assert_cmpint (sqlite3_open_v2 (db, &conn, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (conn, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  text = g_strdup ((const gchar *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (conn);
  return text;
}

/* Free text (a kernel command line, the manifest's file name) is data: it
 * goes into the ledger byte for byte and comes back so in status --json. */
static void
test_hostile_free_text_is_kept_byte_exact (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  const gchar *file = SQL_BREAKER SHELL_BREAKER "\"\n\xe2\x80\xae.json";
  const gchar *cmdline = "console=hvc0 " SQL_BREAKER " " SHELL_BREAKER " \"q\" 'q'\nroot=\xe2\x80\xae";
  g_autofree gchar *manifest = write_vm (dir, file, "web-01", 6, cmdline);
  g_autofree gchar *db = xa_test_ledger_path (dir);
  g_autofree gchar *state = xa_test_state_path (dir);
  g_autofree gchar *submission = g_strconcat ("submit:", file, NULL);
  g_autofree gchar *kept = NULL;
  g_auto(XaTestRun) submit = { 0 };
  g_auto(XaTestRun) status = { 0 };
  g_autoptr(json_t) root = NULL;
  json_t *request;

  xa_test_run_xadmit (&submit, "submit", manifest, "--host", "sim", "--sim-state", state, "--db",
                      db, NULL);
  g_assert_cmpint (submit.status, ==, 0);
  xa_test_run_xadmit (&status, "status", "--json", "--host", "sim", "--sim-state", state, "--db",
                      db, NULL);
  g_assert_cmpint (status.status, ==, 0);
  root = xa_test_json_parse (status.out);
  g_assert_cmpuint (json_array_size (json_object_get (root, "requests")), ==, 1);
  request = json_array_get (json_object_get (root, "requests"), 0);
  g_assert_cmpstr (xa_test_json_string (request, "submission"), ==, submission);
  g_assert_cmpstr (xa_test_json_string (request, "name"), ==, "web-01");
  kept = ledger_text (db, "SELECT cmdline FROM requests");
  g_assert_cmpstr (kept, ==, cmdline);
  g_clear_pointer (&kept, g_free);
  kept = ledger_text (db, "SELECT count(*) FROM requests");
  g_assert_cmpstr (kept, ==, "1");
  assert_nothing_ran (dir);
}

/* Xen takes 1,023 bytes of command line and cuts the rest silently: a
 * manifest and submit --cmdline, which share the check, refuse more. */
static void
test_hostile_kernel_command_line_limit (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *most = g_strnfill (1023, 'c');
  g_autofree gchar *over = g_strnfill (1024, 'c');
  g_autofree gchar *fits = write_vm (dir, "fits.json", "a", 1, most);
  g_autofree gchar *too_long = write_vm (dir, "too-long.json", "a", 1, over);
  g_autofree gchar *db = xa_test_ledger_path (dir);
  g_autofree gchar *state = xa_test_state_path (dir);
  const gchar *message = "cmdline: 1024 bytes is longer than a kernel command line may be on Xen "
                         "(1023 bytes)";
  g_auto(XaTestRun) plan = { 0 };
  g_auto(XaTestRun) refused = { 0 };
  g_auto(XaTestRun) submit = { 0 };

  xa_test_run_xadmit (&plan, "plan", fits, "--host", "sim", "-q", NULL);
  g_assert_cmpint (plan.status, ==, 0);
  xa_test_run_xadmit (&refused, "boot", too_long, "--host", "sim", "--db", db, NULL);
  xa_test_run_assert_error (&refused, 2, message);
  xa_test_run_xadmit (&submit, "submit", "--name", "a", "--memory", "1GiB", "--vcpus", "1",
                      "--cmdline", over, "--host", "sim", "--sim-state", state, "--db", db, NULL);
  xa_test_run_assert_error (&submit, 2, message);
  g_assert_false (g_file_test (db, G_FILE_TEST_EXISTS));
}

static void
assert_private (const gchar *path)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 07777, ==, 0600);
}

/* boot under umask 0 makes every file it keeps 0600, and refuses, in one
 * line with exit 1, a ledger others may write or a directory they may. */
static void
test_hostile_files_are_private (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *db = xa_test_ledger_path (dir);
  g_autofree gchar *state = xa_test_state_path (dir);
  g_autofree gchar *db_lock = g_strconcat (db, ".lock", NULL);
  g_autofree gchar *state_lock = g_strconcat (state, ".lock", NULL);
  g_autofree gchar *manifest = xa_test_data_path ("manifests", "demo.json");
  g_autofree gchar *open_dir = g_build_filename (dir, "open", NULL);
  g_autofree gchar *open_db = g_build_filename (open_dir, "xadmit.db", NULL);
  g_auto(XaTestRun) boot = { 0 };
  g_auto(XaTestRun) again = { 0 };
  g_auto(XaTestRun) in_open = { 0 };
  mode_t old = umask (0);

  xa_test_run_xadmit (&boot, "boot", manifest, "--host", "sim", "--sim-state", state, "--db", db,
                      "-q", NULL);
  umask (old);
  g_assert_cmpint (boot.status, ==, 0);
  assert_private (db);
  assert_private (db_lock);
  assert_private (state);
  assert_private (state_lock);
  g_assert_cmpint (g_chmod (db, 0666), ==, 0);
  xa_test_run_xadmit (&again, "status", "--host", "sim", "--sim-state", state, "--db", db, NULL);
  xa_test_run_assert_error (&again, 1, "other users may write it (mode 0666), so it cannot be "
                                       "trusted; make it private with chmod 600");
  g_assert_cmpint (g_mkdir (open_dir, 0777), ==, 0);
  g_assert_cmpint (g_chmod (open_dir, 0777), ==, 0);
  xa_test_run_xadmit (&in_open, "boot", manifest, "--host", "sim", "--db", open_db, NULL);
  xa_test_run_assert_error (&in_open, 1, "other users may write the directory (mode 0777)");
  g_assert_false (g_file_test (open_db, G_FILE_TEST_EXISTS));
}

/* Every .c and .h of the product's folders (not tests/), read whole. */
static void
read_sources (const gchar *folder, GHashTable *sources)
{
  g_autofree gchar *root = g_test_build_filename (G_TEST_DIST, "..", folder, NULL);
  g_autoptr(GDir) dir = g_dir_open (root, 0, NULL);
  const gchar *entry;

  g_assert_nonnull (dir);
  while ((entry = g_dir_read_name (dir)) != NULL) {
    g_autofree gchar *sub = g_build_filename (folder, entry, NULL);
    g_autofree gchar *path = g_build_filename (root, entry, NULL);
    gchar *text = NULL;

    if (g_file_test (path, G_FILE_TEST_IS_DIR)) {
      read_sources (sub, sources);
      continue;
    }
    if (!g_str_has_suffix (entry, ".c") && !g_str_has_suffix (entry, ".h"))
      continue;
    g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
    g_hash_table_insert (sources, g_steal_pointer (&sub), text);
  }
}

static GHashTable *
read_product_sources (void)
{
  const gchar *const folders[] = { "planner", "store", "scheduler", "cli" };
  GHashTable *sources = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  for (gsize i = 0; i < G_N_ELEMENTS (folders); i++)
    read_sources (folders[i], sources);
  g_assert_cmpuint (g_hash_table_size (sources), >, 100);
  return sources;
}

/* Nothing the product runs goes through a shell: programs are spawned
 * with an argv, so no value can become a command. */
static void
test_hostile_source_runs_no_shell (void)
{
  g_autoptr(GHashTable) sources = read_product_sources ();
  const gchar *const shells[] = { "system (", "popen", "g_spawn_command_line", "sh -c",
                                  "\"/bin/sh\"", "execl", "execvp" };
  GHashTableIter iter;
  gpointer file;
  gpointer text;

  g_hash_table_iter_init (&iter, sources);
  while (g_hash_table_iter_next (&iter, &file, &text)) {
    for (gsize i = 0; i < G_N_ELEMENTS (shells); i++) {
      if (strstr (text, shells[i]) != NULL)
        g_error ("%s calls %s", (const gchar *) file, shells[i]);
    }
  }
}

/* All SQL is in store/, prepared in one place from literals with bound
 * parameters: no statement is formatted from a string (%s) or with
 * SQLite's own formatting, so no value can become SQL. */
static void
test_hostile_source_builds_no_sql (void)
{
  g_autoptr(GHashTable) sources = read_product_sources ();
  g_autoptr(GRegex) formatted = g_regex_new ("(g_strdup_printf|g_string_append_printf|"
                                             "g_string_printf)\\s*\\(([^;]*)\\);",
                                             0, 0, NULL);
  g_autoptr(GRegex) sql = g_regex_new ("\\b(SELECT|INSERT|UPDATE|DELETE|PRAGMA|WHERE|CREATE|"
                                       "DROP|ALTER)\\b", 0, 0, NULL);
  GHashTableIter iter;
  gpointer file;
  gpointer text;

  g_hash_table_iter_init (&iter, sources);
  while (g_hash_table_iter_next (&iter, &file, &text)) {
    g_autoptr(GMatchInfo) match = NULL;

    if (strstr (text, "sqlite3_prepare") != NULL)
      g_assert_cmpstr (file, ==, "store/xa-store.c");
    g_assert_null (strstr (text, "sqlite3_mprintf"));
    g_assert_null (strstr (text, "sqlite3_snprintf"));
    for (g_regex_match (formatted, text, 0, &match); g_match_info_matches (match);
         g_match_info_next (match, NULL)) {
      g_autofree gchar *args = g_match_info_fetch (match, 2);

      if (g_regex_match (sql, args, 0, NULL) && strstr (args, "%s") != NULL)
        g_error ("%s formats SQL from a string: %s", (const gchar *) file, args);
    }
  }
  g_assert_nonnull (strstr (g_hash_table_lookup (sources, "store/xa-store.c"),
                            "sqlite3_prepare_v3 (self->db, sql,"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cli/hostile/names-are-refused", test_hostile_names_are_refused);
  g_test_add_func ("/cli/hostile/free-text-is-kept-byte-exact",
                   test_hostile_free_text_is_kept_byte_exact);
  g_test_add_func ("/cli/hostile/kernel-command-line-limit",
                   test_hostile_kernel_command_line_limit);
  g_test_add_func ("/cli/hostile/files-are-private", test_hostile_files_are_private);
  g_test_add_func ("/cli/hostile/source-runs-no-shell", test_hostile_source_runs_no_shell);
  g_test_add_func ("/cli/hostile/source-builds-no-sql", test_hostile_source_builds_no_sql);
  return g_test_run ();
}
