/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-ledger.h"

/**
 * xa_ledger_snapshot_init:
 * @ledger: (out caller-allocates): what to fill
 * @info: a host snapshot; it must outlive @ledger (the UUIDs and the
 *   domains' memory are borrowed)
 */
void
xa_ledger_snapshot_init (XaLedgerSnapshot *ledger, const XaHostInfo *info)
{
  ledger->total_mib = g_new (guint64, info->n_nodes);
  ledger->free_mib = g_new (guint64, info->n_nodes);
  ledger->domains = g_new0 (XaStoreDomain, MAX (info->domains->len, 1));
  for (guint n = 0; n < info->n_nodes; n++) {
    ledger->total_mib[n] = info->nodes[n].total_mib;
    ledger->free_mib[n] = info->nodes[n].free_mib;
  }
  for (guint i = 0; i < info->domains->len; i++) {
    const XaHostDomain *domain = g_ptr_array_index (info->domains, i);

    ledger->domains[i].uuid = domain->uuid;
    ledger->domains[i].mib_by_node = domain->memory_by_node_mib;
  }
  ledger->snapshot.n_nodes = info->n_nodes;
  ledger->snapshot.total_mib = ledger->total_mib;
  ledger->snapshot.free_mib = ledger->free_mib;
  ledger->snapshot.n_domains = info->domains->len;
  ledger->snapshot.domains = ledger->domains;
}

void
xa_ledger_snapshot_clear (XaLedgerSnapshot *ledger)
{
  g_clear_pointer (&ledger->total_mib, g_free);
  g_clear_pointer (&ledger->free_mib, g_free);
  g_clear_pointer (&ledger->domains, g_free);
}

/**
 * xa_ledger_host_key:
 * @kind: the backend, "sim" or "xen"
 * @info: the host
 *
 * Returns: (transfer full): who the host is in the ledger: a simulated
 *   host's UUID (a new one for a host without a state file), a Xen host's
 *   machine id
 */
gchar *
xa_ledger_host_key (const gchar *kind, const XaHostInfo *info)
{
  return g_strdup_printf ("%s:%s", kind, info->uuid != NULL ? info->uuid : info->name);
}

/**
 * xa_ledger_now:
 * @host: a host
 *
 * Returns: now, on the wall clock and on @host's clock
 */
XaStoreTime
xa_ledger_now (XaHost *host)
{
  XaStoreTime now = { g_get_real_time (), xa_clock_now (xa_host_get_clock (host)) };

  return now;
}

/**
 * xa_ledger_reconcile:
 * @host: the host, locked
 * @store: its ledger
 * @host_id: its id in @store
 * @error: a #GError
 *
 * A restart first: the builds the ledger has in flight are over. Those
 * that finished are running; half-built domains are destroyed, and their
 * VMs wait again with those whose build had not begun.
 *
 * Returns: (transfer full): what was found, or %NULL
 */
XaStoreReconciliation *
xa_ledger_reconcile (XaHost *host, XaStore *store, gint64 host_id, GError **error)
{
  g_autoptr(XaHostInfo) info = xa_host_snapshot (host, error);
  g_auto(XaLedgerSnapshot) ledger = { { 0 } };
  g_autoptr(XaStoreReconciliation) found = NULL;
  g_autoptr(GPtrArray) queued = NULL;

  if (info == NULL)
    return NULL;
  xa_ledger_snapshot_init (&ledger, info);
  found = xa_store_reconcile (store, host_id, &ledger.snapshot, xa_ledger_now (host), error);
  if (found == NULL ||
      (queued = xa_store_list_requests (store, host_id, XA_REQUEST_QUEUED, error)) == NULL)
    return NULL;
  for (guint i = 0; i < queued->len; i++) {
    const XaStoreRequest *request = g_ptr_array_index (queued, i);
    const XaHostDomain *domain = xa_host_info_find_domain (info, request->uuid);

    for (guint k = 0; domain != NULL && k < found->half_built->len; k++) {
      if (g_array_index (found->half_built, gint64, k) == request->id &&
          !xa_host_destroy (host, domain->domid, error))
        return NULL;
    }
  }
  return g_steal_pointer (&found);
}
