/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "xa-host.h"
#include "xa-sim-local.h"
#include "xa-store.h"

G_BEGIN_DECLS

#define XA_SIM_CHECK_ERROR (xa_sim_check_error_quark ())
GQuark xa_sim_check_error_quark (void);

/* The invariants, as a failure names them (the error's code). */
typedef enum {
  XA_SIM_INVARIANT_OVER_PLANNED,
  XA_SIM_INVARIANT_CLAIMS,
  XA_SIM_INVARIANT_STATES,
  XA_SIM_INVARIANT_RUNNING,
  XA_SIM_INVARIANT_BUILT_TWICE,
  XA_SIM_INVARIANT_LOST,
  XA_SIM_INVARIANT_GROUP,
  XA_SIM_INVARIANT_STRICT,
  XA_SIM_INVARIANT_LOCAL,
  XA_SIM_INVARIANT_STOPS,
  XA_SIM_INVARIANT_ALIVE,
} XaSimInvariant;

const gchar *xa_sim_invariant_describe (XaSimInvariant invariant);

typedef struct _XaSimCheck XaSimCheck;

XaSimCheck *xa_sim_check_new (gboolean    destroy_may_fail,
                              XaSimLocal *local);
void xa_sim_check_free (XaSimCheck *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XaSimCheck, xa_sim_check_free)

void xa_sim_check_submitted (XaSimCheck  *self,
                             const gchar *name);
void xa_sim_check_cancelled (XaSimCheck  *self,
                             const gchar *name);
gboolean xa_sim_check_now (XaSimCheck *self,
                           XaHost     *host,
                           XaStore    *store,
                           gint64      host_id,
                           GError    **error);
gboolean xa_sim_check_logs (XaSimCheck *self,
                            XaStore    *store,
                            gint64      host_id,
                            GError    **error);

G_END_DECLS
