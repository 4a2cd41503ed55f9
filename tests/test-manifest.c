/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-error.h"
#include "xa-json.h"
#include "xa-manifest.h"
#include "xa-guest.h"
#include "xa-request.h"
#include "xa-test-util.h"

static GPtrArray *
parse_text (const gchar *json, GPtrArray **out_guests, GError **error)
{
  g_autoptr(json_t) root = xa_json_load_data ("manifest.json", json, strlen (json), error);

  if (root == NULL)
    return NULL;
  return xa_manifest_parse ("manifest.json", root, out_guests, error);
}

static void
test_manifest_reads_all_fields (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) guests = NULL;
  g_autoptr(GPtrArray) vms = parse_text (
    "{\"vms\": [{\"name\": \"web-01\", \"memory\": \"4GiB\", \"vcpus\": 2},"
    " {\"name\": \"db-01\", \"memory\": 98304.0, \"vcpus\": 16, \"priority\": -10,"
    "  \"group\": \"shop\"},"
    " {\"name\": \"pinned\", \"memory\": \"2GiB\", \"vcpus\": 1, \"hard_affinity\": [0, 17]},"
    " {\"name\": \"near-nic\", \"memory\": \"8GiB\", \"vcpus\": 4, \"nodes\": [1]},"
    " {\"name\": \"text-nodes\", \"memory\": \"1GiB\", \"vcpus\": 1, \"nodes\": \"0-1,^0\"},"
    " {\"name\": \"pvh-1\", \"memory\": \"1GiB\", \"vcpus\": 1, \"type\": \"pvh\","
    "  \"kernel\": \"/boot/vmlinuz\", \"ramdisk\": \"/boot/initrd.img\", \"cmdline\": \"console=hvc0\"}]}",
    &guests, &error);
  const XaRequest *req;
  const XaGuest *guest;

  g_assert_no_error (error);
  g_assert_cmpuint (vms->len, ==, 6);
  g_assert_cmpuint (guests->len, ==, 6);
  req = g_ptr_array_index (vms, 1);
  g_assert_cmpstr (req->name, ==, "db-01");
  g_assert_cmpuint (req->memory_mib, ==, 98304);
  g_assert_cmpint (req->priority, ==, -10);
  g_assert_cmpstr (req->group, ==, "shop");
  g_assert_null (((XaRequest *) g_ptr_array_index (vms, 0))->group);
  req = g_ptr_array_index (vms, 2);
  g_assert_cmpuint (req->hard_affinity->len, ==, 2);
  g_assert_cmpuint (g_array_index (req->hard_affinity, guint, 1), ==, 17);
  req = g_ptr_array_index (vms, 3);
  g_assert_cmpuint (req->nodes, ==, 0x2);
  req = g_ptr_array_index (vms, 4);
  g_assert_cmpuint (req->nodes, ==, 0x2);
  guest = g_ptr_array_index (guests, 4);
  g_assert_cmpint (guest->type, ==, XA_GUEST_PV);
  g_assert_null (guest->kernel);
  guest = g_ptr_array_index (guests, 5);
  g_assert_cmpint (guest->type, ==, XA_GUEST_PVH);
  g_assert_cmpstr (guest->kernel, ==, "/boot/vmlinuz");
  g_assert_cmpstr (guest->ramdisk, ==, "/boot/initrd.img");
  g_assert_cmpstr (guest->cmdline, ==, "console=hvc0");
}

static void
test_manifest_reads_every_data_manifest (void)
{
  const gchar *names[] = { "demo.json", "evacuate.json", "mixed-priorities.json",
                           "dense-4node.json", "dense-8node.json" };
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++) {
    g_autofree gchar *path = xa_test_data_path ("manifests", names[i]);
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) vms = xa_manifest_load (path, NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (vms->len, >, 0);
  }
}

/* A node or CPU the host lacks is a fact of the host, not of the file: the
 * parser keeps the ids and the planner rejects the VM. */
static void
test_manifest_keeps_ids_the_host_may_lack (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) vms = parse_text (
    "{\"vms\": [{\"name\": \"a\", \"memory\": 1, \"vcpus\": 1, \"hard_affinity\": [999]},"
    " {\"name\": \"b\", \"memory\": 1, \"vcpus\": 1, \"nodes\": [9, 63]},"
    " {\"name\": \"c\", \"memory\": 1, \"vcpus\": 1, \"nodes\": \"9\"}]}",
    NULL, &error);
  const XaRequest *req;

  g_assert_no_error (error);
  req = g_ptr_array_index (vms, 0);
  g_assert_cmpuint (g_array_index (req->hard_affinity, guint, 0), ==, 999);
  req = g_ptr_array_index (vms, 1);
  g_assert_cmpuint (req->nodes, ==, XA_NODESET_BIT (9) | XA_NODESET_BIT (63));
  req = g_ptr_array_index (vms, 2);
  g_assert_cmpuint (req->nodes, ==, XA_NODESET_BIT (9));
}

/* Each a bad file and the one line it must give. */
static const XaTestBadCase bad_manifests[] = {
  { "", "manifest.json: the file is empty (expected a JSON object)" },
  { "{\"vms\": [{\"name\": \"a\", \"memory\": 1, \"vcpus\": 1}]} []",
    "manifest.json: line 1, column 51: not valid JSON: there is more after the top-level object, near '['" },
  { "{\"vms\": [{\"name\": \"a\", \"memory\": 0123, \"vcpus\": 1}]}",
    "manifest.json: line 1, column 34: not valid JSON: expected a value (strings in double quotes, "
    "numbers without leading zeros, no comments), near '0'" },
  { "{\"vms\": [{\"name\": \"a\", \"memory\": 18446744073709551615, \"vcpus\": 1}]}",
    "manifest.json: line 1, column 53: not valid JSON: an integer is above 2^63 - 1, near '18446744073709551615'" },
  { "{\"vms\": [{\"name\": \"a\", \"memory\": 1, \"memory\": 2, \"vcpus\": 1}]}",
    "manifest.json: line 1, column 44: not valid JSON: a key appears twice in the same object, near '\"memory\"'" },
  { "// boot\n{\"vms\": []}",
    "manifest.json: line 1, column 1: not valid JSON: the top level is not an object, near '/'" },
  { "{}", "manifest.json: vms: missing (expected a list)" },
  { "{\"vms\": []}", "manifest.json: vms: the list is empty (expected at least one VM)" },
  { "{\"vms\": {\"a\": 1}}", "manifest.json: vms: {\"a\":1} is an object, not a list" },
  { "{\"vms\": [], \"hosts\": 1}", "manifest.json: \"hosts\" is not a known field" },
  { "{\"vms\": [\"web\"]}", "manifest.json: vms[0]: \"web\" is a string, not an object" },
  { "{\"vms\": [{\"memory\": 1, \"vcpus\": 1}]}", "manifest.json: vms[0]: name: missing (expected a string)" },
  { "{\"vms\": [{\"name\": \"\", \"memory\": 1, \"vcpus\": 1}]}",
    "manifest.json: vms[0]: name: the name is empty" },
  { "{\"vms\": [{\"name\": \"a234567890123456789012345678901234567890123456789012345678901234x\","
    " \"memory\": 1, \"vcpus\": 1}]}",
    "manifest.json: vms[0]: name: \"a234567890123456789012345678901234567890123456789012345678901234…\""
    " (65 bytes) is longer than 64 characters" },
  { "{\"vms\": [{\"name\": \"db 01\", \"memory\": 1, \"vcpus\": 1}]}",
    "manifest.json: vms[0]: name: \"db 01\" has a character outside A-Z a-z 0-9 . _ -" },
  { "{\"vms\": [{\"name\": \"a\", \"memory\": 1, \"vcpus\": 1}, {\"name\": \"a\", \"memory\": 1, \"vcpus\": 1}]}",
    "manifest.json: vms[1] \"a\": name: another VM in the manifest has the same name" },
  { "{\"vms\": [{\"name\": \"a\", \"vcpus\": 1}]}",
    "manifest.json: vms[0] \"a\": memory: missing (expected a size such as 4GiB or 4096)" },
  { "{\"vms\": [{\"name\": \"db-01\", \"memory\": \"4 GB\", \"vcpus\": 1}]}",
    "manifest.json: vms[0] \"db-01\": memory: \"4 GB\" is not a size (use 4GiB or 4096)" },
  { "{\"vms\": [{\"name\": \"a\", \"memory\": 0, \"vcpus\": 1}]}",
    "manifest.json: vms[0] \"a\": memory: 0 is not allowed here (at least 1 MiB)" },
  { "{\"vms\": [{\"name\": \"a\", \"memory\": \"0GiB\", \"vcpus\": 1}]}",
    "manifest.json: vms[0] \"a\": memory: 0 is not allowed here (at least 1 MiB)" },
  { "{\"vms\": [{\"name\": \"a\", \"memory\": -5, \"vcpus\": 1}]}",
    "manifest.json: vms[0] \"a\": memory: -5 is negative" },
  { "{\"vms\": [{\"name\": \"a\", \"memory\": 1024.5, \"vcpus\": 1}]}",
    "manifest.json: vms[0] \"a\": memory: 1024.5 is not a whole number of MiB" },
  { "{\"vms\": [{\"name\": \"a\", \"memory\": \"0.3MiB\", \"vcpus\": 1}]}",
    "manifest.json: vms[0] \"a\": memory: \"0.3MiB\" is not a whole number of MiB" },
  { "{\"vms\": [{\"name\": \"a\", \"memory\": 9007199254740993, \"vcpus\": 1}]}",
    "manifest.json: vms[0] \"a\": memory: 9007199254740993 is larger than 2^53 MiB" },
  { "{\"vms\": [{\"name\": \"a\", \"memory\": 1, \"vcpus\": \"2\"}]}",
    "manifest.json: vms[0] \"a\": vcpus: \"2\" is a string, not an integer" },
  { "{\"vms\": [{\"name\": \"a\", \"memory\": 1, \"vcpus\": 0}]}",
    "manifest.json: vms[0] \"a\": vcpus: 0 is out of range (1 to 4096)" },
  { "{\"vms\": [{\"name\": \"a\", \"memory\": 1, \"vcpus\": 5000}]}",
    "manifest.json: vms[0] \"a\": vcpus: 5000 is out of range (1 to 4096)" },
  { "{\"vms\": [{\"name\": \"a\", \"memory\": 1, \"vcpus\": 1}, {\"name\": \"b\", \"memory\": 1}]}",
    "manifest.json: vms[1] \"b\": vcpus: missing (expected an integer)" },
  { "{\"vms\": [{\"name\": \"a\", \"memory\": 1, \"vcpus\": 1, \"priority\": 2000}]}",
    "manifest.json: vms[0] \"a\": priority: 2000 is out of range (-1000 to 1000)" },
  { "{\"vms\": [{\"name\": \"a\", \"memory\": 1, \"vcpus\": 1, \"group\": 7}]}",
    "manifest.json: vms[0] \"a\": group: 7 is an integer, not a string" },
  { "{\"vms\": [{\"name\": \"a\", \"memory\": 1, \"vcpus\": 1, \"group\": \"a b\"}]}",
    "manifest.json: vms[0] \"a\": group: \"a b\" has a character outside A-Z a-z 0-9 . _ -" },
  { "{\"vms\": [{\"name\": \"a\", \"memory\": 1, \"vcpus\": 1, \"prority\": 2}]}",
    "manifest.json: vms[0] \"a\": \"prority\" is not a known field" },
  { "{\"vms\": [{\"name\": \"a\", \"memory\": 1, \"vcpus\": 1, \"hard_affinity\": [0, 1.5]}]}",
    "manifest.json: vms[0] \"a\": hard_affinity[1]: 1.5 is not a CPU id" },
  { "{\"vms\": [{\"name\": \"a\", \"memory\": 1, \"vcpus\": 1, \"hard_affinity\": []}]}",
    "manifest.json: vms[0] \"a\": hard_affinity: the list is empty (leave it out for no affinity)" },
  { "{\"vms\": [{\"name\": \"a\", \"memory\": 1, \"vcpus\": 1, \"hard_affinity\": [-1]}]}",
    "manifest.json: vms[0] \"a\": hard_affinity[0]: -1 is not a CPU id" },
  { "{\"vms\": [{\"name\": \"a\", \"memory\": 1, \"vcpus\": 1, \"nodes\": [64]}]}",
    "manifest.json: vms[0] \"a\": nodes[0]: 64 is not a node id (0-63)" },
  { "{\"vms\": [{\"name\": \"a\", \"memory\": 1, \"vcpus\": 1, \"nodes\": [0, -1]}]}",
    "manifest.json: vms[0] \"a\": nodes[1]: -1 is not a node id (0-63)" },
  { "{\"vms\": [{\"name\": \"a\", \"memory\": 1, \"vcpus\": 1, \"nodes\": [\"1\"]}]}",
    "manifest.json: vms[0] \"a\": nodes[0]: \"1\" is not a node id (0-63)" },
  { "{\"vms\": [{\"name\": \"a\", \"memory\": 1, \"vcpus\": 1, \"nodes\": []}]}",
    "manifest.json: vms[0] \"a\": nodes: the list is empty (leave it out to allow every node)" },
  { "{\"vms\": [{\"name\": \"a\", \"memory\": 1, \"vcpus\": 1, \"nodes\": \"0-64\"}]}",
    "manifest.json: vms[0] \"a\": nodes: \"0-64\" names node 64, but node ids end at 63" },
  { "{\"vms\": [{\"name\": \"a\", \"memory\": 1, \"vcpus\": 1, \"nodes\": \"1-0\"}]}",
    "manifest.json: vms[0] \"a\": nodes: \"1-0\" has the range 1-0, which runs backwards" },
  { "{\"vms\": [{\"name\": \"a\", \"memory\": 1, \"vcpus\": 1, \"type\": \"hvm\"}]}",
    "manifest.json: vms[0] \"a\": type: \"hvm\" is not a guest type (use pv or pvh)" },
  { "{\"vms\": [{\"name\": \"a\", \"memory\": 1, \"vcpus\": 1, \"kernel\": 5}]}",
    "manifest.json: vms[0] \"a\": kernel: 5 is an integer, not a string" },
};

static gboolean
manifest_parses (const gchar *json, GError **error)
{
  g_autoptr(GPtrArray) vms = parse_text (json, NULL, error);

  return vms != NULL;
}

/* Every bad manifest gives one line naming the file, VM and field. */
static void
test_manifest_rejects_bad_input (void)
{
  xa_test_assert_refuses (bad_manifests, G_N_ELEMENTS (bad_manifests), manifest_parses);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cli/manifest/reads-all-fields", test_manifest_reads_all_fields);
  g_test_add_func ("/cli/manifest/reads-every-data-manifest",
                   test_manifest_reads_every_data_manifest);
  g_test_add_func ("/cli/manifest/keeps-ids-the-host-may-lack",
                   test_manifest_keeps_ids_the_host_may_lack);
  g_test_add_func ("/cli/manifest/rejects-bad-input", test_manifest_rejects_bad_input);
  return g_test_run ();
}
