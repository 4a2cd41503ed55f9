/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "xa-error.h"
#include "xen/xa-xen-meminfo.h"

#define TABLE_HEADER "(XEN) Memory location of each domain:\n"

static GHashTable *
parse (const gchar *text, guint n_nodes, GError **error)
{
  return xa_xen_meminfo_parse (text, strlen (text), n_nodes, error);
}

static GHashTable *
parse_ok (const gchar *text, guint n_nodes)
{
  g_autoptr(GError) error = NULL;
  GHashTable *table = parse (text, n_nodes, &error);

  g_assert_no_error (error);
  return table;
}

static const XaXenMeminfoDomain *
lookup (GHashTable *table, guint domid)
{
  const XaXenMeminfoDomain *domain = g_hash_table_lookup (table, GUINT_TO_POINTER (domid));

  g_assert_nonnull (domain);
  return domain;
}

static void
assert_pages (GHashTable *table, guint domid, guint64 node0, guint64 node1)
{
  const XaXenMeminfoDomain *domain = lookup (table, domid);

  g_assert_cmpuint (domain->pages_by_node[0], ==, node0);
  g_assert_cmpuint (domain->pages_by_node[1], ==, node1);
  g_assert_cmpuint (domain->total_pages, ==, node0 + node1);
}

static void
assert_fails (const gchar *text, guint n_nodes, const gchar *why)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) table = parse (text, n_nodes, &error);

  g_assert_null (table);
  g_assert_error (error, XA_ERROR, XA_ERROR_FAILED);
  if (strstr (error->message, why) == NULL)
    g_error ("\"%s\" does not say \"%s\"", error->message, why);
}

/* Xen 4.17 in QEMU: three tables, each followed by copies of its domain
 * lines that dom0 echoed; the newest, with domain 12, wins. */
static void
test_example_log (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *path = g_test_build_filename (G_TEST_DIST, "data", "xen-meminfo-4.17.log",
                                                  NULL);
  g_autofree gchar *text = NULL;
  gsize len = 0;
  g_autoptr(GHashTable) table = NULL;

  g_assert_true (g_file_get_contents (path, &text, &len, &error));
  g_assert_no_error (error);
  table = xa_xen_meminfo_parse (text, len, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (table), ==, 6);
  assert_pages (table, 0, 35383, 226761);
  assert_pages (table, 9, 0, 32768);
  assert_pages (table, 12, 32768, 0);
  g_assert_false (g_hash_table_contains (table, GUINT_TO_POINTER (1)));
}

/* The ring wrapped: its oldest table lost its header and first lines. */
static void
test_wrapped_ring (void)
{
  g_autoptr(GHashTable) table = parse_ok ("(XEN)     Node 1: 226761\n"
                                          "(XEN) Domain 3 (total: 10):\n"
                                          "(XEN)     Node 0: 10\n"
                                          "(XEN)     Node 1: 0\n"
                                          TABLE_HEADER
                                          "(XEN) Domain 0 (total: 100):\n"
                                          "(XEN)     Node 0: 40\n"
                                          "(XEN)     Node 1: 60\n", 2);

  g_assert_cmpuint (g_hash_table_size (table), ==, 1);
  assert_pages (table, 0, 40, 60);
  assert_fails ("Node 1: 226761\n(XEN) Domain 3 (total: 10):\n(XEN)     Node 0: 10\n", 2,
                "holds no \"Memory location");
}

/* dom0's console writes to the same ring: a NUL byte before the tables,
 * or inside one, ends a line, never the ring's text. */
static void
test_nul_bytes (void)
{
  static const gchar text[] = "dom0 wrote \0 here\r\n"
                              TABLE_HEADER
                              "(XEN) Domain 0 (total: 100):\n"
                              "(XEN)     Node 0: 40\0"
                              "(XEN)     Node 1: 60\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) table = xa_xen_meminfo_parse (text, sizeof text - 1, 2, &error);

  g_assert_no_error (error);
  assert_pages (table, 0, 40, 60);
}

/* The newest table was cut before its last node line: the one before it is
 * the newest complete one. */
static void
test_incomplete_newest (void)
{
  g_autoptr(GHashTable) table = parse_ok (TABLE_HEADER
                                          "(XEN) Domain 0 (total: 100):\n"
                                          "(XEN)     Node 0: 40\n"
                                          "(XEN)     Node 1: 60\n"
                                          "(XEN) Domain 5 (total: 8):\n"
                                          "(XEN)     Node 0: 8\n"
                                          "(XEN)     Node 1: 0\n"
                                          TABLE_HEADER
                                          "(XEN) Domain 0 (total: 100):\n"
                                          "(XEN)     Node 0: 40\n"
                                          "(XEN)     Node 1: 60\n"
                                          "(XEN) Domain 6 (total: 8):\n"
                                          "(XEN)     Node 0: 8\n", 2);

  assert_pages (table, 5, 8, 0);
  g_assert_false (g_hash_table_contains (table, GUINT_TO_POINTER (6)));
}

/* Guests' lines and vNUMA layouts come between the table's lines; the
 * log's and Xen's timestamps precede them. */
static void
test_interleaved_lines (void)
{
  g_autoptr(GHashTable) table = parse_ok ("[  50.35] (XEN) [  49.00] Memory location of each domain:\r\n"
                                          "[  50.35] (XEN) Domain 0 (total: 100):\r\n"
                                          "(d4) guest: \xff\xfe not UTF-8\r\n"
                                          "[  50.36] (XEN)     Node 0: 40\r\n"
                                          "(XEN) 'q' pressed -> dumping domain info\n"
                                          "[  50.36] (XEN)     Node 1: 60\n"
                                          "(XEN) Domain 4 (total: 12):\n"
                                          "(XEN)     Node 0: 5\n"
                                          "(XEN)     Node 1: 7\n"
                                          "(XEN)      2 vnodes, 2 vcpus, guest physical layout:\n"
                                          "(XEN)          0: pnode   0, vcpus 0\n"
                                          "(XEN)            0000000000000000 - 0000000000005000\n"
                                          "(XEN) Domain 0 (total: 100):\n"
                                          "(XEN)     Node 0: 99\n", 2);

  g_assert_cmpuint (g_hash_table_size (table), ==, 2);
  assert_pages (table, 0, 40, 60);
  assert_pages (table, 4, 5, 7);
}

/* Xen 4.18 on names a domain by its %pd, "d7", and may stamp the time. */
static void
test_xen_4_18 (void)
{
  g_autoptr(GHashTable) table = parse_ok ("(XEN) [  123.456789] 'u' pressed -> dumping numa info (now = 1)\n"
                                          "(XEN) [  123.456790] Memory location of each domain:\n"
                                          "(XEN) [  123.456791] d0 (total: 262144):\n"
                                          "(XEN) [  123.456792]     Node 0: 262144\n"
                                          "(XEN) [  123.456793]     Node 1: 0\n"
                                          "(XEN) [  123.456794] d7 (total: 4096):\n"
                                          "(XEN) [  123.456795]     Node 0: 1024\n"
                                          "(XEN) [  123.456796]     Node 1: 3072\n", 2);

  assert_pages (table, 0, 262144, 0);
  assert_pages (table, 7, 1024, 3072);
}

static void
test_garbage (void)
{
  assert_fails ("", 2, "holds no \"Memory location");
  assert_fails ("\x01\xff(XEN) Domain 0 (total: x):\nNode: 3\n", 2, "holds no \"Memory location");
  assert_fails (TABLE_HEADER "(XEN) bad\n", 2, "lists no domain");
  assert_fails (TABLE_HEADER "(XEN) Domain 0 (total: 10):\n(XEN)     Node 0: 4\n"
                "(XEN)     Node 0: 6\n", 2, "domain 0 lists node 0 twice");
  assert_fails (TABLE_HEADER "(XEN) Domain 32752 (total: 0):\n", 2, "not a domain id");
}

/* A domain whose pages per node do not add up to its total (Xen keeps
 * some of a guest's pages off its total) is left out, the rest counted. */
static void
test_domain_off_its_total_is_left_out (void)
{
  g_autoptr(GHashTable) table = parse_ok (TABLE_HEADER "(XEN) Domain 0 (total: 10):\n"
                                          "(XEN)     Node 0: 4\n(XEN)     Node 1: 5\n"
                                          "(XEN) Domain 1 (total: 10):\n"
                                          "(XEN)     Node 0: 3\n(XEN)     Node 1: 7\n"
                                          "(XEN) Domain 2 (total: 10):\n"
                                          "(XEN)     Node 0: 0\n(XEN)     Node 1: 12\n", 2);

  g_assert_null (g_hash_table_lookup (table, GUINT_TO_POINTER (0)));
  assert_pages (table, 1, 3, 7);
  g_assert_null (g_hash_table_lookup (table, GUINT_TO_POINTER (2)));
  assert_fails (TABLE_HEADER "(XEN) Domain 0 (total: 10):\n(XEN)     Node 0: 4\n"
                "(XEN)     Node 1: 5\n", 2, "lists no domain");
}

/* A table of three nodes on a host of two, or blocks of unequal nodes. */
static void
test_node_count_mismatch (void)
{
  assert_fails (TABLE_HEADER "(XEN) Domain 0 (total: 30):\n(XEN)     Node 0: 10\n"
                "(XEN)     Node 1: 10\n(XEN)     Node 2: 10\n", 2,
                "domain 0 has pages on node 2, but the host has 2 nodes");
  assert_fails (TABLE_HEADER "(XEN) Domain 0 (total: 20):\n(XEN)     Node 0: 10\n"
                "(XEN)     Node 1: 10\n(XEN) Domain 1 (total: 10):\n(XEN)     Node 0: 10\n", 2,
                "domain 1 lists 1 of the table's 2 nodes");
}

/* MiB per node rounded up; a domain of another size than the table's, or
 * absent from it, or no table at all, is not taken. */
static void
test_lookup_mib (void)
{
  g_autoptr(GHashTable) table = parse_ok (TABLE_HEADER "(XEN) Domain 3 (total: 513):\n"
                                          "(XEN)     Node 0: 512\n(XEN)     Node 1: 1\n", 2);
  guint64 mib[2] = { 7, 7 };

  g_assert_true (xa_xen_meminfo_lookup_mib (table, 3, 513, 2, mib));
  g_assert_cmpuint (mib[0], ==, 2);
  g_assert_cmpuint (mib[1], ==, 1);
  g_assert_false (xa_xen_meminfo_lookup_mib (table, 3, 514, 2, mib));
  g_assert_false (xa_xen_meminfo_lookup_mib (table, 4, 513, 2, mib));
  g_assert_false (xa_xen_meminfo_lookup_mib (NULL, 3, 513, 2, mib));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/scheduler/host/xen/meminfo/example-log", test_example_log);
  g_test_add_func ("/scheduler/host/xen/meminfo/wrapped-ring", test_wrapped_ring);
  g_test_add_func ("/scheduler/host/xen/meminfo/incomplete-newest", test_incomplete_newest);
  g_test_add_func ("/scheduler/host/xen/meminfo/nul-bytes", test_nul_bytes);
  g_test_add_func ("/scheduler/host/xen/meminfo/interleaved-lines", test_interleaved_lines);
  g_test_add_func ("/scheduler/host/xen/meminfo/xen-4-18", test_xen_4_18);
  g_test_add_func ("/scheduler/host/xen/meminfo/garbage", test_garbage);
  g_test_add_func ("/scheduler/host/xen/meminfo/domain-off-its-total-is-left-out",
                   test_domain_off_its_total_is_left_out);
  g_test_add_func ("/scheduler/host/xen/meminfo/node-count-mismatch", test_node_count_mismatch);
  g_test_add_func ("/scheduler/host/xen/meminfo/lookup-mib", test_lookup_mib);
  return g_test_run ();
}
