/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-sim-fault.h"
#include "xa-sim-life.h"
#include "xa-sim-state.h"

/* Domains that go down by themselves: a host file's shuts_down faults
 * (docs/formats.md, Faults) power a running VM off some time after it
 * started, as a guest's own shutdown does; the domain stays, down, until
 * its toolstack destroys it, and whoever watches is told, as Xen's
 * @releaseDomain tells xadmit (docs/design.md, Xen call order). */

/* How long @sd runs before it shuts down, or -1: the first fault that
 * names it, or any VM xadmit builds. */
static gdouble
xa_sim_life_span (XaSimHost *self, const XaSimDomain *sd)
{
  if (sd->domain->uuid == NULL)
    return -1;
  for (guint i = 0; i < self->faults->len; i++) {
    const XaSimFault *fault = g_ptr_array_index (self->faults, i);

    if (fault->kind == XA_SIM_FAULT_SHUTS_DOWN &&
        (g_str_equal (fault->vm, XA_SIM_FAULT_ANY_VM) ||
         g_str_equal (fault->vm, sd->domain->name)))
      return fault->at_s;
  }
  return -1;
}

static void
xa_sim_life_shut_down (gpointer data)
{
  XaSimDomain *sd = data;
  XaSimHost *self = sd->host;

  sd->shutdown_event = 0;
  sd->domain->down = g_strdup ("poweroff");
  sd->domain->paused = TRUE;
  xa_sim_state_changed (self);
  if (self->watch != NULL)
    self->watch (sd->domain->domid, sd->domain->down, self->watch_data);
}

/**
 * xa_sim_life_started:
 * @self: the simulated host
 * @sd: a domain that runs now (unpaused)
 *
 * If a fault says it shuts down, it will, that long from now.
 */
void
xa_sim_life_started (XaSimHost *self, XaSimDomain *sd)
{
  gdouble span = xa_sim_life_span (self, sd);

  if (span < 0 || sd->shutdown_event != 0 || sd->domain->down != NULL)
    return;
  sd->shutdown_event = xa_clock_add (self->parent.clock, xa_sim_host_now (self) + span,
                                     xa_sim_life_shut_down, sd);
}

/**
 * xa_sim_life_resume:
 * @self: a simulated host just read from its state file
 *
 * Its running domains that a fault shuts down do so that long from now: a
 * state file keeps no timer.
 */
void
xa_sim_life_resume (XaSimHost *self)
{
  for (guint i = 0; i < self->info->domains->len; i++) {
    const XaHostDomain *domain = g_ptr_array_index (self->info->domains, i);

    if (!domain->paused)
      xa_sim_life_started (self, g_hash_table_lookup (self->domains,
                                                      GUINT_TO_POINTER (domain->domid)));
  }
}

/**
 * xa_sim_life_forget:
 * @self: the simulated host
 * @sd: a domain being destroyed
 *
 * A shutdown still to come does not come.
 */
void
xa_sim_life_forget (XaSimHost *self, XaSimDomain *sd)
{
  if (sd->shutdown_event == 0)
    return;
  xa_clock_cancel (self->parent.clock, sd->shutdown_event);
  sd->shutdown_event = 0;
}

gboolean
xa_sim_life_watch (XaHost *host, XaHostDomainDown down, gpointer user_data, GError **error)
{
  XaSimHost *self = (XaSimHost *) host;

  self->watch = down;
  self->watch_data = user_data;
  return TRUE;
}

void
xa_sim_life_unwatch (XaHost *host)
{
  XaSimHost *self = (XaSimHost *) host;

  self->watch = NULL;
  self->watch_data = NULL;
}
