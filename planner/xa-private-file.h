/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The one rule for the files whose contents xadmit trusts (the ledger, its
 * WAL and -shm, the lock files) and for the directories that hold them:
 * docs/formats.md, Ledger. Callers stat; this decides, without I/O. */

#include <glib.h>
#include <sys/stat.h>

G_BEGIN_DECLS

/**
 * XaPrivateFileFlags:
 * @XA_PRIVATE_FILE_NONE: the file is to be written: it must be this user's
 * @XA_PRIVATE_FILE_READ_ONLY: the file is only read: root's will do too (a
 *   ledger root shares with a group, docs/formats.md, Ledger)
 */
typedef enum {
  XA_PRIVATE_FILE_NONE = 0,
  XA_PRIVATE_FILE_READ_ONLY = 1 << 0,
} XaPrivateFileFlags;

gboolean xa_private_file_check (const gchar       *path,
                                const struct stat *st,
                                GError           **error);
gboolean xa_private_file_check_full (const gchar       *path,
                                     const struct stat *st,
                                     XaPrivateFileFlags flags,
                                     GError           **error);
gboolean xa_private_file_check_dir (const gchar       *dir,
                                    const struct stat *st,
                                    GError           **error);

G_END_DECLS
