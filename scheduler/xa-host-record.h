/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "xa-host.h"
#include "xa-store.h"

G_BEGIN_DECLS

/**
 * XaHostRecord:
 * @snapshot: what the store reads of a host snapshot
 *
 * A host snapshot as the store takes it, with the arrays it points to.
 */
typedef struct {
  XaStoreSnapshot snapshot;
  guint64 *total_mib;
  guint64 *free_mib;
  XaStoreDomain *domains;
} XaHostRecord;

void xa_host_record_init (XaHostRecord     *record,
                          const XaHostInfo *info);
void xa_host_record_clear (XaHostRecord *record);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (XaHostRecord, xa_host_record_clear)

XaStoreTime xa_host_record_now (XaHost *host);
gchar *xa_host_record_down_reason (const gchar *down);
gchar *xa_host_record_key (XaHost           *host,
                           const XaHostInfo *info);
gboolean xa_host_record_ensure (XaHost           *host,
                                const XaHostInfo *info,
                                XaStore          *store,
                                gint64           *out_host_id,
                                GError          **error);

gboolean xa_host_record_is_held (const XaHostInfo     *info,
                                 const XaStoreRequest *request);
GHashTable *xa_host_record_domain_names (const XaHostInfo *info);
gchar *xa_host_record_unfit (XaHost          *host,
                             GHashTable      *domain_names,
                             const XaRequest *req,
                             const XaGuest   *guest);

G_END_DECLS
