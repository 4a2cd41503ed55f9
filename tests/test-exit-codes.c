/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "xa-cli.h"
#include "xa-error.h"

typedef struct {
  XaError code;
  int exit_code;
} ExitCase;

/* One row per XaError code, in the order of the enum. */
static const ExitCase xa_cases[] = {
  { XA_ERROR_FAILED, XA_EXIT_FAILED },
  { XA_ERROR_INVALID_INPUT, XA_EXIT_USAGE },
  { XA_ERROR_NOT_FOUND, XA_EXIT_USAGE },
  { XA_ERROR_BUSY, XA_EXIT_FAILED },
  { XA_ERROR_NO_HYPERVISOR, XA_EXIT_FAILED },
  { XA_ERROR_PERMISSION, XA_EXIT_FAILED },
  { XA_ERROR_DATABASE, XA_EXIT_FAILED },
};
G_STATIC_ASSERT (G_N_ELEMENTS (xa_cases) == XA_ERROR_DATABASE + 1);

static void
test_exit_code_for_every_xa_error (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (xa_cases); i++) {
    g_autoptr(GError) error = g_error_new_literal (XA_ERROR, xa_cases[i].code, "x");

    g_assert_cmpuint (xa_cases[i].code, ==, i);
    g_assert_cmpint (xa_cli_exit_code_for_error (error), ==, xa_cases[i].exit_code);
  }
}

/* A bad flag is a usage error; a failing host call or anything else is 1. */
static void
test_exit_code_for_other_domains (void)
{
  g_autoptr(GError) option = g_error_new_literal (G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "x");
  g_autoptr(GError) host = g_error_new_literal (XA_HOST_ERROR, ENOMEM, "x");
  g_autoptr(GError) file = g_error_new_literal (G_FILE_ERROR, G_FILE_ERROR_NOENT, "x");

  g_assert_cmpint (xa_cli_exit_code_for_error (option), ==, XA_EXIT_USAGE);
  g_assert_cmpint (xa_cli_exit_code_for_error (host), ==, XA_EXIT_FAILED);
  g_assert_cmpint (xa_cli_exit_code_for_error (file), ==, XA_EXIT_FAILED);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cli/errors/exit-code-for-every-xa-error", test_exit_code_for_every_xa_error);
  g_test_add_func ("/cli/errors/exit-code-for-other-domains", test_exit_code_for_other_domains);
  return g_test_run ();
}
