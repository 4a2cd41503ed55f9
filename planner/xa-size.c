/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <math.h>

#include "xa-error.h"
#include "xa-size.h"
#include "xa-text.h"

typedef struct {
  const gchar *suffix;
  guint64 kib;
} XaUnit;

static const XaUnit units[] = {
  { "", 1024 },
  { "K", 1 },
  { "KiB", 1 },
  { "M", 1024 },
  { "MiB", 1024 },
  { "G", 1024 * 1024 },
  { "GiB", 1024 * 1024 },
  { "T", 1024 * 1024 * 1024 },
  { "TiB", 1024 * 1024 * 1024 },
};

static const XaUnit *
xa_unit_lookup (const gchar *suffix)
{
  for (gsize i = 0; i < G_N_ELEMENTS (units); i++) {
    if (g_ascii_strcasecmp (units[i].suffix, suffix) == 0)
      return &units[i];
  }
  return NULL;
}

/* @what completes the sentence about the quoted text: "is negative". */
static gboolean
xa_size_set_error (const gchar *text, const gchar *what, GError **error)
{
  g_autofree gchar *shown = xa_text_quote (text);

  g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT, "%s %s", shown, what);
  return FALSE;
}

static gboolean
xa_size_set_not_a_size (const gchar *text, GError **error)
{
  return xa_size_set_error (text, "is not a size (use 4GiB or 4096)", error);
}

static gboolean
xa_size_set_too_large (const gchar *text, GError **error)
{
  return xa_size_set_error (text, "is larger than 2^53 MiB", error);
}

/* Reads "12.50" as the mantissa 125 with one decimal (trailing zeros of the
 * fraction dropped), so that the conversion to MiB stays exact. */
static gboolean
xa_size_read_mantissa (const gchar **p, guint64 *mantissa, guint *decimals)
{
  const gchar *s = *p;
  const gchar *int_end;
  const gchar *frac_end;

  while (g_ascii_isdigit (*s))
    s++;
  int_end = frac_end = s;
  if (*s == '.') {
    if (!g_ascii_isdigit (s[1]))
      return FALSE;
    for (s++; g_ascii_isdigit (*s); s++)
      ;
    for (frac_end = s; frac_end[-1] == '0'; frac_end--)
      ;
  }

  *mantissa = 0;
  *decimals = 0;
  for (const gchar *d = *p; d < frac_end; d++) {
    if (d == int_end)
      continue;
    if (!g_uint64_checked_mul (mantissa, *mantissa, 10) ||
        !g_uint64_checked_add (mantissa, *mantissa, (guint64) (*d - '0'))) {
      /* too many digits: let the range check below report it */
      *mantissa = G_MAXUINT64;
      *decimals = 0;
      break;
    }
    if (d > int_end)
      (*decimals)++;
  }
  *p = s;
  return TRUE;
}

/**
 * xa_size_parse:
 * @text: a size as docs/formats.md writes it: "512MiB", "1.5GiB", "4096"
 * @out_mib: (out): the size in MiB
 * @error: a #GError
 *
 * Parses a size string. A bare number is MiB; the units are binary and their
 * case does not matter. The result must be a whole number of MiB.
 *
 * Returns: %TRUE if @text is a size
 */
gboolean
xa_size_parse (const gchar *text, guint64 *out_mib, GError **error)
{
  const gchar *p = text;
  const XaUnit *unit;
  guint64 mantissa;
  guint64 scale = 1024;
  guint decimals;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (out_mib != NULL, FALSE);

  if (text[0] == '-' && g_ascii_isdigit (text[1]))
    return xa_size_set_error (text, "is negative", error);
  if (!g_ascii_isdigit (*p))
    return xa_size_set_not_a_size (text, error);
  if (!xa_size_read_mantissa (&p, &mantissa, &decimals))
    return xa_size_set_not_a_size (text, error);
  unit = xa_unit_lookup (p);
  if (unit == NULL)
    return xa_size_set_not_a_size (text, error);

  for (guint i = 0; i < decimals; i++) {
    if (!g_uint64_checked_mul (&scale, scale, 10))
      return xa_size_set_error (text, "is not a whole number of MiB", error);
  }
  if (!g_uint64_checked_mul (&mantissa, mantissa, unit->kib))
    return xa_size_set_too_large (text, error);
  if (mantissa % scale != 0)
    return xa_size_set_error (text, "is not a whole number of MiB", error);
  if (mantissa / scale > XA_SIZE_MAX_MIB)
    return xa_size_set_too_large (text, error);
  *out_mib = mantissa / scale;
  return TRUE;
}

/**
 * xa_size_from_integer:
 * @value: a JSON integer, in MiB
 * @out_mib: (out): the size in MiB
 * @error: a #GError
 *
 * Returns: %TRUE if @value is a size
 */
gboolean
xa_size_from_integer (gint64 value, guint64 *out_mib, GError **error)
{
  if (value < 0) {
    g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                 "%" G_GINT64_FORMAT " is negative", value);
    return FALSE;
  }
  if ((guint64) value > XA_SIZE_MAX_MIB) {
    g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                 "%" G_GINT64_FORMAT " is larger than 2^53 MiB", value);
    return FALSE;
  }
  *out_mib = (guint64) value;
  return TRUE;
}

/**
 * xa_size_from_double:
 * @value: a JSON number with a fraction or exponent, in MiB
 * @out_mib: (out): the size in MiB
 * @error: a #GError
 *
 * Accepts 4096.0 but not 1024.5.
 *
 * Returns: %TRUE if @value is a size
 */
gboolean
xa_size_from_double (gdouble value, guint64 *out_mib, GError **error)
{
  if (value < 0) {
    g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                 "%g is negative", value);
    return FALSE;
  }
  if (value > (gdouble) XA_SIZE_MAX_MIB) {
    g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                 "%g is larger than 2^53 MiB", value);
    return FALSE;
  }
  if (floor (value) != value) {
    g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                 "%g is not a whole number of MiB", value);
    return FALSE;
  }
  *out_mib = (guint64) value;
  return TRUE;
}
