/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-boot.h"
#include "xa-config-command.h"
#include "xa-daemon.h"
#include "xa-error.h"
#include "xa-text.h"

/* config's options: every setting, as the commands that take them have
 * them; GLib copies the entries, which point into @boot and @speed. */
static GOptionContext *
xa_config_option_context (XaBootOptions *boot, gchar **speed)
{
  const GOptionEntry entries[] = {
    { "policy", 0, 0, G_OPTION_ARG_STRING, &boot->policy_name,
      "The policy of plan and boot (see their --help)", "P" },
    { "sim-speed", 0, 0, G_OPTION_ARG_STRING, speed,
      "The simulated host's speed under xadmit daemon (see its --help)", "X" },
    G_OPTION_ENTRY_NULL
  };
  GOptionContext *ctx = xa_cli_option_context_new (
    "- print the effective configuration and where each value came from",
    "Reads the configuration file as every command does (--config FILE, else\n"
    XA_CONFIG_PATH " if it exists), applies the options given\n"
    "here over it, checks each value as the command that takes it would, and\n"
    "prints every setting: its value and where it came from (default, FILE:LINE\n"
    "or command line), as a configuration file; with --json, one document\n"
    "(docs/formats.md, Configuration file).\n\n"
    "The file is a GKeyFile with one group, [xadmit], whose keys are named as\n"
    "the long options: host, sim-state, db, ledger-group, policy, workers,\n"
    "max-batch, window-ms, retries, defer-timeout, strict, paused, sim-speed\n"
    "(strict and paused: true or false). A command takes the settings it has an\n"
    "option for and ignores the others; a key or group no command knows, or a\n"
    "bad value, is exit 2 naming the file, the group and the key.",
    &boot->opts, TRUE, entries);

  xa_boot_add_admission_entries (ctx, boot);
  return ctx;
}

/* Each value as its command checks it: the policy as plan does (exact is
 * plan's), the others as boot and the daemon do. */
static gboolean
xa_config_check_values (XaBootOptions *boot, const gchar *speed, GError **error)
{
  XaSchedulerOptions options = XA_SCHEDULER_OPTIONS_DEFAULT;
  XaPolicy policy;
  gdouble parsed = 0;

  if (boot->policy_name != NULL && !xa_policy_from_string (boot->policy_name, &policy, error)) {
    g_prefix_error_literal (error, "--policy: ");
    return FALSE;
  }
  g_clear_pointer (&boot->policy_name, g_free);
  return (speed == NULL || xa_daemon_parse_speed (speed, &parsed, error)) &&
         xa_boot_scheduler_options (boot, &options, error);
}

int
xa_config_main (int argc, char **argv)
{
  g_auto(XaBootOptions) boot = { { 0 } };
  g_autofree gchar *speed = NULL;
  g_autoptr(GOptionContext) ctx = NULL;
  g_autoptr(GError) error = NULL;

  xa_boot_options_init (&boot);
  ctx = xa_config_option_context (&boot, &speed);
  boot.opts.every_setting = TRUE;
  if (!xa_cli_parse_options (ctx, &boot.opts, &argc, &argv, &error) ||
      !xa_config_check_values (&boot, speed, &error))
    return xa_cli_fail ("config", error);
  if (argc > 1) {
    g_autofree gchar *shown = xa_text_quote (argv[1]);

    g_printerr ("xadmit config: unexpected argument %s (see xadmit config --help)\n", shown);
    return XA_EXIT_USAGE;
  }
  xa_config_print (xa_cli_get_config (), boot.opts.json);
  return XA_EXIT_OK;
}
