/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for remote/queue.c, the bip-buffer queue of the stream verb:
 * bytes come out in the order they went in across many wraps, with random
 * record sizes and random partial drains; reservations are contiguous and
 * refused (not overrun) when full; packets leave the kept tail to
 * put_always; EPIPE is the reader's end; the memory is resident at once. */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "ncap-error.h"
#include "queue.h"

/* Room for exactly n bytes, as a packet would ask. */
static uint8_t *
reserve(NcapQueue *q, gsize n)
{
  gsize avail;
  return ncap_queue_reserve_area(q, n, n, &avail);
}

/* Record i: a 4-byte length then bytes (i + k) & 0xff. */
static gsize
put_record(NcapQueue *q, guint32 i, gsize len)
{
  uint8_t *p = reserve(q, len + 64); /* reserve more than used */
  if (p == NULL)
    return 0;
  memcpy(p, &len, 4);
  for (gsize k = 4; k < len; k++)
    p[k] = (uint8_t)(i + k);
  ncap_queue_commit(q, len);
  return len;
}

typedef struct {
  GByteArray *got;
  int rfd, wfd;
} Pipe;

static void
drain_some(NcapQueue *q, Pipe *pp, gsize at_most_reads)
{
  g_autoptr(GError) error = NULL;
  gssize w = ncap_queue_flush(q, pp->wfd, &error);
  g_assert_no_error(error);
  g_assert_cmpint(w, >=, 0);
  uint8_t buf[4096];
  for (gsize r = 0; r < at_most_reads; r++) {
    ssize_t n = read(pp->rfd, buf, sizeof buf);
    if (n <= 0)
      break;
    g_byte_array_append(pp->got, buf, (guint)n);
  }
}

static void
test_order_across_wraps(void)
{
  g_autoptr(NcapQueue) q = ncap_queue_new(256 * 1024, 4096);
  g_autoptr(GRand) rnd = g_rand_new_with_seed(7);
  g_autoptr(GByteArray) want = g_byte_array_new();
  int fds[2];
  g_assert_cmpint(pipe2(fds, O_NONBLOCK | O_CLOEXEC), ==, 0);
  Pipe pp = { g_byte_array_new(), fds[0], fds[1] };
  guint32 dropped = 0, kept = 0;

  for (guint32 i = 0; i < 20000; i++) {
    gsize len = (gsize)g_rand_int_range(rnd, 8, 1600);
    uint8_t *p = NULL;
    gsize before = want->len;
    if (put_record(q, i, len) == 0) {
      dropped++;
    } else {
      kept++;
      g_byte_array_set_size(want, before + (guint)len);
      p = want->data + before;
      memcpy(p, &len, 4);
      for (gsize k = 4; k < len; k++)
        p[k] = (uint8_t)(i + k);
    }
    if (g_rand_int_range(rnd, 0, 8) == 0)
      drain_some(q, &pp, (gsize)g_rand_int_range(rnd, 0, 2));
    g_assert_cmpuint(ncap_queue_len(q) + ncap_queue_room(q), <=, 256 * 1024 - 4096);
  }
  while (ncap_queue_len(q) > 0)
    drain_some(q, &pp, 1000);
  drain_some(q, &pp, 1000);
  g_assert_cmpuint(kept, >, 5000); /* 6 MB through 256 KiB: many wraps */
  g_assert_cmpuint(dropped, >, 0); /* the random drains were slow enough to fill it */
  g_assert_cmpuint(pp.got->len, ==, want->len);
  g_assert_true(memcmp(pp.got->data, want->data, want->len) == 0);
  g_byte_array_unref(pp.got);
  close(fds[0]);
  close(fds[1]);
}

static void
test_full_and_tail(void)
{
  g_autoptr(NcapQueue) q = ncap_queue_new(10000, 1000);
  g_assert_cmpuint(ncap_queue_room(q), ==, 9000);
  g_assert_nonnull(reserve(q, 5000));
  ncap_queue_commit(q, 5000);
  g_assert_null(reserve(q, 4001)); /* would take the kept tail */
  g_assert_nonnull(reserve(q, 4000));
  ncap_queue_commit(q, 4000);
  g_assert_cmpuint(ncap_queue_room(q), ==, 0);
  g_assert_null(reserve(q, 1));
  uint8_t blk[600] = { 0 };
  g_assert_true(ncap_queue_put_always(q, blk, sizeof blk)); /* statistics fit */
  g_assert_false(ncap_queue_put_always(q, blk, sizeof blk)); /* 400 left */
  g_assert_cmpuint(ncap_queue_len(q), ==, 9600);
}

static void
test_wrap_needs_contiguous_room(void)
{
  int fds[2];
  g_assert_cmpint(pipe2(fds, O_NONBLOCK | O_CLOEXEC), ==, 0);
  g_assert_cmpint(fcntl(fds[1], F_SETPIPE_SZ, 4096), >=, 4096);
  gsize pipe_sz = (gsize)fcntl(fds[1], F_GETPIPE_SZ);
  g_autoptr(NcapQueue) q = ncap_queue_new(10000, 0);
  g_autoptr(GError) error = NULL;
  uint8_t *p = reserve(q, 9000);
  memset(p, 'a', 9000);
  ncap_queue_commit(q, 9000);
  /* The pipe takes one page: the front of the queue is free, its end has
   * only 1000 bytes. */
  g_assert_cmpint(ncap_queue_flush(q, fds[1], &error), ==, (gssize)pipe_sz);
  g_assert_cmpuint(pipe_sz, ==, 4096);
  g_assert_null(reserve(q, 4097)); /* neither end nor front */
  p = reserve(q, 3000);            /* the front */
  g_assert_true(p == reserve(q, 3000));
  memset(p, 'b', 3000);
  ncap_queue_commit(q, 3000);
  g_assert_cmpuint(ncap_queue_len(q), ==, 9000 - 4096 + 3000);
  g_assert_null(reserve(q, 1097)); /* would reach unread 'a's */
  p = reserve(q, 1096);
  memset(p, 'c', 1096);
  ncap_queue_commit(q, 1096);
  /* Everything out, in order. */
  g_autoptr(GByteArray) got = g_byte_array_new();
  uint8_t buf[4096];
  while (ncap_queue_len(q) > 0) {
    g_assert_cmpint(ncap_queue_flush(q, fds[1], &error), >=, 0);
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0)
      g_byte_array_append(got, buf, (guint)n);
  }
  g_assert_cmpuint(got->len, ==, 9000 + 3000 + 1096);
  for (guint i = 0; i < got->len; i++)
    g_assert_cmpint(got->data[i], ==, i < 9000 ? 'a' : i < 12000 ? 'b' : 'c');
  /* Empty again: the whole queue is one contiguous area. */
  g_assert_nonnull(reserve(q, 10000));
  close(fds[0]);
  close(fds[1]);
}

/* An area for several packets (what the capture engine borrows): at least
 * min, at most max, never past the room packets may take, never across the
 * end of the buffer; what is committed of it is all that counts. */
static void
test_area(void)
{
  int fds[2];
  g_assert_cmpint(pipe2(fds, O_NONBLOCK | O_CLOEXEC), ==, 0);
  g_assert_cmpint(fcntl(fds[1], F_SETPIPE_SZ, 4096), >=, 4096);
  g_autoptr(NcapQueue) q = ncap_queue_new(10000, 1000);
  g_autoptr(GError) error = NULL;
  gsize avail = 0;
  uint8_t *p = ncap_queue_reserve_area(q, 100, 4000, &avail);
  g_assert_nonnull(p);
  g_assert_cmpuint(avail, ==, 4000); /* capped by max */
  memset(p, 'a', 2500);
  ncap_queue_commit(q, 2500); /* only what was used */
  g_assert_cmpuint(ncap_queue_len(q), ==, 2500);
  p = ncap_queue_reserve_area(q, 100, 100000, &avail);
  g_assert_cmpuint(avail, ==, 9000 - 2500); /* capped by the room */
  memset(p, 'b', 6000);
  ncap_queue_commit(q, 6000);
  /* Free the front: 4096 bytes; the end has 1500 bytes, 500 of them
   * packet room. */
  g_assert_cmpint(ncap_queue_flush(q, fds[1], &error), ==, 4096);
  p = ncap_queue_reserve_area(q, 400, 100000, &avail);
  g_assert_cmpuint(avail, ==, 1500); /* the end: contiguous, within the room */
  g_assert_null(ncap_queue_reserve_area(q, 5000, 100000, &avail));
  p = ncap_queue_reserve_area(q, 1600, 100000, &avail); /* too big for the end */
  g_assert_true(p != NULL && avail == 4096 - 0 && avail >= 1600);
  memset(p, 'c', 10);
  ncap_queue_commit(q, 10);
  /* A packet larger than max still gets its min. */
  p = ncap_queue_reserve_area(q, 300, 200, &avail);
  g_assert_cmpuint(avail, ==, 300);
  ncap_queue_commit(q, 0);
  g_assert_cmpuint(ncap_queue_len(q), ==, 2500 + 6000 - 4096 + 10);
  g_autoptr(GByteArray) got = g_byte_array_new();
  uint8_t buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0)
    g_byte_array_append(got, buf, (guint)n);
  while (ncap_queue_len(q) > 0) {
    g_assert_cmpint(ncap_queue_flush(q, fds[1], &error), >=, 0);
    while ((n = read(fds[0], buf, sizeof buf)) > 0)
      g_byte_array_append(got, buf, (guint)n);
  }
  g_assert_cmpuint(got->len, ==, 2500 + 6000 + 10);
  for (guint i = 0; i < got->len; i++)
    g_assert_cmpint(got->data[i], ==, i < 2500 ? 'a' : i < 8500 ? 'b' : 'c');
  close(fds[0]);
  close(fds[1]);
}

static void
test_reader_gone(void)
{
  int fds[2];
  g_assert_cmpint(pipe2(fds, O_NONBLOCK | O_CLOEXEC), ==, 0);
  signal(SIGPIPE, SIG_IGN);
  close(fds[0]);
  g_autoptr(NcapQueue) q = ncap_queue_new(4096, 0);
  uint8_t b[10] = { 0 };
  g_assert_true(ncap_queue_put_always(q, b, sizeof b));
  g_autoptr(GError) error = NULL;
  g_assert_cmpint(ncap_queue_flush(q, fds[1], &error), ==, NCAP_QUEUE_READER_GONE);
  g_assert_no_error(error);
  g_assert_cmpint(ncap_queue_flush(q, -1, &error), ==, -1);
  g_assert_error(error, NCAP_ERROR, NCAP_ERROR_IO);
  close(fds[1]);
}

/* The whole queue is resident from the start: RSS does not grow with
 * packets (what issue 9's "RSS flat" needs, and no page faults on the
 * packet path). */
static gsize
rss_kib(void)
{
  g_autofree char *s = NULL;
  g_assert_true(g_file_get_contents("/proc/self/status", &s, NULL, NULL));
  const char *p = strstr(s, "VmRSS:");
  g_assert_nonnull(p);
  return (gsize)g_ascii_strtoull(p + 6, NULL, 10);
}

static void
test_resident(void)
{
  gsize before = rss_kib();
  NcapQueue *q = ncap_queue_new(32u << 20, 0);
  gsize after = rss_kib();
  g_assert_cmpuint(after - before, >=, 30u * 1024);
  ncap_queue_free(q);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/queue/order-across-wraps", test_order_across_wraps);
  g_test_add_func("/queue/full-and-tail", test_full_and_tail);
  g_test_add_func("/queue/wrap", test_wrap_needs_contiguous_room);
  g_test_add_func("/queue/area", test_area);
  g_test_add_func("/queue/reader-gone", test_reader_gone);
  g_test_add_func("/queue/resident", test_resident);
  return g_test_run();
}
