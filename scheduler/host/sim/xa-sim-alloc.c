/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "xa-sim-alloc.h"

/* The allocator: where a domain's pages go, and the claims that keep
 * memory for a domain. It follows Xen 4.17's get_free_buddy and none of
 * the planner's arithmetic: the simulator grades plans, so it must not
 * share their sums. */

/* Xen deals memory out per extent: 2 MiB superpages for a PV guest (PVH
 * tries 1 GiB first); where no node has a whole one, 4 KiB pages fill in,
 * 1 MiB here, so that no MiB is lost. */
#define XA_SIM_EXTENT_MIB G_GUINT64_CONSTANT (2)

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

/* Per node, what the domain may allocate there: free memory not claimed
 * on that node by another domain. */
static void
xa_sim_alloc_room (XaSimHost *self, const XaSimDomain *sd, guint64 *room)
{
  for (guint n = 0; n < self->info->n_nodes; n++)
    room[n] = xa_sim_alloc_unclaimed (self, (gint) n, sd->domain);
}

/* The node that gives the next @extent_mib: the affine nodes in turn from
 * the one after @last, then the other nodes in ascending id (distance
 * plays no part in Xen's fallback); -1 if none has the room. */
static gint
xa_sim_alloc_pick (guint n_nodes, XaNodeSet affine, gint last, const guint64 *room,
                   guint64 extent_mib)
{
  for (guint i = 0; i < n_nodes; i++) {
    guint n = ((guint) (last + 1) + i) % n_nodes;

    if (xa_nodeset_has (affine, n) && room[n] >= extent_mib)
      return (gint) n;
  }
  for (guint n = 0; n < n_nodes; n++) {
    if (!xa_nodeset_has (affine, n) && room[n] >= extent_mib)
      return (gint) n;
  }
  return -1;
}

/* The nodes that give the next extents, each a whole one: the affine
 * nodes with the room, or else the lowest other node with it. */
static XaNodeSet
xa_sim_alloc_givers (guint n_nodes, XaNodeSet affine, const guint64 *room)
{
  XaNodeSet givers = 0;

  for (guint n = 0; n < n_nodes; n++) {
    if (xa_nodeset_has (affine, n) && room[n] >= XA_SIM_EXTENT_MIB)
      givers |= XA_NODESET_BIT (n);
  }
  for (guint n = 0; n < n_nodes && givers == 0; n++) {
    if (room[n] >= XA_SIM_EXTENT_MIB)
      givers |= XA_NODESET_BIT (n);
  }
  return givers;
}

/* Deals whole rounds of extents to @givers at once, as many as each can
 * give and @left asks for: the same as one by one, only faster. Returns
 * the MiB dealt, and sets *@last to the node of the last extent. */
static guint64
xa_sim_alloc_deal_rounds (guint n_nodes, XaNodeSet givers, gint *last, guint64 *room,
                          guint64 left, guint64 *take)
{
  guint64 rounds = left / (xa_nodeset_count (givers) * XA_SIM_EXTENT_MIB);
  gint from = *last;

  for (guint n = 0; n < n_nodes; n++) {
    if (xa_nodeset_has (givers, n))
      rounds = MIN (rounds, room[n] / XA_SIM_EXTENT_MIB);
  }
  for (guint i = 0; i < n_nodes; i++) {
    guint n = ((guint) (from + 1) + i) % n_nodes;

    if (!xa_nodeset_has (givers, n))
      continue;
    room[n] -= rounds * XA_SIM_EXTENT_MIB;
    take[n] += rounds * XA_SIM_EXTENT_MIB;
    *last = (gint) n;
  }
  return rounds * XA_SIM_EXTENT_MIB * xa_nodeset_count (givers);
}

/* Deals @mib out extent by extent, from the node after *@last on; sets
 * *@last to the node of the last extent. Returns what no node could take. */
static guint64
xa_sim_alloc_place (XaSimHost *self, const XaSimDomain *sd, guint64 mib, gint *last,
                    guint64 *take)
{
  g_autofree guint64 *room = g_new (guint64, self->info->n_nodes);
  XaNodeSet affine = xa_sim_alloc_affine_nodes (self, sd);
  guint n_nodes = self->info->n_nodes;
  guint64 left = mib;

  xa_sim_alloc_room (self, sd, room);
  while (left > 0) {
    XaNodeSet givers = xa_sim_alloc_givers (n_nodes, affine, room);
    guint64 extent = MIN (left, XA_SIM_EXTENT_MIB);
    gint node;

    if (givers != 0 && left >= xa_nodeset_count (givers) * XA_SIM_EXTENT_MIB) {
      left -= xa_sim_alloc_deal_rounds (n_nodes, givers, last, room, left, take);
      continue;
    }
    node = xa_sim_alloc_pick (n_nodes, affine, *last, room, extent);
    if (node < 0 && extent > 1) {
      extent = 1;
      node = xa_sim_alloc_pick (n_nodes, affine, *last, room, extent);
    }
    if (node < 0)
      break;
    room[node] -= extent;
    take[node] += extent;
    left -= extent;
    *last = node;
  }
  return left;
}

/* With exact ranges, the first node that still has memory to get takes
 * the chunk; a node without the room (*@out_short) fails the build, never
 * spills. */
static guint64
xa_sim_alloc_place_exact (XaSimHost *self, const XaSimDomain *sd, guint64 *exact, guint64 mib,
                          gint *last, guint64 *take, gint *out_short)
{
  g_autofree guint64 *room = g_new (guint64, self->info->n_nodes);
  guint64 left = mib;

  xa_sim_alloc_room (self, sd, room);
  for (guint n = 0; n < self->info->n_nodes && left > 0; n++) {
    guint64 wanted = MIN (exact[n], left);

    if (wanted == 0)
      continue;
    if (room[n] < wanted) {
      *out_short = (gint) n;
      return left;
    }
    take[n] = wanted;
    exact[n] -= wanted;
    left -= wanted;
    *last = (gint) n;
  }
  return left;
}

/* Gives @sd what @take says from each node; returns the dirty MiB in it. */
static guint64
xa_sim_alloc_commit (XaSimHost *self, XaSimDomain *sd, const guint64 *take)
{
  guint64 dirty = 0;

  xa_host_load_remove (self->loads, sd->domain, self->info->n_nodes);
  for (guint n = 0; n < self->info->n_nodes; n++) {
    XaHostNode *node = &self->info->nodes[n];
    guint64 clean = node->free_mib - node->dirty_mib;
    guint64 from_dirty = take[n] > clean ? take[n] - clean : 0;

    node->dirty_mib -= from_dirty;
    node->free_mib -= take[n];
    sd->domain->memory_by_node_mib[n] += take[n];
    dirty += from_dirty;
  }
  xa_host_load_add (self->loads, sd->domain, self->info->n_nodes);
  return dirty;
}

/* Allocates @mib for a domain as Xen's allocator would (or from @exact,
 * node by node), all of it or nothing; returns the dirty MiB it had to
 * scrub, or -1 with ENOMEM. */
gint64
xa_sim_alloc_populate (XaSimHost *self, XaSimDomain *sd, guint64 *exact, guint64 mib,
                       GError **error)
{
  g_autofree guint64 *take = g_new0 (guint64, self->info->n_nodes);
  gint last = sd->last_node;
  gint short_node = -1;
  guint64 left = mib;
  guint64 dirty;

  xa_sim_host_scrub (self);
  if (mib <= sd->domain->claim_mib + xa_sim_alloc_unclaimed (self, -1, sd->domain))
    left = exact != NULL
             ? xa_sim_alloc_place_exact (self, sd, exact, mib, &last, take, &short_node)
             : xa_sim_alloc_place (self, sd, mib, &last, take);
  if (left > 0 && short_node >= 0) {
    xa_host_fail (error, ENOMEM, "populate_physmap",
                  "%" G_GUINT64_FORMAT " MiB more for %s do not fit node %d's free memory, "
                  "where its exact range asks for them", mib, sd->domain->name, short_node);
    return -1;
  }
  if (left > 0) {
    xa_host_fail (error, ENOMEM, "populate_physmap",
                  "%" G_GUINT64_FORMAT " MiB more for %s do not fit the host's free memory",
                  mib, sd->domain->name);
    return -1;
  }
  dirty = xa_sim_alloc_commit (self, sd, take);
  sd->last_node = last;
  xa_sim_alloc_set_claim (self, sd->domain,
                          sd->domain->claim_mib - MIN (sd->domain->claim_mib, mib),
                          sd->domain->claim_node);
  return (gint64) dirty;
}
