/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every file xadmit reads goes through here, so none can make it read
 * forever (/dev/zero, a FIFO) or without bound. */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xa-error.h"
#include "xa-file.h"
#include "xa-private-file.h"
#include "xa-text.h"

static const gchar *
xa_file_kind (mode_t mode)
{
  if (S_ISDIR (mode))
    return "a directory";
  if (S_ISFIFO (mode))
    return "a FIFO (a named pipe)";
  if (S_ISCHR (mode))
    return "a character device";
  if (S_ISBLK (mode))
    return "a block device";
  if (S_ISSOCK (mode))
    return "a socket";
  return "a special file";
}

static gboolean
xa_file_set_error (const gchar *path, XaError code, const gchar *why, GError **error)
{
  g_autofree gchar *shown = xa_text_quote_path (path);

  g_set_error (error, XA_ERROR, code, "%s: cannot read: %s", shown, why);
  return FALSE;
}

static gboolean
xa_file_set_too_large (const gchar *path, gsize max_bytes, GError **error)
{
  g_autofree gchar *why = NULL;

  if (max_bytes % (1024 * 1024) == 0)
    why = g_strdup_printf ("it holds more than %" G_GSIZE_FORMAT " MiB, the most xadmit reads",
                           max_bytes / (1024 * 1024));
  else
    why = g_strdup_printf ("it holds more than %" G_GSIZE_FORMAT " bytes, the most xadmit "
                           "reads", max_bytes);

  return xa_file_set_error (path, XA_ERROR_INVALID_INPUT, why, error);
}

/* Reads at most @max_bytes + 1, so that a file that grew past the limit
 * since fstat() is caught too. */
static gboolean
xa_file_read_fd (const gchar *path, gint fd, gsize max_bytes, GString *data, GError **error)
{
  gsize want = max_bytes + 1;

  while (data->len < want) {
    /* from a page, doubling to 1 MiB: a small file needs no large buffer */
    gsize chunk = MIN (want - data->len, CLAMP (data->len, 4096, 1024 * 1024));
    gsize old_len = data->len;
    gssize got;

    g_string_set_size (data, old_len + chunk);
    got = read (fd, data->str + old_len, chunk);
    if (got < 0 && errno == EINTR) {
      g_string_set_size (data, old_len);
      continue;
    }
    if (got < 0) {
      gint saved_errno = errno;

      g_string_set_size (data, old_len);
      return xa_file_set_error (path, XA_ERROR_INVALID_INPUT, g_strerror (saved_errno), error);
    }
    g_string_set_size (data, old_len + (gsize) got);
    if (got == 0)
      break;
  }
  if (data->len > max_bytes)
    return xa_file_set_too_large (path, max_bytes, error);
  return TRUE;
}

static gboolean
xa_file_set_errno (const gchar *path, gint errsv, GError **error)
{
  return xa_file_set_error (path, errsv == ENOENT ? XA_ERROR_NOT_FOUND : XA_ERROR_INVALID_INPUT,
                            g_strerror (errsv), error);
}

static gboolean
xa_file_check_stat (const gchar *path, const struct stat *st, gsize max_bytes, GError **error)
{
  if (!S_ISREG (st->st_mode)) {
    g_autofree gchar *why = g_strdup_printf ("it is %s, not a regular file",
                                             xa_file_kind (st->st_mode));

    return xa_file_set_error (path, XA_ERROR_INVALID_INPUT, why, error);
  }
  if ((guint64) st->st_size > max_bytes)
    return xa_file_set_too_large (path, max_bytes, error);
  return TRUE;
}

/**
 * xa_file_read_stream:
 * @name: what @fd reads, for messages ("standard input", a path)
 * @fd: an open file or pipe, read to its end
 * @max_bytes: the most it may hold
 * @out_data: (out) (transfer full): what it held, NUL-terminated
 * @out_len: (out): its length
 * @error: a #GError, %XA_ERROR_INVALID_INPUT when it holds more than
 *   @max_bytes or cannot be read
 *
 * Returns: %TRUE if all of it was read
 */
gboolean
xa_file_read_stream (const gchar *name, gint fd, gsize max_bytes, gchar **out_data,
                     gsize *out_len, GError **error)
{
  g_autoptr(GString) data = g_string_new (NULL);

  if (!xa_file_read_fd (name, fd, max_bytes, data, error))
    return FALSE;
  *out_len = data->len;
  *out_data = g_string_free (g_steal_pointer (&data), FALSE);
  return TRUE;
}

/**
 * xa_file_read:
 * @path: a file
 * @max_bytes: the most it may hold
 * @out_data: (out) (transfer full): its contents, NUL-terminated
 * @out_len: (out): their length
 * @error: a #GError, %XA_ERROR_NOT_FOUND if @path does not exist,
 *   %XA_ERROR_INVALID_INPUT if it is not a regular file, is larger than
 *   @max_bytes, or cannot be read
 *
 * Returns: %TRUE if @path was read whole
 */
gboolean
xa_file_read (const gchar *path, gsize max_bytes, gchar **out_data, gsize *out_len,
              GError **error)
{
  struct stat st;
  gboolean ok;
  gint fd;

  /* Checked before open(), which can act on a device (a watchdog arms). */
  if (stat (path, &st) != 0)
    return xa_file_set_errno (path, errno, error);
  if (!xa_file_check_stat (path, &st, max_bytes, error))
    return FALSE;
  /* O_NONBLOCK: a FIFO put in the file's place since must not block open(). */
  fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0);
  if (fd < 0)
    return xa_file_set_errno (path, errno, error);
  if (fstat (fd, &st) != 0) {
    gint saved_errno = errno;

    g_close (fd, NULL);
    return xa_file_set_errno (path, saved_errno, error);
  }
  if (!xa_file_check_stat (path, &st, max_bytes, error)) {
    g_close (fd, NULL);
    return FALSE;
  }
  ok = xa_file_read_stream (path, fd, max_bytes, out_data, out_len, error);
  g_close (fd, NULL);
  return ok;
}

/**
 * xa_file_error_for_errno:
 * @errsv: why a file could not be opened or made
 *
 * Returns: %XA_ERROR_PERMISSION for EACCES and EPERM (it needs root),
 *   %XA_ERROR_FAILED otherwise
 */
XaError
xa_file_error_for_errno (gint errsv)
{
  return errsv == EACCES || errsv == EPERM ? XA_ERROR_PERMISSION : XA_ERROR_FAILED;
}

/* The lock file holds the admitter's pid and command ("1234 xadmit
 * daemon"), for the message. */
static void
xa_file_lock_busy (const gchar *path, const gchar *what, GError **error)
{
  g_autofree gchar *holder = NULL;
  g_autofree gchar *shown = NULL;
  gchar *command;
  gsize len = 0;

  if (!xa_file_read (path, 256, &holder, &len, NULL))
    holder = g_strdup ("?");
  g_strstrip (holder);
  command = strchr (holder, ' ');
  if (command != NULL)
    *command++ = '\0';
  shown = command != NULL ? g_strdup_printf ("%s (%s)", holder, command) : g_strdup (holder);
  g_set_error (error, XA_ERROR, XA_ERROR_BUSY,
               "process %s admits for %s already (one admitter at a time: wait until it "
               "ends, or stop it)", shown, what);
}

static gboolean
xa_file_lock_stat_failed (const gchar *path, GError **error)
{
  gint saved_errno = errno;

  g_set_error (error, XA_ERROR, XA_ERROR_FAILED, "%s: cannot read its status: %s", path,
               g_strerror (saved_errno));
  return FALSE;
}

/* A lock file is as private as the ledger (docs/formats.md, Ledger): in a
 * directory others cannot change (checked before the file is made there),
 * this user's, and no one else's to write. */
static gboolean
xa_file_lock_check_dir (const gchar *path, GError **error)
{
  g_autofree gchar *dir = g_path_get_dirname (path);
  struct stat st;

  if (stat (dir, &st) != 0)
    return xa_file_lock_stat_failed (dir, error);
  return xa_private_file_check_dir (dir, &st, error);
}

static gboolean
xa_file_lock_check (const gchar *path, gint fd, GError **error)
{
  struct stat st;

  if (fstat (fd, &st) != 0)
    return xa_file_lock_stat_failed (path, error);
  return xa_private_file_check (path, &st, error);
}

/**
 * xa_file_lock:
 * @path: the lock file, created 0600 if missing
 * @what: the host, for the message
 * @out_fd: (out): the open, locked file; closing it unlocks
 * @error: a #GError, %XA_ERROR_BUSY naming the holder's pid and command,
 *   %XA_ERROR_PERMISSION when this user may not open @path or it, or its
 *   directory, is not private (xa_private_file_check())
 *
 * Returns: %TRUE if this process holds the lock now
 */
gboolean
xa_file_lock (const gchar *path, const gchar *what, gint *out_fd, GError **error)
{
  const gchar *prgname = g_get_prgname ();
  g_autofree gchar *command = prgname != NULL ? g_path_get_basename (prgname) : g_strdup ("?");
  g_autofree gchar *holder = g_strdup_printf ("%d %s\n", (gint) getpid (), command);
  gint fd;
  gint saved_errno;

  if (!xa_file_lock_check_dir (path, error))
    return FALSE;
  /* O_NOFOLLOW: a link put there would have the pid written over its target */
  fd = g_open (path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  saved_errno = errno;
  if (fd < 0) {
    g_set_error (error, XA_ERROR, xa_file_error_for_errno (saved_errno),
                 "%s: cannot lock %s: %s", path, what, g_strerror (saved_errno));
    return FALSE;
  }
  if (!xa_file_lock_check (path, fd, error)) {
    g_close (fd, NULL);
    return FALSE;
  }
  if (flock (fd, LOCK_EX | LOCK_NB) != 0) {
    saved_errno = errno;
    if (saved_errno == EWOULDBLOCK)
      xa_file_lock_busy (path, what, error);
    else
      g_set_error (error, XA_ERROR, XA_ERROR_FAILED, "%s: cannot lock %s: %s", path, what,
                   g_strerror (saved_errno));
    g_close (fd, NULL);
    return FALSE;
  }
  if (ftruncate (fd, 0) != 0 || write (fd, holder, strlen (holder)) < 0)
    g_debug ("%s: cannot note the admitter's pid and command", path);
  *out_fd = fd;
  return TRUE;
}
