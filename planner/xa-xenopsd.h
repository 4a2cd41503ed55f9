/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "xa-plan-result.h"
#include "xa-policy.h"
#include "xa-request.h"
#include "xa-topology.h"

G_BEGIN_DECLS

/* Beyond this many usable nodes xenopsd only considers single nodes. */
#define XA_XENOPSD_ENUMERATE_MAX_NODES 16

/**
 * XaXenopsd:
 *
 * xenopsd's NUMA placement policy (topology.ml, softaffinity.ml), the
 * reference the batch planner is measured against: candidate node sets
 * ordered once by distance, and per-node usage counters that only grow.
 */
typedef struct _XaXenopsd XaXenopsd;

XaXenopsd *xa_xenopsd_new (const XaTopology *topo);
void xa_xenopsd_free (XaXenopsd *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XaXenopsd, xa_xenopsd_free)

guint xa_xenopsd_n_candidates (const XaXenopsd *self);
XaNodeSet xa_xenopsd_candidate (const XaXenopsd *self,
                                guint            index,
                                gdouble         *out_mean);
guint64 xa_xenopsd_usage (const XaXenopsd *self,
                          guint            node);
XaNodeSet xa_xenopsd_plan (XaXenopsd     *self,
                           const guint64 *free_mib,
                           guint64        memory_mib,
                           guint          vcpus,
                           guint          cores);
/**
 * XaClaimResult:
 * @XA_CLAIM_DONE: the memory is claimed
 * @XA_CLAIM_NO_MEMORY: refused for want of memory (ENOMEM)
 * @XA_CLAIM_REFUSED: refused for another reason (ENOSYS: no node claims)
 */
typedef enum {
  XA_CLAIM_DONE,
  XA_CLAIM_NO_MEMORY,
  XA_CLAIM_REFUSED,
} XaClaimResult;

/**
 * XaXenopsdClaims:
 * @claim_node: claims on one node; *out_detail says why not
 * @claim_host: claims host-wide; *out_detail says why not
 *
 * How xenopsd's build_pre claims memory: in a model of the host, when a
 * batch is planned as xenopsd would, or on the host itself.
 */
typedef struct {
  XaClaimResult (*claim_node) (gpointer data, guint node, guint64 mib, gchar **out_detail);
  XaClaimResult (*claim_host) (gpointer data, guint64 mib, gchar **out_detail);
} XaXenopsdClaims;

guint xa_xenopsd_cores_requested (XaPolicy variant,
                                  guint    vcpus);
gboolean xa_xenopsd_build_pre (XaPolicy               variant,
                               XaNodeSet              plan,
                               guint64                memory_mib,
                               const XaXenopsdClaims *claims,
                               gpointer               data,
                               XaNodeSet             *out_affinity,
                               GError               **error);
XaPlan *xa_xenopsd_batch_plan (XaXenopsd        *self,
                               const XaTopology *topo,
                               GPtrArray        *requests,
                               XaPolicy          variant);

void xa_xenopsd_predict_memory (const XaTopology *topo,
                                const XaRequest  *req,
                                XaNodeSet         affinity,
                                guint64           need_mib,
                                guint64          *mib_by_node);

G_END_DECLS
