/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A ring of pcapng files fed one whole EPB at a time (the capture engine's
 * sink). Every file is a complete pcapng file: it starts with a fresh
 * header (SHB + IDB, from a callback) and ends with an ISB (another
 * callback). The first packet of every file carries an opt_comment
 * "nodecap seq=N: ..." (NCAP_SEQ_COMMENT, ncap-format.h), N its sequence number, which
 * the plugin reads to number the packets of a file merged or read alone. A file never grows past
 * file_size bytes: the ring rotates BEFORE the packet that would overflow
 * it, keeping room for the closing ISB. At most max_files files exist; when
 * a new one is needed the oldest is removed. Sizes are in bytes; the job
 * options use MB = 1,000,000 bytes (as tcpdump -C).
 *
 * Files are created with openat(dirfd, name, O_CREAT|O_EXCL|O_NOFOLLOW)
 * 0640, so nothing planted in the directory is followed or reused. Before
 * each new file, statvfs must show file_size + reserve bytes free, else
 * the ring stops with NCAP_ERROR_DISK_FULL ("disk full"); an ENOSPC while
 * writing cuts the file back to its last whole block and stops the same
 * way. Counts promise only what reached a file (flushed). */
#ifndef NCAP_RING_H
#define NCAP_RING_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Append SHB + IDB. The same bytes for every file of a job: mergecap then
 * keeps one interface across the files (docs/jobs.md "One interface across
 * the files"); where a file starts is told by its first packet (below). */
typedef void (*NcapRingHeaderFunc)(GByteArray *out, void *user);
/* Append the closing ISB. */
typedef void (*NcapRingTrailerFunc)(GByteArray *out, void *user);


typedef struct {
  int dirfd;                   /* directory for the files (borrowed) */
  const char *node;            /* file names: <node>_<job>_<UTC>_<seq>.pcapng */
  const char *job_id;
  guint64 file_size;           /* bytes, at most per file */
  gint64 file_duration_us;     /* 0, or start a new file with the first
                                * packet after a file has been open this
                                * long (as tcpdump -G) */
  guint max_files;             /* >= 1 */
  guint64 reserve;             /* bytes kept free besides a whole file */
  gid_t gid;                   /* fchown group of each file, (gid_t)-1 = keep */
  NcapRingHeaderFunc header;
  NcapRingTrailerFunc trailer;
  void *user;
} NcapRingConfig;

typedef struct {
  char *name;
  guint64 size;       /* bytes flushed */
  guint64 packets;    /* EPBs flushed */
  guint64 bytes;      /* captured bytes (caplen) of those EPBs */
  guint64 first_seq;
  char *sha256;       /* hex, set when the file is closed */
  bool closed;
} NcapRingFile;

typedef struct {
  guint64 packets, bytes;                 /* flushed, all files ever */
  guint64 discarded_packets, discarded_bytes, discarded_files; /* removed */
  guint64 refused;                        /* packets the ring would not take */
  guint64 lost;                           /* buffered but not written (disk full) */
} NcapRingStats;

typedef struct NcapRing NcapRing;

/* Cheap. The strings are copied. Transfer full. */
NcapRing *ncap_ring_new(const NcapRingConfig *cfg);
/* Closes an open file without the ISB (use finish for a clean end). */
void ncap_ring_free(NcapRing *ring);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NcapRing, ncap_ring_free)

/* Make a file name: <node>_<job>_<%Y%m%dT%H%M%SZ>_<seq %05u>.pcapng.
 * Transfer full. */
char *ncap_ring_file_name(const char *node, const char *job_id,
                          gint64 unix_seconds, guint seq);

/* Open the first file. first_seq is the sequence number of the first
 * packet to come (0 for a new capture). */
gboolean ncap_ring_start(NcapRing *ring, guint64 first_seq, GError **error);

/* Take one whole EPB (host-endian, as the engine builds it). *kept tells
 * whether the packet went into a file (false: too big for any file, or
 * the ring has stopped). FALSE + error when the ring must stop (disk full,
 * I/O): the caller ends the job. */
gboolean ncap_ring_write(NcapRing *ring, const uint8_t *epb, gsize len,
                         bool *kept, GError **error);

/* Write buffered blocks to the current file (so counts and the record
 * can promise them). */
gboolean ncap_ring_flush(NcapRing *ring, GError **error);

/* Close the current file: ISB, flush, fsync, close. Idempotent. After a
 * disk-full stop it still closes cleanly (the ISB is left out if it does
 * not fit). */
gboolean ncap_ring_finish(NcapRing *ring, GError **error);

/* The files present, oldest first (removed ones are not listed).
 * Transfer none. */
GPtrArray *ncap_ring_files(NcapRing *ring);
void ncap_ring_stats(NcapRing *ring, NcapRingStats *out);

#endif
