/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * XaPolicy:
 * @XA_POLICY_BATCH: the whole batch at once against per-node free memory;
 *   a small batch's plan then improved by the exact search (xa-plan.h)
 * @XA_POLICY_XENOPSD: xenopsd HEAD on stock Xen 4.17: no per-node claims, so
 *   every parallel build sees the same free memory
 * @XA_POLICY_XENOPSD_NODECLAIM: xenopsd HEAD on a Xen with per-node claims:
 *   single-node plans claim their node, multi-node plans are dropped
 * @XA_POLICY_XENOPSD_LEGACY: xenopsd before 2025: a running minimum of free
 *   memory that never subtracts a placed VM, soft affinity for any plan
 * @XA_POLICY_EXACT: branch and bound from batch's plan, for small batches
 *   and for tests
 */
typedef enum {
  XA_POLICY_BATCH,
  XA_POLICY_XENOPSD,
  XA_POLICY_XENOPSD_NODECLAIM,
  XA_POLICY_XENOPSD_LEGACY,
  XA_POLICY_EXACT,
} XaPolicy;

#define XA_POLICY_LAST XA_POLICY_EXACT

/**
 * XaPlanOptions:
 * @policy: how to plan
 * @now_s: the host's clock now, against each request's @queued_s (aging)
 */
typedef struct {
  XaPolicy policy;
  gdouble now_s;
} XaPlanOptions;

const gchar *xa_policy_to_string (XaPolicy policy);
gboolean xa_policy_from_string (const gchar *text,
                                XaPolicy    *out_policy,
                                GError     **error);

G_END_DECLS
