/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "xa-placement.h"
#include "xa-plan-result.h"
#include "xa-policy.h"
#include "xa-request.h"
#include "xa-topology.h"

G_BEGIN_DECLS

/* MiB in a GiB, so that sizes read as they are meant: 16 * GiB */
#define GiB 1024

XaTopology *xa_test_topology_new (guint   n_nodes,
                                  guint64 free_mib);
XaTopology *xa_test_topology_new_xen (guint   n_nodes,
                                      guint64 free_mib);
GPtrArray *xa_test_requests_new (void);
XaRequest *xa_test_add_vm (GPtrArray   *requests,
                           const gchar *name,
                           guint64      memory_mib,
                           guint        vcpus);
void xa_test_add_vms (GPtrArray *requests,
                      guint      count,
                      guint64    memory_mib,
                      guint      vcpus);
GPtrArray *xa_test_requests_of_gib (const guint64 *gib,
                                    guint          n_vms,
                                    guint          vcpus);

XaPlan *xa_test_plan (const XaTopology *topo,
                      GPtrArray        *requests,
                      XaPolicy          policy);
guint64 xa_test_placement_mib (const XaPlacement *placement,
                               guint              n_nodes);
gchar *xa_test_data_path (const gchar *folder,
                          const gchar *name);
gchar *xa_test_host_spec (const gchar *name);
gchar *xa_test_host_spec_at (const gchar *path);

/* A text a parser must refuse, and the one-line message it must give. */
typedef struct {
  const gchar *text;
  const gchar *message;
} XaTestBadCase;

/* Parses @text as a suite's parser does: FALSE and @error if it refuses. */
typedef gboolean (*XaTestParseFunc) (const gchar *text,
                                     GError     **error);

void xa_test_assert_refuses (const XaTestBadCase *cases,
                             gsize                n_cases,
                             XaTestParseFunc      parse);

/* A temporary directory, removed with all it holds: its path is the pointer. */
typedef gchar XaTestDir;

XaTestDir *xa_test_dir_new (void);
void xa_test_dir_free (XaTestDir *dir);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XaTestDir, xa_test_dir_free)
gchar *xa_test_dir_write (const XaTestDir *dir,
                          const gchar     *name,
                          const gchar     *contents);

G_END_DECLS
