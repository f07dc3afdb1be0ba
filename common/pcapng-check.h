/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Incremental pcapng stream checker: the checks every node's stream passes
 * on every path (the single-node relay and the multi-node merge), so a
 * broken or hostile node cannot make the analyst's tools write or read a
 * file they then refuse. Bytes are fed as they arrive, split anywhere; the
 * checker reads block headers and trailers only (a constant amount of work
 * per block, nothing per payload byte), so it costs the relay no
 * measurable throughput (docs/performance.md).
 *
 * Checks (docs/security.md "What a node can do to the analyst"):
 *  - the stream starts with a section header block (SHB) whose byte-order
 *    magic is valid and whose major version is 1;
 *  - every block length is a multiple of 4, at least 12 plus the block's
 *    fixed fields, at most max_block, and equal to its trailing length;
 *  - an EPB or ISB names an interface that an IDB of its section declared,
 *    and an EPB's captured length fits in the block; an SPB follows an IDB;
 *  - at most max_idbs interface description blocks in the whole stream.
 * Options inside blocks are not walked here: the merger's reader
 * (pcapng.c) still does that for the blocks it re-encodes.
 *
 * After a violation the checker accepts nothing more; valid_end() says
 * where the last whole valid block ended, so a caller that writes only up
 * to it never writes part of a bad block. */
#ifndef NCAP_PCAPNG_CHECK_H
#define NCAP_PCAPNG_CHECK_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* Largest block a node may send: nodecap-helper's largest block is an EPB
 * of the largest snaplen (262144) plus its options; 1 MiB leaves room and
 * bounds what the client holds for one block. */
#define NCAP_PCAPNG_CHECK_MAX_BLOCK (1u << 20)
/* Interfaces (IDBs) per node stream, all sections together: the helper
 * writes one per captured interface. */
#define NCAP_PCAPNG_CHECK_MAX_IDBS 256u

typedef struct {
  guint32 max_block;  /* 0: NCAP_PCAPNG_CHECK_MAX_BLOCK */
  guint32 max_idbs;   /* 0: NCAP_PCAPNG_CHECK_MAX_IDBS */
} NcapPcapngCheckLimits;

typedef struct NcapPcapngCheck NcapPcapngCheck;

/* limits NULL = the defaults above. */
NcapPcapngCheck *ncap_pcapng_check_new(const NcapPcapngCheckLimits *limits); /* transfer full */
void ncap_pcapng_check_free(NcapPcapngCheck *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NcapPcapngCheck, ncap_pcapng_check_free)

/* Checks the next len bytes of the stream. TRUE: no violation so far (the
 * last block may still be incomplete). FALSE: the stream is malformed;
 * error (NCAP_ERROR_MALFORMED) says "pcapng: <what> at byte <offset>", and
 * every later feed fails the same way. */
gboolean ncap_pcapng_check_feed(NcapPcapngCheck *c, const uint8_t *data,
                                gsize len, GError **error);

/* Stream offset just past the last whole valid block. */
guint64 ncap_pcapng_check_valid_end(const NcapPcapngCheck *c);
/* Bytes fed so far. */
guint64 ncap_pcapng_check_fed(const NcapPcapngCheck *c);
/* TRUE when the bytes fed end exactly at a block boundary (a clean end). */
gboolean ncap_pcapng_check_at_boundary(const NcapPcapngCheck *c);
/* TRUE once a violation was found. */
gboolean ncap_pcapng_check_failed(const NcapPcapngCheck *c);
/* Blocks and IDBs accepted so far. */
guint64 ncap_pcapng_check_blocks(const NcapPcapngCheck *c);
guint ncap_pcapng_check_n_idbs(const NcapPcapngCheck *c);

/* Appends to out the blocks that record, after the valid prefix, why the
 * stream ended: an EPB with caplen 0 and opt_comment `comment` (Wireshark
 * shows it as frame.comment and in Expert Info), on interface 0 of the
 * current section at that interface's last packet time. Where that is not
 * possible (no SHB or IDB accepted yet, or the section is in the other byte
 * order) a new SHB and/or a placeholder IDB "<node>:?" (Ethernet) come
 * first. node may be NULL ("node"). The result keeps the file readable. */
void ncap_pcapng_check_put_failure(const NcapPcapngCheck *c, GByteArray *out,
                                   const char *node, const char *comment);

#endif
