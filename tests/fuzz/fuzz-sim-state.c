/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The simulated host's state file (docs/formats.md, Simulated host state),
 * as --host sim --sim-state FILE opens it: the host file's parser, then
 * what the simulated host makes of the state (domain ids, claims, the
 * memory takes still to come), then a snapshot of the host it gives; and
 * the same state against a topology (data/hosts/4node.json). */
#include <glib/gstdio.h>
#include <stdlib.h>

#include "xa-fuzz.h"
#include "xa-host.h"

/* One state file per process, written afresh for each input. */
static gchar *xa_fuzz_state_path;

static void
xa_fuzz_state_remove (void)
{
  g_autofree gchar *dir = g_path_get_dirname (xa_fuzz_state_path);

  g_unlink (xa_fuzz_state_path);
  g_rmdir (dir);
}

static const gchar *
xa_fuzz_state_file (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *dir = NULL;

  if (xa_fuzz_state_path != NULL)
    return xa_fuzz_state_path;
  dir = g_dir_make_tmp ("xadmit-fuzz-XXXXXX", &error);
  if (dir == NULL)
    g_error ("%s", error->message);
  xa_fuzz_state_path = g_build_filename (dir, "state.json", NULL);
  atexit (xa_fuzz_state_remove);
  return xa_fuzz_state_path;
}

/* With --host sim:TOPO, the state must be of the host TOPO describes. */
static void
xa_fuzz_state_against_topology (const gchar *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(XaHost) host = xa_host_open ("sim:" XA_FUZZ_TOPOLOGY, path, &error);

  xa_fuzz_check_result (host != NULL, error);
}

/* What an accepted state claims fits its memory, summed in 128 bits so
 * that no sum the loader wrapped around passes here. */
static void
xa_fuzz_state_check_claims (const XaHostInfo *info)
{
  unsigned __int128 memory = 0;
  unsigned __int128 claimed = 0;

  for (guint n = 0; n < info->n_nodes; n++)
    memory += info->nodes[n].total_mib;
  for (guint i = 0; i < info->domains->len; i++)
    claimed += ((const XaHostDomain *) g_ptr_array_index (info->domains, i))->claim_mib;
  if (claimed > memory)
    g_error ("the claims add up to %.0f MiB, the host has %.0f", (gdouble) claimed,
             (gdouble) memory);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const gchar *path = xa_fuzz_state_file ();
  g_autoptr(GError) error = NULL;
  g_autoptr(XaHost) host = NULL;
  g_autoptr(XaHostInfo) info = NULL;

  /* no fsync: the file lives for one input */
  if (!g_file_set_contents_full (path, (const gchar *) data, (gssize) size,
                                 G_FILE_SET_CONTENTS_NONE, 0600, &error))
    g_error ("%s", error->message);
  host = xa_host_open ("sim", path, &error);
  xa_fuzz_check_result (host != NULL, error);
  if (host == NULL)
    return 0;
  xa_fuzz_state_against_topology (path);
  /* a "call_fails": "snapshot" fault may fail it, but only saying why */
  info = xa_host_snapshot (host, &error);
  xa_fuzz_check_result (info != NULL, error);
  if (info != NULL)
    xa_fuzz_state_check_claims (info);
  return 0;
}
