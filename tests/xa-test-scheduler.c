/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-host-record.h"
#include "xa-manifest.h"
#include "xa-test-cli.h"
#include "xa-test-scheduler.h"

/* The fixture's ledger and the sim host's state file live in @dir. */
void
xa_test_scheduler_use_dir (XaTestScheduler *f, XaTestDir *dir)
{
  f->dir = dir;
  f->db = xa_test_ledger_path (dir);
}

void
xa_test_scheduler_set_up (XaTestScheduler *f, gconstpointer data)
{
  xa_test_scheduler_use_dir (f, xa_test_dir_new ());
}

void
xa_test_scheduler_tear_down (XaTestScheduler *f, gconstpointer data)
{
  g_clear_pointer (&f->admission, xa_admission_free);
  g_clear_pointer (&f->host, xa_host_free);
  g_clear_pointer (&f->db, g_free);
  g_clear_pointer (&f->dir, xa_test_dir_free);
}

/* Opens the admission for f->host; @out_found (optional) says what the
 * reconciliation found. */
void
xa_test_scheduler_open_admission (XaTestScheduler *f, const XaSchedulerOptions *options,
                                  XaStoreReconciliation **out_found)
{
  g_autoptr(GError) error = NULL;

  f->admission = xa_admission_open (f->host, f->db, options, out_found, &error);
  g_assert_no_error (error);
  f->store = xa_admission_get_store (f->admission);
  f->host_id = xa_admission_get_host_id (f->admission);
  f->scheduler = xa_admission_get_scheduler (f->admission);
}

/* Opens @host_file (a sim host) with @state, and the admission for it. */
void
xa_test_scheduler_open_sim (XaTestScheduler *f, const gchar *host_file, const gchar *state,
                            const XaSchedulerOptions *options, XaStoreReconciliation **out_found)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *spec = xa_test_host_spec (host_file);

  f->host = xa_host_open (spec, state, &error);
  g_assert_no_error (error);
  xa_test_scheduler_open_admission (f, options, out_found);
}

/* Opens @host_file (a sim host), records it, queues @requests. */
void
xa_test_scheduler_prepare (XaTestScheduler *f, const gchar *host_file, const gchar *state,
                           GPtrArray *requests, const XaSchedulerOptions *options)
{
  g_autoptr(GError) error = NULL;

  xa_test_scheduler_open_sim (f, host_file, state, options, NULL);
  g_assert_true (xa_admission_submit (f->admission, "test", requests, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
}

/* The requests of data/manifests/@name, through cli/'s parser. */
GPtrArray *
xa_test_scheduler_manifest (const gchar *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *manifest_path = xa_test_data_path ("manifests", name);
  GPtrArray *requests = xa_manifest_load (manifest_path, NULL, &error);

  g_assert_no_error (error);
  return requests;
}

/* Hands the scheduler what the ledger has queued. */
void
xa_test_scheduler_take_queued (XaTestScheduler *f)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (xa_admission_take_queued (f->admission, &error));
  g_assert_no_error (error);
}

XaRunCounts
xa_test_scheduler_run_and_count (XaTestScheduler *f, XaRun **out_run)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(XaRun) run = NULL;
  XaRunCounts counts;

  g_assert_true (xa_scheduler_run (f->scheduler, &error));
  g_assert_no_error (error);
  run = xa_scheduler_get_run (f->scheduler);
  counts = xa_run_count (run);
  if (out_run != NULL)
    *out_run = g_steal_pointer (&run);
  return counts;
}

/* How many of the host's requests the ledger has in @state. */
guint
xa_test_scheduler_count_in (XaTestScheduler *f, XaRequestState state)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) requests = xa_store_list_requests (f->store, f->host_id, state, &error);

  g_assert_no_error (error);
  return requests->len;
}

/* What the ledger holds in flight: nothing, once a run has ended. */
static guint
xa_test_scheduler_in_flight (XaTestScheduler *f)
{
  return xa_test_scheduler_count_in (f, XA_REQUEST_PLANNED) +
         xa_test_scheduler_count_in (f, XA_REQUEST_BUILDING);
}

/* The ledger after a run: no claim left (the memory it counts available is
 * the host's free memory), and each running VM's memory as the host has it. */
void
xa_test_scheduler_assert_ledger_matches_host (XaTestScheduler *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(XaHostInfo) info = xa_host_snapshot (f->host, &error);
  g_auto(XaHostRecord) record = { { 0 } };
  g_autoptr(GPtrArray) vms = NULL;
  guint64 available[XA_MAX_NODES];

  g_assert_cmpuint (xa_test_scheduler_in_flight (f), ==, 0);
  xa_host_record_init (&record, info);
  g_assert_true (xa_store_refresh (f->store, f->host_id, &record.snapshot,
                                   xa_host_record_now (f->host), NULL, &error));
  g_assert_true (xa_store_available (f->store, f->host_id, info->n_nodes, available, &error));
  for (guint n = 0; n < info->n_nodes; n++)
    g_assert_cmpuint (available[n], ==, info->nodes[n].free_mib);
  vms = xa_store_list_vms (f->store, f->host_id, info->n_nodes, 0, G_MAXINT64, &error);
  for (guint i = 0; i < vms->len; i++) {
    const XaStoreVmRow *row = g_ptr_array_index (vms, i);
    const XaHostDomain *domain = xa_host_info_find_domain (info, row->uuid);

    if (row->state != XA_REQUEST_RUNNING) {
      g_assert_null (domain);
      continue;
    }
    g_assert_nonnull (domain);
    for (guint n = 0; n < info->n_nodes; n++)
      g_assert_cmpuint (row->actual_mib[n], ==, domain->memory_by_node_mib[n]);
  }
}

/* Adds the test @func at @path, on a fresh fixture of its own. */
void
xa_test_scheduler_add (const gchar *path, XaTestSchedulerFunc func)
{
  g_test_add (path, XaTestScheduler, NULL, xa_test_scheduler_set_up, func,
              xa_test_scheduler_tear_down);
}
