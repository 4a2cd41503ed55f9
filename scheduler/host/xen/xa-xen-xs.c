/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "xa-xen-private.h"

/*
 * The xenstore entries a new PV domain needs to boot with a working
 * xenstore and console, as libxl and xenopsd write them (docs/design.md,
 * "Xen call order"): its directory, readable by the guest; what it owns
 * (control, device, data); after its build, its memory, rings and event
 * channels. Each set is one transaction, redone on a conflict (EAGAIN).
 */

#define XA_XEN_XS_ATTEMPTS 16

typedef enum {
  XA_XEN_XS_GUEST_READS,
  XA_XEN_XS_GUEST_OWNS,
} XaXenXsAccess;

typedef struct {
  const gchar *path;
  gchar *value;
  XaXenXsAccess access;
} XaXenXsEntry;

static void
xa_xen_xs_entry_clear (gpointer data)
{
  g_free (((XaXenXsEntry *) data)->value);
}

static GArray *
xa_xen_xs_entries_new (void)
{
  GArray *entries = g_array_new (FALSE, TRUE, sizeof (XaXenXsEntry));

  g_array_set_clear_func (entries, xa_xen_xs_entry_clear);
  return entries;
}

/* @path is absolute, or relative to the domain's directory. */
static void G_GNUC_PRINTF (4, 5)
xa_xen_xs_add (GArray *entries, const gchar *path, XaXenXsAccess access, const gchar *format, ...)
{
  XaXenXsEntry entry = { path, NULL, access };
  va_list args;

  va_start (args, format);
  entry.value = g_strdup_vprintf (format, args);
  va_end (args);
  g_array_append_val (entries, entry);
}

static gboolean
xa_xen_xs_write_one (struct xs_handle *xs, xs_transaction_t t, guint32 domid,
                     const XaXenXsEntry *entry)
{
  g_autofree gchar *path = entry->path[0] == '/' ?
                           g_strdup (entry->path) :
                           g_strdup_printf ("/local/domain/%u/%s", domid, entry->path);
  struct xs_permissions reads[] = { { 0, XS_PERM_NONE }, { domid, XS_PERM_READ } };
  struct xs_permissions owns[] = { { domid, XS_PERM_NONE } };
  gboolean guest_owns = entry->access == XA_XEN_XS_GUEST_OWNS;

  return xs_write (xs, t, path, entry->value, (unsigned int) strlen (entry->value)) &&
         xs_set_permissions (xs, t, path, guest_owns ? owns : reads, guest_owns ? 1 : 2);
}

/* All of @entries in one transaction; a conflict redoes it whole. */
static gboolean
xa_xen_xs_write (struct xs_handle *xs, guint32 domid, GArray *entries, GError **error)
{
  for (guint attempt = 0; attempt < XA_XEN_XS_ATTEMPTS; attempt++) {
    xs_transaction_t t = xs_transaction_start (xs);
    gboolean written = t != XBT_NULL;

    for (guint i = 0; written && i < entries->len; i++)
      written = xa_xen_xs_write_one (xs, t, domid, &g_array_index (entries, XaXenXsEntry, i));
    if (!written) {
      gint errsv = errno;

      if (t != XBT_NULL)
        xs_transaction_end (xs, t, TRUE);
      return xa_host_fail (error, errsv, "xs_write",
                           "cannot write the xenstore entries of domain %u", domid);
    }
    if (xs_transaction_end (xs, t, FALSE))
      return TRUE;
    if (errno != EAGAIN)
      return xa_host_fail (error, errno, "xs_transaction_end",
                           "cannot write the xenstore entries of domain %u", domid);
  }
  return xa_host_fail (error, EAGAIN, "xs_transaction_end",
                       "the xenstore entries of domain %u met a conflict %d times", domid,
                       XA_XEN_XS_ATTEMPTS);
}

/**
 * xa_xen_xs_make_domain:
 * @xs: xenstore
 * @domid: a domain just created
 * @uuid: its handle
 * @name: its name, which `xl list` shows
 * @error: a #GError in %XA_HOST_ERROR
 *
 * Writes what a domain has from its creation on.
 *
 * Returns: whether they are written
 */
gboolean
xa_xen_xs_make_domain (struct xs_handle *xs, guint32 domid, const gchar *uuid, const gchar *name,
                       GError **error)
{
  g_autoptr(GArray) entries = xa_xen_xs_entries_new ();
  g_autofree gchar *vm = g_strdup_printf ("/vm/%s", uuid);
  g_autofree gchar *vm_uuid = g_strdup_printf ("/vm/%s/uuid", uuid);
  g_autofree gchar *vm_name = g_strdup_printf ("/vm/%s/name", uuid);
  g_autofree gchar *dir = g_strdup_printf ("/local/domain/%u", domid);
  const gchar *guest_owned[] = { "control/shutdown", "control/sysrq", "control/feature-poweroff",
                                 "control/feature-reboot", "control/feature-suspend", "device",
                                 "data", "drivers", "feature", "attr", "error" };

  xa_xen_xs_add (entries, dir, XA_XEN_XS_GUEST_READS, "%s", "");
  xa_xen_xs_add (entries, vm, XA_XEN_XS_GUEST_READS, "%s", "");
  xa_xen_xs_add (entries, vm_uuid, XA_XEN_XS_GUEST_READS, "%s", uuid);
  xa_xen_xs_add (entries, vm_name, XA_XEN_XS_GUEST_READS, "%s", name);
  xa_xen_xs_add (entries, "vm", XA_XEN_XS_GUEST_READS, "%s", vm);
  xa_xen_xs_add (entries, "name", XA_XEN_XS_GUEST_READS, "%s", name);
  xa_xen_xs_add (entries, "domid", XA_XEN_XS_GUEST_READS, "%u", domid);
  xa_xen_xs_add (entries, "control", XA_XEN_XS_GUEST_READS, "%s", "");
  xa_xen_xs_add (entries, "control/platform-feature-multiprocessor-suspend",
                 XA_XEN_XS_GUEST_READS, "%s", "1");
  xa_xen_xs_add (entries, "control/platform-feature-xs_reset_watches", XA_XEN_XS_GUEST_READS,
                 "%s", "1");
  for (guint i = 0; i < G_N_ELEMENTS (guest_owned); i++)
    xa_xen_xs_add (entries, guest_owned[i], XA_XEN_XS_GUEST_OWNS, "%s", "");
  return xa_xen_xs_write (xs, domid, entries, error);
}

/**
 * xa_xen_xs_finish_domain:
 * @xs: xenstore
 * @domid: a domain built
 * @built: what its build gave
 * @error: a #GError in %XA_HOST_ERROR
 *
 * Writes its memory, vCPUs, rings and event channels, then introduces it
 * to xenstored, which maps its ring and tells xenconsoled.
 *
 * Returns: whether it is introduced
 */
gboolean
xa_xen_xs_finish_domain (struct xs_handle *xs, guint32 domid, const XaXenXsBuilt *built,
                         GError **error)
{
  g_autoptr(GArray) entries = xa_xen_xs_entries_new ();
  g_autoptr(GPtrArray) cpu_paths = g_ptr_array_new_with_free_func (g_free);

  xa_xen_xs_add (entries, "memory/static-max", XA_XEN_XS_GUEST_READS, "%" G_GUINT64_FORMAT,
                 built->memory_mib * 1024);
  xa_xen_xs_add (entries, "memory/target", XA_XEN_XS_GUEST_READS, "%" G_GUINT64_FORMAT,
                 built->memory_mib * 1024);
  xa_xen_xs_add (entries, "store/port", XA_XEN_XS_GUEST_READS, "%u", built->store_port);
  xa_xen_xs_add (entries, "store/ring-ref", XA_XEN_XS_GUEST_READS, "%" G_GUINT64_FORMAT,
                 built->store_mfn);
  xa_xen_xs_add (entries, "console/port", XA_XEN_XS_GUEST_READS, "%u", built->console_port);
  xa_xen_xs_add (entries, "console/ring-ref", XA_XEN_XS_GUEST_READS, "%" G_GUINT64_FORMAT,
                 built->console_mfn);
  xa_xen_xs_add (entries, "console/type", XA_XEN_XS_GUEST_READS, "%s", "xenconsoled");
  xa_xen_xs_add (entries, "console/output", XA_XEN_XS_GUEST_READS, "%s", "pty");
  for (guint cpu = 0; cpu < built->vcpus; cpu++) {
    g_ptr_array_add (cpu_paths, g_strdup_printf ("cpu/%u/availability", cpu));
    xa_xen_xs_add (entries, g_ptr_array_index (cpu_paths, cpu), XA_XEN_XS_GUEST_READS, "%s",
                   "online");
  }
  if (!xa_xen_xs_write (xs, domid, entries, error))
    return FALSE;
  if (!xs_introduce_domain (xs, domid, built->store_mfn, built->store_port))
    return xa_host_fail (error, errno, "xs_introduce_domain",
                         "xenstored cannot connect to domain %u", domid);
  return TRUE;
}

/**
 * xa_xen_xs_remove_domain:
 * @xs: xenstore
 * @domid: a domain destroyed
 *
 * Removes what xa_xen_xs_make_domain() and xa_xen_xs_finish_domain() wrote,
 * and what xl wrote for a domain of its own, and has xenstored let go of
 * it; what is not there is no error (a domain may die before its build
 * introduced it).
 */
void
xa_xen_xs_remove_domain (struct xs_handle *xs, guint32 domid)
{
  g_autofree gchar *dir = g_strdup_printf ("/local/domain/%u", domid);
  g_autofree gchar *vm_key = g_strdup_printf ("%s/vm", dir);
  g_autofree gchar *libxl = g_strdup_printf ("/libxl/%u", domid);
  unsigned int len = 0;
  g_autofree gchar *vm = xs_read (xs, XBT_NULL, vm_key, &len);

  if (vm != NULL && g_str_has_prefix (vm, "/vm/"))
    xs_rm (xs, XBT_NULL, vm);
  xs_rm (xs, XBT_NULL, dir);
  xs_rm (xs, XBT_NULL, libxl);
  xs_release_domain (xs, domid);
}
