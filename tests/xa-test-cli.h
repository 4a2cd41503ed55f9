/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "xa-json.h"
#include "xa-test-util.h"

G_BEGIN_DECLS

/**
 * XaTestRun:
 * @status: the exit status
 * @out: all of standard output
 * @err: all of standard error
 *
 * One run of the built xadmit; declare it g_auto(XaTestRun) run = { 0 }.
 */
typedef struct {
  gint status;
  gchar *out;
  gchar *err;
} XaTestRun;

void xa_test_run_clear (XaTestRun *run);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (XaTestRun, xa_test_run_clear)

void xa_test_run_xadmit (XaTestRun *run,
                         ...) G_GNUC_NULL_TERMINATED;
void xa_test_run_xadmit_with_input (XaTestRun   *run,
                                    const gchar *input,
                                    ...) G_GNUC_NULL_TERMINATED;
void xa_test_run_xadmit_signalled (XaTestRun       *run,
                                   const XaTestDir *dir,
                                   gboolean         on_stderr,
                                   const gchar     *prefix,
                                   const gint      *signals,
                                   const gchar     *input,
                                   ...) G_GNUC_NULL_TERMINATED;
gchar *xa_test_ledger_path (const XaTestDir *dir);
gchar *xa_test_state_path (const XaTestDir *dir);
gchar *xa_test_write_many_vms (const XaTestDir *dir,
                               const gchar     *prefix,
                               guint            count,
                               const gchar     *memory);
void xa_test_boot (XaTestRun       *run,
                   const XaTestDir *dir,
                   const gchar     *host,
                   const gchar     *manifest,
                   ...) G_GNUC_NULL_TERMINATED;
void xa_test_boot_kept (XaTestRun       *run,
                        const XaTestDir *dir,
                        const gchar     *host,
                        const gchar     *path,
                        gboolean         json);
void xa_test_boot_on_kept_host (XaTestRun       *run,
                                const XaTestDir *dir,
                                const gchar     *manifest);
void xa_test_run_assert_error (const XaTestRun *run,
                               gint             status,
                               const gchar     *message);
void xa_test_xadmit_fails (gint         status,
                           const gchar *message,
                           ...) G_GNUC_NULL_TERMINATED;

json_t *xa_test_json_parse (const gchar *text);
json_int_t xa_test_json_int (json_t      *object,
                             const gchar *key);
gdouble xa_test_json_real (json_t      *object,
                           const gchar *key);
const gchar *xa_test_json_string (json_t      *object,
                                  const gchar *key);
json_t *xa_test_json_vm_named (json_t      *summary,
                               const gchar *name);

G_END_DECLS
