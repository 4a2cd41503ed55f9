/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "xa-host.h"
#include "xa-xenguest-run.h"

/* The runner drives xa-stub-xenguest (tests/), whose kernel command line
 * says what it does: "stub=ok", "stub=error", ... */

static const guint64 test_mib_by_node[] = { 1024, 0, 3072 };

static XaXenguestArgs
test_args (const gchar *cmdline)
{
  XaXenguestArgs args = {
    .domid = 7,
    .memory_mib = 4096,
    .vcpus = 2,
    .kernel = "/boot/vmlinuz",
    .ramdisk = "/boot/initrd.img",
    .cmdline = cmdline,
    .store_port = 1,
    .console_port = 2,
    .mib_by_node = test_mib_by_node,
    .n_nodes = G_N_ELEMENTS (test_mib_by_node),
    .test_fault = "hang",
  };

  return args;
}

static XaXenguestArgs *
test_parse (const gchar *const *argv, GError **error)
{
  return xa_xenguest_proto_parse_argv ((gint) g_strv_length ((gchar **) argv), (gchar **) argv,
                                       error);
}

static void
test_argv_round_trip (void)
{
  XaXenguestArgs args = test_args ("console=hvc0 root=/dev/xvda1");
  g_auto(GStrv) argv = xa_xenguest_proto_argv ("helper", &args);
  g_autoptr(GError) error = NULL;
  g_autoptr(XaXenguestArgs) parsed = test_parse ((const gchar *const *) argv, &error);

  g_assert_no_error (error);
  g_assert_cmpint (parsed->domid, ==, 7);
  g_assert_cmpuint (parsed->memory_mib, ==, 4096);
  g_assert_cmpint (parsed->vcpus, ==, 2);
  g_assert_cmpstr (parsed->kernel, ==, "/boot/vmlinuz");
  g_assert_cmpstr (parsed->ramdisk, ==, "/boot/initrd.img");
  g_assert_cmpstr (parsed->cmdline, ==, "console=hvc0 root=/dev/xvda1");
  g_assert_cmpint (parsed->store_port, ==, 1);
  g_assert_cmpint (parsed->console_port, ==, 2);
  g_assert_cmpint (parsed->n_nodes, ==, 3);
  for (guint node = 0; node < 3; node++)
    g_assert_cmpuint (parsed->mib_by_node[node], ==, test_mib_by_node[node]);
  g_assert_cmpstr (parsed->test_fault, ==, "hang");
}

static void
test_argv_optional (void)
{
  XaXenguestArgs args = test_args (NULL);
  g_auto(GStrv) argv = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(XaXenguestArgs) parsed = NULL;

  args.ramdisk = NULL;
  args.mib_by_node = NULL;
  args.test_fault = NULL;
  argv = xa_xenguest_proto_argv ("helper", &args);
  parsed = test_parse ((const gchar *const *) argv, &error);
  g_assert_no_error (error);
  g_assert_null (parsed->ramdisk);
  g_assert_null (parsed->cmdline);
  g_assert_null (parsed->mib_by_node);
  g_assert_cmpint (parsed->n_nodes, ==, 0);
  g_assert_null (parsed->test_fault);
}

/* Each argv, after a good start, is refused with a message naming the option. */
static void
test_argv_refused (void)
{
  const struct {
    const gchar *extra;
    const gchar *message;
  } cases[] = {
    { "--vnuma=0:1024,1:1024", "--vnuma: the ranges hold 2048 MiB, --memory-mib 4096" },
    { "--vnuma=0:2048,0:2048", "--vnuma: node 0 is given twice" },
    { "--vnuma=64:4096", "--vnuma: \"64:4096\" is not NODE:MIB (a node below 64, MiB above 0)" },
    { "--vnuma=0", "--vnuma: \"0\" is not NODE:MIB (a node below 64, MiB above 0)" },
    { "--protocol=2", "--protocol: Number “2” is out of bounds [1, 1]" },
    { "--domid=0", "--domid: Number “0” is out of bounds [1, 65535]" },
    { "extra", "unexpected argument \"extra\"" },
    { "--test-fault=crash", "--test-fault: \"crash\" is not die or hang" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(XaXenguestArgs) parsed = NULL;
    const gchar *argv[] = {
      "helper", "--protocol=1", "--domid=7", "--memory-mib=4096", "--vcpus=1",
      "--kernel=/k", "--store-port=1", "--console-port=2", cases[i].extra, NULL,
    };

    parsed = test_parse ((const gchar *const *) argv, &error);
    g_assert_null (parsed);
    g_assert_cmpstr (error->message, ==, cases[i].message);
  }
}

static void
test_argv_missing (void)
{
  const gchar *argv[] = { "helper", "--protocol=1", "--domid=7", "--memory-mib=4096", "--vcpus=1",
                    "--store-port=1", "--console-port=2", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(XaXenguestArgs) parsed = test_parse ((const gchar *const *) argv, &error);

  g_assert_null (parsed);
  g_assert_cmpstr (error->message, ==, "--kernel is missing");
}

static void
test_reply_lines (void)
{
  XaXenguestReply reply = { .store_mfn = 12, .console_mfn = 34 };
  g_autofree gchar *ok = xa_xenguest_proto_ok_line (&reply);
  g_autofree gchar *failed = xa_xenguest_proto_error_line (ENOMEM, "a\nb");
  g_autofree gchar *sentence = NULL;
  XaXenguestReply parsed = { 0 };
  gint errsv = -1;

  g_assert_cmpstr (ok, ==, "xadmit-xenguest 1 ok store_mfn=12 console_mfn=34\n");
  g_assert_true (xa_xenguest_proto_parse_reply (ok, strlen (ok), &parsed, &errsv, &sentence,
                                                NULL));
  g_assert_cmpint (errsv, ==, 0);
  g_assert_cmpuint (parsed.store_mfn, ==, 12);
  g_assert_cmpuint (parsed.console_mfn, ==, 34);
  g_assert_cmpstr (failed, ==, "xadmit-xenguest 1 error 12 a b\n");
  g_assert_true (xa_xenguest_proto_parse_reply (failed, strlen (failed), &parsed, &errsv,
                                                &sentence, NULL));
  g_assert_cmpint (errsv, ==, ENOMEM);
  g_assert_cmpstr (sentence, ==, "a b");
}

/* Newer keys are skipped; a missing key, another version, no newline or a
 * second line is not the protocol. */
static void
test_reply_refused (void)
{
  const gchar *good = "xadmit-xenguest 1 ok new=x store_mfn=1 console_mfn=2\n";
  const gchar *bad[] = {
    "xadmit-xenguest 1 ok store_mfn=1\n",
    "xadmit-xenguest 2 ok store_mfn=1 console_mfn=2\n",
    "xadmit-xenguest 1 ok store_mfn=1 console_mfn=2",
    "xadmit-xenguest 1 ok store_mfn=1 console_mfn=2\n\n",
    "xadmit-xenguest 1 error 0 zero\n",
    "xadmit-xenguest 1 error 12\n",
    "",
  };
  XaXenguestReply parsed = { 0 };
  gint errsv = -1;

  g_assert_true (xa_xenguest_proto_parse_reply (good, strlen (good), &parsed, &errsv, NULL,
                                                NULL));
  g_assert_cmpuint (parsed.console_mfn, ==, 2);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr(GError) error = NULL;
    g_autofree gchar *sentence = NULL;

    g_assert_false (xa_xenguest_proto_parse_reply (bad[i], strlen (bad[i]), &parsed, &errsv,
                                                   &sentence, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  }
}

static void
test_timeout_grows (void)
{
  g_assert_cmpuint (xa_host_build_timeout_ms (0), ==, 30000);
  g_assert_cmpuint (xa_host_build_timeout_ms (1024), ==, 31000);
  g_assert_cmpuint (xa_host_build_timeout_ms (1025), ==, 32000);
  g_assert_cmpuint (xa_host_build_timeout_ms (64 * 1024), ==, 94000);
}

/* The stub, with the given command line: the reply, or the error. */
static gboolean
test_run (const gchar *cmdline, guint timeout_ms, GCancellable *cancellable,
          XaXenguestReply *reply, GError **error)
{
  XaXenguestArgs args = test_args (cmdline);

  return xa_xenguest_run (xa_xenguest_run_helper (), &args, timeout_ms, cancellable, reply,
                          error);
}

static void
test_run_ok (void)
{
  g_autoptr(GError) error = NULL;
  XaXenguestReply reply = { 0 };

  g_assert_true (test_run ("stub=ok", 10000, NULL, &reply, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (reply.store_mfn, ==, 7);
  g_assert_cmpuint (reply.console_mfn, ==, 4096);
}

/* The stub fails, or is stopped (a hanging stub, stopped before the run
 * waits for it: the runner spawns it and then kills it, long before its
 * timeout): the error. */
typedef struct {
  const gchar *path;
  const gchar *cmdline;
  guint timeout_ms;
  gboolean stopped;
  gint code;
  const gchar *message;
} TestFailure;

static const TestFailure test_failures[] = {
  { "/scheduler/host/xen/xenguest/run/error", "stub=error", 10000, FALSE, ENOMEM,
    "xadmit-xenguest: xc_dom_boot_mem_init: cannot populate the memory "
    "(Cannot allocate memory)" },
  { "/scheduler/host/xen/xenguest/run/crash", "stub=crash", 10000, FALSE, EIO,
    "xadmit-xenguest: killed by signal 6 (Aborted) before it answered "
    "(Input/output error)" },
  { "/scheduler/host/xen/xenguest/run/hang", "stub=hang", 200, FALSE, ETIMEDOUT,
    "xadmit-xenguest: no answer within 200 ms, so it was killed (Connection timed out)" },
  { "/scheduler/host/xen/xenguest/run/stop", "stub=hang", 600000, TRUE, ECANCELED,
    "xadmit-xenguest: the build was stopped, so it was killed (Operation canceled)" },
  { "/scheduler/host/xen/xenguest/run/garbage", "stub=garbage", 10000, FALSE, EPROTO,
    "xadmit-xenguest: exited with status 0, not one line \"xadmit-xenguest 1 ok|error "
    "...\": \"Segmentation fault\\nmore\\n\" (Protocol error)" },
};

static void
test_run_fails (gconstpointer data)
{
  const TestFailure *failure = data;
  g_autoptr(GCancellable) stop = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  XaXenguestReply reply = { 0 };

  if (failure->stopped)
    g_cancellable_cancel (stop);
  g_assert_false (test_run (failure->cmdline, failure->timeout_ms, stop, &reply, &error));
  g_assert_error (error, XA_HOST_ERROR, failure->code);
  g_assert_cmpstr (error->message, ==, failure->message);
}

static void
test_run_missing (void)
{
  XaXenguestArgs args = test_args ("stub=ok");
  g_autoptr(GError) error = NULL;
  XaXenguestReply reply = { 0 };

  g_assert_false (xa_xenguest_run ("/nonexistent/xadmit-xenguest", &args, 10000, NULL, &reply,
                                   &error));
  g_assert_error (error, XA_HOST_ERROR, ENOENT);
  g_assert_true (g_str_has_prefix (error->message, "xadmit-xenguest: cannot start the build "
                                   "helper: "));
  g_assert_nonnull (strstr (error->message, "/nonexistent/xadmit-xenguest"));
}

int
main (int argc, char **argv)
{
  g_autofree gchar *stub = NULL;

  g_test_init (&argc, &argv, NULL);
  /* before any thread: the runs below find the stub as the runner would */
  stub = g_test_build_filename (G_TEST_BUILT, "xa-stub-xenguest", NULL);
  g_setenv ("XADMIT_XENGUEST", stub, TRUE);
  g_test_add_func ("/scheduler/host/xen/xenguest/argv/round-trip", test_argv_round_trip);
  g_test_add_func ("/scheduler/host/xen/xenguest/argv/optional", test_argv_optional);
  g_test_add_func ("/scheduler/host/xen/xenguest/argv/refused", test_argv_refused);
  g_test_add_func ("/scheduler/host/xen/xenguest/argv/missing", test_argv_missing);
  g_test_add_func ("/scheduler/host/xen/xenguest/reply/lines", test_reply_lines);
  g_test_add_func ("/scheduler/host/xen/xenguest/reply/refused", test_reply_refused);
  g_test_add_func ("/scheduler/host/xen/xenguest/run/timeout-grows", test_timeout_grows);
  g_test_add_func ("/scheduler/host/xen/xenguest/run/ok", test_run_ok);
  g_test_add_func ("/scheduler/host/xen/xenguest/run/missing", test_run_missing);
  for (guint i = 0; i < G_N_ELEMENTS (test_failures); i++)
    g_test_add_data_func (test_failures[i].path, &test_failures[i], test_run_fails);
  return g_test_run ();
}
