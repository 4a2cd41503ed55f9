/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "xa-store.h"
#include "xa-test-util.h"

#define GiB 1024
#define NODE_MIB (64 * GiB)
/* An SQLite header field: the schema version at 60, the application id at 68. */
#define HEADER_USER_VERSION 60
#define HEADER_APPLICATION_ID 68

static gchar *test_binary;

static XaStoreTime
at (gdouble host_s)
{
  XaStoreTime t = { G_GINT64_CONSTANT (1764000000000000) + (gint64) (host_s * G_USEC_PER_SEC),
                    host_s };

  return t;
}

static void
remove_tree (const gchar *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const gchar *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
    g_autofree gchar *child = g_build_filename (path, name, NULL);

    if (g_file_test (child, G_FILE_TEST_IS_DIR))
      remove_tree (child);
    else
      g_unlink (child);
  }
  g_rmdir (path);
}

typedef struct {
  gchar *dir;
  gchar *path;
  XaStore *store;
  gint64 host_id;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("xadmit-store-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "state", "xadmit", "xadmit.db", NULL);
  f->store = xa_store_open (f->path, &error);
  g_assert_no_error (error);
  g_assert_true (xa_store_ensure_host (f->store, "host-1", "epyc-2n", "sim", 2, at (0),
                                       &f->host_id, &error));
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->store, xa_store_free);
  remove_tree (f->dir);
  g_free (f->path);
  g_free (f->dir);
}

static void
submit (Fixture *f, const gchar *group, GPtrArray *vms, gdouble s)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (xa_store_submit (f->store, f->host_id, group, vms, NULL, at (s), NULL, &error));
  g_assert_no_error (error);
}

static void
submit_vms (Fixture *f, guint count, guint64 memory_mib, gdouble s)
{
  g_autoptr(GPtrArray) vms = xa_test_requests_new ();
  g_autofree gchar *group = g_strdup_printf ("group-%.0f", s);

  for (guint i = 0; i < count; i++) {
    g_autofree gchar *name = g_strdup_printf ("vm-%.0f-%u", s, i);

    xa_test_add_vm (vms, name, memory_mib, 2);
  }
  submit (f, group, vms, s);
}

static void
refresh (Fixture *f, guint64 free0, guint64 free1, guint n_domains, const XaStoreDomain *domains,
         gdouble s)
{
  const guint64 total[] = { NODE_MIB, NODE_MIB };
  const guint64 free_mib[] = { free0, free1 };
  XaStoreSnapshot snapshot = { 2, total, free_mib, n_domains, domains };
  g_autoptr(GError) error = NULL;

  g_assert_true (xa_store_refresh (f->store, f->host_id, &snapshot, at (s), NULL, &error));
  g_assert_no_error (error);
}

static GPtrArray *
list (Fixture *f, XaRequestState state)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *requests = xa_store_list_requests (f->store, f->host_id, state, &error);

  g_assert_no_error (error);
  return requests;
}

static void
available (Fixture *f, guint64 *available_mib)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (xa_store_available (f->store, f->host_id, 2, available_mib, &error));
  g_assert_no_error (error);
}

/* Plans @queued with the batch planner against what the ledger says is
 * available, with Xen's overhead. */
static XaPlan *
plan_for (Fixture *f, GPtrArray *queued, gdouble s)
{
  g_autoptr(XaTopology) topo = xa_test_topology_new (2, NODE_MIB);
  g_autoptr(GPtrArray) reqs = g_ptr_array_new ();
  guint64 avail[2];

  topo->overhead_mib_per_vm = 1;
  topo->overhead_kib_per_vcpu = 1176;
  available (f, avail);
  for (guint n = 0; n < 2; n++)
    topo->nodes[n].free_mib = avail[n];
  for (guint i = 0; i < queued->len; i++)
    g_ptr_array_add (reqs, ((XaStoreRequest *) g_ptr_array_index (queued, i))->req);
  return xa_batch_plan (topo, reqs, s);
}

/* Plans the queue and admits it. */
static GPtrArray *
plan_and_admit (Fixture *f, gdouble s)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *queued = list (f, XA_REQUEST_QUEUED);
  g_autoptr(XaPlan) plan = plan_for (f, queued, s);
  XaStoreBatch batch = { "batch", 0, 0.5, at (s) };

  g_assert_true (xa_store_admit_batch (f->store, f->host_id, &batch, queued, plan, &error));
  g_assert_no_error (error);
  return queued;
}

static guint64 *
planned_mib_of (XaStore *store, gint64 host_id, const gchar *uuid)
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

static void
test_open_creates_a_private_file (Fixture *f, gconstpointer data)
{
  g_autofree gchar *dir = g_path_get_dirname (f->path);
  GStatBuf st;

  g_assert_cmpint (g_stat (f->path, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (dir, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 0777, ==, 0700);
  g_assert_cmpstr (xa_store_get_path (f->store), ==, f->path);
}

static void
test_open_reopens_its_own_database (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(XaStore) again = NULL;
  g_autoptr(GPtrArray) queued = NULL;
  gint64 host_id = 0;

  submit_vms (f, 3, GiB, 1);
  g_clear_pointer (&f->store, xa_store_free);
  again = xa_store_open (f->path, &error);
  g_assert_no_error (error);
  g_assert_true (xa_store_ensure_host (again, "host-1", "epyc-2n", "sim", 2, at (2), &host_id,
                                       &error));
  g_assert_cmpint (host_id, ==, f->host_id);
  queued = xa_store_list_requests (again, host_id, XA_REQUEST_QUEUED, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (queued->len, ==, 3);
}

static GBytes *
read_file (const gchar *path)
{
  g_autoptr(GError) error = NULL;
  gchar *contents = NULL;
  gsize len = 0;

  g_assert_true (g_file_get_contents (path, &contents, &len, &error));
  g_assert_no_error (error);
  return g_bytes_new_take (contents, len);
}

/* A file that xadmit cannot use gives one sentence and stays as it was. */
static void
assert_refused (const gchar *path, const gchar *message)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) before = g_file_test (path, G_FILE_TEST_IS_REGULAR) ? read_file (path) : NULL;
  g_autoptr(XaStore) store = xa_store_open (path, &error);

  g_assert_null (store);
  g_assert_error (error, XA_ERROR, XA_ERROR_FAILED);
  g_assert_true (g_str_has_prefix (error->message, path));
  g_assert_nonnull (strstr (error->message, message));
  g_assert_null (strchr (error->message, '\n'));
  if (before != NULL) {
    g_autoptr(GBytes) after = read_file (path);

    g_assert_true (g_bytes_equal (before, after));
  }
}

static void
test_open_refuses_a_file_others_can_write (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->store, xa_store_free);
  g_assert_cmpint (g_chmod (f->path, 0664), ==, 0);
  assert_refused (f->path, "other users may write it (mode 0664)");
}

static void
test_open_refuses_what_is_not_a_database (Fixture *f, gconstpointer data)
{
  g_autofree gchar *text = g_build_filename (f->dir, "notes.txt", NULL);
  g_autofree gchar *garbage = g_strnfill (8192, 'x');
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents_full (text, garbage, -1, G_FILE_SET_CONTENTS_NONE, 0600,
                                           &error));
  assert_refused (text, "is not a database xadmit can read");
  assert_refused (f->dir, "is not a database file");
}

/* Opens the closed database at @path, sets a big-endian header field. */
static void
patch_header (const gchar *path, goffset offset, guint32 value)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *contents = NULL;
  gsize len = 0;
  guint32 big = GUINT32_TO_BE (value);

  g_assert_true (g_file_get_contents (path, &contents, &len, &error));
  memcpy (contents + offset, &big, sizeof big);
  g_assert_true (g_file_set_contents_full (path, contents, (gssize) len,
                                           G_FILE_SET_CONTENTS_NONE, 0600, &error));
  g_assert_no_error (error);
}

static void
test_open_refuses_another_programs_database (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->store, xa_store_free);
  patch_header (f->path, HEADER_APPLICATION_ID, 0x46505244);
  assert_refused (f->path, "is an SQLite database of another program (application id 0x46505244)");
}

static void
test_open_refuses_a_newer_schema (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->store, xa_store_free);
  patch_header (f->path, HEADER_USER_VERSION, XA_STORE_SCHEMA_VERSION + 1);
  assert_refused (f->path, "was written by a newer xadmit");
}

/* Page 1 past its header holds the schema: garbage there is corruption. */
static void
test_open_reports_a_corrupt_database (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *contents = NULL;
  gsize len = 0;

  submit_vms (f, 2, GiB, 1);
  g_clear_pointer (&f->store, xa_store_free);
  g_assert_true (g_file_get_contents (f->path, &contents, &len, &error));
  memset (contents + 100, 0xa5, 1024);
  g_assert_true (g_file_set_contents_full (f->path, contents, (gssize) len,
                                           G_FILE_SET_CONTENTS_NONE, 0600, &error));
  assert_refused (f->path, "malformed");
}

static void
test_open_default_path (void)
{
  g_autofree gchar *path = xa_store_default_path ();

  if (geteuid () == 0)
    g_assert_cmpstr (path, ==, "/var/lib/xadmit/xadmit.db");
  else
    g_assert_true (g_str_has_suffix (path, "/xadmit/xadmit.db"));
}

static void
test_host_is_recorded_once (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  gint64 same = 0;
  gint64 other = 0;

  g_assert_true (xa_store_ensure_host (f->store, "host-1", "epyc-2n", "sim", 2, at (1), &same,
                                       &error));
  g_assert_cmpint (same, ==, f->host_id);
  g_assert_true (xa_store_ensure_host (f->store, "host-2", "epyc-2n", "sim", 2, at (1), &other,
                                       &error));
  g_assert_no_error (error);
  g_assert_cmpint (other, !=, f->host_id);
}

static void
test_host_keeps_its_node_count (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  gint64 id = 0;

  g_assert_false (xa_store_ensure_host (f->store, "host-1", "epyc-2n", "sim", 4, at (1), &id,
                                        &error));
  g_assert_error (error, XA_ERROR, XA_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "is recorded with 2 nodes, but now has 4"));
}

static void
test_submit_queues_every_field (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) vms = xa_test_requests_new ();
  g_autoptr(GPtrArray) guests = g_ptr_array_new_with_free_func ((GDestroyNotify) xa_guest_free);
  g_autoptr(GPtrArray) uuids = NULL;
  g_autoptr(GPtrArray) queued = NULL;
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
  g_assert_true (xa_store_submit (f->store, f->host_id, "manifest.json", vms, guests, at (12.5),
                                  &uuids, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (uuids->len, ==, 2);
  g_assert_true (g_uuid_string_is_valid (g_ptr_array_index (uuids, 0)));
  g_assert_cmpstr (g_ptr_array_index (uuids, 0), !=, g_ptr_array_index (uuids, 1));
  queued = list (f, XA_REQUEST_QUEUED);
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
  g_assert_cmpint (got->queued.wall_us, ==, at (12.5).wall_us);
  g_assert_cmpint (got->state, ==, XA_REQUEST_QUEUED);
  g_assert_cmpuint (got->attempts, ==, 0);
  got = g_ptr_array_index (queued, 1);
  g_assert_cmpuint (got->req->hard_affinity->len, ==, 2);
  g_assert_cmpuint (g_array_index (got->req->hard_affinity, guint, 1), ==, 17);
  g_assert_cmpint (got->guest->type, ==, XA_GUEST_PV);
}

/* Atomic: a batch with a live name queues none of its VMs. */
static void
test_submit_refuses_a_live_name_and_queues_none (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) again = xa_test_requests_new ();
  g_autoptr(GPtrArray) queued = NULL;
  g_autoptr(GError) error = NULL;

  submit_vms (f, 2, GiB, 1);
  xa_test_add_vm (again, "new-one", GiB, 1);
  xa_test_add_vm (again, "vm-1-1", GiB, 1);
  g_assert_false (xa_store_submit (f->store, f->host_id, "again", again, NULL, at (2), NULL, &error));
  g_assert_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT);
  g_assert_cmpstr (error->message, ==,
                   "VM \"vm-1-1\" is already queued or being built on this host (names are "
                   "unique among the VMs xadmit has not finished with)");
  queued = list (f, XA_REQUEST_QUEUED);
  g_assert_cmpuint (queued->len, ==, 2);
}

static void
test_submit_reuses_a_name_once_its_vm_ended (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) queued = NULL;
  g_autoptr(GError) error = NULL;

  submit_vms (f, 1, GiB, 1);
  queued = list (f, XA_REQUEST_QUEUED);
  g_assert_true (xa_store_cancel (f->store, ((XaStoreRequest *) g_ptr_array_index (queued, 0))->id,
                                  "the operator changed their mind", at (2), &error));
  g_assert_no_error (error);
  submit_vms (f, 1, GiB, 1);
}

/* Claims take memory from what is available until the host charges it. */
static void
test_available_is_free_minus_claims (Fixture *f, gconstpointer data)
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
  submit_vms (f, 2, 8 * GiB, 1);
  refresh (f, 40 * GiB, 40 * GiB, 0, NULL, 1);
  available (f, avail);
  g_assert_cmpuint (avail[0], ==, 40 * GiB);
  admitted = plan_and_admit (f, 2);
  available (f, after_claims);
  g_assert_cmpuint ((avail[0] - after_claims[0]) + (avail[1] - after_claims[1]), ==,
                    2 * (8 * GiB + 1 + 3));
  /* the first build has allocated half of its memory: that much is charged */
  first = g_ptr_array_index (admitted, 0);
  g_assert_cmpint (first->state, ==, XA_REQUEST_PLANNED);
  g_assert_true (xa_store_start_build (f->store, first, at (3), &error));
  for (guint n = 0; n < 2; n++) {
    g_autofree guint64 *planned = planned_mib_of (f->store, f->host_id, first->uuid);

    actual[n] = planned[n] / 2;
  }
  domain.uuid = first->uuid;
  domain.mib_by_node = actual;
  refresh (f, 40 * GiB - actual[0], 40 * GiB - actual[1], 1, &domain, 4);
  available (f, avail);
  g_assert_cmpuint (avail[0] + avail[1], ==, after_claims[0] + after_claims[1]);
  /* done: the claim is gone, the host's free memory says it all */
  for (guint n = 0; n < 2; n++)
    actual[n] *= 2;
  g_assert_true (xa_store_complete_build (f->store, first, 2, actual, at (5), &error));
  g_assert_no_error (error);
  refresh (f, 40 * GiB - actual[0], 40 * GiB - actual[1], 1, &domain, 6);
  available (f, avail);
  g_assert_cmpuint (avail[0] + avail[1], ==, after_claims[0] + after_claims[1]);
}

/* Planned, deferred, rejected: one batch, every request's state and log. */
static void
test_admit_records_plan_deferral_and_rejection (Fixture *f, gconstpointer data)
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

  xa_test_add_vm (vms, "fits", 30 * GiB, 2);
  xa_test_add_vm (vms, "later", 50 * GiB, 2);
  xa_test_add_vm (vms, "never", 200 * GiB, 2);
  submit (f, "mixed", vms, 1);
  refresh (f, 40 * GiB, 10 * GiB, 0, NULL, 1);
  admitted = plan_and_admit (f, 2);
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
  g_assert_cmpuint (((XaStoreBatchRow *) g_ptr_array_index (batches, 0))->n_planned, ==, 1);
  g_assert_cmpuint (((XaStoreBatchRow *) g_ptr_array_index (batches, 0))->n_deferred, ==, 1);
  g_assert_cmpuint (((XaStoreBatchRow *) g_ptr_array_index (batches, 0))->n_rejected, ==, 1);
}

/* Cancelled between reading the queue and admitting: left alone. */
static void
test_admit_leaves_a_cancelled_request_alone (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) queued = NULL;
  g_autoptr(XaPlan) plan = NULL;
  g_autoptr(GPtrArray) cancelled = NULL;
  XaStoreBatch batch = { "batch", 0, 0.1, at (3) };
  guint64 avail[2];

  submit_vms (f, 2, GiB, 1);
  refresh (f, NODE_MIB, NODE_MIB, 0, NULL, 1);
  queued = list (f, XA_REQUEST_QUEUED);
  plan = plan_for (f, queued, 2);
  g_assert_true (xa_store_cancel (f->store, ((XaStoreRequest *) g_ptr_array_index (queued, 0))->id,
                                  "withdrawn", at (2), &error));
  g_assert_true (xa_store_admit_batch (f->store, f->host_id, &batch, queued, plan, &error));
  g_assert_no_error (error);
  g_assert_cmpint (((XaStoreRequest *) g_ptr_array_index (queued, 0))->state, ==,
                   XA_REQUEST_QUEUED);
  g_assert_cmpint (((XaStoreRequest *) g_ptr_array_index (queued, 1))->state, ==,
                   XA_REQUEST_PLANNED);
  cancelled = list (f, XA_REQUEST_CANCELLED);
  g_assert_cmpuint (cancelled->len, ==, 1);
  /* its memory is not claimed */
  available (f, avail);
  g_assert_cmpuint (avail[0] + avail[1], ==, 2 * NODE_MIB - (GiB + 1 + 3));
}

static void
test_build_runs_its_course (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) admitted = NULL;
  g_autoptr(GPtrArray) running = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GError) error = NULL;
  XaStoreRequest *request;
  g_autofree guint64 *planned = NULL;

  submit_vms (f, 1, 4 * GiB, 1);
  refresh (f, NODE_MIB, NODE_MIB, 0, NULL, 1);
  admitted = plan_and_admit (f, 2);
  request = g_ptr_array_index (admitted, 0);
  g_assert_true (xa_store_start_build (f->store, request, at (3), &error));
  g_assert_cmpint (request->state, ==, XA_REQUEST_BUILDING);
  g_assert_cmpuint (request->attempts, ==, 1);
  planned = planned_mib_of (f->store, f->host_id, request->uuid);
  g_assert_true (xa_store_complete_build (f->store, request, 2, planned, at (5), &error));
  g_assert_no_error (error);
  g_assert_cmpint (request->state, ==, XA_REQUEST_RUNNING);
  running = list (f, XA_REQUEST_RUNNING);
  g_assert_cmpuint (running->len, ==, 1);
  events = xa_store_list_events (f->store, request->id, &error);
  g_assert_cmpuint (events->len, ==, 4);
  g_assert_cmpstr (((XaStoreEvent *) g_ptr_array_index (events, 3))->to, ==, "running");
  g_assert_cmpfloat (((XaStoreEvent *) g_ptr_array_index (events, 3))->at.host_s, ==, 5);
}

static void
test_failed_build_retries_or_fails (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) admitted = NULL;
  g_autoptr(GPtrArray) again = NULL;
  g_autoptr(GError) error = NULL;
  XaStoreRequest *request;
  guint64 avail[2];

  submit_vms (f, 1, 4 * GiB, 1);
  refresh (f, NODE_MIB, NODE_MIB, 0, NULL, 1);
  admitted = plan_and_admit (f, 2);
  request = g_ptr_array_index (admitted, 0);
  g_assert_true (xa_store_start_build (f->store, request, at (3), &error));
  g_assert_true (xa_store_fail_build (f->store, request, "xenguest exited with status 1", TRUE,
                                      at (4), &error));
  g_assert_no_error (error);
  g_assert_cmpint (request->state, ==, XA_REQUEST_QUEUED);
  available (f, avail);
  g_assert_cmpuint (avail[0] + avail[1], ==, 2 * NODE_MIB);
  again = plan_and_admit (f, 5);
  request = g_ptr_array_index (again, 0);
  g_assert_cmpuint (request->attempts, ==, 1);
  g_assert_true (xa_store_start_build (f->store, request, at (6), &error));
  g_assert_cmpuint (request->attempts, ==, 2);
  g_assert_true (xa_store_fail_build (f->store, request, "xenguest exited with status 1", FALSE,
                                      at (7), &error));
  g_assert_cmpint (request->state, ==, XA_REQUEST_FAILED);
  g_assert_cmpstr (request->reason, ==, "xenguest exited with status 1");
}

static void
test_cancel_releases_the_claim (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) admitted = NULL;
  g_autoptr(GError) error = NULL;
  XaStoreRequest *request;
  guint64 avail[2];

  submit_vms (f, 1, 4 * GiB, 1);
  refresh (f, NODE_MIB, NODE_MIB, 0, NULL, 1);
  admitted = plan_and_admit (f, 2);
  request = g_ptr_array_index (admitted, 0);
  g_assert_true (xa_store_cancel (f->store, request->id, "SIGINT", at (3), &error));
  g_assert_no_error (error);
  available (f, avail);
  g_assert_cmpuint (avail[0] + avail[1], ==, 2 * NODE_MIB);
  g_assert_false (xa_store_cancel (f->store, request->id, "again", at (4), &error));
  g_assert_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT);
  g_assert_cmpstr (error->message, ==, "request 1 is cancelled already: there is nothing to cancel");
  g_clear_error (&error);
  g_assert_false (xa_store_cancel (f->store, 999, "no such", at (4), &error));
  g_assert_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT);
}

/* A step out of order is an error and changes nothing. */
static void
test_refuses_steps_out_of_order (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) queued = NULL;
  g_autoptr(GPtrArray) still = NULL;
  g_autoptr(GError) error = NULL;
  XaStoreRequest *request;
  const guint64 actual[] = { GiB, 0 };

  submit_vms (f, 1, GiB, 1);
  queued = list (f, XA_REQUEST_QUEUED);
  request = g_ptr_array_index (queued, 0);
  g_assert_false (xa_store_start_build (f->store, request, at (2), &error));
  g_assert_error (error, XA_ERROR, XA_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "is not planned any more, so it cannot become building"));
  g_clear_error (&error);
  g_assert_false (xa_store_complete_build (f->store, request, 2, actual, at (2), &error));
  g_assert_error (error, XA_ERROR, XA_ERROR_FAILED);
  g_clear_error (&error);
  g_assert_false (xa_store_fail_build (f->store, request, "no build", TRUE, at (2), &error));
  g_assert_error (error, XA_ERROR, XA_ERROR_FAILED);
  g_assert_cmpint (request->state, ==, XA_REQUEST_QUEUED);
  still = list (f, XA_REQUEST_QUEUED);
  g_assert_cmpuint (still->len, ==, 1);
  g_assert_cmpuint (((XaStoreRequest *) g_ptr_array_index (still, 0))->attempts, ==, 0);
}

/* Held writes: others see them at the flush, all at once. */
static void
test_hold_commits_at_the_flush (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(XaStore) other = NULL;
  g_autoptr(GPtrArray) before = NULL;
  g_autoptr(GPtrArray) after = NULL;

  xa_store_hold (f->store);
  submit_vms (f, 2, GiB, 1);
  submit_vms (f, 1, GiB, 2);
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
test_hold_failure_rolls_back_what_is_held (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) queued = NULL;
  g_autoptr(GPtrArray) none = NULL;
  g_autoptr(GPtrArray) one = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) vms = xa_test_requests_new ();

  xa_store_hold (f->store);
  submit_vms (f, 1, GiB, 1);
  queued = list (f, XA_REQUEST_QUEUED);
  g_assert_cmpuint (queued->len, ==, 1);
  g_assert_false (xa_store_start_build (f->store, g_ptr_array_index (queued, 0), at (2), &error));
  g_assert_nonnull (strstr (error->message, "cannot become building"));
  g_clear_error (&error);
  xa_test_add_vm (vms, "late", GiB, 1);
  g_assert_false (xa_store_submit (f->store, f->host_id, "late", vms, NULL, at (3), NULL, &error));
  g_assert_nonnull (strstr (error->message, "the writes since the last commit were rolled back"));
  g_clear_error (&error);
  g_assert_false (xa_store_release (f->store, &error));
  g_assert_error (error, XA_ERROR, XA_ERROR_FAILED);
  none = list (f, XA_REQUEST_QUEUED);
  g_assert_cmpuint (none->len, ==, 0);
  submit (f, "late", vms, 4);
  one = list (f, XA_REQUEST_QUEUED);
  g_assert_cmpuint (one->len, ==, 1);
}

/* A cancel of what has ended is the caller's mistake: refused before any
 * write, so it costs nothing that is held. */
static void
test_hold_survives_a_refused_cancel (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) queued = NULL;
  g_autoptr(GError) error = NULL;

  xa_store_hold (f->store);
  submit_vms (f, 1, GiB, 1);
  g_assert_false (xa_store_cancel (f->store, 999, "no such", at (2), &error));
  g_assert_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  g_assert_true (xa_store_release (f->store, &error));
  g_assert_no_error (error);
  queued = list (f, XA_REQUEST_QUEUED);
  g_assert_cmpuint (queued->len, ==, 1);
}

/* A restart finds one build done, one half done and one not begun. */
static void
test_reconcile_after_a_restart (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) admitted = NULL;
  g_autoptr(XaStoreReconciliation) found = NULL;
  g_autoptr(GPtrArray) queued = NULL;
  g_autoptr(GPtrArray) running = NULL;
  g_autoptr(GError) error = NULL;
  const guint64 total[] = { NODE_MIB, NODE_MIB };
  const guint64 free_mib[] = { 40 * GiB, 60 * GiB };
  guint64 whole[2] = { 0, 0 };
  guint64 half[2] = { 0, 0 };
  XaStoreDomain domains[2];
  XaStoreSnapshot snapshot = { 2, total, free_mib, 2, domains };
  guint64 avail[2];

  submit_vms (f, 3, 4 * GiB, 1);
  refresh (f, NODE_MIB, NODE_MIB, 0, NULL, 1);
  admitted = plan_and_admit (f, 2);
  for (guint i = 0; i < 2; i++)
    g_assert_true (xa_store_start_build (f->store, g_ptr_array_index (admitted, i), at (3), &error));
  whole[0] = 4 * GiB;
  half[1] = 2 * GiB;
  domains[0].uuid = ((XaStoreRequest *) g_ptr_array_index (admitted, 0))->uuid;
  domains[0].mib_by_node = whole;
  domains[1].uuid = ((XaStoreRequest *) g_ptr_array_index (admitted, 1))->uuid;
  domains[1].mib_by_node = half;
  g_clear_pointer (&f->store, xa_store_free);
  f->store = xa_store_open (f->path, &error);
  found = xa_store_reconcile (f->store, f->host_id, &snapshot, at (10), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (found->built->len, ==, 1);
  g_assert_cmpint (g_array_index (found->built, gint64, 0), ==,
                   ((XaStoreRequest *) g_ptr_array_index (admitted, 0))->id);
  g_assert_cmpuint (found->half_built->len, ==, 1);
  g_assert_cmpuint (found->gone->len, ==, 1);
  g_assert_cmpuint (found->released_mib, ==, 3 * (4 * GiB + 1 + 3));
  running = list (f, XA_REQUEST_RUNNING);
  g_assert_cmpuint (running->len, ==, 1);
  queued = list (f, XA_REQUEST_QUEUED);
  g_assert_cmpuint (queued->len, ==, 2);
  g_assert_nonnull (strstr (((XaStoreRequest *) g_ptr_array_index (queued, 0))->reason,
                            "half-way"));
  available (f, avail);
  g_assert_cmpuint (avail[0], ==, 40 * GiB);
  g_assert_cmpuint (avail[1], ==, 60 * GiB);
}

static void
test_history_for_reports (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) admitted = NULL;
  g_autoptr(GPtrArray) batches = NULL;
  g_autoptr(GPtrArray) vms = NULL;
  g_autoptr(GArray) samples = NULL;
  g_autoptr(GError) error = NULL;
  const gdouble pcts[] = { 50, 100 };
  gdouble waits[2];
  const XaStoreBatchRow *batch;
  const XaStoreVmRow *spilled = NULL;

  submit_vms (f, 2, 4 * GiB, 1);
  refresh (f, NODE_MIB, NODE_MIB, 0, NULL, 1);
  admitted = plan_and_admit (f, 2);
  for (guint i = 0; i < 2; i++) {
    XaStoreRequest *request = g_ptr_array_index (admitted, i);
    g_autofree guint64 *actual = planned_mib_of (f->store, f->host_id, request->uuid);

    /* the second VM's memory went half elsewhere */
    if (i == 1) {
      guint home = actual[0] > 0 ? 0 : 1;

      actual[1 - home] = actual[home] / 2;
      actual[home] -= actual[1 - home];
    }
    g_assert_true (xa_store_start_build (f->store, request, at (3 + i), &error));
    g_assert_true (xa_store_complete_build (f->store, request, 2, actual, at (10), &error));
  }
  batches = xa_store_list_batches (f->store, f->host_id, at (0).wall_us, at (100).wall_us, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (batches->len, ==, 1);
  batch = g_ptr_array_index (batches, 0);
  g_assert_cmpstr (batch->policy, ==, "batch");
  g_assert_cmpuint (batch->n_built, ==, 2);
  g_assert_cmpuint (batch->n_local, ==, 1);
  vms = xa_store_list_vms (f->store, f->host_id, 2, 0, G_MAXINT64, &error);
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
  samples = xa_store_node_memory (f->store, f->host_id, 0, G_MAXINT64, &error);
  g_assert_cmpuint (samples->len, ==, 2);
  g_assert_cmpuint (g_array_index (samples, XaStoreNodeSample, 1).node, ==, 1);
  g_assert_true (xa_store_wait_percentiles (f->store, f->host_id, 0, G_MAXINT64, 2, pcts, waits,
                                            &error));
  g_assert_cmpfloat (waits[0], ==, 2.0);
  g_assert_cmpfloat (waits[1], ==, 3.0);
  /* out of range: nothing */
  g_clear_pointer (&batches, g_ptr_array_unref);
  batches = xa_store_list_batches (f->store, f->host_id, at (100).wall_us, G_MAXINT64, &error);
  g_assert_cmpuint (batches->len, ==, 0);
  g_assert_true (xa_store_wait_percentiles (f->store, f->host_id, at (100).wall_us, G_MAXINT64, 2,
                                            pcts, waits, &error));
  g_assert_cmpfloat (waits[0], ==, -1.0);
}

/* Writes a database of this schema version with a little of everything:
 * kept in tests/fixtures/ so that later versions prove they migrate it. */
static int
write_fixture (const gchar *path)
{
  g_autoptr(GError) error = NULL;
  Fixture f = { NULL, g_strdup (path), xa_store_open (path, &error), 0 };
  g_autoptr(GPtrArray) admitted = NULL;
  XaStoreRequest *request;
  g_autofree guint64 *planned = NULL;

  g_assert_no_error (error);
  g_assert_true (xa_store_ensure_host (f.store, "host-1", "epyc-2n", "sim", 2, at (0), &f.host_id,
                                       &error));
  submit_vms (&f, 3, 4 * GiB, 1);
  refresh (&f, NODE_MIB, NODE_MIB, 0, NULL, 1);
  admitted = plan_and_admit (&f, 2);
  request = g_ptr_array_index (admitted, 0);
  planned = planned_mib_of (f.store, f.host_id, request->uuid);
  g_assert_true (xa_store_start_build (f.store, request, at (3), &error));
  g_assert_true (xa_store_complete_build (f.store, request, 2, planned, at (5), &error));
  request = g_ptr_array_index (admitted, 1);
  g_assert_true (xa_store_start_build (f.store, request, at (3), &error));
  g_assert_true (xa_store_fail_build (f.store, request, "xenguest failed", FALSE, at (4), &error));
  xa_store_free (f.store);
  g_free (f.path);
  return 0;
}

static void
copy_file (const gchar *from, const gchar *to)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *contents = NULL;
  gsize len = 0;

  g_assert_true (g_file_get_contents (from, &contents, &len, &error));
  g_assert_true (g_file_set_contents_full (to, contents, (gssize) len, G_FILE_SET_CONTENTS_NONE,
                                           0600, &error));
  g_assert_no_error (error);
}

/* Every fixture of an older (or this) schema opens, migrated, its history
 * intact: one VM running, one failed, one planned with its claim. */
static void
test_migration_opens_every_fixture (Fixture *f, gconstpointer data)
{
  for (guint version = 1; version <= XA_STORE_SCHEMA_VERSION; version++) {
    g_autofree gchar *name = g_strdup_printf ("xadmit-v%u.db", version);
    g_autofree gchar *fixture = g_test_build_filename (G_TEST_DIST, "fixtures", name, NULL);
    g_autofree gchar *path = g_build_filename (f->dir, name, NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(XaStore) store = NULL;
    g_autoptr(GPtrArray) vms = NULL;
    guint64 avail[2];

    copy_file (fixture, path);
    store = xa_store_open (path, &error);
    g_assert_no_error (error);
    vms = xa_store_list_vms (store, 1, 2, 0, G_MAXINT64, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (vms->len, ==, 3);
    g_assert_cmpint (((XaStoreVmRow *) g_ptr_array_index (vms, 0))->state, ==, XA_REQUEST_RUNNING);
    g_assert_cmpint (((XaStoreVmRow *) g_ptr_array_index (vms, 1))->state, ==, XA_REQUEST_FAILED);
    g_assert_cmpint (((XaStoreVmRow *) g_ptr_array_index (vms, 2))->state, ==, XA_REQUEST_PLANNED);
    g_assert_true (xa_store_available (store, 1, 2, avail, &error));
    g_assert_cmpuint (avail[0] + avail[1], ==, 2 * NODE_MIB - (4 * GiB + 4));
  }
}

/* A VFS that kills the process at its k-th write, truncate or sync: a crash
 * at a chosen point of a transaction, the same point on every run. */
typedef struct {
  sqlite3_file base;
  sqlite3_file *real;
} KillFile;

static sqlite3_vfs *real_vfs;
static sqlite3_vfs kill_vfs;
static guint64 kill_countdown;
static guint64 io_count;

#define REAL(file) (((KillFile *) (gpointer) (file))->real)

static void
count_io (void)
{
  io_count++;
  if (kill_countdown > 0 && --kill_countdown == 0)
    raise (SIGKILL);
}

static int
kill_close (sqlite3_file *file)
{
  return REAL (file)->pMethods->xClose (REAL (file));
}

static int
kill_read (sqlite3_file *file, void *buf, int amount, sqlite3_int64 offset)
{
  return REAL (file)->pMethods->xRead (REAL (file), buf, amount, offset);
}

static int
kill_write (sqlite3_file *file, const void *buf, int amount, sqlite3_int64 offset)
{
  count_io ();
  return REAL (file)->pMethods->xWrite (REAL (file), buf, amount, offset);
}

static int
kill_truncate (sqlite3_file *file, sqlite3_int64 size)
{
  count_io ();
  return REAL (file)->pMethods->xTruncate (REAL (file), size);
}

static int
kill_sync (sqlite3_file *file, int flags)
{
  count_io ();
  return REAL (file)->pMethods->xSync (REAL (file), flags);
}

static int
kill_file_size (sqlite3_file *file, sqlite3_int64 *size)
{
  return REAL (file)->pMethods->xFileSize (REAL (file), size);
}

static int
kill_lock (sqlite3_file *file, int level)
{
  return REAL (file)->pMethods->xLock (REAL (file), level);
}

static int
kill_unlock (sqlite3_file *file, int level)
{
  return REAL (file)->pMethods->xUnlock (REAL (file), level);
}

static int
kill_check_reserved_lock (sqlite3_file *file, int *out)
{
  return REAL (file)->pMethods->xCheckReservedLock (REAL (file), out);
}

static int
kill_file_control (sqlite3_file *file, int op, void *arg)
{
  return REAL (file)->pMethods->xFileControl (REAL (file), op, arg);
}

static int
kill_sector_size (sqlite3_file *file)
{
  return REAL (file)->pMethods->xSectorSize (REAL (file));
}

static int
kill_device_characteristics (sqlite3_file *file)
{
  return REAL (file)->pMethods->xDeviceCharacteristics (REAL (file));
}

static int
kill_shm_map (sqlite3_file *file, int page, int size, int extend, void volatile **out)
{
  return REAL (file)->pMethods->xShmMap (REAL (file), page, size, extend, out);
}

static int
kill_shm_lock (sqlite3_file *file, int offset, int n, int flags)
{
  return REAL (file)->pMethods->xShmLock (REAL (file), offset, n, flags);
}

static void
kill_shm_barrier (sqlite3_file *file)
{
  REAL (file)->pMethods->xShmBarrier (REAL (file));
}

static int
kill_shm_unmap (sqlite3_file *file, int delete_flag)
{
  return REAL (file)->pMethods->xShmUnmap (REAL (file), delete_flag);
}

static int
kill_fetch (sqlite3_file *file, sqlite3_int64 offset, int amount, void **out)
{
  return REAL (file)->pMethods->xFetch (REAL (file), offset, amount, out);
}

static int
kill_unfetch (sqlite3_file *file, sqlite3_int64 offset, void *p)
{
  return REAL (file)->pMethods->xUnfetch (REAL (file), offset, p);
}

static const sqlite3_io_methods kill_io_methods = {
  3, kill_close, kill_read, kill_write, kill_truncate, kill_sync, kill_file_size, kill_lock,
  kill_unlock, kill_check_reserved_lock, kill_file_control, kill_sector_size,
  kill_device_characteristics, kill_shm_map, kill_shm_lock, kill_shm_barrier, kill_shm_unmap,
  kill_fetch, kill_unfetch,
};

static int
kill_open (sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *out_flags)
{
  KillFile *kf = (KillFile *) (gpointer) file;
  int rc;

  kf->real = (sqlite3_file *) (gpointer) (kf + 1);
  rc = real_vfs->xOpen (real_vfs, name, kf->real, flags, out_flags);
  kf->base.pMethods = rc == SQLITE_OK ? &kill_io_methods : NULL;
  return rc;
}

static void
install_kill_vfs (guint64 kill_at)
{
  real_vfs = sqlite3_vfs_find (NULL);
  kill_vfs = *real_vfs;
  kill_vfs.zName = "xadmit-test-kill";
  kill_vfs.szOsFile = (int) sizeof (KillFile) + real_vfs->szOsFile;
  kill_vfs.xOpen = kill_open;
  kill_countdown = kill_at;
  sqlite3_vfs_register (&kill_vfs, 1);
}

static const guint64 crash_free_mib[] = { NODE_MIB, NODE_MIB };

/* The child's work: after a restart, reconcile, then three rounds of four
 * VMs through the whole life: queued, planned, building, running. */
static int
crash_child (const gchar *path, guint64 kill_at, const gchar *tag)
{
  g_autoptr(GError) error = NULL;
  const XaStoreSnapshot snapshot = { 2, crash_free_mib, crash_free_mib, 0, NULL };
  Fixture f = { NULL, g_strdup (path), NULL, 0 };
  g_autoptr(XaStoreReconciliation) found = NULL;

  install_kill_vfs (kill_at);
  f.store = xa_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_true (xa_store_ensure_host (f.store, "host-1", "epyc-2n", "sim", 2, at (0), &f.host_id,
                                       &error));
  found = xa_store_reconcile (f.store, f.host_id, &snapshot, at (0), &error);
  g_assert_no_error (error);
  for (guint round = 0; round < 3; round++) {
    g_autoptr(GPtrArray) vms = xa_test_requests_new ();
    g_autoptr(GPtrArray) admitted = NULL;

    for (guint i = 0; i < 4; i++) {
      g_autofree gchar *name = g_strdup_printf ("%s-%u-%u", tag, round, i);

      xa_test_add_vm (vms, name, GiB, 1);
    }
    submit (&f, tag, vms, round);
    refresh (&f, NODE_MIB, NODE_MIB, 0, NULL, round);
    admitted = plan_and_admit (&f, round);
    for (guint i = 0; i < admitted->len; i++) {
      XaStoreRequest *request = g_ptr_array_index (admitted, i);
      g_autofree guint64 *planned = planned_mib_of (f.store, f.host_id, request->uuid);

      g_assert_true (xa_store_start_build (f.store, request, at (round), &error));
      g_assert_true (xa_store_complete_build (f.store, request, 2, planned, at (round), &error));
    }
  }
  xa_store_free (f.store);
  g_free (f.path);
  g_print ("%" G_GUINT64_FORMAT "\n", io_count);
  return 0;
}

static GSubprocess *
spawn_child (const gchar *mode, const gchar *path, const gchar *arg, const gchar *tag)
{
  g_autoptr(GError) error = NULL;
  GSubprocess *child = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                         G_SUBPROCESS_FLAGS_STDERR_PIPE, &error,
                                         test_binary, mode, path, arg, tag, NULL);

  g_assert_no_error (error);
  return child;
}

/* The ledger right after a crash: every request in one state with a log
 * that ends there, submissions whole, and claims exactly those of the
 * requests in flight. */
static guint
check_ledger (const gchar *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(XaStore) store = xa_store_open (path, &error);
  g_autoptr(GPtrArray) vms = NULL;
  guint64 in_flight_mib[2] = { 0, 0 };
  guint64 avail[2];
  gint64 host_id = 0;

  g_assert_no_error (error);
  g_assert_true (xa_store_ensure_host (store, "host-1", "epyc-2n", "sim", 2, at (0), &host_id,
                                       &error));
  vms = xa_store_list_vms (store, host_id, 2, 0, G_MAXINT64, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vms->len % 4, ==, 0);
  for (guint state = 0; state <= XA_REQUEST_STATE_LAST; state++) {
    g_autoptr(GPtrArray) requests = xa_store_list_requests (store, host_id, (XaRequestState) state,
                                                            &error);

    for (guint i = 0; i < requests->len; i++) {
      const XaStoreRequest *request = g_ptr_array_index (requests, i);
      g_autoptr(GPtrArray) events = xa_store_list_events (store, request->id, &error);
      const XaStoreEvent *last = g_ptr_array_index (events, events->len - 1);

      g_assert_cmpstr (last->to, ==, xa_request_state_to_string ((XaRequestState) state));
      if (state == XA_REQUEST_PLANNED || state == XA_REQUEST_BUILDING) {
        g_autofree guint64 *planned = planned_mib_of (store, host_id, request->uuid);

        in_flight_mib[0] += planned[0];
        in_flight_mib[1] += planned[1];
      }
    }
  }
  if (!xa_store_available (store, host_id, 2, avail, &error)) {
    /* never seen: then nothing was ever admitted */
    g_assert_cmpuint (in_flight_mib[0] + in_flight_mib[1], ==, 0);
    return vms->len;
  }
  g_assert_cmpuint (in_flight_mib[0], ==, NODE_MIB - avail[0]);
  g_assert_cmpuint (in_flight_mib[1], ==, NODE_MIB - avail[1]);
  return vms->len;
}

/* SIGKILL at many points inside admissions and completions; after each, the
 * ledger holds and the next run carries on from it. */
static void
test_crash_survives_sigkill_anywhere (Fixture *f, gconstpointer data)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (4);
  g_autoptr(GSubprocess) clean = spawn_child ("--crash-child", f->path, "0", "clean");
  g_autofree gchar *out = NULL;
  g_autoptr(GError) error = NULL;
  guint64 writes;
  guint seen = 0;
  guint killed = 0;

  g_assert_true (g_subprocess_communicate_utf8 (clean, NULL, NULL, &out, NULL, &error));
  g_assert_true (g_subprocess_get_successful (clean));
  writes = g_ascii_strtoull (out, NULL, 10);
  g_assert_cmpuint (writes, >, 10);
  for (guint run = 0; run < 40; run++) {
    g_autofree gchar *kill_at = g_strdup_printf ("%d", g_rand_int_range (rand, 1, (gint) writes));
    g_autofree gchar *tag = g_strdup_printf ("run%u", run);
    g_autoptr(GSubprocess) child = spawn_child ("--crash-child", f->path, kill_at, tag);
    guint now;

    g_assert_true (g_subprocess_wait (child, NULL, &error));
    if (g_subprocess_get_if_signaled (child)) {
      g_assert_cmpint (g_subprocess_get_term_sig (child), ==, SIGKILL);
      killed++;
    } else {
      g_assert_true (g_subprocess_get_successful (child));
    }
    now = check_ledger (f->path);
    /* nothing queued is lost */
    g_assert_cmpuint (now, >=, seen);
    seen = now;
  }
  g_assert_cmpuint (killed, >=, 30);
}

static int
submit_child (const gchar *path, guint n_vms)
{
  g_autoptr(GError) error = NULL;
  Fixture f = { NULL, g_strdup (path), xa_store_open (path, &error), 0 };

  g_assert_no_error (error);
  g_assert_true (xa_store_ensure_host (f.store, "host-1", "epyc-2n", "sim", 2, at (0), &f.host_id,
                                       &error));
  for (guint i = 0; i < n_vms; i++) {
    g_autoptr(GPtrArray) vms = xa_test_requests_new ();
    g_autofree gchar *name = g_strdup_printf ("s-%u", i);

    xa_test_add_vm (vms, name, 64, 1);
    submit (&f, "submitter", vms, i);
  }
  xa_store_free (f.store);
  g_free (f.path);
  return 0;
}

static int
admit_child (const gchar *path, guint n_vms)
{
  g_autoptr(GError) error = NULL;
  Fixture f = { NULL, g_strdup (path), xa_store_open (path, &error), 0 };
  guint done = 0;

  g_assert_no_error (error);
  g_assert_true (xa_store_ensure_host (f.store, "host-1", "epyc-2n", "sim", 2, at (0), &f.host_id,
                                       &error));
  refresh (&f, NODE_MIB, NODE_MIB, 0, NULL, 0);
  while (done < n_vms) {
    g_autoptr(GPtrArray) waiting = list (&f, XA_REQUEST_QUEUED);
    g_autoptr(GPtrArray) admitted = waiting->len > 0 ? plan_and_admit (&f, done) : NULL;

    for (guint i = 0; admitted != NULL && i < admitted->len; i++) {
      XaStoreRequest *request = g_ptr_array_index (admitted, i);
      const guint64 none[] = { 0, 0 };

      g_assert_true (xa_store_start_build (f.store, request, at (done), &error));
      g_assert_true (xa_store_complete_build (f.store, request, 2, none, at (done), &error));
      done++;
    }
  }
  xa_store_free (f.store);
  g_free (f.path);
  return 0;
}

/* One process submits while another admits and builds: no error reaches
 * either, and every VM ends running exactly once. */
static void
test_concurrency_submit_while_admitting (Fixture *f, gconstpointer data)
{
  g_autoptr(GSubprocess) submitter = spawn_child ("--submit-child", f->path, "300", "");
  g_autoptr(GSubprocess) admitter = spawn_child ("--admit-child", f->path, "300", "");
  g_autofree gchar *submit_err = NULL;
  g_autofree gchar *admit_err = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) running = NULL;
  g_autoptr(GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);

  g_assert_true (g_subprocess_communicate_utf8 (submitter, NULL, NULL, NULL, &submit_err, &error));
  g_assert_cmpstr (submit_err, ==, "");
  g_assert_true (g_subprocess_get_successful (submitter));
  g_assert_true (g_subprocess_communicate_utf8 (admitter, NULL, NULL, NULL, &admit_err, &error));
  g_assert_cmpstr (admit_err, ==, "");
  g_assert_true (g_subprocess_get_successful (admitter));
  running = list (f, XA_REQUEST_RUNNING);
  g_assert_cmpuint (running->len, ==, 300);
  for (guint i = 0; i < running->len; i++)
    g_hash_table_add (names, ((XaStoreRequest *) g_ptr_array_index (running, i))->req->name);
  g_assert_cmpuint (g_hash_table_size (names), ==, 300);
}

static void
add (const gchar *path, void (*func) (Fixture *, gconstpointer))
{
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down);
}

int
main (int argc, char **argv)
{
  if (argc == 5 && g_str_equal (argv[1], "--crash-child"))
    return crash_child (argv[2], g_ascii_strtoull (argv[3], NULL, 10), argv[4]);
  if (argc == 5 && g_str_equal (argv[1], "--submit-child"))
    return submit_child (argv[2], (guint) g_ascii_strtoull (argv[3], NULL, 10));
  if (argc == 5 && g_str_equal (argv[1], "--admit-child"))
    return admit_child (argv[2], (guint) g_ascii_strtoull (argv[3], NULL, 10));
  if (argc == 3 && g_str_equal (argv[1], "--write-fixture"))
    return write_fixture (argv[2]);
  test_binary = g_file_read_link ("/proc/self/exe", NULL);
  g_test_init (&argc, &argv, NULL);
  add ("/store/open/creates-a-private-file", test_open_creates_a_private_file);
  add ("/store/open/reopens-its-own-database", test_open_reopens_its_own_database);
  add ("/store/open/refuses-a-file-others-can-write", test_open_refuses_a_file_others_can_write);
  add ("/store/open/refuses-what-is-not-a-database", test_open_refuses_what_is_not_a_database);
  add ("/store/open/refuses-another-programs-database",
       test_open_refuses_another_programs_database);
  add ("/store/open/refuses-a-newer-schema", test_open_refuses_a_newer_schema);
  add ("/store/open/reports-a-corrupt-database", test_open_reports_a_corrupt_database);
  g_test_add_func ("/store/open/default-path", test_open_default_path);
  add ("/store/host/is-recorded-once", test_host_is_recorded_once);
  add ("/store/host/keeps-its-node-count", test_host_keeps_its_node_count);
  add ("/store/submit/queues-every-field", test_submit_queues_every_field);
  add ("/store/submit/refuses-a-live-name-and-queues-none",
       test_submit_refuses_a_live_name_and_queues_none);
  add ("/store/submit/reuses-a-name-once-its-vm-ended", test_submit_reuses_a_name_once_its_vm_ended);
  add ("/store/ledger/available-is-free-minus-claims", test_available_is_free_minus_claims);
  add ("/store/ledger/admit-records-plan-deferral-and-rejection",
       test_admit_records_plan_deferral_and_rejection);
  add ("/store/ledger/admit-leaves-a-cancelled-request-alone",
       test_admit_leaves_a_cancelled_request_alone);
  add ("/store/ledger/build-runs-its-course", test_build_runs_its_course);
  add ("/store/ledger/failed-build-retries-or-fails", test_failed_build_retries_or_fails);
  add ("/store/ledger/cancel-releases-the-claim", test_cancel_releases_the_claim);
  add ("/store/ledger/refuses-steps-out-of-order", test_refuses_steps_out_of_order);
  add ("/store/hold/commits-at-the-flush", test_hold_commits_at_the_flush);
  add ("/store/hold/failure-rolls-back-what-is-held", test_hold_failure_rolls_back_what_is_held);
  add ("/store/hold/survives-a-refused-cancel", test_hold_survives_a_refused_cancel);
  add ("/store/reconcile/after-a-restart", test_reconcile_after_a_restart);
  add ("/store/history/for-reports", test_history_for_reports);
  add ("/store/migration/opens-every-fixture", test_migration_opens_every_fixture);
  add ("/store/crash/survives-sigkill-anywhere", test_crash_survives_sigkill_anywhere);
  add ("/store/concurrency/submit-while-admitting", test_concurrency_submit_while_admitting);
  return g_test_run ();
}
