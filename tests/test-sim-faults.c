/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "xa-error.h"
#include "xa-test-sim.h"

static void
test_fault_fails_a_build (XaTestSim *f, gconstpointer data)
{
  XaTestSimBuild first = { 0 };
  XaTestSimBuild second = { 0 };
  XaBuildSpec spec = { "vm", 2, GiB, NULL, 0, NULL, NULL, NULL };
  guint32 domid;

  f->host = xa_test_sim_open (f, 2, 8, ", \"faults\": [{\"build_fails\": \"vm\", \"attempt\": 1}]",
                              NULL);
  domid = xa_test_sim_build_vm (f->host, GiB, &first);
  g_assert_error (first.error, XA_HOST_ERROR, EIO);
  g_assert_nonnull (strstr (first.error->message, "fails on attempt 1"));
  xa_test_sim_build_spec (f->host, domid, &spec, &second);
  g_assert_no_error (second.error);
  g_clear_error (&first.error);
}

static void
test_fault_fails_a_call (XaTestSim *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  guint32 domid;

  f->host = xa_test_sim_open (f, 2, 8, ", \"faults\": [{\"call_fails\": \"unpause\", \"use\": 2}]",
                              NULL);
  domid = xa_test_sim_create (f->host, "vm", 1, GiB);
  g_assert_true (xa_host_unpause (f->host, domid, &error));
  g_assert_false (xa_host_unpause (f->host, domid, &error));
  g_assert_error (error, XA_HOST_ERROR, EIO);
}

/* A call fault's count of uses outlives the process in the state file: the
 * use it breaks fails once, whichever life of the host it comes in. */
static void
test_fault_fails_a_call_once_across_lives (XaTestSim *f, gconstpointer data)
{
  const gchar *fault = ", \"faults\": [{\"call_fails\": \"unpause\", \"use\": 2}]";
  g_autofree gchar *state = g_build_filename (f->dir, "state.json", NULL);
  g_autoptr(GError) error = NULL;
  guint32 domid;

  f->host = xa_test_sim_open (f, 2, 8, fault, state);
  domid = xa_test_sim_create (f->host, "vm", 1, GiB);
  g_assert_true (xa_host_unpause (f->host, domid, &error));
  g_assert_true (xa_host_save (f->host, &error));
  g_clear_pointer (&f->host, xa_host_free);
  f->host = xa_test_sim_open (f, 2, 8, fault, state);
  g_assert_false (xa_host_unpause (f->host, domid, &error));
  g_assert_error (error, XA_HOST_ERROR, EIO);
  g_clear_error (&error);
  g_assert_true (xa_host_save (f->host, &error));
  g_clear_pointer (&f->host, xa_host_free);
  f->host = xa_test_sim_open (f, 2, 8, fault, state);
  g_assert_true (xa_host_unpause (f->host, domid, &error));
  g_assert_true (xa_host_unpause (f->host, domid, &error));
  g_assert_no_error (error);
}

/* A call fails with the errno its fault gives (docs/formats.md, Faults). */
static void
test_fault_fails_a_call_with_its_errno (XaTestSim *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  XaDomainSpec spec = { "u", "vm", 1, FALSE };
  guint32 domid = 0;

  f->host = xa_test_sim_open (f, 2, 8, ", \"faults\": [{\"call_fails\": \"create_domain\", "
                              "\"errno\": \"EBUSY\"}]", NULL);
  g_assert_false (xa_host_create_domain (f->host, &spec, &domid, &error));
  g_assert_error (error, XA_HOST_ERROR, EBUSY);
}

/* Memory given back after a take: the node has its free memory again, and
 * never more than its domains leave of it. */
static void
test_fault_gives_memory_back (XaTestSim *f, gconstpointer data)
{
  g_autoptr(XaHostInfo) before = NULL;
  g_autoptr(XaHostInfo) after = NULL;
  g_autoptr(GError) error = NULL;

  f->host = xa_test_sim_open (f, 2, 8, ", \"faults\": [{\"at_s\": 1, \"take\": \"6GiB\", "
                              "\"node\": 1}, {\"at_s\": 2, \"give\": \"8GiB\", \"node\": 1}]",
                              NULL);
  before = xa_host_snapshot (f->host, &error);
  g_assert_true (xa_clock_run_next (xa_host_get_clock (f->host)));
  after = xa_host_snapshot (f->host, &error);
  g_assert_cmpuint (before->nodes[1].free_mib - after->nodes[1].free_mib, ==, 6 * GiB);
  xa_host_info_free (g_steal_pointer (&after));
  xa_test_sim_run_clock (f->host);
  after = xa_host_snapshot (f->host, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (after->nodes[1].free_mib, ==, before->nodes[1].free_mib);
}

static gboolean
domain_is_unfinished (XaHost *host, guint32 domid)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(XaHostInfo) info = xa_host_snapshot (host, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < info->domains->len; i++) {
    const XaHostDomain *domain = g_ptr_array_index (info->domains, i);

    if (domain->domid == domid)
      return domain->unfinished;
  }
  g_assert_not_reached ();
}

/* A build that hangs once it populated the guest's memory (not yet Xen's
 * overhead) is unfinished, in the state saved too: a restart must not take
 * it for built (the simulation's seed 497 did, and left its claim). */
static void
test_hung_build_stays_unfinished (XaTestSim *f, gconstpointer data)
{
  const gchar *fault = ", \"faults\": [{\"build_hangs\": \"vm\"}]";
  g_autofree gchar *state = g_build_filename (f->dir, "state.json", NULL);
  g_autoptr(GError) error = NULL;
  XaTestSimBuild hung = { 0 };
  XaBuildSpec spec = { "vm", 1, GiB + 6, NULL, 0, NULL, NULL, NULL };
  guint32 domid;

  f->host = xa_test_sim_open (f, 2, 8, fault, state);
  domid = xa_test_sim_create_claimed (f->host, "vm", -1, GiB + 6);
  g_assert_true (domain_is_unfinished (f->host, domid));
  xa_test_sim_start_build_spec (f->host, domid, &spec, &hung);
  while (xa_test_sim_memory_on (f->host, domid, 0) + xa_test_sim_memory_on (f->host, domid, 1) <
           GiB &&
         xa_clock_run_next (xa_host_get_clock (f->host)))
    ;
  g_assert_false (hung.ended);
  g_assert_true (xa_host_save (f->host, &error));
  g_clear_pointer (&f->host, xa_host_free);
  f->host = xa_test_sim_open (f, 2, 8, fault, state);
  g_assert_cmpuint (xa_test_sim_memory_on (f->host, domid, 0) +
                    xa_test_sim_memory_on (f->host, domid, 1), ==, GiB);
  g_assert_true (domain_is_unfinished (f->host, domid));
}

/* A build that ends well finishes its domain. */
static void
test_built_domain_is_finished (XaTestSim *f, gconstpointer data)
{
  XaTestSimBuild built = { 0 };
  guint32 domid;

  f->host = xa_test_sim_open (f, 2, 8, "", NULL);
  domid = xa_test_sim_build_vm (f->host, GiB, &built);
  g_assert_no_error (built.error);
  g_assert_false (domain_is_unfinished (f->host, domid));
}

/* A take happens at its time, once: a host restarted from the state saved
 * after it does not take the memory again. */
static void
test_fault_takes_memory_at_its_time (XaTestSim *f, gconstpointer data)
{
  const gchar *fault = ", \"faults\": [{\"at_s\": 5, \"take\": \"6GiB\", \"node\": 1}]";
  g_autofree gchar *state = g_build_filename (f->dir, "state.json", NULL);
  g_autoptr(XaHostInfo) before = NULL;
  g_autoptr(XaHostInfo) after = NULL;
  g_autoptr(GError) error = NULL;

  f->host = xa_test_sim_open (f, 2, 8, fault, state);
  before = xa_host_snapshot (f->host, &error);
  xa_test_sim_run_clock (f->host);
  g_assert_true (xa_host_save (f->host, &error));
  g_clear_pointer (&f->host, xa_host_free);
  f->host = xa_test_sim_open (f, 2, 8, fault, state);
  xa_test_sim_run_clock (f->host);
  after = xa_host_snapshot (f->host, &error);
  g_assert_cmpuint (before->nodes[1].free_mib - after->nodes[1].free_mib, ==, 6 * GiB);
  g_assert_cmpfloat (after->time_s, ==, 5.0);
}

/* A restarted xadmit finds the domains, their memory and the clock. */
static void
test_state_outlives_the_process (XaTestSim *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *state = g_build_filename (f->dir, "state.json", NULL);
  g_autoptr(XaHostInfo) info = NULL;
  XaTestSimBuild result = { 0 };
  const XaHostDomain *domain;
  gchar *uuid;
  guint32 domid;

  f->host = xa_test_sim_open (f, 2, 8, "", state);
  domid = xa_test_sim_create (f->host, "vm", 1, 3 * GiB);
  xa_test_sim_set_soft_affinity (f->host, domid, 0, 4);
  xa_test_sim_build (f->host, domid, "vm", 3 * GiB, &result);
  info = xa_host_snapshot (f->host, &error);
  uuid = g_strdup (((XaHostDomain *) g_ptr_array_index (info->domains, 0))->uuid);
  g_clear_pointer (&info, xa_host_info_free);
  g_assert_true (xa_host_save (f->host, &error));
  g_assert_no_error (error);
  g_clear_pointer (&f->host, xa_host_free);
  f->host = xa_test_sim_open (f, 2, 8, "", state);
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
test_lock_allows_one_admitter (XaTestSim *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *state = g_build_filename (f->dir, "state.json", NULL);
  g_autoptr(XaHost) second = NULL;

  f->host = xa_test_sim_open (f, 2, 8, "", state);
  g_assert_true (xa_host_lock (f->host, &error));
  second = xa_test_sim_open (f, 2, 8, "", state);
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
test_snapshot_some_copies_the_domains_asked (XaTestSim *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(XaHostInfo) full = NULL;
  g_autoptr(XaHostInfo) some = NULL;
  g_autofree gchar *full_loads = NULL;
  g_autofree gchar *some_loads = NULL;
  XaTestSimBuild result = { 0 };
  guint32 kept;
  guint32 gone;

  f->host = xa_test_sim_open (f, 2, 8, ", \"domains\": [{\"name\": \"dom0\", \"memory_by_node\": "
                       "[\"2GiB\", \"0\"], \"vcpus\": 4}]", NULL);
  kept = xa_test_sim_create (f->host, "kept", 3, 4 * GiB);
  xa_test_sim_set_soft_affinity (f->host, kept, 4, 4);
  xa_test_sim_build (f->host, kept, "kept", 4 * GiB, &result);
  gone = xa_test_sim_build_vm (f->host, 1 * GiB, &result);
  xa_test_sim_build_vm (f->host, 1 * GiB, &result);
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
build_time_with_seed (XaTestSim *f, guint32 seed)
{
  XaTestSimBuild result = { 0 };

  g_clear_pointer (&f->host, xa_host_free);
  f->host = xa_test_sim_open (f, 2, 8, "", NULL);
  xa_host_set_seed (f->host, seed);
  xa_test_sim_build_vm (f->host, 8 * GiB, &result);
  return result.at_s;
}

static void
test_runs_are_deterministic (XaTestSim *f, gconstpointer data)
{
  gdouble first = build_time_with_seed (f, 7);
  gdouble again = build_time_with_seed (f, 7);
  gdouble other = build_time_with_seed (f, 8);

  g_assert_cmpfloat (first, ==, again);
  g_assert_cmpfloat (first, !=, other);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  xa_test_sim_add ("/scheduler/sim/faults/fail-a-build", test_fault_fails_a_build);
  xa_test_sim_add ("/scheduler/sim/faults/fail-a-call", test_fault_fails_a_call);
  xa_test_sim_add ("/scheduler/sim/faults/fail-a-call-once-across-lives",
                   test_fault_fails_a_call_once_across_lives);
  xa_test_sim_add ("/scheduler/sim/faults/fail-a-call-with-its-errno",
                   test_fault_fails_a_call_with_its_errno);
  xa_test_sim_add ("/scheduler/sim/faults/give-memory-back", test_fault_gives_memory_back);
  xa_test_sim_add ("/scheduler/sim/faults/hung-build-stays-unfinished",
                   test_hung_build_stays_unfinished);
  xa_test_sim_add ("/scheduler/sim/state/built-domain-is-finished", test_built_domain_is_finished);
  xa_test_sim_add ("/scheduler/sim/faults/take-memory-at-their-time",
                   test_fault_takes_memory_at_its_time);
  xa_test_sim_add ("/scheduler/sim/state/outlives-the-process", test_state_outlives_the_process);
  xa_test_sim_add ("/scheduler/sim/lock/allows-one-admitter", test_lock_allows_one_admitter);
  xa_test_sim_add ("/scheduler/sim/deterministic", test_runs_are_deterministic);
  xa_test_sim_add ("/scheduler/sim/snapshot/some-copies-the-domains-asked",
                   test_snapshot_some_copies_the_domains_asked);
  return g_test_run ();
}
