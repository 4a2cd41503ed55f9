/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "xa-log-writer.h"
#include "xa-log.h"

/* stderr is the journal's stream: chosen once, at install */
static gboolean xa_log_writer_journal;

/* systemd.exec(5): $JOURNAL_STREAM is "DEVICE:INODE" of the stream it
 * connected stdout and stderr to. */
static gboolean
xa_log_writer_is_journal_stream (gint fd)
{
  const gchar *stream = g_getenv ("JOURNAL_STREAM");
  const gchar *colon = stream != NULL ? strchr (stream, ':') : NULL;
  struct stat st;

  if (colon == NULL || fstat (fd, &st) < 0)
    return FALSE;
  return g_ascii_strtoull (stream, NULL, 10) == (guint64) st.st_dev &&
         g_ascii_strtoull (colon + 1, NULL, 10) == (guint64) st.st_ino;
}

/**
 * xa_log_writer_wants_journal:
 * @fd: where messages would go as lines
 *
 * Returns: whether @fd is a stream systemd connected to the journal, so
 *   that the fields of each message go to journald instead: as
 *   $JOURNAL_STREAM says, or as GLib finds from the socket's peer
 */
gboolean
xa_log_writer_wants_journal (gint fd)
{
  return xa_log_writer_is_journal_stream (fd) || g_log_writer_is_journald (fd);
}

/* Every message of every layer, at the level asked (xa_log_set_level()):
 * its fields to journald, or its MESSAGE as one line named by the command,
 * "xadmit daemon: db-01: planned on node 1 (4096 MiB) in batch 3"; the
 * lines too when journald cannot be reached. A warning is GLib's, which
 * G_DEBUG=fatal-warnings makes fatal under the tests. */
static GLogWriterOutput
xa_log_writer_write (GLogLevelFlags level, const GLogField *fields, gsize n_fields,
                     gpointer user_data)
{
  if (!xa_log_enabled (level))
    return G_LOG_WRITER_HANDLED;
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    return g_log_writer_default (level, fields, n_fields, user_data);
  if (xa_log_writer_journal &&
      g_log_writer_journald (level, fields, n_fields, user_data) == G_LOG_WRITER_HANDLED)
    return G_LOG_WRITER_HANDLED;
  for (gsize i = 0; i < n_fields; i++) {
    if (g_str_equal (fields[i].key, "MESSAGE")) {
      g_printerr ("%s: %s\n", g_get_prgname (), (const gchar *) fields[i].value);
      break;
    }
  }
  return G_LOG_WRITER_HANDLED;
}

/**
 * xa_log_writer_install:
 *
 * Sends every log message of the process through xadmit's writer; once
 * per process (GLib takes one writer), before the first message.
 */
void
xa_log_writer_install (void)
{
  static gsize installed;

  if (!g_once_init_enter (&installed))
    return;
  xa_log_writer_journal = xa_log_writer_wants_journal (fileno (stderr));
  g_log_set_writer_func (xa_log_writer_write, NULL, NULL);
  g_once_init_leave (&installed, 1);
}

/**
 * xa_log_writer_level:
 * @verbose: -v: everything, the layers' debug messages too
 * @quiet: -q: warnings only
 * @usual: the command's level otherwise: %XA_LOG_DECIDED for the daemon,
 *   whose decisions are its log; %G_LOG_LEVEL_WARNING for the others,
 *   which print their results
 *
 * Returns: the most verbose level to log, for xa_log_set_level()
 */
GLogLevelFlags
xa_log_writer_level (gboolean verbose, gboolean quiet, GLogLevelFlags usual)
{
  if (verbose)
    return G_LOG_LEVEL_DEBUG;
  return quiet ? G_LOG_LEVEL_WARNING : usual;
}
