/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "xa-error.h"
#include "xa-test-sim.h"

static void
test_allocator_follows_soft_affinity (XaTestSim *f, gconstpointer data)
{
  XaTestSimBuild result = { 0 };
  guint32 domid;

  f->host = xa_test_sim_open (f, 2, 8, "", NULL);
  domid = xa_test_sim_create (f->host, "vm", 2, 4 * GiB);
  xa_test_sim_set_soft_affinity (f->host, domid, 4, 4);
  xa_test_sim_build (f->host, domid, "vm", 4 * GiB, &result);
  g_assert_true (result.ended);
  g_assert_no_error (result.error);
  g_assert_cmpuint (xa_test_sim_memory_on (f->host, domid, 1), ==, 4 * GiB);
  g_assert_cmpuint (xa_test_sim_memory_on (f->host, domid, 0), ==, 0);
}

/* Node 0 is too small for the domain, and node 3 is its nearest: Xen
 * spills in ascending node id all the same, so nodes 1 and 2 fill first.
 * (Spilling nearest first would put all 6 GiB left on node 3.) */
static void
test_allocator_spills_in_ascending_node_id (XaTestSim *f, gconstpointer data)
{
  const gchar *text = "{\"nodes\": [{\"memory\": \"4GiB\", \"cpus\": 4}, "
                      "{\"memory\": \"2GiB\", \"cpus\": 4}, {\"memory\": \"2GiB\", \"cpus\": 4}, "
                      "{\"memory\": \"16GiB\", \"cpus\": 4}], "
                      "\"distances\": [[10, 40, 30, 20], [40, 10, 20, 30], [30, 20, 10, 40], "
                      "[20, 30, 40, 10]], \"populate_mib_per_s\": 1024, \"scrub_mib_per_s\": 512, "
                      "\"overhead_mib_per_vm\": 0, \"overhead_kib_per_vcpu\": 0}";
  g_autoptr(GError) error = NULL;
  XaTestSimBuild result = { 0 };
  guint32 domid;

  f->host = xa_test_sim_open_text (f, text, NULL);
  domid = xa_test_sim_create (f->host, "vm", 1, 10 * GiB);
  g_assert_true (xa_host_set_node_affinity (f->host, domid, 0x1, &error));
  g_assert_no_error (error);
  xa_test_sim_build (f->host, domid, "vm", 10 * GiB, &result);
  g_assert_no_error (result.error);
  g_assert_cmpuint (xa_test_sim_memory_on (f->host, domid, 0), ==, 4 * GiB);
  g_assert_cmpuint (xa_test_sim_memory_on (f->host, domid, 1), ==, 2 * GiB);
  g_assert_cmpuint (xa_test_sim_memory_on (f->host, domid, 2), ==, 2 * GiB);
  g_assert_cmpuint (xa_test_sim_memory_on (f->host, domid, 3), ==, 2 * GiB);
}

/* Extents of 2 MiB go to the affine nodes 1-3 in turn, each allocation
 * from the node after the one that gave the last (the third ends on node
 * 2 with a 1 MiB rest, so the fourth starts on node 3). */
static void
test_allocator_deals_round_robin (XaTestSim *f, gconstpointer data)
{
  const guint64 builds_mib[] = { 4, 2, 3, 10 };
  const guint64 after_mib[][4] = {
    { 0, 2, 2, 0 }, { 0, 2, 2, 2 }, { 0, 4, 3, 2 }, { 0, 8, 5, 6 },
  };
  g_autoptr(GError) error = NULL;
  guint32 domid;

  f->host = xa_test_sim_open (f, 4, 8, "", NULL);
  domid = xa_test_sim_create (f->host, "vm", 1, GiB);
  g_assert_true (xa_host_set_node_affinity (f->host, domid, 0xe, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (builds_mib); i++) {
    XaTestSimBuild result = { 0 };

    xa_test_sim_build (f->host, domid, "vm", builds_mib[i], &result);
    g_assert_no_error (result.error);
    for (guint n = 0; n < 4; n++)
      g_assert_cmpuint (xa_test_sim_memory_on (f->host, domid, n), ==, after_mib[i][n]);
  }
}

/* Exact ranges put what they say on each node. */
static void
test_allocator_honours_exact_ranges (XaTestSim *f, gconstpointer data)
{
  const guint64 exact[] = { 5 * GiB, 0, 0, 3 * GiB };
  XaBuildSpec spec = { "vm", 1, 8 * GiB, exact, 4, NULL, NULL, NULL };
  XaTestSimBuild result = { 0 };
  guint32 domid;

  f->host = xa_test_sim_open (f, 4, 8, "", NULL);
  domid = xa_test_sim_create (f->host, "vm", 1, 8 * GiB);
  xa_test_sim_build_spec (f->host, domid, &spec, &result);
  g_assert_no_error (result.error);
  g_assert_cmpuint (xa_test_sim_memory_on (f->host, domid, 0), ==, 5 * GiB);
  g_assert_cmpuint (xa_test_sim_memory_on (f->host, domid, 3), ==, 3 * GiB);
}

/* Builds a domain of @mib affine to @node alone, where it fits. */
static void
fill_node (XaHost *host, guint node, guint64 mib)
{
  g_autoptr(GError) error = NULL;
  XaTestSimBuild result = { 0 };
  guint32 domid = xa_test_sim_create (host, "filler", 1, mib);

  g_assert_true (xa_host_set_node_affinity (host, domid, XA_NODESET_BIT (node), &error));
  g_assert_no_error (error);
  xa_test_sim_build (host, domid, "filler", mib, &result);
  g_assert_no_error (result.error);
  g_assert_cmpuint (xa_test_sim_memory_on (host, domid, node), ==, mib);
}

/* An exact range that its node cannot hold fails the build with ENOMEM
 * rather than spill: node 1 has 512 MiB left, the other nodes all theirs. */
static void
test_allocator_exact_range_fails_without_spilling (XaTestSim *f, gconstpointer data)
{
  const guint64 exact[] = { 0, 2 * GiB, 0, 0 };
  XaBuildSpec spec = { "big", 1, 2 * GiB, exact, 4, NULL, NULL, NULL };
  g_autoptr(XaHostInfo) before = NULL;
  g_autoptr(XaHostInfo) after = NULL;
  g_autoptr(GError) error = NULL;
  XaTestSimBuild result = { 0 };
  guint32 domid;

  f->host = xa_test_sim_open (f, 4, 8, "", NULL);
  fill_node (f->host, 1, 16 * GiB - 512);
  domid = xa_test_sim_create (f->host, "big", 1, 2 * GiB);
  before = xa_host_snapshot (f->host, &error);
  g_assert_no_error (error);
  xa_test_sim_build_spec (f->host, domid, &spec, &result);
  g_assert_error (result.error, XA_HOST_ERROR, ENOMEM);
  /* the node that ran short is named, not the host */
  g_assert_nonnull (strstr (result.error->message, "do not fit node 1's free memory"));
  g_clear_error (&result.error);
  after = xa_host_snapshot (f->host, &error);
  g_assert_no_error (error);
  for (guint n = 0; n < 4; n++) {
    g_assert_cmpuint (after->nodes[n].free_mib, ==, before->nodes[n].free_mib);
    g_assert_cmpuint (xa_test_sim_memory_on (f->host, domid, n), ==, 0);
  }
  g_assert_cmpuint (after->nodes[1].free_mib, ==, 512);
}

static void
test_allocator_spreads_without_affinity (XaTestSim *f, gconstpointer data)
{
  XaTestSimBuild result = { 0 };
  guint32 domid;

  f->host = xa_test_sim_open (f, 4, 8, "", NULL);
  domid = xa_test_sim_build_vm (f->host, 8 * GiB, &result);
  for (guint n = 0; n < 4; n++)
    g_assert_cmpuint (xa_test_sim_memory_on (f->host, domid, n), ==, 2 * GiB);
}

/* A claim keeps the host's total for its domain; it pins no node. */
static void
test_claims_protect_the_host_total (XaTestSim *f, gconstpointer data)
{
  XaTestSimBuild unclaimed = { 0 };
  XaTestSimBuild claimed = { 0 };
  guint32 a;
  guint32 b;

  f->host = xa_test_sim_open (f, 2, 8, "", NULL);
  a = xa_test_sim_create_claimed (f->host, "a", -1, 28 * GiB);
  b = xa_test_sim_create (f->host, "b", 1, 8 * GiB);
  xa_test_sim_build (f->host, b, "b", 8 * GiB, &unclaimed);
  g_assert_error (unclaimed.error, XA_HOST_ERROR, ENOMEM);
  xa_test_sim_build (f->host, a, "a", 28 * GiB, &claimed);
  g_assert_no_error (claimed.error);
  g_clear_error (&unclaimed.error);
}

/* A state file whose claims add up past the memory is bad input, on a
 * node or the host, and even where the sum would wrap around 2^64 (2048
 * claims of 2^53 MiB add up to 0 in 64 bits). */
static void
test_claims_beyond_the_memory_are_refused (XaTestSim *f, gconstpointer data)
{
  const struct {
    guint n_claims;
    const gchar *claim;
    const gchar *node;
    const gchar *where;
  } cases[] = {
    { 3, "6144", "", "the host (16384 MiB)" },
    { 2, "6144", ", \"claim_node\": 1", "node 1 (8192 MiB)" },
    { 2048, "9007199254740992", "", "the host (16384 MiB)" },
  };
  g_autofree gchar *state = g_build_filename (f->dir, "state.json", NULL);

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++) {
    g_autoptr(GString) text = g_string_new ("{\"nodes\": [{\"memory\": 8192, \"cpus\": 1}, "
                                            "{\"memory\": 8192, \"cpus\": 1}], "
                                            "\"node_claims\": true, \"domains\": [");
    g_autoptr(GError) error = NULL;
    g_autoptr(XaHost) host = NULL;
    g_autofree gchar *expected = g_strdup_printf ("domains: the claims add up to more than the "
                                                  "memory of %s", cases[c].where);

    for (guint i = 0; i < cases[c].n_claims; i++) {
      g_string_append_printf (text, "{\"name\": \"d%u\", \"vcpus\": 1, \"memory_by_node\": "
                              "[0, 0], \"uuid\": \"00000000-0000-4000-8000-%012u\", "
                              "\"claim\": %s%s}", i, i, cases[c].claim, cases[c].node);
      g_string_append (text, i + 1 < cases[c].n_claims ? ", " : "]}");
    }
    g_assert_true (g_file_set_contents (state, text->str, -1, &error));
    host = xa_host_open ("sim", state, &error);
    g_assert_null (host);
    g_assert_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT);
    g_assert_nonnull (strstr (error->message, expected));
  }
}

static void
test_claims_follow_xens_rules (XaTestSim *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *uuid = g_uuid_string_random ();
  XaDomainSpec spec = { uuid, "vm", 1, FALSE };
  guint32 domid = 0;

  f->host = xa_test_sim_open (f, 2, 8, "", NULL);
  g_assert_true (xa_host_create_domain (f->host, &spec, &domid, &error));
  /* before max memory, any claim is too large */
  g_assert_false (xa_host_claim (f->host, domid, -1, GiB, &error));
  g_assert_error (error, XA_HOST_ERROR, EINVAL);
  g_clear_error (&error);
  g_assert_true (xa_host_set_max_mem (f->host, domid, 40 * GiB, &error));
  g_assert_false (xa_host_claim (f->host, domid, -1, 40 * GiB, &error));
  g_assert_error (error, XA_HOST_ERROR, ENOMEM);
  g_clear_error (&error);
  /* stock Xen 4.17 has no node claims */
  g_assert_false (xa_host_claim (f->host, domid, 0, GiB, &error));
  g_assert_error (error, XA_HOST_ERROR, ENOSYS);
  g_clear_error (&error);
  g_assert_true (xa_host_claim (f->host, domid, -1, GiB, &error));
  g_assert_false (xa_host_claim (f->host, domid, -1, GiB, &error));
  g_assert_error (error, XA_HOST_ERROR, EINVAL);
  g_clear_error (&error);
  g_assert_true (xa_host_claim (f->host, domid, -1, 0, &error));
  g_assert_no_error (error);
}

static void
test_node_claims_keep_a_node (XaTestSim *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  XaTestSimBuild other = { 0 };
  guint32 b;

  f->host = xa_test_sim_open (f, 2, 8, ", \"node_claims\": true", NULL);
  xa_test_sim_create_claimed (f->host, "a", 0, 12 * GiB);
  b = xa_test_sim_create (f->host, "b", 1, 8 * GiB);
  g_assert_true (xa_host_set_node_affinity (f->host, b, 0x1, &error));
  xa_test_sim_build (f->host, b, "b", 8 * GiB, &other);
  g_assert_no_error (other.error);
  /* node 0 keeps 12 GiB for a: b got the 4 GiB left there, then spilled */
  g_assert_cmpuint (xa_test_sim_memory_on (f->host, b, 0), ==, 4 * GiB);
  g_assert_cmpuint (xa_test_sim_memory_on (f->host, b, 1), ==, 4 * GiB);
}

static void
test_build_takes_populate_time (XaTestSim *f, gconstpointer data)
{
  XaTestSimBuild result = { 0 };

  f->host = xa_test_sim_open (f, 2, 8, "", NULL);
  xa_test_sim_build_vm (f->host, 4 * GiB, &result);
  /* 4 GiB at 1024 MiB/s, and up to 5 % more by the seed */
  g_assert_cmpfloat (result.at_s, >=, 4.0);
  g_assert_cmpfloat (result.at_s, <=, 4.0 * 1.05);
}

/* Four builds on bandwidth for two: each at half the rate. */
static void
test_builds_share_the_bandwidth (XaTestSim *f, gconstpointer data)
{
  XaTestSimBuild results[4] = { { 0 } };

  f->host = xa_test_sim_open (f, 2, 2, "", NULL);
  for (guint i = 0; i < 4; i++) {
    g_autofree gchar *name = g_strdup_printf ("vm-%u", i);

    xa_test_sim_start_build (f->host, xa_test_sim_create (f->host, name, 1, 2 * GiB), name,
                             2 * GiB, &results[i]);
  }
  xa_test_sim_run_clock (f->host);
  for (guint i = 0; i < 4; i++) {
    g_assert_cmpfloat (results[i].at_s, >=, 4.0);
    g_assert_cmpfloat (results[i].at_s, <=, 4.0 * 1.05);
  }
}

/* A node full of freed, unscrubbed memory: the build scrubs it, at 512 MiB/s. */
static void
test_dirty_memory_costs_scrubbing (XaTestSim *f, gconstpointer data)
{
  const gchar *text = "{\"nodes\": [{\"memory\": \"16GiB\", \"dirty\": \"16GiB\", \"cpus\": 4}], "
                      "\"populate_mib_per_s\": 1024, \"scrub_mib_per_s\": 512, "
                      "\"overhead_mib_per_vm\": 0, \"overhead_kib_per_vcpu\": 0}";
  XaTestSimBuild result = { 0 };

  f->host = xa_test_sim_open_text (f, text, NULL);
  xa_test_sim_build_vm (f->host, GiB, &result);
  /* 1 s to populate, 2 s to scrub it, and at most 5 % of jitter */
  g_assert_cmpfloat (result.at_s, >=, 3.0);
  g_assert_cmpfloat (result.at_s, <=, 3.0 * 1.05);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  xa_test_sim_add ("/scheduler/sim/alloc/follows-soft-affinity",
                   test_allocator_follows_soft_affinity);
  xa_test_sim_add ("/scheduler/sim/alloc/spills-in-ascending-node-id",
                   test_allocator_spills_in_ascending_node_id);
  xa_test_sim_add ("/scheduler/sim/alloc/deals-round-robin", test_allocator_deals_round_robin);
  xa_test_sim_add ("/scheduler/sim/alloc/spreads-without-affinity",
                   test_allocator_spreads_without_affinity);
  xa_test_sim_add ("/scheduler/sim/alloc/honours-exact-ranges",
                   test_allocator_honours_exact_ranges);
  xa_test_sim_add ("/scheduler/sim/alloc/exact-range-fails-without-spilling",
                   test_allocator_exact_range_fails_without_spilling);
  xa_test_sim_add ("/scheduler/sim/claims/protect-the-host-total",
                   test_claims_protect_the_host_total);
  xa_test_sim_add ("/scheduler/sim/claims/follow-xens-rules", test_claims_follow_xens_rules);
  xa_test_sim_add ("/scheduler/sim/claims/beyond-the-memory-are-refused",
                   test_claims_beyond_the_memory_are_refused);
  xa_test_sim_add ("/scheduler/sim/claims/node-claims-keep-a-node", test_node_claims_keep_a_node);
  xa_test_sim_add ("/scheduler/sim/build/takes-populate-time", test_build_takes_populate_time);
  xa_test_sim_add ("/scheduler/sim/build/shares-the-bandwidth", test_builds_share_the_bandwidth);
  xa_test_sim_add ("/scheduler/sim/build/dirty-memory-costs-scrubbing",
                   test_dirty_memory_costs_scrubbing);
  return g_test_run ();
}
