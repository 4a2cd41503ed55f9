/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-error.h"
#include "xa-json.h"
#include "xa-manifest.h"
#include "xa-scenario.h"
#include "xa-test-cli.h"

/* `xadmit bench SCENARIO…` and the scenario files it reads. */

static gboolean
parse_scenario (const gchar *text, GError **error)
{
  g_autoptr(json_t) root = xa_json_load_data ("s.json", text, strlen (text), error);
  g_autoptr(XaScenario) scenario = NULL;

  if (root == NULL)
    return FALSE;
  scenario = xa_scenario_parse ("s.json", root, error);
  return scenario != NULL;
}

static XaScenario *
parse_scenario_ok (const gchar *path, const gchar *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(json_t) root = xa_json_load_data (path, text, strlen (text), &error);
  XaScenario *scenario;

  g_assert_no_error (error);
  scenario = xa_scenario_parse (path, root, &error);
  g_assert_no_error (error);
  return scenario;
}

static void
test_scenario_reads_every_field (void)
{
  g_autoptr(XaScenario) every = parse_scenario_ok (
    "/d/s.json", "{\"name\": \"evac\", \"host\": \"hosts/h.json\", \"manifest\": \"/m.json\","
    " \"arrival\": {\"every_s\": 0.5}, \"seeds\": [4, 0]}");
  g_autoptr(XaScenario) poisson = parse_scenario_ok (
    "s.json", "{\"name\": \"p\", \"host\": \"h.json\", \"manifest\": \"m.json\","
    " \"arrival\": {\"poisson_per_s\": 2}}");
  g_autoptr(XaScenario) burst = parse_scenario_ok (
    "s.json", "{\"name\": \"b\", \"host\": \"h.json\", \"manifest\": \"m.json\","
    " \"arrival\": \"burst\", \"seeds\": [7]}");

  g_assert_cmpstr (every->name, ==, "evac");
  g_assert_cmpstr (every->host_path, ==, "/d/hosts/h.json");
  g_assert_cmpstr (every->manifest_path, ==, "/m.json");
  g_assert_cmpint (every->arrival, ==, XA_ARRIVAL_EVERY);
  g_assert_cmpfloat (every->arrival_value, ==, 0.5);
  g_assert_cmpuint (every->seeds->len, ==, 2);
  g_assert_cmpuint (g_array_index (every->seeds, guint32, 0), ==, 4);
  g_assert_cmpuint (g_array_index (every->seeds, guint32, 1), ==, 0);
  g_assert_cmpint (poisson->arrival, ==, XA_ARRIVAL_POISSON);
  g_assert_cmpfloat (poisson->arrival_value, ==, 2.0);
  g_assert_cmpstr (poisson->host_path, ==, "./h.json");
  g_assert_cmpuint (poisson->seeds->len, ==, 1);
  g_assert_cmpuint (g_array_index (poisson->seeds, guint32, 0), ==, 1);
  g_assert_cmpint (burst->arrival, ==, XA_ARRIVAL_BURST);
  g_assert_cmpuint (g_array_index (burst->seeds, guint32, 0), ==, 7);
}

#define HM "\"host\": \"h.json\", \"manifest\": \"m.json\""

static void
test_scenario_refuses_bad_input (void)
{
  const XaTestBadCase cases[] = {
    { "[]", "s.json: the top level is not an object" },
    { "{\"name\": \"x\", " HM ", \"seed\": [1]}", "s.json: \"seed\" is not a known field" },
    { "{" HM "}", "s.json: name: missing (expected a string)" },
    { "{\"name\": \"a b\", " HM "}",
      "s.json: name: \"a b\" has a character outside A-Z a-z 0-9 . _ -" },
    { "{\"name\": \"x\", \"manifest\": \"m.json\"}",
      "s.json: host: missing (expected a string)" },
    { "{\"name\": \"x\", \"host\": 3, \"manifest\": \"m.json\"}",
      "s.json: host: 3 is an integer, not a string" },
    { "{\"name\": \"x\", \"host\": \"\", \"manifest\": \"m.json\"}",
      "s.json: host: the path is empty" },
    { "{\"name\": \"x\", \"host\": \"h.json\"}",
      "s.json: manifest: missing (expected a string)" },
    { "{\"name\": \"x\", " HM ", \"arrival\": \"trickle\"}",
      "s.json: arrival: \"trickle\" is not \"burst\", {\"every_s\": S} or "
      "{\"poisson_per_s\": R}" },
    { "{\"name\": \"x\", " HM ", \"arrival\": 2}",
      "s.json: arrival: 2 is not \"burst\", {\"every_s\": S} or {\"poisson_per_s\": R}" },
    { "{\"name\": \"x\", " HM ", \"arrival\": {}}",
      "s.json: arrival: expected \"burst\", {\"every_s\": S} or {\"poisson_per_s\": R}" },
    { "{\"name\": \"x\", " HM ", \"arrival\": {\"every_s\": 1, \"poisson_per_s\": 1}}",
      "s.json: arrival: expected \"burst\", {\"every_s\": S} or {\"poisson_per_s\": R}" },
    { "{\"name\": \"x\", " HM ", \"arrival\": {\"every\": 1}}",
      "s.json: arrival: expected \"burst\", {\"every_s\": S} or {\"poisson_per_s\": R}" },
    { "{\"name\": \"x\", " HM ", \"arrival\": {\"every_s\": 0}}",
      "s.json: arrival: every_s: 0 is not a number above 0 and at most 1e+06" },
    { "{\"name\": \"x\", " HM ", \"arrival\": {\"poisson_per_s\": \"2\"}}",
      "s.json: arrival: poisson_per_s: \"2\" is not a number above 0 and at most 1e+06" },
    { "{\"name\": \"x\", " HM ", \"arrival\": {\"poisson_per_s\": 1e7}}",
      "s.json: arrival: poisson_per_s: 10000000.0 is not a number above 0 and at most "
      "1e+06" },
    { "{\"name\": \"x\", " HM ", \"seeds\": 1}", "s.json: seeds: 1 is an integer, not a list" },
    { "{\"name\": \"x\", " HM ", \"seeds\": []}",
      "s.json: seeds: expected 1 to 1000 seeds, not 0" },
    { "{\"name\": \"x\", " HM ", \"seeds\": [1, -1]}",
      "s.json: seeds[1]: -1 is not a seed (0 to 2147483647)" },
    { "{\"name\": \"x\", " HM ", \"seeds\": [1.5]}",
      "s.json: seeds[0]: 1.5 is not a seed (0 to 2147483647)" },
  };

  xa_test_assert_refuses (cases, G_N_ELEMENTS (cases), parse_scenario);
}

/* Every scenario shipped parses, and so do its manifest and host. */
static void
test_scenario_data_files_parse (void)
{
  g_autofree gchar *folder = g_test_build_filename (G_TEST_DIST, "..", "data", "scenarios",
                                                    NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = g_dir_open (folder, 0, &error);
  g_autoptr(GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const gchar *file;

  g_assert_no_error (error);
  while ((file = g_dir_read_name (dir)) != NULL) {
    g_autofree gchar *path = g_build_filename (folder, file, NULL);
    g_autoptr(XaScenario) scenario = xa_scenario_load (path, &error);
    g_autoptr(GPtrArray) requests = NULL;
    g_autofree gchar *spec = NULL;
    g_auto(XaTestRun) host = { 0 };

    g_test_message ("%s", file);
    g_assert_no_error (error);
    g_assert_true (g_str_has_suffix (file, ".json"));
    g_assert_true (g_hash_table_add (names, g_strdup (scenario->name)));
    g_assert_cmpuint (scenario->seeds->len, <=, 3);
    requests = xa_manifest_load (scenario->manifest_path, NULL, &error);
    g_assert_no_error (error);
    spec = xa_test_host_spec_at (scenario->host_path);
    xa_test_run_xadmit (&host, "host", "--host", spec, NULL);
    g_assert_cmpint (host.status, ==, 0);
  }
  g_assert_cmpuint (g_hash_table_size (names), >=, 8);
}

static void
test_scenario_arrival_times (void)
{
  g_autoptr(XaScenario) every = parse_scenario_ok (
    "s.json", "{\"name\": \"e\", " HM ", \"arrival\": {\"every_s\": 0.25}}");
  g_autoptr(XaScenario) poisson = parse_scenario_ok (
    "s.json", "{\"name\": \"p\", " HM ", \"arrival\": {\"poisson_per_s\": 4}}");
  g_autoptr(XaScenario) burst = parse_scenario_ok ("s.json", "{\"name\": \"b\", " HM "}");
  g_autofree gdouble *at_every = xa_scenario_arrival_times (every, 1, 5);
  g_autofree gdouble *at_burst = xa_scenario_arrival_times (burst, 1, 5);
  g_autofree gdouble *p1 = xa_scenario_arrival_times (poisson, 1, 400);
  g_autofree gdouble *p1_again = xa_scenario_arrival_times (poisson, 1, 400);
  g_autofree gdouble *p2 = xa_scenario_arrival_times (poisson, 2, 400);

  for (guint i = 0; i < 5; i++) {
    g_assert_cmpfloat (at_every[i], ==, i * 0.25);
    g_assert_cmpfloat (at_burst[i], ==, 0);
  }
  g_assert_cmpfloat (p1[0], ==, 0);
  g_assert_cmpfloat (p1[1], !=, p2[1]);
  for (guint i = 1; i < 400; i++) {
    g_assert_cmpfloat (p1[i], ==, p1_again[i]);
    g_assert_cmpfloat (p1[i], >=, p1[i - 1]);
  }
  /* 399 gaps of a mean of 0.25 s: about 100 s */
  g_assert_cmpfloat (p1[399], >, 80);
  g_assert_cmpfloat (p1[399], <, 120);
}

/* bench --json of @scenario: an array of @n_runs run summaries. */
static json_t *
bench_runs (const gchar *scenario, const gchar *seeds, const gchar *policies, gsize n_runs)
{
  g_auto(XaTestRun) bench = { 0 };
  json_error_t jerr;
  json_t *runs;

  xa_test_run_xadmit (&bench, "bench", scenario, "--json", "--seeds", seeds, "--policies",
                      policies, NULL);
  g_assert_cmpint (bench.status, ==, 0);
  runs = json_loads (bench.out, 0, &jerr);
  g_assert_nonnull (runs);
  g_assert_true (json_is_array (runs));
  g_assert_cmpuint (json_array_size (runs), ==, n_runs);
  return runs;
}

/* A scenario in @dir of a data/ host and manifest. */
static gchar *
write_scenario (const XaTestDir *dir, const gchar *host, const gchar *manifest,
                const gchar *arrival)
{
  g_autofree gchar *host_path = xa_test_data_path ("hosts", host);
  g_autofree gchar *manifest_path = xa_test_data_path ("manifests", manifest);
  g_autofree gchar *text = g_strdup_printf ("{\"name\": \"small\", \"host\": \"%s\", "
                                            "\"manifest\": \"%s\", \"arrival\": %s, "
                                            "\"seeds\": [1]}", host_path, manifest_path,
                                            arrival);

  return xa_test_dir_write (dir, "small.json", text);
}

/* The fields that are measured, not computed: they differ from run to run. */
static void
drop_timings (json_t *summary)
{
  json_object_del (summary, "plan_ms");
  json_object_del (summary, "scenario");
  json_object_del (summary, "cpu_us_per_vm");
}

/* Each run of bench is the boot of the same manifest, policy and seed. */
static void
test_bench_equals_boot (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *scenario = write_scenario (dir, "2node-take.json", "two-big.json",
                                               "\"burst\"");
  g_autoptr(json_t) runs = bench_runs (scenario, "2", "batch,xenopsd", 6);
  json_t *summary;
  gsize i;

  json_array_foreach (runs, i, summary) {
    g_autoptr(XaTestDir) boot_dir = xa_test_dir_new ();
    g_autofree gchar *seed = g_strdup_printf ("%" JSON_INTEGER_FORMAT,
                                              xa_test_json_int (summary, "seed"));
    gboolean strict = json_is_true (json_object_get (summary, "strict"));
    g_auto(XaTestRun) boot = { 0 };
    g_autoptr(json_t) booted = NULL;

    g_assert_cmpstr (xa_test_json_string (summary, "scenario"), ==, "small");
    xa_test_boot (&boot, boot_dir, "2node-take.json", "two-big.json", "--json", "--seed", seed,
                  "--policy", xa_test_json_string (summary, "policy"),
                  strict ? NULL : "--no-strict", NULL);
    /* xenopsd does not retry web-02's failed build */
    g_assert_cmpint (boot.status, ==, g_str_equal (xa_test_json_string (summary, "policy"),
                                                   "batch") ? 0 : 3);
    booted = xa_test_json_parse (boot.out);
    drop_timings (summary);
    drop_timings (booted);
    g_assert_true (json_equal (summary, booted));
  }
}

/* With every_s, the VMs are queued one gap apart on the host's clock. */
static void
test_bench_arrivals_every (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *scenario = write_scenario (dir, "4node.json", "evacuate.json",
                                               "{\"every_s\": 0.75}");
  g_autoptr(json_t) runs = bench_runs (scenario, "1", "batch,xenopsd,xenopsd-legacy", 4);
  json_t *summary;
  gsize i;

  json_array_foreach (runs, i, summary) {
    json_t *vms = json_object_get (summary, "vm");
    json_t *vm;
    gsize v;

    g_assert_cmpint (xa_test_json_int (summary, "running"), ==, 40);
    json_array_foreach (vms, v, vm) {
      gdouble arrival_s = (gdouble) v * 0.75;

      g_assert_cmpfloat_with_epsilon (xa_test_json_real (vm, "queued_s"), arrival_s, 1e-9);
      g_assert_cmpfloat (xa_test_json_real (vm, "started_s"), >=, arrival_s);
    }
    /* the last VM arrives at 29.25 s: no run ends before it is built */
    g_assert_cmpfloat (xa_test_json_real (summary, "makespan_s"), >, 29.25);
    g_assert_cmpfloat (xa_test_json_real (summary, "makespan_s"), >=,
                       xa_test_json_real (summary, "lower_bound_s"));
  }
}

/* The queue times of a Poisson scenario's VMs, seed by seed. */
static json_t *
bench_poisson (const gchar *scenario)
{
  g_autoptr(json_t) runs = bench_runs (scenario, "2", "xenopsd", 2);
  json_t *times = json_array ();
  json_t *summary;
  gsize i;

  json_array_foreach (runs, i, summary) {
    json_t *queued = json_array ();
    json_t *vm;
    gsize v;

    g_assert_cmpint (xa_test_json_int (summary, "seed"), ==, (json_int_t) i + 1);
    json_array_foreach (json_object_get (summary, "vm"), v, vm)
      json_array_append (queued, json_object_get (vm, "queued_s"));
    json_array_append_new (times, queued);
  }
  return times;
}

static void
test_bench_arrivals_poisson (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *scenario = write_scenario (dir, "4node.json", "evacuate.json",
                                               "{\"poisson_per_s\": 2}");
  g_autoptr(json_t) first = bench_poisson (scenario);
  g_autoptr(json_t) again = bench_poisson (scenario);
  json_t *seed1 = json_array_get (first, 0);
  json_t *seed2 = json_array_get (first, 1);

  g_assert_true (json_equal (first, again));
  g_assert_false (json_equal (seed1, seed2));
  g_assert_cmpfloat (json_real_value (json_array_get (seed1, 0)), ==, 0);
  g_assert_cmpfloat (json_real_value (json_array_get (seed1, 39)), >, 0);
}

/* A table of a row a run, then batch against each reference. */
static void
test_bench_prints_tables (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *scenario = write_scenario (dir, "2node-claims-faults.json",
                                               "flaky-storm.json", "\"burst\"");
  g_auto(XaTestRun) bench = { 0 };
  g_auto(GStrv) lines = NULL;

  xa_test_run_xadmit (&bench, "bench", scenario, "-q", NULL);
  g_assert_cmpint (bench.status, ==, 0);
  g_assert_cmpstr (bench.err, ==, "");
  lines = g_strsplit (bench.out, "\n", -1);
  /* head, batch twice, the three xenopsd policies (the host has claims) */
  g_assert_true (g_str_has_prefix (lines[0], "scenario         seed policy"));
  g_assert_true (g_str_has_prefix (lines[1], "small               1 batch   "));
  g_assert_true (g_str_has_prefix (lines[2], "small               1 batch --no-strict"));
  g_assert_true (g_str_has_prefix (lines[4], "small               1 xenopsd-nodeclaim"));
  g_assert_cmpstr (lines[6], ==, "");
  g_assert_true (g_str_has_prefix (lines[7], "scenario         reference"));
  g_assert_true (g_str_has_prefix (lines[8], "small            xenopsd  "));
  g_assert_true (g_str_has_prefix (lines[10], "small            xenopsd-legacy"));
  g_assert_cmpstr (lines[11], ==, "");
}

static void
test_bench_refuses_bad_options (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *scenario = write_scenario (dir, "4node.json", "evacuate.json", "\"burst\"");
  g_autofree gchar *no_manifest = xa_test_dir_write (
    dir, "bad.json", "{\"name\": \"bad\", \"host\": \"h.json\", \"manifest\": \"none.json\"}");

  xa_test_xadmit_fails (2, "--policies: \"xenops\" is not a policy", "bench", scenario,
                        "--policies", "batch,xenops", NULL);
  xa_test_xadmit_fails (2, "--policies: exact is for xadmit plan", "bench", scenario,
                        "--policies", "exact", NULL);
  xa_test_xadmit_fails (2, "--policies: \"\" is not a policy", "bench", scenario,
                        "--policies", "batch,", NULL);
  xa_test_xadmit_fails (2, "--seeds: expected a count of 1 to 1000", "bench", scenario,
                        "--seeds", "-2", NULL);
  xa_test_xadmit_fails (2, "--seeds: expected a count of 1 to 1000", "bench", scenario,
                        "--seeds", "1001", NULL);
  xa_test_xadmit_fails (2, "--policies and --seeds go with SCENARIO files", "bench",
                        "--seeds", "2", NULL);
  xa_test_xadmit_fails (2, "SCENARIO files go without --planner", "bench", scenario, "--store",
                        NULL);
  xa_test_xadmit_fails (2, "none.json", "bench", scenario, no_manifest, NULL);
  xa_test_xadmit_fails (2, "missing.json", "bench", "missing.json", NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cli/scenario/reads-every-field", test_scenario_reads_every_field);
  g_test_add_func ("/cli/scenario/refuses-bad-input", test_scenario_refuses_bad_input);
  g_test_add_func ("/cli/scenario/data-files-parse", test_scenario_data_files_parse);
  g_test_add_func ("/cli/scenario/arrival-times", test_scenario_arrival_times);
  g_test_add_func ("/cli/bench/equals-boot", test_bench_equals_boot);
  g_test_add_func ("/cli/bench/arrivals-every", test_bench_arrivals_every);
  g_test_add_func ("/cli/bench/arrivals-poisson", test_bench_arrivals_poisson);
  g_test_add_func ("/cli/bench/prints-tables", test_bench_prints_tables);
  g_test_add_func ("/cli/bench/refuses-bad-options", test_bench_refuses_bad_options);
  return g_test_run ();
}
