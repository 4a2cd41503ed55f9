/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "xa-host.h"
#include "xa-store.h"

G_BEGIN_DECLS

/**
 * XaLedgerSnapshot:
 * @snapshot: what the store reads of a host snapshot
 *
 * A host snapshot as the ledger takes it, with the arrays it points to.
 */
typedef struct {
  XaStoreSnapshot snapshot;
  guint64 *total_mib;
  guint64 *free_mib;
  XaStoreDomain *domains;
} XaLedgerSnapshot;

void xa_ledger_snapshot_init (XaLedgerSnapshot *ledger,
                              const XaHostInfo *info);
void xa_ledger_snapshot_clear (XaLedgerSnapshot *ledger);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (XaLedgerSnapshot, xa_ledger_snapshot_clear)

gboolean xa_ledger_ensure_host (XaStore          *store,
                                XaHost           *host,
                                const XaHostInfo *info,
                                gint64           *out_host_id,
                                GError          **error);
XaStoreTime xa_ledger_now (XaHost *host);
XaStoreReconciliation *xa_ledger_reconcile (XaHost  *host,
                                            XaStore *store,
                                            gint64   host_id,
                                            GError **error);
GPtrArray *xa_ledger_boot_again (XaStore          *store,
                                 gint64            host_id,
                                 const XaHostInfo *info,
                                 GPtrArray        *requests,
                                 GPtrArray        *guests,
                                 XaStoreTime       at,
                                 GError          **error);

G_END_DECLS
