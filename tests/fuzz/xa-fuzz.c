/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>
#include <string.h>

#include "xa-fuzz.h"

/* A critical or a warning means a parser let bad input reach a check
 * meant for programmers: a crash, so the fuzzer keeps the input. The
 * local zone is UTC, so that a time parses the same on every machine. */
int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  g_setenv ("TZ", "UTC", TRUE);
  return 0;
}

/**
 * xa_fuzz_text:
 * @data: the fuzzer's bytes
 * @size: their length
 *
 * Returns: (transfer full): @data up to its first NUL, as a command line
 *   or a JSON string hands text to a parser
 */
gchar *
xa_fuzz_text (const uint8_t *data, size_t size)
{
  return g_strndup ((const gchar *) data, size);
}

/* Every parser either gives a value or says why not, never both. */
void
xa_fuzz_check_result (gboolean ok, const GError *error)
{
  if (ok == (error != NULL)) {
    g_printerr ("a parser %s\n", ok ? "succeeded with an error set" : "failed without an error");
    abort ();
  }
}
