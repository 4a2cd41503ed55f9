/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "xa-host.h"
#include "xa-store.h"

G_BEGIN_DECLS

/* What xa_sim_local_admitted() found of a VM at its admission, for the
 * lives after this one. */
typedef void (*XaSimLocalNote) (const gchar *name,
                                gboolean     fits,
                                gpointer     user_data);

typedef struct _XaSimLocal XaSimLocal;

XaSimLocal *xa_sim_local_new (GPtrArray      *vms,
                              XaSimLocalNote  note,
                              gpointer        user_data);
void xa_sim_local_free (XaSimLocal *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XaSimLocal, xa_sim_local_free)

void xa_sim_local_set_fits (XaSimLocal  *self,
                            const gchar *name,
                            gboolean     fits);
void xa_sim_local_admitted (XaSimLocal       *self,
                            const XaHostInfo *info,
                            const guint64    *owed,
                            GPtrArray        *admitted);
gboolean xa_sim_local_check (XaSimLocal       *self,
                             XaStore          *store,
                             gint64            host_id,
                             const XaHostInfo *info,
                             GPtrArray        *rows,
                             GError          **error);

G_END_DECLS
