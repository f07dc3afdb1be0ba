/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The CLI's SSH options: see cli-ssh.h. */
#include "cli-ssh.h"

#include <string.h>

#include "jump.h"
#include "node.h"
#include "options.h"
#include "sshkey.h"

typedef struct {
  char *port, *user, *password, *password_file, *sshkey, *passphrase;
  char *known_hosts, *connect_timeout, *keepalive, *helper, *log_level;
  char *log_file, *proxyjump;
  gboolean accept_new;
} CliSshArgs;

static void
cli_ssh_args_clear(CliSshArgs *a)
{
  g_free(a->port);
  g_free(a->user);
  g_free(a->password);
  g_free(a->password_file);
  g_free(a->sshkey);
  g_free(a->passphrase);
  g_free(a->known_hosts);
  g_free(a->connect_timeout);
  g_free(a->keepalive);
  g_free(a->helper);
  g_free(a->log_level);
  g_free(a->log_file);
  g_free(a->proxyjump);
  memset(a, 0, sizeof *a);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CliSshArgs, cli_ssh_args_clear)

static GOptionGroup *
ssh_group(CliSshArgs *a)
{
  const GOptionEntry entries[] = {
      {"remote-port", 'p', 0, G_OPTION_ARG_STRING, &a->port,
       "SSH port (default 22)", "N"},
      {"remote-username", 'l', 0, G_OPTION_ARG_STRING, &a->user,
       "SSH user (default: yours)", "USER"},
      {"remote-password-file", 0, 0, G_OPTION_ARG_FILENAME, &a->password_file,
       "File whose first line is the password", "FILE"},
      {"remote-password", 0, 0, G_OPTION_ARG_STRING, &a->password,
       "Password (visible in ps: prefer keys or a file)", "PW"},
      {"sshkey", 0, 0, G_OPTION_ARG_FILENAME, &a->sshkey,
       "Private key (default: agent, ~/.ssh/id_*)", "FILE"},
      {"sshkey-passphrase", 0, 0, G_OPTION_ARG_STRING, &a->passphrase,
       "Key passphrase", "PW"},
      {"known-hosts", 0, 0, G_OPTION_ARG_FILENAME, &a->known_hosts,
       "known_hosts file (default ~/.ssh/known_hosts)", "FILE"},
      {"accept-new-host-key", 0, 0, G_OPTION_ARG_NONE, &a->accept_new,
       "Trust and save an unknown host key (never a changed one)", NULL},
      {"connect-timeout", 0, 0, G_OPTION_ARG_STRING, &a->connect_timeout,
       "Connect/auth time-out in seconds (default 10)", "S"},
      {"keepalive", 0, 0, G_OPTION_ARG_STRING, &a->keepalive,
       "Probe a silent connection after S seconds, give up about 2*S later "
       "(1-300, default 15)", "S"},
      {"remote-helper", 0, 0, G_OPTION_ARG_STRING, &a->helper,
       "nodecap-helper path on the node", "PATH"},
      {"proxyjump", 'J', 0, G_OPTION_ARG_STRING, &a->proxyjump,
       "Reach the node through these jump hosts, first hop first (as ssh "
       "-J; \"none\" ignores ssh_config's ProxyJump)",
       "[USER@]HOST[:PORT][,...]"},
      {"log-level", 0, 0, G_OPTION_ARG_STRING, &a->log_level,
       "error, warning, info, debug", "LEVEL"},
      {"log-file", 0, 0, G_OPTION_ARG_FILENAME, &a->log_file, "Log file",
       "FILE"},
      {NULL},
  };
  GOptionGroup *g = g_option_group_new("ssh", "SSH options:",
                                       "Show the SSH options", NULL, NULL);
  g_option_group_add_entries(g, entries);
  return g;
}

/* host NULL: only the options every node shares (a host list is applied
 * per node by ncap_multi_stream). */
static gboolean
ssh_config_from_cli(const CliSshArgs *a, const char *host, NcapSshConfig *cfg,
                    GError **error)
{
  if (!ncap_ssh_log_init(a->log_level, a->log_file, error))
    return FALSE;
  if (!ncap_ssh_config_set_numbers(cfg, a->port, a->connect_timeout, error))
    return FALSE;
  if (a->keepalive != NULL) {
    guint64 t;
    if (!ncap_parse_u64("--keepalive", a->keepalive, 1, 300, &t, error))
      return FALSE;
    cfg->keepalive = (unsigned)t;
  }
  cfg->user = g_strdup(a->user);
  if (host != NULL && !ncap_ssh_config_set_target(cfg, host, error))
    return FALSE;
  cfg->password = g_strdup(a->password);
  cfg->password_file = g_strdup(a->password_file);
  cfg->key_file = g_strdup(a->sshkey);
  cfg->key_passphrase = g_strdup(a->passphrase);
  cfg->known_hosts = g_strdup(a->known_hosts);
  cfg->accept_new_host_key = a->accept_new;
  /* Like ssh: a passphrase or password is asked only on a terminal. */
  cfg->interactive = ncap_sshkey_can_prompt();
  if (!ncap_jump_check_spec(a->proxyjump, error))
    return FALSE;
  cfg->proxy_jump = g_strdup(a->proxyjump);
  return TRUE;
}
struct NcapCliSsh {
  CliSshArgs a;
};

NcapCliSsh *
ncap_cli_ssh_new(void)
{
  return g_new0(NcapCliSsh, 1);
}

void
ncap_cli_ssh_free(NcapCliSsh *s)
{
  if (s == NULL)
    return;
  cli_ssh_args_clear(&s->a);
  g_free(s);
}

GOptionGroup *
ncap_cli_ssh_group(NcapCliSsh *s)
{
  return ssh_group(&s->a);
}

const char *
ncap_cli_ssh_helper(const NcapCliSsh *s)
{
  return s->a.helper ? s->a.helper : NCAP_DEFAULT_HELPER;
}

gboolean
ncap_cli_ssh_config(const NcapCliSsh *s, const char *host, NcapSshConfig *cfg,
                    GError **error)
{
  return ssh_config_from_cli(&s->a, host, cfg, error);
}

static void
hint_opt(GString *s, const char *name, const char *value)
{
  if (value == NULL)
    return;
  g_autofree char *q = g_shell_quote(value);
  /* Plain words stay unquoted: the hint reads like what was typed. */
  bool plain = *value != '\0';
  for (const char *p = value; *p && plain; p++)
    plain = g_ascii_isalnum(*p) || strchr("@%+=:,./_-", *p) != NULL;
  g_string_append_printf(s, " %s %s", name, plain ? value : q);
}

char *
ncap_cli_ssh_hint_options(const NcapCliSsh *s)
{
  const CliSshArgs *a = &s->a;
  GString *h = g_string_new(NULL);
  /* Everything that picks the node, the account and the key, never a
   * password or a passphrase (a hint is printed, maybe into a log). */
  hint_opt(h, "-p", a->port);
  hint_opt(h, "-l", a->user);
  hint_opt(h, "--sshkey", a->sshkey);
  hint_opt(h, "--remote-password-file", a->password_file);
  hint_opt(h, "--known-hosts", a->known_hosts);
  hint_opt(h, "--connect-timeout", a->connect_timeout);
  hint_opt(h, "--keepalive", a->keepalive);
  hint_opt(h, "--remote-helper", a->helper);
  hint_opt(h, "-J", a->proxyjump);
  return g_string_free(h, FALSE);
}
