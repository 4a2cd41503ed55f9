/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "xa-cli.h"
#include "xa-json.h"

G_BEGIN_DECLS

/**
 * XaBench:
 * @seed: seeds the VM mix
 * @signals: asked between measurements: a signal stops the benchmark
 * @quiet: the tables without the lines that explain them
 * @json: (nullable): the document the tables go into, instead of stdout
 *
 * How a benchmark runs and where its tables go.
 */
typedef struct {
  guint32 seed;
  XaCliSignals *signals;
  gboolean quiet;
  json_t *json;
} XaBench;

gboolean xa_bench_planner (const XaBench  *bench,
                           GError        **error);
gboolean xa_bench_tight (const XaBench  *bench,
                         GError        **error);
gboolean xa_bench_store (const XaBench  *bench,
                         GError        **error);
gboolean xa_bench_storm (const XaBench  *bench,
                         GError        **error);
gboolean xa_bench_scale (const XaBench  *bench,
                         GError        **error);
gboolean xa_bench_daemon (const XaBench  *bench,
                          GError        **error);
gboolean xa_bench_scenarios (const XaBench  *bench,
                             gchar         **paths,
                             guint           n_paths,
                             const gchar    *policies,
                             gint            n_seeds,
                             GError        **error);
gboolean xa_bench_report (const XaBench  *bench,
                          GError        **error);

G_END_DECLS
