/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-host-file.h"
#include "xa-manifest.h"
#include "xa-plan.h"
#include "xa-test-util.h"

static guint
overplanned_vms (const XaPlan *plan, const XaTopology *topo)
{
  guint vms;
  guint64 mib;

  xa_plan_overplanned (plan, topo, &vms, &mib);
  g_assert_cmpuint (vms == 0, ==, mib == 0);
  return vms;
}

/* Three 6 GiB VMs on two 10 GiB nodes. Every parallel build sees 10 GiB
 * free on both nodes: xenopsd spreads them by its usage counters only and
 * the third lands on node 0 again, which cannot hold it. */
static void
test_xenopsd_sees_free_memory_unchanged (void)
{
  static const guint64 gib[] = { 6, 6, 6 };
  g_autoptr(XaTopology) topo = xa_test_topology_new (2, 10 * GiB);
  g_autoptr(GPtrArray) requests = xa_test_requests_of_gib (gib, G_N_ELEMENTS (gib), 2);
  g_autoptr(XaPlan) xenopsd = xa_test_plan (topo, requests, XA_POLICY_XENOPSD);
  g_autoptr(XaPlan) batch = xa_test_plan (topo, requests, XA_POLICY_BATCH);

  g_assert_cmphex (xenopsd->placements[0].nodes, ==, 0x1);
  g_assert_cmphex (xenopsd->placements[1].nodes, ==, 0x2);
  g_assert_cmphex (xenopsd->placements[2].nodes, ==, 0x1);
  g_assert_cmpuint (overplanned_vms (xenopsd, topo), ==, 1);
  /* batch: two on one node each, the third split over what is left */
  g_assert_cmpuint (xa_plan_count_local (batch), ==, 2);
  g_assert_cmpuint (overplanned_vms (batch, topo), ==, 0);
}

/* With per-node claims the third VM's plan must span both nodes: HEAD drops
 * such a plan, so it has no affinity and Xen stripes it. */
static void
test_nodeclaim_claims_single_nodes (void)
{
  static const guint64 gib[] = { 6, 6, 6 };
  g_autoptr(XaTopology) topo = xa_test_topology_new (2, 10 * GiB);
  g_autoptr(GPtrArray) requests = xa_test_requests_of_gib (gib, G_N_ELEMENTS (gib), 2);
  g_autoptr(XaPlan) plan = NULL;

  topo->node_claims = TRUE;
  plan = xa_test_plan (topo, requests, XA_POLICY_XENOPSD_NODECLAIM);
  g_assert_cmphex (plan->placements[0].nodes, ==, 0x1);
  g_assert_cmphex (plan->placements[1].nodes, ==, 0x2);
  g_assert_cmpint (plan->placements[2].outcome, ==, XA_OUTCOME_PLANNED);
  g_assert_cmphex (plan->placements[2].nodes, ==, 0);
  g_assert_cmpuint (plan->placements[2].mib_by_node[0], ==, 3 * GiB);
  g_assert_cmpuint (plan->placements[2].mib_by_node[1], ==, 3 * GiB);
}

/* Host-wide claims: the third start finds 4 GiB unclaimed and fails. */
static void
test_host_claim_fails_the_start (void)
{
  static const guint64 gib[] = { 8, 8, 6 };
  g_autoptr(XaTopology) topo = xa_test_topology_new (2, 10 * GiB);
  g_autoptr(GPtrArray) requests = xa_test_requests_of_gib (gib, G_N_ELEMENTS (gib), 2);
  g_autoptr(XaPlan) xenopsd = xa_test_plan (topo, requests, XA_POLICY_XENOPSD);
  g_autoptr(XaPlan) legacy = xa_test_plan (topo, requests, XA_POLICY_XENOPSD_LEGACY);

  g_assert_cmpint (xenopsd->placements[2].outcome, ==, XA_OUTCOME_FAILED);
  g_assert_cmpstr (xenopsd->placements[2].reason, ==,
                   "xenopsd's host-wide claim of 6144 MiB fails (ENOMEM): the starts before it "
                   "claimed all but 4096 MiB");
  /* the legacy version makes no claims: the start goes ahead, over-planned */
  g_assert_cmpint (legacy->placements[2].outcome, ==, XA_OUTCOME_PLANNED);
  g_assert_cmpuint (overplanned_vms (legacy, topo), ==, 1);
}

/* A VM larger than any node: HEAD drops the two-node plan, legacy keeps it. */
static void
test_legacy_keeps_multi_node_plans (void)
{
  static const guint64 gib[] = { 15 };
  g_autoptr(XaTopology) topo = xa_test_topology_new (2, 10 * GiB);
  g_autoptr(GPtrArray) requests = xa_test_requests_of_gib (gib, G_N_ELEMENTS (gib), 2);
  g_autoptr(XaPlan) xenopsd = xa_test_plan (topo, requests, XA_POLICY_XENOPSD);
  g_autoptr(XaPlan) legacy = xa_test_plan (topo, requests, XA_POLICY_XENOPSD_LEGACY);

  g_assert_cmphex (xenopsd->placements[0].nodes, ==, 0);
  g_assert_cmphex (legacy->placements[0].nodes, ==, 0x3);
}

/* Best_effort asks a core per vCPU; the legacy version asked none. */
static void
test_reference_asks_a_core_per_vcpu (void)
{
  g_autoptr(XaTopology) topo = xa_test_topology_new (2, 10 * GiB);
  g_autoptr(GPtrArray) requests = xa_test_requests_new ();
  g_autoptr(XaPlan) xenopsd = NULL;
  g_autoptr(XaPlan) legacy = NULL;

  xa_test_add_vm (requests, "wide", 1 * GiB, 12);
  xenopsd = xa_test_plan (topo, requests, XA_POLICY_XENOPSD);
  legacy = xa_test_plan (topo, requests, XA_POLICY_XENOPSD_LEGACY);
  /* 12 vCPUs need two nodes' 8 cores: a multi-node plan, dropped */
  g_assert_cmphex (xenopsd->placements[0].nodes, ==, 0);
  g_assert_cmphex (legacy->placements[0].nodes, ==, 0x1);
}

static void
test_wait_for_free_memory_gives_up (void)
{
  static const guint64 gib[] = { 24 };
  g_autoptr(XaTopology) topo = xa_test_topology_new (2, 10 * GiB);
  g_autoptr(GPtrArray) requests = xa_test_requests_of_gib (gib, G_N_ELEMENTS (gib), 2);
  g_autoptr(XaPlan) plan = NULL;

  topo->nodes[0].capacity_mib = topo->nodes[1].capacity_mib = 32 * GiB;
  plan = xa_test_plan (topo, requests, XA_POLICY_XENOPSD);
  g_assert_cmpint (plan->placements[0].outcome, ==, XA_OUTCOME_FAILED);
  g_assert_cmpstr (plan->placements[0].reason, ==,
                   "xenopsd's wait for free memory gives up: the host has 20480 MiB free, "
                   "the VM needs 24576 MiB with overhead");
}

static void
test_nodeclaim_needs_node_claims (void)
{
  static const guint64 gib[] = { 1 };
  g_autoptr(XaTopology) topo = xa_test_topology_new (2, 10 * GiB);
  g_autoptr(GPtrArray) requests = xa_test_requests_of_gib (gib, G_N_ELEMENTS (gib), 2);
  XaPlanOptions options = { .policy = XA_POLICY_XENOPSD_NODECLAIM };
  g_autoptr(GError) error = NULL;
  g_autoptr(XaPlan) plan = xa_plan (topo, requests, &options, &error);

  g_assert_null (plan);
  g_assert_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT);
}

static void
test_policy_names_round_trip (void)
{
  g_autoptr(GError) error = NULL;
  XaPolicy policy = XA_POLICY_BATCH;

  for (guint p = 0; p <= XA_POLICY_LAST; p++) {
    g_assert_true (xa_policy_from_string (xa_policy_to_string ((XaPolicy) p), &policy, NULL));
    g_assert_cmpint (policy, ==, p);
  }
  g_assert_false (xa_policy_from_string ("best-effort", &policy, &error));
  g_assert_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT);
  g_assert_cmpstr (error->message, ==,
                   "\"best-effort\" is not a policy (use one of batch, xenopsd, "
                   "xenopsd-nodeclaim, xenopsd-legacy, exact)");
}

/* The dispatcher plans with every policy, each named by a word that
 * round-trips; only the node-claim model asks anything of the host. */
static void
test_policy_table (void)
{
  g_autoptr(XaTopology) topo = xa_test_topology_new (2, 16 * GiB);
  g_autoptr(GPtrArray) requests = xa_test_requests_new ();

  xa_test_add_vm (requests, "one", GiB, 1);
  topo->node_claims = TRUE;
  for (guint p = 0; p <= XA_POLICY_LAST; p++) {
    XaPlanOptions options = { (XaPolicy) p, 0 };
    g_autoptr(GError) error = NULL;
    g_autoptr(XaPlan) plan = xa_plan (topo, requests, &options, &error);
    XaPolicy back = XA_POLICY_LAST;

    g_assert_no_error (error);
    g_assert_cmpuint (plan->n_placements, ==, 1);
    g_assert_cmpint (plan->placements[0].outcome, ==, XA_OUTCOME_PLANNED);
    g_assert_true (xa_policy_from_string (xa_policy_to_string ((XaPolicy) p), &back, NULL));
    g_assert_cmpint (back, ==, p);
  }
  topo->node_claims = FALSE;
  g_assert_false (xa_plan_check_policy (XA_POLICY_XENOPSD_NODECLAIM, topo, NULL));
  g_assert_true (xa_plan_check_policy (XA_POLICY_XENOPSD, topo, NULL));
}

/* Four nodes of 16 GiB in two islands, 0-1 and 2-3, that cannot reach
 * each other. */
static XaTopology *
two_islands_new (void)
{
  XaTopology *topo = xa_test_topology_new (4, 16 * GiB);

  for (guint i = 0; i < 4; i++) {
    for (guint j = 0; j < 4; j++) {
      if (i / 2 != j / 2)
        topo->distances[i * 4 + j] = XA_DISTANCE_UNREACHABLE;
    }
  }
  return topo;
}

/* A VM that fits no set of nodes that reach each other can never fit:
 * every policy rejects it and says why; a pinned VM goes where its CPUs
 * are, reachable or not. */
static void
test_policy_rejects_what_fits_no_reachable_set (void)
{
  g_autoptr(XaTopology) topo = two_islands_new ();
  g_autoptr(GPtrArray) requests = xa_test_requests_new ();
  XaRequest *pinned;
  guint cpus[] = { 0, 32 };

  xa_test_add_vm (requests, "big", 40 * GiB, 2);
  xa_test_add_vm (requests, "island", 24 * GiB, 2);
  pinned = xa_test_add_vm (requests, "pinned", 8 * GiB, 2);
  pinned->hard_affinity = g_array_new (FALSE, FALSE, sizeof (guint));
  g_array_append_vals (pinned->hard_affinity, cpus, G_N_ELEMENTS (cpus));
  for (guint p = 0; p <= XA_POLICY_LAST; p++) {
    g_autoptr(XaPlan) plan = NULL;

    if (p == XA_POLICY_XENOPSD_NODECLAIM)
      continue;
    plan = xa_test_plan (topo, requests, (XaPolicy) p);
    g_test_message ("%s: %s", xa_policy_to_string ((XaPolicy) p), plan->placements[0].reason);
    g_assert_cmpint (plan->placements[0].outcome, ==, XA_OUTCOME_REJECTED);
    g_assert_cmpstr (plan->placements[0].reason, ==,
                     "it needs 40960 MiB with overhead on nodes that can all reach each other, "
                     "but the largest such set of its nodes (0-1) holds at most 32768 MiB beside "
                     "the resident domains");
    g_assert_cmpint (plan->placements[1].outcome, ==, XA_OUTCOME_PLANNED);
    g_assert_cmpint (plan->placements[2].outcome, ==, XA_OUTCOME_PLANNED);
    g_assert_cmpuint (plan->placements[2].mib_by_node[0], ==, 4 * GiB);
    g_assert_cmpuint (plan->placements[2].mib_by_node[2], ==, 4 * GiB);
  }
}

/* Nodes 0 and 2 have the free memory together, but cannot reach each
 * other: the VM waits for room on an island, by batch and exact alike,
 * and the reason says so rather than that its nodes have too little. */
static void
test_policy_never_splits_over_unreachable_nodes (void)
{
  g_autoptr(XaTopology) topo = two_islands_new ();
  g_autoptr(GPtrArray) requests = xa_test_requests_new ();
  const XaPolicy policies[] = { XA_POLICY_BATCH, XA_POLICY_EXACT };

  topo->nodes[1].free_mib = topo->nodes[3].free_mib = 4 * GiB;
  topo->nodes[0].free_mib = topo->nodes[2].free_mib = 12 * GiB;
  xa_test_add_vm (requests, "wide", 20 * GiB, 2);
  for (gsize p = 0; p < G_N_ELEMENTS (policies); p++) {
    g_autoptr(XaPlan) plan = xa_test_plan (topo, requests, policies[p]);

    g_test_message ("%s: %s", xa_policy_to_string (policies[p]), plan->placements[0].reason);
    g_assert_cmpint (plan->placements[0].outcome, ==, XA_OUTCOME_DEFERRED);
    g_assert_cmphex (plan->placements[0].nodes, ==, 0);
    g_assert_cmpstr (plan->placements[0].reason, ==,
                     "it needs 20480 MiB with overhead on nodes that can all reach each other, "
                     "but the most such a set of its nodes (0-1) has free in this batch is "
                     "16384 MiB");
  }
}

static void
load_data (const gchar *host, const gchar *manifest, XaTopology **topo, GPtrArray **requests)
{
  g_autofree gchar *host_path = xa_test_data_path ("hosts", host);
  g_autofree gchar *manifest_path = xa_test_data_path ("manifests", manifest);
  g_autoptr(GError) error = NULL;
  g_autoptr(XaHostInfo) info = xa_host_file_load (host_path, NULL, &error);

  g_assert_no_error (error);
  *topo = xa_host_info_to_topology (info);
  *requests = xa_manifest_load (manifest_path, NULL, &error);
  g_assert_no_error (error);
}

/* VMs that find all their memory on the one node they are planned on. */
static guint
on_one_node (const XaPlan *plan, const XaTopology *topo)
{
  return xa_plan_count_local (plan) - overplanned_vms (plan, topo);
}

/* The acceptance test: a single-node packing exists; batch finds
 * it, the xenopsd variants do not. */
static void
test_dense (gconstpointer data)
{
  const gchar *const *files = data;
  g_autoptr(XaTopology) topo = NULL;
  g_autoptr(GPtrArray) requests = NULL;
  g_autoptr(XaPlan) batch = NULL;
  g_autoptr(XaPlan) xenopsd = NULL;
  g_autoptr(XaPlan) legacy = NULL;
  g_autoptr(XaPlan) nodeclaim = NULL;

  load_data (files[0], files[1], &topo, &requests);
  batch = xa_test_plan (topo, requests, XA_POLICY_BATCH);
  xenopsd = xa_test_plan (topo, requests, XA_POLICY_XENOPSD);
  legacy = xa_test_plan (topo, requests, XA_POLICY_XENOPSD_LEGACY);
  topo->node_claims = TRUE;
  nodeclaim = xa_test_plan (topo, requests, XA_POLICY_XENOPSD_NODECLAIM);
  g_assert_cmpuint (on_one_node (batch, topo), ==, requests->len);
  g_assert_cmpuint (on_one_node (xenopsd, topo), <, requests->len);
  g_assert_cmpuint (on_one_node (legacy, topo), <, requests->len);
  g_assert_cmpuint (on_one_node (nodeclaim, topo), <, requests->len);
  g_test_message ("on one node: batch %u, xenopsd %u, xenopsd-legacy %u, xenopsd-nodeclaim %u",
                  on_one_node (batch, topo), on_one_node (xenopsd, topo),
                  on_one_node (legacy, topo), on_one_node (nodeclaim, topo));
}

/* A VM pinned to the CPUs of a node with no free memory: xenopsd starts it
 * all the same, and its memory is counted there (spread evenly), not
 * divided by the zero free memory of its nodes. */
static void
test_pinned_vm_on_a_full_node (void)
{
  static const guint cpu = 0;
  g_autoptr(XaTopology) topo = xa_test_topology_new (2, 10 * GiB);
  g_autoptr(GPtrArray) requests = xa_test_requests_new ();
  XaRequest *pinned = xa_test_add_vm (requests, "pinned", 2 * GiB, 1);
  g_autoptr(XaPlan) plan = NULL;

  topo->nodes[0].free_mib = 0;
  pinned->hard_affinity = g_array_new (FALSE, FALSE, sizeof (guint));
  g_array_append_val (pinned->hard_affinity, cpu);
  plan = xa_test_plan (topo, requests, XA_POLICY_XENOPSD);
  g_assert_cmpint (plan->placements[0].outcome, ==, XA_OUTCOME_PLANNED);
  g_assert_cmpuint (plan->placements[0].mib_by_node[0], ==, 2 * GiB);
  g_assert_cmpuint (plan->placements[0].mib_by_node[1], ==, 0);
  g_assert_cmpuint (overplanned_vms (plan, topo), ==, 1);
}

int
main (int argc, char **argv)
{
  static const gchar *const dense_4node[] = { "4node.json", "dense-4node.json" };
  static const gchar *const dense_8node[] = { "8node.json", "dense-8node.json" };

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/planner/reference/xenopsd-sees-free-memory-unchanged",
                   test_xenopsd_sees_free_memory_unchanged);
  g_test_add_func ("/planner/reference/nodeclaim-claims-single-nodes",
                   test_nodeclaim_claims_single_nodes);
  g_test_add_func ("/planner/reference/host-claim-fails-the-start", test_host_claim_fails_the_start);
  g_test_add_func ("/planner/reference/legacy-keeps-multi-node-plans",
                   test_legacy_keeps_multi_node_plans);
  g_test_add_func ("/planner/reference/asks-a-core-per-vcpu", test_reference_asks_a_core_per_vcpu);
  g_test_add_func ("/planner/reference/wait-for-free-memory-gives-up",
                   test_wait_for_free_memory_gives_up);
  g_test_add_func ("/planner/reference/nodeclaim-needs-node-claims", test_nodeclaim_needs_node_claims);
  g_test_add_func ("/planner/reference/pinned-vm-on-a-full-node", test_pinned_vm_on_a_full_node);
  g_test_add_func ("/planner/policy/names-round-trip", test_policy_names_round_trip);
  g_test_add_func ("/planner/policy/table", test_policy_table);
  g_test_add_func ("/planner/policy/rejects-what-fits-no-reachable-set",
                   test_policy_rejects_what_fits_no_reachable_set);
  g_test_add_func ("/planner/policy/never-splits-over-unreachable-nodes",
                   test_policy_never_splits_over_unreachable_nodes);
  g_test_add_data_func ("/planner/policy/dense-4node-batch-packs-what-xenopsd-cannot", dense_4node,
                        test_dense);
  g_test_add_data_func ("/planner/policy/dense-8node-batch-packs-what-xenopsd-cannot", dense_8node,
                        test_dense);
  return g_test_run ();
}
