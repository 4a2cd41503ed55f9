/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host file (docs/formats.md, Host topology), as --host sim:FILE reads
 * it; what it accepts must read back the same once written, as xadmit host
 * --json and the state file write it. */
#include <string.h>

#include "xa-fuzz.h"
#include "xa-host-file.h"

static gchar *
xa_fuzz_host_reread (const gchar *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) faults = NULL;
  g_autoptr(XaHostInfo) info = xa_host_file_load_data ("written.json", text, strlen (text),
                                                       &faults, &error);

  if (info == NULL)
    g_error ("the host written back does not read: %s\n%s", error->message, text);
  return xa_host_file_to_text (info, faults);
}

/* What a host file holds on each node adds up: the domains' memory, then
 * the free part of the rest, then its dirty part. Summed in 128 bits, so
 * that no sum a parser wrapped around passes here. */
static void
xa_fuzz_host_check_nodes (const XaHostInfo *info)
{
  for (guint n = 0; n < info->n_nodes; n++) {
    const XaHostNode *hn = &info->nodes[n];
    unsigned __int128 used = 0;

    for (guint i = 0; i < info->domains->len; i++) {
      const XaHostDomain *domain = g_ptr_array_index (info->domains, i);

      used += domain->memory_by_node_mib[n];
    }
    if (used + hn->free_mib > hn->total_mib || hn->dirty_mib > hn->free_mib)
      g_error ("node %u: %" G_GUINT64_FORMAT " MiB, the domains use %.0f, %" G_GUINT64_FORMAT
               " are free (%" G_GUINT64_FORMAT " dirty)", n, hn->total_mib, (gdouble) used,
               hn->free_mib, hn->dirty_mib);
  }
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
  xa_fuzz_host_check_nodes (info);
  text = xa_host_file_to_text (info, faults);
  again = xa_fuzz_host_reread (text);
  if (g_strcmp0 (text, again) != 0)
    g_error ("the host written back reads as another:\n%s\n%s", text, again);
  return 0;
}
