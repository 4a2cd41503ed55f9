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
 * xa_ledger_ensure_host:
 * @store: the ledger
 * @host: a host
 * @info: what @host shows
 * @out_host_id: (out): its id in @store
 * @error: a #GError
 *
 * Records @host once, known by its kind and UUID: a simulated host's (a
 * new one for a host without a state file), a Xen host's machine id.
 *
 * Returns: %TRUE on success
 */
gboolean
xa_ledger_ensure_host (XaStore *store, XaHost *host, const XaHostInfo *info, gint64 *out_host_id,
                       GError **error)
{
  const gchar *kind = xa_host_get_kind (host);
  g_autofree gchar *key = g_strdup_printf ("%s:%s", kind,
                                           info->uuid != NULL ? info->uuid : info->name);

  return xa_store_ensure_host (store, key, info->name, kind, info->n_nodes, xa_ledger_now (host),
                               out_host_id, error);
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

/* Of the host's requests in @state, those named in @names. */
static GPtrArray *
xa_ledger_named (XaStore *store, gint64 host_id, XaRequestState state, GHashTable *names,
                 GError **error)
{
  g_autoptr(GPtrArray) all = xa_store_list_requests (store, host_id, state, error);
  GPtrArray *named;

  if (all == NULL)
    return NULL;
  named = g_ptr_array_new_with_free_func ((GDestroyNotify) xa_store_request_free);
  for (guint i = 0; i < all->len; i++) {
    if (g_hash_table_contains (names, ((XaStoreRequest *) g_ptr_array_index (all, i))->req->name))
      g_ptr_array_add (named, g_ptr_array_steal_index (all, i--));
  }
  return named;
}

/**
 * xa_ledger_boot_again:
 * @store: the ledger, reconciled with the host
 * @host_id: the host
 * @info: what the host shows
 * @requests: (element-type XaRequest): the VMs to start; those that run on
 *   the host already are taken out
 * @guests: (element-type XaGuest) (nullable): what each of @requests boots,
 *   in their order; taken out with them
 * @at: now
 * @error: a #GError
 *
 * A manifest booted again, after a crash or a run that left VMs waiting:
 * a VM whose request still waits is queued anew (its old request is
 * cancelled, so the manifest as it is now wins), and one whose domain runs
 * on the host is left alone rather than started twice.
 *
 * Returns: (transfer full) (element-type utf8): the names of the VMs left
 *   alone, or %NULL on error
 */
GPtrArray *
xa_ledger_boot_again (XaStore *store, gint64 host_id, const XaHostInfo *info,
                      GPtrArray *requests, GPtrArray *guests, XaStoreTime at, GError **error)
{
  g_autoptr(GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) running_names = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) waiting = NULL;
  g_autoptr(GPtrArray) running = NULL;
  g_autoptr(GPtrArray) left_alone = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < requests->len; i++)
    g_hash_table_add (names, ((XaRequest *) g_ptr_array_index (requests, i))->name);
  if ((waiting = xa_ledger_named (store, host_id, XA_REQUEST_QUEUED, names, error)) == NULL ||
      (running = xa_ledger_named (store, host_id, XA_REQUEST_RUNNING, names, error)) == NULL)
    return NULL;
  for (guint i = 0; i < waiting->len; i++) {
    const XaStoreRequest *request = g_ptr_array_index (waiting, i);

    if (!xa_store_cancel (store, request->id, "queued again by a new boot of its manifest", at,
                          error))
      return NULL;
  }
  for (guint i = 0; i < running->len; i++) {
    const XaStoreRequest *request = g_ptr_array_index (running, i);

    if (xa_host_info_find_domain (info, request->uuid) != NULL)
      g_hash_table_add (running_names, request->req->name);
  }
  for (guint i = requests->len; i-- > 0;) {
    const XaRequest *req = g_ptr_array_index (requests, i);

    if (!g_hash_table_contains (running_names, req->name))
      continue;
    g_ptr_array_insert (left_alone, 0, g_strdup (req->name));
    g_ptr_array_remove_index (requests, i);
    if (guests != NULL)
      g_ptr_array_remove_index (guests, i);
  }
  return g_steal_pointer (&left_alone);
}
