/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* `xadmit report`'s insides, shared by the command and its formats. */

#include <stdio.h>

#include "xa-cli.h"
#include "xa-store.h"

G_BEGIN_DECLS

/* The nodes' memory over time keeps at most twice this many snapshots. */
#define XA_REPORT_MEMORY_POINTS 100

/* The queue-wait percentiles every format gives: p50, p95 and max. */
#define XA_REPORT_N_WAITS 3
extern const gdouble xa_report_wait_percentiles[XA_REPORT_N_WAITS];

/**
 * XaReportHost:
 * @host: the host
 * @range: what the report covers of it
 * @batches: (element-type XaStoreReportBatch): its batches in the range
 * @memory_at: (element-type XaStoreTime): when each kept snapshot was taken
 * @memory_used_mib: (element-type guint64): per kept snapshot, each
 *   node's memory in use (total less free), @host's n_nodes a snapshot
 * @total_mib: per node, its memory, as the newest snapshot says
 * @waits_s: (element-type gdouble): every started VM's queue wait (queued
 *   → first build start, host clock), ascending
 * @node_waits_s: per node, the same for the VMs planned there
 * @n_vms: VMs in the range
 * @n_in_state: VMs in each #XaRequestState
 *
 * What the report gathers of a host before it goes through its VMs.
 */
typedef struct {
  const XaStoreHostRow *host;
  XaStoreReportRange range;
  GPtrArray *batches;
  GArray *memory_at;
  GArray *memory_used_mib;
  guint64 *total_mib;
  GArray *waits_s;
  GArray **node_waits_s;
  guint n_vms;
  guint n_in_state[XA_REQUEST_STATE_LAST + 1];
} XaReportHost;

XaReportHost *xa_report_host_new (XaStore                  *store,
                                  const XaStoreHostRow     *host,
                                  const XaStoreReportRange *range,
                                  GError                  **error);
void xa_report_host_free (XaReportHost *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XaReportHost, xa_report_host_free)
void xa_report_host_waits (const GArray *waits_s,
                           gdouble      *out_s);
gchar *xa_report_time (gint64 wall_us);
guint64 xa_report_vm_total (const guint64 *mib_by_node,
                            guint          n_nodes);

/**
 * XaReport:
 * @out: where the report goes
 * @ledger: the ledger's path
 * @since_us: --since, 0 without
 * @until_us: --until, %G_MAXINT64 without
 * @vm_name: (nullable): --vm
 * @signals: a signal stops the report between two VMs
 * @n_hosts: hosts reported so far
 * @n_vms: VMs written so far of the current host
 *
 * A report being written.
 */
typedef struct {
  FILE *out;
  const gchar *ledger;
  gint64 since_us;
  gint64 until_us;
  const gchar *vm_name;
  XaCliSignals *signals;
  guint n_hosts;
  guint n_vms;
} XaReport;

/**
 * XaReportFormat:
 * @begin: (nullable): before the first host
 * @host: (nullable): a host, before its VMs
 * @vm: one of its VMs; @events is its log with --vm, else %NULL
 * @host_end: (nullable): after its VMs
 * @end: (nullable): after the last host
 *
 * How a format writes a report; each returns %FALSE with @error set to
 * stop it.
 */
typedef struct {
  gboolean (*begin) (XaReport *report, GError **error);
  gboolean (*host) (XaReport *report, const XaReportHost *host, GError **error);
  gboolean (*vm) (XaReport *report, const XaReportHost *host, const XaStoreVmRow *vm,
                  GPtrArray *events, GError **error);
  gboolean (*host_end) (XaReport *report, const XaReportHost *host, GError **error);
  gboolean (*end) (XaReport *report, GError **error);
} XaReportFormat;

/* xa-report-text.c */
extern const XaReportFormat xa_report_format_table;
extern const XaReportFormat xa_report_format_csv;
/* xa-report-json.c */
extern const XaReportFormat xa_report_format_json;
/* xa-report-html.c */
extern const XaReportFormat xa_report_format_html;

G_END_DECLS
