/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "xa-mem.h"
#include "xa-xen-private.h"
#include "xa-xenguest-run.h"

/*
 * The xenguest step of a build, in a thread of xa-host-pool.c, with
 * handles of its own: the two event channels for dom0's xenstored and
 * xenconsoled, the helper (xa-xenguest-run.c), then the xenstore entries
 * that need the rings the build placed, and the introduction to xenstored.
 */

/* For the xen suite's failure paths: "NAME:die" or "NAME:hang" makes the
 * helper of VM NAME's first attempt stop once populate has run. */
#define XA_XEN_BUILD_TEST_FAULT "XADMIT_XENGUEST_TEST_FAULT"

typedef xc_interface XaXcInterface;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XaXcInterface, xc_interface_close)

static const gchar *
xa_xen_build_test_fault (const XaBuildSpec *spec)
{
  const gchar *fault = g_getenv (XA_XEN_BUILD_TEST_FAULT);
  const gchar *mode;

  if (fault == NULL || spec->attempt != 1 || (mode = strrchr (fault, ':')) == NULL)
    return NULL;
  if ((gsize) (mode - fault) != strlen (spec->name) || !g_str_has_prefix (fault, spec->name))
    return NULL;
  return mode + 1;
}

static gboolean
xa_xen_build_channel (xc_interface *xch, guint32 domid, const gchar *what, guint32 *out_port,
                      GError **error)
{
  xc_evtchn_port_or_error_t port = xc_evtchn_alloc_unbound (xch, domid, 0);

  if (port < 0)
    return xa_host_fail (error, errno, "xc_evtchn_alloc_unbound",
                         "cannot open the %s event channel of domain %u", what, domid);
  *out_port = (guint32) port;
  return TRUE;
}

/* Records the MiB per node a strict build populates, for domain_memory. */
static void
xa_xen_build_remember (XaXenHost *self, guint32 domid, const guint64 *guest_mib)
{
  XaXenDomain *domain;

  g_mutex_lock (&self->lock);
  domain = g_hash_table_lookup (self->domains, GUINT_TO_POINTER (domid));
  if (domain != NULL) {
    g_free (domain->built_mib);
    domain->built_mib = g_memdup2 (guest_mib, sizeof (guint64) * self->n_nodes);
  }
  g_mutex_unlock (&self->lock);
}

/* The helper's build; a strict plan's MiB per node less Xen's overhead
 * become its exact vNUMA ranges. */
static gboolean
xa_xen_build_run (XaXenHost *self, guint32 domid, const XaBuildSpec *spec,
                  GCancellable *cancellable, XaXenXsBuilt *built, GError **error)
{
  g_autoptr(XaXcInterface) xch = xa_xen_host_open_interface (error);
  guint64 guest_mib[XA_MAX_NODES] = { 0 };
  XaXenguestArgs args = { domid, spec->memory_mib, built->vcpus, spec->kernel, spec->ramdisk,
                          spec->cmdline, 0, 0, NULL, spec->n_nodes,
                          xa_xen_build_test_fault (spec) };
  XaXenguestReply reply = { 0 };

  if (xch == NULL ||
      !xa_xen_build_channel (xch, domid, "xenstore", &args.store_port, error) ||
      !xa_xen_build_channel (xch, domid, "console", &args.console_port, error))
    return FALSE;
  if (spec->mib_by_node != NULL) {
    xa_mem_guest_by_node (spec->n_nodes, spec->mib_by_node, spec->memory_mib, guest_mib);
    args.mib_by_node = guest_mib;
    /* before populate: while it fills the ranges in order, other builds'
     * checks see where its pages are going */
    xa_xen_build_remember (self, domid, guest_mib);
  }
  if (!xa_xenguest_run (xa_xenguest_run_helper (), &args,
                        xa_host_build_timeout_ms (spec->memory_mib), cancellable, &reply,
                        error))
    return FALSE;
  built->store_port = args.store_port;
  built->store_mfn = reply.store_mfn;
  built->console_port = args.console_port;
  built->console_mfn = reply.console_mfn;
  return TRUE;
}

/**
 * xa_xen_build_blocking:
 * @host: the Xen host
 * @domid: a domain with its vCPUs, maximum memory, affinity and claim
 * @spec: what to build
 * @cancellable: (nullable): a stop kills the helper
 * @error: a #GError in %XA_HOST_ERROR
 *
 * Returns: whether the domain is built and introduced, ready to unpause
 */
gboolean
xa_xen_build_blocking (XaHost *host, guint32 domid, const XaBuildSpec *spec,
                       GCancellable *cancellable, GError **error)
{
  XaXenHost *self = (XaXenHost *) host;
  XaXenXsBuilt built = { spec->memory_mib, xa_xen_domain_vcpus (self, domid), 0, 0, 0, 0 };
  g_autoptr(XaXsHandle) xs = NULL;

  if (spec->kernel == NULL)
    return xa_host_fail (error, EINVAL, "xc_dom_kernel_file", "%s has no kernel to boot",
                         spec->name);
  if (!xa_xen_build_run (self, domid, spec, cancellable, &built, error))
    return FALSE;
  xs = xs_open (0);
  if (xs == NULL)
    return xa_host_fail (error, errno, "xs_open", "cannot reach xenstore for domain %u", domid);
  return xa_xen_xs_finish_domain (xs, domid, &built, error);
}
