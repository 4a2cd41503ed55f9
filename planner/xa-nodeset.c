/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>

#include "xa-error.h"
#include "xa-nodeset.h"
#include "xa-text.h"

/* @shown is the whole text, quoted for the messages. */
static gboolean
xa_nodeset_read_node (const gchar  *shown,
                      const gchar **p,
                      guint         n_nodes,
                      guint        *node,
                      GError      **error)
{
  gchar *end = NULL;
  guint64 value;

  if (!g_ascii_isdigit (**p)) {
    g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                 "%s is not a node set (use a list such as 0-3,^2)", shown);
    return FALSE;
  }
  value = g_ascii_strtoull (*p, &end, 10);
  if (value >= n_nodes && n_nodes == XA_MAX_NODES) {
    g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                 "%s names node %" G_GUINT64_FORMAT ", but node ids end at %u",
                 shown, value, n_nodes - 1);
    return FALSE;
  }
  if (value >= n_nodes) {
    g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                 "%s names node %" G_GUINT64_FORMAT ", but the host has nodes 0-%u",
                 shown, value, n_nodes - 1);
    return FALSE;
  }
  *node = (guint) value;
  *p = end;
  return TRUE;
}

/* One element of the list: N, N-M, ^N or ^N-M. */
static gboolean
xa_nodeset_read_range (const gchar  *shown,
                       const gchar **p,
                       guint         n_nodes,
                       XaNodeSet    *range,
                       GError      **error)
{
  guint first;
  guint last;

  if (!xa_nodeset_read_node (shown, p, n_nodes, &first, error))
    return FALSE;
  last = first;
  if (**p == '-') {
    (*p)++;
    if (!xa_nodeset_read_node (shown, p, n_nodes, &last, error))
      return FALSE;
    if (last < first) {
      g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                   "%s has the range %u-%u, which runs backwards", shown, first, last);
      return FALSE;
    }
  }
  *range = 0;
  for (guint n = first; n <= last; n++)
    *range |= XA_NODESET_BIT (n);
  return TRUE;
}

/**
 * xa_nodeset_parse:
 * @text: a node list in the form xl and libvirt use: "0-3,^2", "1", "0,2"
 * @n_nodes: how many nodes the host has, or %XA_MAX_NODES to take any node
 *   id and leave the host's check to the planner
 * @out_set: (out): the node set
 * @error: a #GError
 *
 * An element starting with '^' removes nodes from the union of the others.
 *
 * Returns: %TRUE if @text names a non-empty set of existing nodes
 */
gboolean
xa_nodeset_parse (const gchar *text,
                  guint        n_nodes,
                  XaNodeSet   *out_set,
                  GError     **error)
{
  XaNodeSet include = 0;
  XaNodeSet exclude = 0;
  const gchar *p = text;
  g_autofree gchar *shown = NULL;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (n_nodes > 0 && n_nodes <= XA_MAX_NODES, FALSE);

  shown = xa_text_quote (text);

  for (;;) {
    gboolean negate = (*p == '^');
    XaNodeSet range;

    if (negate)
      p++;
    if (!xa_nodeset_read_range (shown, &p, n_nodes, &range, error))
      return FALSE;
    if (negate)
      exclude |= range;
    else
      include |= range;
    if (*p == '\0')
      break;
    if (*p != ',') {
      g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                   "%s is not a node set (use a list such as 0-3,^2)", shown);
      return FALSE;
    }
    p++;
  }
  if ((include & ~exclude) == 0) {
    g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                 "%s leaves no node", shown);
    return FALSE;
  }
  *out_set = include & ~exclude;
  return TRUE;
}

/**
 * xa_nodeset_format_ids:
 * @ids: (element-type guint): ids in ascending order
 *
 * Returns: (transfer full): the ids in the form xl and libvirt write CPU and
 *   node lists, "0-2,5", or "" when there are none
 */
gchar *
xa_nodeset_format_ids (GArray *ids)
{
  GString *str = g_string_new (NULL);

  for (guint i = 0; i < ids->len; i++) {
    guint first = g_array_index (ids, guint, i);
    guint last = first;

    while (i + 1 < ids->len && g_array_index (ids, guint, i + 1) == last + 1)
      last = g_array_index (ids, guint, ++i);
    if (str->len > 0)
      g_string_append_c (str, ',');
    if (last == first)
      g_string_append_printf (str, "%u", first);
    else
      g_string_append_printf (str, "%u-%u", first, last);
  }
  return g_string_free (str, FALSE);
}

/**
 * xa_nodeset_format:
 * @set: a node set
 *
 * Returns: (transfer full): @set as "0-2,5", or "" when empty
 */
gchar *
xa_nodeset_format (XaNodeSet set)
{
  g_autoptr(GArray) nodes = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint n = 0; n < XA_MAX_NODES; n++) {
    if (xa_nodeset_has (set, n))
      g_array_append_val (nodes, n);
  }
  return xa_nodeset_format_ids (nodes);
}

/**
 * xa_nodeset_find_twins:
 * @n_nodes: how many nodes (or bins) there are
 * @sets: (array length=n_sets): the sets that tell nodes apart
 * @n_sets: their number
 * @twins: (array length=n_nodes) (out caller-allocates): per node, its twins
 *
 * Two nodes are twins when each of @sets holds both or neither: trying one
 * is then the same as trying the other with equal room.
 */
void
xa_nodeset_find_twins (guint n_nodes, const XaNodeSet *sets, guint n_sets, XaNodeSet *twins)
{
  for (guint a = 0; a < n_nodes; a++) {
    twins[a] = 0;
    for (guint b = 0; b < n_nodes; b++) {
      gboolean alike = TRUE;

      for (guint k = 0; k < n_sets && alike; k++)
        alike = xa_nodeset_has (sets[k], a) == xa_nodeset_has (sets[k], b);
      if (alike)
        twins[a] |= XA_NODESET_BIT (b);
    }
  }
}

/**
 * xa_nodeset_pick:
 * @nodes: a node set
 * @positions: which of its nodes, bit k for its k-th lowest
 *
 * Returns: those nodes of @nodes
 */
XaNodeSet
xa_nodeset_pick (XaNodeSet nodes, guint64 positions)
{
  XaNodeSet picked = 0;

  for (; positions != 0 && nodes != 0; positions >>= 1, nodes &= nodes - 1) {
    if (positions & 1)
      picked |= nodes & -nodes;
  }
  return picked;
}
