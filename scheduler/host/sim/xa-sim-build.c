/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "xa-sim-alloc.h"
#include "xa-sim-build.h"
#include "xa-sim-state.h"

/* Builds and their timing: each populates its memory chunk by chunk on the
 * virtual clock, at the populate rate or a share of the host's bandwidth,
 * slower where it must scrub dirty memory. */

/* A build's time advances per chunk, one xenguest batch (512 superpages
 * of 2 MiB); the allocator places each chunk at once. */
#define XA_SIM_CHUNK_MIB G_GUINT64_CONSTANT (1024)
/* The seed makes each chunk up to this much more work, never less. */
#define XA_SIM_JITTER 0.05

/* A build in flight: the chunk it populates and the work left in it, in
 * MiB at the full populate rate (dirty pages count extra: scrubbing). */
struct _XaSimBuild {
  XaSimHost *host;
  guint32 domid;
  guint64 left_mib;
  guint64 *exact_mib;
  gdouble work_mib;
  gdouble rate_mib_per_s;
  gdouble updated_s;
  guint64 event;
  /* a hung build's, for its error */
  guint timeout_ms;
  XaHostBuildDone done;
  gpointer user_data;
};

/* Each build populates at the full rate unless the builds together would
 * exceed the host's bandwidth; then they share it. */
static gdouble
xa_sim_build_rate (XaSimHost *self)
{
  gdouble share = (gdouble) self->info->bandwidth_mib_per_s / MAX (self->builds->len, 1u);

  return MIN ((gdouble) self->info->populate_mib_per_s, share);
}

static void xa_sim_build_chunk_done (gpointer data);

/* Takes what each build did since its last update off its work, then sets
 * when its chunk ends at the rate it now has: only where the rate changed,
 * or the chunk is new. */
static void
xa_sim_build_retime (XaSimHost *self)
{
  gdouble now = xa_sim_host_now (self);
  gdouble rate = xa_sim_build_rate (self);

  for (guint i = 0; i < self->builds->len; i++) {
    XaSimBuild *build = g_ptr_array_index (self->builds, i);

    if (build->event != 0 && build->rate_mib_per_s == rate)
      continue;
    build->work_mib = MAX (build->work_mib - (now - build->updated_s) * build->rate_mib_per_s, 0);
    build->rate_mib_per_s = rate;
    build->updated_s = now;
    xa_clock_cancel (self->parent.clock, build->event);
    build->event = xa_clock_add (self->parent.clock, now + build->work_mib / rate,
                                 xa_sim_build_chunk_done, build);
  }
}

void
xa_sim_build_free (XaSimBuild *build)
{
  g_free (build->exact_mib);
  g_free (build);
}

static void
xa_sim_build_end (XaSimBuild *build, const GError *error)
{
  XaSimHost *self = build->host;
  XaSimDomain *sd = g_hash_table_lookup (self->domains, GUINT_TO_POINTER (build->domid));
  XaHostBuildDone done = build->done;
  gpointer user_data = build->user_data;

  sd->build = NULL;
  sd->domain->unfinished = error != NULL;
  g_ptr_array_remove (self->builds, build);
  xa_sim_build_free (build);
  xa_sim_build_retime (self);
  xa_sim_state_changed (self);
  done (error, user_data);
}

/* Allocates the next chunk now and sets the work it takes. */
static gboolean
xa_sim_build_next_chunk (XaSimBuild *build, GError **error)
{
  XaSimHost *self = build->host;
  XaSimDomain *sd = g_hash_table_lookup (self->domains, GUINT_TO_POINTER (build->domid));
  guint64 chunk = MIN (build->left_mib, XA_SIM_CHUNK_MIB);
  gint64 dirty = xa_sim_alloc_populate (self, sd, build->exact_mib, chunk, error);
  gdouble jitter = 1.0 + g_rand_double (self->rand) * XA_SIM_JITTER;

  if (dirty < 0)
    return FALSE;
  build->left_mib -= chunk;
  build->updated_s = xa_sim_host_now (self);
  build->work_mib = (gdouble) chunk * jitter +
                    (gdouble) dirty * (gdouble) self->info->populate_mib_per_s /
                    (gdouble) self->info->scrub_mib_per_s;
  xa_sim_state_changed (self);
  return TRUE;
}

static void
xa_sim_build_chunk_done (gpointer data)
{
  XaSimBuild *build = data;
  g_autoptr(GError) error = NULL;

  build->event = 0;
  if (build->left_mib == 0) {
    xa_sim_build_end (build, NULL);
    return;
  }
  if (!xa_sim_build_next_chunk (build, &error)) {
    xa_sim_build_end (build, error);
    return;
  }
  xa_sim_build_retime (build->host);
}

typedef struct {
  XaHostBuildDone done;
  gpointer user_data;
  GError *error;
} XaSimLateFailure;

static void
xa_sim_build_report_failure (gpointer data)
{
  XaSimLateFailure *failure = data;

  failure->done (failure->error, failure->user_data);
  g_error_free (failure->error);
  g_free (failure);
}

/* A build that cannot start still ends through its callback, later. */
static void
xa_sim_build_fail_later (XaSimHost *self, GError *error, XaHostBuildDone done, gpointer user_data)
{
  XaSimLateFailure *failure = g_new (XaSimLateFailure, 1);

  *failure = (XaSimLateFailure) { done, user_data, error };
  xa_clock_add (self->parent.clock, xa_sim_host_now (self), xa_sim_build_report_failure, failure);
}

/* Whether the host file's faults have a @kind fault for this build. */
static gboolean
xa_sim_build_has_fault (XaSimHost *self, XaSimFaultKind kind, const XaBuildSpec *spec)
{
  for (guint i = 0; i < self->faults->len; i++) {
    const XaSimFault *fault = g_ptr_array_index (self->faults, i);

    if (fault->kind == kind && g_strcmp0 (fault->vm, spec->name) == 0 &&
        fault->attempt == spec->attempt)
      return TRUE;
  }
  return FALSE;
}

static gboolean
xa_sim_build_fault (XaSimHost *self, const XaBuildSpec *spec, GError **error)
{
  if (!xa_sim_build_has_fault (self, XA_SIM_FAULT_BUILD_FAILS, spec))
    return TRUE;
  return xa_host_fail (error, EIO, "xenguest", "the build of %s fails on attempt %u, as the "
                       "host file's faults say", spec->name, spec->attempt);
}

/* A hung build is killed at its timeout, as the Xen backend kills its
 * helper; its domain keeps what its first chunk took until destroyed. */
static void
xa_sim_build_timed_out (gpointer data)
{
  XaSimBuild *build = data;
  g_autoptr(GError) error = NULL;
  guint timeout_ms = build->timeout_ms;

  build->event = 0;
  xa_host_fail (&error, ETIMEDOUT, "xenguest", "no answer within %u ms, so it was killed",
                timeout_ms);
  xa_sim_build_end (build, error);
}

/* Its first chunk populated, a build its faults hang waits for its
 * timeout, off the shared bandwidth. */
static void
xa_sim_build_hang (XaSimHost *self, XaSimBuild *build, const XaBuildSpec *spec)
{
  build->timeout_ms = xa_host_build_timeout_ms (spec->memory_mib);
  build->event = xa_clock_add (self->parent.clock,
                               xa_sim_host_now (self) + build->timeout_ms / 1000.0,
                               xa_sim_build_timed_out, build);
}

static XaSimBuild *
xa_sim_build_new (XaSimHost *self, const XaSimDomain *sd, const XaBuildSpec *spec)
{
  XaSimBuild *build = g_new0 (XaSimBuild, 1);

  build->host = self;
  build->domid = sd->domain->domid;
  /* Xen's per-domain overhead comes with the memory, from the same nodes;
   * charged here as Xen charges it, not by the planner's xa_mem_need_mib,
   * which the simulator grades */
  if (spec->mib_by_node == NULL) {
    build->left_mib = spec->memory_mib + self->info->overhead_mib_per_vm +
                      (sd->domain->vcpus * self->info->overhead_kib_per_vcpu + 1023) / 1024;
    return build;
  }
  build->exact_mib = g_memdup2 (spec->mib_by_node, sizeof (guint64) * self->info->n_nodes);
  for (guint n = 0; n < self->info->n_nodes; n++)
    build->left_mib += spec->mib_by_node[n];
  return build;
}

/* The xenguest step: populates the domain's memory over time, then calls
 * @done; a build that cannot start calls it too, through the clock. */
void
xa_sim_build_start (XaHost *host, guint32 domid, const XaBuildSpec *spec, XaHostBuildDone done,
                    gpointer user_data)
{
  XaSimHost *self = (XaSimHost *) host;
  GError *error = NULL;
  XaSimDomain *sd;
  XaSimBuild *build;

  if (!xa_sim_host_call (self, "build", &error) || !xa_sim_build_fault (self, spec, &error) ||
      (sd = xa_sim_host_domain (self, domid, "build", &error)) == NULL) {
    xa_sim_build_fail_later (self, error, done, user_data);
    return;
  }
  build = xa_sim_build_new (self, sd, spec);
  build->done = done;
  build->user_data = user_data;
  if (!xa_sim_build_next_chunk (build, &error)) {
    xa_sim_build_free (build);
    xa_sim_build_fail_later (self, error, done, user_data);
    return;
  }
  sd->build = build;
  if (xa_sim_build_has_fault (self, XA_SIM_FAULT_BUILD_HANGS, spec)) {
    xa_sim_build_hang (self, build, spec);
    return;
  }
  g_ptr_array_add (self->builds, build);
  xa_sim_build_retime (self);
}

/* A build in flight stops at once, without calling back: the caller who
 * destroys the domain knows. */
void
xa_sim_build_cancel (XaSimHost *self, XaSimDomain *sd)
{
  if (sd->build == NULL)
    return;
  xa_clock_cancel (self->parent.clock, sd->build->event);
  g_ptr_array_remove (self->builds, sd->build);
  g_clear_pointer (&sd->build, xa_sim_build_free);
  xa_sim_build_retime (self);
}
