/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "xa-store.h"
#include "xa-test-util.h"

G_BEGIN_DECLS

#define NODE_MIB (64 * GiB)

/**
 * XaTestStore:
 * @dir: a temporary directory of its own
 * @path: the database, two folders down in @dir
 * @store: the store open on @path
 * @host_id: host "host-1", two nodes of %NODE_MIB
 *
 * A fresh store for one test.
 */
typedef struct {
  XaTestDir *dir;
  gchar *path;
  XaStore *store;
  gint64 host_id;
} XaTestStore;

typedef void (*XaTestStoreFunc) (XaTestStore  *f,
                                 gconstpointer data);

void xa_test_store_add (const gchar    *path,
                        XaTestStoreFunc func);
void xa_test_store_open (XaTestStore *f,
                         const gchar *path);
void xa_test_store_close (XaTestStore *f);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (XaTestStore, xa_test_store_close)

XaStoreTime xa_test_at (gdouble host_s);
void xa_test_submit (XaTestStore *f,
                     const gchar *group,
                     GPtrArray   *vms,
                     gdouble      s);
void xa_test_submit_vms (XaTestStore *f,
                         guint        count,
                         guint64      memory_mib,
                         gdouble      s);
void xa_test_refresh (XaTestStore         *f,
                      guint64              free0,
                      guint64              free1,
                      guint                n_domains,
                      const XaStoreDomain *domains,
                      gdouble              s);
GPtrArray *xa_test_list (XaTestStore    *f,
                         XaRequestState  state);
guint xa_test_count (XaTestStore    *f,
                     XaRequestState  state);
XaStoreRequest *xa_test_nth (GPtrArray *requests,
                             guint      index);
void xa_test_cancel (XaTestStore *f,
                     gint64       request_id,
                     const gchar *reason,
                     gdouble      s);
void xa_test_start_build (XaTestStore    *f,
                          XaStoreRequest *request,
                          gdouble         s);
void xa_test_available (XaTestStore *f,
                        guint64     *available_mib);
XaPlan *xa_test_plan_for (XaTestStore *f,
                          GPtrArray   *queued,
                          gdouble      s);
GPtrArray *xa_test_plan_and_admit (XaTestStore *f,
                                   gdouble      s);
GPtrArray *xa_test_admit_vms (XaTestStore *f,
                              guint        count,
                              guint64      memory_mib);
guint64 *xa_test_planned_mib_of (XaStore     *store,
                                 gint64       host_id,
                                 const gchar *uuid);
void xa_test_build (XaTestStore    *f,
                    XaStoreRequest *request,
                    gdouble         start_s,
                    gdouble         end_s);

G_END_DECLS
