/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "xa-test-blocking.h"
#include "xa-test-util.h"

XaHostDomain *
xa_test_blocking_find_domain (XaTestBlockingHost *self, guint32 domid, const gchar *call, GError **error)
{
  for (guint i = 0; i < self->domains->len; i++) {
    XaHostDomain *domain = g_ptr_array_index (self->domains, i);

    if (domain->domid == domid)
      return domain;
  }
  xa_host_fail (error, ESRCH, call, "no domain %u", domid);
  return NULL;
}

static XaHostInfo *
blocking_snapshot (XaHost *host, GError **error)
{
  XaTestBlockingHost *self = (XaTestBlockingHost *) host;
  XaHostInfo *info = xa_host_info_new ("blocking", XA_TEST_BLOCKING_NODES);

  info->uuid = g_strdup ("00000000-0000-4000-8000-000000000001");
  info->populate_mib_per_s = 2048;
  info->bandwidth_mib_per_s = 16384;
  info->scrub_mib_per_s = 4096;
  for (guint n = 0; n < XA_TEST_BLOCKING_NODES; n++) {
    info->nodes[n].total_mib = info->nodes[n].free_mib = 64 * GiB;
    info->nodes[n].n_cores = 4;
    for (guint c = 0; c < 8; c++) {
      guint id = n * 8 + c;

      g_array_append_val (info->nodes[n].cpus, id);
    }
  }
  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->domains->len; i++) {
    const XaHostDomain *domain = g_ptr_array_index (self->domains, i);
    XaHostDomain *copy = xa_host_domain_new (domain->name, domain->vcpus, XA_TEST_BLOCKING_NODES);

    copy->uuid = g_strdup (domain->uuid);
    copy->domid = domain->domid;
    copy->down = g_strdup (domain->down);
    for (guint n = 0; n < XA_TEST_BLOCKING_NODES; n++) {
      guint counted = self->counts_differ ? XA_TEST_BLOCKING_NODES - 1 - n : n;

      copy->memory_by_node_mib[counted] = domain->memory_by_node_mib[n];
      info->nodes[counted].free_mib -= domain->memory_by_node_mib[n];
    }
    g_ptr_array_add (info->domains, copy);
  }
  g_mutex_unlock (&self->lock);
  return info;
}

static gboolean
blocking_free_memory (XaHost *host, guint64 *free_mib, guint64 *claimed_mib, GError **error)
{
  g_autoptr(XaHostInfo) info = blocking_snapshot (host, error);

  for (guint n = 0; n < XA_TEST_BLOCKING_NODES; n++) {
    free_mib[n] = info->nodes[n].free_mib;
    if (claimed_mib != NULL)
      claimed_mib[n] = 0;
  }
  return TRUE;
}

static gboolean
blocking_create_domain (XaHost *host, const XaDomainSpec *spec, guint32 *out_domid,
                        GError **error)
{
  XaTestBlockingHost *self = (XaTestBlockingHost *) host;
  XaHostDomain *domain = xa_host_domain_new (spec->name, spec->vcpus, XA_TEST_BLOCKING_NODES);

  domain->uuid = g_strdup (spec->uuid);
  g_mutex_lock (&self->lock);
  domain->domid = *out_domid = self->next_domid++;
  g_ptr_array_add (self->domains, domain);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

/* The calls build_pre makes, accepted as Xen would for a sane domain. */
static gboolean
blocking_domain_call (XaHost *host, guint32 domid, const gchar *call, GError **error)
{
  XaTestBlockingHost *self = (XaTestBlockingHost *) host;
  gboolean found;

  g_mutex_lock (&self->lock);
  found = xa_test_blocking_find_domain (self, domid, call, error) != NULL;
  g_mutex_unlock (&self->lock);
  return found;
}

static gboolean
blocking_set_max_vcpus (XaHost *host, guint32 domid, guint vcpus, GError **error)
{
  return blocking_domain_call (host, domid, "max_vcpus", error);
}

static gboolean
blocking_set_max_mem (XaHost *host, guint32 domid, guint64 max_mib, GError **error)
{
  return blocking_domain_call (host, domid, "setmaxmem", error);
}

static gboolean
blocking_set_vcpu_affinity (XaHost *host, guint32 domid, GArray *cpus, gboolean hard,
                            GError **error)
{
  return blocking_domain_call (host, domid, "vcpu_affinity", error);
}

static gboolean
blocking_set_node_affinity (XaHost *host, guint32 domid, XaNodeSet nodes, GError **error)
{
  return blocking_domain_call (host, domid, "node_affinity", error);
}

static gboolean
blocking_claim (XaHost *host, guint32 domid, gint node, guint64 mib, GError **error)
{
  return blocking_domain_call (host, domid, "claim_pages", error);
}

typedef struct {
  XaTestBlockingHost *host;
  guint32 domid;
} Crash;

static gboolean
blocking_crash (gpointer data)
{
  Crash *crash = data;
  XaHostDomain *domain = xa_test_blocking_find_domain (crash->host, crash->domid, "crash", NULL);

  if (domain != NULL) {
    domain->down = g_strdup ("crash");
    if (crash->host->down != NULL)
      crash->host->down (crash->domid, domain->down, crash->host->down_data);
  }
  return G_SOURCE_REMOVE;
}

static gboolean
blocking_watch (XaHost *host, XaHostDomainDown down, gpointer user_data, GError **error)
{
  XaTestBlockingHost *self = (XaTestBlockingHost *) host;

  self->down = down;
  self->down_data = user_data;
  self->watching++;
  return TRUE;
}

static void
blocking_unwatch (XaHost *host)
{
  XaTestBlockingHost *self = (XaTestBlockingHost *) host;

  self->down = NULL;
  self->watching--;
}

static gboolean
blocking_unpause (XaHost *host, guint32 domid, GError **error)
{
  XaTestBlockingHost *self = (XaTestBlockingHost *) host;
  Crash *crash;

  self->finished_off_main |= g_thread_self () != self->main_thread;
  self->unpaused++;
  if (self->crashes > 0) {
    self->crashes--;
    crash = g_new0 (Crash, 1);
    crash->host = self;
    crash->domid = domid;
    g_idle_add_full (G_PRIORITY_DEFAULT, blocking_crash, crash, g_free);
  }
  return blocking_domain_call (host, domid, "unpause", error);
}

/* A stop, from whichever thread it comes. */
static void
blocking_wake (GCancellable *cancellable, gpointer user_data)
{
  XaTestBlockingHost *self = user_data;

  g_mutex_lock (&self->lock);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

/* In a pool thread: waits for the others of the first round, then puts
 * the memory on node 0; a stop ends the wait, and the build. */
static gboolean
blocking_build (XaHost *host, guint32 domid, const XaBuildSpec *spec, GCancellable *cancellable,
                GError **error)
{
  XaTestBlockingHost *self = (XaTestBlockingHost *) host;
  gulong handler = g_cancellable_connect (cancellable, G_CALLBACK (blocking_wake), self, NULL);
  XaHostDomain *domain = NULL;

  g_mutex_lock (&self->lock);
  self->built_on_main |= g_thread_self () == self->main_thread;
  self->active++;
  self->peak = MAX (self->peak, self->active);
  if (self->active == XA_TEST_BLOCKING_WORKERS)
    self->gate_open = TRUE;
  g_cond_broadcast (&self->cond);
  while (!self->gate_open && !g_cancellable_is_cancelled (cancellable))
    g_cond_wait (&self->cond, &self->lock);
  if (g_cancellable_is_cancelled (cancellable)) {
    self->stopped++;
    xa_host_fail (error, ECANCELED, "populate_physmap", "stopped");
  } else if ((domain = xa_test_blocking_find_domain (self, domid, "populate_physmap", error)) != NULL) {
    domain->memory_by_node_mib[0] = spec->memory_mib;
  }
  self->active--;
  self->built++;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  g_cancellable_disconnect (cancellable, handler);
  return domain != NULL;
}

/* As the Xen backend: PV guests only. */
static gboolean
blocking_check_guest (XaHost *host, const XaGuest *guest, GError **error)
{
  if (guest == NULL || guest->type != XA_GUEST_PVH)
    return TRUE;
  g_set_error_literal (error, XA_ERROR, XA_ERROR_INVALID_INPUT, "type: \"pvh\" is not built here");
  return FALSE;
}

static gboolean
blocking_destroy (XaHost *host, guint32 domid, GError **error)
{
  XaTestBlockingHost *self = (XaTestBlockingHost *) host;
  XaHostDomain *domain;

  g_mutex_lock (&self->lock);
  domain = xa_test_blocking_find_domain (self, domid, "destroydomain", error);
  if (domain != NULL)
    g_ptr_array_remove (self->domains, domain);
  g_mutex_unlock (&self->lock);
  return domain != NULL;
}

static gboolean
blocking_domain_memory (XaHost *host, guint32 domid, guint64 *mib_by_node, GError **error)
{
  XaTestBlockingHost *self = (XaTestBlockingHost *) host;
  XaHostDomain *domain;

  g_mutex_lock (&self->lock);
  domain = xa_test_blocking_find_domain (self, domid, "numainfo", error);
  if (domain != NULL)
    memcpy (mib_by_node, domain->memory_by_node_mib, sizeof (guint64) * XA_TEST_BLOCKING_NODES);
  g_mutex_unlock (&self->lock);
  return domain != NULL;
}

static void
blocking_free (XaHost *host)
{
  XaTestBlockingHost *self = (XaTestBlockingHost *) host;

  g_ptr_array_unref (self->domains);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self);
}

static const XaHostClass blocking_class = {
  .domain_memory_estimated = TRUE,
  .kind = "blocking-test",
  .snapshot = blocking_snapshot,
  .free_memory = blocking_free_memory,
  .create_domain = blocking_create_domain,
  .set_max_vcpus = blocking_set_max_vcpus,
  .set_max_mem = blocking_set_max_mem,
  .set_vcpu_affinity = blocking_set_vcpu_affinity,
  .set_node_affinity = blocking_set_node_affinity,
  .claim = blocking_claim,
  .build_blocking = blocking_build,
  .check_guest = blocking_check_guest,
  .unpause = blocking_unpause,
  .destroy = blocking_destroy,
  .domain_memory = blocking_domain_memory,
  .watch_domains = blocking_watch,
  .unwatch_domains = blocking_unwatch,
  .free = blocking_free,
};

XaTestBlockingHost *
xa_test_blocking_host_new (void)
{
  XaTestBlockingHost *self = g_new0 (XaTestBlockingHost, 1);

  self->parent.klass = &blocking_class;
  self->parent.clock = xa_clock_new_real ();
  self->main_thread = g_thread_self ();
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->domains = g_ptr_array_new_with_free_func ((GDestroyNotify) xa_host_domain_free);
  self->next_domid = 1;
  return self;
}

