/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-test-store.h"

/* Opens the store at @path into @f, with host "host-1" recorded. */
void
xa_test_store_open (XaTestStore *f, const gchar *path)
{
  g_autoptr(GError) error = NULL;

  f->path = g_strdup (path);
  f->store = xa_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_true (xa_store_ensure_host (f->store, "host-1", "epyc-2n", "sim", 2, xa_test_at (0),
                                       &f->host_id, &error));
  g_assert_no_error (error);
}

void
xa_test_store_close (XaTestStore *f)
{
  g_clear_pointer (&f->store, xa_store_free);
  g_clear_pointer (&f->path, g_free);
}

static void
xa_test_store_set_up (XaTestStore *f, gconstpointer data)
{
  g_autofree gchar *path = NULL;

  f->dir = xa_test_dir_new ();
  path = g_build_filename (f->dir, "state", "xadmit", "xadmit.db", NULL);
  xa_test_store_open (f, path);
}

static void
xa_test_store_tear_down (XaTestStore *f, gconstpointer data)
{
  xa_test_store_close (f);
  g_clear_pointer (&f->dir, xa_test_dir_free);
}

/* Adds a test that runs on a fresh store in a directory of its own. */
void
xa_test_store_add (const gchar *path, XaTestStoreFunc func)
{
  g_test_add (path, XaTestStore, NULL, xa_test_store_set_up, func, xa_test_store_tear_down);
}

/* @host_s on the host's clock, and a wall clock that moves with it. */
XaStoreTime
xa_test_at (gdouble host_s)
{
  XaStoreTime t = { G_GINT64_CONSTANT (1764000000000000) + (gint64) (host_s * G_USEC_PER_SEC),
                    host_s };

  return t;
}

void
xa_test_submit (XaTestStore *f, const gchar *group, GPtrArray *vms, gdouble s)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (xa_store_submit (f->store, f->host_id, group, vms, NULL, xa_test_at (s), NULL,
                                  &error));
  g_assert_no_error (error);
}

/* Queues @count VMs named vm-@s-i, in a group of their own. */
void
xa_test_submit_vms (XaTestStore *f, guint count, guint64 memory_mib, gdouble s)
{
  g_autoptr(GPtrArray) vms = xa_test_requests_new ();
  g_autofree gchar *group = g_strdup_printf ("group-%.0f", s);

  for (guint i = 0; i < count; i++) {
    g_autofree gchar *name = g_strdup_printf ("vm-%.0f-%u", s, i);

    xa_test_add_vm (vms, name, memory_mib, 2);
  }
  xa_test_submit (f, group, vms, s);
}

/* Records a snapshot of the two nodes of %NODE_MIB with their free memory. */
void
xa_test_refresh (XaTestStore *f, guint64 free0, guint64 free1, guint n_domains,
                 const XaStoreDomain *domains, gdouble s)
{
  const guint64 total[] = { NODE_MIB, NODE_MIB };
  const guint64 free_mib[] = { free0, free1 };
  XaStoreSnapshot snapshot = { 2, total, free_mib, n_domains, domains };
  g_autoptr(GError) error = NULL;

  g_assert_true (xa_store_refresh (f->store, f->host_id, &snapshot, xa_test_at (s), NULL, &error));
  g_assert_no_error (error);
}

GPtrArray *
xa_test_list (XaTestStore *f, XaRequestState state)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *requests = xa_store_list_requests (f->store, f->host_id, state, &error);

  g_assert_no_error (error);
  return requests;
}

/* How many of the host's requests are in @state. */
guint
xa_test_count (XaTestStore *f, XaRequestState state)
{
  g_autoptr(GPtrArray) requests = xa_test_list (f, state);

  return requests->len;
}

/* The @index-th of @requests, a list of XaStoreRequest: there must be one. */
XaStoreRequest *
xa_test_nth (GPtrArray *requests, guint index)
{
  g_assert_cmpuint (index, <, requests->len);
  return g_ptr_array_index (requests, index);
}

void
xa_test_cancel (XaTestStore *f, gint64 request_id, const gchar *reason, gdouble s)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (xa_store_cancel (f->store, request_id, reason, xa_test_at (s), &error));
  g_assert_no_error (error);
}

void
xa_test_start_build (XaTestStore *f, XaStoreRequest *request, gdouble s)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (xa_store_start_build (f->store, request, xa_test_at (s), &error));
  g_assert_no_error (error);
}

void
xa_test_available (XaTestStore *f, guint64 *available_mib)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (xa_store_available (f->store, f->host_id, 2, available_mib, &error));
  g_assert_no_error (error);
}

/* The test host's two nodes, with what the ledger says is available. */
static XaTopology *
xa_test_topology_available (XaTestStore *f)
{
  XaTopology *topo = xa_test_topology_new_xen (2, NODE_MIB);
  guint64 avail[2];

  xa_test_available (f, avail);
  for (guint n = 0; n < 2; n++)
    topo->nodes[n].free_mib = avail[n];
  return topo;
}

static GPtrArray *
xa_test_reqs_of (GPtrArray *queued)
{
  GPtrArray *reqs = g_ptr_array_new ();

  for (guint i = 0; i < queued->len; i++)
    g_ptr_array_add (reqs, ((XaStoreRequest *) g_ptr_array_index (queued, i))->req);
  return reqs;
}

/* Plans @queued with the batch planner against what the ledger says is
 * available, with Xen's overhead. */
XaPlan *
xa_test_plan_for (XaTestStore *f, GPtrArray *queued, gdouble s)
{
  g_autoptr(XaTopology) topo = xa_test_topology_available (f);
  g_autoptr(GPtrArray) reqs = xa_test_reqs_of (queued);

  return xa_batch_plan (topo, reqs, s);
}

/* Plans the queue and admits it, with what each placement rested on, as
 * the scheduler does. */
GPtrArray *
xa_test_plan_and_admit (XaTestStore *f, gdouble s)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *queued = xa_test_list (f, XA_REQUEST_QUEUED);
  g_autoptr(XaTopology) topo = xa_test_topology_available (f);
  g_autoptr(GPtrArray) reqs = xa_test_reqs_of (queued);
  g_autoptr(XaPlan) plan = xa_batch_plan (topo, reqs, s);
  g_autofree XaPlanWhy *why = xa_plan_why (plan, topo, reqs);
  XaStoreBatch batch = { "batch", 0, 0.5, xa_test_at (s), why };

  g_assert_true (xa_store_admit_batch (f->store, f->host_id, &batch, queued, plan, &error));
  g_assert_no_error (error);
  return queued;
}

/* Queues @count VMs at 1 s, sees the host empty, admits them at 2 s. */
GPtrArray *
xa_test_admit_vms (XaTestStore *f, guint count, guint64 memory_mib)
{
  xa_test_submit_vms (f, count, memory_mib, 1);
  xa_test_refresh (f, NODE_MIB, NODE_MIB, 0, NULL, 1);
  return xa_test_plan_and_admit (f, 2);
}

/* Returns: (transfer full): the two nodes' MiB in the last plan of @uuid */
guint64 *
xa_test_planned_mib_of (XaStore *store, gint64 host_id, const gchar *uuid)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) vms = xa_store_list_vms (store, host_id, 2, 0, G_MAXINT64, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < vms->len; i++) {
    XaStoreVmRow *row = g_ptr_array_index (vms, i);

    if (g_strcmp0 (row->uuid, uuid) == 0)
      return g_memdup2 (row->planned_mib, 2 * sizeof (guint64));
  }
  g_assert_not_reached ();
}

/* Builds @request from @start_s to @end_s, its memory where it was planned. */
void
xa_test_build (XaTestStore *f, XaStoreRequest *request, gdouble start_s, gdouble end_s)
{
  g_autoptr(GError) error = NULL;
  g_autofree guint64 *planned = xa_test_planned_mib_of (f->store, f->host_id, request->uuid);

  xa_test_start_build (f, request, start_s);
  g_assert_true (xa_store_complete_build (f->store, request, 2, planned, xa_test_at (end_s),
                                          &error));
  g_assert_no_error (error);
}
