/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-test-store.h"

static void
test_submit_queues_every_field (XaTestStore *f, gconstpointer data)
{
  g_autoptr(GPtrArray) vms = xa_test_requests_new ();
  g_autoptr(GPtrArray) uuids = NULL;
  g_autoptr(GPtrArray) queued = NULL;
  g_autoptr(GPtrArray) guests = g_ptr_array_new_with_free_func ((GDestroyNotify) xa_guest_free);
  g_autoptr(GError) error = NULL;
  XaRequest *pvh = xa_test_add_vm (vms, "pvh-1", 2 * GiB, 4);
  XaRequest *pinned = xa_test_add_vm (vms, "pinned", GiB, 2);
  const guint cpus[] = { 3, 17 };
  const XaStoreRequest *got;

  pvh->priority = -7;
  pvh->nodes = 0x2;
  g_ptr_array_add (guests, xa_guest_new (XA_GUEST_PVH, "/boot/vmlinuz", NULL, "console=hvc0"));
  g_ptr_array_add (guests, xa_guest_new (XA_GUEST_PV, NULL, NULL, NULL));
  pinned->hard_affinity = g_array_new (FALSE, FALSE, sizeof (guint));
  g_array_append_vals (pinned->hard_affinity, cpus, G_N_ELEMENTS (cpus));
  g_assert_true (xa_store_submit (f->store, f->host_id, "manifest.json", vms, guests,
                                  xa_test_at (12.5), &uuids, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (uuids->len, ==, 2);
  g_assert_true (g_uuid_string_is_valid (g_ptr_array_index (uuids, 0)));
  g_assert_cmpstr (g_ptr_array_index (uuids, 0), !=, g_ptr_array_index (uuids, 1));
  queued = xa_test_list (f, XA_REQUEST_QUEUED);
  g_assert_cmpuint (queued->len, ==, 2);
  got = g_ptr_array_index (queued, 0);
  g_assert_cmpstr (got->uuid, ==, g_ptr_array_index (uuids, 0));
  g_assert_cmpstr (got->group_id, ==, "manifest.json");
  g_assert_cmpstr (got->req->name, ==, "pvh-1");
  g_assert_cmpuint (got->req->memory_mib, ==, 2 * GiB);
  g_assert_cmpuint (got->req->vcpus, ==, 4);
  g_assert_cmpint (got->req->priority, ==, -7);
  g_assert_cmphex (got->req->nodes, ==, 0x2);
  g_assert_null (got->req->hard_affinity);
  g_assert_cmpint (got->guest->type, ==, XA_GUEST_PVH);
  g_assert_cmpstr (got->guest->kernel, ==, "/boot/vmlinuz");
  g_assert_null (got->guest->ramdisk);
  g_assert_cmpstr (got->guest->cmdline, ==, "console=hvc0");
  g_assert_cmpfloat (got->req->queued_s, ==, 12.5);
  g_assert_cmpint (got->queued.wall_us, ==, xa_test_at (12.5).wall_us);
  g_assert_cmpint (got->state, ==, XA_REQUEST_QUEUED);
  g_assert_cmpuint (got->attempts, ==, 0);
  got = g_ptr_array_index (queued, 1);
  g_assert_cmpuint (got->req->hard_affinity->len, ==, 2);
  g_assert_cmpuint (g_array_index (got->req->hard_affinity, guint, 1), ==, 17);
  g_assert_cmpint (got->guest->type, ==, XA_GUEST_PV);
}

/* Atomic: a batch with a live name queues none of its VMs. */
static void
test_submit_refuses_a_live_name_and_queues_none (XaTestStore *f, gconstpointer data)
{
  g_autoptr(GPtrArray) again = xa_test_requests_new ();
  g_autoptr(GError) error = NULL;

  xa_test_submit_vms (f, 2, GiB, 1);
  xa_test_add_vm (again, "new-one", GiB, 1);
  xa_test_add_vm (again, "vm-1-1", GiB, 1);
  g_assert_false (xa_store_submit (f->store, f->host_id, "again", again, NULL, xa_test_at (2), NULL,
                                   &error));
  g_assert_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT);
  g_assert_cmpstr (error->message, ==,
                   "VM \"vm-1-1\" is already queued or being built on this host (names are "
                   "unique among the VMs xadmit has not finished with)");
  g_assert_cmpuint (xa_test_count (f, XA_REQUEST_QUEUED), ==, 2);
}

static void
test_submit_reuses_a_name_once_its_vm_ended (XaTestStore *f, gconstpointer data)
{
  g_autoptr(GPtrArray) queued = NULL;

  xa_test_submit_vms (f, 1, GiB, 1);
  queued = xa_test_list (f, XA_REQUEST_QUEUED);
  xa_test_cancel (f, xa_test_nth (queued, 0)->id, "the operator changed their mind", 2);
  xa_test_submit_vms (f, 1, GiB, 1);
  g_assert_cmpuint (xa_test_count (f, XA_REQUEST_QUEUED), ==, 1);
}

/* Held writes: others see them at the flush, all at once. */
static void
test_hold_commits_at_the_flush (XaTestStore *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(XaStore) other = NULL;
  g_autoptr(GPtrArray) before = NULL;
  g_autoptr(GPtrArray) after = NULL;

  xa_store_hold (f->store);
  xa_test_submit_vms (f, 2, GiB, 1);
  xa_test_submit_vms (f, 1, GiB, 2);
  /* opening a ledger whose writer holds its lock does not wait for it */
  other = xa_store_open (f->path, &error);
  g_assert_no_error (error);
  before = xa_store_list_requests (other, f->host_id, XA_REQUEST_QUEUED, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (before->len, ==, 0);
  g_assert_true (xa_store_flush (f->store, &error));
  after = xa_store_list_requests (other, f->host_id, XA_REQUEST_QUEUED, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (after->len, ==, 3);
  g_assert_true (xa_store_release (f->store, &error));
  g_assert_no_error (error);
}

/* A failed operation while held loses all that is held, and says so until
 * the hold ends; nothing half done is ever committed. */
static void
test_hold_failure_rolls_back_what_is_held (XaTestStore *f, gconstpointer data)
{
  g_autoptr(GPtrArray) queued = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) vms = xa_test_requests_new ();

  xa_store_hold (f->store);
  xa_test_submit_vms (f, 1, GiB, 1);
  queued = xa_test_list (f, XA_REQUEST_QUEUED);
  g_assert_cmpuint (queued->len, ==, 1);
  g_assert_false (xa_store_start_build (f->store, g_ptr_array_index (queued, 0), xa_test_at (2),
                                        &error));
  g_assert_nonnull (strstr (error->message, "cannot become building"));
  g_clear_error (&error);
  xa_test_add_vm (vms, "late", GiB, 1);
  g_assert_false (xa_store_submit (f->store, f->host_id, "late", vms, NULL, xa_test_at (3), NULL,
                                   &error));
  g_assert_nonnull (strstr (error->message, "the writes since the last commit were rolled back"));
  g_clear_error (&error);
  g_assert_false (xa_store_release (f->store, &error));
  g_assert_error (error, XA_ERROR, XA_ERROR_FAILED);
  g_assert_cmpuint (xa_test_count (f, XA_REQUEST_QUEUED), ==, 0);
  xa_test_submit (f, "late", vms, 4);
  g_assert_cmpuint (xa_test_count (f, XA_REQUEST_QUEUED), ==, 1);
}

/* A cancel of what has ended is the caller's mistake: refused before any
 * write, so it costs nothing that is held. */
static void
test_hold_survives_a_refused_cancel (XaTestStore *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  xa_store_hold (f->store);
  xa_test_submit_vms (f, 1, GiB, 1);
  g_assert_false (xa_store_cancel (f->store, 999, "no such", xa_test_at (2), &error));
  g_assert_error (error, XA_ERROR, XA_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_true (xa_store_release (f->store, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (xa_test_count (f, XA_REQUEST_QUEUED), ==, 1);
}

static XaRequestState
ask_cancel (XaTestStore *f, gint64 request_id, GError **error)
{
  XaRequestState state = XA_REQUEST_QUEUED;

  if (!xa_store_ask_cancel (f->store, request_id, "not needed", xa_test_at (3), &state, error))
    return XA_REQUEST_STATE_LAST + 1;
  return state;
}

/* Queued: cancelled at once. In flight: noted for its admitter, listed,
 * still in flight. Running or over: refused, saying why. */
static void
test_ask_cancel_in_each_state (XaTestStore *f, gconstpointer data)
{
  g_autoptr(GPtrArray) admitted = xa_test_admit_vms (f, 3, 4 * GiB);
  g_autoptr(GArray) asked = NULL;
  g_autoptr(GError) error = NULL;
  const guint64 actual[2] = { 4 * GiB + 4, 0 };

  xa_test_submit_vms (f, 1, 4 * GiB, 2);
  g_assert_cmpint (ask_cancel (f, xa_test_nth (xa_test_list (f, XA_REQUEST_QUEUED), 0)->id,
                               &error), ==, XA_REQUEST_CANCELLED);
  g_assert_no_error (error);
  g_assert_cmpint (ask_cancel (f, xa_test_nth (admitted, 0)->id, &error), ==,
                   XA_REQUEST_PLANNED);
  g_assert_no_error (error);
  asked = xa_store_list_cancel_asked (f->store, f->host_id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (asked->len, ==, 1);
  g_assert_cmpint (g_array_index (asked, gint64, 0), ==, xa_test_nth (admitted, 0)->id);
  g_assert_cmpuint (xa_test_count (f, XA_REQUEST_PLANNED), ==, 3);
  xa_test_start_build (f, g_ptr_array_index (admitted, 1), 3);
  g_assert_true (xa_store_complete_build (f->store, g_ptr_array_index (admitted, 1), 2, actual,
                                          xa_test_at (4), &error));
  g_assert_cmpint (ask_cancel (f, xa_test_nth (admitted, 1)->id, &error), >,
                   XA_REQUEST_STATE_LAST);
  g_assert_error (error, XA_ERROR, XA_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "running: xadmit leaves a running VM alone"));
  g_clear_error (&error);
  xa_test_cancel (f, xa_test_nth (admitted, 2)->id, "gone", 5);
  g_assert_cmpint (ask_cancel (f, xa_test_nth (admitted, 2)->id, &error), >,
                   XA_REQUEST_STATE_LAST);
  g_assert_error (error, XA_ERROR, XA_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "cancelled already"));
  g_clear_error (&error);
  /* the count a waiting process reads is the rows' */
  for (XaRequestState state = 0; state <= XA_REQUEST_STATE_LAST; state++) {
    g_autoptr(GPtrArray) rows = xa_test_list (f, state);
    guint count = G_MAXUINT;

    g_assert_true (xa_store_count_in_state (f->store, f->host_id, state, &count, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (count, ==, rows->len);
  }
  g_assert_cmpuint (xa_test_count (f, XA_REQUEST_CANCELLED), ==, 2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  xa_test_store_add ("/store/submit/queues-every-field", test_submit_queues_every_field);
  xa_test_store_add ("/store/submit/refuses-a-live-name-and-queues-none",
                     test_submit_refuses_a_live_name_and_queues_none);
  xa_test_store_add ("/store/submit/reuses-a-name-once-its-vm-ended",
                     test_submit_reuses_a_name_once_its_vm_ended);
  xa_test_store_add ("/store/hold/commits-at-the-flush", test_hold_commits_at_the_flush);
  xa_test_store_add ("/store/hold/failure-rolls-back-what-is-held",
                     test_hold_failure_rolls_back_what_is_held);
  xa_test_store_add ("/store/hold/survives-a-refused-cancel", test_hold_survives_a_refused_cancel);
  xa_test_store_add ("/store/cancel/asked-in-each-state", test_ask_cancel_in_each_state);
  return g_test_run ();
}
