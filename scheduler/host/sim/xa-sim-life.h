/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "xa-sim-private.h"

G_BEGIN_DECLS

void xa_sim_life_started (XaSimHost   *self,
                          XaSimDomain *sd);
void xa_sim_life_resume (XaSimHost *self);
void xa_sim_life_forget (XaSimHost   *self,
                         XaSimDomain *sd);
gboolean xa_sim_life_watch (XaHost          *host,
                            XaHostDomainDown down,
                            gpointer         user_data,
                            GError         **error);
void xa_sim_life_unwatch (XaHost *host);

G_END_DECLS
