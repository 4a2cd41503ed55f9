/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "xa-error.h"
#include "xa-guest.h"
#include "xa-host.h"

G_BEGIN_DECLS

/* The interface a backend implements (one folder each: sim/, xen/), and
 * what the backends share. Not for the host layer's users: they see xa-host.h. */
typedef struct {
  const gchar *kind;
  /* domain_memory may be an estimate, which a snapshot corrects */
  gboolean domain_memory_estimated;
  void (*set_seed) (XaHost *host, guint32 seed);
  XaHostInfo *(*snapshot) (XaHost *host, GError **error);
  /* the nodes, the loads of all domains, and only the domains @domids;
   * %NULL: snapshot */
  XaHostInfo *(*snapshot_some) (XaHost *host, const guint32 *domids, guint n_domids,
                                GError **error);
  gboolean (*lock) (XaHost *host, GError **error);
  /* whether the host can boot @guest at all; %NULL: any */
  gboolean (*check_guest) (XaHost *host, const XaGuest *guest, GError **error);
  /* what the host keeps between runs (a simulated host's state file) */
  gboolean (*save) (XaHost *host, GError **error);
  gboolean (*free_memory) (XaHost *host, guint64 *free_mib, guint64 *claimed_mib, GError **error);
  gboolean (*create_domain) (XaHost *host, const XaDomainSpec *spec, guint32 *out_domid,
                             GError **error);
  gboolean (*set_max_vcpus) (XaHost *host, guint32 domid, guint vcpus, GError **error);
  gboolean (*set_timer_mode) (XaHost *host, guint32 domid, GError **error);
  gboolean (*set_max_mem) (XaHost *host, guint32 domid, guint64 max_mib, GError **error);
  gboolean (*set_vcpu_affinity) (XaHost *host, guint32 domid, GArray *cpus, gboolean hard,
                                 GError **error);
  gboolean (*set_node_affinity) (XaHost *host, guint32 domid, XaNodeSet nodes, GError **error);
  gboolean (*claim) (XaHost *host, guint32 domid, gint node, guint64 mib, GError **error);
  void (*build) (XaHost *host, guint32 domid, const XaBuildSpec *spec, XaHostBuildDone done,
                 gpointer user_data);
  /* instead of build, where a build blocks: run in xa-host-pool.c's threads */
  gboolean (*build_blocking) (XaHost *host, guint32 domid, const XaBuildSpec *spec,
                              GCancellable *cancellable, GError **error);
  gboolean (*unpause) (XaHost *host, guint32 domid, GError **error);
  gboolean (*destroy) (XaHost *host, guint32 domid, GError **error);
  gboolean (*domain_memory) (XaHost *host, guint32 domid, guint64 *mib_by_node, GError **error);
  /* %NULL for a host whose domains never go down by themselves */
  gboolean (*watch_domains) (XaHost *host, XaHostDomainDown down, gpointer user_data,
                             GError **error);
  void (*unwatch_domains) (XaHost *host);
  void (*free) (XaHost *host);
} XaHostClass;

typedef struct _XaHostPool XaHostPool;

struct _XaHost {
  const XaHostClass *klass;
  XaClock *clock;
  XaHostPool *pool;
  /* how often save wrote the host's state: tests count them */
  guint n_saves;
};

gboolean xa_host_fail (GError     **error,
                       gint         errsv,
                       const gchar *call,
                       const gchar *format,
                       ...) G_GNUC_PRINTF (4, 5);

G_END_DECLS
