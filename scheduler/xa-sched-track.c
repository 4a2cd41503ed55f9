/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "xa-sched-group.h"
#include "xa-sched-track.h"

void
xa_sched_track_init (XaScheduler *self)
{
  self->waiting = xa_wait_queue_new ();
  self->deferred = g_ptr_array_new ();
  self->deferred_min_need_mib = G_MAXUINT64;
  self->holding = g_ptr_array_new ();
  self->running_by_domid = g_hash_table_new (NULL, NULL);
  self->groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) g_ptr_array_unref);
  self->group_rejects = g_ptr_array_new ();
}

void
xa_sched_track_clear (XaScheduler *self)
{
  g_clear_pointer (&self->waiting, xa_wait_queue_free);
  g_clear_pointer (&self->deferred, g_ptr_array_unref);
  g_clear_pointer (&self->holding, g_ptr_array_unref);
  g_clear_pointer (&self->running_by_domid, g_hash_table_unref);
  g_clear_pointer (&self->groups, g_hash_table_unref);
  g_clear_pointer (&self->group_rejects, g_ptr_array_unref);
}

/* A VM new to the scheduler: counted in its state, queued if it waits. */
void
xa_sched_track_add (XaVm *vm)
{
  xa_sched_group_join (vm);
  vm->tracked_state = vm->request->state;
  vm->sched->n_in_state[vm->tracked_state]++;
  xa_sched_track_vm (vm);
}

static XaVmTakes
xa_sched_track_takes (const XaVm *vm)
{
  if (vm->request->state != XA_REQUEST_PLANNED && vm->request->state != XA_REQUEST_BUILDING)
    return XA_VM_TAKES_NOTHING;
  return vm->has_domain ? XA_VM_TAKES_REST : XA_VM_TAKES_PLANNED;
}

static void
xa_sched_track_set_takes (XaVm *vm, XaVmTakes takes)
{
  XaScheduler *self = vm->sched;

  if (vm->takes == takes)
    return;
  if (vm->takes == XA_VM_TAKES_PLANNED) {
    for (guint n = 0; n < self->n_nodes; n++)
      self->planned_mib[n] -= vm->planned_mib[n];
  } else if (vm->takes == XA_VM_TAKES_REST) {
    XaVm *last = g_ptr_array_index (self->holding, self->holding->len - 1);

    last->holding_index = vm->holding_index;
    g_ptr_array_remove_index_fast (self->holding, vm->holding_index);
  }
  if (takes == XA_VM_TAKES_PLANNED) {
    for (guint n = 0; n < self->n_nodes; n++)
      self->planned_mib[n] += vm->planned_mib[n];
  } else if (takes == XA_VM_TAKES_REST) {
    vm->holding_index = self->holding->len;
    g_ptr_array_add (self->holding, vm);
  }
  vm->takes = takes;
}

/* Only batch's VMs wait for a batch: xenopsd's go to a worker at once. */
static void
xa_sched_track_waiting (XaVm *vm)
{
  XaScheduler *self = vm->sched;
  gboolean waits = xa_scheduler_is_batch (self) && xa_scheduler_vm_is_waiting (vm);

  if (waits && vm->wait == NULL)
    vm->wait = xa_wait_queue_add (self->waiting, vm, vm->index, vm->request->req);
  else if (!waits && vm->wait != NULL) {
    xa_wait_queue_remove (self->waiting, vm->wait);
    vm->wait = NULL;
  }
  if (vm->deferred && vm->request->state == XA_REQUEST_QUEUED && !vm->in_deferred) {
    vm->in_deferred = TRUE;
    g_ptr_array_add (self->deferred, vm);
    self->deferred_min_need_mib = MIN (self->deferred_min_need_mib, vm->need_mib);
  }
}

/* A running VM with its domain is found by domid when the domain goes down. */
static void
xa_sched_track_domid (XaVm *vm)
{
  gboolean by_domid = vm->has_domain && vm->request->state == XA_REQUEST_RUNNING;

  if (by_domid == vm->by_domid)
    return;
  if (by_domid)
    g_hash_table_insert (vm->sched->running_by_domid, GUINT_TO_POINTER (vm->domid), vm);
  else
    g_hash_table_remove (vm->sched->running_by_domid, GUINT_TO_POINTER (vm->domid));
  vm->by_domid = by_domid;
}

/**
 * xa_sched_track_vm:
 * @vm: a VM whose state, domain, plan or deferral may have changed
 *
 * Brings what the scheduler keeps of @vm up to date: every change to them
 * calls it.
 */
void
xa_sched_track_vm (XaVm *vm)
{
  XaScheduler *self = vm->sched;

  XaRequestState was = vm->tracked_state;

  self->n_in_state[vm->tracked_state]--;
  vm->tracked_state = vm->request->state;
  self->n_in_state[vm->tracked_state]++;
  xa_sched_track_set_takes (vm, xa_sched_track_takes (vm));
  xa_sched_track_waiting (vm);
  xa_sched_track_domid (vm);
  /* built, cancelled or gone, a member may be its group's last on its
   * way; failed or rejected, it rolls its group back instead
   * (xa_sched_group_failed()) */
  if (vm->tracked_state != was &&
      (vm->tracked_state == XA_REQUEST_RUNNING || vm->tracked_state == XA_REQUEST_CANCELLED ||
       vm->tracked_state == XA_REQUEST_ENDED))
    xa_sched_group_settle (vm);
  xa_scheduler_maybe_let_go (vm);
}

/**
 * xa_sched_track_take:
 * @self: the scheduler
 * @max: the most to take; past it, only the rest of a group taken
 * @now_s: now, for the requests' aging
 *
 * Returns: (transfer container): the waiting VMs a batch takes, the highest
 *   priorities first, then in arrival order; they wait no more
 */
GPtrArray *
xa_sched_track_take (XaScheduler *self, guint max, gdouble now_s)
{
  GPtrArray *batch = xa_wait_queue_take (self->waiting, max, now_s);

  for (guint i = 0; i < batch->len; i++)
    ((XaVm *) g_ptr_array_index (batch, i))->wait = NULL;
  /* a group is planned whole, so its waiting VMs come too, past @max */
  for (guint i = 0; i < batch->len; i++) {
    const gchar *group = ((XaVm *) g_ptr_array_index (batch, i))->request->req->group;
    GPtrArray *members = group != NULL ? g_hash_table_lookup (self->groups, group) : NULL;

    for (guint k = 0; members != NULL && k < members->len; k++) {
      XaVm *member = g_ptr_array_index (members, k);

      if (member->wait == NULL)
        continue;
      xa_wait_queue_remove (self->waiting, member->wait);
      member->wait = NULL;
      g_ptr_array_add (batch, member);
    }
  }
  return batch;
}

/* The deferred VMs wait for a batch again. */
void
xa_sched_track_undefer (XaScheduler *self)
{
  g_autoptr(GPtrArray) deferred = g_steal_pointer (&self->deferred);

  self->deferred = g_ptr_array_new ();
  self->deferred_min_need_mib = G_MAXUINT64;
  for (guint i = 0; i < deferred->len; i++) {
    XaVm *vm = g_ptr_array_index (deferred, i);

    vm->deferred = FALSE;
    vm->in_deferred = FALSE;
    xa_sched_track_vm (vm);
  }
}

/**
 * xa_sched_track_reserved:
 * @self: the scheduler
 * @except: (nullable): a VM left out
 * @reserved_mib: (out caller-allocates): per node, what the admitted VMs
 *   but @except have yet to take
 *
 * Those without a domain yet take all their planned MiB; those with one,
 * their planned MiB less what it holds: a host call each, at most one per
 * worker, however many VMs the run has.
 */
void
xa_sched_track_reserved (XaScheduler *self, const XaVm *except, guint64 *reserved_mib)
{
  memcpy (reserved_mib, self->planned_mib, sizeof (guint64) * self->n_nodes);
  if (except != NULL && except->takes == XA_VM_TAKES_PLANNED) {
    for (guint n = 0; n < self->n_nodes; n++)
      reserved_mib[n] -= except->planned_mib[n];
  }
  for (guint i = 0; i < self->holding->len; i++) {
    const XaVm *other = g_ptr_array_index (self->holding, i);
    guint64 have[XA_MAX_NODES] = { 0 };

    if (other == except)
      continue;
    if (!xa_host_domain_memory (self->host, other->domid, have, NULL))
      memset (have, 0, sizeof have);
    for (guint n = 0; n < self->n_nodes; n++)
      reserved_mib[n] += other->planned_mib[n] > have[n] ? other->planned_mib[n] - have[n] : 0;
  }
}

/* Whether the nodes, less what admitted builds have yet to take, could
 * hold the smallest deferred VM: if not, planning them again would defer
 * them all again. Where the host cannot tell, they may. */
gboolean
xa_sched_track_room_for_deferred (XaScheduler *self)
{
  guint64 free_mib[XA_MAX_NODES];
  guint64 reserved_mib[XA_MAX_NODES];
  guint64 room = 0;

  if (!xa_host_free_memory (self->host, free_mib, NULL, NULL))
    return TRUE;
  xa_sched_track_reserved (self, NULL, reserved_mib);
  for (guint n = 0; n < self->n_nodes; n++)
    room += free_mib[n] > reserved_mib[n] ? free_mib[n] - reserved_mib[n] : 0;
  return room >= self->deferred_min_need_mib;
}
