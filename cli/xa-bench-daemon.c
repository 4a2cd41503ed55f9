/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <unistd.h>

#include "xa-bench-private.h"
#include "xa-error.h"
#include "xa-host-record.h"
#include "xa-notify.h"
#include "xa-output.h"
#include "xa-sim-fault.h"
#include "xa-store.h"

/*
 * bench --daemon: 10,000 requests queued by 8 xadmit submit at once against
 * xadmit daemon on a 16-node simulated host (its clock 10,000 times the
 * wall's), as separate processes: the daemon's CPU per request it
 * admitted, the wall time from queueing to admission (p50, p99), and the
 * daemon's RSS before, once 1,000 are admitted, and at the end. Each guest
 * shuts itself down a while after it starts, as guests come and go on a
 * host, so the end is a steady state, not 10,000 guests at once.
 */

#define XA_BENCH_DAEMON_NODES 16
#define XA_BENCH_DAEMON_VMS 10000
#define XA_BENCH_DAEMON_SUBMITTERS 8
#define XA_BENCH_DAEMON_SPEED "10000"
/* how long each guest runs, on the host's clock: some hundreds at once */
#define XA_BENCH_DAEMON_LIFE_S 300
/* the RSS is read once this many are admitted, and at the end */
#define XA_BENCH_DAEMON_EARLY 1000
/* how often the bench looks at the ledger, and for how long at most */
#define XA_BENCH_DAEMON_POLL_MS 20
#define XA_BENCH_DAEMON_PATIENCE_S 600

typedef struct {
  gchar *dir;
  gchar *host;
  gchar *state;
  gchar *db;
  gchar *self_exe;
  GSubprocess *daemon;
} XaBenchDaemon;

static void
xa_bench_daemon_clear (XaBenchDaemon *run)
{
  if (run->daemon != NULL) {
    g_subprocess_force_exit (run->daemon);
    g_subprocess_wait (run->daemon, NULL, NULL);
  }
  g_clear_object (&run->daemon);
  g_free (run->host);
  g_free (run->state);
  g_free (run->db);
  g_free (run->self_exe);
  g_free (run->dir);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (XaBenchDaemon, xa_bench_daemon_clear)

/* Everything the run left in its directory (ledger, state, locks,
 * manifests), and the directory. */
static void
xa_bench_daemon_clean (XaBenchDaemon *run)
{
  g_autoptr(GDir) dir = g_dir_open (run->dir, 0, NULL);
  const gchar *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
    g_autofree gchar *path = g_build_filename (run->dir, name, NULL);

    g_unlink (path);
  }
  g_rmdir (run->dir);
}

/* The daemon's CPU (user and system) in µs, and its resident set in KiB. */
static gboolean
xa_bench_daemon_usage (GSubprocess *proc, gdouble *out_cpu_us, guint64 *out_rss_kib,
                       GError **error)
{
  const gchar *pid = g_subprocess_get_identifier (proc);
  g_autofree gchar *stat_path = g_strdup_printf ("/proc/%s/stat", pid);
  g_autofree gchar *status_path = g_strdup_printf ("/proc/%s/status", pid);
  g_autofree gchar *stat = NULL;
  g_autofree gchar *status = NULL;
  g_auto(GStrv) fields = NULL;
  const gchar *rss;

  if (!g_file_get_contents (stat_path, &stat, NULL, error) ||
      !g_file_get_contents (status_path, &status, NULL, error))
    return FALSE;
  /* past the command's name, which may hold blanks: utime and stime are
   * the 12th and 13th fields after it */
  fields = g_strsplit (strrchr (stat, ')') + 2, " ", 0);
  *out_cpu_us = (gdouble) (g_ascii_strtoull (fields[11], NULL, 10) +
                           g_ascii_strtoull (fields[12], NULL, 10)) *
                G_USEC_PER_SEC / (gdouble) sysconf (_SC_CLK_TCK);
  rss = strstr (status, "VmRSS:");
  *out_rss_kib = rss != NULL ? g_ascii_strtoull (rss + strlen ("VmRSS:"), NULL, 10) : 0;
  return TRUE;
}

/* Submitter @k's share of @requests, as a manifest file. */
static gchar *
xa_bench_daemon_manifest (const XaBenchDaemon *run, GPtrArray *requests, guint k,
                          GError **error)
{
  g_autoptr(GString) text = g_string_new ("{\"vms\": [");
  g_autofree gchar *name = g_strdup_printf ("submit-%u.json", k);
  gchar *path = g_build_filename (run->dir, name, NULL);

  for (guint i = k; i < requests->len; i += XA_BENCH_DAEMON_SUBMITTERS) {
    const XaRequest *req = g_ptr_array_index (requests, i);

    g_string_append_printf (text, "%s{\"name\": \"%s\", \"memory\": %" G_GUINT64_FORMAT
                            ", \"vcpus\": %u, \"priority\": %d}", i > k ? ", " : "", req->name,
                            req->memory_mib, req->vcpus, req->priority);
  }
  g_string_append (text, "]}");
  if (!g_file_set_contents (path, text->str, (gssize) text->len, error)) {
    g_free (path);
    return NULL;
  }
  return path;
}

/* Until the daemon tells @notify READY=1, looking every second whether it
 * died first (its stderr, the bench's, says why). */
static gboolean
xa_bench_daemon_wait_ready (XaBenchDaemon *run, GSocket *notify, GError **error)
{
  g_socket_set_timeout (notify, 1);
  for (guint s = 0; s < XA_BENCH_DAEMON_PATIENCE_S; s++) {
    g_autoptr(GError) local = NULL;
    g_autofree gchar *said = xa_notify_receive (notify, &local);

    if (said != NULL && g_str_has_prefix (said, "READY=1"))
      return TRUE;
    if (local != NULL && !g_error_matches (local, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)) {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
    /* its exit is seen in the main context */
    while (g_main_context_iteration (NULL, FALSE))
      ;
    if (g_subprocess_get_identifier (run->daemon) == NULL)
      break;
  }
  g_set_error_literal (error, XA_ERROR, XA_ERROR_FAILED, "xadmit daemon did not start");
  return FALSE;
}

/* The daemon, once it admits: it says so as it says it to systemd. Quiet,
 * as its decisions are measured, not logged. */
static gboolean
xa_bench_daemon_start (XaBenchDaemon *run, GError **error)
{
  g_autofree gchar *spec = g_strdup_printf ("sim:%s", run->host);
  g_autofree gchar *path = g_build_filename (run->dir, "notify", NULL);
  g_autoptr(GSocket) notify = xa_notify_listen (path, error);
  g_autoptr(GSubprocessLauncher) launcher = NULL;

  if (notify == NULL)
    return FALSE;
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_subprocess_launcher_setenv (launcher, "NOTIFY_SOCKET", path, TRUE);
  run->daemon = g_subprocess_launcher_spawn (launcher, error, run->self_exe, "daemon", "-q",
                                             "--host", spec, "--sim-state", run->state, "--db",
                                             run->db, "--sim-speed", XA_BENCH_DAEMON_SPEED, NULL);
  return run->daemon != NULL && xa_bench_daemon_wait_ready (run, notify, error);
}

/* The eight submitters at once; each must succeed. */
static gboolean
xa_bench_daemon_submit (XaBenchDaemon *run, GPtrArray *requests, GError **error)
{
  g_autoptr(GPtrArray) procs = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree gchar *spec = g_strdup_printf ("sim:%s", run->host);

  for (guint k = 0; k < XA_BENCH_DAEMON_SUBMITTERS; k++) {
    g_autofree gchar *manifest = xa_bench_daemon_manifest (run, requests, k, error);
    GSubprocess *proc;

    if (manifest == NULL ||
        (proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE, error, run->self_exe,
                                  "submit", manifest, "-q", "--host", spec, "--sim-state",
                                  run->state, "--db", run->db, NULL)) == NULL)
      return FALSE;
    g_ptr_array_add (procs, proc);
  }
  for (guint k = 0; k < procs->len; k++) {
    if (!g_subprocess_wait_check (g_ptr_array_index (procs, k), NULL, error))
      return FALSE;
  }
  return TRUE;
}

/* The ledger and the host's id in it, as submit finds them. */
static XaStore *
xa_bench_daemon_ledger (const XaBenchDaemon *run, gint64 *out_host_id, GError **error)
{
  g_autofree gchar *spec = g_strdup_printf ("sim:%s", run->host);
  g_autoptr(XaHost) host = xa_host_open (spec, run->state, error);
  g_autoptr(XaHostInfo) info = NULL;
  g_autoptr(XaStore) store = NULL;
  g_autofree gchar *key = NULL;

  if (host == NULL || (info = xa_host_snapshot (host, error)) == NULL ||
      (store = xa_store_open (run->db, error)) == NULL)
    return NULL;
  key = xa_host_record_key (host, info);
  if (!xa_store_lookup_host (store, key, out_host_id, error))
    return NULL;
  return g_steal_pointer (&store);
}

/* How many requests are still on their way: queued, planned or building. */
static gboolean
xa_bench_daemon_on_their_way (XaStore *store, gint64 host_id, guint *out_n, GError **error)
{
  const XaRequestState states[] = { XA_REQUEST_QUEUED, XA_REQUEST_PLANNED, XA_REQUEST_BUILDING };

  *out_n = 0;
  for (guint i = 0; i < G_N_ELEMENTS (states); i++) {
    guint n = 0;

    if (!xa_store_count_in_state (store, host_id, states[i], &n, error))
      return FALSE;
    *out_n += n;
  }
  return TRUE;
}

/* Until no request is on its way, looking at the ledger every
 * XA_BENCH_DAEMON_POLL_MS; the daemon's RSS once XA_BENCH_DAEMON_EARLY
 * are admitted. */
static gboolean
xa_bench_daemon_wait_admitted (const XaBench *bench, XaBenchDaemon *run, XaStore *store,
                               gint64 host_id, guint64 *out_rss_early_kib, GError **error)
{
  for (guint tries = 0; tries * XA_BENCH_DAEMON_POLL_MS < XA_BENCH_DAEMON_PATIENCE_S * 1000;
       tries++) {
    guint left = 0;
    gdouble cpu = 0;

    if (!xa_bench_daemon_on_their_way (store, host_id, &left, error) ||
        !xa_cli_signals_check (bench->signals, error))
      return FALSE;
    if (*out_rss_early_kib == 0 && XA_BENCH_DAEMON_VMS - left >= XA_BENCH_DAEMON_EARLY &&
        !xa_bench_daemon_usage (run->daemon, &cpu, out_rss_early_kib, error))
      return FALSE;
    if (left == 0)
      return TRUE;
    g_usleep (XA_BENCH_DAEMON_POLL_MS * 1000);
  }
  g_set_error (error, XA_ERROR, XA_ERROR_FAILED, "the daemon did not admit all %u VMs in %u s",
               XA_BENCH_DAEMON_VMS, XA_BENCH_DAEMON_PATIENCE_S);
  return FALSE;
}

/* Stops the daemon as an operator does: SIGTERM, exit 0. */
static gboolean
xa_bench_daemon_stop (XaBenchDaemon *run, GError **error)
{
  g_subprocess_send_signal (run->daemon, SIGTERM);
  if (!g_subprocess_wait_check (run->daemon, NULL, error))
    return FALSE;
  g_clear_object (&run->daemon);
  return TRUE;
}

/* @rss_kib: at the start, once XA_BENCH_DAEMON_EARLY are admitted, at the end */
static void
xa_bench_daemon_print (const XaBench *bench, gdouble cpu_us_per_vm, const gdouble *admit_s,
                       const guint64 *rss_kib, gdouble wall_s)
{
  if (bench->json != NULL) {
    json_object_set_new (bench->json, "daemon",
                         json_pack ("{s:i, s:i, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
                                    "requests", XA_BENCH_DAEMON_VMS,
                                    "submitters", XA_BENCH_DAEMON_SUBMITTERS,
                                    "cpu_us_per_request", xa_output_real3 (cpu_us_per_vm),
                                    "admission_p50_ms", xa_output_real3 (admit_s[0] * 1000),
                                    "admission_p99_ms", xa_output_real3 (admit_s[1] * 1000),
                                    "rss_start_mib", xa_output_real3 ((gdouble) rss_kib[0] / 1024),
                                    "rss_1000_mib", xa_output_real3 ((gdouble) rss_kib[1] / 1024),
                                    "rss_end_mib", xa_output_real3 ((gdouble) rss_kib[2] / 1024),
                                    "wall_s", xa_output_real3 (wall_s)));
    return;
  }
  if (!bench->quiet)
    g_print ("daemon: %u requests queued by %u xadmit submit at once against xadmit daemon "
             "on a %u-node simulated host (its clock %s times the wall's; each guest shuts "
             "down %u s after it starts); the daemon's CPU (user + system) per request it "
             "admitted, from the first submit until none waits; wall time from queueing to "
             "the batch that planned it; its RSS at the start, once %u are admitted, and at "
             "the end\n\n",
             XA_BENCH_DAEMON_VMS, XA_BENCH_DAEMON_SUBMITTERS, XA_BENCH_DAEMON_NODES,
             XA_BENCH_DAEMON_SPEED, XA_BENCH_DAEMON_LIFE_S, XA_BENCH_DAEMON_EARLY);
  g_print ("%8s %10s %10s %10s %11s %11s %11s %8s\n", "requests", "CPU us/VM", "p50 ms",
           "p99 ms", "RSS start", "RSS 1000", "RSS end", "wall s");
  g_print ("%8u %10.1f %10.1f %10.1f %7.1f MiB %7.1f MiB %7.1f MiB %8.1f\n", XA_BENCH_DAEMON_VMS,
           cpu_us_per_vm, admit_s[0] * 1000, admit_s[1] * 1000, (gdouble) rss_kib[0] / 1024,
           (gdouble) rss_kib[1] / 1024, (gdouble) rss_kib[2] / 1024, wall_s);
}

/* Submits, waits for all to run, and reads the daemon's usage around it. */
static gboolean
xa_bench_daemon_measure (const XaBench *bench, XaBenchDaemon *run, GPtrArray *requests,
                         GError **error)
{
  const gdouble percentiles[] = { 50, 99 };
  gdouble admit_s[G_N_ELEMENTS (percentiles)];
  gdouble cpu_start = 0;
  gdouble cpu_end = 0;
  guint64 rss_start = 0;
  guint64 rss_early = 0;
  guint64 rss_end = 0;
  gint64 start_us = g_get_monotonic_time ();
  guint64 rss[3];
  g_autoptr(XaStore) store = NULL;
  gint64 host_id = 0;

  if (!xa_bench_daemon_usage (run->daemon, &cpu_start, &rss_start, error) ||
      !xa_bench_daemon_submit (run, requests, error) ||
      (store = xa_bench_daemon_ledger (run, &host_id, error)) == NULL ||
      !xa_bench_daemon_wait_admitted (bench, run, store, host_id, &rss_early, error) ||
      !xa_bench_daemon_usage (run->daemon, &cpu_end, &rss_end, error) ||
      !xa_bench_daemon_stop (run, error) ||
      !xa_store_admission_percentiles (store, host_id, G_N_ELEMENTS (percentiles), percentiles,
                                       admit_s, error))
    return FALSE;
  rss[0] = rss_start;
  rss[1] = rss_early;
  rss[2] = rss_end;
  xa_bench_daemon_print (bench, (cpu_end - cpu_start) / XA_BENCH_DAEMON_VMS, admit_s, rss,
                         (gdouble) (g_get_monotonic_time () - start_us) / G_USEC_PER_SEC);
  return TRUE;
}

/* Every guest xadmit builds shuts down XA_BENCH_DAEMON_LIFE_S after it
 * starts (docs/formats.md, Faults). */
static XaSimFault *
xa_bench_daemon_life_fault (void)
{
  XaSimFault *fault = g_new0 (XaSimFault, 1);

  fault->kind = XA_SIM_FAULT_SHUTS_DOWN;
  fault->vm = g_strdup (XA_SIM_FAULT_ANY_VM);
  fault->at_s = XA_BENCH_DAEMON_LIFE_S;
  return fault;
}

/**
 * xa_bench_daemon:
 * @bench: the seed of the VM mix, the signals, where the table goes
 * @error: a #GError, %G_IO_ERROR_CANCELLED on a signal
 *
 * Runs xadmit daemon on a fresh 16-node simulated host and ledger in a
 * temporary directory, queues 10,000 VMs through 8 xadmit submit at once,
 * and measures what the daemon spent admitting them.
 *
 * Returns: %TRUE if every VM was admitted
 */
gboolean
xa_bench_daemon (const XaBench *bench, GError **error)
{
  g_auto(XaBenchDaemon) run = { NULL };
  g_autoptr(GRand) rand = g_rand_new_with_seed (bench->seed);
  g_autoptr(GPtrArray) requests = xa_bench_requests (rand, XA_BENCH_DAEMON_VMS);
  g_autoptr(GPtrArray) faults = g_ptr_array_new_with_free_func ((GDestroyNotify) xa_sim_fault_free);
  gboolean ok;

  if ((run.dir = g_dir_make_tmp ("xadmit-daemon-XXXXXX", error)) == NULL ||
      (run.self_exe = g_file_read_link ("/proc/self/exe", error)) == NULL)
    return FALSE;
  run.host = g_build_filename (run.dir, "host.json", NULL);
  run.state = g_build_filename (run.dir, "state.json", NULL);
  run.db = g_build_filename (run.dir, "ledger.db", NULL);
  g_ptr_array_add (faults, xa_bench_daemon_life_fault ());
  ok = xa_bench_write_host (run.host, XA_BENCH_DAEMON_NODES, requests, faults, error) &&
       xa_bench_daemon_start (&run, error) &&
       xa_bench_daemon_measure (bench, &run, requests, error);
  xa_bench_daemon_clean (&run);
  return ok;
}
