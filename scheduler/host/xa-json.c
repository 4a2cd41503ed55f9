/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "xa-error.h"
#include "xa-file.h"
#include "xa-json.h"
#include "xa-name.h"
#include "xa-size.h"
#include "xa-text.h"

/* Duplicate keys are rejected (docs/formats.md: strict RFC 8259); jansson already
 * refuses comments, single quotes, leading zeros, integers past 2^63 and a
 * second top-level value. */
#define XA_JSON_LOAD_FLAGS JSON_REJECT_DUPLICATES

/* jansson's messages (json_error_t.text, before " near ...") in our words. */
typedef struct {
  const gchar *jansson;
  const gchar *ours;
} XaJsonMessage;

static const XaJsonMessage json_messages[] = {
  { "premature end of input", "the file ends in the middle of a value" },
  { "unexpected newline", "a string runs past the end of its line" },
  { "control character 0x", "a string holds a control character (write it as \\n or \\u001b)" },
  { "invalid escape", "a string has an escape JSON does not know (use \\\\, \\\", \\n or \\uXXXX)" },
  { "invalid Unicode escape", "a \\u escape needs four hex digits" },
  { "invalid Unicode '", "a \\u escape is half of a UTF-16 surrogate pair" },
  { "unable to decode byte", "the file is not UTF-8 text" },
  { "too big negative integer", "an integer is below -2^63" },
  { "too big integer", "an integer is above 2^63 - 1" },
  { "real number overflow", "a number is too large" },
  { "string or '}' expected", "expected a key in double quotes, or '}'" },
  { "NUL byte in object key not supported", "a key may not contain \\u0000" },
  { "duplicate object key", "a key appears twice in the same object" },
  { "':' expected", "expected ':' after a key" },
  { "'}' expected", "expected ',' or '}' after a value in an object" },
  { "']' expected", "expected ',' or ']' after a value in a list" },
  { "maximum parsing depth reached", "lists and objects are nested too deep" },
  { "\\u0000 is not allowed", "a string may not contain \\u0000" },
  { "invalid token", "expected a value (strings in double quotes, numbers without leading zeros, "
                     "no comments)" },
  { "unexpected token", "expected a value" },
  { "'[' or '{' expected", "the top level is not an object" },
  { "end of file expected", "there is more after the top-level object" },
};

static const gchar *
xa_json_our_words (const gchar *jansson_text)
{
  for (gsize i = 0; i < G_N_ELEMENTS (json_messages); i++) {
    if (g_str_has_prefix (jansson_text, json_messages[i].jansson))
      return json_messages[i].ours;
  }
  return "the file cannot be read as JSON";
}

/* jansson adds " near 'TEXT'" (raw bytes of the file, up to 20, shown as
 * the file has them but for what a terminal acts on) or " near end of file"
 * to its message. */
static gchar *
xa_json_error_text (const json_error_t *jerr)
{
  const gchar *ours = xa_json_our_words (jerr->text);
  const gchar *near = strstr (jerr->text, " near '");
  g_autofree gchar *shown = NULL;

  if (g_str_has_suffix (jerr->text, " near end of file"))
    return g_strdup_printf ("%s, at the end of the file", ours);
  if (near == NULL || !g_str_has_suffix (near, "'") || strlen (near) <= strlen (" near ''"))
    return g_strdup (ours);
  near += strlen (" near '");
  shown = xa_text_quote_full (near, (gssize) strlen (near) - 1, XA_TEXT_QUOTE_MAX_CHARS,
                              XA_TEXT_QUOTE_BARE | XA_TEXT_QUOTE_ESCAPED);
  return g_strdup_printf ("%s, near '%s'", ours, shown);
}

static json_t *
xa_json_check_loaded (json_t *root, const json_error_t *jerr, GError **error)
{
  if (root == NULL) {
    g_autofree gchar *text = xa_json_error_text (jerr);

    g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                 "line %d, column %d: not valid JSON: %s", jerr->line, jerr->column, text);
    return NULL;
  }
  if (!json_is_object (root)) {
    g_set_error_literal (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                         "the top level is not an object");
    json_decref (root);
    return NULL;
  }
  return root;
}

/**
 * xa_json_prefix_file:
 * @error: a #GError to prefix, or %NULL
 * @display_name: the file's name, as the user gave it
 *
 * Makes the error say which file it is about, its name quoted as every
 * value a message shows (see xa_text_quote_path()).
 */
void
xa_json_prefix_file (GError **error, const gchar *display_name)
{
  g_autofree gchar *shown = xa_text_quote_path (display_name);

  g_prefix_error (error, "%s: ", shown);
}

/* What jansson would report badly: nothing but whitespace, or a NUL byte
 * (a binary file), which it takes for the end of the text. */
static gboolean
xa_json_check_text (const gchar *data, gsize len, GError **error)
{
  const gchar *nul = memchr (data, '\0', len);
  gsize i = 0;

  if (nul != NULL) {
    g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                 "byte %" G_GSIZE_FORMAT " is NUL: this is not a text file", (gsize) (nul - data));
    return FALSE;
  }
  while (i < len && strchr (" \t\r\n", data[i]) != NULL)
    i++;
  if (i == len) {
    g_set_error_literal (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                         "the file is empty (expected a JSON object)");
    return FALSE;
  }
  return TRUE;
}

/**
 * xa_json_load_data:
 * @display_name: the name errors give the document
 * @data: the document
 * @len: its length in bytes
 * @error: a #GError
 *
 * Returns: (transfer full): the top-level object, or %NULL if @data is not
 *   one strict JSON object
 */
json_t *
xa_json_load_data (const gchar *display_name, const gchar *data, gsize len, GError **error)
{
  json_error_t jerr;
  json_t *root = NULL;

  if (xa_json_check_text (data, len, error))
    root = xa_json_check_loaded (json_loadb (data, len, XA_JSON_LOAD_FLAGS, &jerr), &jerr,
                                 error);
  if (root == NULL)
    xa_json_prefix_file (error, display_name);
  return root;
}

/**
 * xa_json_load_file:
 * @path: a file
 * @error: a #GError, %XA_ERROR_NOT_FOUND if @path does not exist,
 *   %XA_ERROR_INVALID_INPUT if it is not a regular file, holds more than
 *   %XA_FILE_MAX_BYTES, cannot be read or is not a JSON object
 *
 * Returns: (transfer full): the file's top-level object, or %NULL
 */
json_t *
xa_json_load_file (const gchar *path, GError **error)
{
  g_autofree gchar *data = NULL;
  gsize len = 0;

  if (!xa_file_read (path, XA_FILE_MAX_BYTES, &data, &len, error))
    return NULL;
  return xa_json_load_data (path, data, len, error);
}

/* Keeps the start of a dump: enough to show, however large the value. */
static int
xa_json_dump_start (const char *buffer, size_t size, void *data)
{
  GString *out = data;

  g_string_append_len (out, buffer, (gssize) MIN (size, 4 * XA_TEXT_QUOTE_MAX_CHARS));
  return out->len >= 4 * XA_TEXT_QUOTE_MAX_CHARS ? -1 : 0;
}

/**
 * xa_json_describe:
 * @value: a JSON value from a file
 *
 * Returns: (transfer full): @value for a one-line message: a string quoted
 *   (see xa_text_quote()), anything else as compact JSON, shortened
 */
gchar *
xa_json_describe (json_t *value)
{
  g_autoptr(GString) text = g_string_new (NULL);
  gboolean cut;

  if (json_is_string (value))
    return xa_text_quote (json_string_value (value));
  cut = json_dump_callback (value, xa_json_dump_start, text,
                            JSON_ENCODE_ANY | JSON_COMPACT) != 0;
  return xa_text_quote_full (text->str, (gssize) text->len, XA_TEXT_QUOTE_MAX_CHARS,
                             XA_TEXT_QUOTE_BARE | XA_TEXT_QUOTE_ESCAPED |
                             (cut ? XA_TEXT_QUOTE_PREFIX : 0));
}

static const gchar *
xa_json_type_name (json_t *value)
{
  switch (json_typeof (value)) {
  case JSON_OBJECT:
    return "an object";
  case JSON_ARRAY:
    return "a list";
  case JSON_STRING:
    return "a string";
  case JSON_INTEGER:
    return "an integer";
  case JSON_REAL:
    return "a number";
  case JSON_TRUE:
  case JSON_FALSE:
    return "a boolean";
  case JSON_NULL:
    return "null";
  default:
    return "a value";
  }
}

/* "[1] is a list, not an object"; null is named once: "null is not an object". */
static gchar *
xa_json_wrong_type (json_t *value, const gchar *expected)
{
  g_autofree gchar *shown = xa_json_describe (value);

  if (json_is_null (value))
    return g_strdup_printf ("null is not %s", expected);
  return g_strdup_printf ("%s is %s, not %s", shown, xa_json_type_name (value), expected);
}

static gboolean
xa_json_set_wrong_type (const gchar *key, json_t *value, const gchar *expected, GError **error)
{
  g_autofree gchar *text = xa_json_wrong_type (value, expected);

  g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT, "%s: %s", key, text);
  return FALSE;
}

/* Looks a field up; FALSE with an error if a required one is missing, FALSE
 * without one if an optional one is. */
static gboolean
xa_json_lookup (json_t *object, const gchar *key, XaJsonFlags flags, const gchar *expected,
                json_t **value, GError **error)
{
  *value = json_object_get (object, key);
  if (*value != NULL)
    return TRUE;
  if (flags & XA_JSON_REQUIRED)
    g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                 "%s: missing (expected %s)", key, expected);
  return FALSE;
}

/**
 * xa_json_check_keys:
 * @object: a JSON object
 * @known: (array zero-terminated=1): the fields this object may have
 * @error: a #GError
 *
 * A misspelt field ("prority") would otherwise be silently ignored.
 *
 * Returns: %TRUE if @object has no other fields
 */
gboolean
xa_json_check_keys (json_t *object, const gchar *const *known, GError **error)
{
  const gchar *key;
  json_t *value;

  json_object_foreach (object, key, value) {
    if (!g_strv_contains (known, key)) {
      g_autofree gchar *shown = xa_text_quote (key);

      g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT, "%s is not a known field", shown);
      return FALSE;
    }
  }
  return TRUE;
}

/**
 * xa_json_check_object:
 * @value: a JSON value that should be an object
 * @known: (array zero-terminated=1): the fields it may have
 * @error: a #GError
 *
 * Returns: %TRUE if @value is an object with no unknown field
 */
gboolean
xa_json_check_object (json_t *value, const gchar *const *known, GError **error)
{
  if (!json_is_object (value)) {
    g_autofree gchar *text = xa_json_wrong_type (value, "an object");

    g_set_error_literal (error, XA_ERROR, XA_ERROR_INVALID_INPUT, text);
    return FALSE;
  }
  return xa_json_check_keys (value, known, error);
}

/**
 * xa_json_prefix_entry:
 * @error: a #GError to prefix, or %NULL
 * @list: the name of the list
 * @index: the entry's index
 * @entry: the entry, to take its name from if it has a valid one
 *
 * Makes the error say which entry it is about: `vms[3] "db-01": `.
 */
void
xa_json_prefix_entry (GError **error, const gchar *list, gsize index, json_t *entry)
{
  json_t *name = json_is_object (entry) ? json_object_get (entry, "name") : NULL;

  if (json_is_string (name) && xa_name_validate (json_string_value (name), NULL))
    g_prefix_error (error, "%s[%zu] \"%s\": ", list, index, json_string_value (name));
  else
    g_prefix_error (error, "%s[%zu]: ", list, index);
}

/**
 * xa_json_size_value:
 * @value: a JSON integer (MiB), a whole number, or a size string
 * @flags: %XA_JSON_NONZERO if 0 is not allowed
 * @out_mib: (out): the size in MiB
 * @error: a #GError, without the field's name
 *
 * Returns: %TRUE if @value is a size
 */
gboolean
xa_json_size_value (json_t *value, XaJsonFlags flags, guint64 *out_mib, GError **error)
{
  guint64 mib = 0;
  gboolean ok;

  if (json_is_integer (value))
    ok = xa_size_from_integer (json_integer_value (value), &mib, error);
  else if (json_is_real (value))
    ok = xa_size_from_double (json_real_value (value), &mib, error);
  else if (json_is_string (value))
    ok = xa_size_parse (json_string_value (value), &mib, error);
  else {
    g_autofree gchar *shown = xa_json_describe (value);

    g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                 "%s is not a size (use 4GiB or 4096)", shown);
    return FALSE;
  }
  if (!ok)
    return FALSE;
  if (mib == 0 && (flags & XA_JSON_NONZERO)) {
    g_set_error_literal (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                         "0 is not allowed here (at least 1 MiB)");
    return FALSE;
  }
  *out_mib = mib;
  return TRUE;
}

/**
 * xa_json_get_size:
 * @object: a JSON object
 * @key: the field
 * @flags: required or optional, zero allowed or not
 * @out_mib: (inout): the size; left alone when an optional field is absent
 * @error: a #GError
 *
 * Returns: %TRUE unless the field is invalid or missing though required
 */
gboolean
xa_json_get_size (json_t *object, const gchar *key, XaJsonFlags flags, guint64 *out_mib,
                  GError **error)
{
  json_t *value;

  if (!xa_json_lookup (object, key, flags, "a size such as 4GiB or 4096", &value, error))
    return !(flags & XA_JSON_REQUIRED);
  if (!xa_json_size_value (value, flags, out_mib, error)) {
    g_prefix_error (error, "%s: ", key);
    return FALSE;
  }
  return TRUE;
}

/**
 * xa_json_get_int:
 * @object: a JSON object
 * @key: the field
 * @flags: required or optional
 * @min: the smallest value allowed
 * @max: the largest value allowed
 * @out: (inout): the value; left alone when an optional field is absent
 * @error: a #GError
 *
 * Returns: %TRUE unless the field is invalid or missing though required
 */
gboolean
xa_json_get_int (json_t *object, const gchar *key, XaJsonFlags flags, gint64 min, gint64 max,
                 gint64 *out, GError **error)
{
  json_t *value;
  gint64 v;

  if (!xa_json_lookup (object, key, flags, "an integer", &value, error))
    return !(flags & XA_JSON_REQUIRED);
  if (!json_is_integer (value))
    return xa_json_set_wrong_type (key, value, "an integer", error);
  v = json_integer_value (value);
  if (v < min || v > max) {
    g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                 "%s: %" G_GINT64_FORMAT " is out of range (%" G_GINT64_FORMAT
                 " to %" G_GINT64_FORMAT ")", key, v, min, max);
    return FALSE;
  }
  *out = v;
  return TRUE;
}

gboolean
xa_json_get_bool (json_t *object, const gchar *key, gboolean *out, GError **error)
{
  json_t *value;

  if (!xa_json_lookup (object, key, XA_JSON_OPTIONAL, "true or false", &value, error))
    return TRUE;
  if (!json_is_boolean (value))
    return xa_json_set_wrong_type (key, value, "true or false", error);
  *out = json_is_true (value);
  return TRUE;
}

gboolean
xa_json_get_string (json_t *object, const gchar *key, XaJsonFlags flags, const gchar **out,
                    GError **error)
{
  json_t *value;

  if (!xa_json_lookup (object, key, flags, "a string", &value, error))
    return !(flags & XA_JSON_REQUIRED);
  if (!json_is_string (value))
    return xa_json_set_wrong_type (key, value, "a string", error);
  *out = json_string_value (value);
  return TRUE;
}

/**
 * xa_json_get_name:
 * @object: a JSON object
 * @key: the field holding a name
 * @flags: whether it must be there
 * @out: (out) (nullable): the name, owned by @object; %NULL if absent
 * @error: a #GError
 *
 * Returns: %TRUE if the field is a valid name, or absent and optional
 */
gboolean
xa_json_get_name (json_t *object, const gchar *key, XaJsonFlags flags, const gchar **out,
                  GError **error)
{
  *out = NULL;
  if (!xa_json_get_string (object, key, flags, out, error))
    return FALSE;
  if (*out != NULL && !xa_name_validate (*out, error)) {
    g_prefix_error (error, "%s: ", key);
    return FALSE;
  }
  return TRUE;
}

gboolean
xa_json_get_array (json_t *object, const gchar *key, XaJsonFlags flags, json_t **out,
                   GError **error)
{
  json_t *value;

  if (!xa_json_lookup (object, key, flags, "a list", &value, error))
    return !(flags & XA_JSON_REQUIRED);
  if (!json_is_array (value))
    return xa_json_set_wrong_type (key, value, "a list", error);
  *out = value;
  return TRUE;
}

/**
 * xa_json_get_cpu_list:
 * @object: a JSON object
 * @key: the field holding a list of CPU ids
 * @out: (out) (transfer full) (element-type guint): the ids, or %NULL if absent
 * @error: a #GError
 *
 * Returns: %TRUE unless the field is not a list of distinct CPU ids
 */
gboolean
xa_json_get_cpu_list (json_t *object, const gchar *key, GArray **out, GError **error)
{
  g_autoptr(GArray) cpus = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new (g_direct_hash, g_direct_equal);
  json_t *list = NULL;
  json_t *item;
  gsize i;

  if (!xa_json_get_array (object, key, XA_JSON_OPTIONAL, &list, error))
    return FALSE;
  if (list == NULL)
    return TRUE;
  cpus = g_array_new (FALSE, FALSE, sizeof (guint));
  json_array_foreach (list, i, item) {
    guint cpu;

    if (!json_is_integer (item) || json_integer_value (item) < 0 ||
        json_integer_value (item) >= G_MAXINT32) {
      g_autofree gchar *shown = xa_json_describe (item);

      g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                   "%s[%" G_GSIZE_FORMAT "]: %s is not a CPU id", key, i, shown);
      return FALSE;
    }
    cpu = (guint) json_integer_value (item);
    if (!g_hash_table_add (seen, GUINT_TO_POINTER (cpu + 1))) {
      g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                   "%s[%" G_GSIZE_FORMAT "]: CPU %u is listed twice", key, i, cpu);
      return FALSE;
    }
    g_array_append_val (cpus, cpu);
  }
  *out = g_steal_pointer (&cpus);
  return TRUE;
}
