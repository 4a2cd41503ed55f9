/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-mem.h"
#include "xa-repack.h"

typedef struct {
  guint n_bins;
  guint n_items;
  guint64 rem[XA_REPACK_MAX_BINS];
  XaNodeSet twins[XA_REPACK_MAX_BINS];
  const guint64 *size_mib;
  const XaNodeSet *bins_allowed;
  guint *order;
  guint *out_bin;
  guint64 slack;
  guint64 *steps;
} XaRepack;

/* Room that no item left can use is lost; past the slack, no packing is left. */
static gboolean
xa_repack_wastes_too_much (const XaRepack *r)
{
  guint64 smallest = r->size_mib[r->order[r->n_items - 1]];
  guint64 waste = 0;

  for (guint b = 0; b < r->n_bins; b++)
    waste += r->rem[b] < smallest ? r->rem[b] : 0;
  return waste > r->slack;
}

static gboolean
xa_repack_tried_twin (const XaRepack *r, guint bin, guint32 tried)
{
  XaNodeSet same_kind = r->twins[bin] & tried;

  for (guint b = 0; b < r->n_bins; b++) {
    if ((same_kind >> b) & 1 && r->rem[b] == r->rem[bin])
      return TRUE;
  }
  return FALSE;
}

static gboolean
xa_repack_from (XaRepack *r, guint depth)
{
  guint item;
  guint32 tried = 0;

  if (depth == r->n_items)
    return TRUE;
  if (*r->steps == 0 || xa_repack_wastes_too_much (r))
    return FALSE;
  (*r->steps)--;
  item = r->order[depth];
  for (guint b = 0; b < r->n_bins; b++) {
    guint64 size = r->size_mib[item];

    if (!xa_nodeset_has (r->bins_allowed[item], b) || r->rem[b] < size ||
        xa_repack_tried_twin (r, b, tried))
      continue;
    r->rem[b] -= size;
    r->out_bin[item] = b;
    if (xa_repack_from (r, depth + 1))
      return TRUE;
    r->rem[b] += size;
    tried |= 1u << b;
  }
  return FALSE;
}

/**
 * xa_repack:
 * @n_bins: number of bins, at most %XA_REPACK_MAX_BINS
 * @cap_mib: (array length=n_bins): what each bin holds
 * @n_items: number of items, at least one
 * @size_mib: (array length=n_items): the size of each item
 * @bins_allowed: (array length=n_items): per item, the set of bins it may
 *   go into (bin b as bit b)
 * @out_bin: (array length=n_items): the bin of each item, on success
 * @steps: (inout): search steps left; the search stops when it reaches 0
 *
 * Looks for a way to put every item into a bin it may use without
 * overfilling any: depth first, largest item first, pruned by the room that
 * no item left can use and by bins that are alike.
 *
 * Returns: %TRUE if every item found a bin
 */
gboolean
xa_repack (guint n_bins, const guint64 *cap_mib, guint n_items, const guint64 *size_mib,
           const XaNodeSet *bins_allowed, guint *out_bin, guint64 *steps)
{
  g_autofree guint *order = g_new (guint, n_items);
  XaRepack r = { 0 };
  guint64 cap_sum = 0;
  guint64 size_sum = 0;

  g_return_val_if_fail (n_bins > 0 && n_bins <= XA_REPACK_MAX_BINS, FALSE);
  g_return_val_if_fail (n_items > 0, FALSE);

  for (guint b = 0; b < n_bins; b++) {
    r.rem[b] = cap_mib[b];
    cap_sum += cap_mib[b];
  }
  for (guint i = 0; i < n_items; i++) {
    order[i] = i;
    size_sum += size_mib[i];
  }
  if (size_sum > cap_sum)
    return FALSE;
  /* largest first */
  g_qsort_with_data (order, (gint) n_items, sizeof (guint), xa_mem_compare_size,
                     (gpointer) size_mib);
  for (guint i = 0; i < n_items / 2; i++) {
    guint swap = order[i];

    order[i] = order[n_items - 1 - i];
    order[n_items - 1 - i] = swap;
  }
  r.n_bins = n_bins;
  r.n_items = n_items;
  r.size_mib = size_mib;
  r.bins_allowed = bins_allowed;
  r.order = order;
  r.out_bin = out_bin;
  r.slack = cap_sum - size_sum;
  r.steps = steps;
  xa_nodeset_find_twins (n_bins, bins_allowed, n_items, r.twins);
  return xa_repack_from (&r, 0);
}
