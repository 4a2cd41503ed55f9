/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The scheduler's decisions, one structured message each (docs/design.md,
 * Logging): journald gets their fields, a terminal their MESSAGE. */

#include <glib.h>

#include "xa-nodeset.h"
#include "xa-store.h"

G_BEGIN_DECLS

/* The journal's fields, beside MESSAGE, PRIORITY and GLIB_DOMAIN. */
#define XA_LOG_FIELD_VM "XADMIT_VM"
#define XA_LOG_FIELD_REQUEST "XADMIT_REQUEST"
#define XA_LOG_FIELD_BATCH "XADMIT_BATCH"
#define XA_LOG_FIELD_NODES "XADMIT_NODES"
#define XA_LOG_FIELD_GROUP "XADMIT_GROUP"

/* The levels of decisions: what goes as planned (a batch, a placement, a
 * deferral, a group's start, a guest's end) is INFO; what an operator may
 * want to look at (a rejection, a failed build, a rollback, a cancel, what
 * a restart found) is NOTICE, GLib's MESSAGE. A decision is never a
 * WARNING: those are xadmit's own troubles. */
#define XA_LOG_DECIDED G_LOG_LEVEL_INFO
#define XA_LOG_NOTABLE G_LOG_LEVEL_MESSAGE

/**
 * XaLogAbout:
 * @request: (nullable): the VM: its name, request UUID and group
 * @group: (nullable): the group, when no @request names it
 * @batch_id: the ledger's batch, 0 for none
 * @nodes: the VM's nodes, 0 for none
 *
 * What a decision is about: its journal fields.
 */
typedef struct {
  const XaStoreRequest *request;
  const gchar *group;
  gint64 batch_id;
  XaNodeSet nodes;
} XaLogAbout;

void xa_log_set_level (GLogLevelFlags most_verbose);
gboolean xa_log_enabled (GLogLevelFlags level);
void xa_log (GLogLevelFlags     level,
             const XaLogAbout  *about,
             const gchar       *format,
             ...) G_GNUC_PRINTF (3, 4);

G_END_DECLS
