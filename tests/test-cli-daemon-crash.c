/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <signal.h>

#include "xa-test-cli.h"
#include "xa-test-daemon.h"

/* xadmit daemon killed with SIGKILL at the Kth event of its clock
 * (XADMIT_TEST_DIE_AT_EVENT), K drawn from a seed, and started again on the
 * same ledger and host, over and over while work keeps coming. */

#define XA_TEST_CRASH_SEED 2026
#define XA_TEST_CRASH_KILLS 20
/* each restart's K: early enough that the work left is not done first */
#define XA_TEST_CRASH_MAX_EVENT 24

static void
on_exited (GObject *source, GAsyncResult *result, gpointer user_data)
{
  gboolean *exited = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *exited = TRUE;
}

static gboolean
tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

static guint
count_unfinished (XaTestDaemon *d)
{
  return xa_test_daemon_count_in (d, XA_REQUEST_QUEUED) +
         xa_test_daemon_count_in (d, XA_REQUEST_PLANNED) +
         xa_test_daemon_count_in (d, XA_REQUEST_BUILDING);
}

/* Until the daemon killed itself (TRUE) or had nothing left to do (FALSE,
 * and it is stopped), for XA_TEST_DAEMON_PATIENCE_US at most. */
static gboolean
wait_for_death (XaTestDaemon *d)
{
  gint64 deadline = g_get_monotonic_time () + XA_TEST_DAEMON_PATIENCE_US;
  guint source = g_timeout_add (10, tick, NULL);
  gboolean exited = FALSE;
  gint status;

  g_subprocess_wait_async (d->proc, NULL, on_exited, &exited);
  while (!exited && count_unfinished (d) > 0) {
    if (g_get_monotonic_time () > deadline)
      g_error ("the daemon neither died nor finished; it said:\n%s", d->said->str);
    g_main_context_iteration (NULL, TRUE);
  }
  g_source_remove (source);
  if (!exited)
    xa_test_daemon_signal (d, SIGTERM);
  while (!exited)
    g_main_context_iteration (NULL, TRUE);
  status = xa_test_daemon_wait (d);
  if (status == 128 + SIGKILL)
    return TRUE;
  g_assert_cmpint (status, ==, 0);
  return FALSE;
}

/* Twenty kills at least, each restart reconciling what the last left (builds
 * finished, half-built, not begun) and admitting more work queued while no
 * daemon ran; then a last daemon runs it all: every request runs, once, its
 * memory where the host has it, no claim left. */
static void
test_daemon_survives_kills (XaTestDaemon *d, gconstpointer data)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (XA_TEST_CRASH_SEED);
  guint kills = 0;
  guint queued = 0;

  xa_test_daemon_start (d, "10000");
  xa_test_daemon_signal (d, SIGTERM);
  g_assert_cmpint (xa_test_daemon_wait (d), ==, 0);
  for (guint round = 0; kills < XA_TEST_CRASH_KILLS; round++) {
    g_autofree gchar *prefix = g_strdup_printf ("r%u", round);
    guint die_at = (guint) g_rand_int_range (rand, 1, XA_TEST_CRASH_MAX_EVENT + 1);

    g_assert_cmpuint (round, <, 10 * XA_TEST_CRASH_KILLS);
    /* nobody answers the ring: the work waits in the ledger */
    g_assert_false (xa_test_daemon_queue (d, prefix, 4, 2));
    queued += 4;
    xa_test_daemon_start_dying (d, "10000", die_at);
    if (wait_for_death (d))
      kills++;
  }
  g_test_message ("%u kills, %u VMs", kills, queued);
  xa_test_daemon_start (d, "10000");
  xa_test_daemon_wait_for (d, XA_REQUEST_RUNNING, queued);
  xa_test_daemon_signal (d, SIGTERM);
  g_assert_cmpint (xa_test_daemon_wait (d), ==, 0);
  g_assert_cmpuint (xa_test_daemon_count_in (d, XA_REQUEST_RUNNING), ==, queued);
  xa_test_daemon_assert_ledger_matches_host (d);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  xa_test_daemon_add ("/cli/daemon/crash/survives-kills", test_daemon_survives_kills);
  return g_test_run ();
}
