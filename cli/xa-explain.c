/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-cli.h"
#include "xa-error.h"
#include "xa-explain.h"
#include "xa-queue.h"
#include "xa-text.h"

/*
 * `xadmit explain ID|NAME`: why a VM went where it went, or why it still
 * waits, in sentences, from what the ledger recorded at each decision
 * (docs/design.md, "Explaining a decision"). Nothing is recomputed but the
 * waiting request's aged priority and the memory the nodes have now.
 */

typedef struct {
  XaQueue *queue;
  XaStoreRequest *request;
  XaStoreVmRow *vm;
  XaStoreWhy why;
  gboolean has_why;
  GPtrArray *events;
  GString *out;
} XaExplain;

static void
xa_explain_clear (XaExplain *self)
{
  g_clear_pointer (&self->queue, xa_queue_free);
  g_clear_pointer (&self->request, xa_store_request_free);
  g_clear_pointer (&self->vm, xa_store_vm_row_free);
  xa_store_why_clear (&self->why);
  g_clear_pointer (&self->events, g_ptr_array_unref);
  if (self->out != NULL)
    g_string_free (g_steal_pointer (&self->out), TRUE);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (XaExplain, xa_explain_clear)

/* "12:01:07" in local time, the day too where it is not today's. */
static gchar *
xa_explain_clock (gint64 wall_us)
{
  g_autoptr(GDateTime) at = g_date_time_new_from_unix_local (wall_us / G_USEC_PER_SEC);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();

  if (at == NULL)
    return g_strdup ("?");
  if (g_date_time_get_day_of_year (at) == g_date_time_get_day_of_year (now) &&
      g_date_time_get_year (at) == g_date_time_get_year (now))
    return g_date_time_format (at, "%H:%M:%S");
  return g_date_time_format (at, "%Y-%m-%d %H:%M:%S");
}

/* "2048 on node 0 + 1024 on node 1" */
static gchar *
xa_explain_mib (const guint64 *mib, guint n_nodes)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint n = 0; n < n_nodes; n++) {
    if (mib[n] > 0)
      g_string_append_printf (text, "%s%" G_GUINT64_FORMAT " MiB on node %u",
                              text->len > 0 ? " + " : "", mib[n], n);
  }
  return g_string_free (g_steal_pointer (&text), text->len == 0);
}

static void
xa_explain_headline (XaExplain *self)
{
  const XaRequest *req = self->request->req;
  const gchar *state = xa_request_state_to_string (self->request->state);

  g_string_append_printf (self->out, "%s (request %s%s%s): %s.\n", req->name,
                          self->request->uuid, req->group != NULL ? ", group " : "",
                          req->group != NULL ? req->group : "", state);
  g_string_append_printf (self->out, "  It asks %" G_GUINT64_FORMAT " MiB and %u vCPU%s, "
                          "priority %d.\n", req->memory_mib, req->vcpus,
                          req->vcpus == 1 ? "" : "s", req->priority);
}

/* Why the runner-up lost: a looser fit, or, where it was the tighter
 * one, the batch's later passes (vCPUs per core, room for the VMs placed
 * after it) moved the VM. */
static void
xa_explain_runner_up (XaExplain *self)
{
  const XaPlanWhy *why = &self->why.why;
  guint64 there = why->runner_up_left_mib - why->need_mib;

  if (why->runner_up < 0) {
    g_string_append (self->out, "  No other node of its could have held it.\n");
    return;
  }
  g_string_append_printf (self->out, "  The runner-up was node %d, with %" G_GUINT64_FORMAT
                          " MiB left after the batch; ", why->runner_up,
                          why->runner_up_left_mib);
  if (there > why->left_mib)
    g_string_append_printf (self->out, "it lost as the looser fit (%" G_GUINT64_FORMAT " MiB "
                            "would have been left there): the tightest fit keeps the larger "
                            "holes for larger VMs.\n", there);
  else
    g_string_append_printf (self->out, "it was the tighter fit (%" G_GUINT64_FORMAT " MiB "
                            "would have been left there), but the batch's later passes, "
                            "which spread vCPUs over cores and make room for the batch's "
                            "other VMs, chose otherwise.\n", there);
}

/* Where the planner put it, and on what that rested. */
static void
xa_explain_placement (XaExplain *self)
{
  const XaPlanWhy *why = &self->why.why;
  guint n_nodes = self->queue->info->n_nodes;
  g_autofree gchar *when = xa_explain_clock (self->why.at.wall_us);
  g_autofree gchar *nodes = xa_nodeset_format (self->vm->planned_nodes);
  g_autofree gchar *planned = xa_explain_mib (self->vm->planned_mib, n_nodes);
  gboolean split = xa_nodeset_count (self->vm->planned_nodes) > 1;

  if (split)
    g_string_append_printf (self->out, "  Batch %" G_GINT64_FORMAT " (%s, %s) split it over nodes "
                            "%s: %s, of the %" G_GUINT64_FORMAT " MiB it needs with Xen's "
                            "overhead; %" G_GUINT64_FORMAT " MiB were left there after the "
                            "batch.\n", self->why.batch_id, self->why.policy, when, nodes,
                            planned != NULL ? planned : "nothing", why->need_mib, why->left_mib);
  else
    g_string_append_printf (self->out, "  Batch %" G_GINT64_FORMAT " (%s, %s) placed it on node "
                            "%s, all %" G_GUINT64_FORMAT " MiB it needs with Xen's overhead; %"
                            G_GUINT64_FORMAT " MiB were left there after the batch.\n",
                            self->why.batch_id, self->why.policy, when, nodes, why->need_mib,
                            why->left_mib);
  if (split)
    g_string_append_printf (self->out, "  No node could hold all of it: the most one of its "
                            "nodes had for it was %" G_GUINT64_FORMAT " MiB (node %u).\n",
                            why->widest_mib, why->widest_node);
  else
    xa_explain_runner_up (self);
}

/* The built domain's memory against its plan. */
static void
xa_explain_actual (XaExplain *self)
{
  guint n_nodes = self->queue->info->n_nodes;
  g_autofree gchar *actual = xa_explain_mib (self->vm->actual_mib, n_nodes);

  if (actual == NULL)
    return;
  if (self->vm->spilled_mib > 0)
    g_string_append_printf (self->out, "  Built: %s; %" G_GUINT64_FORMAT " MiB of it spilled "
                            "outside its planned nodes.\n", actual, self->vm->spilled_mib);
  else
    g_string_append_printf (self->out, "  Built: %s, as planned.\n", actual);
}

/* What its nodes have for it now, as status shows them, and what the
 * builds in flight hold. */
static void
xa_explain_now (XaExplain *self, GError **error)
{
  g_auto(XaQueueAdmitter) admitter = { 0 };
  g_autoptr(GArray) nodes = NULL;
  const XaRequest *req = self->request->req;
  const XaStoreNodeStatus *best = NULL;
  guint64 claimed = 0;
  guint64 all = 0;
  gint aged;

  xa_queue_probe_admitter (self->queue->db_path, &admitter);
  if ((nodes = xa_queue_nodes (self->queue, admitter.running, error)) == NULL)
    return;
  for (guint i = 0; i < nodes->len; i++) {
    const XaStoreNodeStatus *node = &g_array_index (nodes, XaStoreNodeStatus, i);

    if (req->nodes != 0 && !xa_nodeset_has (req->nodes, node->node))
      continue;
    claimed += node->claimed_mib;
    all += node->available_mib;
    if (best == NULL || node->available_mib > best->available_mib)
      best = node;
  }
  if (best == NULL)
    return;
  /* a user who may not read the host sees the ledger's record of it */
  if (self->queue->host == NULL) {
    g_autofree gchar *seen = xa_explain_clock (best->seen.wall_us);

    g_string_append_printf (self->out, "  When the ledger last recorded the host (%s), its "
                            "nodes had", seen);
  } else {
    g_string_append (self->out, "  Now its nodes have");
  }
  g_string_append_printf (self->out, " %" G_GUINT64_FORMAT " MiB available, the largest hole %"
                          G_GUINT64_FORMAT " MiB on node %u", all, best->available_mib,
                          best->node);
  if (claimed > 0)
    g_string_append_printf (self->out, "; the builds in flight have %" G_GUINT64_FORMAT " MiB "
                            "more to take there and free nothing", claimed);
  aged = xa_request_effective_priority (req, best->seen.host_s);
  g_string_append_printf (self->out, ".\n  Its priority is %d", req->priority);
  if (aged != req->priority)
    g_string_append_printf (self->out, ", %d with its wait (one level more a second on the "
                            "host's clock)", aged);
  g_string_append (self->out, ".\n");
}

static void
xa_explain_waiting (XaExplain *self, GError **error)
{
  g_autofree gchar *since = xa_explain_clock (self->request->queued.wall_us);

  g_string_append_printf (self->out, "  It waits since %s, deferred by %u batch%s: %s.\n",
                          since, self->request->deferrals,
                          self->request->deferrals == 1 ? "" : "es",
                          self->request->reason != NULL ? self->request->reason
                                                        : "no batch has taken it yet");
  xa_explain_now (self, error);
}

static void
xa_explain_history (XaExplain *self)
{
  g_string_append (self->out, "History:\n");
  for (guint i = 0; i < self->events->len; i++) {
    const XaStoreEvent *event = g_ptr_array_index (self->events, i);
    g_autofree gchar *when = xa_explain_clock (event->at.wall_us);

    g_string_append_printf (self->out, "  %s  %s", when, event->to);
    if (event->batch_id != 0)
      g_string_append_printf (self->out, " (batch %" G_GINT64_FORMAT ")", event->batch_id);
    if (event->reason != NULL)
      g_string_append_printf (self->out, ": %s", event->reason);
    g_string_append_c (self->out, '\n');
  }
}

/* A decision xenopsd's way made, which records no runner-up: it takes the
 * node with the most free memory less claims, alone, at its own moment. */
static void
xa_explain_decision (XaExplain *self)
{
  g_autofree gchar *nodes = NULL;

  if (self->has_why) {
    xa_explain_placement (self);
    return;
  }
  if (self->vm->planned_nodes == 0)
    return;
  nodes = xa_nodeset_format (self->vm->planned_nodes);
  g_string_append_printf (self->out, "  It was placed on node%s %s, by a policy that records "
                          "no runner-up (xenopsd's way picks alone, at its own moment).\n",
                          xa_nodeset_count (self->vm->planned_nodes) == 1 ? "" : "s", nodes);
}

static void
xa_explain_state (XaExplain *self, GError **error)
{
  switch (self->request->state) {
  case XA_REQUEST_QUEUED:
    xa_explain_waiting (self, error);
    break;
  case XA_REQUEST_PLANNED:
  case XA_REQUEST_BUILDING:
    xa_explain_decision (self);
    break;
  case XA_REQUEST_RUNNING:
  case XA_REQUEST_ENDED:
    xa_explain_decision (self);
    xa_explain_actual (self);
    break;
  case XA_REQUEST_FAILED:
  case XA_REQUEST_REJECTED:
  case XA_REQUEST_CANCELLED:
  default:
    xa_explain_decision (self);
    break;
  }
  if (self->request->reason != NULL && self->request->state != XA_REQUEST_QUEUED)
    g_string_append_printf (self->out, "  Why: %s.\n", self->request->reason);
}

static gboolean
xa_explain_read (XaExplain *self, const XaOptions *opts, const gchar *db_path,
                 const gchar *id_or_name, GError **error)
{
  self->queue = xa_queue_open (opts, db_path, XA_QUEUE_READ, error);
  if (self->queue == NULL ||
      (self->request = xa_queue_find (self->queue, id_or_name, error)) == NULL ||
      (self->vm = xa_store_get_vm (self->queue->store, self->request->id,
                                   self->queue->info->n_nodes, error)) == NULL ||
      !xa_store_get_why (self->queue->store, self->request->id, &self->why, &self->has_why,
                         error))
    return FALSE;
  self->events = xa_store_list_events (self->queue->store, self->request->id, error);
  return self->events != NULL;
}

static GOptionContext *
xa_explain_option_context (XaOptions *opts, gchar **db_path)
{
  const GOptionEntry entries[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, db_path, XA_QUEUE_DB_HELP, "PATH" },
    G_OPTION_ENTRY_NULL
  };

  return xa_cli_option_context_new (
    "ID|NAME - say why a VM went where it went, or why it still waits",
    "From what the ledger recorded at each decision: the batch that placed the\n"
    "VM, what it needed with Xen's overhead, what its nodes had left, the\n"
    "runner-up node and why it lost (or, for a split VM, why no node could hold\n"
    "it); for a waiting VM, why the last batch deferred it and the largest hole\n"
    "for it now; then its history. A NAME is the newest request of that name.\n"
    "Nothing is written.",
    opts, TRUE, entries);
}

int
xa_explain_main (int argc, char **argv)
{
  g_auto(XaOptions) opts = { 0 };
  g_autofree gchar *db_path = NULL;
  g_autoptr(GOptionContext) ctx = xa_explain_option_context (&opts, &db_path);
  g_autoptr(GError) error = NULL;
  g_auto(XaExplain) self = { 0 };

  if (!xa_cli_parse_options (ctx, &opts, &argc, &argv, &error) ||
      !xa_cli_check_path ("--db", db_path, &error))
    return xa_cli_fail ("explain", error);
  if (argc != 2) {
    g_set_error_literal (&error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                         "one ID or NAME, please (see xadmit explain --help)");
    return xa_cli_fail ("explain", error);
  }
  self.out = g_string_new (NULL);
  if (!xa_explain_read (&self, &opts, db_path, argv[1], &error))
    return xa_cli_fail ("explain", error);
  xa_explain_headline (&self);
  xa_explain_state (&self, &error);
  if (error != NULL)
    return xa_cli_fail ("explain", error);
  xa_explain_history (&self);
  g_print ("%s", self.out->str);
  return XA_EXIT_OK;
}
