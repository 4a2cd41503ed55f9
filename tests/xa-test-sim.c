/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-test-sim.h"

/* The simulated host's suites (test-sim-host.c, test-sim-faults.c): a host
 * from a generated host file, and a domain's calls as build_pre makes them. */


/* A host file: @nodes nodes of 16 GiB and 4 CPUs each, two sockets of two
 * nodes (10 / 12 / 32), populate 1024 MiB/s, bandwidth for @lanes builds. */
gchar *
xa_test_sim_host_text (guint nodes, guint lanes, const gchar *extra)
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

XaHost *
xa_test_sim_open_text (XaTestSim *f, const gchar *text, const gchar *state)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *path = xa_test_dir_write (f->dir, "host.json", text);
  g_autofree gchar *spec = xa_test_host_spec_at (path);
  XaHost *host = xa_host_open (spec, state, &error);

  g_assert_no_error (error);
  return host;
}

XaHost *
xa_test_sim_open (XaTestSim *f, guint nodes, guint lanes, const gchar *extra,
                  const gchar *state)
{
  g_autofree gchar *text = xa_test_sim_host_text (nodes, lanes, extra);

  return xa_test_sim_open_text (f, text, state);
}

static void
xa_test_sim_set_up (XaTestSim *f, gconstpointer data)
{
  f->dir = xa_test_dir_new ();
}

static void
xa_test_sim_tear_down (XaTestSim *f, gconstpointer data)
{
  g_clear_pointer (&f->host, xa_host_free);
  g_clear_pointer (&f->dir, xa_test_dir_free);
}

/**
 * xa_test_sim_add:
 * @path: the test's path
 * @func: the test, given a fixture whose folder exists and whose host the
 *   test opens (xa_test_sim_open())
 */
void
xa_test_sim_add (const gchar *path, XaTestSimFunc func)
{
  g_test_add (path, XaTestSim, NULL, xa_test_sim_set_up, func, xa_test_sim_tear_down);
}

/* Creates a domain of @vcpus and max memory @max_mib, as build_pre would. */
guint32
xa_test_sim_create (XaHost *host, const gchar *name, guint vcpus, guint64 max_mib)
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
guint32
xa_test_sim_create_claimed (XaHost *host, const gchar *name, gint node, guint64 mib)
{
  g_autoptr(GError) error = NULL;
  guint32 domid = xa_test_sim_create (host, name, 1, mib);

  g_assert_true (xa_host_claim (host, domid, node, mib, &error));
  g_assert_no_error (error);
  return domid;
}

void
xa_test_sim_set_soft_affinity (XaHost *host, guint32 domid, guint first_cpu, guint n_cpus)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) cpus = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint c = first_cpu; c < first_cpu + n_cpus; c++)
    g_array_append_val (cpus, c);
  g_assert_true (xa_host_set_vcpu_affinity (host, domid, cpus, FALSE, &error));
  g_assert_no_error (error);
}



static void
xa_test_sim_build_done (const GError *error, gpointer user_data)
{
  XaTestSimBuild *result = user_data;

  result->ended = TRUE;
  result->at_s = xa_clock_now (result->clock);
  result->error = error != NULL ? g_error_copy (error) : NULL;
}

void
xa_test_sim_start_build_spec (XaHost *host, guint32 domid, const XaBuildSpec *spec,
                              XaTestSimBuild *result)
{
  result->clock = xa_host_get_clock (host);
  xa_host_build (host, domid, spec, xa_test_sim_build_done, result);
}

void
xa_test_sim_start_build (XaHost *host, guint32 domid, const gchar *name, guint64 mib,
                         XaTestSimBuild *result)
{
  XaBuildSpec spec = { name, 1, mib, NULL, 0, NULL, NULL, NULL };

  xa_test_sim_start_build_spec (host, domid, &spec, result);
}

void
xa_test_sim_run_clock (XaHost *host)
{
  while (xa_clock_run_next (xa_host_get_clock (host)))
    ;
}

/* Builds @domid and runs the clock until all there is to do is done. */
void
xa_test_sim_build_spec (XaHost *host, guint32 domid, const XaBuildSpec *spec,
                        XaTestSimBuild *result)
{
  xa_test_sim_start_build_spec (host, domid, spec, result);
  xa_test_sim_run_clock (host);
}

void
xa_test_sim_build (XaHost *host, guint32 domid, const gchar *name, guint64 mib,
                   XaTestSimBuild *result)
{
  xa_test_sim_start_build (host, domid, name, mib, result);
  xa_test_sim_run_clock (host);
}

/* Creates and builds a 1-vCPU domain "vm" of @mib and runs the clock out. */
guint32
xa_test_sim_build_vm (XaHost *host, guint64 mib, XaTestSimBuild *result)
{
  guint32 domid = xa_test_sim_create (host, "vm", 1, mib);

  xa_test_sim_build (host, domid, "vm", mib, result);
  return domid;
}

guint64
xa_test_sim_memory_on (XaHost *host, guint32 domid, guint node)
{
  g_autoptr(GError) error = NULL;
  guint64 mib[8] = { 0 };

  g_assert_true (xa_host_domain_memory (host, domid, mib, &error));
  return mib[node];
}
