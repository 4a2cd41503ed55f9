/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A time of xadmit report's --since and --until: ISO 8601 or how long
 * before now. A relative time is never after now. */
#include <string.h>

#include "xa-fuzz.h"
#include "xa-time.h"

/* 2026-11-29T10:00:00Z: a fixed now, so that every run is the same. */
#define XA_FUZZ_NOW_US (G_GINT64_CONSTANT (1796032800) * G_USEC_PER_SEC)

/* "30m": digits, then one of the units. */
static gboolean
xa_fuzz_time_is_relative (const gchar *text)
{
  gsize digits = strspn (text, "0123456789");

  return digits > 0 && text[digits] != '\0' && strchr ("smhdw", text[digits]) != NULL &&
         text[digits + 1] == '\0';
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree gchar *text = xa_fuzz_text (data, size);
  g_autoptr(GError) error = NULL;
  gint64 at_us = 0;
  gboolean ok = xa_time_parse (text, XA_FUZZ_NOW_US, &at_us, &error);

  xa_fuzz_check_result (ok, error);
  if (ok && xa_fuzz_time_is_relative (text) && at_us > XA_FUZZ_NOW_US)
    g_error ("\"%s\" is after now", text);
  return 0;
}
