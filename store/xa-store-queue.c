/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-error.h"
#include "xa-store-private.h"
#include "xa-text.h"

/* Hard affinity is kept as CPU ids separated by blanks. */
static gchar *
xa_store_cpus_to_text (GArray *cpus)
{
  GString *text;

  if (cpus == NULL)
    return NULL;
  text = g_string_new (NULL);
  for (guint i = 0; i < cpus->len; i++)
    g_string_append_printf (text, "%s%u", i > 0 ? " " : "", g_array_index (cpus, guint, i));
  return g_string_free (text, FALSE);
}

static GArray *
xa_store_cpus_from_text (const gchar *text)
{
  g_auto(GStrv) ids = NULL;
  GArray *cpus;

  if (text == NULL)
    return NULL;
  ids = g_strsplit (text, " ", -1);
  cpus = g_array_new (FALSE, FALSE, sizeof (guint));
  for (guint i = 0; ids[i] != NULL; i++) {
    guint cpu = (guint) g_ascii_strtoull (ids[i], NULL, 10);

    g_array_append_val (cpus, cpu);
  }
  return cpus;
}

XaStoreRequest *
xa_store_request_from_row (XaStmt *stmt)
{
  XaStoreRequest *request = g_new0 (XaStoreRequest, 1);
  XaRequest *req = xa_request_new ((const gchar *) sqlite3_column_text (stmt, 9),
                                   (guint64) sqlite3_column_int64 (stmt, 10),
                                   (guint) sqlite3_column_int (stmt, 11));
  XaGuestType type = XA_GUEST_PV;

  request->id = sqlite3_column_int64 (stmt, 0);
  request->uuid = xa_store_column_strdup (stmt, 1);
  request->group_id = xa_store_column_strdup (stmt, 2);
  xa_request_state_from_string ((const gchar *) sqlite3_column_text (stmt, 3), &request->state);
  request->reason = xa_store_column_strdup (stmt, 4);
  request->attempts = (guint) sqlite3_column_int (stmt, 5);
  request->deferrals = (guint) sqlite3_column_int (stmt, 6);
  request->queued.wall_us = sqlite3_column_int64 (stmt, 7);
  request->queued.host_s = sqlite3_column_double (stmt, 8);
  req->priority = sqlite3_column_int (stmt, 12);
  req->nodes = (XaNodeSet) sqlite3_column_int64 (stmt, 13);
  req->hard_affinity = xa_store_cpus_from_text ((const gchar *) sqlite3_column_text (stmt, 14));
  xa_guest_type_from_string ((const gchar *) sqlite3_column_text (stmt, 15), &type, NULL);
  req->queued_s = request->queued.host_s;
  req->group = xa_store_column_strdup (stmt, 19);
  req->no_rollback = sqlite3_column_int (stmt, 20) != 0;
  request->req = req;
  request->guest = xa_guest_new (type, (const gchar *) sqlite3_column_text (stmt, 16),
                                 (const gchar *) sqlite3_column_text (stmt, 17),
                                 (const gchar *) sqlite3_column_text (stmt, 18));
  return request;
}

gboolean
xa_store_find_host (XaStore *self, const gchar *key, gint64 *out_id, guint *out_n_nodes,
                    GError **error)
{
  const gchar *purpose = "look the host up";
  g_autoptr(XaStmt) stmt = xa_store_prepare (self, "SELECT id, n_nodes FROM hosts WHERE key = ?1",
                                             purpose, error);
  gint row;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_TRANSIENT);
  row = xa_store_step_row (self, stmt, purpose, error);
  if (row < 0)
    return FALSE;
  *out_id = row == 1 ? sqlite3_column_int64 (stmt, 0) : 0;
  *out_n_nodes = row == 1 ? (guint) sqlite3_column_int (stmt, 1) : 0;
  return TRUE;
}

static gboolean
xa_store_insert_host (XaStore *self, const gchar *key, const gchar *name, const gchar *kind,
                      guint n_nodes, XaStoreTime at, gint64 *out_id, GError **error)
{
  const gchar *purpose = "record the host";
  g_autoptr(XaStmt) stmt = xa_store_prepare (
    self, "INSERT INTO hosts (key, name, kind, n_nodes, created_wall_us) "
          "VALUES (?1, ?2, ?3, ?4, ?5)", purpose, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, kind, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 4, (gint) n_nodes);
  sqlite3_bind_int64 (stmt, 5, at.wall_us);
  return xa_store_step_insert (self, stmt, purpose, out_id, error);
}

static gboolean
xa_store_ensure_host_in_txn (XaStore *self, const gchar *key, const gchar *name,
                             const gchar *kind, guint n_nodes, XaStoreTime at, gint64 *out_id,
                             GError **error)
{
  guint known_nodes = 0;

  if (!xa_store_find_host (self, key, out_id, &known_nodes, error))
    return FALSE;
  if (*out_id == 0)
    return xa_store_insert_host (self, key, name, kind, n_nodes, at, out_id, error);
  if (known_nodes != n_nodes) {
    g_set_error (error, XA_ERROR, XA_ERROR_FAILED,
                 "%s: host \"%s\" is recorded with %u %s, but now has %u; "
                 "a host's nodes do not change", self->path, name, known_nodes,
                 xa_text_plural (known_nodes, "node", "nodes"), n_nodes);
    return FALSE;
  }
  return TRUE;
}

/**
 * xa_store_ensure_host:
 * @self: the store
 * @key: who the host is, for good: a Xen host's UUID, a simulated host's id
 * @name: its name, for people
 * @kind: "sim" or "xen"
 * @n_nodes: its node count, which may not change
 * @at: now
 * @out_host_id: (out): its id in the ledger
 * @error: a #GError
 *
 * Returns: %TRUE if the host is recorded, new or known
 */
gboolean
xa_store_ensure_host (XaStore *self, const gchar *key, const gchar *name, const gchar *kind,
                      guint n_nodes, XaStoreTime at, gint64 *out_host_id, GError **error)
{
  g_return_val_if_fail (self != NULL && key != NULL && name != NULL && kind != NULL, FALSE);

  if (!xa_store_begin (self, error))
    return FALSE;
  if (!xa_store_ensure_host_in_txn (self, key, name, kind, n_nodes, at, out_host_id, error))
    return xa_store_rollback (self);
  return xa_store_commit (self, error);
}

/* @from: the state before, NULL for a new request */
gboolean
xa_store_log_event (XaStore *self, gint64 request_id, gint64 batch_id, const gchar *from,
                    XaRequestState to, const gchar *reason, XaStoreTime at, GError **error)
{
  const gchar *purpose = "log the event";
  g_autoptr(XaStmt) stmt = xa_store_prepare (
    self, "INSERT INTO events (request_id, batch_id, wall_us, host_s, from_state, to_state, "
          "reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", purpose, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, request_id);
  if (batch_id != 0)
    sqlite3_bind_int64 (stmt, 2, batch_id);
  xa_store_bind_time (stmt, 3, at);
  sqlite3_bind_text (stmt, 5, from, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 6, xa_request_state_to_string (to), -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 7, reason, -1, SQLITE_TRANSIENT);
  return xa_store_step_done (self, stmt, purpose, error);
}

static gboolean
xa_store_insert_request (XaStore *self, gint64 host_id, const gchar *group_id,
                         const XaRequest *req, const XaGuest *guest, const gchar *uuid,
                         XaStoreTime at, GError **error)
{
  const gchar *purpose = "queue the request";
  g_autoptr(XaStmt) stmt = xa_store_prepare (
    self, "INSERT INTO requests (uuid, host_id, group_id, name, memory_mib, vcpus, priority, "
          "nodes, hard_affinity, guest_type, kernel, ramdisk, cmdline, state, queued_wall_us, "
          "queued_host_s, vm_group, no_rollback) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 'queued', ?14, ?15, ?16, "
          "?17)",
    purpose, error);
  gint rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, uuid, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, host_id);
  sqlite3_bind_text (stmt, 3, group_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, req->name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 5, (gint64) req->memory_mib);
  sqlite3_bind_int (stmt, 6, (gint) req->vcpus);
  sqlite3_bind_int (stmt, 7, req->priority);
  sqlite3_bind_int64 (stmt, 8, (gint64) req->nodes);
  sqlite3_bind_text (stmt, 9, xa_store_cpus_to_text (req->hard_affinity), -1, g_free);
  sqlite3_bind_text (stmt, 10, xa_guest_type_to_string (guest->type), -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 11, guest->kernel, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 12, guest->ramdisk, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 13, guest->cmdline, -1, SQLITE_TRANSIENT);
  xa_store_bind_time (stmt, 14, at);
  sqlite3_bind_text (stmt, 16, req->group, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 17, req->no_rollback ? 1 : 0);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_CONSTRAINT_UNIQUE) {
    g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                 "VM \"%s\" is already queued or being built on this host (names are unique "
                 "among the VMs xadmit has not finished with)", req->name);
    return FALSE;
  }
  if (rc != SQLITE_DONE)
    return xa_store_fail (self, rc, purpose, error);
  return TRUE;
}

static gboolean
xa_store_submit_in_txn (XaStore *self, gint64 host_id, const gchar *group_id,
                        GPtrArray *requests, GPtrArray *guests, XaStoreTime at, GPtrArray *uuids,
                        GError **error)
{
  g_autoptr(XaGuest) pv = xa_guest_new (XA_GUEST_PV, NULL, NULL, NULL);

  for (guint i = 0; i < requests->len; i++) {
    g_autofree gchar *uuid = g_uuid_string_random ();
    const XaGuest *guest = guests != NULL ? g_ptr_array_index (guests, i) : pv;

    if (!xa_store_insert_request (self, host_id, group_id, g_ptr_array_index (requests, i), guest,
                                  uuid, at, error) ||
        !xa_store_log_event (self, sqlite3_last_insert_rowid (self->db), 0, NULL,
                             XA_REQUEST_QUEUED, NULL, at, error))
      return FALSE;
    g_ptr_array_add (uuids, g_steal_pointer (&uuid));
  }
  return TRUE;
}

/**
 * xa_store_submit:
 * @self: the store
 * @host_id: the host the VMs are for
 * @group_id: what they came with (one manifest, one evacuation)
 * @requests: (element-type XaRequest): the VMs
 * @guests: (element-type XaGuest) (nullable): what each boots, in the order
 *   of @requests; %NULL for PV guests with nothing to boot
 * @at: now
 * @out_uuids: (out) (optional) (element-type utf8): the UUID given to each
 * @error: a #GError, %XA_ERROR_INVALID_INPUT for a name already live
 *
 * Queues every VM or, on error, none.
 *
 * Returns: %TRUE if all are queued
 */
gboolean
xa_store_submit (XaStore *self, gint64 host_id, const gchar *group_id, GPtrArray *requests,
                 GPtrArray *guests, XaStoreTime at, GPtrArray **out_uuids, GError **error)
{
  g_autoptr(GPtrArray) uuids = g_ptr_array_new_with_free_func (g_free);

  g_return_val_if_fail (self != NULL && group_id != NULL && requests != NULL, FALSE);
  g_return_val_if_fail (guests == NULL || guests->len == requests->len, FALSE);

  if (!xa_store_begin (self, error))
    return FALSE;
  if (!xa_store_submit_in_txn (self, host_id, group_id, requests, guests, at, uuids, error))
    return xa_store_rollback (self);
  if (!xa_store_commit (self, error))
    return FALSE;
  if (out_uuids != NULL)
    *out_uuids = g_steal_pointer (&uuids);
  return TRUE;
}

/**
 * xa_store_list_requests:
 * @self: the store
 * @host_id: the host
 * @state: which requests
 * @error: a #GError
 *
 * Returns: (transfer full) (element-type XaStoreRequest) (nullable): the
 *   host's requests in @state, in the order they were queued
 */
GPtrArray *
xa_store_list_requests (XaStore *self, gint64 host_id, XaRequestState state, GError **error)
{
  return xa_store_list_requests_after (self, host_id, state, 0, error);
}

/**
 * xa_store_list_requests_after:
 * @self: the store
 * @host_id: the host
 * @state: which requests
 * @after_id: the last request already read, 0 for none
 * @error: a #GError
 *
 * As xa_store_list_requests(), only those queued after @after_id: ids
 * grow in the order the queueing transactions commit, so a reader that
 * saw @after_id saw every request queued before it.
 *
 * Returns: (transfer full) (element-type XaStoreRequest) (nullable): them
 */
GPtrArray *
xa_store_list_requests_after (XaStore *self, gint64 host_id, XaRequestState state,
                              gint64 after_id, GError **error)
{
  const gchar *purpose = "read the requests";
  g_autoptr(XaStmt) stmt = xa_store_prepare (
    self, "SELECT " XA_STORE_REQUEST_COLUMNS " FROM requests "
          "WHERE host_id = ?1 AND state = ?2 AND id > ?3 ORDER BY id", purpose, error);

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, host_id);
  sqlite3_bind_text (stmt, 2, xa_request_state_to_string (state), -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, after_id);
  return xa_store_collect_rows (self, stmt, purpose, (XaStoreRowNew) xa_store_request_from_row,
                                (GDestroyNotify) xa_store_request_free, error);
}

/**
 * xa_store_count_in_state:
 * @self: the store
 * @host_id: the host
 * @state: which requests
 * @out_count: (out): how many of the host's requests are in @state
 * @error: a #GError
 *
 * For a process that waits on the ledger: a count, not the rows.
 *
 * Returns: %TRUE on success
 */
gboolean
xa_store_count_in_state (XaStore *self, gint64 host_id, XaRequestState state, guint *out_count,
                         GError **error)
{
  const gchar *purpose = "count the requests";
  g_autoptr(XaStmt) stmt = xa_store_prepare (
    self, "SELECT count (*) FROM requests WHERE host_id = ?1 AND state = ?2", purpose, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, host_id);
  sqlite3_bind_text (stmt, 2, xa_request_state_to_string (state), -1, SQLITE_STATIC);
  if (xa_store_step_row (self, stmt, purpose, error) != 1)
    return FALSE;
  *out_count = (guint) sqlite3_column_int64 (stmt, 0);
  return TRUE;
}

/* Moves a request from @from to @to and logs it, the build's end time too
 * if @ends_build; *out_changed says whether it was still @from (if not,
 * nothing happens). */
gboolean
xa_store_change_state (XaStore *self, gint64 request_id, XaRequestState from, XaRequestState to,
                       const gchar *reason, XaStoreTime at, gboolean ends_build,
                       gboolean *out_changed, GError **error)
{
  const gchar *purpose = ends_build ? "record the end of the build" : "change the request's state";
  /* two literals: each is a statement of its own in the cache */
  g_autoptr(XaStmt) stmt = xa_store_prepare (
    self, ends_build ? "UPDATE requests SET state = ?3, reason = ?4, finished_wall_us = ?5, "
                       "finished_host_s = ?6 WHERE id = ?1 AND state = ?2"
                     : "UPDATE requests SET state = ?3, reason = ?4 WHERE id = ?1 AND state = ?2",
    purpose, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, request_id);
  sqlite3_bind_text (stmt, 2, xa_request_state_to_string (from), -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, xa_request_state_to_string (to), -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, reason, -1, SQLITE_TRANSIENT);
  if (ends_build)
    xa_store_bind_time (stmt, 5, at);
  if (!xa_store_step_changed (self, stmt, purpose, out_changed, error))
    return FALSE;
  return !*out_changed ||
         xa_store_log_event (self, request_id, 0, xa_request_state_to_string (from), to, reason,
                             at, error);
}

/* Returns FALSE: the request moved on (another process, a lost race). */
gboolean
xa_store_not_in_state (XaStore *self, gint64 request_id, XaRequestState from, XaRequestState to,
                       GError **error)
{
  g_set_error (error, XA_ERROR, XA_ERROR_FAILED,
               "%s: request %" G_GINT64_FORMAT " is not %s any more, so it cannot become %s",
               self->path, request_id, xa_request_state_to_string (from),
               xa_request_state_to_string (to));
  return FALSE;
}

/* The same, for a request that must be @from. */
gboolean
xa_store_set_state (XaStore *self, gint64 request_id, XaRequestState from, XaRequestState to,
                    const gchar *reason, XaStoreTime at, gboolean ends_build, GError **error)
{
  gboolean changed = FALSE;

  if (!xa_store_change_state (self, request_id, from, to, reason, at, ends_build, &changed,
                              error))
    return FALSE;
  return changed || xa_store_not_in_state (self, request_id, from, to, error);
}

/* What each claim of the request had yet to take, which the memory
 * available gets back. */
static gboolean
xa_store_return_outstanding (XaStore *self, gint64 request_id, GError **error)
{
  const gchar *purpose = "read the claim";
  g_autoptr(XaStmt) stmt = xa_store_prepare (
    self, "SELECT c.node, max (c.claim_mib - c.charged_mib, 0), r.host_id FROM claims c "
          "CROSS JOIN requests r ON r.id = c.request_id WHERE c.request_id = ?1",
    purpose, error);
  gint row;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, request_id);
  while ((row = xa_store_step_row (self, stmt, purpose, error)) == 1)
    xa_store_outstanding_add (self, sqlite3_column_int64 (stmt, 2),
                              sqlite3_column_int64 (stmt, 0), -sqlite3_column_int64 (stmt, 1));
  return row == 0;
}

gboolean
xa_store_release_claims (XaStore *self, gint64 request_id, GError **error)
{
  const gchar *purpose = "release the claim";
  /* no RETURNING: it makes SQLite keep a statement journal, whose 64 KiB
   * buffer, allocated and freed at each release, cost more than the query */
  g_autoptr(XaStmt) stmt = xa_store_prepare (self, "DELETE FROM claims WHERE request_id = ?1",
                                             purpose, error);

  if (stmt == NULL || !xa_store_return_outstanding (self, request_id, error))
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, request_id);
  return xa_store_step_done (self, stmt, purpose, error);
}

gboolean
xa_store_read_state (XaStore *self, gint64 request_id, XaRequestState *out_state,
                     GError **error)
{
  const gchar *purpose = "read the request's state";
  g_autoptr(XaStmt) stmt = xa_store_prepare (self, "SELECT state FROM requests WHERE id = ?1",
                                             purpose, error);
  gint row;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, request_id);
  row = xa_store_step_row (self, stmt, purpose, error);
  if (row < 0)
    return FALSE;
  if (row == 0) {
    g_set_error (error, XA_ERROR, XA_ERROR_NOT_FOUND,
                 "%s: there is no request %" G_GINT64_FORMAT, self->path, request_id);
    return FALSE;
  }
  if (!xa_request_state_from_string ((const gchar *) sqlite3_column_text (stmt, 0), out_state)) {
    g_set_error (error, XA_ERROR, XA_ERROR_FAILED, "%s: request %" G_GINT64_FORMAT
                 " has a state this xadmit does not know", self->path, request_id);
    return FALSE;
  }
  return TRUE;
}

/* One request from @from to @to with @reason, in a transaction of its own;
 * @request follows. */
static gboolean
xa_store_move (XaStore *self, XaStoreRequest *request, XaRequestState from, XaRequestState to,
               const gchar *reason, XaStoreTime at, GError **error)
{
  if (!xa_store_begin (self, error))
    return FALSE;
  if (!xa_store_set_state (self, request->id, from, to, reason, at, FALSE, error))
    return xa_store_rollback (self);
  if (!xa_store_commit (self, error))
    return FALSE;
  request->state = to;
  g_free (request->reason);
  request->reason = g_strdup (reason);
  return TRUE;
}

/**
 * xa_store_reject:
 * @self: the store
 * @request: a queued request; its state and reason follow
 * @reason: why it can never run on its host, one sentence
 * @at: now
 * @error: a #GError
 *
 * Rejects a request before any batch plans it, for what only the host
 * knows (a domain of its name runs there, or it cannot boot the guest).
 *
 * Returns: %TRUE if it is rejected
 */
gboolean
xa_store_reject (XaStore *self, XaStoreRequest *request, const gchar *reason, XaStoreTime at,
                 GError **error)
{
  g_return_val_if_fail (self != NULL && request != NULL && reason != NULL, FALSE);

  return xa_store_move (self, request, XA_REQUEST_QUEUED, XA_REQUEST_REJECTED, reason, at, error);
}

/**
 * xa_store_set_queued_host_s:
 * @self: the store
 * @request: a request; its queue time follows
 * @host_s: when it was queued, on the clock of the host's admitter
 * @error: a #GError
 *
 * A request queued by another process has its queue time on that
 * process's clock: its admitter puts it on its own, so that the wait
 * (started - queued) is counted on one clock.
 *
 * Returns: %TRUE on success
 */
gboolean
xa_store_set_queued_host_s (XaStore *self, XaStoreRequest *request, gdouble host_s,
                            GError **error)
{
  const gchar *purpose = "put the queue time on the admitter's clock";
  g_autoptr(XaStmt) stmt = xa_store_prepare (
    self, "UPDATE requests SET queued_host_s = ?2 WHERE id = ?1", purpose, error);

  g_return_val_if_fail (self != NULL && request != NULL, FALSE);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, request->id);
  sqlite3_bind_double (stmt, 2, host_s);
  /* in the admitter's held transaction: a commit each would cost a write
   * of the log per request, and the write lock its submitters wait for */
  if (!xa_store_begin (self, error))
    return FALSE;
  if (!xa_store_step_done (self, stmt, purpose, error))
    return xa_store_rollback (self);
  if (!xa_store_commit (self, error))
    return FALSE;
  request->queued.host_s = host_s;
  request->req->queued_s = host_s;
  return TRUE;
}

/**
 * xa_store_give_up:
 * @self: the store
 * @request: a queued request; its state and reason follow
 * @reason: why it waits no more, one sentence
 * @at: now
 * @error: a #GError
 *
 * Fails a request that waited for memory longer than it may.
 *
 * Returns: %TRUE if it failed
 */
gboolean
xa_store_give_up (XaStore *self, XaStoreRequest *request, const gchar *reason, XaStoreTime at,
                  GError **error)
{
  g_return_val_if_fail (self != NULL && request != NULL && reason != NULL, FALSE);

  return xa_store_move (self, request, XA_REQUEST_QUEUED, XA_REQUEST_FAILED, reason, at, error);
}

/**
 * xa_store_end:
 * @self: the store
 * @request: a running request; its state and reason follow
 * @reason: how its domain went, one sentence
 * @at: now
 * @error: a #GError
 *
 * Ends a request whose domain shut down, rebooted or crashed, and which was
 * destroyed.
 *
 * Returns: %TRUE if it ended
 */
gboolean
xa_store_end (XaStore *self, XaStoreRequest *request, const gchar *reason, XaStoreTime at,
              GError **error)
{
  g_return_val_if_fail (self != NULL && request != NULL && reason != NULL, FALSE);

  return xa_store_move (self, request, XA_REQUEST_RUNNING, XA_REQUEST_ENDED, reason, at, error);
}
