/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Multi-node merge: N pcapng byte streams in (one per node, each from
 * `nodecap-helper stream`), one pcapng stream out, ordered by timestamp
 * within a bounded window (docs/design.md "Multi-node"). Knows pcapng and
 * nothing else: no SSH, no clock reads, no I/O. The caller (the extcap)
 * feeds bytes as they arrive from each session, calls drain to get what may
 * be written now, and passes the monotonic time in, so the behaviour is a
 * pure function of its inputs and the tests are deterministic.
 *
 * Output: one SHB of our own; every source IDB re-emitted with a global
 * interface id, in arrival order, as soon as it is parsed (so before any
 * packet that refers to it); EPBs with interface_id rewritten (and the
 * timestamp when the clock correction is on); ISBs rewritten and passed on.
 * Other source blocks (SHBs after the first, NRB, DSB, SPB, custom) are
 * dropped: the merge owns the section, and nodecap-helper writes none of
 * them. A later SHB from a source starts a new section there: its IDBs are
 * mapped to new global interfaces and the stream goes on.
 *
 * Ordering: a per-source FIFO; the smallest head (timestamp in ns, through
 * each interface's if_tsresol) is written when every other live source
 * has a queued block or a watermark (max timestamp of its last EPB or ISB;
 * the helper writes an ISB every second, so a quiet node still advances) at
 * or past it; or when it has waited window_us; or when more than
 * window_bytes are held. A packet older than one already written goes out
 * anyway, is counted (out_of_order, per source and in all) and carries an
 * opt_comment "nodecap merge: written out of order, N us older than a
 * packet written before it (...)" (frame.comment): never silent. Nothing is
 * dropped, nothing is held forever. An ISB's timestamp advances its
 * source's watermark: nodecap-helper stamps an ISB with the time up to
 * which it has read every packet, never later (remote/capture.c). */
#ifndef NCAP_MERGE_H
#define NCAP_MERGE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* Maximum time a packet waits for slower nodes: half a second covers a
 * loaded WAN path plus the helper's own batching, and is short enough that a
 * live Wireshark view does not feel late. */
#define NCAP_MERGE_DEFAULT_WINDOW_US (500 * 1000)
/* Maximum bytes held across all sources: beyond it the oldest head goes out
 * whether or not slower nodes caught up (32 MiB: ~0.25 s of a saturated
 * gigabit link). */
#define NCAP_MERGE_DEFAULT_WINDOW_BYTES (32u * 1024u * 1024u)
/* Largest number of sources (the merge scans them once per packet). */
#define NCAP_MERGE_MAX_SOURCES 256

typedef struct {
  gint64 window_us;        /* <= 0: NCAP_MERGE_DEFAULT_WINDOW_US */
  gsize window_bytes;      /* 0: NCAP_MERGE_DEFAULT_WINDOW_BYTES */
  bool apply_clock_offset; /* subtract each source's offset from its times */
  const char *version;     /* for shb_userappl; NULL = "0" */
} NcapMergeConfig;

typedef struct NcapMerge NcapMerge;

/* n_sources in 1..NCAP_MERGE_MAX_SOURCES; cfg NULL = all defaults. The
 * output SHB (shb_userappl "nodecap <version> (merged from N nodes)") is
 * ready for the first drain. */
NcapMerge *ncap_merge_new(guint n_sources, const NcapMergeConfig *cfg); /* transfer full */
void ncap_merge_free(NcapMerge *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NcapMerge, ncap_merge_free)

/* The node's name, used in error messages and failure comments, and for the
 * placeholder interface "<name>:?" of a node that failed before its IDB.
 * Default: the part of its first IDB's if_name before the last ':', or
 * "source <n>" before that. Copied. */
void ncap_merge_set_source_name(NcapMerge *m, guint src, const char *name);
/* The placeholder's if_name instead, when the source's interface is known
 * (one interface of a node: "<node>:<iface>"). Copied. */
void ncap_merge_set_source_placeholder(NcapMerge *m, guint src,
                                       const char *if_name);
const char *ncap_merge_source_name(const NcapMerge *m, guint src); /* transfer none */

/* The node's clock minus the local clock, in ns, as measured at connect.
 * Takes effect for IDBs parsed after the call: each gets
 * " clock_offset_ns=<N>" appended to its if_description, and when
 * cfg->apply_clock_offset is set the offset is subtracted from every
 * EPB/ISB timestamp of those interfaces (converted to their if_tsresol;
 * times that would go below 0 become 0). Call it before feeding the
 * source's first bytes. */
void ncap_merge_set_clock_offset(NcapMerge *m, guint src, gint64 offset_ns);

/* The offset to apply for a measured one: measured_ns = tn - (t0 + t1) / 2
 * from a round trip of rtt_ns (t1 - t0, the node's reading tn taken in
 * between), so its error is at most half the round trip. An offset within
 * that bound, |measured_ns| <= (rtt_ns + 1) / 2 (the +1 covers the
 * midpoint's rounding), is indistinguishable from 0 and gives 0: two
 * clocks that are the same always land there, since then t0 <= tn <= t1.
 * A larger one is returned as measured. */
gint64 ncap_merge_clock_offset_applied(gint64 measured_ns, gint64 rtt_ns);

/* As ncap_merge_set_clock_offset() with the offset
 * ncap_merge_clock_offset_applied(measured_ns, rtt_ns), and the
 * measurement recorded too: the if_description gets
 * " clock_offset_ns=<applied> clock_measured_ns=<measured>
 * clock_rtt_ns=<rtt>". Returns the applied offset. */
gint64 ncap_merge_set_clock_measurement(NcapMerge *m, guint src,
                                        gint64 measured_ns, gint64 rtt_ns);

/* Bytes from source src as they arrive, split anywhere. now_us is the
 * caller's monotonic clock (g_get_monotonic_time()): the arrival time that
 * window_us counts from. Returns FALSE with NCAP_ERROR_INVALID "node
 * <name>: pcapng: ..." when the source's stream is malformed; the blocks
 * before the bad one are kept, the source accepts nothing more, and the
 * caller should end it with ncap_merge_source_end(m, src, error->message).
 * Other sources are not affected. Feeding an ended source is an error too.
 * Call ncap_merge_drain() after feeding: held bytes are only bounded by
 * window_bytes at drain time. */
gboolean ncap_merge_feed(NcapMerge *m, guint src, const uint8_t *data,
                         gsize len, gint64 now_us, GError **error);

/* The source ended: reason NULL = a clean end (EOF after the helper's last
 * block), non-NULL = it failed. Either way the merge stops waiting for it
 * and its queued blocks go out in order. On failure, and on a clean end
 * that leaves part of a block unread ("stream ended inside a block"), the
 * stream records it: one ISB per interface of that source with opt_comment
 * "node <name> failed: <reason>", queued after its last block (timestamp:
 * its watermark, or the newest time written so far). A node that failed
 * before sending any IDB first gets a placeholder IDB "<name>:?" (Ethernet,
 * no packets) to carry the ISB: pcapng has no other place for a comment
 * once the section header is written. Wireshark 4.0 shows ISB comments
 * nowhere, so the same text is also added as an opt_comment to the first
 * EPB (of any node) written after that ISB: frame.comment, Expert Info.
 * If no packet follows, only the ISB holds it. reason may be the message
 * of ncap_merge_feed()'s error: its "node <name>: " prefix is not repeated.
 * Ending a source twice is a no-op. */
void ncap_merge_source_end(NcapMerge *m, guint src, const char *reason);

/* A comment for the first packet written from now on (an opt_comment on
 * that EPB: frame.comment in Wireshark, Expert Info "Comments"). Used by
 * the extcap to show a saved job's id to a GUI user. text is copied. */
void ncap_merge_add_note(NcapMerge *m, const char *text);

/* Appends to out whatever may be written now (header blocks first, then
 * packets in merged order). flush_all: write everything held, in order
 * (the end of the capture). */
void ncap_merge_drain(NcapMerge *m, gint64 now_us, gboolean flush_all,
                      GByteArray *out);

/* When the oldest held block's window runs out (monotonic us), so the
 * caller can sleep until then; G_MAXINT64 when nothing is held. */
gint64 ncap_merge_deadline(const NcapMerge *m);

/* TRUE once every source has ended. */
gboolean ncap_merge_all_ended(const NcapMerge *m);

typedef struct {
  guint64 packets_in;   /* EPBs parsed */
  guint64 packets_out;  /* EPBs written */
  guint64 isbs;         /* ISBs parsed */
  guint64 dropped_blocks; /* blocks of other types, not passed on */
  guint64 out_of_order; /* EPBs written older than one before them */
  gsize bytes_held;     /* queued, not yet written */
  guint queued;         /* blocks queued */
  guint n_interfaces;   /* IDBs seen */
  gint64 clock_offset_ns;  /* the applied offset */
  bool ended, failed;
} NcapMergeSourceStats;

typedef struct {
  guint64 packets_out;
  guint64 out_of_order;        /* EPBs written older than one before them */
  guint64 released_by_window;  /* written because window_us ran out */
  guint64 released_by_bytes;   /* written because window_bytes was exceeded */
  gsize bytes_held, peak_bytes_held;
  guint n_interfaces;          /* global interfaces written */
} NcapMergeStats;

/* Fills total (may be NULL) and per_source[0..n_sources) (may be NULL). */
void ncap_merge_stats(const NcapMerge *m, NcapMergeStats *total,
                      NcapMergeSourceStats *per_source);

#endif
