/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The improvement step: repacks this batch's single-node VMs so that one
 * more fits a node alone. */
#include "xa-batch-private.h"
#include "xa-repack.h"

/* The improvement step repacks up to this many nodes at once, chosen among
 * the VM's this many roomiest nodes, holding at most this many VMs. */
#define XA_BATCH_REPACK_MAX_NODES 5
#define XA_BATCH_REPACK_UNIVERSE 8
#define XA_BATCH_REPACK_MAX_VMS 32
/* Search steps for one repack. */
#define XA_BATCH_REPACK_STEPS G_GUINT64_CONSTANT (20000)

static XaNodeSet
xa_batch_room_nodes_of (const guint *nodes, guint count)
{
  XaNodeSet set = 0;

  for (guint k = 0; k < count; k++)
    set |= XA_NODESET_BIT (nodes[k]);
  return set;
}

/* Adds up to @limit nodes of @nodes to @universe, the roomiest first. */
static guint
xa_batch_room_add_roomiest (const XaBatch *batch, XaNodeSet nodes, guint *universe, guint count,
                            guint limit)
{
  for (guint added = 0; added < limit && nodes != 0; added++) {
    gint best = -1;

    for (XaNodeSet s = nodes; s != 0; s &= s - 1) {
      guint n = (guint) __builtin_ctzll (s);

      if (best < 0 || batch->free_mib[n] > batch->free_mib[best])
        best = (gint) n;
    }
    universe[count++] = (guint) best;
    nodes &= ~XA_NODESET_BIT (best);
  }
  return count;
}

/* The nodes a repack for @index may use: the roomiest it may go on, and
 * the roomiest others, where VMs in its way can go. */
static guint
xa_batch_room_universe (const XaBatch *batch, guint index, guint *universe)
{
  XaNodeSet own = batch->allowed[index] & batch->with_cpus;
  guint count = xa_batch_room_add_roomiest (batch, own, universe, 0, XA_BATCH_REPACK_UNIVERSE / 2);

  count = xa_batch_room_add_roomiest (batch, batch->with_cpus & ~own, universe, count,
                                      XA_BATCH_REPACK_UNIVERSE - count);
  return xa_batch_room_add_roomiest (batch, own & ~xa_batch_room_nodes_of (universe, count),
                                     universe, count, XA_BATCH_REPACK_UNIVERSE - count);
}

/* The VMs of this batch alone on one of @nodes, then @index: a repack pool. */
static GArray *
xa_batch_room_pool (const XaBatch *batch, XaNodeSet nodes, guint index)
{
  GArray *pool = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint n = 0; n < batch->n_nodes; n++) {
    if (xa_nodeset_has (nodes, n))
      g_array_append_vals (pool, batch->homed[n]->data, batch->homed[n]->len);
  }
  g_array_append_val (pool, index);
  return pool;
}

static guint
xa_batch_room_n_homed (const XaBatch *batch, XaNodeSet nodes)
{
  guint count = 0;

  for (guint n = 0; n < batch->n_nodes; n++)
    count += xa_nodeset_has (nodes, n) ? batch->homed[n]->len : 0;
  return count;
}

/* Moves the VMs homed on @nodes among them, with @index, so that all fit. */
static gboolean
xa_batch_room_try_repack (XaBatch *batch, guint index, XaNodeSet nodes)
{
  guint bins[XA_BATCH_REPACK_MAX_NODES];
  guint64 cap[XA_BATCH_REPACK_MAX_NODES];
  guint n_bins = 0;
  g_autoptr(GArray) pool = NULL;
  g_autofree guint64 *size = NULL;
  g_autofree XaNodeSet *bins_allowed = NULL;
  g_autofree guint *out_bin = NULL;
  guint64 steps = MIN (batch->steps, XA_BATCH_REPACK_STEPS);
  gboolean packed;

  if (xa_mem_sum (batch->free_mib, nodes, batch->n_nodes) < batch->need_mib[index] ||
      xa_batch_room_n_homed (batch, nodes) + 1 > XA_BATCH_REPACK_MAX_VMS)
    return FALSE;
  pool = xa_batch_room_pool (batch, nodes, index);
  size = g_new (guint64, pool->len);
  bins_allowed = g_new0 (XaNodeSet, pool->len);
  out_bin = g_new (guint, pool->len);
  for (guint n = 0; n < batch->n_nodes; n++) {
    if (!xa_nodeset_has (nodes, n))
      continue;
    bins[n_bins] = n;
    cap[n_bins++] = batch->free_mib[n];
  }
  for (guint k = 0; k < pool->len; k++) {
    guint i = g_array_index (pool, guint, k);

    size[k] = batch->need_mib[i];
    for (guint b = 0; b < n_bins; b++) {
      if (batch->home[i] == (gint) bins[b])
        cap[b] += size[k];
      if (xa_nodeset_has (batch->allowed[i] & batch->with_cpus, bins[b]))
        bins_allowed[k] |= XA_NODESET_BIT (b);
    }
  }
  packed = xa_repack (n_bins, cap, pool->len, size, bins_allowed, out_bin, &steps);
  batch->steps -= MIN (batch->steps, XA_BATCH_REPACK_STEPS) - steps;
  if (!packed)
    return FALSE;
  for (guint k = 0; k + 1 < pool->len; k++)
    xa_batch_uncommit (batch, g_array_index (pool, guint, k));
  for (guint k = 0; k < pool->len; k++)
    xa_batch_put_on_node (batch, g_array_index (pool, guint, k), bins[out_bin[k]]);
  return TRUE;
}

/* Whether some node could hold @index if this batch's VMs moved off it. */
static gboolean
xa_batch_room_could_fit_alone (const XaBatch *batch, guint index)
{
  for (XaNodeSet s = batch->allowed[index] & batch->with_cpus; s != 0; s &= s - 1) {
    guint n = (guint) __builtin_ctzll (s);

    if (batch->free_mib[n] + batch->homed_mib[n] >= batch->need_mib[index])
      return TRUE;
  }
  return FALSE;
}

/* The improvement step: moves and swaps of this batch's single-node VMs
 * among 2 to XA_BATCH_REPACK_MAX_NODES nodes, so that @index fits one too. */
gboolean
xa_batch_room_make (XaBatch *batch, guint index)
{
  guint universe[XA_BATCH_REPACK_UNIVERSE];
  guint n_universe;
  XaNodeSet own = batch->allowed[index] & batch->with_cpus;

  if (!xa_batch_room_could_fit_alone (batch, index))
    return FALSE;
  n_universe = xa_batch_room_universe (batch, index, universe);
  if (xa_mem_sum (batch->free_mib, xa_batch_room_nodes_of (universe, n_universe), batch->n_nodes) <
      batch->need_mib[index])
    return FALSE;
  for (guint k = 2; k <= MIN (n_universe, XA_BATCH_REPACK_MAX_NODES); k++) {
    for (guint mask = 1; mask < (1u << n_universe); mask++) {
      XaNodeSet nodes = 0;

      if ((guint) __builtin_popcount (mask) != k)
        continue;
      if (batch->steps == 0)
        return FALSE;
      for (guint u = 0; u < n_universe; u++)
        nodes |= (mask >> u) & 1 ? XA_NODESET_BIT (universe[u]) : 0;
      if ((nodes & own) != 0 && xa_batch_room_try_repack (batch, index, nodes))
        return TRUE;
    }
  }
  return FALSE;
}
