/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Xen on x86 supports at most 64 NUMA nodes (MAX_NUMNODES), so a node set
 * fits one word. */
#define XA_MAX_NODES 64

typedef guint64 XaNodeSet;

#define XA_NODESET_BIT(node) (G_GUINT64_CONSTANT (1) << (node))

static inline gboolean
xa_nodeset_has (XaNodeSet set, guint node)
{
  return (set & XA_NODESET_BIT (node)) != 0;
}

static inline guint
xa_nodeset_count (XaNodeSet set)
{
  return (guint) __builtin_popcountll (set);
}

static inline XaNodeSet
xa_nodeset_all (guint n_nodes)
{
  return n_nodes >= XA_MAX_NODES ? G_MAXUINT64 : XA_NODESET_BIT (n_nodes) - 1;
}

gboolean xa_nodeset_parse (const gchar *text,
                           guint        n_nodes,
                           XaNodeSet   *out_set,
                           GError     **error);
gchar *xa_nodeset_format (XaNodeSet set);
XaNodeSet xa_nodeset_pick (XaNodeSet nodes,
                           guint64   positions);
void xa_nodeset_find_twins (guint            n_nodes,
                            const XaNodeSet *sets,
                            guint            n_sets,
                            XaNodeSet       *twins);
gchar *xa_nodeset_format_ids (GArray *ids);

G_END_DECLS
