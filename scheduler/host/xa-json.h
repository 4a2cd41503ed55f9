/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <jansson.h>

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC (json_t, json_decref)

/**
 * XaJsonFlags:
 * @XA_JSON_OPTIONAL: the field may be absent; the out value keeps its default
 * @XA_JSON_REQUIRED: the field must be present
 * @XA_JSON_NONZERO: a size of 0 is an error (a VM's or a node's memory)
 */
typedef enum {
  XA_JSON_OPTIONAL = 0,
  XA_JSON_REQUIRED = 1 << 0,
  XA_JSON_NONZERO = 1 << 1,
} XaJsonFlags;

json_t *xa_json_load_file (const gchar *path,
                           GError     **error);
json_t *xa_json_load_data (const gchar *display_name,
                           const gchar *data,
                           gsize        len,
                           GError     **error);

gboolean xa_json_check_object (json_t             *value,
                               const gchar *const *known,
                               GError            **error);
void xa_json_prefix_file (GError     **error,
                          const gchar *display_name);
void xa_json_prefix_entry (GError     **error,
                           const gchar *list,
                           gsize        index,
                           json_t      *entry);
gboolean xa_json_check_keys (json_t             *object,
                             const gchar *const *known,
                             GError            **error);
gboolean xa_json_get_size (json_t      *object,
                           const gchar *key,
                           XaJsonFlags  flags,
                           guint64     *out_mib,
                           GError     **error);
gboolean xa_json_size_value (json_t   *value,
                             XaJsonFlags flags,
                             guint64  *out_mib,
                             GError  **error);
gboolean xa_json_get_int (json_t      *object,
                          const gchar *key,
                          XaJsonFlags  flags,
                          gint64       min,
                          gint64       max,
                          gint64      *out,
                          GError     **error);
gboolean xa_json_get_bool (json_t      *object,
                           const gchar *key,
                           gboolean    *out,
                           GError     **error);
gboolean xa_json_get_string (json_t       *object,
                             const gchar  *key,
                             XaJsonFlags   flags,
                             const gchar **out,
                             GError      **error);
gboolean xa_json_get_name (json_t       *object,
                           const gchar  *key,
                           XaJsonFlags   flags,
                           const gchar **out,
                           GError      **error);
gboolean xa_json_get_array (json_t      *object,
                            const gchar *key,
                            XaJsonFlags  flags,
                            json_t     **out,
                            GError     **error);
gboolean xa_json_get_cpu_list (json_t      *object,
                               const gchar *key,
                               GArray     **out,
                               GError     **error);
gchar *xa_json_describe (json_t *value);

G_END_DECLS
