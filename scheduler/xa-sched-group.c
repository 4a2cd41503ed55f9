/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-build.h"
#include "xa-sched-group.h"
#include "xa-sched-track.h"

/*
 * A group's VMs start together (docs/design.md, "Groups"): each member
 * built stays paused until every member is built, and then all of them are
 * unpaused at once. A member that will not start (its build failed for
 * good, or it waited --defer-timeout) takes the group down with it
 * (rollback): the members built are destroyed and end, those
 * still on their way are stopped and cancelled; unless the group was
 * submitted to be kept (`--no-rollback`), when the others go on alone.
 */

static GPtrArray *
xa_sched_group_members (XaVm *vm)
{
  const gchar *group = vm->request->req->group;

  return group != NULL ? g_hash_table_lookup (vm->sched->groups, group) : NULL;
}

/**
 * xa_sched_group_holds:
 * @vm: a VM just built
 *
 * Returns: whether its group keeps it paused for now (the caller then does
 *   not unpause it)
 */
gboolean
xa_sched_group_holds (XaVm *vm)
{
  return xa_sched_group_members (vm) != NULL;
}

/**
 * xa_sched_group_built:
 * @vm: a VM of a group, built and recorded running, still paused
 *
 * Once the last member is built, every member is unpaused (unless the run
 * keeps its domains paused).
 */
void
xa_sched_group_built (XaVm *vm)
{
  XaScheduler *self = vm->sched;
  GPtrArray *members = xa_sched_group_members (vm);

  g_return_if_fail (members != NULL);

  for (guint k = 0; k < members->len; k++) {
    if (((XaVm *) g_ptr_array_index (members, k))->request->state != XA_REQUEST_RUNNING)
      return;
  }
  g_message ("group %s: its %u VMs are built; they start together", vm->request->req->group,
             members->len);
  for (guint k = 0; k < members->len && !self->options.paused; k++) {
    XaVm *member = g_ptr_array_index (members, k);
    g_autoptr(GError) error = NULL;

    if (!xa_host_unpause (self->host, member->domid, &error))
      g_warning ("%s: its domain %u cannot be unpaused: %s", member->request->req->name,
                 member->domid, error->message);
  }
}

/* A built member goes: its domain destroyed, its request ended. */
static void
xa_sched_group_undo_built (XaVm *member, const gchar *reason)
{
  XaScheduler *self = member->sched;
  g_autoptr(GError) error = NULL;

  if (!xa_host_destroy (self->host, member->domid, &error)) {
    g_warning ("%s: rolled back, but its domain %u cannot be destroyed: %s",
               member->request->req->name, member->domid, error->message);
    return;
  }
  member->has_domain = FALSE;
  if (!xa_store_end (self->store, member->request, reason, xa_scheduler_time (self), &error)) {
    xa_scheduler_fatal (self, g_steal_pointer (&error));
    return;
  }
  xa_sched_track_vm (member);
}

/* One other member of a group that failed: built ones go, builds stop,
 * those not begun are cancelled. */
static void
xa_sched_group_undo (XaVm *member, const gchar *reason)
{
  switch (member->request->state) {
  case XA_REQUEST_RUNNING:
    xa_sched_group_undo_built (member, reason);
    break;
  case XA_REQUEST_BUILDING:
  case XA_REQUEST_PLANNED:
    if (member->building) {
      xa_scheduler_abort_vm (member, reason);
      xa_scheduler_after_job (member->sched);
    } else {
      g_queue_remove (&member->sched->ready, member);
      xa_scheduler_cancel_vm (member, reason);
    }
    break;
  case XA_REQUEST_QUEUED:
    xa_scheduler_cancel_vm (member, reason);
    break;
  case XA_REQUEST_FAILED:
  case XA_REQUEST_REJECTED:
  case XA_REQUEST_CANCELLED:
  case XA_REQUEST_ENDED:
  default:
    break;
  }
}

/**
 * xa_sched_group_failed:
 * @vm: a VM of a group that will not start: its build failed for good, or
 *   it waited --defer-timeout
 * @reason: why
 *
 * Rolls its group back, unless the group is kept.
 */
void
xa_sched_group_failed (XaVm *vm, const gchar *reason)
{
  GPtrArray *members = xa_sched_group_members (vm);
  g_autofree gchar *why = NULL;

  if (members == NULL || vm->request->req->no_rollback)
    return;
  why = g_strdup_printf ("rolled back with its group %s: %s will not start (%s)",
                         vm->request->req->group, vm->request->req->name, reason);
  g_message ("group %s: %s will not start; its group is rolled back", vm->request->req->group,
             vm->request->req->name);
  for (guint k = 0; k < members->len; k++) {
    XaVm *member = g_ptr_array_index (members, k);

    if (member != vm)
      xa_sched_group_undo (member, why);
  }
}
