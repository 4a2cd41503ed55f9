/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What hostile or careless input does to xadmit: a file that is no file or
 * too large, values that would drive the terminal, counts of one. */
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xa-test-cli.h"
#include "xa-test-util.h"

/* Bad input: exit 2 and one short line on stderr with nothing a terminal
 * acts on (C0 but the final newline, DEL, C1), however hostile the input. */
static void
assert_safe_error (const XaTestRun *run, const gchar *message)
{
  const guchar *err = (const guchar *) run->err;

  xa_test_run_assert_error (run, 2, message);
  g_assert_cmpuint (strlen (run->err), <, 300);
  for (gsize i = 0; err[i] != '\0'; i++) {
    gboolean last = err[i + 1] == '\0';

    g_assert_true ((err[i] >= 0x20 && err[i] != 0x7f) || (last && err[i] == '\n'));
    g_assert_false (err[i] == 0xc2 && err[i + 1] >= 0x80 && err[i + 1] <= 0x9f);
  }
}

static gchar *
make_sparse_file (const XaTestDir *dir, const gchar *name, goffset size)
{
  gchar *path = g_build_filename (dir, name, NULL);
  gint fd = g_open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, size), ==, 0);
  g_assert_true (g_close (fd, NULL));
  return path;
}

/* Every file xadmit reads (a manifest, a host file, a --sim-state file) is
 * refused at once when it is no regular file or is over 64 MiB. */
static void
test_cli_input_refuses_what_is_not_a_file (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *fifo = g_build_filename (dir, "fifo.json", NULL);
  g_autofree gchar *folder = g_build_filename (dir, "folder.json", NULL);
  g_autofree gchar *big = make_sparse_file (dir, "big.json", 64 * 1024 * 1024 + 1);
  struct {
    const gchar *path;
    const gchar *kind;
  } cases[] = {
    { fifo, "it is a FIFO (a named pipe), not a regular file" },
    { "/dev/zero", "it is a character device, not a regular file" },
    { folder, "it is a directory, not a regular file" },
    { big, "it holds more than 64 MiB, the most xadmit reads" },
  };
  GStatBuf st;

  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  g_assert_cmpint (g_mkdir (folder, 0700), ==, 0);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree gchar *expected = g_strdup_printf ("%s: cannot read: %s", cases[i].path,
                                                  cases[i].kind);
    g_autofree gchar *spec = xa_test_host_spec_at (cases[i].path);
    g_auto(XaTestRun) plan = { 0 };
    g_auto(XaTestRun) host = { 0 };
    g_auto(XaTestRun) state = { 0 };

    xa_test_run_xadmit (&plan, "plan", cases[i].path, "--host", "sim", NULL);
    assert_safe_error (&plan, expected);
    xa_test_run_xadmit (&host, "host", "--host", spec, NULL);
    assert_safe_error (&host, expected);
    xa_test_run_xadmit (&state, "host", "--host", "sim", "--sim-state", cases[i].path, NULL);
    assert_safe_error (&state, expected);
  }
  g_assert_cmpint (g_stat (big, &st), ==, 0);
  g_assert_cmpint (st.st_size, ==, 64 * 1024 * 1024 + 1);
}

/* A manifest's hostile value and what the one line about it must say. */
typedef struct {
  const gchar *manifest;
  const gchar *message;
} HostileCase;

#define VM_REST "\"memory\": 1, \"vcpus\": 1"

/* Plans each manifest: every one is refused in one safe line, in our words
 * (never jansson's "JSON_ALLOW_NUL" or "null is null"). */
static void
assert_plans_refused (const HostileCase *cases, gsize n_cases)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();

  for (gsize i = 0; i < n_cases; i++) {
    g_autofree gchar *path = xa_test_dir_write (dir, "m.json", cases[i].manifest);
    g_auto(XaTestRun) run = { 0 };

    xa_test_run_xadmit (&run, "plan", path, "--host", "sim", NULL);
    assert_safe_error (&run, cases[i].message);
    g_assert_null (strstr (run.err, "JSON_ALLOW_NUL"));
    g_assert_null (strstr (run.err, "null is null"));
  }
}

static void
test_cli_input_quotes_hostile_values (void)
{
  g_autofree gchar *huge = g_strnfill (1024 * 1024, 'a');
  g_autofree gchar *huge_name = g_strdup_printf ("{\"vms\": [{\"name\": \"%s\", " VM_REST "}]}",
                                                 huge);
  g_autofree gchar *huge_key = g_strdup_printf ("{\"vms\": [{\"name\": \"a\", \"%s\": 1, "
                                                VM_REST "}]}", huge);
  const HostileCase cases[] = {
    { huge_name, "vms[0]: name: \"aaaa" },
    { huge_key, "vms[0] \"a\": \"aaaa" },
    { "{\"vms\": [{\"name\": \"\\u001b[2J\\u001b]0;pwned\\u0007\", " VM_REST "}]}",
      "vms[0]: name: \"\\x1b[2J\\x1b]0;pwned\\x07\" has a character outside" },
    { "{\"vms\": [{\"name\": \"web\\n01\\u009b31m\\u202e\", " VM_REST "}]}",
      "vms[0]: name: \"web\\n01\\x9b31m\\u202e\" has a character outside" },
    { "{\"vms\": [{\"name\": \"a\", \"x\\u001b[31m\\ny\": 1, " VM_REST "}]}",
      "vms[0] \"a\": \"x\\x1b[31m\\ny\" is not a known field" },
    { "{\"vms\": [{\"name\": \"a\", \"memory\": \"4\\u001bGiB\", \"vcpus\": 1}]}",
      "vms[0] \"a\": memory: \"4\\x1bGiB\" is not a size" },
    { "{\"vms\": [{\"name\": \"a\", \"nodes\": \"0\\u007f\", " VM_REST "}]}",
      "vms[0] \"a\": nodes: \"0\\x7f\" is not a node set" },
    { "{\"vms\": [{\"name\": \"a\", \"type\": \"\\u001b\", " VM_REST "}]}",
      "vms[0] \"a\": type: \"\\x1b\" is not a guest type" },
    { "{\"vms\": [[\"\\u001b[2J\\u007f\"]]}",
      "vms[0]: [\"\\u001B[2J\\x7f\"] is a list, not an object" },
    { "{\"vms\": []} \x1b[2J", "there is more after the top-level object, near '\\x1b'" },
    { "{\"vms\": [{\"name\": \"\xff\xfe\"}]}", "not valid JSON: the file is not UTF-8 text" },
    { "{\"vms\": [{\"name\": \"a\x1b[2J\"}]}", "a string holds a control character" },
  };

  assert_plans_refused (cases, G_N_ELEMENTS (cases));
}

/* The file's own name is a value too. */
static void
test_cli_input_quotes_the_path (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *path = xa_test_dir_write (dir, "m\x1b[2J\n.json", "{\"vms\": 1}");
  g_autofree gchar *expected = g_strdup_printf ("%s/m\\x1b[2J\\n.json: vms: 1 is an integer", dir);
  g_auto(XaTestRun) run = { 0 };

  xa_test_run_xadmit (&run, "plan", path, "--host", "sim", NULL);
  assert_safe_error (&run, expected);
}

/* jansson's own words (JSON_ALLOW_NUL, "null is null") never reach the user. */
static void
test_cli_input_speaks_our_words (void)
{
  const HostileCase cases[] = {
    { "{\"vms\": [{\"name\": \"a\\u0000b\", " VM_REST "}]}", "a string may not contain \\u0000" },
    { "{\"vms\": [{\"a\\u0000b\": 1}]}", "a key may not contain \\u0000" },
    { "{\"vms\": [null]}", "vms[0]: null is not an object" },
    { "{\"vms\": [{\"name\": null, " VM_REST "}]}", "vms[0]: name: null is not a string" },
    { "{\"vms\": [{\"name\": \"a\", \"memory\": 1e999, \"vcpus\": 1}]}", "a number is too large" },
    { "{\"vms\": [{\"name\": \"a\\ud800\", " VM_REST "}]}", "half of a UTF-16 surrogate pair" },
    { "{\"vms\": [{\"name\": \"a\\q\", " VM_REST "}]}", "a string has an escape JSON does not know" },
    { "  \n", "the file is empty" },
  };

  assert_plans_refused (cases, G_N_ELEMENTS (cases));
}

/* What a user types is quoted as what a file holds. */
static void
test_cli_input_quotes_the_command_line (void)
{
  g_auto(XaTestRun) command = { 0 };
  g_auto(XaTestRun) option = { 0 };
  g_auto(XaTestRun) host = { 0 };

  xa_test_run_xadmit (&command, "\x1b[2J", NULL);
  assert_safe_error (&command, "\"\\x1b[2J\" is not a command");
  xa_test_run_xadmit (&option, "plan", "--\x1b[2J", NULL);
  assert_safe_error (&option, "--\\x1b[2J");
  xa_test_run_xadmit (&host, "host", "--host", "k\nvm", NULL);
  assert_safe_error (&host, "--host: \"k\\nvm\" is not a host");
}

/* One VM on a one-node host: "1 VM", "1 node", never "1 VMs", in a plan, a
 * boot and the host's line. */
static void
test_cli_input_counts_of_one_read_well (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *manifest = xa_test_dir_write (dir, "one.json",
                                                  "{\"vms\": [{\"name\": \"a\", " VM_REST "}]}");
  g_autofree gchar *host_file = xa_test_dir_write (dir, "host.json",
                                                   "{\"name\": \"tiny\", \"nodes\": "
                                                   "[{\"memory\": 4096, \"cpus\": 1}]}");
  g_autofree gchar *spec = xa_test_host_spec_at (host_file);
  g_autofree gchar *db = xa_test_ledger_path (dir);
  g_auto(XaTestRun) plan = { 0 };
  g_auto(XaTestRun) boot = { 0 };
  g_auto(XaTestRun) host = { 0 };

  xa_test_run_xadmit (&plan, "plan", manifest, "--host", spec, NULL);
  g_assert_cmpint (plan.status, ==, 0);
  g_assert_nonnull (strstr (plan.out, "plan for 1 VM on \"tiny\""));
  xa_test_run_xadmit (&boot, "boot", manifest, "--host", spec, "--db", db, NULL);
  g_assert_cmpint (boot.status, ==, 0);
  g_assert_nonnull (strstr (boot.out, "boot of 1 VM on \"tiny\""));
  xa_test_run_xadmit (&host, "host", "--host", spec, NULL);
  g_assert_cmpint (host.status, ==, 0);
  g_assert_nonnull (strstr (host.out, "host \"tiny\" (simulated): 1 node, 1 CPU, 1 core\n"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cli/input/refuses-what-is-not-a-file",
                   test_cli_input_refuses_what_is_not_a_file);
  g_test_add_func ("/cli/input/quotes-hostile-values", test_cli_input_quotes_hostile_values);
  g_test_add_func ("/cli/input/quotes-the-path", test_cli_input_quotes_the_path);
  g_test_add_func ("/cli/input/speaks-our-words", test_cli_input_speaks_our_words);
  g_test_add_func ("/cli/input/quotes-the-command-line", test_cli_input_quotes_the_command_line);
  g_test_add_func ("/cli/input/counts-of-one-read-well", test_cli_input_counts_of_one_read_well);
  return g_test_run ();
}
