/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A node set string (docs/formats.md, Node sets) on a host of 1 to 64
 * nodes (the first byte): what it accepts is a non-empty set of the host's
 * nodes, and reads the same written back. */
#include "xa-fuzz.h"
#include "xa-nodeset.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  guint n_nodes = size > 0 ? data[0] % XA_MAX_NODES + 1 : XA_MAX_NODES;
  g_autofree gchar *text = size > 0 ? xa_fuzz_text (data + 1, size - 1) : g_strdup ("");
  g_autoptr(GError) error = NULL;
  g_autofree gchar *written = NULL;
  XaNodeSet set = 0;
  XaNodeSet again = 0;
  gboolean ok = xa_nodeset_parse (text, n_nodes, &set, &error);

  xa_fuzz_check_result (ok, error);
  if (!ok)
    return 0;
  if (set == 0 || (set & ~xa_nodeset_all (n_nodes)) != 0)
    g_error ("\"%s\" on %u nodes is the set %" G_GINT64_MODIFIER "x", text, n_nodes, set);
  written = xa_nodeset_format (set);
  if (!xa_nodeset_parse (written, n_nodes, &again, NULL) || again != set)
    g_error ("\"%s\" is written \"%s\", which reads as another set", text, written);
  return 0;
}
