/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host file (docs/formats.md, Host topology), as --host sim:FILE reads
 * it; what it accepts must read back the same once written, as xadmit host
 * --json and the state file write it. */
#include <stdlib.h>

#include "xa-fuzz.h"
#include "xa-host-file.h"

static gchar *
xa_fuzz_host_reread (const gchar *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) faults = NULL;
  g_autoptr(XaHostInfo) info = xa_host_file_load_data ("written.json", text, strlen (text),
                                                       &faults, &error);

  if (info == NULL) {
    g_printerr ("the host written back does not read: %s\n%s\n", error->message, text);
    abort ();
  }
  return xa_host_file_to_text (info, faults);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) faults = NULL;
  g_autoptr(XaHostInfo) info = xa_host_file_load_data ("fuzz.json", (const gchar *) data, size,
                                                       &faults, &error);
  g_autofree gchar *text = NULL;
  g_autofree gchar *again = NULL;

  xa_fuzz_check_result (info != NULL, error);
  if (info == NULL)
    return 0;
  text = xa_host_file_to_text (info, faults);
  again = xa_fuzz_host_reread (text);
  if (g_strcmp0 (text, again) != 0) {
    g_printerr ("the host written back reads as another:\n%s\n%s\n", text, again);
    abort ();
  }
  return 0;
}
