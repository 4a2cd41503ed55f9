/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-distance.h"
#include "xa-error.h"
#include "xa-mem.h"
#include "xa-xenopsd.h"

/* Candidates whose means differ by less than this are one group. */
#define XA_XENOPSD_MEAN_EPSILON 1e-3

typedef struct {
  XaNodeSet nodes;
  guint64 max_distance;
  gdouble mean_distance;
  /* the set's CPUs and cores, which never change */
  guint64 cpus;
  guint64 cores;
} XaXenopsdCandidate;

/* What a VM asks for: the sums over a node set must reach each field. */
typedef struct {
  guint64 memory_mib;
  guint vcpus;
  guint cores;
} XaXenopsdNeed;

struct _XaXenopsd {
  guint n_nodes;
  guint64 *usage;
  GArray *candidates;
};

static gboolean
xa_xenopsd_reachable (guint32 distance)
{
  return distance <= XA_DISTANCE_MAX_REACHABLE;
}

static XaNodeSet
xa_xenopsd_valid_nodes (const XaTopology *topo)
{
  XaNodeSet valid = 0;

  for (guint n = 0; n < topo->n_nodes; n++) {
    if (xa_xenopsd_reachable (xa_topology_distance (topo, n, n)))
      valid |= XA_NODESET_BIT (n);
  }
  return valid;
}

static gboolean
xa_xenopsd_any_cpus (const XaTopology *topo, XaNodeSet valid)
{
  for (guint n = 0; n < topo->n_nodes; n++) {
    if (xa_nodeset_has (valid, n) && topo->nodes[n].cpus->len > 0)
      return TRUE;
  }
  return FALSE;
}

/* Key over all |S|² ordered pairs, a = b included, as xenopsd does: an
 * unreachable pair inside @nodes stays in and makes the maximum huge. */
static XaXenopsdCandidate
xa_xenopsd_candidate_of (const XaTopology *topo, XaNodeSet nodes)
{
  XaXenopsdCandidate cand = { nodes, 0, 0.0, 0, 0 };
  guint size = xa_nodeset_count (nodes);
  guint32 max_distance;
  guint64 sum;

  for (guint i = 0; i < topo->n_nodes; i++) {
    if (xa_nodeset_has (nodes, i)) {
      cand.cpus += topo->nodes[i].cpus->len;
      cand.cores += topo->nodes[i].n_cores;
    }
  }
  xa_distance_of_set (topo, nodes, &max_distance, &sum);
  cand.max_distance = max_distance;
  cand.mean_distance = (gdouble) sum / (gdouble) (size * size);
  return cand;
}

/* Bit k of @mask stands for the k-th valid node. */
static XaNodeSet
xa_xenopsd_subset (const guint *valid, guint n_valid, guint64 mask)
{
  XaNodeSet nodes = 0;

  for (guint k = 0; k < n_valid; k++) {
    if (mask & XA_NODESET_BIT (k))
      nodes |= XA_NODESET_BIT (valid[k]);
  }
  return nodes;
}

/* Max, then mean; the k-th valid node keeps its bit rank, so comparing the
 * sets as integers is xenopsd's bitmask order and makes this sort stable. */
static gint
xa_xenopsd_compare_candidates (gconstpointer a, gconstpointer b)
{
  const XaXenopsdCandidate *ca = a;
  const XaXenopsdCandidate *cb = b;

  if (ca->max_distance != cb->max_distance)
    return ca->max_distance < cb->max_distance ? -1 : 1;
  if (ca->mean_distance != cb->mean_distance)
    return ca->mean_distance < cb->mean_distance ? -1 : 1;
  if (ca->nodes != cb->nodes)
    return ca->nodes < cb->nodes ? -1 : 1;
  return 0;
}

static GArray *
xa_xenopsd_singletons (const XaTopology *topo, const guint *valid, guint n_valid)
{
  GArray *candidates = g_array_sized_new (FALSE, FALSE, sizeof (XaXenopsdCandidate), n_valid);

  for (guint k = 0; k < n_valid; k++) {
    XaXenopsdCandidate cand = xa_xenopsd_candidate_of (topo, XA_NODESET_BIT (valid[k]));

    g_array_append_val (candidates, cand);
  }
  return candidates;
}

static GArray *
xa_xenopsd_gen_candidates (const XaTopology *topo, XaNodeSet valid_set)
{
  guint valid[XA_MAX_NODES];
  guint n_valid = 0;
  guint64 n_subsets;
  GArray *candidates;

  for (guint n = 0; n < topo->n_nodes; n++) {
    if (xa_nodeset_has (valid_set, n))
      valid[n_valid++] = n;
  }
  if (n_valid > XA_XENOPSD_ENUMERATE_MAX_NODES)
    return xa_xenopsd_singletons (topo, valid, n_valid);
  n_subsets = XA_NODESET_BIT (n_valid) - 1;
  candidates = g_array_sized_new (FALSE, FALSE, sizeof (XaXenopsdCandidate), (guint) n_subsets);
  for (guint64 mask = 1; mask <= n_subsets; mask++) {
    XaXenopsdCandidate cand =
      xa_xenopsd_candidate_of (topo, xa_xenopsd_subset (valid, n_valid, mask));

    g_array_append_val (candidates, cand);
  }
  g_array_sort (candidates, xa_xenopsd_compare_candidates);
  return candidates;
}

/**
 * xa_xenopsd_new:
 * @topo: the host; only its distances, CPUs and cores are read
 *
 * Builds xenopsd's placement state (`NUMA.make`): every non-empty set of
 * usable nodes (single nodes only beyond
 * %XA_XENOPSD_ENUMERATE_MAX_NODES), sorted by the largest, then the mean
 * distance within the set, and usage counters at zero.
 *
 * Returns: (transfer full) (nullable): the state, or %NULL when xenopsd
 *   would disable NUMA placement: no usable node has a CPU, or a reachable
 *   distance is below 10 or a reachable self distance is not 10
 */
XaXenopsd *
xa_xenopsd_new (const XaTopology *topo)
{
  XaNodeSet valid;
  XaXenopsd *self;

  g_return_val_if_fail (topo != NULL, NULL);

  valid = xa_xenopsd_valid_nodes (topo);
  if (!xa_xenopsd_any_cpus (topo, valid) ||
      !xa_topology_distances_valid (topo->distances, topo->n_nodes, NULL, NULL))
    return NULL;
  self = g_new0 (XaXenopsd, 1);
  self->n_nodes = topo->n_nodes;
  self->usage = g_new0 (guint64, topo->n_nodes);
  self->candidates = xa_xenopsd_gen_candidates (topo, valid);
  return self;
}

void
xa_xenopsd_free (XaXenopsd *self)
{
  if (self == NULL)
    return;
  g_free (self->usage);
  g_array_unref (self->candidates);
  g_free (self);
}

/**
 * xa_xenopsd_n_candidates:
 * @self: the placement state
 *
 * Returns: how many node sets xenopsd considers
 */
guint
xa_xenopsd_n_candidates (const XaXenopsd *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->candidates->len;
}

/**
 * xa_xenopsd_candidate:
 * @self: the placement state
 * @index: position in xenopsd's order, below xa_xenopsd_n_candidates()
 * @out_mean: (out) (optional): the mean distance within the set
 *
 * Returns: the node set at @index
 */
XaNodeSet
xa_xenopsd_candidate (const XaXenopsd *self, guint index, gdouble *out_mean)
{
  const XaXenopsdCandidate *cand;

  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (index < self->candidates->len, 0);

  cand = &g_array_index (self->candidates, XaXenopsdCandidate, index);
  if (out_mean != NULL)
    *out_mean = cand->mean_distance;
  return cand->nodes;
}

/**
 * xa_xenopsd_usage:
 * @self: the placement state
 * @node: a node of the host
 *
 * Returns: how many plans so far included @node
 */
guint64
xa_xenopsd_usage (const XaXenopsd *self, guint node)
{
  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (node < self->n_nodes, 0);

  return self->usage[node];
}

static gboolean
xa_xenopsd_fits (const XaXenopsd *self, const XaXenopsdCandidate *cand, const guint64 *free_mib,
                 const XaXenopsdNeed *need)
{
  return cand->cpus >= need->vcpus && cand->cores >= need->cores &&
         xa_mem_sum (free_mib, cand->nodes, self->n_nodes) >= need->memory_mib;
}

/* OCaml compares xenopsd's descending node lists: highest id first, and a
 * list that is a prefix of the other sorts first. */
static gint
xa_xenopsd_compare_descending (XaNodeSet a, XaNodeSet b)
{
  while (a != 0 && b != 0) {
    guint high_a = 63 - (guint) __builtin_clzll (a);
    guint high_b = 63 - (guint) __builtin_clzll (b);

    if (high_a != high_b)
      return high_a < high_b ? -1 : 1;
    a &= ~XA_NODESET_BIT (high_a);
    b &= ~XA_NODESET_BIT (high_b);
  }
  if (a == b)
    return 0;
  return a == 0 ? -1 : 1;
}

/* Least used, then the smallest descending node list (`NUMA.choose`). */
static gboolean
xa_xenopsd_better_choice (const XaXenopsd *self, XaNodeSet a, XaNodeSet b)
{
  guint64 usage_a = xa_mem_sum (self->usage, a, self->n_nodes);
  guint64 usage_b = xa_mem_sum (self->usage, b, self->n_nodes);

  if (usage_a != usage_b)
    return usage_a < usage_b;
  return xa_xenopsd_compare_descending (a, b) < 0;
}

/**
 * xa_xenopsd_plan:
 * @self: the placement state
 * @free_mib: (array): free memory of each node, as the caller sees it now
 * @memory_mib: the VM's memory
 * @vcpus: its vCPUs: the chosen nodes must have at least as many CPUs
 * @cores: physical cores the nodes must have together, 0 for any
 *
 * Plans one VM as `Softaffinity.plan` does: the first node set in
 * distance order whose sums cover the VM, and among the following ones
 * that also do and have the same mean distance, the least used. The
 * usage counters of the chosen nodes grow by one; @free_mib is not
 * changed, that is the caller's choice.
 *
 * Returns: the chosen nodes, or 0 when no set can hold the VM
 */
XaNodeSet
xa_xenopsd_plan (XaXenopsd *self, const guint64 *free_mib, guint64 memory_mib,
                 guint vcpus, guint cores)
{
  XaXenopsdNeed need = { memory_mib, vcpus, cores };
  const XaXenopsdCandidate *first = NULL;
  XaNodeSet best = 0;

  g_return_val_if_fail (self != NULL && free_mib != NULL, 0);

  for (guint i = 0; i < self->candidates->len; i++) {
    const XaXenopsdCandidate *cand = &g_array_index (self->candidates, XaXenopsdCandidate, i);

    if (!xa_xenopsd_fits (self, cand, free_mib, &need))
      continue;
    if (first == NULL)
      first = cand;
    else if (ABS (cand->mean_distance - first->mean_distance) >= XA_XENOPSD_MEAN_EPSILON)
      break;
    if (best == 0 || xa_xenopsd_better_choice (self, cand->nodes, best))
      best = cand->nodes;
  }
  for (guint n = 0; n < self->n_nodes; n++) {
    if (xa_nodeset_has (best, n))
      self->usage[n]++;
  }
  return best;
}

/**
 * xa_xenopsd_cores_requested:
 * @variant: a xenopsd policy
 * @vcpus: the VM's vCPUs
 *
 * Best_effort asks a physical core per vCPU (since 2025); the legacy
 * version asked none.
 *
 * Returns: the cores a node set must offer
 */
guint
xa_xenopsd_cores_requested (XaPolicy variant, guint vcpus)
{
  return variant == XA_POLICY_XENOPSD_LEGACY ? 0 : vcpus;
}

/* HEAD's numa_placement (domain.ml): a single-node plan tries a node claim;
 * if that succeeds the node is the VM's; ENOMEM leaves it without
 * affinity; any other refusal (ENOSYS) sets the affinity anyway. */
static gboolean
xa_xenopsd_claim_node (XaNodeSet plan, guint64 memory_mib, const XaXenopsdClaims *claims,
                       gpointer data, XaNodeSet *out_affinity)
{
  g_autofree gchar *detail = NULL;

  *out_affinity = 0;
  if (xa_nodeset_count (plan) != 1)
    return FALSE;
  switch (claims->claim_node (data, (guint) __builtin_ctzll (plan), memory_mib, &detail)) {
  case XA_CLAIM_DONE:
    *out_affinity = plan;
    return TRUE;
  case XA_CLAIM_REFUSED:
    *out_affinity = plan;
    return FALSE;
  case XA_CLAIM_NO_MEMORY:
  default:
    return FALSE;
  }
}

/**
 * xa_xenopsd_build_pre:
 * @variant: %XA_POLICY_XENOPSD or %XA_POLICY_XENOPSD_NODECLAIM (HEAD, on a
 *   Xen without or with node claims: the claims tell them apart), or
 *   %XA_POLICY_XENOPSD_LEGACY
 * @plan: the nodes xa_xenopsd_plan() chose, 0 for none
 * @memory_mib: the VM's memory, what xenopsd claims
 * @claims: how to claim
 * @data: for @claims
 * @out_affinity: (out): the nodes the VM's soft affinity points to, 0 for
 *   none
 * @error: a #GError, %XA_ERROR_FAILED when the start fails
 *
 * What xenopsd's build_pre does with a plan: the legacy version sets the
 * affinity of any plan and claims nothing; HEAD keeps single-node plans
 * only (see xa_xenopsd_claim_node()) and, unless a node claim held, claims
 * host-wide, where only ENOMEM fails the start.
 *
 * Returns: %TRUE unless the start fails
 */
gboolean
xa_xenopsd_build_pre (XaPolicy variant, XaNodeSet plan, guint64 memory_mib,
                      const XaXenopsdClaims *claims, gpointer data, XaNodeSet *out_affinity,
                      GError **error)
{
  g_autofree gchar *detail = NULL;

  if (variant == XA_POLICY_XENOPSD_LEGACY) {
    *out_affinity = plan;
    return TRUE;
  }
  if (xa_xenopsd_claim_node (plan, memory_mib, claims, data, out_affinity))
    return TRUE;
  if (claims->claim_host (data, memory_mib, &detail) != XA_CLAIM_NO_MEMORY)
    return TRUE;
  g_set_error (error, XA_ERROR, XA_ERROR_FAILED,
               "xenopsd's host-wide claim of %" G_GUINT64_FORMAT " MiB fails (ENOMEM): %s",
               memory_mib, detail);
  return FALSE;
}
