/* SPDX-License-Identifier: GPL-2.0-or-later */
/* CLI verbs: see cli.h. Option names are the extcap's, so what works in
 * the Wireshark dialog works in a script; passwords are best given by file
 * (an argv password is visible in ps). */
#include "cli.h"
#include "cli-jobs.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agentless.h"
#include "jump.h"
#include "multi.h"
#include "ncap-error.h"
#include "goption.h"
#include "ncap-text.h"
#include "node.h"
#include "options.h"
#include "ssh.h"

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
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(NcapSshConfig, ncap_ssh_config_clear)

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
  if (!ncap_jump_check_spec(a->proxyjump, error))
    return FALSE;
  cfg->proxy_jump = g_strdup(a->proxyjump);
  return TRUE;
}

static gboolean
one_host(char **args, const char *verb, const char **host, GError **error)
{
  /* args[0] is "nodecap", args[1] the verb. */
  guint n = g_strv_length(args);
  if (n != 3) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                n < 3 ? "%s: no node given (nodecap %s HOST ...)"
                      : "%s: one node expected (nodecap %s HOST ...)",
                verb, verb);
    return FALSE;
  }
  *host = args[2];
  return TRUE;
}

static gboolean
verb_capture(int argc, char **argv, GError **error)
{
  g_auto(CliSshArgs) sa = {0};
  g_auto(NcapCaptureArgs) ca = {0};
  g_auto(NcapSshConfig) cfg = {0};
  g_auto(NcapCaptureOpts) opts = {0};
  g_autoptr(GPtrArray) hosts = NULL;
  g_autofree char *out = NULL, *window_ms = NULL, *window_mb = NULL;
  g_autofree char *capture_with = NULL, *remote_priv = NULL;
  gboolean clock_correct = FALSE, allow_partial = FALSE;
  /* stream = true: --stall-timeout reaches the node's helper. */
  g_autofree GOptionEntry *cap_entries =
      ncap_capture_option_entries(&ca, false, true);
  const GOptionEntry entries[] = {
      {"write", 'w', 0, G_OPTION_ARG_FILENAME, &out,
       "Write pcapng to FILE (- = stdout)", "FILE"},
      {"clock-correct", 0, 0, G_OPTION_ARG_NONE, &clock_correct,
       "Subtract each node's measured clock offset from its timestamps",
       NULL},
      {"merge-window-ms", 0, 0, G_OPTION_ARG_STRING, &window_ms,
       "Longest wait for slower nodes (1-60000, default 500)", "MS"},
      {"allow-partial", 0, 0, G_OPTION_ARG_NONE, &allow_partial,
       "Exit 0 when only some nodes failed (default: exit 20)", NULL},
      {"merge-window-mb", 0, 0, G_OPTION_ARG_STRING, &window_mb,
       "Most bytes held for ordering, all nodes (1-4096, default 32)", "MIB"},
      {"capture-with", 0, 0, G_OPTION_ARG_STRING, &capture_with,
       "Capture program on the node: auto (default: nodecap-helper, else "
       "dumpcap, else tcpdump), helper, dumpcap, tcpdump. Without the helper "
       "there is no node policy or audit, and --sample, --sample-by and "
       "--byte-limit are refused (every packet would still cross the link)",
       "auto|helper|dumpcap|tcpdump"},
      {"remote-priv", 0, 0, G_OPTION_ARG_STRING, &remote_priv,
       "Run dumpcap/tcpdump on the node through sudo -n or doas -n (never "
       "prompts; a password request is an error, exit 18)",
       "none|sudo|doas"},
      {NULL},
  };
  g_autoptr(GOptionContext) ctx =
      g_option_context_new("HOST[,HOST...] -i IFACE [OPTION...] -w FILE|-");
  g_auto(GStrv) args = g_strdupv(argv);
  NcapLimits limits;
  NcapMultiOpts mo = {0};
  const char *host;

  (void)argc;
  g_option_context_set_summary(
      ctx, "Capture on one or more nodes over SSH and write one pcapng until "
           "a limit, Ctrl-C or the helpers end. HOST: host, user@host or "
           "user@host:port; several, comma-separated, are captured at once "
           "and merged by time (one interface per node and interface, named "
           "NODE:IFACE).");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_option_context_add_main_entries(ctx, cap_entries, NULL);
  g_option_context_add_group(ctx, ssh_group(&sa));
  if (!ncap_goption_parse_strv(ctx, NULL, &args, error) ||
      !one_host(args, "capture", &host, error))
    return FALSE;
  if (out == NULL) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                "capture: -w FILE is required (- for stdout)");
    return FALSE;
  }
  if (strcmp(out, "-") == 0 && isatty(STDOUT_FILENO)) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                "capture: refusing to write pcapng to a terminal");
    return FALSE;
  }
  ncap_limits_init_default(&limits);
  if (!ncap_capture_opts_from_args(&ca, &limits, &opts, error))
    return FALSE;
  if (window_ms != NULL && !ncap_parse_u64("--merge-window-ms", window_ms, 1,
                                           60000, &mo.window_ms, error))
    return FALSE;
  if (window_mb != NULL && !ncap_parse_u64("--merge-window-mb", window_mb, 1,
                                           4096, &mo.window_mb, error))
    return FALSE;
  mo.clock_correct = clock_correct;
  mo.allow_partial = allow_partial;
  if (!ncap_capture_with_parse(capture_with, &mo.capture_with, error) ||
      !ncap_remote_priv_parse(remote_priv, &mo.remote_priv, error))
    return FALSE;
  if (mo.capture_with == NCAP_CAPTURE_WITH_DUMPCAP ||
      mo.capture_with == NCAP_CAPTURE_WITH_TCPDUMP) {
    if (!ncap_agentless_check_opts(&opts, error))
      return FALSE;
  }
  hosts = ncap_multi_parse_hosts(host, error);
  if (hosts == NULL)
    return FALSE;
  if (!ssh_config_from_cli(&sa, NULL, &cfg, error))
    return FALSE;
  return ncap_multi_capture(&cfg, hosts,
                            sa.helper ? sa.helper : NCAP_DEFAULT_HELPER, &opts,
                            &mo, out, false, error);
}

static gboolean
verb_interfaces(int argc, char **argv, GError **error)
{
  g_auto(CliSshArgs) sa = {0};
  g_auto(NcapSshConfig) cfg = {0};
  g_autoptr(GPtrArray) list = NULL;
  g_autofree char *raw = NULL;
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, "The helper's JSON array",
       NULL},
      {NULL},
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("HOST [--json]");
  g_auto(GStrv) args = g_strdupv(argv);
  const char *host;

  (void)argc;
  g_option_context_set_summary(ctx, "List the capturable interfaces of a node.");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_option_context_add_group(ctx, ssh_group(&sa));
  if (!ncap_goption_parse_strv(ctx, NULL, &args, error) ||
      !one_host(args, "interfaces", &host, error))
    return FALSE;
  if (!ssh_config_from_cli(&sa, host, &cfg, error))
    return FALSE;
  list = ncap_node_interfaces(&cfg, sa.helper ? sa.helper : NCAP_DEFAULT_HELPER,
                              (int)(cfg.connect_timeout ? cfg.connect_timeout
                                                        : 10) * 1000 + 10000,
                              &raw, error);
  if (list == NULL)
    return FALSE;
  if (json) {
    g_autofree char *clean = ncap_text_clean_lines(raw, 0);
    fputs(clean, stdout);
    if (*raw && raw[strlen(raw) - 1] != '\n')
      putchar('\n');
    return TRUE;
  }
  for (guint i = 0; i < list->len; i++) {
    NcapNodeIface *f = g_ptr_array_index(list, i);
    g_autofree char *addrs = g_strjoinv(",", f->addresses);
    printf("%-16s %-4s %s%s%s\n", f->name, f->up ? "up" : "down",
           *addrs ? addrs : "-", f->description && *f->description ? "  " : "",
           f->description ? f->description : "");
  }
  return TRUE;
}

/* ---- the SSH options, shared with the job verbs (cli-jobs.c) ---------- */

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
usage(FILE *fp)
{
  fprintf(fp,
          "Usage: nodecap VERB HOST [OPTION...]\n"
          "  capture HOST[,HOST...] -i IFACE [-f BPF] [limits] -w FILE|-\n"
          "  interfaces HOST [--json]\n"
          NCAP_CLI_JOBS_USAGE
          "Run `nodecap VERB --help` for a verb's options. As a Wireshark "
          "extcap it is called with --extcap-* options.\n");
}

gboolean
ncap_cli_run(int argc, char **argv, GError **error)
{
  static const char *later[] = {"start", "stop", "status", "list", "fetch",
                                "delete"};
  const char *verb = argc > 1 ? argv[1] : NULL;

  if (verb == NULL || strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0 ||
      strcmp(verb, "help") == 0) {
    usage(verb ? stdout : stderr);
    if (verb == NULL)
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID, "no verb given");
    return verb != NULL;
  }
  if (strcmp(verb, "--version") == 0) {
    printf("nodecap %s\n", PROJECT_VERSION);
    return TRUE;
  }
  if (strcmp(verb, "capture") == 0)
    return verb_capture(argc, argv, error);
  if (strcmp(verb, "interfaces") == 0)
    return verb_interfaces(argc, argv, error);
  for (gsize i = 0; i < G_N_ELEMENTS(later); i++)
    if (strcmp(verb, later[i]) == 0)
      return ncap_cli_jobs_run(argc, argv, error);
  g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
              "unknown verb \"%s\" (capture, interfaces, start, stop, "
              "status, list, fetch, delete)", verb);
  return FALSE;
}
