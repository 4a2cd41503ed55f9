/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The configuration file and xadmit config (docs/formats.md, Configuration
 * file): its values, the command line over them, bad files, the shipped one. */
#include <string.h>

#include "xa-test-cli.h"

/* The setting @key of `xadmit config --json`'s document. */
static json_t *
setting_named (json_t *root, const gchar *key)
{
  json_t *settings = json_object_get (root, "settings");
  gsize i;
  json_t *setting;

  json_array_foreach (settings, i, setting) {
    if (g_str_equal (xa_test_json_string (setting, "key"), key))
      return setting;
  }
  g_assert_not_reached ();
}

static void
assert_setting (json_t *root, const gchar *key, const gchar *value, const gchar *origin)
{
  json_t *setting = setting_named (root, key);

  g_assert_cmpstr (json_string_value (json_object_get (setting, "value")), ==, value);
  g_assert_cmpstr (xa_test_json_string (setting, "origin"), ==, origin);
}

static void
test_config_defaults_without_a_file (void)
{
  g_auto(XaTestRun) run = { 0 };
  g_autoptr(json_t) root = NULL;

  xa_test_run_xadmit (&run, "config", "--json", NULL);
  g_assert_cmpint (run.status, ==, 0);
  root = xa_test_json_parse (run.out);
  g_assert_false (json_is_true (json_object_get (root, "file_read")));
  assert_setting (root, "window-ms", "200", "default");
  assert_setting (root, "strict", "true", "default");
  g_assert_true (json_is_null (json_object_get (setting_named (root, "ledger-group"), "value")));
}

/* The file's values with their lines; the command line's over them. */
static void
test_config_file_then_command_line (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *path = xa_test_dir_write (dir, "x.conf",
                                              "# mine\n[xadmit]\nwindow-ms = 50\n"
                                              "strict=false\n\nretries = 3\n");
  g_autofree gchar *at_3 = g_strdup_printf ("%s:3", path);
  g_autofree gchar *at_4 = g_strdup_printf ("%s:4", path);
  g_auto(XaTestRun) run = { 0 };
  g_autoptr(json_t) root = NULL;

  xa_test_run_xadmit (&run, "config", "--json", "--config", path, "--retries", "4", NULL);
  g_assert_cmpint (run.status, ==, 0);
  root = xa_test_json_parse (run.out);
  g_assert_true (json_is_true (json_object_get (root, "file_read")));
  assert_setting (root, "window-ms", "50", at_3);
  assert_setting (root, "strict", "false", at_4);
  assert_setting (root, "retries", "4", "command line");
  assert_setting (root, "max-batch", "64", "default");
}

/* The text form: a line a setting, its value, where it came from. */
static void
test_config_text_says_where_from (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *path = xa_test_dir_write (dir, "x.conf", "[xadmit]\npolicy = xenopsd\n");
  g_autofree gchar *from_file = g_strdup_printf ("# %s:2\n", path);
  g_auto(XaTestRun) run = { 0 };
  g_auto(GStrv) lines = NULL;

  xa_test_run_xadmit (&run, "config", "--config", path, "--paused", NULL);
  g_assert_cmpint (run.status, ==, 0);
  lines = g_strsplit (run.out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++) {
    g_autofree gchar *line = g_strconcat (lines[i], "\n", NULL);

    if (g_str_has_prefix (line, "policy = xenopsd "))
      g_assert_true (g_str_has_suffix (line, from_file));
    if (g_str_has_prefix (line, "paused = "))
      g_assert_cmpstr (line, ==, "paused = true                            # command line\n");
  }
  g_assert_nonnull (strstr (run.out, "policy = xenopsd "));
}

typedef struct {
  const gchar *text;
  const gchar *message;
} BadFile;

/* Each is exit 2, one line naming the file, the group and the key. */
static void
test_config_bad_files (void)
{
  const BadFile cases[] = {
    { "[xadmit]\nwindow-ms = fast\n", "[xadmit] window-ms: \"fast\" is not a number of milliseconds" },
    { "[xadmit]\nwindow-ms = -5\n", "[xadmit] window-ms: -5 is not between 0 and 3600000" },
    { "[xadmit]\nwindw = 5\n", "[xadmit] windw: not a setting xadmit knows" },
    { "[xadmit]\nstrict = maybe\n", "[xadmit] strict: \"maybe\" is not true or false" },
    { "[xadmit]\npolicy = best\n", "[xadmit] policy: " },
    { "[xadmit]\nsim-speed = 0\n", "[xadmit] sim-speed: " },
    { "[xadmit]\nledger-group = no-such-group-here\n", "[xadmit] ledger-group: " },
    { "[xadmin]\nretries = 1\n", "[xadmin]: not a group xadmit knows" },
    { "retries = 1\n", ": Key file does not start with a group" },
  };
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree gchar *path = xa_test_dir_write (dir, "bad.conf", cases[i].text);
    g_autofree gchar *message = g_strdup_printf ("%s%s%s", path,
                                                 cases[i].message[0] == ':' ? "" : ": ",
                                                 cases[i].message);

    g_test_message ("%s", cases[i].text);
    xa_test_xadmit_fails (2, message, "config", "--config", path, NULL);
  }
  xa_test_xadmit_fails (2, "--config: ", "config", "--config", "/nonexistent/x.conf", NULL);
}

/* A bad value on the command line is the option's, not the file's. */
static void
test_config_command_line_error_is_not_the_files (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *path = xa_test_dir_write (dir, "x.conf", "[xadmit]\nretries = 1\n");
  g_auto(XaTestRun) run = { 0 };

  xa_test_run_xadmit (&run, "config", "--config", path, "--retries", "500", NULL);
  xa_test_run_assert_error (&run, 2, "xadmit config: --retries: 500 is not between 0 and 100");
}

/* Every command reads --config: a bad file stops each. */
static void
test_config_every_command_reads_it (void)
{
  const gchar *const commands[] = { "host", "plan", "boot", "daemon", "submit", "status",
                                    "cancel", "explain", "report", "config", "bench" };
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *path = xa_test_dir_write (dir, "x.conf", "[xadmit]\nwindw = 5\n");
  g_autofree gchar *message = g_strdup_printf ("%s: [xadmit] windw: ", path);

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++) {
    g_test_message ("%s", commands[i]);
    xa_test_xadmit_fails (2, message, commands[i], "--config", path, NULL);
  }
}

/* The default file: read if it exists, its errors fatal too. */
static void
test_config_default_file (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *path = xa_test_dir_write (dir, "x.conf", "[xadmit]\nmax-batch = 0\n");
  g_autofree gchar *saved = g_strdup (g_getenv ("XADMIT_CONFIG"));
  g_autofree gchar *message = g_strdup_printf ("%s: [xadmit] max-batch: 0 is not between", path);

  g_setenv ("XADMIT_CONFIG", path, TRUE);
  xa_test_xadmit_fails (2, message, "config", NULL);
  g_setenv ("XADMIT_CONFIG", saved, TRUE);
}

/* A command takes what the file says, and its command line over it. */
static void
test_config_plan_takes_the_policy (void)
{
  g_autoptr(XaTestDir) dir = xa_test_dir_new ();
  g_autofree gchar *path = xa_test_dir_write (dir, "x.conf",
                                              "[xadmit]\npolicy = xenopsd\nwindow-ms = 5\n");
  g_autofree gchar *manifest = xa_test_data_path ("manifests", "demo.json");
  g_auto(XaTestRun) from_file = { 0 };
  g_auto(XaTestRun) overridden = { 0 };
  g_autoptr(json_t) first = NULL;
  g_autoptr(json_t) second = NULL;

  xa_test_run_xadmit (&from_file, "plan", "--config", path, "--host", "sim", "--json", manifest,
                      NULL);
  g_assert_cmpint (from_file.status, ==, 0);
  first = xa_test_json_parse (from_file.out);
  g_assert_cmpstr (xa_test_json_string (first, "policy"), ==, "xenopsd");
  xa_test_run_xadmit (&overridden, "plan", "--config", path, "--host", "sim", "--json",
                      "--policy", "batch", manifest, NULL);
  g_assert_cmpint (overridden.status, ==, 0);
  second = xa_test_json_parse (overridden.out);
  g_assert_cmpstr (xa_test_json_string (second, "policy"), ==, "batch");
}

/* data/xadmit.conf parses, sets nothing, and has every setting the code
 * knows, commented out with its help line and its default. */
static void
test_config_shipped_file_has_every_key (void)
{
  g_autofree gchar *path = g_build_filename (g_getenv ("G_TEST_SRCDIR"), "..", "data",
                                             "xadmit.conf", NULL);
  g_autofree gchar *text = NULL;
  g_auto(XaTestRun) run = { 0 };
  g_autoptr(json_t) root = NULL;
  json_t *setting;
  gsize i;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  xa_test_run_xadmit (&run, "config", "--json", "--config", path, NULL);
  g_assert_cmpint (run.status, ==, 0);
  root = xa_test_json_parse (run.out);
  g_assert_true (json_is_true (json_object_get (root, "file_read")));
  json_array_foreach (json_object_get (root, "settings"), i, setting) {
    const gchar *key = xa_test_json_string (setting, "key");
    const gchar *fallback = json_string_value (json_object_get (setting, "default"));
    g_autofree gchar *block = g_strdup_printf ("\n# %s\n#%s = ",
                                               xa_test_json_string (setting, "help"), key);
    g_autofree gchar *line = g_strdup_printf ("\n#%s = %s\n", key, fallback);

    g_test_message ("%s", key);
    g_assert_cmpstr (xa_test_json_string (setting, "origin"), ==, "default");
    g_assert_nonnull (strstr (text, block));
    if (fallback != NULL)
      g_assert_nonnull (strstr (text, line));
  }
  g_assert_cmpuint (i, ==, 13);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cli/config/defaults-without-a-file", test_config_defaults_without_a_file);
  g_test_add_func ("/cli/config/file-then-command-line", test_config_file_then_command_line);
  g_test_add_func ("/cli/config/text-says-where-from", test_config_text_says_where_from);
  g_test_add_func ("/cli/config/bad-files", test_config_bad_files);
  g_test_add_func ("/cli/config/command-line-error-is-not-the-files",
                   test_config_command_line_error_is_not_the_files);
  g_test_add_func ("/cli/config/every-command-reads-it", test_config_every_command_reads_it);
  g_test_add_func ("/cli/config/default-file", test_config_default_file);
  g_test_add_func ("/cli/config/plan-takes-the-policy", test_config_plan_takes_the_policy);
  g_test_add_func ("/cli/config/shipped-file-has-every-key",
                   test_config_shipped_file_has_every_key);
  return g_test_run ();
}
