/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gio/gio.h>
#include <string.h>

#include "xa-nodeset.h"
#include "xa-text.h"
#include "xa-xenguest-proto.h"

/* The reply's first words: "xadmit-xenguest 1 ". */
#define XA_XENGUEST_PROTO_PREFIX XA_XENGUEST_PROTO_NAME " " G_STRINGIFY (XA_XENGUEST_PROTO_VERSION) " "
/* How much of an unexpected reply an error message quotes. */
#define XA_XENGUEST_PROTO_QUOTE 60

/* "0:1024,1:2048": the nodes with memory, in node order. */
static gchar *
xa_xenguest_proto_format_vnuma (const guint64 *mib_by_node, guint n_nodes)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint node = 0; node < n_nodes; node++) {
    if (mib_by_node[node] == 0)
      continue;
    g_string_append_printf (text, "%s%u:%" G_GUINT64_FORMAT, text->len > 0 ? "," : "", node,
                            mib_by_node[node]);
  }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/**
 * xa_xenguest_proto_argv:
 * @helper: the helper program, argv[0]
 * @args: the build
 *
 * Returns: (transfer full): the helper's argv, for a spawn without a shell
 */
gchar **
xa_xenguest_proto_argv (const gchar *helper, const XaXenguestArgs *args)
{
  GPtrArray *argv = g_ptr_array_new ();

  g_ptr_array_add (argv, g_strdup (helper));
  g_ptr_array_add (argv, g_strdup_printf ("--protocol=%d", XA_XENGUEST_PROTO_VERSION));
  g_ptr_array_add (argv, g_strdup_printf ("--domid=%u", args->domid));
  g_ptr_array_add (argv, g_strdup_printf ("--memory-mib=%" G_GUINT64_FORMAT, args->memory_mib));
  g_ptr_array_add (argv, g_strdup_printf ("--vcpus=%u", args->vcpus));
  g_ptr_array_add (argv, g_strdup_printf ("--kernel=%s", args->kernel));
  if (args->ramdisk != NULL)
    g_ptr_array_add (argv, g_strdup_printf ("--ramdisk=%s", args->ramdisk));
  if (args->cmdline != NULL)
    g_ptr_array_add (argv, g_strdup_printf ("--cmdline=%s", args->cmdline));
  g_ptr_array_add (argv, g_strdup_printf ("--store-port=%u", args->store_port));
  g_ptr_array_add (argv, g_strdup_printf ("--console-port=%u", args->console_port));
  if (args->mib_by_node != NULL) {
    g_autofree gchar *vnuma = xa_xenguest_proto_format_vnuma (args->mib_by_node, args->n_nodes);

    g_ptr_array_add (argv, g_strdup_printf ("--vnuma=%s", vnuma));
  }
  if (args->test_fault != NULL)
    g_ptr_array_add (argv, g_strdup_printf ("--test-fault=%s", args->test_fault));
  g_ptr_array_add (argv, NULL);
  return (gchar **) g_ptr_array_free (argv, FALSE);
}

void
xa_xenguest_proto_args_free (XaXenguestArgs *args)
{
  if (args == NULL)
    return;
  g_free ((gchar *) args->kernel);
  g_free ((gchar *) args->ramdisk);
  g_free ((gchar *) args->cmdline);
  g_free ((guint64 *) args->mib_by_node);
  g_free ((gchar *) args->test_fault);
  g_free (args);
}

/* A required unsigned option, at most @max. */
static gboolean
xa_xenguest_proto_parse_uint (const gchar *option, const gchar *text, guint64 min, guint64 max,
                              guint64 *out, GError **error)
{
  if (text == NULL) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "--%s is missing", option);
    return FALSE;
  }
  if (!g_ascii_string_to_unsigned (text, 10, min, max, out, error)) {
    g_prefix_error (error, "--%s: ", option);
    return FALSE;
  }
  return TRUE;
}

/* One "node:MiB" of --vnuma into @mib_by_node (XA_MAX_NODES long). */
static gboolean
xa_xenguest_proto_parse_range (const gchar *range, guint64 *mib_by_node, guint *n_nodes,
                               GError **error)
{
  g_auto(GStrv) parts = g_strsplit (range, ":", -1);
  guint64 node = 0;
  guint64 mib = 0;

  if (g_strv_length (parts) != 2 ||
      !g_ascii_string_to_unsigned (parts[0], 10, 0, XA_MAX_NODES - 1, &node, NULL) ||
      !g_ascii_string_to_unsigned (parts[1], 10, 1, G_MAXUINT32, &mib, NULL)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--vnuma: \"%s\" is not NODE:MIB (a node below %d, MiB above 0)", range,
                 XA_MAX_NODES);
    return FALSE;
  }
  if (mib_by_node[node] != 0) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--vnuma: node %" G_GUINT64_FORMAT " is given twice", node);
    return FALSE;
  }
  mib_by_node[node] = mib;
  *n_nodes = MAX (*n_nodes, (guint) node + 1);
  return TRUE;
}

/* --vnuma into @args: its ranges must add up to the memory populated. */
static gboolean
xa_xenguest_proto_parse_vnuma (const gchar *text, XaXenguestArgs *args, GError **error)
{
  g_auto(GStrv) ranges = g_strsplit (text, ",", -1);
  g_autofree guint64 *mib_by_node = g_new0 (guint64, XA_MAX_NODES);
  guint64 sum = 0;
  guint n_nodes = 0;

  for (guint i = 0; ranges[i] != NULL; i++) {
    if (!xa_xenguest_proto_parse_range (ranges[i], mib_by_node, &n_nodes, error))
      return FALSE;
  }
  for (guint node = 0; node < n_nodes; node++)
    sum += mib_by_node[node];
  if (sum != args->memory_mib) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--vnuma: the ranges hold %" G_GUINT64_FORMAT " MiB, --memory-mib %"
                 G_GUINT64_FORMAT, sum, args->memory_mib);
    return FALSE;
  }
  args->mib_by_node = g_steal_pointer (&mib_by_node);
  args->n_nodes = n_nodes;
  return TRUE;
}

/* The options as given, before they are checked. */
typedef struct {
  gchar *protocol;
  gchar *domid;
  gchar *memory_mib;
  gchar *vcpus;
  gchar *store_port;
  gchar *console_port;
  gchar *vnuma;
} XaXenguestOptions;

static void
xa_xenguest_options_clear (XaXenguestOptions *options)
{
  g_free (options->protocol);
  g_free (options->domid);
  g_free (options->memory_mib);
  g_free (options->vcpus);
  g_free (options->store_port);
  g_free (options->console_port);
  g_free (options->vnuma);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (XaXenguestOptions, xa_xenguest_options_clear)

/* The numbers of @options into @args. */
static gboolean
xa_xenguest_proto_check (const XaXenguestOptions *options, XaXenguestArgs *args, GError **error)
{
  guint64 protocol = 0;
  guint64 domid = 0;
  guint64 vcpus = 0;
  guint64 store_port = 0;
  guint64 console_port = 0;

  if (!xa_xenguest_proto_parse_uint ("protocol", options->protocol, XA_XENGUEST_PROTO_VERSION,
                                     XA_XENGUEST_PROTO_VERSION, &protocol, error) ||
      !xa_xenguest_proto_parse_uint ("domid", options->domid, 1, G_MAXUINT16, &domid, error) ||
      !xa_xenguest_proto_parse_uint ("memory-mib", options->memory_mib, 1, G_MAXUINT32,
                                     &args->memory_mib, error) ||
      !xa_xenguest_proto_parse_uint ("vcpus", options->vcpus, 1, G_MAXUINT16, &vcpus, error) ||
      !xa_xenguest_proto_parse_uint ("store-port", options->store_port, 1, G_MAXUINT32,
                                     &store_port, error) ||
      !xa_xenguest_proto_parse_uint ("console-port", options->console_port, 1, G_MAXUINT32,
                                     &console_port, error))
    return FALSE;
  args->domid = (guint32) domid;
  args->vcpus = (guint) vcpus;
  args->store_port = (guint32) store_port;
  args->console_port = (guint32) console_port;
  if (args->kernel == NULL) {
    g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "--kernel is missing");
    return FALSE;
  }
  if (args->test_fault != NULL && g_strcmp0 (args->test_fault, "die") != 0 &&
      g_strcmp0 (args->test_fault, "hang") != 0) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--test-fault: \"%s\" is not die or hang", args->test_fault);
    return FALSE;
  }
  return options->vnuma == NULL || xa_xenguest_proto_parse_vnuma (options->vnuma, args, error);
}

/**
 * xa_xenguest_proto_parse_argv:
 * @argc: the helper's argc
 * @argv: its argv, as xa_xenguest_proto_argv() wrote it
 * @error: a #GError, in %G_OPTION_ERROR or %G_NUMBER_PARSER_ERROR
 *
 * Returns: (transfer full): the build, or %NULL when @argv is not one
 */
XaXenguestArgs *
xa_xenguest_proto_parse_argv (gint argc, gchar **argv, GError **error)
{
  g_auto(XaXenguestOptions) options = { NULL };
  g_autoptr(XaXenguestArgs) args = g_new0 (XaXenguestArgs, 1);
  const GOptionEntry entries[] = {
    { "protocol", 0, 0, G_OPTION_ARG_STRING, &options.protocol, "Protocol version", "N" },
    { "domid", 0, 0, G_OPTION_ARG_STRING, &options.domid, "Domain", "DOMID" },
    { "memory-mib", 0, 0, G_OPTION_ARG_STRING, &options.memory_mib, "Memory", "MIB" },
    { "vcpus", 0, 0, G_OPTION_ARG_STRING, &options.vcpus, "vCPUs", "N" },
    { "kernel", 0, 0, G_OPTION_ARG_FILENAME, &args->kernel, "Kernel", "PATH" },
    { "ramdisk", 0, 0, G_OPTION_ARG_FILENAME, &args->ramdisk, "Ramdisk", "PATH" },
    { "cmdline", 0, 0, G_OPTION_ARG_STRING, &args->cmdline, "Kernel command line", "TEXT" },
    { "store-port", 0, 0, G_OPTION_ARG_STRING, &options.store_port, "xenstore event channel",
      "PORT" },
    { "console-port", 0, 0, G_OPTION_ARG_STRING, &options.console_port,
      "Console event channel", "PORT" },
    { "vnuma", 0, 0, G_OPTION_ARG_STRING, &options.vnuma, "Exact MiB per node", "NODE:MIB,..." },
    { "test-fault", 0, 0, G_OPTION_ARG_STRING, &args->test_fault, "Stop once populate has run",
      "die|hang" },
    { NULL },
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- build one Xen domain");
  g_autofree gchar **copy = g_memdup2 (argv, sizeof (gchar *) * (gsize) (argc + 1));
  gint left = argc;

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_help_enabled (context, FALSE);
  /* GOption removes what it parsed from the array: parse a copy. */
  if (!g_option_context_parse (context, &left, &copy, error) ||
      !xa_xenguest_proto_check (&options, args, error))
    return NULL;
  if (left != 1) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "unexpected argument \"%s\"",
                 copy[1]);
    return NULL;
  }
  return g_steal_pointer (&args);
}

/**
 * xa_xenguest_proto_ok_line:
 * @reply: what the build gave
 *
 * Returns: (transfer full): "xadmit-xenguest 1 ok store_mfn=N console_mfn=N\n"
 */
gchar *
xa_xenguest_proto_ok_line (const XaXenguestReply *reply)
{
  return g_strdup_printf (XA_XENGUEST_PROTO_PREFIX "ok store_mfn=%" G_GUINT64_FORMAT
                          " console_mfn=%" G_GUINT64_FORMAT "\n",
                          reply->store_mfn, reply->console_mfn);
}

/**
 * xa_xenguest_proto_error_line:
 * @errsv: the errno the failed call gave
 * @sentence: what failed, naming the call
 *
 * Returns: (transfer full): "xadmit-xenguest 1 error ERRNO SENTENCE\n", the
 *   sentence on one line
 */
gchar *
xa_xenguest_proto_error_line (gint errsv, const gchar *sentence)
{
  g_autofree gchar *flat = g_strdelimit (g_strdup (sentence), "\r\n", ' ');

  return g_strdup_printf (XA_XENGUEST_PROTO_PREFIX "error %d %s\n", errsv, flat);
}

/* "store_mfn=1 console_mfn=2": both keys needed; keys this xadmit does not
 * know are skipped, so that version 1 may grow. */
static gboolean
xa_xenguest_proto_parse_ok (const gchar *pairs, XaXenguestReply *out_reply)
{
  g_auto(GStrv) words = g_strsplit (pairs, " ", -1);
  gboolean store = FALSE;
  gboolean console = FALSE;

  for (guint i = 0; words[i] != NULL; i++) {
    const gchar *value = strchr (words[i], '=');
    guint64 *field = NULL;

    if (value == NULL)
      return FALSE;
    if (g_str_has_prefix (words[i], "store_mfn=")) {
      field = &out_reply->store_mfn;
      store = TRUE;
    } else if (g_str_has_prefix (words[i], "console_mfn=")) {
      field = &out_reply->console_mfn;
      console = TRUE;
    }
    if (field != NULL && !g_ascii_string_to_unsigned (value + 1, 10, 0, G_MAXUINT64, field, NULL))
      return FALSE;
  }
  return store && console;
}

/* "12 xc_dom_boot_mem_init: ...": an errno above 0, then a sentence. */
static gboolean
xa_xenguest_proto_parse_error (const gchar *rest, gint *out_errsv, gchar **out_sentence)
{
  const gchar *space = strchr (rest, ' ');
  g_autofree gchar *number = NULL;
  guint64 errsv = 0;

  if (space == NULL || space[1] == '\0')
    return FALSE;
  number = g_strndup (rest, (gsize) (space - rest));
  if (!g_ascii_string_to_unsigned (number, 10, 1, G_MAXINT, &errsv, NULL))
    return FALSE;
  *out_errsv = (gint) errsv;
  *out_sentence = g_strdup (space + 1);
  return TRUE;
}

/* @line without its newline. */
static gboolean
xa_xenguest_proto_parse_line (const gchar *line, XaXenguestReply *out_reply, gint *out_errsv,
                              gchar **out_sentence)
{
  const gchar *rest;

  if (!g_str_has_prefix (line, XA_XENGUEST_PROTO_PREFIX))
    return FALSE;
  rest = line + strlen (XA_XENGUEST_PROTO_PREFIX);
  if (g_str_has_prefix (rest, "ok ")) {
    *out_errsv = 0;
    return xa_xenguest_proto_parse_ok (rest + strlen ("ok "), out_reply);
  }
  return g_str_has_prefix (rest, "error ") &&
         xa_xenguest_proto_parse_error (rest + strlen ("error "), out_errsv, out_sentence);
}

/**
 * xa_xenguest_proto_parse_reply:
 * @output: what the helper wrote on stdout
 * @len: its length
 * @out_reply: (out): the frames, when the build went well
 * @out_errsv: (out): 0 when it went well, else the errno of the call that failed
 * @out_sentence: (out) (transfer full): with @out_errsv, what failed
 * @error: a #GError, %G_IO_ERROR_INVALID_DATA quoting the output
 *
 * Returns: whether @output is one line of the protocol, ok or error
 */
gboolean
xa_xenguest_proto_parse_reply (const gchar *output, gsize len, XaXenguestReply *out_reply,
                               gint *out_errsv, gchar **out_sentence, GError **error)
{
  g_autofree gchar *line = NULL;
  g_autofree gchar *quoted = NULL;

  if (len > 0 && output[len - 1] == '\n' && memchr (output, '\n', len - 1) == NULL &&
      memchr (output, '\0', len) == NULL && g_utf8_validate (output, (gssize) len, NULL)) {
    line = g_strndup (output, len - 1);
    if (xa_xenguest_proto_parse_line (line, out_reply, out_errsv, out_sentence))
      return TRUE;
  }
  quoted = xa_text_quote_full (output, (gssize) len, XA_XENGUEST_PROTO_QUOTE,
                               XA_TEXT_QUOTE_DEFAULT);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
               "not one line \"" XA_XENGUEST_PROTO_PREFIX "ok|error ...\": %s", quoted);
  return FALSE;
}
