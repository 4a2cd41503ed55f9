/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "xa-request.h"
#include "xa-topology.h"

G_BEGIN_DECLS

XaTopology *xa_test_topology_new (guint   n_nodes,
                                  guint64 free_mib);
GPtrArray *xa_test_requests_new (void);
XaRequest *xa_test_add_vm (GPtrArray   *requests,
                           const gchar *name,
                           guint64      memory_mib,
                           guint        vcpus);

G_END_DECLS
