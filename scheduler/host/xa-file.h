/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "xa-error.h"

G_BEGIN_DECLS

/* The most an input file (manifest, host file, --sim-state) may hold:
 * docs/formats.md, JSON input. */
#define XA_FILE_MAX_BYTES ((gsize) 64 * 1024 * 1024)

gboolean xa_file_read (const gchar *path,
                       gsize        max_bytes,
                       gchar      **out_data,
                       gsize       *out_len,
                       GError     **error);

gboolean xa_file_read_stream (const gchar *name,
                              gint         fd,
                              gsize        max_bytes,
                              gchar      **out_data,
                              gsize       *out_len,
                              GError     **error);

XaError xa_file_error_for_errno (gint errsv);
gboolean xa_file_lock (const gchar *path,
                       const gchar *what,
                       gint        *out_fd,
                       GError     **error);

G_END_DECLS
