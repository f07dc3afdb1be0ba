/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for common/pcapng.c: every block type written and read back,
 * both byte orders, hostile inputs from tests/data/bad/, truncation,
 * salvage, and the written file checked by the real capinfos and tshark. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "ncap-error.h"
#include "pcapng.h"

static const NcapShbInfo shb_info = {
  .hardware = "x86_64 test box",
  .os = "Linux 6.1",
  .userappl = "nodecap-helper 0.1",
  .comment = "unit test",
};

/* Reads the next block from data[*off..len), asserting it is whole. */
static NcapPcapngBlock
next_block(NcapPcapngReader *r, const uint8_t *data, gsize len, gsize *off)
{
  NcapPcapngBlock b;
  gsize used = 0;
  g_autoptr(GError) error = NULL;
  NcapPcapngStatus st = ncap_pcapng_reader_next(r, data + *off, len - *off, &b,
                                                &used, &error);
  g_assert_no_error(error);
  g_assert_cmpint(st, ==, NCAP_PCAPNG_BLOCK);
  g_assert_cmpuint(used, ==, b.total_len);
  *off += used;
  return b;
}

static void
test_shb_roundtrip(void)
{
  g_autoptr(GByteArray) buf = g_byte_array_new();
  gsize n = ncap_pcapng_put_shb(buf, &shb_info);
  g_assert_cmpuint(n, ==, buf->len);
  g_assert_cmpuint(n % 4, ==, 0);

  g_autoptr(NcapPcapngReader) r = ncap_pcapng_reader_new();
  gsize off = 0;
  NcapPcapngBlock b = next_block(r, buf->data, buf->len, &off);
  g_assert_cmpuint(off, ==, buf->len);
  g_assert_cmphex(b.type, ==, NCAP_PCAPNG_BT_SHB);
  g_assert_false(b.swapped);
  /* Version 1.0, section length -1. */
  uint16_t major, minor;
  int64_t section_len;
  memcpy(&major, b.body + 4, 2);
  memcpy(&minor, b.body + 6, 2);
  memcpy(&section_len, b.body + 8, 8);
  g_assert_cmpuint(major, ==, 1);
  g_assert_cmpuint(minor, ==, 0);
  g_assert_cmpint(section_len, ==, -1);

  NcapShbParsed p;
  g_autoptr(GError) error = NULL;
  g_assert_true(ncap_pcapng_parse_shb(&b, &p, &error));
  g_assert_no_error(error);
  g_assert_cmpstr(p.hardware, ==, shb_info.hardware);
  g_assert_cmpstr(p.os, ==, shb_info.os);
  g_assert_cmpstr(p.userappl, ==, shb_info.userappl);
  g_assert_cmpstr(p.comment, ==, shb_info.comment);
  ncap_shb_parsed_clear(&p);

  /* No options: no opt_endofopt either, the smallest SHB. */
  g_autoptr(GByteArray) bare = g_byte_array_new();
  NcapShbInfo none = { 0 };
  g_assert_cmpuint(ncap_pcapng_put_shb(bare, &none), ==, 28);
  g_autoptr(NcapPcapngReader) r2 = ncap_pcapng_reader_new();
  off = 0;
  b = next_block(r2, bare->data, bare->len, &off);
  g_assert_true(ncap_pcapng_parse_shb(&b, &p, &error));
  g_assert_null(p.hardware);
  g_assert_null(p.comment);
  ncap_shb_parsed_clear(&p);
}

static void
test_idb_roundtrip(void)
{
  g_autoptr(GByteArray) buf = g_byte_array_new();
  NcapIdbInfo idb = {
    .linktype = 113,
    .snaplen = 262144,
    .name = "node-a:eth0",
    .description = "node-a eth0, seq start 0",
    .filter = "tcp port 80",
    .tsresol = 9,
  };
  NcapIdbInfo idb2 = { .linktype = 1, .snaplen = 160, .name = "b:lo", .filter = "" };
  ncap_pcapng_put_shb(buf, &shb_info);
  gsize n1 = ncap_pcapng_put_idb(buf, &idb);
  gsize n2 = ncap_pcapng_put_idb(buf, &idb2);
  g_assert_cmpuint(n1 % 4, ==, 0);
  g_assert_cmpuint(n2 % 4, ==, 0);

  g_autoptr(NcapPcapngReader) r = ncap_pcapng_reader_new();
  g_autoptr(GError) error = NULL;
  gsize off = 0;
  next_block(r, buf->data, buf->len, &off);
  NcapPcapngBlock b1 = next_block(r, buf->data, buf->len, &off);
  NcapPcapngBlock b2 = next_block(r, buf->data, buf->len, &off);
  g_assert_cmpuint(off, ==, buf->len);
  g_assert_cmpuint(ncap_pcapng_reader_n_interfaces(r), ==, 2);
  g_assert_cmpuint(ncap_pcapng_reader_linktype(r, 0), ==, 113);
  g_assert_cmpuint(ncap_pcapng_reader_tsresol(r, 0), ==, 9);
  g_assert_cmpuint(ncap_pcapng_reader_linktype(r, 1), ==, 1);
  g_assert_cmpuint(ncap_pcapng_reader_tsresol(r, 1), ==, 6);

  NcapIdbParsed p;
  g_assert_true(ncap_pcapng_parse_idb(&b1, &p, &error));
  g_assert_cmpuint(p.linktype, ==, 113);
  g_assert_cmpuint(p.snaplen, ==, 262144);
  g_assert_cmpstr(p.name, ==, idb.name);
  g_assert_cmpstr(p.description, ==, idb.description);
  g_assert_cmpstr(p.filter, ==, "tcp port 80");
  g_assert_cmpuint(p.tsresol, ==, 9);
  ncap_idb_parsed_clear(&p);
  g_assert_null(p.name);

  /* The filter option starts with the byte 0 (a libpcap filter string). */
  g_assert_nonnull(memmem(b1.body, b1.body_len, "\0tcp port 80", 12));

  g_assert_true(ncap_pcapng_parse_idb(&b2, &p, &error));
  g_assert_cmpstr(p.name, ==, "b:lo");
  g_assert_null(p.description);
  g_assert_null(p.filter);  /* "" is omitted */
  g_assert_cmpuint(p.tsresol, ==, 6);
  ncap_idb_parsed_clear(&p);

  /* A parser refuses the wrong block type. */
  g_assert_false(ncap_pcapng_parse_epb(&b1, &(NcapEpbParsed){ 0 }, &error));
  g_assert_error(error, NCAP_ERROR, NCAP_ERROR_INVALID);
}

static void
fill_pattern(uint8_t *p, gsize n, uint8_t seed)
{
  for (gsize i = 0; i < n; i++)
    p[i] = (uint8_t)(seed + i * 7);
}

static void
test_epb_roundtrip(void)
{
  uint8_t data[300];
  fill_pattern(data, sizeof data, 3);
  /* Every padding remainder, with and without each option. */
  for (guint caplen = 0; caplen <= 9; caplen++) {
    for (guint opts = 0; opts < 8; opts++) {
      NcapEpb e = {
        .interface_id = 1,
        .timestamp = G_GUINT64_CONSTANT(0x0001020304050607) + caplen,
        .caplen = caplen,
        .origlen = caplen + 1000,
        .data = data,
        .has_packetid = opts & 1,
        .packetid = G_GUINT64_CONSTANT(0xfedcba9876543210),
        .has_dropcount = (opts & 2) != 0,
        .dropcount = 42,
        .comment = (opts & 4) ? "a comment of odd length" : NULL,
      };
      g_autoptr(GByteArray) buf = g_byte_array_new();
      NcapIdbInfo idb = { .linktype = 1, .snaplen = 65535, .name = "n:eth0" };
      ncap_pcapng_put_header(buf, &shb_info, &idb);
      ncap_pcapng_put_idb(buf, &idb);
      guint start = buf->len;
      gsize n = ncap_pcapng_put_epb(buf, &e);
      g_assert_cmpuint(n, ==, buf->len - start);
      g_assert_cmpuint(n, ==, ncap_pcapng_epb_len(&e));

      /* encode_epb into dirty memory writes the same bytes, padding zeroed. */
      uint8_t dirty[512];
      memset(dirty, 0xaa, sizeof dirty);
      g_assert_cmpuint(ncap_pcapng_encode_epb(dirty, &e), ==, n);
      g_assert_cmpmem(dirty, n, buf->data + start, n);
      g_assert_cmpuint(dirty[n], ==, 0xaa);  /* nothing past the block */
      for (gsize i = 28 + caplen; i < 28 + ((caplen + 3u) & ~3u); i++)
        g_assert_cmpuint(dirty[i], ==, 0);

      g_autoptr(NcapPcapngReader) r = ncap_pcapng_reader_new();
      g_autoptr(GError) error = NULL;
      gsize off = 0;
      for (int i = 0; i < 3; i++)
        next_block(r, buf->data, buf->len, &off);
      NcapPcapngBlock b = next_block(r, buf->data, buf->len, &off);
      g_assert_cmpuint(off, ==, buf->len);
      NcapEpbParsed p;
      g_assert_true(ncap_pcapng_parse_epb(&b, &p, &error));
      g_assert_no_error(error);
      g_assert_cmpuint(p.interface_id, ==, 1);
      g_assert_cmphex(p.timestamp, ==, e.timestamp);
      g_assert_cmpuint(p.caplen, ==, caplen);
      g_assert_cmpuint(p.origlen, ==, caplen + 1000);
      g_assert_cmpmem(p.data, p.caplen, data, caplen);
      g_assert_cmpint(p.has_packetid, ==, e.has_packetid);
      if (p.has_packetid)
        g_assert_cmphex(p.packetid, ==, e.packetid);
      g_assert_cmpint(p.has_dropcount, ==, e.has_dropcount);
      if (p.has_dropcount)
        g_assert_cmpuint(p.dropcount, ==, 42);
      g_assert_cmpstr(p.comment, ==, e.comment);
      ncap_epb_parsed_clear(&p);
    }
  }
}

static void
test_isb_roundtrip(void)
{
  g_autoptr(GByteArray) buf = g_byte_array_new();
  NcapIdbInfo idb = { .linktype = 1, .snaplen = 65535, .name = "n:eth0", .tsresol = 9 };
  ncap_pcapng_put_header(buf, &shb_info, &idb);
  NcapIsb full = {
    .interface_id = 0,
    .timestamp = G_GUINT64_CONSTANT(1700000000123456789),
    .present = NCAP_ISB_HAS_STARTTIME | NCAP_ISB_HAS_ENDTIME | NCAP_ISB_HAS_IFRECV |
               NCAP_ISB_HAS_IFDROP | NCAP_ISB_HAS_OSDROP | NCAP_ISB_HAS_USRDELIV,
    .starttime = G_GUINT64_CONSTANT(1700000000000000001),
    .endtime = G_GUINT64_CONSTANT(1700000000123456789),
    .ifrecv = G_GUINT64_CONSTANT(0x100000001),
    .ifdrop = 7,
    .osdrop = 3,
    .usrdeliv = 11,
    .comment = "final",
  };
  NcapIsb some = { .interface_id = 0, .timestamp = 5,
                   .present = NCAP_ISB_HAS_IFRECV, .ifrecv = 99 };
  NcapIsb bare = { .interface_id = 0, .timestamp = 6 };
  ncap_pcapng_put_isb(buf, &full);
  ncap_pcapng_put_isb(buf, &some);
  g_assert_cmpuint(ncap_pcapng_put_isb(buf, &bare), ==, 24);

  g_autoptr(NcapPcapngReader) r = ncap_pcapng_reader_new();
  g_autoptr(GError) error = NULL;
  gsize off = 0;
  next_block(r, buf->data, buf->len, &off);
  next_block(r, buf->data, buf->len, &off);
  NcapPcapngBlock b = next_block(r, buf->data, buf->len, &off);
  NcapIsbParsed p;
  g_assert_true(ncap_pcapng_parse_isb(&b, &p, &error));
  g_assert_cmpuint(p.present, ==, full.present);
  g_assert_cmpuint(p.timestamp, ==, full.timestamp);
  g_assert_cmpuint(p.starttime, ==, full.starttime);
  g_assert_cmpuint(p.endtime, ==, full.endtime);
  g_assert_cmpuint(p.ifrecv, ==, full.ifrecv);
  g_assert_cmpuint(p.ifdrop, ==, 7);
  g_assert_cmpuint(p.usrdeliv, ==, 11);
  g_assert_cmpuint(p.osdrop, ==, 3);
  /* isb_starttime is high word then low word, not a host-order u64. */
  g_assert_nonnull(memmem(b.body, b.body_len,
                          &(uint32_t){ (uint32_t)(full.starttime >> 32) }, 4));

  b = next_block(r, buf->data, buf->len, &off);
  g_assert_true(ncap_pcapng_parse_isb(&b, &p, &error));
  g_assert_cmpuint(p.present, ==, NCAP_ISB_HAS_IFRECV);
  g_assert_cmpuint(p.ifrecv, ==, 99);
  b = next_block(r, buf->data, buf->len, &off);
  g_assert_true(ncap_pcapng_parse_isb(&b, &p, &error));
  g_assert_cmpuint(p.present, ==, 0);
  g_assert_cmpuint(p.timestamp, ==, 6);
  g_assert_cmpuint(off, ==, buf->len);
}

/* ---- the other byte order, built by hand ---- */

static void
be16(GByteArray *a, uint16_t v)
{
  uint8_t b[2] = { v >> 8, v };
  g_byte_array_append(a, b, 2);
}

static void
be32(GByteArray *a, uint32_t v)
{
  uint8_t b[4] = { v >> 24, v >> 16, v >> 8, v };
  g_byte_array_append(a, b, 4);
}

static void
be64(GByteArray *a, uint64_t v)
{
  be32(a, v >> 32);
  be32(a, (uint32_t)v);
}

static void
be_opt_str(GByteArray *a, uint16_t code, const char *s, gsize n)
{
  static const uint8_t zero[4];
  be16(a, code);
  be16(a, (uint16_t)n);
  g_byte_array_append(a, (const uint8_t *)s, (guint)n);
  g_byte_array_append(a, zero, (4 - n % 4) % 4);
}

/* Closes a block opened at start: patches both lengths. */
static void
be_close(GByteArray *a, guint start)
{
  guint total = a->len - start + 4;
  be32(a, total);
  uint8_t b[4] = { total >> 24, total >> 16, total >> 8, total };
  memcpy(a->data + start + 4, b, 4);
}

static GByteArray *
big_endian_file(void)
{
  GByteArray *a = g_byte_array_new();
  guint s = a->len;
  be32(a, NCAP_PCAPNG_BT_SHB);
  be32(a, 0);
  be32(a, NCAP_PCAPNG_BYTE_ORDER_MAGIC);
  be16(a, 1);
  be16(a, 0);
  be64(a, UINT64_MAX);
  be_opt_str(a, NCAP_OPT_SHB_OS, "SunOS", 5);
  be32(a, 0);
  be_close(a, s);

  s = a->len;
  be32(a, NCAP_PCAPNG_BT_IDB);
  be32(a, 0);
  be16(a, 101);
  be16(a, 0);
  be32(a, 1500);
  be_opt_str(a, NCAP_OPT_IF_NAME, "sparc:hme0", 10);
  be_opt_str(a, NCAP_OPT_IF_FILTER, "\0udp", 4);
  be_opt_str(a, NCAP_OPT_IF_TSRESOL, "\x09", 1);
  be32(a, 0);
  be_close(a, s);

  s = a->len;
  be32(a, NCAP_PCAPNG_BT_EPB);
  be32(a, 0);
  be32(a, 0);
  be64(a, G_GUINT64_CONSTANT(0x0102030405060708));
  be32(a, 5);
  be32(a, 60);
  be_opt_str(a, 0xffff, "hello", 5);  /* the packet data, same padding */
  be16(a, NCAP_OPT_EPB_DROPCOUNT);
  be16(a, 8);
  be64(a, 3);
  be16(a, NCAP_OPT_EPB_PACKETID);
  be16(a, 8);
  be64(a, G_GUINT64_CONSTANT(0x1122334455667788));
  be32(a, 0);
  be_close(a, s);
  /* The opt header written above in place of data: drop its 4 bytes. */
  guint data_at = s + 28;
  g_byte_array_remove_range(a, data_at, 4);
  uint32_t total = a->len - s;
  uint8_t tb[4] = { total >> 24, total >> 16, total >> 8, total };
  memcpy(a->data + s + 4, tb, 4);
  memcpy(a->data + a->len - 4, tb, 4);

  s = a->len;
  be32(a, NCAP_PCAPNG_BT_ISB);
  be32(a, 0);
  be32(a, 0);
  be64(a, 77);
  be16(a, NCAP_OPT_ISB_STARTTIME);
  be16(a, 8);
  be64(a, G_GUINT64_CONSTANT(0x0000000100000002));
  be16(a, NCAP_OPT_ISB_IFRECV);
  be16(a, 8);
  be64(a, 1000);
  be32(a, 0);
  be_close(a, s);
  return a;
}

static void
test_big_endian(void)
{
  g_autoptr(GByteArray) a = big_endian_file();
  g_autoptr(NcapPcapngReader) r = ncap_pcapng_reader_new();
  g_autoptr(GError) error = NULL;
  bool host_be = G_BYTE_ORDER == G_BIG_ENDIAN;
  gsize off = 0;

  NcapPcapngBlock b = next_block(r, a->data, a->len, &off);
  g_assert_cmphex(b.type, ==, NCAP_PCAPNG_BT_SHB);
  g_assert_cmpint(b.swapped, ==, !host_be);
  NcapShbParsed shb;
  g_assert_true(ncap_pcapng_parse_shb(&b, &shb, &error));
  g_assert_cmpstr(shb.os, ==, "SunOS");
  ncap_shb_parsed_clear(&shb);

  b = next_block(r, a->data, a->len, &off);
  g_assert_cmphex(b.type, ==, NCAP_PCAPNG_BT_IDB);
  NcapIdbParsed idb;
  g_assert_true(ncap_pcapng_parse_idb(&b, &idb, &error));
  g_assert_cmpuint(idb.linktype, ==, 101);
  g_assert_cmpuint(idb.snaplen, ==, 1500);
  g_assert_cmpstr(idb.name, ==, "sparc:hme0");
  g_assert_cmpstr(idb.filter, ==, "udp");
  g_assert_cmpuint(idb.tsresol, ==, 9);
  ncap_idb_parsed_clear(&idb);
  g_assert_cmpuint(ncap_pcapng_reader_linktype(r, 0), ==, 101);
  g_assert_cmpuint(ncap_pcapng_reader_tsresol(r, 0), ==, 9);

  b = next_block(r, a->data, a->len, &off);
  g_assert_cmphex(b.type, ==, NCAP_PCAPNG_BT_EPB);
  NcapEpbParsed epb;
  g_assert_true(ncap_pcapng_parse_epb(&b, &epb, &error));
  g_assert_no_error(error);
  g_assert_cmphex(epb.timestamp, ==, G_GUINT64_CONSTANT(0x0102030405060708));
  g_assert_cmpuint(epb.caplen, ==, 5);
  g_assert_cmpuint(epb.origlen, ==, 60);
  g_assert_cmpmem(epb.data, 5, "hello", 5);
  g_assert_true(epb.has_dropcount);
  g_assert_cmpuint(epb.dropcount, ==, 3);
  g_assert_true(epb.has_packetid);
  g_assert_cmphex(epb.packetid, ==, G_GUINT64_CONSTANT(0x1122334455667788));
  ncap_epb_parsed_clear(&epb);
  /* get32/set32 follow the section's order (the merger renumbers ids). */
  g_assert_cmpuint(ncap_pcapng_get32(b.body + 12, b.swapped), ==, 5);
  uint8_t copy[4];
  ncap_pcapng_set32(copy, b.swapped, 5);
  g_assert_cmpmem(copy, 4, b.body + 12, 4);

  b = next_block(r, a->data, a->len, &off);
  NcapIsbParsed isb;
  g_assert_true(ncap_pcapng_parse_isb(&b, &isb, &error));
  g_assert_cmpuint(isb.timestamp, ==, 77);
  g_assert_cmpuint(isb.present, ==, NCAP_ISB_HAS_STARTTIME | NCAP_ISB_HAS_IFRECV);
  g_assert_cmphex(isb.starttime, ==, G_GUINT64_CONSTANT(0x0000000100000002));
  g_assert_cmpuint(isb.ifrecv, ==, 1000);
  g_assert_cmpuint(off, ==, a->len);
  g_assert_cmpuint(ncap_pcapng_valid_prefix(a->data, a->len), ==, a->len);

  /* A host-order section after the big-endian one: order switches back. */
  ncap_pcapng_put_shb(a, &shb_info);
  NcapIdbInfo i2 = { .linktype = 1, .snaplen = 100, .name = "x" };
  ncap_pcapng_put_idb(a, &i2);
  b = next_block(r, a->data, a->len, &off);
  g_assert_cmpint(b.swapped, ==, host_be);
  b = next_block(r, a->data, a->len, &off);
  g_assert_cmpuint(ncap_pcapng_reader_n_interfaces(r), ==, 1);
  g_assert_cmpuint(ncap_pcapng_reader_linktype(r, 0), ==, 1);
}

/* ---- a small valid file, for truncation and salvage ---- */

static GByteArray *
sample_file(void)
{
  GByteArray *buf = g_byte_array_new();
  NcapIdbInfo idb = { .linktype = 1, .snaplen = 65535, .name = "a:eth0",
                      .filter = "ip", .tsresol = 9 };
  ncap_pcapng_put_header(buf, &shb_info, &idb);
  uint8_t data[61];
  fill_pattern(data, sizeof data, 9);
  for (guint i = 0; i < 4; i++) {
    NcapEpb e = { .timestamp = 1000 + i, .caplen = 50 + i, .origlen = 50 + i,
                  .data = data, .has_packetid = true, .packetid = i + 1,
                  .has_dropcount = true, .dropcount = i };
    ncap_pcapng_put_epb(buf, &e);
  }
  NcapIsb isb = { .timestamp = 2000, .present = NCAP_ISB_HAS_IFRECV, .ifrecv = 4 };
  ncap_pcapng_put_isb(buf, &isb);
  return buf;
}

/* Block boundaries of a valid buffer. */
static GArray *
block_ends(const GByteArray *buf)
{
  GArray *ends = g_array_new(FALSE, FALSE, sizeof(gsize));
  g_autoptr(NcapPcapngReader) r = ncap_pcapng_reader_new();
  gsize off = 0;
  while (off < buf->len) {
    next_block(r, buf->data, buf->len, &off);
    g_array_append_val(ends, off);
  }
  return ends;
}

static void
test_truncated(void)
{
  g_autoptr(GByteArray) buf = sample_file();
  g_autoptr(GArray) ends = block_ends(buf);
  g_assert_cmpuint(ends->len, ==, 7);
  /* Every cut: the whole blocks before it come out, then NEED_MORE. Each cut
   * is copied to its own allocation so ASan sees any read past it. */
  for (gsize cut = 0; cut <= buf->len; cut++) {
    g_autofree uint8_t *copy = g_memdup2(buf->data, cut);
    g_autoptr(NcapPcapngReader) r = ncap_pcapng_reader_new();
    gsize off = 0, whole = 0;
    for (guint i = 0; i < ends->len && g_array_index(ends, gsize, i) <= cut; i++)
      whole = g_array_index(ends, gsize, i);
    for (;;) {
      NcapPcapngBlock b;
      gsize used;
      g_autoptr(GError) error = NULL;
      NcapPcapngStatus st = ncap_pcapng_reader_next(r, copy + off, cut - off, &b,
                                                    &used, &error);
      g_assert_no_error(error);
      if (st == NCAP_PCAPNG_NEED_MORE) {
        g_assert_cmpuint(used, ==, 0);
        break;
      }
      g_assert_cmpint(st, ==, NCAP_PCAPNG_BLOCK);
      off += used;
    }
    g_assert_cmpuint(off, ==, whole);
    g_assert_cmpuint(ncap_pcapng_valid_prefix(copy, cut), ==, whole);
  }
}

static void
test_valid_prefix(void)
{
  g_autoptr(GByteArray) buf = sample_file();
  g_autoptr(GArray) ends = block_ends(buf);
  gsize len = buf->len;
  g_assert_cmpuint(ncap_pcapng_valid_prefix(buf->data, len), ==, len);

  /* Cut in the middle of the third EPB. */
  gsize third_end = g_array_index(ends, gsize, 4);
  gsize second_end = g_array_index(ends, gsize, 3);
  g_assert_cmpuint(ncap_pcapng_valid_prefix(buf->data, third_end - 10), ==, second_end);

  /* A zeroed tail (a preallocated file the writer never filled) is cut. */
  g_autoptr(GByteArray) zeroed = g_byte_array_new();
  g_byte_array_append(zeroed, buf->data, (guint)len);
  g_byte_array_set_size(zeroed, (guint)len + 8192);
  memset(zeroed->data + len, 0, 8192);
  g_assert_cmpuint(ncap_pcapng_valid_prefix(zeroed->data, zeroed->len), ==, len);

  /* A block whose end was zeroed (torn write: lengths no longer agree). */
  memset(zeroed->data + third_end - 8, 0, 8);
  g_assert_cmpuint(ncap_pcapng_valid_prefix(zeroed->data, zeroed->len), ==, second_end);

  /* Not pcapng at all. */
  g_assert_cmpuint(ncap_pcapng_valid_prefix((const uint8_t *)"hello world!", 12), ==, 0);
  g_assert_cmpuint(ncap_pcapng_valid_prefix(buf->data, 0), ==, 0);
}

/* ---- hostile inputs ---- */

/* TRUE when the whole input reads as valid blocks that all parse. */
static gboolean
accepts(const uint8_t *data, gsize len, gboolean *by_reader, GError **error)
{
  *by_reader = TRUE;
  g_autoptr(NcapPcapngReader) r = ncap_pcapng_reader_new();
  gsize off = 0;
  while (off < len) {
    NcapPcapngBlock b;
    gsize used;
    NcapPcapngStatus st = ncap_pcapng_reader_next(r, data + off, len - off, &b,
                                                  &used, error);
    if (st == NCAP_PCAPNG_ERROR)
      return FALSE;
    if (st == NCAP_PCAPNG_NEED_MORE) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID, "truncated at %zu", off);
      return FALSE;
    }
    off += used;
    *by_reader = FALSE;
    gboolean ok = TRUE;
    switch (b.type) {
    case NCAP_PCAPNG_BT_SHB: {
      NcapShbParsed p;
      if ((ok = ncap_pcapng_parse_shb(&b, &p, error)))
        ncap_shb_parsed_clear(&p);
      break;
    }
    case NCAP_PCAPNG_BT_IDB: {
      NcapIdbParsed p;
      if ((ok = ncap_pcapng_parse_idb(&b, &p, error)))
        ncap_idb_parsed_clear(&p);
      break;
    }
    case NCAP_PCAPNG_BT_EPB: {
      NcapEpbParsed p;
      if ((ok = ncap_pcapng_parse_epb(&b, &p, error)))
        ncap_epb_parsed_clear(&p);
      break;
    }
    case NCAP_PCAPNG_BT_ISB: {
      NcapIsbParsed p;
      ok = ncap_pcapng_parse_isb(&b, &p, error);
      break;
    }
    default:
      break;
    }
    if (!ok)
      return FALSE;
    *by_reader = TRUE;
  }
  return TRUE;
}

static void
test_bad_files(void)
{
  const char *top = g_getenv("NCAP_TEST_DATA");
  if (!top) {
    g_test_skip("NCAP_TEST_DATA not set (run through ctest)");
    return;
  }
  g_autofree char *dir_path = g_build_filename(top, "bad", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = g_dir_open(dir_path, 0, &error);
  g_assert_no_error(error);
  guint n = 0;
  const char *name;
  while ((name = g_dir_read_name(dir))) {
    if (!g_str_has_suffix(name, ".pcapng"))
      continue;
    g_autofree char *path = g_build_filename(dir_path, name, NULL);
    g_autofree char *contents = NULL;
    gsize len;
    g_assert_true(g_file_get_contents(path, &contents, &len, &error));
    /* An exact-size copy, so ASan catches a read past the end. */
    g_autofree uint8_t *copy = g_memdup2(contents, len);
    g_autoptr(GError) why = NULL;
    gboolean by_reader;
    if (accepts(copy, len, &by_reader, &why))
      g_error("%s was accepted", name);
    g_assert_nonnull(why);
    g_assert_true(g_str_has_prefix(why->message, "pcapng: ") ||
                  g_str_has_prefix(why->message, "truncated"));
    g_test_message("%s: %s", name, why->message);
    /* Salvage cuts what the reader refuses. It keeps blocks whose options
     * only a parser refuses: they are whole, and tools skip bad options. */
    gsize keep = ncap_pcapng_valid_prefix(copy, len);
    if (by_reader)
      g_assert_cmpuint(keep, <, len);
    else
      g_assert_cmpuint(keep, ==, len);
    n++;
  }
  g_assert_cmpuint(n, >=, 30);

  /* And the good sample passes the same check, so the check is not vacuous. */
  g_autoptr(GByteArray) good = sample_file();
  gboolean by_reader;
  g_assert_true(accepts(good->data, good->len, &by_reader, &error));
  g_assert_no_error(error);
}

/* Random byte flips and cuts of a valid file (seeded, so repeatable): the
 * reader and parsers either accept or refuse, and never read outside the
 * input (run under -DNCAP_SANITIZE=ON to check that). */
static void
test_mutations(void)
{
  g_autoptr(GByteArray) good = big_endian_file();
  g_autoptr(GByteArray) host = sample_file();
  g_byte_array_append(good, host->data, host->len);
  GRand *rand = g_rand_new_with_seed(20240601);
  guint refused = 0;
  for (int i = 0; i < 3000; i++) {
    g_autofree uint8_t *m = g_memdup2(good->data, good->len);
    int flips = g_rand_int_range(rand, 1, 4);
    for (int f = 0; f < flips; f++)
      m[g_rand_int_range(rand, 0, good->len)] = (uint8_t)g_rand_int(rand);
    gsize len = g_rand_boolean(rand) ? good->len
                                     : (gsize)g_rand_int_range(rand, 0, good->len);
    g_autofree uint8_t *cut = g_memdup2(m, len);
    g_autoptr(GError) error = NULL;
    gboolean by_reader;
    if (!accepts(cut, len, &by_reader, &error))
      refused++;
    g_assert_cmpuint(ncap_pcapng_valid_prefix(cut, len), <=, len);
  }
  g_test_message("%u of 3000 mutated files refused", refused);
  g_assert_cmpuint(refused, >, 0);
  g_rand_free(rand);
}

/* ---- the real capinfos and tshark ---- */

static char *
run(const char *const *argv, int *status)
{
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(GError) error = NULL;
  g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH,
                             NULL, NULL, &out, &err, status, &error));
  g_assert_no_error(error);
  /* tshark warns about running as root; anything else is a complaint. */
  g_auto(GStrv) lines = g_strsplit(err, "\n", -1);
  for (char **l = lines; *l; l++)
    if (**l && !strstr(*l, "Running as user \"root\""))
      g_error("%s wrote to stderr: %s", argv[0], *l);
  return g_steal_pointer(&out);  /* transfer full */
}

static void
test_tshark(void)
{
  g_autofree char *tshark = g_find_program_in_path("tshark");
  g_autofree char *capinfos = g_find_program_in_path("capinfos");
  if (!tshark || !capinfos) {
    g_test_fail_printf("tshark and capinfos are needed (apt-get install tshark)");
    return;
  }
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp("test-pcapng-XXXXXX", &error);
  g_assert_no_error(error);
  g_autofree char *path = g_build_filename(dir, "two-ifaces.pcapng", NULL);

  g_autoptr(GByteArray) buf = g_byte_array_new();
  NcapIdbInfo a = { .linktype = 1, .snaplen = 262144, .name = "node-a:eth0",
                    .description = "node a", .filter = "udp", .tsresol = 9 };
  NcapIdbInfo b = { .linktype = 101, .snaplen = 160, .name = "node-b:lo",
                    .tsresol = 6 };
  ncap_pcapng_put_header(buf, &shb_info, &a);
  ncap_pcapng_put_idb(buf, &b);
  /* An Ethernet frame and the same IPv4/UDP packet raw. */
  static const uint8_t ip[] = {
    0x45, 0, 0, 32, 0x12, 0x34, 0x40, 0, 64, 17, 0, 0, 192, 0, 2, 1,
    198, 51, 100, 7, 0x30, 0x39, 0x00, 0x35, 0, 12, 0, 0, 'p', 'i', 'n', 'g',
  };
  uint8_t frame[14 + sizeof ip] = { 0 };
  frame[12] = 0x08;
  memcpy(frame + 14, ip, sizeof ip);
  NcapEpb e1 = { .interface_id = 0, .timestamp = G_GUINT64_CONSTANT(1700000000000000000),
                 .caplen = sizeof frame, .origlen = sizeof frame, .data = frame,
                 .has_packetid = true, .packetid = G_GUINT64_CONSTANT(0x8000000000000001),
                 .has_dropcount = true, .dropcount = 0 };
  NcapEpb e2 = { .interface_id = 1, .timestamp = G_GUINT64_CONSTANT(1700000000000001),
                 .caplen = sizeof ip, .origlen = sizeof ip, .data = ip,
                 .has_packetid = true, .packetid = G_GUINT64_CONSTANT(0x8000000000000001),
                 .has_dropcount = true, .dropcount = 17, .comment = "seen at b" };
  NcapEpb e3 = { .interface_id = 0, .timestamp = G_GUINT64_CONSTANT(1700000000000000500),
                 .caplen = sizeof frame, .origlen = sizeof frame, .data = frame,
                 .has_packetid = true, .packetid = 12345 };
  ncap_pcapng_put_epb(buf, &e1);
  ncap_pcapng_put_epb(buf, &e2);
  ncap_pcapng_put_epb(buf, &e3);
  NcapIsb isb = { .interface_id = 0, .timestamp = G_GUINT64_CONSTANT(1700000001000000000),
                  .present = NCAP_ISB_HAS_STARTTIME | NCAP_ISB_HAS_ENDTIME |
                             NCAP_ISB_HAS_IFRECV | NCAP_ISB_HAS_IFDROP |
                             NCAP_ISB_HAS_OSDROP,
                  .starttime = G_GUINT64_CONSTANT(1700000000000000000),
                  .endtime = G_GUINT64_CONSTANT(1700000001000000000),
                  .ifrecv = 2, .ifdrop = 0, .osdrop = 0 };
  ncap_pcapng_put_isb(buf, &isb);
  g_assert_true(g_file_set_contents(path, (const char *)buf->data, buf->len, &error));

  int status;
  const char *cap_argv[] = { "capinfos", "-M", path, NULL };
  g_autofree char *cap = run(cap_argv, &status);
  g_test_message("capinfos:\n%s", cap);
  g_assert_true(g_spawn_check_wait_status(status, &error));
  g_assert_no_error(error);
  g_assert_nonnull(strstr(cap, "Number of packets:   3"));
  g_assert_nonnull(strstr(cap, "Number of interfaces in file: 2"));
  g_assert_nonnull(strstr(cap, "Name = node-a:eth0"));
  g_assert_nonnull(strstr(cap, "Name = node-b:lo"));
  g_assert_nonnull(strstr(cap, "Capture length = 262144"));
  g_assert_nonnull(strstr(cap, "Capture application: nodecap-helper 0.1"));
  g_assert_nonnull(strstr(cap, "Filter string = udp"));
  g_assert_nonnull(strstr(cap, "Time precision = nanoseconds (9)"));
  g_assert_nonnull(strstr(cap, "Number of stat entries = 1"));  /* the ISB */

  const char *ts_argv[] = { "tshark", "-r", path, "-T", "fields",
                            "-e", "frame.packet_id", "-e", "frame.drop_count",
                            "-e", "frame.interface_name", "-e", "ip.dst", NULL };
  g_autofree char *ts = run(ts_argv, &status);
  g_test_message("tshark:\n%s", ts);
  g_assert_true(g_spawn_check_wait_status(status, &error));
  g_assert_no_error(error);
  g_assert_cmpstr(ts, ==,
                  "9223372036854775809\t0\tnode-a:eth0\t198.51.100.7\n"
                  "9223372036854775809\t17\tnode-b:lo\t198.51.100.7\n"
                  "12345\t\tnode-a:eth0\t198.51.100.7\n");

  g_unlink(path);
  g_rmdir(dir);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/pcapng/shb/roundtrip", test_shb_roundtrip);
  g_test_add_func("/pcapng/idb/roundtrip", test_idb_roundtrip);
  g_test_add_func("/pcapng/epb/roundtrip", test_epb_roundtrip);
  g_test_add_func("/pcapng/isb/roundtrip", test_isb_roundtrip);
  g_test_add_func("/pcapng/big-endian", test_big_endian);
  g_test_add_func("/pcapng/truncated", test_truncated);
  g_test_add_func("/pcapng/valid-prefix", test_valid_prefix);
  g_test_add_func("/pcapng/bad-files", test_bad_files);
  g_test_add_func("/pcapng/mutations", test_mutations);
  g_test_add_func("/pcapng/tshark", test_tshark);
  return g_test_run();
}
