/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "xa-host-backend.h"
#include "xa-xenguest-run.h"

/*
 * The xenguest step of a build runs in a process of its own, one per build,
 * as xenopsd runs its xenguest: a crash or hang in libxenguest kills the
 * helper, not the scheduler. The runner blocks, for the Xen backend's
 * build_blocking (in a thread of xa-host-pool.c), which makes hypercalls
 * that block too before it (event channels) and after it (xenstore,
 * introduce); a main context of its own waits for the helper, its timeout
 * and a stop (docs/design.md, "The xenguest helper").
 */

/**
 * xa_xenguest_run_helper:
 *
 * Returns: the helper program: $XADMIT_XENGUEST (the tests' stub), else
 *   the one installed in libexecdir
 */
const gchar *
xa_xenguest_run_helper (void)
{
  const gchar *helper = g_getenv ("XADMIT_XENGUEST");

  return helper != NULL ? helper : XA_XENGUEST_PATH;
}

typedef struct {
  GBytes *out;
  GBytes *err;
  GError *error;
  gboolean done;
  gboolean timed_out;
  GCancellable *stop;
} XaXenguestRun;

static void
xa_xenguest_run_communicated (GObject *source, GAsyncResult *result, gpointer user_data)
{
  XaXenguestRun *run = user_data;

  g_subprocess_communicate_finish (G_SUBPROCESS (source), result, &run->out, &run->err,
                                   &run->error);
  run->done = TRUE;
}

static gboolean
xa_xenguest_run_timed_out (gpointer user_data)
{
  XaXenguestRun *run = user_data;

  run->timed_out = TRUE;
  g_cancellable_cancel (run->stop);
  return G_SOURCE_REMOVE;
}

/* In the caller's thread (a stop from the main loop comes from another). */
static void
xa_xenguest_run_stopped (GCancellable *cancellable, gpointer user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

static void
xa_xenguest_run_clear (XaXenguestRun *run)
{
  g_clear_pointer (&run->out, g_bytes_unref);
  g_clear_pointer (&run->err, g_bytes_unref);
  g_clear_error (&run->error);
  g_clear_object (&run->stop);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (XaXenguestRun, xa_xenguest_run_clear)

/* Until the helper has answered and exited; at the timeout or a stop it is
 * killed and reaped. */
static void
xa_xenguest_run_wait (GSubprocess *proc, guint timeout_ms, GCancellable *cancellable,
                      XaXenguestRun *run)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GSource) timeout = g_timeout_source_new (timeout_ms);
  /* the helper reads nothing: its stdin is at its end at once */
  g_autoptr(GBytes) no_input = g_bytes_new_static ("", 0);
  gulong handler = 0;

  g_main_context_push_thread_default (context);
  run->stop = g_cancellable_new ();
  if (cancellable != NULL)
    handler = g_cancellable_connect (cancellable, G_CALLBACK (xa_xenguest_run_stopped),
                                     run->stop, NULL);
  g_source_set_callback (timeout, xa_xenguest_run_timed_out, run, NULL);
  g_source_attach (timeout, context);
  g_subprocess_communicate_async (proc, no_input, run->stop, xa_xenguest_run_communicated, run);
  while (!run->done)
    g_main_context_iteration (context, TRUE);
  g_source_destroy (timeout);
  g_cancellable_disconnect (cancellable, handler);
  if (run->error != NULL) {
    g_subprocess_force_exit (proc);
    g_subprocess_wait (proc, NULL, NULL);
  }
  /* what communicate left in flight after its first error */
  while (g_main_context_pending (context))
    g_main_context_iteration (context, FALSE);
  g_main_context_pop_thread_default (context);
}

/* The helper's stderr (libxenguest's log) goes to the debug log. */
static void
xa_xenguest_run_log (guint32 domid, GBytes *err)
{
  g_autofree gchar *text = NULL;
  g_auto(GStrv) lines = NULL;

  if (err == NULL || g_bytes_get_size (err) == 0)
    return;
  text = g_strndup (g_bytes_get_data (err, NULL), g_bytes_get_size (err));
  lines = g_strsplit (g_strchomp (text), "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    g_debug (XA_XENGUEST_PROTO_NAME " (domain %u): %s", domid, lines[i]);
}

/* Its answer, once it has exited by itself. */
static gboolean
xa_xenguest_run_answer (GSubprocess *proc, GBytes *out, XaXenguestReply *out_reply,
                        GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autofree gchar *sentence = NULL;
  gint status = g_subprocess_get_exit_status (proc);
  gint errsv = 0;
  gsize len = 0;
  const gchar *data = g_bytes_get_data (out, &len);

  if (!xa_xenguest_proto_parse_reply (data, len, out_reply, &errsv, &sentence, &local))
    return xa_host_fail (error, EPROTO, XA_XENGUEST_PROTO_NAME, "exited with status %d, %s",
                         status, local->message);
  if (errsv != 0)
    return xa_host_fail (error, errsv, XA_XENGUEST_PROTO_NAME, "%s", sentence);
  if (status != 0)
    return xa_host_fail (error, EPROTO, XA_XENGUEST_PROTO_NAME,
                         "answered ok but exited with status %d", status);
  return TRUE;
}

/* An answer read in full wins over a timeout or a stop that came with it. */
static gboolean
xa_xenguest_run_outcome (GSubprocess *proc, const XaXenguestRun *run, guint timeout_ms,
                         XaXenguestReply *out_reply, GError **error)
{
  gint sig;

  if (run->error != NULL && run->timed_out)
    return xa_host_fail (error, ETIMEDOUT, XA_XENGUEST_PROTO_NAME,
                         "no answer within %u ms, so it was killed", timeout_ms);
  if (g_error_matches (run->error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return xa_host_fail (error, ECANCELED, XA_XENGUEST_PROTO_NAME,
                         "the build was stopped, so it was killed");
  if (run->error != NULL)
    return xa_host_fail (error, EIO, XA_XENGUEST_PROTO_NAME, "cannot read its answer: %s",
                         run->error->message);
  if (g_subprocess_get_if_signaled (proc)) {
    sig = g_subprocess_get_term_sig (proc);
    return xa_host_fail (error, EIO, XA_XENGUEST_PROTO_NAME,
                         "killed by signal %d (%s) before it answered", sig, g_strsignal (sig));
  }
  return xa_xenguest_run_answer (proc, run->out, out_reply, error);
}

/* A helper that cannot start: not installed, or not executable. */
static gboolean
xa_xenguest_run_spawn_failed (const GError *spawn_error, GError **error)
{
  gint errsv = EIO;

  if (g_error_matches (spawn_error, G_SPAWN_ERROR, G_SPAWN_ERROR_NOENT))
    errsv = ENOENT;
  else if (g_error_matches (spawn_error, G_SPAWN_ERROR, G_SPAWN_ERROR_ACCES))
    errsv = EACCES;
  g_set_error (error, XA_HOST_ERROR, errsv, XA_XENGUEST_PROTO_NAME
               ": cannot start the build helper: %s", spawn_error->message);
  return FALSE;
}

/**
 * xa_xenguest_run:
 * @helper: the helper program (xa_xenguest_run_helper())
 * @args: the build
 * @timeout_ms: how long it may take (xa_host_build_timeout_ms()); then
 *   the helper is killed
 * @cancellable: (nullable): a stop, from any thread, kills the helper
 * @out_reply: (out): what the build gave
 * @error: a #GError in %XA_HOST_ERROR: the errno the helper reported, with
 *   its sentence; ETIMEDOUT, ECANCELED; ENOENT or EACCES when it cannot
 *   start; EIO when it died of a signal; EPROTO when its answer is not the
 *   protocol's
 *
 * Runs the helper for one build and waits for its answer, blocking.
 *
 * Returns: whether the domain is built
 */
gboolean
xa_xenguest_run (const gchar *helper, const XaXenguestArgs *args, guint timeout_ms,
                 GCancellable *cancellable, XaXenguestReply *out_reply, GError **error)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (
    G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
    G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_auto(GStrv) argv = xa_xenguest_proto_argv (helper, args);
  g_auto(XaXenguestRun) run = { NULL };
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) spawn_error = NULL;

  proc = g_subprocess_launcher_spawnv (launcher, (const gchar * const *) argv, &spawn_error);
  if (proc == NULL)
    return xa_xenguest_run_spawn_failed (spawn_error, error);
  xa_xenguest_run_wait (proc, timeout_ms, cancellable, &run);
  xa_xenguest_run_log (args->domid, run.err);
  return xa_xenguest_run_outcome (proc, &run, timeout_ms, out_reply, error);
}
