/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Bounded bip-buffer queue; see queue.h for why it looks like this. */
#include "queue.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ncap-error.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

/* One write() at most this much: large enough for few syscalls, small
 * enough that signals and the capture are served between writes. */
#define WRITE_CHUNK (4u << 20)

struct NcapQueue {
  uint8_t *buf;
  gsize cap;          /* mapped bytes */
  gsize tail_keep;    /* bytes packets may not take */
  gboolean mapped;    /* buf from mmap (else g_malloc) */
  /* Region A [a_start, a_end) is read first; region B [0, b_end) exists
   * once writing wrapped to the front and ends before a_start. */
  gsize a_start, a_end, b_end;
  gboolean has_b;
  gboolean res_in_b;  /* where the last reservation was made */
};

NcapQueue *
ncap_queue_new(gsize capacity, gsize reserve_tail)
{
  NcapQueue *q = g_new0(NcapQueue, 1);
  q->cap = capacity;
  q->tail_keep = MIN(reserve_tail, capacity / 2);
  void *p = mmap(NULL, capacity, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p != MAP_FAILED) {
    q->buf = p;
    q->mapped = TRUE;
#ifdef MADV_HUGEPAGE
    (void)madvise(p, capacity, MADV_HUGEPAGE);
#endif
    /* Fault everything in now, in one call where the kernel can. */
    if (madvise(p, capacity, MADV_POPULATE_WRITE) != 0) {
      long page = sysconf(_SC_PAGESIZE);
      for (gsize off = 0; off < capacity; off += (gsize)(page > 0 ? page : 4096))
        q->buf[off] = 0;
    }
  } else {
    q->buf = g_malloc0(capacity);
  }
  return q;
}

void
ncap_queue_free(NcapQueue *q)
{
  if (q == NULL)
    return;
  if (q->mapped)
    munmap(q->buf, q->cap);
  else
    g_free(q->buf);
  g_free(q);
}

gsize
ncap_queue_len(const NcapQueue *q)
{
  return (q->a_end - q->a_start) + (q->has_b ? q->b_end : 0);
}

gsize
ncap_queue_room(const NcapQueue *q)
{
  gsize used = ncap_queue_len(q), limit = q->cap - q->tail_keep;
  return used >= limit ? 0 : limit - used;
}

/* A contiguous area of at least min bytes within the first `limit` bytes'
 * worth of use, or NULL; *avail gets its usable size, at most max (but
 * never less than min). */
static uint8_t *
reserve_within(NcapQueue *q, gsize min, gsize max, gsize limit, gsize *avail)
{
  gsize used = ncap_queue_len(q), contig;
  uint8_t *p;
  if (used + min > limit)
    return NULL;
  /* An empty queue starts at the front: ncap_queue_flush resets it. */
  if (q->has_b) {
    if (q->b_end + min > q->a_start)
      return NULL;
    q->res_in_b = TRUE;
    p = q->buf + q->b_end;
    contig = q->a_start - q->b_end;
  } else if (q->a_end + min <= q->cap) {
    q->res_in_b = FALSE;
    p = q->buf + q->a_end;
    contig = q->cap - q->a_end;
  } else if (min <= q->a_start) { /* wrap: B starts at the front */
    q->has_b = TRUE;
    q->b_end = 0;
    q->res_in_b = TRUE;
    p = q->buf;
    contig = q->a_start;
  } else {
    return NULL;
  }
  *avail = MAX(min, MIN(MIN(contig, limit - used), max));
  return p;
}

uint8_t *
ncap_queue_reserve_area(NcapQueue *q, gsize min, gsize max, gsize *avail)
{
  return reserve_within(q, min, max, q->cap - q->tail_keep, avail);
}

void
ncap_queue_commit(NcapQueue *q, gsize len)
{
  if (q->res_in_b)
    q->b_end += len;
  else
    q->a_end += len;
}

gboolean
ncap_queue_put_always(NcapQueue *q, const uint8_t *data, gsize len)
{
  gsize avail;
  uint8_t *p = reserve_within(q, len, len, q->cap, &avail);
  if (p == NULL)
    return FALSE;
  memcpy(p, data, len);
  ncap_queue_commit(q, len);
  return TRUE;
}

gssize
ncap_queue_flush(NcapQueue *q, int fd, GError **error)
{
  gsize total = 0;
  for (;;) {
    if (q->a_start == q->a_end) {
      if (!q->has_b)
        break;
      /* A is done: B becomes A. */
      q->a_start = 0;
      q->a_end = q->b_end;
      q->has_b = FALSE;
      q->b_end = 0;
      if (q->a_end == 0)
        break;
    }
    ssize_t n = write(fd, q->buf + q->a_start, MIN(q->a_end - q->a_start, (gsize)WRITE_CHUNK));
    if (n > 0) {
      q->a_start += (gsize)n;
      total += (gsize)n;
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      break;
    if (n < 0 && errno == EPIPE)
      return NCAP_QUEUE_READER_GONE;
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO, "writing the stream: %s",
                n < 0 ? g_strerror(errno) : "short write");
    return -1;
  }
  if (!q->has_b && q->a_start == q->a_end)
    q->a_start = q->a_end = 0;
  return (gssize)total;
}
