/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "xa-test-cli.h"

/* A boot on a kept four-node host (64 GiB a node) of one VM that fits a
 * node, one larger than any node, one larger than the host, and one that
 * cannot fit beside the others; then xadmit explain of each. */
#define EXPLAIN_MANIFEST \
  "{\"vms\": [" \
  " {\"name\": \"small\", \"memory\": \"4GiB\", \"vcpus\": 2}," \
  " {\"name\": \"wide\", \"memory\": \"100GiB\", \"vcpus\": 4}," \
  " {\"name\": \"never\", \"memory\": \"900GiB\", \"vcpus\": 2}," \
  " {\"name\": \"waits\", \"memory\": \"200GiB\", \"vcpus\": 2}]}"

typedef struct {
  XaTestDir *dir;
  gchar *spec;
  gchar *state;
  gchar *db;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_auto(XaTestRun) run = { 0 };
  g_autofree gchar *manifest = NULL;

  f->dir = xa_test_dir_new ();
  f->spec = xa_test_host_spec ("4node.json");
  f->state = xa_test_state_path (f->dir);
  f->db = xa_test_ledger_path (f->dir);
  manifest = xa_test_dir_write (f->dir, "explain.json", EXPLAIN_MANIFEST);
  xa_test_boot_kept (&run, f->dir, "4node.json", manifest, FALSE);
  g_assert_cmpint (run.status, ==, 3);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_free (f->db);
  g_free (f->state);
  g_free (f->spec);
  xa_test_dir_free (f->dir);
}

/* xadmit explain NAME on the fixture's host: its output, having exited 0. */
static gchar *
explain (Fixture *f, const gchar *name)
{
  g_auto(XaTestRun) run = { 0 };

  xa_test_run_xadmit (&run, "explain", "--host", f->spec, "--sim-state", f->state, "--db", f->db,
                      name, NULL);
  if (run.status != 0)
    g_error ("explain %s exited %d: %s", name, run.status, run.err);
  return g_steal_pointer (&run.out);
}

static void
assert_says (const gchar *text, const gchar *words)
{
  if (strstr (text, words) == NULL)
    g_error ("\"%s\" is not in:\n%s", words, text);
}

/* A VM on one node: the batch, its need, what was left, the runner-up;
 * then where it was built, and its history. */
static void
test_explain_placed (Fixture *f, gconstpointer data)
{
  g_autofree gchar *text = explain (f, "small");

  assert_says (text, "small (request ");
  assert_says (text, "): running.\n");
  assert_says (text, "(batch, ");
  assert_says (text, "placed it on node ");
  assert_says (text, "MiB it needs with Xen's overhead; ");
  assert_says (text, "The runner-up was node ");
  assert_says (text, "as planned.\n");
  assert_says (text, "planned (batch 1)\n");
}

/* A VM larger than any node: split, and why. */
static void
test_explain_split (Fixture *f, gconstpointer data)
{
  g_autofree gchar *text = explain (f, "wide");

  assert_says (text, "split it over nodes ");
  assert_says (text, "No node could hold all of it: the most one of its nodes had for it was ");
}

static void
test_explain_rejected (Fixture *f, gconstpointer data)
{
  g_autofree gchar *text = explain (f, "never");

  assert_says (text, "): rejected.\n");
  assert_says (text, "Why: it needs 921604 MiB with overhead");
}

/* Still queued after the boot gave up on it: why the batch deferred it,
 * and the largest hole for it now. */
static void
test_explain_deferred (Fixture *f, gconstpointer data)
{
  g_autofree gchar *text = explain (f, "waits");

  assert_says (text, "): queued.\n");
  assert_says (text, "It waits since ");
  assert_says (text, "deferred by ");
  assert_says (text, "Now its nodes have ");
  assert_says (text, "MiB available, the largest hole ");
  assert_says (text, "Its priority is 0");
}

static void
test_explain_cancelled (Fixture *f, gconstpointer data)
{
  g_auto(XaTestRun) run = { 0 };
  g_autofree gchar *text = NULL;

  xa_test_run_xadmit (&run, "cancel", "--host", f->spec, "--sim-state", f->state, "--db", f->db,
                      "waits", NULL);
  g_assert_cmpint (run.status, ==, 0);
  text = explain (f, "waits");
  assert_says (text, "): cancelled.\n");
  assert_says (text, "Why: cancelled by xadmit cancel.\n");
}

/* No such request, no argument, two: exit 2 with the sentence. */
static void
test_explain_bad_input (Fixture *f, gconstpointer data)
{
  g_auto(XaTestRun) nobody = { 0 };

  xa_test_run_xadmit (&nobody, "explain", "--host", f->spec, "--sim-state", f->state, "--db",
                      f->db, "nobody", NULL);
  xa_test_run_assert_error (&nobody, 2, "no request of this host has the id or name "
                                        "\"nobody\"");
  xa_test_xadmit_fails (2, "one ID or NAME, please", "explain", "--sim-state", f->state, NULL);
  xa_test_xadmit_fails (2, "one ID or NAME, please", "explain", "--sim-state", f->state, "a", "b",
                        NULL);
}

static void
add (const gchar *path, void (*func) (Fixture *f, gconstpointer data))
{
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  add ("/cli/explain/placed", test_explain_placed);
  add ("/cli/explain/split", test_explain_split);
  add ("/cli/explain/rejected", test_explain_rejected);
  add ("/cli/explain/deferred", test_explain_deferred);
  add ("/cli/explain/cancelled", test_explain_cancelled);
  add ("/cli/explain/bad-input", test_explain_bad_input);
  return g_test_run ();
}
