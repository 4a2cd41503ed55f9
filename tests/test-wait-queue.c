/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xa-test-util.h"
#include "xa-wait-queue.h"

/* A request of @priority queued at @queued_s, its own item. */
static XaRequest *
add (XaWaitQueue *queue, GPtrArray *requests, const gchar *name, gint priority,
     gdouble queued_s)
{
  XaRequest *req = xa_test_add_vm (requests, name, GiB, 1);

  req->priority = priority;
  req->queued_s = queued_s;
  xa_wait_queue_add (queue, req, requests->len - 1, req);
  return req;
}

static const gchar *
take_one (XaWaitQueue *queue, gdouble now_s)
{
  g_autoptr(GPtrArray) taken = xa_wait_queue_take (queue, 1, now_s);

  g_assert_cmpuint (taken->len, ==, 1);
  return ((XaRequest *) g_ptr_array_index (taken, 0))->name;
}

/* Five requests wait; one of higher priority comes later: it goes first,
 * then the others in the order they came. */
static void
test_late_high_priority_goes_first (void)
{
  g_autoptr(XaWaitQueue) queue = xa_wait_queue_new ();
  g_autoptr(GPtrArray) requests = xa_test_requests_new ();

  for (guint i = 0; i < 5; i++) {
    g_autofree gchar *name = g_strdup_printf ("low-%u", i);

    add (queue, requests, name, 0, 0);
  }
  add (queue, requests, "high", 10, 0.5);
  g_assert_cmpstr (take_one (queue, 0.5), ==, "high");
  g_assert_cmpstr (take_one (queue, 0.5), ==, "low-0");
  g_assert_cmpstr (take_one (queue, 0.5), ==, "low-1");
  g_assert_cmpuint (xa_wait_queue_get_length (queue), ==, 3);
}

/* A steady stream of priority 5, one a second, each batch taking one: the
 * request of priority 0 gains a level a second and is taken after about
 * five, not starved; without aging it would wait for ever. */
static void
test_aging_lets_low_priority_through (void)
{
  g_autoptr(XaWaitQueue) queue = xa_wait_queue_new ();
  g_autoptr(GPtrArray) requests = xa_test_requests_new ();
  gdouble taken_at = -1;

  add (queue, requests, "low", 0, 0);
  for (guint t = 1; t <= 20 && taken_at < 0; t++) {
    g_autofree gchar *name = g_strdup_printf ("high-%u", t);

    add (queue, requests, name, 5, t);
    if (g_str_equal (take_one (queue, t), "low"))
      taken_at = t;
  }
  g_assert_cmpfloat (taken_at, >=, 5);
  g_assert_cmpfloat (taken_at, <=, 7);
}

/* A daemon's requests come queued at ever new times: a class goes once
 * its last request is taken or removed, so a batch looks only at those
 * with requests waiting, however long the daemon has run. */
static void
test_empty_classes_go (void)
{
  g_autoptr(XaWaitQueue) queue = xa_wait_queue_new ();
  g_autoptr(GPtrArray) requests = xa_test_requests_new ();
  g_autoptr(GPtrArray) taken = NULL;
  XaWaitPlace *place;

  for (guint t = 0; t < 100; t++) {
    g_autofree gchar *name = g_strdup_printf ("vm-%u", t);

    add (queue, requests, name, 0, t);
  }
  g_assert_cmpuint (xa_wait_queue_get_n_classes (queue), ==, 100);
  taken = xa_wait_queue_take (queue, 100, 100);
  g_assert_cmpuint (taken->len, ==, 100);
  g_assert_cmpuint (xa_wait_queue_get_n_classes (queue), ==, 0);
  add (queue, requests, "alone", 0, 200);
  place = xa_wait_queue_add (queue, requests->pdata[0], 0, requests->pdata[0]);
  g_assert_cmpuint (xa_wait_queue_get_n_classes (queue), ==, 2);
  xa_wait_queue_remove (queue, place);
  g_assert_cmpuint (xa_wait_queue_get_n_classes (queue), ==, 1);
  g_assert_cmpstr (take_one (queue, 200), ==, "alone");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/scheduler/wait-queue/late-high-priority-goes-first",
                   test_late_high_priority_goes_first);
  g_test_add_func ("/scheduler/wait-queue/aging-lets-low-priority-through",
                   test_aging_lets_low_priority_through);
  g_test_add_func ("/scheduler/wait-queue/empty-classes-go", test_empty_classes_go);
  return g_test_run ();
}
