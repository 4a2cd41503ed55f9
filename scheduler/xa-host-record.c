/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-host-record.h"

/**
 * xa_host_record_init:
 * @record: (out caller-allocates): what to fill
 * @info: a host snapshot; it must outlive @record (the UUIDs and the
 *   domains' memory are borrowed)
 */
void
xa_host_record_init (XaHostRecord *record, const XaHostInfo *info)
{
  record->total_mib = g_new (guint64, info->n_nodes);
  record->free_mib = g_new (guint64, info->n_nodes);
  record->domains = g_new0 (XaStoreDomain, MAX (info->domains->len, 1));
  for (guint n = 0; n < info->n_nodes; n++) {
    record->total_mib[n] = info->nodes[n].total_mib;
    record->free_mib[n] = info->nodes[n].free_mib;
  }
  for (guint i = 0; i < info->domains->len; i++) {
    const XaHostDomain *domain = g_ptr_array_index (info->domains, i);

    record->domains[i].uuid = domain->uuid;
    record->domains[i].mib_by_node = domain->memory_by_node_mib;
    record->domains[i].unfinished = domain->unfinished;
  }
  record->snapshot.n_nodes = info->n_nodes;
  record->snapshot.total_mib = record->total_mib;
  record->snapshot.free_mib = record->free_mib;
  record->snapshot.n_domains = info->domains->len;
  record->snapshot.domains = record->domains;
}

void
xa_host_record_clear (XaHostRecord *record)
{
  g_clear_pointer (&record->total_mib, g_free);
  g_clear_pointer (&record->free_mib, g_free);
  g_clear_pointer (&record->domains, g_free);
}

/**
 * xa_host_record_now:
 * @host: a host
 *
 * Returns: now, on the wall clock and on @host's clock
 */
XaStoreTime
xa_host_record_now (XaHost *host)
{
  XaStoreTime now = { g_get_real_time (), xa_clock_now (xa_host_get_clock (host)) };

  return now;
}

/**
 * xa_host_record_down_reason:
 * @down: how a domain went down by itself ("poweroff", "crash"...)
 *
 * Returns: (transfer full): why its request ended, once it is destroyed
 */
gchar *
xa_host_record_down_reason (const gchar *down)
{
  /* "destroyed": another tool did it; there is nothing left for xadmit to do */
  if (g_str_equal (down, "destroyed"))
    return g_strdup ("its domain was destroyed by another tool");
  return g_strdup_printf ("its domain went down (%s) and was destroyed", down);
}

/**
 * xa_host_record_key:
 * @host: a host
 * @info: its snapshot
 *
 * Who @host is in the ledger, for good: its kind and UUID (a simulated
 * host's, kept in its state file; a Xen host's machine id), or its name
 * where it has no UUID. Every process that queues or admits for the host
 * finds its record by this key.
 *
 * Returns: (transfer full): the key
 */
gchar *
xa_host_record_key (XaHost *host, const XaHostInfo *info)
{
  return g_strdup_printf ("%s:%s", xa_host_get_kind (host),
                          info->uuid != NULL ? info->uuid : info->name);
}

/**
 * xa_host_record_ensure:
 * @host: a host
 * @info: its snapshot
 * @store: the ledger
 * @out_host_id: (out): the host's id in @store
 * @error: a #GError
 *
 * Records @host in @store once, by xa_host_record_key().
 *
 * Returns: %TRUE if the host is recorded, new or known
 */
gboolean
xa_host_record_ensure (XaHost *host, const XaHostInfo *info, XaStore *store, gint64 *out_host_id,
                       GError **error)
{
  const gchar *kind = xa_host_get_kind (host);
  g_autofree gchar *key = xa_host_record_key (host, info);

  /* the ledger knows a real Xen host and simulated ones: every other
   * backend (the tests' too) simulates a host */
  return xa_store_ensure_host (store, key, info->name, g_str_equal (kind, "xen") ? "xen" : "sim",
                               info->n_nodes, xa_host_record_now (host), out_host_id, error);
}

/**
 * xa_host_record_domain_names:
 * @info: a host snapshot
 *
 * Returns: (transfer full) (element-type utf8): the names of its domains
 */
GHashTable *
xa_host_record_domain_names (const XaHostInfo *info)
{
  GHashTable *names;

  names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < info->domains->len; i++)
    g_hash_table_add (names,
                      g_strdup (((XaHostDomain *) g_ptr_array_index (info->domains, i))->name));
  return names;
}

/**
 * xa_host_record_is_held:
 * @info: the host as it is
 * @request: a request of the ledger
 *
 * Returns: whether @request is a member of a group cut short by a restart:
 *   built, running in the ledger, and its domain still paused until its
 *   group starts
 */
gboolean
xa_host_record_is_held (const XaHostInfo *info, const XaStoreRequest *request)
{
  const XaHostDomain *domain;

  if (request->req->group == NULL || request->state != XA_REQUEST_RUNNING)
    return FALSE;
  domain = xa_host_info_find_domain (info, request->uuid);
  return domain != NULL && domain->paused;
}

/**
 * xa_host_record_unfit:
 * @host: a host
 * @domain_names: (element-type utf8): the names of its domains
 * @req: a new VM
 * @guest: (nullable): what it boots
 *
 * Why @host can never start @req, whatever its memory: it cannot boot
 * @guest (e.g. a PVH guest on Xen), or a domain has its name there, and a
 * second domain of that name would confuse every tool that finds domains
 * by name (docs/formats.md, Rejected and deferred).
 *
 * Returns: (transfer full) (nullable): the reason, %NULL if it may start
 */
gchar *
xa_host_record_unfit (XaHost *host, GHashTable *domain_names, const XaRequest *req,
                      const XaGuest *guest)
{
  g_autoptr(GError) unfit = NULL;

  if (!xa_host_check_guest (host, guest, &unfit))
    return g_strdup (unfit->message);
  if (g_hash_table_contains (domain_names, req->name))
    return g_strdup_printf ("a domain named \"%s\" runs on the host already: give the VM "
                            "another name", req->name);
  return NULL;
}
