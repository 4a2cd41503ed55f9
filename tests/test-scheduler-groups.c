/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "xa-test-scheduler.h"

static void
add_vms (GPtrArray *requests, const gchar *prefix, guint count, guint64 memory_mib,
         const gchar *group)
{
  for (guint i = 0; i < count; i++) {
    g_autofree gchar *name = g_strdup_printf ("%s-%u", prefix, i);
    XaRequest *req = xa_test_add_vm (requests, name, memory_mib, 2);

    req->group = g_strdup (group);
  }
}

/* A boot on eight nodes of 64 GiB: a group of 12 × 48 GiB cannot start as
 * a whole, so none of it starts, and the ledger says why for each; a group
 * that fits and the ungrouped VMs run. */
static void
test_group_starts_whole_or_not_at_all (XaTestScheduler *f, gconstpointer data)
{
  g_autoptr(GPtrArray) requests = xa_test_requests_new ();
  g_autoptr(GPtrArray) queued = NULL;
  XaSchedulerOptions options = XA_SCHEDULER_OPTIONS_DEFAULT;
  XaRunCounts counts;

  add_vms (requests, "big", 12, 48 * GiB, "big");
  add_vms (requests, "app", 4, 8 * GiB, "app");
  add_vms (requests, "alone", 4, 4 * GiB, NULL);
  xa_test_scheduler_prepare (f, "8node.json", NULL, requests, &options);
  counts = xa_test_scheduler_run_and_count (f, NULL);
  g_assert_cmpuint (counts.running, ==, 8);
  queued = xa_store_list_requests (f->store, f->host_id, XA_REQUEST_QUEUED, NULL);
  g_assert_cmpuint (queued->len, ==, 12);
  for (guint i = 0; i < queued->len; i++) {
    const XaStoreRequest *request = g_ptr_array_index (queued, i);

    g_assert_cmpstr (request->req->group, ==, "big");
    g_assert_nonnull (strstr (request->reason, "its group \"big\" starts as a whole"));
  }
  xa_test_scheduler_assert_ledger_matches_host (f);
}

/* A group larger than --max-batch is planned in one batch, past the limit:
 * the ledger has a batch that planned all ten of it. */
static void
test_group_larger_than_a_batch (XaTestScheduler *f, gconstpointer data)
{
  g_autoptr(GPtrArray) requests = xa_test_requests_new ();
  g_autoptr(GPtrArray) batches = NULL;
  XaSchedulerOptions options = XA_SCHEDULER_OPTIONS_DEFAULT;
  g_autoptr(GError) error = NULL;
  guint most = 0;

  options.max_batch = 4;
  add_vms (requests, "alone", 3, 4 * GiB, NULL);
  add_vms (requests, "vapp", 10, 4 * GiB, "vapp");
  xa_test_scheduler_prepare (f, "8node.json", NULL, requests, &options);
  g_assert_cmpuint (xa_test_scheduler_run_and_count (f, NULL).running, ==, 13);
  batches = xa_store_list_batches (f->store, f->host_id, 0, G_MAXINT64, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < batches->len; i++)
    most = MAX (most, ((XaStoreBatchRow *) g_ptr_array_index (batches, i))->n_planned);
  g_assert_cmpuint (most, >=, 10);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  xa_test_scheduler_add ("/scheduler/groups/whole-or-not-at-all",
                         test_group_starts_whole_or_not_at_all);
  xa_test_scheduler_add ("/scheduler/groups/larger-than-a-batch", test_group_larger_than_a_batch);
  return g_test_run ();
}
