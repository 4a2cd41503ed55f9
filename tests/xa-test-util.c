/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib/gstdio.h>

#include "xa-error.h"
#include "xa-mem.h"
#include "xa-plan.h"
#include "xa-test-util.h"
#include "xa-text.h"

/**
 * xa_test_topology_new:
 * @n_nodes: number of nodes
 * @free_mib: free memory of each node, and all it could ever offer
 *
 * Returns: (transfer full): a host whose nodes have 16 CPUs (ids node by
 *   node) and 8 cores, 10 local and 20 remote, and no per-domain overhead
 */
XaTopology *
xa_test_topology_new (guint n_nodes, guint64 free_mib)
{
  return xa_topology_new_uniform (n_nodes, free_mib, 16, 8);
}

/**
 * xa_test_topology_new_xen:
 * @n_nodes: number of nodes
 * @free_mib: free memory of each node, and all it could ever offer
 *
 * Returns: (transfer full): the host of xa_test_topology_new() with what
 *   Xen takes beyond a domain's memory: 1 MiB a VM and 1176 KiB a vCPU
 */
XaTopology *
xa_test_topology_new_xen (guint n_nodes, guint64 free_mib)
{
  XaTopology *topo = xa_test_topology_new (n_nodes, free_mib);

  topo->overhead_mib_per_vm = 1;
  topo->overhead_kib_per_vcpu = 1176;
  return topo;
}

GPtrArray *
xa_test_requests_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) xa_request_free);
}

/**
 * xa_test_add_vm:
 * @requests: (element-type XaRequest): where to add it
 * @name: (nullable): its name, %NULL for vm-N where N is its index
 * @memory_mib: its memory
 * @vcpus: its vCPUs
 *
 * Returns: (transfer none): the new request, last in @requests
 */
XaRequest *
xa_test_add_vm (GPtrArray *requests, const gchar *name, guint64 memory_mib, guint vcpus)
{
  g_autofree gchar *numbered = g_strdup_printf ("vm-%u", requests->len);
  XaRequest *req = xa_request_new (name != NULL ? name : numbered, memory_mib, vcpus);

  g_ptr_array_add (requests, req);
  return req;
}

/**
 * xa_test_add_vms:
 * @requests: (element-type XaRequest): where to add them
 * @count: how many
 * @memory_mib: the memory of each
 * @vcpus: the vCPUs of each
 *
 * Adds @count alike VMs named vm-N, N their index.
 */
void
xa_test_add_vms (GPtrArray *requests, guint count, guint64 memory_mib, guint vcpus)
{
  for (guint i = 0; i < count; i++)
    xa_test_add_vm (requests, NULL, memory_mib, vcpus);
}

/**
 * xa_test_requests_of_gib:
 * @gib: (array length=n_vms): the memory of each VM in GiB
 * @n_vms: how many VMs
 * @vcpus: the vCPUs of each
 *
 * Returns: (transfer full) (element-type XaRequest): the VMs, named vm-N
 */
GPtrArray *
xa_test_requests_of_gib (const guint64 *gib, guint n_vms, guint vcpus)
{
  GPtrArray *requests = xa_test_requests_new ();

  for (guint i = 0; i < n_vms; i++)
    xa_test_add_vm (requests, NULL, gib[i] * GiB, vcpus);
  return requests;
}

/* All the memory a placement gives, over every node. */
/**
 * xa_test_plan:
 * @topo: the host
 * @requests: (element-type XaRequest): the batch
 * @policy: a policy that applies to @topo
 *
 * Returns: (transfer full): xa_plan()'s plan, which must not fail
 */
XaPlan *
xa_test_plan (const XaTopology *topo, GPtrArray *requests, XaPolicy policy)
{
  XaPlanOptions options = { .policy = policy };
  g_autoptr(GError) error = NULL;
  XaPlan *plan = xa_plan (topo, requests, &options, &error);

  g_assert_no_error (error);
  return plan;
}

guint64
xa_test_placement_mib (const XaPlacement *placement, guint n_nodes)
{
  return xa_mem_sum (placement->mib_by_node, xa_nodeset_all (n_nodes), n_nodes);
}

/**
 * xa_test_data_path:
 * @folder: a folder of data/, such as "hosts" or "manifests"
 * @name: a file in it
 *
 * Returns: (transfer full): the path of data/@folder/@name in the source tree
 */
gchar *
xa_test_data_path (const gchar *folder, const gchar *name)
{
  return g_test_build_filename (G_TEST_DIST, "..", "data", folder, name, NULL);
}

/**
 * xa_test_host_spec:
 * @name: a host file of data/hosts/
 *
 * Returns: (transfer full): what --host takes to simulate it, sim:PATH
 */
gchar *
xa_test_host_spec (const gchar *name)
{
  g_autofree gchar *path = xa_test_data_path ("hosts", name);

  return xa_test_host_spec_at (path);
}

/**
 * xa_test_host_spec_at:
 * @path: a host file anywhere, such as one in a #XaTestDir
 *
 * Returns: (transfer full): what --host takes to simulate it, sim:@path
 */
gchar *
xa_test_host_spec_at (const gchar *path)
{
  return g_strdup_printf ("sim:%s", path);
}

/**
 * xa_test_assert_refuses:
 * @cases: (array length=n_cases): the texts and the messages they must give
 * @n_cases: how many
 * @parse: the parser
 *
 * Asserts that @parse refuses each text as invalid input with its message.
 */
void
xa_test_assert_refuses (const XaTestBadCase *cases, gsize n_cases, XaTestParseFunc parse)
{
  for (gsize i = 0; i < n_cases; i++) {
    g_autoptr(GError) error = NULL;
    /* escaped: a case may hold bytes that are not UTF-8, which TAP refuses */
    g_autofree gchar *shown = xa_text_quote_full (cases[i].text, -1, 4096, XA_TEXT_QUOTE_BARE);

    g_test_message ("case %zu: %s", i, shown);
    g_assert_false (parse (cases[i].text, &error));
    g_assert_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT);
    g_assert_cmpstr (error->message, ==, cases[i].message);
  }
}

/**
 * xa_test_dir_new:
 *
 * Returns: (transfer full): a new empty directory under the temporary one
 */
XaTestDir *
xa_test_dir_new (void)
{
  g_autoptr(GError) error = NULL;
  gchar *dir = g_dir_make_tmp ("xadmit-test-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
xa_test_remove_tree (const gchar *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = g_dir_open (path, 0, &error);
  const gchar *name;

  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL) {
    g_autofree gchar *child = g_build_filename (path, name, NULL);

    /* a link is removed, never followed */
    if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
      xa_test_remove_tree (child);
    else
      g_assert_cmpint (g_unlink (child), ==, 0);
  }
  g_assert_cmpint (g_rmdir (path), ==, 0);
}

/**
 * xa_test_dir_free:
 * @dir: (nullable): a directory from xa_test_dir_new()
 *
 * Removes @dir and everything in it, and frees its path.
 */
void
xa_test_dir_free (XaTestDir *dir)
{
  if (dir == NULL)
    return;
  xa_test_remove_tree (dir);
  g_free (dir);
}

/**
 * xa_test_dir_write:
 * @dir: a directory from xa_test_dir_new()
 * @name: a file name
 * @contents: what the file holds
 *
 * Returns: (transfer full): the path of the file written
 */
gchar *
xa_test_dir_write (const XaTestDir *dir, const gchar *name, const gchar *contents)
{
  g_autoptr(GError) error = NULL;
  gchar *path = g_build_filename (dir, name, NULL);

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
  return path;
}
