/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "xa-error.h"
#include "xa-guest.h"
#include "xa-names.h"
#include "xa-text.h"

static const gchar *const xa_guest_type_names[] = {
  [XA_GUEST_PV] = "pv",
  [XA_GUEST_PVH] = "pvh",
};

G_STATIC_ASSERT (G_N_ELEMENTS (xa_guest_type_names) == XA_GUEST_TYPE_LAST + 1);

/**
 * xa_guest_check_cmdline:
 * @cmdline: (nullable): a kernel command line
 * @error: a #GError, %XA_ERROR_INVALID_INPUT when it is longer than
 *   %XA_GUEST_CMDLINE_MAX_BYTES
 *
 * Returns: %TRUE if Xen can pass it to the guest whole
 */
gboolean
xa_guest_check_cmdline (const gchar *cmdline, GError **error)
{
  gsize len = cmdline != NULL ? strlen (cmdline) : 0;

  if (len > XA_GUEST_CMDLINE_MAX_BYTES) {
    g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                 "%" G_GSIZE_FORMAT " bytes is longer than a kernel command line may be on "
                 "Xen (%d bytes)", len, XA_GUEST_CMDLINE_MAX_BYTES);
    return FALSE;
  }
  return TRUE;
}

/**
 * xa_guest_new:
 * @type: PV or PVH
 * @kernel: (nullable): the kernel to boot
 * @ramdisk: (nullable): its initial ramdisk
 * @cmdline: (nullable): its command line
 *
 * Returns: (transfer full): the payload, with copies of the strings
 */
XaGuest *
xa_guest_new (XaGuestType type, const gchar *kernel, const gchar *ramdisk, const gchar *cmdline)
{
  XaGuest *guest = g_new0 (XaGuest, 1);

  guest->type = type;
  guest->kernel = g_strdup (kernel);
  guest->ramdisk = g_strdup (ramdisk);
  guest->cmdline = g_strdup (cmdline);
  return guest;
}

void
xa_guest_free (XaGuest *guest)
{
  if (guest == NULL)
    return;
  g_free (guest->kernel);
  g_free (guest->ramdisk);
  g_free (guest->cmdline);
  g_free (guest);
}

const gchar *
xa_guest_type_to_string (XaGuestType type)
{
  g_return_val_if_fail (type <= XA_GUEST_TYPE_LAST, NULL);

  return xa_guest_type_names[type];
}

/**
 * xa_guest_type_from_string:
 * @text: "pv" or "pvh", as in a manifest and the ledger
 * @out_type: (out): the guest type
 * @error: a #GError, %XA_ERROR_INVALID_INPUT for another text
 *
 * Returns: %TRUE if @text names a guest type
 */
gboolean
xa_guest_type_from_string (const gchar *text, XaGuestType *out_type, GError **error)
{
  gint t = xa_names_find (xa_guest_type_names, G_N_ELEMENTS (xa_guest_type_names), text);
  g_autofree gchar *shown = NULL;

  if (t >= 0) {
    *out_type = (XaGuestType) t;
    return TRUE;
  }
  shown = xa_text_quote (text);
  g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
               "%s is not a guest type (use pv or pvh)", shown);
  return FALSE;
}
