/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "xa-error.h"
#include "xa-text.h"
#include "xa-time.h"

/* A relative time's units, in seconds: `30m` is 30 minutes before now. */
static const struct {
  gchar unit;
  gint64 seconds;
} xa_time_units[] = {
  { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 'w', 7 * 86400 },
};

static gboolean
xa_time_parse_relative (const gchar *text, gint64 now_us, gint64 *out_us)
{
  gsize len = strlen (text);
  guint64 count = 0;

  if (len < 2 || !g_ascii_isdigit (text[0]))
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (xa_time_units); i++) {
    g_autofree gchar *digits = NULL;

    if (text[len - 1] != xa_time_units[i].unit)
      continue;
    digits = g_strndup (text, len - 1);
    /* at most about 100 years back, so that the microseconds stay in range */
    if (!g_ascii_string_to_unsigned (digits, 10, 0,
                                     (guint64) (3200000000 / xa_time_units[i].seconds), &count,
                                     NULL))
      return FALSE;
    *out_us = now_us - (gint64) count * xa_time_units[i].seconds * G_USEC_PER_SEC;
    return TRUE;
  }
  return FALSE;
}

/* ISO 8601 as GLib reads it, with what people write too: a blank for the
 * T, a date alone (midnight), a time without seconds; local time unless a
 * zone is given. */
static gboolean
xa_time_parse_iso8601 (const gchar *text, gint64 *out_us)
{
  g_autoptr(GString) iso = g_string_new (text);
  g_autoptr(GTimeZone) local = g_time_zone_new_local ();
  g_autoptr(GDateTime) at = NULL;
  const gchar *clock;

  if (iso->len > 10 && iso->str[10] == ' ')
    iso->str[10] = 'T';
  if (iso->len == 10)
    g_string_append (iso, "T00:00:00");
  clock = strchr (iso->str, 'T');
  /* HH:MM, then a zone or the end (strchr() finds the NUL too) */
  if (clock != NULL && strlen (clock) >= 6 && clock[3] == ':' &&
      strchr ("Z+-", clock[6]) != NULL)
    g_string_insert (iso, clock - iso->str + 6, ":00");
  at = g_date_time_new_from_iso8601 (iso->str, local);
  if (at == NULL)
    return FALSE;
  *out_us = g_date_time_to_unix (at) * G_USEC_PER_SEC + g_date_time_get_microsecond (at);
  return TRUE;
}

/**
 * xa_time_parse:
 * @text: a time from the command line: ISO 8601 (`2026-11-29T10:00:00Z`,
 *   `2026-11-29 10:00`, `2026-11-29`; local time without a zone) or how
 *   long before now (`90s`, `30m`, `2h`, `7d`, `2w`)
 * @now_us: now, wall clock, microseconds since the epoch
 * @out_us: (out): the time, microseconds since the epoch
 * @error: a #GError, %XA_ERROR_INVALID_INPUT
 *
 * Returns: %TRUE if @text is a time
 */
gboolean
xa_time_parse (const gchar *text, gint64 now_us, gint64 *out_us, GError **error)
{
  g_autofree gchar *shown = NULL;

  if (xa_time_parse_relative (text, now_us, out_us) || xa_time_parse_iso8601 (text, out_us))
    return TRUE;
  shown = xa_text_quote (text);
  g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
               "%s is not a time (use 2026-11-29T10:00:00Z, 2026-11-29 10:00 or 2026-11-29, "
               "or 30m, 2h, 7d for that long before now)", shown);
  return FALSE;
}
