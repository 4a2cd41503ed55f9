/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The table of each domain's pages per node that Xen's 'u' debug key writes
 * to its console ring (docs/design.md, "Where a domain's memory is"). */
#include "xa-error.h"
#include "xa-host-info.h"
#include "xa-xen-meminfo.h"

/* A line may start with a log's timestamp, "(XEN)" and Xen's own timestamp. */
#define XA_XEN_MEMINFO_PREFIX "^(?:\\[[^]]*\\] *)?(?:\\(XEN\\) *)?(?:\\[[^]]*\\] *)?"

typedef enum {
  XA_XEN_MEMINFO_LINE_OTHER,
  XA_XEN_MEMINFO_LINE_HEADER,
  XA_XEN_MEMINFO_LINE_DOMAIN,
  XA_XEN_MEMINFO_LINE_NODE,
} XaXenMeminfoLine;

typedef struct {
  GRegex *header;
  GRegex *domain;
  GRegex *node;
} XaXenMeminfoSyntax;

/* One table, from its header on; @problem says why it cannot be used. */
typedef struct {
  guint n_nodes;
  GHashTable *domains;
  XaXenMeminfoDomain *block;
  guint32 block_domid;
  XaNodeSet block_nodes;
  XaNodeSet nodes;
  gboolean ended;
  gchar *problem;
} XaXenMeminfoTable;

static void
xa_xen_meminfo_syntax_clear (XaXenMeminfoSyntax *syntax)
{
  g_clear_pointer (&syntax->header, g_regex_unref);
  g_clear_pointer (&syntax->domain, g_regex_unref);
  g_clear_pointer (&syntax->node, g_regex_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (XaXenMeminfoSyntax, xa_xen_meminfo_syntax_clear)

/* Xen 4.17 names a domain "Domain 3", 4.18 on "d3" (its %pd). */
static void
xa_xen_meminfo_syntax_init (XaXenMeminfoSyntax *syntax)
{
  syntax->header = g_regex_new (XA_XEN_MEMINFO_PREFIX "Memory location of each domain: *$",
                                G_REGEX_OPTIMIZE | G_REGEX_RAW, 0, NULL);
  syntax->domain = g_regex_new (XA_XEN_MEMINFO_PREFIX
                                "(?:Domain |d)([0-9]{1,10}) \\(total: ([0-9]{1,10})\\): *$",
                                G_REGEX_OPTIMIZE | G_REGEX_RAW, 0, NULL);
  syntax->node = g_regex_new (XA_XEN_MEMINFO_PREFIX " *Node ([0-9]{1,10}): ([0-9]{1,10}) *$",
                              G_REGEX_OPTIMIZE | G_REGEX_RAW, 0, NULL);
}

static guint64
xa_xen_meminfo_fetch (GMatchInfo *match, gint group)
{
  g_autofree gchar *digits = g_match_info_fetch (match, group);

  return g_ascii_strtoull (digits, NULL, 10);
}

static XaXenMeminfoLine
xa_xen_meminfo_classify (const XaXenMeminfoSyntax *syntax, const gchar *line,
                         guint64 *first, guint64 *second)
{
  g_autoptr(GMatchInfo) match = NULL;
  XaXenMeminfoLine kind = XA_XEN_MEMINFO_LINE_OTHER;

  if (g_regex_match (syntax->header, line, 0, NULL))
    return XA_XEN_MEMINFO_LINE_HEADER;
  if (g_regex_match (syntax->domain, line, 0, &match)) {
    kind = XA_XEN_MEMINFO_LINE_DOMAIN;
  } else {
    g_clear_pointer (&match, g_match_info_free);
    if (g_regex_match (syntax->node, line, 0, &match))
      kind = XA_XEN_MEMINFO_LINE_NODE;
  }
  if (kind != XA_XEN_MEMINFO_LINE_OTHER) {
    *first = xa_xen_meminfo_fetch (match, 1);
    *second = xa_xen_meminfo_fetch (match, 2);
  }
  return kind;
}

static XaXenMeminfoTable *
xa_xen_meminfo_table_new (guint n_nodes)
{
  XaXenMeminfoTable *table = g_new0 (XaXenMeminfoTable, 1);

  table->n_nodes = n_nodes;
  table->domains = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  return table;
}

static void
xa_xen_meminfo_table_free (XaXenMeminfoTable *table)
{
  if (table == NULL)
    return;
  g_hash_table_unref (table->domains);
  g_free (table->problem);
  g_free (table);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XaXenMeminfoTable, xa_xen_meminfo_table_free)

static void G_GNUC_PRINTF (2, 3)
xa_xen_meminfo_table_fail (XaXenMeminfoTable *table, const gchar *format, ...)
{
  va_list args;

  if (table->problem != NULL)
    return;
  va_start (args, format);
  table->problem = g_strdup_vprintf (format, args);
  va_end (args);
}

/* Every block lists the same nodes: a block cut short by a wrapped or
 * still-filling ring does not, and fails the table. One whose pages do not
 * add up to its total (a guest with pages Xen keeps off its total, or a
 * last line cut mid-number) is left out: that domain is estimated. */
static void
xa_xen_meminfo_table_end_block (XaXenMeminfoTable *table)
{
  guint64 sum = 0;

  if (table->block == NULL)
    return;
  for (guint n = 0; n < table->n_nodes; n++)
    sum += table->block->pages_by_node[n];
  if (g_hash_table_size (table->domains) == 1)
    table->nodes = table->block_nodes;
  if (table->block_nodes != table->nodes)
    xa_xen_meminfo_table_fail (table, "domain %u lists %u of the table's %u nodes",
                               table->block_domid, xa_nodeset_count (table->block_nodes),
                               xa_nodeset_count (table->nodes));
  else if (sum != table->block->total_pages) {
    g_debug ("the 'u' table gives domain %u %" G_GUINT64_FORMAT " pages on its nodes but %"
             G_GUINT64_FORMAT " in total, so its memory per node is estimated",
             table->block_domid, sum, table->block->total_pages);
    g_hash_table_remove (table->domains, GUINT_TO_POINTER (table->block_domid));
  }
  table->block = NULL;
}

/* Xen lists domains by ascending id: one that is not past the last one
 * starts a copy of the table, not a part of it. */
static void
xa_xen_meminfo_table_add_domain (XaXenMeminfoTable *table, guint64 domid, guint64 total)
{
  if (table->ended)
    return;
  if (domid > XA_HOST_DOMID_MAX) {
    xa_xen_meminfo_table_fail (table, "domain %" G_GUINT64_FORMAT " is not a domain id", domid);
    return;
  }
  if (g_hash_table_size (table->domains) > 0 && domid <= table->block_domid) {
    table->ended = TRUE;
    return;
  }
  xa_xen_meminfo_table_end_block (table);
  table->block = g_new0 (XaXenMeminfoDomain, 1);
  table->block->total_pages = total;
  table->block_domid = (guint32) domid;
  table->block_nodes = 0;
  g_hash_table_insert (table->domains, GUINT_TO_POINTER (table->block_domid), table->block);
}

static void
xa_xen_meminfo_table_add_node (XaXenMeminfoTable *table, guint64 node, guint64 pages)
{
  if (table->ended || table->block == NULL)
    return;
  if (node >= table->n_nodes) {
    xa_xen_meminfo_table_fail (table, "domain %u has pages on node %" G_GUINT64_FORMAT
                               ", but the host has %u nodes",
                               table->block_domid, node, table->n_nodes);
    return;
  }
  if (xa_nodeset_has (table->block_nodes, (guint) node)) {
    xa_xen_meminfo_table_fail (table, "domain %u lists node %" G_GUINT64_FORMAT " twice",
                               table->block_domid, node);
    return;
  }
  table->block_nodes |= XA_NODESET_BIT (node);
  table->block->pages_by_node[node] = pages;
}

/* Ends @table; a complete one replaces @best (it is newer), an incomplete
 * one leaves its reason in @problem. */
static void
xa_xen_meminfo_table_finish (XaXenMeminfoTable *table, GHashTable **best, gchar **problem)
{
  xa_xen_meminfo_table_end_block (table);
  if (g_hash_table_size (table->domains) == 0)
    xa_xen_meminfo_table_fail (table, "it lists no domain");
  if (table->problem != NULL) {
    g_free (*problem);
    *problem = g_steal_pointer (&table->problem);
    return;
  }
  g_clear_pointer (best, g_hash_table_unref);
  *best = g_hash_table_ref (table->domains);
}

static void
xa_xen_meminfo_read_line (const XaXenMeminfoSyntax *syntax, const gchar *line, guint n_nodes,
                          XaXenMeminfoTable **table, GHashTable **best, gchar **problem)
{
  guint64 first = 0;
  guint64 second = 0;

  switch (xa_xen_meminfo_classify (syntax, line, &first, &second)) {
  case XA_XEN_MEMINFO_LINE_HEADER:
    if (*table != NULL)
      xa_xen_meminfo_table_finish (*table, best, problem);
    g_clear_pointer (table, xa_xen_meminfo_table_free);
    *table = xa_xen_meminfo_table_new (n_nodes);
    break;
  case XA_XEN_MEMINFO_LINE_DOMAIN:
    if (*table != NULL)
      xa_xen_meminfo_table_add_domain (*table, first, second);
    break;
  case XA_XEN_MEMINFO_LINE_NODE:
    if (*table != NULL)
      xa_xen_meminfo_table_add_node (*table, first, second);
    break;
  case XA_XEN_MEMINFO_LINE_OTHER:
  default:
    break;
  }
}

/* The ring holds what dom0's console wrote too, which may be any byte: a
 * NUL or a CR ends a line, as a NUL must not end the text. */
static gchar *
xa_xen_meminfo_lines (const gchar *text, gsize len)
{
  gchar *copy = g_malloc (len + 1);

  for (gsize i = 0; i < len; i++)
    copy[i] = text[i] == '\0' || text[i] == '\r' ? '\n' : text[i];
  copy[len] = '\0';
  return copy;
}

/**
 * xa_xen_meminfo_parse:
 * @text: what Xen's console ring holds, oldest first (need not end in NUL)
 * @len: its length
 * @n_nodes: the host's node count
 * @error: a #GError
 *
 * Finds the newest complete "Memory location of each domain" table in
 * @text: every domain block lists the same nodes, each below @n_nodes, and
 * its pages there add up to its total. Other lines, older tables and a
 * table cut at its start by the ring's wrapping are skipped.
 *
 * Returns: (transfer full) (element-type guint XaXenMeminfoDomain): the
 *   table by domain id, or %NULL if no complete table is there
 */
GHashTable *
xa_xen_meminfo_parse (const gchar *text, gsize len, guint n_nodes, GError **error)
{
  g_auto(XaXenMeminfoSyntax) syntax = { 0 };
  g_autofree gchar *copy = xa_xen_meminfo_lines (text, len);
  g_auto(GStrv) lines = NULL;
  g_autoptr(XaXenMeminfoTable) table = NULL;
  g_autoptr(GHashTable) best = NULL;
  g_autofree gchar *problem = NULL;

  g_return_val_if_fail (n_nodes > 0 && n_nodes <= XA_MAX_NODES, NULL);
  xa_xen_meminfo_syntax_init (&syntax);
  lines = g_strsplit (copy, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    xa_xen_meminfo_read_line (&syntax, lines[i], n_nodes, &table, &best, &problem);
  if (table != NULL)
    xa_xen_meminfo_table_finish (table, &best, &problem);
  if (best != NULL)
    return g_steal_pointer (&best);
  if (problem == NULL) {
    g_set_error_literal (error, XA_ERROR, XA_ERROR_FAILED,
                         "the console ring holds no \"Memory location of each domain\" table");
    return NULL;
  }
  g_set_error (error, XA_ERROR, XA_ERROR_FAILED,
               "the console ring holds no complete \"Memory location of each domain\" "
               "table: in the newest, %s", problem);
  return NULL;
}

/**
 * xa_xen_meminfo_lookup_mib:
 * @table: (nullable): a table from xa_xen_meminfo_parse()
 * @domid: a domain id
 * @tot_pages: the domain's pages now
 * @n_nodes: the host's node count
 * @by_node_mib: (out caller-allocates): its memory on each node, in MiB
 *
 * Pages are 4 KiB, and each node's MiB are rounded up, so that no node
 * looks emptier than it is.
 *
 * Returns: %FALSE if @table lacks the domain, or counted it at another size
 *   than @tot_pages (it grew or shrank since)
 */
gboolean
xa_xen_meminfo_lookup_mib (GHashTable *table, guint32 domid, guint64 tot_pages, guint n_nodes,
                           guint64 *by_node_mib)
{
  const XaXenMeminfoDomain *counted = NULL;

  if (table != NULL)
    counted = g_hash_table_lookup (table, GUINT_TO_POINTER (domid));
  if (counted == NULL || counted->total_pages != tot_pages)
    return FALSE;
  for (guint n = 0; n < n_nodes; n++)
    by_node_mib[n] = (counted->pages_by_node[n] + 255) >> 8;
  return TRUE;
}
