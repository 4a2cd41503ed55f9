/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "xa-admission.h"

G_BEGIN_DECLS

/* VMs that reach the host over time, each submitted at its own time on the
 * host's clock, as a boot submits a manifest. */
typedef struct _XaArrivals XaArrivals;

XaArrivals *xa_arrivals_new (XaAdmission   *admission,
                             const gchar   *group,
                             GPtrArray     *requests,
                             GPtrArray     *guests,
                             const gdouble *at_s,
                             GError       **error);
void xa_arrivals_free (XaArrivals *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XaArrivals, xa_arrivals_free)

G_END_DECLS
