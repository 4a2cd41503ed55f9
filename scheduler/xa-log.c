/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-log.h"

/* The most verbose level emitted: warnings only, until the program that
 * links the scheduler asks for decisions; one nobody reads is never
 * formatted. */
static gint xa_log_most_verbose = G_LOG_LEVEL_WARNING;

/**
 * xa_log_set_level:
 * @most_verbose: the most verbose level to emit: G_LOG_LEVEL_DEBUG for
 *   all, G_LOG_LEVEL_WARNING (the default) for no decision
 *
 * Which decisions are formatted and handed to the log writer; a command
 * sets it once from -q and -v.
 */
void
xa_log_set_level (GLogLevelFlags most_verbose)
{
  g_atomic_int_set (&xa_log_most_verbose, (gint) most_verbose);
}

/**
 * xa_log_enabled:
 * @level: one log level
 *
 * Returns: whether a message of @level is emitted: the caller formats
 *   what goes into it only then
 */
gboolean
xa_log_enabled (GLogLevelFlags level)
{
  guint flag = (guint) (level & G_LOG_LEVEL_MASK);

  /* GLib's level flags grow with verbosity */
  return flag != 0 && flag <= (guint) g_atomic_int_get (&xa_log_most_verbose);
}

/* syslog's priority of a GLib level, as g_log_structured() gives it. */
static const gchar *
xa_log_priority (GLogLevelFlags level)
{
  if (level & G_LOG_LEVEL_ERROR)
    return "3";
  if (level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    return "4";
  if (level & G_LOG_LEVEL_MESSAGE)
    return "5";
  if (level & G_LOG_LEVEL_INFO)
    return "6";
  return "7";
}

/**
 * xa_log:
 * @level: %XA_LOG_DECIDED, %XA_LOG_NOTABLE, or a warning
 * @about: (nullable): the VM, group, batch and nodes it is about
 * @format: the message, a sentence that names what it is about
 *
 * One decision, with its fields (docs/design.md, Logging); nothing is
 * formatted unless xa_log_enabled().
 */
void
xa_log (GLogLevelFlags level, const XaLogAbout *about, const gchar *format, ...)
{
  const XaLogAbout none = { 0 };
  const XaStoreRequest *request;
  g_autofree gchar *message = NULL;
  g_autofree gchar *batch = NULL;
  g_autofree gchar *nodes = NULL;
  const gchar *group;
  GLogField fields[8];
  gsize n = 0;
  va_list args;

  if (!xa_log_enabled (level))
    return;
  about = about != NULL ? about : &none;
  request = about->request;
  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  fields[n++] = (GLogField) { "MESSAGE", message, -1 };
  fields[n++] = (GLogField) { "PRIORITY", xa_log_priority (level), -1 };
  fields[n++] = (GLogField) { "GLIB_DOMAIN", G_LOG_DOMAIN, -1 };
  if (request != NULL) {
    fields[n++] = (GLogField) { XA_LOG_FIELD_VM, request->req->name, -1 };
    fields[n++] = (GLogField) { XA_LOG_FIELD_REQUEST, request->uuid, -1 };
  }
  group = request != NULL && request->req->group != NULL ? request->req->group : about->group;
  if (group != NULL)
    fields[n++] = (GLogField) { XA_LOG_FIELD_GROUP, group, -1 };
  if (about->batch_id != 0) {
    batch = g_strdup_printf ("%" G_GINT64_FORMAT, about->batch_id);
    fields[n++] = (GLogField) { XA_LOG_FIELD_BATCH, batch, -1 };
  }
  if (about->nodes != 0) {
    nodes = xa_nodeset_format (about->nodes);
    fields[n++] = (GLogField) { XA_LOG_FIELD_NODES, nodes, -1 };
  }
  g_log_structured_array (level, fields, n);
}
