/* SPDX-License-Identifier: GPL-2.0-or-later */
/* CLI verbs: see cli.h. Option names are the extcap's, so what works in
 * the Wireshark dialog works in a script; passwords are best given by file
 * (an argv password is visible in ps). */
#include "cli.h"


#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agentless.h"
#include "cli-jobs.h"
#include "cli-ssh.h"
#include "jump.h"
#include "multi.h"
#include "ncap-error.h"
#include "goption.h"
#include "ncap-text.h"
#include "node.h"
#include "options.h"
#include "report.h"
#include "ssh.h"
#include "sshkey.h"

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(NcapSshConfig, ncap_ssh_config_clear)


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
  g_autoptr(NcapCliSsh) sa = ncap_cli_ssh_new();
  g_auto(NcapCaptureArgs) ca = {0};
  g_auto(NcapSshConfig) cfg = {0};
  g_auto(NcapCaptureOpts) opts = {0};
  g_autoptr(GPtrArray) hosts = NULL;
  g_autofree char *out = NULL, *window_ms = NULL, *window_mb = NULL;
  g_autofree char *capture_with = NULL, *remote_priv = NULL;
  gboolean clock_correct = FALSE, allow_partial = FALSE, quiet = FALSE;
  gboolean json = FALSE;
  g_auto(GStrv) iface_args = NULL, ifaces = NULL;
  g_autofree char *iface_list = NULL;
  /* stream = true: --stall-timeout reaches the node's helper. */
  g_autofree GOptionEntry *cap_entries =
      ncap_capture_option_entries(&ca, false, true);
  /* -i takes a list and may be repeated, as dumpcap's: each interface is
   * its own source (ncap_multi_hosts_set_ifaces). */
  for (GOptionEntry *e = cap_entries; e->long_name != NULL; e++)
    if (strcmp(e->long_name, "interface") == 0) {
      e->arg = G_OPTION_ARG_STRING_ARRAY;
      e->arg_data = &iface_args;
      e->description = "Interface(s) to capture on (required); several, "
                       "comma-separated or -i repeated, give one pcapng "
                       "interface each";
      e->arg_description = "IFACE[,IFACE...]";
    }
  const GOptionEntry entries[] = {
      {"write", 'w', 0, G_OPTION_ARG_FILENAME, &out,
       "Write pcapng to FILE (- = stdout)", "FILE"},
      {"clock-correct", 0, 0, G_OPTION_ARG_NONE, &clock_correct,
       "Subtract each node's measured clock offset from its timestamps",
       NULL},
      {"merge-window-ms", 0, 0, G_OPTION_ARG_STRING, &window_ms,
       "Longest wait for slower nodes (" G_STRINGIFY(NCAP_MULTI_WINDOW_MS_MIN)
       "-" G_STRINGIFY(NCAP_MULTI_WINDOW_MS_MAX) ", default "
       G_STRINGIFY(NCAP_MULTI_DEFAULT_WINDOW_MS) ")", "MS"},
      {"allow-partial", 0, 0, G_OPTION_ARG_NONE, &allow_partial,
       "Exit 0 when only some nodes failed (default: exit 20)", NULL},
      {"merge-window-mb", 0, 0, G_OPTION_ARG_STRING, &window_mb,
       "Most bytes held for ordering, all nodes ("
       G_STRINGIFY(NCAP_MULTI_WINDOW_MB_MIN) "-" G_STRINGIFY(NCAP_MULTI_WINDOW_MB_MAX)
       ", default " G_STRINGIFY(NCAP_MULTI_DEFAULT_WINDOW_MB) ")", "MIB"},
      {"quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet,
       "No status line: only the closing summary, on stderr", NULL},
      {"json", 0, 0, G_OPTION_ARG_NONE, &json,
       "The closing summary as one JSON object (stdout, or stderr with -w -)",
       NULL},
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
  g_set_prgname("nodecap capture");
  g_autoptr(GOptionContext) ctx =
      g_option_context_new("HOST[,HOST...] -i IFACE[,IFACE...] -w FILE|-");
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
           "NODE:IFACE). -i eth0,eth1 (or -i eth0 -i eth1) captures several "
           "interfaces of each node, one SSH session and helper each.");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_option_context_add_main_entries(ctx, cap_entries, NULL);
  g_option_context_add_group(ctx, ncap_cli_ssh_group(sa));
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
  if (iface_args != NULL)
    iface_list = g_strjoinv(",", iface_args);
  ifaces = ncap_multi_parse_ifaces(iface_list, 1, error);
  if (ifaces == NULL)
    return FALSE;
  ca.iface = g_strdup(ifaces[0]);
  ncap_limits_init_default(&limits);
  if (!ncap_capture_opts_from_args(&ca, &limits, &opts, error))
    return FALSE;
  if (!ncap_multi_opts_set_windows(&mo, window_ms, window_mb, error))
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
  if (hosts->len > 1) { /* now the number of sources can be checked */
    g_strfreev(ifaces);
    ifaces = ncap_multi_parse_ifaces(iface_list, hosts->len, error);
    if (ifaces == NULL)
      return FALSE;
  }
  ncap_multi_hosts_set_ifaces(hosts, ifaces);
  if (!ncap_cli_ssh_config(sa, NULL, &cfg, error))
    return FALSE;
  /* docs/cli.md "What capture prints": the status line only where a
   * person watches, never into the pcapng on stdout. */
  bool to_stdout = strcmp(out, "-") == 0;
  NcapReportMode mode = json    ? NCAP_REPORT_JSON
                        : !quiet && !to_stdout && isatty(STDOUT_FILENO)
                            ? NCAP_REPORT_TTY
                            : NCAP_REPORT_QUIET;
  g_autoptr(NcapReport) report =
      ncap_report_new(mode, to_stdout ? stderr : stdout);
  for (guint i = 0; i < hosts->len; i++) {
    NcapMultiHost *h = g_ptr_array_index(hosts, i);
    ncap_report_add_source(report, h->name, h->source);
  }
  mo.report = report;
  gboolean ok = ncap_multi_capture(&cfg, hosts,
                                   ncap_cli_ssh_helper(sa),
                                   &opts, &mo, out, false, error);
  /* A failed capture's stderr is its one error line: the summary then
   * goes only where it does not mix with it (the terminal's stdout, or
   * the JSON object). */
  NcapReportCounts c;
  bool started = false;
  for (guint i = 0; i < hosts->len; i++)
    started = started ||
              (ncap_report_counts(report, i, &c) && c.n_interfaces > 0);
  if (ok || json || (started && mode == NCAP_REPORT_TTY))
    ncap_report_finish(report);
  return ok;
}

static gboolean
verb_interfaces(int argc, char **argv, GError **error)
{
  g_autoptr(NcapCliSsh) sa = ncap_cli_ssh_new();
  g_auto(NcapSshConfig) cfg = {0};
  g_autoptr(GPtrArray) list = NULL;
  g_autofree char *raw = NULL;
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, "The helper's JSON array",
       NULL},
      {NULL},
  };
  g_set_prgname("nodecap interfaces");
  g_autoptr(GOptionContext) ctx = g_option_context_new("HOST");
  g_auto(GStrv) args = g_strdupv(argv);
  const char *host;

  (void)argc;
  g_option_context_set_summary(ctx, "List the capturable interfaces of a node.");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_option_context_add_group(ctx, ncap_cli_ssh_group(sa));
  if (!ncap_goption_parse_strv(ctx, NULL, &args, error) ||
      !one_host(args, "interfaces", &host, error))
    return FALSE;
  if (!ncap_cli_ssh_config(sa, host, &cfg, error))
    return FALSE;
  list = ncap_node_interfaces(&cfg, ncap_cli_ssh_helper(sa),
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
  /* A header row and aligned columns (docs/cli.md "interfaces"). */
  static const char *const header[] = {"NAME", "STATE", "ADDRESSES",
                                       "DESCRIPTION", NULL};
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func(
      (GDestroyNotify)g_strfreev);
  for (guint i = 0; i < list->len; i++) {
    NcapNodeIface *f = g_ptr_array_index(list, i);
    g_autofree char *addrs = g_strjoinv(",", f->addresses);
    char **row = g_new0(char *, 5);
    row[0] = g_strdup(f->name);
    row[1] = g_strdup(f->up ? "up" : "down");
    row[2] = g_strdup(*addrs ? addrs : "-");
    row[3] = g_strdup(f->description ? f->description : "");
    g_ptr_array_add(rows, row);
  }
  ncap_report_table(stdout, header, rows, true);
  return TRUE;
}


static void
usage(FILE *fp)
{
  fprintf(fp,
          "Usage: nodecap VERB HOST [OPTION...]\n"
          "  capture HOST[,HOST...] -i IFACE[,IFACE...] [-f BPF] [limits] "
          "-w FILE|-\n"
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
