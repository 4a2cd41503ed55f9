/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <xenctrl.h>
#include <xenguest.h>

#include "xa-xenguest-proto.h"

/*
 * xadmit-xenguest: the xenguest step of one domain's build (docs/design.md,
 * "The xenguest helper"). The runner passes the build in argv
 * (xa-xenguest-proto.h); this program makes libxenguest's xc_dom_* calls
 * in the order docs/design.md gives, PV only, and answers one line on
 * stdout. libxc's log goes to stderr, which the runner
 * puts in its debug log.
 */

typedef struct xc_dom_image XaDomImage;

/* What failed: the call, and the errno it left. */
typedef struct {
  const gchar *call;
  gint errsv;
} XaXenguestFailure;

static gboolean
xenguest_step (int rc, const gchar *call, XaXenguestFailure *failure)
{
  if (rc == 0)
    return TRUE;
  failure->call = call;
  failure->errsv = errno != 0 ? errno : EIO;
  return FALSE;
}

/* One vmemrange per node with memory, each on its node exactly, so that
 * populate fails rather than spill; xc_dom_malloc keeps the arrays until
 * xc_dom_release. */
static gboolean
xenguest_set_vnuma (XaDomImage *dom, const XaXenguestArgs *args, XaXenguestFailure *failure)
{
  guint n_vnodes = 0;
  uint64_t start = 0;
  xen_vmemrange_t *ranges;
  unsigned int *vnode_to_pnode;

  for (guint node = 0; node < args->n_nodes; node++)
    n_vnodes += args->mib_by_node[node] > 0 ? 1 : 0;
  ranges = xc_dom_malloc (dom, sizeof (*ranges) * n_vnodes);
  vnode_to_pnode = xc_dom_malloc (dom, sizeof (*vnode_to_pnode) * n_vnodes);
  if (ranges == NULL || vnode_to_pnode == NULL)
    return xenguest_step (-1, "xc_dom_malloc", failure);
  for (guint node = 0, vnode = 0; node < args->n_nodes; node++) {
    if (args->mib_by_node[node] == 0)
      continue;
    ranges[vnode] = (xen_vmemrange_t) {
      .start = start,
      .end = start + (args->mib_by_node[node] << 20),
      .flags = 0,
      .nid = vnode,
    };
    vnode_to_pnode[vnode++] = node;
    start += args->mib_by_node[node] << 20;
  }
  dom->vmemranges = ranges;
  dom->nr_vmemranges = n_vnodes;
  dom->vnode_to_pnode = vnode_to_pnode;
  dom->nr_vnodes = n_vnodes;
  return TRUE;
}

/* A PV guest; claim_enabled 0, since the backend claimed and a domain has
 * one claim; the event channels the backend allocated for dom0's
 * xenstored and xenconsoled. */
static gboolean
xenguest_set_fields (XaDomImage *dom, const XaXenguestArgs *args, XaXenguestFailure *failure)
{
  dom->container_type = XC_DOM_PV_CONTAINER;
  dom->xenstore_evtchn = args->store_port;
  dom->xenstore_domid = 0;
  dom->console_evtchn = args->console_port;
  dom->console_domid = 0;
  dom->max_vcpus = args->vcpus;
  dom->claim_enabled = 0;
  return args->mib_by_node == NULL || xenguest_set_vnuma (dom, args, failure);
}

/* The xen suite's failure paths: populate has run, the domain holds its
 * memory, and the helper dies (or hangs until the runner kills it). */
static void
xenguest_test_fault (const XaXenguestArgs *args)
{
  if (args->test_fault == NULL)
    return;
  fprintf (stderr, "--test-fault=%s: stopping after populate\n", args->test_fault);
  fflush (stderr);
  if (g_strcmp0 (args->test_fault, "die") == 0)
    raise (SIGKILL);
  for (;;)
    pause ();
}

/* In libxenguest's order (docs/design.md, "The xenguest helper"):
 * boot_xen_init before parse_image, which checks the guest against Xen;
 * parse_image before mem_init, which uses the hooks it chose;
 * boot_mem_init populates the memory; gnttab_init before xenstored maps
 * the store page. */
static gboolean
xenguest_build (xc_interface *xch, XaDomImage *dom, const XaXenguestArgs *args,
                XaXenguestReply *reply, XaXenguestFailure *failure)
{
  if (!xenguest_set_fields (dom, args, failure) ||
      !xenguest_step (xc_dom_kernel_file (dom, args->kernel), "xc_dom_kernel_file", failure) ||
      (args->ramdisk != NULL &&
       !xenguest_step (xc_dom_module_file (dom, args->ramdisk, NULL), "xc_dom_module_file",
                       failure)) ||
      !xenguest_step (xc_dom_boot_xen_init (dom, xch, args->domid), "xc_dom_boot_xen_init",
                      failure) ||
      !xenguest_step (xc_dom_parse_image (dom), "xc_dom_parse_image", failure) ||
      !xenguest_step (xc_dom_mem_init (dom, (unsigned int) args->memory_mib), "xc_dom_mem_init",
                      failure) ||
      !xenguest_step (xc_dom_boot_mem_init (dom), "xc_dom_boot_mem_init", failure))
    return FALSE;
  xenguest_test_fault (args);
  if (!xenguest_step (xc_dom_build_image (dom), "xc_dom_build_image", failure) ||
      !xenguest_step (xc_dom_boot_image (dom), "xc_dom_boot_image", failure) ||
      !xenguest_step (xc_dom_gnttab_init (dom), "xc_dom_gnttab_init", failure))
    return FALSE;
  /* PV: machine frames, as xs_introduce_domain wants the store's */
  reply->store_mfn = xc_dom_p2m (dom, dom->xenstore_pfn);
  reply->console_mfn = xc_dom_p2m (dom, dom->console_pfn);
  return TRUE;
}

/* A file the build boots that is not there fails here, by its name. */
static gboolean
xenguest_readable (const gchar *what, const gchar *path, gint *out_errsv, gchar **out_sentence)
{
  if (path == NULL || access (path, R_OK) == 0)
    return TRUE;
  /* the runner adds the errno's text */
  *out_errsv = errno;
  *out_sentence = g_strdup_printf ("%s %s: cannot read it", what, path);
  return FALSE;
}

static int
xenguest_answer (const gchar *line, int status)
{
  fputs (line, stdout);
  fflush (stdout);
  return status;
}

static int
xenguest_fail (gint errsv, const gchar *sentence)
{
  g_autofree gchar *line = xa_xenguest_proto_error_line (errsv, sentence);

  return xenguest_answer (line, 1);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(XaXenguestArgs) args = xa_xenguest_proto_parse_argv (argc, argv, &error);
  g_autofree gchar *sentence = NULL;
  g_autofree gchar *line = NULL;
  XaXenguestFailure failure = { NULL, 0 };
  XaXenguestReply reply = { 0 };
  xentoollog_logger_stdiostream *logger;
  xc_interface *xch;
  XaDomImage *dom;
  gboolean built;

  /* a runner killed (kill -9 of xadmit) takes its builds with it */
  if (prctl (PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid () == 1)
    return xenguest_fail (ECHILD, "prctl: cannot follow the runner, or it is gone");
  if (args == NULL)
    return xenguest_fail (EINVAL, error->message);
  if (!xenguest_readable ("kernel", args->kernel, &failure.errsv, &sentence) ||
      !xenguest_readable ("ramdisk", args->ramdisk, &failure.errsv, &sentence))
    return xenguest_fail (failure.errsv, sentence);
  logger = xtl_createlogger_stdiostream (stderr, XTL_INFO, 0);
  xch = xc_interface_open ((xentoollog_logger *) logger, (xentoollog_logger *) logger, 0);
  if (xch == NULL)
    return xenguest_fail (errno != 0 ? errno : EIO, "xc_interface_open: no hypervisor");
  dom = xc_dom_allocate (xch, args->cmdline, NULL);
  if (dom == NULL)
    return xenguest_fail (ENOMEM, "xc_dom_allocate: out of memory");
  built = xenguest_build (xch, dom, args, &reply, &failure);
  xc_dom_release (dom);
  xc_interface_close (xch);
  xtl_logger_destroy ((xentoollog_logger *) logger);
  if (!built) {
    sentence = g_strdup_printf ("%s failed for domain %u", failure.call, args->domid);
    return xenguest_fail (failure.errsv, sentence);
  }
  line = xa_xenguest_proto_ok_line (&reply);
  return xenguest_answer (line, 0);
}
