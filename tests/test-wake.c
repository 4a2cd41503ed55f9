/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-error.h"
#include "xa-test-util.h"
#include "xa-wake.h"

static void
count_ring (gpointer user_data)
{
  guint *rings = user_data;

  (*rings)++;
}

/* A ring reaches the listener of its ledger, in its main context. */
static void
test_ring_wakes_the_listener (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *db = g_build_filename (dir, "ledger.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(XaWake) wake = NULL;
  guint rings = 0;

  g_assert_false (xa_wake_ring (db));
  wake = xa_wake_listen (db, count_ring, &rings, &error);
  g_assert_no_error (error);
  g_assert_true (xa_wake_ring (db));
  while (rings == 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (rings, ==, 1);
}

/* Another ledger's bell is another bell; a second listener is refused. */
static void
test_one_listener_per_ledger (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *db = g_build_filename (dir, "ledger.db", NULL);
  g_autofree gchar *other = g_build_filename (dir, "other.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(XaWake) wake = NULL;
  g_autoptr(XaWake) second = NULL;
  guint rings = 0;

  wake = xa_wake_listen (db, count_ring, &rings, &error);
  g_assert_no_error (error);
  g_assert_false (xa_wake_ring (other));
  second = xa_wake_listen (db, count_ring, &rings, &error);
  g_assert_null (second);
  g_assert_error (error, XA_ERROR, XA_ERROR_BUSY);
  g_clear_pointer (&wake, xa_wake_free);
  g_assert_false (xa_wake_ring (db));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/scheduler/wake/ring-wakes-the-listener", test_ring_wakes_the_listener);
  g_test_add_func ("/scheduler/wake/one-listener-per-ledger", test_one_listener_per_ledger);
  return g_test_run ();
}
