/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* xa-sim-driver: the deterministic simulation with faults (issue 15). From
 * a seed it draws a host, a workload and faults, runs the admitter through
 * them in lives (each a child process, so that a crash is a real SIGKILL:
 * the ledger's and the host's flock()s and SQLite's locks go with the
 * process, which no in-process teardown does without its clean-up path),
 * and checks the invariants after every event. A failing seed is replayed
 * with `tests/sim/xa-sim-driver --seed N` and shrunk to a short list. */
#include <glib/gstdio.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "xa-log.h"
#include "xa-sim-check.h"
#include "xa-sim-life.h"
#include "xa-test-util.h"

/* a life that keeps failing at the same host call cannot finish */
#define XA_SIM_MAX_LIVES 8
#define XA_SIM_MAX_SHRINK_RUNS 400

typedef struct {
  guint64 events_max;
  gboolean verbose;
} XaSimOptions;

/* What the seeds ran, all together. */
typedef struct {
  guint64 events;
  guint lives;
  guint kills;
  guint errors;
} XaSimTotals;

/* How a seed's run ended. */
typedef struct {
  guint64 events;
  guint lives;
  guint kills;
  guint errors;
  gboolean failed;
  XaSimInvariant invariant;
  guint64 at_event;
  gchar *detail;
} XaSimOutcome;

static void
xa_sim_outcome_clear (XaSimOutcome *outcome)
{
  g_clear_pointer (&outcome->detail, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (XaSimOutcome, xa_sim_outcome_clear)

/* Quiet unless -v: the scheduler's messages are its own business. */
static GLogWriterOutput
xa_sim_log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields,
                   gpointer user_data)
{
  const XaSimOptions *options = user_data;

  if (!options->verbose && (level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG)))
    return G_LOG_WRITER_HANDLED;
  return g_log_writer_standard_streams (level, fields, n_fields, user_data);
}

static gchar *
xa_sim_read (const gchar *dir, const gchar *name)
{
  g_autofree gchar *path = g_build_filename (dir, name, NULL);
  gchar *text = NULL;

  return g_file_get_contents (path, &text, NULL, NULL) ? text : NULL;
}

/* The child's side: one life, its end in its exit code and files. */
static void G_GNUC_NORETURN
xa_sim_child (const XaSimLifeSpec *spec)
{
  guint64 events = spec->first_event;
  XaSimLifeEnd end = xa_sim_life_run (spec, &events);
  g_autofree gchar *path = g_build_filename (spec->dir, "events", NULL);
  g_autofree gchar *text = g_strdup_printf ("%" G_GUINT64_FORMAT, events);

  g_file_set_contents (path, text, -1, NULL);
  fflush (stdout);
  _exit (end);
}

static void
xa_sim_read_failure (const gchar *dir, XaSimOutcome *outcome)
{
  g_autofree gchar *text = xa_sim_read (dir, "failure");
  g_auto(GStrv) parts = text != NULL ? g_strsplit (text, "\n", 3) : NULL;

  outcome->failed = TRUE;
  if (parts == NULL || g_strv_length (parts) < 3) {
    outcome->invariant = XA_SIM_INVARIANT_ALIVE;
    outcome->detail = g_strdup ("a life failed without saying why");
    return;
  }
  outcome->invariant = (XaSimInvariant) g_ascii_strtoll (parts[0], NULL, 10);
  outcome->at_event = g_ascii_strtoull (parts[1], NULL, 10);
  outcome->events = outcome->at_event;
  outcome->detail = g_strstrip (g_strdup (parts[2]));
}

/* One life in a child; %TRUE if another is to follow. The crash and the
 * disk fault are spent once their event is past. */
static gboolean
xa_sim_live_once (XaSimScenario *sc, const gchar *dir, const XaSimOptions *options,
                  XaSimOutcome *outcome)
{
  XaSimLifeSpec spec = { sc, dir, outcome->events, options->events_max, options->verbose };
  g_autofree gchar *events = NULL;
  gint status = 0;
  pid_t pid;

  fflush (stdout);
  pid = fork ();
  if (pid == 0)
    xa_sim_child (&spec);
  waitpid (pid, &status, 0);
  outcome->lives++;
  if (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL && sc->crash_at > outcome->events) {
    if (options->verbose)
      g_print ("  killed at event %" G_GUINT64_FORMAT "; restarting\n", sc->crash_at);
    outcome->events = sc->crash_at;
    outcome->kills++;
  } else if (WIFSIGNALED (status)) {
    outcome->failed = TRUE;
    outcome->invariant = XA_SIM_INVARIANT_ALIVE;
    outcome->at_event = outcome->events;
    outcome->detail = g_strdup_printf ("the admitter died of signal %d", WTERMSIG (status));
    return FALSE;
  } else if (WEXITSTATUS (status) == XA_SIM_LIFE_FAILED) {
    xa_sim_read_failure (dir, outcome);
    return FALSE;
  } else {
    events = xa_sim_read (dir, "events");
    outcome->events = events != NULL ? g_ascii_strtoull (events, NULL, 10) : outcome->events;
  }
  outcome->errors += !WIFSIGNALED (status) && WEXITSTATUS (status) == XA_SIM_LIFE_ERROR;
  if (sc->crash_at <= outcome->events)
    sc->crash_at = 0;
  if (sc->ledger_fail_at <= outcome->events)
    sc->ledger_fail_at = 0;
  return WIFSIGNALED (status) || WEXITSTATUS (status) == XA_SIM_LIFE_ERROR;
}

/* Runs @scenario from scratch, in a folder of its own. */
static void
xa_sim_run (const XaSimScenario *scenario, const XaSimOptions *options, XaSimOutcome *outcome)
{
  g_autoptr(XaSimScenario) sc = xa_sim_scenario_copy (scenario);
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *host = xa_sim_scenario_host_text (sc);
  g_autofree gchar *host_path = xa_test_dir_write (dir, "host.json", host);

  *outcome = (XaSimOutcome) { 0 };
  while (outcome->lives < XA_SIM_MAX_LIVES && xa_sim_live_once (sc, dir, options, outcome))
    ;
}

/* Whether @sc still fails as @outcome did: the same invariant. */
static gboolean
xa_sim_still_fails (const XaSimScenario *sc, const XaSimOutcome *outcome, guint *runs)
{
  XaSimOptions quiet = { 0 };
  g_auto(XaSimOutcome) again = { 0 };

  (*runs)++;
  xa_sim_run (sc, &quiet, &again);
  return again.failed && again.invariant == outcome->invariant;
}

/* Takes @sc's items out one at a time while it still fails: faults, the
 * crash, the disk fault, cancels, VMs. */
static gboolean
xa_sim_shrink_pass (XaSimScenario *sc, const XaSimOutcome *outcome, guint *runs)
{
  gboolean shrunk = FALSE;

  for (guint i = sc->faults->len; i-- > 0 && *runs < XA_SIM_MAX_SHRINK_RUNS;) {
    g_autofree gchar *fault = g_strdup (g_ptr_array_index (sc->faults, i));

    g_ptr_array_remove_index (sc->faults, i);
    if (xa_sim_still_fails (sc, outcome, runs))
      shrunk = TRUE;
    else
      g_ptr_array_insert (sc->faults, (gint) i, g_steal_pointer (&fault));
  }
  for (guint i = sc->vms->len; i-- > 1 && *runs < XA_SIM_MAX_SHRINK_RUNS;) {
    XaSimVm *vm = g_ptr_array_steal_index (sc->vms, i);

    if (xa_sim_still_fails (sc, outcome, runs)) {
      xa_request_free (vm->req);
      g_free (vm);
      shrunk = TRUE;
    } else {
      g_ptr_array_insert (sc->vms, (gint) i, vm);
    }
  }
  return shrunk;
}

static void
xa_sim_shrink (const XaSimScenario *scenario, const XaSimOutcome *outcome)
{
  g_autoptr(XaSimScenario) sc = xa_sim_scenario_copy (scenario);
  g_autofree gchar *text = NULL;
  guint runs = 0;
  guint64 crash_at = sc->crash_at;
  guint64 ledger_fail_at = sc->ledger_fail_at;

  sc->crash_at = 0;
  if (crash_at > 0 && !xa_sim_still_fails (sc, outcome, &runs))
    sc->crash_at = crash_at;
  sc->ledger_fail_at = 0;
  if (ledger_fail_at > 0 && !xa_sim_still_fails (sc, outcome, &runs))
    sc->ledger_fail_at = ledger_fail_at;
  while (runs < XA_SIM_MAX_SHRINK_RUNS && xa_sim_shrink_pass (sc, outcome, &runs))
    ;
  text = xa_sim_scenario_describe (sc);
  g_print ("shrunk in %u runs to:\n%s", runs, text);
}

/* One seed; %TRUE if it passed. */
static gboolean
xa_sim_seed (guint32 seed, const XaSimOptions *options, gboolean shrink, XaSimTotals *totals)
{
  g_autoptr(XaSimScenario) sc = xa_sim_scenario_new (seed);
  g_auto(XaSimOutcome) outcome = { 0 };

  if (options->verbose) {
    g_autofree gchar *text = xa_sim_scenario_describe (sc);

    g_print ("seed %u:\n%s", seed, text);
  }
  xa_sim_run (sc, options, &outcome);
  totals->events += outcome.events;
  totals->lives += outcome.lives;
  totals->kills += outcome.kills;
  totals->errors += outcome.errors;
  if (!outcome.failed)
    return TRUE;
  g_print ("seed %u FAILED at event %" G_GUINT64_FORMAT ": %s: %s\n"
           "replay: tests/sim/xa-sim-driver --seed %u\n", seed, outcome.at_event,
           xa_sim_invariant_describe (outcome.invariant), outcome.detail, seed);
  if (shrink)
    xa_sim_shrink (sc, &outcome);
  return FALSE;
}

/* "A-B", or "N" for one seed. */
static gboolean
xa_sim_parse_range (const gchar *text, guint32 *first, guint32 *last)
{
  g_auto(GStrv) parts = g_strsplit (text, "-", 2);
  guint64 a = 0;
  guint64 b = 0;

  if (!g_ascii_string_to_unsigned (parts[0], 10, 0, G_MAXUINT32, &a, NULL) ||
      !g_ascii_string_to_unsigned (parts[1] != NULL ? parts[1] : parts[0], 10, a, G_MAXUINT32, &b,
                                   NULL))
    return FALSE;
  *first = (guint32) a;
  *last = (guint32) b;
  return TRUE;
}

/* Ranges and seeds, comma-separated ("1-50,228"), in order. */
static GArray *
xa_sim_parse_seeds (const gchar *text)
{
  g_auto(GStrv) ranges = g_strsplit (text, ",", -1);
  g_autoptr(GArray) seeds = g_array_new (FALSE, FALSE, sizeof (guint32));

  for (guint i = 0; ranges[i] != NULL; i++) {
    guint32 first = 0;
    guint32 last = 0;

    if (!xa_sim_parse_range (ranges[i], &first, &last))
      return NULL;
    for (guint64 s = first; s <= last; s++) {
      guint32 seed = (guint32) s;

      g_array_append_val (seeds, seed);
    }
  }
  return g_steal_pointer (&seeds);
}

int
main (int argc, char **argv)
{
  g_autofree gchar *seed = NULL;
  g_autofree gchar *seeds = NULL;
  gint64 events_max = 0;
  gboolean shrink = FALSE;
  XaSimOptions options = { 0 };
  const GOptionEntry entries[] = {
    { "seed", 0, 0, G_OPTION_ARG_STRING, &seed, "Run one seed (and shrink it if it fails)", "N" },
    { "seeds", 0, 0, G_OPTION_ARG_STRING, &seeds,
      "Run seeds: ranges and seeds, comma-separated (default 1-50)", "A-B,N" },
    { "events-max", 0, 0, G_OPTION_ARG_INT64, &events_max, "Stop each seed after N events", "N" },
    { "shrink", 0, 0, G_OPTION_ARG_NONE, &shrink, "Shrink a failing seed of a range too", NULL },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &options.verbose, "Print the scenario and events",
      NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- the deterministic simulation");
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) list = NULL;
  XaSimTotals totals = { 0 };
  guint failed = 0;
  gint64 start_us;
  gdouble elapsed_s;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) ||
      (list = xa_sim_parse_seeds (seed != NULL ? seed : seeds != NULL ? seeds : "1-50")) ==
        NULL ||
      events_max < 0) {
    g_printerr ("xa-sim-driver: %s\n", error != NULL ? error->message : "bad seeds or bound");
    return 2;
  }
  options.events_max = (guint64) events_max;
  /* the host's state and the ledger fsync on every save: on tmpfs that
   * costs nothing, and a seed's speed is the driver's, not the disk's */
  if (g_getenv ("TMPDIR") == NULL && g_access ("/dev/shm", W_OK) == 0)
    g_setenv ("TMPDIR", "/dev/shm", TRUE);
  g_log_set_writer_func (xa_sim_log_writer, &options, NULL);
  /* the scheduler formats its decisions only when asked */
  if (options.verbose)
    xa_log_set_level (G_LOG_LEVEL_DEBUG);
  start_us = g_get_monotonic_time ();
  for (guint i = 0; i < list->len; i++)
    failed += xa_sim_seed (g_array_index (list, guint32, i), &options,
                           shrink || (seed != NULL && failed == 0), &totals) ? 0 : 1;
  elapsed_s = MAX ((gdouble) (g_get_monotonic_time () - start_us) / G_USEC_PER_SEC, 1e-6);
  g_print ("%u seeds (%s), %u failed; %u lives of the admitter, %u killed, %u stopped on an "
           "error; %" G_GUINT64_FORMAT " events in %.2f s: %.1f seeds/s, %.0f events/s\n",
           list->len, seed != NULL ? seed : seeds != NULL ? seeds : "1-50", failed, totals.lives,
           totals.kills, totals.errors, totals.events, elapsed_s, list->len / elapsed_s,
           (gdouble) totals.events / elapsed_s);
  return failed > 0 ? 1 : 0;
}
