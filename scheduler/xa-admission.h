/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "xa-host.h"
#include "xa-scheduler.h"
#include "xa-store.h"

G_BEGIN_DECLS

/* One host's admitter: its ledger, reconciled with it, and its scheduler. */
typedef struct _XaAdmission XaAdmission;

XaAdmission *xa_admission_open (XaHost                   *host,
                                const gchar              *db_path,
                                const XaSchedulerOptions *options,
                                XaStoreReconciliation   **out_found,
                                GError                  **error);
void xa_admission_free (XaAdmission *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XaAdmission, xa_admission_free)

gboolean xa_admission_submit (XaAdmission *self,
                              const gchar *group,
                              GPtrArray   *requests,
                              GPtrArray   *guests,
                              GPtrArray  **out_left_alone,
                              GPtrArray  **out_changes,
                              GError     **error);
gboolean xa_admission_take_queued (XaAdmission *self,
                                   GError     **error);
GPtrArray *xa_admission_list_others (XaAdmission *self,
                                     GError     **error);
gboolean xa_admission_end_host (XaAdmission *self,
                                GError     **error);
XaScheduler *xa_admission_get_scheduler (XaAdmission *self);
XaStore *xa_admission_get_store (XaAdmission *self);
gint64 xa_admission_get_host_id (XaAdmission *self);

G_END_DECLS
