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
  return g_strdup_printf ("its domain went down (%s) and was destroyed", down);
}
