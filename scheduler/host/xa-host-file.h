/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <jansson.h>

#include "xa-host-info.h"
#include "xa-sim-fault.h"

G_BEGIN_DECLS

XaHostInfo *xa_host_file_parse (const gchar *display_name,
                                json_t      *root,
                                GPtrArray  **faults,
                                GError     **error);
XaHostInfo *xa_host_file_load (const gchar *path,
                               GPtrArray  **faults,
                               GError     **error);
XaHostInfo *xa_host_file_load_data (const gchar *display_name,
                                    const gchar *data,
                                    gsize        len,
                                    GPtrArray  **faults,
                                    GError     **error);
json_t *xa_host_file_to_json (const XaHostInfo *info,
                              GPtrArray        *faults);
gchar *xa_host_file_to_text (const XaHostInfo *info,
                             GPtrArray        *faults);

G_END_DECLS
