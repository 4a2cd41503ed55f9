/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The line xadmit-xenguest answers with (xa-xenguest-proto.h), as the
 * runner reads the helper's stdout: a reply it accepts reads the same once
 * the helper's side writes it again. */
#include <string.h>

#include "xa-fuzz.h"
#include "xa-xenguest-proto.h"

static void
xa_fuzz_reply_again (const XaXenguestReply *reply, gint errsv, const gchar *sentence)
{
  g_autofree gchar *line = errsv == 0 ? xa_xenguest_proto_ok_line (reply)
                                      : xa_xenguest_proto_error_line (errsv, sentence);
  g_autofree gchar *sentence_again = NULL;
  g_autoptr(GError) error = NULL;
  XaXenguestReply again = { 0 };
  gint errsv_again = -1;
  /* the helper writes its sentence on one line */
  g_autofree gchar *flat = sentence != NULL ? g_strdelimit (g_strdup (sentence), "\r\n", ' ')
                                             : NULL;

  if (!xa_xenguest_proto_parse_reply (line, strlen (line), &again, &errsv_again,
                                      &sentence_again, &error))
    g_error ("the helper's own line does not read: %s", error->message);
  if (errsv_again != errsv || g_strcmp0 (sentence_again, flat) != 0 ||
      (errsv == 0 && (again.store_mfn != reply->store_mfn ||
                      again.console_mfn != reply->console_mfn)))
    g_error ("\"%s\" reads as another reply", line);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree gchar *sentence = NULL;
  g_autoptr(GError) error = NULL;
  XaXenguestReply reply = { 0 };
  gint errsv = -1;
  gboolean ok = xa_xenguest_proto_parse_reply ((const gchar *) data, size, &reply, &errsv,
                                               &sentence, &error);

  xa_fuzz_check_result (ok, error);
  if (ok)
    xa_fuzz_reply_again (&reply, errsv, sentence);
  return 0;
}
