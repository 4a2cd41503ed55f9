/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The manifest (docs/formats.md, Manifest), as plan, boot and submit read
 * it from a file or standard input. */
#include "xa-fuzz.h"
#include "xa-manifest.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) guests = NULL;
  g_autoptr(GPtrArray) requests = xa_manifest_load_data ("fuzz.json", (const gchar *) data, size,
                                                         &guests, &error);

  xa_fuzz_check_result (requests != NULL, error);
  if (requests != NULL && (requests->len == 0 || guests->len != requests->len))
    g_error ("%u VMs, %u guests", requests->len, guests->len);
  return 0;
}
