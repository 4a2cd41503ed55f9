/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gio/gio.h>

#include "xa-store-private.h"
#include "xa-test-store.h"

/* Every query of `xadmit report` runs on an index: SQLite's plan for it
 * has no full SCAN of a table (a SEARCH, or a sort of what it found). */
static void
test_report_queries_use_indexes (XaTestStore *f, gconstpointer data)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (f->path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  for (guint i = 0; xa_store_report_statements[i] != NULL; i++) {
    g_autofree gchar *sql = g_strconcat ("EXPLAIN QUERY PLAN ", xa_store_report_statements[i],
                                         NULL);
    sqlite3_stmt *stmt = NULL;
    guint n_steps = 0;

    g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
    while (sqlite3_step (stmt) == SQLITE_ROW) {
      const gchar *detail = (const gchar *) sqlite3_column_text (stmt, 3);

      g_test_message ("query %u: %s", i, detail);
      if (g_str_has_prefix (detail, "SCAN "))
        g_error ("query %u scans a whole table (%s):\n%s", i, detail,
                 xa_store_report_statements[i]);
      n_steps++;
    }
    g_assert_cmpuint (n_steps, >, 0);
    sqlite3_finalize (stmt);
  }
  sqlite3_close (db);
}

static gboolean
count_vm (XaStoreVmRow *row, gpointer user_data, GError **error)
{
  GPtrArray *names = user_data;

  g_ptr_array_add (names, g_strdup (row->name));
  g_assert_cmpuint (row->attempts, ==, 1);
  g_assert_cmpfloat (row->first_wait_s, ==, 9.0);
  xa_store_vm_row_free (row);
  return TRUE;
}

/* Four VMs of 4 GiB, one batch at 2 s, built from 10 s (waits 9 s from
 * their queueing at 1 s) to 13 s and 15 s: the batch built them all on one
 * node, its makespan 5 s; each VM comes to the callback once. */
static void
test_report_batches_and_vms (XaTestStore *f, gconstpointer data)
{
  g_autoptr(GPtrArray) admitted = xa_test_admit_vms (f, 4, 4 * GiB);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) batches = NULL;
  g_autoptr(GError) error = NULL;
  XaStoreReportRange range = { f->host_id, 2, 0, G_MAXINT64, NULL };
  const XaStoreReportBatch *batch;
  g_autofree gchar *name = NULL;

  for (guint i = 0; i < admitted->len; i++)
    xa_test_build (f, g_ptr_array_index (admitted, i), 10, i < 2 ? 13 : 15);
  batches = xa_store_report_batches (f->store, &range, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (batches->len, ==, 1);
  batch = g_ptr_array_index (batches, 0);
  g_assert_cmpuint (batch->row.n_requests, ==, 4);
  g_assert_cmpuint (batch->row.n_built, ==, 4);
  g_assert_cmpuint (batch->row.n_local, ==, 4);
  g_assert_cmpuint (batch->n_split + batch->n_spilled, ==, 0);
  g_assert_cmpfloat_with_epsilon (batch->makespan_s, 5.0, 1e-9);
  g_assert_true (xa_store_report_vms (f->store, &range, count_vm, names, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (names->len, ==, 4);
  name = g_strdup (g_ptr_array_index (names, 2));
  range.vm_name = name;
  g_ptr_array_set_size (names, 0);
  g_assert_true (xa_store_report_vms (f->store, &range, count_vm, names, &error));
  g_assert_cmpuint (names->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (names, 0), ==, name);
  range.from_wall_us = xa_test_at (3).wall_us;
  g_ptr_array_set_size (names, 0);
  g_assert_true (xa_store_report_vms (f->store, &range, count_vm, names, &error));
  g_assert_cmpuint (names->len, ==, 0);
}

static gboolean
stop_at_first (XaStoreVmRow *row, gpointer user_data, GError **error)
{
  (*(guint *) user_data)++;
  xa_store_vm_row_free (row);
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, "disk full");
  return FALSE;
}

/* A callback that fails stops the query there, its error kept. */
static void
test_report_callback_stops (XaTestStore *f, gconstpointer data)
{
  g_autoptr(GPtrArray) admitted = xa_test_admit_vms (f, 3, GiB);
  g_autoptr(GError) error = NULL;
  XaStoreReportRange range = { f->host_id, 2, 0, G_MAXINT64, NULL };
  guint calls = 0;

  g_assert_false (xa_store_report_vms (f->store, &range, stop_at_first, &calls, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
  g_assert_cmpuint (calls, ==, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  xa_test_store_add ("/store/report/queries-use-indexes", test_report_queries_use_indexes);
  xa_test_store_add ("/store/report/batches-and-vms", test_report_batches_and_vms);
  xa_test_store_add ("/store/report/callback-stops", test_report_callback_stops);
  return g_test_run ();
}
