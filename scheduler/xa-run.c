/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-run.h"

static void
xa_run_vm_free (gpointer data)
{
  XaRunVm *vm = data;

  g_free (vm->name);
  g_free (vm->memory_by_node_mib);
  g_free (vm->reason);
  g_free (vm);
}

XaRun *
xa_run_new (const gchar *policy, gint64 seed, const gchar *host, guint n_nodes)
{
  XaRun *run = g_new0 (XaRun, 1);

  run->policy = g_strdup (policy);
  run->seed = seed;
  run->host = g_strdup (host);
  run->n_nodes = n_nodes;
  run->vms = g_ptr_array_new_with_free_func (xa_run_vm_free);
  return run;
}

void
xa_run_free (XaRun *run)
{
  if (run == NULL)
    return;
  g_free (run->policy);
  g_free (run->host);
  g_free (run->free_mib);
  g_ptr_array_unref (run->vms);
  g_free (run);
}

/**
 * xa_run_add_vm:
 * @run: a run
 * @name: the VM's name
 * @state: its state, a static string
 *
 * Returns: (transfer none): a VM with no memory, never started
 */
XaRunVm *
xa_run_add_vm (XaRun *run, const gchar *name, const gchar *state)
{
  XaRunVm *vm = g_new0 (XaRunVm, 1);

  vm->name = g_strdup (name);
  vm->state = state;
  vm->memory_by_node_mib = g_new0 (guint64, run->n_nodes);
  vm->started_s = -1;
  vm->finished_s = -1;
  g_ptr_array_add (run->vms, vm);
  return vm;
}

static void
xa_run_count_memory (const XaRun *run, const XaRunVm *vm, XaRunCounts *counts)
{
  guint64 total = 0;
  guint64 largest = 0;
  guint64 outside = 0;

  for (guint n = 0; n < run->n_nodes; n++) {
    guint64 mib = vm->memory_by_node_mib[n];

    total += mib;
    largest = MAX (largest, mib);
    if (vm->planned_nodes != 0 && !xa_nodeset_has (vm->planned_nodes, n))
      outside += mib;
  }
  if (total > 0 && largest * 100 >= total * 99)
    counts->local++;
  else
    counts->split++;
  if (outside * 100 > total) {
    counts->spilled++;
    counts->remote_mib += outside;
  }
}

/**
 * xa_run_count:
 * @run: a run
 *
 * Returns: its counts (FORMATS.md)
 */
XaRunCounts
xa_run_count (const XaRun *run)
{
  XaRunCounts counts = { 0 };

  for (guint i = 0; i < run->vms->len; i++) {
    const XaRunVm *vm = g_ptr_array_index (run->vms, i);

    if (g_str_equal (vm->state, "planned"))
      counts.planned++;
    else if (g_str_equal (vm->state, "running"))
      counts.running++;
    else if (g_str_equal (vm->state, "failed"))
      counts.failed++;
    else if (g_str_equal (vm->state, "deferred"))
      counts.deferred++;
    else if (g_str_equal (vm->state, "rejected"))
      counts.rejected++;
    else
      counts.cancelled++;
    if (g_str_equal (vm->state, "planned") || g_str_equal (vm->state, "running"))
      xa_run_count_memory (run, vm, &counts);
  }
  return counts;
}
