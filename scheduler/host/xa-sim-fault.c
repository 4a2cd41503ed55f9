/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The faults a host file schedules on the simulated host ("faults"). */
#include <errno.h>

#include "xa-error.h"
#include "xa-json.h"
#include "xa-name.h"
#include "xa-sim-fault.h"
#include "xa-text.h"

static const gchar *const take_keys[] = { "at_s", "take", "node", NULL };
static const gchar *const give_keys[] = { "at_s", "give", "node", NULL };
static const gchar *const build_fails_keys[] = { "build_fails", "attempt", NULL };
static const gchar *const build_hangs_keys[] = { "build_hangs", "attempt", NULL };
static const gchar *const call_fails_keys[] = { "call_fails", "use", "errno", "used", NULL };
static const gchar *const shuts_down_keys[] = { "shuts_down", "after_s", NULL };

/* The errors a failing host call may give, as libxenctrl sets errno. */
static const struct {
  const gchar *name;
  gint errnum;
} call_errors[] = {
  { "EIO", EIO }, { "ENOMEM", ENOMEM }, { "EBUSY", EBUSY }, { "ESRCH", ESRCH },
};

/* The host calls a fault may break (xa-host.h, modelled on libxenctrl). */
static const gchar *const host_calls[] = {
  "snapshot", "create_domain", "max_vcpus", "timer_mode", "max_mem",
  "vcpu_affinity", "node_affinity", "claim_pages", "build", "unpause",
  "destroy", NULL
};

void
xa_sim_fault_free (XaSimFault *fault)
{
  if (fault == NULL)
    return;
  g_free (fault->vm);
  g_free (fault->call);
  g_free (fault);
}

/* {"at_s", "take", "node"}, or "give" the same way. */
static XaSimFault *
xa_sim_fault_parse_memory (const XaHostInfo *info, json_t *jfault, XaSimFaultKind kind,
                           GError **error)
{
  g_autoptr(XaSimFault) fault = g_new0 (XaSimFault, 1);
  gboolean gives = kind == XA_SIM_FAULT_GIVE_MEMORY;
  json_t *at = json_object_get (jfault, "at_s");
  gint64 node = 0;

  fault->kind = kind;
  if (!xa_json_check_keys (jfault, gives ? give_keys : take_keys, error))
    return NULL;
  if (!json_is_number (at) || json_number_value (at) < 0) {
    g_set_error_literal (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                         "at_s: expected seconds on the host's clock, 0 or more");
    return NULL;
  }
  fault->at_s = json_number_value (at);
  if (!xa_json_get_size (jfault, gives ? "give" : "take", XA_JSON_REQUIRED | XA_JSON_NONZERO,
                         &fault->take_mib, error) ||
      !xa_json_get_int (jfault, "node", XA_JSON_REQUIRED, 0, info->n_nodes - 1, &node, error))
    return NULL;
  fault->node = (guint) node;
  return g_steal_pointer (&fault);
}

/* {"build_fails": VM, "attempt": K}, or "build_hangs" the same way. */
static XaSimFault *
xa_sim_fault_parse_build (json_t *jfault, XaSimFaultKind kind, GError **error)
{
  g_autoptr(XaSimFault) fault = g_new0 (XaSimFault, 1);
  gboolean hangs = kind == XA_SIM_FAULT_BUILD_HANGS;
  const gchar *vm = NULL;
  gint64 attempt = 1;

  fault->kind = kind;
  if (!xa_json_check_keys (jfault, hangs ? build_hangs_keys : build_fails_keys, error) ||
      !xa_json_get_name (jfault, hangs ? "build_hangs" : "build_fails", XA_JSON_REQUIRED, &vm,
                        error) ||
      !xa_json_get_int (jfault, "attempt", XA_JSON_OPTIONAL, 1, 1000, &attempt, error))
    return NULL;
  fault->vm = g_strdup (vm);
  fault->attempt = (guint) attempt;
  return g_steal_pointer (&fault);
}

/* "errno": one of call_errors, EIO when absent. */
static gboolean
xa_sim_fault_parse_errno (json_t *jfault, gint *out_errnum, GError **error)
{
  const gchar *name = "EIO";

  if (!xa_json_get_string (jfault, "errno", XA_JSON_OPTIONAL, &name, error))
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (call_errors); i++) {
    if (g_strcmp0 (call_errors[i].name, name) == 0) {
      *out_errnum = call_errors[i].errnum;
      return TRUE;
    }
  }
  g_set_error_literal (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                       "errno: expected EIO, ENOMEM, EBUSY or ESRCH");
  return FALSE;
}

static const gchar *
xa_sim_fault_errno_name (gint errnum)
{
  for (gsize i = 0; i < G_N_ELEMENTS (call_errors); i++) {
    if (call_errors[i].errnum == errnum)
      return call_errors[i].name;
  }
  g_return_val_if_reached ("EIO");
}

static XaSimFault *
xa_sim_fault_parse_call_fails (json_t *jfault, GError **error)
{
  g_autoptr(XaSimFault) fault = g_new0 (XaSimFault, 1);
  const gchar *call = NULL;
  gint64 use = 1;
  gint64 used = 0;

  fault->kind = XA_SIM_FAULT_CALL_FAILS;
  if (!xa_json_check_keys (jfault, call_fails_keys, error) ||
      !xa_json_get_string (jfault, "call_fails", XA_JSON_REQUIRED, &call, error) ||
      !xa_json_get_int (jfault, "use", XA_JSON_OPTIONAL, 1, G_MAXINT32, &use, error) ||
      !xa_json_get_int (jfault, "used", XA_JSON_OPTIONAL, 0, use, &used, error) ||
      !xa_sim_fault_parse_errno (jfault, &fault->errnum, error))
    return NULL;
  if (!g_strv_contains (host_calls, call)) {
    g_autofree gchar *known = g_strjoinv (", ", (gchar **) host_calls);
    g_autofree gchar *shown = xa_text_quote (call);

    g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                 "call_fails: %s is not a host call (use one of %s)", shown, known);
    return NULL;
  }
  fault->call = g_strdup (call);
  fault->use = (guint) use;
  fault->used = (guint) used;
  return g_steal_pointer (&fault);
}

/* {"shuts_down": VM or "*", "after_s": S} */
static XaSimFault *
xa_sim_fault_parse_shuts_down (json_t *jfault, GError **error)
{
  g_autoptr(XaSimFault) fault = g_new0 (XaSimFault, 1);
  json_t *after = json_object_get (jfault, "after_s");
  const gchar *vm = NULL;

  fault->kind = XA_SIM_FAULT_SHUTS_DOWN;
  if (!xa_json_check_keys (jfault, shuts_down_keys, error) ||
      !xa_json_get_string (jfault, "shuts_down", XA_JSON_REQUIRED, &vm, error))
    return NULL;
  if (!g_str_equal (vm, XA_SIM_FAULT_ANY_VM) && !xa_name_validate (vm, error)) {
    g_prefix_error (error, "shuts_down: ");
    return NULL;
  }
  if (!json_is_number (after) || json_number_value (after) < 0) {
    g_set_error_literal (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                         "after_s: expected seconds on the host's clock, 0 or more");
    return NULL;
  }
  fault->vm = g_strdup (vm);
  fault->at_s = json_number_value (after);
  return g_steal_pointer (&fault);
}

static XaSimFault *
xa_sim_fault_parse_one (const XaHostInfo *info, json_t *jfault, GError **error)
{
  if (!json_is_object (jfault)) {
    g_autofree gchar *shown = xa_json_describe (jfault);

    g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT, "%s is not an object", shown);
    return NULL;
  }
  if (json_object_get (jfault, "take") != NULL)
    return xa_sim_fault_parse_memory (info, jfault, XA_SIM_FAULT_TAKE_MEMORY, error);
  if (json_object_get (jfault, "give") != NULL)
    return xa_sim_fault_parse_memory (info, jfault, XA_SIM_FAULT_GIVE_MEMORY, error);
  if (json_object_get (jfault, "build_fails") != NULL)
    return xa_sim_fault_parse_build (jfault, XA_SIM_FAULT_BUILD_FAILS, error);
  if (json_object_get (jfault, "build_hangs") != NULL)
    return xa_sim_fault_parse_build (jfault, XA_SIM_FAULT_BUILD_HANGS, error);
  if (json_object_get (jfault, "call_fails") != NULL)
    return xa_sim_fault_parse_call_fails (jfault, error);
  if (json_object_get (jfault, "shuts_down") != NULL)
    return xa_sim_fault_parse_shuts_down (jfault, error);
  g_set_error_literal (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                       "not a fault (use {\"at_s\", \"take\" or \"give\", \"node\"}, "
                       "{\"build_fails\", \"attempt\"}, {\"build_hangs\", \"attempt\"}, "
                       "{\"call_fails\", \"use\"} or {\"shuts_down\", \"after_s\"})");
  return NULL;
}

/**
 * xa_sim_fault_parse_list:
 * @info: the host the faults happen on
 * @root: a host file's top-level object
 * @error: a #GError, %XA_ERROR_INVALID_INPUT naming the entry and the field
 *
 * Returns: (transfer full) (element-type XaSimFault): the faults of "faults",
 *   empty without it, or %NULL
 */
GPtrArray *
xa_sim_fault_parse_list (const XaHostInfo *info, json_t *root, GError **error)
{
  g_autoptr(GPtrArray) faults = g_ptr_array_new_with_free_func ((GDestroyNotify) xa_sim_fault_free);
  json_t *list = NULL;
  json_t *jfault;
  gsize i;

  if (!xa_json_get_array (root, "faults", XA_JSON_OPTIONAL, &list, error))
    return NULL;
  if (list == NULL)
    return g_steal_pointer (&faults);
  json_array_foreach (list, i, jfault) {
    XaSimFault *fault = xa_sim_fault_parse_one (info, jfault, error);

    if (fault == NULL) {
      g_prefix_error (error, "faults[%zu]: ", i);
      return NULL;
    }
    g_ptr_array_add (faults, fault);
  }
  return g_steal_pointer (&faults);
}

static json_t *
xa_sim_fault_call_fails_to_json (const XaSimFault *fault)
{
  json_t *jfault = json_pack ("{s:s, s:i, s:s}", "call_fails", fault->call, "use",
                              (int) fault->use, "errno", xa_sim_fault_errno_name (fault->errnum));

  /* only once the host has used the call: a host file stays as written */
  if (fault->used > 0)
    json_object_set_new (jfault, "used", json_integer (fault->used));
  return jfault;
}

/**
 * xa_sim_fault_to_json:
 * @fault: a fault
 *
 * Returns: (transfer full): @fault as an entry of a host file's "faults"
 */
json_t *
xa_sim_fault_to_json (const XaSimFault *fault)
{
  switch (fault->kind) {
  case XA_SIM_FAULT_TAKE_MEMORY:
    return json_pack ("{s:f, s:I, s:i}", "at_s", fault->at_s,
                      "take", (json_int_t) fault->take_mib, "node", (int) fault->node);
  case XA_SIM_FAULT_GIVE_MEMORY:
    return json_pack ("{s:f, s:I, s:i}", "at_s", fault->at_s,
                      "give", (json_int_t) fault->take_mib, "node", (int) fault->node);
  case XA_SIM_FAULT_BUILD_FAILS:
    return json_pack ("{s:s, s:i}", "build_fails", fault->vm, "attempt", (int) fault->attempt);
  case XA_SIM_FAULT_BUILD_HANGS:
    return json_pack ("{s:s, s:i}", "build_hangs", fault->vm, "attempt", (int) fault->attempt);
  case XA_SIM_FAULT_CALL_FAILS:
    return xa_sim_fault_call_fails_to_json (fault);
  case XA_SIM_FAULT_SHUTS_DOWN:
    return json_pack ("{s:s, s:f}", "shuts_down", fault->vm, "after_s", fault->at_s);
  default:
    g_assert_not_reached ();
  }
}
