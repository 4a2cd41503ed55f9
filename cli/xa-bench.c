/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <math.h>

#include "xa-bench.h"
#include "xa-plan.h"
#include "xa-xenopsd.h"

/* Memory asked by all VMs over memory free on all nodes. */
#define XA_BENCH_FILL 0.9
/* Each plan is timed at least this often, and for at least this long. */
#define XA_BENCH_MIN_RUNS 3
#define XA_BENCH_MIN_MS 200.0
#define XA_BENCH_MAX_RUNS 51

static const guint xa_bench_vms[] = { 100, 1000, 10000 };
static const guint xa_bench_nodes[] = { 2, 8, 16, 64 };

/* A mix of VM sizes (MiB) with their vCPUs, the small ones more common. */
static const struct {
  guint64 memory_mib;
  guint vcpus;
  gint weight;
} xa_bench_sizes[] = {
  { 512, 1, 2 }, { 1024, 1, 3 }, { 2048, 2, 3 }, { 4096, 2, 3 },
  { 8192, 4, 2 }, { 16384, 8, 1 }, { 32768, 8, 1 },
};

typedef struct {
  gdouble ms;
  guint on_one_node;
} XaBenchResult;

static GPtrArray *
xa_bench_requests (GRand *rand, guint n_vms)
{
  GPtrArray *requests = g_ptr_array_new_with_free_func ((GDestroyNotify) xa_request_free);
  gint total_weight = 0;

  for (guint s = 0; s < G_N_ELEMENTS (xa_bench_sizes); s++)
    total_weight += xa_bench_sizes[s].weight;
  for (guint i = 0; i < n_vms; i++) {
    g_autofree gchar *name = g_strdup_printf ("vm-%05u", i);
    gint pick = g_rand_int_range (rand, 0, total_weight);
    guint s = 0;
    XaRequest *req;

    while (pick >= xa_bench_sizes[s].weight)
      pick -= xa_bench_sizes[s++].weight;
    req = xa_request_new (name, xa_bench_sizes[s].memory_mib, xa_bench_sizes[s].vcpus);
    req->priority = g_rand_int_range (rand, 0, 10) == 0 ? 10 : 0;
    g_ptr_array_add (requests, req);
  }
  return requests;
}

/* Sockets of 4 nodes (10 local, 12 in the socket, 32 across), 16 CPUs and
 * 8 cores a node, free memory so that the VMs ask for XA_BENCH_FILL of it. */
static XaTopology *
xa_bench_topology (guint n_nodes, GPtrArray *requests)
{
  XaTopology *topo = xa_topology_new (n_nodes);
  guint64 need_mib = 0;
  guint64 node_mib;

  topo->overhead_mib_per_vm = 1;
  topo->overhead_kib_per_vcpu = 1176;
  for (guint i = 0; i < requests->len; i++) {
    const XaRequest *req = g_ptr_array_index (requests, i);

    need_mib += req->memory_mib + xa_topology_overhead_mib (topo, req->vcpus);
  }
  node_mib = (guint64) ceil ((gdouble) need_mib / XA_BENCH_FILL / n_nodes / 1024.0) * 1024;
  for (guint n = 0; n < n_nodes; n++) {
    topo->nodes[n].free_mib = topo->nodes[n].capacity_mib = node_mib;
    topo->nodes[n].n_cores = 8;
    for (guint c = 0; c < 16; c++) {
      guint id = n * 16 + c;

      g_array_append_val (topo->nodes[n].cpus, id);
    }
    for (guint m = 0; m < n_nodes; m++)
      topo->distances[n * n_nodes + m] = n == m ? 10 : (n / 4 == m / 4 ? 12 : 32);
  }
  return topo;
}

static gint
xa_bench_compare_ms (gconstpointer a, gconstpointer b)
{
  gdouble ma = *(const gdouble *) a;
  gdouble mb = *(const gdouble *) b;

  return ma < mb ? -1 : (ma > mb ? 1 : 0);
}

/* One plan; xenopsd builds its candidate node sets once per process, so
 * that is left out of its time. */
static XaPlan *
xa_bench_plan_once (const XaTopology *topo, GPtrArray *requests, XaPolicy policy, gdouble *ms)
{
  g_autoptr(XaXenopsd) numa = policy == XA_POLICY_BATCH ? NULL : xa_xenopsd_new (topo);
  gint64 start = g_get_monotonic_time ();
  XaPlan *plan = policy == XA_POLICY_BATCH ? xa_plan_batch (topo, requests, 0)
                                           : xa_xenopsd_plan_batch (numa, topo, requests, policy);

  *ms = (gdouble) (g_get_monotonic_time () - start) / 1000.0;
  return plan;
}

/* The median wall time of one plan, and how many VMs it puts on one node
 * that holds them. */
static XaBenchResult
xa_bench_time (const XaTopology *topo, GPtrArray *requests, XaPolicy policy)
{
  g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (gdouble));
  gdouble total_ms = 0;
  XaBenchResult result = { 0 };

  while (times->len < XA_BENCH_MAX_RUNS &&
         (times->len < XA_BENCH_MIN_RUNS || total_ms < XA_BENCH_MIN_MS)) {
    gdouble ms;
    g_autoptr(XaPlan) plan = xa_bench_plan_once (topo, requests, policy, &ms);
    guint overplanned;
    guint64 overplanned_mib;

    g_array_append_val (times, ms);
    total_ms += ms;
    xa_plan_overplanned (plan, topo, &overplanned, &overplanned_mib);
    result.on_one_node = xa_plan_count_local (plan) - overplanned;
  }
  g_array_sort (times, xa_bench_compare_ms);
  result.ms = g_array_index (times, gdouble, times->len / 2);
  return result;
}

/**
 * xa_bench_planner:
 * @seed: seeds the VM mix
 *
 * Times one plan of 100, 1,000 and 10,000 VMs on hosts of 2, 8, 16 and 64
 * nodes, batch and xenopsd on the same input, and prints a table with the
 * ratio and, for each, how many VMs end up on one node that holds them.
 */
void
xa_bench_planner (guint32 seed)
{
  g_print ("planner: median wall time of one plan; %.0f %% of the free memory asked; "
           "seed %u\n", XA_BENCH_FILL * 100, seed);
  g_print ("xenopsd: its candidate node sets are built once per process, outside the time\n"
           "1-node: VMs planned on a single node that has their memory (xenopsd's parallel\n"
           "builds may plan a node beyond its free memory)\n\n");
  g_print ("%6s %6s %12s %12s %9s %12s %12s %12s\n", "VMs", "nodes", "batch ms", "xenopsd ms",
           "ratio", "batch us/VM", "batch 1-node", "xenopsd 1-node");
  for (guint v = 0; v < G_N_ELEMENTS (xa_bench_vms); v++) {
    for (guint h = 0; h < G_N_ELEMENTS (xa_bench_nodes); h++) {
      g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
      g_autoptr(GPtrArray) requests = xa_bench_requests (rand, xa_bench_vms[v]);
      g_autoptr(XaTopology) topo = xa_bench_topology (xa_bench_nodes[h], requests);
      XaBenchResult batch = xa_bench_time (topo, requests, XA_POLICY_BATCH);
      XaBenchResult xenopsd = xa_bench_time (topo, requests, XA_POLICY_XENOPSD);

      g_print ("%6u %6u %12.3f %12.3f %9.2f %12.3f %12u %12u\n", xa_bench_vms[v],
               xa_bench_nodes[h], batch.ms, xenopsd.ms, batch.ms / MAX (xenopsd.ms, 1e-6),
               batch.ms * 1000.0 / xa_bench_vms[v], batch.on_one_node, xenopsd.on_one_node);
    }
  }
}
