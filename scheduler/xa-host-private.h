/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "xa-host.h"

G_BEGIN_DECLS

/* What each backend implements. */
typedef struct {
  const gchar *kind;
  XaHostInfo *(*snapshot) (XaHost *host, GError **error);
  void (*free) (XaHost *host);
} XaHostClass;

struct _XaHost {
  const XaHostClass *klass;
};

XaHost *xa_sim_host_new (const gchar *topology_path,
                         const gchar *state_path,
                         GError     **error);
XaHost *xa_xen_host_new (GError **error);

G_END_DECLS
