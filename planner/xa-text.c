/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Text that reaches a message: values quoted safely, counts that read well. */
#include <string.h>

#include "xa-text.h"

/* Characters a terminal could act on or that would break the line: C0, DEL,
 * C1, and Unicode's invisible formatting (bidi overrides) and separators. */
static gboolean
xa_text_must_escape (gunichar c)
{
  GUnicodeType type = g_unichar_type (c);

  return type == G_UNICODE_CONTROL || type == G_UNICODE_FORMAT ||
         type == G_UNICODE_LINE_SEPARATOR || type == G_UNICODE_PARAGRAPH_SEPARATOR ||
         type == G_UNICODE_UNASSIGNED || type == G_UNICODE_SURROGATE ||
         type == G_UNICODE_PRIVATE_USE;
}

/* Appends one character of @p (at most @end - @p bytes) as it is safe to
 * show; returns how many bytes of the input it used. */
static gsize
xa_text_append_char (GString *out, const gchar *p, const gchar *end, XaTextQuoteFlags flags)
{
  gboolean quoted = !(flags & XA_TEXT_QUOTE_BARE);
  gboolean own_escapes = !(flags & XA_TEXT_QUOTE_ESCAPED);
  gunichar c = g_utf8_get_char_validated (p, end - p);

  if (c == (gunichar) -1 || c == (gunichar) -2) {
    g_string_append_printf (out, "\\x%02x", (guint) (guchar) *p);
    return 1;
  }
  if (c == '\n')
    g_string_append (out, "\\n");
  else if (c == '\t')
    g_string_append (out, "\\t");
  else if (c == '\r')
    g_string_append (out, "\\r");
  else if ((own_escapes && c == '\\') || (quoted && c == '"'))
    g_string_append_printf (out, "\\%c", (gchar) c);
  else if (c < 0x100 && xa_text_must_escape (c))
    g_string_append_printf (out, "\\x%02x", c);
  else if (c < 0x10000 && xa_text_must_escape (c))
    g_string_append_printf (out, "\\u%04x", c);
  else if (xa_text_must_escape (c))
    g_string_append_printf (out, "\\U%08x", c);
  else
    g_string_append_len (out, p, g_utf8_next_char (p) - p);
  return (gsize) (g_utf8_next_char (p) - p);
}

/**
 * xa_text_quote_full:
 * @text: a value from a file or the command line, any bytes
 * @len: its length in bytes, or -1 if NUL-terminated
 * @max_bytes: how much of it to show, escaped
 * @flags: quotation marks or not, escapes of its own, whether @text is only
 *   a prefix
 *
 * Makes @text safe for a one-line message: control characters, invalid UTF-8
 * and invisible formatting are escaped (`\x1b`, `\n`, `\u202e`), and once
 * what it shows reaches @max_bytes, it is cut with "…" and its full length in
 * bytes.
 *
 * Returns: (transfer full): the text to show
 */
gchar *
xa_text_quote_full (const gchar *text, gssize len, gsize max_bytes, XaTextQuoteFlags flags)
{
  gboolean quoted = !(flags & XA_TEXT_QUOTE_BARE);
  gsize n = len < 0 ? strlen (text) : (gsize) len;
  const gchar *end = text + n;
  const gchar *p = text;
  GString *out = g_string_new (quoted ? "\"" : "");
  gsize start = out->len;

  while (p < end && out->len - start < max_bytes)
    p += xa_text_append_char (out, p, end, flags);
  if (p < end || (flags & XA_TEXT_QUOTE_PREFIX))
    g_string_append (out, "…");
  if (quoted)
    g_string_append_c (out, '"');
  if (p < end && !(flags & XA_TEXT_QUOTE_PREFIX))
    g_string_append_printf (out, " (%" G_GSIZE_FORMAT " bytes)", n);
  return g_string_free (out, FALSE);
}

/**
 * xa_text_quote:
 * @value: a value from a file or the command line
 *
 * Returns: (transfer full): @value in quotation marks, safe for a one-line
 *   message (see xa_text_quote_full())
 */
gchar *
xa_text_quote (const gchar *value)
{
  return xa_text_quote_full (value, -1, XA_TEXT_QUOTE_MAX_CHARS, XA_TEXT_QUOTE_DEFAULT);
}

/**
 * xa_text_quote_path:
 * @path: a file's path, as the user gave it
 *
 * Returns: (transfer full): @path without quotation marks (it starts a
 *   message: "m.json: vms[0]: ..."), safe for a one-line message and cut
 *   only past %XA_TEXT_PATH_MAX_BYTES
 */
gchar *
xa_text_quote_path (const gchar *path)
{
  return xa_text_quote_full (path, -1, XA_TEXT_PATH_MAX_BYTES, XA_TEXT_QUOTE_BARE);
}

/**
 * xa_text_plural:
 * @count: how many
 * @one: the word for one ("VM")
 * @many: the word for any other count ("VMs")
 *
 * Returns: (transfer none): @one or @many, so that "1 VM" and "2 VMs" read
 */
const gchar *
xa_text_plural (guint64 count, const gchar *one, const gchar *many)
{
  return count == 1 ? one : many;
}
