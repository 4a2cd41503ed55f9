/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* xadmit boot itself: what a run admits, its options, -v, signals, standard input. */
#include <signal.h>

#include "xa-store.h"
#include "xa-test-cli.h"
#include "xa-test-util.h"

/* Boots @manifest on @host with @policy (NULL: batch) and a seed, which
 * must exit with @status; returns the JSON summary. */
static json_t *
boot_json (const XaTestDir *dir, const gchar *host, const gchar *manifest, const gchar *policy,
           const gchar *seed, gint status)
{
  g_auto(XaTestRun) run = { 0 };

  xa_test_boot (&run, dir, host, manifest, "--json", "--seed", seed, "--policy",
                policy != NULL ? policy : "batch", NULL);
  g_assert_cmpstr (run.err, ==, "");
  g_assert_cmpint (run.status, ==, status);
  return xa_test_json_parse (run.out);
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
  g_autofree gchar *db = xa_test_ledger_path (dir);
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
  g_assert_cmpstr (xa_test_json_string (xa_test_json_vm_named (batch, "app-db"), "state"), ==,
                   "running");
  g_assert_true (was_deferred (dir, "app-db"));
  g_assert_cmpint (xa_test_json_int (xa_test_json_vm_named (batch, "flaky-db"), "attempts"), ==, 3);
  nodeclaim = boot_json (dir, "2node-claims-faults.json", "flaky-storm.json",
                         "xenopsd-nodeclaim", "1", 3);
  g_assert_cmpstr (xa_test_json_string (xa_test_json_vm_named (nodeclaim, "app-db"), "state"),
                   ==, "failed");
  g_assert_nonnull (strstr (xa_test_json_string (xa_test_json_vm_named (nodeclaim, "app-db"),
                                                 "reason"), "(ENOMEM)"));
}

/* two-big.json booted on 2node-take.json, with @strict_flag (or none). */
static json_t *
boot_two_big (const XaTestDir *dir, const gchar *strict_flag)
{
  g_auto(XaTestRun) run = { 0 };

  xa_test_boot (&run, dir, "2node-take.json", "two-big.json", "--json", strict_flag, NULL);
  g_assert_cmpstr (run.err, ==, "");
  g_assert_cmpint (run.status, ==, 0);
  return xa_test_json_parse (run.out);
}

/* Locality comes from the allocator, not the plan: without strict, memory
 * taken from node 0 at 5 s pushes big-a's later pages to node 1, although
 * it was planned on node 0 alone. A build that fails is retried. */
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
  g_assert_null (json_object_get (planned, "strict"));
  summary = boot_two_big (dir, "--no-strict");
  g_assert_true (json_is_false (json_object_get (summary, "strict")));
  big_a = xa_test_json_vm_named (summary, "big-a");
  g_assert_cmpuint (json_array_size (json_object_get (big_a, "planned_nodes")), ==, 1);
  g_assert_cmpint (json_integer_value (json_array_get (json_object_get (big_a, "planned_nodes"),
                                                       0)), ==, 0);
  g_assert_cmpint (xa_test_json_int (summary, "spilled"), ==, 1);
  g_assert_cmpint (xa_test_json_int (summary, "remote_mib"), >, 0);
  g_assert_cmpint (xa_test_json_int (xa_test_json_vm_named (summary, "web-02"), "attempts"), ==, 2);
}

/* Strict, the default: big-a's build fails when node 0 runs short, and it
 * is planned again over what is left; nothing lands off its nodes. */
static void
test_cli_boot_strict_replans_instead_of_spilling (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autoptr(XaTestDir) table_dir = xa_test_dir_new ();
  g_autoptr(json_t) summary = boot_two_big (dir, NULL);
  g_auto(XaTestRun) table = { 0 };
  json_t *big_a = xa_test_json_vm_named (summary, "big-a");

  g_assert_true (json_is_true (json_object_get (summary, "strict")));
  g_assert_cmpint (xa_test_json_int (summary, "running"), ==, 4);
  g_assert_cmpint (xa_test_json_int (summary, "spilled"), ==, 0);
  g_assert_cmpint (xa_test_json_int (summary, "remote_mib"), ==, 0);
  g_assert_cmpint (xa_test_json_int (big_a, "attempts"), ==, 2);
  g_assert_cmpuint (json_array_size (json_object_get (big_a, "planned_nodes")), ==, 2);
  xa_test_boot (&table, table_dir, "2node-take.json", "two-big.json", NULL);
  g_assert_cmpint (table.status, ==, 0);
  g_assert_nonnull (strstr (table.out, "\nstrict: each build got exactly its planned MiB per "
                                       "node\n"));
}

/* A xenopsd policy is affinity-only: --no-strict is accepted, silently. */
static void
test_cli_boot_xenopsd_is_never_strict (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_auto(XaTestRun) run = { 0 };
  g_autoptr(json_t) summary = NULL;

  xa_test_boot (&run, dir, "2node-take.json", "two-big.json", "--json", "--policy", "xenopsd",
                "--no-strict", NULL);
  g_assert_cmpstr (run.err, ==, "");
  g_assert_cmpint (run.status, ==, 3);
  summary = xa_test_json_parse (run.out);
  g_assert_true (json_is_false (json_object_get (summary, "strict")));
  g_assert_cmpint (xa_test_json_int (summary, "spilled"), >=, 1);
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

/* Without -v a boot logs none of its decisions: its summary says them. */
static void
test_cli_boot_decisions_only_with_v (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_auto(XaTestRun) run = { 0 };

  xa_test_boot (&run, dir, "2node-claims-faults.json", "flaky-storm.json", "--json", NULL);
  g_assert_cmpint (run.status, ==, 3);
  g_assert_null (strstr (run.err, "closed: "));
  g_assert_null (strstr (run.err, "planned on"));
  g_assert_null (strstr (run.err, "attempt 1 failed"));
}

/* -v says what each batch decided and why, and each failed attempt. */
static void
test_cli_boot_verbose_says_why (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_auto(XaTestRun) run = { 0 };

  xa_test_boot (&run, dir, "2node-claims-faults.json", "flaky-storm.json", "-v", "--json", NULL);
  g_assert_cmpint (run.status, ==, 3);
  g_assert_nonnull (strstr (run.err, "xadmit boot: batch 1 closed: 4 VMs, policy batch: "
                                     "3 planned, 1 deferred, 0 rejected\n"));
  g_assert_nonnull (strstr (run.err, "xadmit boot: web-01: planned on node 1 (8196 MiB) in batch "
                                     "1; runner-up node 0, 24570 MiB left there\n"));
  g_assert_nonnull (strstr (run.err, "xadmit boot: app-db: deferred in batch 1: it needs "));
  g_assert_nonnull (strstr (run.err, "xadmit boot: flaky-db: attempt 1 failed: "));
  g_assert_nonnull (strstr (run.err, "it goes back to the queue to be tried again\n"));
  g_assert_nonnull (strstr (run.err, "no retry left: it failed\n"));
  g_assert_nonnull (strstr (run.err, "batch 4 closed: 1 VM, policy batch: 1 planned"));
}

/* A xenopsd policy has no batches and no retries: the options that shape
 * them, given, are said to do nothing; not given, nothing is said. */
static void
test_cli_boot_xenopsd_warns_of_ignored_options (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autoptr(json_t) quiet = NULL;
  g_auto(XaTestRun) given = { 0 };

  /* the embedded host is default.json */
  xa_test_boot (&given, dir, NULL, "demo.json", "--json", "--policy", "xenopsd-legacy",
                "--retries", "2", "--max-batch", "8", "--window-ms", "10", NULL);
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
  g_autofree gchar *db = xa_test_ledger_path (dir);
  g_auto(XaTestRun) run = { 0 };
  g_autoptr(json_t) summary = NULL;

  xa_test_run_xadmit_with_input (&run, manifest, "boot", "-", "--host", "sim", "--db", db,
                                 "--json", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpstr (run.err, ==, "");
  summary = xa_test_json_parse (run.out);
  g_assert_cmpint (xa_test_json_int (summary, "running"), ==, 24);
}

/* Boots the big manifest and sends @signals once the first batch is
 * decided: it stops, exit 130, and leaves no build under way and no claim
 * (a claim belongs to a planned or building request); a second signal says
 * it destroys the builds. */
static void
assert_boot_stops_cleanly (const gint *signals)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  /* a boot long enough to be interrupted */
  g_autofree gchar *manifest = xa_test_write_many_vms (dir, "vm", 2000, "256MiB");
  g_autofree gchar *db = xa_test_ledger_path (dir);
  g_auto(XaTestRun) run = { 0 };
  guint in_state[XA_REQUEST_STATE_LAST + 1] = { 0 };
  guint total = 0;

  xa_test_run_xadmit_signalled (&run, dir, TRUE, "xadmit boot: batch 1 closed: ", signals, NULL,
                                "boot", manifest, "--host", "sim", "--db", db, "-v", NULL);
  g_assert_cmpint (run.status, ==, 130);
  g_assert_nonnull (strstr (run.err, "xadmit boot: interrupted: admitting nothing more"));
  if (signals[0] != 0 && signals[1] != 0)
    g_assert_nonnull (
        strstr (run.err, "xadmit boot: interrupted again: destroying the domains being built"));
  for (XaRequestState state = 0; state <= XA_REQUEST_STATE_LAST; state++) {
    g_autoptr(GPtrArray) requests = requests_in (dir, 1, state);

    in_state[state] = requests->len;
    total += requests->len;
  }
  g_assert_cmpint (in_state[XA_REQUEST_PLANNED], ==, 0);
  g_assert_cmpint (in_state[XA_REQUEST_BUILDING], ==, 0);
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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cli/boot/runs-the-demo", test_cli_boot_runs_the_demo);
  g_test_add_func ("/cli/boot/is-deterministic", test_cli_boot_is_deterministic);
  g_test_add_func ("/cli/boot/strict/replans-instead-of-spilling",
                   test_cli_boot_strict_replans_instead_of_spilling);
  g_test_add_func ("/cli/boot/strict/never-for-xenopsd", test_cli_boot_xenopsd_is_never_strict);
  g_test_add_func ("/cli/boot/batch-does-not-spill-where-xenopsd-does",
                   test_cli_boot_batch_does_not_spill_where_xenopsd_does);
  g_test_add_func ("/cli/boot/batch-defers-what-nodeclaim-fails",
                   test_cli_boot_batch_defers_what_nodeclaim_fails);
  g_test_add_func ("/cli/boot/spill-comes-from-the-host", test_cli_boot_spill_comes_from_the_host);
  g_test_add_func ("/cli/boot/temporary-host-ends-with-the-run",
                   test_cli_boot_temporary_host_ends_with_the_run);
  g_test_add_func ("/cli/boot/usage-errors", test_cli_boot_usage_errors);
  g_test_add_func ("/cli/boot/stops-cleanly-on-signals", test_cli_boot_stops_cleanly_on_signals);
  g_test_add_func ("/cli/boot/verbose-says-why", test_cli_boot_verbose_says_why);
  g_test_add_func ("/cli/boot/decisions-only-with-v", test_cli_boot_decisions_only_with_v);
  g_test_add_func ("/cli/boot/reads-standard-input", test_cli_boot_reads_standard_input);
  g_test_add_func ("/cli/boot/xenopsd-warns-of-ignored-options",
                   test_cli_boot_xenopsd_warns_of_ignored_options);
  return g_test_run ();
}
