/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which of the ledger's hosts a reader who may not open the host is shown
 * (xa_queue_pick_host()): the one of its kind, else the one of its name. */
#include <string.h>

#include "xa-error.h"
#include "xa-queue.h"

static void
add_host (GPtrArray *hosts, const gchar *kind, const gchar *uuid, const gchar *name)
{
  XaStoreHostRow *row = g_new0 (XaStoreHostRow, 1);

  row->id = hosts->len + 1;
  row->key = g_strdup_printf ("%s:%s", kind, uuid);
  row->name = g_strdup (name);
  row->kind = g_strdup (kind);
  row->n_nodes = 2;
  g_ptr_array_add (hosts, row);
}

static GPtrArray *
hosts_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) xa_store_host_row_free);
}

/* The one host of the kind, whatever its name; the other kind's is not it. */
static void
test_queue_pick_host_one_of_its_kind (void)
{
  g_autoptr(GPtrArray) hosts = hosts_new ();
  g_autoptr(GError) error = NULL;
  const XaStoreHostRow *host;

  add_host (hosts, "xen", "0b6f1c8e-2a55-4c1e-9d3b-4f0f8e1b2c3d", "dom0");
  add_host (hosts, "sim", "9f1d2e3c-4b5a-4c6d-8e7f-a0b1c2d3e4f5", "sim-2s");
  host = xa_queue_pick_host (hosts, "sim", "another-name", &error);
  g_assert_no_error (error);
  g_assert_nonnull (host);
  g_assert_cmpstr (host->key, ==, "sim:9f1d2e3c-4b5a-4c6d-8e7f-a0b1c2d3e4f5");
  host = xa_queue_pick_host (hosts, "xen", NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (host);
  g_assert_cmpstr (host->name, ==, "dom0");
}

/* Several of the kind: the name tells them apart, or the message says
 * what would. */
static void
test_queue_pick_host_several (void)
{
  g_autoptr(GPtrArray) hosts = hosts_new ();
  g_autoptr(GError) error = NULL;
  const XaStoreHostRow *host;

  add_host (hosts, "sim", "11111111-1111-4111-8111-111111111111", "sim-2s");
  add_host (hosts, "sim", "22222222-2222-4222-8222-222222222222", "big-4s");
  host = xa_queue_pick_host (hosts, "sim", "big-4s", &error);
  g_assert_no_error (error);
  g_assert_nonnull (host);
  g_assert_cmpstr (host->key, ==, "sim:22222222-2222-4222-8222-222222222222");
  add_host (hosts, "sim", "33333333-3333-4333-8333-333333333333", "big-4s");
  host = xa_queue_pick_host (hosts, "sim", "big-4s", &error);
  g_assert_null (host);
  g_assert_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT);
  g_assert_nonnull (strstr (error->message, "the ledger knows 3 sim hosts (sim-2s sim:1111"));
  g_assert_nonnull (strstr (error->message, "2 are named big-4s"));
  g_assert_nonnull (strstr (error->message, "only the host itself tells them apart"));
  g_clear_error (&error);
  host = xa_queue_pick_host (hosts, "sim", "tiny-1s", &error);
  g_assert_null (host);
  g_assert_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT);
  g_assert_nonnull (strstr (error->message, "0 are named tiny-1s"));
  g_assert_nonnull (strstr (error->message, "--host sim:FILE means the one its topology names"));
}

/* None of the kind: there is nothing to show. */
static void
test_queue_pick_host_none (void)
{
  g_autoptr(GPtrArray) hosts = hosts_new ();
  g_autoptr(GError) error = NULL;

  g_assert_null (xa_queue_pick_host (hosts, "xen", "dom0", &error));
  g_assert_error (error, XA_ERROR, XA_ERROR_NOT_FOUND);
  g_clear_error (&error);
  add_host (hosts, "sim", "9f1d2e3c-4b5a-4c6d-8e7f-a0b1c2d3e4f5", "dom0");
  g_assert_null (xa_queue_pick_host (hosts, "xen", "dom0", &error));
  g_assert_error (error, XA_ERROR, XA_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "the ledger knows no xen host");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cli/queue/pick-host/one-of-its-kind", test_queue_pick_host_one_of_its_kind);
  g_test_add_func ("/cli/queue/pick-host/several", test_queue_pick_host_several);
  g_test_add_func ("/cli/queue/pick-host/none", test_queue_pick_host_none);
  return g_test_run ();
}
