/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A size string (docs/formats.md, Sizes): what it accepts is at most 2^53
 * MiB, and reads the same written as MiB and as KiB. */
#include "xa-fuzz.h"
#include "xa-size.h"

static void
xa_fuzz_size_again (const gchar *text, guint64 mib, const gchar *unit)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *written = g_strdup_printf ("%" G_GUINT64_FORMAT "%s",
                                               g_str_equal (unit, "KiB") ? mib * 1024 : mib, unit);
  guint64 again = 0;

  if (!xa_size_parse (written, &again, &error) || again != mib)
    g_error ("\"%s\" is %" G_GUINT64_FORMAT " MiB, but \"%s\" reads as %" G_GUINT64_FORMAT "%s%s",
             text, mib, written, again, error != NULL ? ": " : "",
             error != NULL ? error->message : "");
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree gchar *text = xa_fuzz_text (data, size);
  g_autoptr(GError) error = NULL;
  guint64 mib = 0;
  gboolean ok = xa_size_parse (text, &mib, &error);

  xa_fuzz_check_result (ok, error);
  if (!ok)
    return 0;
  if (mib > XA_SIZE_MAX_MIB)
    g_error ("\"%s\" is %" G_GUINT64_FORMAT " MiB, above 2^53", text, mib);
  xa_fuzz_size_again (text, mib, "MiB");
  xa_fuzz_size_again (text, mib, "KiB");
  return 0;
}
