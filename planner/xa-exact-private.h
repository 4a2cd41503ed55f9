/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The exact search's state, shared by its setup and its search; not for use
 * outside planner/xa-exact*.c. */

#include "xa-exact.h"
#include "xa-request.h"

G_BEGIN_DECLS

/* A plan's worth, compared lexicographically: VMs admitted per priority
 * level (highest level first), then VMs on one node, then fewer nodes
 * under split VMs. */
typedef struct {
  guint *admitted;
  guint singles;
  guint split_nodes;
} XaExactScore;

typedef struct {
  GPtrArray *requests;
  const XaTopology *topo;
  guint n_nodes;
  XaNodeSet with_cpus;
  /* the VMs that are not rejected: by priority level, largest first */
  guint n_vms;
  guint *order;
  guint n_levels;
  guint *level_of;
  guint *pos_of;
  guint *level_start;
  guint *level_end;
  /* per level, the sum of its k smallest VMs, k = 0 … its size */
  guint64 **smallest_sum;
  /* per position, how many VMs from there on are pinned to several nodes:
   * admitted, they are neither on one node nor split */
  guint *pinned_spread_from;
  /* the same VMs, smallest first */
  guint *by_size;
  /* per request */
  guint64 *need_mib;
  XaNodeSet *allowed;
  /* per node: the nodes that every VM treats alike */
  XaNodeSet *twins;
  /* the search: the current path, and the best leaf so far, at first the
   * plan it was given */
  guint64 *rem_mib;
  guint64 *mib;
  XaNodeSet *nodes;
  /* the VMs marked to span nodes, in the order of the search */
  guint *splits;
  guint n_splits;
  guint64 split_mib;
  XaExactScore now;
  XaExactScore best;
  XaExactScore bound;
  guint64 *best_mib;
  XaNodeSet *best_nodes;
  guint64 *best_rem_mib;
  gboolean improved;
  guint64 steps;
  gboolean exhausted;
} XaExact;

void xa_exact_init (XaExact          *exact,
                    const XaTopology *topo,
                    GPtrArray        *requests,
                    gdouble           now_s);
void xa_exact_seed (XaExact      *exact,
                    const XaPlan *plan);
void xa_exact_write_plan (const XaExact *exact,
                          XaPlan        *plan);
void xa_exact_clear (XaExact *exact);

G_END_DECLS
