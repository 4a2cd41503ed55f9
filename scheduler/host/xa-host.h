/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "xa-clock.h"
#include "xa-guest.h"
#include "xa-host-info.h"

G_BEGIN_DECLS

/* Errors of the host calls: the code is the errno the hypervisor gave
 * (ENOMEM, EINVAL, ESRCH, ENOSYS...), the message names the call. */
#define XA_HOST_ERROR (xa_host_error_quark ())
GQuark xa_host_error_quark (void);

/**
 * XaDomainSpec:
 * @uuid: the domain's handle: the request's UUID
 * @name: its name
 * @vcpus: its vCPUs
 * @pvh: a PVH guest (else PV)
 */
typedef struct {
  const gchar *uuid;
  const gchar *name;
  guint vcpus;
  gboolean pvh;
} XaDomainSpec;

/**
 * XaBuildSpec:
 * @name: the VM's name
 * @attempt: which attempt this is, from 1
 * @memory_mib: the memory the xenguest step populates
 * @mib_by_node: (nullable) (array length=n_nodes): exactly this much on
 *   each node, as xenguest's vNUMA ranges with exact nodes do; %NULL lets
 *   the allocator follow the domain's affinity. It is what the plan gives
 *   each node, Xen's overhead for the domain included: a backend whose
 *   builder populates the guest's memory alone takes that off
 *   (xa_mem_guest_by_node())
 * @n_nodes: the host's nodes
 * @kernel: (nullable): what the Xen backend boots, with @ramdisk and
 *   @cmdline (nullable)
 */
typedef struct {
  const gchar *name;
  guint attempt;
  guint64 memory_mib;
  const guint64 *mib_by_node;
  guint n_nodes;
  const gchar *kernel;
  const gchar *ramdisk;
  const gchar *cmdline;
} XaBuildSpec;

typedef void (*XaHostBuildDone) (const GError *error,
                                 gpointer      user_data);

/**
 * XaHostDomainDown:
 * @domid: a domain that shut down, rebooted or crashed; 0 with @down
 *   %NULL
 * @down: (nullable): how ("poweroff", "reboot", "crash"...); %NULL when
 *   some domain went away, whose memory may be free now
 * @user_data: what xa_host_watch_domains() was given
 *
 * Called in the main context that asked to watch; again for the same
 * domain on later events, until it is destroyed.
 */
typedef void (*XaHostDomainDown) (guint32      domid,
                                  const gchar *down,
                                  gpointer     user_data);

/**
 * XaHost:
 *
 * A host backend: the simulated host or a real Xen host. The calls are
 * those of libxenctrl and libxenguest that a domain's build needs, in the
 * order docs/design.md gives for Xen.
 */
typedef struct _XaHost XaHost;

const gchar *xa_host_auto_spec (void);
XaHost *xa_host_open (const gchar *spec,
                      const gchar *sim_state,
                      GError     **error);
void xa_host_free (XaHost *host);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XaHost, xa_host_free)

const gchar *xa_host_get_kind (XaHost *host);
gboolean xa_host_can_build (XaHost *host);
guint xa_host_build_timeout_ms (guint64 memory_mib);
gboolean xa_host_domain_memory_is_estimated (XaHost *host);
XaClock *xa_host_get_clock (XaHost *host);
void xa_host_set_seed (XaHost  *host,
                       guint32  seed);
gboolean xa_host_lock (XaHost  *host,
                       GError **error);
gboolean xa_host_save (XaHost  *host,
                       GError **error);
gboolean xa_host_check_guest (XaHost         *host,
                              const XaGuest  *guest,
                              GError        **error);
XaHostInfo *xa_host_snapshot (XaHost  *host,
                              GError **error);
XaHostInfo *xa_host_snapshot_some (XaHost        *host,
                                   const guint32 *domids,
                                   guint          n_domids,
                                   GError       **error);

gboolean xa_host_free_memory (XaHost   *host,
                              guint64  *free_mib,
                              guint64  *claimed_mib,
                              GError  **error);
gboolean xa_host_create_domain (XaHost             *host,
                                const XaDomainSpec *spec,
                                guint32            *out_domid,
                                GError            **error);
gboolean xa_host_set_max_vcpus (XaHost  *host,
                                guint32  domid,
                                guint    vcpus,
                                GError **error);
gboolean xa_host_set_timer_mode (XaHost  *host,
                                 guint32  domid,
                                 GError **error);
gboolean xa_host_set_max_mem (XaHost  *host,
                              guint32  domid,
                              guint64  max_mib,
                              GError **error);
gboolean xa_host_set_vcpu_affinity (XaHost   *host,
                                    guint32   domid,
                                    GArray   *cpus,
                                    gboolean  hard,
                                    GError  **error);
gboolean xa_host_set_node_affinity (XaHost    *host,
                                    guint32    domid,
                                    XaNodeSet  nodes,
                                    GError   **error);
gboolean xa_host_claim (XaHost  *host,
                        guint32  domid,
                        gint     node,
                        guint64  mib,
                        GError **error);
void xa_host_build (XaHost            *host,
                    guint32            domid,
                    const XaBuildSpec *spec,
                    XaHostBuildDone    done,
                    gpointer           user_data);
gboolean xa_host_unpause (XaHost  *host,
                          guint32  domid,
                          GError **error);
gboolean xa_host_destroy (XaHost  *host,
                          guint32  domid,
                          GError **error);
gboolean xa_host_watch_domains (XaHost            *host,
                                XaHostDomainDown   down,
                                gpointer           user_data,
                                GError           **error);
void xa_host_unwatch_domains (XaHost *host);
gboolean xa_host_domain_memory (XaHost   *host,
                                guint32   domid,
                                guint64  *mib_by_node,
                                GError  **error);

G_END_DECLS
