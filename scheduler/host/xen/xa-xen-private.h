/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the Xen backend's files share: the host (xa-xen-host.c reads it),
 * the domains it builds (xa-xen-domain.c, xa-xen-build.c) and their
 * xenstore entries (xa-xen-xs.c). */

#include <xenctrl.h>
#include <xenstore.h>

#include "xa-xen-host.h"

G_BEGIN_DECLS

typedef struct xs_handle XaXsHandle;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XaXsHandle, xs_close)

/**
 * XaXenDomain:
 * @uuid: its handle, the request's UUID
 * @vcpus: its vCPUs
 * @built_mib: (nullable): the MiB per node its build populates exactly
 *   (strict); %NULL where it followed its node affinity
 *
 * A domain this process created, until it destroys it.
 */
typedef struct {
  gchar *uuid;
  guint vcpus;
  guint64 *built_mib;
} XaXenDomain;

typedef struct {
  XaHost parent;
  xc_interface *xch;
  /* %NULL where xenstore cannot be reached: then nothing can be built */
  struct xs_handle *xs;
  gint lock_fd;
  gboolean said_estimated;
  guint n_nodes;
  /* the builds run in the pool's threads: @lock guards @domains */
  GMutex lock;
  /* domid -> XaXenDomain */
  GHashTable *domains;
  /* @releaseDomain, while someone watches (xa-xen-watch.c) */
  GSource *watch;
  XaHostDomainDown down;
  gpointer down_data;
} XaXenHost;

/* 4 KiB pages: 256 to the MiB. */
#define XA_XEN_PAGES_PER_MIB 256

void xa_xen_domain_free (XaXenDomain *domain);

xc_interface *xa_xen_host_open_interface (GError **error);
gboolean xa_xen_host_read_numa_free (XaXenHost  *self,
                                     guint64    *free_mib,
                                     GError    **error);

/* xa-xen-host.c: the host */
XaHostInfo *xa_xen_host_snapshot (XaHost  *host,
                                  GError **error);
gboolean xa_xen_host_lock (XaHost  *host,
                           GError **error);
gboolean xa_xen_host_check_guest (XaHost         *host,
                                  const XaGuest  *guest,
                                  GError        **error);
void xa_xen_host_free (XaHost *host);

/* xa-xen-list.c: the domains of a snapshot */
gboolean xa_xen_list_domains (XaXenHost   *self,
                              XaHostInfo  *info,
                              GError     **error);
void xa_xen_list_spread_pages (XaNodeSet  nodes,
                               guint64    tot_pages,
                               guint64   *by_node_mib);
gboolean xa_xen_list_node_affinity (XaXenHost   *self,
                                    guint        n_nodes,
                                    guint32      domid,
                                    XaNodeSet   *out,
                                    GError     **error);

/* xa-xen-domain.c: the calls of a build before and after the xenguest
 * step, and the class */
extern const XaHostClass xa_xen_host_class;
guint xa_xen_domain_vcpus (XaXenHost *self,
                           guint32    domid);

/* xa-xen-build.c: the xenguest step, in a thread of the pool */
gboolean xa_xen_build_blocking (XaHost             *host,
                                guint32             domid,
                                const XaBuildSpec  *spec,
                                GCancellable       *cancellable,
                                GError            **error);

/* xa-xen-watch.c */
const gchar *xa_xen_down_reason (const xc_domaininfo_t *info);
gboolean xa_xen_watch_domains (XaHost            *host,
                               XaHostDomainDown   down,
                               gpointer           user_data,
                               GError           **error);
void xa_xen_unwatch_domains (XaHost *host);

/* xa-xen-xs.c */
gboolean xa_xen_xs_make_domain (struct xs_handle  *xs,
                                guint32            domid,
                                const gchar       *uuid,
                                const gchar       *name,
                                GError           **error);

/**
 * XaXenXsBuilt:
 * @memory_mib: the guest's memory
 * @vcpus: its vCPUs
 * @store_port: its xenstore event channel; @store_mfn its ring
 * @console_port: its console event channel; @console_mfn its ring
 */
typedef struct {
  guint64 memory_mib;
  guint vcpus;
  guint32 store_port;
  guint64 store_mfn;
  guint32 console_port;
  guint64 console_mfn;
} XaXenXsBuilt;

gboolean xa_xen_xs_finish_domain (struct xs_handle    *xs,
                                  guint32              domid,
                                  const XaXenXsBuilt  *built,
                                  GError             **error);
void xa_xen_xs_remove_domain (struct xs_handle *xs,
                              guint32           domid);

G_END_DECLS
