/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The invariants of issue 15, checked on the ledger and the simulated host
 * after every event of the host's clock. */
#include "xa-host-record.h"
#include "xa-sim-check.h"

G_DEFINE_QUARK (xa-sim-check-error-quark, xa_sim_check_error)

#define STATE_BIT(state) (1u << (state))

static const gchar *const invariant_texts[] = {
  [XA_SIM_INVARIANT_OVER_PLANNED] = "no node is planned beyond its free memory net of claims",
  [XA_SIM_INVARIANT_CLAIMS] = "claims on the host are builds in flight; "
                              "no claim outlives its build",
  [XA_SIM_INVARIANT_STATES] = "every request moves only along the allowed transitions",
  [XA_SIM_INVARIANT_RUNNING] = "the ledger's running requests are the host's domains with a "
                               "request handle, with the same memory per node",
  [XA_SIM_INVARIANT_BUILT_TWICE] = "no domain is built twice",
  [XA_SIM_INVARIANT_LOST] = "nothing submitted is lost",
  [XA_SIM_INVARIANT_GROUP] = "every group is all-or-nothing",
  [XA_SIM_INVARIANT_STRICT] = "in strict mode a VM runs on the nodes it was planned on",
  [XA_SIM_INVARIANT_LOCAL] = "a VM that fits one node on the host as it was at its admission "
                             "ends on one node (strict mode), or the ledger records why not",
  [XA_SIM_INVARIANT_STOPS] = "the admitter stops with an error when the ledger cannot be written",
  [XA_SIM_INVARIANT_ALIVE] = "the admitter neither aborts nor crashes by itself",
};

/* A request's life (xa-store.h), with the ways back to the queue: a retry,
 * a restart's reconciliation, and a deferral (queued again). */
/* the states that may follow each; none follows a request that is over */
static const guint next_states[XA_REQUEST_STATE_LAST + 1] = {
  [XA_REQUEST_QUEUED] = STATE_BIT (XA_REQUEST_QUEUED) | STATE_BIT (XA_REQUEST_PLANNED) |
                        STATE_BIT (XA_REQUEST_CANCELLED) | STATE_BIT (XA_REQUEST_REJECTED) |
                        STATE_BIT (XA_REQUEST_FAILED),
  [XA_REQUEST_PLANNED] = STATE_BIT (XA_REQUEST_BUILDING) | STATE_BIT (XA_REQUEST_QUEUED) |
                         STATE_BIT (XA_REQUEST_RUNNING) |
                         STATE_BIT (XA_REQUEST_CANCELLED),
  [XA_REQUEST_BUILDING] = STATE_BIT (XA_REQUEST_RUNNING) | STATE_BIT (XA_REQUEST_FAILED) |
                          STATE_BIT (XA_REQUEST_QUEUED) | STATE_BIT (XA_REQUEST_CANCELLED),
  [XA_REQUEST_RUNNING] = STATE_BIT (XA_REQUEST_ENDED),
};

struct _XaSimCheck {
  gboolean destroy_may_fail;
  GHashTable *submitted;
  GHashTable *cancelled;
  /* request id → its state + 1, as last seen */
  GHashTable *states;
  /* a running request's UUID → its domain id */
  GHashTable *domids;
  /* the domains not xadmit's (dom0...), as first seen: they stay */
  guint n_resident;
  /* why a request ends whose guest powered off (a shuts_down fault) */
  gchar *shut_down;
  XaSimLocal *local;
  /* per node, as last seen: how much what the builds in flight have yet
   * to take exceeded its free memory, its free memory and domains, and
   * what the builds in flight held beyond their plan */
  guint n_nodes_seen;
  guint64 short_mib[XA_MAX_NODES];
  guint64 accounted_mib[XA_MAX_NODES];
  guint64 unplanned_mib[XA_MAX_NODES];
};

const gchar *
xa_sim_invariant_describe (XaSimInvariant invariant)
{
  return invariant_texts[invariant];
}

/**
 * xa_sim_check_new:
 * @destroy_may_fail: the host's faults break destroy, so the domain of a
 *   request that is over may stay, as a leftover the ledger knows
 * @local: (transfer full): the locality invariant's checker
 *
 * Returns: (transfer full): a checker that has seen nothing yet
 */
XaSimCheck *
xa_sim_check_new (gboolean destroy_may_fail, XaSimLocal *local)
{
  XaSimCheck *self = g_new0 (XaSimCheck, 1);

  self->local = local;
  self->destroy_may_fail = destroy_may_fail;
  self->submitted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->cancelled = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->states = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->domids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->shut_down = xa_host_record_down_reason ("poweroff");
  return self;
}

void
xa_sim_check_free (XaSimCheck *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->submitted);
  g_hash_table_unref (self->cancelled);
  g_hash_table_unref (self->states);
  g_hash_table_unref (self->domids);
  g_free (self->shut_down);
  xa_sim_local_free (self->local);
  g_free (self);
}

/* @name was committed to the ledger: it must never go missing. */
void
xa_sim_check_submitted (XaSimCheck *self, const gchar *name)
{
  g_hash_table_add (self->submitted, g_strdup (name));
}

/* @name's cancel was asked: as a member it leaves its group. */
void
xa_sim_check_cancelled (XaSimCheck *self, const gchar *name)
{
  g_hash_table_add (self->cancelled, g_strdup (name));
}

static gboolean
xa_sim_check_fail (GError **error, XaSimInvariant invariant, const gchar *format, ...)
  G_GNUC_PRINTF (3, 4);

static gboolean
xa_sim_check_fail (GError **error, XaSimInvariant invariant, const gchar *format, ...)
{
  va_list args;
  g_autofree gchar *detail = NULL;

  va_start (args, format);
  detail = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, XA_SIM_CHECK_ERROR, (gint) invariant, detail);
  return FALSE;
}

/* Whether @to can follow @from, through any number of transitions. */
static gboolean
xa_sim_check_reachable (XaRequestState from, XaRequestState to)
{
  guint seen = STATE_BIT (from);

  for (guint round = 0; round <= XA_REQUEST_STATE_LAST; round++) {
    for (guint s = 0; s <= XA_REQUEST_STATE_LAST; s++) {
      if (seen & STATE_BIT (s))
        seen |= next_states[s];
    }
  }
  return (seen & STATE_BIT (to)) != 0;
}

static gboolean
xa_sim_check_is_live (XaRequestState state)
{
  return state == XA_REQUEST_PLANNED || state == XA_REQUEST_BUILDING ||
         state == XA_REQUEST_RUNNING;
}

/* Each request moved along the allowed transitions since the last look;
 * @admitted gets those a batch admitted since (queued before). */
static gboolean
xa_sim_check_states (XaSimCheck *self, GPtrArray *rows, GPtrArray *admitted, GError **error)
{
  for (guint i = 0; i < rows->len; i++) {
    const XaStoreVmRow *row = g_ptr_array_index (rows, i);
    gpointer seen = g_hash_table_lookup (self->states, &row->id);
    XaRequestState before = (XaRequestState) (GPOINTER_TO_UINT (seen) - 1);

    if (seen != NULL && !xa_sim_check_reachable (before, row->state))
      return xa_sim_check_fail (error, XA_SIM_INVARIANT_STATES, "%s went from %s to %s",
                                row->name, xa_request_state_to_string (before),
                                xa_request_state_to_string (row->state));
    if (seen != NULL && before == XA_REQUEST_QUEUED && xa_sim_check_is_live (row->state))
      g_ptr_array_add (admitted, (gpointer) row);
    g_hash_table_insert (self->states, g_memdup2 (&row->id, sizeof (gint64)),
                         GUINT_TO_POINTER (row->state + 1));
  }
  return TRUE;
}

static gboolean
xa_sim_check_lost (XaSimCheck *self, GPtrArray *rows, GError **error)
{
  g_autoptr(GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter iter;
  gpointer name;

  for (guint i = 0; i < rows->len; i++)
    g_hash_table_add (names, ((XaStoreVmRow *) g_ptr_array_index (rows, i))->name);
  g_hash_table_iter_init (&iter, self->submitted);
  while (g_hash_table_iter_next (&iter, &name, NULL)) {
    if (!g_hash_table_contains (names, name))
      return xa_sim_check_fail (error, XA_SIM_INVARIANT_LOST,
                                "%s was submitted, and the ledger has no request of it",
                                (const gchar *) name);
  }
  return TRUE;
}

/* One domain with a handle: one request has it, which is live (or over,
 * where a destroy may have failed); a claim only while its build is. */
static gboolean
xa_sim_check_domain (XaSimCheck *self, const XaHostDomain *domain, GHashTable *by_uuid,
                     GError **error)
{
  const XaStoreVmRow *row = g_hash_table_lookup (by_uuid, domain->uuid);

  if (row == NULL)
    return xa_sim_check_fail (error, XA_SIM_INVARIANT_RUNNING,
                              "domain %u (%s) has the handle %s, which no request has",
                              domain->domid, domain->name, domain->uuid);
  if (domain->claim_mib > 0 && row->state != XA_REQUEST_PLANNED &&
      row->state != XA_REQUEST_BUILDING)
    return xa_sim_check_fail (error, XA_SIM_INVARIANT_CLAIMS,
                              "%s is %s, and its domain %u still claims %" G_GUINT64_FORMAT " MiB",
                              row->name, xa_request_state_to_string (row->state), domain->domid,
                              domain->claim_mib);
  if (!xa_sim_check_is_live (row->state) && !self->destroy_may_fail)
    return xa_sim_check_fail (error, XA_SIM_INVARIANT_RUNNING,
                              "%s is %s, and its domain %u is on the host", row->name,
                              xa_request_state_to_string (row->state), domain->domid);
  return TRUE;
}

/* A running request's domain: there, the same one as before, and, once no
 * build is under way, with the memory per node the ledger says. */
static gboolean
xa_sim_check_running (XaSimCheck *self, const XaHostInfo *info, const XaStoreVmRow *row,
                      gboolean idle, GError **error)
{
  const XaHostDomain *domain = xa_host_info_find_domain (info, row->uuid);
  gpointer domid = NULL;

  if (domain == NULL)
    return xa_sim_check_fail (error, XA_SIM_INVARIANT_RUNNING,
                              "%s is running, and the host has no domain of it", row->name);
  if (domain->down != NULL)
    return xa_sim_check_fail (error, XA_SIM_INVARIANT_RUNNING,
                              "%s is running, and its domain %u went down (%s)", row->name,
                              domain->domid, domain->down);
  if (g_hash_table_lookup_extended (self->domids, row->uuid, NULL, &domid) &&
      GPOINTER_TO_UINT (domid) != domain->domid)
    return xa_sim_check_fail (error, XA_SIM_INVARIANT_BUILT_TWICE,
                              "%s ran as domain %u, and runs as domain %u now", row->name,
                              GPOINTER_TO_UINT (domid), domain->domid);
  g_hash_table_insert (self->domids, g_strdup (row->uuid), GUINT_TO_POINTER (domain->domid));
  for (guint n = 0; idle && n < info->n_nodes; n++) {
    if (row->actual_mib[n] != domain->memory_by_node_mib[n])
      return xa_sim_check_fail (error, XA_SIM_INVARIANT_RUNNING,
                                "%s has %" G_GUINT64_FORMAT " MiB on node %u in the ledger, "
                                "%" G_GUINT64_FORMAT " MiB on the host", row->name,
                                row->actual_mib[n], n, domain->memory_by_node_mib[n]);
  }
  return TRUE;
}

static gboolean
xa_sim_check_domains (XaSimCheck *self, const XaHostInfo *info, GPtrArray *rows, GError **error)
{
  g_autoptr(GHashTable) by_uuid = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);
  gboolean idle = TRUE;
  guint n_resident = 0;

  for (guint i = 0; i < rows->len; i++) {
    XaStoreVmRow *row = g_ptr_array_index (rows, i);

    g_hash_table_insert (by_uuid, row->uuid, row);
    idle = idle && row->state != XA_REQUEST_PLANNED && row->state != XA_REQUEST_BUILDING;
  }
  for (guint i = 0; i < info->domains->len; i++) {
    const XaHostDomain *domain = g_ptr_array_index (info->domains, i);

    n_resident += domain->uuid == NULL;
    if (!g_hash_table_add (names, domain->name))
      return xa_sim_check_fail (error, XA_SIM_INVARIANT_BUILT_TWICE,
                                "the host has two domains called %s", domain->name);
    if (domain->uuid != NULL && !xa_sim_check_domain (self, domain, by_uuid, error))
      return FALSE;
  }
  if (self->n_resident == 0)
    self->n_resident = n_resident;
  if (n_resident != self->n_resident)
    return xa_sim_check_fail (error, XA_SIM_INVARIANT_RUNNING,
                              "the host had %u domains not xadmit's, and has %u now",
                              self->n_resident, n_resident);
  for (guint i = 0; i < rows->len; i++) {
    const XaStoreVmRow *row = g_ptr_array_index (rows, i);

    if (row->state == XA_REQUEST_RUNNING && !xa_sim_check_running (self, info, row, idle, error))
      return FALSE;
  }
  return TRUE;
}

/* Per node, what the requests in flight have yet to take: their plan,
 * less what their domains hold there; and what their domains hold beyond
 * their plan (a pinned VM's memory goes where Xen's allocator deals it). */
static void
xa_sim_check_owed (const XaHostInfo *info, GPtrArray *rows, guint64 *owed, guint64 *unplanned)
{
  memset (owed, 0, sizeof (guint64) * info->n_nodes);
  memset (unplanned, 0, sizeof (guint64) * info->n_nodes);
  for (guint i = 0; i < rows->len; i++) {
    const XaStoreVmRow *row = g_ptr_array_index (rows, i);
    const XaHostDomain *domain = NULL;

    if (row->state != XA_REQUEST_PLANNED && row->state != XA_REQUEST_BUILDING)
      continue;
    domain = xa_host_info_find_domain (info, row->uuid);
    for (guint n = 0; n < info->n_nodes; n++) {
      guint64 held = domain != NULL ? domain->memory_by_node_mib[n] : 0;

      owed[n] += row->planned_mib[n] - MIN (row->planned_mib[n], held);
      unplanned[n] += held - MIN (row->planned_mib[n], held);
    }
  }
}

/* What node @n's free memory and its domains add up to: only something
 * outside xadmit (a take) makes it less. */
static guint64
xa_sim_check_accounted (const XaHostInfo *info, guint n)
{
  return info->nodes[n].free_mib + xa_host_info_domains_mib (info, n);
}

/* How much less node @n has than at the last event, from outside the
 * plans: what something outside xadmit took, and what builds in flight
 * took there without a plan for it. */
static guint64
xa_sim_check_taken (const XaSimCheck *self, const XaHostInfo *info, guint n, guint64 unplanned)
{
  guint64 accounted = xa_sim_check_accounted (info, n);

  if (self->n_nodes_seen <= n)
    return 0;
  return (self->accounted_mib[n] > accounted ? self->accounted_mib[n] - accounted : 0) +
         (unplanned > self->unplanned_mib[n] ? unplanned - self->unplanned_mib[n] : 0);
}

/* On every node, what the builds in flight have yet to take fits its free
 * memory, but for what was taken from outside the plans since they were
 * planned: a node may be short by no more than it was at the last event
 * and what was taken of it since (its builds then fail in strict mode). */
static gboolean
xa_sim_check_planned (XaSimCheck *self, const XaHostInfo *info, const guint64 *owed,
                      const guint64 *unplanned, GError **error)
{
  for (guint n = 0; n < info->n_nodes; n++) {
    guint64 free_mib = info->nodes[n].free_mib;
    guint64 taken = xa_sim_check_taken (self, info, n, unplanned[n]);
    guint64 was_short = self->n_nodes_seen > n ? self->short_mib[n] : 0;
    guint64 is_short = owed[n] > free_mib ? owed[n] - free_mib : 0;

    if (is_short > was_short + taken)
      return xa_sim_check_fail (error, XA_SIM_INVARIANT_OVER_PLANNED,
                                "node %u: the builds in flight have %" G_GUINT64_FORMAT
                                " MiB yet to take, and the node has %" G_GUINT64_FORMAT " MiB "
                                "free: %" G_GUINT64_FORMAT " MiB short, more than the %"
                                G_GUINT64_FORMAT " MiB it was before and the %" G_GUINT64_FORMAT
                                " MiB taken since", n, owed[n], free_mib, is_short, was_short,
                                taken);
    self->short_mib[n] = is_short;
    self->accounted_mib[n] = xa_sim_check_accounted (info, n);
    self->unplanned_mib[n] = unplanned[n];
  }
  self->n_nodes_seen = info->n_nodes;
  return TRUE;
}

/* "NAME STATE, ..." for the members of group @key. */
static gchar *
xa_sim_check_group_states (GPtrArray *rows, const gchar *key)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < rows->len; i++) {
    const XaStoreVmRow *row = g_ptr_array_index (rows, i);
    g_autofree gchar *row_key = g_strdup_printf ("%s/%s", row->group_id, row->group);

    if (row->group != NULL && g_str_equal (row_key, key))
      g_string_append_printf (text, "%s%s %s%s%s", text->len > 0 ? ", " : "", row->name,
                              xa_request_state_to_string (row->state),
                              row->reason != NULL ? ": " : "",
                              row->reason != NULL ? row->reason : "");
  }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* A group that is over (none of its members queued, planned or building)
 * started all its members but those cancelled (running, or ended since as
 * their guest powered off), or none. */
static gboolean
xa_sim_check_groups (XaSimCheck *self, GPtrArray *rows, GError **error)
{
  g_autoptr(GHashTable) groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GHashTableIter iter;
  gpointer key;
  gpointer value;

  /* per group: bits 0-9 members, 10-19 started, 20 on its way */
  for (guint i = 0; i < rows->len; i++) {
    const XaStoreVmRow *row = g_ptr_array_index (rows, i);
    g_autofree gchar *key_text = NULL;
    guint counts;

    if (row->group == NULL ||
        (row->state == XA_REQUEST_CANCELLED && g_hash_table_contains (self->cancelled, row->name)))
      continue;
    key_text = g_strdup_printf ("%s/%s", row->group_id, row->group);
    counts = GPOINTER_TO_UINT (g_hash_table_lookup (groups, key_text)) + 1;
    counts += row->state == XA_REQUEST_RUNNING ||
              (row->state == XA_REQUEST_ENDED && g_strcmp0 (row->reason, self->shut_down) == 0)
              ? 1u << 10 : 0;
    counts |= row->state == XA_REQUEST_QUEUED || row->state == XA_REQUEST_PLANNED ||
              row->state == XA_REQUEST_BUILDING ? 1u << 20 : 0;
    g_hash_table_insert (groups, g_steal_pointer (&key_text), GUINT_TO_POINTER (counts));
  }
  g_hash_table_iter_init (&iter, groups);
  while (g_hash_table_iter_next (&iter, &key, &value)) {
    guint counts = GPOINTER_TO_UINT (value);
    guint members = counts & 0x3ff;
    guint started = (counts >> 10) & 0x3ff;

    if (!(counts & (1u << 20)) && started > 0 && started < members) {
      g_autofree gchar *states = xa_sim_check_group_states (rows, key);

      return xa_sim_check_fail (error, XA_SIM_INVARIANT_GROUP,
                                "group %s is over with %u of its %u members started (%s)",
                                (const gchar *) key, started, members, states);
    }
  }
  return TRUE;
}

static gboolean
xa_sim_check_strict (GPtrArray *rows, GError **error)
{
  for (guint i = 0; i < rows->len; i++) {
    const XaStoreVmRow *row = g_ptr_array_index (rows, i);

    if (row->state == XA_REQUEST_RUNNING && row->spilled_mib > 0)
      return xa_sim_check_fail (error, XA_SIM_INVARIANT_STRICT,
                                "%s runs with %" G_GUINT64_FORMAT " MiB outside the nodes "
                                "it was planned on", row->name, row->spilled_mib);
  }
  return TRUE;
}

/**
 * xa_sim_check_now:
 * @self: the checker
 * @host: the simulated host
 * @store: the admitter's ledger, whose writes not committed yet count
 * @host_id: the host in it
 * @error: a #GError, of %XA_SIM_CHECK_ERROR naming the invariant broken,
 *   or of the host or the store when they cannot be read
 *
 * Returns: %TRUE if every invariant holds now
 */
gboolean
xa_sim_check_now (XaSimCheck *self, XaHost *host, XaStore *store, gint64 host_id,
                  GError **error)
{
  g_autoptr(XaHostInfo) info = xa_host_snapshot (host, error);
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GPtrArray) admitted = g_ptr_array_new ();
  guint64 owed[XA_MAX_NODES];
  guint64 unplanned[XA_MAX_NODES];

  if (info == NULL)
    return FALSE;
  rows = xa_store_list_vms (store, host_id, info->n_nodes, 0, G_MAXINT64, error);
  if (rows == NULL || !xa_sim_check_states (self, rows, admitted, error))
    return FALSE;
  xa_sim_check_owed (info, rows, owed, unplanned);
  if (admitted->len > 0)
    xa_sim_local_admitted (self->local, info, owed, admitted);
  return xa_sim_check_lost (self, rows, error) && xa_sim_check_domains (self, info, rows, error) &&
         xa_sim_check_planned (self, info, owed, unplanned, error) &&
         xa_sim_check_groups (self, rows, error) && xa_sim_check_strict (rows, error) &&
         xa_sim_local_check (self->local, store, host_id, info, rows, error);
}

/* One request's log: from its queueing, each line from where the last
 * left it, along an allowed transition. */
static gboolean
xa_sim_check_log (const XaStoreVmRow *row, GPtrArray *events, GError **error)
{
  XaRequestState at = XA_REQUEST_QUEUED;

  for (guint i = 0; i < events->len; i++) {
    const XaStoreEvent *event = g_ptr_array_index (events, i);
    XaRequestState from = XA_REQUEST_QUEUED;
    XaRequestState to = XA_REQUEST_QUEUED;

    if (!xa_request_state_from_string (event->to, &to) ||
        (event->from != NULL && !xa_request_state_from_string (event->from, &from)) ||
        (i == 0) != (event->from == NULL) || (i > 0 && from != at) ||
        (i > 0 && !(next_states[from] & STATE_BIT (to))))
      return xa_sim_check_fail (error, XA_SIM_INVARIANT_STATES,
                                "%s's log says %s → %s after %s", row->name,
                                event->from != NULL ? event->from : "(none)", event->to,
                                xa_request_state_to_string (at));
    at = to;
  }
  if (at != row->state)
    return xa_sim_check_fail (error, XA_SIM_INVARIANT_STATES, "%s is %s, and its log ends at %s",
                              row->name, xa_request_state_to_string (row->state),
                              xa_request_state_to_string (at));
  return TRUE;
}

/**
 * xa_sim_check_logs:
 * @self: the checker
 * @store: the ledger
 * @host_id: the host in it
 * @error: a #GError
 *
 * Reads the whole event log, request by request: a restart's
 * reconciliation and every life of the admitter are in it.
 *
 * Returns: %TRUE if every request's log follows the allowed transitions
 */
gboolean
xa_sim_check_logs (XaSimCheck *self, XaStore *store, gint64 host_id, GError **error)
{
  g_autoptr(GPtrArray) rows = xa_store_list_vms (store, host_id, XA_MAX_NODES, 0, G_MAXINT64,
                                                 error);

  if (rows == NULL)
    return FALSE;
  for (guint i = 0; i < rows->len; i++) {
    const XaStoreVmRow *row = g_ptr_array_index (rows, i);
    g_autoptr(GPtrArray) events = xa_store_list_events (store, row->id, error);

    if (events == NULL || !xa_sim_check_log (row, events, error))
      return FALSE;
  }
  return xa_sim_check_lost (self, rows, error);
}
