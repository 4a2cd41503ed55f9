/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The locality invariant of issue 15: a VM that fits one node on the host
 * as it was at its admission ends on one node (strict mode), or the ledger
 * records why not. */
#include "xa-mem.h"
#include "xa-sim-check.h"
#include "xa-sim-local.h"
#include "xa-sim-scenario.h"

struct _XaSimLocal {
  /* name → its request, as the scenario drew it */
  GHashTable *requests;
  /* name → 1 + whether it fit one node at its last admission */
  GHashTable *fits;
  /* the ids of the requests whose place was checked once running */
  GHashTable *checked;
  XaSimLocalNote note;
  gpointer note_data;
};

/**
 * xa_sim_local_new:
 * @vms: (element-type XaSimVm): the scenario's workload
 * @note: told what each admission found, for the lives after this one
 * @user_data: for @note
 *
 * Returns: (transfer full): a checker that has seen no admission yet
 */
XaSimLocal *
xa_sim_local_new (GPtrArray *vms, XaSimLocalNote note, gpointer user_data)
{
  XaSimLocal *self = g_new0 (XaSimLocal, 1);

  self->requests = g_hash_table_new (g_str_hash, g_str_equal);
  self->fits = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->checked = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  for (guint i = 0; i < vms->len; i++) {
    XaRequest *req = ((XaSimVm *) g_ptr_array_index (vms, i))->req;

    g_hash_table_insert (self->requests, req->name, req);
  }
  self->note = note;
  self->note_data = user_data;
  return self;
}

void
xa_sim_local_free (XaSimLocal *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->requests);
  g_hash_table_unref (self->fits);
  g_hash_table_unref (self->checked);
  g_free (self);
}

/* What an admission in a life before this one found. */
void
xa_sim_local_set_fits (XaSimLocal *self, const gchar *name, gboolean fits)
{
  g_hash_table_insert (self->fits, g_strdup (name), GINT_TO_POINTER (fits ? 2 : 1));
}

/* Whether @req fits one of its nodes with @room (MiB per node). */
static gboolean
xa_sim_local_fits_one (const XaTopology *topo, const XaRequest *req, const gint64 *room)
{
  XaNodeSet allowed = xa_request_allowed_nodes (req, topo);
  gint64 need = (gint64) xa_mem_request_need_mib (topo, req);

  for (guint n = 0; n < topo->n_nodes; n++) {
    if (xa_nodeset_has (allowed, n) && need <= room[n])
      return TRUE;
  }
  return FALSE;
}

/**
 * xa_sim_local_admitted:
 * @self: the checker
 * @info: the host just after the event that admitted @admitted
 * @owed: (array): per node, what every build in flight has yet to take
 * @admitted: (element-type XaStoreVmRow): the requests a batch admitted
 *   in that event
 *
 * Records whether each fit one node of its own net of the builds in
 * flight before its batch: what that batch's plan had to give.
 */
void
xa_sim_local_admitted (XaSimLocal *self, const XaHostInfo *info, const guint64 *owed,
                       GPtrArray *admitted)
{
  g_autoptr(XaTopology) topo = xa_host_info_to_topology (info);
  gint64 room[XA_MAX_NODES];

  for (guint n = 0; n < info->n_nodes; n++)
    room[n] = (gint64) info->nodes[n].free_mib - (gint64) owed[n];
  /* the batch's own builds: not owed before it, and what they hold was free */
  for (guint i = 0; i < admitted->len; i++) {
    const XaStoreVmRow *row = g_ptr_array_index (admitted, i);
    const XaHostDomain *domain = xa_host_info_find_domain (info, row->uuid);

    for (guint n = 0; n < info->n_nodes; n++)
      room[n] += (gint64) MAX (row->planned_mib[n],
                               domain != NULL ? domain->memory_by_node_mib[n] : 0);
  }
  for (guint i = 0; i < admitted->len; i++) {
    const XaStoreVmRow *row = g_ptr_array_index (admitted, i);
    const XaRequest *req = g_hash_table_lookup (self->requests, row->name);
    gboolean fits = req != NULL && xa_sim_local_fits_one (topo, req, room);

    xa_sim_local_set_fits (self, row->name, fits);
    self->note (row->name, fits, self->note_data);
  }
}

/* Whether the ledger keeps @row's request pinned to CPUs: not NUMA-placed,
 * its memory goes where Xen's allocator deals it (docs/formats.md,
 * Manifest), beyond its CPUs' nodes once they are full. */
static gboolean
xa_sim_local_is_pinned (XaStore *store, gint64 host_id, const XaStoreVmRow *row,
                        gboolean *out_pinned, GError **error)
{
  g_autoptr(XaStoreRequest) request = xa_store_find_request (store, host_id, row->uuid, error);

  if (request == NULL)
    return FALSE;
  *out_pinned = xa_request_is_pinned (request->req);
  return TRUE;
}

/* A running VM that fit one node at its admission and is split: it was
 * pinned, or the decision that admitted it says no node could hold all of
 * it with the rest of its batch (its group among them) placed as planned. */
static gboolean
xa_sim_local_check_split (XaStore *store, gint64 host_id, const XaStoreVmRow *row,
                          GError **error)
{
  g_auto(XaStoreWhy) why = { 0 };
  g_autofree gchar *nodes = NULL;
  gboolean found = FALSE;
  gboolean pinned = FALSE;

  if (!xa_sim_local_is_pinned (store, host_id, row, &pinned, error) ||
      !xa_store_get_why (store, row->id, &why, &found, error))
    return FALSE;
  if (pinned || (found && why.why.widest_mib < why.why.need_mib))
    return TRUE;
  nodes = xa_nodeset_format (row->planned_nodes);
  if (!found)
    g_set_error (error, XA_SIM_CHECK_ERROR, XA_SIM_INVARIANT_LOCAL,
                 "%s fit one node at its admission, runs split over nodes %s, and the ledger "
                 "has no decision on it", row->name, nodes);
  else
    g_set_error (error, XA_SIM_CHECK_ERROR, XA_SIM_INVARIANT_LOCAL,
                 "%s fit one node at its admission and runs split over nodes %s, while batch %"
                 G_GINT64_FORMAT " recorded that node %u could give it %" G_GUINT64_FORMAT
                 " of the %" G_GUINT64_FORMAT " MiB it needs", row->name, nodes, why.batch_id,
                 why.why.widest_node, why.why.widest_mib, why.why.need_mib);
  return FALSE;
}

/**
 * xa_sim_local_check:
 * @self: the checker
 * @store: the ledger
 * @host_id: the host in it
 * @info: the host
 * @rows: (element-type XaStoreVmRow): the ledger's requests
 * @error: a #GError, of %XA_SIM_CHECK_ERROR when the invariant is broken
 *
 * Looks once at each request running since the last look.
 *
 * Returns: %TRUE if each that fit one node at its admission runs on one,
 *   or the ledger says why not
 */
gboolean
xa_sim_local_check (XaSimLocal *self, XaStore *store, gint64 host_id, const XaHostInfo *info,
                    GPtrArray *rows, GError **error)
{
  for (guint i = 0; i < rows->len; i++) {
    const XaStoreVmRow *row = g_ptr_array_index (rows, i);

    if (row->state != XA_REQUEST_RUNNING || g_hash_table_contains (self->checked, &row->id))
      continue;
    g_hash_table_add (self->checked, g_memdup2 (&row->id, sizeof (gint64)));
    if (GPOINTER_TO_INT (g_hash_table_lookup (self->fits, row->name)) == 2 &&
        !xa_mem_is_local (row->actual_mib, info->n_nodes) &&
        !xa_sim_local_check_split (store, host_id, row, error))
      return FALSE;
  }
  return TRUE;
}
