/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Jump hosts: see jump.h. */
#include "jump.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "ncap-error.h"
#include "port.h"

struct NcapJump {
  NcapSsh *hop;   /* session to the last jump host */
  ssh_channel ch; /* direct-tcpip from it to the node */
  int fd;         /* our end of the socketpair */
  GThread *thread;
  gint stop;      /* atomic */
  char *name;     /* the last jump host, for the log */
};

gboolean
ncap_jump_check_spec(const char *spec, GError **error)
{
  if (spec == NULL || *spec == '\0' || g_ascii_strcasecmp(spec, "none") == 0)
    return TRUE;
  g_auto(GStrv) hops = g_strsplit(spec, ",", -1);
  for (char **h = hops; *h; h++) {
    NcapSshConfig c = {0};
    g_autoptr(GError) local = NULL;
    gboolean ok = ncap_ssh_config_set_target(&c, g_strstrip(*h), &local);
    ncap_ssh_config_clear(&c);
    if (!ok) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                  "--proxyjump %s: \"%s\" is not [user@]host[:port]", spec,
                  *h);
      return FALSE;
    }
  }
  return TRUE;
}

char *
ncap_jump_spec_from_proxycommand(const char *cmd)
{
  g_auto(GStrv) argv = NULL;
  const char *user = NULL, *port = NULL, *next = NULL, *host = NULL;
  bool saw_w = false;
  int argc = 0;

  if (cmd == NULL || !g_shell_parse_argv(cmd, &argc, &argv, NULL) ||
      strcmp(argv[0], "ssh") != 0)
    return NULL;
  for (int i = 1; i < argc; i++) {
    const char **slot = NULL;
    if (strcmp(argv[i], "-l") == 0)
      slot = &user;
    else if (strcmp(argv[i], "-p") == 0)
      slot = &port;
    else if (strcmp(argv[i], "-J") == 0)
      slot = &next;
    else if (strcmp(argv[i], "-W") == 0 && i + 1 < argc &&
             strcmp(argv[i + 1], "[%h]:%p") == 0) {
      saw_w = true;
      i++;
      continue;
    } else if (i == argc - 1 && argv[i][0] != '-') {
      host = argv[i];
      continue;
    } else {
      return NULL;
    }
    if (i + 1 >= argc)
      return NULL;
    *slot = argv[++i];
  }
  if (!saw_w || host == NULL)
    return NULL;
  bool v6 = strchr(host, ':') != NULL;
  return g_strdup_printf("%s%s%s%s%s%s%s%s%s", user ? user : "",
                         user ? "@" : "", v6 ? "[" : "", host, v6 ? "]" : "",
                         port ? ":" : "", port ? port : "", next ? "," : "",
                         next ? next : "");
}

static bool
send_full(int fd, const char *buf, size_t len)
{
  while (len > 0) {
    ssize_t w = send(fd, buf, len, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return false;
    }
    buf += w;
    len -= (size_t)w;
  }
  return true;
}

/* Node session <-> socketpair <-> direct-tcpip channel. Only this thread
 * touches the jump session once the pump runs. */
static gpointer
pump(gpointer data)
{
  NcapJump *j = data;
  ssh_session s = ncap_ssh_session(j->hop);
  /* One pump per node of a multi-node capture: a buffer each. */
  g_autofree char *b = g_malloc(65536);
  const char *why = "stopped";

  while (!g_atomic_int_get(&j->stop)) {
    int n;
    while ((n = ssh_channel_read_nonblocking(j->ch, b, 65536, 0)) > 0)
      if (!send_full(j->fd, b, (size_t)n)) {
        why = "the node's session closed";
        goto out;
      }
    if (n == SSH_ERROR) {
      why = ssh_get_error(s);
      goto out;
    }
    if (ssh_channel_is_eof(j->ch) || !ssh_channel_is_open(j->ch)) {
      why = "the node's end closed";
      goto out;
    }
    struct pollfd p[2] = {{.fd = j->fd, .events = POLLIN},
                          {.fd = ssh_get_fd(s), .events = POLLIN}};
    if (ncap_port_poll(p, 2, 100) < 0 && errno != EINTR)
      break;
    if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t r = recv(j->fd, b, 65536, MSG_DONTWAIT);
      if (r > 0) {
        if (ssh_channel_write(j->ch, b, (uint32_t)r) != (int)r) {
          why = ssh_get_error(s);
          goto out;
        }
      } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
        why = "the node's session closed";
        goto out;
      }
    }
    if (p[1].revents & (POLLHUP | POLLERR) && !(p[1].revents & POLLIN)) {
      why = "the jump host's connection closed";
      goto out;
    }
  }
out:
  ncap_log("jump via %s: pump ends (%s)", j->name, why);
  /* The node's session sees EOF now rather than at its time-out. */
  shutdown(j->fd, SHUT_RDWR);
  if (ssh_channel_is_open(j->ch)) {
    ssh_channel_send_eof(j->ch);
    ssh_channel_close(j->ch);
  }
  return NULL;
}

/* A hop's error, named as the jump host's (not the node's): its own code so
 * a script tells "the bastion refused" from "the node refused". */
static void
jump_error(GError **error, GError *local, const char *hop)
{
  if (local->domain == NCAP_ERROR &&
      (local->code == NCAP_ERROR_JUMP || local->code == NCAP_ERROR_JUMP_HOSTKEY)) {
    g_propagate_error(error, local); /* an earlier hop, already named */
    return;
  }
  int code = local->domain == NCAP_ERROR && local->code == NCAP_ERROR_HOSTKEY
                 ? NCAP_ERROR_JUMP_HOSTKEY
                 : NCAP_ERROR_JUMP;
  g_set_error(error, NCAP_ERROR, code, "jump host %s: %s", hop,
              local->message);
  g_error_free(local);
}

NcapJump *
ncap_jump_open(const NcapSshConfig *base, const char *spec, const char *host,
               int port, int *fd_out, GError **error)
{
  g_auto(GStrv) hops = g_strsplit(spec, ",", -1);
  guint n = g_strv_length(hops);
  NcapSshConfig hc;
  GError *local = NULL;
  int sv[2];

  if (n == 0 || !ncap_jump_check_spec(spec, error))
    return NULL;
  for (guint i = 0; i < n; i++)
    g_strstrip(hops[i]);
  /* The last hop, reached through the ones before it (or directly). */
  ncap_ssh_config_copy(&hc, base);
  g_clear_pointer(&hc.host, g_free);
  g_clear_pointer(&hc.user, g_free);
  hc.port = 0;
  /* The node's password is for the node: jump hosts get keys and the
   * agent only. */
  if (hc.password)
    memset(hc.password, 0, strlen(hc.password));
  g_clear_pointer(&hc.password, g_free);
  g_clear_pointer(&hc.password_file, g_free);
  g_free(hc.proxy_jump);
  {
    char *last = hops[n - 1];
    hops[n - 1] = NULL;
    hc.proxy_jump = n > 1 ? g_strjoinv(",", hops) : g_strdup("none");
    hops[n - 1] = last;
  }
  if (!ncap_ssh_config_set_target(&hc, hops[n - 1], error)) {
    ncap_ssh_config_clear(&hc);
    return NULL;
  }

  NcapJump *j = g_new0(NcapJump, 1);
  j->fd = -1;
  j->name = g_strdup(hops[n - 1]);
  j->hop = ncap_ssh_new(&hc);
  ncap_ssh_config_clear(&hc);
  if (!ncap_ssh_connect(j->hop, &local)) {
    jump_error(error, local, j->name);
    ncap_jump_free(j);
    return NULL;
  }
  ssh_session s = ncap_ssh_session(j->hop);
  j->ch = ssh_channel_new(s);
  if (j->ch == NULL ||
      ssh_channel_open_forward(j->ch, host, port, "127.0.0.1", 0) != SSH_OK) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_JUMP,
                "jump host %s cannot reach %s port %d: %s", j->name, host,
                port, ssh_get_error(s));
    ncap_jump_free(j);
    return NULL;
  }
  if (ncap_port_socketpair(sv) < 0) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO, "socketpair: %s",
                g_strerror(errno));
    ncap_jump_free(j);
    return NULL;
  }
  j->fd = sv[1];
  ncap_log("jump via %s to %s port %d: channel open", j->name, host, port);
  j->thread = g_thread_new("ncap-jump", pump, j);
  *fd_out = sv[0];
  return j;
}

void
ncap_jump_free(NcapJump *j)
{
  if (j == NULL)
    return;
  g_atomic_int_set(&j->stop, 1);
  if (j->thread != NULL)
    g_thread_join(j->thread);
  if (j->ch != NULL) {
    if (ssh_channel_is_open(j->ch))
      ssh_channel_close(j->ch);
    ssh_channel_free(j->ch);
  }
  ncap_ssh_free(j->hop);
  if (j->fd >= 0)
    ncap_port_close_socket(j->fd);
  g_free(j->name);
  g_free(j);
}

char *
ncap_jump_spec_for_session(ssh_session s, const NcapSshConfig *cfg)
{
  char *pc = NULL;
  char *spec = NULL;

  if (cfg->proxy_jump != NULL && *cfg->proxy_jump != '\0') {
    ssh_options_set(s, SSH_OPTIONS_PROXYCOMMAND, "none");
    if (g_ascii_strcasecmp(cfg->proxy_jump, "none") == 0)
      return NULL;
    return g_strdup(cfg->proxy_jump);
  }
  if (ssh_options_get(s, SSH_OPTIONS_PROXYCOMMAND, &pc) != SSH_OK || pc == NULL)
    return NULL;
  spec = ncap_jump_spec_from_proxycommand(pc);
  if (spec != NULL) {
    ssh_options_set(s, SSH_OPTIONS_PROXYCOMMAND, "none");
    ncap_log("ssh_config: ProxyJump %s", spec);
  } else {
    ncap_log("ssh_config: ProxyCommand %s", pc);
  }
  ssh_string_free_char(pc);
  return spec;
}

NcapJump *
ncap_jump_attach(ssh_session s, const NcapSshConfig *cfg, const char *spec,
                 GError **error)
{
  char *target = NULL;
  unsigned int port = 22;
  int fd = -1;

  if (ssh_options_get(s, SSH_OPTIONS_HOST, &target) != SSH_OK ||
      target == NULL) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID, "bad host name %s",
                cfg->host);
    return NULL;
  }
  ssh_options_get_port(s, &port);
  NcapJump *jump = ncap_jump_open(cfg, spec, target, (int)port, &fd, error);
  ssh_string_free_char(target);
  if (jump != NULL)
    ssh_options_set(s, SSH_OPTIONS_FD, &fd);
  return jump;
}
