/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <unistd.h>

#include "xa-admission.h"
#include "xa-boot.h"
#include "xa-cli.h"
#include "xa-error.h"
#include "xa-manifest.h"
#include "xa-scheduler.h"
#include "xa-text.h"

/* The progress line is redrawn at most this often, wall clock. */
#define XA_BOOT_PROGRESS_US (100 * G_TIME_SPAN_MILLISECOND)

/* Every option at its default, the scheduler's, before the command line. */
void
xa_boot_options_init (XaBootOptions *boot)
{
  const XaSchedulerOptions defaults = XA_SCHEDULER_OPTIONS_DEFAULT;

  *boot = (XaBootOptions) { { 0 }, NULL, (gint) defaults.seed, (gint) defaults.workers,
                            XA_BOOT_UNSET, XA_BOOT_UNSET, XA_BOOT_UNSET,
                            defaults.defer_timeout_s, FALSE, FALSE, NULL, NULL };
}

void
xa_boot_options_clear (XaBootOptions *boot)
{
  xa_cli_options_clear (&boot->opts);
  g_free (boot->policy_name);
  g_free (boot->db_path);
  g_free (boot->ledger_group);
}

static gboolean
xa_boot_check_range (const gchar *flag, gint value, gint min, gint max, GError **error)
{
  if (value >= min && value <= max)
    return TRUE;
  g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT, "%s: %d is not between %d and %d", flag,
               value, min, max);
  return FALSE;
}

/* Batches and retries are xadmit's: a xenopsd policy starts every VM on its
 * own, once, so the options that shape them do nothing there. */
static void
xa_boot_warn_ignored (const XaBootOptions *boot, XaPolicy policy)
{
  const gchar *given[4] = { NULL };
  guint n = 0;
  g_autofree gchar *names = NULL;

  if (policy == XA_POLICY_BATCH || boot->opts.quiet)
    return;
  if (boot->retries != XA_BOOT_UNSET)
    given[n++] = "--retries";
  if (boot->max_batch != XA_BOOT_UNSET)
    given[n++] = "--max-batch";
  if (boot->window_ms != XA_BOOT_UNSET)
    given[n++] = "--window-ms";
  if (n == 0)
    return;
  names = g_strjoinv (", ", (gchar **) given);
  g_printerr ("xadmit boot: --policy %s ignores %s: xenopsd starts each VM on its own, "
              "without batches or retries\n", xa_policy_to_string (policy), names);
}

/* @value, or @fallback where the option was not given. */
static gint
xa_boot_or_default (gint value, gint fallback)
{
  return value == XA_BOOT_UNSET ? fallback : value;
}

/* The options as the scheduler takes them, and --db, checked. */
gboolean
xa_boot_scheduler_options (const XaBootOptions *boot, XaSchedulerOptions *options,
                           GError **error)
{
  gint max_batch;
  gint window_ms;
  gint retries;

  gid_t gid;

  if (!xa_cli_check_path ("--db", boot->db_path, error))
    return FALSE;
  if (boot->ledger_group != NULL && !xa_store_lookup_group (boot->ledger_group, &gid, error)) {
    g_prefix_error_literal (error, "--ledger-group: ");
    return FALSE;
  }
  if (boot->policy_name != NULL && !xa_policy_from_string (boot->policy_name, &options->policy,
                                                           error)) {
    g_prefix_error_literal (error, "--policy: ");
    return FALSE;
  }
  if (options->policy == XA_POLICY_EXACT) {
    g_set_error_literal (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                         "--policy: exact is for xadmit plan; boot admits with batch or a "
                         "xenopsd policy");
    return FALSE;
  }
  max_batch = xa_boot_or_default (boot->max_batch, (gint) options->max_batch);
  window_ms = xa_boot_or_default (boot->window_ms, (gint) (options->window_s * 1000));
  retries = xa_boot_or_default (boot->retries, (gint) options->retries);
  if (!xa_boot_check_range ("--seed", boot->seed, 0, G_MAXINT, error) ||
      !xa_boot_check_range ("--workers", boot->workers, 0, XA_SCHEDULER_MAX_WORKERS, error) ||
      !xa_boot_check_range ("--max-batch", max_batch, 1, 100000, error) ||
      !xa_boot_check_range ("--window-ms", window_ms, 0, 3600000, error) ||
      !xa_boot_check_range ("--retries", retries, 0, 100, error))
    return FALSE;
  if (boot->defer_timeout_s < 0) {
    g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                 "--defer-timeout: %g is negative", boot->defer_timeout_s);
    return FALSE;
  }
  options->seed = (guint32) boot->seed;
  options->workers = (guint) boot->workers;
  options->max_batch = (guint) max_batch;
  options->window_s = window_ms / 1000.0;
  options->retries = (guint) retries;
  options->defer_timeout_s = boot->defer_timeout_s;
  options->strict = !boot->no_strict;
  options->paused = boot->paused;
  xa_boot_warn_ignored (boot, options->policy);
  return TRUE;
}

/* A line on a terminal, redrawn in place; nothing when stderr is piped. */
static void
xa_boot_show_progress (const XaSchedulerProgress *progress, gpointer user_data)
{
  XaBootRun *run = user_data;
  gint64 now_us = g_get_monotonic_time ();

  if (now_us - run->last_progress_us < XA_BOOT_PROGRESS_US)
    return;
  run->last_progress_us = now_us;
  run->progress_shown = TRUE;
  g_printerr ("\r  %9.1f s   running %u   building %u   waiting %u   failed %u   ",
              progress->now_s, progress->running, progress->building, progress->waiting,
              progress->failed);
}

static void
xa_boot_clear_progress (XaBootRun *run)
{
  if (run->progress_shown)
    g_printerr ("\r%80s\r", "");
}

/* The first signal lets the builds in flight finish; the second stops
 * them. boot's and the daemon's. */
void
xa_boot_on_signal (guint count, gpointer user_data)
{
  XaBootRun *run = user_data;

  if (run->scheduler == NULL)
    return;
  xa_boot_clear_progress (run);
  if (count == 1)
    g_printerr ("%s: interrupted: admitting nothing more, letting the builds under way "
                "finish (interrupt again to destroy them)\n", g_get_prgname ());
  else
    g_printerr ("%s: interrupted again: destroying the domains being built\n",
                g_get_prgname ());
  xa_scheduler_stop (run->scheduler, count > 1);
}

/* The ledger, reconciled with the host: said on stderr when the
 * reconciliation found anything. boot's and the daemon's. */
XaAdmission *
xa_boot_open_admission (const XaBootOptions *boot, XaHost *host,
                        const XaSchedulerOptions *options, GError **error)
{
  g_autoptr(XaStoreReconciliation) found = NULL;
  g_autofree gchar *db_path = boot->db_path != NULL ? g_strdup (boot->db_path)
                                                    : xa_store_default_path ();
  g_autoptr(XaAdmission) admission = NULL;

  if (boot->ledger_group != NULL && !xa_store_share (db_path, boot->ledger_group, error))
    return NULL;
  admission = xa_admission_open (host, db_path, options, &found, error);
  if (admission == NULL)
    return NULL;
  if (found->built->len + found->half_built->len + found->gone->len + found->ended->len +
      found->leftover->len > 0)
    g_printerr ("%s: after a restart: %u %s had finished, %u had stopped half-way, "
                "%u had not begun, %u failed %s left a domain (destroyed now), %u running "
                "%s had ended (their domains are gone); %" G_GUINT64_FORMAT " MiB of claims "
                "released\n", g_get_prgname (),
                found->built->len, xa_text_plural (found->built->len, "build", "builds"),
                found->half_built->len, found->gone->len, found->leftover->len,
                xa_text_plural (found->leftover->len, "build", "builds"), found->ended->len,
                xa_text_plural (found->ended->len, "VM", "VMs"), found->released_mib);
  return g_steal_pointer (&admission);
}

/* Queues the manifest's VMs; those that run already are left alone, saying
 * which, and why when the manifest changed them. */
static gboolean
xa_boot_submit (const XaBootOptions *boot, XaAdmission *admission, const gchar *manifest,
                GPtrArray *requests, GPtrArray *guests, GError **error)
{
  g_autofree gchar *base = g_path_get_basename (manifest);
  g_autofree gchar *group = g_strdup_printf ("boot:%s", base);
  g_autoptr(GPtrArray) left_alone = NULL;
  g_autoptr(GPtrArray) changes = NULL;
  g_autofree gchar *names = NULL;

  if (!xa_admission_submit (admission, group, requests, guests, &left_alone, &changes, error))
    return FALSE;
  if (left_alone->len == 0 || boot->opts.quiet)
    return TRUE;
  for (guint i = 0; i < changes->len; i++)
    g_printerr ("xadmit boot: %s\n", (const gchar *) g_ptr_array_index (changes, i));
  g_ptr_array_add (left_alone, NULL);
  names = g_strjoinv (", ", (gchar **) left_alone->pdata);
  g_printerr ("xadmit boot: %u %s of the manifest %s on this host already, left alone: %s\n",
              left_alone->len - 1, xa_text_plural (left_alone->len - 1, "VM", "VMs"),
              xa_text_plural (left_alone->len - 1, "runs", "run"), names);
  return TRUE;
}

/* A simulated host kept in no state file goes with this process, and the
 * domains of its requests with it. */
gboolean
xa_boot_end (const XaBootOptions *boot, XaHost *host, XaAdmission *admission, GError **error)
{
  if (boot->opts.sim_state != NULL || !g_str_equal (xa_host_get_kind (host), "sim"))
    return TRUE;
  return xa_admission_end_host (admission, error);
}

/* Until a daemon admits every manifest's requests, boot admits only its
 * own: it says what else waits for the host, and how to start it. */
static gboolean
xa_boot_tell_others (const XaBootOptions *boot, XaAdmission *admission, GError **error)
{
  g_autoptr(GPtrArray) others = xa_admission_list_others (admission, error);
  g_autoptr(GHashTable) groups = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  g_autofree gchar *joined = NULL;

  if (others == NULL)
    return FALSE;
  if (others->len == 0 || boot->opts.quiet)
    return TRUE;
  groups = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < others->len; i++) {
    const gchar *group = ((XaStoreRequest *) g_ptr_array_index (others, i))->group_id;

    if (g_hash_table_add (groups, (gpointer) group))
      g_ptr_array_add (names, (gpointer) (g_str_has_prefix (group, "boot:") ? group + 5 : group));
  }
  g_ptr_array_add (names, NULL);
  joined = g_strjoinv (", ", (gchar **) names->pdata);
  g_printerr ("xadmit boot: %u %s of other manifests (%s) %s for this host and will not be "
              "started by this boot: boot those manifests again to start them\n", others->len,
              others->len == 1 ? "request" : "requests", joined,
              others->len == 1 ? "waits" : "wait");
  return TRUE;
}

static gint
xa_boot_exit_code (XaScheduler *scheduler, const XaRun *run)
{
  XaRunCounts counts = xa_run_count (run);

  if (xa_scheduler_was_stopped (scheduler))
    return XA_EXIT_INTERRUPTED;
  return counts.running == run->vms->len ? XA_EXIT_OK : XA_EXIT_INCOMPLETE;
}

/* The host, if it can build and the policy applies to it; nothing is
 * written yet. */
XaHost *
xa_boot_open_host (const XaBootOptions *boot, const XaSchedulerOptions *options,
                   XaHostInfo **out_info, XaTopology **out_topo, GError **error)
{
  g_autoptr(XaHost) host = xa_cli_open_host (&boot->opts, out_info, error);

  if (host == NULL)
    return NULL;
  if (!xa_host_can_build (host)) {
    g_set_error (error, XA_ERROR, XA_ERROR_FAILED,
                 "cannot admit on this %s host: this xadmit cannot build domains there yet "
                 "(use xadmit plan, or --host sim)", xa_host_get_kind (host));
    return NULL;
  }
  *out_topo = xa_host_info_to_topology (*out_info);
  if (!xa_plan_check_policy (options->policy, *out_topo, error)) {
    g_prefix_error_literal (error, "--policy: ");
    return NULL;
  }
  return g_steal_pointer (&host);
}

static gint
xa_boot_run (const XaBootOptions *boot, const XaSchedulerOptions *options,
             const gchar *manifest, GError **error)
{
  g_autoptr(XaHostInfo) info = NULL;
  g_autoptr(XaTopology) topo = NULL;
  g_autoptr(XaHost) host = xa_boot_open_host (boot, options, &info, &topo, error);
  g_autoptr(GPtrArray) requests = NULL;
  g_autoptr(GPtrArray) guests = NULL;
  g_autoptr(XaAdmission) admission = NULL;
  g_autoptr(XaRun) summary = NULL;
  const gchar *state = boot->opts.sim_state;
  gboolean new_state = state != NULL && !g_file_test (state, G_FILE_TEST_EXISTS);
  XaBootRun run = { 0 };
  g_autoptr(XaCliSignals) signals = NULL;

  /* before the scheduler runs, a signal only ends the boot */
  if (host == NULL || (signals = xa_cli_signals_new (xa_boot_on_signal, &run, error)) == NULL)
    return -1;
  /* all input checked before the lock, the ledger and the state file exist */
  requests = xa_cli_load_manifest (manifest, &guests, error);
  if (requests == NULL || !xa_host_lock (host, error) ||
      (admission = xa_boot_open_admission (boot, host, options, error)) == NULL)
    return -1;
  if (new_state && !boot->opts.quiet)
    g_printerr ("xadmit boot: created %s for a new simulated host\n", state);
  if (!xa_boot_submit (boot, admission, manifest, requests, guests, error) ||
      !xa_boot_tell_others (boot, admission, error) ||
      !xa_cli_signals_check (signals, error))
    return -1;
  run.scheduler = xa_admission_get_scheduler (admission);
  if (isatty (STDERR_FILENO) && !boot->opts.quiet)
    xa_scheduler_set_progress (run.scheduler, xa_boot_show_progress, &run);
  if (!xa_scheduler_run (run.scheduler, error)) {
    xa_boot_clear_progress (&run);
    return -1;
  }
  g_clear_pointer (&signals, xa_cli_signals_free);
  xa_boot_clear_progress (&run);
  summary = xa_scheduler_get_run (run.scheduler);
  if (!xa_boot_end (boot, host, admission, error))
    return -1;
  xa_cli_print_run (&boot->opts, summary);
  return xa_boot_exit_code (run.scheduler, summary);
}

/**
 * xa_boot_add_admission_entries:
 * @ctx: a command's options
 * @boot: where they go
 *
 * The options that shape admission, boot's and the daemon's; GLib copies
 * the entries, which point into @boot.
 */
void
xa_boot_add_admission_entries (GOptionContext *ctx, XaBootOptions *boot)
{
  const GOptionEntry entries[] = {
    { "workers", 0, 0, G_OPTION_ARG_INT, &boot->workers,
      "Builds at once (default, and 0: as many as the host's populate bandwidth takes, at "
      "most 16; 16 for xenopsd)", "N" },
    { "max-batch", 0, 0, G_OPTION_ARG_INT, &boot->max_batch,
      "A batch closes when this many VMs wait (default 64)", "N" },
    { "window-ms", 0, 0, G_OPTION_ARG_INT, &boot->window_ms,
      "... or this long after the first of them, host clock (default 200)", "MS" },
    { "retries", 0, 0, G_OPTION_ARG_INT, &boot->retries,
      "A failed build is retried this many times (default 2; xenopsd does not retry)", "N" },
    { "defer-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &boot->defer_timeout_s,
      "VMs that do not fit stop waiting for memory after this, host clock (default 600; a "
      "daemon counts it for each VM from when it was queued, and fails the VM then)", "S" },
    { "no-strict", 0, 0, G_OPTION_ARG_NONE, &boot->no_strict,
      "Builds follow node affinity only and may spill, as xenopsd's do (batch is strict by "
      "default; a xenopsd policy never is)", NULL },
    { "strict", 0, G_OPTION_FLAG_REVERSE, G_OPTION_ARG_NONE, &boot->no_strict,
      "Batch builds get exactly their planned MiB per node (the default; over strict=false "
      "of the configuration file)", NULL },
    { "paused", 0, 0, G_OPTION_ARG_NONE, &boot->paused,
      "Built domains stay paused, for a toolstack that adds their devices and unpauses them",
      NULL },
    { "no-paused", 0, G_OPTION_FLAG_REVERSE, G_OPTION_ARG_NONE, &boot->paused,
      "Built domains run (the default; over paused=true of the configuration file)", NULL },
    { "ledger-group", 0, 0, G_OPTION_ARG_STRING, &boot->ledger_group,
      "Make the ledger 0640 with this group, whose members may then read it (status, "
      "report); only its owner writes it (default: private, 0600)", "GROUP" },
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &boot->db_path,
      "The ledger (default /var/lib/xadmit/xadmit.db as root, else "
      "$XDG_STATE_HOME/xadmit/xadmit.db)", "PATH" },
    G_OPTION_ENTRY_NULL
  };

  g_option_context_add_main_entries (ctx, entries, NULL);
}

/* boot's options and help; GLib copies the entries, which point into @boot. */
static GOptionContext *
xa_boot_option_context (XaBootOptions *boot)
{
  const GOptionEntry entries[] = {
    { "policy", 0, 0, G_OPTION_ARG_STRING, &boot->policy_name,
      "batch (default), or xenopsd, xenopsd-nodeclaim, xenopsd-legacy: the same storm the "
      "way xenopsd runs it, every build deciding alone", "P" },
    { "seed", 0, 0, G_OPTION_ARG_INT, &boot->seed,
      "Seeds the simulated host's build-time jitter (default 1)", "N" },
    G_OPTION_ENTRY_NULL
  };
  GOptionContext *ctx = xa_cli_option_context_new (
    "MANIFEST - start every VM of a manifest (- for standard input), planned in batches, "
    "and wait",
    "Queues the VMs of MANIFEST in the ledger, then admits them in batches: each\n"
    "batch is planned against every node's free memory net of the claims of the\n"
    "builds in flight, recorded, and built in parallel, each build with its nodes,\n"
    "its memory per node and its claim fixed. Prints the run summary: where each\n"
    "VM's memory went, as the host reports it.\n\n"
    "Batch builds are strict: each gets exactly its planned MiB per node, so a\n"
    "node that lost memory fails the build (retried, planned again) rather than\n"
    "spilling to another; --no-strict leaves them to node affinity.\n\n"
    "On the simulated host, time is virtual: a storm of 1,000 VMs takes seconds.\n"
    "An interrupt (SIGINT, SIGTERM or SIGHUP) stops admitting and lets the builds\n"
    "under way finish; a second one destroys them. --retries, --max-batch and\n"
    "--window-ms shape batches: a xenopsd policy has none, and says so.",
    &boot->opts, TRUE, entries);

  xa_boot_add_admission_entries (ctx, boot);
  return ctx;
}

int
xa_boot_main (int argc, char **argv)
{
  g_auto(XaBootOptions) boot = { { 0 } };
  g_autoptr(GOptionContext) ctx = NULL;
  g_autoptr(GError) error = NULL;
  XaSchedulerOptions options = XA_SCHEDULER_OPTIONS_DEFAULT;
  gint code;

  xa_boot_options_init (&boot);
  ctx = xa_boot_option_context (&boot);
  if (!xa_cli_parse_options (ctx, &boot.opts, &argc, &argv, &error))
    return xa_cli_fail ("boot", error);
  if (argc != 2) {
    g_printerr ("xadmit boot: expected one MANIFEST (see xadmit boot --help)\n");
    return XA_EXIT_USAGE;
  }
  if (!xa_boot_scheduler_options (&boot, &options, &error))
    return xa_cli_fail ("boot", error);
  code = xa_boot_run (&boot, &options, argv[1], &error);
  if (code < 0)
    return xa_cli_fail ("boot", error);
  return code;
}
