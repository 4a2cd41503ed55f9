/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-build.h"
#include "xa-host-record.h"
#include "xa-log.h"
#include "xa-sched-group.h"
#include "xa-sched-track.h"

/*
 * A group's VMs start together (docs/design.md, "Groups"): each member
 * built stays paused until no member is on its way any more, and then the
 * members built are unpaused at once. A member that will not start (its
 * build failed for good, or it waited --defer-timeout) takes the group
 * down with it (rollback): the members built are destroyed and end, those
 * still on their way are stopped and cancelled; unless the group was
 * submitted to be kept (`--no-rollback`), when the others go on alone. A
 * group is over once none of its members is on its way: a later request
 * of its name starts a group of its own.
 */

static GPtrArray *
xa_sched_group_members (XaVm *vm)
{
  return vm->in_group ? g_hash_table_lookup (vm->sched->groups, vm->request->req->group) : NULL;
}

static gboolean
xa_sched_group_on_its_way (const XaVm *vm)
{
  return vm->request->state == XA_REQUEST_QUEUED || vm->request->state == XA_REQUEST_PLANNED ||
         vm->request->state == XA_REQUEST_BUILDING;
}

/**
 * xa_sched_group_join:
 * @vm: a VM new to the scheduler, of a group
 *
 * It joins the group of its name, unless that group started without it:
 * a request already over, or running unpaused (an earlier group of that
 * name, or one whose members were unpaused before a restart). A member
 * built and still paused joins: its group was cut short by a restart. A
 * member rejected as it was handed over joins, and the next batch rolls
 * its group back (xa_sched_group_fail_rejects()), once the members handed
 * with it have joined.
 */
void
xa_sched_group_join (XaVm *vm)
{
  XaScheduler *self = vm->sched;
  const gchar *group = vm->request->req->group;
  gboolean rejected = vm->request->state == XA_REQUEST_REJECTED;
  GPtrArray *members;

  if (group == NULL || (!xa_sched_group_on_its_way (vm) && !rejected &&
                        !xa_host_record_is_held (self->host_info, vm->request)))
    return;
  if (rejected)
    g_ptr_array_add (self->group_rejects, vm);
  if ((members = g_hash_table_lookup (self->groups, group)) == NULL) {
    members = g_ptr_array_new ();
    g_hash_table_insert (self->groups, g_strdup (group), members);
  }
  g_ptr_array_add (members, vm);
  vm->in_group = TRUE;
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
  return vm->in_group;
}

/* The group is over: its members leave it, and its name is free. */
static void
xa_sched_group_close (XaScheduler *self, GPtrArray *members, const gchar *group)
{
  g_autoptr(GPtrArray) left = g_ptr_array_ref (members);

  g_hash_table_remove (self->groups, group);
  for (guint k = 0; k < left->len; k++) {
    XaVm *member = g_ptr_array_index (left, k);

    member->in_group = FALSE;
    xa_scheduler_maybe_let_go (member);
  }
}

/* A built member goes: its domain destroyed, its request ended. */
static void
xa_sched_group_undo_built (XaVm *member, const gchar *reason)
{
  XaScheduler *self = member->sched;
  g_autoptr(GError) error = NULL;

  if (!xa_host_destroy (self->host, member->domid, &error)) {
    xa_log (G_LOG_LEVEL_WARNING, &(XaLogAbout) { member->request },
            "%s: rolled back, but its domain %u cannot be destroyed: %s",
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

/* The members built start; those whose domain will not unpause go to
 * @stuck, and why to @reasons. */
static void
xa_sched_group_unpause (XaScheduler *self, GPtrArray *members, GPtrArray *stuck,
                        GPtrArray *reasons)
{
  for (guint k = 0; k < members->len && !self->options.paused; k++) {
    XaVm *member = g_ptr_array_index (members, k);
    g_autoptr(GError) error = NULL;

    if (member->request->state != XA_REQUEST_RUNNING)
      continue;
    if (xa_host_unpause (self->host, member->domid, &error))
      continue;
    g_ptr_array_add (stuck, member);
    g_ptr_array_add (reasons, g_strdup_printf ("its domain %u could not be unpaused: %s",
                                               member->domid, error->message));
    xa_log (XA_LOG_NOTABLE, &(XaLogAbout) { member->request }, "%s: %s",
            member->request->req->name, (const gchar *) g_ptr_array_index (reasons, reasons->len - 1));
  }
}

/* Once the group closed: a member whose domain would not unpause never
 * starts, and takes its group with it, unless the group is kept. */
static void
xa_sched_group_undo_stuck (GPtrArray *members, GPtrArray *stuck, GPtrArray *reasons)
{
  g_autofree gchar *why = NULL;
  const XaVm *first;

  for (guint i = 0; i < stuck->len; i++)
    xa_sched_group_undo_built (g_ptr_array_index (stuck, i), g_ptr_array_index (reasons, i));
  if (stuck->len == 0 || (first = g_ptr_array_index (stuck, 0))->request->req->no_rollback)
    return;
  why = xa_request_rolled_back (first->request->req, g_ptr_array_index (reasons, 0));
  for (guint k = 0; k < members->len; k++) {
    XaVm *member = g_ptr_array_index (members, k);

    if (member->request->state == XA_REQUEST_RUNNING && member->has_domain)
      xa_sched_group_undo_built (member, why);
  }
}

/**
 * xa_sched_group_settle:
 * @vm: a member of a group that is no longer on its way: built, or
 *   cancelled, rejected or ended (a failure goes through
 *   xa_sched_group_failed())
 *
 * Once no member of the group is on its way, those built start together
 * (unless the run keeps its domains paused) and the group is over. A
 * member whose domain will not unpause is destroyed and ends, and its
 * group is rolled back, unless kept with --no-rollback.
 */
void
xa_sched_group_settle (XaVm *vm)
{
  XaScheduler *self = vm->sched;
  g_autofree gchar *group = g_strdup (vm->request->req->group);
  GPtrArray *found = xa_sched_group_members (vm);
  g_autoptr(GPtrArray) members = NULL;
  g_autoptr(GPtrArray) stuck = g_ptr_array_new ();
  g_autoptr(GPtrArray) reasons = g_ptr_array_new_with_free_func (g_free);
  guint built = 0;

  if (found == NULL)
    return;
  members = g_ptr_array_ref (found);
  for (guint k = 0; k < members->len; k++) {
    const XaVm *member = g_ptr_array_index (members, k);

    if (xa_sched_group_on_its_way (member))
      return;
    built += member->request->state == XA_REQUEST_RUNNING;
  }
  if (built > 0)
    xa_log (XA_LOG_DECIDED, &(XaLogAbout) { NULL, group },
            "group %s: %u of its %u VMs are built; they start together", group, built,
            members->len);
  xa_sched_group_unpause (self, members, stuck, reasons);
  xa_sched_group_close (self, members, group);
  xa_sched_group_undo_stuck (members, stuck, reasons);
}

/**
 * xa_sched_group_settle_all:
 * @self: the scheduler, before its run
 *
 * Starts the groups a restart found built but paused, with no member left
 * on its way.
 */
void
xa_sched_group_settle_all (XaScheduler *self)
{
  g_autoptr(GPtrArray) firsts = g_ptr_array_new ();
  GHashTableIter iter;
  GPtrArray *members;

  g_hash_table_iter_init (&iter, self->groups);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &members))
    g_ptr_array_add (firsts, g_ptr_array_index (members, 0));
  for (guint i = 0; i < firsts->len; i++)
    xa_sched_group_settle (g_ptr_array_index (firsts, i));
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
 * Rolls its group back, unless the group is kept: then the others go on,
 * and start once none is on its way.
 */
void
xa_sched_group_failed (XaVm *vm, const gchar *reason)
{
  GPtrArray *found = xa_sched_group_members (vm);
  g_autoptr(GPtrArray) members = NULL;
  g_autofree gchar *why = NULL;

  if (found == NULL)
    return;
  if (vm->request->req->no_rollback) {
    xa_sched_group_settle (vm);
    return;
  }
  why = xa_request_rolled_back (vm->request->req, reason);
  xa_log (XA_LOG_NOTABLE, &(XaLogAbout) { vm->request },
          "group %s: %s will not start; its group is rolled back", vm->request->req->group,
          vm->request->req->name);
  /* closed first: the members undone one by one must not start the rest */
  members = g_ptr_array_ref (found);
  xa_sched_group_close (vm->sched, members, vm->request->req->group);
  for (guint k = 0; k < members->len; k++) {
    XaVm *member = g_ptr_array_index (members, k);

    if (member != vm)
      xa_sched_group_undo (member, why);
  }
}

/**
 * xa_sched_group_fail_rejects:
 * @self: the scheduler, before a batch takes its VMs
 *
 * Rolls back the groups of the members rejected as they were handed over:
 * no member starts without them.
 */
void
xa_sched_group_fail_rejects (XaScheduler *self)
{
  g_autoptr(GPtrArray) rejects = g_steal_pointer (&self->group_rejects);

  self->group_rejects = g_ptr_array_new ();
  for (guint i = 0; i < rejects->len; i++) {
    XaVm *vm = g_ptr_array_index (rejects, i);

    xa_sched_group_failed (vm, vm->request->reason);
  }
}
