/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The protocol between the runner and xadmit-xenguest, the helper program
 * that makes one domain's xc_dom_* build (docs/design.md, "The xenguest
 * helper"): the build's facts go in its argv, one line comes back. */
#define XA_XENGUEST_PROTO_NAME "xadmit-xenguest"
#define XA_XENGUEST_PROTO_VERSION 1

/**
 * XaXenguestArgs:
 * @domid: the domain, created, with its vCPUs, maximum memory and claim
 * @memory_mib: what xc_dom_mem_init populates
 * @vcpus: the domain's vCPUs
 * @kernel: the kernel; @ramdisk and @cmdline are nullable
 * @store_port: the xenstore event channel, allocated unbound
 * @console_port: the console event channel, allocated unbound
 * @mib_by_node: (nullable) (array length=n_nodes): exactly this much on each
 *   node (vNUMA ranges with exact nodes); it sums to @memory_mib
 * @n_nodes: the length of @mib_by_node
 * @test_fault: (nullable): for the xen suite's failure paths, "die" or
 *   "hang": the helper kills itself, or waits to be killed, once populate
 *   has run
 */
typedef struct {
  guint32 domid;
  guint64 memory_mib;
  guint vcpus;
  const gchar *kernel;
  const gchar *ramdisk;
  const gchar *cmdline;
  guint32 store_port;
  guint32 console_port;
  const guint64 *mib_by_node;
  guint n_nodes;
  const gchar *test_fault;
} XaXenguestArgs;

/* What a build that went well answers (PV: machine frames). */
typedef struct {
  guint64 store_mfn;
  guint64 console_mfn;
} XaXenguestReply;

gchar **xa_xenguest_proto_argv (const gchar          *helper,
                                const XaXenguestArgs *args);
XaXenguestArgs *xa_xenguest_proto_parse_argv (gint      argc,
                                              gchar   **argv,
                                              GError  **error);
void xa_xenguest_proto_args_free (XaXenguestArgs *args);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XaXenguestArgs, xa_xenguest_proto_args_free)

gchar *xa_xenguest_proto_ok_line (const XaXenguestReply *reply);
gchar *xa_xenguest_proto_error_line (gint         errsv,
                                     const gchar *sentence);
gboolean xa_xenguest_proto_parse_reply (const gchar     *output,
                                        gsize            len,
                                        XaXenguestReply *out_reply,
                                        gint            *out_errsv,
                                        gchar          **out_sentence,
                                        GError         **error);

G_END_DECLS
