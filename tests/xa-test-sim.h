/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "xa-host.h"
#include "xa-test-util.h"

G_BEGIN_DECLS

/* A suite's fixture: a folder for host and state files, and the host. */
typedef struct {
  XaTestDir *dir;
  XaHost *host;
} XaTestSim;

/* A build's end, as its callback saw it. */
typedef struct {
  gboolean ended;
  gdouble at_s;
  GError *error;
  XaClock *clock;
} XaTestSimBuild;

gchar *xa_test_sim_host_text (guint        nodes,
                              guint        lanes,
                              const gchar *extra);
XaHost *xa_test_sim_open_text (XaTestSim   *f,
                               const gchar *text,
                               const gchar *state);
XaHost *xa_test_sim_open (XaTestSim   *f,
                          guint        nodes,
                          guint        lanes,
                          const gchar *extra,
                          const gchar *state);
typedef void (*XaTestSimFunc) (XaTestSim     *f,
                               gconstpointer  data);

void xa_test_sim_add (const gchar   *path,
                      XaTestSimFunc  func);
guint32 xa_test_sim_create (XaHost      *host,
                            const gchar *name,
                            guint        vcpus,
                            guint64      max_mib);
guint32 xa_test_sim_create_claimed (XaHost      *host,
                                    const gchar *name,
                                    gint         node,
                                    guint64      mib);
void xa_test_sim_set_soft_affinity (XaHost  *host,
                                    guint32  domid,
                                    guint    first_cpu,
                                    guint    n_cpus);
void xa_test_sim_start_build_spec (XaHost            *host,
                                   guint32            domid,
                                   const XaBuildSpec *spec,
                                   XaTestSimBuild    *result);
void xa_test_sim_start_build (XaHost         *host,
                              guint32         domid,
                              const gchar    *name,
                              guint64         mib,
                              XaTestSimBuild *result);
void xa_test_sim_run_clock (XaHost *host);
void xa_test_sim_build_spec (XaHost            *host,
                             guint32            domid,
                             const XaBuildSpec *spec,
                             XaTestSimBuild    *result);
void xa_test_sim_build (XaHost         *host,
                        guint32         domid,
                        const gchar    *name,
                        guint64         mib,
                        XaTestSimBuild *result);
guint32 xa_test_sim_build_vm (XaHost         *host,
                              guint64         mib,
                              XaTestSimBuild *result);
guint64 xa_test_sim_memory_on (XaHost  *host,
                               guint32  domid,
                               guint    node);

G_END_DECLS
