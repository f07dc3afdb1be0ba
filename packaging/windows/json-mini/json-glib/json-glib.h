/* SPDX-License-Identifier: GPL-2.0-or-later */
/* json-mini: the subset of json-glib's API that nodecap's extcap/ and
 * common/ use, written for the Windows build only (packaging/windows/
 * build-deps; docs/windows.md says why). Linux builds use json-glib.
 * Same names, same ownership rules (transfer notes as in json-glib); the
 * parser is strict RFC 8259 with a nesting limit of JSON_MINI_MAX_DEPTH. */
#ifndef JSON_MINI_JSON_GLIB_H
#define JSON_MINI_JSON_GLIB_H

#include <glib-object.h>

G_BEGIN_DECLS

#define JSON_MINI_MAX_DEPTH 256

typedef enum {
  JSON_NODE_OBJECT,
  JSON_NODE_ARRAY,
  JSON_NODE_VALUE,
  JSON_NODE_NULL
} JsonNodeType;

typedef struct _JsonNode JsonNode;
typedef struct _JsonObject JsonObject;
typedef struct _JsonArray JsonArray;

#define JSON_NODE_TYPE(node) (json_node_get_node_type(node))
#define JSON_NODE_HOLDS(node, t) (json_node_get_node_type(node) == (t))
#define JSON_NODE_HOLDS_VALUE(node) (JSON_NODE_HOLDS((node), JSON_NODE_VALUE))
#define JSON_NODE_HOLDS_OBJECT(node) (JSON_NODE_HOLDS((node), JSON_NODE_OBJECT))
#define JSON_NODE_HOLDS_ARRAY(node) (JSON_NODE_HOLDS((node), JSON_NODE_ARRAY))
#define JSON_NODE_HOLDS_NULL(node) (JSON_NODE_HOLDS((node), JSON_NODE_NULL))

/* JsonNode */
JsonNode *json_node_new(JsonNodeType type);
JsonNode *json_node_ref(JsonNode *node);
void json_node_unref(JsonNode *node);
void json_node_free(JsonNode *node);
JsonNode *json_node_copy(JsonNode *node);
JsonNodeType json_node_get_node_type(JsonNode *node);
GType json_node_get_value_type(JsonNode *node);
gboolean json_node_is_null(JsonNode *node);
gint64 json_node_get_int(JsonNode *node);
gdouble json_node_get_double(JsonNode *node);
gboolean json_node_get_boolean(JsonNode *node);
const gchar *json_node_get_string(JsonNode *node);
gchar *json_node_dup_string(JsonNode *node);
JsonObject *json_node_get_object(JsonNode *node);
JsonArray *json_node_get_array(JsonNode *node);
void json_node_set_int(JsonNode *node, gint64 value);
void json_node_set_double(JsonNode *node, gdouble value);
void json_node_set_boolean(JsonNode *node, gboolean value);
void json_node_set_string(JsonNode *node, const gchar *value);
void json_node_set_object(JsonNode *node, JsonObject *object);
void json_node_take_object(JsonNode *node, JsonObject *object);
void json_node_set_array(JsonNode *node, JsonArray *array);
void json_node_take_array(JsonNode *node, JsonArray *array);

/* JsonObject: members keep their first insertion order. */
JsonObject *json_object_new(void);
JsonObject *json_object_ref(JsonObject *object);
void json_object_unref(JsonObject *object);
guint json_object_get_size(JsonObject *object);
GList *json_object_get_members(JsonObject *object);
gboolean json_object_has_member(JsonObject *object, const gchar *member_name);
JsonNode *json_object_get_member(JsonObject *object, const gchar *member_name);
JsonArray *json_object_get_array_member(JsonObject *object, const gchar *member_name);
JsonObject *json_object_get_object_member(JsonObject *object, const gchar *member_name);
const gchar *json_object_get_string_member_with_default(JsonObject *object,
                                                        const gchar *member_name,
                                                        const gchar *default_value);
gint64 json_object_get_int_member_with_default(JsonObject *object, const gchar *member_name,
                                               gint64 default_value);
gboolean json_object_get_boolean_member_with_default(JsonObject *object,
                                                     const gchar *member_name,
                                                     gboolean default_value);
void json_object_set_member(JsonObject *object, const gchar *member_name, JsonNode *node);
void json_object_set_string_member(JsonObject *object, const gchar *member_name,
                                   const gchar *value);
void json_object_set_int_member(JsonObject *object, const gchar *member_name, gint64 value);
void json_object_set_boolean_member(JsonObject *object, const gchar *member_name,
                                    gboolean value);
void json_object_set_null_member(JsonObject *object, const gchar *member_name);
void json_object_set_object_member(JsonObject *object, const gchar *member_name,
                                   JsonObject *value);
void json_object_set_array_member(JsonObject *object, const gchar *member_name,
                                  JsonArray *value);

/* JsonArray */
JsonArray *json_array_new(void);
JsonArray *json_array_ref(JsonArray *array);
void json_array_unref(JsonArray *array);
guint json_array_get_length(JsonArray *array);
JsonNode *json_array_get_element(JsonArray *array, guint index_);
void json_array_add_element(JsonArray *array, JsonNode *node);
void json_array_add_object_element(JsonArray *array, JsonObject *value);
void json_array_add_array_element(JsonArray *array, JsonArray *value);
void json_array_add_string_element(JsonArray *array, const gchar *value);
void json_array_add_int_element(JsonArray *array, gint64 value);

/* JsonParser */
#define JSON_PARSER_ERROR (json_parser_error_quark())
typedef enum {
  JSON_PARSER_ERROR_PARSE,
  JSON_PARSER_ERROR_TRAILING_COMMA,
  JSON_PARSER_ERROR_MISSING_COMMA,
  JSON_PARSER_ERROR_MISSING_COLON,
  JSON_PARSER_ERROR_INVALID_BAREWORD,
  JSON_PARSER_ERROR_EMPTY_MEMBER_NAME,
  JSON_PARSER_ERROR_INVALID_DATA,
  JSON_PARSER_ERROR_UNKNOWN
} JsonParserError;
GQuark json_parser_error_quark(void);

#define JSON_TYPE_PARSER (json_parser_get_type())
G_DECLARE_FINAL_TYPE(JsonParser, json_parser, JSON, PARSER, GObject)
JsonParser *json_parser_new(void);
gboolean json_parser_load_from_data(JsonParser *parser, const gchar *data, gssize length,
                                    GError **error);
JsonNode *json_parser_get_root(JsonParser *parser);

/* JsonGenerator: json-glib's layout (pretty: two spaces, "key" : value). */
#define JSON_TYPE_GENERATOR (json_generator_get_type())
G_DECLARE_FINAL_TYPE(JsonGenerator, json_generator, JSON, GENERATOR, GObject)
JsonGenerator *json_generator_new(void);
void json_generator_set_pretty(JsonGenerator *generator, gboolean is_pretty);
void json_generator_set_root(JsonGenerator *generator, JsonNode *node);
gchar *json_generator_to_data(JsonGenerator *generator, gsize *length);

/* JsonBuilder */
#define JSON_TYPE_BUILDER (json_builder_get_type())
G_DECLARE_FINAL_TYPE(JsonBuilder, json_builder, JSON, BUILDER, GObject)
JsonBuilder *json_builder_new(void);
JsonBuilder *json_builder_begin_object(JsonBuilder *builder);
JsonBuilder *json_builder_end_object(JsonBuilder *builder);
JsonBuilder *json_builder_begin_array(JsonBuilder *builder);
JsonBuilder *json_builder_end_array(JsonBuilder *builder);
JsonBuilder *json_builder_set_member_name(JsonBuilder *builder, const gchar *member_name);
JsonBuilder *json_builder_add_value(JsonBuilder *builder, JsonNode *node);
JsonBuilder *json_builder_add_string_value(JsonBuilder *builder, const gchar *value);
JsonBuilder *json_builder_add_int_value(JsonBuilder *builder, gint64 value);
JsonBuilder *json_builder_add_boolean_value(JsonBuilder *builder, gboolean value);
JsonBuilder *json_builder_add_null_value(JsonBuilder *builder);
JsonNode *json_builder_get_root(JsonBuilder *builder);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(JsonNode, json_node_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(JsonObject, json_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(JsonArray, json_array_unref)

G_END_DECLS

#endif
