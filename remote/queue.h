/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The bounded byte queue between the capture and a slow writer (stdout to
 * sshd). Packets are encoded straight into it (reserve, then commit: one
 * copy out of the kernel ring, none more) and leave it in large write()s.
 *
 * It is a bip buffer: two contiguous regions, so nothing is ever moved
 * inside it, and every reservation is contiguous. Its memory is mapped and
 * faulted in once at creation (transparent huge pages where the system
 * allows): on a virtual machine a page fault costs microseconds, and
 * first-touch faults on the packet path were what let a 200,000-packet
 * burst overrun the kernel ring (docs/performance.md). The helper's RSS
 * therefore starts at its final size and stays flat. */
#ifndef NCAP_QUEUE_H
#define NCAP_QUEUE_H

#include <glib.h>
#include <stdint.h>

typedef struct NcapQueue NcapQueue;

/* A queue of capacity bytes, of which the last `reserve_tail` are kept for
 * ncap_queue_put_always (headers and statistics blocks, which must not be
 * lost when packets fill the queue). Never fails for sane sizes. Transfer
 * full. */
NcapQueue *ncap_queue_new(gsize capacity, gsize reserve_tail);
void ncap_queue_free(NcapQueue *q);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NcapQueue, ncap_queue_free)

/* Bytes waiting, and bytes that packets may still take in all. */
gsize ncap_queue_len(const NcapQueue *q);
gsize ncap_queue_room(const NcapQueue *q);

/* A contiguous area of at least min bytes for packets (NULL: not that much
 * room; the caller counts a drop); *avail gets how much of it may be used,
 * at most max (never less than min). Transfer none; valid until the next
 * call on q. */
uint8_t *ncap_queue_reserve_area(NcapQueue *q, gsize min, gsize max,
                                 gsize *avail);
/* The first len (<= *avail) bytes of the last reservation are
 * data. */
void ncap_queue_commit(NcapQueue *q, gsize len);

/* Append a block that must not be lost; it may use the reserved tail.
 * FALSE only when even that is full (the reader has been stalled for very
 * long; statistics blocks are cumulative, so losing one loses nothing). */
gboolean ncap_queue_put_always(NcapQueue *q, const uint8_t *data, gsize len);

#define NCAP_QUEUE_READER_GONE (-2)
/* Write what fd takes now (non-blocking fd). Returns bytes written,
 * NCAP_QUEUE_READER_GONE on EPIPE (a normal end for a stream), or -1 with
 * error. */
gssize ncap_queue_flush(NcapQueue *q, int fd, GError **error);

#endif
