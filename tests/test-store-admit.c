/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-test-store.h"

/* Claims take memory from what is available until the host charges it. */
static void
test_available_is_free_minus_claims (XaTestStore *f, gconstpointer data)
{
  g_autoptr(GPtrArray) admitted = NULL;
  g_autoptr(GError) error = NULL;
  guint64 avail[2];
  guint64 after_claims[2];
  guint64 actual[2] = { 0, 0 };
  XaStoreRequest *first;
  XaStoreDomain domain;

  g_assert_false (xa_store_available (f->store, f->host_id, 2, avail, &error));
  g_assert_error (error, XA_ERROR, XA_ERROR_FAILED);
  g_clear_error (&error);
  xa_test_submit_vms (f, 2, 8 * GiB, 1);
  xa_test_refresh (f, 40 * GiB, 40 * GiB, 0, NULL, 1);
  xa_test_available (f, avail);
  g_assert_cmpuint (avail[0], ==, 40 * GiB);
  admitted = xa_test_plan_and_admit (f, 2);
  xa_test_available (f, after_claims);
  g_assert_cmpuint ((avail[0] - after_claims[0]) + (avail[1] - after_claims[1]), ==,
                    2 * (8 * GiB + 1 + 3));
  /* the first build has allocated half of its memory: that much is charged */
  first = g_ptr_array_index (admitted, 0);
  g_assert_cmpint (first->state, ==, XA_REQUEST_PLANNED);
  xa_test_start_build (f, first, 3);
  for (guint n = 0; n < 2; n++) {
    g_autofree guint64 *planned = xa_test_planned_mib_of (f->store, f->host_id, first->uuid);

    actual[n] = planned[n] / 2;
  }
  domain.uuid = first->uuid;
  domain.mib_by_node = actual;
  xa_test_refresh (f, 40 * GiB - actual[0], 40 * GiB - actual[1], 1, &domain, 4);
  xa_test_available (f, avail);
  g_assert_cmpuint (avail[0] + avail[1], ==, after_claims[0] + after_claims[1]);
  /* done: the claim is gone, the host's free memory says it all */
  for (guint n = 0; n < 2; n++)
    actual[n] *= 2;
  g_assert_true (xa_store_complete_build (f->store, first, 2, actual, xa_test_at (5), &error));
  g_assert_no_error (error);
  xa_test_refresh (f, 40 * GiB - actual[0], 40 * GiB - actual[1], 1, &domain, 6);
  xa_test_available (f, avail);
  g_assert_cmpuint (avail[0] + avail[1], ==, after_claims[0] + after_claims[1]);
}

/* Planned, deferred, rejected: one batch, every request's state and log. */
static void
test_admit_records_plan_deferral_and_rejection (XaTestStore *f, gconstpointer data)
{
  g_autoptr(GPtrArray) vms = xa_test_requests_new ();
  g_autoptr(GPtrArray) admitted = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GPtrArray) batches = NULL;
  g_autoptr(GError) error = NULL;
  const XaStoreRequest *fits;
  const XaStoreRequest *later;
  const XaStoreRequest *never;
  const XaStoreEvent *event;
  const XaStoreBatchRow *batch;

  xa_test_add_vm (vms, "fits", 30 * GiB, 2);
  xa_test_add_vm (vms, "later", 50 * GiB, 2);
  xa_test_add_vm (vms, "never", 200 * GiB, 2);
  xa_test_submit (f, "mixed", vms, 1);
  xa_test_refresh (f, 40 * GiB, 10 * GiB, 0, NULL, 1);
  admitted = xa_test_plan_and_admit (f, 2);
  fits = g_ptr_array_index (admitted, 0);
  later = g_ptr_array_index (admitted, 1);
  never = g_ptr_array_index (admitted, 2);
  g_assert_cmpint (fits->state, ==, XA_REQUEST_PLANNED);
  g_assert_cmpint (later->state, ==, XA_REQUEST_QUEUED);
  g_assert_cmpuint (later->deferrals, ==, 1);
  g_assert_nonnull (strstr (later->reason, "it needs 51204 MiB with overhead"));
  g_assert_cmpint (never->state, ==, XA_REQUEST_REJECTED);
  g_assert_nonnull (strstr (never->reason, "hold at most"));
  events = xa_store_list_events (f->store, later->id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 2);
  event = g_ptr_array_index (events, 0);
  g_assert_null (event->from);
  g_assert_cmpstr (event->to, ==, "queued");
  event = g_ptr_array_index (events, 1);
  g_assert_cmpstr (event->from, ==, "queued");
  g_assert_cmpstr (event->to, ==, "queued");
  g_assert_cmpstr (event->reason, ==, later->reason);
  g_assert_cmpint (event->batch_id, >, 0);
  batches = xa_store_list_batches (f->store, f->host_id, 0, G_MAXINT64, &error);
  g_assert_cmpuint (batches->len, ==, 1);
  batch = g_ptr_array_index (batches, 0);
  g_assert_cmpuint (batch->n_planned, ==, 1);
  g_assert_cmpuint (batch->n_deferred, ==, 1);
  g_assert_cmpuint (batch->n_rejected, ==, 1);
}

/* Cancelled between reading the queue and admitting: left alone, and its
 * copy learns it is cancelled. */
static void
test_admit_leaves_a_cancelled_request_alone (XaTestStore *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) queued = NULL;
  g_autoptr(XaPlan) plan = NULL;
  XaStoreBatch batch = { "batch", 0, 0.1, xa_test_at (3) };
  guint64 avail[2];

  xa_test_submit_vms (f, 2, GiB, 1);
  xa_test_refresh (f, NODE_MIB, NODE_MIB, 0, NULL, 1);
  queued = xa_test_list (f, XA_REQUEST_QUEUED);
  plan = xa_test_plan_for (f, queued, 2);
  xa_test_cancel (f, xa_test_nth (queued, 0)->id, "withdrawn", 2);
  g_assert_true (xa_store_admit_batch (f->store, f->host_id, &batch, queued, plan, &error));
  g_assert_no_error (error);
  g_assert_cmpint (xa_test_nth (queued, 0)->state, ==, XA_REQUEST_CANCELLED);
  g_assert_cmpint (xa_test_nth (queued, 1)->state, ==, XA_REQUEST_PLANNED);
  g_assert_cmpuint (xa_test_count (f, XA_REQUEST_CANCELLED), ==, 1);
  /* its memory is not claimed */
  xa_test_available (f, avail);
  g_assert_cmpuint (avail[0] + avail[1], ==, 2 * NODE_MIB - (GiB + 1 + 3));
}

static void
test_build_runs_its_course (XaTestStore *f, gconstpointer data)
{
  g_autoptr(GPtrArray) admitted = xa_test_admit_vms (f, 1, 4 * GiB);
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GError) error = NULL;
  XaStoreRequest *request = xa_test_nth (admitted, 0);
  const XaStoreEvent *event;

  xa_test_build (f, request, 3, 5);
  g_assert_cmpint (request->state, ==, XA_REQUEST_RUNNING);
  g_assert_cmpuint (request->attempts, ==, 1);
  g_assert_cmpuint (xa_test_count (f, XA_REQUEST_RUNNING), ==, 1);
  events = xa_store_list_events (f->store, request->id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 4);
  event = g_ptr_array_index (events, 2);
  g_assert_cmpstr (event->to, ==, "building");
  g_assert_cmpfloat (event->at.host_s, ==, 3);
  event = g_ptr_array_index (events, 3);
  g_assert_cmpstr (event->to, ==, "running");
  g_assert_cmpfloat (event->at.host_s, ==, 5);
}

static void
test_failed_build_retries_or_fails (XaTestStore *f, gconstpointer data)
{
  g_autoptr(GPtrArray) admitted = xa_test_admit_vms (f, 1, 4 * GiB);
  g_autoptr(GPtrArray) again = NULL;
  g_autoptr(GError) error = NULL;
  XaStoreRequest *request = xa_test_nth (admitted, 0);
  guint64 avail[2];

  xa_test_start_build (f, request, 3);
  g_assert_true (xa_store_fail_build (f->store, request, "xenguest exited with status 1", TRUE,
                                      xa_test_at (4), &error));
  g_assert_no_error (error);
  g_assert_cmpint (request->state, ==, XA_REQUEST_QUEUED);
  xa_test_available (f, avail);
  g_assert_cmpuint (avail[0] + avail[1], ==, 2 * NODE_MIB);
  again = xa_test_plan_and_admit (f, 5);
  request = g_ptr_array_index (again, 0);
  g_assert_cmpuint (request->attempts, ==, 1);
  xa_test_start_build (f, request, 6);
  g_assert_cmpuint (request->attempts, ==, 2);
  g_assert_true (xa_store_fail_build (f->store, request, "xenguest exited with status 1", FALSE,
                                      xa_test_at (7), &error));
  g_assert_cmpint (request->state, ==, XA_REQUEST_FAILED);
  g_assert_cmpstr (request->reason, ==, "xenguest exited with status 1");
}

static void
test_cancel_releases_the_claim (XaTestStore *f, gconstpointer data)
{
  g_autoptr(GPtrArray) admitted = xa_test_admit_vms (f, 1, 4 * GiB);
  g_autoptr(GError) error = NULL;
  XaStoreRequest *request = xa_test_nth (admitted, 0);
  guint64 avail[2];

  xa_test_cancel (f, request->id, "SIGINT", 3);
  xa_test_available (f, avail);
  g_assert_cmpuint (avail[0] + avail[1], ==, 2 * NODE_MIB);
  g_assert_false (xa_store_cancel (f->store, request->id, "again", xa_test_at (4), &error));
  g_assert_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT);
  g_assert_cmpstr (error->message, ==,
                   "request 1 is cancelled already: there is nothing to cancel");
  g_clear_error (&error);
  g_assert_false (xa_store_cancel (f->store, 999, "no such", xa_test_at (4), &error));
  g_assert_error (error, XA_ERROR, XA_ERROR_NOT_FOUND);
}

/* A step out of order is an error and changes nothing. */
static void
test_refuses_steps_out_of_order (XaTestStore *f, gconstpointer data)
{
  g_autoptr(GPtrArray) queued = NULL;
  g_autoptr(GPtrArray) still = NULL;
  g_autoptr(GError) error = NULL;
  const guint64 actual[] = { GiB, 0 };
  XaStoreRequest *request;

  xa_test_submit_vms (f, 1, GiB, 1);
  queued = xa_test_list (f, XA_REQUEST_QUEUED);
  request = xa_test_nth (queued, 0);
  g_assert_false (xa_store_start_build (f->store, request, xa_test_at (2), &error));
  g_assert_error (error, XA_ERROR, XA_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message,
                            "is not planned any more, so it cannot become building"));
  g_clear_error (&error);
  g_assert_false (xa_store_complete_build (f->store, request, 2, actual, xa_test_at (2), &error));
  g_assert_error (error, XA_ERROR, XA_ERROR_FAILED);
  g_clear_error (&error);
  g_assert_false (xa_store_fail_build (f->store, request, "no build", TRUE, xa_test_at (2),
                                       &error));
  g_assert_error (error, XA_ERROR, XA_ERROR_FAILED);
  g_assert_cmpint (request->state, ==, XA_REQUEST_QUEUED);
  still = xa_test_list (f, XA_REQUEST_QUEUED);
  g_assert_cmpuint (still->len, ==, 1);
  g_assert_cmpuint (xa_test_nth (still, 0)->attempts, ==, 0);
}

/* Reconciles the ledger at 10 s with the test's host (two nodes of NODE_MIB)
 * as it has @free_mib free (%NULL: all) and runs the @n_domains @domains. */
static XaStoreReconciliation *
reconcile_at_10_s (XaTestStore *f, const guint64 *free_mib, guint n_domains,
                   const XaStoreDomain *domains)
{
  const guint64 total[] = { NODE_MIB, NODE_MIB };
  XaStoreSnapshot snapshot = { 2, total, free_mib != NULL ? free_mib : total, n_domains, domains };
  g_autoptr(GError) error = NULL;
  XaStoreReconciliation *found = xa_store_reconcile (f->store, f->host_id, &snapshot,
                                                     xa_test_at (10), &error);

  g_assert_no_error (error);
  return found;
}

/* A restart finds one build done, one half done and one not begun. */
static void
test_reconcile_after_a_restart (XaTestStore *f, gconstpointer data)
{
  g_autoptr(GPtrArray) admitted = xa_test_admit_vms (f, 3, 4 * GiB);
  g_autoptr(XaStoreReconciliation) found = NULL;
  g_autoptr(GPtrArray) queued = NULL;
  g_autoptr(GError) error = NULL;
  const guint64 free_mib[] = { 40 * GiB, 60 * GiB };
  const guint64 whole[2] = { 4 * GiB, 0 };
  const guint64 half[2] = { 0, 2 * GiB };
  XaStoreDomain domains[2] = { { xa_test_nth (admitted, 0)->uuid, whole },
                               { xa_test_nth (admitted, 1)->uuid, half } };
  guint64 avail[2];

  for (guint i = 0; i < 2; i++)
    xa_test_start_build (f, g_ptr_array_index (admitted, i), 3);
  g_clear_pointer (&f->store, xa_store_free);
  f->store = xa_store_open (f->path, &error);
  g_assert_no_error (error);
  found = reconcile_at_10_s (f, free_mib, 2, domains);
  g_assert_cmpuint (found->built->len, ==, 1);
  g_assert_cmpint (g_array_index (found->built, gint64, 0), ==, xa_test_nth (admitted, 0)->id);
  g_assert_cmpuint (found->half_built->len, ==, 1);
  g_assert_cmpuint (found->gone->len, ==, 1);
  g_assert_cmpuint (found->released_mib, ==, 3 * (4 * GiB + 1 + 3));
  g_assert_cmpuint (xa_test_count (f, XA_REQUEST_RUNNING), ==, 1);
  queued = xa_test_list (f, XA_REQUEST_QUEUED);
  g_assert_cmpuint (queued->len, ==, 2);
  g_assert_nonnull (strstr (xa_test_nth (queued, 0)->reason, "half-way"));
  xa_test_available (f, avail);
  g_assert_cmpuint (avail[0], ==, 40 * GiB);
  g_assert_cmpuint (avail[1], ==, 60 * GiB);
}

/* A domain with all its memory whose build the host says had not ended
 * (on Xen: populate ran, the rest did not) was built half-way. */
static void
test_reconcile_unfinished_is_half_built (XaTestStore *f, gconstpointer data)
{
  g_autoptr(GPtrArray) admitted = xa_test_admit_vms (f, 1, 4 * GiB);
  g_autoptr(XaStoreReconciliation) found = NULL;
  const guint64 whole[2] = { 4 * GiB + 4, 0 };
  XaStoreDomain populated = { xa_test_nth (admitted, 0)->uuid, whole, TRUE };

  xa_test_start_build (f, g_ptr_array_index (admitted, 0), 3);
  found = reconcile_at_10_s (f, NULL, 1, &populated);
  g_assert_cmpuint (found->built->len, ==, 0);
  g_assert_cmpuint (found->half_built->len, ==, 1);
  g_assert_cmpuint (xa_test_count (f, XA_REQUEST_QUEUED), ==, 1);
}

/* Each planned VM's decision is recorded: its need with overhead, what its
 * node had left, the runner-up node and the widest node it could use. */
static void
test_admission_records_why (XaTestStore *f, gconstpointer data)
{
  g_autoptr(GPtrArray) admitted = xa_test_admit_vms (f, 3, 4 * GiB);

  for (guint i = 0; i < admitted->len; i++) {
    g_auto(XaStoreWhy) why = { 0 };
    g_autoptr(GError) error = NULL;
    gboolean found = FALSE;

    g_assert_true (xa_store_get_why (f->store, xa_test_nth (admitted, i)->id, &why, &found,
                                     &error));
    g_assert_no_error (error);
    g_assert_true (found);
    g_assert_cmpstr (why.policy, ==, "batch");
    g_assert_cmpuint (why.why.need_mib, >, 4 * GiB);
    g_assert_cmpuint (why.why.widest_mib, >=, why.why.need_mib);
    g_assert_cmpint (why.why.runner_up, >=, 0);
    g_assert_cmpuint (why.why.runner_up_left_mib, >=, why.why.need_mib);
  }
}

/* A domain whose request the ledger still has queued (its admission was
 * never committed) is half-built, and the request stays queued as it was. */
static void
test_reconcile_unrecorded_domain_is_half_built (XaTestStore *f, gconstpointer data)
{
  g_autoptr(XaStoreReconciliation) found = NULL;
  g_autoptr(GPtrArray) queued = NULL;
  const guint64 some[2] = { 1 * GiB, 0 };
  XaStoreDomain domain = { NULL, some, TRUE };

  xa_test_submit_vms (f, 2, 4 * GiB, 1);
  queued = xa_test_list (f, XA_REQUEST_QUEUED);
  domain.uuid = xa_test_nth (queued, 1)->uuid;
  found = reconcile_at_10_s (f, NULL, 1, &domain);
  g_assert_cmpuint (found->half_built->len, ==, 1);
  g_assert_cmpint (g_array_index (found->half_built, gint64, 0), ==, xa_test_nth (queued, 1)->id);
  g_assert_cmpuint (found->built->len + found->gone->len, ==, 0);
  g_assert_cmpuint (xa_test_count (f, XA_REQUEST_QUEUED), ==, 2);
}

/* A running VM whose domain the host no longer has has ended, with why;
 * one whose domain is there runs on. */
static void
test_reconcile_ends_what_the_host_lost (XaTestStore *f, gconstpointer data)
{
  g_autoptr(GPtrArray) admitted = xa_test_admit_vms (f, 2, 4 * GiB);
  g_autoptr(XaStoreReconciliation) found = NULL;
  g_autoptr(GPtrArray) ended = NULL;
  const guint64 whole[2] = { 4 * GiB + 4, 0 };
  XaStoreDomain kept = { xa_test_nth (admitted, 0)->uuid, whole };

  for (guint i = 0; i < 2; i++)
    xa_test_build (f, g_ptr_array_index (admitted, i), 3, 5);
  found = reconcile_at_10_s (f, NULL, 1, &kept);
  g_assert_cmpuint (found->ended->len, ==, 1);
  g_assert_cmpint (g_array_index (found->ended, gint64, 0), ==, xa_test_nth (admitted, 1)->id);
  g_assert_cmpuint (xa_test_count (f, XA_REQUEST_RUNNING), ==, 1);
  ended = xa_test_list (f, XA_REQUEST_ENDED);
  g_assert_cmpuint (ended->len, ==, 1);
  g_assert_cmpstr (xa_test_nth (ended, 0)->reason, ==, "its domain is no longer on the host");
}

/* Admits two 4 GiB VMs at 2 s and builds them from 3 s and 4 s to 10 s,
 * the second with half of its memory off its planned node. */
static void
build_two_one_spilled (XaTestStore *f)
{
  g_autoptr(GPtrArray) admitted = xa_test_admit_vms (f, 2, 4 * GiB);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 2; i++) {
    XaStoreRequest *request = g_ptr_array_index (admitted, i);
    g_autofree guint64 *actual = xa_test_planned_mib_of (f->store, f->host_id, request->uuid);

    if (i == 1) {
      guint home = actual[0] > 0 ? 0 : 1;

      actual[1 - home] = actual[home] / 2;
      actual[home] -= actual[1 - home];
    }
    xa_test_start_build (f, request, 3 + i);
    g_assert_true (xa_store_complete_build (f->store, request, 2, actual, xa_test_at (10), &error));
    g_assert_no_error (error);
  }
}

/* The report rows of build_two_one_spilled()'s VMs: both running on the
 * one node planned, the second with half of its memory spilled. */
static void
assert_vms_of_build_two_one_spilled (XaTestStore *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) vms = xa_store_list_vms (f->store, f->host_id, 2, 0, G_MAXINT64, &error);
  const XaStoreVmRow *spilled = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (vms->len, ==, 2);
  for (guint i = 0; i < vms->len; i++) {
    const XaStoreVmRow *row = g_ptr_array_index (vms, i);

    g_assert_cmpint (row->state, ==, XA_REQUEST_RUNNING);
    g_assert_cmpuint (xa_nodeset_count (row->planned_nodes), ==, 1);
    if (row->spilled_mib > 0)
      spilled = row;
  }
  g_assert_nonnull (spilled);
  g_assert_cmpuint (spilled->spilled_mib, ==, (4 * GiB + 4) / 2);
  g_assert_cmpfloat (spilled->wait_s, ==, 3.0);
  g_assert_cmpfloat (spilled->build_s, ==, 6.0);
}

static GPtrArray *
list_batches (XaTestStore *f, gint64 from_us, gint64 to_us)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *batches = xa_store_list_batches (f->store, f->host_id, from_us, to_us, &error);

  g_assert_no_error (error);
  return batches;
}

/* The median and longest wait of the VMs admitted from @from_us on. */
static void
assert_waits (XaTestStore *f, gint64 from_us, gdouble median, gdouble longest)
{
  g_autoptr(GError) error = NULL;
  const gdouble pcts[] = { 50, 100 };
  gdouble waits[2];

  g_assert_true (xa_store_wait_percentiles (f->store, f->host_id, from_us, G_MAXINT64, 2, pcts,
                                            waits, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (waits[0], ==, median);
  g_assert_cmpfloat (waits[1], ==, longest);
}

static void
test_history_for_reports (XaTestStore *f, gconstpointer data)
{
  g_autoptr(GPtrArray) batches = NULL;
  g_autoptr(GPtrArray) later = NULL;
  g_autoptr(GArray) samples = NULL;
  g_autoptr(GError) error = NULL;
  const XaStoreBatchRow *batch;

  build_two_one_spilled (f);
  batches = list_batches (f, xa_test_at (0).wall_us, xa_test_at (100).wall_us);
  g_assert_cmpuint (batches->len, ==, 1);
  batch = g_ptr_array_index (batches, 0);
  g_assert_cmpstr (batch->policy, ==, "batch");
  g_assert_cmpuint (batch->n_built, ==, 2);
  g_assert_cmpuint (batch->n_local, ==, 1);
  assert_vms_of_build_two_one_spilled (f);
  samples = xa_store_node_memory (f->store, f->host_id, 0, G_MAXINT64, &error);
  g_assert_cmpuint (samples->len, ==, 2);
  g_assert_cmpuint (g_array_index (samples, XaStoreNodeSample, 1).node, ==, 1);
  assert_waits (f, 0, 2.0, 3.0);
  /* out of range: nothing */
  later = list_batches (f, xa_test_at (100).wall_us, G_MAXINT64);
  g_assert_cmpuint (later->len, ==, 0);
  assert_waits (f, xa_test_at (100).wall_us, -1.0, -1.0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  xa_test_store_add ("/store/claims/available-is-free-minus-claims",
                     test_available_is_free_minus_claims);
  xa_test_store_add ("/store/admit/records-plan-deferral-and-rejection",
                     test_admit_records_plan_deferral_and_rejection);
  xa_test_store_add ("/store/admit/leaves-a-cancelled-request-alone",
                     test_admit_leaves_a_cancelled_request_alone);
  xa_test_store_add ("/store/build/runs-its-course", test_build_runs_its_course);
  xa_test_store_add ("/store/build/failed-retries-or-fails", test_failed_build_retries_or_fails);
  xa_test_store_add ("/store/build/refuses-steps-out-of-order", test_refuses_steps_out_of_order);
  xa_test_store_add ("/store/cancel/releases-the-claim", test_cancel_releases_the_claim);
  xa_test_store_add ("/store/reconcile/after-a-restart", test_reconcile_after_a_restart);
  xa_test_store_add ("/store/reconcile/unfinished-is-half-built",
                     test_reconcile_unfinished_is_half_built);
  xa_test_store_add ("/store/admit/records-why", test_admission_records_why);
  xa_test_store_add ("/store/reconcile/unrecorded-domain-is-half-built",
                     test_reconcile_unrecorded_domain_is_half_built);
  xa_test_store_add ("/store/reconcile/ends-what-the-host-lost",
                     test_reconcile_ends_what_the_host_lost);
  xa_test_store_add ("/store/history/for-reports", test_history_for_reports);
  return g_test_run ();
}
