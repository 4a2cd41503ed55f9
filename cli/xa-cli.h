/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What every command shares: options, errors, the host, the summary. */

#include <glib.h>

#include "xa-config.h"
#include "xa-host.h"
#include "xa-run.h"

G_BEGIN_DECLS

/* Exit codes of docs/formats.md */
#define XA_EXIT_OK 0
#define XA_EXIT_FAILED 1
#define XA_EXIT_USAGE 2
#define XA_EXIT_INCOMPLETE 3
#define XA_EXIT_INTERRUPTED 130

typedef struct {
  gchar *host_spec;
  gchar *sim_state;
  gboolean json;
  gboolean verbose;
  gboolean quiet;
  gchar *config_path;
  /* set by xa_cli_option_context_new(): whether --host is the host's */
  gboolean with_host;
  /* the options have every setting of the file (xadmit config) */
  gboolean every_setting;
} XaOptions;

void xa_cli_options_clear (XaOptions *opts);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (XaOptions, xa_cli_options_clear)

int xa_cli_exit_code_for_error (const GError *error);
int xa_cli_fail (const gchar  *command,
                 const GError *error);
GOptionContext *xa_cli_option_context_new (const gchar        *params,
                                           const gchar        *summary,
                                           XaOptions          *opts,
                                           gboolean            with_host,
                                           const GOptionEntry *extra);
gboolean xa_cli_check_path (const gchar  *flag,
                            const gchar  *path,
                            GError      **error);
gboolean xa_cli_parse_options (GOptionContext *ctx,
                               XaOptions      *opts,
                               int            *argc,
                               char         ***argv,
                               GError        **error);
const XaConfig *xa_cli_get_config (void);
XaHost *xa_cli_open_host (const XaOptions  *opts,
                          XaHostInfo      **out_info,
                          GError          **error);
XaHostInfo *xa_cli_snapshot_host (const XaOptions *opts,
                                  const gchar    **kind,
                                  GError         **error);
GPtrArray *xa_cli_load_manifest (const gchar  *path,
                                 GPtrArray   **out_guests,
                                 GError      **error);
void xa_cli_print_run (const XaOptions *opts,
                       const XaRun     *run);

/* Called in the main loop on each SIGINT, SIGTERM or SIGHUP (unless a
 * reload takes SIGHUP); @count is 1 for the first. */
typedef void (*XaCliSignalFunc) (guint    count,
                                 gpointer user_data);

typedef struct _XaCliSignals XaCliSignals;

XaCliSignals *xa_cli_signals_new (XaCliSignalFunc func,
                                  gpointer        user_data,
                                  GError        **error);
void xa_cli_signals_free (XaCliSignals *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XaCliSignals, xa_cli_signals_free)
void xa_cli_signals_set_reload (XaCliSignals   *self,
                                XaCliSignalFunc reload,
                                gpointer        user_data);
gboolean xa_cli_signals_check (XaCliSignals *self,
                               GError      **error);

G_END_DECLS
