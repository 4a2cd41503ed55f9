/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "xa-admission.h"
#include "xa-host-backend.h"
#include "xa-scheduler.h"
#include "xa-test-util.h"

G_BEGIN_DECLS

/**
 * XaTestScheduler:
 * @dir: a temporary directory of its own, for the ledger and the host's state
 * @db: the ledger, in @dir
 * @host: the host the admission is for
 * @admission: the admission, once opened
 * @store: the admission's ledger
 * @host_id: the host's id in @store
 * @scheduler: the admission's scheduler
 * @stop_after: how far a run goes before the test cuts it short
 * @abort: whether the test stops it twice, which destroys the builds under way
 *
 * One admission on a simulated host, for one scheduler test.
 */
typedef struct {
  XaTestDir *dir;
  gchar *db;
  XaHost *host;
  XaAdmission *admission;
  XaStore *store;
  gint64 host_id;
  XaScheduler *scheduler;
  guint stop_after;
  gboolean abort;
} XaTestScheduler;

typedef void (*XaTestSchedulerFunc) (XaTestScheduler *f,
                                     gconstpointer    data);

void xa_test_scheduler_add (const gchar        *path,
                            XaTestSchedulerFunc func);
void xa_test_scheduler_use_dir (XaTestScheduler *f,
                                XaTestDir       *dir);
void xa_test_scheduler_set_up (XaTestScheduler *f,
                               gconstpointer    data);
void xa_test_scheduler_tear_down (XaTestScheduler *f,
                                  gconstpointer    data);
void xa_test_scheduler_open_admission (XaTestScheduler          *f,
                                       const XaSchedulerOptions *options,
                                       XaStoreReconciliation   **out_found);
void xa_test_scheduler_open_sim (XaTestScheduler          *f,
                                 const gchar              *host_file,
                                 const gchar              *state,
                                 const XaSchedulerOptions *options,
                                 XaStoreReconciliation   **out_found);
void xa_test_scheduler_prepare (XaTestScheduler          *f,
                                const gchar              *host_file,
                                const gchar              *state,
                                GPtrArray                *requests,
                                const XaSchedulerOptions *options);
GPtrArray *xa_test_scheduler_manifest (const gchar *name);
void xa_test_scheduler_take_queued (XaTestScheduler *f);
XaRunCounts xa_test_scheduler_run_and_count (XaTestScheduler *f,
                                             XaRun          **out_run);
guint xa_test_scheduler_count_in (XaTestScheduler *f,
                                  XaRequestState   state);
void xa_test_scheduler_assert_ledger_matches_host (XaTestScheduler *f);

G_END_DECLS
