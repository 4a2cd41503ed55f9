/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A disk that fills up, or breaks, under the ledger: SQLite's default VFS
 * wrapped so that, once told to, every write, sync and truncate fails with
 * SQLITE_FULL or SQLITE_IOERR. The product is not changed: the driver
 * registers this VFS as the default before the ledger is opened. */
#include <sqlite3.h>

#include "xa-sim-vfs.h"

typedef struct {
  sqlite3_file base;
  sqlite3_file *real;
} XaSimFile;

static sqlite3_vfs *real_vfs;
static sqlite3_vfs fail_vfs;
static sqlite3_io_methods fail_io;
static gint fail_rc;
static gboolean failed;

static sqlite3_file *
xa_sim_vfs_real (sqlite3_file *file)
{
  return ((XaSimFile *) file)->real;
}

/* What a write gets once the disk is full or broken. */
static gint
xa_sim_vfs_outcome (void)
{
  if (fail_rc == SQLITE_OK)
    return SQLITE_OK;
  failed = TRUE;
  return fail_rc;
}

static int
xa_sim_vfs_close (sqlite3_file *file)
{
  sqlite3_file *real = xa_sim_vfs_real (file);
  int rc = real->pMethods != NULL ? real->pMethods->xClose (real) : SQLITE_OK;

  g_free (real);
  return rc;
}

static int
xa_sim_vfs_read (sqlite3_file *file, void *buf, int n, sqlite3_int64 offset)
{
  sqlite3_file *real = xa_sim_vfs_real (file);

  return real->pMethods->xRead (real, buf, n, offset);
}

static int
xa_sim_vfs_write (sqlite3_file *file, const void *buf, int n, sqlite3_int64 offset)
{
  sqlite3_file *real = xa_sim_vfs_real (file);
  gint rc = xa_sim_vfs_outcome ();

  return rc != SQLITE_OK ? rc : real->pMethods->xWrite (real, buf, n, offset);
}

static int
xa_sim_vfs_truncate (sqlite3_file *file, sqlite3_int64 size)
{
  sqlite3_file *real = xa_sim_vfs_real (file);
  gint rc = xa_sim_vfs_outcome ();

  return rc != SQLITE_OK ? rc : real->pMethods->xTruncate (real, size);
}

static int
xa_sim_vfs_sync (sqlite3_file *file, int flags)
{
  sqlite3_file *real = xa_sim_vfs_real (file);
  gint rc = xa_sim_vfs_outcome ();

  return rc != SQLITE_OK ? rc : real->pMethods->xSync (real, flags);
}

static int
xa_sim_vfs_file_size (sqlite3_file *file, sqlite3_int64 *size)
{
  sqlite3_file *real = xa_sim_vfs_real (file);

  return real->pMethods->xFileSize (real, size);
}

static int
xa_sim_vfs_lock (sqlite3_file *file, int level)
{
  sqlite3_file *real = xa_sim_vfs_real (file);

  return real->pMethods->xLock (real, level);
}

static int
xa_sim_vfs_unlock (sqlite3_file *file, int level)
{
  sqlite3_file *real = xa_sim_vfs_real (file);

  return real->pMethods->xUnlock (real, level);
}

static int
xa_sim_vfs_check_lock (sqlite3_file *file, int *out)
{
  sqlite3_file *real = xa_sim_vfs_real (file);

  return real->pMethods->xCheckReservedLock (real, out);
}

static int
xa_sim_vfs_control (sqlite3_file *file, int op, void *arg)
{
  sqlite3_file *real = xa_sim_vfs_real (file);

  return real->pMethods->xFileControl (real, op, arg);
}

static int
xa_sim_vfs_sector_size (sqlite3_file *file)
{
  sqlite3_file *real = xa_sim_vfs_real (file);

  return real->pMethods->xSectorSize (real);
}

static int
xa_sim_vfs_characteristics (sqlite3_file *file)
{
  sqlite3_file *real = xa_sim_vfs_real (file);

  return real->pMethods->xDeviceCharacteristics (real);
}

static int
xa_sim_vfs_shm_map (sqlite3_file *file, int page, int size, int extend, void volatile **out)
{
  sqlite3_file *real = xa_sim_vfs_real (file);

  return real->pMethods->xShmMap (real, page, size, extend, out);
}

static int
xa_sim_vfs_shm_lock (sqlite3_file *file, int offset, int n, int flags)
{
  sqlite3_file *real = xa_sim_vfs_real (file);

  return real->pMethods->xShmLock (real, offset, n, flags);
}

static void
xa_sim_vfs_shm_barrier (sqlite3_file *file)
{
  sqlite3_file *real = xa_sim_vfs_real (file);

  real->pMethods->xShmBarrier (real);
}

static int
xa_sim_vfs_shm_unmap (sqlite3_file *file, int delete_flag)
{
  sqlite3_file *real = xa_sim_vfs_real (file);

  return real->pMethods->xShmUnmap (real, delete_flag);
}

static int
xa_sim_vfs_open (sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *out_flags)
{
  XaSimFile *sim = (XaSimFile *) file;
  int rc;

  sim->real = g_malloc0 ((gsize) real_vfs->szOsFile);
  rc = real_vfs->xOpen (real_vfs, name, sim->real, flags, out_flags);
  if (rc != SQLITE_OK) {
    g_clear_pointer (&sim->real, g_free);
    sim->base.pMethods = NULL;
    return rc;
  }
  sim->base.pMethods = &fail_io;
  return rc;
}

static int
xa_sim_vfs_delete (sqlite3_vfs *vfs, const char *name, int sync_dir)
{
  return real_vfs->xDelete (real_vfs, name, sync_dir);
}

static int
xa_sim_vfs_access (sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
  return real_vfs->xAccess (real_vfs, name, flags, out);
}

static int
xa_sim_vfs_full_pathname (sqlite3_vfs *vfs, const char *name, int n, char *out)
{
  return real_vfs->xFullPathname (real_vfs, name, n, out);
}

/**
 * xa_sim_vfs_install:
 *
 * Makes the failing VFS SQLite's default, writing as the default did until
 * xa_sim_vfs_fail() is called.
 */
void
xa_sim_vfs_install (void)
{
  if (real_vfs != NULL)
    return;
  real_vfs = sqlite3_vfs_find (NULL);
  fail_vfs = *real_vfs;
  fail_vfs.szOsFile = sizeof (XaSimFile);
  fail_vfs.zName = "xadmit-sim-fail";
  fail_vfs.xOpen = xa_sim_vfs_open;
  fail_vfs.xDelete = xa_sim_vfs_delete;
  fail_vfs.xAccess = xa_sim_vfs_access;
  fail_vfs.xFullPathname = xa_sim_vfs_full_pathname;
  /* the rest (randomness, time, dlopen) is the real VFS's, which ignores
   * the pointer it is given */
  fail_io = (sqlite3_io_methods) {
    2, xa_sim_vfs_close, xa_sim_vfs_read, xa_sim_vfs_write, xa_sim_vfs_truncate,
    xa_sim_vfs_sync, xa_sim_vfs_file_size, xa_sim_vfs_lock, xa_sim_vfs_unlock,
    xa_sim_vfs_check_lock, xa_sim_vfs_control, xa_sim_vfs_sector_size,
    xa_sim_vfs_characteristics, xa_sim_vfs_shm_map, xa_sim_vfs_shm_lock,
    xa_sim_vfs_shm_barrier, xa_sim_vfs_shm_unmap, NULL, NULL
  };
  sqlite3_vfs_register (&fail_vfs, 1);
}

/* From now on the ledger's writes fail with @rc (SQLITE_OK: they do not). */
void
xa_sim_vfs_fail (gint rc)
{
  fail_rc = rc;
}

/* Whether the VFS was told to fail the writes. */
gboolean
xa_sim_vfs_is_failing (void)
{
  return fail_rc != SQLITE_OK;
}

/* Whether a write failed since the VFS was told to fail them. */
gboolean
xa_sim_vfs_has_failed (void)
{
  return failed;
}
