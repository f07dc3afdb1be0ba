/* SPDX-License-Identifier: GPL-2.0-or-later */
/* json-mini: nodecap's own JSON library with json-glib's API subset, for
 * the Windows build only (json-glib/json-glib.h says what it covers).
 * Written from scratch: a strict RFC 8259 parser (UTF-8 checked, \uXXXX
 * escapes with surrogate pairs, 64-bit integers, nesting bounded by
 * JSON_MINI_MAX_DEPTH so untrusted input cannot exhaust the stack) and a
 * generator with json-glib's escaping and pretty layout. */
#include "json-glib/json-glib.h"

#include <errno.h>
#include <string.h>

struct _JsonNode {
  gint ref;
  JsonNodeType type;
  GType vtype; /* JSON_NODE_VALUE: G_TYPE_INT64/DOUBLE/BOOLEAN/STRING */
  union {
    gint64 i;
    gdouble d;
    gboolean b;
    gchar *s;
    JsonObject *o;
    JsonArray *a;
  } v;
};

struct _JsonObject {
  gint ref;
  GHashTable *members; /* name (owned) -> JsonNode (owned) */
  GPtrArray *order;    /* names, the hash table's keys, first insertion order */
};

struct _JsonArray {
  gint ref;
  GPtrArray *elements; /* JsonNode (owned) */
};

/* ---- JsonNode ---------------------------------------------------- */

JsonNode *
json_node_new(JsonNodeType type)
{
  g_return_val_if_fail(type >= JSON_NODE_OBJECT && type <= JSON_NODE_NULL, NULL);
  JsonNode *n = g_new0(JsonNode, 1);
  n->ref = 1;
  n->type = type;
  n->vtype = G_TYPE_INVALID;
  return n;
}

static void
node_clear(JsonNode *n)
{
  switch (n->type) {
  case JSON_NODE_OBJECT:
    g_clear_pointer(&n->v.o, json_object_unref);
    break;
  case JSON_NODE_ARRAY:
    g_clear_pointer(&n->v.a, json_array_unref);
    break;
  case JSON_NODE_VALUE:
    if (n->vtype == G_TYPE_STRING)
      g_clear_pointer(&n->v.s, g_free);
    n->vtype = G_TYPE_INVALID;
    break;
  case JSON_NODE_NULL:
    break;
  }
  memset(&n->v, 0, sizeof n->v);
}

JsonNode *
json_node_ref(JsonNode *node)
{
  g_return_val_if_fail(node != NULL, NULL);
  g_atomic_int_inc(&node->ref);
  return node;
}

void
json_node_unref(JsonNode *node)
{
  if (node == NULL)
    return;
  if (g_atomic_int_dec_and_test(&node->ref)) {
    node_clear(node);
    g_free(node);
  }
}

void
json_node_free(JsonNode *node)
{
  if (node == NULL)
    return;
  node_clear(node);
  g_free(node);
}

/* Objects and arrays are shared (their reference count grows), as in
 * json-glib; values are copied. */
JsonNode *
json_node_copy(JsonNode *node)
{
  g_return_val_if_fail(node != NULL, NULL);
  JsonNode *c = json_node_new(node->type);
  switch (node->type) {
  case JSON_NODE_OBJECT:
    c->v.o = node->v.o ? json_object_ref(node->v.o) : NULL;
    break;
  case JSON_NODE_ARRAY:
    c->v.a = node->v.a ? json_array_ref(node->v.a) : NULL;
    break;
  case JSON_NODE_VALUE:
    c->vtype = node->vtype;
    c->v = node->v;
    if (node->vtype == G_TYPE_STRING)
      c->v.s = g_strdup(node->v.s);
    break;
  case JSON_NODE_NULL:
    break;
  }
  return c;
}

JsonNodeType
json_node_get_node_type(JsonNode *node)
{
  g_return_val_if_fail(node != NULL, JSON_NODE_NULL);
  return node->type;
}

GType
json_node_get_value_type(JsonNode *node)
{
  g_return_val_if_fail(node != NULL, G_TYPE_INVALID);
  switch (node->type) {
  case JSON_NODE_OBJECT:
    return G_TYPE_POINTER; /* json-glib: JSON_TYPE_OBJECT; not a value */
  case JSON_NODE_ARRAY:
    return G_TYPE_POINTER;
  case JSON_NODE_VALUE:
    return node->vtype;
  case JSON_NODE_NULL:
  default:
    return G_TYPE_INVALID;
  }
}

gboolean
json_node_is_null(JsonNode *node)
{
  g_return_val_if_fail(node != NULL, TRUE);
  return node->type == JSON_NODE_NULL;
}

gint64
json_node_get_int(JsonNode *node)
{
  g_return_val_if_fail(node != NULL, 0);
  if (node->type != JSON_NODE_VALUE)
    return 0;
  if (node->vtype == G_TYPE_INT64)
    return node->v.i;
  if (node->vtype == G_TYPE_DOUBLE)
    return (gint64)node->v.d;
  if (node->vtype == G_TYPE_BOOLEAN)
    return node->v.b ? 1 : 0;
  return 0;
}

gdouble
json_node_get_double(JsonNode *node)
{
  g_return_val_if_fail(node != NULL, 0.0);
  if (node->type != JSON_NODE_VALUE)
    return 0.0;
  if (node->vtype == G_TYPE_DOUBLE)
    return node->v.d;
  if (node->vtype == G_TYPE_INT64)
    return (gdouble)node->v.i;
  if (node->vtype == G_TYPE_BOOLEAN)
    return node->v.b ? 1.0 : 0.0;
  return 0.0;
}

gboolean
json_node_get_boolean(JsonNode *node)
{
  g_return_val_if_fail(node != NULL, FALSE);
  if (node->type != JSON_NODE_VALUE)
    return FALSE;
  if (node->vtype == G_TYPE_BOOLEAN)
    return node->v.b;
  if (node->vtype == G_TYPE_INT64)
    return node->v.i != 0;
  if (node->vtype == G_TYPE_DOUBLE)
    return node->v.d != 0.0;
  return FALSE;
}

const gchar *
json_node_get_string(JsonNode *node)
{
  g_return_val_if_fail(node != NULL, NULL);
  if (node->type == JSON_NODE_VALUE && node->vtype == G_TYPE_STRING)
    return node->v.s;
  return NULL;
}

gchar *
json_node_dup_string(JsonNode *node)
{
  return g_strdup(json_node_get_string(node));
}

JsonObject *
json_node_get_object(JsonNode *node)
{
  g_return_val_if_fail(node != NULL, NULL);
  return node->type == JSON_NODE_OBJECT ? node->v.o : NULL;
}

JsonArray *
json_node_get_array(JsonNode *node)
{
  g_return_val_if_fail(node != NULL, NULL);
  return node->type == JSON_NODE_ARRAY ? node->v.a : NULL;
}

static void
node_set_value(JsonNode *node, GType t)
{
  node_clear(node);
  node->type = JSON_NODE_VALUE;
  node->vtype = t;
}

void
json_node_set_int(JsonNode *node, gint64 value)
{
  g_return_if_fail(node != NULL);
  node_set_value(node, G_TYPE_INT64);
  node->v.i = value;
}

void
json_node_set_double(JsonNode *node, gdouble value)
{
  g_return_if_fail(node != NULL);
  node_set_value(node, G_TYPE_DOUBLE);
  node->v.d = value;
}

void
json_node_set_boolean(JsonNode *node, gboolean value)
{
  g_return_if_fail(node != NULL);
  node_set_value(node, G_TYPE_BOOLEAN);
  node->v.b = value ? TRUE : FALSE;
}

void
json_node_set_string(JsonNode *node, const gchar *value)
{
  g_return_if_fail(node != NULL);
  node_set_value(node, G_TYPE_STRING);
  node->v.s = g_strdup(value);
}

void
json_node_take_object(JsonNode *node, JsonObject *object)
{
  g_return_if_fail(node != NULL && node->type == JSON_NODE_OBJECT);
  if (node->v.o != NULL)
    json_object_unref(node->v.o);
  node->v.o = object;
}

void
json_node_set_object(JsonNode *node, JsonObject *object)
{
  json_node_take_object(node, object ? json_object_ref(object) : NULL);
}

void
json_node_take_array(JsonNode *node, JsonArray *array)
{
  g_return_if_fail(node != NULL && node->type == JSON_NODE_ARRAY);
  if (node->v.a != NULL)
    json_array_unref(node->v.a);
  node->v.a = array;
}

void
json_node_set_array(JsonNode *node, JsonArray *array)
{
  json_node_take_array(node, array ? json_array_ref(array) : NULL);
}

/* ---- JsonObject -------------------------------------------------- */

JsonObject *
json_object_new(void)
{
  JsonObject *o = g_new0(JsonObject, 1);
  o->ref = 1;
  o->members = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                     (GDestroyNotify)json_node_unref);
  o->order = g_ptr_array_new();
  return o;
}

JsonObject *
json_object_ref(JsonObject *object)
{
  g_return_val_if_fail(object != NULL, NULL);
  g_atomic_int_inc(&object->ref);
  return object;
}

void
json_object_unref(JsonObject *object)
{
  if (object == NULL)
    return;
  if (g_atomic_int_dec_and_test(&object->ref)) {
    g_ptr_array_unref(object->order);
    g_hash_table_unref(object->members);
    g_free(object);
  }
}

guint
json_object_get_size(JsonObject *object)
{
  g_return_val_if_fail(object != NULL, 0);
  return object->order->len;
}

/* The member names in order (transfer container). */
GList *
json_object_get_members(JsonObject *object)
{
  g_return_val_if_fail(object != NULL, NULL);
  GList *l = NULL;
  for (guint i = object->order->len; i > 0; i--)
    l = g_list_prepend(l, g_ptr_array_index(object->order, i - 1));
  return l;
}

gboolean
json_object_has_member(JsonObject *object, const gchar *member_name)
{
  g_return_val_if_fail(object != NULL && member_name != NULL, FALSE);
  return g_hash_table_contains(object->members, member_name);
}

JsonNode *
json_object_get_member(JsonObject *object, const gchar *member_name)
{
  g_return_val_if_fail(object != NULL && member_name != NULL, NULL);
  return g_hash_table_lookup(object->members, member_name);
}

JsonArray *
json_object_get_array_member(JsonObject *object, const gchar *member_name)
{
  JsonNode *n = json_object_get_member(object, member_name);
  return n != NULL ? json_node_get_array(n) : NULL;
}

JsonObject *
json_object_get_object_member(JsonObject *object, const gchar *member_name)
{
  JsonNode *n = json_object_get_member(object, member_name);
  return n != NULL ? json_node_get_object(n) : NULL;
}

const gchar *
json_object_get_string_member_with_default(JsonObject *object, const gchar *member_name,
                                           const gchar *default_value)
{
  JsonNode *n = json_object_get_member(object, member_name);
  if (n == NULL || n->type != JSON_NODE_VALUE)
    return default_value;
  return json_node_get_string(n);
}

gint64
json_object_get_int_member_with_default(JsonObject *object, const gchar *member_name,
                                        gint64 default_value)
{
  JsonNode *n = json_object_get_member(object, member_name);
  if (n == NULL || n->type != JSON_NODE_VALUE)
    return default_value;
  return json_node_get_int(n);
}

gboolean
json_object_get_boolean_member_with_default(JsonObject *object, const gchar *member_name,
                                            gboolean default_value)
{
  JsonNode *n = json_object_get_member(object, member_name);
  if (n == NULL || n->type != JSON_NODE_VALUE)
    return default_value;
  return json_node_get_boolean(n);
}

/* Takes node; a member set again keeps its place. */
void
json_object_set_member(JsonObject *object, const gchar *member_name, JsonNode *node)
{
  g_return_if_fail(object != NULL && member_name != NULL && node != NULL);
  gpointer key;
  if (g_hash_table_lookup_extended(object->members, member_name, &key, NULL)) {
    /* g_hash_table_insert keeps the old key (the one in order) */
    g_hash_table_insert(object->members, g_strdup(member_name), node);
    return;
  }
  char *name = g_strdup(member_name);
  g_hash_table_insert(object->members, name, node);
  g_ptr_array_add(object->order, name);
}

void
json_object_set_string_member(JsonObject *object, const gchar *member_name, const gchar *value)
{
  JsonNode *n;
  if (value != NULL) {
    n = json_node_new(JSON_NODE_VALUE);
    json_node_set_string(n, value);
  } else {
    n = json_node_new(JSON_NODE_NULL);
  }
  json_object_set_member(object, member_name, n);
}

void
json_object_set_int_member(JsonObject *object, const gchar *member_name, gint64 value)
{
  JsonNode *n = json_node_new(JSON_NODE_VALUE);
  json_node_set_int(n, value);
  json_object_set_member(object, member_name, n);
}

void
json_object_set_boolean_member(JsonObject *object, const gchar *member_name, gboolean value)
{
  JsonNode *n = json_node_new(JSON_NODE_VALUE);
  json_node_set_boolean(n, value);
  json_object_set_member(object, member_name, n);
}

void
json_object_set_null_member(JsonObject *object, const gchar *member_name)
{
  json_object_set_member(object, member_name, json_node_new(JSON_NODE_NULL));
}

/* Takes value, as json-glib does. */
void
json_object_set_object_member(JsonObject *object, const gchar *member_name, JsonObject *value)
{
  JsonNode *n;
  if (value != NULL) {
    n = json_node_new(JSON_NODE_OBJECT);
    json_node_take_object(n, value);
  } else {
    n = json_node_new(JSON_NODE_NULL);
  }
  json_object_set_member(object, member_name, n);
}

void
json_object_set_array_member(JsonObject *object, const gchar *member_name, JsonArray *value)
{
  JsonNode *n;
  if (value != NULL) {
    n = json_node_new(JSON_NODE_ARRAY);
    json_node_take_array(n, value);
  } else {
    n = json_node_new(JSON_NODE_NULL);
  }
  json_object_set_member(object, member_name, n);
}

/* ---- JsonArray --------------------------------------------------- */

JsonArray *
json_array_new(void)
{
  JsonArray *a = g_new0(JsonArray, 1);
  a->ref = 1;
  a->elements = g_ptr_array_new_with_free_func((GDestroyNotify)json_node_unref);
  return a;
}

JsonArray *
json_array_ref(JsonArray *array)
{
  g_return_val_if_fail(array != NULL, NULL);
  g_atomic_int_inc(&array->ref);
  return array;
}

void
json_array_unref(JsonArray *array)
{
  if (array == NULL)
    return;
  if (g_atomic_int_dec_and_test(&array->ref)) {
    g_ptr_array_unref(array->elements);
    g_free(array);
  }
}

guint
json_array_get_length(JsonArray *array)
{
  g_return_val_if_fail(array != NULL, 0);
  return array->elements->len;
}

JsonNode *
json_array_get_element(JsonArray *array, guint index_)
{
  g_return_val_if_fail(array != NULL && index_ < array->elements->len, NULL);
  return g_ptr_array_index(array->elements, index_);
}

/* Takes node. */
void
json_array_add_element(JsonArray *array, JsonNode *node)
{
  g_return_if_fail(array != NULL && node != NULL);
  g_ptr_array_add(array->elements, node);
}

/* Takes value. */
void
json_array_add_object_element(JsonArray *array, JsonObject *value)
{
  JsonNode *n;
  if (value != NULL) {
    n = json_node_new(JSON_NODE_OBJECT);
    json_node_take_object(n, value);
  } else {
    n = json_node_new(JSON_NODE_NULL);
  }
  json_array_add_element(array, n);
}

void
json_array_add_array_element(JsonArray *array, JsonArray *value)
{
  JsonNode *n;
  if (value != NULL) {
    n = json_node_new(JSON_NODE_ARRAY);
    json_node_take_array(n, value);
  } else {
    n = json_node_new(JSON_NODE_NULL);
  }
  json_array_add_element(array, n);
}

void
json_array_add_string_element(JsonArray *array, const gchar *value)
{
  JsonNode *n;
  if (value != NULL) {
    n = json_node_new(JSON_NODE_VALUE);
    json_node_set_string(n, value);
  } else {
    n = json_node_new(JSON_NODE_NULL);
  }
  json_array_add_element(array, n);
}

void
json_array_add_int_element(JsonArray *array, gint64 value)
{
  JsonNode *n = json_node_new(JSON_NODE_VALUE);
  json_node_set_int(n, value);
  json_array_add_element(array, n);
}

/* ---- JsonParser -------------------------------------------------- */

G_DEFINE_QUARK(json-parser-error-quark, json_parser_error)

struct _JsonParser {
  GObject parent;
  JsonNode *root;
};

G_DEFINE_TYPE(JsonParser, json_parser, G_TYPE_OBJECT)

static void
json_parser_finalize(GObject *obj)
{
  JsonParser *self = JSON_PARSER(obj);
  g_clear_pointer(&self->root, json_node_unref);
  G_OBJECT_CLASS(json_parser_parent_class)->finalize(obj);
}

static void
json_parser_class_init(JsonParserClass *klass)
{
  G_OBJECT_CLASS(klass)->finalize = json_parser_finalize;
}

static void
json_parser_init(JsonParser *self)
{
}

JsonParser *
json_parser_new(void)
{
  return g_object_new(JSON_TYPE_PARSER, NULL);
}

JsonNode *
json_parser_get_root(JsonParser *parser)
{
  g_return_val_if_fail(JSON_IS_PARSER(parser), NULL);
  return parser->root;
}

typedef struct {
  const char *start, *p, *end;
  GError **error;
} Scan;

G_GNUC_PRINTF(3, 4) static void
scan_fail(Scan *s, JsonParserError code, const char *fmt, ...)
{
  if (s->error == NULL || *s->error != NULL)
    return;
  int line = 1, col = 1;
  for (const char *q = s->start; q < s->p && q < s->end; q++) {
    if (*q == '\n') {
      line++;
      col = 1;
    } else {
      col++;
    }
  }
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_set_error(s->error, JSON_PARSER_ERROR, code, "<data>:%d:%d: Parse error: %s", line, col,
              msg);
}

static void
skip_ws(Scan *s)
{
  while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
    s->p++;
}

static int
hexval(char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Four hex digits at s->p (after "\u"); -1 when not. */
static gint32
read_hex4(Scan *s)
{
  if (s->end - s->p < 4)
    return -1;
  gint32 v = 0;
  for (int i = 0; i < 4; i++) {
    int h = hexval(s->p[i]);
    if (h < 0)
      return -1;
    v = v * 16 + h;
  }
  s->p += 4;
  return v;
}

/* A string; s->p is on the opening quote. Returns it (transfer full) or
 * NULL with the error set. */
static char *
parse_string(Scan *s)
{
  g_autoptr(GString) out = g_string_new(NULL);
  s->p++;
  for (;;) {
    if (s->p >= s->end) {
      scan_fail(s, JSON_PARSER_ERROR_PARSE, "unterminated string");
      return NULL;
    }
    unsigned char c = (unsigned char)*s->p;
    if (c == '"') {
      s->p++;
      return g_string_free(g_steal_pointer(&out), FALSE);
    }
    if (c < 0x20) {
      scan_fail(s, JSON_PARSER_ERROR_INVALID_DATA, "control character in a string");
      return NULL;
    }
    if (c != '\\') {
      g_string_append_c(out, (char)c);
      s->p++;
      continue;
    }
    s->p++;
    if (s->p >= s->end) {
      scan_fail(s, JSON_PARSER_ERROR_PARSE, "unterminated string");
      return NULL;
    }
    char e = *s->p++;
    switch (e) {
    case '"':
    case '\\':
    case '/':
      g_string_append_c(out, e);
      break;
    case 'b':
      g_string_append_c(out, '\b');
      break;
    case 'f':
      g_string_append_c(out, '\f');
      break;
    case 'n':
      g_string_append_c(out, '\n');
      break;
    case 'r':
      g_string_append_c(out, '\r');
      break;
    case 't':
      g_string_append_c(out, '\t');
      break;
    case 'u': {
      gint32 u = read_hex4(s);
      if (u < 0) {
        scan_fail(s, JSON_PARSER_ERROR_INVALID_DATA, "invalid \\u escape");
        return NULL;
      }
      if (u >= 0xDC00 && u <= 0xDFFF) {
        scan_fail(s, JSON_PARSER_ERROR_INVALID_DATA, "lone low surrogate in \\u escape");
        return NULL;
      }
      if (u >= 0xD800 && u <= 0xDBFF) {
        gint32 lo = -1;
        if (s->end - s->p >= 2 && s->p[0] == '\\' && s->p[1] == 'u') {
          s->p += 2;
          lo = read_hex4(s);
        }
        if (lo < 0xDC00 || lo > 0xDFFF) {
          scan_fail(s, JSON_PARSER_ERROR_INVALID_DATA, "high surrogate without a low one");
          return NULL;
        }
        u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
      }
      if (u == 0) {
        /* The API's strings are C strings: a NUL would cut them short. */
        scan_fail(s, JSON_PARSER_ERROR_INVALID_DATA, "\\u0000 in a string");
        return NULL;
      }
      g_string_append_unichar(out, (gunichar)u);
      break;
    }
    default:
      s->p--;
      scan_fail(s, JSON_PARSER_ERROR_INVALID_DATA, "invalid escape \\%c", g_ascii_isprint(e) ? e : '?');
      return NULL;
    }
  }
}

static JsonNode *
parse_number(Scan *s)
{
  const char *b = s->p;
  gboolean is_int = TRUE;
  if (s->p < s->end && *s->p == '-')
    s->p++;
  if (s->p < s->end && *s->p == '0') {
    s->p++;
  } else if (s->p < s->end && *s->p >= '1' && *s->p <= '9') {
    while (s->p < s->end && g_ascii_isdigit(*s->p))
      s->p++;
  } else {
    scan_fail(s, JSON_PARSER_ERROR_INVALID_BAREWORD, "invalid number");
    return NULL;
  }
  if (s->p < s->end && *s->p == '.') {
    is_int = FALSE;
    s->p++;
    if (s->p >= s->end || !g_ascii_isdigit(*s->p)) {
      scan_fail(s, JSON_PARSER_ERROR_INVALID_BAREWORD, "invalid number");
      return NULL;
    }
    while (s->p < s->end && g_ascii_isdigit(*s->p))
      s->p++;
  }
  if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
    is_int = FALSE;
    s->p++;
    if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
      s->p++;
    if (s->p >= s->end || !g_ascii_isdigit(*s->p)) {
      scan_fail(s, JSON_PARSER_ERROR_INVALID_BAREWORD, "invalid number");
      return NULL;
    }
    while (s->p < s->end && g_ascii_isdigit(*s->p))
      s->p++;
  }
  g_autofree char *text = g_strndup(b, (gsize)(s->p - b));
  JsonNode *n = json_node_new(JSON_NODE_VALUE);
  if (is_int) {
    errno = 0;
    gint64 v = g_ascii_strtoll(text, NULL, 10);
    if (errno == 0) {
      json_node_set_int(n, v);
      return n;
    }
  }
  json_node_set_double(n, g_ascii_strtod(text, NULL)); /* beyond 64 bits too */
  return n;
}

static gboolean
word_at(Scan *s, const char *w)
{
  size_t l = strlen(w);
  if ((size_t)(s->end - s->p) < l || memcmp(s->p, w, l) != 0)
    return FALSE;
  if ((size_t)(s->end - s->p) > l && g_ascii_isalnum(s->p[l]))
    return FALSE;
  s->p += l;
  return TRUE;
}

static JsonNode *parse_value(Scan *s, int depth);

static JsonNode *
parse_object(Scan *s, int depth)
{
  g_autoptr(JsonObject) o = json_object_new();
  s->p++;
  skip_ws(s);
  if (s->p < s->end && *s->p == '}') {
    s->p++;
    goto done;
  }
  for (;;) {
    skip_ws(s);
    if (s->p >= s->end || *s->p != '"') {
      if (s->p < s->end && *s->p == '}')
        scan_fail(s, JSON_PARSER_ERROR_TRAILING_COMMA, "trailing comma in an object");
      else
        scan_fail(s, JSON_PARSER_ERROR_PARSE, "expected a member name");
      return NULL;
    }
    g_autofree char *name = parse_string(s);
    if (name == NULL)
      return NULL;
    skip_ws(s);
    if (s->p >= s->end || *s->p != ':') {
      scan_fail(s, JSON_PARSER_ERROR_MISSING_COLON, "missing ':' after a member name");
      return NULL;
    }
    s->p++;
    JsonNode *v = parse_value(s, depth + 1);
    if (v == NULL)
      return NULL;
    json_object_set_member(o, name, v);
    skip_ws(s);
    if (s->p < s->end && *s->p == ',') {
      s->p++;
      continue;
    }
    if (s->p < s->end && *s->p == '}') {
      s->p++;
      break;
    }
    scan_fail(s, JSON_PARSER_ERROR_MISSING_COMMA, "missing ',' or '}' in an object");
    return NULL;
  }
done:;
  JsonNode *n = json_node_new(JSON_NODE_OBJECT);
  json_node_take_object(n, g_steal_pointer(&o));
  return n;
}

static JsonNode *
parse_array(Scan *s, int depth)
{
  g_autoptr(JsonArray) a = json_array_new();
  s->p++;
  skip_ws(s);
  if (s->p < s->end && *s->p == ']') {
    s->p++;
    goto done;
  }
  for (;;) {
    skip_ws(s);
    if (s->p < s->end && *s->p == ']') {
      scan_fail(s, JSON_PARSER_ERROR_TRAILING_COMMA, "trailing comma in an array");
      return NULL;
    }
    JsonNode *v = parse_value(s, depth + 1);
    if (v == NULL)
      return NULL;
    json_array_add_element(a, v);
    skip_ws(s);
    if (s->p < s->end && *s->p == ',') {
      s->p++;
      continue;
    }
    if (s->p < s->end && *s->p == ']') {
      s->p++;
      break;
    }
    scan_fail(s, JSON_PARSER_ERROR_MISSING_COMMA, "missing ',' or ']' in an array");
    return NULL;
  }
done:;
  JsonNode *n = json_node_new(JSON_NODE_ARRAY);
  json_node_take_array(n, g_steal_pointer(&a));
  return n;
}

/* Recursion is bounded: depth never exceeds JSON_MINI_MAX_DEPTH. */
static JsonNode *
parse_value(Scan *s, int depth)
{
  skip_ws(s);
  if (s->p >= s->end) {
    scan_fail(s, JSON_PARSER_ERROR_PARSE, "unexpected end of data");
    return NULL;
  }
  char c = *s->p;
  if (c == '{' || c == '[') {
    if (depth >= JSON_MINI_MAX_DEPTH) {
      scan_fail(s, JSON_PARSER_ERROR_PARSE, "nested deeper than %d levels",
                JSON_MINI_MAX_DEPTH);
      return NULL;
    }
    return c == '{' ? parse_object(s, depth) : parse_array(s, depth);
  }
  if (c == '"') {
    char *str = parse_string(s);
    if (str == NULL)
      return NULL;
    JsonNode *n = json_node_new(JSON_NODE_VALUE);
    n->vtype = G_TYPE_STRING;
    n->v.s = str;
    return n;
  }
  if (c == '-' || g_ascii_isdigit(c))
    return parse_number(s);
  if (word_at(s, "true") || word_at(s, "false")) {
    JsonNode *n = json_node_new(JSON_NODE_VALUE);
    json_node_set_boolean(n, s->p[-1] == 'e' && s->p[-2] == 'u');
    return n;
  }
  if (word_at(s, "null"))
    return json_node_new(JSON_NODE_NULL);
  scan_fail(s, JSON_PARSER_ERROR_INVALID_BAREWORD, "unexpected character '%c'",
            g_ascii_isprint(c) ? c : '?');
  return NULL;
}

/* Empty input (or only white space) parses to no root, as json-glib. */
gboolean
json_parser_load_from_data(JsonParser *parser, const gchar *data, gssize length,
                           GError **error)
{
  g_return_val_if_fail(JSON_IS_PARSER(parser), FALSE);
  g_return_val_if_fail(data != NULL, FALSE);
  g_clear_pointer(&parser->root, json_node_unref);
  gsize len = length < 0 ? strlen(data) : (gsize)length;
  if (memchr(data, '\0', len) != NULL || !g_utf8_validate(data, (gssize)len, NULL)) {
    g_set_error(error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                "<data>: Parse error: the data is not valid UTF-8");
    return FALSE;
  }
  Scan s = {data, data, data + len, error};
  skip_ws(&s);
  if (s.p == s.end)
    return TRUE;
  GError *local = NULL;
  s.error = &local;
  JsonNode *root = parse_value(&s, 0);
  if (root != NULL) {
    skip_ws(&s);
    if (s.p != s.end) {
      scan_fail(&s, JSON_PARSER_ERROR_PARSE, "unexpected data after the value");
      json_node_unref(root);
      root = NULL;
    }
  }
  if (root == NULL) {
    if (local == NULL)
      g_set_error(&local, JSON_PARSER_ERROR, JSON_PARSER_ERROR_UNKNOWN, "<data>: Parse error");
    g_propagate_error(error, local);
    return FALSE;
  }
  parser->root = root;
  return TRUE;
}

/* ---- JsonGenerator ----------------------------------------------- */

struct _JsonGenerator {
  GObject parent;
  JsonNode *root;
  gboolean pretty;
};

G_DEFINE_TYPE(JsonGenerator, json_generator, G_TYPE_OBJECT)

static void
json_generator_finalize(GObject *obj)
{
  JsonGenerator *self = JSON_GENERATOR(obj);
  g_clear_pointer(&self->root, json_node_unref);
  G_OBJECT_CLASS(json_generator_parent_class)->finalize(obj);
}

static void
json_generator_class_init(JsonGeneratorClass *klass)
{
  G_OBJECT_CLASS(klass)->finalize = json_generator_finalize;
}

static void
json_generator_init(JsonGenerator *self)
{
}

JsonGenerator *
json_generator_new(void)
{
  return g_object_new(JSON_TYPE_GENERATOR, NULL);
}

void
json_generator_set_pretty(JsonGenerator *generator, gboolean is_pretty)
{
  g_return_if_fail(JSON_IS_GENERATOR(generator));
  generator->pretty = is_pretty ? TRUE : FALSE;
}

/* Copies node (json-glib does too). */
void
json_generator_set_root(JsonGenerator *generator, JsonNode *node)
{
  g_return_if_fail(JSON_IS_GENERATOR(generator));
  g_clear_pointer(&generator->root, json_node_unref);
  if (node != NULL)
    generator->root = json_node_copy(node);
}

static void
put_escaped(GString *b, const char *str)
{
  g_string_append_c(b, '"');
  for (const unsigned char *p = (const unsigned char *)str; *p; p++) {
    switch (*p) {
    case '"':
      g_string_append(b, "\\\"");
      break;
    case '\\':
      g_string_append(b, "\\\\");
      break;
    case '\b':
      g_string_append(b, "\\b");
      break;
    case '\f':
      g_string_append(b, "\\f");
      break;
    case '\n':
      g_string_append(b, "\\n");
      break;
    case '\r':
      g_string_append(b, "\\r");
      break;
    case '\t':
      g_string_append(b, "\\t");
      break;
    default:
      if (*p < 0x20 || *p == 0x7f)
        g_string_append_printf(b, "\\u%04x", *p);
      else
        g_string_append_c(b, (char)*p);
    }
  }
  g_string_append_c(b, '"');
}

static void
indent(GString *b, gboolean pretty, int level)
{
  if (pretty)
    for (int i = 0; i < level * 2; i++)
      g_string_append_c(b, ' ');
}

/* Recursion is bounded by the tree's depth: a parsed tree's is at most
 * JSON_MINI_MAX_DEPTH. */
static void
dump_node(GString *b, gboolean pretty, int level, const char *name, JsonNode *n)
{
  indent(b, pretty, level);
  if (name != NULL) {
    put_escaped(b, name);
    g_string_append(b, pretty ? " : " : ":");
  }
  switch (n->type) {
  case JSON_NODE_NULL:
    g_string_append(b, "null");
    break;
  case JSON_NODE_VALUE:
    if (n->vtype == G_TYPE_INT64) {
      g_string_append_printf(b, "%" G_GINT64_FORMAT, n->v.i);
    } else if (n->vtype == G_TYPE_DOUBLE) {
      char buf[G_ASCII_DTOSTR_BUF_SIZE];
      g_ascii_formatd(buf, sizeof buf, "%.17g", n->v.d);
      g_string_append(b, buf);
      if (strpbrk(buf, ".eEn") == NULL) /* keep a double a double */
        g_string_append(b, ".0");
    } else if (n->vtype == G_TYPE_BOOLEAN) {
      g_string_append(b, n->v.b ? "true" : "false");
    } else if (n->vtype == G_TYPE_STRING) {
      put_escaped(b, n->v.s ? n->v.s : "");
    } else {
      g_string_append(b, "null");
    }
    break;
  case JSON_NODE_ARRAY: {
    guint len = n->v.a ? n->v.a->elements->len : 0;
    if (len == 0) { /* json-glib: "[]", pretty or not */
      g_string_append(b, "[]");
      break;
    }
    g_string_append_c(b, '[');
    if (pretty)
      g_string_append_c(b, '\n');
    for (guint i = 0; i < len; i++) {
      dump_node(b, pretty, level + 1, NULL, g_ptr_array_index(n->v.a->elements, i));
      if (i + 1 != len)
        g_string_append_c(b, ',');
      if (pretty)
        g_string_append_c(b, '\n');
    }
    indent(b, pretty, level);
    g_string_append_c(b, ']');
    break;
  }
  case JSON_NODE_OBJECT: {
    guint len = n->v.o ? n->v.o->order->len : 0;
    if (len == 0) { /* json-glib: "{" and the indent of the level, "}" */
      g_string_append_c(b, '{');
      indent(b, pretty, level);
      g_string_append_c(b, '}');
      break;
    }
    g_string_append_c(b, '{');
    if (pretty)
      g_string_append_c(b, '\n');
    for (guint i = 0; i < len; i++) {
      const char *m = g_ptr_array_index(n->v.o->order, i);
      dump_node(b, pretty, level + 1, m, g_hash_table_lookup(n->v.o->members, m));
      if (i + 1 != len)
        g_string_append_c(b, ',');
      if (pretty)
        g_string_append_c(b, '\n');
    }
    indent(b, pretty, level);
    g_string_append_c(b, '}');
    break;
  }
  }
}

gchar *
json_generator_to_data(JsonGenerator *generator, gsize *length)
{
  g_return_val_if_fail(JSON_IS_GENERATOR(generator), NULL);
  GString *b = g_string_new(NULL);
  if (generator->root != NULL)
    dump_node(b, generator->pretty, 0, NULL, generator->root);
  if (length != NULL)
    *length = b->len;
  return g_string_free(b, FALSE);
}

/* ---- JsonBuilder ------------------------------------------------- */

typedef struct {
  JsonNode *node; /* an object or array node (owned) */
  char *member;   /* objects: the name set for the next value */
} Frame;

struct _JsonBuilder {
  GObject parent;
  GArray *stack; /* Frame */
  JsonNode *root;
};

G_DEFINE_TYPE(JsonBuilder, json_builder, G_TYPE_OBJECT)

static void
frame_clear(gpointer p)
{
  Frame *f = p;
  g_clear_pointer(&f->node, json_node_unref);
  g_clear_pointer(&f->member, g_free);
}

static void
json_builder_finalize(GObject *obj)
{
  JsonBuilder *self = JSON_BUILDER(obj);
  g_array_unref(self->stack);
  g_clear_pointer(&self->root, json_node_unref);
  G_OBJECT_CLASS(json_builder_parent_class)->finalize(obj);
}

static void
json_builder_class_init(JsonBuilderClass *klass)
{
  G_OBJECT_CLASS(klass)->finalize = json_builder_finalize;
}

static void
json_builder_init(JsonBuilder *self)
{
  self->stack = g_array_new(FALSE, TRUE, sizeof(Frame));
  g_array_set_clear_func(self->stack, frame_clear);
}

JsonBuilder *
json_builder_new(void)
{
  return g_object_new(JSON_TYPE_BUILDER, NULL);
}

static Frame *
top(JsonBuilder *b)
{
  return b->stack->len ? &g_array_index(b->stack, Frame, b->stack->len - 1) : NULL;
}

/* Takes node. */
static gboolean
place(JsonBuilder *b, JsonNode *node)
{
  Frame *f = top(b);
  if (f == NULL) {
    g_clear_pointer(&b->root, json_node_unref);
    b->root = node;
    return TRUE;
  }
  if (f->node->type == JSON_NODE_OBJECT) {
    if (f->member == NULL) {
      g_critical("json_builder: a value in an object without a member name");
      json_node_unref(node);
      return FALSE;
    }
    json_object_set_member(f->node->v.o, f->member, node);
    g_clear_pointer(&f->member, g_free);
  } else {
    json_array_add_element(f->node->v.a, node);
  }
  return TRUE;
}

static JsonBuilder *
begin(JsonBuilder *b, JsonNodeType t)
{
  g_return_val_if_fail(JSON_IS_BUILDER(b), NULL);
  Frame f = {json_node_new(t), NULL};
  if (t == JSON_NODE_OBJECT)
    json_node_take_object(f.node, json_object_new());
  else
    json_node_take_array(f.node, json_array_new());
  g_array_append_val(b->stack, f);
  return b;
}

static JsonBuilder *
end(JsonBuilder *b, JsonNodeType t)
{
  g_return_val_if_fail(JSON_IS_BUILDER(b), NULL);
  Frame *f = top(b);
  g_return_val_if_fail(f != NULL && f->node->type == t, NULL);
  JsonNode *n = g_steal_pointer(&f->node);
  g_array_set_size(b->stack, b->stack->len - 1);
  place(b, n);
  return b;
}

JsonBuilder *
json_builder_begin_object(JsonBuilder *builder)
{
  return begin(builder, JSON_NODE_OBJECT);
}

JsonBuilder *
json_builder_end_object(JsonBuilder *builder)
{
  return end(builder, JSON_NODE_OBJECT);
}

JsonBuilder *
json_builder_begin_array(JsonBuilder *builder)
{
  return begin(builder, JSON_NODE_ARRAY);
}

JsonBuilder *
json_builder_end_array(JsonBuilder *builder)
{
  return end(builder, JSON_NODE_ARRAY);
}

JsonBuilder *
json_builder_set_member_name(JsonBuilder *builder, const gchar *member_name)
{
  g_return_val_if_fail(JSON_IS_BUILDER(builder) && member_name != NULL, NULL);
  Frame *f = top(builder);
  g_return_val_if_fail(f != NULL && f->node->type == JSON_NODE_OBJECT, NULL);
  g_free(f->member);
  f->member = g_strdup(member_name);
  return builder;
}

/* Takes node. */
JsonBuilder *
json_builder_add_value(JsonBuilder *builder, JsonNode *node)
{
  g_return_val_if_fail(JSON_IS_BUILDER(builder) && node != NULL, NULL);
  return place(builder, node) ? builder : NULL;
}

JsonBuilder *
json_builder_add_string_value(JsonBuilder *builder, const gchar *value)
{
  JsonNode *n = json_node_new(JSON_NODE_VALUE);
  json_node_set_string(n, value);
  return json_builder_add_value(builder, n);
}

JsonBuilder *
json_builder_add_int_value(JsonBuilder *builder, gint64 value)
{
  JsonNode *n = json_node_new(JSON_NODE_VALUE);
  json_node_set_int(n, value);
  return json_builder_add_value(builder, n);
}

JsonBuilder *
json_builder_add_boolean_value(JsonBuilder *builder, gboolean value)
{
  JsonNode *n = json_node_new(JSON_NODE_VALUE);
  json_node_set_boolean(n, value);
  return json_builder_add_value(builder, n);
}

JsonBuilder *
json_builder_add_null_value(JsonBuilder *builder)
{
  return json_builder_add_value(builder, json_node_new(JSON_NODE_NULL));
}

/* Transfer full; NULL while a begin has no end. */
JsonNode *
json_builder_get_root(JsonBuilder *builder)
{
  g_return_val_if_fail(JSON_IS_BUILDER(builder), NULL);
  if (builder->stack->len != 0 || builder->root == NULL)
    return NULL;
  return json_node_copy(builder->root);
}
