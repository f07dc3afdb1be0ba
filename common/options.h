/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Capture options shared by the helper (stream/start), the extcap and the
 * CLI: parsing from strings, range checks (the seeds' ranges, maxima from
 * nodecap.conf), the structured filter compiled to BPF text, and the argv a
 * client sends to the helper. The node re-validates everything: this same
 * code runs on both sides. No libpcap here: the BPF text is only built. */
#ifndef NCAP_OPTIONS_H
#define NCAP_OPTIONS_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum {
  NCAP_CAPTURE_FULL = 0,
  NCAP_CAPTURE_SIMPLE = 1,
} NcapCaptureType;

#define NCAP_SIMPLE_SNAPLEN 160
#define NCAP_DEFAULT_SNAPLEN 262144

/* Maxima (and defaults) an admin may change in nodecap.conf [limits]. */
typedef struct {
  guint64 simple_time_max;     /* 300 s */
  guint64 simple_packet_max;   /* 10000 */
  guint64 time_max;            /* full captures: 86400 s by default */
  guint64 packet_max;          /* full: 1,000,000,000 */
  guint64 byte_max;            /* 1,000,000,000 */
  guint64 max_size_max;        /* MB, 1000 */
  guint64 file_size_max;       /* MB, 1000 */
  guint64 snaplen_max;         /* 262144 */
  guint64 sample_max;          /* 1,000,000 */
  guint64 stall_timeout_max;   /* 3600 s */
} NcapLimits;

/* The seeds' values. */
void ncap_limits_init_default(NcapLimits *limits);
/* Read [limits] from a GKeyFile nodecap.conf; missing keys keep their
 * default, a bad value is an NCAP_ERROR_CONFIG error naming file and key. */
gboolean ncap_limits_load_keyfile(NcapLimits *limits, GKeyFile *kf,
                                  const char *path, GError **error);

/* Options as typed (strings, NULL = not given), filled by GOptionEntry. */
typedef struct {
  char *iface, *bpf;
  char *src_host, *dst_host, *src_port, *dst_port, *proto;
  char *type, *snaplen, *sample, *sample_by;
  char *time_limit, *packet_limit, *byte_limit;
  char *max_size, *file_size, *file_duration;
  gboolean delete_on_start;
  char *stall_timeout;
  gboolean no_promiscuous;
} NcapCaptureArgs;
void ncap_capture_args_clear(NcapCaptureArgs *args);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(NcapCaptureArgs, ncap_capture_args_clear)

/* GOptionEntry array for the capture options (arg_data pointing into
 * args, which must outlive the parse): -i/--interface -f/--filter
 * --src-host --dst-host --src-port --dst-port --proto --type
 * --snaplen --sample --sample-by --time-limit --packet-limit --byte-limit
 * --no-promiscuous.
 * With saved = true also --max-size --file-size --file-duration
 * --delete-on-start. With
 * stream = true also --stall-timeout. Descriptions give the default ranges
 * (the node's nodecap.conf may differ). Transfer full (g_free the array;
 * the strings in it are static). */
GOptionEntry *ncap_capture_option_entries(NcapCaptureArgs *args, bool saved,
                                          bool stream);

/* Validated options. */
typedef struct {
  char *iface;               /* required */
  char *bpf;                 /* user's -f, may be NULL */
  char *src_host, *dst_host; /* IPv4/IPv6 literal or NULL */
  int src_port, dst_port;    /* -1 = none, else 0..65535 */
  int proto;                 /* -1 = none, else IP protocol number */
  NcapCaptureType type;
  guint32 snaplen;           /* effective: 160 for simple */
  guint32 sample;            /* 1 = every packet (either type) */
  bool sample_by_hash;       /* --sample-by hash (default: count) */
  guint64 time_limit;        /* seconds, 0 = none; simple: never 0, it
                              * defaults to simple_time_max */
  guint64 packet_limit;      /* 0 = none */
  guint64 byte_limit;        /* 0 = none */
  guint64 max_size_mb;       /* saved jobs: default 10 (MB = 10^6 bytes) */
  guint64 file_size_mb;      /* saved jobs: effective size of one file,
                              * min(--file-size (default 10), max_size_mb) */
  guint64 file_duration_s;   /* saved jobs: 0, or a new file after this
                              * many seconds (1-86400) */
  bool delete_on_start;
  guint64 stall_timeout;     /* seconds, default 30 */
  bool no_promiscuous;       /* --no-promiscuous: leave promiscuous mode
                              * off (default: on, as tcpdump) */
} NcapCaptureOpts;
void ncap_capture_opts_clear(NcapCaptureOpts *opts);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(NcapCaptureOpts, ncap_capture_opts_clear)

/* Check every value against its range; an error names the option, the
 * value and the allowed range: "--time-limit 301: out of range (1-300 for
 * simple captures)", "--snaplen abc: not a number (1-262144)". Code
 * NCAP_ERROR_INVALID. On success *out is filled (clear it with
 * ncap_capture_opts_clear); on failure it is not touched. */
gboolean ncap_capture_opts_from_args(const NcapCaptureArgs *args,
                                     const NcapLimits *limits,
                                     NcapCaptureOpts *out, GError **error);

/* One interface name as -i takes it: 1-NCAP_IFNAME_MAX characters, no
 * '/', spaces, control or non-ASCII characters, no leading '-'; NULL is
 * "-i: an interface is required". NCAP_ERROR_INVALID. */
gboolean ncap_capture_check_iface(const char *value, GError **error);

/* Parse an unsigned decimal in [min, max] for option `name`. Rejects
 * empty, signs, spaces, non-digits, overflow ("NAME VALUE: not a number
 * (MIN-MAX)", "NAME VALUE: out of range (MIN-MAX)"), NCAP_ERROR_INVALID. */
gboolean ncap_parse_u64(const char *name, const char *value, guint64 min,
                        guint64 max, guint64 *out, GError **error);

/* The effective BPF text: the structured filter (src/dst host, ports,
 * proto, IPv4 and IPv6) ANDed with -f, each part parenthesised. Returns ""
 * when there is no filter. Transfer full. */
char *ncap_capture_opts_filter(const NcapCaptureOpts *opts);

/* The argv (without program name) a client sends to the helper for these
 * options, each value its own element: {"-i","lo","-f","udp",...}. Only
 * non-default values (a simple capture's time limit is always sent).
 * saved = true: for `start` (adds --max-size --file-size
 * --delete-on-start); false: for `stream` (adds --stall-timeout).
 * Parsing the result with the same limits gives back equal options.
 * Transfer full (g_strfreev). */
char **ncap_capture_opts_to_argv(const NcapCaptureOpts *opts, bool saved);

#endif
