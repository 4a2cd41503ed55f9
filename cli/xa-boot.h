/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* boot, and what the daemon shares with it: the options that shape
 * admission, the host, the ledger, the signals. */

#include <glib.h>

#include "xa-admission.h"
#include "xa-cli.h"

G_BEGIN_DECLS

/* An option left out of the command line, which takes its default. */
#define XA_BOOT_UNSET G_MININT

typedef struct {
  XaOptions opts;
  gchar *policy_name;
  gint seed;
  gint workers;
  gint max_batch;
  gint window_ms;
  gint retries;
  gdouble defer_timeout_s;
  gboolean no_strict;
  gboolean paused;
  gchar *db_path;
  gchar *ledger_group;
} XaBootOptions;

void xa_boot_options_init (XaBootOptions *boot);
void xa_boot_options_clear (XaBootOptions *boot);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (XaBootOptions, xa_boot_options_clear)

/**
 * XaBootRun:
 * @scheduler: the scheduler once it runs, %NULL before
 * @last_progress_us: when the progress line was last drawn
 * @progress_shown: whether it was
 *
 * What a signal stops.
 */
typedef struct {
  XaScheduler *scheduler;
  gint64 last_progress_us;
  gboolean progress_shown;
} XaBootRun;

void xa_boot_add_admission_entries (GOptionContext *ctx,
                                    XaBootOptions  *boot);
gboolean xa_boot_scheduler_options (const XaBootOptions *boot,
                                    XaSchedulerOptions  *options,
                                    GError             **error);
XaHost *xa_boot_open_host (const XaBootOptions      *boot,
                           const XaSchedulerOptions *options,
                           XaHostInfo              **out_info,
                           XaTopology              **out_topo,
                           GError                  **error);
XaAdmission *xa_boot_open_admission (const XaBootOptions      *boot,
                                     XaHost                   *host,
                                     const XaSchedulerOptions *options,
                                     GError                  **error);
void xa_boot_on_signal (guint    count,
                        gpointer user_data);
gboolean xa_boot_end (const XaBootOptions *boot,
                      XaHost              *host,
                      XaAdmission         *admission,
                      GError             **error);

int xa_boot_main (int    argc,
                  char **argv);

G_END_DECLS
