/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define XA_ERROR (xa_error_quark ())

/**
 * XaError:
 * @XA_ERROR_FAILED: could not do it (host, database, I/O): exit code 1
 * @XA_ERROR_INVALID_INPUT: a flag, a file or a field is wrong: exit code 2
 *
 * The codes map one to one onto the exit codes of FORMATS.md.
 */
typedef enum {
  XA_ERROR_FAILED,
  XA_ERROR_INVALID_INPUT,
} XaError;

GQuark xa_error_quark (void);

G_END_DECLS
