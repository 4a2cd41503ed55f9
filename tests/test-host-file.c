/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-error.h"
#include "xa-file.h"
#include "xa-host-file.h"
#include "xa-json.h"
#include "xa-test-util.h"

#define TWO_NODES "\"nodes\": [{\"memory\": \"64GiB\", \"cpus\": 16, \"cores\": 8}, " \
                  "{\"memory\": \"64GiB\", \"cpus\": 16, \"cores\": 8}]"

static XaHostInfo *
load_text (const gchar *json, GPtrArray **faults, GError **error)
{
  return xa_host_file_load_data ("host.json", json, strlen (json), faults, error);
}

static void
test_host_file_reads_every_data_host (void)
{
  const gchar *names[] = { "default.json", "2node.json", "4node.json", "8node.json" };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++) {
    g_autofree gchar *path = xa_test_data_path ("hosts", names[i]);
    g_autoptr(GError) error = NULL;
    g_autoptr(XaHostInfo) info = xa_host_file_load (path, NULL, &error);

    g_assert_no_error (error);
    g_assert_nonnull (info);
    g_assert_cmpuint (info->n_nodes, >=, 2);
    g_assert_cmpuint (info->domains->len, ==, 1);
  }
}

static void
test_host_file_fills_in_defaults (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(XaHostInfo) info = load_text (
    "{\"nodes\": [{\"memory\": \"8GiB\", \"cpus\": 4}, {\"memory\": 8192, \"cpus\": 4}],"
    " \"domains\": [{\"name\": \"dom0\", \"memory_by_node\": [\"1GiB\", 0], \"vcpus\": 2}]}",
    NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (info->name, ==, "sim");
  g_assert_cmpuint (info->nodes[0].free_mib, ==, 7168);
  g_assert_cmpuint (info->nodes[1].free_mib, ==, 8192);
  g_assert_cmpuint (info->nodes[1].n_cores, ==, 4);
  g_assert_cmpuint (g_array_index (info->nodes[1].cpus, guint, 0), ==, 4);
  g_assert_cmpuint (info->distances[1], ==, 20);
  g_assert_cmpuint (info->distances[3], ==, 10);
  g_assert_cmpuint (info->overhead_kib_per_vcpu, ==, 1176);
  g_assert_false (info->node_claims);
}

static void
test_host_file_reads_unreachable_distances (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(XaHostInfo) info = load_text (
    "{" TWO_NODES ", \"distances\": [[10, 4294967295], [-1, 256]]}", NULL, &error);
  g_autoptr(XaTopology) topo = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (info->distances[1], ==, XA_DISTANCE_UNREACHABLE);
  g_assert_cmpuint (info->distances[2], ==, XA_DISTANCE_UNREACHABLE);
  topo = xa_host_info_to_topology (info);
  /* node 1 is unreachable from itself: nothing may be planned there */
  g_assert_cmpuint (xa_topology_usable_nodes (topo), ==, 0x1);
}

static void
test_host_file_round_trips_through_json (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) faults = NULL;
  g_autoptr(XaHostInfo) info = load_text (
    "{\"name\": \"rt\", \"nodes\": [{\"memory\": \"8GiB\", \"free\": \"6GiB\", \"dirty\": 512,"
    " \"cpus\": [0, 1, 4, 5], \"cores\": 2}, {\"memory\": \"8GiB\", \"cpus\": [2, 3, 6, 7]}],"
    " \"distances\": [[10, 32], [32, 10]], \"node_claims\": true,"
    " \"domains\": [{\"name\": \"dom0\", \"memory_by_node\": [1024, 0], \"vcpus\": 2,"
    "  \"estimated\": true}, {\"name\": \"vm\", \"memory_by_node\": [0, 512], \"vcpus\": 1}],"
    " \"faults\": [{\"at_s\": 1.5, \"take\": \"1GiB\", \"node\": 1},"
    "  {\"build_fails\": \"vm-1\", \"attempt\": 2}, {\"call_fails\": \"claim_pages\", \"use\": 3},"
    "  {\"build_hangs\": \"vm-2\", \"attempt\": 1}]}",
    &faults, &error);
  g_autoptr(json_t) root = NULL;
  g_autofree gchar *text = NULL;
  g_autoptr(GPtrArray) faults2 = NULL;
  g_autoptr(XaHostInfo) again = NULL;
  g_autoptr(json_t) root2 = NULL;
  g_autofree gchar *text2 = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (faults->len, ==, 4);
  root = xa_host_file_to_json (info, faults);
  text = json_dumps (root, JSON_COMPACT);
  again = load_text (text, &faults2, &error);
  g_assert_no_error (error);
  root2 = xa_host_file_to_json (again, faults2);
  text2 = json_dumps (root2, JSON_COMPACT);
  g_assert_cmpstr (text, ==, text2);
  g_assert_cmpuint (again->nodes[0].free_mib, ==, 6144);
  g_assert_cmpuint (again->nodes[0].dirty_mib, ==, 512);
  g_assert_cmpuint (g_array_index (again->nodes[1].cpus, guint, 2), ==, 6);
  g_assert_true (again->node_claims);
  /* only the estimated domain says so */
  g_assert_true (((XaHostDomain *) g_ptr_array_index (again->domains, 0))->estimated);
  g_assert_false (((XaHostDomain *) g_ptr_array_index (again->domains, 1))->estimated);
  g_assert_nonnull (strstr (text, "\"estimated\":true"));
  g_assert_null (strstr (strstr (text, "\"estimated\":true") + 1, "\"estimated\""));
}

/* The state file's text, written a domain at a time, is the document
 * xa_host_file_to_json() makes, with domains and without. */
static void
test_host_file_text_is_the_json (void)
{
  const gchar *hosts[] = {
    "{\"name\": \"t\", \"nodes\": [{\"memory\": 4096, \"cpus\": 2}, {\"memory\": 4096, \"cpus\": 2}],"
    " \"domains\": [{\"name\": \"dom0\", \"memory_by_node\": [1024, 0], \"vcpus\": 1},"
    "  {\"name\": \"a\", \"memory_by_node\": [0, 512], \"vcpus\": 2},"
    "  {\"name\": \"b\", \"memory_by_node\": [8, 8], \"vcpus\": 1,"
    "   \"uuid\": \"3f0d5b1e-8b51-4c1e-9d57-1f2a3b4c5d6e\", \"paused\": true,"
    "   \"down\": \"crash\"}],"
    " \"faults\": [{\"build_fails\": \"a\"}]}",
    "{\"name\": \"empty\", \"nodes\": [{\"memory\": 4096, \"cpus\": 1}]}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (hosts); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) faults = NULL;
    g_autoptr(XaHostInfo) info = load_text (hosts[i], &faults, &error);
    g_autoptr(json_t) root = NULL;
    g_autoptr(json_t) parsed = NULL;
    g_autofree gchar *text = NULL;
    json_error_t json_error;

    g_assert_no_error (error);
    root = xa_host_file_to_json (info, faults);
    text = xa_host_file_to_text (info, faults);
    g_assert_null (strchr (text, '\n'));
    parsed = json_loads (text, JSON_REJECT_DUPLICATES, &json_error);
    g_assert_nonnull (parsed);
    g_assert_true (json_equal (root, parsed));
    if (i == 0)
      g_assert_nonnull (strstr (text, "\"paused\":true,\"down\":\"crash\""));
  }
}

/* Each a bad file and the one line it must give. */
static const XaTestBadCase bad_host_files[] = {
  /* not strict JSON */
  { "{", "host.json: line 1, column 1: not valid JSON: expected a key in double quotes, or '}', at the end of the file" },
  { "[]", "host.json: the top level is not an object" },
  { "{/* c */" TWO_NODES "}", "host.json: line 1, column 2: not valid JSON: expected a key in double quotes, or '}', near '/'" },
  { "{'nodes': []}", "host.json: line 1, column 2: not valid JSON: expected a key in double quotes, or '}', near '''" },
  { "{" TWO_NODES ", \"populate_mib_per_s\": 0100}",
    "host.json: line 1, column 125: not valid JSON: expected a value (strings in double quotes, "
    "numbers without leading zeros, no comments), near '0'" },
  { "{" TWO_NODES ", \"distances\": [[10, 18446744073709551615], [20, 10]]}",
    "host.json: line 1, column 141: not valid JSON: an integer is above 2^63 - 1, near '18446744073709551615'" },
  { "{" TWO_NODES ", \"name\": \"a\", \"name\": \"b\"}",
    "host.json: line 1, column 121: not valid JSON: a key appears twice in the same object, near '\"name\"'" },
  { "{" TWO_NODES "} x", "host.json: line 1, column 103: not valid JSON: there is more after the top-level object, near 'x'" },
  { "{" TWO_NODES "}{}", "host.json: line 1, column 102: not valid JSON: there is more after the top-level object, near '{'" },
  /* structure */
  { "{}", "host.json: nodes: missing (expected a list)" },
  { "{\"nodes\": []}", "host.json: nodes: 0 nodes (expected 1 to 64)" },
  { "{\"nodes\": {}}", "host.json: nodes: {} is an object, not a list" },
  { "{" TWO_NODES ", \"nodez\": 1}", "host.json: \"nodez\" is not a known field" },
  { "{\"name\": 7, " TWO_NODES "}", "host.json: name: 7 is an integer, not a string" },
  { "{\"name\": \"a b\", " TWO_NODES "}",
    "host.json: name: \"a b\" has a character outside A-Z a-z 0-9 . _ -" },
  { "{\"nodes\": [1]}", "host.json: nodes[0]: 1 is an integer, not an object" },
  /* sizes */
  { "{\"nodes\": [{\"cpus\": 4}]}", "host.json: nodes[0]: memory: missing (expected a size such as 4GiB or 4096)" },
  { "{\"nodes\": [{\"memory\": 0, \"cpus\": 4}]}",
    "host.json: nodes[0]: memory: 0 is not allowed here (at least 1 MiB)" },
  { "{\"nodes\": [{\"memory\": \"4 GB\", \"cpus\": 4}]}",
    "host.json: nodes[0]: memory: \"4 GB\" is not a size (use 4GiB or 4096)" },
  { "{\"nodes\": [{\"memory\": -4096, \"cpus\": 4}]}",
    "host.json: nodes[0]: memory: -4096 is negative" },
  { "{\"nodes\": [{\"memory\": 1024.5, \"cpus\": 4}]}",
    "host.json: nodes[0]: memory: 1024.5 is not a whole number of MiB" },
  { "{\"nodes\": [{\"memory\": \"9999999999TiB\", \"cpus\": 4}]}",
    "host.json: nodes[0]: memory: \"9999999999TiB\" is larger than 2^53 MiB" },
  { "{\"nodes\": [{\"memory\": true, \"cpus\": 4}]}",
    "host.json: nodes[0]: memory: true is not a size (use 4GiB or 4096)" },
  { "{\"nodes\": [{\"memory\": \"4GiB\", \"free\": \"5GiB\", \"cpus\": 4}]}",
    "host.json: nodes[0]: free: 5120 MiB is more than memory (4096 MiB) minus what the "
    "domains use there (0 MiB)" },
  { "{\"nodes\": [{\"memory\": \"4GiB\", \"dirty\": \"1GiB\", \"free\": 512, \"cpus\": 4}]}",
    "host.json: nodes[0]: dirty: 1024 MiB is more than free (512 MiB)" },
  /* CPUs */
  { "{\"nodes\": [{\"memory\": \"4GiB\"}]}",
    "host.json: nodes[0]: cpus: missing (expected a count or a list of CPU ids)" },
  { "{\"nodes\": [{\"memory\": \"4GiB\", \"cpus\": 4, \"cores\": 8}]}",
    "host.json: nodes[0]: cores: 8 is more than the node's 4 CPUs" },
  { "{\"nodes\": [{\"memory\": \"4GiB\", \"cpus\": [0, 1]}, {\"memory\": \"4GiB\", \"cpus\": [1, 2]}]}",
    "host.json: nodes[1]: cpus: CPU 1 is also on node 0" },
  { "{\"nodes\": [{\"memory\": \"4GiB\", \"cpus\": [0, 0]}]}",
    "host.json: nodes[0]: cpus[1]: CPU 0 is listed twice" },
  { "{\"nodes\": [{\"memory\": \"4GiB\", \"cpus\": 2}, {\"memory\": \"4GiB\", \"cpus\": [2, 3]}]}",
    "host.json: nodes[1]: cpus: a count on some nodes and a list on others (use the same form on every node)" },
  { "{\"nodes\": [{\"memory\": \"4GiB\", \"cpus\": -2}]}",
    "host.json: nodes[0]: cpus: -2 is out of range (0 to 4096)" },
  /* distances */
  { "{" TWO_NODES ", \"distances\": [[10, 20]]}",
    "host.json: distances: 1 row for 2 nodes (one row per node)" },
  { "{" TWO_NODES ", \"distances\": [[10, 20], [20]]}",
    "host.json: distances[1]: [20] is not a list of 2 distances" },
  { "{" TWO_NODES ", \"distances\": [[12, 20], [20, 10]]}",
    "host.json: distances[0][0]: 12 on the diagonal (a node's distance to itself is 10)" },
  { "{" TWO_NODES ", \"distances\": [[10, 5], [20, 10]]}",
    "host.json: distances[0][1]: 5 is below 10 (use 10-255, or -1 for unreachable)" },
  { "{" TWO_NODES ", \"distances\": [[10, \"20\"], [20, 10]]}",
    "host.json: distances[0][1]: \"20\" is not an integer distance" },
  { "{" TWO_NODES ", \"distances\": [[10, 20], [20, 10], [20, 10]]}",
    "host.json: distances: 3 rows for 2 nodes (one row per node)" },
  /* domains */
  { "{" TWO_NODES ", \"domains\": [{\"name\": \"dom0\", \"memory_by_node\": [1], \"vcpus\": 1}]}",
    "host.json: domains[0] \"dom0\": memory_by_node: 1 entry for 2 nodes (one per node)" },
  { "{" TWO_NODES ", \"domains\": [{\"name\": \"\", \"memory_by_node\": [1, 0], \"vcpus\": 1}]}",
    "host.json: domains[0]: name: the name is empty" },
  { "{" TWO_NODES ", \"domains\": [{\"name\": \"d\", \"memory_by_node\": [1, 0], \"vcpus\": 1},"
    " {\"name\": \"d\", \"memory_by_node\": [1, 0], \"vcpus\": 1}]}",
    "host.json: domains[1] \"d\": name: another domain has the same name" },
  { "{" TWO_NODES ", \"domains\": [{\"name\": \"d\", \"memory_by_node\": [\"65GiB\", 0], \"vcpus\": 1}]}",
    "host.json: nodes[0]: the domains use 66560 MiB here, more than its memory (65536 MiB)" },
  { "{" TWO_NODES ", \"domains\": [{\"name\": \"d\", \"memory_by_node\": [\"1GiB\", \"x\"], \"vcpus\": 1}]}",
    "host.json: domains[0] \"d\": memory_by_node[1]: \"x\" is not a size (use 4GiB or 4096)" },
  { "{" TWO_NODES ", \"domains\": [{\"name\": \"d\", \"memory_by_node\": [1, 0], \"vcpus\": 1,"
    " \"estimated\": 1}]}",
    "host.json: domains[0] \"d\": estimated: 1 is an integer, not true or false" },
  /* faults */
  { "{" TWO_NODES ", \"faults\": [{\"call_fails\": \"reboot\"}]}",
    "host.json: faults[0]: call_fails: \"reboot\" is not a host call (use one of snapshot, "
    "create_domain, max_vcpus, timer_mode, max_mem, vcpu_affinity, node_affinity, "
    "claim_pages, build, unpause, destroy)" },
  { "{" TWO_NODES ", \"faults\": [{\"at_s\": 1, \"take\": \"1GiB\", \"node\": 2}]}",
    "host.json: faults[0]: node: 2 is out of range (0 to 1)" },
  { "{" TWO_NODES ", \"faults\": [{\"when\": 1}]}",
    "host.json: faults[0]: not a fault (use {\"at_s\", \"take\" or \"give\", \"node\"}, "
    "{\"build_fails\", \"attempt\"}, {\"build_hangs\", \"attempt\"}, "
    "{\"call_fails\", \"use\"} or {\"shuts_down\", \"after_s\"})" },
  { "{" TWO_NODES ", \"faults\": [{\"shuts_down\": \"-x\", \"after_s\": 1}]}",
    "host.json: faults[0]: shuts_down: \"-x\" starts with '-'" },
  { "{" TWO_NODES ", \"faults\": [{\"shuts_down\": \"*\", \"after_s\": -1}]}",
    "host.json: faults[0]: after_s: expected seconds on the host's clock, 0 or more" },
  { "{" TWO_NODES ", \"faults\": [{\"shuts_down\": \"*\"}]}",
    "host.json: faults[0]: after_s: expected seconds on the host's clock, 0 or more" },
  { "{" TWO_NODES ", \"domains\": [{\"name\": \"d\", \"memory_by_node\": [1, 0], \"vcpus\": 1,"
    " \"down\": \"halted\"}]}",
    "host.json: domains[0] \"d\": down: \"halted\" is not how a domain goes down (use poweroff, "
    "reboot, crash, watchdog or soft_reset)" },
  { "{" TWO_NODES ", \"domains\": [{\"name\": \"d\", \"memory_by_node\": [1, 0], \"vcpus\": 1,"
    " \"paused\": \"yes\"}]}",
    "host.json: domains[0] \"d\": paused: \"yes\" is a string, not true or false" },
  { "{" TWO_NODES ", \"faults\": [{\"build_hangs\": \"vm\", \"use\": 1}]}",
    "host.json: faults[0]: \"use\" is not a known field" },
  { "{\"name\": \"a\\u0000b\", " TWO_NODES "}",
    "host.json: line 1, column 19: not valid JSON: a string may not contain \\u0000, near '\"a\\u0000b\"'" },
  /* every message of jansson's that a file can cause, in our words */
  { "{\"name\": \"a\nb\"}",
    "host.json: line 1, column 11: not valid JSON: a string runs past the end of its line, near '\"a'" },
  { "{\"name\": \"\\x\"}",
    "host.json: line 1, column 12: not valid JSON: a string has an escape JSON does not know "
    "(use \\\\, \\\", \\n or \\uXXXX), near '\"\\x'" },
  { "{\"a\": \"\\udc00\"}",
    "host.json: line 1, column 14: not valid JSON: a \\u escape is half of a UTF-16 surrogate "
    "pair, near '\"\\udc00\"'" },
  { "{\"a\": -9223372036854775809}",
    "host.json: line 1, column 26: not valid JSON: an integer is below -2^63, near '-9223372036854775809'" },
  { "{\"a\": 1e999}", "host.json: line 1, column 11: not valid JSON: a number is too large, near '1e999'" },
  { "{\"a\" 1}", "host.json: line 1, column 6: not valid JSON: expected ':' after a key, near '1'" },
  { "{\"a\": 1 \"b\": 2}",
    "host.json: line 1, column 11: not valid JSON: expected ',' or '}' after a value in an object, "
    "near '\"b\"'" },
  { "{\"a\": [1 2]}",
    "host.json: line 1, column 10: not valid JSON: expected ',' or ']' after a value in a list, near '2'" },
  { "{\"a\": ]}", "host.json: line 1, column 7: not valid JSON: expected a value, near ']'" },
  { "{\"a\": \"abc", "host.json: line 1, column 10: not valid JSON: the file ends in the middle of a value, "
    "near '\"abc'" },
  { "{\"a\": \"\xff\"}", "host.json: line 1, column 7: not valid JSON: the file is not UTF-8 text, near '\"'" },
  { "{\"a\": \"\x1b\"}",
    "host.json: line 1, column 7: not valid JSON: a string holds a control character "
    "(write it as \\n or \\u001b), near '\"'" },
  { "{\"a\\u0000\": 1}", "host.json: line 1, column 10: not valid JSON: a key may not contain \\u0000, "
    "near '\"a\\u0000\"'" },
};

static gboolean
host_file_loads (const gchar *json, GError **error)
{
  g_autoptr(XaHostInfo) info = load_text (json, NULL, error);

  return info != NULL;
}

/* Every bad host file gives one line naming the file, entry and field. */
static void
test_host_file_rejects_bad_input (void)
{
  xa_test_assert_refuses (bad_host_files, G_N_ELEMENTS (bad_host_files), host_file_loads);
}

/* jansson stops at 2048 levels; its message is ours too. */
static void
test_host_file_refuses_deep_nesting (void)
{
  g_autofree gchar *brackets = g_strnfill (3000, '[');
  g_autofree gchar *json = g_strdup_printf ("{\"nodes\": %s", brackets);
  g_autoptr(GError) error = NULL;
  g_autoptr(XaHostInfo) info = load_text (json, NULL, &error);

  g_assert_null (info);
  g_assert_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT);
  g_assert_cmpstr (error->message, ==, "host.json: line 1, column 2058: not valid JSON: lists "
                   "and objects are nested too deep, near '['");
}

/* jansson takes a NUL byte for the end of the text, and says nothing useful
 * of a file that holds only whitespace. */
static void
test_host_file_refuses_binary_and_blank_files (void)
{
  const gchar binary[] = "{" TWO_NODES "}\0\0";
  g_autoptr(GError) nul = NULL;
  g_autoptr(GError) blank = NULL;
  g_autoptr(XaHostInfo) info = xa_host_file_load_data ("host.json", binary, sizeof binary - 1,
                                                       NULL, &nul);
  g_autoptr(XaHostInfo) info2 = load_text (" \n\t", NULL, &blank);

  g_assert_null (info);
  g_assert_error (nul, XA_ERROR, XA_ERROR_INVALID_INPUT);
  g_assert_cmpstr (nul->message, ==, "host.json: byte 101 is NUL: this is not a text file");
  g_assert_null (info2);
  g_assert_error (blank, XA_ERROR, XA_ERROR_INVALID_INPUT);
  g_assert_cmpstr (blank->message, ==, "host.json: the file is empty (expected a JSON object)");
}

/* A file of exactly the limit is read; one byte more is refused. */
static void
test_host_file_reads_at_most_the_limit (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *at_limit = xa_test_dir_write (dir, "ten.json", "0123456789");
  g_autofree gchar *over = xa_test_dir_write (dir, "eleven.json", "0123456789A");
  g_autofree gchar *data = NULL;
  g_autofree gchar *expected = g_strdup_printf ("%s: cannot read: it holds more than 10 bytes, "
                                                "the most xadmit reads", over);
  g_autoptr(GError) error = NULL;
  gsize len = 0;

  g_assert_true (xa_file_read (at_limit, 10, &data, &len, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (data, ==, "0123456789");
  g_assert_cmpuint (len, ==, 10);
  g_assert_false (xa_file_read (over, 10, &data, &len, &error));
  g_assert_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT);
  g_assert_cmpstr (error->message, ==, expected);
}

static void
test_host_file_reports_a_missing_file (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(XaHostInfo) info = xa_host_file_load ("/nonexistent/host.json", NULL, &error);

  g_assert_null (info);
  g_assert_error (error, XA_ERROR, XA_ERROR_NOT_FOUND);
  g_assert_true (g_str_has_prefix (error->message, "/nonexistent/host.json: cannot read: "));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/scheduler/host/file/reads-every-data-host",
                   test_host_file_reads_every_data_host);
  g_test_add_func ("/scheduler/host/file/fills-in-defaults", test_host_file_fills_in_defaults);
  g_test_add_func ("/scheduler/host/file/reads-unreachable-distances",
                   test_host_file_reads_unreachable_distances);
  g_test_add_func ("/scheduler/host/file/round-trips-through-json",
                   test_host_file_round_trips_through_json);
  g_test_add_func ("/scheduler/host/file/text-is-the-json", test_host_file_text_is_the_json);
  g_test_add_func ("/scheduler/host/file/rejects-bad-input", test_host_file_rejects_bad_input);
  g_test_add_func ("/scheduler/host/file/refuses-deep-nesting", test_host_file_refuses_deep_nesting);
  g_test_add_func ("/scheduler/host/file/refuses-binary-and-blank-files",
                   test_host_file_refuses_binary_and_blank_files);
  g_test_add_func ("/scheduler/host/file/reads-at-most-the-limit",
                   test_host_file_reads_at_most_the_limit);
  g_test_add_func ("/scheduler/host/file/reports-a-missing-file",
                   test_host_file_reports_a_missing_file);
  return g_test_run ();
}
