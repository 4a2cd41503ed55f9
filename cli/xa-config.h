/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The configuration file (docs/formats.md, Configuration file): settings
 * named as the long options, applied before the command line. */

#include <glib.h>

G_BEGIN_DECLS

typedef struct _XaConfig XaConfig;

XaConfig *xa_config_load (gint     argc,
                          gchar  **argv,
                          GError **error);
void xa_config_free (XaConfig *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XaConfig, xa_config_free)
gboolean xa_config_apply (const XaConfig *self,
                          GOptionContext *ctx,
                          gboolean        with_host,
                          gboolean        every_setting,
                          GError        **error);
void xa_config_attribute (const XaConfig *self,
                          GError         *error);
void xa_config_print (const XaConfig *self,
                      gboolean        json);

G_END_DECLS
