/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Built twice by test-json-mini.cmake: against json-glib and against
 * packaging/windows/json-mini. test-json-mini runs both on the same input
 * and compares what they print.
 *   json-probe parse FILE   parse FILE's bytes; print ERROR, or the tree
 *                           walked through the accessors plus the compact
 *                           and pretty generator output
 *   json-probe build        the object/array/builder API nodecap uses */
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

static void
walk(GString *o, JsonNode *n, int level)
{
  for (int i = 0; i < level; i++)
    g_string_append(o, "  ");
  if (JSON_NODE_HOLDS_NULL(n)) {
    g_string_append_printf(o, "null is_null=%d vt=%s\n", json_node_is_null(n),
                           g_type_name(json_node_get_value_type(n)));
  } else if (JSON_NODE_HOLDS_VALUE(n)) {
    GType t = json_node_get_value_type(n);
    g_autofree char *esc = json_node_get_string(n) ? g_strescape(json_node_get_string(n), NULL)
                                                   : g_strdup("(null)");
    g_string_append_printf(o, "value %s int=%" G_GINT64_FORMAT " bool=%d str=%s\n",
                           g_type_name(t), t == G_TYPE_DOUBLE ? 0 : json_node_get_int(n),
                           json_node_get_boolean(n), esc);
  } else if (JSON_NODE_HOLDS_ARRAY(n)) {
    JsonArray *a = json_node_get_array(n);
    g_string_append_printf(o, "array %u\n", json_array_get_length(a));
    for (guint i = 0; i < json_array_get_length(a); i++)
      walk(o, json_array_get_element(a, i), level + 1);
  } else if (JSON_NODE_HOLDS_OBJECT(n)) {
    JsonObject *ob = json_node_get_object(n);
    g_autoptr(GList) names = json_object_get_members(ob);
    g_string_append_printf(o, "object %u\n", g_list_length(names));
    for (GList *l = names; l; l = l->next) {
      JsonNode *m = json_object_get_member(ob, l->data);
      g_autofree char *en = g_strescape(l->data, NULL);
      for (int i = 0; i <= level; i++)
        g_string_append(o, "  ");
      g_string_append_printf(o, "member \"%s\" has=%d", en, json_object_has_member(ob, l->data));
      if (JSON_NODE_HOLDS_VALUE(m) || JSON_NODE_HOLDS_NULL(m)) {
        const char *s = json_object_get_string_member_with_default(ob, l->data, "DEF");
        g_autofree char *es = s ? g_strescape(s, NULL) : g_strdup("(null)");
        g_string_append_printf(o, " str_def=%s bool_def=%d", es,
                               json_object_get_boolean_member_with_default(ob, l->data, TRUE));
      }
      if (JSON_NODE_HOLDS_ARRAY(m))
        g_string_append_printf(o, " array_member_len=%u",
                               json_array_get_length(json_object_get_array_member(ob, l->data)));
      g_string_append_c(o, '\n');
      walk(o, m, level + 2);
    }
    g_string_append_printf(o, "missing has=%d str_def=%s bool_def=%d\n",
                           json_object_has_member(ob, "no such member"),
                           json_object_get_string_member_with_default(ob, "no such member", "DEF"),
                           json_object_get_boolean_member_with_default(ob, "no such member", TRUE));
  }
}

static void
generate(GString *o, JsonNode *root)
{
  for (int pretty = 0; pretty <= 1; pretty++) {
    g_autoptr(JsonGenerator) g = json_generator_new();
    json_generator_set_pretty(g, pretty);
    json_generator_set_root(g, root);
    gsize len = 0;
    g_autofree char *text = json_generator_to_data(g, &len);
    g_string_append_printf(o, "generated %s (%zu bytes):\n%s\n", pretty ? "pretty" : "compact",
                           len, text);
  }
}

static int
do_parse(const char *file)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  if (!g_file_get_contents(file, &data, &len, NULL))
    return 2;
  g_autoptr(JsonParser) p = json_parser_new();
  g_autoptr(GError) err = NULL;
  if (!json_parser_load_from_data(p, data, (gssize)len, &err)) {
    printf("ERROR %s\n", err->domain == JSON_PARSER_ERROR ? "json-parser" : "other");
    return 0;
  }
  JsonNode *root = json_parser_get_root(p);
  if (root == NULL) {
    printf("OK no root\n");
    return 0;
  }
  g_autoptr(GString) o = g_string_new("OK\n");
  g_autoptr(JsonNode) copy = json_node_copy(root);
  walk(o, copy, 0);
  generate(o, root);
  /* the generated text parses back to the same text */
  g_autoptr(JsonGenerator) g = json_generator_new();
  json_generator_set_root(g, root);
  g_autofree char *text = json_generator_to_data(g, NULL);
  g_autoptr(JsonParser) p2 = json_parser_new();
  if (!json_parser_load_from_data(p2, text, -1, NULL))
    g_string_append(o, "ROUND TRIP FAILED\n");
  else {
    g_autoptr(JsonGenerator) g2 = json_generator_new();
    json_generator_set_root(g2, json_parser_get_root(p2));
    g_autofree char *text2 = json_generator_to_data(g2, NULL);
    g_string_append_printf(o, "round trip %s\n", strcmp(text, text2) == 0 ? "same" : "DIFFERENT");
  }
  fputs(o->str, stdout);
  return 0;
}

/* What extcap/cli-jobs.c and extcap/node.c do with the API. */
static int
do_build(void)
{
  g_autoptr(GString) o = g_string_new(NULL);
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_array(b);
  for (int i = 0; i < 2; i++) {
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "name");
    json_builder_add_string_value(b, i ? "Ethernet \"2\"\t\\ é \x01" : "lo");
    json_builder_set_member_name(b, "description");
    json_builder_add_string_value(b, "");
    json_builder_set_member_name(b, "addresses");
    json_builder_begin_array(b);
    json_builder_end_array(b);
    json_builder_set_member_name(b, "up");
    json_builder_add_boolean_value(b, i == 0);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  generate(o, root);

  g_autoptr(JsonArray) fetched = json_array_new();
  JsonObject *f = json_object_new();
  json_object_set_string_member(f, "host", "node-1");
  json_object_set_string_member(f, "file", "a/b\x7f.pcapng");
  json_object_set_int_member(f, "size", G_MAXINT64);
  json_object_set_int_member(f, "packets", G_MININT64);
  json_object_set_string_member(f, "host", "replaced keeps its place");
  json_array_add_object_element(fetched, f);
  g_autoptr(JsonArray) all = json_array_new();
  for (guint k = 0; k < json_array_get_length(fetched); k++)
    json_array_add_element(all, json_node_copy(json_array_get_element(fetched, k)));
  g_autoptr(JsonNode) aroot = json_node_new(JSON_NODE_ARRAY);
  json_node_set_array(aroot, all);
  generate(o, aroot);

  g_autoptr(JsonObject) obj = json_object_new();
  JsonObject *e = json_object_new();
  json_object_set_string_member(e, "error", "node-2: refused");
  json_object_set_int_member(e, "exit_status", 3);
  JsonNode *n = json_node_new(JSON_NODE_OBJECT);
  json_node_take_object(n, e);
  json_object_set_member(obj, "node-2", n);
  JsonObject *empty = json_object_new();
  JsonNode *n2 = json_node_new(JSON_NODE_OBJECT);
  json_node_take_object(n2, empty);
  json_object_set_member(obj, "node-3", n2);
  g_autoptr(JsonNode) oroot = json_node_new(JSON_NODE_OBJECT);
  json_node_set_object(oroot, obj);
  generate(o, oroot);
  walk(o, oroot, 0);
  fputs(o->str, stdout);
  return 0;
}

int
main(int argc, char **argv)
{
  if (argc == 3 && strcmp(argv[1], "parse") == 0)
    return do_parse(argv[2]);
  if (argc == 2 && strcmp(argv[1], "build") == 0)
    return do_build();
  fprintf(stderr, "usage: json-probe parse FILE | build\n");
  return 2;
}
