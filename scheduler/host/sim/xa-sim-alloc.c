/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "xa-plan.h"
#include "xa-sim-private.h"

/* The allocator: where a domain's pages go, and the claims that keep
 * memory for a domain. */

static guint64
xa_sim_alloc_free_total (XaSimHost *self)
{
  guint64 free_mib = 0;

  for (guint n = 0; n < self->info->n_nodes; n++)
    free_mib += self->info->nodes[n].free_mib;
  return free_mib;
}

/* Outstanding claims: all of them (@node -1) or those on @node, leaving
 * @except's out. */
guint64
xa_sim_alloc_claims (XaSimHost *self, gint node, const XaHostDomain *except)
{
  guint64 claimed = node < 0 ? self->claimed_mib : self->claimed_on_node_mib[node];

  if (except != NULL && (node < 0 || except->claim_node == node))
    claimed -= except->claim_mib;
  return claimed;
}

/* Adds @domain's claim to the sums. */
void
xa_sim_alloc_count_claim (XaSimHost *self, const XaHostDomain *domain)
{
  self->claimed_mib += domain->claim_mib;
  if (domain->claim_node >= 0)
    self->claimed_on_node_mib[domain->claim_node] += domain->claim_mib;
}

/* Every change of a claim goes through here, to keep the sums right. */
void
xa_sim_alloc_set_claim (XaSimHost *self, XaHostDomain *domain, guint64 mib, gint node)
{
  self->claimed_mib -= domain->claim_mib;
  if (domain->claim_node >= 0)
    self->claimed_on_node_mib[domain->claim_node] -= domain->claim_mib;
  domain->claim_mib = mib;
  domain->claim_node = mib > 0 ? node : -1;
  xa_sim_alloc_count_claim (self, domain);
}

/* Free memory not claimed by other domains: host-wide, or on @node. */
guint64
xa_sim_alloc_unclaimed (XaSimHost *self, gint node, const XaHostDomain *domain)
{
  guint64 free_mib = node < 0 ? xa_sim_alloc_free_total (self) : self->info->nodes[node].free_mib;
  guint64 claimed = xa_sim_alloc_claims (self, node, domain);

  return free_mib > claimed ? free_mib - claimed : 0;
}

/* Where the domain's pages go first: its node affinity if set, else the
 * nodes of its vCPUs' soft affinity within the hard one, else of the hard
 * one, else every node (Xen's automatic node affinity). */
static XaNodeSet
xa_sim_alloc_affine_nodes (XaSimHost *self, const XaSimDomain *sd)
{
  XaNodeSet hard = sd->hard_nodes != 0 ? sd->hard_nodes : xa_nodeset_all (self->info->n_nodes);

  if (sd->node_affinity != 0)
    return sd->node_affinity;
  if ((sd->soft_nodes & hard) != 0)
    return sd->soft_nodes & hard;
  return hard;
}

static guint32
xa_sim_alloc_distance_to (XaSimHost *self, XaNodeSet from, guint to)
{
  guint32 nearest = G_MAXUINT32;

  for (XaNodeSet s = from; s != 0; s &= s - 1) {
    guint n = (guint) __builtin_ctzll (s);

    nearest = MIN (nearest, self->info->distances[n * self->info->n_nodes + to]);
  }
  return nearest;
}

/* The next node outside @taken to spill to: the nearest to @affine. */
static gint
xa_sim_alloc_next_spill (XaSimHost *self, XaNodeSet affine, XaNodeSet taken, const guint64 *room)
{
  gint best = -1;

  for (guint n = 0; n < self->info->n_nodes; n++) {
    if (xa_nodeset_has (taken, n) || room[n] == 0)
      continue;
    if (best < 0 || xa_sim_alloc_distance_to (self, affine, n) <
                    xa_sim_alloc_distance_to (self, affine, (guint) best))
      best = (gint) n;
  }
  return best;
}

/* Per node, what the domain may allocate there: free memory not claimed
 * on that node by another domain. */
static void
xa_sim_alloc_room (XaSimHost *self, const XaSimDomain *sd, guint64 *room)
{
  for (guint n = 0; n < self->info->n_nodes; n++)
    room[n] = xa_sim_alloc_unclaimed (self, (gint) n, sd->domain);
}

/* Spreads @mib over the affine nodes, then spills what they cannot take
 * to the other nodes, nearest first. Returns what no node could take. */
static guint64
xa_sim_alloc_place (XaSimHost *self, const XaSimDomain *sd, guint64 mib, guint64 *take)
{
  g_autofree guint64 *room = g_new (guint64, self->info->n_nodes);
  XaNodeSet affine = xa_sim_alloc_affine_nodes (self, sd);
  XaNodeSet taken = affine;
  guint64 left = mib;

  xa_sim_alloc_room (self, sd, room);
  xa_plan_split_evenly (self->info->n_nodes, room, affine, mib, take);
  for (guint n = 0; n < self->info->n_nodes; n++)
    left -= take[n];
  while (left > 0) {
    gint next = xa_sim_alloc_next_spill (self, affine, taken, room);

    if (next < 0)
      break;
    take[next] = MIN (room[next], left);
    left -= take[next];
    taken |= XA_NODESET_BIT (next);
  }
  return left;
}

/* With exact ranges, the first node that still has memory to get takes
 * the chunk; a node without the room fails the build, never spills. */
static guint64
xa_sim_alloc_place_exact (XaSimHost *self, const XaSimDomain *sd, guint64 *exact, guint64 mib,
                         guint64 *take)
{
  g_autofree guint64 *room = g_new (guint64, self->info->n_nodes);
  guint64 left = mib;

  xa_sim_alloc_room (self, sd, room);
  for (guint n = 0; n < self->info->n_nodes && left > 0; n++) {
    guint64 wanted = MIN (exact[n], left);

    if (wanted == 0)
      continue;
    if (room[n] < wanted)
      return left;
    take[n] = wanted;
    exact[n] -= wanted;
    left -= wanted;
  }
  return left;
}

/* Allocates @mib for a domain as Xen's allocator would (or from @exact,
 * node by node); returns the dirty MiB it had to scrub, or -1 with ENOMEM. */
gint64
xa_sim_alloc_populate (XaSimHost *self, XaSimDomain *sd, guint64 *exact, guint64 mib,
                      GError **error)
{
  g_autofree guint64 *take = g_new0 (guint64, self->info->n_nodes);
  guint64 dirty = 0;
  guint64 left;

  xa_sim_host_scrub (self);
  if (mib <= sd->domain->claim_mib + xa_sim_alloc_unclaimed (self, -1, sd->domain))
    left = exact != NULL ? xa_sim_alloc_place_exact (self, sd, exact, mib, take)
                         : xa_sim_alloc_place (self, sd, mib, take);
  else
    left = mib;
  if (left > 0) {
    xa_host_fail (error, ENOMEM, "populate_physmap",
                  "%" G_GUINT64_FORMAT " MiB more for %s do not fit the host's free memory",
                  mib, sd->domain->name);
    return -1;
  }
  for (guint n = 0; n < self->info->n_nodes; n++) {
    XaHostNode *node = &self->info->nodes[n];
    guint64 clean = node->free_mib - node->dirty_mib;
    guint64 from_dirty = take[n] > clean ? take[n] - clean : 0;

    node->dirty_mib -= from_dirty;
    node->free_mib -= take[n];
    sd->domain->memory_by_node_mib[n] += take[n];
    dirty += from_dirty;
  }
  xa_sim_alloc_set_claim (self, sd->domain, sd->domain->claim_mib - MIN (sd->domain->claim_mib, mib),
                         sd->domain->claim_node);
  return (gint64) dirty;
}
