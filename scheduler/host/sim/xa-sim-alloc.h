/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The allocator: where a domain's pages go, and the claims. */

#include "xa-sim-private.h"

G_BEGIN_DECLS

guint64 xa_sim_alloc_claims (XaSimHost          *self,
                             gint                node,
                             const XaHostDomain *except);
void xa_sim_alloc_count_claim (XaSimHost          *self,
                               const XaHostDomain *domain);
void xa_sim_alloc_set_claim (XaSimHost    *self,
                             XaHostDomain *domain,
                             guint64       mib,
                             gint          node);
guint64 xa_sim_alloc_unclaimed (XaSimHost          *self,
                                gint                node,
                                const XaHostDomain *domain);
gint64 xa_sim_alloc_populate (XaSimHost   *self,
                              XaSimDomain *sd,
                              guint64     *exact,
                              guint64      mib,
                              GError     **error);

G_END_DECLS
