/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "xa-plan.h"
#include "xa-test-util.h"

static const XaPolicy every_policy[] = {
  XA_POLICY_BATCH, XA_POLICY_EXACT, XA_POLICY_XENOPSD, XA_POLICY_XENOPSD_LEGACY,
};
/* xenopsd's ways plan a VM whatever the memory, and let Xen spill it */
static const XaPolicy planning_policies[] = { XA_POLICY_BATCH, XA_POLICY_EXACT };

static void
add_member (GPtrArray *requests, const gchar *name, guint64 memory_mib, const gchar *group)
{
  XaRequest *req = xa_test_add_vm (requests, name, memory_mib, 1);

  req->group = g_strdup (group);
}

static void
assert_outcome (const XaPlan *plan, guint index, XaOutcome outcome)
{
  g_assert_cmpint (plan->placements[index].outcome, ==, outcome);
}

/* Room for the whole group: every member is planned, as without groups. */
static void
test_group_that_fits_is_planned (void)
{
  g_autoptr(XaTopology) topo = xa_test_topology_new (2, 8 * GiB);
  g_autoptr(GPtrArray) requests = xa_test_requests_new ();

  add_member (requests, "web-1", 3 * GiB, "shop");
  add_member (requests, "web-2", 3 * GiB, "shop");
  add_member (requests, "db", 6 * GiB, "shop");
  xa_test_add_vm (requests, "alone", 2 * GiB, 1);
  for (guint p = 0; p < G_N_ELEMENTS (every_policy); p++) {
    g_autoptr(XaPlan) plan = xa_test_plan (topo, requests, every_policy[p]);

    g_assert_cmpuint (xa_plan_count (plan, XA_OUTCOME_PLANNED), ==, 4);
  }
}

/* Two of three members would fit: none is planned, the reason names the
 * group and the member left out, and the room goes to the VMs after it. */
static void
test_group_waits_as_a_whole (void)
{
  g_autoptr(XaTopology) topo = xa_test_topology_new (2, 8 * GiB);
  g_autoptr(GPtrArray) requests = xa_test_requests_new ();

  add_member (requests, "app-1", 6 * GiB, "app");
  add_member (requests, "app-2", 6 * GiB, "app");
  add_member (requests, "app-3", 6 * GiB, "app");
  xa_test_add_vm (requests, "other-1", 5 * GiB, 1);
  xa_test_add_vm (requests, "other-2", 5 * GiB, 1);
  for (guint p = 0; p < G_N_ELEMENTS (planning_policies); p++) {
    g_autoptr(XaPlan) plan = xa_test_plan (topo, requests, planning_policies[p]);

    for (guint i = 0; i < 3; i++) {
      assert_outcome (plan, i, XA_OUTCOME_DEFERRED);
      g_assert_nonnull (strstr (plan->placements[i].reason, "group \"app\""));
    }
    assert_outcome (plan, 3, XA_OUTCOME_PLANNED);
    assert_outcome (plan, 4, XA_OUTCOME_PLANNED);
  }
}

/* A member larger than the host: the group can never start, and says why. */
static void
test_group_with_impossible_member_is_rejected (void)
{
  g_autoptr(XaTopology) topo = xa_test_topology_new (2, 8 * GiB);
  g_autoptr(GPtrArray) requests = xa_test_requests_new ();
  g_autoptr(XaPlan) plan = NULL;

  add_member (requests, "small", 1 * GiB, "set");
  add_member (requests, "huge", 64 * GiB, "set");
  add_member (requests, "other", 1 * GiB, "other-set");
  plan = xa_test_plan (topo, requests, XA_POLICY_BATCH);
  assert_outcome (plan, 0, XA_OUTCOME_REJECTED);
  assert_outcome (plan, 1, XA_OUTCOME_REJECTED);
  g_assert_nonnull (strstr (plan->placements[0].reason, "huge cannot start now"));
  assert_outcome (plan, 2, XA_OUTCOME_PLANNED);
}

/* Two groups, one too large for the host: the other starts, each member on
 * one node, whichever group the first plan left short. */
static void
test_one_group_dropped_the_other_kept (void)
{
  g_autoptr(XaTopology) topo = xa_test_topology_new (4, 4 * GiB);
  g_autoptr(GPtrArray) requests = xa_test_requests_new ();
  g_autoptr(XaPlan) plan = NULL;

  for (guint i = 0; i < 3; i++) {
    g_autofree gchar *big = g_strdup_printf ("big-%u", i);
    g_autofree gchar *small = g_strdup_printf ("small-%u", i);

    add_member (requests, big, 3 * GiB, "big");
    add_member (requests, small, 3 * GiB, "small");
  }
  for (guint i = 3; i < 6; i++) {
    g_autofree gchar *big = g_strdup_printf ("big-%u", i);

    add_member (requests, big, 3 * GiB, "big");
  }
  plan = xa_test_plan (topo, requests, XA_POLICY_BATCH);
  g_assert_cmpuint (xa_plan_count (plan, XA_OUTCOME_PLANNED), ==, 3);
  g_assert_cmpuint (xa_plan_count_local (plan), ==, 3);
  for (guint i = 0; i < 3; i++)
    assert_outcome (plan, 2 * i + 1, XA_OUTCOME_PLANNED);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/planner/groups/fits-as-a-whole", test_group_that_fits_is_planned);
  g_test_add_func ("/planner/groups/waits-as-a-whole", test_group_waits_as_a_whole);
  g_test_add_func ("/planner/groups/impossible-member-rejects-the-group",
                   test_group_with_impossible_member_is_rejected);
  g_test_add_func ("/planner/groups/one-dropped-other-kept", test_one_group_dropped_the_other_kept);
  return g_test_run ();
}
