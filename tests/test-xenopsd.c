/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <float.h>

#include "xa-xenopsd.h"

/* test_topology.ml: every node has 2^34 B free, VMs ask for 2^30 B */
#define NODE_MIB 16384
#define VM_MIB 1024
/* mem3 = 4·2^34/3 B, more than one node holds */
#define MEM3_BYTES G_GUINT64_CONSTANT (22906492245)
#define X XA_DISTANCE_UNREACHABLE
#define NODES2(a, b) (XA_NODESET_BIT (a) | XA_NODESET_BIT (b))
#define NODES3(a, b, c) (NODES2 (a, b) | XA_NODESET_BIT (c))

/* AMD Opteron 6272, from test_topology.ml */
static const guint32 opteron[] = {
  10, 16, 16, 22, 16, 22, 16, 22,
  16, 10, 22, 16, 16, 22, 22, 16,
  16, 22, 10, 16, 16, 16, 16, 16,
  22, 16, 16, 10, 16, 16, 22, 22,
  16, 16, 16, 16, 10, 16, 16, 22,
  22, 22, 16, 16, 16, 10, 22, 16,
  16, 22, 16, 22, 16, 22, 10, 16,
  22, 16, 16, 22, 22, 16, 16, 10,
};

static guint64
bytes_to_mib (guint64 bytes)
{
  return (bytes + (1 << 20) - 1) >> 20;
}

/* CPU c on node c / @cpus_per_node; @distances NULL: example(n), 10 + 11·|i−j| */
static XaTopology *
make_topology (guint n_nodes, const guint32 *distances, guint cpus_per_node, guint cores_per_node)
{
  XaTopology *topo = xa_topology_new_uniform (n_nodes, NODE_MIB, cpus_per_node, cores_per_node);

  for (guint n = 0; n < n_nodes; n++) {
    for (guint m = 0; m < n_nodes; m++) {
      topo->distances[n * n_nodes + m] = distances != NULL ?
        distances[n * n_nodes + m] : 10 + 11 * (n > m ? n - m : m - n);
    }
  }
  return topo;
}

static guint64 *
free_mib_of (const XaTopology *topo)
{
  guint64 *free_mib = g_new (guint64, topo->n_nodes);

  for (guint n = 0; n < topo->n_nodes; n++)
    free_mib[n] = topo->nodes[n].free_mib;
  return free_mib;
}

/* One allocation case of §3.2; @expected NULL: VM i goes to node i mod n. */
typedef struct {
  guint n_nodes;
  const guint32 *distances;
  guint cpus_per_node;
  guint cores_per_node;
  guint vms;
  guint vcpus;
  guint64 vm_bytes;
  const XaNodeSet *expected;
} AllocationCase;

static void
test_allocation (gconstpointer data)
{
  const AllocationCase *tc = data;
  g_autoptr(XaTopology) topo = make_topology (tc->n_nodes, tc->distances,
                                              tc->cpus_per_node, tc->cores_per_node);
  g_autoptr(XaXenopsd) xenopsd = xa_xenopsd_new (topo);
  g_autofree guint64 *free_mib = free_mib_of (topo);

  g_assert_nonnull (xenopsd);
  for (guint i = 0; i < tc->vms; i++) {
    XaNodeSet plan = xa_xenopsd_plan (xenopsd, free_mib, bytes_to_mib (tc->vm_bytes),
                                      tc->vcpus, 0);
    XaNodeSet expected = tc->expected != NULL ?
      tc->expected[i] : XA_NODESET_BIT (i % tc->n_nodes);

    g_assert_cmphex (plan, ==, expected);
  }
}

static const XaNodeSet two_nodes[] = { NODES2 (0, 1) };
static const XaNodeSet four_nodes[] = { 0xf };
static const XaNodeSet amd_mem3[] = {
  NODES2 (0, 1), NODES2 (2, 3), NODES2 (4, 5), NODES2 (6, 7), NODES2 (0, 1), NODES2 (2, 3),
};

static const AllocationCase sym_1vm_1n_2c = { 1, NULL, 2, 1, 1, 2, 1 << 30, NULL };
static const AllocationCase sym_10vm_1n_8c = { 1, NULL, 8, 4, 10, 2, 1 << 30, NULL };
static const AllocationCase sym_1vm_2n_4c = { 2, NULL, 2, 1, 1, 4, 1 << 30, two_nodes };
static const AllocationCase sym_10vm_2n_4c = { 2, NULL, 2, 1, 10, 2, 1 << 30, NULL };
static const AllocationCase sym_1vm_4n_16c = { 4, NULL, 4, 2, 1, 16, 1 << 30, four_nodes };
static const AllocationCase sym_10vm_4n_16c = { 4, NULL, 4, 2, 10, 2, 1 << 30, NULL };
static const AllocationCase sym_40vm_16n_256c = { 16, NULL, 16, 8, 40, 6, 1 << 30, NULL };
static const AllocationCase sym_40vm_32n_256c = { 32, NULL, 8, 4, 40, 6, 1 << 30, NULL };
static const AllocationCase sym_80vm_64n_256c = { 64, NULL, 4, 2, 80, 3, 1 << 30, NULL };
static const AllocationCase amd_10vm_4cpn = { 8, opteron, 4, 2, 10, 3, 1 << 30, NULL };
static const AllocationCase amd_6vm_4cpn_mem3 = { 8, opteron, 4, 2, 6, 5, MEM3_BYTES, amd_mem3 };

/* §3.3: 1 CPU and 1 core per node */
static void
assert_candidates (guint n_nodes, const guint32 *distances,
                   const XaNodeSet *nodes, const gdouble *means, guint n_expected)
{
  g_autoptr(XaTopology) topo = make_topology (n_nodes, distances, 1, 1);
  g_autoptr(XaXenopsd) xenopsd = xa_xenopsd_new (topo);

  g_assert_nonnull (xenopsd);
  g_assert_cmpuint (xa_xenopsd_n_candidates (xenopsd), ==, n_expected);
  for (guint i = 0; i < n_expected; i++) {
    gdouble mean = 0.0;

    g_assert_cmphex (xa_xenopsd_candidate (xenopsd, i, &mean), ==, nodes[i]);
    g_assert_cmpfloat_with_epsilon (mean, means[i], DBL_EPSILON);
  }
}

static void
test_candidates_last_node_unreachable (void)
{
  static const guint32 distances[] = { 10, X, X, X };
  static const XaNodeSet nodes[] = { XA_NODESET_BIT (0) };
  static const gdouble means[] = { 10.0 };

  assert_candidates (2, distances, nodes, means, G_N_ELEMENTS (nodes));
}

static void
test_candidates_middle_node_unreachable (void)
{
  static const guint32 distances[] = { 10, X, 20, X, X, X, 20, X, 10 };
  static const XaNodeSet nodes[] = { XA_NODESET_BIT (0), XA_NODESET_BIT (2), NODES2 (0, 2) };
  static const gdouble means[] = { 10.0, 10.0, 15.0 };

  assert_candidates (3, distances, nodes, means, G_N_ELEMENTS (nodes));
}

static void
test_candidates_first_two_unreachable (void)
{
  static const guint32 distances[] = { X, X, 20, X, X, X, 10, X, 10 };
  static const XaNodeSet nodes[] = { XA_NODESET_BIT (2) };
  static const gdouble means[] = { 10.0 };

  assert_candidates (3, distances, nodes, means, G_N_ELEMENTS (nodes));
}

static void
test_candidates_all_unreachable (void)
{
  static const guint32 distances[] = { X, X, X, X };
  g_autoptr(XaTopology) topo = make_topology (2, distances, 1, 1);
  g_autoptr(XaXenopsd) xenopsd = xa_xenopsd_new (topo);

  g_assert_null (xenopsd);
}

/* §3.4: 8 singletons, 18 pairs at 16 in bitmask order, then the triples */
static void
test_opteron_candidate_order (void)
{
  static const XaNodeSet pairs[] = {
    NODES2 (0, 1), NODES2 (0, 2), NODES2 (1, 3), NODES2 (2, 3), NODES2 (0, 4), NODES2 (1, 4),
    NODES2 (2, 4), NODES2 (3, 4), NODES2 (2, 5), NODES2 (3, 5), NODES2 (4, 5), NODES2 (0, 6),
    NODES2 (2, 6), NODES2 (4, 6), NODES2 (1, 7), NODES2 (2, 7), NODES2 (5, 7), NODES2 (6, 7),
  };
  g_autoptr(XaTopology) topo = make_topology (8, opteron, 4, 2);
  g_autoptr(XaXenopsd) xenopsd = xa_xenopsd_new (topo);
  gdouble mean = 0.0;

  g_assert_nonnull (xenopsd);
  g_assert_cmpuint (xa_xenopsd_n_candidates (xenopsd), ==, 255);
  for (guint i = 0; i < 8; i++) {
    g_assert_cmphex (xa_xenopsd_candidate (xenopsd, i, &mean), ==, XA_NODESET_BIT (i));
    g_assert_cmpfloat_with_epsilon (mean, 10.0, DBL_EPSILON);
  }
  for (guint i = 0; i < G_N_ELEMENTS (pairs); i++) {
    g_assert_cmphex (xa_xenopsd_candidate (xenopsd, 8 + i, &mean), ==, pairs[i]);
    g_assert_cmpfloat_with_epsilon (mean, 13.0, DBL_EPSILON);
  }
  g_assert_cmphex (xa_xenopsd_candidate (xenopsd, 26, &mean), ==, NODES3 (0, 1, 4));
  g_assert_cmpfloat_with_epsilon (mean, 14.0, DBL_EPSILON);
  g_assert_cmphex (xa_xenopsd_candidate (xenopsd, 27, &mean), ==, NODES3 (0, 2, 4));
  g_assert_cmpfloat_with_epsilon (mean, 14.0, DBL_EPSILON);
}

/* s8: 40 GiB needs three 16 GiB nodes; 0,1,4 is better than 0,1,2 */
static void
test_opteron_three_node_vms (void)
{
  static const XaNodeSet expected[] = { NODES3 (0, 1, 4), NODES3 (2, 3, 5), NODES3 (2, 6, 7) };
  g_autoptr(XaTopology) topo = make_topology (8, opteron, 4, 2);
  g_autoptr(XaXenopsd) xenopsd = xa_xenopsd_new (topo);
  g_autofree guint64 *free_mib = free_mib_of (topo);

  g_assert_nonnull (xenopsd);
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    g_assert_cmphex (xa_xenopsd_plan (xenopsd, free_mib, 40 * 1024, 8, 0), ==, expected[i]);
}

/* s9: {0,1,2} (max 16, mean 14) beats {3,4,5} (max 21, mean 12.89) */
static void
test_max_before_mean (void)
{
  static const guint32 distances[] = {
    10, 16, 16, 30, 30, 30,
    16, 10, 16, 30, 30, 30,
    16, 16, 10, 30, 30, 30,
    30, 30, 30, 10, 11, 21,
    30, 30, 30, 11, 10, 11,
    30, 30, 30, 21, 11, 10,
  };
  g_autoptr(XaTopology) topo = make_topology (6, distances, 4, 2);
  g_autoptr(XaXenopsd) xenopsd = xa_xenopsd_new (topo);
  g_autofree guint64 *free_mib = free_mib_of (topo);
  guint64 three_nodes_mib = 2 * NODE_MIB + 1;

  g_assert_nonnull (xenopsd);
  g_assert_cmphex (xa_xenopsd_plan (xenopsd, free_mib, three_nodes_mib, 2, 0), ==, NODES3 (0, 1, 2));
  /* balancing only acts among sets of equal mean */
  g_assert_cmphex (xa_xenopsd_plan (xenopsd, free_mib, three_nodes_mib, 2, 0), ==, NODES3 (0, 1, 2));
}

/* s7: the caller takes each VM off its node; the fifth VM goes to node 1
 * only because node 0 has no room left, not because node 1 has more. */
static void
test_usage_beats_memory (void)
{
  static const guint expected[] = { 0, 1, 0, 1, 1 };
  g_autoptr(XaTopology) topo = make_topology (2, NULL, 4, 2);
  g_autoptr(XaXenopsd) xenopsd = xa_xenopsd_new (topo);
  guint64 free_mib[] = { 10 * 1024, 60 * 1024 };

  g_assert_nonnull (xenopsd);
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++) {
    XaNodeSet plan = xa_xenopsd_plan (xenopsd, free_mib, 4096, 2, 0);

    g_assert_cmphex (plan, ==, XA_NODESET_BIT (expected[i]));
    free_mib[expected[i]] -= 4096;
  }
  g_assert_cmpuint (xa_xenopsd_usage (xenopsd, 0), ==, 2);
  g_assert_cmpuint (xa_xenopsd_usage (xenopsd, 1), ==, 3);
}

/* The equal-mean group ends at the first valid set of another mean, even
 * when a later set has the first one's mean again: {0,4} is (20, 15.0),
 * {1,4} (22, 16.0), {0,1,2,3} (25, 15.0) and would win the tie-break. */
static void
test_group_ends_at_other_mean (void)
{
  static const guint32 distances[] = {
    10, 25, 15, 15, 20,
    25, 10, 15, 15, 22,
    15, 15, 10, 15, 30,
    15, 15, 15, 10, 30,
    20, 22, 30, 30, 10,
  };
  g_autoptr(XaTopology) topo = make_topology (5, distances, 1, 1);
  g_autoptr(XaXenopsd) xenopsd = xa_xenopsd_new (topo);
  const guint64 free_mib[] = { 10, 10, 1, 1, 10 };

  g_assert_nonnull (xenopsd);
  g_assert_cmphex (xa_xenopsd_plan (xenopsd, free_mib, 20, 1, 0), ==, NODES2 (0, 4));
}

static void
test_invalid_matrix_disables_numa (void)
{
  static const guint32 bad_diagonal[] = { 11, 20, 20, 10 };
  static const guint32 below_local[] = { 10, 9, 9, 10 };
  g_autoptr(XaTopology) diagonal = make_topology (2, bad_diagonal, 1, 1);
  g_autoptr(XaTopology) below = make_topology (2, below_local, 1, 1);
  g_autoptr(XaTopology) no_cpus = make_topology (2, NULL, 0, 0);
  g_autoptr(XaXenopsd) from_diagonal = xa_xenopsd_new (diagonal);
  g_autoptr(XaXenopsd) from_below = xa_xenopsd_new (below);
  g_autoptr(XaXenopsd) from_no_cpus = xa_xenopsd_new (no_cpus);

  g_assert_null (from_diagonal);
  g_assert_null (from_below);
  g_assert_null (from_no_cpus);
}

/* A VM that fits no set gets no plan and leaves the counters alone. */
static void
test_no_plan_keeps_usage (void)
{
  g_autoptr(XaTopology) topo = make_topology (2, NULL, 2, 1);
  g_autoptr(XaXenopsd) xenopsd = xa_xenopsd_new (topo);
  g_autofree guint64 *free_mib = free_mib_of (topo);

  g_assert_nonnull (xenopsd);
  g_assert_cmphex (xa_xenopsd_plan (xenopsd, free_mib, 2 * NODE_MIB + 1, 2, 0), ==, 0);
  g_assert_cmphex (xa_xenopsd_plan (xenopsd, free_mib, VM_MIB, 5, 0), ==, 0);
  g_assert_cmphex (xa_xenopsd_plan (xenopsd, free_mib, VM_MIB, 2, 3), ==, 0);
  g_assert_cmpuint (xa_xenopsd_usage (xenopsd, 0), ==, 0);
  g_assert_cmpuint (xa_xenopsd_usage (xenopsd, 1), ==, 0);
}

static void
add_allocation (const gchar *name, const AllocationCase *tc)
{
  g_autofree gchar *path = g_strconcat ("/planner/xenopsd/", name, NULL);

  g_test_add_data_func (path, tc, test_allocation);
}

/* Where Xen deals a domain xenopsd started: its soft affinity's nodes, a
 * pinned VM's CPUs' nodes, or every node, a broken one too (Xen's own
 * affinity knows nothing of distances), 2 MiB to each node in turn. */
static void
test_predict_memory_follows_the_affine_nodes (void)
{
  g_autoptr(XaTopology) topo = xa_topology_new_uniform (3, NODE_MIB, 4, 2);
  g_autoptr(XaRequest) pinned = xa_request_new ("pinned", 1024, 1);
  g_autoptr(XaRequest) free_vm = xa_request_new ("free", 1024, 1);
  guint64 mib[3];
  guint cpu = 9;

  topo->distances[0] = X;
  pinned->hard_affinity = g_array_new (FALSE, FALSE, sizeof (guint));
  g_array_append_val (pinned->hard_affinity, cpu);
  xa_xenopsd_predict_memory (topo, pinned, NODES2 (0, 1), 1027, mib);
  g_assert_cmpuint (mib[0], ==, 0);
  g_assert_cmpuint (mib[1], ==, 0);
  g_assert_cmpuint (mib[2], ==, 1027);
  xa_xenopsd_predict_memory (topo, free_vm, NODES2 (1, 2), 1027, mib);
  g_assert_cmpuint (mib[0], ==, 0);
  g_assert_cmpuint (mib[1], ==, 514);
  g_assert_cmpuint (mib[2], ==, 513);
  xa_xenopsd_predict_memory (topo, free_vm, 0, 1030, mib);
  g_assert_cmpuint (mib[0], ==, 344);
  g_assert_cmpuint (mib[1], ==, 344);
  g_assert_cmpuint (mib[2], ==, 342);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  add_allocation ("sym-1vm-1n-2c", &sym_1vm_1n_2c);
  add_allocation ("sym-10vm-1n-8c", &sym_10vm_1n_8c);
  add_allocation ("sym-1vm-2n-4c", &sym_1vm_2n_4c);
  add_allocation ("sym-10vm-2n-4c", &sym_10vm_2n_4c);
  add_allocation ("sym-1vm-4n-16c", &sym_1vm_4n_16c);
  add_allocation ("sym-10vm-4n-16c", &sym_10vm_4n_16c);
  add_allocation ("sym-40vm-16n-256c", &sym_40vm_16n_256c);
  add_allocation ("sym-40vm-32n-256c", &sym_40vm_32n_256c);
  add_allocation ("sym-80vm-64n-256c", &sym_80vm_64n_256c);
  add_allocation ("amd-10vm-4cpn", &amd_10vm_4cpn);
  add_allocation ("amd-6vm-4cpn-mem3", &amd_6vm_4cpn_mem3);
  g_test_add_func ("/planner/xenopsd/candidates/last-node-unreachable",
                   test_candidates_last_node_unreachable);
  g_test_add_func ("/planner/xenopsd/candidates/middle-node-unreachable",
                   test_candidates_middle_node_unreachable);
  g_test_add_func ("/planner/xenopsd/candidates/first-two-unreachable",
                   test_candidates_first_two_unreachable);
  g_test_add_func ("/planner/xenopsd/candidates/all-unreachable", test_candidates_all_unreachable);
  g_test_add_func ("/planner/xenopsd/opteron-candidate-order", test_opteron_candidate_order);
  g_test_add_func ("/planner/xenopsd/opteron-three-node-vms", test_opteron_three_node_vms);
  g_test_add_func ("/planner/xenopsd/max-before-mean", test_max_before_mean);
  g_test_add_func ("/planner/xenopsd/usage-beats-memory", test_usage_beats_memory);
  g_test_add_func ("/planner/xenopsd/invalid-matrix-disables-numa",
                   test_invalid_matrix_disables_numa);
  g_test_add_func ("/planner/xenopsd/group-ends-at-other-mean", test_group_ends_at_other_mean);
  g_test_add_func ("/planner/xenopsd/no-plan-keeps-usage", test_no_plan_keeps_usage);
  g_test_add_func ("/planner/xenopsd/predict-memory-follows-the-affine-nodes",
                   test_predict_memory_follows_the_affine_nodes);
  return g_test_run ();
}
