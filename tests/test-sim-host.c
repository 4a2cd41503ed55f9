/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "xa-error.h"
#include "xa-host.h"
#include "xa-test-util.h"

typedef struct {
  XaTestDir *dir;
  XaHost *host;
} Fixture;

/* A host file: @nodes nodes of 16 GiB and 4 CPUs each, two sockets of two
 * nodes (10 / 12 / 32), populate 1024 MiB/s, bandwidth for @lanes builds. */
static gchar *
host_text (guint nodes, guint lanes, const gchar *extra)
{
  GString *text = g_string_new ("{\"nodes\": [");

  for (guint n = 0; n < nodes; n++)
    g_string_append_printf (text, "%s{\"memory\": \"16GiB\", \"cpus\": 4}", n > 0 ? ", " : "");
  g_string_append (text, "], \"distances\": [");
  for (guint i = 0; i < nodes; i++) {
    g_string_append (text, i > 0 ? ", [" : "[");
    for (guint j = 0; j < nodes; j++)
      g_string_append_printf (text, "%s%u", j > 0 ? ", " : "",
                              i == j ? 10 : (i / 2 == j / 2 ? 12 : 32));
    g_string_append (text, "]");
  }
  g_string_append_printf (text, "], \"populate_mib_per_s\": 1024, \"bandwidth_mib_per_s\": %u, "
                          "\"scrub_mib_per_s\": 512, \"overhead_mib_per_vm\": 0, "
                          "\"overhead_kib_per_vcpu\": 0%s}", 1024 * lanes, extra);
  return g_string_free (text, FALSE);
}

static XaHost *
open_host_text (Fixture *f, const gchar *text, const gchar *state)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *path = xa_test_dir_write (f->dir, "host.json", text);
  g_autofree gchar *spec = xa_test_host_spec_at (path);
  XaHost *host = xa_host_open (spec, state, &error);

  g_assert_no_error (error);
  return host;
}

static XaHost *
open_host (Fixture *f, guint nodes, guint lanes, const gchar *extra, const gchar *state)
{
  g_autofree gchar *text = host_text (nodes, lanes, extra);

  return open_host_text (f, text, state);
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->dir = xa_test_dir_new ();
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->host, xa_host_free);
  g_clear_pointer (&f->dir, xa_test_dir_free);
}

/* Creates a domain of @vcpus and max memory @max_mib, as build_pre would. */
static guint32
create (XaHost *host, const gchar *name, guint vcpus, guint64 max_mib)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *uuid = g_uuid_string_random ();
  XaDomainSpec spec = { uuid, name, vcpus, FALSE };
  guint32 domid = 0;

  g_assert_true (xa_host_create_domain (host, &spec, &domid, &error));
  g_assert_true (xa_host_set_max_vcpus (host, domid, vcpus, &error));
  g_assert_true (xa_host_set_max_mem (host, domid, max_mib, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (domid, >, 0);
  return domid;
}

/* Creates a domain as create() does and claims all of its memory on @node
 * (-1: anywhere on the host). */
static guint32
create_claimed (XaHost *host, const gchar *name, gint node, guint64 mib)
{
  g_autoptr(GError) error = NULL;
  guint32 domid = create (host, name, 1, mib);

  g_assert_true (xa_host_claim (host, domid, node, mib, &error));
  g_assert_no_error (error);
  return domid;
}

static void
set_soft_affinity (XaHost *host, guint32 domid, guint first_cpu, guint n_cpus)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) cpus = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint c = first_cpu; c < first_cpu + n_cpus; c++)
    g_array_append_val (cpus, c);
  g_assert_true (xa_host_set_vcpu_affinity (host, domid, cpus, FALSE, &error));
  g_assert_no_error (error);
}

typedef struct {
  gboolean ended;
  gdouble at_s;
  GError *error;
  XaClock *clock;
} BuildResult;

static void
build_done (const GError *error, gpointer user_data)
{
  BuildResult *result = user_data;

  result->ended = TRUE;
  result->at_s = xa_clock_now (result->clock);
  result->error = error != NULL ? g_error_copy (error) : NULL;
}

static void
start_build_spec (XaHost *host, guint32 domid, const XaBuildSpec *spec, BuildResult *result)
{
  result->clock = xa_host_get_clock (host);
  xa_host_build (host, domid, spec, build_done, result);
}

static void
start_build (XaHost *host, guint32 domid, const gchar *name, guint64 mib, BuildResult *result)
{
  XaBuildSpec spec = { name, 1, mib, NULL, 0, NULL, NULL, NULL };

  start_build_spec (host, domid, &spec, result);
}

static void
run_clock (XaHost *host)
{
  while (xa_clock_run_next (xa_host_get_clock (host)))
    ;
}

/* Builds @domid and runs the clock until all there is to do is done. */
static void
build_spec (XaHost *host, guint32 domid, const XaBuildSpec *spec, BuildResult *result)
{
  start_build_spec (host, domid, spec, result);
  run_clock (host);
}

static void
build (XaHost *host, guint32 domid, const gchar *name, guint64 mib, BuildResult *result)
{
  start_build (host, domid, name, mib, result);
  run_clock (host);
}

/* Creates and builds a 1-vCPU domain "vm" of @mib and runs the clock out. */
static guint32
build_vm (XaHost *host, guint64 mib, BuildResult *result)
{
  guint32 domid = create (host, "vm", 1, mib);

  build (host, domid, "vm", mib, result);
  return domid;
}

static guint64
memory_on (XaHost *host, guint32 domid, guint node)
{
  g_autoptr(GError) error = NULL;
  guint64 mib[8] = { 0 };

  g_assert_true (xa_host_domain_memory (host, domid, mib, &error));
  return mib[node];
}

static void
test_allocator_follows_soft_affinity (Fixture *f, gconstpointer data)
{
  BuildResult result = { 0 };
  guint32 domid;

  f->host = open_host (f, 2, 8, "", NULL);
  domid = create (f->host, "vm", 2, 4 * GiB);
  set_soft_affinity (f->host, domid, 4, 4);
  build (f->host, domid, "vm", 4 * GiB, &result);
  g_assert_true (result.ended);
  g_assert_no_error (result.error);
  g_assert_cmpuint (memory_on (f->host, domid, 1), ==, 4 * GiB);
  g_assert_cmpuint (memory_on (f->host, domid, 0), ==, 0);
}

/* Node 0 is too small for the domain, and node 3 is its nearest: Xen
 * spills in ascending node id all the same, so nodes 1 and 2 fill first.
 * (Spilling nearest first would put all 6 GiB left on node 3.) */
static void
test_allocator_spills_in_ascending_node_id (Fixture *f, gconstpointer data)
{
  const gchar *text = "{\"nodes\": [{\"memory\": \"4GiB\", \"cpus\": 4}, "
                      "{\"memory\": \"2GiB\", \"cpus\": 4}, {\"memory\": \"2GiB\", \"cpus\": 4}, "
                      "{\"memory\": \"16GiB\", \"cpus\": 4}], "
                      "\"distances\": [[10, 40, 30, 20], [40, 10, 20, 30], [30, 20, 10, 40], "
                      "[20, 30, 40, 10]], \"populate_mib_per_s\": 1024, \"scrub_mib_per_s\": 512, "
                      "\"overhead_mib_per_vm\": 0, \"overhead_kib_per_vcpu\": 0}";
  g_autoptr(GError) error = NULL;
  BuildResult result = { 0 };
  guint32 domid;

  f->host = open_host_text (f, text, NULL);
  domid = create (f->host, "vm", 1, 10 * GiB);
  g_assert_true (xa_host_set_node_affinity (f->host, domid, 0x1, &error));
  g_assert_no_error (error);
  build (f->host, domid, "vm", 10 * GiB, &result);
  g_assert_no_error (result.error);
  g_assert_cmpuint (memory_on (f->host, domid, 0), ==, 4 * GiB);
  g_assert_cmpuint (memory_on (f->host, domid, 1), ==, 2 * GiB);
  g_assert_cmpuint (memory_on (f->host, domid, 2), ==, 2 * GiB);
  g_assert_cmpuint (memory_on (f->host, domid, 3), ==, 2 * GiB);
}

/* Extents of 2 MiB go to the affine nodes 1-3 in turn, each allocation
 * from the node after the one that gave the last (the third ends on node
 * 2 with a 1 MiB rest, so the fourth starts on node 3). */
static void
test_allocator_deals_round_robin (Fixture *f, gconstpointer data)
{
  const guint64 builds_mib[] = { 4, 2, 3, 10 };
  const guint64 after_mib[][4] = {
    { 0, 2, 2, 0 }, { 0, 2, 2, 2 }, { 0, 4, 3, 2 }, { 0, 8, 5, 6 },
  };
  g_autoptr(GError) error = NULL;
  guint32 domid;

  f->host = open_host (f, 4, 8, "", NULL);
  domid = create (f->host, "vm", 1, GiB);
  g_assert_true (xa_host_set_node_affinity (f->host, domid, 0xe, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (builds_mib); i++) {
    BuildResult result = { 0 };

    build (f->host, domid, "vm", builds_mib[i], &result);
    g_assert_no_error (result.error);
    for (guint n = 0; n < 4; n++)
      g_assert_cmpuint (memory_on (f->host, domid, n), ==, after_mib[i][n]);
  }
}

/* Exact ranges put what they say on each node. */
static void
test_allocator_honours_exact_ranges (Fixture *f, gconstpointer data)
{
  const guint64 exact[] = { 5 * GiB, 0, 0, 3 * GiB };
  XaBuildSpec spec = { "vm", 1, 8 * GiB, exact, 4, NULL, NULL, NULL };
  BuildResult result = { 0 };
  guint32 domid;

  f->host = open_host (f, 4, 8, "", NULL);
  domid = create (f->host, "vm", 1, 8 * GiB);
  build_spec (f->host, domid, &spec, &result);
  g_assert_no_error (result.error);
  g_assert_cmpuint (memory_on (f->host, domid, 0), ==, 5 * GiB);
  g_assert_cmpuint (memory_on (f->host, domid, 3), ==, 3 * GiB);
}

/* Builds a domain of @mib affine to @node alone, where it fits. */
static void
fill_node (XaHost *host, guint node, guint64 mib)
{
  g_autoptr(GError) error = NULL;
  BuildResult result = { 0 };
  guint32 domid = create (host, "filler", 1, mib);

  g_assert_true (xa_host_set_node_affinity (host, domid, XA_NODESET_BIT (node), &error));
  g_assert_no_error (error);
  build (host, domid, "filler", mib, &result);
  g_assert_no_error (result.error);
  g_assert_cmpuint (memory_on (host, domid, node), ==, mib);
}

/* An exact range that its node cannot hold fails the build with ENOMEM
 * rather than spill: node 1 has 512 MiB left, the other nodes all theirs. */
static void
test_allocator_exact_range_fails_without_spilling (Fixture *f, gconstpointer data)
{
  const guint64 exact[] = { 0, 2 * GiB, 0, 0 };
  XaBuildSpec spec = { "big", 1, 2 * GiB, exact, 4, NULL, NULL, NULL };
  g_autoptr(XaHostInfo) before = NULL;
  g_autoptr(XaHostInfo) after = NULL;
  g_autoptr(GError) error = NULL;
  BuildResult result = { 0 };
  guint32 domid;

  f->host = open_host (f, 4, 8, "", NULL);
  fill_node (f->host, 1, 16 * GiB - 512);
  domid = create (f->host, "big", 1, 2 * GiB);
  before = xa_host_snapshot (f->host, &error);
  g_assert_no_error (error);
  build_spec (f->host, domid, &spec, &result);
  g_assert_error (result.error, XA_HOST_ERROR, ENOMEM);
  /* the node that ran short is named, not the host */
  g_assert_nonnull (strstr (result.error->message, "do not fit node 1's free memory"));
  g_clear_error (&result.error);
  after = xa_host_snapshot (f->host, &error);
  g_assert_no_error (error);
  for (guint n = 0; n < 4; n++) {
    g_assert_cmpuint (after->nodes[n].free_mib, ==, before->nodes[n].free_mib);
    g_assert_cmpuint (memory_on (f->host, domid, n), ==, 0);
  }
  g_assert_cmpuint (after->nodes[1].free_mib, ==, 512);
}

static void
test_allocator_spreads_without_affinity (Fixture *f, gconstpointer data)
{
  BuildResult result = { 0 };
  guint32 domid;

  f->host = open_host (f, 4, 8, "", NULL);
  domid = build_vm (f->host, 8 * GiB, &result);
  for (guint n = 0; n < 4; n++)
    g_assert_cmpuint (memory_on (f->host, domid, n), ==, 2 * GiB);
}

/* A claim keeps the host's total for its domain; it pins no node. */
static void
test_claims_protect_the_host_total (Fixture *f, gconstpointer data)
{
  BuildResult unclaimed = { 0 };
  BuildResult claimed = { 0 };
  guint32 a;
  guint32 b;

  f->host = open_host (f, 2, 8, "", NULL);
  a = create_claimed (f->host, "a", -1, 28 * GiB);
  b = create (f->host, "b", 1, 8 * GiB);
  build (f->host, b, "b", 8 * GiB, &unclaimed);
  g_assert_error (unclaimed.error, XA_HOST_ERROR, ENOMEM);
  build (f->host, a, "a", 28 * GiB, &claimed);
  g_assert_no_error (claimed.error);
  g_clear_error (&unclaimed.error);
}

static void
test_claims_follow_xens_rules (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *uuid = g_uuid_string_random ();
  XaDomainSpec spec = { uuid, "vm", 1, FALSE };
  guint32 domid = 0;

  f->host = open_host (f, 2, 8, "", NULL);
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
test_node_claims_keep_a_node (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  BuildResult other = { 0 };
  guint32 b;

  f->host = open_host (f, 2, 8, ", \"node_claims\": true", NULL);
  create_claimed (f->host, "a", 0, 12 * GiB);
  b = create (f->host, "b", 1, 8 * GiB);
  g_assert_true (xa_host_set_node_affinity (f->host, b, 0x1, &error));
  build (f->host, b, "b", 8 * GiB, &other);
  g_assert_no_error (other.error);
  /* node 0 keeps 12 GiB for a: b got the 4 GiB left there, then spilled */
  g_assert_cmpuint (memory_on (f->host, b, 0), ==, 4 * GiB);
  g_assert_cmpuint (memory_on (f->host, b, 1), ==, 4 * GiB);
}

static void
test_build_takes_populate_time (Fixture *f, gconstpointer data)
{
  BuildResult result = { 0 };

  f->host = open_host (f, 2, 8, "", NULL);
  build_vm (f->host, 4 * GiB, &result);
  /* 4 GiB at 1024 MiB/s, and up to 5 % more by the seed */
  g_assert_cmpfloat (result.at_s, >=, 4.0);
  g_assert_cmpfloat (result.at_s, <=, 4.0 * 1.05);
}

/* Four builds on bandwidth for two: each at half the rate. */
static void
test_builds_share_the_bandwidth (Fixture *f, gconstpointer data)
{
  BuildResult results[4] = { { 0 } };

  f->host = open_host (f, 2, 2, "", NULL);
  for (guint i = 0; i < 4; i++) {
    g_autofree gchar *name = g_strdup_printf ("vm-%u", i);

    start_build (f->host, create (f->host, name, 1, 2 * GiB), name, 2 * GiB, &results[i]);
  }
  run_clock (f->host);
  for (guint i = 0; i < 4; i++) {
    g_assert_cmpfloat (results[i].at_s, >=, 4.0);
    g_assert_cmpfloat (results[i].at_s, <=, 4.0 * 1.05);
  }
}

/* A node full of freed, unscrubbed memory: the build scrubs it, at 512 MiB/s. */
static void
test_dirty_memory_costs_scrubbing (Fixture *f, gconstpointer data)
{
  const gchar *text = "{\"nodes\": [{\"memory\": \"16GiB\", \"dirty\": \"16GiB\", \"cpus\": 4}], "
                      "\"populate_mib_per_s\": 1024, \"scrub_mib_per_s\": 512, "
                      "\"overhead_mib_per_vm\": 0, \"overhead_kib_per_vcpu\": 0}";
  BuildResult result = { 0 };

  f->host = open_host_text (f, text, NULL);
  build_vm (f->host, GiB, &result);
  /* 1 s to populate, 2 s to scrub it, and at most 5 % of jitter */
  g_assert_cmpfloat (result.at_s, >=, 3.0);
  g_assert_cmpfloat (result.at_s, <=, 3.0 * 1.05);
}

static void
test_fault_fails_a_build (Fixture *f, gconstpointer data)
{
  BuildResult first = { 0 };
  BuildResult second = { 0 };
  XaBuildSpec spec = { "vm", 2, GiB, NULL, 0, NULL, NULL, NULL };
  guint32 domid;

  f->host = open_host (f, 2, 8, ", \"faults\": [{\"build_fails\": \"vm\", \"attempt\": 1}]", NULL);
  domid = build_vm (f->host, GiB, &first);
  g_assert_error (first.error, XA_HOST_ERROR, EIO);
  g_assert_nonnull (strstr (first.error->message, "fails on attempt 1"));
  build_spec (f->host, domid, &spec, &second);
  g_assert_no_error (second.error);
  g_clear_error (&first.error);
}

static void
test_fault_fails_a_call (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  guint32 domid;

  f->host = open_host (f, 2, 8, ", \"faults\": [{\"call_fails\": \"unpause\", \"use\": 2}]", NULL);
  domid = create (f->host, "vm", 1, GiB);
  g_assert_true (xa_host_unpause (f->host, domid, &error));
  g_assert_false (xa_host_unpause (f->host, domid, &error));
  g_assert_error (error, XA_HOST_ERROR, EIO);
}

/* A take happens at its time, once: a host restarted from the state saved
 * after it does not take the memory again. */
static void
test_fault_takes_memory_at_its_time (Fixture *f, gconstpointer data)
{
  const gchar *fault = ", \"faults\": [{\"at_s\": 5, \"take\": \"6GiB\", \"node\": 1}]";
  g_autofree gchar *state = g_build_filename (f->dir, "state.json", NULL);
  g_autoptr(XaHostInfo) before = NULL;
  g_autoptr(XaHostInfo) after = NULL;
  g_autoptr(GError) error = NULL;

  f->host = open_host (f, 2, 8, fault, state);
  before = xa_host_snapshot (f->host, &error);
  run_clock (f->host);
  g_assert_true (xa_host_save (f->host, &error));
  g_clear_pointer (&f->host, xa_host_free);
  f->host = open_host (f, 2, 8, fault, state);
  run_clock (f->host);
  after = xa_host_snapshot (f->host, &error);
  g_assert_cmpuint (before->nodes[1].free_mib - after->nodes[1].free_mib, ==, 6 * GiB);
  g_assert_cmpfloat (after->time_s, ==, 5.0);
}

/* A restarted xadmit finds the domains, their memory and the clock. */
static void
test_state_outlives_the_process (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *state = g_build_filename (f->dir, "state.json", NULL);
  g_autoptr(XaHostInfo) info = NULL;
  BuildResult result = { 0 };
  const XaHostDomain *domain;
  gchar *uuid;
  guint32 domid;

  f->host = open_host (f, 2, 8, "", state);
  domid = create (f->host, "vm", 1, 3 * GiB);
  set_soft_affinity (f->host, domid, 0, 4);
  build (f->host, domid, "vm", 3 * GiB, &result);
  info = xa_host_snapshot (f->host, &error);
  uuid = g_strdup (((XaHostDomain *) g_ptr_array_index (info->domains, 0))->uuid);
  g_clear_pointer (&info, xa_host_info_free);
  g_assert_true (xa_host_save (f->host, &error));
  g_assert_no_error (error);
  g_clear_pointer (&f->host, xa_host_free);
  f->host = open_host (f, 2, 8, "", state);
  info = xa_host_snapshot (f->host, &error);
  domain = xa_host_info_find_domain (info, uuid);
  g_assert_nonnull (domain);
  g_assert_cmpuint (domain->memory_by_node_mib[0], ==, 3 * GiB);
  g_assert_cmpuint (domain->domid, ==, domid);
  g_assert_cmpfloat (info->time_s, >=, 3.0);
  g_assert_cmpuint (info->nodes[0].free_mib, ==, 13 * GiB);
  g_free (uuid);
}

static void
test_lock_allows_one_admitter (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *state = g_build_filename (f->dir, "state.json", NULL);
  g_autoptr(XaHost) second = NULL;

  f->host = open_host (f, 2, 8, "", state);
  g_assert_true (xa_host_lock (f->host, &error));
  second = open_host (f, 2, 8, "", state);
  g_assert_false (xa_host_lock (second, &error));
  g_assert_error (error, XA_ERROR, XA_ERROR_BUSY);
  g_assert_nonnull (strstr (error->message, "admits for the simulated host in"));
}

/* What xa_host_info_to_topology() counts of @info's domains, as a
 * string: capacity and vCPUs placed, node by node. */
static gchar *
topology_loads (const XaHostInfo *info)
{
  g_autoptr(XaTopology) topo = xa_host_info_to_topology (info);
  GString *text = g_string_new (NULL);

  for (guint n = 0; n < topo->n_nodes; n++)
    g_string_append_printf (text, "%s%" G_GUINT64_FORMAT "/%u", n > 0 ? " " : "",
                            topo->nodes[n].capacity_mib, topo->nodes[n].vcpus_placed);
  return g_string_free (text, FALSE);
}

/* A batch's snapshot copies the domains asked for, not every domain, yet
 * its loads, kept as domains are created, populated and destroyed, are
 * what a full snapshot counts. */
static void
test_snapshot_some_copies_the_domains_asked (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(XaHostInfo) full = NULL;
  g_autoptr(XaHostInfo) some = NULL;
  g_autofree gchar *full_loads = NULL;
  g_autofree gchar *some_loads = NULL;
  BuildResult result = { 0 };
  guint32 kept;
  guint32 gone;

  f->host = open_host (f, 2, 8, ", \"domains\": [{\"name\": \"dom0\", \"memory_by_node\": "
                       "[\"2GiB\", \"0\"], \"vcpus\": 4}]", NULL);
  kept = create (f->host, "kept", 3, 4 * GiB);
  set_soft_affinity (f->host, kept, 4, 4);
  build (f->host, kept, "kept", 4 * GiB, &result);
  gone = build_vm (f->host, 1 * GiB, &result);
  build_vm (f->host, 1 * GiB, &result);
  g_assert_true (xa_host_destroy (f->host, gone, &error));
  g_assert_no_error (error);
  full = xa_host_snapshot (f->host, &error);
  some = xa_host_snapshot_some (f->host, &kept, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (full->domains->len, ==, 3);
  g_assert_cmpuint (some->domains->len, ==, 1);
  g_assert_cmpuint (((XaHostDomain *) g_ptr_array_index (some->domains, 0))->domid, ==, kept);
  full_loads = topology_loads (full);
  some_loads = topology_loads (some);
  g_assert_cmpstr (full_loads, ==, "14336/5 16384/3");
  g_assert_cmpstr (some_loads, ==, full_loads);
}

/* The same seed gives the same times, another seed others. */
static gdouble
build_time_with_seed (Fixture *f, guint32 seed)
{
  BuildResult result = { 0 };

  g_clear_pointer (&f->host, xa_host_free);
  f->host = open_host (f, 2, 8, "", NULL);
  xa_host_set_seed (f->host, seed);
  build_vm (f->host, 8 * GiB, &result);
  return result.at_s;
}

static void
test_runs_are_deterministic (Fixture *f, gconstpointer data)
{
  gdouble first = build_time_with_seed (f, 7);
  gdouble again = build_time_with_seed (f, 7);
  gdouble other = build_time_with_seed (f, 8);

  g_assert_cmpfloat (first, ==, again);
  g_assert_cmpfloat (first, !=, other);
}

static void
add (const gchar *path, void (*func) (Fixture *, gconstpointer))
{
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  add ("/scheduler/sim/alloc/follows-soft-affinity", test_allocator_follows_soft_affinity);
  add ("/scheduler/sim/alloc/spills-in-ascending-node-id",
       test_allocator_spills_in_ascending_node_id);
  add ("/scheduler/sim/alloc/deals-round-robin", test_allocator_deals_round_robin);
  add ("/scheduler/sim/alloc/spreads-without-affinity", test_allocator_spreads_without_affinity);
  add ("/scheduler/sim/alloc/honours-exact-ranges", test_allocator_honours_exact_ranges);
  add ("/scheduler/sim/alloc/exact-range-fails-without-spilling",
       test_allocator_exact_range_fails_without_spilling);
  add ("/scheduler/sim/claims/protect-the-host-total", test_claims_protect_the_host_total);
  add ("/scheduler/sim/claims/follow-xens-rules", test_claims_follow_xens_rules);
  add ("/scheduler/sim/claims/node-claims-keep-a-node", test_node_claims_keep_a_node);
  add ("/scheduler/sim/build/takes-populate-time", test_build_takes_populate_time);
  add ("/scheduler/sim/build/shares-the-bandwidth", test_builds_share_the_bandwidth);
  add ("/scheduler/sim/build/dirty-memory-costs-scrubbing", test_dirty_memory_costs_scrubbing);
  add ("/scheduler/sim/faults/fail-a-build", test_fault_fails_a_build);
  add ("/scheduler/sim/faults/fail-a-call", test_fault_fails_a_call);
  add ("/scheduler/sim/faults/take-memory-at-their-time", test_fault_takes_memory_at_its_time);
  add ("/scheduler/sim/state/outlives-the-process", test_state_outlives_the_process);
  add ("/scheduler/sim/lock/allows-one-admitter", test_lock_allows_one_admitter);
  add ("/scheduler/sim/deterministic", test_runs_are_deterministic);
  add ("/scheduler/sim/snapshot/some-copies-the-domains-asked",
       test_snapshot_some_copies_the_domains_asked);
  return g_test_run ();
}
