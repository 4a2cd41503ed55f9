/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-error.h"

G_DEFINE_QUARK (xa-error-quark, xa_error)
