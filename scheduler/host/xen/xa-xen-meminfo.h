/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "xa-nodeset.h"

G_BEGIN_DECLS

/**
 * XaXenMeminfoDomain:
 * @total_pages: the domain's pages, as the table gives them
 * @pages_by_node: its pages on each node; nodes the table omits hold none
 */
typedef struct {
  guint64 total_pages;
  guint64 pages_by_node[XA_MAX_NODES];
} XaXenMeminfoDomain;

GHashTable *xa_xen_meminfo_parse (const gchar *text,
                                  gsize        len,
                                  guint        n_nodes,
                                  GError     **error);
gboolean xa_xen_meminfo_lookup_mib (GHashTable *table,
                                    guint32     domid,
                                    guint64     tot_pages,
                                    guint       n_nodes,
                                    guint64    *by_node_mib);

G_END_DECLS
