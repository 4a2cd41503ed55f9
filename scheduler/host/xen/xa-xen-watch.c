/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <glib-unix.h>

#include "xa-xen-private.h"

/*
 * Domains after they run (docs/design.md, "Xen call order"): xl's
 * per-domain monitor is not there for the domains xadmit built, so xadmit
 * watches @releaseDomain, which xenstored fires when a domain shuts down,
 * reboots, crashes or dies, and tells its user which of its domains went
 * down; that user destroys them.
 */

#define XA_XEN_WATCH_PATH "@releaseDomain"
#define XA_XEN_WATCH_TOKEN "xadmit"

/**
 * xa_xen_down_reason:
 * @info: a domain
 *
 * Returns: (nullable): how it went down, or %NULL while it is up or
 *   suspended (xl save suspends a domain, and destroys it itself)
 */
const gchar *
xa_xen_down_reason (const xc_domaininfo_t *info)
{
  static const gchar *const reasons[] = {
    [SHUTDOWN_poweroff] = "poweroff",
    [SHUTDOWN_reboot] = "reboot",
    [SHUTDOWN_suspend] = NULL,
    [SHUTDOWN_crash] = "crash",
    [SHUTDOWN_watchdog] = "watchdog",
    [SHUTDOWN_soft_reset] = "soft_reset",
  };
  guint code = (info->flags >> XEN_DOMINF_shutdownshift) & XEN_DOMINF_shutdownmask;

  if ((info->flags & XEN_DOMINF_dying) != 0)
    return "destroyed";
  if ((info->flags & XEN_DOMINF_shutdown) == 0)
    return NULL;
  return code < G_N_ELEMENTS (reasons) ? reasons[code] : "shutdown";
}

/* How a domain this process built is, or "destroyed" where another tool
 * destroyed it; %NULL while it is up, or where Xen cannot say (a failed
 * call is no reason to destroy a guest). */
static const gchar *
xa_xen_watch_check (XaXenHost *self, guint32 domid)
{
  xc_domaininfo_t info = { 0 };
  gint got = xc_domain_getinfolist (self->xch, domid, 1, &info);

  if (got < 0) {
    g_debug ("xc_domain_getinfolist: cannot read domain %u: %s", domid, g_strerror (errno));
    return NULL;
  }
  if (got != 1 || info.domain != domid)
    return "destroyed";
  return xa_xen_down_reason (&info);
}

static gboolean
xa_xen_watch_fired (gint fd, GIOCondition condition, gpointer user_data)
{
  XaXenHost *self = user_data;
  g_autoptr(GArray) domids = g_array_new (FALSE, FALSE, sizeof (guint32));
  gchar **event;
  GHashTableIter iter;
  gpointer key;

  while ((event = xs_check_watch (self->xs)) != NULL)
    free (event);
  g_mutex_lock (&self->lock);
  g_hash_table_iter_init (&iter, self->domains);
  while (g_hash_table_iter_next (&iter, &key, NULL)) {
    guint32 domid = GPOINTER_TO_UINT (key);

    g_array_append_val (domids, domid);
  }
  g_mutex_unlock (&self->lock);
  /* the user may destroy domains as it hears of them */
  for (guint i = 0; i < domids->len; i++) {
    guint32 domid = g_array_index (domids, guint32, i);
    const gchar *down = xa_xen_watch_check (self, domid);

    if (down != NULL)
      self->down (domid, down, self->down_data);
  }
  /* any domain that went, xadmit's or another's, may have freed memory */
  self->down (0, NULL, self->down_data);
  return G_SOURCE_CONTINUE;
}

/**
 * xa_xen_watch_domains:
 * @host: the Xen host
 * @down: told of each domain of this process's that went down
 * @user_data: for @down
 * @error: a #GError in %XA_HOST_ERROR
 *
 * Returns: %TRUE if watching
 */
gboolean
xa_xen_watch_domains (XaHost *host, XaHostDomainDown down, gpointer user_data, GError **error)
{
  XaXenHost *self = (XaXenHost *) host;
  gint fd;

  g_return_val_if_fail (self->watch == NULL, FALSE);

  if (self->xs == NULL)
    return xa_host_fail (error, ENOENT, "xs_open", "xenstore cannot be reached, so the "
                         "domains xadmit builds cannot be watched");
  if (!xs_watch (self->xs, XA_XEN_WATCH_PATH, XA_XEN_WATCH_TOKEN))
    return xa_host_fail (error, errno, "xs_watch", "cannot watch " XA_XEN_WATCH_PATH);
  if ((fd = xs_fileno (self->xs)) < 0) {
    xs_unwatch (self->xs, XA_XEN_WATCH_PATH, XA_XEN_WATCH_TOKEN);
    return xa_host_fail (error, errno, "xs_fileno", "cannot wait for " XA_XEN_WATCH_PATH);
  }
  self->down = down;
  self->down_data = user_data;
  self->watch = g_unix_fd_source_new (fd, G_IO_IN);
  g_source_set_callback (self->watch, G_SOURCE_FUNC (xa_xen_watch_fired), self, NULL);
  g_source_attach (self->watch, g_main_context_get_thread_default ());
  return TRUE;
}

void
xa_xen_unwatch_domains (XaHost *host)
{
  XaXenHost *self = (XaXenHost *) host;

  if (self->watch == NULL)
    return;
  g_source_destroy (self->watch);
  g_clear_pointer (&self->watch, g_source_unref);
  xs_unwatch (self->xs, XA_XEN_WATCH_PATH, XA_XEN_WATCH_TOKEN);
}
