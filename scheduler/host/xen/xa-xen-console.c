/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Xen's console ring, where its debug keys write what they dump. */
#include <errno.h>

#include "xa-error.h"
#include "xa-host-backend.h"
#include "xa-xen-console.h"
#include "xa-xen-meminfo.h"

#define XA_XEN_CONSOLE_CHUNK (64 * 1024)
#define XA_XEN_CONSOLE_MAX (16 * 1024 * 1024)
#define XA_XEN_CONSOLE_ATTEMPTS 2

/* The whole ring, oldest first, in chunks, so that a ring of any size fits
 * and its newest lines are read. */
static gboolean
xa_xen_console_read (xc_interface *xch, GString *text, GError **error)
{
  g_autofree gchar *chunk = g_malloc (XA_XEN_CONSOLE_CHUNK);
  uint32_t index = 0;

  while (text->len < XA_XEN_CONSOLE_MAX) {
    unsigned int got = XA_XEN_CONSOLE_CHUNK;

    if (xc_readconsolering (xch, chunk, &got, 0, 1, &index) != 0)
      return xa_host_fail (error, errno, "xc_readconsolering", "cannot read the console ring");
    if (got == 0)
      return TRUE;
    g_string_append_len (text, chunk, got);
  }
  g_set_error (error, XA_ERROR, XA_ERROR_FAILED,
               "xc_readconsolering: the console ring holds more than %d MiB",
               XA_XEN_CONSOLE_MAX >> 20);
  return FALSE;
}

/**
 * xa_xen_console_read_meminfo:
 * @xch: an open hypervisor interface
 * @n_nodes: the host's node count
 * @error: a #GError
 *
 * Sends the 'u' debug key, whose table of each domain's pages per node
 * (the only per-node count Xen 4.17 gives) is in the ring when the call
 * returns, and reads the ring's newest complete table.
 *
 * Returns: (transfer full): the table, as xa_xen_meminfo_parse() gives it
 */
GHashTable *
xa_xen_console_read_meminfo (xc_interface *xch, guint n_nodes, GError **error)
{
  g_autoptr(GError) local = NULL;

  /* others write to the ring too (dom0's console, other tools' keys): a
   * table they cut or hid is asked for once more */
  for (guint attempt = 1; attempt <= XA_XEN_CONSOLE_ATTEMPTS; attempt++) {
    g_autoptr(GString) text = g_string_new (NULL);
    GHashTable *table;

    g_clear_error (&local);
    if (xc_send_debug_keys (xch, "u") != 0) {
      xa_host_fail (error, errno, "xc_send_debug_keys",
                    "cannot ask Xen where each domain's memory is");
      return NULL;
    }
    if (!xa_xen_console_read (xch, text, error))
      return NULL;
    if ((table = xa_xen_meminfo_parse (text->str, text->len, n_nodes, &local)) != NULL)
      return table;
    g_debug ("'u' table, attempt %u: %s (%" G_GSIZE_FORMAT " bytes read from the ring)",
             attempt, local->message, text->len);
  }
  g_propagate_error (error, g_steal_pointer (&local));
  return NULL;
}
