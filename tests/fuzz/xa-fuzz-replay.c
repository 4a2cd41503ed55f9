/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Runs a fuzz target over every file of the folders it is given (its seeds
 * and its regressions), without libFuzzer: a crash fails the test. */
#include <stdlib.h>

#include "xa-fuzz.h"

/* g_ptr_array_sort() hands over pointers to the elements. */
static gint
xa_fuzz_replay_compare (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const gchar *const *) a, *(const gchar *const *) b);
}

static guint
xa_fuzz_replay_file (const gchar *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *data = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &data, &len, &error)) {
    g_printerr ("%s\n", error->message);
    exit (EXIT_FAILURE);
  }
  LLVMFuzzerTestOneInput ((const uint8_t *) data, len);
  return 1;
}

/* A folder that does not exist holds no input yet: regressions/NAME/ comes
 * with the first crash. */
static guint
xa_fuzz_replay_dir (const gchar *dir_path)
{
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const gchar *name;
  guint n = 0;

  if (dir == NULL) {
    g_print ("%s: no such folder, nothing to replay\n", dir_path);
    return 0;
  }
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_build_filename (dir_path, name, NULL));
  /* in name order, so that a failure shows the same input first every time */
  g_ptr_array_sort (names, xa_fuzz_replay_compare);
  for (guint i = 0; i < names->len; i++) {
    const gchar *path = g_ptr_array_index (names, i);

    if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
      n += xa_fuzz_replay_file (path);
  }
  g_print ("%s: %u inputs replayed\n", dir_path, n);
  return n;
}

int
main (int argc, char **argv)
{
  guint n = 0;

  LLVMFuzzerInitialize (&argc, &argv);
  for (gint i = 1; i < argc; i++)
    n += xa_fuzz_replay_dir (argv[i]);
  /* no input at all is a mistake in the test's folders, not a pass */
  return n > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
