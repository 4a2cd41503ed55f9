/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <sys/types.h>

#include "xa-guest.h"
#include "xa-plan.h"

G_BEGIN_DECLS

/* The schema this xadmit writes; older databases are migrated on open. */
#define XA_STORE_SCHEMA_VERSION 5

/**
 * XaRequestState:
 * @XA_REQUEST_QUEUED: waiting to be planned; a deferred request stays here
 * @XA_REQUEST_PLANNED: admitted in a batch: nodes and claim fixed
 * @XA_REQUEST_BUILDING: its domain is being built
 * @XA_REQUEST_RUNNING: built and running
 * @XA_REQUEST_FAILED: its build failed and will not be retried
 * @XA_REQUEST_CANCELLED: withdrawn before it ran
 * @XA_REQUEST_REJECTED: it can never fit its host
 * @XA_REQUEST_ENDED: it ran, and its domain is no longer on the host
 *
 * A request's life: queued → planned → building → running, failed,
 * cancelled or rejected; running → ended.
 */
typedef enum {
  XA_REQUEST_QUEUED,
  XA_REQUEST_PLANNED,
  XA_REQUEST_BUILDING,
  XA_REQUEST_RUNNING,
  XA_REQUEST_FAILED,
  XA_REQUEST_CANCELLED,
  XA_REQUEST_REJECTED,
  XA_REQUEST_ENDED,
} XaRequestState;

#define XA_REQUEST_STATE_LAST XA_REQUEST_ENDED

const gchar *xa_request_state_to_string (XaRequestState state);
gboolean xa_request_state_from_string (const gchar    *text,
                                       XaRequestState *out_state);

/**
 * XaStoreTime:
 * @wall_us: wall-clock time, microseconds since the epoch (reports filter
 *   on it)
 * @host_s: the host's clock, virtual on the simulated host
 *
 * When something happened, on both clocks.
 */
typedef struct {
  gint64 wall_us;
  gdouble host_s;
} XaStoreTime;

/**
 * XaStoreRequest:
 * @id: the ledger's id
 * @uuid: given when queued; on Xen, the domain's handle
 * @group_id: the submission it came with
 * @state: where it is in its life
 * @reason: (nullable): why it is deferred, rejected, failed or cancelled
 * @attempts: builds started
 * @deferrals: batches that could not fit it
 * @queued: when it was queued
 * @req: the VM, as the planner sees it (@queued_s is @queued's host time)
 * @guest: what it boots
 *
 * A request as the ledger keeps it.
 */
typedef struct {
  gint64 id;
  gchar *uuid;
  gchar *group_id;
  XaRequestState state;
  gchar *reason;
  guint attempts;
  guint deferrals;
  XaStoreTime queued;
  XaRequest *req;
  XaGuest *guest;
} XaStoreRequest;

void xa_store_request_free (XaStoreRequest *request);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XaStoreRequest, xa_store_request_free)

/**
 * XaStoreDomain:
 * @uuid: (nullable): the domain's handle; domains without one (dom0, or
 *   not started by xadmit) only count through the free memory
 * @mib_by_node: its memory on each node, as the host reports it
 * @unfinished: its build has not finished, whatever memory it holds
 */
typedef struct {
  const gchar *uuid;
  const guint64 *mib_by_node;
  gboolean unfinished;
} XaStoreDomain;

/**
 * XaStoreSnapshot:
 * @n_nodes: the host's node count
 * @total_mib: (array length=n_nodes): each node's memory
 * @free_mib: (array length=n_nodes): each node's free memory
 * @domains: (array length=n_domains): the domains running now
 *
 * What the store needs of a host snapshot.
 */
typedef struct {
  guint n_nodes;
  const guint64 *total_mib;
  const guint64 *free_mib;
  guint n_domains;
  const XaStoreDomain *domains;
} XaStoreSnapshot;

/**
 * XaStoreReconciliation:
 * @built: (element-type gint64): in-flight requests whose domain holds all
 *   their memory: their builds finished unrecorded; now running
 * @half_built: (element-type gint64): in-flight requests whose domain holds
 *   part of it (their builds stopped half-way: queued again), and queued
 *   requests that have a domain (created before their admission was
 *   committed): their domains are the caller's to destroy
 * @gone: (element-type gint64): in-flight requests without a domain; queued
 *   again
 * @ended: (element-type gint64): running requests without a domain: ended
 * @leftover: (element-type gint64): failed requests whose domain could not
 *   be destroyed: their claims are released, and their domains, if still
 *   there, are the caller's to destroy
 * @released_mib: claims released, all nodes together
 *
 * What a restart finds of the builds that were in flight. None of them is
 * a live build any more, so none keeps its claim.
 */
typedef struct {
  GArray *built;
  GArray *half_built;
  GArray *gone;
  GArray *ended;
  GArray *leftover;
  guint64 released_mib;
} XaStoreReconciliation;

void xa_store_reconciliation_free (XaStoreReconciliation *reconciliation);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XaStoreReconciliation, xa_store_reconciliation_free)

/**
 * XaStoreBatch:
 * @policy: the policy that planned it
 * @snapshot_id: the host snapshot it was planned against, 0 for none
 * @plan_ms: wall-clock time spent planning
 * @at: when it was admitted
 * @why: (nullable) (array): per placement, what a planned VM's rested on
 * @out_id: (out) (optional): where the ledger's id of the batch goes
 */
typedef struct {
  const gchar *policy;
  gint64 snapshot_id;
  gdouble plan_ms;
  XaStoreTime at;
  const XaPlanWhy *why;
  gint64 *out_id;
} XaStoreBatch;

/**
 * XaStoreBatchRow:
 * @id: the batch
 * @at: when it was admitted
 * @policy: the policy that planned it
 * @n_requests: requests in it
 * @n_planned: admitted
 * @n_deferred: left queued
 * @n_rejected: that can never fit
 * @plan_ms: time spent planning
 * @n_built: its VMs with their memory recorded after the build
 * @n_local: of those, VMs with at least 99 % of it on one node
 *
 * A batch, for reports.
 */
typedef struct {
  gint64 id;
  XaStoreTime at;
  gchar *policy;
  guint n_requests;
  guint n_planned;
  guint n_deferred;
  guint n_rejected;
  gdouble plan_ms;
  guint n_built;
  guint n_local;
} XaStoreBatchRow;

void xa_store_batch_row_free (XaStoreBatchRow *row);

/**
 * XaStoreVmRow:
 * @uuid: the request's UUID
 * @name: the VM's name
 * @state: where it is in its life
 * @planned_nodes: the node set of its last plan, 0 for none
 * @planned_mib: (array): MiB per node in that plan
 * @actual_mib: (array): MiB per node as the host reported it once built;
 *   zeros before
 * @spilled_mib: built memory outside a non-empty @planned_nodes
 * @wait_s: queued → build started on the host's clock, -1 if never started
 * @build_s: build started → ended, -1 if it has not ended
 * @id: the ledger's id of the request
 * @group_id: the submission it came with
 * @group: (nullable): the group it starts with, or not at all
 * @reason: (nullable): why it waits, or was rejected, failed or cancelled
 * @memory_mib: the memory it asks, without Xen's overhead
 * @queued_wall_us: when it was queued, wall clock
 * @started_wall_us: when its last build started, wall clock; 0 if never
 * @finished_wall_us: when its last build ended, wall clock; 0 if it has not
 * @attempts: builds started
 * @first_wait_s: queued → its first build started (the log's first
 *   `building`), host clock; -1 if never started
 *
 * One VM's history, for reports and status.
 */
typedef struct {
  gchar *uuid;
  gchar *name;
  XaRequestState state;
  XaNodeSet planned_nodes;
  guint64 *planned_mib;
  guint64 *actual_mib;
  guint64 spilled_mib;
  gdouble wait_s;
  gdouble build_s;
  gint64 id;
  gchar *group_id;
  gchar *group;
  gchar *reason;
  guint64 memory_mib;
  gint64 queued_wall_us;
  gint64 started_wall_us;
  gint64 finished_wall_us;
  guint attempts;
  gdouble first_wait_s;
} XaStoreVmRow;

void xa_store_vm_row_free (XaStoreVmRow *row);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XaStoreVmRow, xa_store_vm_row_free)

/**
 * XaStoreNodeSample:
 * @at: when the host was seen
 * @node: the node
 * @total_mib: its memory
 * @free_mib: its free memory then
 */
typedef struct {
  XaStoreTime at;
  guint node;
  guint64 total_mib;
  guint64 free_mib;
} XaStoreNodeSample;

/**
 * XaStoreEvent:
 * @at: when
 * @batch_id: the batch it happened in, 0 for none
 * @from: (nullable): the state before; %NULL when the request was queued
 * @to: the state after (the same for a deferral)
 * @reason: (nullable): why, one sentence
 *
 * One line of a request's log.
 */
typedef struct {
  XaStoreTime at;
  gint64 batch_id;
  gchar *from;
  gchar *to;
  gchar *reason;
} XaStoreEvent;

void xa_store_event_free (XaStoreEvent *event);

/**
 * XaStoreNodeStatus:
 * @node: the node
 * @total_mib: its memory
 * @free_mib: its free memory when the host was last seen
 * @claimed_mib: what the claims of the builds in flight have yet to take
 * @available_mib: @free_mib less @claimed_mib: what a plan may give away
 * @seen: when the host was last seen
 */
typedef struct {
  guint node;
  guint64 total_mib;
  guint64 free_mib;
  guint64 claimed_mib;
  guint64 available_mib;
  XaStoreTime seen;
} XaStoreNodeStatus;

typedef struct _XaStore XaStore;

gchar *xa_store_default_path (void);
XaStore *xa_store_open (const gchar *path,
                        GError     **error);
XaStore *xa_store_open_reader (const gchar *path,
                               GError     **error);
gboolean xa_store_check_writer (const gchar *path,
                                GError     **error);
gboolean xa_store_share (const gchar *path,
                         const gchar *group,
                         GError     **error);
gboolean xa_store_lookup_group (const gchar *group,
                                gid_t       *out_gid,
                                GError     **error);
void xa_store_free (XaStore *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XaStore, xa_store_free)
const gchar *xa_store_get_path (XaStore *self);
gboolean xa_store_is_lost (XaStore *self);
guint64 xa_store_get_n_statements (XaStore *self);
void xa_store_hold (XaStore *self);
gboolean xa_store_is_pending (XaStore *self);
gboolean xa_store_flush (XaStore *self,
                         GError **error);
gboolean xa_store_release (XaStore *self,
                           GError **error);

gboolean xa_store_ensure_host (XaStore     *self,
                               const gchar *key,
                               const gchar *name,
                               const gchar *kind,
                               guint        n_nodes,
                               XaStoreTime  at,
                               gint64      *out_host_id,
                               GError     **error);

gboolean xa_store_lookup_host (XaStore     *self,
                               const gchar *key,
                               gint64      *out_host_id,
                               GError     **error);
XaStoreRequest *xa_store_find_request (XaStore     *self,
                                       gint64       host_id,
                                       const gchar *id_or_name,
                                       GError     **error);
GArray *xa_store_node_status (XaStore *self,
                              gint64   host_id,
                              GError **error);

gboolean xa_store_submit (XaStore     *self,
                          gint64       host_id,
                          const gchar *group_id,
                          GPtrArray   *requests,
                          GPtrArray   *guests,
                          XaStoreTime  at,
                          GPtrArray  **out_uuids,
                          GError     **error);
gboolean xa_store_count_in_state (XaStore         *self,
                                  gint64           host_id,
                                  XaRequestState   state,
                                  guint           *out_count,
                                  GError         **error);
GPtrArray *xa_store_list_requests (XaStore        *self,
                                   gint64          host_id,
                                   XaRequestState  state,
                                   GError        **error);
GPtrArray *xa_store_list_requests_after (XaStore        *self,
                                         gint64          host_id,
                                         XaRequestState  state,
                                         gint64          after_id,
                                         GError        **error);
gboolean xa_store_cancel (XaStore     *self,
                          gint64       request_id,
                          const gchar *reason,
                          XaStoreTime  at,
                          GError     **error);
gboolean xa_store_ask_cancel (XaStore        *self,
                              gint64          request_id,
                              const gchar    *reason,
                              XaStoreTime     at,
                              XaRequestState *out_state,
                              GError        **error);
gboolean xa_store_cancel_asked (XaStore     *self,
                                gint64       host_id,
                                XaStoreTime  at,
                                GError     **error);
GArray *xa_store_list_cancel_asked (XaStore *self,
                                    gint64   host_id,
                                    GError **error);
gboolean xa_store_end (XaStore        *self,
                       XaStoreRequest *request,
                       const gchar    *reason,
                       XaStoreTime     at,
                       GError        **error);
gboolean xa_store_reject (XaStore        *self,
                          XaStoreRequest *request,
                          const gchar    *reason,
                          XaStoreTime     at,
                          GError        **error);

gboolean xa_store_set_queued_host_s (XaStore        *self,
                                     XaStoreRequest *request,
                                     gdouble         host_s,
                                     GError        **error);
gboolean xa_store_give_up (XaStore        *self,
                           XaStoreRequest *request,
                           const gchar    *reason,
                           XaStoreTime     at,
                           GError        **error);

gboolean xa_store_refresh (XaStore               *self,
                           gint64                 host_id,
                           const XaStoreSnapshot *snapshot,
                           XaStoreTime            at,
                           gint64                *out_snapshot_id,
                           GError               **error);
gboolean xa_store_available (XaStore *self,
                             gint64   host_id,
                             guint    n_nodes,
                             guint64 *available_mib,
                             GError **error);
gboolean xa_store_admit_batch (XaStore            *self,
                               gint64              host_id,
                               const XaStoreBatch *batch,
                               GPtrArray          *requests,
                               const XaPlan       *plan,
                               GError            **error);
gboolean xa_store_start_build (XaStore        *self,
                               XaStoreRequest *request,
                               XaStoreTime     at,
                               GError        **error);
gboolean xa_store_complete_build (XaStore        *self,
                                  XaStoreRequest *request,
                                  guint           n_nodes,
                                  const guint64  *actual_mib,
                                  XaStoreTime     at,
                                  GError        **error);
gboolean xa_store_correct_actual (XaStore              *self,
                                  const XaStoreRequest *request,
                                  guint                 n_nodes,
                                  const guint64        *actual_mib,
                                  GError              **error);
gboolean xa_store_fail_build (XaStore        *self,
                              XaStoreRequest *request,
                              const gchar    *reason,
                              gboolean        retry,
                              XaStoreTime     at,
                              GError        **error);
gboolean xa_store_fail_build_leftover (XaStore        *self,
                                       XaStoreRequest *request,
                                       const gchar    *reason,
                                       XaStoreTime     at,
                                       GError        **error);
XaStoreReconciliation *xa_store_reconcile (XaStore               *self,
                                           gint64                 host_id,
                                           const XaStoreSnapshot *snapshot,
                                           XaStoreTime            at,
                                           GError               **error);
gboolean xa_store_end_host (XaStore     *self,
                            gint64       host_id,
                            const gchar *reason,
                            XaStoreTime  at,
                            GError     **error);

GPtrArray *xa_store_list_batches (XaStore *self,
                                  gint64   host_id,
                                  gint64   from_wall_us,
                                  gint64   to_wall_us,
                                  GError **error);
GPtrArray *xa_store_list_vms (XaStore *self,
                              gint64   host_id,
                              guint    n_nodes,
                              gint64   from_wall_us,
                              gint64   to_wall_us,
                              GError **error);
GPtrArray *xa_store_list_live_vms (XaStore *self,
                                   gint64   host_id,
                                   guint    n_nodes,
                                   GError **error);
XaStoreVmRow *xa_store_get_vm (XaStore *self,
                               gint64   request_id,
                               guint    n_nodes,
                               GError **error);
GPtrArray *xa_store_list_events (XaStore *self,
                                 gint64   request_id,
                                 GError **error);
GArray *xa_store_node_memory (XaStore *self,
                              gint64   host_id,
                              gint64   from_wall_us,
                              gint64   to_wall_us,
                              GError **error);
gboolean xa_store_admission_percentiles (XaStore       *self,
                                         gint64         host_id,
                                         guint          n_percentiles,
                                         const gdouble *percentiles,
                                         gdouble       *out_s,
                                         GError       **error);
gboolean xa_store_wait_percentiles (XaStore       *self,
                                    gint64         host_id,
                                    gint64         from_wall_us,
                                    gint64         to_wall_us,
                                    guint          n_percentiles,
                                    const gdouble *percentiles,
                                    gdouble       *out_wait_s,
                                    GError       **error);

/**
 * XaStoreHostRow:
 * @id: the ledger's id
 * @key: who the host is for good: its kind and UUID, or its name
 * @name: its name
 * @kind: "sim" or "xen"
 * @n_nodes: its node count
 *
 * A host the ledger knows.
 */
typedef struct {
  gint64 id;
  gchar *key;
  gchar *name;
  gchar *kind;
  guint n_nodes;
} XaStoreHostRow;

void xa_store_host_row_free (XaStoreHostRow *row);
GPtrArray *xa_store_list_hosts (XaStore *self,
                                GError **error);

/**
 * XaStoreReportRange:
 * @host_id: the host
 * @n_nodes: its node count
 * @from_wall_us: the first wall-clock time to report
 * @to_wall_us: the end of the range, not included
 * @vm_name: (nullable): only the requests of this VM name, every boot's
 *
 * What a report covers.
 */
typedef struct {
  gint64 host_id;
  guint n_nodes;
  gint64 from_wall_us;
  gint64 to_wall_us;
  const gchar *vm_name;
} XaStoreReportRange;

/**
 * XaStoreReportBatch:
 * @row: the batch, with @row.n_built and @row.n_local
 * @n_split: of those built, the VMs not local
 * @n_spilled: of those built, VMs with more than 1 % outside their nodes
 * @remote_mib: the memory of @n_spilled outside their nodes
 * @makespan_s: its builds' first start to their last end (the VMs this
 *   batch planned last), host clock; -1 if none started or ended
 *
 * A batch, with the locality of what it built (docs/formats.md, Locality).
 */
typedef struct {
  XaStoreBatchRow row;
  guint n_split;
  guint n_spilled;
  guint64 remote_mib;
  gdouble makespan_s;
} XaStoreReportBatch;

void xa_store_report_batch_free (XaStoreReportBatch *batch);

/* Takes @row (transfer full); %FALSE, with @error set, stops the query. */
typedef gboolean (*XaStoreVmFunc) (XaStoreVmRow *row,
                                   gpointer      user_data,
                                   GError      **error);
/* %FALSE, with @error set, stops the query. */
typedef gboolean (*XaStoreNodeSampleFunc) (const XaStoreNodeSample *sample,
                                           gpointer                 user_data,
                                           GError                 **error);

GPtrArray *xa_store_report_batches (XaStore                  *self,
                                    const XaStoreReportRange *range,
                                    GError                  **error);
gboolean xa_store_report_vms (XaStore                  *self,
                              const XaStoreReportRange *range,
                              XaStoreVmFunc             func,
                              gpointer                  user_data,
                              GError                  **error);
gboolean xa_store_report_node_memory (XaStore                  *self,
                                      const XaStoreReportRange *range,
                                      XaStoreNodeSampleFunc     func,
                                      gpointer                  user_data,
                                      GError                  **error);
void xa_store_percentiles (const gdouble *sorted,
                           guint          n_values,
                           guint          n_percentiles,
                           const gdouble *percentiles,
                           gdouble       *out);

/**
 * XaStoreWhy:
 * @batch_id: the batch that decided
 * @policy: the policy that planned it
 * @at: when
 * @why: what the placement rested on
 *
 * A planned VM's newest decision, as the ledger recorded it.
 */
typedef struct {
  gint64 batch_id;
  gchar *policy;
  XaStoreTime at;
  XaPlanWhy why;
} XaStoreWhy;

gboolean xa_store_get_why (XaStore    *self,
                           gint64      request_id,
                           XaStoreWhy *out,
                           gboolean   *out_found,
                           GError    **error);
void xa_store_why_clear (XaStoreWhy *why);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (XaStoreWhy, xa_store_why_clear)

G_END_DECLS
