/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-plan.h"

#define GiB 1024

/* n nodes of @free_mib each, 16 CPUs / 8 cores, distances 10 local, 20 remote */
static XaTopology *
make_topology (guint n_nodes, guint64 free_mib)
{
  XaTopology *topo = xa_topology_new (n_nodes);

  topo->overhead_mib_per_vm = 1;
  topo->overhead_kib_per_vcpu = 1176;
  for (guint n = 0; n < n_nodes; n++) {
    topo->nodes[n].free_mib = topo->nodes[n].capacity_mib = free_mib;
    topo->nodes[n].n_cores = 8;
    for (guint c = 0; c < 16; c++) {
      guint id = n * 16 + c;

      g_array_append_val (topo->nodes[n].cpus, id);
    }
  }
  return topo;
}

/* Two sockets of two nodes: 12 within a socket, 32 across. */
static void
set_two_socket_slit (XaTopology *topo)
{
  for (guint i = 0; i < 4; i++) {
    for (guint j = 0; j < 4; j++)
      topo->distances[i * 4 + j] = i == j ? 10 : (i / 2 == j / 2 ? 12 : 32);
  }
}

static GPtrArray *
new_requests (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) xa_request_free);
}

static XaRequest *
add_vm (GPtrArray *requests, const gchar *name, guint64 memory_mib, guint vcpus)
{
  XaRequest *req = xa_request_new (name, memory_mib, vcpus);

  g_ptr_array_add (requests, req);
  return req;
}

static guint64
need_mib (const XaTopology *topo, const XaRequest *req)
{
  return req->memory_mib + xa_topology_overhead_mib (topo, req->vcpus);
}

static void
test_batch_fits_one_node (void)
{
  g_autoptr(XaTopology) topo = make_topology (2, 16 * GiB);
  g_autoptr(GPtrArray) requests = new_requests ();
  g_autoptr(XaPlan) plan = NULL;

  for (guint i = 0; i < 6; i++) {
    g_autofree gchar *name = g_strdup_printf ("vm-%u", i);

    add_vm (requests, name, 5 * GiB, 2);
  }
  plan = xa_plan_batch (topo, requests, 0);
  for (guint i = 0; i < 6; i++) {
    g_assert_cmpint (plan->placements[i].outcome, ==, XA_OUTCOME_PLANNED);
    g_assert_cmpuint (xa_nodeset_count (plan->placements[i].nodes), ==, 1);
    g_assert_true (xa_placement_is_local (&plan->placements[i], 2));
  }
}

static void
test_batch_best_fit_keeps_large_holes (void)
{
  g_autoptr(XaTopology) topo = make_topology (2, 0);
  g_autoptr(GPtrArray) requests = new_requests ();
  g_autoptr(XaPlan) plan = NULL;

  topo->nodes[0].free_mib = 20 * GiB;
  topo->nodes[1].free_mib = 10 * GiB;
  topo->nodes[0].capacity_mib = topo->nodes[1].capacity_mib = 64 * GiB;
  add_vm (requests, "small", 8 * GiB, 1);
  plan = xa_plan_batch (topo, requests, 0);
  g_assert_cmpuint (plan->placements[0].nodes, ==, 0x2);
  g_assert_cmpuint (plan->placements[0].mib_by_node[1], ==, need_mib (topo, g_ptr_array_index (requests, 0)));
}

static void
test_batch_split_uses_closest_nodes (void)
{
  g_autoptr(XaTopology) topo = make_topology (4, 10 * GiB);
  g_autoptr(GPtrArray) requests = new_requests ();
  g_autoptr(XaPlan) plan = NULL;
  const XaPlacement *placement;

  set_two_socket_slit (topo);
  /* node 1 is nearly full: a naive "most free" pair would be 0 and 2 */
  topo->nodes[1].free_mib = 9 * GiB;
  add_vm (requests, "big", 15 * GiB, 4);
  plan = xa_plan_batch (topo, requests, 0);
  placement = &plan->placements[0];
  g_assert_cmpint (placement->outcome, ==, XA_OUTCOME_PLANNED);
  g_assert_cmpuint (xa_nodeset_count (placement->nodes), ==, 2);
  g_assert_true (placement->nodes == 0x3 || placement->nodes == 0xc);
  g_assert_cmpuint (xa_placement_total_mib (placement, 4), ==,
                    need_mib (topo, g_ptr_array_index (requests, 0)));
  g_assert_false (xa_placement_is_local (placement, 4));
}

static void
test_batch_defers_and_rejects (void)
{
  g_autoptr(XaTopology) topo = make_topology (2, 8 * GiB);
  g_autoptr(GPtrArray) requests = new_requests ();
  g_autoptr(XaPlan) plan = NULL;

  topo->nodes[0].capacity_mib = topo->nodes[1].capacity_mib = 32 * GiB;
  add_vm (requests, "fits-later", 20 * GiB, 2);
  add_vm (requests, "too-big", 80 * GiB, 2);
  add_vm (requests, "too-many-vcpus", 1 * GiB, 33);
  add_vm (requests, "fits", 4 * GiB, 2);
  plan = xa_plan_batch (topo, requests, 0);
  g_assert_cmpint (plan->placements[0].outcome, ==, XA_OUTCOME_DEFERRED);
  g_assert_cmpstr (plan->placements[0].reason, ==,
                   "it needs 20484 MiB with overhead, but its nodes (0-1) have 12284 MiB free "
                   "in this batch");
  g_assert_cmpint (plan->placements[1].outcome, ==, XA_OUTCOME_REJECTED);
  g_assert_cmpstr (plan->placements[1].reason, ==,
                   "it needs 81924 MiB with overhead, but its nodes (0-1) hold at most "
                   "65536 MiB beside the resident domains");
  g_assert_cmpint (plan->placements[2].outcome, ==, XA_OUTCOME_REJECTED);
  g_assert_cmpstr (plan->placements[2].reason, ==, "it has 33 vCPUs, but the host has 32 CPUs");
  g_assert_cmpint (plan->placements[3].outcome, ==, XA_OUTCOME_PLANNED);
  for (guint n = 0; n < 2; n++)
    g_assert_cmpuint (plan->placements[0].mib_by_node[n], ==, 0);
}

static void
test_batch_admits_by_priority (void)
{
  g_autoptr(XaTopology) topo = make_topology (1, 10 * GiB);
  g_autoptr(GPtrArray) requests = new_requests ();
  g_autoptr(XaPlan) plan = NULL;

  add_vm (requests, "bulk", 8 * GiB, 1);
  add_vm (requests, "important", 4 * GiB, 1)->priority = 10;
  plan = xa_plan_batch (topo, requests, 0);
  g_assert_cmpint (plan->placements[0].outcome, ==, XA_OUTCOME_DEFERRED);
  g_assert_cmpint (plan->placements[1].outcome, ==, XA_OUTCOME_PLANNED);
}

static void
test_batch_honours_allowed_nodes_and_hard_affinity (void)
{
  g_autoptr(XaTopology) topo = make_topology (2, 16 * GiB);
  g_autoptr(GPtrArray) requests = new_requests ();
  g_autoptr(XaPlan) plan = NULL;
  XaRequest *pinned;
  guint cpus[] = { 0, 1, 16, 17 };

  add_vm (requests, "near-nic", 2 * GiB, 1)->nodes = 0x2;
  pinned = add_vm (requests, "pinned", 4 * GiB, 2);
  pinned->hard_affinity = g_array_new (FALSE, FALSE, sizeof (guint));
  g_array_append_vals (pinned->hard_affinity, cpus, G_N_ELEMENTS (cpus));
  plan = xa_plan_batch (topo, requests, 0);
  g_assert_cmpuint (plan->placements[0].nodes, ==, 0x2);
  /* not NUMA-placed, but its memory counts on the nodes of its CPUs */
  g_assert_cmpint (plan->placements[1].outcome, ==, XA_OUTCOME_PLANNED);
  g_assert_cmpuint (plan->placements[1].nodes, ==, 0);
  g_assert_cmpuint (plan->placements[1].mib_by_node[0], >, 0);
  g_assert_cmpuint (plan->placements[1].mib_by_node[1], >, 0);
  g_assert_cmpuint (xa_placement_total_mib (&plan->placements[1], 2), ==, need_mib (topo, pinned));
}

static void
test_batch_skips_unusable_nodes (void)
{
  g_autoptr(XaTopology) topo = make_topology (2, 16 * GiB);
  g_autoptr(GPtrArray) requests = new_requests ();
  g_autoptr(XaPlan) plan = NULL;

  topo->distances[3] = XA_DISTANCE_UNREACHABLE;
  topo->nodes[0].free_mib = 1 * GiB;
  add_vm (requests, "vm", 2 * GiB, 1);
  plan = xa_plan_batch (topo, requests, 0);
  g_assert_cmpint (plan->placements[0].outcome, ==, XA_OUTCOME_DEFERRED);
}

/* A random host of 1-8 nodes with a symmetric distance table and random free
 * memory, and a batch of random VMs, some restricted or pinned. */
static XaTopology *
random_topology (GRand *rand)
{
  guint n_nodes = (guint) g_rand_int_range (rand, 1, 9);
  XaTopology *topo = make_topology (n_nodes, 0);

  for (guint i = 0; i < n_nodes; i++) {
    topo->nodes[i].capacity_mib = 64 * GiB;
    topo->nodes[i].free_mib = (guint64) g_rand_int_range (rand, 0, 64 * GiB + 1);
    topo->nodes[i].vcpus_placed = (guint) g_rand_int_range (rand, 0, 16);
    for (guint j = 0; j < i; j++) {
      guint32 d = (guint32) g_rand_int_range (rand, 11, 41);

      topo->distances[i * n_nodes + j] = topo->distances[j * n_nodes + i] = d;
    }
  }
  return topo;
}

static GPtrArray *
random_requests (GRand *rand, const XaTopology *topo)
{
  GPtrArray *requests = new_requests ();
  guint n_vms = (guint) g_rand_int_range (rand, 1, 40);

  for (guint i = 0; i < n_vms; i++) {
    g_autofree gchar *name = g_strdup_printf ("vm-%u", i);
    XaRequest *req = add_vm (requests, name, (guint64) g_rand_int_range (rand, 256, 48 * GiB),
                             (guint) g_rand_int_range (rand, 1, 17));
    gint kind = g_rand_int_range (rand, 0, 10);

    req->priority = g_rand_int_range (rand, -2, 3);
    if (kind == 0) {
      req->nodes = (XaNodeSet) g_rand_int_range (rand, 1, (gint) xa_nodeset_all (topo->n_nodes) + 1);
    } else if (kind == 1) {
      guint cpu = (guint) g_rand_int_range (rand, 0, (gint) xa_topology_n_cpus (topo));

      req->hard_affinity = g_array_new (FALSE, FALSE, sizeof (guint));
      g_array_append_val (req->hard_affinity, cpu);
    }
  }
  return requests;
}

static guint32
max_distance (const XaTopology *topo, XaNodeSet set)
{
  guint32 max = 0;

  for (guint i = 0; i < topo->n_nodes; i++) {
    for (guint j = 0; j < topo->n_nodes; j++) {
      if (xa_nodeset_has (set, i) && xa_nodeset_has (set, j))
        max = MAX (max, xa_topology_distance (topo, i, j));
    }
  }
  return max;
}

/* Free memory only shrinks while a batch is planned, so what is left at the
 * end was there when each VM was placed: no VM may have passed over a single
 * node, or a closer set of nodes, that still holds it. */
static void
check_split_was_needed (const XaTopology *topo, const XaRequest *req,
                        const XaPlacement *placement, const guint64 *left)
{
  XaNodeSet allowed = req->nodes != 0 ? req->nodes : xa_nodeset_all (topo->n_nodes);
  guint size = xa_nodeset_count (placement->nodes);
  guint64 need = need_mib (topo, req);

  for (XaNodeSet s = allowed; s != 0; s = (s - 1) & allowed) {
    guint64 sum = 0;

    for (guint n = 0; n < topo->n_nodes; n++)
      sum += xa_nodeset_has (s, n) ? left[n] : 0;
    if (sum < need)
      continue;
    g_assert_cmpuint (xa_nodeset_count (s), >=, size);
    if (xa_nodeset_count (s) == size)
      g_assert_cmpuint (max_distance (topo, s), >=, max_distance (topo, placement->nodes));
  }
}

static void
check_plan (const XaTopology *topo, GPtrArray *requests, const XaPlan *plan)
{
  g_autofree guint64 *left = g_new0 (guint64, topo->n_nodes);

  for (guint n = 0; n < topo->n_nodes; n++) {
    guint64 planned = 0;

    for (guint i = 0; i < plan->n_placements; i++)
      planned += plan->placements[i].mib_by_node[n];
    g_assert_cmpuint (planned, <=, topo->nodes[n].free_mib);
    left[n] = topo->nodes[n].free_mib - planned;
  }
  for (guint i = 0; i < plan->n_placements; i++) {
    const XaPlacement *placement = &plan->placements[i];
    const XaRequest *req = g_ptr_array_index (requests, i);
    guint64 total = xa_placement_total_mib (placement, topo->n_nodes);

    if (placement->outcome != XA_OUTCOME_PLANNED) {
      g_assert_cmpuint (total, ==, 0);
      g_assert_nonnull (placement->reason);
      continue;
    }
    g_assert_cmpuint (total, ==, need_mib (topo, req));
    g_assert_null (placement->reason);
    if (req->hard_affinity != NULL)
      continue;
    for (guint n = 0; n < topo->n_nodes; n++)
      g_assert_true (placement->mib_by_node[n] == 0 || xa_nodeset_has (placement->nodes, n));
    if (req->nodes != 0)
      g_assert_cmpuint (placement->nodes & ~req->nodes, ==, 0);
    check_split_was_needed (topo, req, placement, left);
  }
}

static void
test_batch_never_over_plans (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261123);

  for (guint round = 0; round < 2000; round++) {
    g_autoptr(XaTopology) topo = random_topology (rand);
    g_autoptr(GPtrArray) requests = random_requests (rand, topo);
    g_autoptr(XaPlan) plan = xa_plan_batch (topo, requests, 0);

    check_plan (topo, requests, plan);
  }
}

static void
test_batch_is_deterministic (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  g_autoptr(XaTopology) topo = random_topology (rand);
  g_autoptr(GPtrArray) requests = random_requests (rand, topo);
  g_autoptr(XaPlan) a = xa_plan_batch (topo, requests, 0);
  g_autoptr(XaPlan) b = xa_plan_batch (topo, requests, 0);

  for (guint i = 0; i < a->n_placements; i++) {
    g_assert_cmpint (a->placements[i].outcome, ==, b->placements[i].outcome);
    g_assert_cmpuint (a->placements[i].nodes, ==, b->placements[i].nodes);
    for (guint n = 0; n < topo->n_nodes; n++)
      g_assert_cmpuint (a->placements[i].mib_by_node[n], ==, b->placements[i].mib_by_node[n]);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/planner/batch/fits-one-node", test_batch_fits_one_node);
  g_test_add_func ("/planner/batch/best-fit-keeps-large-holes", test_batch_best_fit_keeps_large_holes);
  g_test_add_func ("/planner/batch/split-uses-closest-nodes", test_batch_split_uses_closest_nodes);
  g_test_add_func ("/planner/batch/defers-and-rejects", test_batch_defers_and_rejects);
  g_test_add_func ("/planner/batch/admits-by-priority", test_batch_admits_by_priority);
  g_test_add_func ("/planner/batch/honours-allowed-nodes-and-hard-affinity",
                   test_batch_honours_allowed_nodes_and_hard_affinity);
  g_test_add_func ("/planner/batch/skips-unusable-nodes", test_batch_skips_unusable_nodes);
  g_test_add_func ("/planner/batch/never-over-plans", test_batch_never_over_plans);
  g_test_add_func ("/planner/batch/is-deterministic", test_batch_is_deterministic);
  return g_test_run ();
}
