/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What every fuzz target shares: libFuzzer's two entry points, which
 * xa-fuzz-replay.c calls too, and the checks a target makes of a parser. */

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

G_BEGIN_DECLS

int LLVMFuzzerInitialize (int    *argc,
                          char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

gchar *xa_fuzz_text (const uint8_t *data,
                     size_t         size);
void xa_fuzz_check_result (gboolean      ok,
                           const GError *error);

G_END_DECLS
