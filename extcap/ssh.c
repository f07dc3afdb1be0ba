/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libssh sessions to a node: see ssh.h. */
#include "ssh.h"
#include "sshkey.h"

#include <errno.h>
#include <libssh/callbacks.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "jump.h"
#include "log.h"
#include "ncap-error.h"
#include "ncap-text.h"
#include "options.h"
#include "port.h"

/* aes128-gcm first: the fastest here (docs/wireshark-facts.md); then OpenSSH's defaults. */
#define NCAP_SSH_CIPHERS                                                    \
  "aes128-gcm@openssh.com,chacha20-poly1305@openssh.com,"                   \
  "aes256-gcm@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr"

struct NcapSsh {
  NcapSshConfig cfg;
  ssh_session session;
  GPtrArray *channels; /* ssh_channel, freed before the session */
  NcapJump *jump;      /* the path through jump hosts, freed after it */
};

/* ---- logging ---------------------------------------------------------- */

static void
libssh_log_cb(int priority, const char *function, const char *buffer,
              void *userdata)
{
  (void)priority, (void)userdata;
  g_autofree char *msg = g_strdup_printf("%s: %s", function, buffer);
  ncap_log_line("libssh", msg);
}

gboolean
ncap_ssh_log_init(const char *level, const char *path, GError **error)
{
  if (!ncap_log_init(level, path, error))
    return FALSE;
  /* Always install the callback: libssh's default writes to stderr. */
  ssh_set_log_callback(libssh_log_cb);
  int lv = ncap_log_level();
  ssh_set_log_level(!ncap_log_enabled() ? SSH_LOG_NOLOG
                    : lv >= 3           ? SSH_LOG_PROTOCOL
                    : lv == 2           ? SSH_LOG_WARN
                                        : SSH_LOG_NOLOG);
  return TRUE;
}

/* ---- config ----------------------------------------------------------- */

void
ncap_ssh_config_clear(NcapSshConfig *cfg)
{
  g_free(cfg->host);
  g_free(cfg->user);
  if (cfg->password)
    memset(cfg->password, 0, strlen(cfg->password));
  g_free(cfg->password);
  g_free(cfg->password_file);
  g_free(cfg->key_file);
  if (cfg->key_passphrase)
    memset(cfg->key_passphrase, 0, strlen(cfg->key_passphrase));
  g_free(cfg->key_passphrase);
  g_free(cfg->known_hosts);
  g_free(cfg->proxy_jump);
  memset(cfg, 0, sizeof *cfg);
}

void
ncap_ssh_config_copy(NcapSshConfig *dst, const NcapSshConfig *src)
{
  *dst = *src;
  dst->host = g_strdup(src->host);
  dst->user = g_strdup(src->user);
  dst->password = g_strdup(src->password);
  dst->password_file = g_strdup(src->password_file);
  dst->key_file = g_strdup(src->key_file);
  dst->key_passphrase = g_strdup(src->key_passphrase);
  dst->known_hosts = g_strdup(src->known_hosts);
  dst->proxy_jump = g_strdup(src->proxy_jump);
}

gboolean
ncap_ssh_config_set_numbers(NcapSshConfig *cfg, const char *port,
                            const char *connect_timeout, GError **error)
{
  guint64 v;
  if (port != NULL) {
    if (!ncap_parse_u64("--remote-port", port, 1, NCAP_SSH_PORT_MAX, &v, error))
      return FALSE;
    cfg->port = (int)v;
  }
  if (connect_timeout != NULL) {
    if (!ncap_parse_u64("--connect-timeout", connect_timeout, 1,
                        NCAP_SSH_CONNECT_TIMEOUT_MAX, &v, error))
      return FALSE;
    cfg->connect_timeout = (unsigned)v;
  }
  return TRUE;
}

gboolean
ncap_ssh_config_set_target(NcapSshConfig *cfg, const char *target,
                           GError **error)
{
  g_autofree char *user = NULL, *host = NULL;
  const char *at, *rest, *port_text = NULL;

  if (target == NULL || *target == '\0') {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                "no node given: set the remote host (--remote-host)");
    return FALSE;
  }
  if (strchr(target, ',') != NULL) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                "remote host \"%s\": one node only for now", target);
    return FALSE;
  }
  at = strrchr(target, '@');
  rest = target;
  if (at != NULL) {
    user = g_strndup(target, at - target);
    rest = at + 1;
  }
  if (rest[0] == '[') {
    const char *close = strchr(rest, ']');
    if (close == NULL) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                  "remote host \"%s\": missing ']'", target);
      return FALSE;
    }
    host = g_strndup(rest + 1, close - rest - 1);
    if (close[1] == ':')
      port_text = close + 2;
    else if (close[1] != '\0') {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                  "remote host \"%s\": unexpected text after ']'", target);
      return FALSE;
    }
  } else {
    const char *colon = strchr(rest, ':');
    /* Two colons: a bare IPv6 address, no port. */
    if (colon != NULL && strchr(colon + 1, ':') == NULL) {
      host = g_strndup(rest, colon - rest);
      port_text = colon + 1;
    } else {
      host = g_strdup(rest);
    }
  }
  if (*host == '\0' || (user != NULL && *user == '\0')) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                "remote host \"%s\": empty host or user name", target);
    return FALSE;
  }
  for (const char *p = host; *p; p++)
    if (g_ascii_isspace(*p) || *p == '/' || *p == '\'' || *p == '"') {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                  "remote host \"%s\": not a host name", target);
      return FALSE;
    }
  if (port_text != NULL) {
    char *end = NULL;
    guint64 port = g_ascii_strtoull(port_text, &end, 10);
    if (*port_text == '\0' || !g_ascii_isdigit(*port_text) || *end != '\0' ||
        port < 1 || port > 65535) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                  "remote host \"%s\": port must be 1-65535", target);
      return FALSE;
    }
    cfg->port = (int)port;
  }
  g_free(cfg->host);
  cfg->host = g_steal_pointer(&host);
  if (user != NULL) {
    g_free(cfg->user);
    cfg->user = g_steal_pointer(&user);
  }
  return TRUE;
}

/* ---- session ---------------------------------------------------------- */

NcapSsh *
ncap_ssh_new(const NcapSshConfig *cfg)
{
  NcapSsh *ssh = g_new0(NcapSsh, 1);
  ncap_ssh_config_copy(&ssh->cfg, cfg);
  ssh->channels = g_ptr_array_new();
  return ssh;
}

void
ncap_ssh_free(NcapSsh *ssh)
{
  if (ssh == NULL)
    return;
  for (guint i = 0; i < ssh->channels->len; i++) {
    ssh_channel ch = g_ptr_array_index(ssh->channels, i);
    if (ssh_channel_is_open(ch)) {
      ssh_channel_send_eof(ch);
      ssh_channel_close(ch);
    }
    ssh_channel_free(ch);
  }
  g_ptr_array_free(ssh->channels, TRUE);
  if (ssh->session != NULL) {
    ssh_disconnect(ssh->session);
    ssh_free(ssh->session);
  }
  ncap_jump_free(ssh->jump);
  ncap_ssh_config_clear(&ssh->cfg);
  g_free(ssh);
}

ssh_session
ncap_ssh_session(NcapSsh *ssh)
{
  return ssh->session;
}

const char *
ncap_ssh_host(NcapSsh *ssh)
{
  return ssh->cfg.host;
}

static char *
known_hosts_path(const NcapSsh *ssh)
{
  if (ssh->cfg.known_hosts != NULL && *ssh->cfg.known_hosts != '\0')
    return g_strdup(ssh->cfg.known_hosts);
  return g_build_filename(g_get_home_dir(), ".ssh", "known_hosts", NULL);
}

/* "SHA256:..." of the server's key, or a placeholder. Transfer full. */
static char *
server_fingerprint(ssh_session session, char **type_out)
{
  ssh_key key = NULL;
  unsigned char *hash = NULL;
  size_t hlen = 0;
  char *fp = NULL;

  if (ssh_get_server_publickey(session, &key) == SSH_OK &&
      ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen) ==
          SSH_OK) {
    char *f = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen);
    fp = g_strdup(f);
    ssh_string_free_char(f);
    ssh_clean_pubkey_hash(&hash);
  }
  if (type_out != NULL)
    *type_out = g_strdup(key ? ssh_key_type_to_char(ssh_key_type(key)) : "?");
  ssh_key_free(key);
  return fp ? fp : g_strdup("(fingerprint unavailable)");
}

static gboolean
verify_host_key(NcapSsh *ssh, GError **error)
{
  const char *host = ssh->cfg.host;
  g_autofree char *kh = known_hosts_path(ssh);
  g_autofree char *type = NULL;
  g_autofree char *fp = server_fingerprint(ssh->session, &type);
  enum ssh_known_hosts_e state = ssh_session_is_known_server(ssh->session);
  g_autofree char *hostport =
      ssh->cfg.port && ssh->cfg.port != 22
          ? g_strdup_printf("[%s]:%d", host, ssh->cfg.port)
          : g_strdup(host);

  switch (state) {
  case SSH_KNOWN_HOSTS_OK:
    ncap_log("host key of %s verified (%s %s)", hostport, type, fp);
    return TRUE;
  case SSH_KNOWN_HOSTS_CHANGED:
  case SSH_KNOWN_HOSTS_OTHER:
    /* Never accepted, whatever the options: this is what an attacker in
     * the middle looks like. */
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_HOSTKEY,
                "host key for %s has CHANGED (server offers %s %s, %s has "
                "another key): possible man-in-the-middle; if the change is "
                "expected, remove the old line (ssh-keygen -R '%s' -f %s)",
                hostport, type, fp, kh, hostport, kh);
    return FALSE;
  case SSH_KNOWN_HOSTS_NOT_FOUND:
  case SSH_KNOWN_HOSTS_UNKNOWN:
    if (ssh->cfg.accept_new_host_key) {
      if (ssh_session_update_known_hosts(ssh->session) != SSH_OK) {
        g_set_error(error, NCAP_ERROR, NCAP_ERROR_HOSTKEY,
                    "cannot add the host key of %s to %s: %s", hostport, kh,
                    ssh_get_error(ssh->session));
        return FALSE;
      }
      ncap_log("accepted new host key of %s (%s %s) into %s", hostport,
                   type, fp, kh);
      return TRUE;
    }
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_HOSTKEY,
                "unknown host key for %s (%s %s): not in %s; check the "
                "fingerprint and add it, or allow accepting a new key "
                "(--accept-new-host-key)",
                hostport, type, fp, kh);
    return FALSE;
  case SSH_KNOWN_HOSTS_ERROR:
  default:
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_HOSTKEY,
                "cannot check the host key of %s against %s: %s", hostport,
                kh, ssh_get_error(ssh->session));
    return FALSE;
  }
}

static gboolean
read_password_file(const char *path, char **out, GError **error)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) local = NULL;

  if (!g_file_get_contents(path, &text, NULL, &local)) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO,
                "--remote-password-file: %s", local->message);
    return FALSE;
  }
  text[strcspn(text, "\r\n")] = '\0';
  *out = g_strdup(text);
  memset(text, 0, strlen(text));
  return TRUE;
}

static gboolean
authenticate(NcapSsh *ssh, GError **error)
{
  ssh_session s = ssh->session;
  g_autoptr(GString) tried = g_string_new(NULL);
  g_autofree char *password = NULL;
  char *user = NULL;
  int methods, rc;

  if (ssh->cfg.password_file != NULL && *ssh->cfg.password_file != '\0') {
    if (!read_password_file(ssh->cfg.password_file, &password, error))
      return FALSE;
  } else if (ssh->cfg.password != NULL && *ssh->cfg.password != '\0') {
    password = g_strdup(ssh->cfg.password);
  }

  /* With a key file, offer it first: on success that is one round trip
   * less than asking "none" for the method list (a start-up cost on every
   * capture, issue 9). "none" is still asked when the key is refused, for
   * a server that needs nothing and for the method list of the error. */
  if (ssh->cfg.key_file != NULL && *ssh->cfg.key_file != '\0') {
    g_string_append(tried, "key file");
    ssh_key key = ncap_sshkey_load(ssh->cfg.key_file, ssh->cfg.key_passphrase,
                                   ssh->cfg.interactive, error);
    if (key == NULL)
      return FALSE;
    rc = ssh_userauth_publickey(s, NULL, key);
    ssh_key_free(key);
    if (rc == SSH_AUTH_SUCCESS)
      return TRUE;
    if (rc == SSH_AUTH_ERROR)
      goto ssh_failed;
  }

  rc = ssh_userauth_none(s, NULL);
  if (rc == SSH_AUTH_SUCCESS)
    return TRUE;
  if (rc == SSH_AUTH_ERROR)
    goto ssh_failed;
  methods = ssh_userauth_list(s, NULL);

  if ((ssh->cfg.key_file == NULL || *ssh->cfg.key_file == '\0') &&
      (methods & SSH_AUTH_METHOD_PUBLICKEY)) {
    /* ssh-agent, then ~/.ssh/id_*; an encrypted default key is skipped,
     * never prompted for. */
    g_string_append(tried, "agent and default keys");
    rc = ssh_userauth_publickey_auto(s, NULL, ssh->cfg.key_passphrase);
    if (rc == SSH_AUTH_SUCCESS)
      return TRUE;
    if (rc == SSH_AUTH_ERROR)
      goto ssh_failed;
  }

  if (password != NULL) {
    g_string_append_printf(tried, "%spassword", tried->len ? ", " : "");
    if (methods & SSH_AUTH_METHOD_PASSWORD) {
      rc = ssh_userauth_password(s, NULL, password);
      memset(password, 0, strlen(password));
      if (rc == SSH_AUTH_SUCCESS)
        return TRUE;
      if (rc == SSH_AUTH_ERROR)
        goto ssh_failed;
    }
  }

  ssh_options_get(s, SSH_OPTIONS_USER, &user);
  /* As ssh does: ask for the password on the terminal, three times. */
  if (password == NULL && ssh->cfg.interactive &&
      (methods & SSH_AUTH_METHOD_PASSWORD)) {
    g_autofree char *prompt = g_strdup_printf(
        "%s@%s's password: ", user ? user : "?", ssh->cfg.host);
    g_string_append_printf(tried, "%spassword typed", tried->len ? ", " : "");
    for (int i = 0; i < 3; i++) {
      char *typed = ncap_sshkey_ask(prompt);
      if (typed == NULL)
        break;
      rc = ssh_userauth_password(s, NULL, typed);
      memset(typed, 0, strlen(typed));
      g_free(typed);
      if (rc == SSH_AUTH_SUCCESS) {
        ssh_string_free_char(user);
        return TRUE;
      }
      if (rc == SSH_AUTH_ERROR) {
        ssh_string_free_char(user);
        goto ssh_failed;
      }
    }
  }
  g_set_error(error, NCAP_ERROR, NCAP_ERROR_AUTH,
              "authentication failed for %s@%s (tried: %s; server allows:%s%s)",
              user ? user : "?", ssh->cfg.host,
              tried->len ? tried->str : "nothing",
              (methods & SSH_AUTH_METHOD_PUBLICKEY) ? " publickey" : "",
              (methods & SSH_AUTH_METHOD_PASSWORD) ? " password" : "");
  ssh_string_free_char(user);
  return FALSE;

ssh_failed:
  g_set_error(error, NCAP_ERROR, NCAP_ERROR_SSH,
              "%s: authentication: %s", ssh->cfg.host, ssh_get_error(s));
  return FALSE;
}

static void
tune_socket(ssh_session session, unsigned keepalive)
{
  int fd = ssh_get_fd(session);
  int idle = keepalive ? (int)keepalive : 15;
  int intvl = idle >= 3 ? idle / 3 : 1, cnt = 3;
  unsigned int user_timeout = 2000u * (unsigned)idle;

  if (fd < 0)
    return;
  /* A cut path must not leave us (or the node) waiting for hours: TCP
   * keepalives catch an idle dead peer (the usual case: we only receive),
   * TCP_USER_TIMEOUT unacked data. The default (15 s) gives up within
   * 30 s; --keepalive shortens it for tests and flaky links. */
  ncap_port_tcp_keepalive(fd, idle, intvl, cnt, user_timeout);
}

gboolean
ncap_ssh_connect(NcapSsh *ssh, GError **error)
{
  g_autofree char *kh = known_hosts_path(ssh);
  long timeout = ssh->cfg.connect_timeout ? ssh->cfg.connect_timeout : 10;
  int no = 0;

  g_return_val_if_fail(ssh->session == NULL, FALSE);
  ssh->session = ssh_new();
  if (ssh->session == NULL) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_SSH, "out of memory");
    return FALSE;
  }
  ssh_session s = ssh->session;
  /* Host first, then ssh_config (so its Host aliases apply), then what the
   * user gave explicitly, which wins. */
  if (ssh_options_set(s, SSH_OPTIONS_HOST, ssh->cfg.host) < 0) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID, "bad host name %s",
                ssh->cfg.host);
    return FALSE;
  }
  /* One home for ssh_config, known_hosts and default keys: libssh would
   * read the passwd entry's .ssh while GLib (known_hosts) reads $HOME. */
  g_autofree char *ssh_dir = g_build_filename(g_get_home_dir(), ".ssh", NULL);
  ssh_options_set(s, SSH_OPTIONS_SSH_DIR, ssh_dir);
  ssh_options_parse_config(s, NULL);
  ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &no);
  g_autofree char *jump_spec = ncap_jump_spec_for_session(s, &ssh->cfg);
  if (ssh->cfg.port > 0)
    ssh_options_set(s, SSH_OPTIONS_PORT, &ssh->cfg.port);
  if (ssh->cfg.user != NULL && *ssh->cfg.user != '\0')
    ssh_options_set(s, SSH_OPTIONS_USER, ssh->cfg.user);
  ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, kh);
  /* Only the chosen file decides: no system-wide known_hosts. */
  ssh_options_set(s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, NCAP_PORT_DEVNULL);
  ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout);
  ssh_options_set(s, SSH_OPTIONS_CIPHERS_C_S, NCAP_SSH_CIPHERS);
  ssh_options_set(s, SSH_OPTIONS_CIPHERS_S_C, NCAP_SSH_CIPHERS);
  ssh_options_set(s, SSH_OPTIONS_COMPRESSION, "no");

  if (jump_spec != NULL &&
      (ssh->jump = ncap_jump_attach(s, &ssh->cfg, jump_spec, error)) == NULL)
    return FALSE;
  ncap_log("connecting to %s port %d (timeout %ld s)%s%s", ssh->cfg.host,
               ssh->cfg.port ? ssh->cfg.port : 22, timeout,
               jump_spec ? " via " : "", jump_spec ? jump_spec : "");
  if (ssh_connect(s) != SSH_OK) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_SSH,
                "cannot connect to %s port %d: %s", ssh->cfg.host,
                ssh->cfg.port ? ssh->cfg.port : 22, ssh_get_error(s));
    return FALSE;
  }
  tune_socket(s, ssh->cfg.keepalive);
  if (!verify_host_key(ssh, error))
    return FALSE;
  if (!authenticate(ssh, error))
    return FALSE;
  ncap_log("authenticated to %s", ssh->cfg.host);
  return TRUE;
}

ssh_channel
ncap_ssh_exec(NcapSsh *ssh, const char *command, GError **error)
{
  ssh_channel ch = ssh_channel_new(ssh->session);

  if (ch == NULL) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_SSH, "%s: cannot open a channel: %s",
                ssh->cfg.host, ssh_get_error(ssh->session));
    return NULL;
  }
  g_ptr_array_add(ssh->channels, ch);
  if (ssh_channel_open_session(ch) != SSH_OK ||
      ssh_channel_request_exec(ch, command) != SSH_OK) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_SSH,
                "%s: cannot run the helper: %s", ssh->cfg.host,
                ssh_get_error(ssh->session));
    return NULL;
  }
  ncap_log("exec on %s: %s", ssh->cfg.host, command);
  return ch;
}

gboolean
ncap_ssh_run(NcapSsh *ssh, const char *command, int timeout_ms, GString *out,
             GString *err, int *exit_status, GError **error)
{
  ssh_channel ch = ncap_ssh_exec(ssh, command, error);
  char buf[16384];
  gsize out_start = out->len;
  gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

  if (ch == NULL)
    return FALSE;
  ssh_channel_send_eof(ch);
  for (;;) {
    int n = ssh_channel_read_timeout(ch, buf, sizeof buf, 0, 100);
    int e;
    if (n == SSH_ERROR) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_SSH, "%s: %s", ssh->cfg.host,
                  ssh_get_error(ssh->session));
      return FALSE;
    }
    if (n > 0)
      g_string_append_len(out, buf, n);
    /* What a node can make us hold is bounded: its answer, and the tail
     * of its stderr (the last line is what is shown). */
    if (out->len - out_start > NCAP_SSH_RUN_MAX_OUT) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_REMOTE,
                  "%s: the helper's answer is larger than %u MiB; refusing it",
                  ssh->cfg.host, NCAP_SSH_RUN_MAX_OUT >> 20);
      ssh_channel_close(ch);
      return FALSE;
    }
    while ((e = ssh_channel_read_timeout(ch, buf, sizeof buf, 1, 0)) > 0) {
      g_string_append_len(err, buf, e);
      if (err->len > NCAP_SSH_STDERR_KEEP)
        g_string_erase(err, 0, err->len - NCAP_SSH_STDERR_KEEP);
    }
    if (n == 0 && ssh_channel_is_eof(ch))
      break;
    if (g_get_monotonic_time() > deadline) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_SSH,
                  "%s: no answer from the helper within %d s", ssh->cfg.host,
                  timeout_ms / 1000);
      return FALSE;
    }
  }
  *exit_status = ncap_ssh_exit_status(ch);
  return TRUE;
}

/* libssh 0.11 (trixie, sid) deprecates ssh_channel_get_exit_status for
 * ssh_channel_get_exit_state; 0.10 (bookworm) has only the former. */
int
ncap_ssh_exit_status(ssh_channel ch)
{
#if LIBSSH_VERSION_INT >= SSH_VERSION_INT(0, 11, 0)
  uint32_t code = 0;
  char *signal = NULL;
  int rc = ssh_channel_get_exit_state(ch, &code, &signal, NULL);
  if (signal != NULL) {
    /* An exit-signal and no exit-status: 0.10 answered -1 here too. */
    ssh_string_free_char(signal);
    return -1;
  }
  return rc == SSH_OK && code <= G_MAXINT ? (int)code : -1;
#else
  return ssh_channel_get_exit_status(ch);
#endif
}

void
ncap_ssh_keepalive(NcapSsh *ssh)
{
  if (ssh->session != NULL)
    ssh_send_ignore(ssh->session, "nodecap-keepalive");
}

char *
ncap_ssh_last_line(const char *text)
{
  g_auto(GStrv) lines = g_strsplit(text ? text : "", "\n", -1);
  for (int i = (int)g_strv_length(lines) - 1; i >= 0; i--) {
    g_strstrip(lines[i]);
    /* The node's text: escaped and cut before it reaches a terminal. */
    if (*lines[i] != '\0')
      return ncap_text_clean(lines[i], -1, NCAP_TEXT_LINE_MAX);
  }
  return g_strdup("");
}

int
ncap_ssh_remote_error_code(int exit_status)
{
  /* The helper exits with our own codes (ncap-error.h); keep the ones that
   * mean the same on this side so scripts can tell a bad filter apart. */
  switch (exit_status) {
  case NCAP_ERROR_INVALID:
  case NCAP_ERROR_PERMISSION:
  case NCAP_ERROR_BUSY:
  case NCAP_ERROR_NOT_FOUND:
  case NCAP_ERROR_IO:
  case NCAP_ERROR_DISK_FULL:
  case NCAP_ERROR_CAPTURE:
  case NCAP_ERROR_STALLED:
  case NCAP_ERROR_CONFIG:
    return exit_status;
  default:
    return NCAP_ERROR_REMOTE;
  }
}
