/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-mem.h"
#include "xa-request.h"
#include "xa-tight-batch.h"

/* A VM's share of the memory asked, before scaling: from a tenth to nearly
 * twice the mean, so that some VMs fit no node alone. */
#define XA_TIGHT_BATCH_SHARE_MIN 0.1
#define XA_TIGHT_BATCH_SHARE_MAX 1.9
#define XA_TIGHT_BATCH_VCPUS_MAX 8

/**
 * xa_tight_batch_new:
 * @seed: the family's seed
 * @index: which instance of the family
 * @out_requests: (out) (transfer full) (element-type XaRequest): its VMs
 *
 * One instance of the family of small tight batches: %XA_TIGHT_BATCH_VMS
 * VMs of random sizes and 1 to 8 vCPUs on %XA_TIGHT_BATCH_NODES nodes of
 * %XA_TIGHT_BATCH_NODE_MIB free each (16 CPUs, 8 cores, distances 10 and
 * 20, Xen's overhead), the VMs' memory with overhead adding up to 95 to
 * 99 % of the free memory. The same @seed and @index give the same
 * instance.
 *
 * Returns: (transfer full): its host
 */
XaTopology *
xa_tight_batch_new (guint32 seed, guint32 index, GPtrArray **out_requests)
{
  const guint32 key[] = { seed, index };
  g_autoptr(GRand) rand = g_rand_new_with_seed_array (key, G_N_ELEMENTS (key));
  XaTopology *topo = xa_topology_new_uniform (XA_TIGHT_BATCH_NODES, XA_TIGHT_BATCH_NODE_MIB,
                                              16, 8);
  GPtrArray *requests = g_ptr_array_new_with_free_func ((GDestroyNotify) xa_request_free);
  gint fill = g_rand_int_range (rand, XA_TIGHT_BATCH_FILL_MIN, XA_TIGHT_BATCH_FILL_MAX + 1);
  gdouble asked_mib = (gdouble) (XA_TIGHT_BATCH_NODES * XA_TIGHT_BATCH_NODE_MIB) * fill / 100.0;
  gdouble share[XA_TIGHT_BATCH_VMS];
  gdouble total = 0;

  topo->overhead_mib_per_vm = 1;
  topo->overhead_kib_per_vcpu = 1176;
  for (guint i = 0; i < XA_TIGHT_BATCH_VMS; i++) {
    share[i] = g_rand_double_range (rand, XA_TIGHT_BATCH_SHARE_MIN, XA_TIGHT_BATCH_SHARE_MAX);
    total += share[i];
  }
  for (guint i = 0; i < XA_TIGHT_BATCH_VMS; i++) {
    g_autofree gchar *name = g_strdup_printf ("vm-%02u", i);
    guint vcpus = (guint) g_rand_int_range (rand, 1, XA_TIGHT_BATCH_VCPUS_MAX + 1);
    guint64 need_mib = (guint64) (asked_mib * share[i] / total);
    XaRequest *req = xa_request_new (name, need_mib, vcpus);

    /* its need, overhead included, is its share */
    req->memory_mib -= xa_mem_request_need_mib (topo, req) - need_mib;
    g_ptr_array_add (requests, req);
  }
  *out_requests = requests;
  return topo;
}
