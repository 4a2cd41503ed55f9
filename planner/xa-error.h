/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define XA_ERROR (xa_error_quark ())

/**
 * XaError:
 * @XA_ERROR_FAILED: could not do it, for no reason below (I/O, a lost race):
 *   exit code 1
 * @XA_ERROR_INVALID_INPUT: a flag, a file or a field is wrong: exit code 2
 * @XA_ERROR_NOT_FOUND: a file or a request named by the user does not exist:
 *   bad input, exit code 2
 * @XA_ERROR_BUSY: another admitter holds the host's lock: exit code 1
 * @XA_ERROR_NO_HYPERVISOR: no Xen here (no /dev/xen/privcmd, a guest, a
 *   build without the Xen backend) or libxenctrl cannot open it: exit code 1
 * @XA_ERROR_PERMISSION: it needs root, or rights this user lacks, or a file
 *   xadmit trusts (the ledger, a lock) is not private: exit code 1
 * @XA_ERROR_DATABASE: the ledger is unusable (corrupt, another program's,
 *   newer) or SQLite failed: exit code 1
 *
 * The exit codes are those of docs/formats.md; cli/ maps an error to its
 * exit code in one place, xa_cli_exit_code_for_error().
 */
typedef enum {
  XA_ERROR_FAILED,
  XA_ERROR_INVALID_INPUT,
  XA_ERROR_NOT_FOUND,
  XA_ERROR_BUSY,
  XA_ERROR_NO_HYPERVISOR,
  XA_ERROR_PERMISSION,
  XA_ERROR_DATABASE,
} XaError;

GQuark xa_error_quark (void);

G_END_DECLS
