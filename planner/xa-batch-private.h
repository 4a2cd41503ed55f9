/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The batch policy's state, shared by its passes; not for use outside
 * planner/xa-batch*.c. */

#include "xa-batch.h"
#include "xa-mem.h"
#include "xa-placement.h"
#include "xa-request.h"

G_BEGIN_DECLS

/* Beyond this many nodes, spanning sets are grown by distance instead of
 * enumerated, as xenopsd and libxl also stop enumerating at 16. */
#define XA_BATCH_ENUMERATE_MAX_NODES 16

typedef struct {
  const XaTopology *topo;
  GPtrArray *requests;
  XaPlan *plan;
  guint n_nodes;
  guint64 *free_mib;
  guint *vcpus;
  XaNodeSet with_cpus;
  /* per request */
  XaNodeSet *allowed;
  guint64 *need_mib;
  gint *priority;
  gint *home;
  guint *home_at;
  gboolean *chosen;
  guint *order;
  /* per node: the VMs of this batch placed on it alone, and their memory */
  GArray **homed;
  guint64 *homed_mib;
  /* per node, the nodes by distance from it; only beyond enumeration */
  guint *nearest;
  guint64 steps;
  guint64 balance_steps;
} XaBatch;

const XaRequest *xa_batch_request (const XaBatch *batch,
                                   guint          index);
gdouble xa_batch_load (const XaBatch *batch,
                       guint          node,
                       gint           more_vcpus);
void xa_batch_uncommit (XaBatch *batch,
                        guint    index);
void xa_batch_put_on_node (XaBatch *batch,
                           guint    index,
                           guint    node);

gint xa_batch_fit_single_node (const XaBatch *batch,
                               guint          index);
XaNodeSet xa_batch_fit_span (const XaBatch *batch,
                             guint          index);
guint *xa_batch_fit_nearest_new (const XaTopology *topo);

gboolean xa_batch_room_make (XaBatch *batch,
                             guint    index);

void xa_batch_balance_run (XaBatch *batch);

G_END_DECLS
