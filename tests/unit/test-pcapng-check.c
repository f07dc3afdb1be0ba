/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for common/pcapng-check.c: a valid stream fed whole and byte
 * by byte, each violation a node can send (with where the valid prefix
 * ends), the limits, every file of tests/data/bad/ against the full
 * reader, and the failure note appended to a valid prefix read back by
 * the reader and by the real capinfos. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "ncap-error.h"
#include "pcapng-check.h"
#include "pcapng.h"

static const uint8_t payload[64] = {1, 2, 3, 4};

/* SHB, one IDB, n EPBs on interface 0, and (with_isb) one ISB. */
static GByteArray *
stream_of(guint n, gboolean with_isb)
{
  GByteArray *b = g_byte_array_new();
  NcapShbInfo shb = {.userappl = "test"};
  NcapIdbInfo idb = {.linktype = 1, .snaplen = 262144, .name = "n1:eth0",
                     .description = "test", .tsresol = 9};
  ncap_pcapng_put_shb(b, &shb);
  ncap_pcapng_put_idb(b, &idb);
  for (guint i = 0; i < n; i++) {
    NcapEpb e = {.interface_id = 0, .timestamp = 1000000000ull * (i + 1),
                 .caplen = sizeof payload, .origlen = sizeof payload,
                 .data = payload, .has_packetid = true, .packetid = i};
    ncap_pcapng_put_epb(b, &e);
  }
  NcapIsb isb = {.interface_id = 0, .timestamp = 99};
  if (with_isb)
    ncap_pcapng_put_isb(b, &isb);
  return b; /* transfer full */
}

static GByteArray *
valid_stream(guint n)
{
  return stream_of(n, TRUE); /* transfer full */
}

static void
test_valid_whole_and_bytewise(void)
{
  g_autoptr(GByteArray) s = valid_stream(10);
  g_autoptr(NcapPcapngCheck) whole = ncap_pcapng_check_new(NULL);
  g_autoptr(GError) error = NULL;
  g_assert_true(ncap_pcapng_check_feed(whole, s->data, s->len, &error));
  g_assert_no_error(error);
  g_assert_true(ncap_pcapng_check_at_boundary(whole));
  g_assert_cmpuint(ncap_pcapng_check_valid_end(whole), ==, s->len);
  g_assert_cmpuint(ncap_pcapng_check_blocks(whole), ==, 13);
  g_assert_cmpuint(ncap_pcapng_check_n_idbs(whole), ==, 1);

  g_autoptr(NcapPcapngCheck) bytes = ncap_pcapng_check_new(NULL);
  for (guint i = 0; i < s->len; i++) {
    g_assert_true(ncap_pcapng_check_feed(bytes, s->data + i, 1, NULL));
    g_assert_cmpuint(ncap_pcapng_check_fed(bytes), ==, i + 1);
  }
  g_assert_true(ncap_pcapng_check_at_boundary(bytes));
  g_assert_cmpuint(ncap_pcapng_check_blocks(bytes), ==, 13);
  /* Cut inside the last block: not at a boundary, valid_end before it. */
  g_autoptr(NcapPcapngCheck) cut = ncap_pcapng_check_new(NULL);
  g_assert_true(ncap_pcapng_check_feed(cut, s->data, s->len - 3, NULL));
  g_assert_false(ncap_pcapng_check_at_boundary(cut));
  g_assert_cmpuint(ncap_pcapng_check_valid_end(cut), <, s->len - 3);
}

/* Feeds prefix + bad bytes, expects a MALFORMED error containing want and
 * the valid prefix to end at prefix->len. */
static void
expect_bad(GByteArray *prefix, const uint8_t *bad, gsize bad_len,
           const NcapPcapngCheckLimits *lim, const char *want)
{
  g_autoptr(GByteArray) s = g_byte_array_new();
  g_byte_array_append(s, prefix->data, prefix->len);
  g_byte_array_append(s, bad, (guint)bad_len);
  /* Whole, and in 7-byte chunks: the same verdict. */
  for (int mode = 0; mode < 2; mode++) {
    g_autoptr(NcapPcapngCheck) c = ncap_pcapng_check_new(lim);
    g_autoptr(GError) error = NULL;
    gboolean ok = TRUE;
    if (mode == 0) {
      ok = ncap_pcapng_check_feed(c, s->data, s->len, &error);
    } else {
      for (gsize off = 0; ok && off < s->len; off += 7)
        ok = ncap_pcapng_check_feed(c, s->data + off, MIN(7, s->len - off),
                                    &error);
    }
    g_assert_false(ok);
    g_assert_error(error, NCAP_ERROR, NCAP_ERROR_MALFORMED);
    if (!strstr(error->message, want))
      g_error("\"%s\" does not contain \"%s\"", error->message, want);
    g_assert_true(g_str_has_prefix(error->message, "pcapng: "));
    g_assert_cmpuint(ncap_pcapng_check_valid_end(c), ==, prefix->len);
    g_assert_true(ncap_pcapng_check_failed(c));
    /* Nothing more is accepted. */
    g_autoptr(GError) again = NULL;
    g_assert_false(ncap_pcapng_check_feed(c, s->data, 4, &again));
    g_assert_error(again, NCAP_ERROR, NCAP_ERROR_MALFORMED);
  }
}

static void
test_violations(void)
{
  g_autoptr(GByteArray) hdr = stream_of(0, FALSE); /* SHB + IDB */
  g_autoptr(NcapPcapngCheck) c0 = ncap_pcapng_check_new(NULL);
  g_assert_true(ncap_pcapng_check_feed(c0, hdr->data, hdr->len, NULL));
  g_assert_true(ncap_pcapng_check_at_boundary(c0));

  /* Length 0xFFFFFFF0. */
  uint32_t huge[2] = {NCAP_PCAPNG_BT_EPB, 0xFFFFFFF0u};
  expect_bad(hdr, (const uint8_t *)huge, sizeof huge, NULL,
             "length 4294967280 exceeds the limit of 1048576 bytes");
  /* Random bytes after the header. */
  uint8_t garbage[64];
  for (guint i = 0; i < sizeof garbage; i++)
    garbage[i] = (uint8_t)(i * 37 + 11);
  expect_bad(hdr, garbage, sizeof garbage, NULL, "bad length");
  /* An EPB on interface 5 of a section that declares 1. */
  g_autoptr(GByteArray) epb = g_byte_array_new();
  NcapEpb e = {.interface_id = 5, .caplen = 4, .origlen = 4, .data = payload};
  ncap_pcapng_put_epb(epb, &e);
  expect_bad(hdr, epb->data, epb->len, NULL,
             "enhanced packet block refers to interface 5, but the section declares 1");
  /* Trailer differs from the leading length. */
  g_autoptr(GByteArray) torn = g_byte_array_new();
  e.interface_id = 0;
  ncap_pcapng_put_epb(torn, &e);
  torn->data[torn->len - 1] ^= 0x40;
  expect_bad(hdr, torn->data, torn->len, NULL, "does not match its trailing length");
  /* Captured length beyond the block. */
  g_autoptr(GByteArray) cap = g_byte_array_new();
  ncap_pcapng_put_epb(cap, &e);
  uint32_t big = 4096;
  memcpy(cap->data + 20, &big, 4);
  expect_bad(hdr, cap->data, cap->len, NULL, "captured length 4096 exceeds");
  /* Too many IDBs (limit 3 here; default NCAP_PCAPNG_CHECK_MAX_IDBS). */
  g_autoptr(GByteArray) three = g_byte_array_new();
  g_byte_array_append(three, hdr->data, hdr->len);
  NcapIdbInfo idb = {.linktype = 1, .name = "n1:x", .tsresol = 6};
  ncap_pcapng_put_idb(three, &idb);
  ncap_pcapng_put_idb(three, &idb);
  g_autoptr(GByteArray) fourth = g_byte_array_new();
  ncap_pcapng_put_idb(fourth, &idb);
  NcapPcapngCheckLimits lim = {.max_idbs = 3};
  expect_bad(three, fourth->data, fourth->len, &lim,
             "more than 3 interface description blocks");
  /* A stream that does not start with an SHB. */
  g_autoptr(GByteArray) none = g_byte_array_new();
  expect_bad(none, epb->data, epb->len, NULL,
             "stream does not start with a section header block");
  /* A block over a smaller configured limit. */
  NcapPcapngCheckLimits small = {.max_block = 64};
  g_autoptr(GByteArray) bigepb = g_byte_array_new();
  NcapEpb e2 = {.interface_id = 0, .caplen = 64, .origlen = 64, .data = payload};
  ncap_pcapng_put_epb(bigepb, &e2);
  expect_bad(hdr, bigepb->data, bigepb->len, &small, "exceeds the limit of 64 bytes");
}

/* The checker reads headers only, so it accepts at least what the full
 * reader accepts, given the reader's limits. */
static void
test_bad_files_vs_reader(void)
{
  const char *top = g_getenv("NCAP_TEST_DATA");
  if (!top) {
    g_test_skip("NCAP_TEST_DATA not set (run through ctest)");
    return;
  }
  g_autofree char *dir = g_build_filename(top, "bad", NULL);
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  g_assert_nonnull(d);
  const char *name;
  guint n = 0;
  while ((name = g_dir_read_name(d))) {
    if (!g_str_has_suffix(name, ".pcapng"))
      continue;
    g_autofree char *path = g_build_filename(dir, name, NULL);
    g_autofree char *data = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    NcapPcapngCheckLimits lim = {.max_block = NCAP_PCAPNG_MAX_BLOCK,
                                 .max_idbs = G_MAXUINT32};
    g_autoptr(NcapPcapngCheck) c = ncap_pcapng_check_new(&lim);
    ncap_pcapng_check_feed(c, (const uint8_t *)data, len, NULL);
    gsize reader = ncap_pcapng_valid_prefix((const uint8_t *)data, len);
    if (ncap_pcapng_check_valid_end(c) < reader)
      g_error("%s: checker stops at %" G_GUINT64_FORMAT ", reader at %" G_GSIZE_FORMAT,
              name, ncap_pcapng_check_valid_end(c), reader);
    n++;
  }
  g_assert_cmpuint(n, >=, 20);
}

/* Reads every block of data with the full reader; returns the last EPB's
 * comment (transfer full) and the count of blocks. */
static char *
read_all(const uint8_t *data, gsize len, guint *blocks)
{
  g_autoptr(NcapPcapngReader) r = ncap_pcapng_reader_new();
  gsize off = 0;
  char *comment = NULL;
  *blocks = 0;
  while (off < len) {
    NcapPcapngBlock b;
    gsize used = 0;
    g_autoptr(GError) error = NULL;
    NcapPcapngStatus st = ncap_pcapng_reader_next(r, data + off, len - off, &b,
                                                  &used, &error);
    g_assert_no_error(error);
    g_assert_cmpint(st, ==, NCAP_PCAPNG_BLOCK);
    if (b.type == NCAP_PCAPNG_BT_EPB) {
      NcapEpbParsed p;
      g_assert_true(ncap_pcapng_parse_epb(&b, &p, NULL));
      g_free(comment);
      comment = g_strdup(p.comment);
      ncap_epb_parsed_clear(&p);
    }
    off += used;
    (*blocks)++;
  }
  return comment;
}

static void
capinfos_reads(const GByteArray *file)
{
  if (!g_file_test("/usr/bin/capinfos", G_FILE_TEST_IS_EXECUTABLE))
    g_error("capinfos missing (apt-get install tshark)");
  g_autofree char *path = NULL;
  int fd = g_file_open_tmp("check-XXXXXX.pcapng", &path, NULL);
  g_assert_cmpint(fd, >=, 0);
  close(fd);
  g_assert_true(g_file_set_contents(path, (const char *)file->data, file->len, NULL));
  const char *argv[] = {"capinfos", "-c", path, NULL};
  int status = -1;
  g_autofree char *out = NULL, *err = NULL;
  g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH,
                             NULL, NULL, &out, &err, &status, NULL));
  g_unlink(path);
  if (!g_spawn_check_wait_status(status, NULL))
    g_error("capinfos refused the file: %s", err);
}

static void
test_failure_note(void)
{
  g_autoptr(GByteArray) s = valid_stream(3);
  /* After a valid prefix: one EPB on the current section's interface. */
  g_autoptr(NcapPcapngCheck) c = ncap_pcapng_check_new(NULL);
  uint32_t huge[2] = {NCAP_PCAPNG_BT_EPB, 0xFFFFFFF0u};
  g_assert_true(ncap_pcapng_check_feed(c, s->data, s->len, NULL));
  g_assert_false(ncap_pcapng_check_feed(c, (const uint8_t *)huge, 8, NULL));
  g_autoptr(GByteArray) file = g_byte_array_new();
  g_byte_array_append(file, s->data, (guint)ncap_pcapng_check_valid_end(c));
  guint before = 0, after = 0;
  g_free(read_all(file->data, file->len, &before));
  ncap_pcapng_check_put_failure(c, file, "n1", "node n1 sent a malformed stream");
  g_autofree char *comment = read_all(file->data, file->len, &after);
  g_assert_cmpuint(after, ==, before + 1);
  g_assert_cmpstr(comment, ==, "node n1 sent a malformed stream");
  capinfos_reads(file);

  /* Garbage from the first byte: SHB, placeholder IDB and the EPB. */
  g_autoptr(NcapPcapngCheck) c2 = ncap_pcapng_check_new(NULL);
  g_assert_false(ncap_pcapng_check_feed(c2, (const uint8_t *)"garbage!", 8, NULL));
  g_autoptr(GByteArray) file2 = g_byte_array_new();
  ncap_pcapng_check_put_failure(c2, file2, "n2", "refused");
  g_autofree char *comment2 = read_all(file2->data, file2->len, &after);
  g_assert_cmpuint(after, ==, 3);
  g_assert_cmpstr(comment2, ==, "refused");
  capinfos_reads(file2);

  /* SHB only, no IDB yet: a placeholder IDB first. */
  g_autoptr(GByteArray) shb = g_byte_array_new();
  NcapShbInfo si = {.userappl = "t"};
  ncap_pcapng_put_shb(shb, &si);
  g_autoptr(NcapPcapngCheck) c3 = ncap_pcapng_check_new(NULL);
  g_assert_true(ncap_pcapng_check_feed(c3, shb->data, shb->len, NULL));
  g_assert_false(ncap_pcapng_check_feed(c3, (const uint8_t *)huge, 8, NULL));
  ncap_pcapng_check_put_failure(c3, shb, "n3", "refused");
  g_autofree char *comment3 = read_all(shb->data, shb->len, &after);
  g_assert_cmpuint(after, ==, 3);
  g_assert_cmpstr(comment3, ==, "refused");
  capinfos_reads(shb);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/pcapng-check/valid", test_valid_whole_and_bytewise);
  g_test_add_func("/pcapng-check/violations", test_violations);
  g_test_add_func("/pcapng-check/bad-files-vs-reader", test_bad_files_vs_reader);
  g_test_add_func("/pcapng-check/failure-note", test_failure_note);
  return g_test_run();
}
