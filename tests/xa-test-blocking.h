/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "xa-host-backend.h"

G_BEGIN_DECLS

#define XA_TEST_BLOCKING_NODES 2
#define XA_TEST_BLOCKING_WORKERS 4

/* A host whose builds block, as libxenguest's do, on the real clock: the
 * scheduler's builds run in xa-host-pool.c's threads. Each build waits until
 * XA_TEST_BLOCKING_WORKERS of them run at once (a barrier, not a sleep), so
 * a test sees the pool's parallelism; the builds after the first
 * XA_TEST_BLOCKING_WORKERS pass straight. */
typedef struct {
  XaHost parent;
  GThread *main_thread;
  GMutex lock;
  GCond cond;
  /* under lock: */
  GPtrArray *domains;
  guint32 next_domid;
  guint active;
  guint peak;
  gboolean gate_open;
  guint built;
  guint stopped;
  guint unpaused;
  /* its snapshots count each domain's pages on the other node than
   * domain_memory said, as Xen's 'u' table corrects an estimate */
  gboolean counts_differ;
  /* this many domains, once unpaused, crash at the next turn of the main
   * loop */
  guint crashes;
  XaHostDomainDown down;
  gpointer down_data;
  guint watching;
  gboolean built_on_main;
  /* main thread only: */
  gboolean finished_off_main;
} XaTestBlockingHost;

XaTestBlockingHost *xa_test_blocking_host_new (void);
XaHostDomain *xa_test_blocking_find_domain (XaTestBlockingHost *self,
                                            guint32       domid,
                                            const gchar  *call,
                                            GError      **error);

G_END_DECLS
