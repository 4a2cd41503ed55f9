/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <jansson.h>

#include "xa-host-info.h"
#include "xa-run.h"

G_BEGIN_DECLS

json_t *xa_output_real3 (gdouble value);
gchar *xa_output_iso_time (gint64 wall_us);
json_t *xa_output_time_to_json (gint64 wall_us);
gchar *xa_output_cut (const gchar *text,
                      guint        width);
gchar *xa_output_wrap (const gchar *text,
                       guint        indent,
                       guint        columns);
gint xa_output_field_width (const gchar *text,
                            gint         width);
void xa_output_print_json (json_t *root);
void xa_output_print_host (const XaHostInfo *info,
                           const gchar      *kind);
json_t *xa_output_run_to_json (const XaRun *run);
void xa_output_print_run_json (const XaRun *run);
void xa_output_print_run (const XaRun *run);

G_END_DECLS
