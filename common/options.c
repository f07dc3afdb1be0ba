/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Capture options: the one place that says what a valid capture request is.
 * The client runs it to fail early; the node runs it again as the authority
 * (its own nodecap.conf maxima), so nothing here may trust its input: every
 * string may come from the network. No libpcap, no DNS, no /etc/protocols:
 * the node must behave the same on a minimal system. See docs/options.md. */
#include "options.h"

#include "ncap-error.h"
#include "port.h"

#include <string.h>

#define NCAP_BPF_MAX_LEN 4096
#define NCAP_IFNAME_MAX 15 /* IFNAMSIZ - 1: the kernel's limit */

/* MB * 1,000,000 must fit in 64 bits for whoever turns it into bytes. */
#define NCAP_MB_MAX (G_MAXUINT64 / 1000000u)

void
ncap_limits_init_default(NcapLimits *limits)
{
  limits->simple_time_max = 300;
  limits->simple_packet_max = 10000;
  limits->time_max = 86400;
  limits->packet_max = 1000000000;
  limits->byte_max = 1000000000;
  limits->max_size_max = 1000;
  limits->file_size_max = 1000;
  limits->snaplen_max = NCAP_DEFAULT_SNAPLEN;
  limits->sample_max = 1000000;
  limits->stall_timeout_max = 3600;
}

/* ---- values in messages ------------------------------------------------ */

/* A value as it appears in an error: as typed when that is unambiguous,
 * else quoted and escaped (empty, spaces, control bytes), and cut when long
 * so a 4 kB filter does not flood the one-line message. */
static char *
show_value(const char *value)
{
  if (value == NULL)
    return g_strdup("(none)");
  gboolean plain = value[0] != '\0';
  for (const char *p = value; *p && plain; p++)
    if (g_ascii_isspace(*p) || g_ascii_iscntrl(*p) || *p == '"' || *p == '\\' ||
        (guchar)*p >= 0x80)
      plain = FALSE;
  g_autofree char *cut = NULL;
  if (strlen(value) > 64)
    cut = g_strdup_printf("%.60s...", value);
  const char *v = cut ? cut : value;
  if (plain)
    return g_strdup(v);
  g_autofree char *esc = g_strescape(v, NULL);
  return g_strdup_printf("\"%s\"", esc);
}

/* ---- numbers ------------------------------------------------------------ */

/* Digits only: no sign, no space, no 0x, no trailing unit. strtoull would
 * accept " 5", "+5", "-5" (wrapping to a huge value) and "5x" with the
 * wrong end pointer check, so the digits are counted by hand. */
static gboolean
parse_digits(const char *value, guint64 *out, gboolean *overflow)
{
  guint64 v = 0;
  *overflow = FALSE;
  if (value == NULL || value[0] == '\0')
    return FALSE;
  for (const char *p = value; *p; p++) {
    if (*p < '0' || *p > '9')
      return FALSE;
    guint d = (guint)(*p - '0');
    if (v > (G_MAXUINT64 - d) / 10)
      *overflow = TRUE;
    else
      v = v * 10 + d;
  }
  *out = v;
  return TRUE;
}

/* ncap_parse_u64 with a context for the range ("for simple captures"). */
static gboolean
parse_u64_ctx(const char *name, const char *value, guint64 min, guint64 max,
              const char *ctx, guint64 *out, GError **error)
{
  g_autofree char *shown = show_value(value);
  const char *sep = ctx ? " " : "";
  const char *c = ctx ? ctx : "";
  guint64 v = 0;
  gboolean overflow = FALSE;
  if (!parse_digits(value, &v, &overflow)) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                "%s %s: not a number (%" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT
                "%s%s)",
                name, shown, min, max, sep, c);
    return FALSE;
  }
  if (overflow || v < min || v > max) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                "%s %s: out of range (%" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT
                "%s%s)",
                name, shown, min, max, sep, c);
    return FALSE;
  }
  *out = v;
  return TRUE;
}

gboolean
ncap_parse_u64(const char *name, const char *value, guint64 min, guint64 max,
               guint64 *out, GError **error)
{
  return parse_u64_ctx(name, value, min, max, NULL, out, error);
}

/* ---- nodecap.conf [limits] ---------------------------------------------- */

typedef struct {
  const char *key;
  gsize offset;
  guint64 max; /* largest value an admin may set */
} LimitKey;

static const LimitKey limit_keys[] = {
  { "simple_time_max", G_STRUCT_OFFSET(NcapLimits, simple_time_max), G_MAXUINT64 },
  { "simple_packet_max", G_STRUCT_OFFSET(NcapLimits, simple_packet_max), G_MAXUINT64 },
  { "time_max", G_STRUCT_OFFSET(NcapLimits, time_max), G_MAXUINT64 },
  { "packet_max", G_STRUCT_OFFSET(NcapLimits, packet_max), G_MAXUINT64 },
  { "byte_max", G_STRUCT_OFFSET(NcapLimits, byte_max), G_MAXUINT64 },
  { "max_size_max", G_STRUCT_OFFSET(NcapLimits, max_size_max), NCAP_MB_MAX },
  { "file_size_max", G_STRUCT_OFFSET(NcapLimits, file_size_max), NCAP_MB_MAX },
  /* libpcap clamps anything larger to its MAXIMUM_SNAPLEN anyway. */
  { "snaplen_max", G_STRUCT_OFFSET(NcapLimits, snaplen_max), NCAP_DEFAULT_SNAPLEN },
  { "sample_max", G_STRUCT_OFFSET(NcapLimits, sample_max), G_MAXUINT32 },
  { "stall_timeout_max", G_STRUCT_OFFSET(NcapLimits, stall_timeout_max), G_MAXUINT32 },
};

gboolean
ncap_limits_load_keyfile(NcapLimits *limits, GKeyFile *kf, const char *path,
                         GError **error)
{
  const char *file = path ? path : "nodecap.conf";
  if (!g_key_file_has_group(kf, "limits"))
    return TRUE;

  /* Parse into a copy so a bad file leaves the caller's limits untouched. */
  NcapLimits tmp = *limits;
  gsize n = 0;
  g_auto(GStrv) keys = g_key_file_get_keys(kf, "limits", &n, NULL);
  for (gsize i = 0; keys && keys[i]; i++) {
    const LimitKey *lk = NULL;
    for (gsize j = 0; j < G_N_ELEMENTS(limit_keys); j++)
      if (strcmp(keys[i], limit_keys[j].key) == 0)
        lk = &limit_keys[j];
    /* A misspelt maximum silently ignored would leave the default in force
     * while the admin believes otherwise: refuse it. */
    if (lk == NULL) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_CONFIG,
                  "%s: [limits] %s: unknown key", file, keys[i]);
      return FALSE;
    }
    g_autofree char *raw = g_key_file_get_value(kf, "limits", keys[i], NULL);
    g_autofree char *name = g_strdup_printf("%s: [limits] %s", file, keys[i]);
    g_autoptr(GError) local = NULL;
    guint64 v = 0;
    if (!ncap_parse_u64(name, raw, 1, lk->max, &v, &local)) {
      g_set_error_literal(error, NCAP_ERROR, NCAP_ERROR_CONFIG, local->message);
      return FALSE;
    }
    *(guint64 *)((char *)&tmp + lk->offset) = v;
  }
  *limits = tmp;
  return TRUE;
}

/* ---- args ----------------------------------------------------------------- */

void
ncap_capture_args_clear(NcapCaptureArgs *args)
{
  g_clear_pointer(&args->iface, g_free);
  g_clear_pointer(&args->bpf, g_free);
  g_clear_pointer(&args->src_host, g_free);
  g_clear_pointer(&args->dst_host, g_free);
  g_clear_pointer(&args->src_port, g_free);
  g_clear_pointer(&args->dst_port, g_free);
  g_clear_pointer(&args->proto, g_free);
  g_clear_pointer(&args->type, g_free);
  g_clear_pointer(&args->snaplen, g_free);
  g_clear_pointer(&args->sample, g_free);
  g_clear_pointer(&args->sample_by, g_free);
  g_clear_pointer(&args->time_limit, g_free);
  g_clear_pointer(&args->packet_limit, g_free);
  g_clear_pointer(&args->byte_limit, g_free);
  g_clear_pointer(&args->max_size, g_free);
  g_clear_pointer(&args->file_size, g_free);
  g_clear_pointer(&args->file_duration, g_free);
  args->delete_on_start = FALSE;
  g_clear_pointer(&args->stall_timeout, g_free);
  args->no_promiscuous = FALSE;
}

GOptionEntry *
ncap_capture_option_entries(NcapCaptureArgs *args, bool saved, bool stream)
{
  /* Ranges in the descriptions are the defaults: the client cannot know the
   * node's nodecap.conf, and the node's own message names the real range. */
  const GOptionEntry common[] = {
    { "interface", 'i', 0, G_OPTION_ARG_STRING, &args->iface,
      "Interface to capture on (required)", "IFACE" },
    { "filter", 'f', 0, G_OPTION_ARG_STRING, &args->bpf,
      "Capture filter in libpcap syntax, ANDed with the structured filter "
      "(at most 4096 characters)", "BPF" },
    { "src-host", 0, 0, G_OPTION_ARG_STRING, &args->src_host,
      "Only packets from this IPv4 or IPv6 address (no host names)", "ADDR" },
    { "dst-host", 0, 0, G_OPTION_ARG_STRING, &args->dst_host,
      "Only packets to this IPv4 or IPv6 address (no host names)", "ADDR" },
    { "src-port", 0, 0, G_OPTION_ARG_STRING, &args->src_port,
      "Only packets from this TCP/UDP/SCTP port (0-65535)", "PORT" },
    { "dst-port", 0, 0, G_OPTION_ARG_STRING, &args->dst_port,
      "Only packets to this TCP/UDP/SCTP port (0-65535)", "PORT" },
    { "proto", 0, 0, G_OPTION_ARG_STRING, &args->proto,
      "Only this IP protocol: a number 0-255 or a name (tcp, udp, icmp, "
      "icmp6, sctp, gre, esp, ah, ...)", "PROTO" },
    { "type", 0, 0, G_OPTION_ARG_STRING, &args->type,
      "full (default): whole packets up to --snaplen; simple: first 160 "
      "bytes, at most 300 s and 10000 packets by default", "full|simple" },
    { "snaplen", 0, 0, G_OPTION_ARG_STRING, &args->snaplen,
      "Bytes kept of each packet, 1-262144 (default 262144; simple: 1-160, "
      "default 160)", "BYTES" },
    { "sample", 0, 0, G_OPTION_ARG_STRING, &args->sample,
      "Keep one packet in N, 1-1000000 (default 1: every packet)", "N" },
    { "sample-by", 0, 0, G_OPTION_ARG_STRING, &args->sample_by,
      "count (default): every N-th packet; hash: packets whose identity "
      "hash is 0 mod N, the same packets on every node", "count|hash" },
    { "time-limit", 0, 0, G_OPTION_ARG_STRING, &args->time_limit,
      "Stop after this many seconds: 1-86400 s (simple: 1-300 s, default "
      "300 s); limits may differ on the node", "SECONDS" },
    { "packet-limit", 0, 0, G_OPTION_ARG_STRING, &args->packet_limit,
      "Stop after this many packets: 1-1000000000 (simple: 1-10000)", "N" },
    { "byte-limit", 0, 0, G_OPTION_ARG_STRING, &args->byte_limit,
      "Stop after this many captured bytes: 1-1000000000 bytes", "BYTES" },
    { "no-promiscuous", 0, 0, G_OPTION_ARG_NONE, &args->no_promiscuous,
      "Do not put the interface into promiscuous mode (tcpdump -p)", NULL },
  };
  const GOptionEntry save[] = {
    { "max-size", 0, 0, G_OPTION_ARG_STRING, &args->max_size,
      "Total size of the saved ring in MB (1 MB = 1,000,000 bytes, as "
      "tcpdump -C): 1-1000, default 10; the oldest file is overwritten",
      "MB" },
    { "file-size", 0, 0, G_OPTION_ARG_STRING, &args->file_size,
      "Size of each saved file in MB (1 MB = 1,000,000 bytes): 1-1000, "
      "default 10, never more than --max-size", "MB" },
    { "file-duration", 0, 0, G_OPTION_ARG_STRING, &args->file_duration,
      "Also start a new file when one has been open this many seconds "
      "(1-86400, as tcpdump -G); the ring still holds at most --max-size",
      "SECONDS" },
    { "delete-on-start", 0, 0, G_OPTION_ARG_NONE, &args->delete_on_start,
      "Delete this node's older finished captures first", NULL },
  };
  const GOptionEntry strm[] = {
    { "stall-timeout", 0, 0, G_OPTION_ARG_STRING, &args->stall_timeout,
      "End the stream when the reader makes no progress for this many "
      "seconds: 1-3600 s, default 30 s", "SECONDS" },
  };

  GArray *a = g_array_new(TRUE, TRUE, sizeof(GOptionEntry));
  g_array_append_vals(a, common, G_N_ELEMENTS(common));
  if (saved)
    g_array_append_vals(a, save, G_N_ELEMENTS(save));
  if (stream)
    g_array_append_vals(a, strm, G_N_ELEMENTS(strm));
  /* The zero-terminated array's storage is handed over: g_free() frees it. */
  return (GOptionEntry *)g_array_free(a, FALSE); /* transfer full */
}

/* ---- validation ----------------------------------------------------------- */

void
ncap_capture_opts_clear(NcapCaptureOpts *opts)
{
  g_clear_pointer(&opts->iface, g_free);
  g_clear_pointer(&opts->bpf, g_free);
  g_clear_pointer(&opts->src_host, g_free);
  g_clear_pointer(&opts->dst_host, g_free);
}

/* No /etc/protocols lookup: it may be missing on a node and would make the
 * client and the node disagree. libpcap has keywords for the first five. */
typedef struct {
  const char *name;
  int number;
  const char *bpf; /* libpcap primitive, or NULL: "ip proto N or ip6 proto N" */
} ProtoName;

static const ProtoName proto_names[] = {
  { "icmp", 1, "icmp" },      { "tcp", 6, "tcp" },
  { "udp", 17, "udp" },       { "icmp6", 58, "icmp6" },
  { "ipv6-icmp", 58, "icmp6" }, { "sctp", 132, "sctp" },
  { "hopopt", 0, NULL },      { "igmp", 2, NULL },
  { "ipip", 4, NULL },        { "ipencap", 4, NULL },
  { "egp", 8, NULL },         { "ipv6", 41, NULL },
  { "rsvp", 46, NULL },       { "gre", 47, NULL },
  { "esp", 50, NULL },        { "ah", 51, NULL },
  { "ospf", 89, NULL },       { "pim", 103, NULL },
  { "vrrp", 112, NULL },      { "l2tp", 115, NULL },
  { "udplite", 136, NULL },
};

static const ProtoName *
proto_by_number(int number)
{
  for (gsize i = 0; i < G_N_ELEMENTS(proto_names); i++)
    if (proto_names[i].number == number)
      return &proto_names[i];
  return NULL;
}

static gboolean
parse_proto(const char *value, int *out, GError **error)
{
  for (gsize i = 0; i < G_N_ELEMENTS(proto_names); i++)
    if (g_ascii_strcasecmp(value, proto_names[i].name) == 0) {
      *out = proto_names[i].number;
      return TRUE;
    }
  if (value[0] >= '0' && value[0] <= '9') {
    guint64 v = 0;
    if (!ncap_parse_u64("--proto", value, 0, 255, &v, error))
      return FALSE;
    *out = (int)v;
    return TRUE;
  }
  g_autofree char *shown = show_value(value);
  g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
              "--proto %s: not a protocol (a number 0-255 or one of tcp, udp, "
              "icmp, icmp6, sctp, gre, esp, ah, igmp, ipip, ipv6, rsvp, ospf, "
              "pim, vrrp, l2tp, udplite)",
              shown);
  return FALSE;
}

/* An address literal, normalised (2001:DB8::1 -> 2001:db8::1) so the BPF
 * text and the argv are canonical. inet_pton, never getaddrinfo: the node
 * must not do DNS on a user's behalf. */
static gboolean
parse_host(const char *name, const char *value, char **out, GError **error)
{
  guchar buf[sizeof(struct in6_addr)];
  char text[INET6_ADDRSTRLEN];
  if (inet_pton(AF_INET, value, buf) == 1) {
    inet_ntop(AF_INET, buf, text, sizeof text);
  } else if (inet_pton(AF_INET6, value, buf) == 1) {
    inet_ntop(AF_INET6, buf, text, sizeof text);
  } else {
    g_autofree char *shown = show_value(value);
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                "%s %s: not an IPv4 or IPv6 address (host names are not "
                "resolved)",
                name, shown);
    return FALSE;
  }
  *out = g_strdup(text);
  return TRUE;
}

/* The name reaches pcap_create() on the node and is written in job records
 * and file names, so it is held to what the kernel allows (dev_valid_name)
 * minus what could be read as a path or an option. */
gboolean
ncap_capture_check_iface(const char *value, GError **error)
{
  if (value == NULL) {
    g_set_error_literal(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                        "-i: an interface is required");
    return FALSE;
  }
  gboolean ok = value[0] != '\0' && value[0] != '-' &&
                strlen(value) <= NCAP_IFNAME_MAX && strcmp(value, ".") != 0 &&
                strcmp(value, "..") != 0;
  for (const char *p = value; *p && ok; p++)
    if (*p == '/' || g_ascii_isspace(*p) || g_ascii_iscntrl(*p) ||
        (guchar)*p >= 0x80)
      ok = FALSE;
  if (!ok) {
    g_autofree char *shown = show_value(value);
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                "-i %s: not a valid interface name (1-%d characters, no '/', "
                "spaces or leading '-')",
                shown, NCAP_IFNAME_MAX);
    return FALSE;
  }
  return TRUE;
}

/* libpcap judges the syntax on the node; here only what would break the
 * line-based transport or the AND with the structured filter. */
static gboolean
check_bpf(const char *value, char **out, GError **error)
{
  g_autofree char *shown = show_value(value);
  gsize len = strlen(value);
  if (len > NCAP_BPF_MAX_LEN) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                "-f %s: too long (%" G_GSIZE_FORMAT
                " characters, at most %d)",
                shown, len, NCAP_BPF_MAX_LEN);
    return FALSE;
  }
  int depth = 0;
  for (const char *p = value; *p; p++) {
    if (g_ascii_iscntrl(*p) && *p != '\t') {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                  "-f %s: control characters (newline ...) are not allowed",
                  shown);
      return FALSE;
    }
    /* "tcp) or (udp" would escape the parentheses it is wrapped in and
     * turn "(structured) and (-f)" into an OR. BPF has no quoting, so
     * counting is exact. */
    if (*p == '(')
      depth++;
    else if (*p == ')' && --depth < 0)
      break;
  }
  if (depth != 0) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                "-f %s: unbalanced parentheses", shown);
    return FALSE;
  }
  g_autofree char *copy = g_strstrip(g_strdup(value));
  *out = copy[0] ? g_steal_pointer(&copy) : NULL;
  return TRUE;
}

static gboolean
parse_port(const char *name, const char *value, int *out, GError **error)
{
  guint64 v = 0;
  if (!ncap_parse_u64(name, value, 0, 65535, &v, error))
    return FALSE;
  *out = (int)v;
  return TRUE;
}

gboolean
ncap_capture_opts_from_args(const NcapCaptureArgs *args,
                            const NcapLimits *limits, NcapCaptureOpts *out,
                            GError **error)
{
  g_auto(NcapCaptureOpts) o = { 0 };
  o.src_port = o.dst_port = o.proto = -1;
  o.sample = 1;

  if (!ncap_capture_check_iface(args->iface, error))
    return FALSE;
  o.iface = g_strdup(args->iface);
  if (args->bpf && !check_bpf(args->bpf, &o.bpf, error))
    return FALSE;
  if (args->src_host &&
      !parse_host("--src-host", args->src_host, &o.src_host, error))
    return FALSE;
  if (args->dst_host &&
      !parse_host("--dst-host", args->dst_host, &o.dst_host, error))
    return FALSE;
  /* libpcap compiles this to "rejects all packets": refuse it here, where
   * the message can say why. */
  if (o.src_host && o.dst_host &&
      (strchr(o.src_host, ':') == NULL) != (strchr(o.dst_host, ':') == NULL)) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                "--src-host %s --dst-host %s: one is IPv4, the other IPv6; no "
                "packet has both",
                o.src_host, o.dst_host);
    return FALSE;
  }
  if (args->src_port && !parse_port("--src-port", args->src_port, &o.src_port, error))
    return FALSE;
  if (args->dst_port && !parse_port("--dst-port", args->dst_port, &o.dst_port, error))
    return FALSE;
  if (args->proto && !parse_proto(args->proto, &o.proto, error))
    return FALSE;
  /* "icmp and port 53" compiles and matches nothing: say so instead. */
  if ((o.src_port >= 0 || o.dst_port >= 0) && o.proto >= 0 && o.proto != 6 &&
      o.proto != 17 && o.proto != 132) {
    g_autofree char *shown = show_value(args->proto);
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                "--proto %s: ports need --proto tcp, udp or sctp (or no "
                "--proto)",
                shown);
    return FALSE;
  }

  if (args->type == NULL || strcmp(args->type, "full") == 0) {
    o.type = NCAP_CAPTURE_FULL;
  } else if (strcmp(args->type, "simple") == 0) {
    o.type = NCAP_CAPTURE_SIMPLE;
  } else {
    g_autofree char *shown = show_value(args->type);
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                "--type %s: must be full or simple", shown);
    return FALSE;
  }
  gboolean simple = o.type == NCAP_CAPTURE_SIMPLE;
  const char *ctx = simple ? "for simple captures" : NULL;

  /* Simple keeps 160 bytes (fewer if asked, or if the admin's maximum is
   * lower); asking simple for more is an error, not a silent cut. */
  guint64 snap_max = simple ? MIN((guint64)NCAP_SIMPLE_SNAPLEN, limits->snaplen_max)
                            : MIN((guint64)NCAP_DEFAULT_SNAPLEN, limits->snaplen_max);
  guint64 v = snap_max;
  if (args->snaplen &&
      !parse_u64_ctx("--snaplen", args->snaplen, 1, snap_max, ctx, &v, error))
    return FALSE;
  o.snaplen = (guint32)v;

  v = 1;
  if (args->sample && !ncap_parse_u64("--sample", args->sample, 1,
                                      MIN(limits->sample_max, G_MAXUINT32), &v,
                                      error))
    return FALSE;
  o.sample = (guint32)v;
  if (args->sample_by == NULL || strcmp(args->sample_by, "count") == 0) {
    o.sample_by_hash = false;
  } else if (strcmp(args->sample_by, "hash") == 0) {
    o.sample_by_hash = true;
  } else {
    g_autofree char *shown = show_value(args->sample_by);
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                "--sample-by %s: must be count or hash", shown);
    return FALSE;
  }

  guint64 time_max = simple ? limits->simple_time_max : limits->time_max;
  guint64 packet_max = simple ? limits->simple_packet_max : limits->packet_max;
  if (args->time_limit && !parse_u64_ctx("--time-limit", args->time_limit, 1,
                                         time_max, ctx, &o.time_limit, error))
    return FALSE;
  if (args->packet_limit &&
      !parse_u64_ctx("--packet-limit", args->packet_limit, 1, packet_max, ctx,
                     &o.packet_limit, error))
    return FALSE;
  if (args->byte_limit && !ncap_parse_u64("--byte-limit", args->byte_limit, 1,
                                          limits->byte_max, &o.byte_limit, error))
    return FALSE;
  /* A simple capture is bounded in time (the seed's 1-300 s): without
   * --time-limit it runs for the maximum. */
  if (simple && o.time_limit == 0)
    o.time_limit = time_max;

  o.max_size_mb = MIN(10u, limits->max_size_max);
  if (args->max_size && !ncap_parse_u64("--max-size", args->max_size, 1,
                                        limits->max_size_max, &o.max_size_mb,
                                        error))
    return FALSE;
  guint64 file_mb = MIN(10u, limits->file_size_max);
  if (args->file_size && !ncap_parse_u64("--file-size", args->file_size, 1,
                                         limits->file_size_max, &file_mb, error))
    return FALSE;
  o.file_size_mb = MIN(file_mb, o.max_size_mb);
  if (args->file_duration &&
      !ncap_parse_u64("--file-duration", args->file_duration, 1, 86400,
                      &o.file_duration_s, error))
    return FALSE;
  o.delete_on_start = args->delete_on_start;
  o.no_promiscuous = args->no_promiscuous;

  o.stall_timeout = MIN(30u, limits->stall_timeout_max);
  if (args->stall_timeout &&
      !ncap_parse_u64("--stall-timeout", args->stall_timeout, 1,
                      limits->stall_timeout_max, &o.stall_timeout, error))
    return FALSE;

  *out = o;
  memset(&o, 0, sizeof o); /* moved: nothing left for the auto cleanup */
  return TRUE;
}

/* ---- filter ------------------------------------------------------------- */

static const char *
proto_port_keyword(int proto)
{
  switch (proto) {
  case 6: return "tcp";
  case 17: return "udp";
  case 132: return "sctp";
  default: return NULL;
  }
}

char *
ncap_capture_opts_filter(const NcapCaptureOpts *opts)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func(g_free);
  if (opts->src_host)
    g_ptr_array_add(parts, g_strdup_printf("src host %s", opts->src_host));
  if (opts->dst_host)
    g_ptr_array_add(parts, g_strdup_printf("dst host %s", opts->dst_host));

  /* "tcp src port 53" says the protocol already; a separate "(tcp)" would
   * only repeat it. */
  const char *kw = proto_port_keyword(opts->proto);
  gboolean ports = opts->src_port >= 0 || opts->dst_port >= 0;
  if (opts->src_port >= 0)
    g_ptr_array_add(parts, g_strdup_printf("%s%ssrc port %d", kw ? kw : "",
                                           kw ? " " : "", opts->src_port));
  if (opts->dst_port >= 0)
    g_ptr_array_add(parts, g_strdup_printf("%s%sdst port %d", kw ? kw : "",
                                           kw ? " " : "", opts->dst_port));
  if (opts->proto >= 0 && !(ports && kw)) {
    const ProtoName *pn = proto_by_number(opts->proto);
    if (pn && pn->bpf)
      g_ptr_array_add(parts, g_strdup(pn->bpf));
    else
      g_ptr_array_add(parts, g_strdup_printf("ip proto %d or ip6 proto %d",
                                             opts->proto, opts->proto));
  }
  if (opts->bpf && opts->bpf[0])
    g_ptr_array_add(parts, g_strdup(opts->bpf));

  GString *s = g_string_new(NULL);
  for (guint i = 0; i < parts->len; i++)
    g_string_append_printf(s, "%s(%s)", i ? " and " : "",
                           (const char *)parts->pdata[i]);
  return g_string_free(s, FALSE); /* transfer full */
}

/* ---- argv ----------------------------------------------------------------- */

static void
add2(GPtrArray *a, const char *opt, char *value /* transfer full */)
{
  g_ptr_array_add(a, g_strdup(opt));
  g_ptr_array_add(a, value);
}

char **
ncap_capture_opts_to_argv(const NcapCaptureOpts *opts, bool saved)
{
  GPtrArray *a = g_ptr_array_new();
  add2(a, "-i", g_strdup(opts->iface));
  if (opts->bpf)
    add2(a, "-f", g_strdup(opts->bpf));
  if (opts->src_host)
    add2(a, "--src-host", g_strdup(opts->src_host));
  if (opts->dst_host)
    add2(a, "--dst-host", g_strdup(opts->dst_host));
  if (opts->src_port >= 0)
    add2(a, "--src-port", g_strdup_printf("%d", opts->src_port));
  if (opts->dst_port >= 0)
    add2(a, "--dst-port", g_strdup_printf("%d", opts->dst_port));
  if (opts->proto >= 0) {
    /* A name reads better in the node's audit log than a number. */
    const ProtoName *pn = proto_by_number(opts->proto);
    add2(a, "--proto", pn ? g_strdup(pn->name) : g_strdup_printf("%d", opts->proto));
  }
  gboolean simple = opts->type == NCAP_CAPTURE_SIMPLE;
  if (simple)
    add2(a, "--type", g_strdup("simple"));
  if (opts->snaplen != (simple ? NCAP_SIMPLE_SNAPLEN : NCAP_DEFAULT_SNAPLEN))
    add2(a, "--snaplen", g_strdup_printf("%u", opts->snaplen));
  if (opts->sample != 1)
    add2(a, "--sample", g_strdup_printf("%u", opts->sample));
  if (opts->sample_by_hash)
    add2(a, "--sample-by", g_strdup("hash"));
  /* Sent even when it is the simple default: the client's idea of the
   * default then holds, or the node refuses it. */
  if (opts->time_limit)
    add2(a, "--time-limit", g_strdup_printf("%" G_GUINT64_FORMAT, opts->time_limit));
  if (opts->packet_limit)
    add2(a, "--packet-limit", g_strdup_printf("%" G_GUINT64_FORMAT, opts->packet_limit));
  if (opts->byte_limit)
    add2(a, "--byte-limit", g_strdup_printf("%" G_GUINT64_FORMAT, opts->byte_limit));
  if (opts->no_promiscuous)
    g_ptr_array_add(a, g_strdup("--no-promiscuous"));
  if (saved) {
    if (opts->max_size_mb != 10)
      add2(a, "--max-size", g_strdup_printf("%" G_GUINT64_FORMAT, opts->max_size_mb));
    if (opts->file_size_mb != 10)
      add2(a, "--file-size", g_strdup_printf("%" G_GUINT64_FORMAT, opts->file_size_mb));
    if (opts->file_duration_s)
      add2(a, "--file-duration",
           g_strdup_printf("%" G_GUINT64_FORMAT, opts->file_duration_s));
    if (opts->delete_on_start)
      g_ptr_array_add(a, g_strdup("--delete-on-start"));
  } else if (opts->stall_timeout != 30) {
    add2(a, "--stall-timeout", g_strdup_printf("%" G_GUINT64_FORMAT, opts->stall_timeout));
  }
  g_ptr_array_add(a, NULL);
  return (char **)g_ptr_array_free(a, FALSE); /* transfer full */
}
