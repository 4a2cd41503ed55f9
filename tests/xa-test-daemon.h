/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "xa-store.h"
#include "xa-test-util.h"

G_BEGIN_DECLS

/* The built xadmit daemon on a kept simulated host, for the suites that
 * drive one: the test queues work in its ledger as another process would,
 * rings it, and reads the ledger and the daemon's stderr lines to know
 * what it did. */

/* How long the test waits for the ledger to say what it expects. */
#define XA_TEST_DAEMON_PATIENCE_US (30 * G_TIME_SPAN_SECOND)

typedef struct {
  XaTestDir *dir;
  gchar *db;
  gchar *state;
  gchar *spec;
  GSubprocess *proc;
  GDataInputStream *err;
  /* every line it said on stderr so far; how far the test looked */
  GString *said;
  gsize scanned;
  /* its stderr is read as the main context runs, until it closes */
  gboolean draining;
  gboolean drained;
  /* the test's own connection to the ledger, and the host there */
  XaStore *store;
  gint64 host_id;
  /* (nullable): more options for the daemons it starts */
  const gchar *const *options;
  /* (nullable): their $NOTIFY_SOCKET */
  const gchar *notify_socket;
} XaTestDaemon;

typedef void (*XaTestDaemonFunc) (XaTestDaemon  *d,
                                  gconstpointer  data);

void xa_test_daemon_add (const gchar      *path,
                         XaTestDaemonFunc  func);
void xa_test_daemon_start (XaTestDaemon *d,
                           const gchar  *speed);
void xa_test_daemon_start_dying (XaTestDaemon *d,
                                 const gchar  *speed,
                                 guint         die_at);
void xa_test_daemon_start_building (XaTestDaemon *d,
                                    const gchar  *speed);
void xa_test_daemon_drain (XaTestDaemon *d);
void xa_test_daemon_read_until (XaTestDaemon *d,
                                const gchar  *prefix);
void xa_test_daemon_signal (XaTestDaemon *d,
                            gint          signum);
gint xa_test_daemon_wait (XaTestDaemon *d);
void xa_test_daemon_open_ledger (XaTestDaemon *d);
gboolean xa_test_daemon_queue (XaTestDaemon *d,
                               const gchar  *prefix,
                               guint         count,
                               guint64       gib);
guint xa_test_daemon_count_in (XaTestDaemon   *d,
                               XaRequestState  state);
void xa_test_daemon_wait_for (XaTestDaemon   *d,
                              XaRequestState  state,
                              guint           count);
void xa_test_daemon_assert_ledger_matches_host (XaTestDaemon *d);

G_END_DECLS
