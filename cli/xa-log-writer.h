/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Where xadmit's log messages go: the journal under systemd, else plain
 * lines on stderr (docs/design.md, Logging). */

#include <glib.h>

G_BEGIN_DECLS

void xa_log_writer_install (void);
gboolean xa_log_writer_wants_journal (gint fd);
GLogLevelFlags xa_log_writer_level (gboolean verbose,
                                    gboolean quiet,
                                    GLogLevelFlags usual);

G_END_DECLS
