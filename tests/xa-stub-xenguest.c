/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "xa-xenguest-proto.h"

/*
 * A stand-in for xadmit-xenguest in the tests: it parses its argv as the
 * helper does, then does what its kernel command line says, "stub=MODE":
 * ok (answers store_mfn = the domid, console_mfn = the memory), error,
 * crash, hang or garbage.
 */

static int
stub_answer (const gchar *line, int status)
{
  fputs (line, stdout);
  return status;
}

static int
stub_crash (void)
{
  const struct rlimit no_core = { 0, 0 };

  /* a crash, without a core file to write; abort (), because a sanitizer
   * catches SIGSEGV and turns it into an abort of its own */
  setrlimit (RLIMIT_CORE, &no_core);
  abort ();
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(XaXenguestArgs) args = xa_xenguest_proto_parse_argv (argc, argv, &error);
  g_autofree gchar *line = NULL;
  XaXenguestReply reply = { 0 };
  const gchar *mode;

  if (args == NULL) {
    line = xa_xenguest_proto_error_line (EINVAL, error->message);
    return stub_answer (line, 1);
  }
  mode = args->cmdline != NULL ? args->cmdline : "stub=ok";
  if (g_strcmp0 (mode, "stub=error") == 0) {
    line = xa_xenguest_proto_error_line (ENOMEM, "xc_dom_boot_mem_init: cannot populate\nthe memory");
    return stub_answer (line, 1);
  }
  if (g_strcmp0 (mode, "stub=crash") == 0)
    return stub_crash ();
  if (g_strcmp0 (mode, "stub=hang") == 0) {
    for (;;)
      pause ();
  }
  if (g_strcmp0 (mode, "stub=garbage") == 0)
    return stub_answer ("Segmentation fault\nmore\n", 0);
  reply.store_mfn = args->domid;
  reply.console_mfn = args->memory_mib;
  line = xa_xenguest_proto_ok_line (&reply);
  return stub_answer (line, 0);
}
