/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What a message shows of a value, of a path, of a whole message, in bytes
 * as shown (one per character in ASCII). */
#define XA_TEXT_QUOTE_MAX_CHARS 64
#define XA_TEXT_PATH_MAX_BYTES 256
#define XA_TEXT_MESSAGE_MAX_BYTES 1024

/**
 * XaTextQuoteFlags:
 * @XA_TEXT_QUOTE_DEFAULT: "value", in quotation marks
 * @XA_TEXT_QUOTE_BARE: no quotation marks (a path that starts a message)
 * @XA_TEXT_QUOTE_PREFIX: the text is only the start of a longer value
 * @XA_TEXT_QUOTE_ESCAPED: the text has escapes of its own (JSON): only what
 *   a terminal would act on is escaped, not `\` or `"`
 */
typedef enum {
  XA_TEXT_QUOTE_DEFAULT = 0,
  XA_TEXT_QUOTE_BARE = 1 << 0,
  XA_TEXT_QUOTE_PREFIX = 1 << 1,
  XA_TEXT_QUOTE_ESCAPED = 1 << 2,
} XaTextQuoteFlags;

gchar *xa_text_quote (const gchar *value);
gchar *xa_text_quote_path (const gchar *path);
gchar *xa_text_quote_full (const gchar     *text,
                           gssize           len,
                           gsize            max_bytes,
                           XaTextQuoteFlags flags);
const gchar *xa_text_plural (guint64      count,
                             const gchar *one,
                             const gchar *many);

G_END_DECLS
