/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The balancing pass: vCPUs against cores, once the batch is placed. */
#include "xa-batch-private.h"

static gint
xa_batch_balance_most_loaded_node (const XaBatch *batch)
{
  gint worst = -1;

  for (guint n = 0; n < batch->n_nodes; n++) {
    if (batch->homed[n]->len > 0 &&
        (worst < 0 || xa_batch_load (batch, n, 0) > xa_batch_load (batch, (guint) worst, 0)))
      worst = (gint) n;
  }
  return worst;
}

/* Nodes with CPUs other than @skip, the least loaded first. */
static guint
xa_batch_balance_by_load (const XaBatch *batch, guint skip, guint *nodes)
{
  guint count = 0;

  for (XaNodeSet s = batch->with_cpus & ~XA_NODESET_BIT (skip); s != 0; s &= s - 1) {
    guint n = (guint) __builtin_ctzll (s);
    guint at;

    for (at = count;
         at > 0 && xa_batch_load (batch, nodes[at - 1], 0) > xa_batch_load (batch, n, 0); at--)
      nodes[at] = nodes[at - 1];
    nodes[at] = n;
    count++;
  }
  return count;
}

/* Each VM on @from goes to the least loaded node that has room for it; of
 * those moves, the one after which the busier of the two nodes is least
 * loaded, if that is below @from's load now. Ties go to the tighter fit. */
static gboolean
xa_batch_balance_best_move (XaBatch *batch, guint from, guint *out_index, guint *out_node)
{
  GArray *homed = batch->homed[from];
  guint targets[XA_MAX_NODES];
  guint n_targets = xa_batch_balance_by_load (batch, from, targets);
  gdouble limit = xa_batch_load (batch, from, 0);
  gdouble best = limit;
  gboolean found = FALSE;

  for (guint k = 0; k < homed->len; k++) {
    guint i = g_array_index (homed, guint, k);
    gint vcpus = (gint) xa_batch_request (batch, i)->vcpus;
    gdouble from_after = xa_batch_load (batch, from, -vcpus);

    for (guint t = 0; t < n_targets && batch->balance_steps > 0; t++) {
      guint n = targets[t];
      gdouble worse;

      batch->balance_steps--;
      if (!xa_nodeset_has (batch->allowed[i], n) || batch->free_mib[n] < batch->need_mib[i])
        continue;
      worse = MAX (from_after, xa_batch_load (batch, n, vcpus));
      if (worse < limit &&
          (!found || worse < best ||
           (worse == best && batch->free_mib[n] < batch->free_mib[*out_node]))) {
        found = TRUE;
        best = worse;
        *out_index = i;
        *out_node = n;
      }
      break;
    }
  }
  return found;
}

/* Balances vCPUs against cores: moves single-node VMs of this batch off the
 * most loaded node while that lowers it, never splitting or deferring one. */
void
xa_batch_balance_run (XaBatch *batch)
{
  for (;;) {
    gint from = xa_batch_balance_most_loaded_node (batch);
    guint index = 0;
    guint node = 0;

    if (from < 0 || !xa_batch_balance_best_move (batch, (guint) from, &index, &node))
      return;
    xa_batch_uncommit (batch, index);
    xa_batch_put_on_node (batch, index, node);
  }
}
