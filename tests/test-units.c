/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-error.h"
#include "xa-guest.h"
#include "xa-mem.h"
#include "xa-nodeset.h"
#include "xa-name.h"
#include "xa-names.h"
#include "xa-size.h"
#include "xa-text.h"
#include "xa-time.h"
#include "xa-topology.h"
#include "xa-test-util.h"

typedef struct {
  const gchar *text;
  guint64 mib;
} SizeCase;

static void
test_size_accepts_binary_units (void)
{
  const SizeCase cases[] = {
    { "4096", 4096 },
    { "512MiB", 512 },
    { "4GiB", 4096 },
    { "4gib", 4096 },
    { "4G", 4096 },
    { "1.5GiB", 1536 },
    { "1.50GiB", 1536 },
    { "1TiB", 1048576 },
    { "1024KiB", 1 },
    { "2048k", 2 },
    { "0", 0 },
    { "8589934592TiB", G_GUINT64_CONSTANT (1) << 53 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr(GError) error = NULL;
    guint64 mib = 0;

    g_assert_true (xa_size_parse (cases[i].text, &mib, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (mib, ==, cases[i].mib);
  }
}

static gboolean
size_parses (const gchar *text, GError **error)
{
  guint64 mib = 0;

  return xa_size_parse (text, &mib, error);
}

static void
test_size_rejects_what_is_not_a_size (void)
{
  const XaTestBadCase cases[] = {
    { "4 GB", "\"4 GB\" is not a size (use 4GiB or 4096)" },
    { "4GB", "\"4GB\" is not a size (use 4GiB or 4096)" },
    { "", "\"\" is not a size (use 4GiB or 4096)" },
    { "GiB", "\"GiB\" is not a size (use 4GiB or 4096)" },
    { "1.GiB", "\"1.GiB\" is not a size (use 4GiB or 4096)" },
    { "1..5GiB", "\"1..5GiB\" is not a size (use 4GiB or 4096)" },
    { "+4GiB", "\"+4GiB\" is not a size (use 4GiB or 4096)" },
    { "-4GiB", "\"-4GiB\" is negative" },
    { "0.3MiB", "\"0.3MiB\" is not a whole number of MiB" },
    { "64KiB", "\"64KiB\" is not a whole number of MiB" },
    { "8589934593TiB", "\"8589934593TiB\" is larger than 2^53 MiB" },
    { "99999999999999999999999", "\"99999999999999999999999\" is larger than 2^53 MiB" },
  };

  xa_test_assert_refuses (cases, G_N_ELEMENTS (cases), size_parses);
}

static void
test_size_comes_from_json_numbers (void)
{
  g_autoptr(GError) error = NULL;
  guint64 mib = 0;

  g_assert_true (xa_size_from_double (4096.0, &mib, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (mib, ==, 4096);
  g_assert_false (xa_size_from_double (1024.5, &mib, &error));
  g_assert_cmpstr (error->message, ==, "1024.5 is not a whole number of MiB");
  g_clear_error (&error);
  g_assert_false (xa_size_from_integer (-1, &mib, &error));
  g_assert_cmpstr (error->message, ==, "-1 is negative");
  g_clear_error (&error);
  g_assert_false (xa_size_from_integer ((G_GINT64_CONSTANT (1) << 53) + 1, &mib, &error));
  g_assert_cmpstr (error->message, ==, "9007199254740993 is larger than 2^53 MiB");
}

static void
test_name_follows_the_rules (void)
{
  const XaTestBadCase cases[] = {
    { "", "the name is empty" },
    { "-web", "\"-web\" starts with '-'" },
    { "web 01", "\"web 01\" has a character outside A-Z a-z 0-9 . _ -" },
    { "web/01", "\"web/01\" has a character outside A-Z a-z 0-9 . _ -" },
    { "web\n01", "\"web\\n01\" has a character outside A-Z a-z 0-9 . _ -" },
    { "a234567890123456789012345678901234567890123456789012345678901234x",
      "\"a234567890123456789012345678901234567890123456789012345678901234…\" (65 bytes) "
      "is longer than 64 characters" },
    { "db\x1b[2J", "\"db\\x1b[2J\" has a character outside A-Z a-z 0-9 . _ -" },
  };

  g_assert_true (xa_name_validate ("db-01.prod_A", NULL));
  g_assert_true (xa_name_validate ("a234567890123456789012345678901234567890123456789012345678901234",
                                   NULL));
  xa_test_assert_refuses (cases, G_N_ELEMENTS (cases), xa_name_validate);
}

typedef struct {
  const gchar *value;
  const gchar *shown;
} QuoteCase;

/* Nothing a terminal acts on gets through, and every value stays one line. */
static void
test_text_quote_escapes (void)
{
  const QuoteCase cases[] = {
    { "web-01", "\"web-01\"" },
    { "", "\"\"" },
    { "a\x1b[31mb", "\"a\\x1b[31mb\"" },
    { "a\nb\tc\rd", "\"a\\nb\\tc\\rd\"" },
    { "del\x7f", "\"del\\x7f\"" },
    { "csi\xc2\x9b", "\"csi\\x9b\"" },
    { "bad\xff\xfe", "\"bad\\xff\\xfe\"" },
    { "rtl\xe2\x80\xaeok", "\"rtl\\u202eok\"" },
    { "say \"hi\" \\", "\"say \\\"hi\\\" \\\\\"" },
    { "caf\xc3\xa9", "\"caf\xc3\xa9\"" },
    { "pua\xf3\xb0\x80\x80", "\"pua\\U000f0000\"" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree gchar *shown = xa_text_quote (cases[i].value);

    g_assert_cmpstr (shown, ==, cases[i].shown);
  }
}

static void
test_text_quote_cuts_long_values (void)
{
  g_autofree gchar *huge = g_strnfill (1024 * 1024, 'a');
  g_autofree gchar *escapes = g_strnfill (1024, '\x1b');
  g_autofree gchar *shown = xa_text_quote (huge);
  g_autofree gchar *shown_escapes = xa_text_quote (escapes);
  g_autofree gchar *path = xa_text_quote_path ("/tmp/a\nb\\c");
  g_autofree gchar *long_path = g_strnfill (200, '/');
  g_autofree gchar *shown_long_path = xa_text_quote_path (long_path);
  g_autofree gchar *prefix = xa_text_quote_full ("[1,\"\\u001B\"", -1, XA_TEXT_QUOTE_MAX_CHARS,
                                                 XA_TEXT_QUOTE_BARE | XA_TEXT_QUOTE_ESCAPED |
                                                 XA_TEXT_QUOTE_PREFIX);

  g_assert_true (g_str_has_suffix (shown, "aaa…\" (1048576 bytes)"));
  g_assert_cmpuint (strlen (shown), <, 100);
  g_assert_true (g_str_has_suffix (shown_escapes, "\\x1b…\" (1024 bytes)"));
  g_assert_cmpuint (strlen (shown_escapes), <, 100);
  g_assert_cmpstr (path, ==, "/tmp/a\\nb\\\\c");
  g_assert_cmpstr (shown_long_path, ==, long_path);
  g_assert_cmpstr (prefix, ==, "[1,\"\\u001B\"…");
}

static void
test_text_plural (void)
{
  g_assert_cmpstr (xa_text_plural (1, "VM", "VMs"), ==, "VM");
  g_assert_cmpstr (xa_text_plural (0, "VM", "VMs"), ==, "VMs");
  g_assert_cmpstr (xa_text_plural (2, "entry", "entries"), ==, "entries");
}

static void
test_nodeset_parses_and_formats (void)
{
  g_autoptr(GError) error = NULL;
  XaNodeSet set = 0;
  g_autofree gchar *text = NULL;

  g_assert_true (xa_nodeset_parse ("0-3,^2", 8, &set, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (set, ==, 0xb);
  text = xa_nodeset_format (set);
  g_assert_cmpstr (text, ==, "0-1,3");
  g_assert_true (xa_nodeset_parse ("63", 64, &set, &error));
  g_assert_cmpuint (set, ==, G_GUINT64_CONSTANT (1) << 63);
  g_clear_pointer (&text, g_free);
  text = xa_nodeset_format (xa_nodeset_all (64));
  g_assert_cmpstr (text, ==, "0-63");
}

/* On a host of four nodes. */
static gboolean
nodeset_of_4_parses (const gchar *text, GError **error)
{
  XaNodeSet set = 0;

  return xa_nodeset_parse (text, 4, &set, error);
}

static void
test_nodeset_rejects_bad_lists (void)
{
  const XaTestBadCase cases[] = {
    { "", "\"\" is not a node set (use a list such as 0-3,^2)" },
    { "0,,1", "\"0,,1\" is not a node set (use a list such as 0-3,^2)" },
    { "0-", "\"0-\" is not a node set (use a list such as 0-3,^2)" },
    { "a", "\"a\" is not a node set (use a list such as 0-3,^2)" },
    { "0 1", "\"0 1\" is not a node set (use a list such as 0-3,^2)" },
    { "4", "\"4\" names node 4, but the host has nodes 0-3" },
    { "3-1", "\"3-1\" has the range 3-1, which runs backwards" },
    { "0-1,^0-1", "\"0-1,^0-1\" leaves no node" },
  };

  xa_test_assert_refuses (cases, G_N_ELEMENTS (cases), nodeset_of_4_parses);
}

static void
test_guest_type_strings (void)
{
  g_autoptr(GError) error = NULL;
  XaGuestType type = XA_GUEST_PV;

  for (guint t = 0; t <= XA_GUEST_TYPE_LAST; t++) {
    g_assert_true (xa_guest_type_from_string (xa_guest_type_to_string ((XaGuestType) t), &type,
                                              NULL));
    g_assert_cmpint (type, ==, t);
  }
  g_assert_cmpstr (xa_guest_type_to_string (XA_GUEST_PVH), ==, "pvh");
  g_assert_false (xa_guest_type_from_string ("hvm", &type, &error));
  g_assert_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT);
  g_assert_cmpstr (error->message, ==, "\"hvm\" is not a guest type (use pv or pvh)");
}

/* An enumeration's words: found by value, unknown ones not at all, listed
 * for a message. */
static void
test_names_find_and_join (void)
{
  const gchar *const names[] = { "pv", "pvh", "hvm" };
  g_autofree gchar *joined = xa_names_join (names, G_N_ELEMENTS (names));

  g_assert_cmpint (xa_names_find (names, G_N_ELEMENTS (names), "pvh"), ==, 1);
  g_assert_cmpint (xa_names_find (names, G_N_ELEMENTS (names), "hvm"), ==, 2);
  g_assert_cmpint (xa_names_find (names, G_N_ELEMENTS (names), "PV"), ==, -1);
  g_assert_cmpint (xa_names_find (names, G_N_ELEMENTS (names), NULL), ==, -1);
  g_assert_cmpint (xa_names_find (names, 1, "pvh"), ==, -1);
  g_assert_cmpstr (joined, ==, "pv, pvh, hvm");
}

static void
test_guest_new (void)
{
  const gchar *kernel = "/boot/vmlinuz";
  g_autoptr(XaGuest) guest = xa_guest_new (XA_GUEST_PVH, kernel, NULL, "console=hvc0");

  g_assert_cmpint (guest->type, ==, XA_GUEST_PVH);
  g_assert_cmpstr (guest->kernel, ==, kernel);
  g_assert_true (guest->kernel != kernel);
  g_assert_null (guest->ramdisk);
  g_assert_cmpstr (guest->cmdline, ==, "console=hvc0");
}

/* 4 vCPUs at 1176 KiB each take 5 MiB, rounded up, on top of 1 MiB a VM. */
static void
test_mem_need (void)
{
  g_assert_cmpuint (xa_mem_need_mib (4096, 4, 1, 1176), ==, 4102);
  g_assert_cmpuint (xa_mem_need_mib (4096, 0, 0, 1176), ==, 4096);
}

static void
test_mem_local (void)
{
  const guint64 local[] = { 990, 10, 0 };
  const guint64 split[] = { 989, 11, 0 };
  const guint64 none[] = { 0, 0, 0 };

  g_assert_true (xa_mem_is_local (local, G_N_ELEMENTS (local)));
  g_assert_false (xa_mem_is_local (split, G_N_ELEMENTS (split)));
  g_assert_false (xa_mem_is_local (none, G_N_ELEMENTS (none)));
}

/* Of many plans: unproven if any search ran out, else unknown if any was
 * not searched, else proven. */
static void
test_plan_optimal_combine (void)
{
  const XaPlanOptimal proven = XA_PLAN_OPTIMAL_PROVEN;
  const XaPlanOptimal unknown = XA_PLAN_OPTIMAL_UNKNOWN;
  const XaPlanOptimal unproven = XA_PLAN_OPTIMAL_UNPROVEN;

  g_assert_cmpint (xa_plan_optimal_combine (proven, proven), ==, proven);
  g_assert_cmpint (xa_plan_optimal_combine (proven, unknown), ==, unknown);
  g_assert_cmpint (xa_plan_optimal_combine (unknown, proven), ==, unknown);
  g_assert_cmpint (xa_plan_optimal_combine (unknown, unproven), ==, unproven);
  g_assert_cmpint (xa_plan_optimal_combine (unproven, proven), ==, unproven);
}

/* Xen's overhead comes off the largest share first, then the next; a
 * plan short of the guest's memory gets the rest on its largest node. */
static void
test_mem_guest_by_node (void)
{
  const struct {
    guint64 need[3];
    guint64 memory_mib;
    guint64 guest[3];
  } cases[] = {
    { { 0, 1027, 0 }, 1024, { 0, 1024, 0 } },
    { { 600, 427, 0 }, 1024, { 597, 427, 0 } },
    { { 2, 1, 1023 }, 1024, { 2, 1, 1021 } },
    { { 2, 3, 0 }, 1, { 1, 0, 0 } },
    { { 1, 1, 0 }, 1, { 0, 1, 0 } },
    { { 100, 200, 0 }, 310, { 100, 210, 0 } },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    guint64 guest[3] = { 0 };

    xa_mem_guest_by_node (3, cases[i].need, cases[i].memory_mib, guest);
    for (guint n = 0; n < 3; n++)
      g_assert_cmpuint (guest[n], ==, cases[i].guest[n]);
  }
}

/* A distance table is valid when each reachable entry is at least 10 and
 * the diagonal 10; what is unreachable is not judged. */
static void
test_topology_distances_valid (void)
{
  const guint32 fine[] = { 10, 21, XA_DISTANCE_UNREACHABLE, 10 };
  const guint32 near[] = { 10, 5, 21, 10 };
  const guint32 self[] = { 10, 21, 21, 11 };
  guint from = 9;
  guint to = 9;

  g_assert_true (xa_topology_distances_valid (fine, 2, &from, &to));
  g_assert_false (xa_topology_distances_valid (near, 2, &from, &to));
  g_assert_cmpuint (from, ==, 0);
  g_assert_cmpuint (to, ==, 1);
  g_assert_false (xa_topology_distances_valid (self, 2, NULL, NULL));
}

/* 2026-11-29T10:00:00Z, the "now" of the time tests */
#define TIME_NOW_US (G_GINT64_CONSTANT (1795946400) * G_USEC_PER_SEC)
#define TIME_AGO(seconds) (TIME_NOW_US - G_GINT64_CONSTANT (seconds) * G_USEC_PER_SEC)

static gint64
time_parsed (const gchar *text)
{
  g_autoptr(GError) error = NULL;
  gint64 us = 0;

  g_assert_true (xa_time_parse (text, TIME_NOW_US, &us, &error));
  g_assert_no_error (error);
  return us;
}

static gint64
time_local_us (gint year, gint month, gint day, gint hour, gint minute)
{
  g_autoptr(GDateTime) at = g_date_time_new_local (year, month, day, hour, minute, 0);

  return g_date_time_to_unix (at) * G_USEC_PER_SEC;
}

static void
test_time_accepts_iso8601_and_relative (void)
{
  g_assert_cmpint (time_parsed ("2026-11-29T10:00:00Z"), ==, TIME_NOW_US);
  g_assert_cmpint (time_parsed ("2026-11-29T12:00:00+02:00"), ==, TIME_NOW_US);
  g_assert_cmpint (time_parsed ("2026-11-29T10:00Z"), ==, TIME_NOW_US);
  g_assert_cmpint (time_parsed ("2026-11-29T09:59:59.5Z"), ==, TIME_NOW_US - G_USEC_PER_SEC / 2);
  g_assert_cmpint (time_parsed ("2026-11-29 10:00"), ==, time_local_us (2026, 11, 29, 10, 0));
  g_assert_cmpint (time_parsed ("2026-11-29"), ==, time_local_us (2026, 11, 29, 0, 0));
  g_assert_cmpint (time_parsed ("90s"), ==, TIME_AGO (90));
  g_assert_cmpint (time_parsed ("30m"), ==, TIME_AGO (1800));
  g_assert_cmpint (time_parsed ("2h"), ==, TIME_AGO (7200));
  g_assert_cmpint (time_parsed ("7d"), ==, TIME_AGO (604800));
  g_assert_cmpint (time_parsed ("1w"), ==, TIME_AGO (604800));
  g_assert_cmpint (time_parsed ("0h"), ==, TIME_NOW_US);
}

static gboolean
time_parses (const gchar *text, GError **error)
{
  gint64 us = 0;

  return xa_time_parse (text, TIME_NOW_US, &us, error);
}

static void
test_time_rejects_what_is_not_a_time (void)
{
  const gchar *use = " is not a time (use 2026-11-29T10:00:00Z, 2026-11-29 10:00 or 2026-11-29, "
                     "or 30m, 2h, 7d for that long before now)";
  const gchar *bad[] = {
    "", "yesterday", "2h ago", "-2h", "2", "h", "2x", "2.5h", "+2h", "2026-13-01", "2026-11-31",
    "2026-11-29T25:00", "2026-11-29 10", "29/11/2026", "99999999999999999999d", "40000000d",
  };
  g_autoptr(GPtrArray) cases = g_ptr_array_new_with_free_func (g_free);
  g_autofree XaTestBadCase *table = g_new0 (XaTestBadCase, G_N_ELEMENTS (bad));

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autofree gchar *shown = xa_text_quote (bad[i]);
    gchar *message = g_strconcat (shown, use, NULL);

    g_ptr_array_add (cases, message);
    table[i] = (XaTestBadCase) { bad[i], message };
  }
  xa_test_assert_refuses (table, G_N_ELEMENTS (bad), time_parses);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/planner/size/accepts-binary-units", test_size_accepts_binary_units);
  g_test_add_func ("/planner/size/rejects-what-is-not-a-size",
                   test_size_rejects_what_is_not_a_size);
  g_test_add_func ("/planner/size/comes-from-json-numbers",
                   test_size_comes_from_json_numbers);
  g_test_add_func ("/planner/name/follows-the-rules", test_name_follows_the_rules);
  g_test_add_func ("/planner/text/quote-escapes", test_text_quote_escapes);
  g_test_add_func ("/planner/text/quote-cuts-long-values", test_text_quote_cuts_long_values);
  g_test_add_func ("/planner/text/plural", test_text_plural);
  g_test_add_func ("/planner/nodeset/parses-and-formats", test_nodeset_parses_and_formats);
  g_test_add_func ("/planner/nodeset/rejects-bad-lists", test_nodeset_rejects_bad_lists);
  g_test_add_func ("/planner/guest/type-strings", test_guest_type_strings);
  g_test_add_func ("/planner/guest/new-owns-its-strings", test_guest_new);
  g_test_add_func ("/planner/names/find-and-join", test_names_find_and_join);
  g_test_add_func ("/planner/topology/distances-valid", test_topology_distances_valid);
  g_test_add_func ("/planner/mem/need", test_mem_need);
  g_test_add_func ("/planner/mem/local", test_mem_local);
  g_test_add_func ("/planner/mem/guest-by-node", test_mem_guest_by_node);
  g_test_add_func ("/planner/plan/optimal-combine", test_plan_optimal_combine);
  g_test_add_func ("/planner/time/accepts-iso8601-and-relative",
                   test_time_accepts_iso8601_and_relative);
  g_test_add_func ("/planner/time/rejects-what-is-not-a-time",
                   test_time_rejects_what_is_not_a_time);
  return g_test_run ();
}
