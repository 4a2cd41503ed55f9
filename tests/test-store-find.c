/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the queue's commands read of the ledger: a request by id or name,
 * the live requests, the nodes. */
#include "xa-error.h"
#include "xa-test-store.h"

/* The UUID of the host's request named @name, as the ledger lists it. */
static gchar *
uuid_of (XaTestStore *f, XaRequestState state, const gchar *name)
{
  g_autoptr(GPtrArray) requests = xa_test_list (f, state);

  for (guint i = 0; i < requests->len; i++) {
    XaStoreRequest *request = g_ptr_array_index (requests, i);

    if (g_str_equal (request->req->name, name))
      return g_strdup (request->uuid);
  }
  g_assert_not_reached ();
}

static void
test_store_find_by_uuid_or_newest_name (XaTestStore *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(XaStoreRequest) by_uuid = NULL;
  g_autoptr(XaStoreRequest) by_name = NULL;
  g_autoptr(GPtrArray) queued = NULL;
  g_autofree gchar *first = NULL;
  g_autofree gchar *second = NULL;

  xa_test_submit_vms (f, 2, 1024, 1);
  first = uuid_of (f, XA_REQUEST_QUEUED, "vm-1-0");
  queued = xa_test_list (f, XA_REQUEST_QUEUED);
  xa_test_cancel (f, xa_test_nth (queued, 0)->id, "test", 2);
  /* the name is free again: a second request of it */
  xa_test_submit_vms (f, 1, 2048, 1);
  second = uuid_of (f, XA_REQUEST_QUEUED, "vm-1-0");
  g_assert_cmpstr (first, !=, second);

  by_uuid = xa_store_find_request (f->store, f->host_id, first, &error);
  g_assert_no_error (error);
  g_assert_cmpint (by_uuid->state, ==, XA_REQUEST_CANCELLED);
  by_name = xa_store_find_request (f->store, f->host_id, "vm-1-0", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (by_name->uuid, ==, second);
  g_assert_cmpuint (by_name->req->memory_mib, ==, 2048);
}

static void
test_store_find_nothing_is_not_found (XaTestStore *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(XaStoreRequest) request = NULL;
  g_autoptr(XaStoreRequest) elsewhere = NULL;
  g_autofree gchar *uuid = NULL;
  gint64 other_host = 0;

  xa_test_submit_vms (f, 1, 1024, 1);
  request = xa_store_find_request (f->store, f->host_id, "no-such-vm", &error);
  g_assert_error (error, XA_ERROR, XA_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "\"no-such-vm\""));
  g_assert_null (request);
  g_clear_error (&error);

  /* another host's request is not this one's */
  uuid = uuid_of (f, XA_REQUEST_QUEUED, "vm-1-0");
  g_assert_true (xa_store_ensure_host (f->store, "host-2", "other", "sim", 2, xa_test_at (0),
                                       &other_host, &error));
  g_assert_no_error (error);
  elsewhere = xa_store_find_request (f->store, other_host, uuid, &error);
  g_assert_error (error, XA_ERROR, XA_ERROR_NOT_FOUND);
  g_assert_null (elsewhere);
}

static void
test_store_lookup_host_records_nothing (XaTestStore *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  gint64 host_id = -1;
  gint64 again = -1;

  g_assert_true (xa_store_lookup_host (f->store, "host-1", &host_id, &error));
  g_assert_no_error (error);
  g_assert_cmpint (host_id, ==, f->host_id);
  g_assert_true (xa_store_lookup_host (f->store, "host-9", &host_id, &error));
  g_assert_cmpint (host_id, ==, 0);
  /* looked up twice, still unknown: the first look recorded nothing */
  g_assert_true (xa_store_lookup_host (f->store, "host-9", &again, &error));
  g_assert_no_error (error);
  g_assert_cmpint (again, ==, 0);
}

/* Admitted VMs are live with their plan; a VM built is not. */
static void
test_store_live_vms_with_their_plan (XaTestStore *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) admitted = xa_test_admit_vms (f, 3, 8192);
  g_autoptr(GPtrArray) live = NULL;
  g_autoptr(XaStoreVmRow) built = NULL;
  XaStoreRequest *first = xa_test_nth (admitted, 0);

  xa_test_build (f, first, 3, 4);
  xa_test_submit_vms (f, 1, 1024, 5);
  live = xa_store_list_live_vms (f->store, f->host_id, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (live->len, ==, 3);
  for (guint i = 0; i < 2; i++) {
    const XaStoreVmRow *row = g_ptr_array_index (live, i);

    g_assert_cmpint (row->state, ==, XA_REQUEST_PLANNED);
    g_assert_cmpuint (row->planned_nodes, !=, 0);
    g_assert_cmpuint (row->planned_mib[0] + row->planned_mib[1], >, 8192);
    g_assert_cmpstr (row->group_id, ==, "group-1");
    g_assert_cmpint (row->queued_wall_us, ==, xa_test_at (1).wall_us);
    g_assert_cmpint (row->started_wall_us, ==, 0);
  }
  g_assert_cmpint (((XaStoreVmRow *) g_ptr_array_index (live, 2))->state, ==,
                   XA_REQUEST_QUEUED);
  g_assert_cmpuint (((XaStoreVmRow *) g_ptr_array_index (live, 2))->planned_nodes, ==, 0);

  built = xa_store_get_vm (f->store, first->id, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpint (built->state, ==, XA_REQUEST_RUNNING);
  g_assert_cmpint (built->started_wall_us, ==, xa_test_at (3).wall_us);
  g_assert_cmpint (built->finished_wall_us, ==, xa_test_at (4).wall_us);
  g_assert_cmpuint (built->memory_mib, ==, 8192);
}

static void
test_store_get_vm_of_nothing (XaTestStore *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(XaStoreVmRow) row = xa_store_get_vm (f->store, 42, 2, &error);

  g_assert_error (error, XA_ERROR, XA_ERROR_NOT_FOUND);
  g_assert_null (row);
}

/* Per node: free as last seen, what the builds in flight have yet to
 * take, and the rest. */
static void
test_store_node_status_nets_claims (XaTestStore *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) admitted = xa_test_admit_vms (f, 2, 8192);
  g_autoptr(GArray) nodes = NULL;
  guint64 claimed = 0;
  guint64 available[2];

  xa_test_refresh (f, NODE_MIB - 1024, NODE_MIB, 0, NULL, 3);
  nodes = xa_store_node_status (f->store, f->host_id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (nodes->len, ==, 2);
  xa_test_available (f, available);
  for (guint n = 0; n < 2; n++) {
    const XaStoreNodeStatus *status = &g_array_index (nodes, XaStoreNodeStatus, n);

    g_assert_cmpuint (status->node, ==, n);
    g_assert_cmpuint (status->total_mib, ==, NODE_MIB);
    g_assert_cmpuint (status->free_mib, ==, n == 0 ? NODE_MIB - 1024 : NODE_MIB);
    g_assert_cmpuint (status->available_mib, ==, status->free_mib - status->claimed_mib);
    g_assert_cmpuint (status->available_mib, ==, available[n]);
    claimed += status->claimed_mib;
  }
  /* two VMs of 8 GiB and their overhead, not yet built */
  g_assert_cmpuint (claimed, >, 2 * 8192);
}

static void
test_store_node_status_before_the_host_is_seen (XaTestStore *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) nodes = xa_store_node_status (f->store, f->host_id, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (nodes->len, ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  xa_test_store_add ("/store/find/by-uuid-or-newest-name", test_store_find_by_uuid_or_newest_name);
  xa_test_store_add ("/store/find/nothing-is-not-found", test_store_find_nothing_is_not_found);
  xa_test_store_add ("/store/find/lookup-host-records-nothing",
                     test_store_lookup_host_records_nothing);
  xa_test_store_add ("/store/find/live-vms-with-their-plan", test_store_live_vms_with_their_plan);
  xa_test_store_add ("/store/find/get-vm-of-nothing", test_store_get_vm_of_nothing);
  xa_test_store_add ("/store/find/node-status-nets-claims", test_store_node_status_nets_claims);
  xa_test_store_add ("/store/find/node-status-before-the-host-is-seen",
                     test_store_node_status_before_the_host_is_seen);
  return g_test_run ();
}
