/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib/gstdio.h>
#include <signal.h>
#include <sqlite3.h>
#include <unistd.h>

#include "xa-host-backend.h"
#include "xa-host.h"
#include "xa-store.h"
#include "xa-test-cli.h"
#include "xa-test-util.h"

/* Each boot test has a ledger of its own, in a temporary directory. */
static gchar *
ledger_path (const XaTestDir *dir)
{
  return g_build_filename (dir, "xadmit.db", NULL);
}

/* Boots @manifest on @host with @policy (NULL: batch) and a seed, which
 * must exit with @status; returns the JSON summary. */
static json_t *
boot_json (const XaTestDir *dir, const gchar *host, const gchar *manifest, const gchar *policy,
           const gchar *seed, gint status)
{
  g_autofree gchar *spec = xa_test_host_spec (host);
  g_autofree gchar *path = xa_test_data_path ("manifests", manifest);
  g_autofree gchar *db = ledger_path (dir);
  g_auto(XaTestRun) run = { 0 };

  xa_test_run_xadmit (&run, "boot", path, "--host", spec, "--db", db, "--json", "--seed", seed,
                      "--policy", policy != NULL ? policy : "batch", NULL);
  g_assert_cmpstr (run.err, ==, "");
  g_assert_cmpint (run.status, ==, status);
  return xa_test_json_parse (run.out);
}

static json_t *
vm_named (json_t *summary, const gchar *name)
{
  json_t *vm;
  gsize i;

  json_array_foreach (json_object_get (summary, "vm"), i, vm) {
    if (g_strcmp0 (xa_test_json_string (vm, "name"), name) == 0)
      return vm;
  }
  g_assert_not_reached ();
}

static void
test_cli_boot_runs_the_demo (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autoptr(json_t) summary = boot_json (dir, "default.json", "demo.json", NULL, "1", 0);

  g_assert_cmpint (xa_test_json_int (summary, "running"), ==, 24);
  g_assert_cmpint (xa_test_json_int (summary, "local"), ==, 24);
  g_assert_cmpint (xa_test_json_int (summary, "spilled"), ==, 0);
  g_assert_cmpint (xa_test_json_int (summary, "seed"), ==, 1);
  /* nothing beats the lower bound */
  g_assert_cmpfloat (xa_test_json_real (summary, "makespan_s"), >=,
                     xa_test_json_real (summary, "lower_bound_s"));
  g_assert_cmpfloat (xa_test_json_real (summary, "makespan_s"), <=,
                     1.05 * xa_test_json_real (summary, "lower_bound_s"));
}

/* The same seed, byte for byte the same summary but for the planning time;
 * another seed, other build times. */
static void
test_cli_boot_is_deterministic (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autoptr(json_t) first = boot_json (dir, "4node.json", "evacuate.json", NULL, "7", 0);
  g_autoptr(json_t) again = boot_json (dir, "4node.json", "evacuate.json", NULL, "7", 0);
  g_autoptr(json_t) other = boot_json (dir, "4node.json", "evacuate.json", NULL, "8", 0);
  g_autofree gchar *first_text = NULL;
  g_autofree gchar *again_text = NULL;

  json_object_del (first, "plan_ms");
  json_object_del (again, "plan_ms");
  first_text = json_dumps (first, JSON_SORT_KEYS);
  again_text = json_dumps (again, JSON_SORT_KEYS);
  g_assert_cmpstr (first_text, ==, again_text);
  g_assert_cmpfloat (xa_test_json_real (first, "makespan_s"), !=,
                     xa_test_json_real (other, "makespan_s"));
}

/* The parallel-start race, by itself: xenopsd's builds pick the same nodes
 * and spill; batch plans the storm and nothing spills. */
static void
test_cli_boot_batch_does_not_spill_where_xenopsd_does (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autoptr(json_t) batch = boot_json (dir, "4node.json", "dense-4node.json", NULL, "1", 0);
  g_autoptr(json_t) xenopsd = boot_json (dir, "4node.json", "dense-4node.json", "xenopsd", "1", 0);

  g_assert_cmpint (xa_test_json_int (batch, "spilled"), ==, 0);
  g_assert_cmpint (xa_test_json_int (batch, "local"), ==, 18);
  g_assert_cmpint (xa_test_json_int (xenopsd, "spilled"), >, 0);
  g_assert_cmpint (xa_test_json_int (xenopsd, "remote_mib"), >, 0);
}

/* The requests in @state of the first @n_hosts hosts of the ledger. */
static GPtrArray *
requests_in (const XaTestDir *dir, gint64 n_hosts, XaRequestState state)
{
  g_autofree gchar *db = ledger_path (dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(XaStore) store = xa_store_open (db, &error);
  GPtrArray *all = g_ptr_array_new_with_free_func ((GDestroyNotify) xa_store_request_free);

  g_assert_no_error (error);
  for (gint64 host_id = 1; host_id <= n_hosts; host_id++) {
    g_autoptr(GPtrArray) some = xa_store_list_requests (store, host_id, state, &error);

    g_assert_no_error (error);
    while (some->len > 0)
      g_ptr_array_add (all, g_ptr_array_steal_index (some, 0));
  }
  return all;
}

/* The request's log in the ledger: did it ever wait? Its temporary host
 * gone with the run, the request has ended. */
static gboolean
was_deferred (const XaTestDir *dir, const gchar *name)
{
  g_autoptr(GPtrArray) ended = requests_in (dir, 2, XA_REQUEST_ENDED);
  gboolean deferred = FALSE;

  for (guint i = 0; i < ended->len; i++) {
    const XaStoreRequest *request = g_ptr_array_index (ended, i);

    deferred |= g_strcmp0 (request->req->name, name) == 0 && request->deferrals > 0;
  }
  return deferred;
}

/* A host file without --sim-state lives in the run's process: its VMs end
 * with it, so two boots never leave more running rows than domains. */
static void
test_cli_boot_temporary_host_ends_with_the_run (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autoptr(json_t) first = boot_json (dir, "default.json", "demo.json", NULL, "1", 0);
  g_autoptr(json_t) again = boot_json (dir, "default.json", "demo.json", NULL, "1", 0);
  g_autoptr(GPtrArray) running = requests_in (dir, 2, XA_REQUEST_RUNNING);
  g_autoptr(GPtrArray) ended = requests_in (dir, 2, XA_REQUEST_ENDED);

  g_assert_cmpint (xa_test_json_int (again, "running"), ==, 24);
  g_assert_cmpuint (running->len, ==, 0);
  g_assert_cmpuint (ended->len, ==, 2 * 24);
  g_assert_nonnull (strstr (((XaStoreRequest *) g_ptr_array_index (ended, 0))->reason,
                            "went away when xadmit exited"));
}

/* xenopsd-nodeclaim fails app-db's start (its host-wide claim); batch defers
 * it while flaky-db builds, and builds it once flaky-db has failed for good. */
static void
test_cli_boot_batch_defers_what_nodeclaim_fails (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autoptr(json_t) batch = NULL;
  g_autoptr(json_t) nodeclaim = NULL;

  batch = boot_json (dir, "2node-claims-faults.json", "flaky-storm.json", NULL, "1", 3);
  g_assert_cmpstr (xa_test_json_string (vm_named (batch, "app-db"), "state"), ==, "running");
  g_assert_true (was_deferred (dir, "app-db"));
  g_assert_cmpint (xa_test_json_int (vm_named (batch, "flaky-db"), "attempts"), ==, 3);
  nodeclaim = boot_json (dir, "2node-claims-faults.json", "flaky-storm.json",
                         "xenopsd-nodeclaim", "1", 3);
  g_assert_cmpstr (xa_test_json_string (vm_named (nodeclaim, "app-db"), "state"), ==, "failed");
  g_assert_nonnull (strstr (xa_test_json_string (vm_named (nodeclaim, "app-db"), "reason"),
                            "(ENOMEM)"));
}

/* Locality comes from the allocator, not the plan: memory taken from node 0
 * at 5 s pushes big-a's later pages to node 1, although it was planned on
 * node 0 alone. A build that fails is retried. */
static void
test_cli_boot_spill_comes_from_the_host (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autoptr(json_t) summary = NULL;
  g_autofree gchar *spec = xa_test_host_spec ("2node-take.json");
  g_autofree gchar *manifest = xa_test_data_path ("manifests", "two-big.json");
  g_auto(XaTestRun) plan = { 0 };
  g_autoptr(json_t) planned = NULL;
  json_t *big_a;

  xa_test_run_xadmit (&plan, "plan", manifest, "--host", spec, "--json", NULL);
  planned = xa_test_json_parse (plan.out);
  g_assert_cmpint (xa_test_json_int (planned, "local"), ==, 4);
  summary = boot_json (dir, "2node-take.json", "two-big.json", NULL, "1", 0);
  big_a = vm_named (summary, "big-a");
  g_assert_cmpuint (json_array_size (json_object_get (big_a, "planned_nodes")), ==, 1);
  g_assert_cmpint (json_integer_value (json_array_get (json_object_get (big_a, "planned_nodes"),
                                                       0)), ==, 0);
  g_assert_cmpint (xa_test_json_int (summary, "spilled"), ==, 1);
  g_assert_cmpint (xa_test_json_int (summary, "remote_mib"), >, 0);
  g_assert_cmpint (xa_test_json_int (vm_named (summary, "web-02"), "attempts"), ==, 2);
}

static void
test_cli_boot_usage_errors (void)
{
  g_autofree gchar *manifest = xa_test_data_path ("manifests", "demo.json");
  g_autofree gchar *spec = xa_test_host_spec ("4node.json");

  xa_test_xadmit_fails (2, "expected one MANIFEST", "boot", "--host", "sim", NULL);
  xa_test_xadmit_fails (2, "--policy: exact is for xadmit plan", "boot", manifest, "--host", "sim",
                        "--policy", "exact", NULL);
  xa_test_xadmit_fails (2, "--max-batch: 0 is not between 1 and 100000", "boot", manifest, "--host",
                        "sim", "--max-batch", "0", NULL);
  xa_test_xadmit_fails (2, "this host has none (node_claims: false", "boot", manifest, "--host",
                        spec, "--policy", "xenopsd-nodeclaim", NULL);
  xa_test_xadmit_fails (2, "--defer-timeout: -1 is negative", "boot", manifest, "--host", "sim",
                        "--defer-timeout", "-1", NULL);
}

/* A ledger xadmit cannot use: one sentence, exit 1, the file as it was. */
static void
test_cli_boot_refuses_a_broken_ledger (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *db = ledger_path (dir);
  g_autofree gchar *manifest = xa_test_data_path ("manifests", "demo.json");
  g_autoptr(GError) error = NULL;
  g_autofree gchar *after = NULL;

  g_assert_true (g_file_set_contents_full (db, "not a database", -1,
                                           G_FILE_SET_CONTENTS_NONE, 0600, &error));
  xa_test_xadmit_fails (1, "is not a database xadmit can read", "boot", manifest, "--host", "sim",
                        "--db", db, NULL);
  g_assert_true (g_file_get_contents (db, &after, NULL, &error));
  g_assert_cmpstr (after, ==, "not a database");
}

/* The simulated host's state, kept beside the ledger from boot to boot. */
static gchar *
state_path (const XaTestDir *dir)
{
  return g_build_filename (dir, "state.json", NULL);
}

/* Boots the manifest at @path on @host with its state kept in @dir, so
 * that the next boot finds this one's domains; @json: print the JSON
 * summary, not the tables. */
static void
boot_kept (XaTestRun *run, const XaTestDir *dir, const gchar *host, const gchar *path,
           gboolean json)
{
  g_autofree gchar *spec = xa_test_host_spec (host);
  g_autofree gchar *state = state_path (dir);
  g_autofree gchar *db = ledger_path (dir);

  xa_test_run_xadmit (run, "boot", path, "--host", spec, "--sim-state", state, "--db", db,
                      "--defer-timeout", "1", json ? "--json" : NULL, NULL);
}

/* Boots the data manifest @manifest on a kept 4node.json, printing JSON. */
static void
boot_on_kept_host (XaTestRun *run, const XaTestDir *dir, const gchar *manifest)
{
  g_autofree gchar *path = xa_test_data_path ("manifests", manifest);

  boot_kept (run, dir, "4node.json", path, TRUE);
}

/* The same manifest booted again on the same host: what waits is queued
 * anew, what runs is left alone, never started twice. */
static void
test_cli_boot_again_leaves_running_vms_alone (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_auto(XaTestRun) first = { 0 };
  g_auto(XaTestRun) again = { 0 };
  g_autoptr(json_t) before = NULL;
  g_autoptr(json_t) after = NULL;

  boot_on_kept_host (&first, dir, "mixed-priorities.json");
  g_assert_cmpint (first.status, ==, 3);
  before = xa_test_json_parse (first.out);
  g_assert_cmpint (xa_test_json_int (before, "deferred"), >, 0);
  boot_on_kept_host (&again, dir, "mixed-priorities.json");
  g_assert_cmpint (again.status, ==, 3);
  g_assert_nonnull (strstr (again.err, "run on this host already, left alone: "));
  after = xa_test_json_parse (again.out);
  /* the whole manifest, those left alone counted as running */
  g_assert_cmpint (xa_test_json_int (after, "running"), ==, xa_test_json_int (before, "running"));
  g_assert_cmpint (xa_test_json_int (after, "vms"), ==, xa_test_json_int (before, "vms"));
  g_assert_cmpint (xa_test_json_int (after, "deferred"), ==, xa_test_json_int (before, "deferred"));
}

/* A VM whose memory or vCPUs the manifest changed after it was started is
 * left alone, saying what it runs with and what is asked now; a second boot
 * counts the whole manifest. */
static void
test_cli_boot_again_says_what_changed (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *changed = xa_test_dir_write (
    dir, "two-big.json",
    "{\"vms\": [{\"name\": \"big-a\", \"memory\": \"40GiB\", \"vcpus\": 8},"
    " {\"name\": \"big-b\", \"memory\": \"40GiB\", \"vcpus\": 8},"
    " {\"name\": \"web-01\", \"memory\": \"8GiB\", \"vcpus\": 4},"
    " {\"name\": \"web-02\", \"memory\": \"4GiB\", \"vcpus\": 2, \"nodes\": [1]}]}");
  g_auto(XaTestRun) first = { 0 };
  g_auto(XaTestRun) again = { 0 };
  g_autoptr(json_t) after = NULL;

  boot_on_kept_host (&first, dir, "two-big.json");
  g_assert_cmpint (first.status, ==, 0);
  boot_kept (&again, dir, "4node.json", changed, TRUE);
  g_assert_cmpint (again.status, ==, 0);
  g_assert_nonnull (strstr (again.err, "xadmit boot: web-01 runs already with 4096 MiB, 2 vCPUs; "
                                       "the manifest now asks 8192 MiB, 4 vCPUs: destroy it to "
                                       "apply\n"));
  g_assert_nonnull (strstr (again.err, "xadmit boot: web-02 runs already with any node; the "
                                       "manifest now asks nodes 1: destroy it to apply\n"));
  g_assert_null (strstr (again.err, "big-a runs already with"));
  after = xa_test_json_parse (again.out);
  g_assert_cmpint (xa_test_json_int (after, "vms"), ==, 4);
  g_assert_cmpint (xa_test_json_int (after, "running"), ==, 4);
}

/* A VM named like a domain on the host (dom0) is rejected with why, never
 * a second domain of that name, and the state file loads again. */
static void
test_cli_boot_rejects_a_name_the_host_has (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *manifest = xa_test_dir_write (
    dir, "dom0.json",
    "{\"vms\": [{\"name\": \"dom0\", \"memory\": 1024, \"vcpus\": 1},"
    " {\"name\": \"web\", \"memory\": 1024, \"vcpus\": 1}]}");
  g_autofree gchar *spec = xa_test_host_spec ("2node.json");
  g_autofree gchar *state = state_path (dir);
  g_auto(XaTestRun) boot = { 0 };
  g_auto(XaTestRun) host = { 0 };
  g_autoptr(json_t) summary = NULL;
  g_autoptr(json_t) shown = NULL;
  json_t *vm;

  boot_kept (&boot, dir, "2node.json", manifest, TRUE);
  g_assert_cmpint (boot.status, ==, 3);
  summary = xa_test_json_parse (boot.out);
  vm = vm_named (summary, "dom0");
  g_assert_cmpstr (xa_test_json_string (vm, "state"), ==, "rejected");
  g_assert_cmpstr (xa_test_json_string (vm, "reason"), ==,
                   "a domain named \"dom0\" runs on the host already: give the VM another name");
  g_assert_cmpstr (xa_test_json_string (vm_named (summary, "web"), "state"), ==, "running");
  xa_test_run_xadmit (&host, "host", "--host", spec, "--sim-state", state, "--json", NULL);
  g_assert_cmpstr (host.err, ==, "");
  g_assert_cmpint (host.status, ==, 0);
  shown = xa_test_json_parse (host.out);
  g_assert_cmpuint (json_array_size (json_object_get (shown, "domains")), ==, 2);
}

/* A boot cut short leaves its VMs queued; booting another manifest on the
 * same host says how many wait, of which manifest, and how to start them. */
static void
test_cli_boot_says_what_other_manifests_leave_waiting (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_auto(XaTestRun) first = { 0 };
  g_auto(XaTestRun) other = { 0 };
  g_autoptr(json_t) before = NULL;
  g_autofree gchar *told = NULL;

  boot_on_kept_host (&first, dir, "mixed-priorities.json");
  g_assert_cmpint (first.status, ==, 3);
  before = xa_test_json_parse (first.out);
  g_assert_cmpint (xa_test_json_int (before, "deferred"), >, 1);
  boot_on_kept_host (&other, dir, "two-big.json");
  told = g_strdup_printf ("xadmit boot: %" JSON_INTEGER_FORMAT " requests of other manifests "
                          "(mixed-priorities.json) wait for this host and will not be started "
                          "by this boot: boot those manifests again to start them\n",
                          xa_test_json_int (before, "deferred"));
  g_assert_nonnull (strstr (other.err, told));
}

/* One admitter per host: while this process holds the simulated host, a
 * boot on it is told who does. */
static void
test_cli_boot_one_admitter_per_host (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *spec = xa_test_host_spec ("4node.json");
  g_autofree gchar *state = state_path (dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(XaHost) host = xa_host_open (spec, state, &error);
  g_auto(XaTestRun) run = { 0 };

  g_assert_no_error (error);
  g_assert_true (xa_host_lock (host, &error));
  g_assert_no_error (error);
  boot_on_kept_host (&run, dir, "demo.json");
  xa_test_run_assert_error (&run, 1, "admits for the simulated host in");
  /* it names only commands that exist */
  g_assert_nonnull (strstr (run.err, "wait until its boot ends, or stop it)"));
  g_assert_null (strstr (run.err, "submit"));
  g_assert_null (strstr (run.err, "daemon"));
}

/* -v says what each batch decided and why, and each failed attempt. */
static void
test_cli_boot_verbose_says_why (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *spec = xa_test_host_spec ("2node-claims-faults.json");
  g_autofree gchar *manifest = xa_test_data_path ("manifests", "flaky-storm.json");
  g_autofree gchar *db = ledger_path (dir);
  g_auto(XaTestRun) run = { 0 };

  xa_test_run_xadmit (&run, "boot", manifest, "--host", spec, "--db", db, "-v", "--json", NULL);
  g_assert_cmpint (run.status, ==, 3);
  g_assert_nonnull (strstr (run.err, "xadmit boot: batch 1: 4 VMs: 3 planned, 1 deferred, "
                                     "0 rejected\n"));
  g_assert_nonnull (strstr (run.err, "xadmit boot: batch 1: web-01 planned on nodes 1, "));
  g_assert_nonnull (strstr (run.err, "xadmit boot: batch 1: app-db deferred: it needs "));
  g_assert_nonnull (strstr (run.err, "xadmit boot: flaky-db: attempt 1 failed: "));
  g_assert_nonnull (strstr (run.err, "it goes back to the queue to be tried again\n"));
  g_assert_nonnull (strstr (run.err, "no retry left\n"));
  g_assert_nonnull (strstr (run.err, "batch 4: 1 VM: 1 planned"));
}

/* A xenopsd policy has no batches and no retries: the options that shape
 * them, given, are said to do nothing; not given, nothing is said. */
static void
test_cli_boot_xenopsd_warns_of_ignored_options (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *manifest = xa_test_data_path ("manifests", "demo.json");
  g_autofree gchar *db = ledger_path (dir);
  g_autoptr(json_t) quiet = NULL;
  g_auto(XaTestRun) given = { 0 };

  /* the embedded host is default.json */
  xa_test_run_xadmit (&given, "boot", manifest, "--host", "sim", "--db", db, "--json", "--policy",
                      "xenopsd-legacy", "--retries", "2", "--max-batch", "8", "--window-ms", "10",
                      NULL);
  g_assert_cmpint (given.status, ==, 0);
  g_assert_cmpstr (given.err, ==, "xadmit boot: --policy xenopsd-legacy ignores --retries, "
                                  "--max-batch, --window-ms: xenopsd starts each VM on its own, "
                                  "without batches or retries\n");
  /* boot_json() asserts that stderr stays empty */
  quiet = boot_json (dir, "default.json", "demo.json", "xenopsd", "1", 0);
  g_assert_cmpint (xa_test_json_int (quiet, "running"), ==, 24);
}

/* "-" reads the manifest from standard input, as plan does. */
static void
test_cli_boot_reads_standard_input (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *manifest = xa_test_data_path ("manifests", "demo.json");
  g_autofree gchar *db = ledger_path (dir);
  g_auto(XaTestRun) run = { 0 };
  g_autoptr(json_t) summary = NULL;

  xa_test_run_xadmit_with_input (&run, manifest, "boot", "-", "--host", "sim", "--db", db,
                                 "--json", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpstr (run.err, ==, "");
  summary = xa_test_json_parse (run.out);
  g_assert_cmpint (xa_test_json_int (summary, "running"), ==, 24);
}

/* A manifest of @count small VMs, written in @dir: a boot long enough to
 * be interrupted. */
static gchar *
write_big_manifest (const XaTestDir *dir, guint count)
{
  g_autoptr(GString) text = g_string_new ("{\"vms\": [");

  for (guint i = 0; i < count; i++)
    g_string_append_printf (text, "%s{\"name\": \"vm-%05u\", \"memory\": \"256MiB\", \"vcpus\": 1}",
                            i > 0 ? ", " : "", i);
  g_string_append (text, "]}");
  return xa_test_dir_write (dir, "big.json", text->str);
}

/* Requests of the ledger at @db in @state: the ledger's one host is the
 * first. */
static guint
count_in_ledger (const gchar *db, XaRequestState state)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(XaStore) store = xa_store_open (db, &error);
  g_autoptr(GPtrArray) requests = NULL;

  g_assert_no_error (error);
  requests = xa_store_list_requests (store, 1, state, &error);
  g_assert_no_error (error);
  return requests->len;
}

/* Boots the big manifest and sends @signals once the first batch is
 * decided: it stops, exit 130, and leaves no build under way and no claim
 * (a claim belongs to a planned or building request). */
static void
assert_boot_stops_cleanly (const gint *signals)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *manifest = write_big_manifest (dir, 2000);
  g_autofree gchar *db = ledger_path (dir);
  g_auto(XaTestRun) run = { 0 };
  guint total = 0;

  xa_test_run_xadmit_signalled (&run, dir, TRUE, "xadmit boot: batch 1: ", signals, NULL, "boot",
                                manifest, "--host", "sim", "--db", db, "-v", NULL);
  g_assert_cmpint (run.status, ==, 130);
  g_assert_nonnull (strstr (run.err, "xadmit boot: interrupted: admitting nothing more"));
  g_assert_cmpint (count_in_ledger (db, XA_REQUEST_PLANNED), ==, 0);
  g_assert_cmpint (count_in_ledger (db, XA_REQUEST_BUILDING), ==, 0);
  for (XaRequestState state = 0; state <= XA_REQUEST_STATE_LAST; state++)
    total += count_in_ledger (db, state);
  g_assert_cmpint (total, ==, 2000);
}

/* SIGHUP stops a boot as SIGINT and SIGTERM do; a second signal destroys
 * the builds under way. */
static void
test_cli_boot_stops_cleanly_on_signals (void)
{
  const gint hangup[] = { SIGHUP, 0 };
  const gint interrupt[] = { SIGINT, 0 };
  const gint terminate[] = { SIGTERM, 0 };
  const gint twice[] = { SIGHUP, SIGINT, 0 };

  assert_boot_stops_cleanly (hangup);
  assert_boot_stops_cleanly (interrupt);
  assert_boot_stops_cleanly (terminate);
  assert_boot_stops_cleanly (twice);
}

/* Another program's SQLite database, in rollback-journal mode as SQLite
 * makes them by default. */
static void
write_foreign_database (const gchar *path)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "PRAGMA application_id = 1234; "
                                     "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); "
                                     "INSERT INTO notes (text) VALUES ('theirs')",
                                 NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);
}

/* Another program's database is refused and left byte for byte as it was:
 * not switched to WAL, no -wal or -shm beside it. */
static void
test_cli_boot_leaves_a_foreign_database_alone (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *db = g_build_filename (dir, "theirs.db", NULL);
  g_autofree gchar *wal = g_strconcat (db, "-wal", NULL);
  g_autofree gchar *shm = g_strconcat (db, "-shm", NULL);
  g_autofree gchar *manifest = xa_test_data_path ("manifests", "demo.json");
  g_autofree gchar *before = NULL;
  g_autofree gchar *after = NULL;
  gsize before_len = 0;
  gsize after_len = 0;

  write_foreign_database (db);
  g_assert_true (g_file_get_contents (db, &before, &before_len, NULL));
  xa_test_xadmit_fails (1, "is an SQLite database of another program", "boot", manifest,
                        "--host", "sim", "--db", db, NULL);
  g_assert_true (g_file_get_contents (db, &after, &after_len, NULL));
  g_assert_cmpuint (after_len, ==, before_len);
  g_assert_cmpint (memcmp (before, after, before_len), ==, 0);
  g_assert_false (g_file_test (wal, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (shm, G_FILE_TEST_EXISTS));
}

/* Exit 2 changes nothing: whatever input is bad, boot creates neither the
 * ledger nor the state file nor its lock. */
static void
test_cli_boot_bad_input_creates_nothing (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *bad = xa_test_dir_write (dir, "bad.json",
    "{\"vms\": [{\"name\": \"a\", \"memory\": \"4 GB\", \"vcpus\": 1}]}");
  g_autofree gchar *manifest = xa_test_data_path ("manifests", "demo.json");
  g_autofree gchar *spec4 = xa_test_host_spec ("4node.json");
  g_autofree gchar *db = g_build_filename (dir, "new.db", NULL);
  g_autofree gchar *state = g_build_filename (dir, "new-state.json", NULL);
  g_autofree gchar *lock = g_strconcat (state, ".lock", NULL);

  xa_test_xadmit_fails (2, "memory: \"4 GB\" is not a size", "boot", bad, "--host", "sim",
                        "--sim-state", state, "--db", db, NULL);
  g_assert_false (g_file_test (state, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (lock, G_FILE_TEST_EXISTS));
  xa_test_xadmit_fails (2, "this host has none (node_claims: false", "boot", manifest, "--host",
                        spec4, "--policy", "xenopsd-nodeclaim", "--sim-state", state, "--db", db,
                        NULL);
  xa_test_xadmit_fails (2, "--db: the path is empty", "boot", manifest, "--host", "sim",
                        "--sim-state", state, "--db", "", NULL);
  xa_test_xadmit_fails (2, "--sim-state: the path is empty", "boot", manifest, "--host", "sim",
                        "--sim-state", "", "--db", db, NULL);
  xa_test_xadmit_fails (2, "it is a directory, not a regular file", "boot", manifest,
                        "--host", "sim", "--sim-state", state, "--db", dir, NULL);
  xa_test_xadmit_fails (2, "it is a directory, not a regular file", "boot", manifest,
                        "--host", "sim", "--sim-state", dir, "--db", db, NULL);
  g_assert_false (g_file_test (db, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (state, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (lock, G_FILE_TEST_EXISTS));
}

/* A state file of another host is bad input before the ledger exists. */
static void
test_cli_boot_refuses_a_state_of_another_host (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *manifest = xa_test_data_path ("manifests", "demo.json");
  g_autofree gchar *spec2 = xa_test_host_spec ("2node.json");
  g_autofree gchar *db = g_build_filename (dir, "new.db", NULL);
  g_autofree gchar *state = state_path (dir);
  g_auto(XaTestRun) first = { 0 };

  boot_on_kept_host (&first, dir, "demo.json");
  g_assert_cmpint (first.status, ==, 0);
  xa_test_xadmit_fails (2, "nodes: 4 in the state file, 2 in the topology", "boot", manifest,
                        "--host", spec2, "--sim-state", state, "--db", db, NULL);
  g_assert_false (g_file_test (db, G_FILE_TEST_EXISTS));
}

/* boot is the command that makes a state file, and says so, once. */
static void
test_cli_boot_creates_the_state_and_says_so (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *manifest = xa_test_data_path ("manifests", "demo.json");
  g_autofree gchar *db = g_build_filename (dir, "xadmit.db", NULL);
  g_autofree gchar *state = g_build_filename (dir, "state.json", NULL);
  g_autofree gchar *quiet_state = g_build_filename (dir, "quiet.json", NULL);
  g_autofree gchar *said = g_strdup_printf ("xadmit boot: created %s for a new simulated host\n",
                                            state);
  g_auto(XaTestRun) first = { 0 };
  g_auto(XaTestRun) again = { 0 };
  g_auto(XaTestRun) quiet = { 0 };

  xa_test_run_xadmit (&first, "boot", manifest, "--host", "sim", "--sim-state", state, "--db",
                      db, NULL);
  g_assert_cmpint (first.status, ==, 0);
  g_assert_true (g_file_test (state, G_FILE_TEST_IS_REGULAR));
  g_assert_nonnull (strstr (first.err, said));
  xa_test_run_xadmit (&again, "boot", manifest, "--host", "sim", "--sim-state", state, "--db",
                      db, NULL);
  g_assert_cmpint (again.status, ==, 0);
  g_assert_null (strstr (again.err, "created"));
  xa_test_run_xadmit (&quiet, "boot", manifest, "--host", "sim", "--sim-state", quiet_state,
                      "--db", db, "-q", NULL);
  g_assert_cmpint (quiet.status, ==, 0);
  g_assert_true (g_file_test (quiet_state, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpstr (quiet.err, ==, "");
}

/* One admitter per ledger, even on hosts of their own: while this process
 * holds the ledger's lock, a boot on it says who does and exits 1. */
static void
test_cli_boot_one_admitter_per_ledger (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *db = ledger_path (dir);
  g_autofree gchar *lock = g_strconcat (db, ".lock", NULL);
  g_autofree gchar *spec = xa_test_host_spec ("default.json");
  g_autofree gchar *manifest = xa_test_data_path ("manifests", "demo.json");
  g_autofree gchar *holder = g_strdup_printf ("process %d admits for the ledger", (gint) getpid ());
  g_autoptr(GError) error = NULL;
  g_auto(XaTestRun) run = { 0 };
  gint fd = -1;

  g_assert_true (xa_host_lock_file (lock, "the test's ledger", &fd, &error));
  g_assert_no_error (error);
  xa_test_run_xadmit (&run, "boot", manifest, "--host", spec, "--db", db, NULL);
  xa_test_run_assert_error (&run, 1, holder);
  g_close (fd, NULL);
}

/* The "left" column of a boot's node table: each node's memory as the
 * host shows it at the end, here after something outside xadmit took 30
 * GiB of node 0 mid-run (start-free minus placed would say 30720). */
static void
test_cli_boot_left_is_what_the_host_shows (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *spec = xa_test_host_spec ("2node-take.json");
  g_autofree gchar *manifest = xa_test_data_path ("manifests", "two-big.json");
  g_autofree gchar *state = state_path (dir);
  g_auto(XaTestRun) boot = { 0 };
  g_auto(XaTestRun) host = { 0 };
  g_autoptr(json_t) shown = NULL;
  g_autofree gchar *table = NULL;
  json_t *node;
  gsize n;

  boot_kept (&boot, dir, "2node-take.json", manifest, FALSE);
  g_assert_cmpint (boot.status, ==, 0);
  xa_test_run_xadmit (&host, "host", "--host", spec, "--sim-state", state, "--json", NULL);
  g_assert_cmpint (host.status, ==, 0);
  shown = xa_test_json_parse (host.out);
  table = g_strdup (strstr (boot.out, "\nnode "));
  g_assert_nonnull (table);
  json_array_foreach (json_object_get (shown, "nodes"), n, node) {
    g_autofree gchar *prefix = g_strdup_printf ("\n%-5" G_GSIZE_FORMAT " ", n);
    const gchar *line = strstr (table, prefix);
    guint64 free_mib = 0, placed = 0, left = 0;

    g_assert_nonnull (line);
    g_assert_cmpint (sscanf (line + strlen (prefix), "%" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
                             " %" G_GUINT64_FORMAT, &free_mib, &placed, &left), ==, 3);
    g_assert_cmpuint (left, ==, (guint64) xa_test_json_int (node, "free"));
  }
  g_assert_nonnull (strstr (table, "\n0          61440      30720          0\n"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cli/boot/runs-the-demo", test_cli_boot_runs_the_demo);
  g_test_add_func ("/cli/boot/is-deterministic", test_cli_boot_is_deterministic);
  g_test_add_func ("/cli/boot/batch-does-not-spill-where-xenopsd-does",
                   test_cli_boot_batch_does_not_spill_where_xenopsd_does);
  g_test_add_func ("/cli/boot/batch-defers-what-nodeclaim-fails",
                   test_cli_boot_batch_defers_what_nodeclaim_fails);
  g_test_add_func ("/cli/boot/spill-comes-from-the-host", test_cli_boot_spill_comes_from_the_host);
  g_test_add_func ("/cli/boot/again-leaves-running-vms-alone",
                   test_cli_boot_again_leaves_running_vms_alone);
  g_test_add_func ("/cli/boot/temporary-host-ends-with-the-run",
                   test_cli_boot_temporary_host_ends_with_the_run);
  g_test_add_func ("/cli/boot/left-is-what-the-host-shows",
                   test_cli_boot_left_is_what_the_host_shows);
  g_test_add_func ("/cli/boot/says-what-other-manifests-leave-waiting",
                   test_cli_boot_says_what_other_manifests_leave_waiting);
  g_test_add_func ("/cli/boot/again-says-what-changed", test_cli_boot_again_says_what_changed);
  g_test_add_func ("/cli/boot/rejects-a-name-the-host-has",
                   test_cli_boot_rejects_a_name_the_host_has);
  g_test_add_func ("/cli/boot/usage-errors", test_cli_boot_usage_errors);
  g_test_add_func ("/cli/boot/refuses-a-broken-ledger", test_cli_boot_refuses_a_broken_ledger);
  g_test_add_func ("/cli/boot/one-admitter-per-host", test_cli_boot_one_admitter_per_host);
  g_test_add_func ("/cli/boot/leaves-a-foreign-database-alone",
                   test_cli_boot_leaves_a_foreign_database_alone);
  g_test_add_func ("/cli/boot/bad-input-creates-nothing", test_cli_boot_bad_input_creates_nothing);
  g_test_add_func ("/cli/boot/refuses-a-state-of-another-host",
                   test_cli_boot_refuses_a_state_of_another_host);
  g_test_add_func ("/cli/boot/creates-the-state-and-says-so",
                   test_cli_boot_creates_the_state_and_says_so);
  g_test_add_func ("/cli/boot/stops-cleanly-on-signals", test_cli_boot_stops_cleanly_on_signals);
  g_test_add_func ("/cli/boot/verbose-says-why", test_cli_boot_verbose_says_why);
  g_test_add_func ("/cli/boot/reads-standard-input", test_cli_boot_reads_standard_input);
  g_test_add_func ("/cli/boot/xenopsd-warns-of-ignored-options",
                   test_cli_boot_xenopsd_warns_of_ignored_options);
  g_test_add_func ("/cli/boot/one-admitter-per-ledger", test_cli_boot_one_admitter_per_ledger);
  return g_test_run ();
}
