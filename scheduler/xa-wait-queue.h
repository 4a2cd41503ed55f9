/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "xa-request.h"

G_BEGIN_DECLS

typedef struct _XaWaitQueue XaWaitQueue;
/* An item's place in the queue, for xa_wait_queue_remove(). */
typedef GSequenceIter XaWaitPlace;

XaWaitQueue *xa_wait_queue_new (void);
void xa_wait_queue_free (XaWaitQueue *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XaWaitQueue, xa_wait_queue_free)

XaWaitPlace *xa_wait_queue_add (XaWaitQueue     *self,
                                gpointer         item,
                                guint            index,
                                const XaRequest *req);
void xa_wait_queue_remove (XaWaitQueue *self,
                           XaWaitPlace *place);
guint xa_wait_queue_get_length (XaWaitQueue *self);
guint xa_wait_queue_get_n_classes (XaWaitQueue *self);
GPtrArray *xa_wait_queue_take (XaWaitQueue *self,
                               guint        max,
                               gdouble      now_s);

G_END_DECLS
