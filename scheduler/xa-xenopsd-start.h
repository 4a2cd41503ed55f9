/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* xenopsd's way of starting: each build decides alone, at its own moment. */

#include "xa-scheduler-private.h"

G_BEGIN_DECLS

void xa_xenopsd_start_job (XaVm *vm);

G_END_DECLS
