/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "xa-error.h"
#include "xa-file.h"
#include "xa-xen-private.h"
#include "xa-name.h"
#include "xa-text.h"

/* Buffers that libxen returns with malloc() are released with g_free():
 * since GLib 2.46 g_malloc() is the system malloc(). */

#define XA_XEN_DISTANCE_REMOTE 20
#define XA_XEN_CPUTOPO_ATTEMPTS 3

/* One admitter per host: its lock lives here while it runs. */
#define XA_XEN_RUN_DIR "/run/xadmit"

/* 4 KiB pages: 256 to the MiB. */
static guint64
xa_xen_host_pages_to_mib (guint64 pages)
{
  return pages >> 8;
}

/* libxc, libxencall and libxenguest speak through this logger: their lines
 * go to the debug log (--verbose), below-info chatter (buffer statistics)
 * nowhere, and the caller reports the failure in one sentence. Logging must
 * not change errno, which the caller reads next. */
static void G_GNUC_PRINTF (5, 0)
xa_xen_host_log_vmessage (xentoollog_logger *logger G_GNUC_UNUSED, xentoollog_level level,
                          int errnoval, const char *context, const char *format,
                          va_list args)
{
  gint errsv = errno;
  g_autofree gchar *text = NULL;

  if (level < XTL_INFO)
    return;
  text = g_strdup_vprintf (format, args);
  if (errnoval >= 0)
    g_debug ("%s: %s: %s", context != NULL ? context : "xen", text, g_strerror (errnoval));
  else
    g_debug ("%s: %s", context != NULL ? context : "xen", text);
  errno = errsv;
}

/* The logger is static: there is nothing to free. */
static void
xa_xen_host_log_destroy (xentoollog_logger *logger G_GNUC_UNUSED)
{
}

static xentoollog_logger xa_xen_host_logger = {
  .vmessage = xa_xen_host_log_vmessage,
  .progress = NULL,
  .destroy = xa_xen_host_log_destroy,
};

/* In a guest, /dev/xen/privcmd exists too, but the hypervisor refuses the
 * host-wide calls: say so rather than "Operation not permitted". */
static gboolean
xa_xen_host_read_physinfo (XaXenHost *self, xc_physinfo_t *physinfo, GError **error)
{
  gint errsv;

  if (xc_physinfo (self->xch, physinfo) == 0)
    return TRUE;
  errsv = errno;
  if (errsv == EPERM || errsv == EACCES) {
    g_set_error (error, XA_ERROR, XA_ERROR_NO_HYPERVISOR,
                 "xc_physinfo: the hypervisor refused to describe the host (%s): "
                 "this machine is a Xen guest, not dom0 (use --host sim)",
                 g_strerror (errsv));
    return FALSE;
  }
  return xa_host_fail (error, errsv, "xc_physinfo", "cannot read the host's memory and CPUs");
}

/* A host name that is not a valid xadmit name (docs/formats.md) is not used. */
static const gchar *
xa_xen_host_name (void)
{
  const gchar *name = g_get_host_name ();

  return xa_name_validate (name, NULL) ? name : "xen";
}

/* Offline nodes report XEN_INVALID_MEM_SZ, which is ~0U, not ~0ULL. */
static guint64
xa_xen_host_bytes_to_mib (uint64_t bytes)
{
  return bytes == XEN_INVALID_MEM_SZ ? 0 : bytes >> 20;
}

/* As in an ACPI SLIT: ~0U (no distance) and anything above 255 mean "no path". */
static guint32
xa_xen_host_distance (uint32_t distance)
{
  if (distance == XEN_INVALID_NODE_DIST || distance > XA_DISTANCE_MAX_REACHABLE)
    return XA_DISTANCE_UNREACHABLE;
  return distance;
}

/* An invalid table from a real host is not fatal: the nodes are treated as
 * equidistant, and a node unreachable from itself stays unusable. */
static void
xa_xen_host_set_distances (XaHostInfo *info, const uint32_t *xen_distances)
{
  guint n = info->n_nodes;
  guint from = 0;
  guint to = 0;

  for (guint i = 0; i < n * n; i++)
    info->distances[i] = xa_xen_host_distance (xen_distances[i]);
  if (xa_topology_distances_valid (info->distances, info->n_nodes, &from, &to))
    return;
  g_warning ("xc_numainfo: the distance from node %u to node %u is %u, which is not "
             "a valid SLIT distance, so the host's nodes are treated as equidistant",
             from, to, info->distances[from * n + to]);
  for (guint i = 0; i < n; i++) {
    for (guint j = 0; j < n; j++) {
      guint32 *d = &info->distances[i * n + j];

      if (i != j)
        *d = XA_XEN_DISTANCE_REMOTE;
      else if (*d != XA_DISTANCE_UNREACHABLE)
        *d = XA_DISTANCE_LOCAL;
    }
  }
}

static gboolean
xa_xen_host_count_nodes (XaXenHost *self, unsigned *n_nodes, GError **error)
{
  *n_nodes = 0;
  if (xc_numainfo (self->xch, n_nodes, NULL, NULL) != 0)
    return xa_host_fail (error, errno, "xc_numainfo", "cannot read the NUMA topology");
  if (*n_nodes == 0 || *n_nodes > XA_MAX_NODES) {
    g_set_error (error, XA_ERROR, XA_ERROR_FAILED,
                 "xc_numainfo: the host reports %u NUMA nodes (xadmit handles 1 to %d)",
                 *n_nodes, XA_MAX_NODES);
    return FALSE;
  }
  return TRUE;
}

/**
 * xa_xen_host_read_numa_free:
 * @self: the host
 * @free_mib: (array) (out caller-allocates): free MiB on each of its nodes
 * @error: a #GError
 *
 * Returns: %TRUE if read
 */
gboolean
xa_xen_host_read_numa_free (XaXenHost *self, guint64 *free_mib, GError **error)
{
  unsigned n = self->n_nodes;
  g_autofree xc_meminfo_t *meminfo = g_new0 (xc_meminfo_t, n);
  /* xc_numainfo fills both or neither */
  g_autofree uint32_t *distances = g_new0 (uint32_t, (gsize) n * n);

  if (xc_numainfo (self->xch, &n, meminfo, distances) != 0)
    return xa_host_fail (error, errno, "xc_numainfo", "cannot read the free memory per node");
  for (guint i = 0; i < self->n_nodes; i++)
    free_mib[i] = i < n ? MIN (xa_xen_host_bytes_to_mib (meminfo[i].memfree),
                               xa_xen_host_bytes_to_mib (meminfo[i].memsize)) : 0;
  return TRUE;
}

/* Per-node memory and distances; dirty memory is not exported by Xen 4.17
 * (scrub_pages is always 0), so dirty_mib stays 0. */
static XaHostInfo *
xa_xen_host_read_numa (XaXenHost *self, GError **error)
{
  unsigned n = 0;
  g_autofree xc_meminfo_t *meminfo = NULL;
  g_autofree uint32_t *distances = NULL;
  XaHostInfo *info;

  if (!xa_xen_host_count_nodes (self, &n, error))
    return NULL;
  meminfo = g_new0 (xc_meminfo_t, n);
  distances = g_new0 (uint32_t, (gsize) n * n);
  /* Xen returns the count it filled in, and lays the distances out by it. */
  if (xc_numainfo (self->xch, &n, meminfo, distances) != 0) {
    xa_host_fail (error, errno, "xc_numainfo", "cannot read the NUMA topology");
    return NULL;
  }
  if (n == 0) {
    g_set_error_literal (error, XA_ERROR, XA_ERROR_FAILED,
                         "xc_numainfo: the host reports no NUMA node");
    return NULL;
  }
  info = xa_host_info_new (xa_xen_host_name (), n);
  for (guint i = 0; i < n; i++) {
    info->nodes[i].total_mib = xa_xen_host_bytes_to_mib (meminfo[i].memsize);
    info->nodes[i].free_mib = MIN (xa_xen_host_bytes_to_mib (meminfo[i].memfree),
                                   info->nodes[i].total_mib);
  }
  xa_xen_host_set_distances (info, distances);
  return info;
}

/* Two calls: the count, then the entries. A CPU brought up between the two
 * makes the second fail with ENOBUFS, so it is asked again. */
static xc_cputopo_t *
xa_xen_host_read_cputopo (XaXenHost *self, unsigned *n_cpus, GError **error)
{
  gint errsv = ENOBUFS;

  for (guint attempt = 0; attempt < XA_XEN_CPUTOPO_ATTEMPTS && errsv == ENOBUFS; attempt++) {
    g_autofree xc_cputopo_t *topo = NULL;

    *n_cpus = 0;
    if (xc_cputopoinfo (self->xch, n_cpus, NULL) != 0) {
      errsv = errno;
      break;
    }
    topo = g_new0 (xc_cputopo_t, MAX (*n_cpus, 1));
    if (xc_cputopoinfo (self->xch, n_cpus, topo) == 0)
      return g_steal_pointer (&topo);
    errsv = errno;
  }
  xa_host_fail (error, errsv, "xc_cputopoinfo", "cannot read the CPU topology");
  return NULL;
}

/* Physical cores are distinct (socket, core) pairs; a CPU whose core is
 * unknown counts as a core of its own. */
static guint
xa_xen_host_count_cores (const xc_cputopo_t *topo, unsigned n_cpus, guint node)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_autofree gint64 *keys = g_new0 (gint64, MAX (n_cpus, 1));
  guint lone = 0;

  for (unsigned c = 0; c < n_cpus; c++) {
    if (topo[c].node != node)
      continue;
    if (topo[c].core == XEN_INVALID_CORE_ID || topo[c].socket == XEN_INVALID_SOCKET_ID) {
      lone++;
      continue;
    }
    keys[c] = (gint64) (((guint64) topo[c].socket << 32) | topo[c].core);
    g_hash_table_add (seen, &keys[c]);
  }
  return g_hash_table_size (seen) + lone;
}

/* CPUs with no node (absent, or outside the nodes xc_numainfo reported) are
 * skipped; walking the ids in order keeps each node's list ascending. */
static gboolean
xa_xen_host_read_cpus (XaXenHost *self, XaHostInfo *info, GError **error)
{
  unsigned n_cpus = 0;
  g_autofree xc_cputopo_t *topo = xa_xen_host_read_cputopo (self, &n_cpus, error);

  if (topo == NULL)
    return FALSE;
  for (unsigned c = 0; c < n_cpus; c++) {
    guint cpu = c;

    if (topo[c].node == XEN_INVALID_NODE_ID || topo[c].node >= info->n_nodes)
      continue;
    g_array_append_val (info->nodes[topo[c].node].cpus, cpu);
  }
  for (guint n = 0; n < info->n_nodes; n++)
    info->nodes[n].n_cores = xa_xen_host_count_cores (topo, n_cpus, n);
  return TRUE;
}

/* Host-wide figures only go to the debug log: XaHostInfo is per node, and
 * outstanding claims have no node on Xen 4.17. */
static void
xa_xen_host_log_physinfo (const xc_physinfo_t *physinfo)
{
  g_debug ("xc_physinfo: %u %s online, %u %s, %" G_GUINT64_FORMAT " MiB, "
           "%" G_GUINT64_FORMAT " MiB free, %" G_GUINT64_FORMAT " MiB claimed",
           physinfo->nr_cpus, xa_text_plural (physinfo->nr_cpus, "CPU", "CPUs"),
           physinfo->nr_nodes, xa_text_plural (physinfo->nr_nodes, "node", "nodes"),
           xa_xen_host_pages_to_mib (physinfo->total_pages),
           xa_xen_host_pages_to_mib (physinfo->free_pages),
           xa_xen_host_pages_to_mib (physinfo->outstanding_pages));
}

/* The host's identity in the ledger: dom0's machine id, as a UUID. */
static gchar *
xa_xen_host_uuid (void)
{
  g_autofree gchar *id = NULL;
  gsize len = 0;

  if (!xa_file_read ("/etc/machine-id", 64, &id, &len, NULL) ||
      strlen (g_strstrip (id)) != 32)
    return NULL;
  return g_strdup_printf ("%.8s-%.4s-%.4s-%.4s-%.12s", id, id + 8, id + 12, id + 16, id + 20);
}

XaHostInfo *
xa_xen_host_snapshot (XaHost *host, GError **error)
{
  XaXenHost *self = (XaXenHost *) host;
  xc_physinfo_t physinfo = { 0 };
  g_autoptr(XaHostInfo) info = NULL;

  if (!xa_xen_host_read_physinfo (self, &physinfo, error))
    return NULL;
  xa_xen_host_log_physinfo (&physinfo);
  info = xa_xen_host_read_numa (self, error);
  if (info == NULL)
    return NULL;
  if (!xa_xen_host_read_cpus (self, info, error) ||
      !xa_xen_list_domains (self, info, error))
    return NULL;
  /* Stock Xen 4.17: host-wide claims only. The rates and overheads keep
   * xa_host_info_new's defaults (1 MiB per VM, 1176 KiB per vCPU). */
  info->node_claims = FALSE;
  info->uuid = xa_xen_host_uuid ();
  info->time_s = xa_clock_now (host->clock);
  return g_steal_pointer (&info);
}

gboolean
xa_xen_host_lock (XaHost *host, GError **error)
{
  XaXenHost *self = (XaXenHost *) host;

  if (self->lock_fd >= 0)
    return TRUE;
  if (g_mkdir_with_parents (XA_XEN_RUN_DIR, 0700) != 0) {
    gint saved_errno = errno;

    g_set_error (error, XA_ERROR, xa_file_error_for_errno (saved_errno),
                 "%s: cannot create it: %s", XA_XEN_RUN_DIR, g_strerror (saved_errno));
    return FALSE;
  }
  return xa_file_lock (XA_XEN_RUN_DIR "/xen.lock", "this Xen host", &self->lock_fd, error);
}

/* Builds the host checks its guests for: a PV kernel to boot. */
gboolean
xa_xen_host_check_guest (XaHost *host, const XaGuest *guest, GError **error)
{
  if (guest != NULL && guest->type == XA_GUEST_PVH) {
    g_set_error_literal (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                         "type: \"pvh\" cannot be built on Xen yet: xadmit builds PV guests "
                         "(use \"type\": \"pv\")");
    return FALSE;
  }
  if (guest == NULL || guest->kernel == NULL) {
    g_set_error_literal (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                         "kernel: a VM started on Xen boots a kernel, and this one names none "
                         "(docs/formats.md, \"kernel\")");
    return FALSE;
  }
  return TRUE;
}

static void
xa_xen_host_destroy (XaXenHost *self)
{
  xa_xen_unwatch_domains (&self->parent);
  if (self->xch != NULL)
    xc_interface_close (self->xch);
  if (self->xs != NULL)
    xs_close (self->xs);
  g_clear_pointer (&self->domains, g_hash_table_unref);
  g_mutex_clear (&self->lock);
  if (self->lock_fd >= 0)
    g_close (self->lock_fd, NULL);
  g_free (self);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XaXenHost, xa_xen_host_destroy)

void
xa_xen_host_free (XaHost *host)
{
  xa_xen_host_destroy ((XaXenHost *) host);
}

/**
 * xa_xen_host_open_interface:
 * @error: a #GError in %XA_ERROR: %XA_ERROR_NO_HYPERVISOR, or
 *   %XA_ERROR_PERMISSION for a user who is not root
 *
 * Returns: (transfer full): a handle of libxenctrl's, or %NULL
 */
xc_interface *
xa_xen_host_open_interface (GError **error)
{
  xc_interface *xch;
  gint errsv;

  if (!g_file_test (XA_XEN_PRIVCMD, G_FILE_TEST_EXISTS)) {
    g_set_error_literal (error, XA_ERROR, XA_ERROR_NO_HYPERVISOR,
                         XA_XEN_PRIVCMD " does not exist, so this machine is not "
                         "a Xen dom0 (use --host sim)");
    return NULL;
  }
  errno = 0;
  xch = xc_interface_open (&xa_xen_host_logger, &xa_xen_host_logger, 0);
  if (xch != NULL)
    return xch;
  errsv = errno;
  if (xa_file_error_for_errno (errsv) == XA_ERROR_PERMISSION) {
    g_set_error_literal (error, XA_ERROR, XA_ERROR_PERMISSION,
                         XA_XEN_PRIVCMD ": opening it needs root (run as root, or use --host sim)");
    return NULL;
  }
  g_set_error (error, XA_ERROR, XA_ERROR_NO_HYPERVISOR,
               "xc_interface_open: cannot open " XA_XEN_PRIVCMD ": %s", g_strerror (errsv));
  return NULL;
}

/**
 * xa_xen_host_new:
 * @error: a #GError
 *
 * Opens this machine's hypervisor and checks that it answers host-wide
 * calls, so that a guest or a non-root user fails here, in one sentence.
 *
 * Returns: (transfer full): the host, or %NULL
 */
XaHost *
xa_xen_host_new (GError **error)
{
  g_autoptr(XaXenHost) self = g_new0 (XaXenHost, 1);
  xc_physinfo_t physinfo = { 0 };

  self->parent.klass = &xa_xen_host_class;
  self->lock_fd = -1;
  g_mutex_init (&self->lock);
  self->domains = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) xa_xen_domain_free);
  self->xch = xa_xen_host_open_interface (error);
  if (self->xch == NULL)
    return NULL;
  if (!xa_xen_host_read_physinfo (self, &physinfo, error) ||
      !xa_xen_host_count_nodes (self, &self->n_nodes, error))
    return NULL;
  self->xs = xs_open (0);
  if (self->xs == NULL)
    g_debug ("xs_open: cannot reach xenstore (%s), so domains are named domid-N and none "
             "can be built", g_strerror (errno));
  self->parent.clock = xa_clock_new_real ();
  return (XaHost *) g_steal_pointer (&self);
}
