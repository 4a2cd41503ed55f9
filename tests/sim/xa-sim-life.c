/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One life of the admitter, as the daemon lives it: the host and the ledger
 * opened and reconciled, requests and cancels coming from other processes
 * (a connection of their own, then a ring), the scheduler run, and the
 * invariants checked after every event of the host's clock. A crash is
 * SIGKILL, as the life runs in a child of the driver. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "xa-admission.h"
#include "xa-host-record.h"
#include "xa-sim-check.h"
#include "xa-sim-life.h"
#include "xa-sim-vfs.h"
#include "xa-test-cli.h"

#define XA_SIM_CANCEL_REASON "cancelled by the simulation"
/* a service stops this long after the last arrival, whatever still waits */
#define XA_SIM_HORIZON_S 3000.0
/* events the admitter may run after its ledger failed, before it stops */
#define XA_SIM_STOP_WITHIN 500

typedef struct {
  const XaSimLifeSpec *spec;
  const XaSimScenario *sc;
  guint64 event;
  XaHost *host;
  XaAdmission *admission;
  XaStore *store;
  XaStore *client;
  gint64 host_id;
  XaScheduler *scheduler;
  XaClock *clock;
  XaSimCheck *check;
  GHashTable *submitted;
  GHashTable *cancel_asked;
  guint64 tick;
  gint ack_fd;
  /* the event after which the ledger's first write failed */
  guint64 failed_at;
} XaSimLife;

/* Ends the life on a broken invariant: the failure file says which, at
 * which event, and how. */
static void G_GNUC_NORETURN
xa_sim_life_fail (XaSimLife *life, XaSimInvariant invariant, const gchar *detail)
{
  g_autofree gchar *path = g_build_filename (life->spec->dir, "failure", NULL);
  g_autofree gchar *text = g_strdup_printf ("%d\n%" G_GUINT64_FORMAT "\n%s\n", (gint) invariant,
                                            life->event, detail);

  g_file_set_contents (path, text, -1, NULL);
  fflush (stdout);
  _exit (XA_SIM_LIFE_FAILED);
}

/* A check that could not read the host or the ledger fails as the
 * admitter would, unless the ledger's disk was made to fail. Once a write
 * failed (the disk, or any write that rolls the held transaction back:
 * xa_store_is_lost()), the admitter's transaction is rolled back and the ledger is
 * behind the host until a restart reconciles them: the checks wait for
 * the next life, and this one must end soon. */
static void
xa_sim_life_check (XaSimLife *life)
{
  g_autoptr(GError) error = NULL;

  if (xa_sim_vfs_has_failed () || xa_store_is_lost (life->store)) {
    if (life->failed_at == 0)
      life->failed_at = life->event;
    if (life->event > life->failed_at + XA_SIM_STOP_WITHIN)
      xa_sim_life_fail (life, XA_SIM_INVARIANT_STOPS, "the admitter goes on with a ledger it "
                        "cannot write");
    return;
  }
  if (xa_sim_check_now (life->check, life->host, life->store, life->host_id, &error))
    return;
  if (error->domain == XA_SIM_CHECK_ERROR)
    xa_sim_life_fail (life, (XaSimInvariant) error->code, error->message);
  if (!xa_sim_vfs_has_failed ())
    xa_sim_life_fail (life, XA_SIM_INVARIANT_ALIVE, error->message);
}

/* Written as it happens, so that a crash loses none of it. */
static void
xa_sim_life_ack (XaSimLife *life, gchar kind, const gchar *name)
{
  g_autofree gchar *line = g_strdup_printf ("%c %s\n", kind, name);

  if (write (life->ack_fd, line, strlen (line)) != (gssize) strlen (line))
    g_error ("cannot note what was submitted: %s", g_strerror (errno));
  g_hash_table_add (kind == 's' ? life->submitted : life->cancel_asked, g_strdup (name));
  if (kind == 's')
    xa_sim_check_submitted (life->check, name);
  else
    xa_sim_check_cancelled (life->check, name);
}

/* Whether a VM fit one node at its admission ('f') or not ('n'), for the
 * lives after this one. */
static void
xa_sim_life_note_fits (const gchar *name, gboolean fits, gpointer user_data)
{
  XaSimLife *life = user_data;
  g_autofree gchar *line = g_strdup_printf ("%c %s\n", fits ? 'f' : 'n', name);

  if (write (life->ack_fd, line, strlen (line)) != (gssize) strlen (line))
    g_error ("cannot note an admission: %s", g_strerror (errno));
}

/* What the lives before submitted, cancelled and admitted. */
static void
xa_sim_life_read_acks (XaSimLife *life, XaSimLocal *local, const gchar *path)
{
  g_autofree gchar *text = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++) {
    const gchar *name = lines[i] + 2;

    if (strlen (lines[i]) < 3)
      continue;
    if (lines[i][0] == 'f' || lines[i][0] == 'n') {
      xa_sim_local_set_fits (local, name, lines[i][0] == 'f');
      continue;
    }
    g_hash_table_add (lines[i][0] == 's' ? life->submitted : life->cancel_asked, g_strdup (name));
    if (lines[i][0] == 's')
      xa_sim_check_submitted (life->check, name);
    else
      xa_sim_check_cancelled (life->check, name);
  }
}

/* Another process's `xadmit submit`: the VMs due now, committed at once.
 * None while the disk fails, so that a write that failed is the
 * admitter's. */
static gboolean
xa_sim_life_submit_due (XaSimLife *life, gdouble now)
{
  g_autoptr(GPtrArray) due = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;

  if (xa_sim_vfs_is_failing ())
    return TRUE;
  for (guint i = 0; i < life->sc->vms->len; i++) {
    const XaSimVm *vm = g_ptr_array_index (life->sc->vms, i);

    if (vm->at_s <= now && !g_hash_table_contains (life->submitted, vm->req->name))
      g_ptr_array_add (due, vm->req);
  }
  if (due->len == 0)
    return TRUE;
  if (!xa_store_submit (life->client, life->host_id, "sim", due, NULL,
                        xa_host_record_now (life->host), NULL, &error)) {
    if (life->spec->verbose)
      g_print ("    submit: %s\n", error->message);
    return FALSE;
  }
  for (guint i = 0; i < due->len; i++)
    xa_sim_life_ack (life, 's', ((XaRequest *) g_ptr_array_index (due, i))->name);
  return TRUE;
}

/* Another process's `xadmit cancel`; one that finds nothing to cancel (the
 * VM runs, or is over) changes nothing. None while the disk fails. */
static void
xa_sim_life_cancel_due (XaSimLife *life, gdouble now)
{
  for (guint i = 0; !xa_sim_vfs_is_failing () && i < life->sc->vms->len; i++) {
    const XaSimVm *vm = g_ptr_array_index (life->sc->vms, i);
    g_autoptr(XaStoreRequest) request = NULL;
    XaRequestState state = XA_REQUEST_QUEUED;

    if (vm->cancel_at_s < 0 || vm->cancel_at_s > now ||
        !g_hash_table_contains (life->submitted, vm->req->name) ||
        g_hash_table_contains (life->cancel_asked, vm->req->name))
      continue;
    request = xa_store_find_request (life->client, life->host_id, vm->req->name, NULL);
    if (request != NULL &&
        xa_store_ask_cancel (life->client, request->id, XA_SIM_CANCEL_REASON,
                             xa_host_record_now (life->host), &state, NULL))
      xa_sim_life_ack (life, 'c', vm->req->name);
  }
}

/* When the next arrival or cancel is due after now, or -1. */
static gdouble
xa_sim_life_next_due (XaSimLife *life, gdouble now)
{
  gdouble next = -1;

  for (guint i = 0; i < life->sc->vms->len; i++) {
    const XaSimVm *vm = g_ptr_array_index (life->sc->vms, i);

    if (vm->at_s > now && (next < 0 || vm->at_s < next))
      next = vm->at_s;
    if (vm->cancel_at_s > now && (next < 0 || vm->cancel_at_s < next))
      next = vm->cancel_at_s;
  }
  return next;
}

static gboolean
xa_sim_life_arriving (XaSimLife *life)
{
  for (guint i = 0; i < life->sc->vms->len; i++) {
    if (!g_hash_table_contains (life->submitted,
                                ((XaSimVm *) g_ptr_array_index (life->sc->vms, i))->req->name))
      return TRUE;
  }
  return FALSE;
}

/* Whether a service has nothing left to do: no arrival to come, and no
 * request waiting or in flight. */
static gboolean
xa_sim_life_is_idle (XaSimLife *life, gdouble next)
{
  guint n = 0;

  if (next >= 0 || xa_sim_life_arriving (life))
    return FALSE;
  for (XaRequestState state = XA_REQUEST_QUEUED; state <= XA_REQUEST_BUILDING; state++) {
    guint in_state = 0;

    if (!xa_store_count_in_state (life->store, life->host_id, state, &in_state, NULL))
      return FALSE;
    n += in_state;
  }
  return n == 0;
}

static void xa_sim_life_on_tick (gpointer data);

/* The next tick: at the next arrival or cancel, and every second for a
 * service, which never runs out of events so. */
static void
xa_sim_life_plan_tick (XaSimLife *life, gdouble now)
{
  gdouble next = xa_sim_life_next_due (life, now);
  gdouble last_at = ((XaSimVm *) g_ptr_array_index (life->sc->vms, life->sc->vms->len - 1))->at_s;

  if (!life->sc->service) {
    xa_scheduler_set_arriving (life->scheduler, xa_sim_life_arriving (life));
    if (next >= 0)
      life->tick = xa_clock_add (life->clock, next, xa_sim_life_on_tick, life);
    return;
  }
  if (xa_sim_life_is_idle (life, next) || now > last_at + XA_SIM_HORIZON_S) {
    xa_scheduler_stop (life->scheduler, FALSE);
    return;
  }
  life->tick = xa_clock_add (life->clock, next >= 0 ? MIN (next, now + 1) : now + 1,
                             xa_sim_life_on_tick, life);
}

/* The admitter commits before it waits, as the daemon does; meanwhile
 * other processes submit and cancel, and ring it. */
static void
xa_sim_life_on_tick (gpointer data)
{
  XaSimLife *life = data;
  gdouble now = xa_clock_now (life->clock);
  g_autoptr(GError) error = NULL;

  life->tick = 0;
  if (!xa_host_save (life->host, &error) || !xa_store_flush (life->store, &error) ||
      !xa_sim_life_submit_due (life, now)) {
    xa_scheduler_stop (life->scheduler, FALSE);
    return;
  }
  xa_sim_life_cancel_due (life, now);
  if (!xa_admission_take_queued (life->admission, &error) ||
      !xa_scheduler_take_cancels (life->scheduler, &error)) {
    xa_scheduler_stop (life->scheduler, FALSE);
    return;
  }
  xa_sim_life_plan_tick (life, now);
}

/* After every event: the crash or the disk fault when its time comes, the
 * invariants, and the bound on events. */
static void
xa_sim_life_on_event (gpointer data)
{
  XaSimLife *life = data;

  life->event++;
  if (life->event == life->sc->crash_at)
    kill (getpid (), SIGKILL);
  if (life->event == life->sc->ledger_fail_at)
    xa_sim_vfs_fail (life->sc->ledger_rc);
  if (life->spec->verbose)
    g_print ("    event %" G_GUINT64_FORMAT " at %.3f s\n", life->event,
             xa_clock_now (life->clock));
  xa_sim_life_check (life);
  if (life->spec->events_max > 0 && life->event >= life->spec->events_max)
    xa_scheduler_stop (life->scheduler, FALSE);
}

/* The host from its state (or the host file, the first time), locked, and
 * the admission with its reconciliation, then the other processes'
 * connection to the ledger. */
static gboolean
xa_sim_life_open (XaSimLife *life, GError **error)
{
  g_autofree gchar *host_path = g_build_filename (life->spec->dir, "host.json", NULL);
  g_autofree gchar *spec = xa_test_host_spec_at (host_path);
  g_autofree gchar *state = xa_test_state_path (life->spec->dir);
  g_autofree gchar *db = xa_test_ledger_path (life->spec->dir);
  XaSchedulerOptions options = XA_SCHEDULER_OPTIONS_DEFAULT;

  options.seed = life->sc->seed;
  options.defer_timeout_s = 60;
  life->host = xa_host_open (spec, state, error);
  if (life->host == NULL || !xa_host_lock (life->host, error))
    return FALSE;
  life->admission = xa_admission_open (life->host, db, &options, NULL, error);
  if (life->admission == NULL)
    return FALSE;
  life->store = xa_admission_get_store (life->admission);
  life->host_id = xa_admission_get_host_id (life->admission);
  life->scheduler = xa_admission_get_scheduler (life->admission);
  life->clock = xa_host_get_clock (life->host);
  xa_scheduler_set_service (life->scheduler, life->sc->service);
  life->client = xa_store_open (db, error);
  return life->client != NULL;
}

/* The run, from the first ring to its end; a run that went on with a
 * ledger it could not write breaks an invariant. */
static XaSimLifeEnd
xa_sim_life_admit (XaSimLife *life)
{
  g_autoptr(GError) error = NULL;
  gboolean ran;

  xa_sim_life_on_tick (life);
  xa_clock_set_hook (life->clock, xa_sim_life_on_event, life);
  ran = xa_scheduler_run (life->scheduler, &error);
  xa_clock_set_hook (life->clock, NULL, NULL);
  if (life->tick != 0)
    xa_clock_cancel (life->clock, life->tick);
  if (ran && xa_sim_vfs_has_failed ())
    xa_sim_life_fail (life, XA_SIM_INVARIANT_STOPS, "the run ended well with a ledger it could "
                      "not write");
  if (!ran) {
    if (life->spec->verbose)
      g_print ("    the admitter stopped: %s\n", error->message);
    return XA_SIM_LIFE_ERROR;
  }
  xa_sim_life_check (life);
  if (!xa_sim_check_logs (life->check, life->store, life->host_id, &error))
    xa_sim_life_fail (life, XA_SIM_INVARIANT_STATES, error->message);
  return XA_SIM_LIFE_DONE;
}

static void
xa_sim_life_close (XaSimLife *life)
{
  g_clear_pointer (&life->client, xa_store_free);
  g_clear_pointer (&life->admission, xa_admission_free);
  g_clear_pointer (&life->host, xa_host_free);
  g_clear_pointer (&life->check, xa_sim_check_free);
  g_clear_pointer (&life->submitted, g_hash_table_unref);
  g_clear_pointer (&life->cancel_asked, g_hash_table_unref);
  if (life->ack_fd >= 0)
    close (life->ack_fd);
}

static gboolean
xa_sim_scenario_breaks_destroy (const XaSimScenario *sc)
{
  for (guint i = 0; i < sc->faults->len; i++) {
    if (strstr (g_ptr_array_index (sc->faults, i), "\"destroy\"") != NULL)
      return TRUE;
  }
  return FALSE;
}

/**
 * xa_sim_life_run:
 * @spec: the life
 * @out_events: (out): the events run, those of the lives before included
 *
 * Runs one life in this process: it may not return (a crash, or a broken
 * invariant, which the failure file in the folder describes).
 *
 * Returns: how it ended
 */
XaSimLifeEnd
xa_sim_life_run (const XaSimLifeSpec *spec, guint64 *out_events)
{
  XaSimLife life = { spec, spec->scenario, spec->first_event };
  g_autofree gchar *acks = g_build_filename (spec->dir, "submitted", NULL);
  g_autoptr(GError) error = NULL;
  XaSimLifeEnd end = XA_SIM_LIFE_ERROR;
  XaSimLocal *local = xa_sim_local_new (spec->scenario->vms, xa_sim_life_note_fits, &life);

  life.check = xa_sim_check_new (xa_sim_scenario_breaks_destroy (life.sc), local);
  life.submitted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  life.cancel_asked = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  xa_sim_life_read_acks (&life, local, acks);
  life.ack_fd = open (acks, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  xa_sim_vfs_install ();
  if (xa_sim_life_open (&life, &error)) {
    xa_sim_life_check (&life);
    if (!xa_sim_check_logs (life.check, life.store, life.host_id, &error))
      xa_sim_life_fail (&life, XA_SIM_INVARIANT_STATES, error->message);
    end = xa_sim_life_admit (&life);
  } else if (spec->verbose) {
    g_print ("    the admitter cannot start: %s\n", error->message);
  }
  *out_events = life.event;
  xa_sim_life_close (&life);
  return end;
}
