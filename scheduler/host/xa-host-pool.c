/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-host-pool.h"

/* More than the scheduler ever runs at once (--workers is at most 16). */
#define XA_HOST_POOL_THREADS 16

/*
 * Builds that block (libxenguest populates memory in the calling thread)
 * run in a thread pool; each completion goes back to the main context of
 * the thread that asked for the build, so the scheduler never sees a
 * thread.
 */
struct _XaHostPool {
  GThreadPool *threads;
  GMutex lock;
  /* XaHostJob: queued, running, or waiting for the main context */
  GPtrArray *jobs;
};

typedef struct {
  XaHost *host;
  guint32 domid;
  XaBuildSpec spec;
  XaHostBuildDone done;
  gpointer user_data;
  GMainContext *context;
  GError *error;
  /* set under the pool's lock; @cancellable stops the build itself */
  gboolean cancelled;
  GCancellable *cancellable;
  GSource *finish;
} XaHostJob;

static XaHostJob *
xa_host_job_new (XaHost *host, guint32 domid, const XaBuildSpec *spec, XaHostBuildDone done,
                 gpointer user_data)
{
  XaHostJob *job = g_new0 (XaHostJob, 1);

  job->host = host;
  job->domid = domid;
  job->spec = *spec;
  job->spec.name = g_strdup (spec->name);
  job->spec.kernel = g_strdup (spec->kernel);
  job->spec.ramdisk = g_strdup (spec->ramdisk);
  job->spec.cmdline = g_strdup (spec->cmdline);
  if (spec->mib_by_node != NULL)
    job->spec.mib_by_node = g_memdup2 (spec->mib_by_node, sizeof (guint64) * spec->n_nodes);
  job->done = done;
  job->user_data = user_data;
  job->context = g_main_context_ref_thread_default ();
  job->cancellable = g_cancellable_new ();
  return job;
}

static void
xa_host_job_free (gpointer data)
{
  XaHostJob *job = data;

  g_free ((gchar *) job->spec.name);
  g_free ((gchar *) job->spec.kernel);
  g_free ((gchar *) job->spec.ramdisk);
  g_free ((gchar *) job->spec.cmdline);
  g_free ((guint64 *) job->spec.mib_by_node);
  g_main_context_unref (job->context);
  g_object_unref (job->cancellable);
  g_clear_error (&job->error);
  if (job->finish != NULL)
    g_source_destroy (job->finish);
  g_clear_pointer (&job->finish, g_source_unref);
  g_free (job);
}

/* In the main context: the caller learns how the build went, unless the
 * domain was destroyed meanwhile (as a destroyed domain's build on the
 * simulated host never ends). */
static gboolean
xa_host_job_finish (gpointer data)
{
  XaHostJob *job = data;
  XaHostPool *pool = job->host->pool;
  gboolean cancelled;

  g_mutex_lock (&pool->lock);
  cancelled = job->cancelled;
  g_ptr_array_remove_fast (pool->jobs, job);
  g_mutex_unlock (&pool->lock);
  if (!cancelled)
    job->done (job->error, job->user_data);
  g_clear_pointer (&job->finish, g_source_unref);
  xa_host_job_free (job);
  return G_SOURCE_REMOVE;
}

/* In a pool thread. */
static void
xa_host_job_run (gpointer data, gpointer user_data)
{
  XaHostJob *job = data;
  XaHostPool *pool = user_data;

  job->host->klass->build_blocking (job->host, job->domid, &job->spec, job->cancellable,
                                    &job->error);
  g_mutex_lock (&pool->lock);
  job->finish = g_idle_source_new ();
  g_source_set_callback (job->finish, xa_host_job_finish, job, NULL);
  g_source_attach (job->finish, job->context);
  g_mutex_unlock (&pool->lock);
}

static XaHostPool *
xa_host_pool_new (GError **error)
{
  XaHostPool *pool = g_new0 (XaHostPool, 1);

  g_mutex_init (&pool->lock);
  pool->jobs = g_ptr_array_new ();
  pool->threads = g_thread_pool_new (xa_host_job_run, pool, XA_HOST_POOL_THREADS, FALSE, error);
  if (pool->threads == NULL) {
    xa_host_pool_free (pool);
    return NULL;
  }
  return pool;
}

/**
 * xa_host_pool_build:
 * @host: a host whose class builds with build_blocking
 * @domid: the domain
 * @spec: what to build; copied
 * @done: called in the current thread-default main context when the build
 *   ends, not at all if the domain is destroyed before
 * @user_data: for @done
 */
void
xa_host_pool_build (XaHost *host, guint32 domid, const XaBuildSpec *spec, XaHostBuildDone done,
                    gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  XaHostJob *job;

  if (host->pool == NULL && (host->pool = xa_host_pool_new (&error)) == NULL) {
    done (error, user_data);
    return;
  }
  job = xa_host_job_new (host, domid, spec, done, user_data);
  g_mutex_lock (&host->pool->lock);
  g_ptr_array_add (host->pool->jobs, job);
  g_mutex_unlock (&host->pool->lock);
  g_thread_pool_push (host->pool->threads, job, NULL);
}

/**
 * xa_host_pool_cancel:
 * @host: a host
 * @domid: a domain being destroyed
 *
 * Its build, if one is under way, is stopped, and ends without a word to
 * its caller.
 */
void
xa_host_pool_cancel (XaHost *host, guint32 domid)
{
  if (host->pool == NULL)
    return;
  g_mutex_lock (&host->pool->lock);
  for (guint i = 0; i < host->pool->jobs->len; i++) {
    XaHostJob *job = g_ptr_array_index (host->pool->jobs, i);

    if (job->domid == domid) {
      job->cancelled = TRUE;
      g_cancellable_cancel (job->cancellable);
    }
  }
  g_mutex_unlock (&host->pool->lock);
}

/**
 * xa_host_pool_free:
 * @pool: (nullable): a pool
 *
 * Waits for the builds under way; those not begun never run, and no
 * completion is delivered any more.
 */
void
xa_host_pool_free (XaHostPool *pool)
{
  if (pool == NULL)
    return;
  if (pool->threads != NULL)
    g_thread_pool_free (pool->threads, TRUE, TRUE);
  for (guint i = 0; i < pool->jobs->len; i++)
    xa_host_job_free (g_ptr_array_index (pool->jobs, i));
  g_ptr_array_unref (pool->jobs);
  g_mutex_clear (&pool->lock);
  g_free (pool);
}
