/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xa-error.h"
#include "xa-file.h"
#include "xa-host-file.h"
#include "xa-host.h"
#include "xa-json.h"
#include "xa-test-util.h"

#define XA_TEST_LOCK_ENV "XA_TEST_LOCK"

/* The child of g_test_trap_subprocess() finds the lock its parent holds. */
static void
lock_held_elsewhere_child (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *command = g_path_get_basename (g_get_prgname ());
  g_autofree gchar *holder = g_strdup_printf ("process %d (%s) admits for the test host",
                                              (gint) getppid (), command);
  gint fd = -1;

  g_assert_false (xa_file_lock (g_getenv (XA_TEST_LOCK_ENV), "the test host", &fd, &error));
  g_assert_error (error, XA_ERROR, XA_ERROR_BUSY);
  g_assert_true (g_str_has_prefix (error->message, holder));
  g_assert_cmpint (fd, ==, -1);
}

/* Runs @func on a lock file's path in a new directory of its own. */
static void
with_lock_path (void (*func) (const XaTestDir *dir, const gchar *path))
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *path = g_build_filename (dir, "host.lock", NULL);

  func (dir, path);
}

static void
lock_then_let_a_child_try (const XaTestDir *dir, const gchar *path)
{
  g_autoptr(GError) error = NULL;
  gint fd = -1;

  g_assert_true (xa_file_lock (path, "the test host", &fd, &error));
  g_assert_no_error (error);
  g_setenv (XA_TEST_LOCK_ENV, path, TRUE);
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_close (fd, NULL);
}

static void
test_lock_held_by_another_process_is_busy (void)
{
  if (g_test_subprocess ()) {
    lock_held_elsewhere_child ();
    return;
  }
  with_lock_path (lock_then_let_a_child_try);
}

static void
lock_in_a_closed_directory (const XaTestDir *dir, const gchar *path)
{
  g_autoptr(GError) error = NULL;
  gint fd = -1;

  g_assert_cmpint (g_chmod (dir, 0500), ==, 0);
  g_assert_false (xa_file_lock (path, "the test host", &fd, &error));
  g_assert_error (error, XA_ERROR, XA_ERROR_PERMISSION);
  /* so that the directory can be removed */
  g_assert_cmpint (g_chmod (dir, 0700), ==, 0);
}

/* Root may write anywhere, so only another user sees the refusal. */
static void
test_lock_in_a_closed_directory_needs_permission (void)
{
  if (geteuid () == 0) {
    g_test_skip ("root may create the lock anywhere");
    return;
  }
  with_lock_path (lock_in_a_closed_directory);
}

static void
lock_under_umask_0 (const XaTestDir *dir, const gchar *path)
{
  g_autoptr(GError) error = NULL;
  mode_t old = umask (0);
  GStatBuf st;
  gint fd = -1;

  g_assert_true (xa_file_lock (path, "the test host", &fd, &error));
  umask (old);
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 07777, ==, 0600);
  g_close (fd, NULL);
}

static void
test_lock_is_created_0600_under_umask_0 (void)
{
  with_lock_path (lock_under_umask_0);
}

static void
lock_refused (const gchar *path, const gchar *message)
{
  g_autoptr(GError) error = NULL;
  gint fd = -1;

  g_assert_false (xa_file_lock (path, "the test host", &fd, &error));
  g_assert_error (error, XA_ERROR, XA_ERROR_PERMISSION);
  g_assert_nonnull (strstr (error->message, message));
  g_assert_cmpint (fd, ==, -1);
}

/* Others could write their pid in it, or replace it in their directory. */
static void
lock_others_may_change (const XaTestDir *dir, const gchar *path)
{
  g_autofree gchar *open_dir = g_build_filename (dir, "open", NULL);
  g_autofree gchar *in_open = g_build_filename (open_dir, "host.lock", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents_full (path, "", 0, G_FILE_SET_CONTENTS_NONE, 0666, &error));
  g_assert_cmpint (g_chmod (path, 0666), ==, 0);
  lock_refused (path, "other users may write it (mode 0666)");
  g_assert_cmpint (g_mkdir (open_dir, 0700), ==, 0);
  g_assert_cmpint (g_chmod (open_dir, 0777), ==, 0);
  lock_refused (in_open, "other users may write the directory (mode 0777)");
  g_assert_false (g_file_test (in_open, G_FILE_TEST_EXISTS));
}

static void
test_lock_others_may_change_is_refused (void)
{
  with_lock_path (lock_others_may_change);
}

/* A link in its place would have the pid written over what it points to. */
static void
lock_through_a_link (const XaTestDir *dir, const gchar *path)
{
  g_autofree gchar *target = xa_test_dir_write (dir, "precious", "keep me");
  g_autofree gchar *after = NULL;
  g_autoptr(GError) error = NULL;
  gint fd = -1;

  g_assert_cmpint (g_chmod (target, 0600), ==, 0);
  g_assert_cmpint (symlink (target, path), ==, 0);
  g_assert_false (xa_file_lock (path, "the test host", &fd, &error));
  g_assert_nonnull (error);
  g_assert_true (g_file_get_contents (target, &after, NULL, NULL));
  g_assert_cmpstr (after, ==, "keep me");
}

static void
test_lock_through_a_link_is_refused (void)
{
  with_lock_path (lock_through_a_link);
}

static void
test_error_for_errno (void)
{
  g_assert_cmpint (xa_file_error_for_errno (EACCES), ==, XA_ERROR_PERMISSION);
  g_assert_cmpint (xa_file_error_for_errno (EPERM), ==, XA_ERROR_PERMISSION);
  g_assert_cmpint (xa_file_error_for_errno (ENOSPC), ==, XA_ERROR_FAILED);
}

static void
test_open_xen_without_hypervisor (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(XaHost) host = NULL;

  if (g_file_test ("/dev/xen/privcmd", G_FILE_TEST_EXISTS)) {
    g_test_skip ("this machine runs Xen");
    return;
  }
  host = xa_host_open ("xen", NULL, &error);
  g_assert_null (host);
  g_assert_error (error, XA_ERROR, XA_ERROR_NO_HYPERVISOR);
}

static void
test_open_missing_host_file (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(XaHost) host = xa_host_open ("sim:/nonexistent/host.json", NULL, &error);

  g_assert_null (host);
  g_assert_error (error, XA_ERROR, XA_ERROR_NOT_FOUND);
  g_assert_true (g_str_has_prefix (error->message, "/nonexistent/host.json: cannot read: "));
}

static XaHostDomain *
add_domain (XaHostInfo *info, const gchar *name, guint64 node0, guint64 node1, gboolean estimated)
{
  XaHostDomain *domain = xa_host_domain_new (name, 1, 2);

  domain->memory_by_node_mib[0] = node0;
  domain->memory_by_node_mib[1] = node1;
  domain->estimated = estimated;
  g_ptr_array_add (info->domains, domain);
  return domain;
}

/* Counted domains are fitted first; an estimate keeps its total where
 * another node has room, and the host then passes its own checks. */
static void
test_fit_domains (void)
{
  g_autoptr(XaHostInfo) info = xa_host_info_new ("fit", 2);
  g_autoptr(GError) error = NULL;
  g_autoptr(json_t) root = NULL;
  g_autoptr(XaHostInfo) again = NULL;
  XaHostDomain *estimated;
  XaHostDomain *spilled;

  for (guint n = 0; n < 2; n++)
    info->nodes[n].total_mib = 1000;
  info->nodes[0].free_mib = 800;
  info->nodes[1].free_mib = 500;
  add_domain (info, "counted", 150, 0, FALSE);
  estimated = add_domain (info, "estimated", 100, 100, TRUE);
  spilled = add_domain (info, "spilled", 0, 500, TRUE);
  xa_host_info_fit_domains (info);
  g_assert_cmpuint (xa_host_info_domains_mib (info, 0), ==, 200);
  g_assert_cmpuint (estimated->memory_by_node_mib[0], ==, 50);
  g_assert_cmpuint (estimated->memory_by_node_mib[1], ==, 150);
  g_assert_cmpuint (spilled->memory_by_node_mib[1], ==, 350);
  root = xa_host_file_to_json (info, NULL);
  again = xa_host_file_parse ("fit", root, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (again->domains->len, ==, 3);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/scheduler/host/lock/held-by-another-process-is-busy",
                   test_lock_held_by_another_process_is_busy);
  g_test_add_func ("/scheduler/host/lock/in-a-closed-directory-needs-permission",
                   test_lock_in_a_closed_directory_needs_permission);
  g_test_add_func ("/scheduler/host/lock/created-0600-under-umask-0",
                   test_lock_is_created_0600_under_umask_0);
  g_test_add_func ("/scheduler/host/lock/others-may-change-is-refused",
                   test_lock_others_may_change_is_refused);
  g_test_add_func ("/scheduler/host/lock/through-a-link-is-refused",
                   test_lock_through_a_link_is_refused);
  g_test_add_func ("/scheduler/host/error-for-errno", test_error_for_errno);
  g_test_add_func ("/scheduler/host/open/xen-without-hypervisor", test_open_xen_without_hypervisor);
  g_test_add_func ("/scheduler/host/open/missing-host-file", test_open_missing_host_file);
  g_test_add_func ("/scheduler/host/info/fit-domains", test_fit_domains);
  return g_test_run ();
}
