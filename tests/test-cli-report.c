/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "xa-test-cli.h"

/* Two boots of one manifest on a kept two-node host (64 GiB a node): the
 * first starts four VMs (one split over both nodes) and rejects one larger
 * than the host; the second leaves the four alone and rejects that one
 * again, a second request of its name. The manifest's file name has a
 * comma and a quote, which the VMs' submission carries into the CSV. */
#define REPORT_MANIFEST \
  "{\"vms\": [" \
  " {\"name\": \"web-01\", \"memory\": \"4GiB\", \"vcpus\": 2}," \
  " {\"name\": \"web-02\", \"memory\": \"4GiB\", \"vcpus\": 2}," \
  " {\"name\": \"db\", \"memory\": \"32GiB\", \"vcpus\": 4}," \
  " {\"name\": \"wide\", \"memory\": \"70GiB\", \"vcpus\": 4}," \
  " {\"name\": \"never\", \"memory\": \"900GiB\", \"vcpus\": 2}]}"
#define REPORT_MANIFEST_NAME "a,\"b\".json"

typedef struct {
  XaTestDir *dir;
  gchar *db;
  /* between the two boots, ISO 8601 UTC to the microsecond */
  gchar *between;
} Fixture;

static gchar *
iso_now (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  return g_date_time_format_iso8601 (now);
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autofree gchar *manifest = NULL;

  f->dir = xa_test_dir_new ();
  f->db = xa_test_ledger_path (f->dir);
  manifest = xa_test_dir_write (f->dir, REPORT_MANIFEST_NAME, REPORT_MANIFEST);
  for (guint boot = 0; boot < 2; boot++) {
    g_auto(XaTestRun) run = { 0 };

    if (boot == 1)
      f->between = iso_now ();
    xa_test_boot_kept (&run, f->dir, "2node.json", manifest, TRUE);
    g_assert_cmpint (run.status, ==, 3);
  }
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_free (f->between);
  g_free (f->db);
  xa_test_dir_free (f->dir);
}

/* xadmit report --db the fixture's ledger and up to four more arguments
 * (the first NULL ends them): its stdout, having exited 0. */
static gchar *
report (Fixture *f, const gchar *a, const gchar *b, const gchar *c, const gchar *d)
{
  g_auto(XaTestRun) run = { 0 };

  xa_test_run_xadmit (&run, "report", "--db", f->db, a, b, c, d, NULL);
  if (run.status != 0)
    g_error ("report exited %d: %s", run.status, run.err);
  g_assert_cmpstr (run.err, ==, "");
  return g_steal_pointer (&run.out);
}

/* The VMs of the report's only host, from --format json. */
static json_t *
report_vms (Fixture *f, const gchar *option, const gchar *value)
{
  g_autofree gchar *text = report (f, "--format", "json", option, value);
  g_autoptr(json_t) root = xa_test_json_parse (text);
  json_t *hosts = json_object_get (root, "hosts");

  g_assert_cmpuint (json_array_size (hosts), ==, 1);
  return json_incref (json_object_get (json_array_get (hosts, 0), "vms"));
}

static void
test_report_json_is_one_document (Fixture *f, gconstpointer data)
{
  g_autofree gchar *text = report (f, "--json", NULL, NULL, NULL);
  g_autoptr(json_t) root = xa_test_json_parse (text);
  json_t *host = json_array_get (json_object_get (root, "hosts"), 0);
  json_t *vms = json_object_get (host, "vms");
  json_t *batch = json_array_get (json_object_get (host, "batches"), 0);
  json_t *wide = NULL;
  g_autofree gchar *by_uuid = NULL;

  g_assert_cmpstr (xa_test_json_string (host, "host"), ==, "xeon-2n");
  g_assert_cmpint (xa_test_json_int (host, "vm_count"), ==, 6);
  g_assert_cmpuint (json_array_size (vms), ==, 6);
  g_assert_cmpint (xa_test_json_int (batch, "built"), ==, 4);
  g_assert_cmpint (xa_test_json_int (batch, "local"), ==, 3);
  g_assert_cmpint (xa_test_json_int (batch, "split"), ==, 1);
  g_assert_cmpfloat (xa_test_json_real (batch, "makespan_s"), >, 0);
  g_assert_cmpuint (json_array_size (json_object_get (host, "node_stats")), ==, 2);
  for (guint i = 0; i < json_array_size (vms); i++) {
    if (g_strcmp0 (xa_test_json_string (json_array_get (vms, i), "name"), "wide") == 0)
      wide = json_array_get (vms, i);
  }
  g_assert_nonnull (wide);
  g_assert_cmpuint (json_array_size (json_object_get (wide, "planned_nodes")), ==, 2);
  g_assert_cmpint (xa_test_json_int (wide, "attempts"), ==, 1);
  g_assert_cmpfloat (xa_test_json_real (wide, "queue_wait_s"), >=, 0);
  g_assert_cmpstr (xa_test_json_string (wide, "submission"), ==, "boot:" REPORT_MANIFEST_NAME);
  /* --host by the host's UUID, its key without the kind */
  g_assert_true (g_str_has_prefix (xa_test_json_string (host, "key"), "sim:"));
  by_uuid = report (f, "--json", "--host", xa_test_json_string (host, "key") + 4, NULL);
  g_assert_cmpstr (by_uuid, ==, text);
}

/* Every line of the table fits 100 columns, and names every VM. */
static void
test_report_table_fits_100_columns (Fixture *f, gconstpointer data)
{
  g_autofree gchar *text = report (f, "--vm", "never", NULL, NULL);
  g_autofree gchar *all = report (f, NULL, NULL, NULL, NULL);
  g_auto(GStrv) lines = g_strsplit (all, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++) {
    if (g_utf8_strlen (lines[i], -1) > 100)
      g_error ("line %u is %ld columns wide:\n%s", i, g_utf8_strlen (lines[i], -1), lines[i]);
  }
  g_assert_cmpuint (g_strv_length (lines), >, 15);
  for (const gchar *const *name = (const gchar *const[]) { "web-01", "db", "wide", NULL }; *name;
       name++)
    g_assert_nonnull (strstr (all, *name));
  /* --vm: both requests of that name, each with its log */
  g_assert_nonnull (strstr (text, "requests of that VM: 2 VMs"));
  g_assert_nonnull (strstr (text, " rejected: it needs "));
}

/* RFC 4180, as a reader of the CSV would take it: rows of fields. */
static GPtrArray *
csv_parse (const gchar *text)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  g_autoptr(GPtrArray) row = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) field = g_string_new (NULL);
  gboolean quoted = FALSE;

  for (const gchar *c = text; *c != '\0'; c++) {
    if (quoted && *c == '"' && c[1] == '"') {
      g_string_append_c (field, '"');
      c++;
    } else if (*c == '"' && (quoted || field->len == 0)) {
      quoted = !quoted;
    } else if (!quoted && (*c == ',' || (*c == '\r' && c[1] == '\n'))) {
      g_ptr_array_add (row, g_strdup (field->str));
      g_string_truncate (field, 0);
      if (*c == '\r') {
        g_ptr_array_add (row, NULL);
        g_ptr_array_add (rows, g_ptr_array_steal (row, NULL));
        c++;
      }
    } else {
      g_assert_true (quoted || *c != '\n');
      g_string_append_c (field, *c);
    }
  }
  g_assert_false (quoted);
  g_assert_cmpuint (row->len + field->len, ==, 0);
  return g_steal_pointer (&rows);
}

static const gchar *
json_text (json_t *vm, const gchar *key)
{
  json_t *value = json_object_get (vm, key);

  return json_is_null (value) ? "" : json_string_value (value);
}

/* The CSV reads back as the JSON's rows: a header, then a row per VM with
 * its name, submission (with its comma and quote) and reason (commas). */
static void
test_report_csv_parses_back (Fixture *f, gconstpointer data)
{
  g_autofree gchar *text = report (f, "--format", "csv", NULL, NULL);
  g_autoptr(GPtrArray) rows = csv_parse (text);
  g_autoptr(json_t) vms = report_vms (f, NULL, NULL);
  gchar **header = g_ptr_array_index (rows, 0);

  g_assert_cmpuint (rows->len, ==, 1 + json_array_size (vms));
  g_assert_cmpstr (header[2], ==, "name");
  g_assert_cmpstr (header[3], ==, "submission");
  g_assert_cmpstr (header[6], ==, "reason");
  for (guint i = 1; i < rows->len; i++) {
    gchar **row = g_ptr_array_index (rows, i);
    json_t *vm = json_array_get (vms, i - 1);

    g_assert_cmpuint (g_strv_length (row), ==, g_strv_length (header));
    g_assert_cmpstr (row[0], ==, "xeon-2n");
    g_assert_cmpstr (row[1], ==, json_text (vm, "id"));
    g_assert_cmpstr (row[2], ==, json_text (vm, "name"));
    g_assert_cmpstr (row[3], ==, "boot:" REPORT_MANIFEST_NAME);
    g_assert_cmpstr (row[5], ==, json_text (vm, "state"));
    g_assert_cmpstr (row[6], ==, json_text (vm, "reason"));
  }
  g_assert_nonnull (strchr (((gchar **) g_ptr_array_index (rows, rows->len - 1))[6], ','));
}

/* --until the moment between the boots: the first boot's VMs; --since it:
 * the second's one request; 1h ago to now: all; until 1h ago: none. */
static void
test_report_time_filters_select (Fixture *f, gconstpointer data)
{
  g_autoptr(json_t) first = report_vms (f, "--until", f->between);
  g_autoptr(json_t) second = report_vms (f, "--since", f->between);
  g_autoptr(json_t) hour = report_vms (f, "--since", "1h");
  g_autoptr(json_t) before = report_vms (f, "--until", "1h");

  g_assert_cmpuint (json_array_size (first), ==, 5);
  g_assert_cmpuint (json_array_size (second), ==, 1);
  g_assert_cmpstr (xa_test_json_string (json_array_get (second, 0), "name"), ==, "never");
  g_assert_cmpuint (json_array_size (hour), ==, 6);
  g_assert_cmpuint (json_array_size (before), ==, 0);
}

/* --vm NAME: every request of that name, across boots, with its log. */
static void
test_report_vm_history (Fixture *f, gconstpointer data)
{
  g_autoptr(json_t) never = report_vms (f, "--vm", "never");
  g_autoptr(json_t) web = report_vms (f, "--vm", "web-01");
  json_t *events = json_object_get (json_array_get (web, 0), "events");

  g_assert_cmpuint (json_array_size (never), ==, 2);
  for (guint i = 0; i < 2; i++)
    g_assert_cmpstr (xa_test_json_string (json_array_get (never, i), "state"), ==, "rejected");
  g_assert_cmpuint (json_array_size (web), ==, 1);
  g_assert_cmpstr (xa_test_json_string (json_array_get (events, 0), "state"), ==, "queued");
  g_assert_cmpstr (xa_test_json_string (json_array_get (events, json_array_size (events) - 1),
                                        "state"), ==, "running");
}

/* Each option's bad input is one line and exit 2, with nothing on stdout. */
static void
test_report_bad_input (Fixture *f, gconstpointer data)
{
  g_autofree gchar *missing = g_build_filename (f->dir, "none.db", NULL);

  xa_test_xadmit_fails (2, "xadmit report: --format: \"pdf\" is not a format (use table, csv, "
                        "json or html)", "report", "--db", f->db, "--format", "pdf", NULL);
  xa_test_xadmit_fails (2, "xadmit report: --since: \"yesterday\" is not a time (use "
                        "2026-11-29T10:00:00Z", "report", "--db", f->db, "--since", "yesterday",
                        NULL);
  xa_test_xadmit_fails (2, "xadmit report: --until: \"2h ago\" is not a time", "report", "--db",
                        f->db, "--until", "2h ago", NULL);
  xa_test_xadmit_fails (2, "xadmit report: --until: the range is empty", "report", "--db", f->db,
                        "--since", "1h", "--until", "2h", NULL);
  xa_test_xadmit_fails (2, "xadmit report: --host: the ledger knows no host \"nope\" (it knows "
                        "xeon-2n)", "report", "--db", f->db, "--host", "nope", NULL);
  xa_test_xadmit_fails (2, "xadmit report: --vm: \"a b\" has a character outside", "report",
                        "--db", f->db, "--vm", "a b", NULL);
  xa_test_xadmit_fails (2, "does not exist: no ledger to report on", "report", "--db", missing,
                        NULL);
  xa_test_xadmit_fails (2, "xadmit report: --format: \"csv\" is not json, which --json asks for",
                        "report", "--db", f->db, "--json", "--format", "csv", NULL);
  xa_test_xadmit_fails (2, "xadmit report: unexpected argument \"extra\"", "report", "--db",
                        f->db, "extra", NULL);
  xa_test_xadmit_fails (2, "xadmit report: --output: the path is empty", "report", "--db", f->db,
                        "--output", "", NULL);
  xa_test_xadmit_fails (2, "it is a directory", "report", "--db", f->dir, NULL);
  g_assert_false (g_file_test (missing, G_FILE_TEST_EXISTS));
}

/* --output FILE: the report there, whole, nothing on stdout, no temporary
 * file left beside it; --host by name selects the host. */
static void
test_report_output_file (Fixture *f, gconstpointer data)
{
  g_autofree gchar *path = g_build_filename (f->dir, "report.csv", NULL);
  g_autofree gchar *text = report (f, "--format", "csv", "--output", path);
  g_autofree gchar *written = NULL;
  g_autofree gchar *same = report (f, "--format", "csv", "--host", "xeon-2n");
  g_autoptr(GDir) dir = g_dir_open (f->dir, 0, NULL);
  guint n_reports = 0;

  g_assert_cmpstr (text, ==, "");
  g_assert_true (g_file_get_contents (path, &written, NULL, NULL));
  g_assert_cmpstr (written, ==, same);
  for (const gchar *name = g_dir_read_name (dir); name != NULL; name = g_dir_read_name (dir))
    n_reports += g_str_has_prefix (name, "report.csv") ? 1 : 0;
  g_assert_cmpuint (n_reports, ==, 1);
}


/* The HTML report of the fixture, written to @path by --output. */
static void
report_html (Fixture *f, const gchar *path)
{
  g_autofree gchar *text = report (f, "--format", "html", "--output", path);

  g_assert_cmpstr (text, ==, "");
}

/* What <tbody> of the table @id holds: its rows. */
static guint
count_rows (const gchar *html, const gchar *id)
{
  g_autofree gchar *marker = g_strdup_printf ("id=\"%s\"", id);
  const gchar *table = strstr (html, marker);
  const gchar *body = table != NULL ? strstr (table, "<tbody>") : NULL;
  const gchar *end = body != NULL ? strstr (body, "</tbody>") : NULL;
  guint rows = 0;

  g_assert_nonnull (end);
  for (const gchar *row = strstr (body, "<tr>"); row != NULL && row < end;
       row = strstr (row + 1, "<tr>"))
    rows++;
  return rows;
}

/* Every chart is an <svg> of well-formed XML, GMarkup's subset, with the
 * id the tests look for; returns how many there are. */
static guint
assert_charts (const gchar *html)
{
  const gchar *ids[] = { "memory-0", "locality-0", "waits-0" };
  const GMarkupParser nothing = { NULL };
  guint n_charts = 0;

  for (const gchar *svg = strstr (html, "<svg"); svg != NULL; svg = strstr (svg + 1, "<svg")) {
    const gchar *end = strstr (svg, "</svg>");
    g_autoptr(GMarkupParseContext) ctx = g_markup_parse_context_new (&nothing, 0, NULL, NULL);
    g_autoptr(GError) error = NULL;

    g_assert_nonnull (end);
    g_assert_true (g_markup_parse_context_parse (ctx, svg, end + strlen ("</svg>") - svg,
                                                 &error));
    g_assert_true (g_markup_parse_context_end_parse (ctx, &error));
    g_assert_no_error (error);
    n_charts++;
  }
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++) {
    g_autofree gchar *id = g_strdup_printf ("id=\"%s\"", ids[i]);

    g_assert_nonnull (strstr (html, id));
  }
  return n_charts;
}

/* One file: no script, nothing fetched, the charts well-formed, a row a
 * VM, a stylesheet for print. */
static void
test_report_html_is_self_contained (Fixture *f, gconstpointer data)
{
  g_autofree gchar *path = g_build_filename (f->dir, "report.html", NULL);
  g_autofree gchar *html = NULL;
  const gchar *http = NULL;

  report_html (f, path);
  g_assert_true (g_file_get_contents (path, &html, NULL, NULL));
  g_assert_null (strstr (html, "<script"));
  g_assert_null (strstr (html, "src="));
  g_assert_null (strstr (html, "href="));
  g_assert_null (strstr (html, "url("));
  for (http = strstr (html, "http"); http != NULL; http = strstr (http + 1, "http"))
    g_assert_true (g_str_has_prefix (http, "http://www.w3.org/2000/svg\""));
  g_assert_nonnull (strstr (html, "@media print"));
  g_assert_cmpuint (assert_charts (html), ==, 3);
  g_assert_cmpuint (count_rows (html, "vms-0"), ==, 6);
}

/* Runs chromium headless with @first (what to do) on @url; @out takes its stdout. */
static void
run_chromium (const gchar *chromium, const gchar *profile, const gchar *first,
              const gchar *url, gchar **out)
{
  g_autofree gchar *user_data = g_strdup_printf ("--user-data-dir=%s", profile);
  const gchar *argv[] = {
    "timeout", "300", chromium, "--headless", "--no-sandbox", user_data,
    "--disable-background-networking", "--disable-gpu", "--window-size=1280,2000", first,
    url, NULL,
  };
  g_autoptr(GError) error = NULL;
  gint status = -1;

  g_assert_true (g_spawn_sync (NULL, (gchar **) argv, NULL,
                               G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, out,
                               NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, &error));
  g_assert_no_error (error);
}

static gsize
screenshot_size (const gchar *chromium, const XaTestDir *dir, const gchar *page,
                 const gchar *name)
{
  g_autofree gchar *png = g_build_filename (dir, name, NULL);
  g_autofree gchar *flag = g_strdup_printf ("--screenshot=%s", png);
  g_autofree gchar *profile = g_build_filename (dir, "chromium", NULL);
  g_autofree gchar *url = g_filename_to_uri (page, NULL, NULL);
  g_autofree gchar *bytes = NULL;
  gsize len = 0;

  run_chromium (chromium, profile, flag, url, NULL);
  g_assert_true (g_file_get_contents (png, &bytes, &len, NULL));
  g_assert_true (g_str_has_prefix (bytes, "\x89PNG"));
  return len;
}

/* Chromium renders the page: a screenshot larger than a blank page's, and
 * in its DOM every chart and a row a VM. */
static void
test_report_html_renders_in_chromium (Fixture *f, gconstpointer data)
{
  g_autofree gchar *chromium = g_find_program_in_path ("chromium");
  g_autofree gchar *path = g_build_filename (f->dir, "report.html", NULL);
  g_autofree gchar *blank = xa_test_dir_write (f->dir, "blank.html", "<!DOCTYPE html><html>"
                                               "<body></body></html>");
  g_autofree gchar *profile = g_build_filename (f->dir, "chromium", NULL);
  g_autofree gchar *url = g_filename_to_uri (path, NULL, NULL);
  g_autofree gchar *dom = NULL;
  gsize blank_size;

  if (!g_test_slow ()) {
    g_test_skip ("the slow suite runs it (meson test --suite slow)");
    return;
  }
  if (chromium == NULL) {
    g_test_skip ("chromium is not installed (apt-get install chromium fonts-dejavu-core)");
    return;
  }
  report_html (f, path);
  blank_size = screenshot_size (chromium, f->dir, blank, "blank.png");
  g_assert_cmpuint (screenshot_size (chromium, f->dir, path, "report.png"), >, 4 * blank_size);
  run_chromium (chromium, profile, "--dump-dom", url, &dom);
  g_assert_cmpuint (assert_charts (dom), ==, 3);
  g_assert_cmpuint (count_rows (dom, "vms-0"), ==, 6);
}

static void
add (const gchar *path, void (*func) (Fixture *, gconstpointer))
{
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  add ("/cli/report/json-is-one-document", test_report_json_is_one_document);
  add ("/cli/report/table-fits-100-columns", test_report_table_fits_100_columns);
  add ("/cli/report/csv-parses-back", test_report_csv_parses_back);
  add ("/cli/report/time-filters-select", test_report_time_filters_select);
  add ("/cli/report/vm-history", test_report_vm_history);
  add ("/cli/report/bad-input", test_report_bad_input);
  add ("/cli/report/output-file", test_report_output_file);
  add ("/cli/report/html-is-self-contained", test_report_html_is_self_contained);
  add ("/cli/report/html-renders-in-chromium", test_report_html_renders_in_chromium);
  return g_test_run ();
}
