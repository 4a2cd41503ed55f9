/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <signal.h>
#include <string.h>

#include "xa-test-daemon.h"

/* The soak of the daemon (slow suite): rounds of 8 xadmit submit at once,
 * with groups and cancels mixed in, against one xadmit daemon on a
 * simulated host whose guests shut down a while after they start. Nothing
 * is lost or duplicated, no submitter sees a busy ledger, the daemon's
 * resident memory after the first 1,000 requests is what it is at the end,
 * and it holds as many file descriptors at the end as at the start. */

#define SOAK_SUBMITTERS 8
/* a group of 3 every GROUP_EVERY rounds, a cancel every CANCEL_EVERY */
#define SOAK_GROUP_EVERY 10
#define SOAK_CANCEL_EVERY 7

#define SOAK_HOST \
  "{\"nodes\": [{\"memory\": \"64GiB\", \"cpus\": 16}, {\"memory\": \"64GiB\", \"cpus\": 16}," \
  " {\"memory\": \"64GiB\", \"cpus\": 16}, {\"memory\": \"64GiB\", \"cpus\": 16}]," \
  " \"faults\": [{\"shuts_down\": \"*\", \"after_s\": 20}]}"

/* Under a sanitizer each xadmit takes several times as long: fewer rounds;
 * and AddressSanitizer's quarantine holds freed memory, so the resident
 * memory says nothing there. */
#if defined(__SANITIZE_ADDRESS__)
#define SOAK_ROUNDS 100
#define SOAK_MEASURES_MEMORY FALSE
#else
#define SOAK_ROUNDS 1000
#define SOAK_MEASURES_MEMORY TRUE
#endif

typedef struct {
  XaTestDaemon *d;
  guint running;
  GString *complaints;
} XaSoak;

static void
soak_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  XaSoak *soak = user_data;
  GSubprocess *proc = G_SUBPROCESS (source);
  g_autofree gchar *out = NULL;
  g_autofree gchar *err = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_subprocess_communicate_utf8_finish (proc, result, &out, &err, &error));
  g_assert_no_error (error);
  /* a cancel of a guest already running or gone says so and exits 1 */
  if (g_subprocess_get_exit_status (proc) > 1 || strstr (err, "busy") != NULL ||
      strstr (err, "locked") != NULL)
    g_string_append_printf (soak->complaints, "exit %d: %s", g_subprocess_get_exit_status (proc),
                            err);
  soak->running--;
}

static void
soak_spawn (XaSoak *soak, GPtrArray *args)
{
  const gchar *base[] = { g_getenv ("XADMIT"), NULL, "-q", "--host", soak->d->spec, "--sim-state",
                          soak->d->state, "--db", soak->d->db };
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) proc = NULL;

  base[1] = g_ptr_array_index (args, 0);
  for (guint i = 0; i < G_N_ELEMENTS (base); i++)
    g_ptr_array_add (argv, (gpointer) base[i]);
  for (guint i = 1; i < args->len; i++)
    g_ptr_array_add (argv, g_ptr_array_index (args, i));
  g_ptr_array_add (argv, NULL);
  proc = g_subprocess_newv ((const gchar * const *) argv->pdata,
                            G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                            &error);
  g_assert_no_error (error);
  soak->running++;
  g_subprocess_communicate_utf8_async (proc, NULL, NULL, soak_done, soak);
}

/* A manifest of three VMs that start together, for round @r. */
static gchar *
soak_group_manifest (XaTestDaemon *d, guint r)
{
  g_autofree gchar *name = g_strdup_printf ("group-%u.json", r);
  g_autoptr(GString) text = g_string_new ("{\"vms\": [");

  for (guint i = 0; i < 3; i++)
    g_string_append_printf (text, "%s{\"name\": \"g%u-%u\", \"memory\": \"2GiB\", \"vcpus\": 1,"
                            " \"group\": \"g%u\"}", i > 0 ? ", " : "", r, i, r);
  g_string_append (text, "]}");
  return xa_test_dir_write (d->dir, name, text->str);
}

/* Submitter @k's request of round @r: one VM, or a group of three. */
static void
soak_submit (XaSoak *soak, guint r, guint k)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (args, g_strdup ("submit"));
  if (k == 0 && r % SOAK_GROUP_EVERY == 0) {
    g_ptr_array_add (args, soak_group_manifest (soak->d, r));
  } else {
    g_ptr_array_add (args, g_strdup_printf ("--name=s%u-%u", k, r));
    g_ptr_array_add (args, g_strdup_printf ("--memory=%uGiB", 1 + (r + k) % 4));
    g_ptr_array_add (args, g_strdup ("--vcpus=1"));
    g_ptr_array_add (args, g_strdup_printf ("--priority=%u", (r * 7 + k) % 5));
  }
  soak_spawn (soak, args);
}

static void
soak_cancel (XaSoak *soak, guint r)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (args, g_strdup ("cancel"));
  g_ptr_array_add (args, g_strdup_printf ("s1-%u", r - 1));
  soak_spawn (soak, args);
}

static gboolean
soak_tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* The daemon's resident memory in KiB, and its open file descriptors. */
static void
soak_usage (XaTestDaemon *d, guint64 *out_rss_kib, guint *out_fds)
{
  const gchar *pid = g_subprocess_get_identifier (d->proc);
  g_autofree gchar *status_path = g_strdup_printf ("/proc/%s/status", pid);
  g_autofree gchar *fd_path = g_strdup_printf ("/proc/%s/fd", pid);
  g_autofree gchar *status = NULL;
  g_autoptr(GDir) fds = NULL;
  g_autoptr(GError) error = NULL;
  const gchar *rss;

  g_assert_true (g_file_get_contents (status_path, &status, NULL, &error));
  g_assert_no_error (error);
  rss = strstr (status, "VmRSS:");
  g_assert_nonnull (rss);
  *out_rss_kib = g_ascii_strtoull (rss + strlen ("VmRSS:"), NULL, 10);
  fds = g_dir_open (fd_path, 0, &error);
  g_assert_no_error (error);
  for (*out_fds = 0; g_dir_read_name (fds) != NULL; (*out_fds)++)
    ;
}

/* Until the daemon holds @fds file descriptors, looking every 10 ms, for
 * 5 s at most: a submitter's ring accepted but not yet closed is one for
 * a moment, a leak one for good. */
static guint
soak_wait_fds (XaTestDaemon *d, guint fds)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;
  guint tick = g_timeout_add (10, soak_tick, NULL);
  guint64 rss;
  guint now;

  for (soak_usage (d, &rss, &now); now != fds && g_get_monotonic_time () < deadline;
       soak_usage (d, &rss, &now))
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (tick);
  return now;
}

/* Every request submitted is in the ledger once, and none is on its way. */
static void
soak_assert_ledger (XaTestDaemon *d, guint submitted)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) vms = xa_store_list_vms (d->store, d->host_id, 4, 0, G_MAXINT64, &error);
  g_autoptr(GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);

  g_assert_no_error (error);
  g_assert_cmpuint (vms->len, ==, submitted);
  for (guint i = 0; i < vms->len; i++) {
    const XaStoreVmRow *row = g_ptr_array_index (vms, i);

    g_assert_true (g_hash_table_add (names, row->name));
    g_assert_cmpint (row->state, !=, XA_REQUEST_QUEUED);
    g_assert_cmpint (row->state, !=, XA_REQUEST_PLANNED);
    g_assert_cmpint (row->state, !=, XA_REQUEST_BUILDING);
  }
}

static guint
soak_on_their_way (XaTestDaemon *d)
{
  return xa_test_daemon_count_in (d, XA_REQUEST_QUEUED) +
         xa_test_daemon_count_in (d, XA_REQUEST_PLANNED) +
         xa_test_daemon_count_in (d, XA_REQUEST_BUILDING);
}

/* Until no request is on its way, looking every 10 ms, for 2 min at most. */
static void
soak_wait_settled (XaTestDaemon *d)
{
  gint64 deadline = g_get_monotonic_time () + 120 * G_TIME_SPAN_SECOND;
  guint tick = g_timeout_add (10, soak_tick, NULL);

  while (soak_on_their_way (d) > 0) {
    if (g_get_monotonic_time () > deadline)
      g_error ("requests still on their way after 2 min; the daemon said:\n%s", d->said->str);
    g_main_context_iteration (NULL, TRUE);
  }
  g_source_remove (tick);
}

static void
soak_wait_round (XaSoak *soak)
{
  while (soak->running > 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpstr (soak->complaints->str, ==, "");
}

static void
test_soak (XaTestDaemon *d, gconstpointer data)
{
  g_autofree gchar *host = xa_test_dir_write (d->dir, "host.json", SOAK_HOST);
  g_autoptr(GString) complaints = g_string_new (NULL);
  XaSoak soak = { d, 0, complaints };
  guint64 rss_start, rss_early = 0, rss_end;
  guint fds_start, fds_end, fds_early;
  guint early = 0;
  guint submitted = 0;

  g_free (d->spec);
  d->spec = xa_test_host_spec_at (host);
  xa_test_daemon_start (d, "1000");
  xa_test_daemon_open_ledger (d);
  soak_usage (d, &rss_start, &fds_start);
  for (guint r = 0; r < SOAK_ROUNDS; r++) {
    for (guint k = 0; k < SOAK_SUBMITTERS; k++) {
      soak_submit (&soak, r, k);
      submitted += k == 0 && r % SOAK_GROUP_EVERY == 0 ? 3 : 1;
    }
    if (r % SOAK_CANCEL_EVERY == SOAK_CANCEL_EVERY - 1)
      soak_cancel (&soak, r);
    soak_wait_round (&soak);
    /* after an eighth of the rounds: the first 1,000 requests, plain */
    if (r + 1 == SOAK_ROUNDS / 8) {
      soak_usage (d, &rss_early, &fds_early);
      early = submitted;
    }
  }
  soak_wait_settled (d);
  soak_usage (d, &rss_end, &fds_end);
  g_test_message ("%u requests; daemon RSS %.1f MiB at the start, %.1f MiB after %u, %.1f MiB "
                  "at the end; %u file descriptors at the start, %u at the end", submitted,
                  (gdouble) rss_start / 1024, (gdouble) rss_early / 1024, early,
                  (gdouble) rss_end / 1024, fds_start, fds_end);
  soak_assert_ledger (d, submitted);
  /* flat: a tenth and a few MiB of slack for the allocator's own growth */
  if (SOAK_MEASURES_MEMORY)
    g_assert_cmpuint (rss_end, <=, rss_early + rss_early / 10 + 4096);
  g_assert_cmpuint (soak_wait_fds (d, fds_start), ==, fds_start);
  xa_test_daemon_signal (d, SIGTERM);
  g_assert_cmpint (xa_test_daemon_wait (d), ==, 0);
  xa_test_daemon_assert_ledger_matches_host (d);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  xa_test_daemon_add ("/cli/soak/daemon-8-submitters", test_soak);
  return g_test_run ();
}
