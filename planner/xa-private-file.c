/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <unistd.h>

#include "xa-error.h"
#include "xa-private-file.h"
#include "xa-text.h"

static gboolean
xa_private_file_refuse (const gchar *path, const gchar *why, const gchar *fix, GError **error)
{
  g_autofree gchar *shown = xa_text_quote_path (path);

  g_set_error (error, XA_ERROR, XA_ERROR_PERMISSION, "%s: %s, so it cannot be trusted; %s",
               shown, why, fix);
  return FALSE;
}

/* Root's ledger, group-readable, opened to write by a member of its group:
 * not a matter of trust, so the message says what the group may do. */
static gboolean
xa_private_file_refuse_writer (const gchar *path, const struct stat *st, GError **error)
{
  g_autofree gchar *shown = xa_text_quote_path (path);

  g_set_error (error, XA_ERROR, XA_ERROR_PERMISSION,
               "%s: it is root's, and its group (%u) may only read it (xadmit status, "
               "report); only root may write it", shown, (guint) st->st_gid);
  return FALSE;
}

/**
 * xa_private_file_check_full:
 * @path: the file, for the message
 * @st: what lstat() or fstat() said of it
 * @flags: whether it is only read
 * @error: a #GError, %XA_ERROR_PERMISSION
 *
 * The one place that decides whether a file xadmit keeps state in is
 * private enough: this user owns it (or root does, and it is only read),
 * group and others may not write it, and others may not even read it.
 *
 * Returns: %TRUE if it may be used
 */
gboolean
xa_private_file_check_full (const gchar *path, const struct stat *st, XaPrivateFileFlags flags,
                            GError **error)
{
  g_autofree gchar *why = NULL;
  gboolean read_only = (flags & XA_PRIVATE_FILE_READ_ONLY) != 0;

  if (st->st_uid != geteuid () && !(read_only && st->st_uid == 0)) {
    if (st->st_uid == 0 && (st->st_mode & S_IRGRP) != 0)
      return xa_private_file_refuse_writer (path, st, error);
    why = g_strdup_printf ("it is owned by user %u, not by this one (%u)", (guint) st->st_uid,
                           (guint) geteuid ());
    return xa_private_file_refuse (path, why, "use a file of your own", error);
  }
  if ((st->st_mode & (S_IWGRP | S_IRWXO)) != 0) {
    why = g_strdup_printf ("other users may %s it (mode %04o)",
                           (st->st_mode & (S_IWGRP | S_IWOTH)) != 0 ? "write" : "read",
                           (guint) (st->st_mode & 07777));
    return xa_private_file_refuse (path, why, "make it private with chmod 600", error);
  }
  return TRUE;
}

/* A file this user owns and writes: xa_private_file_check_full(). */
gboolean
xa_private_file_check (const gchar *path, const struct stat *st, GError **error)
{
  return xa_private_file_check_full (path, st, XA_PRIVATE_FILE_NONE, error);
}

/**
 * xa_private_file_check_dir:
 * @dir: the directory, for the message
 * @st: what stat() said of it
 * @error: a #GError, %XA_ERROR_PERMISSION
 *
 * A directory may hold private files when this user or root owns it and
 * no one else may write it, or when it is sticky (as /tmp is): there no
 * one may rename or remove another's file, and xa_private_file_check()
 * refuses a file that someone else put there.
 *
 * Returns: %TRUE if it may be used
 */
gboolean
xa_private_file_check_dir (const gchar *dir, const struct stat *st, GError **error)
{
  g_autofree gchar *why = NULL;

  if (st->st_uid != geteuid () && st->st_uid != 0) {
    why = g_strdup_printf ("the directory is owned by user %u, who may replace what is in it",
                           (guint) st->st_uid);
    return xa_private_file_refuse (dir, why, "use a directory of your own", error);
  }
  if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0 && (st->st_mode & S_ISVTX) == 0) {
    why = g_strdup_printf ("other users may write the directory (mode %04o) and replace what is "
                           "in it", (guint) (st->st_mode & 07777));
    return xa_private_file_refuse (dir, why, "use a private directory or chmod go-w it", error);
  }
  return TRUE;
}
