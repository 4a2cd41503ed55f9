/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xa-error.h"
#include "xa-store-private.h"
#include "xa-text.h"

/* A ledger shared with a group: readable by it, writable by its owner only. */
#define XA_STORE_SHARED_MODE 0640

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

static gboolean
xa_store_set_errno (const gchar *path, const gchar *purpose, GError **error)
{
  gint saved_errno = errno;

  g_set_error (error, XA_ERROR, XA_ERROR_FAILED, "%s: cannot %s: %s", path, purpose,
               g_strerror (saved_errno));
  return FALSE;
}

/* A file of the ledger (the database, its -wal or -shm): missing, or a
 * regular file private to this user (xa_private_file_check_full()). */
static gboolean
xa_store_check_private (const gchar *path, XaPrivateFileFlags flags, GError **error)
{
  struct stat st;

  if (lstat (path, &st) != 0)
    return errno == ENOENT || xa_store_set_errno (path, "read its status", error);
  if (S_ISLNK (st.st_mode)) {
    g_set_error (error, XA_ERROR, XA_ERROR_PERMISSION,
                 "%s: is a symbolic link, which xadmit does not follow", path);
    return FALSE;
  }
  if (!S_ISREG (st.st_mode)) {
    g_set_error (error, XA_ERROR, XA_ERROR_DATABASE, "%s: is not a database file", path);
    return FALSE;
  }
  return xa_private_file_check_full (path, &st, flags, error);
}

/* The -wal and -shm files SQLite keeps beside the ledger in WAL mode. */
gboolean
xa_store_check_wal (const gchar *path, XaPrivateFileFlags flags, GError **error)
{
  g_autofree gchar *wal = g_strconcat (path, "-wal", NULL);
  g_autofree gchar *shm = g_strconcat (path, "-shm", NULL);

  return xa_store_check_private (wal, flags, error) && xa_store_check_private (shm, flags, error);
}

/**
 * xa_store_check_writer:
 * @path: the ledger
 * @error: a #GError, %XA_ERROR_PERMISSION
 *
 * Whether this user may write the ledger, for a command that would, before
 * it opens anything else: a missing ledger it may create; root's, shared
 * with a group, only root may write (a member learns what it may do).
 *
 * Returns: %TRUE if the ledger is missing or this user's to write
 */
gboolean
xa_store_check_writer (const gchar *path, GError **error)
{
  g_return_val_if_fail (path != NULL, FALSE);

  return xa_store_check_private (path, XA_PRIVATE_FILE_NONE, error);
}

/* The ledger and its -wal and -shm, only to be read: root's will do. */
gboolean
xa_store_check_read_only (const gchar *path, GError **error)
{
  return xa_store_check_private (path, XA_PRIVATE_FILE_READ_ONLY, error) &&
         xa_store_check_wal (path, XA_PRIVATE_FILE_READ_ONLY, error);
}

/* Creates the directory 0700 and the file 0600 if missing (a umask can
 * only take bits away); refuses a directory others may change and a file
 * that is not private, before SQLite opens anything. */
gboolean
xa_store_prepare_file (const gchar *path, GError **error)
{
  g_autofree gchar *dir = g_path_get_dirname (path);
  struct stat st;
  gint fd;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    return xa_store_set_errno (path, "create its directory", error);
  if (stat (dir, &st) != 0)
    return xa_store_set_errno (path, "read its directory's status", error);
  if (!xa_private_file_check_dir (dir, &st, error))
    return FALSE;
  fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0 && errno != EEXIST)
    return xa_store_set_errno (path, "create the database", error);
  if (fd >= 0)
    g_close (fd, NULL);
  return xa_store_check_private (path, XA_PRIVATE_FILE_NONE, error) &&
         xa_store_check_wal (path, XA_PRIVATE_FILE_NONE, error);
}

/* Whether the ledger exists and another user (root, who shares it with a
 * group) owns it: this one may only read it. */
gboolean
xa_store_is_others (const gchar *path)
{
  struct stat st;

  return lstat (path, &st) == 0 && st.st_uid != geteuid ();
}

/* Whether the ledger is shared with a group (xa_store_share()). */
gboolean
xa_store_is_shared (const gchar *path)
{
  struct stat st;

  return lstat (path, &st) == 0 && (st.st_mode & S_IRGRP) != 0;
}

/**
 * xa_store_lookup_group:
 * @group: a group's name or number
 * @out_gid: (out): its number
 * @error: a #GError, %XA_ERROR_INVALID_INPUT
 *
 * Returns: %TRUE if this system has that group
 */
gboolean
xa_store_lookup_group (const gchar *group, gid_t *out_gid, GError **error)
{
  guint64 number = 0;
  struct group *entry;
  g_autofree gchar *shown = NULL;

  if (g_ascii_string_to_unsigned (group, 10, 0, G_MAXUINT32 - 1, &number, NULL)) {
    *out_gid = (gid_t) number;
    return TRUE;
  }
  entry = *group != '\0' ? getgrnam (group) : NULL;
  if (entry != NULL) {
    *out_gid = entry->gr_gid;
    return TRUE;
  }
  shown = xa_text_quote (group);
  g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT, "%s is not a group of this system",
               shown);
  return FALSE;
}

/* One file of the ledger, if it exists, to @gid and 0640. */
static gboolean
xa_store_share_file (const gchar *path, gid_t gid, GError **error)
{
  gint fd = g_open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0);
  gboolean done;

  if (fd < 0)
    return errno == ENOENT || xa_store_set_errno (path, "share it with its group", error);
  done = fchown (fd, (uid_t) -1, gid) == 0 && fchmod (fd, XA_STORE_SHARED_MODE) == 0;
  if (!done)
    xa_store_set_errno (path, "share it with its group", error);
  g_close (fd, NULL);
  return done;
}

/**
 * xa_store_share:
 * @path: the ledger, created if missing
 * @group: the group that may read it: a name or a number
 * @error: a #GError, %XA_ERROR_INVALID_INPUT for a group this system does
 *   not have
 *
 * Makes the ledger, its -wal and -shm readable by @group (mode 0640, that
 * group), so that its members may run status and report while only its
 * owner writes (docs/formats.md, Ledger). SQLite gives the -wal and -shm
 * it makes later the ledger's mode and group.
 *
 * Returns: %TRUE if shared
 */
gboolean
xa_store_share (const gchar *path, const gchar *group, GError **error)
{
  g_autofree gchar *wal = g_strconcat (path, "-wal", NULL);
  g_autofree gchar *shm = g_strconcat (path, "-shm", NULL);
  gid_t gid = 0;

  g_return_val_if_fail (path != NULL && group != NULL, FALSE);

  return xa_store_lookup_group (group, &gid, error) && xa_store_prepare_file (path, error) &&
         xa_store_share_file (path, gid, error) && xa_store_share_file (wal, gid, error) &&
         xa_store_share_file (shm, gid, error);
}
