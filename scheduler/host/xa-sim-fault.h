/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <jansson.h>

#include "xa-host-info.h"

G_BEGIN_DECLS

typedef enum {
  XA_SIM_FAULT_TAKE_MEMORY,
  XA_SIM_FAULT_GIVE_MEMORY,
  XA_SIM_FAULT_BUILD_FAILS,
  XA_SIM_FAULT_BUILD_HANGS,
  XA_SIM_FAULT_CALL_FAILS,
  XA_SIM_FAULT_SHUTS_DOWN,
} XaSimFaultKind;

/* A shuts_down fault's VM that stands for every VM xadmit builds. */
#define XA_SIM_FAULT_ANY_VM "*"

/**
 * XaSimFault:
 * @kind: what goes wrong
 * @at_s: when memory is taken or given back, on the host's clock; for a VM
 *   that shuts down, how long after it started running
 * @take_mib: how much memory is taken or given back
 * @node: on which node
 * @vm: (nullable): the VM whose build fails or hangs, or that shuts down
 *   (%XA_SIM_FAULT_ANY_VM: every VM xadmit builds)
 * @attempt: on which attempt
 * @call: (nullable): the host call that fails
 * @use: on which use of @call
 * @used: the uses of @call so far, up to @use: a state file keeps them, so
 *   that a restarted host does not fail the call again
 * @errnum: the errno @call fails with
 *
 * A fault the simulated host injects, from the host file's "faults".
 */
typedef struct {
  XaSimFaultKind kind;
  gdouble at_s;
  guint64 take_mib;
  guint node;
  gchar *vm;
  guint attempt;
  gchar *call;
  guint use;
  guint used;
  gint errnum;
} XaSimFault;

void xa_sim_fault_free (XaSimFault *fault);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XaSimFault, xa_sim_fault_free)

GPtrArray *xa_sim_fault_parse_list (const XaHostInfo *info,
                                    json_t           *root,
                                    GError          **error);
json_t *xa_sim_fault_to_json (const XaSimFault *fault);

G_END_DECLS
