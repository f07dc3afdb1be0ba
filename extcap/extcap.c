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

#include "log.h"
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
  char *remote_iface, *more_ifaces, *remote_filter, *src_host, *dst_host,
      *src_port, *dst_port, *proto, *capture_type, *snaplen, *sample, *time_limit,
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

static void extcap_args_clear(ExtcapArgs *a);
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

/* One dialog option: its --extcap-config line, its GOption entry (a string
 * in ExtcapArgs, parsed by the module that owns it) and its number. The
 * fields of the arg line are written in this order. */
typedef struct {
  const char *value, *display;
  bool def;
} ExtcapValue;

typedef struct {
  int number;                 /* {number=}: unique, referred to by reloads */
  const char *name;           /* the option without "--" */
  const char *display, *type;
  const char *attrs;          /* {mustexist=..}{reload=..}{placeholder=..} */
  const char *def;            /* {default=}, NULL: none */
  guint64 min, max;           /* {range=min,max} when has_range */
  bool has_range, required;
  const char *tooltip, *group;
  const ExtcapValue *values;  /* a selector's values, NULL-terminated */
  goffset field;              /* the char * in ExtcapArgs */
  GOptionArg arg;             /* STRING or FILENAME */
  const char *help, *arg_description;
} ExtcapOption;

static const ExtcapValue values_remote_interface[] = {
    {"any", "any (all interfaces)", true},
    {"lo", "lo", false},
    {"eth0", "eth0", false},
    {NULL, NULL, false},
};
static const ExtcapValue values_capture_type[] = {
    {"full", "full", true},
    {"simple", "simple", false},
    {NULL, NULL, false},
};
static const ExtcapValue values_log_level[] = {
    {"error", "error", false},
    {"warning", "warning", true},
    {"info", "info", false},
    {"debug", "debug (with libssh's protocol log)", false},
    {NULL, NULL, false},
};
static const ExtcapValue values_sample_by[] = {
    {"count", "count", true},
    {"hash", "hash (same packets on every node)", false},
    {NULL, NULL, false},
};
static const ExtcapValue values_capture_with[] = {
    {"auto", "auto", true},
    {"helper", "nodecap-helper", false},
    {"dumpcap", "dumpcap", false},
    {"tcpdump", "tcpdump", false},
    {NULL, NULL, false},
};
static const ExtcapValue values_remote_priv[] = {
    {"none", "none", true},
    {"sudo", "sudo", false},
    {"doas", "doas", false},
    {NULL, NULL, false},
};

/* Every dialog option, in the dialog's order: the --extcap-config lines,
 * the GOption entries and the argument numbers come from here. */
static const ExtcapOption options[] = {
    {.number = 0, .name = "remote-host", .display = "Node(s)",
     .type = "string",
     .tooltip = "Node to capture on: host, user@host or user@host:port "
         "(ssh_config host aliases work); several nodes separated by "
         "commas (nodeA,nodeB:2222,user@nodeC) are captured at once "
         "and merged",
     .required = true,
     .group = "Node",
     .field = G_STRUCT_OFFSET(ExtcapArgs, host), .arg = G_OPTION_ARG_STRING,
     .help = "Node", .arg_description = "HOST"},
    {.number = 1, .name = "remote-port", .display = "SSH port",
     .type = "unsigned", .def = "22", .min = 1, .max = NCAP_SSH_PORT_MAX,
     .has_range = true,
     .tooltip = "SSH port of the node",
     .group = "Node",
     .field = G_STRUCT_OFFSET(ExtcapArgs, port), .arg = G_OPTION_ARG_STRING,
     .help = "SSH port", .arg_description = "N"},
    {.number = 2, .name = "remote-username", .display = "User name",
     .type = "string",
     .tooltip = "SSH user on the node (default: your own user name)",
     .group = "Node",
     .field = G_STRUCT_OFFSET(ExtcapArgs, user), .arg = G_OPTION_ARG_STRING,
     .help = "User", .arg_description = "USER"},
    {.number = 3, .name = "remote-password", .display = "Password",
     .type = "password",
     .tooltip = "Visible to other local users in the process list: prefer a "
         "key, ssh-agent or a password file",
     .group = "Node",
     .field = G_STRUCT_OFFSET(ExtcapArgs, password), .arg = G_OPTION_ARG_STRING,
     .help = "Password (visible in ps)", .arg_description = "PW"},
    {.number = 4, .name = "remote-password-file", .display = "Password file",
     .type = "fileselect", .attrs = "{mustexist=true}",
     .tooltip = "File whose first line is the SSH password (not shown in the "
         "process list)",
     .group = "Node",
     .field = G_STRUCT_OFFSET(ExtcapArgs, password_file), .arg = G_OPTION_ARG_FILENAME,
     .help = "Password file", .arg_description = "FILE"},
    {.number = 5, .name = "sshkey", .display = "Private key",
     .type = "fileselect", .attrs = "{mustexist=true}",
     .tooltip = "Private key file (default: ssh-agent, then ~/.ssh/id_*)",
     .group = "Node",
     .field = G_STRUCT_OFFSET(ExtcapArgs, sshkey), .arg = G_OPTION_ARG_FILENAME,
     .help = "Private key", .arg_description = "FILE"},
    {.number = 6, .name = "sshkey-passphrase", .display = "Key passphrase",
     .type = "password",
     .tooltip = "Passphrase of the private key",
     .group = "Node",
     .field = G_STRUCT_OFFSET(ExtcapArgs, passphrase), .arg = G_OPTION_ARG_STRING,
     .help = "Key passphrase", .arg_description = "PW"},
    {.number = 7, .name = "known-hosts", .display = "known_hosts file",
     .type = "fileselect",
     .tooltip = "Host keys to trust (default: ~/.ssh/known_hosts); an "
         "unknown or changed key stops the capture",
     .group = "Node",
     .field = G_STRUCT_OFFSET(ExtcapArgs, known_hosts), .arg = G_OPTION_ARG_FILENAME,
     .help = "known_hosts file", .arg_description = "FILE"},
    {.number = 8, .name = "accept-new-host-key", .display = "Accept a new host key",
     .type = "boolean", .def = "false",
     .tooltip = "Trust and save the key of a node not yet in known_hosts; a "
         "changed key is never accepted",
     .group = "Node",
     .field = G_STRUCT_OFFSET(ExtcapArgs, accept_new), .arg = G_OPTION_ARG_STRING,
     .help = "Accept an unknown host key", .arg_description = "true|false"},
    {.number = 9, .name = "connect-timeout", .display = "Connect time-out (s)",
     .type = "unsigned", .def = "10", .min = 1,
     .max = NCAP_SSH_CONNECT_TIMEOUT_MAX, .has_range = true,
     .tooltip = "Give up connecting and authenticating after this many "
         "seconds",
     .group = "Node",
     .field = G_STRUCT_OFFSET(ExtcapArgs, connect_timeout), .arg = G_OPTION_ARG_STRING,
     .help = "Connect time-out", .arg_description = "S"},
    {.number = 10, .name = "remote-helper", .display = "Helper on the node",
     .type = "string", .def = "nodecap-helper",
     .tooltip = "Path or name of nodecap-helper on the node",
     .group = "Node",
     .field = G_STRUCT_OFFSET(ExtcapArgs, helper), .arg = G_OPTION_ARG_STRING,
     .help = "Helper on the node", .arg_description = "PATH"},
    {.number = 11, .name = "remote-interface", .display = "Remote interface",
     .type = "selector", .attrs = "{reload=true}{placeholder=Reload to ask the node}",
     .tooltip = "Interface on the node; Reload lists the node's interfaces",
     .group = "Capture", .values = values_remote_interface,
     .field = G_STRUCT_OFFSET(ExtcapArgs, remote_iface), .arg = G_OPTION_ARG_STRING,
     .help = "Interface(s) on the node, comma-separated",
     .arg_description = "IFACE[,IFACE...]"},
    /* Wireshark 4.0's selector takes no typed text (its editselector came
     * later): further interfaces get a text field of their own. */
    {.number = 46, .name = "more-interfaces", .display = "More interfaces",
     .type = "string", .attrs = "{placeholder=eth1,eth2}",
     .tooltip = "Further interfaces on the node, comma-separated, captured "
         "with the one above: one pcapng interface and one helper each",
     .group = "Capture",
     .field = G_STRUCT_OFFSET(ExtcapArgs, more_ifaces), .arg = G_OPTION_ARG_STRING,
     .help = "Further interfaces on the node, added to --remote-interface",
     .arg_description = "IFACE[,IFACE...]"},
    {.number = 12, .name = "remote-filter", .display = "Capture filter (BPF)",
     .type = "string",
     .tooltip = "libpcap filter applied on the node, ANDed with the fields "
         "below and the capture filter of the main window",
     .group = "Capture",
     .field = G_STRUCT_OFFSET(ExtcapArgs, remote_filter), .arg = G_OPTION_ARG_STRING,
     .help = "BPF filter", .arg_description = "BPF"},
    {.number = 13, .name = "src-host", .display = "Source host",
     .type = "string",
     .tooltip = "IPv4 or IPv6 address",
     .group = "Capture",
     .field = G_STRUCT_OFFSET(ExtcapArgs, src_host), .arg = G_OPTION_ARG_STRING,
     .help = "", .arg_description = "ADDR"},
    {.number = 14, .name = "dst-host", .display = "Destination host",
     .type = "string",
     .tooltip = "IPv4 or IPv6 address",
     .group = "Capture",
     .field = G_STRUCT_OFFSET(ExtcapArgs, dst_host), .arg = G_OPTION_ARG_STRING,
     .help = "", .arg_description = "ADDR"},
    {.number = 15, .name = "src-port", .display = "Source port",
     .type = "string",
     .tooltip = "0-65535",
     .group = "Capture",
     .field = G_STRUCT_OFFSET(ExtcapArgs, src_port), .arg = G_OPTION_ARG_STRING,
     .help = "", .arg_description = "PORT"},
    {.number = 16, .name = "dst-port", .display = "Destination port",
     .type = "string",
     .tooltip = "0-65535",
     .group = "Capture",
     .field = G_STRUCT_OFFSET(ExtcapArgs, dst_port), .arg = G_OPTION_ARG_STRING,
     .help = "", .arg_description = "PORT"},
    {.number = 17, .name = "proto", .display = "Protocol",
     .type = "string",
     .tooltip = "tcp, udp, icmp, icmp6, sctp or an IP protocol number",
     .group = "Capture",
     .field = G_STRUCT_OFFSET(ExtcapArgs, proto), .arg = G_OPTION_ARG_STRING,
     .help = "", .arg_description = "PROTO"},
    {.number = 18, .name = "capture-type", .display = "Capture type",
     .type = "selector",
     .tooltip = "simple: 160-byte snapshots, at most 300 s and 10000 packets",
     .group = "Capture", .values = values_capture_type,
     .field = G_STRUCT_OFFSET(ExtcapArgs, capture_type), .arg = G_OPTION_ARG_STRING,
     .help = "", .arg_description = "full|simple"},
    {.number = 19, .name = "snaplen", .display = "Snapshot length",
     .type = "unsigned", .def = "262144", .min = 1, .max = 262144, .has_range = true,
     .tooltip = "Bytes kept of each packet",
     .group = "Capture",
     .field = G_STRUCT_OFFSET(ExtcapArgs, snaplen), .arg = G_OPTION_ARG_STRING,
     .help = "", .arg_description = "N"},
    {.number = 20, .name = "sample", .display = "Keep 1 packet in N",
     .type = "unsigned", .def = "1", .min = 1, .max = 1000000, .has_range = true,
     .tooltip = "1 keeps every packet",
     .group = "Capture",
     .field = G_STRUCT_OFFSET(ExtcapArgs, sample), .arg = G_OPTION_ARG_STRING,
     .help = "", .arg_description = "N"},
    {.number = 21, .name = "time-limit", .display = "Time limit (s)",
     .type = "unsigned", .def = "0", .min = 0, .max = 86400, .has_range = true,
     .tooltip = "0 = no limit",
     .group = "Capture",
     .field = G_STRUCT_OFFSET(ExtcapArgs, time_limit), .arg = G_OPTION_ARG_STRING,
     .help = "", .arg_description = "S"},
    {.number = 22, .name = "packet-limit", .display = "Packet limit",
     .type = "unsigned", .def = "0", .min = 0, .max = 1000000000, .has_range = true,
     .tooltip = "0 = no limit",
     .group = "Capture",
     .field = G_STRUCT_OFFSET(ExtcapArgs, packet_limit), .arg = G_OPTION_ARG_STRING,
     .help = "", .arg_description = "N"},
    {.number = 23, .name = "byte-limit", .display = "Byte limit",
     .type = "unsigned", .def = "0", .min = 0, .max = 1000000000, .has_range = true,
     .tooltip = "0 = no limit",
     .group = "Capture",
     .field = G_STRUCT_OFFSET(ExtcapArgs, byte_limit), .arg = G_OPTION_ARG_STRING,
     .help = "", .arg_description = "B"},
    {.number = 41, .name = "promiscuous", .display = "Promiscuous mode",
     .type = "boolean", .def = "true",
     .tooltip = "Untick to capture only what is addressed to the node "
         "(tcpdump -p)",
     .group = "Capture",
     .field = G_STRUCT_OFFSET(ExtcapArgs, promiscuous), .arg = G_OPTION_ARG_STRING,
     .help = "", .arg_description = "true|false"},
    {.number = 24, .name = "save-on-node", .display = "Also keep a ring on the node",
     .type = "boolean", .def = "false",
     .tooltip = "Start a saved job on the node with the same capture options "
         "before the live capture; it keeps running after the live "
         "capture ends (nodecap list/stop/fetch HOST) unless the box "
         "below is ticked",
     .group = "Save on node",
     .field = G_STRUCT_OFFSET(ExtcapArgs, save_on_node), .arg = G_OPTION_ARG_STRING,
     .help = "", .arg_description = "true|false"},
    {.number = 25, .name = "max-size", .display = "Maximum size (MB)",
     .type = "unsigned", .def = "10", .min = 1, .max = 1000, .has_range = true,
     .group = "Save on node",
     .field = G_STRUCT_OFFSET(ExtcapArgs, max_size), .arg = G_OPTION_ARG_STRING,
     .help = "", .arg_description = "MB"},
    {.number = 26, .name = "file-size", .display = "File size (MB)",
     .type = "unsigned", .def = "10", .min = 1, .max = 1000, .has_range = true,
     .group = "Save on node",
     .field = G_STRUCT_OFFSET(ExtcapArgs, file_size), .arg = G_OPTION_ARG_STRING,
     .help = "", .arg_description = "MB"},
    {.number = 27, .name = "delete-on-start", .display = "Delete older captures first",
     .type = "boolean", .def = "false",
     .group = "Save on node",
     .field = G_STRUCT_OFFSET(ExtcapArgs, delete_on_start), .arg = G_OPTION_ARG_STRING,
     .help = "", .arg_description = "true|false"},
    {.number = 34, .name = "stop-saved-on-exit", .display = "Stop the ring when the live capture stops",
     .type = "boolean", .def = "false",
     .tooltip = "Otherwise the saved job runs on until nodecap stop HOST or "
         "one of its limits",
     .group = "Save on node",
     .field = G_STRUCT_OFFSET(ExtcapArgs, stop_saved), .arg = G_OPTION_ARG_STRING,
     .help = "", .arg_description = "true|false"},
    {.number = 35, .name = "save-destination", .display = "Upload to",
     .type = "string",
     .tooltip = "s3://BUCKET/PREFIX: the node uploads each finished file of "
         "the ring to this bucket (endpoint and credentials are the "
         "node's, in its nodecap.conf); empty = keep on the node only",
     .group = "Save on node",
     .field = G_STRUCT_OFFSET(ExtcapArgs, save_destination), .arg = G_OPTION_ARG_STRING,
     .help = "", .arg_description = "s3://BUCKET/PREFIX"},
    {.number = 36, .name = "save-upload-delete", .display = "Delete a file on the node once uploaded",
     .type = "boolean", .def = "false",
     .tooltip = "Only after the object's checksum is confirmed",
     .group = "Save on node",
     .field = G_STRUCT_OFFSET(ExtcapArgs, save_upload_delete), .arg = G_OPTION_ARG_STRING,
     .help = "", .arg_description = "true|false"},
    {.number = 28, .name = "log-level", .display = "Log level",
     .type = "selector",
     .group = "Debug", .values = values_log_level,
     .field = G_STRUCT_OFFSET(ExtcapArgs, log_level), .arg = G_OPTION_ARG_STRING,
     .help = "", .arg_description = "LEVEL"},
    {.number = 29, .name = "log-file", .display = "Log file",
     .type = "fileselect",
     .tooltip = "Where the log goes (never to the capture)",
     .group = "Debug",
     .field = G_STRUCT_OFFSET(ExtcapArgs, log_file), .arg = G_OPTION_ARG_FILENAME,
     .help = "", .arg_description = "FILE"},
    {.number = 30, .name = "sample-by", .display = "Sample by",
     .type = "selector",
     .tooltip = "count: every N-th packet of each node; hash: packets whose "
         "identity hash falls in 1/N, so every node keeps the same "
         "packets",
     .group = "Capture", .values = values_sample_by,
     .field = G_STRUCT_OFFSET(ExtcapArgs, sample_by), .arg = G_OPTION_ARG_STRING,
     .help = "", .arg_description = "count|hash"},
    {.number = 31, .name = "clock-correct", .display = "Correct node clocks",
     .type = "boolean", .def = "false",
     .tooltip = "Subtract each node's clock offset, measured at connect, "
         "from its timestamps (the offset is always recorded in the "
         "interface description)",
     .group = "Multi-node",
     .field = G_STRUCT_OFFSET(ExtcapArgs, clock_correct), .arg = G_OPTION_ARG_STRING,
     .help = "", .arg_description = "true|false"},
    {.number = 32, .name = "merge-window-ms", .display = "Merge window (ms)",
     .type = "unsigned", .def = G_STRINGIFY(NCAP_MULTI_DEFAULT_WINDOW_MS),
     .min = NCAP_MULTI_WINDOW_MS_MIN, .max = NCAP_MULTI_WINDOW_MS_MAX,
     .has_range = true,
     .tooltip = "Longest time a packet waits for slower nodes before it is "
         "written",
     .group = "Multi-node",
     .field = G_STRUCT_OFFSET(ExtcapArgs, merge_window_ms), .arg = G_OPTION_ARG_STRING,
     .help = "", .arg_description = "MS"},
    {.number = 33, .name = "merge-window-mb", .display = "Merge memory (MiB)",
     .type = "unsigned", .def = G_STRINGIFY(NCAP_MULTI_DEFAULT_WINDOW_MB),
     .min = NCAP_MULTI_WINDOW_MB_MIN, .max = NCAP_MULTI_WINDOW_MB_MAX,
     .has_range = true,
     .tooltip = "Most bytes held for ordering, all nodes together",
     .group = "Multi-node",
     .field = G_STRUCT_OFFSET(ExtcapArgs, merge_window_mb), .arg = G_OPTION_ARG_STRING,
     .help = "", .arg_description = "MIB"},
    {.number = 45, .name = "allow-partial", .display = "Allow a partial capture",
     .type = "boolean", .def = "false",
     .tooltip = "When some nodes fail and others are captured, end without "
         "an error (by default the capture then ends with status 20)",
     .group = "Multi-node",
     .field = G_STRUCT_OFFSET(ExtcapArgs, allow_partial), .arg = G_OPTION_ARG_STRING,
     .help = "", .arg_description = "true|false"},
    {.number = 37, .name = "proxyjump", .display = "Jump host(s)",
     .type = "string",
     .tooltip = "Reach the node(s) through these SSH jump hosts, first hop "
         "first: [user@]host[:port][,...] (as ssh -J); each jump "
         "host's key is checked against the same known_hosts; empty: "
         "ssh_config's ProxyJump",
     .group = "Node",
     .field = G_STRUCT_OFFSET(ExtcapArgs, proxyjump), .arg = G_OPTION_ARG_STRING,
     .help = "Jump hosts", .arg_description = "[USER@]HOST[:PORT][,...]"},
    {.number = 38, .name = "capture-with", .display = "Capture program",
     .type = "selector",
     .tooltip = "What captures on the node: nodecap-helper (node policy, "
         "audit, sampling), or the node's own dumpcap or tcpdump when "
         "the helper is not installed (no policy or audit; sampling "
         "and the byte limit need the helper); auto takes the helper, "
         "else dumpcap, else tcpdump",
     .group = "Capture", .values = values_capture_with,
     .field = G_STRUCT_OFFSET(ExtcapArgs, capture_with), .arg = G_OPTION_ARG_STRING,
     .help = "", .arg_description = "auto|helper|dumpcap|tcpdump"},
    {.number = 39, .name = "remote-priv", .display = "Privilege on the node",
     .type = "selector",
     .tooltip = "Run dumpcap/tcpdump through sudo -n or doas -n: never "
         "prompts, a password request stops the capture with a clear "
         "line",
     .group = "Capture", .values = values_remote_priv,
     .field = G_STRUCT_OFFSET(ExtcapArgs, remote_priv), .arg = G_OPTION_ARG_STRING,
     .help = "", .arg_description = "none|sudo|doas"},
};

static void
extcap_args_clear(ExtcapArgs *a)
{
  char **conversation[] = {
      &a->version, &a->iface, &a->reload_option, &a->fifo, &a->capture_filter,
      &a->control_in, &a->control_out,
  };
  for (gsize i = 0; i < G_N_ELEMENTS(conversation); i++)
    g_clear_pointer(conversation[i], g_free);
  for (gsize i = 0; i < G_N_ELEMENTS(options); i++)
    g_clear_pointer((char **)G_STRUCT_MEMBER_P(a, options[i].field), g_free);
}

static int
option_number(const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS(options); i++)
    if (strcmp(options[i].name, name) == 0)
      return options[i].number;
  g_assert_not_reached();
}

static void
print_config(void)
{
  for (gsize i = 0; i < G_N_ELEMENTS(options); i++) {
    const ExtcapOption *o = &options[i];
    GString *l = g_string_new(NULL);
    g_string_append_printf(l, "arg {number=%d}{call=--%s}{display=%s}{type=%s}",
                           o->number, o->name, o->display, o->type);
    if (o->attrs != NULL)
      g_string_append(l, o->attrs);
    if (o->def != NULL)
      g_string_append_printf(l, "{default=%s}", o->def);
    if (o->has_range)
      g_string_append_printf(l, "{range=%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT "}",
                             o->min, o->max);
    if (o->tooltip != NULL)
      g_string_append_printf(l, "{tooltip=%s}", o->tooltip);
    if (o->required)
      g_string_append(l, "{required=true}");
    g_string_append_printf(l, "{group=%s}", o->group);
    printf("%s\n", l->str);
    g_string_free(l, TRUE);
    for (const ExtcapValue *v = o->values; v != NULL && v->value != NULL; v++)
      printf("value {arg=%d}{value=%s}{display=%s}%s\n", o->number, v->value,
             v->display, v->def ? "{default=true}" : "");
  }
}

/* The GOption entries of the dialog's options, after `first` (transfer
 * full; the strings are static). */
static GOptionEntry *
option_entries(const GOptionEntry *first, gsize n_first, ExtcapArgs *a)
{
  GOptionEntry *e = g_new0(GOptionEntry, n_first + G_N_ELEMENTS(options) + 1);
  memcpy(e, first, n_first * sizeof *e);
  for (gsize i = 0; i < G_N_ELEMENTS(options); i++) {
    const ExtcapOption *o = &options[i];
    e[n_first + i] = (GOptionEntry){o->name, 0, 0, o->arg,
                                    G_STRUCT_MEMBER_P(a, o->field), o->help,
                                    o->arg_description};
  }
  return e;
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

/* hosts: each node's interfaces become their sources when the field
 * lists several (ncap_multi_hosts_set_ifaces); n_ifaces receives how
 * many. */
static gboolean
capture_opts_from_args(const ExtcapArgs *a, GPtrArray *hosts,
                       NcapCaptureOpts *opts, guint *n_ifaces, GError **error)
{
  NcapCaptureArgs ca = {0};
  NcapLimits limits;
  gboolean ok;
  bool one = a->remote_iface && *a->remote_iface;
  bool more = a->more_ifaces && *a->more_ifaces;
  g_autofree char *list =
      one && more ? g_strdup_printf("%s,%s", a->remote_iface, a->more_ifaces)
      : one       ? g_strdup(a->remote_iface)
      : more      ? g_strdup(a->more_ifaces)
                  : g_strdup("any");
  g_auto(GStrv) ifaces = ncap_multi_parse_ifaces(list, hosts->len, error);

  if (ifaces == NULL)
    return FALSE;
  ncap_limits_init_default(&limits);
  ca.iface = g_strdup(ifaces[0]);
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
  if (ok) {
    *n_ifaces = g_strv_length(ifaces);
    ncap_multi_hosts_set_ifaces(hosts, ifaces);
  }
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
    printf("value {arg=%d}{value=%s}{display=%s}%s\n", option_number("remote-interface"),
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
  /* An empty field in the dialog is the default. */
  return ncap_multi_opts_set_windows(
      mo, a->merge_window_ms && *a->merge_window_ms ? a->merge_window_ms : NULL,
      a->merge_window_mb && *a->merge_window_mb ? a->merge_window_mb : NULL,
      error);
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
  guint n_ifaces = 1;
  if (!capture_opts_from_args(a, hosts, &opts, &n_ifaces, error))
    return FALSE;
  if (!multi_opts_from_args(a, &mo, error))
    return FALSE;
  if (save && n_ifaces > 1) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                "\"Save on node\" takes one interface (a saved job captures "
                "one); for several, untick it or start one job each");
    return FALSE;
  }
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
    ncap_log("saved job %s started on %s%s%s (%s)", job_id, cfg.host,
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
    ncap_log("saved job %s stopped", job_id);
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
  const GOptionEntry conversation[] = {
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
  };
  g_autofree GOptionEntry *entries =
      option_entries(conversation, G_N_ELEMENTS(conversation), &a);
  g_autoptr(GOptionContext) ctx = g_option_context_new("- nodecap extcap");
  g_auto(GStrv) args = g_strdupv(argv);

  (void)argc;
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_option_context_set_help_enabled(ctx, FALSE);
  if (!ncap_goption_parse_strv(ctx, NULL, &args, error))
    return FALSE;
  if (!ncap_ssh_log_init(a.log_level, a.log_file, error))
    return FALSE;
  ncap_log("extcap call:%s%s%s%s%s", a.list_interfaces ? " interfaces" : "",
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
