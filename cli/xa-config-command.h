/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

int xa_config_main (int    argc,
                    char **argv);

G_END_DECLS
