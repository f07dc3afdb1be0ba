/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Node requests: see node.h. */
#include "node.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "log.h"
#include "agentless.h"
#include "ncap-error.h"
#include "ncap-text.h"
#include "relay.h"

static void
append_word(GString *cmd, const char *word)
{
  g_autofree char *q = g_shell_quote(word);
  if (cmd->len > 0)
    g_string_append_c(cmd, ' ');
  g_string_append(cmd, q);
}

char *
ncap_node_helper_failure(const char *helper, int status, const char *err, int *code)
{
  g_autofree char *line = ncap_ssh_last_line(err);
  const char *sep = *line ? ": " : "";

  *code = NCAP_ERROR_REMOTE;
  if (status == 127)
    return g_strdup_printf("helper %s not found on the node (exit 127)%s%s", helper, sep,
                           line);
  if (status == 126)
    return g_strdup_printf("helper %s cannot be run on the node (exit 126)%s%s", helper,
                           sep, line);
  if (status < 0)
    return g_strdup_printf("helper %s ended without an exit status%s%s", helper, sep, line);
  *code = ncap_ssh_remote_error_code(status);
  if (*line)
    return g_strdup_printf("%s (exit %d)", line, status);
  return g_strdup_printf("helper %s failed without a message (exit %d)", helper, status);
}

void
ncap_node_set_helper_error(GError **error, const char *host, const char *helper, int status,
                           const char *err)
{
  int code;
  g_autofree char *text = ncap_node_helper_failure(helper, status, err, &code);
  g_set_error(error, NCAP_ERROR, code, "%s: %s", host, text);
}

char *
ncap_node_helper_command(const char *helper, const char *verb, const char *const *args)
{
  GString *cmd = g_string_new(NULL);
  append_word(cmd, helper);
  append_word(cmd, verb);
  for (const char *const *a = args; a && *a; a++)
    append_word(cmd, *a);
  return g_string_free(cmd, FALSE);
}

char *
ncap_node_stream_command(const char *helper, const char *node,
                         const NcapCaptureOpts *opts)
{
  GString *cmd = g_string_new(NULL);
  g_auto(GStrv) argv = ncap_capture_opts_to_argv(opts, false);

  append_word(cmd, helper ? helper : NCAP_DEFAULT_HELPER);
  append_word(cmd, "stream");
  append_word(cmd, "--node");
  append_word(cmd, node);
  for (char **a = argv; a && *a; a++)
    append_word(cmd, *a);
  /* We acknowledge on its stdin every second (extcap/relay.h): after a
   * cut the helper ends on its stall time-out, not a minute later. */
  append_word(cmd, "--client-acks");
  return g_string_free(cmd, FALSE);
}

static void
report_failure(NcapReport *report, GError **error)
{
  ncap_report_node_failed(report, 0,
                          error && *error ? (*error)->message : "failed");
}

gboolean
ncap_node_stream(const NcapSshConfig *cfg, const char *helper,
                 const NcapCaptureOpts *opts, const char *out_path,
                 bool out_is_fifo, NcapReport *report, GError **error)
{
  g_autoptr(NcapSsh) ssh = ncap_ssh_new(cfg);
  g_autofree char *cmd = ncap_node_stream_command(helper, cfg->host, opts);
  NcapRelay relay = {
      .out_path = out_path,
      .out_is_fifo = out_is_fifo,
      .helper = helper ? helper : NCAP_DEFAULT_HELPER,
      .report = report,
  };

  if (!ncap_ssh_connect(ssh, error)) {
    report_failure(report, error);
    return FALSE;
  }
  /* From here on a stop must close the channel rather than kill us with
   * the helper still starting. */
  ncap_relay_install_signals();
  if (ncap_relay_stop_requested())
    return TRUE;
  ssh_channel ch = ncap_ssh_exec(ssh, cmd, error);
  if (ch == NULL) {
    report_failure(report, error);
    return FALSE;
  }
  if (!ncap_relay_run(&relay, ssh, ch, error)) {
    report_failure(report, error);
    return FALSE;
  }
  return TRUE;
}

void
ncap_node_iface_free(NcapNodeIface *iface)
{
  if (iface == NULL)
    return;
  g_free(iface->name);
  g_free(iface->description);
  g_strfreev(iface->addresses);
  g_free(iface);
}

static GPtrArray *
parse_interfaces(const char *host, const char *json, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new();
  g_autoptr(GError) local = NULL;
  g_autoptr(GPtrArray) list =
      g_ptr_array_new_with_free_func((GDestroyNotify)ncap_node_iface_free);

  if (!json_parser_load_from_data(parser, json, -1, &local)) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_REMOTE,
                "%s: the helper's interface list is not JSON: %s", host,
                local->message);
    return NULL;
  }
  JsonNode *root = json_parser_get_root(parser);
  if (root == NULL || !JSON_NODE_HOLDS_ARRAY(root)) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_REMOTE,
                "%s: the helper's interface list is not a JSON array", host);
    return NULL;
  }
  JsonArray *arr = json_node_get_array(root);
  for (guint i = 0; i < json_array_get_length(arr); i++) {
    JsonNode *n = json_array_get_element(arr, i);
    if (!JSON_NODE_HOLDS_OBJECT(n))
      continue;
    if (list->len >= NCAP_NODE_MAX_IFACES) {
      ncap_log("%s: more than %u interfaces; the rest are left out",
                   host, NCAP_NODE_MAX_IFACES);
      break;
    }
    JsonObject *o = json_node_get_object(n);
    const char *name = json_object_get_string_member_with_default(o, "name", NULL);
    if (name == NULL || *name == '\0')
      continue;
    /* A name goes back to the node as -i NAME and into the extcap's
     * config lines: one with a control character, or longer than any
     * kernel name, is left out rather than altered. */
    if (!ncap_text_is_clean(name, -1, NCAP_NODE_IFACE_NAME_MAX) ||
        strpbrk(name, "{}") != NULL) {
      ncap_log("%s: an interface name with control characters, braces "
                   "or over %u bytes is left out", host, NCAP_NODE_IFACE_NAME_MAX);
      continue;
    }
    NcapNodeIface *iface = g_new0(NcapNodeIface, 1);
    iface->name = g_strdup(name);
    iface->description = ncap_text_clean(
        json_object_get_string_member_with_default(o, "description", ""), -1,
        NCAP_NODE_IFACE_TEXT_MAX);
    /* Braces would end an extcap value early. */
    g_strdelimit(iface->description, "{}", '_');
    iface->up = json_object_get_boolean_member_with_default(o, "up", FALSE);
    GPtrArray *addrs = g_ptr_array_new();
    if (json_object_has_member(o, "addresses") &&
        JSON_NODE_HOLDS_ARRAY(json_object_get_member(o, "addresses"))) {
      JsonArray *a = json_object_get_array_member(o, "addresses");
      for (guint j = 0; j < json_array_get_length(a); j++) {
        JsonNode *an = json_array_get_element(a, j);
        if (addrs->len < NCAP_NODE_MAX_ADDRESSES && JSON_NODE_HOLDS_VALUE(an) &&
            json_node_get_value_type(an) == G_TYPE_STRING) {
          char *addr = ncap_text_clean(json_node_get_string(an), -1,
                                       NCAP_NODE_IFACE_TEXT_MAX);
          g_strdelimit(addr, "{}", '_');
          g_ptr_array_add(addrs, addr);
        }
      }
    }
    g_ptr_array_add(addrs, NULL);
    iface->addresses = (char **)g_ptr_array_free(addrs, FALSE);
    g_ptr_array_add(list, iface);
  }
  return g_steal_pointer(&list);
}

/* The helper's JSON form of a list made without it. Transfer full. */
static char *
ifaces_to_json(GPtrArray *list)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_array(b);
  for (guint i = 0; i < list->len; i++) {
    NcapNodeIface *f = g_ptr_array_index(list, i);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "name");
    json_builder_add_string_value(b, f->name);
    json_builder_set_member_name(b, "description");
    json_builder_add_string_value(b, f->description ? f->description : "");
    json_builder_set_member_name(b, "addresses");
    json_builder_begin_array(b);
    json_builder_end_array(b);
    json_builder_set_member_name(b, "up");
    json_builder_add_boolean_value(b, f->up);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  g_autoptr(JsonGenerator) g = json_generator_new();
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  json_generator_set_root(g, root);
  return json_generator_to_data(g, NULL);
}

/* The list made without the helper (from the node's ip/tcpdump/dumpcap
 * output) under the same bounds as the helper's (parse_interfaces):
 * names with control characters, braces or over the length are left out,
 * and at most NCAP_NODE_MAX_IFACES are kept. */
static void
bound_agentless_ifaces(const char *host, GPtrArray *list)
{
  for (guint i = 0; i < list->len;) {
    const NcapNodeIface *f = g_ptr_array_index(list, i);
    if (i >= NCAP_NODE_MAX_IFACES) {
      ncap_log("%s: more than %u interfaces; the rest are left out",
                   host, NCAP_NODE_MAX_IFACES);
      g_ptr_array_set_size(list, i);
      break;
    }
    if (!ncap_text_is_clean(f->name, -1, NCAP_NODE_IFACE_NAME_MAX) ||
        strpbrk(f->name, "{}") != NULL) {
      ncap_log("%s: an interface name with control characters, braces "
                   "or over %u bytes is left out", host, NCAP_NODE_IFACE_NAME_MAX);
      g_ptr_array_remove_index(list, i);
      continue;
    }
    i++;
  }
}

GPtrArray *
ncap_node_interfaces(const NcapSshConfig *cfg, const char *helper,
                     int timeout_ms, char **raw_json, GError **error)
{
  g_autoptr(NcapSsh) ssh = ncap_ssh_new(cfg);
  g_autoptr(GString) cmd = g_string_new(NULL);
  g_autoptr(GString) out = g_string_new(NULL);
  g_autoptr(GString) err = g_string_new(NULL);
  int status = -1;

  append_word(cmd, helper ? helper : NCAP_DEFAULT_HELPER);
  append_word(cmd, "interfaces");
  append_word(cmd, "--json");
  if (!ncap_ssh_connect(ssh, error))
    return NULL;
  if (!ncap_ssh_run(ssh, cmd->str, timeout_ms, out, err, &status, error))
    return NULL;
  if (status == 127) {
    /* No helper: the node's ip/tcpdump/dumpcap lists them (agentless). */
    ncap_log("%s: helper %s not found (exit 127), listing interfaces "
                 "without it", cfg->host, helper);
    GPtrArray *list = ncap_agentless_interfaces(ssh, timeout_ms, error);
    if (list != NULL)
      bound_agentless_ifaces(cfg->host, list);
    if (list != NULL && raw_json != NULL)
      *raw_json = ifaces_to_json(list);
    return list;
  }
  if (status != 0) {
    ncap_node_set_helper_error(error, cfg->host, helper ? helper : NCAP_DEFAULT_HELPER,
                               status, err->str);
    return NULL;
  }
  GPtrArray *list = parse_interfaces(cfg->host, out->str, error);
  if (list != NULL && raw_json != NULL)
    *raw_json = g_strdup(out->str);
  return list;
}
