/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-admission.h"
#include <glib/gstdio.h>

#include "xa-error.h"
#include "xa-file.h"
#include "xa-host-record.h"
#include "xa-log.h"

struct _XaAdmission {
  XaHost *host;
  XaStore *store;
  gint64 host_id;
  XaScheduler *scheduler;
  /* the ids of the requests handed to the scheduler */
  GHashTable *handed;
  /* the ledger's admitter lock, PATH.lock; -1 before it is taken */
  gint lock_fd;
  /* the paused members of groups a restart cut short were handed */
  gboolean took_paused;
  /* the last request read from the queue: a ring reads only those after */
  gint64 last_queued_id;
};

/* Of the host's requests in @state, those whose ids are in @ids: their
 * domains destroyed if @destroy and the host still has them, and what the
 * restart did to each logged. */
static gboolean
xa_admission_recover (XaAdmission *self, const XaHostInfo *info, XaRequestState state,
                      GArray *ids, gboolean destroy, const gchar *what, GError **error)
{
  g_autoptr(GPtrArray) requests = NULL;

  if (ids->len == 0)
    return TRUE;
  requests = xa_store_list_requests (self->store, self->host_id, state, error);
  if (requests == NULL)
    return FALSE;
  for (guint i = 0; i < requests->len; i++) {
    const XaStoreRequest *request = g_ptr_array_index (requests, i);
    const XaHostDomain *domain = xa_host_info_find_domain (info, request->uuid);

    for (guint k = 0; k < ids->len; k++) {
      if (g_array_index (ids, gint64, k) != request->id)
        continue;
      if (destroy && domain != NULL && !xa_host_destroy (self->host, domain->domid, error))
        return FALSE;
      xa_log (XA_LOG_NOTABLE, &(XaLogAbout) { request }, "%s: after a restart: %s",
              request->req->name, what);
    }
  }
  return TRUE;
}

/* Running VMs whose domain went down while no xadmit watched: the domain
 * is destroyed and the request ends, as a watch would have done. */
static gboolean
xa_admission_end_down (XaAdmission *self, const XaHostInfo *info, GError **error)
{
  g_autoptr(GPtrArray) running = xa_store_list_requests (self->store, self->host_id,
                                                         XA_REQUEST_RUNNING, error);

  if (running == NULL)
    return FALSE;
  for (guint i = 0; i < running->len; i++) {
    XaStoreRequest *request = g_ptr_array_index (running, i);
    const XaHostDomain *domain = xa_host_info_find_domain (info, request->uuid);
    g_autofree gchar *reason = NULL;

    if (domain == NULL || domain->down == NULL)
      continue;
    reason = xa_host_record_down_reason (domain->down);
    if (!xa_host_destroy (self->host, domain->domid, error) ||
        !xa_store_end (self->store, request, reason, xa_host_record_now (self->host), error))
      return FALSE;
    xa_log (XA_LOG_NOTABLE, &(XaLogAbout) { request }, "%s: after a restart: ended: %s",
            request->req->name, reason);
  }
  return TRUE;
}

/* A restart first: the builds the ledger has in flight are over. Those
 * that finished are running; half-built domains are destroyed, and their
 * VMs wait again with those whose build had not begun. The domains of
 * failed builds that could not be destroyed then go now. */
static XaStoreReconciliation *
xa_admission_reconcile (XaAdmission *self, const XaHostInfo *info, GError **error)
{
  g_auto(XaHostRecord) record = { { 0 } };
  g_autoptr(XaStoreReconciliation) found = NULL;

  if (!xa_admission_end_down (self, info, error))
    return NULL;
  xa_host_record_init (&record, info);
  found = xa_store_reconcile (self->store, self->host_id, &record.snapshot,
                              xa_host_record_now (self->host), error);
  if (found == NULL ||
      !xa_admission_recover (self, info, XA_REQUEST_RUNNING, found->built, FALSE,
                             "its build had finished: running", error) ||
      !xa_admission_recover (self, info, XA_REQUEST_QUEUED, found->half_built, TRUE,
                             "its build had stopped half-way: its domain is destroyed, "
                             "it waits again", error) ||
      !xa_admission_recover (self, info, XA_REQUEST_QUEUED, found->gone, FALSE,
                             "its build had not begun: it waits again", error) ||
      !xa_admission_recover (self, info, XA_REQUEST_ENDED, found->ended, FALSE,
                             "ended: its domain is gone", error) ||
      !xa_admission_recover (self, info, XA_REQUEST_FAILED, found->leftover, TRUE,
                             "the domain its failed build left is destroyed", error) ||
      !xa_store_cancel_asked (self->store, self->host_id, xa_host_record_now (self->host),
                              error))
    return NULL;
  /* the host as reconciled, and a new simulated host's identity, on disk
   * before any request is queued for it */
  if (!xa_host_save (self->host, error))
    return NULL;
  return g_steal_pointer (&found);
}

/* One admitter per ledger too (docs/design.md, One admitter per host): a
 * second one would reconcile the first one's live builds away. */
static gboolean
xa_admission_lock_ledger (XaAdmission *self, const gchar *path, GError **error)
{
  g_autofree gchar *lock_path = g_strconcat (path, ".lock", NULL);
  g_autofree gchar *what = g_strdup_printf ("the ledger %s", path);

  return xa_file_lock (lock_path, what, &self->lock_fd, error);
}

/**
 * xa_admission_open:
 * @host: the host, locked by this process; it must outlive the admission
 * @db_path: (nullable): the ledger, %NULL for xa_store_default_path()
 * @options: how to admit
 * @out_found: (out) (optional) (transfer full): what the reconciliation
 *   with the host found
 * @error: a #GError
 *
 * Opens the ledger and takes its admitter lock (%XA_ERROR_BUSY, naming the
 * holder, while another process admits on it), records @host in it and
 * reconciles the two (see docs/design.md), then makes the scheduler, with
 * no request yet.
 *
 * Returns: (transfer full) (nullable): the admission
 */
XaAdmission *
xa_admission_open (XaHost *host, const gchar *db_path, const XaSchedulerOptions *options,
                   XaStoreReconciliation **out_found, GError **error)
{
  g_autoptr(XaAdmission) self = g_new0 (XaAdmission, 1);
  g_autofree gchar *path = db_path != NULL ? g_strdup (db_path) : xa_store_default_path ();
  g_autoptr(XaStoreReconciliation) found = NULL;
  g_autoptr(XaHostInfo) info = NULL;

  self->host = host;
  self->lock_fd = -1;
  self->handed = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->store = xa_store_open (path, error);
  /* one look at the host serves to record it and to reconcile with it */
  if (self->store == NULL || !xa_admission_lock_ledger (self, path, error) ||
      (info = xa_host_snapshot (host, error)) == NULL ||
      !xa_host_record_ensure (host, info, self->store, &self->host_id, error) ||
      (found = xa_admission_reconcile (self, info, error)) == NULL)
    return NULL;
  self->scheduler = xa_scheduler_new (host, self->store, self->host_id, options, error);
  if (self->scheduler == NULL)
    return NULL;
  if (out_found != NULL)
    *out_found = g_steal_pointer (&found);
  return g_steal_pointer (&self);
}

void
xa_admission_free (XaAdmission *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->scheduler, xa_scheduler_free);
  g_clear_pointer (&self->store, xa_store_free);
  g_clear_pointer (&self->handed, g_hash_table_unref);
  if (self->lock_fd >= 0)
    g_close (self->lock_fd, NULL);
  g_free (self);
}

/* Of the host's requests in @state, those named in @names. */
static GPtrArray *
xa_admission_named (XaAdmission *self, XaRequestState state, GHashTable *names, GError **error)
{
  g_autoptr(GPtrArray) all = xa_store_list_requests (self->store, self->host_id, state, error);
  GPtrArray *named;

  if (all == NULL)
    return NULL;
  named = g_ptr_array_new_with_free_func ((GDestroyNotify) xa_store_request_free);
  for (guint i = 0; i < all->len; i++) {
    if (g_hash_table_contains (names, ((XaStoreRequest *) g_ptr_array_index (all, i))->req->name))
      g_ptr_array_add (named, g_ptr_array_steal_index (all, i--));
  }
  return named;
}

/* Of @running, those whose domain runs on the host: their name → their
 * slot in @running, from which the one left alone is taken. */
static GHashTable *
xa_admission_running_by_name (const XaHostInfo *info, GPtrArray *running)
{
  GHashTable *by_name;

  by_name = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < running->len; i++) {
    XaStoreRequest *request = g_ptr_array_index (running, i);

    if (xa_host_info_find_domain (info, request->uuid) != NULL)
      g_hash_table_insert (by_name, request->req->name, &running->pdata[i]);
  }
  return by_name;
}

static gchar *
xa_admission_format_nodes (const XaRequest *req)
{
  g_autofree gchar *ids = NULL;

  if (xa_request_is_pinned (req)) {
    ids = xa_nodeset_format_ids (req->hard_affinity);
    return g_strdup_printf ("pinned to CPUs %s", ids);
  }
  if (req->nodes == 0)
    return g_strdup ("any node");
  ids = xa_nodeset_format (req->nodes);
  return g_strdup_printf ("nodes %s", ids);
}

/* One sentence on what the manifest changed of a VM that runs already,
 * %NULL if nothing: it runs as it was built until someone destroys it. */
static gchar *
xa_admission_change (const XaRequest *was, const XaRequest *now)
{
  g_autoptr(GString) had = g_string_new (NULL);
  g_autoptr(GString) asks = g_string_new (NULL);
  g_autofree gchar *had_nodes = xa_admission_format_nodes (was);
  g_autofree gchar *asks_nodes = xa_admission_format_nodes (now);

  if (was->memory_mib != now->memory_mib) {
    g_string_append_printf (had, ", %" G_GUINT64_FORMAT " MiB", was->memory_mib);
    g_string_append_printf (asks, ", %" G_GUINT64_FORMAT " MiB", now->memory_mib);
  }
  if (was->vcpus != now->vcpus) {
    g_string_append_printf (had, ", %u vCPUs", was->vcpus);
    g_string_append_printf (asks, ", %u vCPUs", now->vcpus);
  }
  if (!g_str_equal (had_nodes, asks_nodes)) {
    g_string_append_printf (had, ", %s", had_nodes);
    g_string_append_printf (asks, ", %s", asks_nodes);
  }
  if (had->len == 0)
    return NULL;
  return g_strdup_printf ("%s runs already with %s; the manifest now asks %s: destroy it to "
                          "apply", now->name, had->str + 2, asks->str + 2);
}

/**
 * XaAdmissionAgain:
 * @kept: one per request submitted: its running request, left alone, or
 *   %NULL for a request to queue
 * @fresh: (element-type XaRequest): the requests to queue
 * @fresh_guests: (element-type XaGuest) (nullable): their guests
 * @left_alone: (element-type utf8): the names of those left alone
 * @changes: (element-type utf8): what the manifest changed of them
 *
 * A submission sorted by the boot-again rules.
 */
typedef struct {
  GPtrArray *kept;
  GPtrArray *fresh;
  GPtrArray *fresh_guests;
  GPtrArray *left_alone;
  GPtrArray *changes;
} XaAdmissionAgain;

static void
xa_admission_again_clear (XaAdmissionAgain *again)
{
  g_clear_pointer (&again->kept, g_ptr_array_unref);
  g_clear_pointer (&again->fresh, g_ptr_array_unref);
  g_clear_pointer (&again->fresh_guests, g_ptr_array_unref);
  g_clear_pointer (&again->left_alone, g_ptr_array_unref);
  g_clear_pointer (&again->changes, g_ptr_array_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (XaAdmissionAgain, xa_admission_again_clear)

/* Sorts @req: left alone if it runs (said why if the manifest changed it),
 * else to be queued. */
static void
xa_admission_sort (XaAdmissionAgain *again, GHashTable *running, XaRequest *req, gpointer guest)
{
  gpointer *slot = g_hash_table_lookup (running, req->name);
  XaStoreRequest *request;
  gchar *change;

  if (slot == NULL) {
    g_ptr_array_add (again->kept, NULL);
    g_ptr_array_add (again->fresh, req);
    if (again->fresh_guests != NULL)
      g_ptr_array_add (again->fresh_guests, guest);
    return;
  }
  request = g_steal_pointer (slot);
  g_hash_table_remove (running, req->name);
  g_ptr_array_add (again->kept, request);
  g_ptr_array_add (again->left_alone, g_strdup (req->name));
  change = xa_admission_change (request->req, req);
  if (change != NULL)
    g_ptr_array_add (again->changes, change);
}

/* Requests submitted again, after a crash or a run that left VMs waiting:
 * a VM whose request still waits is queued anew (its old request is
 * cancelled, so the requests as they are now win), and one whose domain
 * runs on the host is left alone rather than started twice. */
static gboolean
xa_admission_again (XaAdmission *self, const XaHostInfo *info, GPtrArray *requests,
                    GPtrArray *guests, XaAdmissionAgain *again, GError **error)
{
  g_autoptr(GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) running_by_name = NULL;
  g_autoptr(GPtrArray) waiting = NULL;
  g_autoptr(GPtrArray) running = NULL;

  for (guint i = 0; i < requests->len; i++)
    g_hash_table_add (names, ((XaRequest *) g_ptr_array_index (requests, i))->name);
  if ((waiting = xa_admission_named (self, XA_REQUEST_QUEUED, names, error)) == NULL ||
      (running = xa_admission_named (self, XA_REQUEST_RUNNING, names, error)) == NULL)
    return FALSE;
  running_by_name = xa_admission_running_by_name (info, running);
  for (guint i = 0; i < waiting->len; i++) {
    const XaStoreRequest *request = g_ptr_array_index (waiting, i);

    if (!xa_store_cancel (self->store, request->id, "queued again by a new boot of its manifest",
                          xa_host_record_now (self->host), error))
      return FALSE;
  }
  again->kept = g_ptr_array_new_with_free_func ((GDestroyNotify) xa_store_request_free);
  for (guint i = 0; i < requests->len; i++)
    xa_admission_sort (again, running_by_name, g_ptr_array_index (requests, i),
                       guests != NULL ? g_ptr_array_index (guests, i) : NULL);
  return TRUE;
}

/* The scheduler takes @request, and the admission remembers it did. */
static void
xa_admission_hand (XaAdmission *self, XaStoreRequest *request)
{
  g_hash_table_add (self->handed, g_memdup2 (&request->id, sizeof (request->id)));
  xa_scheduler_add (self->scheduler, request);
}

/* A new request the host can never start is rejected (docs/formats.md,
 * Rejected and deferred). */
static gboolean
xa_admission_check_new (XaAdmission *self, GHashTable *domain_names, XaStoreRequest *request,
                        GError **error)
{
  g_autofree gchar *reason = xa_host_record_unfit (self->host, domain_names, request->req,
                                                   request->guest);

  if (reason == NULL)
    return TRUE;
  return xa_store_reject (self->store, request, reason, xa_host_record_now (self->host), error);
}

/* Hands the scheduler, in the order they were submitted, the requests
 * left alone in @kept and, where it has %NULL, the next of those queued
 * with these @uuids, rejected if their name is taken on the host. */
static gboolean
xa_admission_hand_new (XaAdmission *self, const XaHostInfo *info, GPtrArray *kept,
                       GPtrArray *uuids, GError **error)
{
  g_autoptr(GPtrArray) queued = xa_store_list_requests (self->store, self->host_id,
                                                        XA_REQUEST_QUEUED, error);
  g_autoptr(GHashTable) by_uuid = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) domain_names = xa_host_record_domain_names (info);
  guint next = 0;

  if (queued == NULL)
    return FALSE;
  for (guint i = 0; i < queued->len; i++) {
    XaStoreRequest *request = g_ptr_array_index (queued, i);

    g_hash_table_insert (by_uuid, request->uuid, GUINT_TO_POINTER (i));
  }
  for (guint i = 0; i < kept->len; i++) {
    const gchar *uuid;
    gpointer index;

    if (kept->pdata[i] != NULL) {
      xa_admission_hand (self, g_steal_pointer (&kept->pdata[i]));
      continue;
    }
    uuid = g_ptr_array_index (uuids, next++);
    if (!g_hash_table_lookup_extended (by_uuid, uuid, NULL, &index)) {
      g_set_error (error, XA_ERROR, XA_ERROR_FAILED,
                   "request %s left the queue as it was submitted: is another admitter "
                   "running on this ledger?", uuid);
      return FALSE;
    }
    if (!xa_admission_check_new (self, domain_names, queued->pdata[GPOINTER_TO_UINT (index)],
                                 error))
      return FALSE;
    xa_admission_hand (self, g_steal_pointer (&queued->pdata[GPOINTER_TO_UINT (index)]));
  }
  return TRUE;
}

/**
 * xa_admission_submit:
 * @self: the admission
 * @group: what the requests came with, e.g. "boot:" and a manifest's name
 * @requests: (element-type XaRequest): the VMs to start
 * @guests: (element-type XaGuest) (nullable): what each of @requests boots,
 *   in their order; %NULL for PV guests with nothing to boot
 * @out_left_alone: (out) (optional) (transfer full) (element-type utf8):
 *   the names of the VMs of @requests that run on the host already, left
 *   alone
 * @out_changes: (out) (optional) (transfer full) (element-type utf8): for
 *   each of those whose memory, vCPUs or nodes @requests changes, one
 *   sentence naming it, what it runs with and what it is asked now
 * @error: a #GError
 *
 * Queues @requests in the ledger, as a manifest booted again would: a VM
 * whose request still waits is queued anew, one that runs is left alone.
 * The scheduler gets them all, in the order of @requests: the new requests
 * to build, and those left alone as running.
 *
 * Returns: %TRUE on success
 */
gboolean
xa_admission_submit (XaAdmission *self, const gchar *group, GPtrArray *requests,
                     GPtrArray *guests, GPtrArray **out_left_alone, GPtrArray **out_changes,
                     GError **error)
{
  g_auto(XaAdmissionAgain) again = { NULL };
  g_autoptr(GPtrArray) uuids = NULL;
  /* one look at the host: which VMs run, and which names it has taken */
  g_autoptr(XaHostInfo) info = xa_host_snapshot (self->host, error);

  again.fresh = g_ptr_array_new ();
  again.fresh_guests = guests != NULL ? g_ptr_array_new () : NULL;
  again.left_alone = g_ptr_array_new_with_free_func (g_free);
  again.changes = g_ptr_array_new_with_free_func (g_free);
  if (info == NULL || !xa_admission_again (self, info, requests, guests, &again, error) ||
      !xa_store_submit (self->store, self->host_id, group, again.fresh, again.fresh_guests,
                        xa_host_record_now (self->host), &uuids, error) ||
      !xa_admission_hand_new (self, info, again.kept, uuids, error))
    return FALSE;
  if (out_left_alone != NULL)
    *out_left_alone = g_steal_pointer (&again.left_alone);
  if (out_changes != NULL)
    *out_changes = g_steal_pointer (&again.changes);
  return TRUE;
}

/* The members of a group that a restart cut short: built, running in the
 * ledger and paused until their group is. The scheduler takes them once,
 * so that their group starts together or rolls them back too
 * (xa-sched-group.c); a boot hands them as it leaves them alone. */
static gboolean
xa_admission_take_paused (XaAdmission *self, GError **error)
{
  g_autoptr(GPtrArray) running = NULL;
  g_autoptr(XaHostInfo) info = NULL;

  if (self->took_paused)
    return TRUE;
  running = xa_store_list_requests (self->store, self->host_id, XA_REQUEST_RUNNING, error);
  if (running == NULL)
    return FALSE;
  for (guint i = 0; i < running->len; i++) {
    XaStoreRequest *request = g_ptr_array_index (running, i);

    if (request->req->group == NULL || g_hash_table_contains (self->handed, &request->id))
      continue;
    if (info == NULL && (info = xa_host_snapshot (self->host, error)) == NULL)
      return FALSE;
    if (xa_host_record_is_held (info, request))
      xa_admission_hand (self, g_steal_pointer (&running->pdata[i]));
  }
  self->took_paused = TRUE;
  return TRUE;
}

/**
 * xa_admission_take_queued:
 * @self: the admission
 * @error: a #GError
 *
 * Hands the scheduler every request queued for the host that it does not
 * have yet, of any group: those a restart found waiting, and those other
 * processes queued; the first time, also the paused members of the groups
 * a restart cut short. Their wait, which ages their priority, counts on this
 * run's clock from when they were queued on the wall clock: the host time
 * another process wrote is its own clock's. Each time after the first, it
 * reads only the requests queued since the last it read.
 *
 * Returns: %TRUE on success
 */
gboolean
xa_admission_take_queued (XaAdmission *self, GError **error)
{
  g_autoptr(GPtrArray) queued = xa_store_list_requests_after (self->store, self->host_id,
                                                              XA_REQUEST_QUEUED,
                                                              self->last_queued_id, error);
  gint64 wall_us = -1;
  gdouble host_s = 0;

  if (queued == NULL || !xa_admission_take_paused (self, error))
    return FALSE;
  for (guint i = 0; i < queued->len; i++) {
    XaStoreRequest *request = g_ptr_array_index (queued, i);

    /* only another process queues, and only new requests: one queued
     * again (a build retried) is the scheduler's already */
    self->last_queued_id = MAX (self->last_queued_id, request->id);
    if (g_hash_table_contains (self->handed, &request->id))
      continue;
    /* those queued together keep one queue time, and so one class of the
     * scheduler's wait queue (xa-wait-queue.c) */
    if (request->queued.wall_us != wall_us) {
      wall_us = request->queued.wall_us;
      host_s = xa_clock_at_wall (xa_host_get_clock (self->host), wall_us);
    }
    if (!xa_store_set_queued_host_s (self->store, request, host_s, error))
      return FALSE;
    xa_admission_hand (self, g_steal_pointer (&queued->pdata[i]));
  }
  return TRUE;
}

/**
 * xa_admission_list_others:
 * @self: the admission
 * @error: a #GError
 *
 * The requests queued for the host that the scheduler was not given: those
 * of other submissions (another manifest's boot cut short), which no one
 * admits until their manifest is booted again.
 *
 * Returns: (transfer full) (element-type XaStoreRequest) (nullable): them
 */
GPtrArray *
xa_admission_list_others (XaAdmission *self, GError **error)
{
  g_autoptr(GPtrArray) queued = xa_store_list_requests (self->store, self->host_id,
                                                        XA_REQUEST_QUEUED, error);

  if (queued == NULL)
    return NULL;
  for (guint i = 0; i < queued->len; i++) {
    if (g_hash_table_contains (self->handed, &((XaStoreRequest *) queued->pdata[i])->id))
      g_ptr_array_remove_index (queued, i--);
  }
  return g_steal_pointer (&queued);
}

/**
 * xa_admission_end_host:
 * @self: the admission, after its run
 * @error: a #GError
 *
 * For a host that goes with this process (a simulated host kept in no
 * state file): its domains vanish with it, so its running requests end
 * and what still waits is cancelled; the ledger never keeps running rows
 * for domains no host has.
 *
 * Returns: %TRUE on success
 */
gboolean
xa_admission_end_host (XaAdmission *self, GError **error)
{
  return xa_store_end_host (self->store, self->host_id,
                            "its host was simulated in xadmit's process, without a state file, "
                            "and went away when xadmit exited", xa_host_record_now (self->host),
                            error);
}

XaScheduler *
xa_admission_get_scheduler (XaAdmission *self)
{
  return self->scheduler;
}

/* For reading what the ledger holds: history, tests. */
XaStore *
xa_admission_get_store (XaAdmission *self)
{
  return self->store;
}

gint64
xa_admission_get_host_id (XaAdmission *self)
{
  return self->host_id;
}
