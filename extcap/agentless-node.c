/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helper-less capture over SSH: the probe, the start of the wrapped
 * program and the interface list (see agentless.h). */
#include "agentless.h"

#include <string.h>

#include "log.h"
#include "ncap-error.h"
#include "node.h"

#define PROBE_TIMEOUT_MS 30000

gboolean
ncap_agentless_start(NcapSsh *ssh, const char *node, const char *helper,
                     NcapCaptureWith with, NcapRemotePriv priv,
                     const NcapCaptureOpts *opts, ssh_channel *ch,
                     NcapAgentless **conv, GError **error)
{
  g_autofree char *probe_cmd = ncap_agentless_probe_command(helper);
  g_autoptr(GString) out = g_string_new(NULL);
  g_autoptr(GString) err = g_string_new(NULL);
  NcapAgentlessProbe probe = {0};
  int status = -1;

  if (!ncap_agentless_check_opts(opts, error))
    return FALSE;
  if (!ncap_ssh_run(ssh, probe_cmd, PROBE_TIMEOUT_MS, out, err, &status,
                    error))
    return FALSE;
  ncap_agentless_probe_parse(out->str, &probe);
  const char *program = ncap_agentless_choose(with, &probe, node, error);
  if (program == NULL) {
    ncap_agentless_probe_clear(&probe);
    return FALSE;
  }
  bool dumpcap = strcmp(program, "dumpcap") == 0;
  const char *path = dumpcap ? probe.dumpcap : probe.tcpdump;
  const char *version = dumpcap ? probe.dumpcap_version : probe.tcpdump_version;
  /* "tcpdump version 4.99.3" -> "tcpdump 4.99.3"; "Dumpcap (Wireshark)
   * 4.0.17 (...)" -> "dumpcap 4.0.17". */
  g_autofree char *ver = NULL;
  if (version != NULL) {
    const char *d = version;
    while (*d && !g_ascii_isdigit(*d))
      d++;
    ver = g_strndup(d, strcspn(d, " \t("));
  }
  g_autofree char *how = g_strdup_printf(
      "%s%s%s%s%s", program, ver && *ver ? " " : "", ver ? ver : "",
      priv != NCAP_REMOTE_PRIV_NONE ? " via " : "",
      priv != NCAP_REMOTE_PRIV_NONE ? ncap_remote_priv_name(priv) : "");
  g_autofree char *cmd = ncap_agentless_command(program, path, priv, opts);
  g_autofree char *filter = ncap_capture_opts_filter(opts);
  ncap_log("node %s: no helper used; capturing with %s (%s)", node, how,
               path);
  ncap_agentless_probe_clear(&probe);
  *ch = ncap_ssh_exec(ssh, cmd, error);
  if (*ch == NULL)
    return FALSE;
  *conv = ncap_agentless_new(node, opts->iface, filter, how);
  return TRUE;
}

/* "2: eth0@if5: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu ..." */
static void
parse_ip_link(const char *text, GPtrArray *list)
{
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  for (char **l = lines; *l; l++) {
    char *p = strchr(*l, ':');
    if (p == NULL)
      continue;
    p++;
    while (*p == ' ')
      p++;
    gsize n = strcspn(p, ":@ ");
    if (n == 0)
      continue;
    NcapNodeIface *f = g_new0(NcapNodeIface, 1);
    f->name = g_strndup(p, n);
    f->description = g_strdup("");
    char *flags = strchr(p, '<');
    f->up = flags != NULL && (strstr(flags, ",UP") || strstr(flags, "<UP"));
    f->addresses = g_new0(char *, 1);
    g_ptr_array_add(list, f);
  }
}

/* "1.eth0 [Up, Running, Connected]" (tcpdump -D / dumpcap -D) */
static void
parse_dash_d(const char *text, GPtrArray *list)
{
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  for (char **l = lines; *l; l++) {
    char *p = strchr(*l, '.');
    if (p == NULL || !g_ascii_isdigit(**l))
      continue;
    p++;
    gsize n = strcspn(p, " ");
    if (n == 0 || strncmp(p, "any", n) == 0)
      continue;
    NcapNodeIface *f = g_new0(NcapNodeIface, 1);
    f->name = g_strndup(p, n);
    f->description = g_strdup("");
    f->up = strstr(p, "Up") != NULL;
    f->addresses = g_new0(char *, 1);
    g_ptr_array_add(list, f);
  }
}

GPtrArray *
ncap_agentless_interfaces(NcapSsh *ssh, int timeout_ms, GError **error)
{
  static const char cmd[] =
      "sh -c 'if command -v ip >/dev/null 2>&1; then echo ip; ip -o link; "
      "elif command -v tcpdump >/dev/null 2>&1; then echo D; tcpdump -D; "
      "elif [ -x /usr/sbin/tcpdump ]; then echo D; /usr/sbin/tcpdump -D; "
      "elif command -v dumpcap >/dev/null 2>&1; then echo D; dumpcap -D; "
      "else exit 127; fi'";
  g_autoptr(GString) out = g_string_new(NULL);
  g_autoptr(GString) err = g_string_new(NULL);
  int status = -1;
  GPtrArray *list =
      g_ptr_array_new_with_free_func((GDestroyNotify)ncap_node_iface_free);

  if (!ncap_ssh_run(ssh, cmd, timeout_ms, out, err, &status, error)) {
    g_ptr_array_unref(list);
    return NULL;
  }
  if (status != 0) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_NO_PROGRAM,
                "%s: no nodecap-helper, ip, tcpdump or dumpcap on the node "
                "to list its interfaces",
                ncap_ssh_host(ssh));
    g_ptr_array_unref(list);
    return NULL;
  }
  NcapNodeIface *any = g_new0(NcapNodeIface, 1);
  any->name = g_strdup("any");
  any->description = g_strdup("all interfaces");
  any->up = true;
  any->addresses = g_new0(char *, 1);
  g_ptr_array_add(list, any);
  /* The node's answer may be anything, even shorter than its tag. */
  if (g_str_has_prefix(out->str, "ip\n"))
    parse_ip_link(out->str + 3, list);
  else if (g_str_has_prefix(out->str, "D\n"))
    parse_dash_d(out->str + 2, list);
  return list;
}
