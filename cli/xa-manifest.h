/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <jansson.h>

#include "xa-guest.h"
#include "xa-request.h"

G_BEGIN_DECLS

GPtrArray *xa_manifest_parse (const gchar *display_name,
                              json_t      *root,
                              GPtrArray  **out_guests,
                              GError     **error);
XaRequest *xa_manifest_parse_vm (json_t   *jvm,
                                 XaGuest **out_guest,
                                 GError  **error);
GPtrArray *xa_manifest_load_data (const gchar *display_name,
                                  const gchar *data,
                                  gsize        len,
                                  GPtrArray  **out_guests,
                                  GError     **error);
GPtrArray *xa_manifest_load (const gchar *path,
                             GPtrArray  **out_guests,
                             GError     **error);

G_END_DECLS
