/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gio/gio.h>
#include <signal.h>
#include <sqlite3.h>

#include "xa-test-store.h"

static gchar *test_binary;

/* A VFS that kills the process at its k-th write, truncate or sync: a crash
 * at a chosen point of a transaction, the same point on every run. */
typedef struct {
  sqlite3_file base;
  sqlite3_file *real;
} KillFile;

static sqlite3_vfs *real_vfs;
static sqlite3_vfs kill_vfs;
static guint64 kill_countdown;
static guint64 io_count;

#define REAL(file) (((KillFile *) (gpointer) (file))->real)

static void
count_io (void)
{
  io_count++;
  if (kill_countdown > 0 && --kill_countdown == 0)
    raise (SIGKILL);
}

static int
kill_close (sqlite3_file *file)
{
  return REAL (file)->pMethods->xClose (REAL (file));
}

static int
kill_read (sqlite3_file *file, void *buf, int amount, sqlite3_int64 offset)
{
  return REAL (file)->pMethods->xRead (REAL (file), buf, amount, offset);
}

static int
kill_write (sqlite3_file *file, const void *buf, int amount, sqlite3_int64 offset)
{
  count_io ();
  return REAL (file)->pMethods->xWrite (REAL (file), buf, amount, offset);
}

static int
kill_truncate (sqlite3_file *file, sqlite3_int64 size)
{
  count_io ();
  return REAL (file)->pMethods->xTruncate (REAL (file), size);
}

static int
kill_sync (sqlite3_file *file, int flags)
{
  count_io ();
  return REAL (file)->pMethods->xSync (REAL (file), flags);
}

static int
kill_file_size (sqlite3_file *file, sqlite3_int64 *size)
{
  return REAL (file)->pMethods->xFileSize (REAL (file), size);
}

static int
kill_lock (sqlite3_file *file, int level)
{
  return REAL (file)->pMethods->xLock (REAL (file), level);
}

static int
kill_unlock (sqlite3_file *file, int level)
{
  return REAL (file)->pMethods->xUnlock (REAL (file), level);
}

static int
kill_check_reserved_lock (sqlite3_file *file, int *out)
{
  return REAL (file)->pMethods->xCheckReservedLock (REAL (file), out);
}

static int
kill_file_control (sqlite3_file *file, int op, void *arg)
{
  return REAL (file)->pMethods->xFileControl (REAL (file), op, arg);
}

static int
kill_sector_size (sqlite3_file *file)
{
  return REAL (file)->pMethods->xSectorSize (REAL (file));
}

static int
kill_device_characteristics (sqlite3_file *file)
{
  return REAL (file)->pMethods->xDeviceCharacteristics (REAL (file));
}

static int
kill_shm_map (sqlite3_file *file, int page, int size, int extend, void volatile **out)
{
  return REAL (file)->pMethods->xShmMap (REAL (file), page, size, extend, out);
}

static int
kill_shm_lock (sqlite3_file *file, int offset, int n, int flags)
{
  return REAL (file)->pMethods->xShmLock (REAL (file), offset, n, flags);
}

static void
kill_shm_barrier (sqlite3_file *file)
{
  REAL (file)->pMethods->xShmBarrier (REAL (file));
}

static int
kill_shm_unmap (sqlite3_file *file, int delete_flag)
{
  return REAL (file)->pMethods->xShmUnmap (REAL (file), delete_flag);
}

static int
kill_fetch (sqlite3_file *file, sqlite3_int64 offset, int amount, void **out)
{
  return REAL (file)->pMethods->xFetch (REAL (file), offset, amount, out);
}

static int
kill_unfetch (sqlite3_file *file, sqlite3_int64 offset, void *p)
{
  return REAL (file)->pMethods->xUnfetch (REAL (file), offset, p);
}

static const sqlite3_io_methods kill_io_methods = {
  3, kill_close, kill_read, kill_write, kill_truncate, kill_sync, kill_file_size, kill_lock,
  kill_unlock, kill_check_reserved_lock, kill_file_control, kill_sector_size,
  kill_device_characteristics, kill_shm_map, kill_shm_lock, kill_shm_barrier, kill_shm_unmap,
  kill_fetch, kill_unfetch,
};

static int
kill_open (sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *out_flags)
{
  KillFile *kf = (KillFile *) (gpointer) file;
  int rc;

  kf->real = (sqlite3_file *) (gpointer) (kf + 1);
  rc = real_vfs->xOpen (real_vfs, name, kf->real, flags, out_flags);
  kf->base.pMethods = rc == SQLITE_OK ? &kill_io_methods : NULL;
  return rc;
}

static void
install_kill_vfs (guint64 kill_at)
{
  real_vfs = sqlite3_vfs_find (NULL);
  kill_vfs = *real_vfs;
  kill_vfs.zName = "xadmit-test-kill";
  kill_vfs.szOsFile = (int) sizeof (KillFile) + real_vfs->szOsFile;
  kill_vfs.xOpen = kill_open;
  kill_countdown = kill_at;
  sqlite3_vfs_register (&kill_vfs, 1);
}

static const guint64 crash_free_mib[] = { NODE_MIB, NODE_MIB };

/* The child's work: after a restart, reconcile, then three rounds of four
 * VMs through the whole life: queued, planned, building, running. */
static int
crash_child (const gchar *path, guint64 kill_at, const gchar *tag)
{
  g_autoptr(GError) error = NULL;
  const XaStoreSnapshot snapshot = { 2, crash_free_mib, crash_free_mib, 0, NULL };
  g_auto(XaTestStore) f = { NULL };
  g_autoptr(XaStoreReconciliation) found = NULL;

  install_kill_vfs (kill_at);
  xa_test_store_open (&f, path);
  found = xa_store_reconcile (f.store, f.host_id, &snapshot, xa_test_at (0), &error);
  g_assert_no_error (error);
  for (guint round = 0; round < 3; round++) {
    g_autoptr(GPtrArray) vms = xa_test_requests_new ();
    g_autoptr(GPtrArray) admitted = NULL;

    for (guint i = 0; i < 4; i++) {
      g_autofree gchar *name = g_strdup_printf ("%s-%u-%u", tag, round, i);

      xa_test_add_vm (vms, name, GiB, 1);
    }
    xa_test_submit (&f, tag, vms, round);
    xa_test_refresh (&f, NODE_MIB, NODE_MIB, 0, NULL, round);
    admitted = xa_test_plan_and_admit (&f, round);
    for (guint i = 0; i < admitted->len; i++)
      xa_test_build (&f, g_ptr_array_index (admitted, i), round, round);
  }
  /* closing writes too (the WAL checkpoint): count those */
  xa_test_store_close (&f);
  g_print ("%" G_GUINT64_FORMAT "\n", io_count);
  return 0;
}

static GSubprocess *
spawn_child (const gchar *mode, const gchar *path, const gchar *arg, const gchar *tag)
{
  g_autoptr(GError) error = NULL;
  GSubprocess *child = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                         G_SUBPROCESS_FLAGS_STDERR_PIPE, &error,
                                         test_binary, mode, path, arg, tag, NULL);

  g_assert_no_error (error);
  return child;
}

/* The ledger right after a crash: every request in one state with a log
 * that ends there, submissions whole, and claims exactly those of the
 * requests in flight. */
static guint
check_ledger (const gchar *path)
{
  g_autoptr(GError) error = NULL;
  g_auto(XaTestStore) f = { NULL };
  g_autoptr(GPtrArray) vms = NULL;
  guint64 in_flight_mib[2] = { 0, 0 };
  guint64 avail[2];

  xa_test_store_open (&f, path);
  vms = xa_store_list_vms (f.store, f.host_id, 2, 0, G_MAXINT64, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vms->len % 4, ==, 0);
  for (guint state = 0; state <= XA_REQUEST_STATE_LAST; state++) {
    g_autoptr(GPtrArray) requests = xa_test_list (&f, (XaRequestState) state);

    for (guint i = 0; i < requests->len; i++) {
      const XaStoreRequest *request = g_ptr_array_index (requests, i);
      g_autoptr(GPtrArray) events = xa_store_list_events (f.store, request->id, &error);
      const XaStoreEvent *last = g_ptr_array_index (events, events->len - 1);

      g_assert_cmpstr (last->to, ==, xa_request_state_to_string ((XaRequestState) state));
      if (state == XA_REQUEST_PLANNED || state == XA_REQUEST_BUILDING) {
        g_autofree guint64 *planned = xa_test_planned_mib_of (f.store, f.host_id, request->uuid);

        in_flight_mib[0] += planned[0];
        in_flight_mib[1] += planned[1];
      }
    }
  }
  if (!xa_store_available (f.store, f.host_id, 2, avail, &error)) {
    /* never seen: then nothing was ever admitted */
    g_assert_cmpuint (in_flight_mib[0] + in_flight_mib[1], ==, 0);
    return vms->len;
  }
  g_assert_cmpuint (in_flight_mib[0], ==, NODE_MIB - avail[0]);
  g_assert_cmpuint (in_flight_mib[1], ==, NODE_MIB - avail[1]);
  return vms->len;
}

/* SIGKILL at 40 points inside admissions and completions, 400 in the slow
 * suite; after each, the ledger holds and the next run carries on from it. */
static void
test_crash_survives_sigkill_anywhere (XaTestStore *f, gconstpointer data)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (4);
  g_autoptr(GSubprocess) clean = spawn_child ("--crash-child", f->path, "0", "clean");
  g_autofree gchar *out = NULL;
  g_autoptr(GError) error = NULL;
  guint n_runs = g_test_slow () ? 400 : 40;
  guint64 writes;
  guint seen = 0;
  guint killed = 0;

  g_assert_true (g_subprocess_communicate_utf8 (clean, NULL, NULL, &out, NULL, &error));
  g_assert_true (g_subprocess_get_successful (clean));
  writes = g_ascii_strtoull (out, NULL, 10);
  g_assert_cmpuint (writes, >, 10);
  for (guint run = 0; run < n_runs; run++) {
    g_autofree gchar *kill_at = g_strdup_printf ("%d", g_rand_int_range (rand, 1, (gint) writes));
    g_autofree gchar *tag = g_strdup_printf ("run%u", run);
    g_autoptr(GSubprocess) child = spawn_child ("--crash-child", f->path, kill_at, tag);
    guint now;

    g_assert_true (g_subprocess_wait (child, NULL, &error));
    if (g_subprocess_get_if_signaled (child)) {
      g_assert_cmpint (g_subprocess_get_term_sig (child), ==, SIGKILL);
      killed++;
    } else {
      g_assert_true (g_subprocess_get_successful (child));
    }
    now = check_ledger (f->path);
    /* nothing queued is lost */
    g_assert_cmpuint (now, >=, seen);
    seen = now;
  }
  g_assert_cmpuint (killed, >=, n_runs * 3 / 4);
}

static int
submit_child (const gchar *path, guint n_vms)
{
  g_auto(XaTestStore) f = { NULL };

  xa_test_store_open (&f, path);
  for (guint i = 0; i < n_vms; i++) {
    g_autoptr(GPtrArray) vms = xa_test_requests_new ();
    g_autofree gchar *name = g_strdup_printf ("s-%u", i);

    xa_test_add_vm (vms, name, 64, 1);
    xa_test_submit (&f, "submitter", vms, i);
  }
  return 0;
}

static int
admit_child (const gchar *path, guint n_vms)
{
  g_autoptr(GError) error = NULL;
  g_auto(XaTestStore) f = { NULL };
  guint done = 0;

  xa_test_store_open (&f, path);
  xa_test_refresh (&f, NODE_MIB, NODE_MIB, 0, NULL, 0);
  while (done < n_vms) {
    g_autoptr(GPtrArray) waiting = xa_test_list (&f, XA_REQUEST_QUEUED);
    g_autoptr(GPtrArray) admitted = waiting->len > 0 ? xa_test_plan_and_admit (&f, done) : NULL;

    for (guint i = 0; admitted != NULL && i < admitted->len; i++) {
      XaStoreRequest *request = g_ptr_array_index (admitted, i);
      const guint64 none[] = { 0, 0 };

      g_assert_true (xa_store_start_build (f.store, request, xa_test_at (done), &error));
      g_assert_true (xa_store_complete_build (f.store, request, 2, none, xa_test_at (done),
                                              &error));
      done++;
    }
  }
  return 0;
}

/* One process submits while another admits and builds: no error reaches
 * either, and every VM ends running exactly once. */
static void
test_concurrency_submit_while_admitting (XaTestStore *f, gconstpointer data)
{
  g_autoptr(GSubprocess) submitter = spawn_child ("--submit-child", f->path, "300", "");
  g_autoptr(GSubprocess) admitter = spawn_child ("--admit-child", f->path, "300", "");
  g_autofree gchar *submit_err = NULL;
  g_autofree gchar *admit_err = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) running = NULL;
  g_autoptr(GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);

  g_assert_true (g_subprocess_communicate_utf8 (submitter, NULL, NULL, NULL, &submit_err, &error));
  g_assert_cmpstr (submit_err, ==, "");
  g_assert_true (g_subprocess_get_successful (submitter));
  g_assert_true (g_subprocess_communicate_utf8 (admitter, NULL, NULL, NULL, &admit_err, &error));
  g_assert_cmpstr (admit_err, ==, "");
  g_assert_true (g_subprocess_get_successful (admitter));
  running = xa_test_list (f, XA_REQUEST_RUNNING);
  g_assert_cmpuint (running->len, ==, 300);
  for (guint i = 0; i < running->len; i++)
    g_hash_table_add (names, ((XaStoreRequest *) g_ptr_array_index (running, i))->req->name);
  g_assert_cmpuint (g_hash_table_size (names), ==, 300);
}

int
main (int argc, char **argv)
{
  if (argc == 5 && g_str_equal (argv[1], "--crash-child"))
    return crash_child (argv[2], g_ascii_strtoull (argv[3], NULL, 10), argv[4]);
  if (argc == 5 && g_str_equal (argv[1], "--submit-child"))
    return submit_child (argv[2], (guint) g_ascii_strtoull (argv[3], NULL, 10));
  if (argc == 5 && g_str_equal (argv[1], "--admit-child"))
    return admit_child (argv[2], (guint) g_ascii_strtoull (argv[3], NULL, 10));
  test_binary = g_file_read_link ("/proc/self/exe", NULL);
  g_test_init (&argc, &argv, NULL);
  xa_test_store_add ("/store/crash/survives-sigkill-anywhere",
                     test_crash_survives_sigkill_anywhere);
  xa_test_store_add ("/store/concurrency/submit-while-admitting",
                     test_concurrency_submit_while_admitting);
  return g_test_run ();
}
