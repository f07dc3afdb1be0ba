/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Node requests: see node.h. */
#include "node.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "ncap-error.h"
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
    JsonObject *o = json_node_get_object(n);
    const char *name = json_object_get_string_member_with_default(o, "name", NULL);
    if (name == NULL || *name == '\0')
      continue;
    NcapNodeIface *iface = g_new0(NcapNodeIface, 1);
    iface->name = g_strdup(name);
    iface->description = g_strdup(
        json_object_get_string_member_with_default(o, "description", ""));
    iface->up = json_object_get_boolean_member_with_default(o, "up", FALSE);
    GPtrArray *addrs = g_ptr_array_new();
    if (json_object_has_member(o, "addresses") &&
        JSON_NODE_HOLDS_ARRAY(json_object_get_member(o, "addresses"))) {
      JsonArray *a = json_object_get_array_member(o, "addresses");
      for (guint j = 0; j < json_array_get_length(a); j++) {
        JsonNode *an = json_array_get_element(a, j);
        if (JSON_NODE_HOLDS_VALUE(an) &&
            json_node_get_value_type(an) == G_TYPE_STRING)
          g_ptr_array_add(addrs, g_strdup(json_node_get_string(an)));
      }
    }
    g_ptr_array_add(addrs, NULL);
    iface->addresses = (char **)g_ptr_array_free(addrs, FALSE);
    g_ptr_array_add(list, iface);
  }
  return g_steal_pointer(&list);
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
  if (status != 0) {
    g_autofree char *line = ncap_ssh_last_line(err->str);
    if (status == 127)
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_REMOTE,
                  "%s: helper %s not found on the node (exit 127)%s%s",
                  cfg->host, helper, *line ? ": " : "", line);
    else
      g_set_error(error, NCAP_ERROR, ncap_ssh_remote_error_code(status),
                  "%s: %s", cfg->host,
                  *line ? line : "the helper failed without a message");
    return NULL;
  }
  GPtrArray *list = parse_interfaces(cfg->host, out->str, error);
  if (list != NULL && raw_json != NULL)
    *raw_json = g_strdup(out->str);
  return list;
}
