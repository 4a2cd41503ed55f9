/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* xadmit submit and xadmit status, without a daemon: the ledger's queue. */
#include <gio/gio.h>
#include <signal.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "xa-error.h"
#include "xa-file.h"
#include "xa-host-record.h"
#include "xa-test-cli.h"
#include "xa-test-store.h"

/* Submitters at once, and VMs each, in the busy-ledger test. */
#define N_SUBMITTERS 8
#define N_VMS_EACH 50

/* A temporary directory, the ledger and the simulated host's state in it. */
typedef struct {
  XaTestDir *dir;
  gchar *db;
  gchar *state;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->dir = xa_test_dir_new ();
  f->db = xa_test_ledger_path (f->dir);
  f->state = xa_test_state_path (f->dir);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_free (f->db);
  g_free (f->state);
  xa_test_dir_free (f->dir);
}

/* The arguments every queue command of the fixture takes. */
#define ON_HOST(f) "--host", "sim", "--sim-state", (f)->state, "--db", (f)->db

static const gchar *const two_vms =
  "{\"vms\": [{\"name\": \"web-01\", \"memory\": \"4GiB\", \"vcpus\": 2},"
  " {\"name\": \"db-01\", \"memory\": 8192, \"vcpus\": 4, \"priority\": 10}]}";

/* Submits @two_vms; returns their ids, in manifest order. */
static GStrv
submit_two (Fixture *f)
{
  g_autofree gchar *manifest = xa_test_dir_write (f->dir, "two.json", two_vms);
  g_auto(XaTestRun) run = { 0 };
  GStrv ids;

  xa_test_run_xadmit (&run, "submit", manifest, ON_HOST (f), NULL);
  g_assert_cmpint (run.status, ==, 0);
  ids = g_strsplit (g_strchomp (run.out), "\n", -1);
  g_assert_cmpuint (g_strv_length (ids), ==, 2);
  return ids;
}

/* The ledger, and the id in it of the fixture's host, found as submit and
 * the daemon find it. */
static XaStore *
open_ledger (Fixture *f, gint64 *out_host_id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(XaHost) host = xa_host_open ("sim", f->state, &error);
  g_autoptr(XaHostInfo) info = NULL;
  g_autofree gchar *key = NULL;
  XaStore *store;

  g_assert_no_error (error);
  info = xa_host_snapshot (host, &error);
  g_assert_no_error (error);
  key = xa_host_record_key (host, info);
  store = xa_store_open (f->db, &error);
  g_assert_no_error (error);
  g_assert_true (xa_store_lookup_host (store, key, out_host_id, &error));
  g_assert_no_error (error);
  g_assert_cmpint (*out_host_id, >, 0);
  return store;
}

static XaRequestState
state_of (XaStore *store, gint64 host_id, const gchar *id_or_name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(XaStoreRequest) request = xa_store_find_request (store, host_id, id_or_name, &error);

  g_assert_no_error (error);
  return request->state;
}

static void
test_cli_queue_submit_manifest (Fixture *f, gconstpointer data)
{
  g_autofree gchar *manifest = xa_test_dir_write (f->dir, "two.json", two_vms);
  g_auto(XaTestRun) run = { 0 };
  g_auto(GStrv) ids = NULL;
  g_autoptr(XaStore) store = NULL;
  g_autoptr(XaStoreRequest) db = NULL;
  gint64 host_id = 0;

  xa_test_run_xadmit (&run, "submit", manifest, ON_HOST (f), NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.err, "created "));
  g_assert_nonnull (strstr (run.err, "no daemon is running for this ledger: the requests wait "
                                     "in it\n"));
  ids = g_strsplit (g_strchomp (run.out), "\n", -1);
  g_assert_cmpuint (g_strv_length (ids), ==, 2);
  store = open_ledger (f, &host_id);
  for (guint i = 0; i < 2; i++) {
    g_assert_true (g_uuid_string_is_valid (ids[i]));
    g_assert_cmpint (state_of (store, host_id, ids[i]), ==, XA_REQUEST_QUEUED);
  }
  db = xa_store_find_request (store, host_id, "db-01", NULL);
  g_assert_cmpstr (db->uuid, ==, ids[1]);
}

static void
test_cli_queue_submit_options_json (Fixture *f, gconstpointer data)
{
  g_auto(XaTestRun) run = { 0 };
  g_autoptr(json_t) array = NULL;
  g_autoptr(XaStore) store = NULL;
  g_autoptr(XaStoreRequest) request = NULL;
  gint64 host_id = 0;

  xa_test_run_xadmit (&run, "submit", "--name", "app-1", "--memory", "1.5GiB", "--vcpus", "3",
                      "--nodes", "0-1,^0", "--priority", "-5", "--group", "vapp", "--no-rollback", "--json",
                      ON_HOST (f), NULL);
  g_assert_cmpint (run.status, ==, 0);
  array = json_loads (run.out, 0, NULL);
  g_assert_cmpuint (json_array_size (array), ==, 1);
  g_assert_cmpstr (xa_test_json_string (json_array_get (array, 0), "name"), ==, "app-1");
  store = open_ledger (f, &host_id);
  request = xa_store_find_request (store, host_id, "app-1", NULL);
  g_assert_cmpstr (request->uuid, ==, xa_test_json_string (json_array_get (array, 0), "id"));
  g_assert_cmpuint (request->req->memory_mib, ==, 1536);
  g_assert_cmpuint (request->req->vcpus, ==, 3);
  g_assert_cmpuint (request->req->nodes, ==, 2);
  g_assert_cmpint (request->req->priority, ==, -5);
  g_assert_cmpstr (request->req->group, ==, "vapp");
  g_assert_true (request->req->no_rollback);
  g_assert_cmpstr (request->group_id, ==, "submit:app-1");
}

static void
test_cli_queue_submit_stdin (Fixture *f, gconstpointer data)
{
  g_autofree gchar *manifest = xa_test_dir_write (f->dir, "two.json", two_vms);
  g_auto(XaTestRun) run = { 0 };
  g_autoptr(XaStore) store = NULL;
  g_autoptr(XaStoreRequest) request = NULL;
  gint64 host_id = 0;

  xa_test_run_xadmit_with_input (&run, manifest, "submit", "-", "-q", ON_HOST (f), NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpstr (run.err, ==, "");
  store = open_ledger (f, &host_id);
  g_assert_cmpint (state_of (store, host_id, "web-01"), ==, XA_REQUEST_QUEUED);
  g_assert_cmpint (state_of (store, host_id, "db-01"), ==, XA_REQUEST_QUEUED);
  request = xa_store_find_request (store, host_id, "web-01", NULL);
  g_assert_cmpstr (request->group_id, ==, "submit:stdin");
}

static void
test_cli_queue_submit_duplicate_refused (Fixture *f, gconstpointer data)
{
  g_auto(GStrv) ids = submit_two (f);

  xa_test_xadmit_fails (2, "xadmit submit: VM \"web-01\" is already queued or being built on "
                        "this host", "submit", "--name", "web-01", "--memory", "1G", "--vcpus",
                        "1", ON_HOST (f), NULL);
}

/* A domain's name, or a guest the host cannot boot, is rejected at once,
 * as boot rejects it; --wait then says so and exits 3. */
static void
test_cli_queue_submit_rejects_a_domain_name (Fixture *f, gconstpointer data)
{
  g_auto(XaTestRun) run = { 0 };
  g_autoptr(XaStore) store = NULL;
  gint64 host_id = 0;

  xa_test_run_xadmit (&run, "submit", "--name", "dom0", "--memory", "1G", "--vcpus", "1",
                      "--wait", ON_HOST (f), NULL);
  g_assert_cmpint (run.status, ==, 3);
  g_assert_nonnull (strstr (run.err, "dom0 is rejected: a domain named \"dom0\" runs on the "
                                     "host already"));
  store = open_ledger (f, &host_id);
  g_assert_cmpint (state_of (store, host_id, "dom0"), ==, XA_REQUEST_REJECTED);
}

/* A group named "g" of three, the middle one named as a domain of the
 * host. */
static gchar *
write_group_with_dom0 (Fixture *f)
{
  return xa_test_dir_write (
    f->dir, "group.json",
    "{\"vms\": [{\"name\": \"g-1\", \"memory\": \"1GiB\", \"vcpus\": 1, \"group\": \"g\"},"
    " {\"name\": \"dom0\", \"memory\": \"1GiB\", \"vcpus\": 1, \"group\": \"g\"},"
    " {\"name\": \"g-2\", \"memory\": \"1GiB\", \"vcpus\": 1, \"group\": \"g\"}]}");
}

/* A member rejected at once takes its group down with it: no daemon
 * could start the others without it. */
static void
test_cli_queue_submit_rejected_member_rolls_back (Fixture *f, gconstpointer data)
{
  g_autofree gchar *manifest = write_group_with_dom0 (f);
  g_auto(XaTestRun) run = { 0 };
  g_autoptr(XaStore) store = NULL;
  gint64 host_id = 0;

  xa_test_run_xadmit (&run, "submit", manifest, ON_HOST (f), NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.err, "g-1 is cancelled: rolled back with its group g: dom0 will "
                                     "not start (a domain named \"dom0\" runs"));
  g_assert_nonnull (strstr (run.err, "g-2 is cancelled: "));
  store = open_ledger (f, &host_id);
  g_assert_cmpint (state_of (store, host_id, "dom0"), ==, XA_REQUEST_REJECTED);
  g_assert_cmpint (state_of (store, host_id, "g-1"), ==, XA_REQUEST_CANCELLED);
  g_assert_cmpint (state_of (store, host_id, "g-2"), ==, XA_REQUEST_CANCELLED);
}

/* With --no-rollback, the others of the group wait on. */
static void
test_cli_queue_submit_rejected_member_kept (Fixture *f, gconstpointer data)
{
  g_autofree gchar *manifest = write_group_with_dom0 (f);
  g_auto(XaTestRun) run = { 0 };
  g_autoptr(XaStore) store = NULL;
  gint64 host_id = 0;

  xa_test_run_xadmit (&run, "submit", "--no-rollback", manifest, ON_HOST (f), NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_null (strstr (run.err, "cancelled"));
  store = open_ledger (f, &host_id);
  g_assert_cmpint (state_of (store, host_id, "dom0"), ==, XA_REQUEST_REJECTED);
  g_assert_cmpint (state_of (store, host_id, "g-1"), ==, XA_REQUEST_QUEUED);
  g_assert_cmpint (state_of (store, host_id, "g-2"), ==, XA_REQUEST_QUEUED);
}

typedef struct {
  const gchar *message;
  const gchar *args[8];
} BadCase;

static void
test_cli_queue_submit_bad_input (Fixture *f, gconstpointer data)
{
  g_autofree gchar *manifest = xa_test_dir_write (f->dir, "two.json", two_vms);
  const BadCase cases[] = {
    { "--memory: \"4 GB\" is not a size", { "--name", "a", "--memory", "4 GB", "--vcpus", "1" } },
    { "--memory: missing", { "--name", "a", "--vcpus", "1" } },
    { "--vcpus: missing", { "--name", "a", "--memory", "1G" } },
    { "--name: missing", { "--memory", "1G", "--vcpus", "1" } },
    { "--vcpus: 0 is out of range", { "--name", "a", "--memory", "1G", "--vcpus", "0" } },
    { "--nodes: ", { "--name", "a", "--memory", "1G", "--vcpus", "1", "--nodes", "3-1" } },
    { "--priority: 5000 is out of range",
      { "--name", "a", "--memory", "1G", "--vcpus", "1", "--priority", "5000" } },
    { "--group: ", { "--name", "a", "--memory", "1G", "--vcpus", "1", "--group", "a b" } },
    { "not both", { manifest, "--name", "a" } },
    { "expected a MANIFEST, or --name, --memory and --vcpus", { "-q" } },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_auto(XaTestRun) run = { 0 };
    const gchar *const *a = cases[i].args;

    xa_test_run_xadmit (&run, "submit", ON_HOST (f), a[0], a[1], a[2], a[3], a[4], a[5], a[6],
                        a[7], NULL);
    g_test_message ("case %zu: %s", i, run.err);
    xa_test_run_assert_error (&run, 2, cases[i].message);
    /* bad input creates nothing */
    g_assert_false (g_file_test (f->db, G_FILE_TEST_EXISTS));
    g_assert_false (g_file_test (f->state, G_FILE_TEST_EXISTS));
  }
}

static void
test_cli_queue_submit_needs_a_kept_host (Fixture *f, gconstpointer data)
{
  xa_test_xadmit_fails (2, "--sim-state: missing: a simulated host kept in no state file",
                        "submit", "--host", "sim", "--db", f->db, "--name", "a", "--memory", "1G",
                        "--vcpus", "1", NULL);
}

/* Eight submitters at once into a ledger and a host that do not exist yet:
 * one creates each, the others wait their turn and use them; none sees a
 * busy database, nothing is lost or queued twice. */
static void
test_cli_queue_many_submitters_at_once (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) procs = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GHashTable) ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(XaStore) store = NULL;
  g_autoptr(GPtrArray) queued = NULL;
  g_autoptr(GError) error = NULL;
  gint64 host_id = 0;

  for (guint k = 0; k < N_SUBMITTERS; k++) {
    g_autofree gchar *prefix = g_strdup_printf ("batch-%u", k);
    g_autofree gchar *manifest = xa_test_write_many_vms (f->dir, prefix, N_VMS_EACH, "512MiB");

    g_ptr_array_add (procs, g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                              G_SUBPROCESS_FLAGS_STDERR_PIPE, &error,
                                              g_getenv ("XADMIT"), "submit", manifest, "-q",
                                              ON_HOST (f), NULL));
    g_assert_no_error (error);
  }
  for (guint k = 0; k < N_SUBMITTERS; k++) {
    g_autofree gchar *out = NULL;
    g_autofree gchar *err = NULL;
    g_auto(GStrv) lines = NULL;

    g_subprocess_communicate_utf8 (g_ptr_array_index (procs, k), NULL, NULL, &out, &err, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (err, ==, "");
    g_assert_cmpint (g_subprocess_get_exit_status (g_ptr_array_index (procs, k)), ==, 0);
    lines = g_strsplit (g_strchomp (out), "\n", -1);
    g_assert_cmpuint (g_strv_length (lines), ==, N_VMS_EACH);
    for (guint i = 0; lines[i] != NULL; i++)
      g_assert_true (g_hash_table_add (ids, g_strdup (lines[i])));
  }
  store = open_ledger (f, &host_id);
  queued = xa_store_list_requests (store, host_id, XA_REQUEST_QUEUED, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (queued->len, ==, N_SUBMITTERS * N_VMS_EACH);
  for (guint i = 0; i < queued->len; i++)
    g_assert_true (g_hash_table_remove (ids, ((XaStoreRequest *) queued->pdata[i])->uuid));
  g_assert_cmpuint (g_hash_table_size (ids), ==, 0);
}

/* xadmit submit --wait under way: its standard error's file, its id. */
typedef struct {
  GSubprocess *proc;
  gchar *err_path;
  gchar *id;
} Waiter;

/* Starts submit --wait of one VM and reads the id it prints before it
 * waits: the line, not a sleep, says it is waiting. */
static void
waiter_start (Waiter *w, Fixture *f, const gchar *name)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (
    G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GDataInputStream) stream = NULL;
  g_autoptr(GError) error = NULL;

  w->err_path = g_build_filename (f->dir, "waiter-stderr", NULL);
  g_subprocess_launcher_set_stderr_file_path (launcher, w->err_path);
  w->proc = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("XADMIT"), "submit",
                                         "--name", name, "--memory", "1G", "--vcpus", "1",
                                         "--wait", ON_HOST (f), NULL);
  g_assert_no_error (error);
  stream = g_data_input_stream_new (g_subprocess_get_stdout_pipe (w->proc));
  w->id = g_data_input_stream_read_line_utf8 (stream, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_uuid_string_is_valid (w->id));
}

/* Waits for it to end; returns its standard error. */
static gchar *
waiter_finish (Waiter *w, gint status)
{
  g_autoptr(GError) error = NULL;
  gchar *err = NULL;

  g_subprocess_wait (w->proc, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_subprocess_get_exit_status (w->proc), ==, status);
  g_assert_true (g_file_get_contents (w->err_path, &err, NULL, &error));
  g_clear_object (&w->proc);
  g_clear_pointer (&w->err_path, g_free);
  g_clear_pointer (&w->id, g_free);
  return err;
}

static void
test_cli_queue_wait_cancelled (Fixture *f, gconstpointer data)
{
  Waiter w = { 0 };
  g_autoptr(XaStore) store = NULL;
  g_autoptr(XaStoreRequest) request = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *err = NULL;
  gint64 host_id = 0;

  waiter_start (&w, f, "doomed");
  store = open_ledger (f, &host_id);
  request = xa_store_find_request (store, host_id, w.id, &error);
  g_assert_no_error (error);
  g_assert_true (xa_store_cancel (store, request->id, "withdrawn by the test", xa_test_at (1),
                                  &error));
  g_assert_no_error (error);
  err = waiter_finish (&w, 3);
  g_assert_nonnull (strstr (err, "no daemon is running"));
  g_assert_nonnull (strstr (err, "doomed is cancelled: withdrawn by the test\n"));
}

/* The test plays the admitter: plans, builds and runs the request through
 * the store, on a 2-node host as the simulated one. */
static void
test_cli_queue_wait_running (Fixture *f, gconstpointer data)
{
  Waiter w = { 0 };
  XaTestStore ledger = { 0 };
  g_autoptr(GPtrArray) admitted = NULL;
  g_autofree gchar *err = NULL;

  waiter_start (&w, f, "lucky");
  ledger.store = open_ledger (f, &ledger.host_id);
  xa_test_refresh (&ledger, NODE_MIB, NODE_MIB, 0, NULL, 1);
  admitted = xa_test_plan_and_admit (&ledger, 2);
  g_assert_cmpuint (admitted->len, ==, 1);
  xa_test_build (&ledger, xa_test_nth (admitted, 0), 3, 4);
  err = waiter_finish (&w, 0);
  g_assert_null (strstr (err, "lucky is"));
  xa_test_store_close (&ledger);
}

/* An interrupt ends the wait, not the requests. */
static void
test_cli_queue_wait_interrupted (Fixture *f, gconstpointer data)
{
  const gint signals[] = { SIGINT, 0 };
  g_auto(XaTestRun) run = { 0 };
  g_autoptr(XaStore) store = NULL;
  gint64 host_id = 0;

  xa_test_run_xadmit_signalled (&run, f->dir, FALSE, "", signals, NULL, "submit", "--name",
                                "patient", "--memory", "1G", "--vcpus", "1", "--wait",
                                ON_HOST (f), NULL);
  g_assert_cmpint (run.status, ==, 130);
  g_assert_nonnull (strstr (run.err, "interrupted: the requests stay queued\n"));
  store = open_ledger (f, &host_id);
  g_assert_cmpint (state_of (store, host_id, "patient"), ==, XA_REQUEST_QUEUED);
}

static json_t *
status_json (Fixture *f, const gchar *name)
{
  g_auto(XaTestRun) run = { 0 };

  xa_test_run_xadmit (&run, "status", "--json", ON_HOST (f), name, NULL);
  g_assert_cmpint (run.status, ==, 0);
  return xa_test_json_parse (run.out);
}

static void
test_cli_queue_status_empty (Fixture *f, gconstpointer data)
{
  g_autofree gchar *other_db = g_build_filename (f->dir, "other.db", NULL);
  g_auto(XaTestRun) make_state = { 0 };
  g_autoptr(json_t) status = NULL;
  json_t *daemon;
  json_t *nodes;

  /* a host kept in a state file, with no ledger yet */
  xa_test_run_xadmit (&make_state, "submit", "--host", "sim", "--sim-state", f->state, "--db",
                      other_db, "--name", "elsewhere", "--memory", "1G", "--vcpus", "1", NULL);
  g_assert_cmpint (make_state.status, ==, 0);
  status = status_json (f, NULL);
  daemon = json_object_get (status, "daemon");
  g_assert_true (json_is_false (json_object_get (daemon, "running")));
  g_assert_true (json_is_null (json_object_get (daemon, "pid")));
  g_assert_cmpuint (json_array_size (json_object_get (status, "requests")), ==, 0);
  nodes = json_object_get (status, "nodes");
  g_assert_cmpuint (json_array_size (nodes), ==, 2);
  g_assert_cmpint (xa_test_json_int (json_array_get (nodes, 0), "claimed_mib"), ==, 0);
  g_assert_cmpint (xa_test_json_int (json_array_get (nodes, 1), "available_mib"), ==,
                   xa_test_json_int (json_array_get (nodes, 1), "free_mib"));
  /* status writes nothing */
  g_assert_false (g_file_test (f->db, G_FILE_TEST_EXISTS));
}

static void
test_cli_queue_status_queued (Fixture *f, gconstpointer data)
{
  g_auto(GStrv) ids = submit_two (f);
  g_auto(XaTestRun) run = { 0 };
  g_autoptr(json_t) status = status_json (f, NULL);
  g_autoptr(json_t) named = status_json (f, "db-01");
  json_t *requests = json_object_get (status, "requests");
  json_t *db = json_array_get (requests, 1);
  g_auto(GStrv) lines = NULL;

  g_assert_cmpuint (json_array_size (requests), ==, 2);
  g_assert_cmpstr (xa_test_json_string (db, "id"), ==, ids[1]);
  g_assert_cmpstr (xa_test_json_string (db, "name"), ==, "db-01");
  g_assert_true (json_is_null (json_object_get (db, "group")));
  g_assert_cmpstr (xa_test_json_string (db, "submission"), ==, "submit:two.json");
  g_assert_cmpstr (xa_test_json_string (db, "state"), ==, "queued");
  g_assert_cmpint (xa_test_json_int (db, "memory_mib"), ==, 8192);
  g_assert_cmpuint (json_array_size (json_object_get (db, "planned_nodes")), ==, 0);
  g_assert_nonnull (xa_test_json_string (db, "queued"));
  g_assert_true (json_is_null (json_object_get (db, "started")));
  g_assert_cmpuint (json_array_size (json_object_get (named, "requests")), ==, 1);
  g_assert_cmpstr (xa_test_json_string (json_array_get (json_object_get (named, "requests"), 0),
                                        "name"), ==, "db-01");

  xa_test_run_xadmit (&run, "status", ON_HOST (f), NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "requests: 2 queued, 0 planned, 0 building\n"));
  g_assert_nonnull (strstr (run.out, "web-01"));
  lines = g_strsplit (run.out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    g_assert_cmpint (g_utf8_strlen (lines[i], -1), <=, 100);
}

/* An admitter holds the ledger's lock: status names it. */
static void
test_cli_queue_status_names_the_lock_holder (Fixture *f, gconstpointer data)
{
  g_autofree gchar *lock_path = g_strconcat (f->db, ".lock", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(json_t) status = NULL;
  g_auto(XaTestRun) run = { 0 };
  g_autofree gchar *expected = g_strdup_printf ("daemon: pid %d", (gint) getpid ());
  json_t *daemon;
  gint fd = -1;

  g_strfreev (submit_two (f));
  g_assert_true (xa_file_lock (lock_path, "the test's ledger", &fd, &error));
  g_assert_no_error (error);
  status = status_json (f, NULL);
  daemon = json_object_get (status, "daemon");
  g_assert_true (json_is_true (json_object_get (daemon, "running")));
  g_assert_cmpint (xa_test_json_int (daemon, "pid"), ==, getpid ());
  g_assert_nonnull (xa_test_json_string (daemon, "since"));
  xa_test_run_xadmit (&run, "status", ON_HOST (f), NULL);
  g_assert_nonnull (strstr (run.out, expected));
  g_close (fd, NULL);
}

/* Sums a member of each object of @array. */
static json_int_t
sum_of (json_t *array, const gchar *key)
{
  json_int_t sum = 0;
  json_t *item;
  gsize i;

  json_array_foreach (array, i, item)
    sum += xa_test_json_int (item, key);
  return sum;
}

/* A build in flight and a planned request, as an admitter left them:
 * their plans, and their claims netted from what the admitter saw free. */
static void
test_cli_queue_status_planned (Fixture *f, gconstpointer data)
{
  g_auto(GStrv) ids = submit_two (f);
  g_autofree gchar *lock_path = g_strconcat (f->db, ".lock", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(json_t) status = NULL;
  g_autoptr(GPtrArray) admitted = NULL;
  XaTestStore ledger = { 0 };
  json_int_t planned = 0;
  json_t *request;
  json_t *nodes;
  gsize i;
  gint fd = -1;

  ledger.store = open_ledger (f, &ledger.host_id);
  xa_test_refresh (&ledger, NODE_MIB, NODE_MIB, 0, NULL, 1);
  admitted = xa_test_plan_and_admit (&ledger, 2);
  /* the first queued, web-01, is being built */
  xa_test_start_build (&ledger, xa_test_nth (admitted, 0), 3);
  g_assert_true (xa_file_lock (lock_path, "the test's ledger", &fd, &error));
  g_assert_no_error (error);
  status = status_json (f, NULL);
  json_array_foreach (json_object_get (status, "requests"), i, request) {
    json_t *mib = json_object_get (request, "planned_by_node_mib");

    g_assert_cmpstr (xa_test_json_string (request, "state"), ==, i == 0 ? "building" : "planned");
    g_assert_true (json_is_null (json_object_get (request, "started")) == (i != 0));
    g_assert_cmpuint (json_array_size (json_object_get (request, "planned_nodes")), >, 0);
    g_assert_cmpint (json_integer_value (json_array_get (mib, 0)) +
                     json_integer_value (json_array_get (mib, 1)), >,
                     xa_test_json_int (request, "memory_mib"));
    planned += json_integer_value (json_array_get (mib, 0)) +
               json_integer_value (json_array_get (mib, 1));
  }
  g_assert_cmpuint (i, ==, 2);
  /* while an admitter runs, free is what it saw: its record */
  nodes = json_object_get (status, "nodes");
  g_assert_cmpint (sum_of (nodes, "free_mib"), ==, 2 * NODE_MIB);
  g_assert_cmpint (sum_of (nodes, "claimed_mib"), ==, planned);
  g_assert_cmpint (sum_of (nodes, "available_mib"), ==, 2 * NODE_MIB - planned);
  g_close (fd, NULL);
  xa_test_store_close (&ledger);
}

static void
test_cli_queue_status_unknown_name (Fixture *f, gconstpointer data)
{
  g_strfreev (submit_two (f));
  xa_test_xadmit_fails (2, "no request of this host has the id or name \"nobody\"", "status",
                        ON_HOST (f), "nobody", NULL);
}

/* --names: each name once, newest first, whatever its state. */
static void
test_cli_queue_status_names (Fixture *f, gconstpointer data)
{
  g_auto(XaTestRun) run = { 0 };
  g_auto(XaTestRun) cancel = { 0 };

  g_strfreev (submit_two (f));
  xa_test_run_xadmit (&cancel, "cancel", ON_HOST (f), "web-01", NULL);
  g_assert_cmpint (cancel.status, ==, 0);
  xa_test_run_xadmit (&run, "status", "--names", ON_HOST (f), NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpstr (run.out, ==, "db-01\nweb-01\n");
}

static void
add (const gchar *path, void (*func) (Fixture *, gconstpointer))
{
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  add ("/cli/queue/submit-manifest", test_cli_queue_submit_manifest);
  add ("/cli/queue/submit-options-json", test_cli_queue_submit_options_json);
  add ("/cli/queue/submit-stdin", test_cli_queue_submit_stdin);
  add ("/cli/queue/submit-duplicate-refused", test_cli_queue_submit_duplicate_refused);
  add ("/cli/queue/submit-rejects-a-domain-name", test_cli_queue_submit_rejects_a_domain_name);
  add ("/cli/queue/submit-rejected-member-rolls-back",
       test_cli_queue_submit_rejected_member_rolls_back);
  add ("/cli/queue/submit-rejected-member-kept", test_cli_queue_submit_rejected_member_kept);
  add ("/cli/queue/submit-bad-input", test_cli_queue_submit_bad_input);
  add ("/cli/queue/submit-needs-a-kept-host", test_cli_queue_submit_needs_a_kept_host);
  add ("/cli/queue/many-submitters-at-once", test_cli_queue_many_submitters_at_once);
  add ("/cli/queue/wait-cancelled", test_cli_queue_wait_cancelled);
  add ("/cli/queue/wait-running", test_cli_queue_wait_running);
  add ("/cli/queue/wait-interrupted", test_cli_queue_wait_interrupted);
  add ("/cli/queue/status-empty", test_cli_queue_status_empty);
  add ("/cli/queue/status-queued", test_cli_queue_status_queued);
  add ("/cli/queue/status-planned", test_cli_queue_status_planned);
  add ("/cli/queue/status-names-the-lock-holder", test_cli_queue_status_names_the_lock_holder);
  add ("/cli/queue/status-unknown-name", test_cli_queue_status_unknown_name);
  add ("/cli/queue/status-names", test_cli_queue_status_names);
  return g_test_run ();
}
