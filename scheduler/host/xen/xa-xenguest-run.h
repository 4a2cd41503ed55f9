/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "xa-xenguest-proto.h"

G_BEGIN_DECLS

const gchar *xa_xenguest_run_helper (void);
gboolean xa_xenguest_run (const gchar          *helper,
                          const XaXenguestArgs *args,
                          guint                 timeout_ms,
                          GCancellable         *cancellable,
                          XaXenguestReply      *out_reply,
                          GError              **error);

G_END_DECLS
