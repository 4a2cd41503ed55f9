/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The one rule for the files whose contents xadmit trusts (the ledger, its
 * WAL and -shm, the lock files) and for the directories that hold them:
 * docs/formats.md, Ledger. Callers stat; this decides, without I/O. */

#include <glib.h>
#include <sys/stat.h>

G_BEGIN_DECLS

gboolean xa_private_file_check (const gchar       *path,
                                const struct stat *st,
                                GError           **error);
gboolean xa_private_file_check_dir (const gchar       *dir,
                                    const struct stat *st,
                                    GError           **error);

G_END_DECLS
