/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * XaGuestType:
 * @XA_GUEST_PV: a paravirtualised guest
 * @XA_GUEST_PVH: a PVH guest
 */
typedef enum {
  XA_GUEST_PV,
  XA_GUEST_PVH,
} XaGuestType;

#define XA_GUEST_TYPE_LAST XA_GUEST_PVH

/**
 * XaGuest:
 * @type: PV or PVH
 * @kernel: (nullable): what the Xen backend boots, with @ramdisk and
 *   @cmdline (nullable)
 *
 * What a VM boots: the payload beside its request, which no policy reads.
 */
typedef struct {
  XaGuestType type;
  gchar *kernel;
  gchar *ramdisk;
  gchar *cmdline;
} XaGuest;

/* Xen's MAX_GUEST_CMDLINE is 1024 bytes with the final NUL, and
 * libxenguest cuts a longer command line silently. */
#define XA_GUEST_CMDLINE_MAX_BYTES 1023

gboolean xa_guest_check_cmdline (const gchar *cmdline,
                                 GError     **error);
XaGuest *xa_guest_new (XaGuestType  type,
                       const gchar *kernel,
                       const gchar *ramdisk,
                       const gchar *cmdline);
void xa_guest_free (XaGuest *guest);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XaGuest, xa_guest_free)

const gchar *xa_guest_type_to_string (XaGuestType type);
gboolean xa_guest_type_from_string (const gchar *text,
                                    XaGuestType *out_type,
                                    GError     **error);

G_END_DECLS
