/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "xa-topology.h"

G_BEGIN_DECLS

/* The family of small tight batches that the exact search is measured on
 * (issue 12): this many VMs on this many nodes of this much free memory,
 * asking for 95 to 99 % of it. */
#define XA_TIGHT_BATCH_VMS 16
#define XA_TIGHT_BATCH_NODES 8
#define XA_TIGHT_BATCH_NODE_MIB G_GUINT64_CONSTANT (65536)
#define XA_TIGHT_BATCH_FILL_MIN 95
#define XA_TIGHT_BATCH_FILL_MAX 99

XaTopology *xa_tight_batch_new (guint32     seed,
                                guint32     index,
                                GPtrArray **out_requests);

G_END_DECLS
