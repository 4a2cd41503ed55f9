/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "xa-boot.h"
#include "xa-config.h"
#include "xa-daemon.h"
#include "xa-error.h"
#include "xa-log-writer.h"
#include "xa-log.h"
#include "xa-notify.h"
#include "xa-text.h"
#include "xa-wake.h"

/* The simulated host's clock under a daemon, in host seconds per wall
 * second (docs/design.md, The two clocks). */
#define XA_DAEMON_SIM_SPEED 100.0
#define XA_DAEMON_SIM_SPEED_MAX 1e6
/* systemd hears what it does at most this often (wall clock). */
#define XA_DAEMON_STATUS_MS 1000

/* How it was started: its command line (the process's strings), and the
 * settings read from it and the configuration file. */
typedef struct {
  gint argc;
  gchar **argv;
  const XaBootOptions *boot;
  gdouble speed;
  XaSchedulerOptions options;
} XaDaemonStart;

/* What the daemon's callbacks share: boot's signal handling first; the
 * service manager's socket, and what it was last told. */
typedef struct {
  XaBootRun run;
  XaAdmission *admission;
  guint signals;
  XaNotify *notify;
  XaSchedulerProgress progress;
  XaSchedulerProgress told;
  guint status_source;
  /* how it started, which SIGHUP lays over the configuration again, and
   * the settings it runs with now */
  const XaDaemonStart *start;
  XaSchedulerOptions options;
} XaDaemon;

/* The settings SIGHUP may change: those a running scheduler takes first,
 * then those that wait for the next start (xa_daemon_settings()). */
static const gchar *const xa_daemon_setting_keys[] = {
  "max-batch", "window-ms", "retries", "defer-timeout", "strict", "paused",
  "host", "sim-state", "db", "ledger-group", "policy", "workers", "sim-speed",
};
#define XA_DAEMON_N_LIVE_SETTINGS 6
#define XA_DAEMON_N_SETTINGS G_N_ELEMENTS (xa_daemon_setting_keys)

/* --sim-speed: a finite number above 0. */
gboolean
xa_daemon_parse_speed (const gchar *text, gdouble *out_speed, GError **error)
{
  gchar *end = NULL;
  gdouble speed = g_ascii_strtod (text, &end);

  if (end == text || *end != '\0' || !isfinite (speed) || speed <= 0 ||
      speed > XA_DAEMON_SIM_SPEED_MAX) {
    g_autofree gchar *shown = xa_text_quote (text);

    g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                 "--sim-speed: %s is not a speed above 0 and at most %.0f", shown,
                 XA_DAEMON_SIM_SPEED_MAX);
    return FALSE;
  }
  *out_speed = speed;
  return TRUE;
}

/* The simulated host lives in wall time under a daemon, sped up. */
static gboolean
xa_daemon_set_speed (XaHost *host, const gchar *given, gdouble speed, GError **error)
{
  if (g_str_equal (xa_host_get_kind (host), "sim")) {
    xa_clock_follow_wall (xa_host_get_clock (host), speed);
    return TRUE;
  }
  if (given == NULL)
    return TRUE;
  g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
               "--sim-speed is for the simulated host, not a %s host", xa_host_get_kind (host));
  return FALSE;
}

/* The daemon's options and help; GLib copies the entries, which point
 * into @boot and @speed. */
static GOptionContext *
xa_daemon_option_context (XaBootOptions *boot, gchar **speed)
{
  const GOptionEntry entries[] = {
    { "sim-speed", 0, 0, G_OPTION_ARG_STRING, speed,
      "The simulated host's clock runs this many times as fast as the wall clock "
      "(default 100)", "X" },
    G_OPTION_ENTRY_NULL
  };
  GOptionContext *ctx = xa_cli_option_context_new (
    "- admit the VMs queued for a host as they come, until stopped",
    "Takes the host's lock and the ledger's as boot does (one admitter: a\n"
    "second says who holds them), reconciles the ledger with the host after a\n"
    "crash, then admits every request queued for the host in batches, and each\n"
    "one queued later within the batch window of its arrival: a process that\n"
    "queues work rings the daemon through a socket named after the ledger.\n"
    "Idle, it uses no CPU. On the simulated host its clock follows the wall\n"
    "clock, --sim-speed times as fast.\n\n"
    "SIGTERM or SIGINT: it admits nothing more, lets the builds under way\n"
    "finish and exits 0; a second one destroys them and releases their claims\n"
    "(exit 130). SIGHUP: it reads the configuration file and the host again:\n"
    "--max-batch, --window-ms, --retries, --defer-timeout, strict and paused\n"
    "take effect from their next use, the other settings at the next start.\n\n"
    "It logs each decision on stderr, one line each (-q: warnings only), or\n"
    "under systemd to the journal with fields to filter on (XADMIT_VM=...).\n"
    "As a Type=notify service it tells systemd READY=1 once it admits, what\n"
    "it does (STATUS=), and STOPPING=1 at the first signal.",
    &boot->opts, TRUE, entries);

  xa_boot_add_admission_entries (ctx, boot);
  return ctx;
}

/* The daemon's settings: the configuration file's, then @argv's over
 * them, checked. */
static gboolean
xa_daemon_parse (XaBootOptions *boot, gchar **speed_given, gdouble *speed,
                 XaSchedulerOptions *options, gint *argc, gchar ***argv, GError **error)
{
  g_autoptr(GOptionContext) ctx = xa_daemon_option_context (boot, speed_given);

  if (!xa_cli_parse_options (ctx, &boot->opts, argc, argv, error))
    return FALSE;
  /* its decisions are its log */
  xa_log_set_level (xa_log_writer_level (boot->opts.verbose, boot->opts.quiet, XA_LOG_DECIDED));
  return (*speed_given == NULL || xa_daemon_parse_speed (*speed_given, speed, error)) &&
         xa_boot_scheduler_options (boot, options, error);
}

/* A ring: the requests queued since for the host go to the scheduler, and
 * the builds whose cancel was asked stop. */
static void
xa_daemon_on_ring (gpointer user_data)
{
  XaDaemon *daemon = user_data;
  g_autoptr(GError) error = NULL;

  if (xa_scheduler_was_stopped (daemon->run.scheduler))
    return;
  if (!xa_admission_take_queued (daemon->admission, &error) ||
      !xa_scheduler_take_cancels (daemon->run.scheduler, &error))
    g_printerr ("%s: cannot read the queue (the next ring tries again): %s\n", g_get_prgname (),
                error->message);
}

static void
xa_daemon_on_signal (guint count, gpointer user_data)
{
  XaDaemon *daemon = user_data;

  daemon->signals = count;
  if (count == 1)
    xa_notify_send (daemon->notify, "STOPPING=1\nSTATUS=stopping: letting the builds under way "
                                    "finish");
  xa_boot_on_signal (count, &daemon->run);
}

/* STATUS=, from the last progress, unless it was told already. */
static gboolean
xa_daemon_tell_status (gpointer user_data)
{
  XaDaemon *daemon = user_data;
  const XaSchedulerProgress *now = &daemon->progress;
  g_autofree gchar *state = NULL;

  daemon->status_source = 0;
  if (now->waiting == daemon->told.waiting && now->building == daemon->told.building &&
      now->running == daemon->told.running)
    return G_SOURCE_REMOVE;
  daemon->told = *now;
  state = g_strdup_printf ("STATUS=admitting: %u waiting, %u building, %u running", now->waiting,
                           now->building, now->running);
  xa_notify_send (daemon->notify, state);
  return G_SOURCE_REMOVE;
}

/* Each change of the counts: told within XA_DAEMON_STATUS_MS, the
 * changes between folded into one. */
static void
xa_daemon_on_progress (const XaSchedulerProgress *progress, gpointer user_data)
{
  XaDaemon *daemon = user_data;

  daemon->progress = *progress;
  if (daemon->status_source == 0)
    daemon->status_source = g_timeout_add (XA_DAEMON_STATUS_MS, xa_daemon_tell_status, daemon);
}

/* systemd's reload protocol asks for the monotonic clock beside it. */
static void
xa_daemon_tell_reloading (XaNotify *notify)
{
  g_autofree gchar *state = g_strdup_printf ("RELOADING=1\nMONOTONIC_USEC=%" G_GINT64_FORMAT,
                                             g_get_monotonic_time ());

  xa_notify_send (notify, state);
}

/* The settings of xa_daemon_setting_keys, as text; %NULL where unset. */
static void
xa_daemon_settings (const XaBootOptions *boot, const XaSchedulerOptions *options,
                    gdouble speed, gchar *out[XA_DAEMON_N_SETTINGS])
{
  gchar *settings[] = {
    g_strdup_printf ("%u", options->max_batch),
    g_strdup_printf ("%.0f", options->window_s * 1000),
    g_strdup_printf ("%u", options->retries),
    g_strdup_printf ("%g", options->defer_timeout_s),
    g_strdup (options->strict ? "true" : "false"),
    g_strdup (options->paused ? "true" : "false"),
    g_strdup (boot->opts.host_spec),
    g_strdup (boot->opts.sim_state),
    g_strdup (boot->db_path),
    g_strdup (boot->ledger_group),
    g_strdup (xa_policy_to_string (options->policy)),
    g_strdup_printf ("%u", options->workers),
    g_strdup_printf ("%g", speed),
  };

  G_STATIC_ASSERT (G_N_ELEMENTS (settings) == XA_DAEMON_N_SETTINGS);
  memcpy (out, settings, sizeof (settings));
}

/* "KEY NEW (was OLD)" for each of the settings from @first to @last that
 * @next changes of @was. */
static gchar *
xa_daemon_say_changes (gchar **was, gchar **next, guint first, guint last)
{
  g_autoptr(GString) said = g_string_new (NULL);

  for (guint k = first; k < last; k++) {
    if (g_strcmp0 (was[k], next[k]) == 0)
      continue;
    g_string_append_printf (said, "%s%s %s (was %s)", said->len > 0 ? ", " : "",
                            xa_daemon_setting_keys[k], next[k] != NULL ? next[k] : "unset",
                            was[k] != NULL ? was[k] : "unset");
  }
  return said->len > 0 ? g_string_free (g_steal_pointer (&said), FALSE) : NULL;
}

/* What SIGHUP changed: each running setting from its next use, what the
 * daemon opened at its start only at its next start. */
static void
xa_daemon_say_settings (XaDaemon *daemon, const XaBootOptions *boot,
                        const XaSchedulerOptions *options, gdouble speed)
{
  gchar *now[XA_DAEMON_N_SETTINGS];
  gchar *started[XA_DAEMON_N_SETTINGS];
  gchar *next[XA_DAEMON_N_SETTINGS];
  g_autofree gchar *live = NULL;
  g_autofree gchar *later = NULL;

  xa_daemon_settings (daemon->start->boot, &daemon->options, daemon->start->speed, now);
  xa_daemon_settings (daemon->start->boot, &daemon->start->options, daemon->start->speed,
                      started);
  xa_daemon_settings (boot, options, speed, next);
  live = xa_daemon_say_changes (now, next, 0, XA_DAEMON_N_LIVE_SETTINGS);
  later = xa_daemon_say_changes (started, next, XA_DAEMON_N_LIVE_SETTINGS, XA_DAEMON_N_SETTINGS);
  g_printerr ("%s: SIGHUP: read the configuration again: %s\n", g_get_prgname (),
              live != NULL ? live : "no setting it runs with changed");
  if (later != NULL)
    g_printerr ("%s: SIGHUP: %s: only when the daemon starts again\n", g_get_prgname (), later);
  for (guint k = 0; k < XA_DAEMON_N_SETTINGS; k++) {
    g_free (now[k]);
    g_free (started[k]);
    g_free (next[k]);
  }
}

/* SIGHUP: the configuration file again, with the command line over it as
 * at the start; a bad one changes nothing. */
static void
xa_daemon_reread_config (XaDaemon *daemon)
{
  g_auto(XaBootOptions) boot = { { 0 } };
  g_autofree gchar *speed_given = NULL;
  /* parsing moves the pointers about: the daemon's copy stays whole */
  g_autofree gchar **args = g_memdup2 (daemon->start->argv,
                                       sizeof (gchar *) * ((gsize) daemon->start->argc + 1));
  gchar **argv = args;
  gint argc = daemon->start->argc;
  gdouble speed = XA_DAEMON_SIM_SPEED;
  XaSchedulerOptions options = XA_SCHEDULER_OPTIONS_DEFAULT;
  g_autoptr(GError) error = NULL;

  xa_boot_options_init (&boot);
  if (!xa_daemon_parse (&boot, &speed_given, &speed, &options, &argc, &argv, &error)) {
    if (xa_cli_get_config () != NULL)
      xa_config_attribute (xa_cli_get_config (), error);
    g_printerr ("%s: SIGHUP: the configuration is not taken, nothing changes: %s\n",
                g_get_prgname (), error->message);
    return;
  }
  xa_daemon_say_settings (daemon, &boot, &options, speed);
  xa_scheduler_set_options (daemon->run.scheduler, &options);
  daemon->options = options;
}

/* SIGHUP: the configuration and the host as they are now. */
static void
xa_daemon_on_hangup (guint count, gpointer user_data)
{
  XaDaemon *daemon = user_data;
  g_autoptr(GError) error = NULL;
  const XaHostInfo *info = NULL;
  guint64 free_mib = 0;

  /* before it admits, systemd waits for its first READY=1 */
  if (daemon->run.scheduler != NULL) {
    xa_daemon_tell_reloading (daemon->notify);
    xa_daemon_reread_config (daemon);
    info = xa_scheduler_reread_host (daemon->run.scheduler, &error);
    xa_notify_send (daemon->notify, "READY=1");
  }
  if (info == NULL) {
    g_printerr ("%s: SIGHUP: cannot read the host again: %s\n", g_get_prgname (),
                error != NULL ? error->message : "it is not open yet");
    return;
  }
  for (guint n = 0; n < info->n_nodes; n++)
    free_mib += info->nodes[n].free_mib;
  g_printerr ("%s: SIGHUP: read the host \"%s\" again: %u %s, %" G_GUINT64_FORMAT " MiB free, "
              "%u %s\n", g_get_prgname (), info->name, info->n_nodes,
              xa_text_plural (info->n_nodes, "node", "nodes"), free_mib, info->domains->len,
              xa_text_plural (info->domains->len, "domain", "domains"));
}

/* What it does from now on, on stderr, and READY=1 to systemd: tests,
 * operators and the service manager wait for it. */
static void
xa_daemon_announce (const XaBootOptions *boot, XaHost *host, const XaHostInfo *info,
                    XaDaemon *daemon)
{
  XaAdmission *admission = daemon->admission;

  xa_notify_send (daemon->notify, "READY=1\nSTATUS=admitting");
  if (boot->opts.quiet)
    return;
  g_printerr ("%s: pid %d admitting for the %s host \"%s\" on the ledger %s\n",
              g_get_prgname (), (gint) getpid (), xa_host_get_kind (host), info->name,
              xa_store_get_path (xa_admission_get_store (admission)));
}

/* What became of the requests it took, in a line; with --json, the run
 * summary of those it still held (the ledger has the others). */
static void
xa_daemon_say_stopped (const XaBootOptions *boot, XaScheduler *scheduler)
{
  g_autoptr(XaRun) run = xa_scheduler_get_run (scheduler);
  XaRunCounts counts = xa_run_count (run);
  XaRunCounts let_go = xa_scheduler_get_let_go (scheduler);
  guint took = run->vms->len + let_go.failed + let_go.rejected + let_go.cancelled + let_go.ended;

  if (boot->opts.json)
    xa_cli_print_run (&boot->opts, run);
  if (boot->opts.quiet)
    return;
  counts.failed += let_go.failed;
  counts.rejected += let_go.rejected;
  counts.cancelled += let_go.cancelled;
  counts.ended += let_go.ended;
  g_printerr ("%s: stopped; of the %u %s it took, %u %s, %u failed or %s rejected, "
              "%u %s cancelled or ended, %u %s in the ledger\n", g_get_prgname (),
              took, xa_text_plural (took, "request", "requests"),
              counts.running, xa_text_plural (counts.running, "runs", "run"),
              counts.failed + counts.rejected,
              counts.failed + counts.rejected == 1 ? "was" : "were",
              counts.cancelled + counts.ended,
              counts.cancelled + counts.ended == 1 ? "was" : "were",
              counts.deferred + counts.planned,
              xa_text_plural (counts.deferred + counts.planned, "waits", "wait"));
}

/* Opens the host and the ledger as boot does, then admits until stopped:
 * 0 after a stop, 130 after two, -1 with @error. */
static gint
xa_daemon_run (const XaDaemonStart *start, const gchar *speed_given, GError **error)
{
  const XaBootOptions *boot = start->boot;
  const XaSchedulerOptions *options = &start->options;
  g_autoptr(XaHostInfo) info = NULL;
  g_autoptr(XaTopology) topo = NULL;
  g_autoptr(XaHost) host = xa_boot_open_host (boot, options, &info, &topo, error);
  g_autoptr(XaCliSignals) signals = NULL;
  g_autoptr(XaAdmission) admission = NULL;
  g_autoptr(XaWake) wake = NULL;
  g_autoptr(XaNotify) notify = xa_notify_new ();
  XaDaemon daemon = { .start = start, .options = start->options };
  XaScheduler *scheduler;
  gboolean ran;

  if (host == NULL || !xa_daemon_set_speed (host, speed_given, start->speed, error) ||
      (signals = xa_cli_signals_new (xa_daemon_on_signal, &daemon, error)) == NULL)
    return -1;
  xa_cli_signals_set_reload (signals, xa_daemon_on_hangup, &daemon);
  if (!xa_host_lock (host, error) ||
      (admission = xa_boot_open_admission (boot, host, options, error)) == NULL)
    return -1;
  daemon.admission = admission;
  daemon.notify = notify;
  scheduler = xa_admission_get_scheduler (admission);
  xa_scheduler_set_service (scheduler, TRUE);
  if (notify != NULL)
    xa_scheduler_set_progress (scheduler, xa_daemon_on_progress, &daemon);
  /* listening before the first read of the queue: no ring is lost between */
  wake = xa_wake_listen (xa_store_get_path (xa_admission_get_store (admission)),
                         xa_daemon_on_ring, &daemon, error);
  if (wake == NULL || !xa_admission_take_queued (admission, error) ||
      !xa_cli_signals_check (signals, error))
    return -1;
  daemon.run.scheduler = scheduler;
  xa_daemon_announce (boot, host, info, &daemon);
  ran = xa_scheduler_run (scheduler, error);
  /* its data is on this stack */
  g_clear_handle_id (&daemon.status_source, g_source_remove);
  if (!ran)
    return -1;
  g_clear_pointer (&wake, xa_wake_free);
  g_clear_pointer (&signals, xa_cli_signals_free);
  if (!xa_boot_end (boot, host, admission, error))
    return -1;
  xa_daemon_say_stopped (boot, scheduler);
  return daemon.signals > 1 ? XA_EXIT_INTERRUPTED : XA_EXIT_OK;
}

int
xa_daemon_main (int argc, char **argv)
{
  g_auto(XaBootOptions) boot = { { 0 } };
  g_autofree gchar *speed_given = NULL;
  /* its command line whole, for SIGHUP (the strings are the process's) */
  g_autofree gchar **whole = g_memdup2 (argv, sizeof (gchar *) * ((gsize) argc + 1));
  g_autoptr(GError) error = NULL;
  XaDaemonStart start = { argc, whole, &boot, XA_DAEMON_SIM_SPEED,
                          XA_SCHEDULER_OPTIONS_DEFAULT };
  gint code;

  xa_boot_options_init (&boot);
  if (!xa_daemon_parse (&boot, &speed_given, &start.speed, &start.options, &argc, &argv,
                        &error))
    return xa_cli_fail ("daemon", error);
  if (argc > 1) {
    g_autofree gchar *shown = xa_text_quote (argv[1]);

    g_printerr ("xadmit daemon: unexpected argument %s (see xadmit daemon --help)\n", shown);
    return XA_EXIT_USAGE;
  }
  code = xa_daemon_run (&start, speed_given, &error);
  if (code < 0)
    return xa_cli_fail ("daemon", error);
  return code;
}
