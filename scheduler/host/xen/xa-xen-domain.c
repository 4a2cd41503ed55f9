/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "xa-xen-private.h"

/* after xenctrl.h, which gives it the stdint types */
#include <xen/hvm/params.h>

/*
 * A domain's build on Xen, before and after the xenguest step, in the
 * order of docs/design.md ("Xen call order"), on the main thread's handle.
 * The domain's xenstore directory is written with it and removed with it,
 * so that the scheduler's order stays that of the host interface.
 */

/* libxl's default for PV guests: event channel ports 0 to 1023. */
#define XA_XEN_MAX_EVTCHN_PORT 1023

void
xa_xen_domain_free (XaXenDomain *domain)
{
  g_free (domain->uuid);
  g_free (domain->built_mib);
  g_free (domain);
}

static XaXenHost *
xa_xen_host_of (XaHost *host)
{
  return (XaXenHost *) host;
}

/* The vCPUs of a domain this process created; 0 if it did not. */
guint
xa_xen_domain_vcpus (XaXenHost *self, guint32 domid)
{
  XaXenDomain *domain;
  guint vcpus = 0;

  g_mutex_lock (&self->lock);
  domain = g_hash_table_lookup (self->domains, GUINT_TO_POINTER (domid));
  if (domain != NULL)
    vcpus = domain->vcpus;
  g_mutex_unlock (&self->lock);
  return vcpus;
}

/* "8-4-4-4-12" hex digits into Xen's 16 bytes. */
static gboolean
xa_xen_domain_handle (const gchar *uuid, xen_domain_handle_t handle, GError **error)
{
  guint byte = 0;

  if (!g_uuid_string_is_valid (uuid))
    return xa_host_fail (error, EINVAL, "xc_domain_create", "\"%s\" is not a UUID", uuid);
  for (const gchar *c = uuid; *c != '\0'; c++) {
    if (*c == '-')
      continue;
    handle[byte / 2] = (uint8_t) ((handle[byte / 2] << 4) | g_ascii_xdigit_value (*c));
    byte++;
  }
  return TRUE;
}

/* The domain goes, and its xenstore entries with it; no word on errors:
 * this runs where something else failed already. */
static void
xa_xen_domain_undo (XaXenHost *self, guint32 domid)
{
  xc_domain_destroy (self->xch, domid);
  xa_xen_xs_remove_domain (self->xs, domid);
}

static gboolean
xa_xen_domain_create (XaHost *host, const XaDomainSpec *spec, guint32 *out_domid, GError **error)
{
  XaXenHost *self = xa_xen_host_of (host);
  struct xen_domctl_createdomain config = {
    .max_vcpus = spec->vcpus,
    .max_evtchn_port = XA_XEN_MAX_EVTCHN_PORT,
    .max_grant_frames = -1,
    .max_maptrack_frames = -1,
    .grant_opts = XEN_DOMCTL_GRANT_version (1),
  };
  uint32_t domid = 0;
  XaXenDomain *domain;

  if (spec->pvh)
    return xa_host_fail (error, ENOSYS, "xc_domain_create",
                         "%s is a PVH guest, and xadmit builds PV guests only", spec->name);
  if (self->xs == NULL)
    return xa_host_fail (error, ENOENT, "xs_open",
                         "xenstore cannot be reached, so domain %s would have no console "
                         "and no devices", spec->name);
  if (!xa_xen_domain_handle (spec->uuid, config.handle, error))
    return FALSE;
  if (xc_domain_create (self->xch, &domid, &config) != 0)
    return xa_host_fail (error, errno, "xc_domain_create", "cannot create domain %s",
                         spec->name);
  if (!xa_xen_xs_make_domain (self->xs, domid, spec->uuid, spec->name, error)) {
    xa_xen_domain_undo (self, domid);
    return FALSE;
  }
  domain = g_new0 (XaXenDomain, 1);
  domain->uuid = g_strdup (spec->uuid);
  domain->vcpus = spec->vcpus;
  g_mutex_lock (&self->lock);
  g_hash_table_insert (self->domains, GUINT_TO_POINTER (domid), domain);
  g_mutex_unlock (&self->lock);
  *out_domid = domid;
  return TRUE;
}

static gboolean
xa_xen_domain_set_max_vcpus (XaHost *host, guint32 domid, guint vcpus, GError **error)
{
  if (xc_domain_max_vcpus (xa_xen_host_of (host)->xch, domid, vcpus) != 0)
    return xa_host_fail (error, errno, "xc_domain_max_vcpus",
                         "cannot give domain %u its %u vCPUs", domid, vcpus);
  return TRUE;
}

/* libxl's default for PVH and HVM guests. */
static gboolean
xa_xen_domain_set_timer_mode (XaHost *host, guint32 domid, GError **error)
{
  if (xc_hvm_param_set (xa_xen_host_of (host)->xch, domid, HVM_PARAM_TIMER_MODE,
                        HVMPTM_no_delay_for_missed_ticks) != 0)
    return xa_host_fail (error, errno, "xc_hvm_param_set",
                         "cannot set the timer mode of domain %u", domid);
  return TRUE;
}

/* A PV guest's pseudo-physical map ends at its maximum memory too. */
static gboolean
xa_xen_domain_set_max_mem (XaHost *host, guint32 domid, guint64 max_mib, GError **error)
{
  XaXenHost *self = xa_xen_host_of (host);

  if (xc_domain_setmaxmem (self->xch, domid, max_mib * 1024) != 0)
    return xa_host_fail (error, errno, "xc_domain_setmaxmem",
                         "cannot set the maximum memory of domain %u", domid);
  if (xc_domain_set_memmap_limit (self->xch, domid, (unsigned long) (max_mib * 1024)) != 0)
    return xa_host_fail (error, errno, "xc_domain_set_memmap_limit",
                         "cannot set the memory map of domain %u", domid);
  return TRUE;
}

/* Every vCPU, hard (pinned) or soft (preferred, which also steers its
 * memory while the node affinity is automatic). */
static gboolean
xa_xen_domain_set_vcpu_affinity (XaHost *host, guint32 domid, GArray *cpus, gboolean hard,
                                 GError **error)
{
  XaXenHost *self = xa_xen_host_of (host);
  g_autofree guint8 *map = xc_cpumap_alloc (self->xch);
  gint map_bits = xc_get_cpumap_size (self->xch) * 8;
  guint vcpus = xa_xen_domain_vcpus (self, domid);

  if (map == NULL)
    return xa_host_fail (error, errno, "xc_cpumap_alloc", "cannot allocate a CPU map");
  for (guint i = 0; i < cpus->len; i++) {
    guint cpu = g_array_index (cpus, guint, i);

    if ((gint) cpu < map_bits)
      map[cpu / 8] |= (guint8) (1u << (cpu % 8));
  }
  for (guint v = 0; v < vcpus; v++) {
    if (xc_vcpu_setaffinity (self->xch, domid, (int) v, hard ? map : NULL, hard ? NULL : map,
                             hard ? XEN_VCPUAFFINITY_HARD : XEN_VCPUAFFINITY_SOFT) != 0)
      return xa_host_fail (error, errno, "xc_vcpu_setaffinity",
                           "cannot set the affinity of vCPU %u of domain %u", v, domid);
  }
  return TRUE;
}

static gboolean
xa_xen_domain_set_node_affinity (XaHost *host, guint32 domid, XaNodeSet nodes, GError **error)
{
  XaXenHost *self = xa_xen_host_of (host);
  g_autofree guint8 *map = xc_nodemap_alloc (self->xch);
  gint map_bits = xc_get_nodemap_size (self->xch) * 8;

  if (map == NULL)
    return xa_host_fail (error, errno, "xc_nodemap_alloc", "cannot allocate a node map");
  for (guint n = 0; n < XA_MAX_NODES && (gint) n < map_bits; n++) {
    if (xa_nodeset_has (nodes, n))
      map[n / 8] |= (guint8) (1u << (n % 8));
  }
  if (xc_domain_node_setaffinity (self->xch, domid, map) != 0)
    return xa_host_fail (error, errno, "xc_domain_node_setaffinity",
                         "cannot set the node affinity of domain %u", domid);
  return TRUE;
}

/* Stock Xen 4.17 claims host-wide only; a claim of 0 cancels it. */
static gboolean
xa_xen_domain_claim (XaHost *host, guint32 domid, gint node, guint64 mib, GError **error)
{
  if (node >= 0)
    return xa_host_fail (error, ENOSYS, "xc_domain_claim_pages",
                         "this Xen has no per-node claims");
  if (xc_domain_claim_pages (xa_xen_host_of (host)->xch, domid,
                             (unsigned long) (mib * XA_XEN_PAGES_PER_MIB)) != 0)
    return xa_host_fail (error, errno, "xc_domain_claim_pages",
                         "cannot claim %" G_GUINT64_FORMAT " MiB for domain %u", mib, domid);
  return TRUE;
}

static gboolean
xa_xen_domain_unpause (XaHost *host, guint32 domid, GError **error)
{
  if (xc_domain_unpause (xa_xen_host_of (host)->xch, domid) != 0)
    return xa_host_fail (error, errno, "xc_domain_unpause", "cannot start domain %u", domid);
  return TRUE;
}

/* A domain already gone (ESRCH) is destroyed; its xenstore entries go
 * either way, and with them a leftover of an earlier run's. */
static gboolean
xa_xen_domain_destroy (XaHost *host, guint32 domid, GError **error)
{
  XaXenHost *self = xa_xen_host_of (host);

  if (xc_domain_destroy (self->xch, domid) != 0 && errno != ESRCH)
    return xa_host_fail (error, errno, "xc_domain_destroy", "cannot destroy domain %u", domid);
  if (self->xs != NULL)
    xa_xen_xs_remove_domain (self->xs, domid);
  g_mutex_lock (&self->lock);
  g_hash_table_remove (self->domains, GUINT_TO_POINTER (domid));
  g_mutex_unlock (&self->lock);
  return TRUE;
}

/* Its pages dealt over @built_mib in order, as populate fills the vNUMA
 * ranges one after the other. */
static void
xa_xen_domain_fill_ranges (const guint64 *built_mib, guint n_nodes, guint64 tot_pages,
                           guint64 *mib_by_node)
{
  guint64 left_mib = tot_pages / XA_XEN_PAGES_PER_MIB;

  for (guint n = 0; n < n_nodes; n++) {
    mib_by_node[n] = MIN (built_mib[n], left_mib);
    left_mib -= mib_by_node[n];
  }
}

/* Without the 'u' table, which costs Xen a walk of every page (it is read
 * with each snapshot, not per build): exact for a strict build, from the
 * node affinity otherwise. */
static gboolean
xa_xen_domain_memory (XaHost *host, guint32 domid, guint64 *mib_by_node, GError **error)
{
  XaXenHost *self = xa_xen_host_of (host);
  xc_domaininfo_t info = { 0 };
  g_autofree guint64 *built_mib = NULL;
  XaXenDomain *domain;
  XaNodeSet nodes = 0;
  gint got = xc_domain_getinfolist (self->xch, domid, 1, &info);

  /* the list starts at @domid: another domain first means it is gone */
  if (got < 0 || got != 1 || info.domain != domid)
    return xa_host_fail (error, got < 0 ? errno : ESRCH, "xc_domain_getinfolist",
                         "cannot read the memory of domain %u", domid);
  g_mutex_lock (&self->lock);
  domain = g_hash_table_lookup (self->domains, GUINT_TO_POINTER (domid));
  if (domain != NULL && domain->built_mib != NULL)
    built_mib = g_memdup2 (domain->built_mib, sizeof (guint64) * self->n_nodes);
  g_mutex_unlock (&self->lock);
  memset (mib_by_node, 0, sizeof (guint64) * self->n_nodes);
  if (built_mib != NULL) {
    xa_xen_domain_fill_ranges (built_mib, self->n_nodes, info.tot_pages, mib_by_node);
    return TRUE;
  }
  if (!xa_xen_list_node_affinity (self, self->n_nodes, domid, &nodes, error))
    return FALSE;
  xa_xen_list_spread_pages (nodes != 0 ? nodes : XA_NODESET_BIT (0), info.tot_pages,
                            mib_by_node);
  return TRUE;
}

/* Free memory per node as Xen counts it; claims are host-wide on 4.17, so
 * no node has any of its own. */
static gboolean
xa_xen_domain_free_memory (XaHost *host, guint64 *free_mib, guint64 *claimed_mib,
                           GError **error)
{
  XaXenHost *self = xa_xen_host_of (host);

  if (claimed_mib != NULL)
    memset (claimed_mib, 0, sizeof (guint64) * self->n_nodes);
  return xa_xen_host_read_numa_free (self, free_mib, error);
}

const XaHostClass xa_xen_host_class = {
  .kind = "xen",
  .domain_memory_estimated = TRUE,
  .snapshot = xa_xen_host_snapshot,
  .lock = xa_xen_host_lock,
  .check_guest = xa_xen_host_check_guest,
  .free_memory = xa_xen_domain_free_memory,
  .create_domain = xa_xen_domain_create,
  .set_max_vcpus = xa_xen_domain_set_max_vcpus,
  .set_timer_mode = xa_xen_domain_set_timer_mode,
  .set_max_mem = xa_xen_domain_set_max_mem,
  .set_vcpu_affinity = xa_xen_domain_set_vcpu_affinity,
  .set_node_affinity = xa_xen_domain_set_node_affinity,
  .claim = xa_xen_domain_claim,
  .build_blocking = xa_xen_build_blocking,
  .unpause = xa_xen_domain_unpause,
  .destroy = xa_xen_domain_destroy,
  .domain_memory = xa_xen_domain_memory,
  .watch_domains = xa_xen_watch_domains,
  .unwatch_domains = xa_xen_unwatch_domains,
  .free = xa_xen_host_free,
};
