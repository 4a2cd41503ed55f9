/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The ledger's files are private (docs/formats.md, Ledger): created 0600
 * whatever the umask, refused when others may change them. */
#include <glib/gstdio.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xa-private-file.h"
#include "xa-test-store.h"

static void
assert_mode (const gchar *path, guint mode)
{
  GStatBuf st;

  g_assert_cmpint (g_lstat (path, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 07777, ==, mode);
}

static XaStore *
open_and_write (const gchar *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(XaStore) store = xa_store_open (path, &error);
  gint64 host_id = 0;

  g_assert_no_error (error);
  g_assert_true (xa_store_ensure_host (store, "host-1", "epyc-2n", "sim", 2, xa_test_at (1),
                                       &host_id, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&store);
}

/* A ledger in @dir, written and closed. */
static gchar *
write_closed_ledger (const XaTestDir *dir)
{
  gchar *path = g_build_filename (dir, "xadmit.db", NULL);
  g_autoptr(XaStore) store = open_and_write (path);

  return path;
}

static void
test_private_created_modes_under_umask_0 (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *parent = g_build_filename (dir, "state", NULL);
  g_autofree gchar *path = g_build_filename (parent, "xadmit", "xadmit.db", NULL);
  g_autofree gchar *wal = g_strconcat (path, "-wal", NULL);
  g_autofree gchar *shm = g_strconcat (path, "-shm", NULL);
  mode_t old = umask (0);
  g_autoptr(XaStore) store = open_and_write (path);

  umask (old);
  assert_mode (parent, 0700);
  assert_mode (path, 0600);
  /* the -wal and -shm files are there while the ledger is open */
  assert_mode (wal, 0600);
  assert_mode (shm, 0600);
}

/* Refused with one line naming @path, exit 1's error, nothing created. */
static void
assert_refused (const gchar *path, const gchar *named, const gchar *message)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(XaStore) store = xa_store_open (path, &error);
  g_autofree gchar *wal = g_strconcat (path, "-wal", NULL);

  g_assert_null (store);
  g_assert_error (error, XA_ERROR, XA_ERROR_PERMISSION);
  g_assert_true (g_str_has_prefix (error->message, named));
  g_assert_nonnull (strstr (error->message, message));
  g_assert_null (strchr (error->message, '\n'));
  g_assert_false (g_file_test (wal, G_FILE_TEST_EXISTS));
}

static void
test_private_refuses_a_directory_others_may_write (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *open_dir = g_build_filename (dir, "open", NULL);
  g_autofree gchar *path = g_build_filename (open_dir, "xadmit.db", NULL);
  g_autofree gchar *sticky = g_build_filename (open_dir, "sticky.db", NULL);
  g_autoptr(XaStore) store = NULL;

  g_assert_cmpint (g_mkdir (open_dir, 0700), ==, 0);
  g_assert_cmpint (g_chmod (open_dir, 0777), ==, 0);
  assert_refused (path, open_dir, "other users may write the directory (mode 0777)");
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  /* sticky, as /tmp: no one may replace another's file there */
  g_assert_cmpint (g_chmod (open_dir, 01777), ==, 0);
  store = open_and_write (sticky);
  assert_mode (sticky, 0600);
}

static void
test_private_refuses_a_ledger_others_may_use (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *path = write_closed_ledger (dir);
  g_autoptr(XaStore) store = NULL;

  g_assert_cmpint (g_chmod (path, 0666), ==, 0);
  assert_refused (path, path, "other users may write it (mode 0666)");
  g_assert_cmpint (g_chmod (path, 0604), ==, 0);
  assert_refused (path, path, "other users may read it (mode 0604)");
  /* a group may read it: the rule's one opening */
  g_assert_cmpint (g_chmod (path, 0640), ==, 0);
  store = open_and_write (path);
}

/* A writer asks before it opens anything: a missing ledger it may create,
 * its own it may write, one others may change it may not. */
static void
test_private_check_writer (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *missing = g_build_filename (dir, "missing.db", NULL);
  g_autofree gchar *path = write_closed_ledger (dir);
  g_autoptr(GError) error = NULL;

  g_assert_true (xa_store_check_writer (missing, &error));
  g_assert_no_error (error);
  g_assert_true (xa_store_check_writer (path, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (path, 0666), ==, 0);
  g_assert_false (xa_store_check_writer (path, &error));
  g_assert_error (error, XA_ERROR, XA_ERROR_PERMISSION);
  g_assert_nonnull (strstr (error->message, "other users may write it (mode 0666)"));
}

static void
test_private_refuses_a_wal_others_may_write (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *path = write_closed_ledger (dir);
  g_autofree gchar *shm = g_strconcat (path, "-shm", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents_full (shm, "", 0, G_FILE_SET_CONTENTS_NONE, 0666, &error));
  g_assert_cmpint (g_chmod (shm, 0666), ==, 0);
  assert_refused (path, shm, "other users may write it (mode 0666)");
}

static void
test_private_refuses_a_symbolic_link (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *path = write_closed_ledger (dir);
  g_autofree gchar *link = g_build_filename (dir, "link.db", NULL);

  g_assert_cmpint (symlink (path, link), ==, 0);
  assert_refused (link, link, "is a symbolic link");
}

/* Only root can give a file away; "nobody" stands for another user. */
static gboolean
give_to_nobody (const gchar *path)
{
  struct passwd *nobody = getpwnam ("nobody");

  if (geteuid () != 0 || nobody == NULL) {
    g_test_skip ("only root can give a file to another user (nobody)");
    return FALSE;
  }
  g_assert_cmpint (chown (path, nobody->pw_uid, nobody->pw_gid), ==, 0);
  return TRUE;
}

static void
test_private_refuses_another_users_ledger (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *path = write_closed_ledger (dir);

  if (!give_to_nobody (path))
    return;
  assert_refused (path, path, "it is owned by user");
}

static void
test_private_refuses_another_users_directory (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *theirs = g_build_filename (dir, "theirs", NULL);
  g_autofree gchar *path = g_build_filename (theirs, "xadmit.db", NULL);

  g_assert_cmpint (g_mkdir (theirs, 0755), ==, 0);
  if (!give_to_nobody (theirs))
    return;
  assert_refused (path, theirs, "who may replace what is in it");
}

typedef struct {
  guint mode;
  /* 0: this user's, 1: root's, 2: another user's */
  guint owner;
  XaPrivateFileFlags flags;
  gboolean passes;
} ModeCase;

/* xa_private_file_check_full()'s table: group read is the one opening,
 * and root's file will do only to be read (docs/formats.md, Ledger). */
static void
test_private_check_modes (void)
{
  const ModeCase cases[] = {
    { 0600, 0, XA_PRIVATE_FILE_NONE, TRUE },
    { 0640, 0, XA_PRIVATE_FILE_NONE, TRUE },
    { 0400, 0, XA_PRIVATE_FILE_NONE, TRUE },
    { 0660, 0, XA_PRIVATE_FILE_NONE, FALSE },
    { 0644, 0, XA_PRIVATE_FILE_NONE, FALSE },
    { 0604, 0, XA_PRIVATE_FILE_NONE, FALSE },
    { 0666, 0, XA_PRIVATE_FILE_READ_ONLY, FALSE },
    { 0640, 1, XA_PRIVATE_FILE_READ_ONLY, TRUE },
    { 0600, 1, XA_PRIVATE_FILE_READ_ONLY, TRUE },
    { 0660, 1, XA_PRIVATE_FILE_READ_ONLY, FALSE },
    { 0644, 1, XA_PRIVATE_FILE_READ_ONLY, FALSE },
    { 0600, 2, XA_PRIVATE_FILE_NONE, FALSE },
    { 0640, 2, XA_PRIVATE_FILE_READ_ONLY, FALSE },
  };
  uid_t other = geteuid () == 4243 ? 4244 : 4243;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    struct stat st = { 0 };
    g_autoptr(GError) error = NULL;
    gboolean root_writes = cases[i].owner == 1 && geteuid () == 0;

    st.st_mode = S_IFREG | cases[i].mode;
    st.st_uid = cases[i].owner == 0 ? geteuid () : cases[i].owner == 1 ? 0 : other;
    g_test_message ("case %u: %04o", i, cases[i].mode);
    g_assert_cmpint (xa_private_file_check_full ("x.db", &st, cases[i].flags, &error), ==,
                     cases[i].passes);
    g_assert_true ((error == NULL) == cases[i].passes);
    /* a writer of root's shared file: root passes, anyone else is told why */
    g_clear_error (&error);
    if (cases[i].owner == 1 && cases[i].passes)
      g_assert_cmpint (xa_private_file_check ("x.db", &st, &error), ==, root_writes);
    if (error != NULL && cases[i].mode == 0640)
      g_assert_nonnull (strstr (error->message, "only root may write it"));
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/store/private/created-modes-under-umask-0",
                   test_private_created_modes_under_umask_0);
  g_test_add_func ("/store/private/refuses-a-directory-others-may-write",
                   test_private_refuses_a_directory_others_may_write);
  g_test_add_func ("/store/private/refuses-a-ledger-others-may-use",
                   test_private_refuses_a_ledger_others_may_use);
  g_test_add_func ("/store/private/check-writer", test_private_check_writer);
  g_test_add_func ("/store/private/refuses-a-wal-others-may-write",
                   test_private_refuses_a_wal_others_may_write);
  g_test_add_func ("/store/private/check-modes", test_private_check_modes);
  g_test_add_func ("/store/private/refuses-a-symbolic-link", test_private_refuses_a_symbolic_link);
  g_test_add_func ("/store/private/refuses-another-users-ledger",
                   test_private_refuses_another_users_ledger);
  g_test_add_func ("/store/private/refuses-another-users-directory",
                   test_private_refuses_another_users_directory);
  return g_test_run ();
}
