/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Live capture on a node without nodecap-helper ("agentless"): the node's
 * own tcpdump or dumpcap runs under a small POSIX sh wrapper that ends it
 * when the SSH channel closes (stdin EOF), when no heartbeat arrived for
 * the stall time-out (a cut network), or at the time limit; and the client
 * rewrites the program's pcap/pcapng into the stream the helper writes:
 * SHB, one IDB "<node>:<iface>" whose description says how it was
 * captured, EPBs with epb_packetid (the identity hash, common/packet-id.h),
 * ISBs, and a closing ISB with the drops the program reported.
 * No SSH here: the converter and the command text are pure, for unit
 * tests; multi.c runs them. */
#ifndef NCAP_AGENTLESS_H
#define NCAP_AGENTLESS_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "options.h"

typedef enum {
  NCAP_CAPTURE_WITH_AUTO = 0, /* helper, else dumpcap, else tcpdump */
  NCAP_CAPTURE_WITH_HELPER,
  NCAP_CAPTURE_WITH_DUMPCAP,
  NCAP_CAPTURE_WITH_TCPDUMP,
  NCAP_CAPTURE_WITH_AGENTLESS, /* auto without the helper: dumpcap, else
                                * tcpdump (after the helper was missing) */
} NcapCaptureWith;

typedef enum {
  NCAP_REMOTE_PRIV_NONE = 0,
  NCAP_REMOTE_PRIV_SUDO,
  NCAP_REMOTE_PRIV_DOAS,
} NcapRemotePriv;

/* Seconds between two heartbeats the client writes to the wrapper; the
 * wrapper's stall time-out is at least 3 of them. */
#define NCAP_AGENTLESS_HEARTBEAT_S 2

/* "auto|helper|dumpcap|tcpdump" (NULL/"" = auto); "none|sudo|doas". */
gboolean ncap_capture_with_parse(const char *text, NcapCaptureWith *out,
                                 GError **error);
gboolean ncap_remote_priv_parse(const char *text, NcapRemotePriv *out,
                                GError **error);
const char *ncap_remote_priv_name(NcapRemotePriv priv);

/* What the helper does that tcpdump/dumpcap cannot, refused with one
 * line naming the option (sampling, byte limit). */
gboolean ncap_agentless_check_opts(const NcapCaptureOpts *opts,
                                   GError **error);

/* The probe: one sh command printing "helper=PATH", "dumpcap=PATH",
 * "tcpdump=PATH" (empty when absent) and "dumpcap_version=..." /
 * "tcpdump_version=..." lines. Transfer full. */
char *ncap_agentless_probe_command(const char *helper);

typedef struct {
  char *helper, *dumpcap, *tcpdump;  /* paths on the node, NULL = none */
  char *dumpcap_version, *tcpdump_version;
} NcapAgentlessProbe;
void ncap_agentless_probe_clear(NcapAgentlessProbe *p);
void ncap_agentless_probe_parse(const char *out, NcapAgentlessProbe *p);

/* The program to use for `with` given the probe: "dumpcap" or "tcpdump",
 * or NULL with NCAP_ERROR_NO_PROGRAM. Transfer none (static). */
const char *ncap_agentless_choose(NcapCaptureWith with,
                                  const NcapAgentlessProbe *p,
                                  const char *node, GError **error);

/* The command line for the node: the sh wrapper around `program` (path
 * from the probe) with opts, under priv. Transfer full. */
char *ncap_agentless_command(const char *program, const char *path,
                             NcapRemotePriv priv, const NcapCaptureOpts *opts);

/* The program's stderr that means "sudo/doas wants a password": the
 * error for it (NCAP_ERROR_PRIV); under --remote-priv none, one that means
 * "no permission to capture": the error quoting the program's line
 * (NCAP_ERROR_REMOTE); else FALSE. */
gboolean ncap_agentless_priv_failure(const char *stderr_text,
                                     NcapRemotePriv priv, const char *node,
                                     GError **error);

/* tcpdump's "N packets dropped by kernel" / dumpcap's "Packets
 * received/dropped on interface 'X': R/D"; FALSE when not there. */
gboolean ncap_agentless_parse_drops(const char *stderr_text, guint64 *drops);

typedef struct NcapAgentless NcapAgentless;

/* node: the if_name prefix; how: the IDB description's first part
 * ("tcpdump 4.99.3 via sudo"). Transfer full. */
NcapAgentless *ncap_agentless_new(const char *node, const char *iface,
                                  const char *filter, const char *how);
void ncap_agentless_free(NcapAgentless *a);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NcapAgentless, ncap_agentless_free)

/* The program's stdout (pcap in either byte order and resolution, or
 * pcapng), any split: appends the helper-format pcapng to out. FALSE with
 * NCAP_ERROR_REMOTE when the bytes are neither. */
gboolean ncap_agentless_feed(NcapAgentless *a, const uint8_t *data, gsize len,
                             GByteArray *out, GError **error);
/* A periodic ISB (packets so far; no drops: the program tells them only
 * at its end). Nothing before the header. now_ns: wall clock, for
 * isb_endtime; the ISB's timestamp is the newest packet's (the merge's
 * watermark). */
void ncap_agentless_put_isb(NcapAgentless *a, guint64 now_ns, GByteArray *out);
/* The closing ISB, with the drops from dumpcap's own ISB or the
 * program's stderr. */
void ncap_agentless_finish(NcapAgentless *a, const char *stderr_text,
                           guint64 now_ns, GByteArray *out);
guint64 ncap_agentless_packets(const NcapAgentless *a);

/* ---- over SSH (agentless-node.c) ---- */
#include "ssh.h"

/* On a connected session: probe the node, choose the program for `with`,
 * start it under the wrapper. *ch: the channel (transfer none: belongs to
 * ssh); *conv: its converter (transfer full). Errors: NCAP_ERROR_NO_PROGRAM,
 * NCAP_ERROR_SSH. */
gboolean ncap_agentless_start(NcapSsh *ssh, const char *node,
                              const char *helper, NcapCaptureWith with,
                              NcapRemotePriv priv, const NcapCaptureOpts *opts,
                              ssh_channel *ch, NcapAgentless **conv,
                              GError **error);

/* The interface list without the helper: `ip -o link`, else `tcpdump -D`
 * / `dumpcap -D`. GPtrArray of NcapNodeIface (node.h), "any" first.
 * Transfer full. */
GPtrArray *ncap_agentless_interfaces(NcapSsh *ssh, int timeout_ms,
                                     GError **error);

#endif
