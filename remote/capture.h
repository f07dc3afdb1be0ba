/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The capture engine of the node helper: a libpcap handle configured from
 * NcapCaptureOpts (configure, then activate, as libpcap itself), turned into
 * pcapng blocks. It knows nothing of where the bytes go: the stream verb
 * hands each EPB to a bounded stdout buffer, the saved-job worker to a ring
 * of files. This is the only module that touches pcap_t. */
#ifndef NCAP_CAPTURE_H
#define NCAP_CAPTURE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "options.h"

typedef struct NcapCapture NcapCapture;

/* Cheap; copies what it needs. node is the name written in if_name
 * ("<node>:<iface>"). Transfer full. */
NcapCapture *ncap_capture_new(const NcapCaptureOpts *opts, const char *node);
void ncap_capture_free(NcapCapture *cap);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NcapCapture, ncap_capture_free)

/* Extra BPF ANDed in (e.g. "not (host A and port P and host B and port Q)"
 * for the helper's own SSH session). Call before open. */
void ncap_capture_set_exclude(NcapCapture *cap, const char *bpf_exclude);
/* Test hook (unprivileged test runs only, see main.c): add shift_ns to
 * every timestamp, as if this node's clock were off by that much. */
void ncap_capture_set_clock_shift(NcapCapture *cap, gint64 shift_ns);
/* Kernel buffer in bytes (pcap_set_buffer_size). Call before open. */
void ncap_capture_set_buffer_size(NcapCapture *cap, gsize bytes);

/* pcap_create + pcap_set_* + pcap_activate + compile and set the filter.
 * Errors: unknown interface -> NCAP_ERROR_NOT_FOUND, bad filter ->
 * NCAP_ERROR_INVALID ("filter \"...\": <libpcap text>"), permission ->
 * NCAP_ERROR_PERMISSION, others NCAP_ERROR_CAPTURE. After this returns
 * TRUE the caller may drop every privilege. */
gboolean ncap_capture_open(NcapCapture *cap, GError **error);

/* Non-blocking selectable fd: poll it for POLLIN. */
int ncap_capture_fd(NcapCapture *cap);

/* SHB + IDB for a new file or stream: the same bytes for every file of a
 * capture (the IDB description holds the session id and the sampling rate),
 * so mergecap keeps one interface across a ring's files. Where a ring file's
 * sequence numbers start is on its first packet (ring.h). */
void ncap_capture_put_header(NcapCapture *cap, GByteArray *out);

/* Called for every packet kept, with one whole EPB. Return false when there
 * is no room: the packet is then counted as a drop by the engine and the
 * next EPB's epb_dropcount includes it. */
typedef bool (*NcapEpbSink)(const uint8_t *epb, gsize len, void *user);

/* Read what the kernel has ready (non-blocking) and pass each kept packet
 * (filter, sampling, limits applied) to sink. Returns the number of packets
 * passed, or -1 with error. Stops early once a limit is reached. */
int ncap_capture_dispatch(NcapCapture *cap, NcapEpbSink sink, void *user,
                          GError **error);

/* The same, encoding EPBs in place, one after the other, into an area the
 * sink lends: reserve(min, &avail, user) returns a contiguous area of at
 * least min bytes and sets *avail to its size (NULL: no room, the packet
 * is counted as a drop); commit(len, user) keeps the first len bytes of
 * the area and ends the loan. The engine commits when an area is used up
 * and at the end of every dispatch. Per packet this is a bounds check and
 * the encoding, no call into the sink (bench/: instructions per packet).
 * commit returns false when the sink is nearly full: the engine then stops
 * at the end of the current kernel block and leaves the rest in the kernel
 * ring (back-pressure instead of drops). So after a commit that returned
 * true the sink must still have room for its largest area plus one block,
 * NCAP_CAPTURE_BLOCK_MAX bytes of EPBs. */
typedef uint8_t *(*NcapEpbReserve)(gsize min, gsize *avail, void *user);
typedef bool (*NcapEpbCommit)(gsize len, void *user);
/* TPACKET_V3 blocks are 256 KiB (libpcap: the smallest power of two
 * pages >= its 262144-byte frame); EPBs are never larger than the ring
 * bytes they come from, but allow for one extra maximum packet. */
#define NCAP_CAPTURE_BLOCK_MAX (512u * 1024 + 262144u + 64u)
int ncap_capture_dispatch_into(NcapCapture *cap, NcapEpbReserve reserve,
                               NcapEpbCommit commit, void *user, GError **error);

/* The stop (docs/reliability.md "Stop"). TPACKET_V3 hands a block to
 * user space only when it is full or its retire timer fires (the pcap
 * timeout, NCAP_CAPTURE_RETIRE_MS), so packets that arrived just before a
 * stop sit in a partly filled block for up to that long. After
 * ncap_capture_stop the caller keeps dispatching (limits still apply per
 * packet) until ncap_capture_drained says every block open at the stop has
 * come out, or its own deadline passes; then ncap_capture_discard_rest
 * counts what is still in the ring as dropped (osdrop) before the closing
 * ISB. */
#define NCAP_CAPTURE_RETIRE_MS 50
/* How long before a pass that found the ring empty a packet not read yet
 * may have been stamped: two retire times plus time for deferred softirq
 * work under load. */
#define NCAP_CAPTURE_VOUCH_MARGIN_NS (250u * 1000 * 1000)
void ncap_capture_stop(NcapCapture *cap);
gboolean ncap_capture_drained(NcapCapture *cap);
void ncap_capture_discard_rest(NcapCapture *cap);

/* An ISB as of now: starttime/endtime, ifrecv (accepted by the filter),
 * ifdrop (kernel), osdrop (our buffer, or left in the ring at the stop's
 * deadline), usrdeliv (packets in the stream); ifrecv = usrdeliv + ifdrop
 * + osdrop + left_out. */
void ncap_capture_put_isb(NcapCapture *cap, GByteArray *out);

typedef struct {
  guint64 packets;       /* packets passed to the sink */
  guint64 bytes;         /* captured bytes passed (caplen sum) */
  guint64 seen;          /* packets libpcap delivered (before sampling and limits) */
  guint64 left_out;      /* of those, left out by sampling or a limit */
  guint64 kernel_drops;  /* ps_drop + ps_ifdrop */
  guint64 sink_drops;    /* refused by the sink */
  guint64 next_seq;      /* sequence number of the next packet */
} NcapCaptureStats;
void ncap_capture_stats(NcapCapture *cap, NcapCaptureStats *out);

/* Non-NULL (transfer none) once a --time/--packet/--byte limit is reached:
 * "time limit", "packet limit", "byte limit". */
const char *ncap_capture_limit_reached(NcapCapture *cap);

/* Close the pcap handle (keeps stats). */
void ncap_capture_close(NcapCapture *cap);

#endif
