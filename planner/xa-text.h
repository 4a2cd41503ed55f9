/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A value shown in a message keeps at most this many characters; a whole
 * message, this many bytes. */
#define XA_TEXT_QUOTE_MAX_CHARS 64
#define XA_TEXT_MESSAGE_MAX_BYTES 1024

/**
 * XaTextQuoteFlags:
 * @XA_TEXT_QUOTE_DEFAULT: "value", in quotation marks
 * @XA_TEXT_QUOTE_BARE: no quotation marks (a path that starts a message)
 * @XA_TEXT_QUOTE_PREFIX: the text is only the start of a longer value
 * @XA_TEXT_QUOTE_ESCAPED: the text has escapes of its own (JSON): only what
 *   a terminal would act on is escaped, not `\` or `"`
 * @XA_TEXT_QUOTE_MESSAGE: the text is a whole message, its values quoted
 *   already: escaped as %XA_TEXT_QUOTE_ESCAPED, and cut at
 *   %XA_TEXT_MESSAGE_MAX_BYTES
 */
typedef enum {
  XA_TEXT_QUOTE_DEFAULT = 0,
  XA_TEXT_QUOTE_BARE = 1 << 0,
  XA_TEXT_QUOTE_PREFIX = 1 << 1,
  XA_TEXT_QUOTE_ESCAPED = 1 << 2,
  XA_TEXT_QUOTE_MESSAGE = 1 << 3,
} XaTextQuoteFlags;

gchar *xa_text_quote (const gchar *value);
gchar *xa_text_quote_full (const gchar     *text,
                           gssize           len,
                           XaTextQuoteFlags flags);
const gchar *xa_text_plural (guint64      count,
                             const gchar *one,
                             const gchar *many);

G_END_DECLS
