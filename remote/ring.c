/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The ring of pcapng files of a saved job. See ring.h. */
#include "ring.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "ncap-error.h"
#include "ncap-format.h"
#include "pcapng.h"

/* Blocks are gathered and written in chunks of about this size: one
 * write() per packet would cost a syscall each at hundreds of kpps. */
#define NCAP_RING_FLUSH_AT (256u * 1024u)

typedef struct {
  gsize end;        /* offset in the buffer just past the block */
  guint32 caplen;
  bool packet;
} RingItem;

struct NcapRing {
  NcapRingConfig cfg;
  char *node, *job_id;
  GPtrArray *files;        /* NcapRingFile*, oldest first */
  guint next_file_seq;     /* 1-based number in the name */
  gint64 name_time;        /* UTC seconds in the newest file's name */
  int fd;                  /* current file, -1 = none */
  NcapRingFile *cur;
  GChecksum *sum;          /* of the current file's flushed bytes */
  GByteArray *buf;         /* blocks not yet written */
  GArray *items;           /* RingItem per block in buf */
  guint64 buf_packets, buf_bytes;
  gsize trailer_len;       /* room kept for the closing ISB */
  guint64 next_seq;        /* sequence number of the next packet */
  gint64 cur_opened;       /* monotonic µs the current file was opened */
  NcapRingStats stats;
  bool stopped;            /* disk full or I/O error: take nothing more */
};

static void
ring_file_free(NcapRingFile *f)
{
  if (f == NULL)
    return;
  g_free(f->name);
  g_free(f->sha256);
  g_free(f);
}

NcapRing *
ncap_ring_new(const NcapRingConfig *cfg)
{
  NcapRing *r = g_new0(NcapRing, 1);
  r->cfg = *cfg;
  r->node = g_strdup(cfg->node);
  r->job_id = g_strdup(cfg->job_id);
  r->cfg.node = r->node;
  r->cfg.job_id = r->job_id;
  if (r->cfg.max_files < 1)
    r->cfg.max_files = 1;
  r->files = g_ptr_array_new_with_free_func((GDestroyNotify)ring_file_free);
  r->next_file_seq = 1;
  r->fd = -1;
  r->buf = g_byte_array_sized_new(NCAP_RING_FLUSH_AT + 65536);
  r->items = g_array_new(FALSE, FALSE, sizeof(RingItem));
  return r;
}

void
ncap_ring_free(NcapRing *r)
{
  if (r == NULL)
    return;
  if (r->fd >= 0)
    close(r->fd);
  if (r->sum)
    g_checksum_free(r->sum);
  g_byte_array_unref(r->buf);
  g_array_unref(r->items);
  g_ptr_array_unref(r->files);
  g_free(r->node);
  g_free(r->job_id);
  g_free(r);
}

char *
ncap_ring_file_name(const char *node, const char *job_id, gint64 unix_seconds,
                    guint seq)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(unix_seconds);
  g_autofree char *ts = g_date_time_format(dt, "%Y%m%dT%H%M%SZ");
  return g_strdup_printf("%s_%s_%s_%05u.pcapng", node, job_id, ts, seq);
}

GPtrArray *
ncap_ring_files(NcapRing *r)
{
  return r->files;
}

void
ncap_ring_stats(NcapRing *r, NcapRingStats *out)
{
  *out = r->stats;
}

static gboolean
set_errno_error(NcapRing *r, int e, const char *what, const char *name,
                GError **error)
{
  r->stopped = true;
  if (e == ENOSPC || e == EDQUOT)
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_DISK_FULL, "disk full");
  else
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO, "%s %s: %s", what,
                name ? name : "", g_strerror(e));
  return FALSE;
}

/* Remember where a block appended to the buffer ends, so a write cut
 * short by a full disk keeps every whole block that made it. */
static void
note_block(NcapRing *r, bool packet, guint32 caplen)
{
  RingItem it = {.end = r->buf->len, .caplen = caplen, .packet = packet};
  g_array_append_val(r->items, it);
  if (packet) {
    r->buf_packets++;
    r->buf_bytes += caplen;
  }
}

/* The first keep bytes of the buffer are in the file: account for them,
 * and count the buffered packets beyond them as lost. */
static void
commit_prefix(NcapRing *r, gsize keep)
{
  guint64 packets = 0, bytes = 0;
  for (guint i = 0; i < r->items->len; i++) {
    RingItem *it = &g_array_index(r->items, RingItem, i);
    if (it->end > keep)
      break;
    if (it->packet) {
      packets++;
      bytes += it->caplen;
    }
  }
  if (r->cur != NULL) {
    g_checksum_update(r->sum, r->buf->data, (gssize)keep);
    r->cur->size += keep;
    r->cur->packets += packets;
    r->cur->bytes += bytes;
  }
  r->stats.packets += packets;
  r->stats.bytes += bytes;
  r->stats.lost += r->buf_packets - packets;
  r->buf_packets = r->buf_bytes = 0;
  g_byte_array_set_size(r->buf, 0);
  g_array_set_size(r->items, 0);
}

/* Write the buffer to the current file. When the disk fills part way, the
 * file is cut back to its last whole block (so it stays a valid pcapng
 * file and keeps what fitted), and the rest counts as lost. */
static gboolean
flush_buf(NcapRing *r, GError **error)
{
  if (r->buf->len == 0)
    return TRUE;
  if (r->fd < 0) { /* nothing to write into (stopped): the packets are lost */
    commit_prefix(r, 0);
    return TRUE;
  }
  gsize written = 0;
  while (written < r->buf->len) {
    ssize_t n = write(r->fd, r->buf->data + written, r->buf->len - written);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int e = errno;
      gsize keep = 0;
      for (guint i = 0; i < r->items->len; i++) {
        RingItem *it = &g_array_index(r->items, RingItem, i);
        if (it->end > written)
          break;
        keep = it->end;
      }
      if (ftruncate(r->fd, (off_t)(r->cur->size + keep)) != 0 ||
          lseek(r->fd, (off_t)(r->cur->size + keep), SEEK_SET) < 0) {
        /* Cannot even cut back: salvage (valid prefix) still recovers the
         * whole blocks later. */
      }
      commit_prefix(r, keep);
      return set_errno_error(r, e, "writing", r->cur->name, error);
    }
    written += (gsize)n;
  }
  commit_prefix(r, r->buf->len);
  return TRUE;
}

gboolean
ncap_ring_flush(NcapRing *r, GError **error)
{
  return flush_buf(r, error);
}

static gboolean
close_file(NcapRing *r, GError **error)
{
  if (r->fd < 0)
    return TRUE;
  gboolean ok = TRUE;
  g_autoptr(GError) local = NULL;
  /* Leftover packets first, then the ISB, in two steps: when the disk is
   * full the ISB may still fit after the packets did not. */
  if (!flush_buf(r, &local))
    ok = FALSE;
  /* An ISB only after a header: a file whose header never reached the
   * disk must not become a lone ISB. */
  if (r->cur->size > 0) {
    r->cfg.trailer(r->buf, r->cfg.user);
    note_block(r, false, 0);
    g_autoptr(GError) isb_err = NULL;
    if (!flush_buf(r, &isb_err) && ok) {
      ok = FALSE;
      local = g_steal_pointer(&isb_err);
    }
  }
  if (fsync(r->fd) != 0 && ok) {
    ok = FALSE;
    int e = errno;
    set_errno_error(r, e, "fsync", r->cur->name, &local);
  }
  if (close(r->fd) != 0 && ok) {
    ok = FALSE;
    int e = errno;
    set_errno_error(r, e, "close", r->cur->name, &local);
  }
  r->fd = -1;
  r->cur->sha256 = g_strdup(g_checksum_get_string(r->sum));
  r->cur->closed = true;
  if (r->cur->size == 0) {
    /* Nothing of it reached the disk (full at once): an empty file is not
     * a pcapng file, so it does not stay. */
    unlinkat(r->cfg.dirfd, r->cur->name, 0);
    g_ptr_array_remove(r->files, r->cur);
  }
  g_checksum_free(r->sum);
  r->sum = NULL;
  r->cur = NULL;
  if (!ok)
    g_propagate_error(error, g_steal_pointer(&local));
  return ok;
}

static gboolean
open_file(NcapRing *r, guint64 first_seq, GError **error)
{
  /* Make room first: the oldest file goes when the ring is full. */
  while (r->files->len >= r->cfg.max_files) {
    NcapRingFile *old = g_ptr_array_index(r->files, 0);
    if (unlinkat(r->cfg.dirfd, old->name, 0) != 0 && errno != ENOENT)
      return set_errno_error(r, errno, "removing", old->name, error);
    r->stats.discarded_packets += old->packets;
    r->stats.discarded_bytes += old->bytes;
    r->stats.discarded_files++;
    g_ptr_array_remove_index(r->files, 0);
  }
  struct statvfs vfs;
  if (fstatvfs(r->cfg.dirfd, &vfs) != 0)
    return set_errno_error(r, errno, "statvfs", "spool", error);
  guint64 avail = (guint64)vfs.f_bavail * (guint64)vfs.f_frsize;
  if (avail < r->cfg.file_size + r->cfg.reserve) {
    r->stopped = true;
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_DISK_FULL, "disk full");
    return FALSE;
  }

  /* The time in a name never goes back, even when the wall clock is
   * stepped back (NTP, date -s): names must keep sorting in sequence
   * order, as mergecap dir/\*.pcapng and the ring itself expect. */
  r->name_time = MAX(r->name_time, g_get_real_time() / G_USEC_PER_SEC);
  g_autofree char *name = ncap_ring_file_name(r->node, r->job_id, r->name_time,
                                              r->next_file_seq);
  int fd = openat(r->cfg.dirfd, name,
                  O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
  if (fd < 0)
    return set_errno_error(r, errno, "creating", name, error);
  /* The umask may have taken bits we want and the group must be the
   * captures directory's (the guest reads through it). */
  if ((r->cfg.gid != (gid_t)-1 && fchown(fd, (uid_t)-1, r->cfg.gid) != 0) ||
      fchmod(fd, 0640) != 0) {
    int e = errno;
    close(fd);
    unlinkat(r->cfg.dirfd, name, 0);
    return set_errno_error(r, e, "setting group/mode of", name, error);
  }
  r->next_file_seq++;
  NcapRingFile *f = g_new0(NcapRingFile, 1);
  f->name = g_steal_pointer(&name);
  f->first_seq = first_seq;
  g_ptr_array_add(r->files, f);
  r->cur = f;
  r->fd = fd;
  r->cur_opened = g_get_monotonic_time();
  r->sum = g_checksum_new(G_CHECKSUM_SHA256);

  g_assert(r->buf->len == 0);
  r->cfg.header(r->buf, r->cfg.user);
  note_block(r, false, 0);
  /* Measure the ISB this file will end with; it has fixed-size options, so
   * its size now is its size at the end. */
  g_autoptr(GByteArray) scratch = g_byte_array_new();
  r->cfg.trailer(scratch, r->cfg.user);
  r->trailer_len = scratch->len;
  return flush_buf(r, error);
}

gboolean
ncap_ring_start(NcapRing *r, guint64 first_seq, GError **error)
{
  g_return_val_if_fail(r->fd < 0 && r->files->len == 0, FALSE);
  r->next_seq = first_seq;
  return open_file(r, first_seq, error);
}

/* The first packet of a file again, with the comment that tells its
 * sequence number (ring.h). Other options it had are kept. */
static GByteArray *
anchor_epb(const NcapRing *r, const NcapEpbParsed *p, guint64 seq)
{
  g_autofree char *note = g_strdup_printf(
      NCAP_SEQ_COMMENT "%" G_GUINT64_FORMAT ": first packet of file %u of job %s",
      seq, r->next_file_seq - 1, r->job_id);
  g_autofree char *comment =
      p->comment ? g_strdup_printf("%s\n%s", p->comment, note) : g_steal_pointer(&note);
  NcapEpb e = {
      .interface_id = p->interface_id,
      .timestamp = p->timestamp,
      .caplen = p->caplen,
      .origlen = p->origlen,
      .data = p->data,
      .has_packetid = p->has_packetid,
      .packetid = p->packetid,
      .has_dropcount = p->has_dropcount,
      .dropcount = p->dropcount,
      .comment = comment,
  };
  GByteArray *out = g_byte_array_new();
  ncap_pcapng_put_epb(out, &e);
  return out;
}

static bool
file_empty(const NcapRing *r)
{
  return r->cur->packets == 0 && r->buf_packets == 0;
}

gboolean
ncap_ring_write(NcapRing *r, const uint8_t *epb, gsize len, bool *kept,
                GError **error)
{
  *kept = false;
  if (r->stopped || r->fd < 0) {
    r->stats.refused++;
    return TRUE;
  }
  NcapPcapngBlock b = {
      .type = NCAP_PCAPNG_BT_EPB,
      .total_len = (uint32_t)len,
      .block = epb,
      .body = epb + 8,
      .body_len = (uint32_t)(len - 12),
      .swapped = false,
  };
  NcapEpbParsed parsed;
  g_autoptr(GError) perr = NULL;
  if (len < 32 || len % 4 != 0 || ncap_pcapng_get32(epb, false) != NCAP_PCAPNG_BT_EPB ||
      !ncap_pcapng_parse_epb(&b, &parsed, &perr)) {
    /* Not ours to judge further: the engine built it. Refuse it rather
     * than write a block that breaks the file. */
    r->stats.refused++;
    return TRUE;
  }
  guint64 drops = parsed.has_dropcount ? parsed.dropcount : 0;
  guint64 caplen = parsed.caplen;
  guint64 seq = r->next_seq + drops;
  g_autoptr(GByteArray) anchored = NULL;
  gboolean ok = TRUE;

  if (!file_empty(r) && r->cfg.file_duration_us > 0 &&
      g_get_monotonic_time() - r->cur_opened >= r->cfg.file_duration_us) {
    /* Time's up for this file (--file-duration): the ring's file count
     * still bounds the total size. */
    if (!close_file(r, error) || !open_file(r, seq, error))
      goto fail;
  }
  for (int pass = 0; pass < 2; pass++) {
    if (file_empty(r) && anchored == NULL) {
      anchored = anchor_epb(r, &parsed, seq);
      epb = anchored->data;
      len = anchored->len;
    }
    if (r->cur->size + r->buf->len + len + r->trailer_len <= r->cfg.file_size)
      break;
    if (file_empty(r)) {
      /* Would not fit even in an empty file: refusing it keeps the size
       * promise; the engine counts it in the next epb_dropcount. */
      r->stats.refused++;
      goto done;
    }
    if (!close_file(r, error) || !open_file(r, seq, error))
      goto fail;
  }
  g_byte_array_append(r->buf, epb, (guint)len);
  note_block(r, true, (guint32)caplen);
  r->next_seq = seq + 1;
  *kept = true;
  if (r->buf->len >= NCAP_RING_FLUSH_AT)
    ok = flush_buf(r, error);
  goto done;
fail:
  ok = FALSE;
done:
  ncap_epb_parsed_clear(&parsed);
  return ok;
}

gboolean
ncap_ring_finish(NcapRing *r, GError **error)
{
  if (r->fd < 0) {
    /* Stopped earlier: whatever is buffered can no longer be written. */
    g_autoptr(GError) ignored = NULL;
    flush_buf(r, &ignored);
    return TRUE;
  }
  return close_file(r, error);
}
