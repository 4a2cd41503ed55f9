/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-wait-queue.h"

/*
 * The requests waiting for a batch, highest effective priority first, then
 * in arrival order (index). A request's effective priority grows with its
 * age, so no single order holds at every moment; but requests of the same
 * priority queued at the same moment always share one. They form a class,
 * kept in index order; taking a batch merges the heads of the classes, so
 * it costs the batch times the classes (a boot queues one or two), not the
 * requests waiting.
 */

typedef struct {
  gint priority;
  gdouble queued_s;
  /* XaWaitEntry, by index */
  GSequence *entries;
} XaWaitClass;

typedef struct {
  gpointer item;
  guint index;
  const XaRequest *req;
  XaWaitClass *klass;
} XaWaitEntry;

struct _XaWaitQueue {
  /* XaWaitClass */
  GPtrArray *classes;
  guint length;
};

static void
xa_wait_class_free (gpointer data)
{
  XaWaitClass *klass = data;

  g_sequence_free (klass->entries);
  g_free (klass);
}

XaWaitQueue *
xa_wait_queue_new (void)
{
  XaWaitQueue *self = g_new0 (XaWaitQueue, 1);

  self->classes = g_ptr_array_new_with_free_func (xa_wait_class_free);
  return self;
}

void
xa_wait_queue_free (XaWaitQueue *self)
{
  if (self == NULL)
    return;
  g_ptr_array_unref (self->classes);
  g_free (self);
}

static XaWaitClass *
xa_wait_queue_class_of (XaWaitQueue *self, const XaRequest *req)
{
  XaWaitClass *klass;

  for (guint c = 0; c < self->classes->len; c++) {
    klass = g_ptr_array_index (self->classes, c);
    if (klass->priority == req->priority && klass->queued_s == req->queued_s)
      return klass;
  }
  klass = g_new0 (XaWaitClass, 1);
  klass->priority = req->priority;
  klass->queued_s = req->queued_s;
  klass->entries = g_sequence_new (g_free);
  g_ptr_array_add (self->classes, klass);
  return klass;
}

static gint
xa_wait_entry_compare_index (gconstpointer a, gconstpointer b, gpointer user_data)
{
  const XaWaitEntry *ea = a;
  const XaWaitEntry *eb = b;

  return ea->index < eb->index ? -1 : (ea->index > eb->index ? 1 : 0);
}

/**
 * xa_wait_queue_add:
 * @self: the queue
 * @item: what waits
 * @index: its arrival order, unique in the queue
 * @req: its request, which gives its priority and when it was queued; it
 *   must outlive its stay
 *
 * Returns: (transfer none): its place, for xa_wait_queue_remove(); valid
 *   until it is removed or taken
 */
XaWaitPlace *
xa_wait_queue_add (XaWaitQueue *self, gpointer item, guint index, const XaRequest *req)
{
  XaWaitEntry *entry = g_new (XaWaitEntry, 1);

  *entry = (XaWaitEntry) { item, index, req, xa_wait_queue_class_of (self, req) };
  self->length++;
  return g_sequence_insert_sorted (entry->klass->entries, entry, xa_wait_entry_compare_index,
                                   NULL);
}

void
xa_wait_queue_remove (XaWaitQueue *self, XaWaitPlace *place)
{
  XaWaitClass *klass = ((XaWaitEntry *) g_sequence_get (place))->klass;

  self->length--;
  g_sequence_remove (place);
  /* a daemon queues new classes as long as it runs: only those with
   * requests waiting are kept, or each batch would look at them all */
  if (g_sequence_is_empty (klass->entries))
    g_ptr_array_remove_fast (self->classes, klass);
}

guint
xa_wait_queue_get_length (XaWaitQueue *self)
{
  return self->length;
}

/**
 * xa_wait_queue_get_n_classes:
 * @self: the queue
 *
 * Returns: how many classes (a priority and a queue time) have requests
 *   waiting: what taking each request looks at
 */
guint
xa_wait_queue_get_n_classes (XaWaitQueue *self)
{
  return self->classes->len;
}

/* Whether @a goes before @b: higher effective priority, then arrival. */
static gboolean
xa_wait_entry_before (const XaWaitEntry *a, const XaWaitEntry *b, gdouble now_s)
{
  gint pa = xa_request_effective_priority (a->req, now_s);
  gint pb = xa_request_effective_priority (b->req, now_s);

  return pa != pb ? pa > pb : a->index < b->index;
}

/* The first entry of all, or %NULL if none waits. */
static GSequenceIter *
xa_wait_queue_first (XaWaitQueue *self, gdouble now_s)
{
  GSequenceIter *first = NULL;

  for (guint c = 0; c < self->classes->len; c++) {
    XaWaitClass *klass = g_ptr_array_index (self->classes, c);
    GSequenceIter *head = g_sequence_get_begin_iter (klass->entries);

    if (g_sequence_iter_is_end (head))
      continue;
    if (first == NULL || xa_wait_entry_before (g_sequence_get (head), g_sequence_get (first),
                                               now_s))
      first = head;
  }
  return first;
}

/**
 * xa_wait_queue_take:
 * @self: the queue
 * @max: the most to take
 * @now_s: now, for the requests' aging
 *
 * Returns: (transfer container): the first @max items (or all), in order;
 *   they leave the queue
 */
GPtrArray *
xa_wait_queue_take (XaWaitQueue *self, guint max, gdouble now_s)
{
  GPtrArray *taken = g_ptr_array_new ();
  GSequenceIter *first;

  while (taken->len < max && (first = xa_wait_queue_first (self, now_s)) != NULL) {
    g_ptr_array_add (taken, ((XaWaitEntry *) g_sequence_get (first))->item);
    xa_wait_queue_remove (self, first);
  }
  return taken;
}
