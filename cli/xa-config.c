/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "xa-config.h"
#include "xa-error.h"
#include "xa-file.h"
#include "xa-host.h"
#include "xa-json.h"
#include "xa-output.h"
#include "xa-store.h"
#include "xa-text.h"

/* The one group of the file. */
#define XA_CONFIG_GROUP "xadmit"
/* A configuration file is a page of text: more is not one. */
#define XA_CONFIG_MAX_BYTES ((gsize) 1024 * 1024)

/**
 * XaConfigKey:
 * @key: the setting, named as its long option
 * @boolean: true or false, given as --KEY or --no-KEY
 * @host: only for commands that open a host (report's --host is a filter)
 * @fallback: its default as the file writes it, %NULL when none is fixed
 * @expected: what a bad value is not, for the message
 * @help: one line, as data/xadmit.conf explains it
 */
typedef struct {
  const gchar *key;
  gboolean boolean;
  gboolean host;
  const gchar *fallback;
  const gchar *expected;
  const gchar *help;
} XaConfigKey;

/* Every setting: data/xadmit.conf has each, and a test checks it does. */
static const XaConfigKey xa_config_keys[] = {
  { "host", FALSE, TRUE, NULL, "a host",
    "the host: sim, sim:FILE or xen (default: xen where /dev/xen/privcmd exists, else sim)" },
  { "sim-state", FALSE, TRUE, NULL, "a file",
    "keep the simulated host's domains and memory in this file between runs (default none)" },
  { "db", FALSE, FALSE, NULL, "a file",
    "the ledger (default /var/lib/xadmit/xadmit.db as root, else "
    "$XDG_STATE_HOME/xadmit/xadmit.db)" },
  { "ledger-group", FALSE, FALSE, NULL, "a group",
    "boot and daemon make the ledger 0640 with this group, whose members may read it "
    "(status, report); default none: 0600" },
  { "policy", FALSE, FALSE, "batch", "a policy",
    "plan and boot: batch, exact (plan only), xenopsd, xenopsd-nodeclaim or xenopsd-legacy" },
  { "workers", FALSE, FALSE, "0", "a number of builds",
    "builds at once; 0: as many as the host's populate bandwidth takes, at most 16" },
  { "max-batch", FALSE, FALSE, "64", "a number of VMs",
    "a batch closes when this many VMs wait" },
  { "window-ms", FALSE, FALSE, "200", "a number of milliseconds",
    "a batch also closes this long after its first VM came, host clock" },
  { "retries", FALSE, FALSE, "2", "a number of retries",
    "a failed build is retried this many times" },
  { "defer-timeout", FALSE, FALSE, "600", "a number of seconds",
    "VMs that do not fit stop waiting for memory after this, host clock" },
  { "strict", TRUE, FALSE, "true", "true or false",
    "builds get exactly their planned MiB per node; false: node affinity only, they may spill" },
  { "paused", TRUE, FALSE, "false", "true or false",
    "built domains stay paused, for a toolstack that adds their devices and unpauses them" },
  { "sim-speed", FALSE, FALSE, "100", "a speed",
    "daemon: the simulated host's clock runs this many times as fast as the wall clock" },
};
#define XA_CONFIG_N_KEYS G_N_ELEMENTS (xa_config_keys)

typedef enum {
  XA_CONFIG_ORIGIN_DEFAULT,
  XA_CONFIG_ORIGIN_FILE,
  XA_CONFIG_ORIGIN_COMMAND_LINE,
} XaConfigOrigin;

typedef struct {
  XaConfigOrigin origin;
  gchar *value;
  /* the line of the file, from 1 */
  guint line;
} XaConfigValue;

struct _XaConfig {
  /* the file read, or the default one, which may not exist */
  gchar *path;
  gboolean read;
  XaConfigValue values[XA_CONFIG_N_KEYS];
};

void
xa_config_free (XaConfig *self)
{
  if (self == NULL)
    return;
  for (guint k = 0; k < XA_CONFIG_N_KEYS; k++)
    g_free (self->values[k].value);
  g_free (self->path);
  g_free (self);
}

static gint
xa_config_find (const gchar *key, gsize len)
{
  for (guint k = 0; k < XA_CONFIG_N_KEYS; k++) {
    if (strlen (xa_config_keys[k].key) == len && strncmp (xa_config_keys[k].key, key, len) == 0)
      return (gint) k;
  }
  return -1;
}

static void
xa_config_set (XaConfig *self, guint k, XaConfigOrigin origin, const gchar *value, guint line)
{
  g_free (self->values[k].value);
  self->values[k] = (XaConfigValue) { origin, g_strdup (value), line };
}

/* A long option of the command line that is a setting: --KEY=V, --KEY V,
 * --KEY or --no-KEY for a boolean. Returns the arguments it took. */
static gint
xa_config_scan_option (XaConfig *self, const gchar *name, const gchar *next)
{
  const gchar *eq = strchr (name, '=');
  gsize len = eq != NULL ? (gsize) (eq - name) : strlen (name);
  gboolean negated = g_str_has_prefix (name, "no-");
  gint k = xa_config_find (negated ? name + 3 : name, negated ? len - 3 : len);

  if (k >= 0 && xa_config_keys[k].boolean) {
    xa_config_set (self, (guint) k, XA_CONFIG_ORIGIN_COMMAND_LINE, negated ? "false" : "true", 0);
    return 1;
  }
  k = negated ? -1 : xa_config_find (name, len);
  if (k < 0)
    return 1;
  if (eq != NULL) {
    xa_config_set (self, (guint) k, XA_CONFIG_ORIGIN_COMMAND_LINE, eq + 1, 0);
    return 1;
  }
  if (next == NULL)
    return 1;
  xa_config_set (self, (guint) k, XA_CONFIG_ORIGIN_COMMAND_LINE, next, 0);
  return 2;
}

/* The settings the command line gives, and --config, as GLib will parse
 * them: its values win over the file's. */
static void
xa_config_scan_argv (XaConfig *self, gint argc, gchar **argv, const gchar **out_path)
{
  for (gint i = 1; i < argc && !g_str_equal (argv[i], "--"); ) {
    const gchar *next = i + 1 < argc ? argv[i + 1] : NULL;

    if (!g_str_has_prefix (argv[i], "--")) {
      i++;
    } else if (g_str_equal (argv[i], "--config") && next != NULL) {
      *out_path = next;
      i += 2;
    } else if (g_str_has_prefix (argv[i], "--config=")) {
      *out_path = argv[i] + strlen ("--config=");
      i++;
    } else {
      i += xa_config_scan_option (self, argv[i] + 2, next);
    }
  }
}

static gboolean
xa_config_fail (const XaConfig *self, const gchar *group, const gchar *key, GError **error,
                const gchar *format, ...) G_GNUC_PRINTF (5, 6);

/* One line: the file, the group, the key, what is wrong (exit 2). */
static gboolean
xa_config_fail (const XaConfig *self, const gchar *group, const gchar *key, GError **error,
                const gchar *format, ...)
{
  g_autofree gchar *what = NULL;
  va_list args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  if (key != NULL)
    g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT, "%s: [%s] %s: %s", self->path, group,
                 key, what);
  else
    g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT, "%s: [%s]: %s", self->path, group,
                 what);
  return FALSE;
}

/* The line of @key in the group of the settings, for `xadmit config`:
 * GKeyFile keeps the last of a key given twice, and so does this. */
static guint
xa_config_line_of (const gchar *data, const gchar *key)
{
  g_auto(GStrv) lines = g_strsplit (data, "\n", -1);
  gboolean in_group = FALSE;
  guint found = 0;

  for (guint i = 0; lines[i] != NULL; i++) {
    gchar *line = g_strstrip (lines[i]);
    gchar *eq = strchr (line, '=');

    if (*line == '[')
      in_group = g_str_equal (line, "[" XA_CONFIG_GROUP "]");
    else if (in_group && *line != '#' && eq != NULL && (*eq = '\0', TRUE) &&
             g_str_equal (g_strstrip (line), key))
      found = i + 1;
  }
  return found;
}

/* A value of the file, unless the command line gives that setting. */
static gboolean
xa_config_read_key (XaConfig *self, GKeyFile *file, const gchar *data, const gchar *key,
                    GError **error)
{
  gint k = xa_config_find (key, strlen (key));
  g_autofree gchar *value = NULL;
  g_autoptr(GError) local = NULL;

  if (k < 0)
    return xa_config_fail (self, XA_CONFIG_GROUP, key, error,
                           "not a setting xadmit knows (xadmit config --help lists them)");
  value = g_key_file_get_string (file, XA_CONFIG_GROUP, key, &local);
  if (value == NULL)
    return xa_config_fail (self, XA_CONFIG_GROUP, key, error, "%s", local->message);
  if (xa_config_keys[k].boolean) {
    gboolean on = g_key_file_get_boolean (file, XA_CONFIG_GROUP, key, NULL);

    if (!g_str_equal (value, "true") && !g_str_equal (value, "false"))
      return xa_config_fail (self, XA_CONFIG_GROUP, key, error, "\"%s\" is not true or false",
                             value);
    g_free (value);
    value = g_strdup (on ? "true" : "false");
  }
  if (self->values[k].origin != XA_CONFIG_ORIGIN_COMMAND_LINE)
    xa_config_set (self, (guint) k, XA_CONFIG_ORIGIN_FILE, value, xa_config_line_of (data, key));
  return TRUE;
}

/* The file's one group and its keys; anything else is a typo. */
static gboolean
xa_config_read (XaConfig *self, const gchar *data, gsize len, GError **error)
{
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autoptr(GError) local = NULL;
  g_auto(GStrv) groups = NULL;
  g_auto(GStrv) keys = NULL;

  if (!g_key_file_load_from_data (file, data, len, G_KEY_FILE_NONE, &local)) {
    g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT, "%s: %s", self->path, local->message);
    return FALSE;
  }
  groups = g_key_file_get_groups (file, NULL);
  for (guint i = 0; groups[i] != NULL; i++) {
    if (!g_str_equal (groups[i], XA_CONFIG_GROUP))
      return xa_config_fail (self, groups[i], NULL, error,
                             "not a group xadmit knows (its settings go in [" XA_CONFIG_GROUP
                             "])");
  }
  keys = g_key_file_get_keys (file, XA_CONFIG_GROUP, NULL, NULL);
  for (guint i = 0; keys != NULL && keys[i] != NULL; i++) {
    if (!xa_config_read_key (self, file, data, keys[i], error))
      return FALSE;
  }
  return TRUE;
}

/* The default file: $XADMIT_CONFIG (for tests), else the one installed. */
static const gchar *
xa_config_default_path (void)
{
  const gchar *path = g_getenv ("XADMIT_CONFIG");

  return path != NULL ? path : XA_CONFIG_PATH;
}

/**
 * xa_config_load:
 * @argc: the command's arguments
 * @argv: (array length=argc): them, not yet parsed
 * @error: a #GError, %XA_ERROR_INVALID_INPUT or %XA_ERROR_NOT_FOUND: exit 2
 *
 * Reads --config FILE, else the default file if it exists, and notes what
 * the command line gives, which wins over the file.
 *
 * Returns: (transfer full) (nullable): the configuration
 */
XaConfig *
xa_config_load (gint argc, gchar **argv, GError **error)
{
  g_autoptr(XaConfig) self = g_new0 (XaConfig, 1);
  const gchar *given = NULL;
  g_autofree gchar *data = NULL;
  gsize len = 0;
  g_autoptr(GError) local = NULL;

  xa_config_scan_argv (self, argc, argv, &given);
  self->path = g_strdup (given != NULL ? given : xa_config_default_path ());
  if (!xa_file_read (self->path, XA_CONFIG_MAX_BYTES, &data, &len, &local)) {
    if (given == NULL && g_error_matches (local, XA_ERROR, XA_ERROR_NOT_FOUND))
      return g_steal_pointer (&self);
    if (given != NULL)
      g_prefix_error_literal (&local, "--config: ");
    g_propagate_error (error, g_steal_pointer (&local));
    return NULL;
  }
  self->read = TRUE;
  if (!xa_config_read (self, data, len, error))
    return NULL;
  return g_steal_pointer (&self);
}

/* One setting of the file, parsed by the command's own options as if given
 * first on its command line; a command without that option ignores it. */
static gboolean
xa_config_apply_one (const XaConfig *self, guint k, GOptionContext *ctx, gboolean every_setting,
                     GError **error)
{
  const XaConfigKey *key = &xa_config_keys[k];
  const XaConfigValue *value = &self->values[k];
  g_autofree gchar *arg = NULL;
  gchar *args[3] = { (gchar *) g_get_prgname (), NULL, NULL };
  gchar **argv = args;
  gint argc = 2;
  gboolean parsed;
  g_autoptr(GError) local = NULL;

  if (key->boolean)
    arg = g_strdup_printf ("--%s%s", g_str_equal (value->value, "true") ? "" : "no-", key->key);
  else
    arg = g_strdup_printf ("--%s=%s", key->key, value->value);
  args[1] = arg;
  /* an option GLib does not know is left in argv: a failed parse would
   * undo every option the context parsed before */
  g_option_context_set_ignore_unknown_options (ctx, TRUE);
  parsed = g_option_context_parse (ctx, &argc, &argv, &local);
  g_option_context_set_ignore_unknown_options (ctx, FALSE);
  if (!parsed)
    return xa_config_fail (self, XA_CONFIG_GROUP, key->key, error, "\"%s\" is not %s",
                           value->value, key->expected);
  g_return_val_if_fail (argc == 1 || !every_setting, FALSE);
  return TRUE;
}

/**
 * xa_config_apply:
 * @self: the configuration
 * @ctx: a command's options, before the command line is parsed
 * @with_host: whether they include --host and --sim-state
 * @every_setting: whether they have every setting (xadmit config)
 * @error: a #GError, %XA_ERROR_INVALID_INPUT naming the file and the key
 *
 * Sets the options from the file's values, except those the command line
 * gives; the command line is parsed after, with the same @ctx.
 *
 * Returns: %TRUE if each value parsed
 */
gboolean
xa_config_apply (const XaConfig *self, GOptionContext *ctx, gboolean with_host,
                 gboolean every_setting, GError **error)
{
  for (guint k = 0; k < XA_CONFIG_N_KEYS; k++) {
    if (self->values[k].origin != XA_CONFIG_ORIGIN_FILE ||
        (xa_config_keys[k].host && !with_host))
      continue;
    if (!xa_config_apply_one (self, k, ctx, every_setting, error))
      return FALSE;
  }
  return TRUE;
}

/**
 * xa_config_attribute:
 * @self: the configuration
 * @error: why a command failed
 *
 * A message about an option ("--window-ms: ...") whose value came from the
 * file names the file, the group and the key instead.
 */
void
xa_config_attribute (const XaConfig *self, GError *error)
{
  const gchar *name = error->message + 2;
  const gchar *colon = strchr (error->message, ':');
  gint k;
  gchar *message;

  if (!g_str_has_prefix (error->message, "--") || colon == NULL)
    return;
  k = xa_config_find (name, (gsize) (colon - name));
  if (k < 0 || self->values[k].origin != XA_CONFIG_ORIGIN_FILE)
    return;
  message = g_strdup_printf ("%s: [%s] %s%s", self->path, XA_CONFIG_GROUP,
                             xa_config_keys[k].key, colon);
  g_free (error->message);
  error->message = message;
}

/* The value a setting takes without the file and the command line. */
static gchar *
xa_config_fallback (guint k)
{
  if (g_str_equal (xa_config_keys[k].key, "host"))
    return g_strdup (xa_host_auto_spec ());
  if (g_str_equal (xa_config_keys[k].key, "db"))
    return xa_store_default_path ();
  return g_strdup (xa_config_keys[k].fallback);
}

static gchar *
xa_config_origin (const XaConfig *self, guint k)
{
  switch (self->values[k].origin) {
  case XA_CONFIG_ORIGIN_DEFAULT:
    return g_strdup ("default");
  case XA_CONFIG_ORIGIN_COMMAND_LINE:
    return g_strdup ("command line");
  case XA_CONFIG_ORIGIN_FILE:
    return g_strdup_printf ("%s:%u", self->path, self->values[k].line);
  }
  return NULL;
}

static json_t *
xa_config_to_json (const XaConfig *self)
{
  json_t *settings = json_array ();

  for (guint k = 0; k < XA_CONFIG_N_KEYS; k++) {
    g_autofree gchar *fallback = xa_config_fallback (k);
    g_autofree gchar *origin = xa_config_origin (self, k);
    const gchar *value = self->values[k].value != NULL ? self->values[k].value : fallback;

    const gchar *fixed = xa_config_keys[k].fallback;

    json_array_append_new (settings, json_pack ("{s:s, s:o, s:s, s:o, s:s}", "key",
                                                xa_config_keys[k].key, "value",
                                                value != NULL ? json_string (value)
                                                              : json_null (),
                                                "origin", origin, "default",
                                                fixed != NULL ? json_string (fixed)
                                                              : json_null (),
                                                "help", xa_config_keys[k].help));
  }
  return json_pack ("{s:s, s:b, s:o}", "file", self->path, "file_read", self->read,
                    "settings", settings);
}

/**
 * xa_config_print:
 * @self: the configuration
 * @json: as one document (docs/formats.md, Configuration file)
 *
 * Prints every setting, its value and where it came from.
 */
void
xa_config_print (const XaConfig *self, gboolean json)
{
  if (json) {
    g_autoptr(json_t) root = xa_config_to_json (self);

    xa_output_print_json (root);
    return;
  }
  g_print ("# %s%s\n", self->path, self->read ? "" : " (it does not exist: defaults)");
  g_print ("[" XA_CONFIG_GROUP "]\n");
  for (guint k = 0; k < XA_CONFIG_N_KEYS; k++) {
    g_autofree gchar *fallback = xa_config_fallback (k);
    g_autofree gchar *origin = xa_config_origin (self, k);
    const gchar *value = self->values[k].value != NULL ? self->values[k].value : fallback;
    g_autofree gchar *line = value != NULL
      ? g_strdup_printf ("%s = %s", xa_config_keys[k].key, value)
      : g_strdup_printf ("# %s is not set", xa_config_keys[k].key);

    g_print ("%-40s # %s\n", line, origin);
  }
}
