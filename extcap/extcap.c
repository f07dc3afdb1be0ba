/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The extcap conversation: see extcap.h and docs/extcap.md.
 * Wireshark passes an option only when its value differs from the declared
 * {default=}, and tshark -k starts a capture without the dialog: every
 * default is applied here too, and a missing host is a clear error. */
#include "extcap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "filter-check.h"
#include "jobs.h"
#include "jump.h"
#include "ncap-error.h"
#include "goption.h"
#include "multi.h"
#include "node.h"
#include "options.h"
#include "port.h"
#include "ssh.h"

#define RELOAD_TIMEOUT_S 5

typedef struct {
  /* conversation */
  gboolean list_interfaces, list_dlts, config, capture;
  char *version, *iface, *reload_option, *fifo, *capture_filter;
  char *control_in, *control_out;
  /* Node */
  char *host, *port, *user, *password, *password_file, *sshkey, *passphrase;
  char *known_hosts, *accept_new, *connect_timeout, *helper, *proxyjump;
  /* Capture */
  char *remote_iface, *remote_filter, *src_host, *dst_host, *src_port,
      *dst_port, *proto, *capture_type, *snaplen, *sample, *time_limit,
      *packet_limit, *byte_limit, *sample_by, *promiscuous;
  /* Multi-node */
  char *clock_correct, *merge_window_ms, *merge_window_mb, *allow_partial;
  char *capture_with, *remote_priv;
  /* Save on node */
  char *save_on_node, *max_size, *file_size, *delete_on_start;
  char *stop_saved, *save_destination, *save_upload_delete;
  /* Debug */
  char *log_level, *log_file;
} ExtcapArgs;

static void
extcap_args_clear(ExtcapArgs *a)
{
  char **strings[] = {
      &a->version, &a->iface, &a->reload_option, &a->fifo, &a->capture_filter,
      &a->control_in, &a->control_out, &a->host, &a->port, &a->user,
      &a->password, &a->password_file, &a->sshkey, &a->passphrase,
      &a->known_hosts, &a->accept_new, &a->connect_timeout, &a->helper,
      &a->proxyjump, &a->capture_with, &a->remote_priv,
      &a->remote_iface, &a->remote_filter, &a->src_host, &a->dst_host,
      &a->src_port, &a->dst_port, &a->proto, &a->capture_type, &a->snaplen,
      &a->sample, &a->time_limit, &a->packet_limit, &a->byte_limit,
      &a->sample_by, &a->promiscuous, &a->clock_correct, &a->merge_window_ms,
      &a->merge_window_mb, &a->allow_partial,
      &a->save_on_node, &a->max_size, &a->file_size, &a->delete_on_start,
      &a->stop_saved, &a->save_destination, &a->save_upload_delete,
      &a->log_level, &a->log_file,
  };
  for (gsize i = 0; i < G_N_ELEMENTS(strings); i++)
    g_clear_pointer(strings[i], g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(ExtcapArgs, extcap_args_clear)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(NcapSshConfig, ncap_ssh_config_clear)

bool
ncap_extcap_is_call(int argc, char **argv)
{
  for (int i = 1; i < argc; i++)
    if (g_str_has_prefix(argv[i], "--extcap-") ||
        strcmp(argv[i], "--capture") == 0 || strcmp(argv[i], "--fifo") == 0 ||
        g_str_has_prefix(argv[i], "--fifo="))
      return true;
  return false;
}

/* ---- the dialog ------------------------------------------------------- */

/* Argument numbers: the reload answer refers to the selector by number. */
enum { ARG_REMOTE_INTERFACE = 11, ARG_CAPTURE_TYPE = 18, ARG_LOG_LEVEL = 28 };

static void
print_interfaces(void)
{
  printf("extcap {version=%s}\n", PROJECT_VERSION);
  printf("interface {value=%s}{display=Remote node capture}\n",
         NCAP_EXTCAP_INTERFACE);
}

static void
print_dlts(void)
{
  /* The stream is pcapng: Wireshark takes each interface's real link type
   * from its IDB; this number only satisfies the conversation. */
  printf("dlt {number=1}{name=EN10MB}{display=pcapng from the node}\n");
}

static void
print_config(void)
{
  static const char *const lines[] = {
      /* Node */
      "arg {number=0}{call=--remote-host}{display=Node(s)}{type=string}"
      "{tooltip=Node to capture on: host, user@host or user@host:port "
      "(ssh_config host aliases work); several nodes separated by commas "
      "(nodeA,nodeB:2222,user@nodeC) are captured at once and merged}"
      "{required=true}{group=Node}",
      "arg {number=1}{call=--remote-port}{display=SSH port}{type=unsigned}"
      "{default=22}{range=1,65535}{tooltip=SSH port of the node}{group=Node}",
      "arg {number=2}{call=--remote-username}{display=User name}{type=string}"
      "{tooltip=SSH user on the node (default: your own user name)}"
      "{group=Node}",
      "arg {number=3}{call=--remote-password}{display=Password}"
      "{type=password}{tooltip=Visible to other local users in the process "
      "list: prefer a key, ssh-agent or a password file}{group=Node}",
      "arg {number=4}{call=--remote-password-file}{display=Password file}"
      "{type=fileselect}{mustexist=true}{tooltip=File whose first line is "
      "the SSH password (not shown in the process list)}{group=Node}",
      "arg {number=5}{call=--sshkey}{display=Private key}{type=fileselect}"
      "{mustexist=true}{tooltip=Private key file (default: ssh-agent, then "
      "~/.ssh/id_*)}{group=Node}",
      "arg {number=6}{call=--sshkey-passphrase}{display=Key passphrase}"
      "{type=password}{tooltip=Passphrase of the private key}{group=Node}",
      "arg {number=7}{call=--known-hosts}{display=known_hosts file}"
      "{type=fileselect}{tooltip=Host keys to trust (default: "
      "~/.ssh/known_hosts); an unknown or changed key stops the capture}"
      "{group=Node}",
      "arg {number=8}{call=--accept-new-host-key}{display=Accept a new host "
      "key}{type=boolean}{default=false}{tooltip=Trust and save the key of a "
      "node not yet in known_hosts; a changed key is never accepted}"
      "{group=Node}",
      "arg {number=9}{call=--connect-timeout}{display=Connect time-out (s)}"
      "{type=unsigned}{default=10}{range=1,120}{tooltip=Give up connecting "
      "and authenticating after this many seconds}{group=Node}",
      "arg {number=10}{call=--remote-helper}{display=Helper on the node}"
      "{type=string}{default=nodecap-helper}{tooltip=Path or name of "
      "nodecap-helper on the node}{group=Node}",
      /* Capture */
      "arg {number=11}{call=--remote-interface}{display=Remote interface}"
      "{type=selector}{reload=true}{placeholder=Reload to ask the node}"
      "{tooltip=Interface on the node; Reload lists the node's interfaces}"
      "{group=Capture}",
      "value {arg=11}{value=any}{display=any (all interfaces)}{default=true}",
      "value {arg=11}{value=lo}{display=lo}",
      "value {arg=11}{value=eth0}{display=eth0}",
      "arg {number=12}{call=--remote-filter}{display=Capture filter (BPF)}"
      "{type=string}{tooltip=libpcap filter applied on the node, ANDed with "
      "the fields below and the capture filter of the main window}"
      "{group=Capture}",
      "arg {number=13}{call=--src-host}{display=Source host}{type=string}"
      "{tooltip=IPv4 or IPv6 address}{group=Capture}",
      "arg {number=14}{call=--dst-host}{display=Destination host}"
      "{type=string}{tooltip=IPv4 or IPv6 address}{group=Capture}",
      "arg {number=15}{call=--src-port}{display=Source port}{type=string}"
      "{tooltip=0-65535}{group=Capture}",
      "arg {number=16}{call=--dst-port}{display=Destination port}"
      "{type=string}{tooltip=0-65535}{group=Capture}",
      "arg {number=17}{call=--proto}{display=Protocol}{type=string}"
      "{tooltip=tcp, udp, icmp, icmp6, sctp or an IP protocol number}"
      "{group=Capture}",
      "arg {number=18}{call=--capture-type}{display=Capture type}"
      "{type=selector}{tooltip=simple: 160-byte snapshots, at most 300 s "
      "and 10000 packets}{group=Capture}",
      "value {arg=18}{value=full}{display=full}{default=true}",
      "value {arg=18}{value=simple}{display=simple}",
      "arg {number=19}{call=--snaplen}{display=Snapshot length}"
      "{type=unsigned}{default=262144}{range=1,262144}{tooltip=Bytes kept "
      "of each packet}{group=Capture}",
      "arg {number=20}{call=--sample}{display=Keep 1 packet in N}"
      "{type=unsigned}{default=1}{range=1,1000000}{tooltip=1 keeps every "
      "packet}{group=Capture}",
      "arg {number=21}{call=--time-limit}{display=Time limit (s)}"
      "{type=unsigned}{default=0}{range=0,86400}{tooltip=0 = no limit}"
      "{group=Capture}",
      "arg {number=22}{call=--packet-limit}{display=Packet limit}"
      "{type=unsigned}{default=0}{range=0,1000000000}{tooltip=0 = no limit}"
      "{group=Capture}",
      "arg {number=23}{call=--byte-limit}{display=Byte limit}{type=unsigned}"
      "{default=0}{range=0,1000000000}{tooltip=0 = no limit}{group=Capture}",
      /* 41: numbers from 37 on may be taken by other dialog fields. */
      "arg {number=41}{call=--promiscuous}{display=Promiscuous mode}"
      "{type=boolean}{default=true}{tooltip=Untick to capture only what is "
      "addressed to the node (tcpdump -p)}{group=Capture}",
      /* Save on node */
      "arg {number=24}{call=--save-on-node}{display=Also keep a ring on the "
      "node}{type=boolean}{default=false}{tooltip=Start a saved job on the "
      "node with the same capture options before the live capture; it keeps "
      "running after the live capture ends (nodecap list/stop/fetch HOST) "
      "unless the box below is ticked}{group=Save on node}",
      "arg {number=25}{call=--max-size}{display=Maximum size (MB)}"
      "{type=unsigned}{default=10}{range=1,1000}{group=Save on node}",
      "arg {number=26}{call=--file-size}{display=File size (MB)}"
      "{type=unsigned}{default=10}{range=1,1000}{group=Save on node}",
      "arg {number=27}{call=--delete-on-start}{display=Delete older captures "
      "first}{type=boolean}{default=false}{group=Save on node}",
      /* 34, not 30: --sample-by is 30, and one number names one arg. */
      "arg {number=34}{call=--stop-saved-on-exit}{display=Stop the ring when "
      "the live capture stops}{type=boolean}{default=false}{tooltip=Otherwise "
      "the saved job runs on until nodecap stop HOST or one of its limits}"
      "{group=Save on node}",
      "arg {number=35}{call=--save-destination}{display=Upload to}"
      "{type=string}{tooltip=s3://BUCKET/PREFIX: the node uploads each "
      "finished file of the ring to this bucket (endpoint and credentials "
      "are the node's, in its nodecap.conf); empty = keep on the node only}"
      "{group=Save on node}",
      "arg {number=36}{call=--save-upload-delete}{display=Delete a file on "
      "the node once uploaded}{type=boolean}{default=false}{tooltip=Only "
      "after the object's checksum is confirmed}{group=Save on node}",
      /* Debug */
      "arg {number=28}{call=--log-level}{display=Log level}{type=selector}"
      "{group=Debug}",
      "value {arg=28}{value=error}{display=error}",
      "value {arg=28}{value=warning}{display=warning}{default=true}",
      "value {arg=28}{value=info}{display=info}",
      "value {arg=28}{value=debug}{display=debug (with libssh's protocol "
      "log)}",
      "arg {number=29}{call=--log-file}{display=Log file}{type=fileselect}"
      "{tooltip=Where the log goes (never to the capture)}{group=Debug}",
      "arg {number=30}{call=--sample-by}{display=Sample by}{type=selector}"
      "{tooltip=count: every N-th packet of each node; hash: packets whose "
      "identity hash falls in 1/N, so every node keeps the same packets}"
      "{group=Capture}",
      "value {arg=30}{value=count}{display=count}{default=true}",
      "value {arg=30}{value=hash}{display=hash (same packets on every "
      "node)}",
      /* Multi-node */
      "arg {number=31}{call=--clock-correct}{display=Correct node clocks}"
      "{type=boolean}{default=false}{tooltip=Subtract each node's clock "
      "offset, measured at connect, from its timestamps (the offset is "
      "always recorded in the interface description)}{group=Multi-node}",
      "arg {number=32}{call=--merge-window-ms}{display=Merge window (ms)}"
      "{type=unsigned}{default=500}{range=1,60000}{tooltip=Longest time a "
      "packet waits for slower nodes before it is written}"
      "{group=Multi-node}",
      "arg {number=33}{call=--merge-window-mb}{display=Merge memory (MiB)}"
      "{type=unsigned}{default=32}{range=1,4096}{tooltip=Most bytes held "
      "for ordering, all nodes together}{group=Multi-node}",
      "arg {number=45}{call=--allow-partial}{display=Allow a partial "
      "capture}{type=boolean}{default=false}{tooltip=When some nodes fail "
      "and others are captured, end without an error (by default the "
      "capture then ends with status 20)}{group=Multi-node}",
      "arg {number=37}{call=--proxyjump}{display=Jump host(s)}{type=string}"
      "{tooltip=Reach the node(s) through these SSH jump hosts, first hop "
      "first: [user@]host[:port][,...] (as ssh -J); each jump host's key is "
      "checked against the same known_hosts; empty: ssh_config's ProxyJump}"
      "{group=Node}",
      "arg {number=38}{call=--capture-with}{display=Capture program}"
      "{type=selector}{tooltip=What captures on the node: nodecap-helper "
      "(node policy, audit, sampling), or the node's own dumpcap or tcpdump "
      "when the helper is not installed (no policy or audit; sampling and "
      "the byte limit need the helper); auto takes the helper, else "
      "dumpcap, else tcpdump}{group=Capture}",
      "value {arg=38}{value=auto}{display=auto}{default=true}",
      "value {arg=38}{value=helper}{display=nodecap-helper}",
      "value {arg=38}{value=dumpcap}{display=dumpcap}",
      "value {arg=38}{value=tcpdump}{display=tcpdump}",
      "arg {number=39}{call=--remote-priv}{display=Privilege on the node}"
      "{type=selector}{tooltip=Run dumpcap/tcpdump through sudo -n or doas "
      "-n: never prompts, a password request stops the capture with a "
      "clear line}{group=Capture}",
      "value {arg=39}{value=none}{display=none}{default=true}",
      "value {arg=39}{value=sudo}{display=sudo}",
      "value {arg=39}{value=doas}{display=doas}",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(lines); i++)
    printf("%s\n", lines[i]);
}

/* ---- option mapping --------------------------------------------------- */

static gboolean
parse_bool(const char *name, const char *value, bool *out, GError **error)
{
  if (value == NULL || *value == '\0') {
    *out = false;
    return TRUE;
  }
  if (g_ascii_strcasecmp(value, "true") == 0 || strcmp(value, "1") == 0 ||
      g_ascii_strcasecmp(value, "yes") == 0) {
    *out = true;
    return TRUE;
  }
  if (g_ascii_strcasecmp(value, "false") == 0 || strcmp(value, "0") == 0 ||
      g_ascii_strcasecmp(value, "no") == 0) {
    *out = false;
    return TRUE;
  }
  g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
              "%s %s: must be true or false", name, value);
  return FALSE;
}

/* The SSH options every node shares, and the node list (transfer full).
 * Each node's user@ and :port are applied per node. */
static gboolean
ssh_config_from_args(const ExtcapArgs *a, NcapSshConfig *cfg,
                     GPtrArray **hosts, GError **error)
{
  bool accept_new = false;

  if (a->host == NULL || *a->host == '\0') {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                "no node given: set \"Node\" in the interface options "
                "(--remote-host, tshark: -o extcap.nodecap.remotehost:HOST)");
    return FALSE;
  }
  if (!ncap_ssh_config_set_numbers(cfg, a->port, a->connect_timeout, error))
    return FALSE;
  if (!parse_bool("--accept-new-host-key", a->accept_new, &accept_new, error))
    return FALSE;
  cfg->accept_new_host_key = accept_new;
  cfg->user = g_strdup(a->user && *a->user ? a->user : NULL);
  /* user@host:port in the host field wins over the separate fields. */
  *hosts = ncap_multi_parse_hosts(a->host, error);
  if (*hosts == NULL)
    return FALSE;
  cfg->password = g_strdup(a->password);
  cfg->password_file = g_strdup(a->password_file);
  cfg->key_file = g_strdup(a->sshkey);
  cfg->key_passphrase = g_strdup(a->passphrase);
  cfg->known_hosts = g_strdup(a->known_hosts);
  if (!ncap_jump_check_spec(a->proxyjump, error))
    return FALSE;
  cfg->proxy_jump = g_strdup(a->proxyjump && *a->proxyjump ? a->proxyjump
                                                           : NULL);
  return TRUE;
}

/* "(a) and (b)", or whichever is set. Transfer full. */
static char *
and_filters(const char *a, const char *b)
{
  bool has_a = a != NULL && strspn(a, " \t") != strlen(a);
  bool has_b = b != NULL && strspn(b, " \t") != strlen(b);
  if (has_a && has_b)
    return g_strdup_printf("(%s) and (%s)", a, b);
  if (has_a)
    return g_strdup(a);
  if (has_b)
    return g_strdup(b);
  return NULL;
}

/* A value equal to the "none" default is the same as not given. */
static char *
unless(const char *value, const char *none)
{
  if (value == NULL || *value == '\0' || strcmp(value, none) == 0)
    return NULL;
  return g_strdup(value);
}

static gboolean
capture_opts_from_args(const ExtcapArgs *a, NcapCaptureOpts *opts,
                       GError **error)
{
  NcapCaptureArgs ca = {0};
  NcapLimits limits;
  gboolean ok;

  ncap_limits_init_default(&limits);
  ca.iface = g_strdup(a->remote_iface && *a->remote_iface ? a->remote_iface
                                                          : "any");
  ca.bpf = and_filters(a->remote_filter, a->capture_filter);
  ca.src_host = unless(a->src_host, "");
  ca.dst_host = unless(a->dst_host, "");
  ca.src_port = unless(a->src_port, "");
  ca.dst_port = unless(a->dst_port, "");
  ca.proto = unless(a->proto, "");
  ca.type = unless(a->capture_type, "");
  ca.snaplen = unless(a->snaplen, "");
  ca.sample = unless(a->sample, "1");
  ca.sample_by = unless(a->sample_by, "count");
  ca.time_limit = unless(a->time_limit, "0");
  ca.packet_limit = unless(a->packet_limit, "0");
  ca.byte_limit = unless(a->byte_limit, "0");
  /* Save on node (ignored by the stream's argv). */
  ca.max_size = unless(a->max_size, "");
  ca.file_size = unless(a->file_size, "");
  bool del = false;
  if (!parse_bool("--delete-on-start", a->delete_on_start, &del, error)) {
    ncap_capture_args_clear(&ca);
    return FALSE;
  }
  ca.delete_on_start = del;
  bool promisc = true;
  if (a->promiscuous != NULL && *a->promiscuous != '\0' &&
      !parse_bool("--promiscuous", a->promiscuous, &promisc, error)) {
    ncap_capture_args_clear(&ca);
    return FALSE;
  }
  ca.no_promiscuous = !promisc;
  ok = ncap_capture_opts_from_args(&ca, &limits, opts, error);
  ncap_capture_args_clear(&ca);
  return ok;
}

/* ---- calls ------------------------------------------------------------ */

static gboolean
reload_interfaces(const ExtcapArgs *a, GError **error)
{
  g_auto(NcapSshConfig) cfg = {0};
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GPtrArray) hosts = NULL;

  if (g_strcmp0(a->reload_option, "remote-interface") != 0) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                "--extcap-reload-option %s: only remote-interface reloads",
                a->reload_option);
    return FALSE;
  }
  if (!ssh_config_from_args(a, &cfg, &hosts, error))
    return FALSE;
  /* With several nodes the list is the first node's: the same interface
   * name is captured on every node. */
  if (!ncap_ssh_config_set_target(
          &cfg, ((NcapMultiHost *)g_ptr_array_index(hosts, 0))->target, error))
    return FALSE;
  /* Runs on Wireshark's GUI thread: short and never a prompt. */
  if (cfg.connect_timeout == 0 || cfg.connect_timeout > RELOAD_TIMEOUT_S)
    cfg.connect_timeout = RELOAD_TIMEOUT_S;
  list = ncap_node_interfaces(&cfg, a->helper ? a->helper : NCAP_DEFAULT_HELPER,
                              RELOAD_TIMEOUT_S * 1000, NULL, error);
  if (list == NULL)
    return FALSE;
  for (guint i = 0; i < list->len; i++) {
    NcapNodeIface *f = g_ptr_array_index(list, i);
    g_autofree char *addrs = g_strjoinv(", ", f->addresses);
    g_autofree char *display =
        g_strdup_printf("%s%s%s%s%s", f->name, *addrs ? " (" : "", addrs,
                        *addrs ? ")" : "", f->up ? "" : " [down]");
    /* Braces would end the field early. */
    g_strdelimit(display, "{}", ' ');
    printf("value {arg=%d}{value=%s}{display=%s}%s\n", ARG_REMOTE_INTERFACE,
           f->name, display,
           g_strcmp0(f->name, a->remote_iface) == 0 ? "{default=true}" : "");
  }
  return TRUE;
}

static gboolean
multi_opts_from_args(const ExtcapArgs *a, NcapMultiOpts *mo, GError **error)
{
  bool correct = false;

  if (!parse_bool("--clock-correct", a->clock_correct, &correct, error))
    return FALSE;
  mo->clock_correct = correct;
  if (!parse_bool("--allow-partial", a->allow_partial, &correct, error))
    return FALSE;
  mo->allow_partial = correct;
  if (!ncap_capture_with_parse(a->capture_with, &mo->capture_with, error) ||
      !ncap_remote_priv_parse(a->remote_priv, &mo->remote_priv, error))
    return FALSE;
  if (a->merge_window_ms != NULL && *a->merge_window_ms != '\0' &&
      !ncap_parse_u64("--merge-window-ms", a->merge_window_ms, 1, 60000,
                      &mo->window_ms, error))
    return FALSE;
  if (a->merge_window_mb != NULL && *a->merge_window_mb != '\0' &&
      !ncap_parse_u64("--merge-window-mb", a->merge_window_mb, 1, 4096,
                      &mo->window_mb, error))
    return FALSE;
  return TRUE;
}

static gboolean
run_capture_inner(const ExtcapArgs *a, GError **error)
{
  g_auto(NcapSshConfig) cfg = {0};
  g_auto(NcapCaptureOpts) opts = {0};
  g_autofree char *job_id = NULL;
  bool save = false, stop_saved = false, upload_delete = false;
  const char *helper = a->helper ? a->helper : NCAP_DEFAULT_HELPER;
  g_autoptr(GPtrArray) hosts = NULL;
  NcapMultiOpts mo = {0};

  if (!parse_bool("--save-on-node", a->save_on_node, &save, error) ||
      !parse_bool("--stop-saved-on-exit", a->stop_saved, &stop_saved, error) ||
      !parse_bool("--save-upload-delete", a->save_upload_delete,
                  &upload_delete, error))
    return FALSE;
  /* An empty field is Wireshark's way of saying "not set". */
  const char *dest = a->save_destination && *a->save_destination
                         ? a->save_destination
                         : NULL;
  if (save && dest != NULL && !ncap_jobs_check_destination(dest, error))
    return FALSE;
  if (save && upload_delete && dest == NULL) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                "--save-upload-delete needs --save-destination");
    return FALSE;
  }
  if (!ssh_config_from_args(a, &cfg, &hosts, error))
    return FALSE;
  if (!capture_opts_from_args(a, &opts, error))
    return FALSE;
  if (!multi_opts_from_args(a, &mo, error))
    return FALSE;
  if (save) {
    /* One ring per node is what `nodecap start HOST,HOST` is for; the
     * dialog's checkbox keeps its meaning simple: the node you capture. */
    if (hosts->len != 1) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                  "\"Save on node\" takes one node; for several use "
                  "nodecap start HOST,HOST,...");
      return FALSE;
    }
    /* One node: its target in the shared config changes nothing for the
     * stream, which sets each node's target the same way. */
    if (!ncap_ssh_config_set_target(&cfg, a->host, error))
      return FALSE;
    /* The saved job first: if the node refuses it (busy, policy), the
     * user learns it now rather than after a long live capture. */
    job_id = ncap_jobs_start_saved(&cfg, helper, &opts, dest, upload_delete,
                                   error);
    if (job_id == NULL)
      return FALSE;
    /* Not on stderr: Wireshark shows any stderr text as an error. */
    ncap_ssh_log("saved job %s started on %s%s%s (%s)", job_id, cfg.host,
                 dest ? ", uploading to " : "", dest ? dest : "",
                 stop_saved ? "stopped with the live capture"
                            : "left running: nodecap stop HOST ID");
  }
  /* docs/gui.md: the GUI user sees the job id as the first packet's
   * comment (frame.comment, Expert Info), since stderr would be shown
   * as an error and the log is out of sight. */
  g_autofree char *note =
      job_id == NULL
          ? NULL
          : stop_saved
                ? g_strdup_printf("nodecap: saved job %s on %s; it stops with "
                                  "this capture; fetch it with: nodecap "
                                  "fetch %s %s",
                                  job_id, cfg.host, cfg.host, job_id)
                : g_strdup_printf("nodecap: saved job %s on %s; it keeps "
                                  "running after this capture (nodecap stop "
                                  "%s %s); fetch it with: nodecap fetch %s %s",
                                  job_id, cfg.host, cfg.host, job_id,
                                  cfg.host, job_id);
  mo.note = note;
  gboolean ok = ncap_multi_capture(&cfg, hosts, helper, &opts, &mo, a->fifo,
                                   true, error);
  if (job_id != NULL && stop_saved) {
    g_autoptr(GError) local = NULL;
    if (!ncap_jobs_stop_saved(&cfg, helper, job_id, ok ? error : &local))
      return FALSE;
    ncap_ssh_log("saved job %s stopped", job_id);
  }
  return ok;
}

/* tshark/dumpcap wait on the fifo: an extcap that fails after they have
 * opened its read end (anything slower than an instant exit) leaves
 * tshark hanging, past -a duration, until it is killed. Opening and
 * closing the write end gives dumpcap EOF; tshark then ends at once and
 * shows our stderr line as "Error by extcap pipe: <line>" (4.0) or
 * "Error from extcap pipe: <line>" (4.4, 4.6; see docs/extcap.md). */
/* The fifo of a failed capture call, released by main once the error
 * line is out (ncap_extcap_release_fifo). */
static char *failed_fifo;

static void
release_fifo(const char *fifo)
{
  /* dumpcap opens the read end shortly after starting us; on a loaded
   * machine that can take seconds, and an instant failure (bad option,
   * refused connection) comes first. */
  for (int i = 0; i < 200; i++) {
    int fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0) {
      close(fd);
      return;
    }
    if (errno != ENXIO)
      return;
    g_usleep(50 * 1000); /* no reader yet */
  }
}

static gboolean
run_capture(const ExtcapArgs *a, GError **error)
{
  if (a->fifo == NULL || *a->fifo == '\0') {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                "--capture needs --fifo PATH");
    return FALSE;
  }
  gboolean ok = run_capture_inner(a, error);
  if (!ok) {
    g_free(failed_fifo);
    failed_fifo = g_strdup(a->fifo);
  }
  return ok;
}

void
ncap_extcap_release_fifo(void)
{
  if (failed_fifo != NULL)
    release_fifo(failed_fifo);
  g_clear_pointer(&failed_fifo, g_free);
}

gboolean
ncap_extcap_run(int argc, char **argv, GError **error)
{
  g_auto(ExtcapArgs) a = {0};
  const GOptionEntry entries[] = {
      {"extcap-interfaces", 0, 0, G_OPTION_ARG_NONE, &a.list_interfaces,
       "List the extcap interfaces", NULL},
      {"extcap-version", 0, 0, G_OPTION_ARG_STRING, &a.version,
       "Wireshark's version", "V"},
      {"extcap-dlts", 0, 0, G_OPTION_ARG_NONE, &a.list_dlts, "List the DLTs",
       NULL},
      {"extcap-interface", 0, 0, G_OPTION_ARG_STRING, &a.iface,
       "The extcap interface", "IFACE"},
      {"extcap-config", 0, 0, G_OPTION_ARG_NONE, &a.config,
       "List the configuration options", NULL},
      {"extcap-reload-option", 0, 0, G_OPTION_ARG_STRING, &a.reload_option,
       "Reload the values of an option", "OPT"},
      {"extcap-capture-filter", 0, 0, G_OPTION_ARG_STRING, &a.capture_filter,
       "Capture filter", "BPF"},
      {"extcap-control-in", 0, 0, G_OPTION_ARG_STRING, &a.control_in,
       "Unused", "PIPE"},
      {"extcap-control-out", 0, 0, G_OPTION_ARG_STRING, &a.control_out,
       "Unused", "PIPE"},
      {"capture", 0, 0, G_OPTION_ARG_NONE, &a.capture, "Capture", NULL},
      {"fifo", 0, 0, G_OPTION_ARG_FILENAME, &a.fifo, "Output fifo", "PATH"},
      {"remote-host", 0, 0, G_OPTION_ARG_STRING, &a.host, "Node", "HOST"},
      {"remote-port", 0, 0, G_OPTION_ARG_STRING, &a.port, "SSH port", "N"},
      {"remote-username", 0, 0, G_OPTION_ARG_STRING, &a.user, "User", "USER"},
      {"remote-password", 0, 0, G_OPTION_ARG_STRING, &a.password,
       "Password (visible in ps)", "PW"},
      {"remote-password-file", 0, 0, G_OPTION_ARG_FILENAME, &a.password_file,
       "Password file", "FILE"},
      {"sshkey", 0, 0, G_OPTION_ARG_FILENAME, &a.sshkey, "Private key",
       "FILE"},
      {"sshkey-passphrase", 0, 0, G_OPTION_ARG_STRING, &a.passphrase,
       "Key passphrase", "PW"},
      {"known-hosts", 0, 0, G_OPTION_ARG_FILENAME, &a.known_hosts,
       "known_hosts file", "FILE"},
      {"accept-new-host-key", 0, 0, G_OPTION_ARG_STRING, &a.accept_new,
       "Accept an unknown host key", "true|false"},
      {"connect-timeout", 0, 0, G_OPTION_ARG_STRING, &a.connect_timeout,
       "Connect time-out", "S"},
      {"remote-helper", 0, 0, G_OPTION_ARG_STRING, &a.helper,
       "Helper on the node", "PATH"},
      {"capture-with", 0, 0, G_OPTION_ARG_STRING, &a.capture_with, "",
       "auto|helper|dumpcap|tcpdump"},
      {"remote-priv", 0, 0, G_OPTION_ARG_STRING, &a.remote_priv, "",
       "none|sudo|doas"},
      {"proxyjump", 0, 0, G_OPTION_ARG_STRING, &a.proxyjump,
       "Jump hosts", "[USER@]HOST[:PORT][,...]"},
      {"remote-interface", 0, 0, G_OPTION_ARG_STRING, &a.remote_iface,
       "Interface on the node", "IFACE"},
      {"remote-filter", 0, 0, G_OPTION_ARG_STRING, &a.remote_filter,
       "BPF filter", "BPF"},
      {"src-host", 0, 0, G_OPTION_ARG_STRING, &a.src_host, "", "ADDR"},
      {"dst-host", 0, 0, G_OPTION_ARG_STRING, &a.dst_host, "", "ADDR"},
      {"src-port", 0, 0, G_OPTION_ARG_STRING, &a.src_port, "", "PORT"},
      {"dst-port", 0, 0, G_OPTION_ARG_STRING, &a.dst_port, "", "PORT"},
      {"proto", 0, 0, G_OPTION_ARG_STRING, &a.proto, "", "PROTO"},
      {"capture-type", 0, 0, G_OPTION_ARG_STRING, &a.capture_type, "",
       "full|simple"},
      {"snaplen", 0, 0, G_OPTION_ARG_STRING, &a.snaplen, "", "N"},
      {"sample", 0, 0, G_OPTION_ARG_STRING, &a.sample, "", "N"},
      {"time-limit", 0, 0, G_OPTION_ARG_STRING, &a.time_limit, "", "S"},
      {"packet-limit", 0, 0, G_OPTION_ARG_STRING, &a.packet_limit, "", "N"},
      {"byte-limit", 0, 0, G_OPTION_ARG_STRING, &a.byte_limit, "", "B"},
      {"sample-by", 0, 0, G_OPTION_ARG_STRING, &a.sample_by, "",
       "count|hash"},
      {"promiscuous", 0, 0, G_OPTION_ARG_STRING, &a.promiscuous, "",
       "true|false"},
      {"clock-correct", 0, 0, G_OPTION_ARG_STRING, &a.clock_correct, "",
       "true|false"},
      {"merge-window-ms", 0, 0, G_OPTION_ARG_STRING, &a.merge_window_ms, "",
       "MS"},
      {"merge-window-mb", 0, 0, G_OPTION_ARG_STRING, &a.merge_window_mb, "",
       "MIB"},
      {"allow-partial", 0, 0, G_OPTION_ARG_STRING, &a.allow_partial, "",
       "true|false"},
      {"save-on-node", 0, 0, G_OPTION_ARG_STRING, &a.save_on_node, "",
       "true|false"},
      {"max-size", 0, 0, G_OPTION_ARG_STRING, &a.max_size, "", "MB"},
      {"file-size", 0, 0, G_OPTION_ARG_STRING, &a.file_size, "", "MB"},
      {"delete-on-start", 0, 0, G_OPTION_ARG_STRING, &a.delete_on_start, "",
       "true|false"},
      {"stop-saved-on-exit", 0, 0, G_OPTION_ARG_STRING, &a.stop_saved, "",
       "true|false"},
      {"save-destination", 0, 0, G_OPTION_ARG_STRING, &a.save_destination, "",
       "s3://BUCKET/PREFIX"},
      {"save-upload-delete", 0, 0, G_OPTION_ARG_STRING,
       &a.save_upload_delete, "", "true|false"},
      {"log-level", 0, 0, G_OPTION_ARG_STRING, &a.log_level, "", "LEVEL"},
      {"log-file", 0, 0, G_OPTION_ARG_FILENAME, &a.log_file, "", "FILE"},
      {NULL},
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("- nodecap extcap");
  g_auto(GStrv) args = g_strdupv(argv);

  (void)argc;
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_option_context_set_help_enabled(ctx, FALSE);
  if (!ncap_goption_parse_strv(ctx, NULL, &args, error))
    return FALSE;
  if (!ncap_ssh_log_init(a.log_level, a.log_file, error))
    return FALSE;
  ncap_ssh_log("extcap call:%s%s%s%s%s", a.list_interfaces ? " interfaces" : "",
               a.list_dlts ? " dlts" : "", a.config ? " config" : "",
               a.capture ? " capture" : "",
               a.capture_filter && !a.capture ? " filter-check" : "");

  if (a.list_interfaces) {
    print_interfaces();
    return TRUE;
  }
  if (a.iface == NULL || strcmp(a.iface, NCAP_EXTCAP_INTERFACE) != 0) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                "unknown extcap interface \"%s\" (this is \"%s\")",
                a.iface ? a.iface : "", NCAP_EXTCAP_INTERFACE);
    return FALSE;
  }
  if (a.list_dlts) {
    print_dlts();
    return TRUE;
  }
  if (a.config) {
    if (a.reload_option != NULL)
      return reload_interfaces(&a, error);
    print_config();
    return TRUE;
  }
  if (a.capture)
    return run_capture(&a, error);
  if (a.capture_filter != NULL) {
    /* Wireshark reads the verdict from stdout and the exit status. */
    if (!ncap_filter_check_syntax(a.capture_filter, error)) {
      printf("%s\n", (*error)->message);
      return FALSE;
    }
    return TRUE;
  }
  g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
              "no extcap action given (--extcap-interfaces, --extcap-dlts, "
              "--extcap-config, --capture)");
  return FALSE;
}
