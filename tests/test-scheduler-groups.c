/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "xa-test-cli.h"
#include "xa-test-scheduler.h"

/* Eight nodes of 64 GiB whose builds of @faults fail: the simulated host's
 * fault list (docs/formats.md), e.g. {"build_fails": "g-2", "attempt": 1}. */
#define FAULTY_HOST \
  "{\"nodes\": [" \
  "{\"memory\": \"64GiB\", \"cpus\": 8}, {\"memory\": \"64GiB\", \"cpus\": 8}," \
  "{\"memory\": \"64GiB\", \"cpus\": 8}, {\"memory\": \"64GiB\", \"cpus\": 8}]," \
  " \"faults\": [%s]}"

static void
add_vms (GPtrArray *requests, const gchar *prefix, guint count, guint64 memory_mib,
         const gchar *group)
{
  for (guint i = 0; i < count; i++) {
    g_autofree gchar *name = g_strdup_printf ("%s-%u", prefix, i);
    XaRequest *req = xa_test_add_vm (requests, name, memory_mib, 2);

    req->group = g_strdup (group);
  }
}

/* A boot on eight nodes of 64 GiB: a group of 12 × 48 GiB cannot start as
 * a whole, so none of it starts, and the ledger says why for each; a group
 * that fits and the ungrouped VMs run. */
static void
test_group_starts_whole_or_not_at_all (XaTestScheduler *f, gconstpointer data)
{
  g_autoptr(GPtrArray) requests = xa_test_requests_new ();
  g_autoptr(GPtrArray) queued = NULL;
  XaSchedulerOptions options = XA_SCHEDULER_OPTIONS_DEFAULT;
  XaRunCounts counts;

  add_vms (requests, "big", 12, 48 * GiB, "big");
  add_vms (requests, "app", 4, 8 * GiB, "app");
  add_vms (requests, "alone", 4, 4 * GiB, NULL);
  xa_test_scheduler_prepare (f, "8node.json", NULL, requests, &options);
  counts = xa_test_scheduler_run_and_count (f, NULL);
  g_assert_cmpuint (counts.running, ==, 8);
  queued = xa_store_list_requests (f->store, f->host_id, XA_REQUEST_QUEUED, NULL);
  g_assert_cmpuint (queued->len, ==, 12);
  for (guint i = 0; i < queued->len; i++) {
    const XaStoreRequest *request = g_ptr_array_index (queued, i);

    g_assert_cmpstr (request->req->group, ==, "big");
    g_assert_nonnull (strstr (request->reason, "its group \"big\" starts as a whole"));
  }
  xa_test_scheduler_assert_ledger_matches_host (f);
}

/* A member that can never fit (more than a node of 64 GiB, confined to
 * one) takes its group down: no member starts without it. (A service's
 * batch could start the others: the simulation's seeds 55 and 495.) */
static void
test_group_with_a_rejected_member (XaTestScheduler *f, gconstpointer data)
{
  g_autoptr(GPtrArray) requests = xa_test_requests_new ();
  XaSchedulerOptions options = XA_SCHEDULER_OPTIONS_DEFAULT;
  XaRunCounts counts;

  add_vms (requests, "app", 2, 8 * GiB, "app");
  add_vms (requests, "huge", 1, 80 * GiB, "app");
  ((XaRequest *) g_ptr_array_index (requests, 2))->nodes = XA_NODESET_BIT (0);
  xa_test_scheduler_prepare (f, "8node.json", NULL, requests, &options);
  counts = xa_test_scheduler_run_and_count (f, NULL);
  g_assert_cmpuint (counts.running, ==, 0);
  g_assert_cmpuint (counts.rejected + counts.cancelled, ==, 3);
  xa_test_scheduler_assert_ledger_matches_host (f);
}

/* A member rejected as it is handed over (a domain of the host has its
 * name) takes its group down as well: no member starts without it. */
static void
test_group_with_a_member_named_as_a_domain (XaTestScheduler *f, gconstpointer data)
{
  g_autoptr(GPtrArray) requests = xa_test_requests_new ();
  XaSchedulerOptions options = XA_SCHEDULER_OPTIONS_DEFAULT;
  XaRunCounts counts;

  add_vms (requests, "app", 2, 4 * GiB, "app");
  xa_test_add_vm (requests, "old-db", 4 * GiB, 2)->group = g_strdup ("app");
  add_vms (requests, "alone", 1, 4 * GiB, NULL);
  xa_test_scheduler_prepare (f, "2node-half-full.json", NULL, requests, &options);
  counts = xa_test_scheduler_run_and_count (f, NULL);
  g_assert_cmpuint (counts.running, ==, 1);
  g_assert_cmpuint (counts.rejected + counts.cancelled, ==, 3);
  xa_test_scheduler_assert_ledger_matches_host (f);
}

/* A group larger than --max-batch is planned in one batch, past the limit:
 * the ledger has a batch that planned all ten of it. */
static void
test_group_larger_than_a_batch (XaTestScheduler *f, gconstpointer data)
{
  g_autoptr(GPtrArray) requests = xa_test_requests_new ();
  g_autoptr(GPtrArray) batches = NULL;
  XaSchedulerOptions options = XA_SCHEDULER_OPTIONS_DEFAULT;
  g_autoptr(GError) error = NULL;
  guint most = 0;

  options.max_batch = 4;
  add_vms (requests, "alone", 3, 4 * GiB, NULL);
  add_vms (requests, "vapp", 10, 4 * GiB, "vapp");
  xa_test_scheduler_prepare (f, "8node.json", NULL, requests, &options);
  g_assert_cmpuint (xa_test_scheduler_run_and_count (f, NULL).running, ==, 13);
  batches = xa_store_list_batches (f->store, f->host_id, 0, G_MAXINT64, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < batches->len; i++)
    most = MAX (most, ((XaStoreBatchRow *) g_ptr_array_index (batches, i))->n_planned);
  g_assert_cmpuint (most, >=, 10);
}

/* Opens a host of FAULTY_HOST with @faults in f's directory, queues
 * @requests. */
static void
prepare_faulty (XaTestScheduler *f, const gchar *faults, GPtrArray *requests,
                const XaSchedulerOptions *options)
{
  g_autofree gchar *text = g_strdup_printf (FAULTY_HOST, faults);
  g_autofree gchar *path = xa_test_dir_write (f->dir, "faulty.json", text);
  g_autofree gchar *spec = xa_test_host_spec_at (path);
  g_autoptr(GError) error = NULL;

  f->host = xa_host_open (spec, NULL, &error);
  g_assert_no_error (error);
  xa_test_scheduler_open_admission (f, options, NULL);
  g_assert_true (xa_admission_submit (f->admission, "test", requests, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
}

/* The group's domains on the host now: how many, how many paused. */
static void
count_group_domains (XaTestScheduler *f, guint *out_domains, guint *out_paused)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(XaHostInfo) info = xa_host_snapshot (f->host, &error);

  g_assert_no_error (error);
  *out_domains = *out_paused = 0;
  for (guint i = 0; i < info->domains->len; i++) {
    const XaHostDomain *domain = g_ptr_array_index (info->domains, i);

    if (!g_str_has_prefix (domain->name, "g-"))
      continue;
    (*out_domains)++;
    *out_paused += domain->paused ? 1 : 0;
  }
}

/* At each step of the run: while a member of the group is not running,
 * every member domain is paused. */
static void
check_paused_until_whole (const XaSchedulerProgress *progress, gpointer user_data)
{
  XaTestScheduler *f = user_data;
  guint domains;
  guint paused;

  count_group_domains (f, &domains, &paused);
  if (xa_test_scheduler_count_in (f, XA_REQUEST_RUNNING) < 3)
    g_assert_cmpuint (paused, ==, domains);
}

/* g-2's first build fails: g-0 and g-1, built meanwhile, stay paused until
 * its second is done; then all three run. */
static void
test_group_paused_until_whole (XaTestScheduler *f, gconstpointer data)
{
  g_autoptr(GPtrArray) requests = xa_test_requests_new ();
  XaSchedulerOptions options = XA_SCHEDULER_OPTIONS_DEFAULT;
  guint domains;
  guint paused;

  add_vms (requests, "g", 3, 8 * GiB, "trio");
  prepare_faulty (f, "{\"build_fails\": \"g-2\", \"attempt\": 1}", requests, &options);
  xa_scheduler_set_progress (f->scheduler, check_paused_until_whole, f);
  g_assert_cmpuint (xa_test_scheduler_run_and_count (f, NULL).running, ==, 3);
  count_group_domains (f, &domains, &paused);
  g_assert_cmpuint (domains, ==, 3);
  g_assert_cmpuint (paused, ==, 0);
}

/* Runs the trio g-0..g-2 with @faults, each kept with no_rollback if
 * @keep, and checks that two run if kept, none otherwise, and that no
 * domain of theirs is left paused.
 *
 * Returns: (transfer full): the requests ended */
static GPtrArray *
run_trio (XaTestScheduler *f, gboolean keep, const gchar *faults)
{
  g_autoptr(GPtrArray) requests = xa_test_requests_new ();
  XaSchedulerOptions options = XA_SCHEDULER_OPTIONS_DEFAULT;
  guint domains;
  guint paused;

  options.retries = 0;
  add_vms (requests, "g", 3, 8 * GiB, "trio");
  for (guint i = 0; i < requests->len; i++)
    ((XaRequest *) g_ptr_array_index (requests, i))->no_rollback = keep;
  prepare_faulty (f, faults, requests, &options);
  g_assert_cmpuint (xa_test_scheduler_run_and_count (f, NULL).running, ==, keep ? 2 : 0);
  count_group_domains (f, &domains, &paused);
  g_assert_cmpuint (domains, ==, keep ? 2 : 0);
  /* kept, they start once none of their group is on its way */
  g_assert_cmpuint (paused, ==, 0);
  xa_test_scheduler_assert_ledger_matches_host (f);
  return xa_store_list_requests (f->store, f->host_id, XA_REQUEST_ENDED, NULL);
}

/* g-2's only attempt hangs until killed: the group is rolled back (g-0 and g-1, built,
 * destroyed and ended, saying why); with no_rollback, they run on. */
static void
test_group_rolled_back (XaTestScheduler *f, gconstpointer data)
{
  gboolean keep = GPOINTER_TO_INT (data);
  /* g-0 and g-1 are built (and paused) before g-2's build times out */
  g_autoptr(GPtrArray) ended = run_trio (f, keep, "{\"build_hangs\": \"g-2\", \"attempt\": 1}");

  g_assert_cmpuint (ended->len, ==, keep ? 0 : 2);
  for (guint i = 0; i < ended->len; i++)
    g_assert_nonnull (strstr (((XaStoreRequest *) g_ptr_array_index (ended, i))->reason,
                              "rolled back with its group trio: g-2 will not start"));
  g_assert_cmpuint (xa_test_scheduler_count_in (f, XA_REQUEST_FAILED), ==, 1);
}

/* The second of the trio's domains will not unpause once all three are
 * built: it is destroyed and ends, saying why, and the group is rolled
 * back with it; with no_rollback, the other two run on. */
static void
test_group_unpause_fails (XaTestScheduler *f, gconstpointer data)
{
  gboolean keep = GPOINTER_TO_INT (data);
  g_autoptr(GPtrArray) ended = run_trio (f, keep, "{\"call_fails\": \"unpause\", \"use\": 2}");
  guint stuck = 0;

  g_assert_cmpuint (ended->len, ==, keep ? 1 : 3);
  for (guint i = 0; i < ended->len; i++) {
    const gchar *reason = ((XaStoreRequest *) g_ptr_array_index (ended, i))->reason;

    if (g_str_has_prefix (reason, "its domain "))
      stuck += strstr (reason, " could not be unpaused: ") != NULL;
    else
      g_assert_nonnull (strstr (reason, "rolled back with its group trio: "));
  }
  g_assert_cmpuint (stuck, ==, 1);
}

/* A group whose VMs all started is over: a later request of its name is
 * a group of its own. Here the later one is rolled back, and the members
 * of the earlier one, in the same manifest and left alone, run on. */
static void
test_group_name_used_again (XaTestScheduler *f, gconstpointer data)
{
  g_autoptr(GPtrArray) first = xa_test_requests_new ();
  g_autoptr(GPtrArray) again = xa_test_requests_new ();
  g_autoptr(GPtrArray) ended = NULL;
  XaSchedulerOptions options = XA_SCHEDULER_OPTIONS_DEFAULT;
  g_autoptr(GError) error = NULL;
  guint domains;
  guint paused;

  options.retries = 0;
  add_vms (first, "g", 3, 8 * GiB, "trio");
  prepare_faulty (f, "{\"build_hangs\": \"g-4\", \"attempt\": 1}", first, &options);
  g_assert_cmpuint (xa_test_scheduler_run_and_count (f, NULL).running, ==, 3);
  g_clear_pointer (&f->admission, xa_admission_free);
  xa_test_scheduler_open_admission (f, &options, NULL);
  add_vms (again, "g", 5, 8 * GiB, "trio");
  g_assert_true (xa_admission_submit (f->admission, "test", again, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  xa_test_scheduler_take_queued (f);
  g_assert_cmpuint (xa_test_scheduler_run_and_count (f, NULL).running, ==, 3);
  count_group_domains (f, &domains, &paused);
  g_assert_cmpuint (domains, ==, 3);
  g_assert_cmpuint (paused, ==, 0);
  ended = xa_store_list_requests (f->store, f->host_id, XA_REQUEST_ENDED, NULL);
  g_assert_cmpuint (ended->len, ==, 1);
  g_assert_cmpstr (((XaStoreRequest *) g_ptr_array_index (ended, 0))->req->name, ==, "g-3");
  xa_test_scheduler_assert_ledger_matches_host (f);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  xa_test_scheduler_add ("/scheduler/groups/whole-or-not-at-all",
                         test_group_starts_whole_or_not_at_all);
  xa_test_scheduler_add ("/scheduler/groups/larger-than-a-batch", test_group_larger_than_a_batch);
  xa_test_scheduler_add ("/scheduler/groups/rejected-member-takes-it-down",
                         test_group_with_a_rejected_member);
  xa_test_scheduler_add ("/scheduler/groups/member-named-as-a-domain",
                         test_group_with_a_member_named_as_a_domain);
  xa_test_scheduler_add ("/scheduler/groups/paused-until-whole", test_group_paused_until_whole);
  xa_test_scheduler_add ("/scheduler/groups/name-used-again", test_group_name_used_again);
  g_test_add ("/scheduler/groups/rolled-back", XaTestScheduler, GINT_TO_POINTER (FALSE),
              xa_test_scheduler_set_up, test_group_rolled_back, xa_test_scheduler_tear_down);
  g_test_add ("/scheduler/groups/kept-with-no-rollback", XaTestScheduler, GINT_TO_POINTER (TRUE),
              xa_test_scheduler_set_up, test_group_rolled_back, xa_test_scheduler_tear_down);
  g_test_add ("/scheduler/groups/unpause-fails-kept", XaTestScheduler, GINT_TO_POINTER (TRUE),
              xa_test_scheduler_set_up, test_group_unpause_fails, xa_test_scheduler_tear_down);
  g_test_add ("/scheduler/groups/unpause-fails", XaTestScheduler, GINT_TO_POINTER (FALSE),
              xa_test_scheduler_set_up, test_group_unpause_fails, xa_test_scheduler_tear_down);
  return g_test_run ();
}
