/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-mem.h"
#include "xa-plan.h"
#include "xa-repack.h"
#include "xa-test-util.h"

/* Two sockets of two nodes: 12 within a socket, 32 across. */
static void
set_two_socket_slit (XaTopology *topo)
{
  for (guint i = 0; i < 4; i++) {
    for (guint j = 0; j < 4; j++)
      topo->distances[i * 4 + j] = i == j ? 10 : (i / 2 == j / 2 ? 12 : 32);
  }
}

/* The outcomes of the two requests @plan places. */
static void
assert_outcomes (const XaPlan *plan, XaOutcome first, XaOutcome second)
{
  g_assert_cmpuint (plan->n_placements, ==, 2);
  g_assert_cmpint (plan->placements[0].outcome, ==, first);
  g_assert_cmpint (plan->placements[1].outcome, ==, second);
}

static void
test_batch_fits_each_vm_on_one_node (void)
{
  g_autoptr(XaTopology) topo = xa_test_topology_new_xen (2, 16 * GiB);
  g_autoptr(GPtrArray) requests = xa_test_requests_new ();
  g_autoptr(XaPlan) plan = NULL;

  xa_test_add_vms (requests, 6, 5 * GiB, 2);
  plan = xa_batch_plan (topo, requests, 0);
  for (guint i = 0; i < 6; i++) {
    g_assert_cmpint (plan->placements[i].outcome, ==, XA_OUTCOME_PLANNED);
    g_assert_cmpuint (xa_nodeset_count (plan->placements[i].nodes), ==, 1);
    g_assert_true (xa_placement_is_local (&plan->placements[i], 2));
  }
}

static void
test_batch_best_fit_keeps_large_holes (void)
{
  g_autoptr(XaTopology) topo = xa_test_topology_new_xen (2, 0);
  g_autoptr(GPtrArray) requests = xa_test_requests_new ();
  g_autoptr(XaPlan) plan = NULL;

  topo->nodes[0].free_mib = 20 * GiB;
  topo->nodes[1].free_mib = 10 * GiB;
  topo->nodes[0].capacity_mib = topo->nodes[1].capacity_mib = 64 * GiB;
  xa_test_add_vm (requests, "small", 8 * GiB, 1);
  plan = xa_batch_plan (topo, requests, 0);
  g_assert_cmpuint (plan->placements[0].nodes, ==, 0x2);
  g_assert_cmpuint (plan->placements[0].mib_by_node[1], ==,
                    xa_mem_request_need_mib (topo, g_ptr_array_index (requests, 0)));
}

static void
test_batch_split_uses_closest_nodes (void)
{
  g_autoptr(XaTopology) topo = xa_test_topology_new_xen (4, 10 * GiB);
  g_autoptr(GPtrArray) requests = xa_test_requests_new ();
  g_autoptr(XaPlan) plan = NULL;
  const XaPlacement *placement;

  set_two_socket_slit (topo);
  /* node 1 is nearly full: a naive "most free" pair would be 0 and 2 */
  topo->nodes[1].free_mib = 9 * GiB;
  xa_test_add_vm (requests, "big", 15 * GiB, 4);
  plan = xa_batch_plan (topo, requests, 0);
  placement = &plan->placements[0];
  g_assert_cmpint (placement->outcome, ==, XA_OUTCOME_PLANNED);
  g_assert_cmpuint (xa_nodeset_count (placement->nodes), ==, 2);
  g_assert_true (placement->nodes == 0x3 || placement->nodes == 0xc);
  g_assert_cmpuint (xa_test_placement_mib (placement, 4), ==,
                    xa_mem_request_need_mib (topo, g_ptr_array_index (requests, 0)));
  g_assert_false (xa_placement_is_local (placement, 4));
}

static void
test_batch_defers_and_rejects (void)
{
  g_autoptr(XaTopology) topo = xa_test_topology_new_xen (2, 8 * GiB);
  g_autoptr(GPtrArray) requests = xa_test_requests_new ();
  g_autoptr(XaPlan) plan = NULL;

  topo->nodes[0].capacity_mib = topo->nodes[1].capacity_mib = 32 * GiB;
  xa_test_add_vm (requests, "fits-later", 20 * GiB, 2);
  xa_test_add_vm (requests, "too-big", 80 * GiB, 2);
  xa_test_add_vm (requests, "too-many-vcpus", 1 * GiB, 33);
  xa_test_add_vm (requests, "fits", 4 * GiB, 2);
  plan = xa_batch_plan (topo, requests, 0);
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
  g_autoptr(XaTopology) topo = xa_test_topology_new_xen (1, 10 * GiB);
  g_autoptr(GPtrArray) requests = xa_test_requests_new ();
  g_autoptr(XaPlan) plan = NULL;

  xa_test_add_vm (requests, "bulk", 8 * GiB, 1);
  xa_test_add_vm (requests, "important", 4 * GiB, 1)->priority = 10;
  plan = xa_batch_plan (topo, requests, 0);
  assert_outcomes (plan, XA_OUTCOME_DEFERRED, XA_OUTCOME_PLANNED);
}

static void
test_batch_honours_allowed_nodes_and_hard_affinity (void)
{
  g_autoptr(XaTopology) topo = xa_test_topology_new_xen (2, 16 * GiB);
  g_autoptr(GPtrArray) requests = xa_test_requests_new ();
  g_autoptr(XaPlan) plan = NULL;
  XaRequest *pinned;
  guint cpus[] = { 0, 1, 16, 17 };

  xa_test_add_vm (requests, "near-nic", 2 * GiB, 1)->nodes = 0x2;
  pinned = xa_test_add_vm (requests, "pinned", 4 * GiB, 2);
  pinned->hard_affinity = g_array_new (FALSE, FALSE, sizeof (guint));
  g_array_append_vals (pinned->hard_affinity, cpus, G_N_ELEMENTS (cpus));
  plan = xa_batch_plan (topo, requests, 0);
  g_assert_cmpuint (plan->placements[0].nodes, ==, 0x2);
  /* not NUMA-placed, but its memory counts on the nodes of its CPUs */
  g_assert_cmpint (plan->placements[1].outcome, ==, XA_OUTCOME_PLANNED);
  g_assert_cmpuint (plan->placements[1].nodes, ==, 0);
  g_assert_cmpuint (plan->placements[1].mib_by_node[0], >, 0);
  g_assert_cmpuint (plan->placements[1].mib_by_node[1], >, 0);
  g_assert_cmpuint (xa_test_placement_mib (&plan->placements[1], 2), ==,
                    xa_mem_request_need_mib (topo, pinned));
}

static void
test_batch_skips_unusable_nodes (void)
{
  g_autoptr(XaTopology) topo = xa_test_topology_new_xen (2, 16 * GiB);
  g_autoptr(GPtrArray) requests = xa_test_requests_new ();
  g_autoptr(XaPlan) plan = NULL;

  topo->distances[3] = XA_DISTANCE_UNREACHABLE;
  topo->nodes[0].free_mib = 1 * GiB;
  xa_test_add_vm (requests, "vm", 2 * GiB, 1);
  plan = xa_batch_plan (topo, requests, 0);
  g_assert_cmpint (plan->placements[0].outcome, ==, XA_OUTCOME_DEFERRED);
}

/* A random host of 1-8 nodes with a symmetric distance table and random free
 * memory, and a batch of random VMs, some restricted or pinned. */
static XaTopology *
random_topology (GRand *rand)
{
  guint n_nodes = (guint) g_rand_int_range (rand, 1, 9);
  XaTopology *topo = xa_test_topology_new_xen (n_nodes, 0);

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
  GPtrArray *requests = xa_test_requests_new ();
  guint n_vms = (guint) g_rand_int_range (rand, 1, 40);

  for (guint i = 0; i < n_vms; i++) {
    XaRequest *req = xa_test_add_vm (requests, NULL,
                                     (guint64) g_rand_int_range (rand, 256, 48 * GiB),
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
  guint64 need = xa_mem_request_need_mib (topo, req);

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
    guint64 total = xa_test_placement_mib (placement, topo->n_nodes);

    if (placement->outcome != XA_OUTCOME_PLANNED) {
      g_assert_cmpuint (total, ==, 0);
      g_assert_nonnull (placement->reason);
      continue;
    }
    g_assert_cmpuint (total, ==, xa_mem_request_need_mib (topo, req));
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
    g_autoptr(XaPlan) plan = xa_batch_plan (topo, requests, 0);

    check_plan (topo, requests, plan);
  }
}

static void
test_batch_is_deterministic (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  g_autoptr(XaTopology) topo = random_topology (rand);
  g_autoptr(GPtrArray) requests = random_requests (rand, topo);
  g_autoptr(XaPlan) a = xa_batch_plan (topo, requests, 0);
  g_autoptr(XaPlan) b = xa_batch_plan (topo, requests, 0);

  for (guint i = 0; i < a->n_placements; i++) {
    g_assert_cmpint (a->placements[i].outcome, ==, b->placements[i].outcome);
    g_assert_cmpuint (a->placements[i].nodes, ==, b->placements[i].nodes);
    for (guint n = 0; n < topo->n_nodes; n++)
      g_assert_cmpuint (a->placements[i].mib_by_node[n], ==, b->placements[i].mib_by_node[n]);
  }
}


static guint
vcpus_on_node (const XaPlan *plan, GPtrArray *requests, guint node)
{
  guint vcpus = 0;

  for (guint i = 0; i < plan->n_placements; i++) {
    const XaRequest *req = g_ptr_array_index (requests, i);

    if (plan->placements[i].nodes == XA_NODESET_BIT (node))
      vcpus += req->vcpus;
  }
  return vcpus;
}

/* Best fit alone puts 5 and 4 on node 0 and the three 3s on node 1: the
 * 2 then fits neither. Repacking the two nodes finds 5+3+2 and 4+3+3. */
static void
test_batch_repacks_to_fit_one_node (void)
{
  static const guint64 sizes_gib[] = { 5, 4, 3, 3, 3, 2 };
  g_autoptr(XaTopology) topo = xa_test_topology_new_xen (2, 10 * GiB);
  g_autoptr(GPtrArray) requests = xa_test_requests_of_gib (sizes_gib, G_N_ELEMENTS (sizes_gib), 1);
  g_autoptr(XaPlan) plan = NULL;

  topo->overhead_mib_per_vm = topo->overhead_kib_per_vcpu = 0;
  plan = xa_batch_plan (topo, requests, 0);
  g_assert_cmpuint (xa_plan_count_local (plan), ==, G_N_ELEMENTS (sizes_gib));
  check_plan (topo, requests, plan);
}

/* 10 GiB for 8, 3, 3 and 3 GiB: the three small ones, not the large one. */
static void
test_batch_admits_the_most_vms_when_short (void)
{
  g_autoptr(XaTopology) topo = xa_test_topology_new_xen (1, 10 * GiB);
  g_autoptr(GPtrArray) requests = xa_test_requests_new ();
  g_autoptr(XaPlan) plan = NULL;

  xa_test_add_vm (requests, "large", 8 * GiB, 1);
  xa_test_add_vms (requests, 3, 3 * GiB, 1);
  plan = xa_batch_plan (topo, requests, 0);
  g_assert_cmpint (plan->placements[0].outcome, ==, XA_OUTCOME_DEFERRED);
  for (guint i = 1; i < 4; i++)
    g_assert_cmpint (plan->placements[i].outcome, ==, XA_OUTCOME_PLANNED);
}

/* Room for one: each second waited counts as one priority level, so a
 * request queued more seconds earlier than the other's lead goes first. */
static void
test_batch_ages_waiting_requests (void)
{
  g_autoptr(XaTopology) topo = xa_test_topology_new_xen (1, 10 * GiB);
  g_autoptr(GPtrArray) requests = xa_test_requests_new ();
  XaRequest *old = xa_test_add_vm (requests, "old", 6 * GiB, 1);
  XaRequest *urgent = xa_test_add_vm (requests, "urgent", 6 * GiB, 1);
  g_autoptr(XaPlan) lead_wins = NULL;
  g_autoptr(XaPlan) age_wins = NULL;

  old->queued_s = 0;
  urgent->priority = 30;
  urgent->queued_s = 20;
  lead_wins = xa_batch_plan (topo, requests, 20);
  assert_outcomes (lead_wins, XA_OUTCOME_DEFERRED, XA_OUTCOME_PLANNED);
  urgent->queued_s = 40;
  age_wins = xa_batch_plan (topo, requests, 40);
  assert_outcomes (age_wins, XA_OUTCOME_PLANNED, XA_OUTCOME_DEFERRED);
}

/* Node 0 fits more tightly, but only node 1 has a core for every vCPU. */
static void
test_batch_prefers_a_core_per_vcpu (void)
{
  g_autoptr(XaTopology) topo = xa_test_topology_new_xen (2, 16 * GiB);
  g_autoptr(GPtrArray) requests = xa_test_requests_new ();
  g_autoptr(XaPlan) plan = NULL;

  topo->nodes[0].free_mib = 12 * GiB;
  topo->nodes[0].n_cores = 4;
  xa_test_add_vm (requests, "wide", 8 * GiB, 8);
  plan = xa_batch_plan (topo, requests, 0);
  g_assert_cmphex (plan->placements[0].nodes, ==, 0x2);
}

/* Best fit alone would stack all eight 4-vCPU VMs on node 0. */
static void
test_batch_balances_vcpus_against_cores (void)
{
  g_autoptr(XaTopology) topo = xa_test_topology_new_xen (2, 64 * GiB);
  g_autoptr(GPtrArray) requests = xa_test_requests_new ();
  g_autoptr(XaPlan) plan = NULL;

  xa_test_add_vms (requests, 8, 1 * GiB, 4);
  plan = xa_batch_plan (topo, requests, 0);
  g_assert_cmpuint (xa_plan_count_local (plan), ==, 8);
  g_assert_cmpuint (vcpus_on_node (plan, requests, 0), ==, 16);
  g_assert_cmpuint (vcpus_on_node (plan, requests, 1), ==, 16);
}

static void
test_repack_finds_a_tight_packing (void)
{
  const guint64 cap[] = { 10, 10 };
  const guint64 size[] = { 5, 4, 3, 3, 3, 2 };
  const XaNodeSet anywhere[] = { 3, 3, 3, 3, 3, 3 };
  guint bin[G_N_ELEMENTS (size)];
  guint64 load[2] = { 0, 0 };
  guint64 steps = 1000;

  g_assert_true (xa_repack (2, cap, G_N_ELEMENTS (size), size, anywhere, bin, &steps));
  for (guint i = 0; i < G_N_ELEMENTS (size); i++)
    load[bin[i]] += size[i];
  g_assert_cmpuint (load[0], ==, 10);
  g_assert_cmpuint (load[1], ==, 10);
  g_assert_cmpuint (steps, <, 1000);
}

static void
test_repack_honours_allowed_bins (void)
{
  const guint64 cap[] = { 10, 10 };
  const guint64 size[] = { 6, 6 };
  const XaNodeSet both_bin_0[] = { 1, 1 };
  const XaNodeSet one_each[] = { 1, 3 };
  guint bin[2];
  guint64 steps = 1000;

  g_assert_false (xa_repack (2, cap, 2, size, both_bin_0, bin, &steps));
  g_assert_true (xa_repack (2, cap, 2, size, one_each, bin, &steps));
  g_assert_cmpuint (bin[0], ==, 0);
  g_assert_cmpuint (bin[1], ==, 1);
}

/* 13 items of 3 into 4 bins of 10: no packing, and proving it takes more
 * than the two steps it is given. */
static void
test_repack_stops_at_its_budget (void)
{
  const guint64 cap[] = { 10, 10, 10, 10 };
  guint64 size[13];
  XaNodeSet anywhere[13];
  guint bin[13];
  guint64 steps = 2;

  for (guint i = 0; i < 13; i++) {
    size[i] = 3;
    anywhere[i] = 0xf;
  }
  g_assert_false (xa_repack (4, cap, 13, size, anywhere, bin, &steps));
  g_assert_cmpuint (steps, ==, 0);
}

/* Xen's allocator as the planner predicts it: 2 MiB to each node in turn
 * from node 0, a dry node skipped, an odd MiB last. */
static void
test_mem_deals_extents_in_turn (void)
{
  const guint64 room[] = { 10, 100, 100, 100 };
  guint64 mib[4];

  g_assert_cmpuint (xa_mem_deal_extents (4, room, 0x7, 101, mib), ==, 0);
  g_assert_cmpuint (mib[0], ==, 10);
  g_assert_cmpuint (mib[1], ==, 46);
  g_assert_cmpuint (mib[2], ==, 45);
  g_assert_cmpuint (mib[3], ==, 0);
  g_assert_cmpuint (xa_mem_deal_extents (4, NULL, 0x3, 1027, mib), ==, 0);
  g_assert_cmpuint (mib[0], ==, 514);
  g_assert_cmpuint (mib[1], ==, 513);
  g_assert_cmpuint (xa_mem_deal_extents (4, room, 0x1, 15, mib), ==, 5);
  g_assert_cmpuint (mib[0], ==, 10);
}

/* The runner-up of a VM planned on one node is the tightest other node
 * that still holds it once the whole plan is placed; none when no other
 * node could, and none for a VM that spans nodes. */
static void
test_plan_names_the_runner_up (void)
{
  g_autoptr(XaTopology) topo = xa_test_topology_new (3, 16 * GiB);
  g_autoptr(GPtrArray) requests = xa_test_requests_new ();
  g_autoptr(XaPlan) plan = NULL;
  g_autofree guint64 *left = NULL;
  gint chosen;
  gint runner_up;

  topo->nodes[1].free_mib = 10 * GiB;
  topo->nodes[2].free_mib = 4 * GiB;
  xa_test_add_vm (requests, "small", 2 * GiB, 1);
  xa_test_add_vm (requests, "big", 15 * GiB, 1);
  plan = xa_batch_plan (topo, requests, 0);
  left = xa_plan_left_mib (plan, topo);
  g_assert_cmpuint (left[0] + left[1] + left[2], ==, 30 * GiB - 17 * GiB);
  chosen = __builtin_ctzll (plan->placements[0].nodes);
  runner_up = xa_plan_runner_up (plan, topo, left, g_ptr_array_index (requests, 0), 0);
  g_assert_cmpint (runner_up, >=, 0);
  g_assert_cmpint (runner_up, !=, chosen);
  for (guint n = 0; n < 3; n++) {
    if ((gint) n != chosen && left[n] >= 2 * GiB)
      g_assert_cmpuint (left[runner_up], <=, left[n]);
  }
  /* only node 0 ever held the big one */
  g_assert_cmpint (xa_plan_runner_up (plan, topo, left, g_ptr_array_index (requests, 1), 1), ==,
                   -1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/planner/mem/deals-extents-in-turn", test_mem_deals_extents_in_turn);
  g_test_add_func ("/planner/batch/fits-each-vm-on-one-node", test_batch_fits_each_vm_on_one_node);
  g_test_add_func ("/planner/batch/best-fit-keeps-large-holes", test_batch_best_fit_keeps_large_holes);
  g_test_add_func ("/planner/batch/split-uses-closest-nodes", test_batch_split_uses_closest_nodes);
  g_test_add_func ("/planner/batch/defers-and-rejects", test_batch_defers_and_rejects);
  g_test_add_func ("/planner/batch/admits-by-priority", test_batch_admits_by_priority);
  g_test_add_func ("/planner/batch/honours-allowed-nodes-and-hard-affinity",
                   test_batch_honours_allowed_nodes_and_hard_affinity);
  g_test_add_func ("/planner/batch/skips-unusable-nodes", test_batch_skips_unusable_nodes);
  g_test_add_func ("/planner/batch/never-over-plans", test_batch_never_over_plans);
  g_test_add_func ("/planner/batch/is-deterministic", test_batch_is_deterministic);
  g_test_add_func ("/planner/batch/repacks-to-fit-one-node", test_batch_repacks_to_fit_one_node);
  g_test_add_func ("/planner/batch/admits-the-most-vms-when-short",
                   test_batch_admits_the_most_vms_when_short);
  g_test_add_func ("/planner/batch/ages-waiting-requests", test_batch_ages_waiting_requests);
  g_test_add_func ("/planner/batch/prefers-a-core-per-vcpu", test_batch_prefers_a_core_per_vcpu);
  g_test_add_func ("/planner/batch/balances-vcpus-against-cores",
                   test_batch_balances_vcpus_against_cores);
  g_test_add_func ("/planner/repack/finds-a-tight-packing", test_repack_finds_a_tight_packing);
  g_test_add_func ("/planner/repack/honours-allowed-bins", test_repack_honours_allowed_bins);
  g_test_add_func ("/planner/repack/stops-at-its-budget", test_repack_stops_at_its_budget);
  g_test_add_func ("/planner/plan/names-the-runner-up", test_plan_names_the_runner_up);
  return g_test_run ();
}
