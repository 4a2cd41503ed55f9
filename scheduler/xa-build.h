/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The per-VM build job: build_pre in Xen's order, then the build and its end. */

#include "xa-scheduler-private.h"

G_BEGIN_DECLS

gboolean xa_build_begin (XaVm *vm);
void xa_build_start_batch (XaVm *vm);
gboolean xa_build_create_domain (XaVm    *vm,
                                 GError **error);
gboolean xa_build_size_domain (XaVm    *vm,
                               GError **error);
gboolean xa_build_set_affinity (XaVm      *vm,
                                XaNodeSet  nodes,
                                GError   **error);
void xa_build_domain (XaVm *vm);
gboolean xa_build_destroy (XaVm    *vm,
                           GError **error);
gboolean xa_build_keep_domain (XaVm         *vm,
                               const gchar  *reason,
                               const GError *kept,
                               GError      **error);
gboolean xa_build_settle_actuals (XaScheduler  *self,
                                  GError      **error);
void xa_build_fail_error (XaVm         *vm,
                          const GError *error);

G_END_DECLS
