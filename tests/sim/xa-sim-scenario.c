/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One seed's host, workload and faults, drawn from the seed alone. */
#include <sqlite3.h>

#include "xa-sim-scenario.h"

#define MiB_PER_GiB 1024

static const guint64 node_gib[] = { 8, 16, 16, 32, 64 };
static const guint node_counts[] = { 1, 2, 2, 3, 4, 4, 6, 8, 8, 16 };
/* the host calls a fault breaks; "snapshot" is left out, as the driver
 * itself looks at the host after every event */
static const gchar *const fault_calls[] = {
  "create_domain", "max_vcpus", "max_mem", "vcpu_affinity", "node_affinity", "claim_pages",
  "build", "unpause", "destroy",
};
static const gchar *const fault_errnos[] = { "EIO", "ENOMEM", "EBUSY", "ESRCH" };

/* What the host file says of its nodes, kept to draw the workload. */
typedef struct {
  guint64 memory_mib[16];
  guint cpus[16];
} XaSimNodes;

static void
xa_sim_vm_free (gpointer data)
{
  XaSimVm *vm = data;

  xa_request_free (vm->req);
  g_free (vm);
}

static XaSimScenario *
xa_sim_scenario_alloc (void)
{
  XaSimScenario *self = g_new0 (XaSimScenario, 1);

  self->vms = g_ptr_array_new_with_free_func (xa_sim_vm_free);
  self->faults = g_ptr_array_new_with_free_func (g_free);
  return self;
}

void
xa_sim_scenario_free (XaSimScenario *self)
{
  if (self == NULL)
    return;
  g_free (self->host);
  g_ptr_array_unref (self->vms);
  g_ptr_array_unref (self->faults);
  g_free (self);
}

static gchar *
xa_sim_size (guint64 mib)
{
  return g_strdup_printf ("\"%" G_GUINT64_FORMAT "MiB\"", mib);
}

/* Distances that need not be symmetric, now and then one pair unreachable. */
static void
xa_sim_scenario_distances (GRand *rand, guint n_nodes, GString *text)
{
  gint cut = -1;

  if (n_nodes > 2 && g_rand_int_range (rand, 0, 20) == 0)
    cut = g_rand_int_range (rand, 1, (gint) n_nodes);

  g_string_append (text, "], \"distances\": [");
  for (guint i = 0; i < n_nodes; i++) {
    g_string_append (text, i > 0 ? ", [" : "[");
    for (guint j = 0; j < n_nodes; j++) {
      gint d = i == j ? 10 : g_rand_int_range (rand, 11, 41);

      if (i == 0 && (gint) j == cut)
        d = -1;
      g_string_append_printf (text, "%s%d", j > 0 ? ", " : "", d);
    }
    g_string_append (text, "]");
  }
  g_string_append (text, "]");
}

/* dom0 on node 0, and now and then another resident domain: their memory
 * per node, in @held. */
static void
xa_sim_scenario_residents (GRand *rand, guint n_nodes, guint64 *held, GString *text)
{
  guint other = (guint) g_rand_int_range (rand, 0, (gint) n_nodes);
  gboolean has_other = g_rand_int_range (rand, 0, 3) == 0;

  held[0] = (guint64) g_rand_int_range (rand, 1, 5) * MiB_PER_GiB;
  if (has_other)
    held[other + n_nodes] = (guint64) g_rand_int_range (rand, 1, 4) * MiB_PER_GiB;
  g_string_append (text, ", \"domains\": [");
  for (guint d = 0; d < (has_other ? 2u : 1u); d++) {
    g_string_append_printf (text, "%s{\"name\": \"%s\", \"vcpus\": 2, \"memory_by_node\": [",
                            d > 0 ? ", " : "", d == 0 ? "dom0" : "resident-1");
    for (guint n = 0; n < n_nodes; n++) {
      g_autofree gchar *size = xa_sim_size (held[n + d * n_nodes]);

      g_string_append_printf (text, "%s%s", n > 0 ? ", " : "", size);
    }
    g_string_append (text, "]}");
  }
  g_string_append (text, "]");
  for (guint n = 0; n < n_nodes; n++)
    held[n] += held[n + n_nodes];
}

/* The host file, without faults: its nodes, dirty memory, distances and
 * resident domains. */
static void
xa_sim_scenario_draw_host (XaSimScenario *self, GRand *rand, XaSimNodes *nodes)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GString) residents = g_string_new (NULL);
  guint64 held[32] = { 0 };
  guint lanes = (guint) g_rand_int_range (rand, 1, 9);

  self->n_nodes = node_counts[g_rand_int_range (rand, 0, G_N_ELEMENTS (node_counts))];
  xa_sim_scenario_residents (rand, self->n_nodes, held, residents);
  g_string_append_printf (text, "{\"name\": \"sim-%u\", \"nodes\": [", self->seed);
  for (guint n = 0; n < self->n_nodes; n++) {
    g_autofree gchar *memory = NULL;
    g_autofree gchar *dirty = NULL;

    nodes->memory_mib[n] = node_gib[g_rand_int_range (rand, 0, G_N_ELEMENTS (node_gib))] *
                           MiB_PER_GiB;
    nodes->cpus[n] = (guint) g_rand_int_range (rand, 2, 9);
    memory = xa_sim_size (nodes->memory_mib[n]);
    dirty = xa_sim_size ((guint64) g_rand_int_range (rand, 0, 3) *
                         ((nodes->memory_mib[n] - held[n]) / 4));
    g_string_append_printf (text, "%s{\"memory\": %s, \"dirty\": %s, \"cpus\": %u}",
                            n > 0 ? ", " : "", memory, dirty, nodes->cpus[n]);
  }
  xa_sim_scenario_distances (rand, self->n_nodes, text);
  g_string_append_printf (text, ", \"populate_mib_per_s\": 1024, \"bandwidth_mib_per_s\": %u, "
                          "\"scrub_mib_per_s\": 512, \"overhead_mib_per_vm\": 1, "
                          "\"overhead_kib_per_vcpu\": 1176%s", 1024 * lanes, residents->str);
  self->host = g_strdup (text->str);
}

/* Mostly small, now and then larger than a node. */
static guint64
xa_sim_scenario_vm_mib (GRand *rand, guint64 largest_node_mib)
{
  gdouble r = g_rand_double (rand);
  guint64 mib = (guint64) (r * r * r * 1.5 * (gdouble) largest_node_mib) / 256 * 256;

  return MAX (mib, 256);
}

/* Now and then confined to some nodes, or pinned to one node's CPUs. */
static void
xa_sim_scenario_place (GRand *rand, XaRequest *req, guint n_nodes, const XaSimNodes *nodes)
{
  gint kind = g_rand_int_range (rand, 0, 20);
  guint node = (guint) g_rand_int_range (rand, 0, (gint) n_nodes);
  guint first = 0;

  if (kind < 3) {
    req->nodes = (XaNodeSet) g_rand_int_range (rand, 1, (gint) MIN ((1u << n_nodes), 1u << 16));
    req->nodes |= XA_NODESET_BIT (node);
    return;
  }
  if (kind != 3)
    return;
  for (guint n = 0; n < node; n++)
    first += nodes->cpus[n];
  req->hard_affinity = g_array_new (FALSE, FALSE, sizeof (guint));
  for (guint c = first; c < first + nodes->cpus[node]; c++)
    g_array_append_val (req->hard_affinity, c);
}

/* Bursts for a boot, a stream for a service; groups arrive together. */
static void
xa_sim_scenario_draw_vms (XaSimScenario *self, GRand *rand, const XaSimNodes *nodes)
{
  guint n_vms = (guint) g_rand_int_range (rand, 4, 41);
  guint64 largest = 0;
  gdouble at = 0;
  guint group_left = 0;
  guint n_groups = 0;

  for (guint n = 0; n < self->n_nodes; n++)
    largest = MAX (largest, nodes->memory_mib[n]);
  for (guint i = 0; i < n_vms; i++) {
    g_autofree gchar *name = g_strdup_printf ("vm-%u", i);
    XaSimVm *vm = g_new0 (XaSimVm, 1);

    vm->req = xa_request_new (name, xa_sim_scenario_vm_mib (rand, largest),
                              (guint) g_rand_int_range (rand, 1, 9));
    vm->req->priority = g_rand_int_range (rand, -3, 4);
    xa_sim_scenario_place (rand, vm->req, self->n_nodes, nodes);
    if (group_left == 0 && i > 0)
      at += self->service ? g_rand_double_range (rand, 0, 4)
                          : (g_rand_int_range (rand, 0, 4) == 0 ? 20 : 0);
    if (group_left == 0 && g_rand_int_range (rand, 0, 7) == 0) {
      group_left = (guint) g_rand_int_range (rand, 2, 5);
      n_groups++;
    }
    if (group_left > 0)
      vm->req->group = g_strdup_printf ("g%u", n_groups);
    group_left = group_left > 0 ? group_left - 1 : 0;
    vm->at_s = at;
    vm->cancel_at_s = g_rand_int_range (rand, 0, 10) == 0 ? at + g_rand_double_range (rand, 0, 15)
                                                          : -1;
    g_ptr_array_add (self->vms, vm);
  }
}

/* Memory taken from a node, given back later more often than not. */
static void
xa_sim_scenario_take (XaSimScenario *self, GRand *rand, const XaSimNodes *nodes)
{
  guint node = (guint) g_rand_int_range (rand, 0, (gint) self->n_nodes);
  guint64 mib = (guint64) g_rand_int_range (rand, 1, (gint) (nodes->memory_mib[node] / 2 /
                                                               MiB_PER_GiB) + 1) * MiB_PER_GiB;
  gdouble at = g_rand_double_range (rand, 0, 60);

  g_ptr_array_add (self->faults, g_strdup_printf ("{\"at_s\": %.3f, \"take\": \"%" G_GUINT64_FORMAT
                                                  "MiB\", \"node\": %u}", at, mib, node));
  if (g_rand_int_range (rand, 0, 5) < 3)
    g_ptr_array_add (self->faults,
                     g_strdup_printf ("{\"at_s\": %.3f, \"give\": \"%" G_GUINT64_FORMAT
                                      "MiB\", \"node\": %u}",
                                      at + g_rand_double_range (rand, 5, 60), mib, node));
}

static void
xa_sim_scenario_draw_fault (XaSimScenario *self, GRand *rand, const XaSimNodes *nodes)
{
  guint vm = (guint) g_rand_int_range (rand, 0, (gint) self->vms->len);
  const gchar *call = fault_calls[g_rand_int_range (rand, 0, G_N_ELEMENTS (fault_calls))];
  const gchar *errnum = fault_errnos[g_rand_int_range (rand, 0, G_N_ELEMENTS (fault_errnos))];

  switch (g_rand_int_range (rand, 0, 5)) {
  case 0:
    g_ptr_array_add (self->faults, g_strdup_printf ("{\"build_fails\": \"vm-%u\", \"attempt\": %d}",
                                                    vm, g_rand_int_range (rand, 1, 4)));
    break;
  case 1:
    g_ptr_array_add (self->faults, g_strdup_printf ("{\"build_hangs\": \"vm-%u\", \"attempt\": %d}",
                                                    vm, g_rand_int_range (rand, 1, 3)));
    break;
  case 2:
    xa_sim_scenario_take (self, rand, nodes);
    break;
  default:
    g_ptr_array_add (self->faults,
                     g_strdup_printf ("{\"call_fails\": \"%s\", \"use\": %d, \"errno\": \"%s\"}",
                                      call, g_rand_int_range (rand, 1, 25), errnum));
    break;
  }
}

/* Now and then guests that power themselves off some time after they
 * start: one VM, or every VM xadmit builds. Drawn after the rest, so that
 * the seeds that found bugs before keep their scenarios. */
static void
xa_sim_scenario_draw_shutdown (XaSimScenario *self, GRand *rand)
{
  guint vm = (guint) g_rand_int_range (rand, 0, (gint) self->vms->len);
  gdouble after = g_rand_double_range (rand, 1, 60);
  g_autofree gchar *name = g_strdup_printf ("vm-%u", vm);

  if (g_rand_int_range (rand, 0, 3) != 0)
    return;
  g_ptr_array_add (self->faults,
                   g_strdup_printf ("{\"shuts_down\": \"%s\", \"after_s\": %.3f}",
                                    g_rand_int_range (rand, 0, 3) == 0 ? "*" : name, after));
}

/**
 * xa_sim_scenario_new:
 * @seed: the seed
 *
 * Returns: (transfer full): the scenario of @seed, the same on any machine
 */
XaSimScenario *
xa_sim_scenario_new (guint32 seed)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  XaSimScenario *self = xa_sim_scenario_alloc ();
  XaSimNodes nodes = { { 0 } };
  guint n_faults;

  self->seed = seed;
  self->service = g_rand_boolean (rand);
  xa_sim_scenario_draw_host (self, rand, &nodes);
  xa_sim_scenario_draw_vms (self, rand, &nodes);
  n_faults = (guint) g_rand_int_range (rand, 0, 7);
  for (guint i = 0; i < n_faults; i++)
    xa_sim_scenario_draw_fault (self, rand, &nodes);
  if (g_rand_int_range (rand, 0, 10) < 3)
    self->crash_at = (guint64) g_rand_int_range (rand, 1, 150);
  if (g_rand_int_range (rand, 0, 20) < 3) {
    self->ledger_fail_at = (guint64) g_rand_int_range (rand, 1, 150);
    self->ledger_rc = g_rand_boolean (rand) ? SQLITE_FULL : SQLITE_IOERR;
  }
  xa_sim_scenario_draw_shutdown (self, rand);
  return self;
}

static XaRequest *
xa_sim_request_copy (const XaRequest *req)
{
  XaRequest *copy = xa_request_new (req->name, req->memory_mib, req->vcpus);

  copy->priority = req->priority;
  copy->nodes = req->nodes;
  copy->group = g_strdup (req->group);
  if (req->hard_affinity != NULL) {
    copy->hard_affinity = g_array_new (FALSE, FALSE, sizeof (guint));
    g_array_append_vals (copy->hard_affinity, req->hard_affinity->data, req->hard_affinity->len);
  }
  return copy;
}

/* For the shrinker, which takes items out of a copy. */
XaSimScenario *
xa_sim_scenario_copy (const XaSimScenario *self)
{
  XaSimScenario *copy = xa_sim_scenario_alloc ();

  *copy = (XaSimScenario) { self->seed, self->service, self->n_nodes, g_strdup (self->host),
                            copy->vms, copy->faults, self->crash_at, self->ledger_fail_at,
                            self->ledger_rc };
  for (guint i = 0; i < self->vms->len; i++) {
    const XaSimVm *vm = g_ptr_array_index (self->vms, i);
    XaSimVm *vm_copy = g_new0 (XaSimVm, 1);

    *vm_copy = (XaSimVm) { xa_sim_request_copy (vm->req), vm->at_s, vm->cancel_at_s };
    g_ptr_array_add (copy->vms, vm_copy);
  }
  for (guint i = 0; i < self->faults->len; i++)
    g_ptr_array_add (copy->faults, g_strdup (g_ptr_array_index (self->faults, i)));
  return copy;
}

/* The host file the simulated host reads: the host and its faults. */
gchar *
xa_sim_scenario_host_text (const XaSimScenario *self)
{
  g_autoptr(GString) text = g_string_new (self->host);

  g_string_append (text, ", \"faults\": [");
  for (guint i = 0; i < self->faults->len; i++)
    g_string_append_printf (text, "%s%s", i > 0 ? ", " : "",
                            (const gchar *) g_ptr_array_index (self->faults, i));
  g_string_append (text, "]}");
  return g_strdup (text->str);
}

/* The scenario, a line an item: what -v and a failure print. */
gchar *
xa_sim_scenario_describe (const XaSimScenario *self)
{
  GString *text = g_string_new (NULL);

  g_string_append_printf (text, "  %s on %u nodes: %s}\n", self->service ? "service" : "boot",
                          self->n_nodes, self->host);
  for (guint i = 0; i < self->vms->len; i++) {
    const XaSimVm *vm = g_ptr_array_index (self->vms, i);

    g_string_append_printf (text, "  at %.3f s: %s %" G_GUINT64_FORMAT " MiB %u vCPUs, "
                            "priority %d, nodes %#" G_GINT64_MODIFIER "x%s%s%s", vm->at_s,
                            vm->req->name, vm->req->memory_mib, vm->req->vcpus,
                            vm->req->priority, (guint64) vm->req->nodes,
                            vm->req->hard_affinity != NULL ? ", pinned" : "",
                            vm->req->group != NULL ? ", group " : "",
                            vm->req->group != NULL ? vm->req->group : "");
    if (vm->cancel_at_s >= 0)
      g_string_append_printf (text, ", cancelled at %.3f s", vm->cancel_at_s);
    g_string_append_c (text, '\n');
  }
  for (guint i = 0; i < self->faults->len; i++)
    g_string_append_printf (text, "  fault %s\n",
                            (const gchar *) g_ptr_array_index (self->faults, i));
  if (self->crash_at > 0)
    g_string_append_printf (text, "  the admitter killed at event %" G_GUINT64_FORMAT "\n",
                            self->crash_at);
  if (self->ledger_fail_at > 0)
    g_string_append_printf (text, "  the ledger's writes fail with %s from event %"
                            G_GUINT64_FORMAT "\n", sqlite3_errstr (self->ledger_rc),
                            self->ledger_fail_at);
  return g_string_free (text, FALSE);
}
