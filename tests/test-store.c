/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib/gstdio.h>
#include <unistd.h>

#include "xa-test-store.h"

/* An SQLite header field: the schema version at 60, the application id at 68. */
#define HEADER_USER_VERSION 60
#define HEADER_APPLICATION_ID 68

static void
test_open_creates_a_private_file (XaTestStore *f, gconstpointer data)
{
  g_autofree gchar *dir = g_path_get_dirname (f->path);
  GStatBuf st;

  g_assert_cmpint (g_stat (f->path, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (dir, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 0777, ==, 0700);
  g_assert_cmpstr (xa_store_get_path (f->store), ==, f->path);
}

static void
test_open_reopens_its_own_database (XaTestStore *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(XaStore) again = NULL;
  g_autoptr(GPtrArray) queued = NULL;
  gint64 host_id = 0;

  xa_test_submit_vms (f, 3, GiB, 1);
  g_clear_pointer (&f->store, xa_store_free);
  again = xa_store_open (f->path, &error);
  g_assert_no_error (error);
  g_assert_true (xa_store_ensure_host (again, "host-1", "epyc-2n", "sim", 2, xa_test_at (2),
                                       &host_id, &error));
  g_assert_cmpint (host_id, ==, f->host_id);
  queued = xa_store_list_requests (again, host_id, XA_REQUEST_QUEUED, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (queued->len, ==, 3);
}

static GBytes *
read_file (const gchar *path)
{
  g_autoptr(GError) error = NULL;
  gchar *contents = NULL;
  gsize len = 0;

  g_assert_true (g_file_get_contents (path, &contents, &len, &error));
  g_assert_no_error (error);
  return g_bytes_new_take (contents, len);
}

/* A file that xadmit cannot use gives one sentence and stays as it was. */
static void
assert_refused_with (const gchar *path, gint code, const gchar *message)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) before = g_file_test (path, G_FILE_TEST_IS_REGULAR) ? read_file (path) : NULL;
  g_autoptr(XaStore) store = xa_store_open (path, &error);

  g_assert_null (store);
  g_assert_error (error, XA_ERROR, code);
  g_assert_true (g_str_has_prefix (error->message, path));
  g_assert_nonnull (strstr (error->message, message));
  g_assert_null (strchr (error->message, '\n'));
  if (before != NULL) {
    g_autoptr(GBytes) after = read_file (path);

    g_assert_true (g_bytes_equal (before, after));
  }
}

static void
assert_refused (const gchar *path, const gchar *message)
{
  assert_refused_with (path, XA_ERROR_DATABASE, message);
}

static void
test_open_refuses_a_file_others_can_write (XaTestStore *f, gconstpointer data)
{
  g_clear_pointer (&f->store, xa_store_free);
  g_assert_cmpint (g_chmod (f->path, 0664), ==, 0);
  assert_refused_with (f->path, XA_ERROR_PERMISSION, "other users may write it (mode 0664)");
}

static void
test_open_refuses_what_is_not_a_database (XaTestStore *f, gconstpointer data)
{
  g_autofree gchar *text = g_build_filename (f->dir, "notes.txt", NULL);
  g_autofree gchar *garbage = g_strnfill (8192, 'x');
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents_full (text, garbage, -1, G_FILE_SET_CONTENTS_NONE, 0600,
                                           &error));
  assert_refused (text, "is not a database xadmit can read");
  assert_refused (f->dir, "is not a database file");
}

/* Opens the closed database at @path, sets a big-endian header field. */
static void
patch_header (const gchar *path, goffset offset, guint32 value)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *contents = NULL;
  gsize len = 0;
  guint32 big = GUINT32_TO_BE (value);

  g_assert_true (g_file_get_contents (path, &contents, &len, &error));
  memcpy (contents + offset, &big, sizeof big);
  g_assert_true (g_file_set_contents_full (path, contents, (gssize) len,
                                           G_FILE_SET_CONTENTS_NONE, 0600, &error));
  g_assert_no_error (error);
}

static void
test_open_refuses_another_programs_database (XaTestStore *f, gconstpointer data)
{
  g_clear_pointer (&f->store, xa_store_free);
  patch_header (f->path, HEADER_APPLICATION_ID, 0x46505244);
  assert_refused (f->path, "is an SQLite database of another program (application id 0x46505244)");
}

static void
test_open_refuses_a_newer_schema (XaTestStore *f, gconstpointer data)
{
  g_clear_pointer (&f->store, xa_store_free);
  patch_header (f->path, HEADER_USER_VERSION, XA_STORE_SCHEMA_VERSION + 1);
  assert_refused (f->path, "was written by a newer xadmit");
}

/* Page 1 past its header holds the schema: garbage there is corruption. */
static void
test_open_reports_a_corrupt_database (XaTestStore *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *contents = NULL;
  gsize len = 0;

  xa_test_submit_vms (f, 2, GiB, 1);
  g_clear_pointer (&f->store, xa_store_free);
  g_assert_true (g_file_get_contents (f->path, &contents, &len, &error));
  memset (contents + 100, 0xa5, 1024);
  g_assert_true (g_file_set_contents_full (f->path, contents, (gssize) len,
                                           G_FILE_SET_CONTENTS_NONE, 0600, &error));
  assert_refused (f->path, "malformed");
}

static void
test_open_default_path (void)
{
  g_autofree gchar *path = xa_store_default_path ();

  if (geteuid () == 0)
    g_assert_cmpstr (path, ==, "/var/lib/xadmit/xadmit.db");
  else
    g_assert_true (g_str_has_suffix (path, "/xadmit/xadmit.db"));
}

static void
test_host_is_recorded_once (XaTestStore *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  gint64 same = 0;
  gint64 other = 0;

  g_assert_true (xa_store_ensure_host (f->store, "host-1", "epyc-2n", "sim", 2, xa_test_at (1),
                                       &same, &error));
  g_assert_cmpint (same, ==, f->host_id);
  g_assert_true (xa_store_ensure_host (f->store, "host-2", "epyc-2n", "sim", 2, xa_test_at (1),
                                       &other, &error));
  g_assert_no_error (error);
  g_assert_cmpint (other, !=, f->host_id);
}

static void
test_host_keeps_its_node_count (XaTestStore *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  gint64 id = 0;

  g_assert_false (xa_store_ensure_host (f->store, "host-1", "epyc-2n", "sim", 4, xa_test_at (1),
                                        &id, &error));
  g_assert_error (error, XA_ERROR, XA_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "is recorded with 2 nodes, but now has 4"));
}

/* Writes a database of this schema version with a little of everything:
 * kept in tests/fixtures/ so that later versions prove they migrate it. */
static int
write_fixture (const gchar *path)
{
  g_autoptr(GError) error = NULL;
  XaTestStore f = { NULL };
  g_autoptr(GPtrArray) admitted = NULL;
  XaStoreRequest *request;

  xa_test_store_open (&f, path);
  admitted = xa_test_admit_vms (&f, 3, 4 * GiB);
  xa_test_build (&f, g_ptr_array_index (admitted, 0), 3, 5);
  request = g_ptr_array_index (admitted, 1);
  g_assert_true (xa_store_start_build (f.store, request, xa_test_at (3), &error));
  g_assert_true (xa_store_fail_build (f.store, request, "xenguest failed", FALSE, xa_test_at (4),
                                      &error));
  g_assert_no_error (error);
  xa_test_store_close (&f);
  return 0;
}

static void
copy_file (const gchar *from, const gchar *to)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *contents = NULL;
  gsize len = 0;

  g_assert_true (g_file_get_contents (from, &contents, &len, &error));
  g_assert_true (g_file_set_contents_full (to, contents, (gssize) len, G_FILE_SET_CONTENTS_NONE,
                                           0600, &error));
  g_assert_no_error (error);
}

/* A host without domains: the fixture's running VM has ended, which the
 * schema of every migrated fixture lets the ledger record. */
static void
assert_fixture_ends (XaStore *store)
{
  g_autoptr(GError) error = NULL;
  const guint64 total[] = { NODE_MIB, NODE_MIB };
  XaStoreSnapshot snapshot = { 2, total, total, 0, NULL };
  g_autoptr(XaStoreReconciliation) found = xa_store_reconcile (store, 1, &snapshot,
                                                               xa_test_at (20), &error);
  g_autoptr(GPtrArray) ended = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (found->ended->len, ==, 1);
  ended = xa_store_list_requests (store, 1, XA_REQUEST_ENDED, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ended->len, ==, 1);
  g_assert_cmpstr (((XaStoreRequest *) g_ptr_array_index (ended, 0))->reason, ==,
                   "its domain is no longer on the host");
}

/* Every fixture of an older (or this) schema opens, migrated, its history
 * intact: one VM running, one failed, one planned with its claim. */
static void
test_migration_opens_every_fixture (XaTestStore *f, gconstpointer data)
{
  for (guint version = 1; version <= XA_STORE_SCHEMA_VERSION; version++) {
    g_autofree gchar *name = g_strdup_printf ("xadmit-v%u.db", version);
    g_autofree gchar *fixture = g_test_build_filename (G_TEST_DIST, "fixtures", name, NULL);
    g_autofree gchar *path = g_build_filename (f->dir, name, NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(XaStore) store = NULL;
    g_autoptr(GPtrArray) vms = NULL;
    guint64 avail[2];

    copy_file (fixture, path);
    store = xa_store_open (path, &error);
    g_assert_no_error (error);
    vms = xa_store_list_vms (store, 1, 2, 0, G_MAXINT64, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (vms->len, ==, 3);
    g_assert_cmpint (((XaStoreVmRow *) g_ptr_array_index (vms, 0))->state, ==, XA_REQUEST_RUNNING);
    g_assert_cmpint (((XaStoreVmRow *) g_ptr_array_index (vms, 1))->state, ==, XA_REQUEST_FAILED);
    g_assert_cmpint (((XaStoreVmRow *) g_ptr_array_index (vms, 2))->state, ==, XA_REQUEST_PLANNED);
    g_assert_true (xa_store_available (store, 1, 2, avail, &error));
    g_assert_cmpuint (avail[0] + avail[1], ==, 2 * NODE_MIB - (4 * GiB + 4));
    assert_fixture_ends (store);
  }
}

int
main (int argc, char **argv)
{
  if (argc == 3 && g_str_equal (argv[1], "--write-fixture"))
    return write_fixture (argv[2]);
  g_test_init (&argc, &argv, NULL);
  xa_test_store_add ("/store/open/creates-a-private-file", test_open_creates_a_private_file);
  xa_test_store_add ("/store/open/reopens-its-own-database", test_open_reopens_its_own_database);
  xa_test_store_add ("/store/open/refuses-a-file-others-can-write",
                     test_open_refuses_a_file_others_can_write);
  xa_test_store_add ("/store/open/refuses-what-is-not-a-database",
                     test_open_refuses_what_is_not_a_database);
  xa_test_store_add ("/store/open/refuses-another-programs-database",
                     test_open_refuses_another_programs_database);
  xa_test_store_add ("/store/open/refuses-a-newer-schema", test_open_refuses_a_newer_schema);
  xa_test_store_add ("/store/open/reports-a-corrupt-database",
                     test_open_reports_a_corrupt_database);
  g_test_add_func ("/store/open/default-path", test_open_default_path);
  xa_test_store_add ("/store/host/is-recorded-once", test_host_is_recorded_once);
  xa_test_store_add ("/store/host/keeps-its-node-count", test_host_keeps_its_node_count);
  xa_test_store_add ("/store/migration/opens-every-fixture", test_migration_opens_every_fixture);
  return g_test_run ();
}
