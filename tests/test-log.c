/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xa-log-writer.h"
#include "xa-log.h"
#include "xa-test-cli.h"
#include "xa-test-scheduler.h"

/* The scheduler's decisions as a structured logger gets them: a writer of
 * the test's own keeps each message's fields. */

/* Four nodes of 64 GiB: "flaky" fails its first build, "doomed" both of
 * its two, "short" powers off 5 s after it starts. */
#define LOG_HOST \
  "{\"nodes\": [" \
  "{\"memory\": \"64GiB\", \"cpus\": 8}, {\"memory\": \"64GiB\", \"cpus\": 8}," \
  "{\"memory\": \"64GiB\", \"cpus\": 8}, {\"memory\": \"64GiB\", \"cpus\": 8}]," \
  " \"faults\": [{\"build_fails\": \"flaky\", \"attempt\": 1}," \
  " {\"build_fails\": \"doomed\", \"attempt\": 1}, {\"build_fails\": \"doomed\", \"attempt\": 2}," \
  " {\"shuts_down\": \"short\", \"after_s\": 5}]}"

/* Every message logged since the test began, each a table of its fields. */
static GPtrArray *logged;

static GLogWriterOutput
capture (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  GHashTable *message = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  for (gsize i = 0; i < n_fields; i++)
    g_hash_table_insert (message, g_strdup (fields[i].key),
                         fields[i].length < 0 ? g_strdup (fields[i].value)
                                              : g_strndup (fields[i].value,
                                                           (gsize) fields[i].length));
  g_ptr_array_add (logged, message);
  return G_LOG_WRITER_HANDLED;
}

/* The scheduler's first message that says @words. */
static GHashTable *
find_logged (const gchar *words)
{
  for (guint i = 0; i < logged->len; i++) {
    GHashTable *message = g_ptr_array_index (logged, i);

    if (g_strcmp0 (g_hash_table_lookup (message, "GLIB_DOMAIN"), "xadmit-scheduler") == 0 &&
        strstr (g_hash_table_lookup (message, "MESSAGE"), words) != NULL)
      return message;
  }
  /* g_error() would go to the test's own writer */
  for (guint i = 0; i < logged->len; i++)
    g_printerr ("%s\n", (const gchar *) g_hash_table_lookup (g_ptr_array_index (logged, i),
                                                              "MESSAGE"));
  g_printerr ("no message says \"%s\"\n", words);
  g_assert_not_reached ();
}

/* @message has each of @keys (up to %NULL), and no other XADMIT_ field. */
static void
assert_fields (GHashTable *message, const gchar *priority, ...)
{
  va_list args;
  guint n_xadmit = 0;
  guint n_given = 0;
  GHashTableIter iter;
  const gchar *key;

  g_assert_cmpstr (g_hash_table_lookup (message, "PRIORITY"), ==, priority);
  va_start (args, priority);
  while ((key = va_arg (args, const gchar *)) != NULL) {
    const gchar *value = g_hash_table_lookup (message, key);

    g_assert_nonnull (value);
    g_assert_cmpuint (strlen (value), >, 0);
    n_given++;
  }
  va_end (args);
  g_hash_table_iter_init (&iter, message);
  while (g_hash_table_iter_next (&iter, (gpointer *) &key, NULL))
    n_xadmit += g_str_has_prefix (key, "XADMIT_") ? 1 : 0;
  g_assert_cmpuint (n_xadmit, ==, n_given);
}

static void
assert_field (GHashTable *message, const gchar *key, const gchar *value)
{
  g_assert_cmpstr (g_hash_table_lookup (message, key), ==, value);
}

static XaRequest *
add_vm (GPtrArray *requests, const gchar *name, guint64 memory_mib, const gchar *group)
{
  XaRequest *req = xa_test_add_vm (requests, name, memory_mib, 1);

  req->group = g_strdup (group);
  return req;
}

/* A service runs until stopped: once "short" ended and nothing waits or
 * builds any more. */
static void
stop_when_settled (const XaSchedulerProgress *progress, gpointer user_data)
{
  XaTestScheduler *f = user_data;
  g_autoptr(GPtrArray) ended = NULL;

  if (progress->waiting > 0 || progress->building > 0 || xa_scheduler_was_stopped (f->scheduler))
    return;
  ended = xa_store_list_requests (f->store, f->host_id, XA_REQUEST_ENDED, NULL);
  if (ended != NULL && ended->len == 2)
    xa_scheduler_stop (f->scheduler, FALSE);
}

/* The storm: four of 60 GiB on four nodes beside "short", so one waits
 * until it ends; one that never fits; a build retried; a group whose
 * member fails twice (its other member ends), and one that starts
 * together. */
static void
run_storm (XaTestScheduler *f)
{
  g_autofree gchar *path = xa_test_dir_write (f->dir, "host.json", LOG_HOST);
  g_autofree gchar *spec = xa_test_host_spec_at (path);
  g_autoptr(GPtrArray) requests = xa_test_requests_new ();
  XaSchedulerOptions options = XA_SCHEDULER_OPTIONS_DEFAULT;
  g_autoptr(GError) error = NULL;

  add_vm (requests, "short", 60 * GiB, NULL)->priority = 5;
  for (guint i = 0; i < 4; i++) {
    g_autofree gchar *name = g_strdup_printf ("big-%u", i);

    add_vm (requests, name, 60 * GiB, NULL);
  }
  add_vm (requests, "huge", 80 * GiB, NULL)->nodes = XA_NODESET_BIT (0);
  add_vm (requests, "flaky", GiB / 2, NULL);
  add_vm (requests, "doomed", GiB / 2, "trio");
  add_vm (requests, "g-1", GiB / 2, "trio");
  add_vm (requests, "pair-0", GiB / 2, "pair");
  add_vm (requests, "pair-1", GiB / 2, "pair");
  options.retries = 1;
  f->host = xa_host_open (spec, NULL, &error);
  g_assert_no_error (error);
  xa_test_scheduler_open_admission (f, &options, NULL);
  g_assert_true (xa_admission_submit (f->admission, "test", requests, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  xa_scheduler_set_service (f->scheduler, TRUE);
  xa_scheduler_set_progress (f->scheduler, stop_when_settled, f);
  xa_test_scheduler_run_and_count (f, NULL);
}

/* Each kind of decision is one message with its fields. */
static void
test_log_each_decision_has_its_fields (XaTestScheduler *f, gconstpointer data)
{
  GHashTable *message;

  xa_log_set_level (G_LOG_LEVEL_DEBUG);
  run_storm (f);
  message = find_logged ("batch 1 closed: 11 VMs, policy batch: ");
  assert_fields (message, "6", "XADMIT_BATCH", NULL);
  assert_field (message, "XADMIT_BATCH", "1");
  message = find_logged ("short: planned on node ");
  assert_fields (message, "6", "XADMIT_VM", "XADMIT_REQUEST", "XADMIT_BATCH", "XADMIT_NODES",
                 NULL);
  assert_field (message, "XADMIT_VM", "short");
  g_assert_nonnull (strstr (g_hash_table_lookup (message, "MESSAGE"), " MiB) in batch 1"));
  assert_fields (find_logged (": deferred in batch 1: "), "6", "XADMIT_VM", "XADMIT_REQUEST",
                 "XADMIT_BATCH", NULL);
  assert_fields (find_logged ("huge: rejected in batch 1: "), "5", "XADMIT_VM",
                 "XADMIT_REQUEST", "XADMIT_BATCH", NULL);
  assert_fields (find_logged ("flaky: attempt 1 failed: "), "5", "XADMIT_VM", "XADMIT_REQUEST",
                 "XADMIT_NODES", NULL);
  message = find_logged ("doomed: attempt 2 failed: ");
  assert_fields (message, "5", "XADMIT_VM", "XADMIT_REQUEST", "XADMIT_NODES", "XADMIT_GROUP",
                 NULL);
  g_assert_true (g_str_has_suffix (g_hash_table_lookup (message, "MESSAGE"),
                                   "no retry left: it failed"));
  message = find_logged ("group trio: doomed will not start; its group is rolled back");
  assert_fields (message, "5", "XADMIT_VM", "XADMIT_REQUEST", "XADMIT_GROUP", NULL);
  assert_field (message, "XADMIT_GROUP", "trio");
  message = find_logged ("group pair: 2 of its 2 VMs are built; they start together");
  assert_fields (message, "6", "XADMIT_GROUP", NULL);
  assert_fields (find_logged ("short: ended: its domain went down (poweroff)"), "6", "XADMIT_VM",
                 "XADMIT_REQUEST", NULL);
  assert_field (find_logged ("short: ended: "), "GLIB_DOMAIN", "xadmit-scheduler");
}

/* A restart logs what it did to each request it found: here a running
 * VM whose domain went while no admitter watched. */
static void
test_log_recovery_at_start (XaTestScheduler *f, gconstpointer data)
{
  XaSchedulerOptions options = XA_SCHEDULER_OPTIONS_DEFAULT;
  g_autoptr(GPtrArray) running = NULL;
  g_autoptr(XaHostInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  const XaStoreRequest *request;

  run_storm (f);
  running = xa_store_list_requests (f->store, f->host_id, XA_REQUEST_RUNNING, &error);
  g_assert_no_error (error);
  request = g_ptr_array_index (running, 0);
  info = xa_host_snapshot (f->host, &error);
  g_assert_no_error (error);
  g_clear_pointer (&f->admission, xa_admission_free);
  g_assert_true (xa_host_destroy (f->host, xa_host_info_find_domain (info, request->uuid)->domid,
                                  &error));
  g_assert_no_error (error);
  xa_log_set_level (XA_LOG_NOTABLE);
  xa_test_scheduler_open_admission (f, &options, NULL);
  assert_field (find_logged (": after a restart: ended: its domain is gone"), "XADMIT_REQUEST",
                request->uuid);
  assert_fields (find_logged (": after a restart: ended: "), "5", "XADMIT_VM", "XADMIT_REQUEST",
                 NULL);
}

/* xenopsd's way logs each VM's lone decision, a batch of one. */
static void
test_log_xenopsd_decisions (XaTestScheduler *f, gconstpointer data)
{
  g_autoptr(GPtrArray) requests = xa_test_requests_new ();
  XaSchedulerOptions options = XA_SCHEDULER_OPTIONS_DEFAULT;
  GHashTable *message;

  xa_log_set_level (XA_LOG_DECIDED);
  xa_test_add_vm (requests, "solo", 4 * GiB, 2);
  add_vm (requests, "giant", 1024 * GiB, NULL);
  options.policy = XA_POLICY_XENOPSD;
  xa_test_scheduler_prepare (f, "4node.json", NULL, requests, &options);
  xa_test_scheduler_run_and_count (f, NULL);
  message = find_logged ("solo: started by xenopsd in batch ");
  assert_fields (message, "6", "XADMIT_VM", "XADMIT_REQUEST", "XADMIT_BATCH", "XADMIT_NODES",
                 NULL);
  assert_fields (find_logged ("giant: rejected by xenopsd in batch "), "5", "XADMIT_VM",
                 "XADMIT_REQUEST", "XADMIT_BATCH", NULL);
}

/* Unless asked, the scheduler logs no decision: none is formatted. */
static void
test_log_nothing_unless_asked (XaTestScheduler *f, gconstpointer data)
{
  xa_log_set_level (G_LOG_LEVEL_WARNING);
  run_storm (f);
  for (guint i = 0; i < logged->len; i++)
    g_assert_cmpstr (g_hash_table_lookup (g_ptr_array_index (logged, i), "GLIB_DOMAIN"), !=,
                     "xadmit-scheduler");
  g_assert_false (xa_log_enabled (XA_LOG_NOTABLE));
  g_assert_true (xa_log_enabled (G_LOG_LEVEL_WARNING));
}

/* The writer sends the fields to journald when stderr is the stream
 * systemd gave ($JOURNAL_STREAM, "device:inode"), else plain lines. What
 * g_log_writer_journald() then sends goes to /run/systemd/journal/socket,
 * which no test can stand in for without systemd: the fields it would
 * send are those the tests above capture. */
static void
test_log_journal_when_stderr_is_its_stream (void)
{
  gint pair[2];
  gint pipe_fds[2];
  struct stat st;
  g_autofree gchar *stream = NULL;

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM, 0, pair), ==, 0);
  g_assert_cmpint (pipe (pipe_fds), ==, 0);
  g_assert_cmpint (fstat (pair[0], &st), ==, 0);
  stream = g_strdup_printf ("%" G_GUINT64_FORMAT ":%" G_GUINT64_FORMAT, (guint64) st.st_dev,
                            (guint64) st.st_ino);
  g_unsetenv ("JOURNAL_STREAM");
  g_assert_false (xa_log_writer_wants_journal (pair[0]));
  g_setenv ("JOURNAL_STREAM", stream, TRUE);
  g_assert_true (xa_log_writer_wants_journal (pair[0]));
  g_assert_false (xa_log_writer_wants_journal (pair[1]));
  g_assert_false (xa_log_writer_wants_journal (pipe_fds[1]));
  g_unsetenv ("JOURNAL_STREAM");
  for (guint i = 0; i < 2; i++) {
    close (pair[i]);
    close (pipe_fds[i]);
  }
}

static void
set_up (XaTestScheduler *f, gconstpointer data)
{
  g_ptr_array_set_size (logged, 0);
  xa_test_scheduler_set_up (f, data);
}

/* @func at @path, on a fixture whose capture starts empty. */
static void
add_capturing (const gchar *path, XaTestSchedulerFunc func)
{
  g_test_add (path, XaTestScheduler, NULL, set_up, func, xa_test_scheduler_tear_down);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  logged = g_ptr_array_new_with_free_func ((GDestroyNotify) g_hash_table_unref);
  g_log_set_writer_func (capture, NULL, NULL);
  add_capturing ("/scheduler/log/each-decision-has-its-fields",
                 test_log_each_decision_has_its_fields);
  add_capturing ("/scheduler/log/recovery-at-start", test_log_recovery_at_start);
  add_capturing ("/scheduler/log/xenopsd-decisions", test_log_xenopsd_decisions);
  add_capturing ("/scheduler/log/nothing-unless-asked", test_log_nothing_unless_asked);
  g_test_add_func ("/cli/log/journal-when-stderr-is-its-stream",
                   test_log_journal_when_stderr_is_its_stream);
  return g_test_run ();
}
