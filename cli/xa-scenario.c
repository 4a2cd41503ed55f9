/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <math.h>

#include "xa-error.h"
#include "xa-json.h"
#include "xa-scenario.h"

/* A gap or a rate beyond this is a typo, not a storm. */
#define XA_SCENARIO_MAX_ARRIVAL 1e6
#define XA_SCENARIO_MAX_SEEDS 1000

static const gchar *const scenario_keys[] = {
  "name", "host", "manifest", "arrival", "seeds", NULL
};

/* A path of the file, as given, or taken from the scenario's folder. */
static gboolean
xa_scenario_get_path (json_t *root, const gchar *key, const gchar *dir, gchar **out,
                      GError **error)
{
  const gchar *value = NULL;

  if (!xa_json_get_string (root, key, XA_JSON_REQUIRED, &value, error))
    return FALSE;
  if (*value == '\0') {
    g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT, "%s: the path is empty", key);
    return FALSE;
  }
  *out = g_path_is_absolute (value) ? g_strdup (value) : g_build_filename (dir, value, NULL);
  return TRUE;
}

static gboolean
xa_scenario_parse_rate (json_t *arrival, XaScenario *self, GError **error)
{
  const gchar *key = json_object_get (arrival, "every_s") != NULL ? "every_s" : "poisson_per_s";
  json_t *value = json_object_get (arrival, key);

  if (json_object_size (arrival) != 1 || value == NULL) {
    g_set_error_literal (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                         "arrival: expected \"burst\", {\"every_s\": S} or "
                         "{\"poisson_per_s\": R}");
    return FALSE;
  }
  if (!json_is_number (value) || json_number_value (value) <= 0 ||
      json_number_value (value) > XA_SCENARIO_MAX_ARRIVAL) {
    g_autofree gchar *shown = xa_json_describe (value);

    g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                 "arrival: %s: %s is not a number above 0 and at most %g", key, shown,
                 XA_SCENARIO_MAX_ARRIVAL);
    return FALSE;
  }
  self->arrival = g_str_equal (key, "every_s") ? XA_ARRIVAL_EVERY : XA_ARRIVAL_POISSON;
  self->arrival_value = json_number_value (value);
  return TRUE;
}

/* "burst" (also when left out), {"every_s": S} or {"poisson_per_s": R}. */
static gboolean
xa_scenario_parse_arrival (json_t *root, XaScenario *self, GError **error)
{
  json_t *arrival = json_object_get (root, "arrival");
  g_autofree gchar *shown = NULL;

  self->arrival = XA_ARRIVAL_BURST;
  if (arrival == NULL || (json_is_string (arrival) &&
                          g_str_equal (json_string_value (arrival), "burst")))
    return TRUE;
  if (json_is_object (arrival))
    return xa_scenario_parse_rate (arrival, self, error);
  shown = xa_json_describe (arrival);
  g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
               "arrival: %s is not \"burst\", {\"every_s\": S} or {\"poisson_per_s\": R}",
               shown);
  return FALSE;
}

/* A list of seeds as `boot --seed` takes them; [1] when left out. */
static gboolean
xa_scenario_parse_seeds (json_t *root, XaScenario *self, GError **error)
{
  json_t *seeds = NULL;
  json_t *item;
  gsize i;

  self->seeds = g_array_new (FALSE, FALSE, sizeof (guint32));
  if (!xa_json_get_array (root, "seeds", XA_JSON_OPTIONAL, &seeds, error))
    return FALSE;
  if (seeds == NULL) {
    guint32 one = 1;

    g_array_append_val (self->seeds, one);
    return TRUE;
  }
  if (json_array_size (seeds) == 0 || json_array_size (seeds) > XA_SCENARIO_MAX_SEEDS) {
    g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                 "seeds: expected 1 to %u seeds, not %zu", XA_SCENARIO_MAX_SEEDS,
                 json_array_size (seeds));
    return FALSE;
  }
  json_array_foreach (seeds, i, item) {
    guint32 seed;

    if (!json_is_integer (item) || json_integer_value (item) < 0 ||
        json_integer_value (item) > G_MAXINT) {
      g_autofree gchar *shown = xa_json_describe (item);

      g_set_error (error, XA_ERROR, XA_ERROR_INVALID_INPUT,
                   "seeds[%zu]: %s is not a seed (0 to %d)", i, shown, G_MAXINT);
      return FALSE;
    }
    seed = (guint32) json_integer_value (item);
    g_array_append_val (self->seeds, seed);
  }
  return TRUE;
}

/**
 * xa_scenario_parse:
 * @path: the scenario file, for its folder and for error messages
 * @root: its top-level object
 * @error: a #GError, naming the file and the field
 *
 * Returns: (transfer full) (nullable): the scenario
 */
XaScenario *
xa_scenario_parse (const gchar *path, json_t *root, GError **error)
{
  g_autoptr(XaScenario) self = g_new0 (XaScenario, 1);
  g_autofree gchar *dir = g_path_get_dirname (path);
  const gchar *name = NULL;

  if (!xa_json_check_keys (root, scenario_keys, error) ||
      !xa_json_get_name (root, "name", XA_JSON_REQUIRED, &name, error) ||
      !xa_scenario_get_path (root, "host", dir, &self->host_path, error) ||
      !xa_scenario_get_path (root, "manifest", dir, &self->manifest_path, error) ||
      !xa_scenario_parse_arrival (root, self, error) ||
      !xa_scenario_parse_seeds (root, self, error)) {
    xa_json_prefix_file (error, path);
    return NULL;
  }
  self->name = g_strdup (name);
  return g_steal_pointer (&self);
}

/**
 * xa_scenario_load_data:
 * @path: the scenario file, for its folder and for error messages
 * @data: its bytes
 * @len: their length
 * @error: a #GError, naming the file and the field
 *
 * Returns: (transfer full) (nullable): the scenario
 */
XaScenario *
xa_scenario_load_data (const gchar *path, const gchar *data, gsize len, GError **error)
{
  g_autoptr(json_t) root = xa_json_load_data (path, data, len, error);

  if (root == NULL)
    return NULL;
  return xa_scenario_parse (path, root, error);
}

XaScenario *
xa_scenario_load (const gchar *path, GError **error)
{
  g_autoptr(json_t) root = xa_json_load_file (path, error);

  if (root == NULL)
    return NULL;
  return xa_scenario_parse (path, root, error);
}

void
xa_scenario_free (XaScenario *self)
{
  if (self == NULL)
    return;
  g_free (self->name);
  g_free (self->host_path);
  g_free (self->manifest_path);
  g_clear_pointer (&self->seeds, g_array_unref);
  g_free (self);
}

/**
 * xa_scenario_arrival_times:
 * @self: the scenario
 * @seed: the run's seed, which draws Poisson gaps
 * @n_vms: its manifest's VMs
 *
 * The first VM arrives at 0; the others one gap later each, in manifest
 * order: none (burst), the fixed gap, or an exponential one drawn from a
 * generator of its own seeded with @seed, so the same seed gives the same
 * times and the simulated host's jitter is left as a boot has it.
 *
 * Returns: (transfer full) (array length=n_vms): when each VM arrives, in
 *   seconds after the run began
 */
gdouble *
xa_scenario_arrival_times (const XaScenario *self, guint32 seed, guint n_vms)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  gdouble *at_s = g_new0 (gdouble, MAX (n_vms, 1));

  for (guint i = 1; i < n_vms; i++) {
    if (self->arrival == XA_ARRIVAL_EVERY)
      at_s[i] = i * self->arrival_value;
    else if (self->arrival == XA_ARRIVAL_POISSON)
      at_s[i] = at_s[i - 1] - log (1.0 - g_rand_double (rand)) / self->arrival_value;
  }
  return at_s;
}
