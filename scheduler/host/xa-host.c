/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/file.h>
#include <unistd.h>

#include "xa-error.h"
#include "xa-file.h"
#include "xa-host-backend.h"
#include "xa-host-pool.h"
#include "xa-sim-host.h"
#include "xa-text.h"
#include "xa-xen-host.h"


/**
 * xa_host_auto_spec:
 *
 * With no --host, a machine that runs Xen is admitted for real.
 *
 * Returns: "xen" where /dev/xen/privcmd exists, "sim" elsewhere
 */
const gchar *
xa_host_auto_spec (void)
{
  return g_file_test (XA_XEN_PRIVCMD, G_FILE_TEST_EXISTS) ? "xen" : "sim";
}

/**
 * xa_host_open:
 * @spec: "sim", "sim:FILE" or "xen"
 * @sim_state: (nullable): where the simulated host keeps its state between runs
 * @error: a #GError
 *
 * Returns: (transfer full): the host, or %NULL
 */
XaHost *
xa_host_open (const gchar *spec, const gchar *sim_state, GError **error)
{
  g_autofree gchar *shown = NULL;

  g_return_val_if_fail (spec != NULL, NULL);

  if (g_strcmp0 (spec, "sim") == 0)
    return xa_sim_host_new (NULL, sim_state, error);
  if (g_str_has_prefix (spec, "sim:") && spec[4] != '\0')
    return xa_sim_host_new (spec + 4, sim_state, error);
  if (g_strcmp0 (spec, "xen") == 0) {
    if (sim_state != NULL) {
      g_set_error_literal (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                           "--sim-state is for the simulated host, not --host xen");
      return NULL;
    }
    return xa_xen_host_new (error);
  }
  shown = xa_text_quote (spec);
  g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
               "--host: %s is not a host (use sim, sim:FILE or xen)", shown);
  return NULL;
}

G_DEFINE_QUARK (xa-host-error-quark, xa_host_error)

/**
 * xa_host_fail:
 * @error: a #GError
 * @errsv: the errno the call failed with
 * @call: the call, as libxenctrl names it
 * @format: what went wrong, printf-style
 *
 * Returns: %FALSE, to return in turn
 */
gboolean
xa_host_fail (GError **error, gint errsv, const gchar *call, const gchar *format, ...)
{
  g_autofree gchar *detail = NULL;
  va_list args;

  va_start (args, format);
  detail = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, XA_HOST_ERROR, errsv, "%s: %s (%s)", call, detail, g_strerror (errsv));
  return FALSE;
}

void
xa_host_free (XaHost *host)
{
  XaClock *clock;

  if (host == NULL)
    return;
  clock = host->clock;
  xa_host_pool_free (g_steal_pointer (&host->pool));
  host->klass->free (host);
  xa_clock_free (clock);
}

/**
 * xa_host_get_clock:
 * @host: a host
 *
 * Returns: (transfer none): the host's clock: virtual on the simulated host
 */
XaClock *
xa_host_get_clock (XaHost *host)
{
  return host->clock;
}

static gboolean
xa_host_unsupported (XaHost *host, const gchar *call, GError **error)
{
  return xa_host_fail (error, ENOSYS, call, "this xadmit cannot build domains on a %s host yet",
                       host->klass->kind);
}

/**
 * xa_host_can_build:
 * @host: a host
 *
 * Returns: whether xadmit can build domains on @host (the simulated host;
 *   the real Xen backend only reads the host so far)
 */
gboolean
xa_host_can_build (XaHost *host)
{
  return host->klass->build != NULL || host->klass->build_blocking != NULL;
}

/**
 * xa_host_set_seed:
 * @host: a host
 * @seed: seeds what a simulated host draws (build-time jitter); a real
 *   host has nothing to seed
 */
#define XA_HOST_BUILD_BASE_MS 30000
#define XA_HOST_BUILD_MS_PER_GIB 1000

/**
 * xa_host_build_timeout_ms:
 * @memory_mib: the memory a build populates
 *
 * How long a build may take before it is killed: on Xen, its xenguest
 * helper; on the simulated host, a build its faults hang.
 *
 * Returns: 30 s, and 1 s per GiB begun (populating is O(memory))
 */
guint
xa_host_build_timeout_ms (guint64 memory_mib)
{
  guint64 gib = (memory_mib + 1023) / 1024;

  return (guint) MIN (G_MAXUINT, XA_HOST_BUILD_BASE_MS + XA_HOST_BUILD_MS_PER_GIB * gib);
}

/**
 * xa_host_domain_memory_is_estimated:
 * @host: a host
 *
 * Returns: whether xa_host_domain_memory() may guess where a domain's pages
 *   are (Xen between two 'u' tables), so that a snapshot counts better
 */
gboolean
xa_host_domain_memory_is_estimated (XaHost *host)
{
  return host->klass->domain_memory_estimated;
}

void
xa_host_set_seed (XaHost *host, guint32 seed)
{
  if (host->klass->set_seed != NULL)
    host->klass->set_seed (host, seed);
}

/**
 * xa_host_lock:
 * @host: a host
 * @error: a #GError, %XA_ERROR_BUSY naming the process that holds it
 *
 * One admitter per host: holds the host's lock until @host is freed.
 *
 * Returns: %TRUE if this process admits for the host now
 */
gboolean
xa_host_lock (XaHost *host, GError **error)
{
  return host->klass->lock (host, error);
}

/**
 * xa_host_save:
 * @host: a host
 * @error: a #GError
 *
 * Saves what the host keeps between runs, if it changed: a simulated host's
 * state file (created if missing). A real hypervisor keeps its own state.
 * Whoever commits the ledger saves the host first, so that a crash never
 * leaves a ledger newer than the host (docs/design.md, Crash recovery).
 *
 * Returns: %TRUE if saved, or nothing needed saving
 */
gboolean
xa_host_save (XaHost *host, GError **error)
{
  if (host->klass->save == NULL)
    return TRUE;
  return host->klass->save (host, error);
}

/**
 * xa_host_get_kind:
 * @host: a host
 *
 * Returns: "sim" or "xen"
 */
/**
 * xa_host_check_guest:
 * @host: a host
 * @guest: (nullable): what a VM boots; %NULL for nothing
 * @error: a #GError in %XA_ERROR, %XA_ERROR_INVALID_INPUT, saying why not
 *
 * Whether @host can boot @guest at all, whatever its memory: a VM it
 * cannot is rejected, not built.
 *
 * Returns: %TRUE if it can
 */
gboolean
xa_host_check_guest (XaHost *host, const XaGuest *guest, GError **error)
{
  if (host->klass->check_guest == NULL)
    return TRUE;
  return host->klass->check_guest (host, guest, error);
}

const gchar *
xa_host_get_kind (XaHost *host)
{
  return host->klass->kind;
}

/**
 * xa_host_snapshot:
 * @host: a host
 * @error: a #GError
 *
 * Returns: (transfer full): per-node memory, CPUs, distances and the
 *   resident domains, as the host reports them now
 */
XaHostInfo *
xa_host_snapshot (XaHost *host, GError **error)
{
  g_return_val_if_fail (host != NULL, NULL);
  return host->klass->snapshot (host, error);
}

/**
 * xa_host_snapshot_some:
 * @host: a host
 * @domids: (array length=n_domids): the domains wanted
 * @n_domids: their count
 * @error: a #GError
 *
 * A snapshot whose cost need not grow with the domains the host runs: per
 * node what all of them add up to (#XaHostInfo's loads), but of the
 * domains themselves only those of @domids that exist. A backend without
 * a cheaper way gives them all.
 *
 * Returns: (transfer full): the host now, or %NULL
 */
XaHostInfo *
xa_host_snapshot_some (XaHost *host, const guint32 *domids, guint n_domids, GError **error)
{
  g_return_val_if_fail (host != NULL, NULL);
  if (host->klass->snapshot_some == NULL)
    return host->klass->snapshot (host, error);
  return host->klass->snapshot_some (host, domids, n_domids, error);
}

/**
 * xa_host_free_memory:
 * @host: a host
 * @free_mib: (out caller-allocates): free memory on each node now
 * @claimed_mib: (out caller-allocates) (optional): memory claimed on each
 *   node (zeros without per-node claims)
 * @error: a #GError
 *
 * What a build reads of the host just before it starts: cheaper than a
 * snapshot.
 *
 * Returns: %TRUE on success
 */
gboolean
xa_host_free_memory (XaHost *host, guint64 *free_mib, guint64 *claimed_mib, GError **error)
{
  if (host->klass->free_memory == NULL)
    return xa_host_unsupported (host, "free_memory", error);
  return host->klass->free_memory (host, free_mib, claimed_mib, error);
}

gboolean
xa_host_create_domain (XaHost *host, const XaDomainSpec *spec, guint32 *out_domid, GError **error)
{
  if (host->klass->create_domain == NULL)
    return xa_host_unsupported (host, "create_domain", error);
  return host->klass->create_domain (host, spec, out_domid, error);
}

gboolean
xa_host_set_max_vcpus (XaHost *host, guint32 domid, guint vcpus, GError **error)
{
  if (host->klass->set_max_vcpus == NULL)
    return xa_host_unsupported (host, "set_max_vcpus", error);
  return host->klass->set_max_vcpus (host, domid, vcpus, error);
}

/* PVH and HVM only: Xen refuses it for a PV guest. */
gboolean
xa_host_set_timer_mode (XaHost *host, guint32 domid, GError **error)
{
  if (host->klass->set_timer_mode == NULL)
    return xa_host_unsupported (host, "set_timer_mode", error);
  return host->klass->set_timer_mode (host, domid, error);
}

/* Before a claim, or Xen refuses it: a claim may not exceed max memory. */
gboolean
xa_host_set_max_mem (XaHost *host, guint32 domid, guint64 max_mib, GError **error)
{
  if (host->klass->set_max_mem == NULL)
    return xa_host_unsupported (host, "set_max_mem", error);
  return host->klass->set_max_mem (host, domid, max_mib, error);
}

/**
 * xa_host_set_vcpu_affinity:
 * @host: a host
 * @domid: the domain
 * @cpus: (element-type guint): the CPUs every vCPU runs on (hard) or
 *   prefers (soft); with auto node affinity, its nodes get the memory
 * @hard: hard rather than soft affinity
 * @error: a #GError
 *
 * Returns: %TRUE on success
 */
gboolean
xa_host_set_vcpu_affinity (XaHost *host, guint32 domid, GArray *cpus, gboolean hard,
                           GError **error)
{
  if (host->klass->set_vcpu_affinity == NULL)
    return xa_host_unsupported (host, "set_vcpu_affinity", error);
  return host->klass->set_vcpu_affinity (host, domid, cpus, hard, error);
}

gboolean
xa_host_set_node_affinity (XaHost *host, guint32 domid, XaNodeSet nodes, GError **error)
{
  if (host->klass->set_node_affinity == NULL)
    return xa_host_unsupported (host, "set_node_affinity", error);
  return host->klass->set_node_affinity (host, domid, nodes, error);
}

/**
 * xa_host_claim:
 * @host: a host
 * @domid: the domain
 * @node: the node to claim on, -1 for host-wide (all stock Xen 4.17 has)
 * @mib: the domain's memory to reserve; 0 cancels its claim
 * @error: a #GError: %XA_HOST_ERROR ENOMEM when the memory is not there,
 *   ENOSYS for a node claim where the hypervisor has none
 *
 * Returns: %TRUE if claimed
 */
gboolean
xa_host_claim (XaHost *host, guint32 domid, gint node, guint64 mib, GError **error)
{
  if (host->klass->claim == NULL)
    return xa_host_unsupported (host, "claim", error);
  return host->klass->claim (host, domid, node, mib, error);
}

/**
 * xa_host_build:
 * @host: a host
 * @domid: the domain
 * @spec: what to build
 * @done: called once in the caller's main context when the build ends;
 *   not at all if the domain is destroyed first
 * @user_data: for @done
 *
 * The xenguest step: populates the domain's memory, which takes time. A
 * backend whose build blocks has it run in a thread pool.
 */
void
xa_host_build (XaHost *host, guint32 domid, const XaBuildSpec *spec, XaHostBuildDone done,
               gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  if (host->klass->build != NULL)
    host->klass->build (host, domid, spec, done, user_data);
  else if (host->klass->build_blocking != NULL)
    xa_host_pool_build (host, domid, spec, done, user_data);
  else {
    xa_host_unsupported (host, "build", &error);
    done (error, user_data);
  }
}

gboolean
xa_host_unpause (XaHost *host, guint32 domid, GError **error)
{
  if (host->klass->unpause == NULL)
    return xa_host_unsupported (host, "unpause", error);
  return host->klass->unpause (host, domid, error);
}

/* Also stops its build and releases its claim. */
gboolean
xa_host_destroy (XaHost *host, guint32 domid, GError **error)
{
  if (host->klass->destroy == NULL)
    return xa_host_unsupported (host, "destroy", error);
  xa_host_pool_cancel (host, domid);
  return host->klass->destroy (host, domid, error);
}

/**
 * xa_host_domain_memory:
 * @host: a host
 * @domid: the domain
 * @mib_by_node: (out caller-allocates): its memory on each node
 * @error: a #GError
 *
 * Returns: %TRUE on success
 */
/**
 * xa_host_watch_domains:
 * @host: a host
 * @down: called for each domain that went down by itself
 * @user_data: for @down
 * @error: a #GError
 *
 * Watches the host's domains until xa_host_unwatch_domains(): their
 * toolstack (here, xadmit) must destroy those that shut down.
 *
 * Returns: %TRUE if watching, or if the host's domains never go down
 */
gboolean
xa_host_watch_domains (XaHost *host, XaHostDomainDown down, gpointer user_data, GError **error)
{
  if (host->klass->watch_domains == NULL)
    return TRUE;
  return host->klass->watch_domains (host, down, user_data, error);
}

void
xa_host_unwatch_domains (XaHost *host)
{
  if (host->klass->unwatch_domains != NULL)
    host->klass->unwatch_domains (host);
}

gboolean
xa_host_domain_memory (XaHost *host, guint32 domid, guint64 *mib_by_node, GError **error)
{
  if (host->klass->domain_memory == NULL)
    return xa_host_unsupported (host, "domain_memory", error);
  return host->klass->domain_memory (host, domid, mib_by_node, error);
}
