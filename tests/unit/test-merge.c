/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for common/merge.c: node streams built with the pcapng writer
 * (as nodecap-helper writes them), fed in random splits, the merged output
 * read back with the pcapng reader and checked block by block; then the
 * merged file is read by the real capinfos, tshark and compared with what
 * mergecap makes of the per-node files. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "merge.h"
#include "ncap-error.h"
#include "pcapng.h"

#define T0 G_GUINT64_CONSTANT(1700000000000000000) /* ns, a recent date */
#define MS G_GUINT64_CONSTANT(1000000)
#define SEC G_GUINT64_CONSTANT(1000000000)
#define US G_GUINT64_CONSTANT(1000)

/* ---- building node streams --------------------------------------------- */

/* An Ethernet/IPv4/UDP frame from 192.0.2.<node+1> to 198.51.100.1 whose
 * payload carries (node, seq), so every packet can be told apart. */
static guint
make_frame(uint8_t *f, guint node, guint seq)
{
  memset(f, 0, 50);
  f[0] = 0x02; f[5] = 0x01;               /* dst 02:00:00:00:00:01 */
  f[6] = 0x02; f[11] = (uint8_t)(0x10 + node);
  f[12] = 0x08;                           /* IPv4 */
  uint8_t *ip = f + 14;
  ip[0] = 0x45;
  ip[3] = 36;                             /* 20 + 8 + 8 */
  ip[4] = (uint8_t)(seq >> 8); ip[5] = (uint8_t)seq;
  ip[6] = 0x40;                           /* DF */
  ip[8] = 64; ip[9] = 17;
  ip[12] = 192; ip[13] = 0; ip[14] = 2; ip[15] = (uint8_t)(node + 1);
  ip[16] = 198; ip[17] = 51; ip[18] = 100; ip[19] = 1;
  guint32 sum = 0;
  for (int i = 0; i < 20; i += 2)
    sum += (guint32)(ip[i] << 8 | ip[i + 1]);
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  ip[10] = (uint8_t)(~sum >> 8); ip[11] = (uint8_t)~sum;
  uint8_t *udp = ip + 20;
  udp[0] = 0x9c; udp[1] = 0x40;           /* 40000 */
  udp[3] = 9;                             /* discard */
  udp[5] = 16;
  udp[8] = (uint8_t)node;
  udp[12] = (uint8_t)(seq >> 24); udp[13] = (uint8_t)(seq >> 16);
  udp[14] = (uint8_t)(seq >> 8); udp[15] = (uint8_t)seq;
  return 50;
}

typedef struct {
  GByteArray *bytes;
  uint8_t tsresol;
  guint node;
  guint seq;
} Stream;

static void
stream_init(Stream *s, guint node, const char *name, uint8_t tsresol)
{
  s->bytes = g_byte_array_new();
  s->tsresol = tsresol;
  s->node = node;
  s->seq = 0;
  NcapShbInfo shb = { .userappl = "nodecap-helper test", .os = "Linux" };
  g_autofree char *ifname = g_strdup_printf("%s:eth0", name);
  NcapIdbInfo idb = {
    .linktype = 1,
    .snaplen = 262144,
    .name = ifname,
    .description = "nodecap session=00000000deadbeef first_seq=0 sample=1",
    .filter = "udp",
    .tsresol = tsresol,
  };
  ncap_pcapng_put_header(s->bytes, &shb, &idb);
}

static uint64_t
to_units(const Stream *s, uint64_t ns)
{
  return s->tsresol == 6 ? ns / 1000 : ns;
}

static void
stream_packet(Stream *s, uint64_t ts_ns)
{
  uint8_t frame[64];
  guint len = make_frame(frame, s->node, s->seq);
  NcapEpb e = {
    .timestamp = to_units(s, ts_ns),
    .caplen = len,
    .origlen = len,
    .data = frame,
    .has_packetid = true,
    .packetid = ((uint64_t)s->node << 32) | s->seq,
    .has_dropcount = true,
    .dropcount = 0,
  };
  ncap_pcapng_put_epb(s->bytes, &e);
  s->seq++;
}

static void
stream_isb(Stream *s, uint64_t ts_ns)
{
  NcapIsb isb = {
    .timestamp = to_units(s, ts_ns),
    .present = NCAP_ISB_HAS_STARTTIME | NCAP_ISB_HAS_ENDTIME | NCAP_ISB_HAS_IFRECV,
    .starttime = to_units(s, T0),
    .endtime = to_units(s, ts_ns),
    .ifrecv = s->seq,
  };
  ncap_pcapng_put_isb(s->bytes, &isb);
}

static void
stream_clear(Stream *s)
{
  g_clear_pointer(&s->bytes, g_byte_array_unref);
}

/* ---- reading the merged output ----------------------------------------- */

typedef struct {
  guint32 ifid;
  uint64_t ts_ns;
  guint node, seq;
  uint64_t packetid;
  char *comment;
} Pkt;

typedef struct {
  guint32 ifid;
  uint64_t ts_ns, starttime, endtime;
  char *comment;
} Isb;

typedef struct {
  guint n_shb;
  char *userappl;
  GPtrArray *if_names, *if_descs;
  GArray *if_resol;   /* uint64_t units per second */
  GArray *pkts;       /* Pkt */
  GArray *isbs;       /* Isb */
} Out;

static uint64_t
ups_of(uint8_t r)
{
  uint64_t v = 1;
  for (unsigned i = 0; i < r; i++)
    v *= 10;
  return v;
}

static char *
isb_comment(const NcapPcapngBlock *b)
{
  const uint8_t *p = b->body + 12, *end = b->body + b->body_len;
  while (end - p >= 4) {
    uint16_t code, len;
    memcpy(&code, p, 2);
    memcpy(&len, p + 2, 2);
    if (code == 0)
      break;
    if (code == 1)
      return g_strndup((const char *)p + 4, len);
    p += 4 + ((len + 3u) & ~3u);
  }
  return NULL;
}

static void
out_clear(Out *o)
{
  g_free(o->userappl);
  g_ptr_array_unref(o->if_names);
  g_ptr_array_unref(o->if_descs);
  g_array_unref(o->if_resol);
  for (guint i = 0; i < o->pkts->len; i++)
    g_free(g_array_index(o->pkts, Pkt, i).comment);
  g_array_unref(o->pkts);
  for (guint i = 0; i < o->isbs->len; i++)
    g_free(g_array_index(o->isbs, Isb, i).comment);
  g_array_unref(o->isbs);
}

/* Parses the whole merged output; the reader itself checks that every
 * EPB/ISB refers to an IDB written before it. */
static void
out_parse(Out *o, const GByteArray *buf)
{
  memset(o, 0, sizeof *o);
  o->if_names = g_ptr_array_new_with_free_func(g_free);
  o->if_descs = g_ptr_array_new_with_free_func(g_free);
  o->if_resol = g_array_new(FALSE, FALSE, sizeof(uint64_t));
  o->pkts = g_array_new(FALSE, FALSE, sizeof(Pkt));
  o->isbs = g_array_new(FALSE, FALSE, sizeof(Isb));
  g_autoptr(NcapPcapngReader) r = ncap_pcapng_reader_new();
  gsize off = 0;
  while (off < buf->len) {
    NcapPcapngBlock b;
    gsize used;
    g_autoptr(GError) error = NULL;
    NcapPcapngStatus st = ncap_pcapng_reader_next(r, buf->data + off, buf->len - off,
                                                  &b, &used, &error);
    g_assert_no_error(error);
    g_assert_cmpint(st, ==, NCAP_PCAPNG_BLOCK);
    off += used;
    switch (b.type) {
    case NCAP_PCAPNG_BT_SHB: {
      NcapShbParsed p;
      g_assert_true(ncap_pcapng_parse_shb(&b, &p, &error));
      o->n_shb++;
      g_free(o->userappl);
      o->userappl = g_strdup(p.userappl);
      ncap_shb_parsed_clear(&p);
      break;
    }
    case NCAP_PCAPNG_BT_IDB: {
      NcapIdbParsed p;
      g_assert_true(ncap_pcapng_parse_idb(&b, &p, &error));
      g_ptr_array_add(o->if_names, g_strdup(p.name));
      g_ptr_array_add(o->if_descs, g_strdup(p.description));
      uint64_t u = ups_of(p.tsresol);
      g_array_append_val(o->if_resol, u);
      ncap_idb_parsed_clear(&p);
      break;
    }
    case NCAP_PCAPNG_BT_EPB: {
      NcapEpbParsed p;
      g_assert_true(ncap_pcapng_parse_epb(&b, &p, &error));
      uint64_t u = g_array_index(o->if_resol, uint64_t, p.interface_id);
      g_assert_cmpuint(p.caplen, ==, 50);
      Pkt k = {
        .ifid = p.interface_id,
        .ts_ns = p.timestamp * (SEC / u),
        .node = p.data[42],
        .seq = (guint)p.data[46] << 24 | (guint)p.data[47] << 16 |
               (guint)p.data[48] << 8 | p.data[49],
        .packetid = p.packetid,
        .comment = g_strdup(p.comment),
      };
      g_assert_true(p.has_packetid);
      g_assert_true(p.has_dropcount);
      g_array_append_val(o->pkts, k);
      ncap_epb_parsed_clear(&p);
      break;
    }
    case NCAP_PCAPNG_BT_ISB: {
      NcapIsbParsed p;
      g_assert_true(ncap_pcapng_parse_isb(&b, &p, &error));
      uint64_t u = g_array_index(o->if_resol, uint64_t, p.interface_id);
      Isb k = { p.interface_id, p.timestamp * (SEC / u), p.starttime * (SEC / u),
                p.endtime * (SEC / u), isb_comment(&b) };
      g_array_append_val(o->isbs, k);
      break;
    }
    default:
      g_assert_not_reached();
    }
  }
  g_assert_cmpuint(off, ==, buf->len);
}

static const char *
if_name(const Out *o, guint32 ifid)
{
  g_assert_cmpuint(ifid, <, o->if_names->len);
  return g_ptr_array_index(o->if_names, ifid);
}

static gboolean
has_isb_comment(const Out *o, const char *ifname, const char *comment)
{
  for (guint i = 0; i < o->isbs->len; i++) {
    const Isb *k = &g_array_index(o->isbs, Isb, i);
    if (k->comment && strcmp(k->comment, comment) == 0 &&
        strcmp(if_name(o, k->ifid), ifname) == 0)
      return TRUE;
  }
  return FALSE;
}

/* ---- feeding ----------------------------------------------------------- */

static void
feed_ok(NcapMerge *m, guint src, const GByteArray *b, gsize from, gsize to,
        gint64 now)
{
  g_autoptr(GError) error = NULL;
  g_assert_true(ncap_merge_feed(m, src, b->data + from, to - from, now, &error));
  g_assert_no_error(error);
}

/* Feeds every stream in random chunks (1 byte to 3000), sources picked at
 * random, draining after each feed; then ends them all. */
static void
feed_random(NcapMerge *m, Stream *st, guint n, GRand *rand, GByteArray *out)
{
  gsize off[8] = { 0 };
  for (;;) {
    guint left = 0;
    for (guint i = 0; i < n; i++)
      left += off[i] < st[i].bytes->len;
    if (!left)
      break;
    guint pick = (guint)g_rand_int_range(rand, 0, (gint32)left);
    guint i = 0;
    for (;; i++)
      if (off[i] < st[i].bytes->len && pick-- == 0)
        break;
    gsize chunk = (gsize)g_rand_int_range(rand, 1, 3001);
    gsize to = MIN(off[i] + chunk, st[i].bytes->len);
    feed_ok(m, i, st[i].bytes, off[i], to, 0);
    off[i] = to;
    ncap_merge_drain(m, 0, FALSE, out);
  }
  for (guint i = 0; i < n; i++)
    ncap_merge_source_end(m, i, NULL);
  /* Every source ended: nothing holds anything back, even unflushed. */
  ncap_merge_drain(m, 0, FALSE, out);
  NcapMergeStats t;
  ncap_merge_stats(m, &t, NULL);
  g_assert_cmpuint(t.bytes_held, ==, 0);
}

static char *run(const char *const *argv);
static char *write_tmp(const char *dir, const char *name, const GByteArray *b);

/* ---- tests ------------------------------------------------------------- */

/* n nodes, packets at random per-node gaps, an ISB every 20 packets, one
 * node in microseconds: the merge is sorted, complete, one SHB, each
 * packet on its own node's interface. */
static void
check_interleave(guint n, guint32 seed)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed(seed);
  Stream st[8];
  guint per_node = 150;
  for (guint i = 0; i < n; i++) {
    g_autofree char *name = g_strdup_printf("node%c", 'A' + i);
    stream_init(&st[i], i, name, i == 1 ? 6 : 9);
    uint64_t t = T0 + (uint64_t)g_rand_int_range(rand, 0, 1000) * 1000;
    for (guint k = 0; k < per_node; k++) {
      t += (uint64_t)g_rand_int_range(rand, 1, 2000) * 1000;
      stream_packet(&st[i], t);
      if (k % 20 == 19)
        stream_isb(&st[i], t);
    }
  }
  NcapMergeConfig cfg = { .version = "9.9" };
  g_autoptr(NcapMerge) m = ncap_merge_new(n, &cfg);
  g_autoptr(GByteArray) out = g_byte_array_new();
  feed_random(m, st, n, rand, out);

  Out o;
  out_parse(&o, out);
  g_assert_cmpuint(o.n_shb, ==, 1);
  g_autofree char *appl = g_strdup_printf("nodecap 9.9 (merged from %u nodes)", n);
  g_assert_cmpstr(o.userappl, ==, appl);
  g_assert_cmpuint(o.if_names->len, ==, n);
  g_assert_cmpuint(o.pkts->len, ==, n * per_node);
  g_assert_cmpuint(o.isbs->len, ==, n * (per_node / 20));
  guint next_seq[8] = { 0 };
  for (guint i = 0; i < o.pkts->len; i++) {
    const Pkt *p = &g_array_index(o.pkts, Pkt, i);
    if (i)
      g_assert_cmpuint(p->ts_ns, >=, g_array_index(o.pkts, Pkt, i - 1).ts_ns);
    g_autofree char *want = g_strdup_printf("node%c:eth0", 'A' + p->node);
    g_assert_cmpstr(if_name(&o, p->ifid), ==, want);
    g_assert_cmpuint(p->seq, ==, next_seq[p->node]);  /* per node in order */
    g_assert_cmpuint(p->packetid, ==, ((uint64_t)p->node << 32) | p->seq);
    next_seq[p->node]++;
  }
  NcapMergeStats t;
  NcapMergeSourceStats ss[8];
  ncap_merge_stats(m, &t, ss);
  g_assert_cmpuint(t.out_of_order, ==, 0);
  g_assert_cmpuint(t.released_by_window, ==, 0);
  g_assert_cmpuint(t.packets_out, ==, n * per_node);
  for (guint i = 0; i < n; i++) {
    g_assert_cmpuint(ss[i].packets_in, ==, per_node);
    g_assert_cmpuint(ss[i].packets_out, ==, per_node);
    g_assert_true(ss[i].ended);
    g_assert_false(ss[i].failed);
    g_autofree char *name = g_strdup_printf("node%c", 'A' + i);
    g_assert_cmpstr(ncap_merge_source_name(m, i), ==, name);
  }
  out_clear(&o);
  for (guint i = 0; i < n; i++)
    stream_clear(&st[i]);
}

static void
test_interleave_two(void)
{
  for (guint32 seed = 1; seed <= 20; seed++)
    check_interleave(2, seed);
}

static void
test_interleave_three(void)
{
  for (guint32 seed = 100; seed <= 120; seed++)
    check_interleave(3, seed);
}

/* A quiet node that writes ISBs lets the others through up to its
 * watermark, and no further. */
static void
test_quiet_source_isb(void)
{
  NcapMergeConfig cfg = { .window_us = 500000 };
  g_autoptr(NcapMerge) m = ncap_merge_new(2, &cfg);
  g_autoptr(GByteArray) out = g_byte_array_new();
  Stream a, b;
  stream_init(&a, 0, "busy", 9);
  stream_init(&b, 1, "quiet", 9);
  for (guint k = 0; k < 10; k++)
    stream_packet(&a, T0 + k * 100 * MS);   /* 0.0 s .. 0.9 s */
  stream_isb(&b, T0 + 450 * MS);
  feed_ok(m, 0, a.bytes, 0, a.bytes->len, 1000);
  ncap_merge_drain(m, 1000, FALSE, out);
  Out o;
  out_parse(&o, out);
  g_assert_cmpuint(o.pkts->len, ==, 0);     /* quiet has said nothing yet */
  out_clear(&o);

  feed_ok(m, 1, b.bytes, 0, b.bytes->len, 2000);
  ncap_merge_drain(m, 2000, FALSE, out);
  out_parse(&o, out);
  g_assert_cmpuint(o.pkts->len, ==, 5);     /* 0.0 .. 0.4 s: up to 0.45 s */
  g_assert_cmpuint(o.isbs->len, ==, 1);     /* its ISB went out in order */
  out_clear(&o);

  /* The next ISB moves the watermark on. */
  g_byte_array_set_size(b.bytes, 0);
  stream_isb(&b, T0 + 800 * MS);
  feed_ok(m, 1, b.bytes, 0, b.bytes->len, 3000);
  ncap_merge_drain(m, 3000, FALSE, out);
  out_parse(&o, out);
  g_assert_cmpuint(o.pkts->len, ==, 9);
  for (guint i = 1; i < o.pkts->len; i++)
    g_assert_cmpuint(g_array_index(o.pkts, Pkt, i).ts_ns, >,
                     g_array_index(o.pkts, Pkt, i - 1).ts_ns);
  out_clear(&o);
  NcapMergeStats t;
  ncap_merge_stats(m, &t, NULL);
  g_assert_cmpuint(t.released_by_window, ==, 0);
  g_assert_cmpuint(t.out_of_order, ==, 0);
  stream_clear(&a);
  stream_clear(&b);
}

/* A node that sends nothing (not even its header) delays the others by
 * window_us of the caller's clock, no more. */
static void
test_silent_source_window(void)
{
  NcapMergeConfig cfg = { .window_us = 200000 };
  g_autoptr(NcapMerge) m = ncap_merge_new(3, &cfg);
  g_autoptr(GByteArray) out = g_byte_array_new();
  Stream a, b;
  stream_init(&a, 0, "a", 9);
  stream_init(&b, 1, "b", 9);
  stream_packet(&a, T0 + 10 * MS);
  stream_packet(&b, T0 + 20 * MS);
  feed_ok(m, 0, a.bytes, 0, a.bytes->len, 1000000);
  feed_ok(m, 1, b.bytes, 0, b.bytes->len, 1050000);
  g_assert_cmpint(ncap_merge_deadline(m), ==, 1000000 + 200000);
  ncap_merge_drain(m, 1199999, FALSE, out);
  Out o;
  out_parse(&o, out);
  g_assert_cmpuint(o.pkts->len, ==, 0);
  out_clear(&o);
  ncap_merge_drain(m, 1200000, FALSE, out);  /* a's packet: its time is up */
  out_parse(&o, out);
  g_assert_cmpuint(o.pkts->len, ==, 1);
  out_clear(&o);
  g_assert_cmpint(ncap_merge_deadline(m), ==, 1050000 + 200000);
  ncap_merge_drain(m, 1249999, FALSE, out);
  out_parse(&o, out);
  g_assert_cmpuint(o.pkts->len, ==, 1);
  out_clear(&o);
  ncap_merge_drain(m, 1250000, FALSE, out);
  out_parse(&o, out);
  g_assert_cmpuint(o.pkts->len, ==, 2);
  g_assert_cmpstr(if_name(&o, g_array_index(o.pkts, Pkt, 1).ifid), ==, "b:eth0");
  out_clear(&o);
  g_assert_cmpint(ncap_merge_deadline(m), ==, G_MAXINT64);
  NcapMergeStats t;
  ncap_merge_stats(m, &t, NULL);
  g_assert_cmpuint(t.released_by_window, ==, 2);
  g_assert_false(ncap_merge_all_ended(m));
  stream_clear(&a);
  stream_clear(&b);
}

/* With a silent node and no time passing, the bytes held stay within
 * window_bytes after every drain: the oldest packets go out. */
static void
test_window_bytes(void)
{
  NcapMergeConfig cfg = { .window_bytes = 4096 };
  g_autoptr(NcapMerge) m = ncap_merge_new(2, &cfg);
  g_autoptr(GByteArray) out = g_byte_array_new();
  Stream a;
  stream_init(&a, 0, "a", 9);
  gsize from = 0;
  for (guint k = 0; k < 500; k++) {
    stream_packet(&a, T0 + k * MS);
    feed_ok(m, 0, a.bytes, from, a.bytes->len, 0);
    from = a.bytes->len;
    ncap_merge_drain(m, 0, FALSE, out);
    NcapMergeStats t;
    ncap_merge_stats(m, &t, NULL);
    g_assert_cmpuint(t.bytes_held, <=, 4096);
  }
  NcapMergeStats t;
  NcapMergeSourceStats ss[2];
  ncap_merge_stats(m, &t, ss);
  g_test_message("held %zu bytes (%u packets), %" G_GUINT64_FORMAT " released by "
                 "bytes, peak %zu", t.bytes_held, ss[0].queued,
                 t.released_by_bytes, t.peak_bytes_held);
  g_assert_cmpuint(t.released_by_bytes, >, 400);
  g_assert_cmpuint(t.released_by_window, ==, 0);
  g_assert_cmpuint(t.peak_bytes_held, <=, 4096 + 200);  /* + one packet */
  g_assert_cmpuint(ss[0].queued, >, 0);
  ncap_merge_drain(m, 0, TRUE, out);
  Out o;
  out_parse(&o, out);
  g_assert_cmpuint(o.pkts->len, ==, 500);
  out_clear(&o);
  stream_clear(&a);
}

/* A packet older than one already written goes out, and is counted. */
static void
test_out_of_order(void)
{
  NcapMergeConfig cfg = { .window_us = 100 };
  g_autoptr(NcapMerge) m = ncap_merge_new(2, &cfg);
  g_autoptr(GByteArray) out = g_byte_array_new();
  Stream a, b;
  stream_init(&a, 0, "a", 9);
  stream_init(&b, 1, "late", 9);
  stream_packet(&a, T0 + 100 * MS);
  feed_ok(m, 0, a.bytes, 0, a.bytes->len, 0);
  ncap_merge_drain(m, 100, FALSE, out);       /* window: a goes alone */
  stream_packet(&b, T0 + 50 * MS);
  stream_packet(&b, T0 + 150 * MS);
  feed_ok(m, 1, b.bytes, 0, b.bytes->len, 200);
  ncap_merge_drain(m, 200, FALSE, out);       /* a's watermark 100 ms >= 50 ms */
  Out o;
  out_parse(&o, out);
  g_assert_cmpuint(o.pkts->len, ==, 2);
  g_assert_cmpuint(g_array_index(o.pkts, Pkt, 1).ts_ns, ==, T0 + 50 * MS);
  /* Never silent: the late packet says so, the one in order does not. */
  g_assert_null(g_array_index(o.pkts, Pkt, 0).comment);
  g_assert_cmpstr(g_array_index(o.pkts, Pkt, 1).comment, ==,
                  "nodecap merge: written out of order, 50000 us older than a "
                  "packet written before it (node late; every node had passed "
                  "its time)");
  out_clear(&o);
  ncap_merge_source_end(m, 0, NULL);
  ncap_merge_source_end(m, 1, NULL);
  g_assert_true(ncap_merge_all_ended(m));
  ncap_merge_drain(m, 200, FALSE, out);
  out_parse(&o, out);
  g_assert_cmpuint(o.pkts->len, ==, 3);
  /* Counted in a closing ISB of the late node's interface, too. */
  g_assert_true(has_isb_comment(&o, "late:eth0",
                                "nodecap merge: 1 packets of node late written "
                                "out of order (each says so in its comment)"));
  out_clear(&o);
  NcapMergeStats t;
  ncap_merge_stats(m, &t, NULL);
  g_assert_cmpuint(t.out_of_order, ==, 1);
  g_assert_cmpuint(t.packets_out, ==, 3);
  NcapMergeSourceStats per[2];
  ncap_merge_stats(m, NULL, per);
  g_assert_cmpuint(per[0].out_of_order, ==, 0);
  g_assert_cmpuint(per[1].out_of_order, ==, 1);
  /* Such a file is still read without complaint, just not sorted. */
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp("test-merge-XXXXXX", &error);
  g_assert_no_error(error);
  g_autofree char *path = write_tmp(dir, "unsorted.pcapng", out);
  const char *cap_argv[] = { "capinfos", "-M", path, NULL };
  g_autofree char *cap = run(cap_argv);
  g_assert_nonnull(strstr(cap, "Number of packets:   3"));
  g_assert_nonnull(strstr(cap, "Strict time order:   False"));
  g_unlink(path);
  g_rmdir(dir);
  stream_clear(&a);
  stream_clear(&b);
}

/* A node fails mid-capture: an ISB comment on its interface records it,
 * and the others keep flowing without waiting for it. A node that fails
 * before its header gets a placeholder interface for the record. */
static void
test_source_failure(void)
{
  NcapMergeConfig cfg = { .window_us = 500000 };
  g_autoptr(NcapMerge) m = ncap_merge_new(4, &cfg);
  ncap_merge_set_source_name(m, 3, "nodeD.example");
  g_autoptr(GByteArray) out = g_byte_array_new();
  Stream st[3];
  const char *names[] = { "nodeA", "nodeB", "nodeC" };
  for (guint i = 0; i < 3; i++) {
    stream_init(&st[i], i, names[i], 9);
    for (guint k = 0; k < 5; k++)
      stream_packet(&st[i], T0 + (k * 3 + i) * MS);
    /* nodeB's stream breaks off inside a block. */
    feed_ok(m, i, st[i].bytes, 0, i == 1 ? st[i].bytes->len - 7 : st[i].bytes->len, 0);
  }
  ncap_merge_drain(m, 0, FALSE, out);
  ncap_merge_source_end(m, 1, "connection reset by peer");
  ncap_merge_source_end(m, 1, "twice");           /* no-op */
  ncap_merge_source_end(m, 3, "authentication failed");
  ncap_merge_drain(m, 0, FALSE, out);
  /* A and C go on; nobody waits for B or D. */
  gsize from[3] = { st[0].bytes->len, 0, st[2].bytes->len };
  for (guint k = 5; k < 10; k++)
    for (guint i = 0; i < 3; i += 2)
      stream_packet(&st[i], T0 + (k * 3 + i) * MS);
  for (guint i = 0; i < 3; i += 2)
    feed_ok(m, i, st[i].bytes, from[i], st[i].bytes->len, 0);
  ncap_merge_drain(m, 0, FALSE, out);
  /* Feeding an ended node is refused. */
  g_autoptr(GError) error = NULL;
  g_assert_false(ncap_merge_feed(m, 1, st[1].bytes->data, 4, 0, &error));
  g_assert_error(error, NCAP_ERROR, NCAP_ERROR_INVALID);
  g_assert_cmpstr(error->message, ==, "node nodeB: stream already ended");

  Out o;
  out_parse(&o, out);
  g_assert_cmpuint(o.if_names->len, ==, 4);
  g_assert_cmpstr(if_name(&o, 3), ==, "nodeD.example:?");
  g_assert_true(has_isb_comment(&o, "nodeB:eth0",
                                "node nodeB failed: connection reset by peer"));
  g_assert_true(has_isb_comment(&o, "nodeD.example:?",
                                "node nodeD.example failed: authentication failed"));
  /* The last packet of C (k=9) is held: A's watermark is below it. All of
   * A's ten and C's first nine, and B's four whole packets are out. */
  guint per[3] = { 0 };
  for (guint i = 0; i < o.pkts->len; i++)
    per[g_array_index(o.pkts, Pkt, i).node]++;
  g_assert_cmpuint(per[0], ==, 10);
  g_assert_cmpuint(per[1], ==, 4);
  g_assert_cmpuint(per[2], ==, 9);
  /* Each failure also rides as a comment on the first packet written
   * after its record: for B, after B's last packet. */
  const char *want[] = { "node nodeD.example failed: authentication failed",
                         "node nodeB failed: connection reset by peer" };
  guint noted = 0, last_b = 0;
  for (guint i = 0; i < o.pkts->len; i++) {
    const Pkt *p = &g_array_index(o.pkts, Pkt, i);
    if (p->node == 1)
      last_b = i;
    if (!p->comment)
      continue;
    g_assert_cmpuint(noted, <, 2);
    g_assert_cmpstr(p->comment, ==, want[noted]);
    if (noted++ == 1)
      g_assert_cmpuint(i, ==, last_b + 1);
  }
  g_assert_cmpuint(noted, ==, 2);
  out_clear(&o);
  NcapMergeSourceStats ss[4];
  ncap_merge_stats(m, NULL, ss);
  g_assert_true(ss[1].failed && ss[1].ended);
  g_assert_true(ss[3].failed && ss[3].ended);
  g_assert_false(ss[0].failed || ss[0].ended);
  for (guint i = 0; i < 3; i++)
    stream_clear(&st[i]);
}

/* A clean end that leaves half a block is recorded as a failure too. */
static void
test_torn_end(void)
{
  g_autoptr(NcapMerge) m = ncap_merge_new(1, NULL);
  g_autoptr(GByteArray) out = g_byte_array_new();
  Stream a;
  stream_init(&a, 0, "a", 9);
  stream_packet(&a, T0);
  stream_packet(&a, T0 + MS);
  feed_ok(m, 0, a.bytes, 0, a.bytes->len - 1, 0);
  ncap_merge_source_end(m, 0, NULL);
  ncap_merge_drain(m, 0, FALSE, out);
  Out o;
  out_parse(&o, out);
  g_assert_cmpuint(o.pkts->len, ==, 1);
  g_assert_true(has_isb_comment(&o, "a:eth0", "node a failed: stream ended inside a block"));
  g_assert_cmpuint(g_array_index(o.isbs, Isb, 0).ts_ns, ==, T0);
  out_clear(&o);
  stream_clear(&a);
}

/* The clock offset is written into the IDB description, and subtracted
 * from times (EPB, ISB and its start/end) only when asked; an interface in
 * microseconds gets it converted. */
static void
check_clock_offset(bool apply)
{
  NcapMergeConfig cfg = { .apply_clock_offset = apply };
  g_autoptr(NcapMerge) m = ncap_merge_new(2, &cfg);
  ncap_merge_set_clock_offset(m, 1, 2 * (gint64)SEC + 500);  /* 2 s ahead */
  g_autoptr(GByteArray) out = g_byte_array_new();
  Stream a, b;
  stream_init(&a, 0, "local", 9);
  stream_init(&b, 1, "ahead", 6);
  /* Same instants, b's clock reading 2 s more. */
  for (guint k = 0; k < 4; k++) {
    stream_packet(&a, T0 + k * 700 * MS);
    stream_packet(&b, T0 + 2 * SEC + k * 700 * MS + 100 * MS);
  }
  stream_isb(&b, T0 + 5 * SEC);
  feed_ok(m, 0, a.bytes, 0, a.bytes->len, 0);
  feed_ok(m, 1, b.bytes, 0, b.bytes->len, 0);
  ncap_merge_source_end(m, 0, NULL);
  ncap_merge_source_end(m, 1, NULL);
  ncap_merge_drain(m, 0, FALSE, out);
  Out o;
  out_parse(&o, out);
  g_assert_cmpstr(g_ptr_array_index(o.if_descs, 0), ==,
                  "nodecap session=00000000deadbeef first_seq=0 sample=1");
  g_assert_cmpstr(g_ptr_array_index(o.if_descs, 1), ==,
                  apply ? "nodecap session=00000000deadbeef first_seq=0 sample=1 "
                          "clock_offset_ns=2000000500 clock_corrected=1"
                        : "nodecap session=00000000deadbeef first_seq=0 sample=1 "
                          "clock_offset_ns=2000000500");
  g_assert_cmpuint(o.pkts->len, ==, 8);
  for (guint i = 0; i < 8; i++) {
    const Pkt *p = &g_array_index(o.pkts, Pkt, i);
    if (apply) {
      /* Interleaved a, b, a, b ...: b 100 ms after a once corrected (the
       * 500 ns are below b's microsecond resolution: rounded down). */
      g_assert_cmpuint(p->node, ==, i % 2);
      uint64_t want = T0 + (i / 2) * 700 * MS + (p->node ? 100 * MS : 0);
      g_assert_cmpuint(p->ts_ns, ==, want);
    } else {
      g_assert_cmpuint(p->node, ==, i / 4);  /* all of a, then all of b */
    }
  }
  const Isb *isb = &g_array_index(o.isbs, Isb, 0);
  g_assert_cmpuint(isb->ts_ns, ==, apply ? T0 + 3 * SEC : T0 + 5 * SEC);
  g_assert_cmpuint(isb->starttime, ==, apply ? T0 - 2 * SEC : T0);
  g_assert_cmpuint(isb->endtime, ==, isb->ts_ns);
  out_clear(&o);
  NcapMergeSourceStats ss[2];
  ncap_merge_stats(m, NULL, ss);
  g_assert_cmpint(ss[1].clock_offset_ns, ==, 2 * (gint64)SEC + 500);
  stream_clear(&a);
  stream_clear(&b);
}

static void
test_clock_offset_recorded(void)
{
  check_clock_offset(false);
}

static void
test_clock_offset_applied(void)
{
  check_clock_offset(true);
}

/* A measured offset within half its round trip (rounded up) is 0; equal
 * clocks always land there; beyond it the offset is kept as measured. */
static void
test_clock_offset_rule(void)
{
  g_assert_cmpint(ncap_merge_clock_offset_applied(0, 0), ==, 0);
  g_assert_cmpint(ncap_merge_clock_offset_applied(400, 1000), ==, 0);
  g_assert_cmpint(ncap_merge_clock_offset_applied(500, 1000), ==, 0);
  g_assert_cmpint(ncap_merge_clock_offset_applied(-500, 1000), ==, 0);
  g_assert_cmpint(ncap_merge_clock_offset_applied(501, 1000), ==, 501);
  g_assert_cmpint(ncap_merge_clock_offset_applied(-501, 1000), ==, -501);
  g_assert_cmpint(ncap_merge_clock_offset_applied(2 * (gint64)SEC, 3 * (gint64)MS),
                  ==, 2 * (gint64)SEC);
  g_assert_cmpint(ncap_merge_clock_offset_applied(-2 * (gint64)SEC, 3 * (gint64)MS),
                  ==, -2 * (gint64)SEC);
  /* A clock stepped mid-sample: no bound, kept. */
  g_assert_cmpint(ncap_merge_clock_offset_applied(7, -10), ==, 7);
  /* Equal clocks: the node reads tn anywhere in [t0, t1]; the caller's
   * midpoint is t0 + (t1 - t0) / 2 rounded down (odd round trips too). */
  for (gint64 rtt = 0; rtt < 8; rtt++)
    for (gint64 tn = 0; tn <= rtt; tn++)
      g_assert_cmpint(ncap_merge_clock_offset_applied(tn - rtt / 2, rtt), ==, 0);
  g_assert_cmpint(ncap_merge_clock_offset_applied(3, 5), ==, 0);
  g_assert_cmpint(ncap_merge_clock_offset_applied(4, 5), ==, 4);
  g_assert_cmpint(ncap_merge_clock_offset_applied(-3, 5), ==, 0);
  g_assert_cmpint(ncap_merge_clock_offset_applied(-4, 5), ==, -4);
}

/* ncap_merge_set_clock_measurement(): the applied offset, the measured one
 * and the round trip are in the description; only the applied one moves
 * times. */
static void
test_clock_offset_measurement(void)
{
  NcapMergeConfig cfg = { .apply_clock_offset = true };
  g_autoptr(NcapMerge) m = ncap_merge_new(3, &cfg);
  g_assert_cmpint(ncap_merge_set_clock_measurement(m, 1, -300 * (gint64)US, MS), ==, 0);
  g_assert_cmpint(ncap_merge_set_clock_measurement(m, 2, 2 * (gint64)SEC, MS), ==,
                  2 * (gint64)SEC);
  g_autoptr(GByteArray) out = g_byte_array_new();
  Stream a, b, c;
  stream_init(&a, 0, "a", 9);
  stream_init(&b, 1, "b", 9);
  stream_init(&c, 2, "c", 9);
  stream_packet(&a, T0);
  stream_packet(&b, T0 + 10 * US);
  stream_packet(&c, T0 + 2 * SEC + 20 * US);
  feed_ok(m, 0, a.bytes, 0, a.bytes->len, 0);
  feed_ok(m, 1, b.bytes, 0, b.bytes->len, 0);
  feed_ok(m, 2, c.bytes, 0, c.bytes->len, 0);
  for (guint i = 0; i < 3; i++)
    ncap_merge_source_end(m, i, NULL);
  ncap_merge_drain(m, 0, FALSE, out);
  Out o;
  out_parse(&o, out);
  const char *base = "nodecap session=00000000deadbeef first_seq=0 sample=1";
  g_assert_cmpstr(g_ptr_array_index(o.if_descs, 0), ==, base);
  g_autofree char *want_b = g_strconcat(base, " clock_offset_ns=0 clock_measured_ns=-300000"
                                        " clock_rtt_ns=1000000 clock_corrected=1", NULL);
  g_autofree char *want_c = g_strconcat(base, " clock_offset_ns=2000000000"
                                        " clock_measured_ns=2000000000"
                                        " clock_rtt_ns=1000000 clock_corrected=1", NULL);
  g_assert_cmpstr(g_ptr_array_index(o.if_descs, 1), ==, want_b);
  g_assert_cmpstr(g_ptr_array_index(o.if_descs, 2), ==, want_c);
  /* a, b, c in order, b's time untouched, c's moved back by 2 s. */
  g_assert_cmpuint(o.pkts->len, ==, 3);
  for (guint i = 0; i < 3; i++) {
    const Pkt *p = &g_array_index(o.pkts, Pkt, i);
    g_assert_cmpuint(p->node, ==, i);
    g_assert_cmpuint(p->ts_ns, ==, T0 + i * 10 * US);
  }
  out_clear(&o);
  NcapMergeSourceStats ss[3];
  ncap_merge_stats(m, NULL, ss);
  g_assert_cmpint(ss[1].clock_offset_ns, ==, 0);
  g_assert_cmpint(ss[2].clock_offset_ns, ==, 2 * (gint64)SEC);
  stream_clear(&a);
  stream_clear(&b);
  stream_clear(&c);
}

/* A node whose stream turns to garbage gets an error naming it; the
 * others are unaffected, and the blocks it sent before stay. */
static void
test_malformed(void)
{
  g_autoptr(NcapMerge) m = ncap_merge_new(2, NULL);
  g_autoptr(GByteArray) out = g_byte_array_new();
  Stream a, b;
  stream_init(&a, 0, "good", 9);
  stream_init(&b, 1, "bad", 9);
  stream_packet(&a, T0);
  stream_packet(&a, T0 + 2 * MS);
  stream_packet(&b, T0 + MS);
  /* A block whose trailing length disagrees. */
  static const uint8_t junk[] = { 6, 0, 0, 0, 32, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 33, 0, 0, 0 };
  g_byte_array_append(b.bytes, junk, sizeof junk);
  feed_ok(m, 0, a.bytes, 0, a.bytes->len, 0);
  g_autoptr(GError) error = NULL;
  /* Split so the bad block arrives in its own chunk. */
  feed_ok(m, 1, b.bytes, 0, b.bytes->len - 20, 0);
  g_assert_false(ncap_merge_feed(m, 1, b.bytes->data + b.bytes->len - 20, 20, 0,
                                 &error));
  g_assert_error(error, NCAP_ERROR, NCAP_ERROR_INVALID);
  g_test_message("%s", error->message);
  g_assert_true(g_str_has_prefix(error->message, "node bad: pcapng: "));
  g_assert_nonnull(strstr(error->message, "trailing length"));
  /* Not waited for even before the caller ends it. */
  ncap_merge_drain(m, 0, FALSE, out);
  Out o;
  out_parse(&o, out);
  g_assert_cmpuint(o.pkts->len, ==, 3);
  out_clear(&o);
  ncap_merge_source_end(m, 1, error->message);
  g_clear_error(&error);
  g_assert_false(ncap_merge_feed(m, 1, junk, sizeof junk, 0, &error));
  g_clear_error(&error);
  /* The good one goes on. */
  gsize from = a.bytes->len;
  stream_packet(&a, T0 + 3 * MS);
  feed_ok(m, 0, a.bytes, from, a.bytes->len, 0);
  ncap_merge_drain(m, 0, FALSE, out);
  out_parse(&o, out);
  g_assert_cmpuint(o.pkts->len, ==, 4);
  g_assert_true(has_isb_comment(&o, "bad:eth0",
                                "node bad failed: pcapng: enhanced packet "
                                "block length 32 does not match its trailing length 33"));
  out_clear(&o);

  /* Not pcapng at all. */
  g_autoptr(NcapMerge) m2 = ncap_merge_new(2, NULL);
  g_assert_false(ncap_merge_feed(m2, 1, (const uint8_t *)"SSH-2.0-OpenSSH\r\n", 17, 0,
                                 &error));
  g_assert_cmpstr(error->message, ==,
                  "node source 1: pcapng: not a pcapng file (no section header block)");
  stream_clear(&a);
  stream_clear(&b);
}

/* Hostile bytes from one node: mutated streams never crash the merge, the
 * output stays valid pcapng, and the good node loses nothing. */
static void
test_mutations(void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed(42);
  Stream a, b;
  stream_init(&a, 0, "good", 9);
  stream_init(&b, 1, "evil", 9);
  for (guint k = 0; k < 30; k++) {
    stream_packet(&a, T0 + 2 * k * MS);
    stream_packet(&b, T0 + (2 * k + 1) * MS);
    if (k % 10 == 9)
      stream_isb(&b, T0 + (2 * k + 1) * MS);
  }
  guint refused = 0;
  for (guint round = 0; round < 500; round++) {
    g_autoptr(GByteArray) evil = g_byte_array_new();
    g_byte_array_append(evil, b.bytes->data, b.bytes->len);
    guint flips = (guint)g_rand_int_range(rand, 1, 6);
    for (guint i = 0; i < flips; i++)
      evil->data[g_rand_int_range(rand, 0, (gint32)evil->len)] =
          (uint8_t)g_rand_int_range(rand, 0, 256);
    if (g_rand_boolean(rand))
      g_byte_array_set_size(evil, (guint)g_rand_int_range(rand, 0, (gint32)evil->len));
    g_autoptr(NcapMerge) m = ncap_merge_new(2, NULL);
    g_autoptr(GByteArray) out = g_byte_array_new();
    gsize off = 0;
    gboolean alive = TRUE;
    while (off < evil->len && alive) {
      gsize to = MIN(off + (gsize)g_rand_int_range(rand, 1, 400), evil->len);
      g_autoptr(GError) error = NULL;
      alive = ncap_merge_feed(m, 1, evil->data + off, to - off, 0, &error);
      if (!alive) {
        g_assert_true(g_str_has_prefix(error->message, "node "));
        ncap_merge_source_end(m, 1, error->message);
        refused++;
      }
      off = to;
      ncap_merge_drain(m, 0, FALSE, out);
    }
    feed_ok(m, 0, a.bytes, 0, a.bytes->len, 0);
    ncap_merge_source_end(m, 0, NULL);
    ncap_merge_source_end(m, 1, NULL);
    ncap_merge_drain(m, 0, TRUE, out);
    g_assert_cmpuint(ncap_pcapng_valid_prefix(out->data, out->len), ==, out->len);
    NcapMergeSourceStats ss[2];
    ncap_merge_stats(m, NULL, ss);
    g_assert_cmpuint(ss[0].packets_out, ==, 30);
    g_assert_cmpuint(ss[1].packets_out, ==, ss[1].packets_in);
  }
  g_test_message("%u of 500 mutated streams refused", refused);
  g_assert_cmpuint(refused, >, 0);
  stream_clear(&a);
  stream_clear(&b);
}

/* A node that starts a new section: its new IDB becomes a new global
 * interface and later packets refer to it. */
static void
test_new_section(void)
{
  g_autoptr(NcapMerge) m = ncap_merge_new(2, NULL);
  g_autoptr(GByteArray) out = g_byte_array_new();
  Stream a, b, a2;
  stream_init(&a, 0, "a", 9);
  stream_init(&b, 1, "b", 9);
  stream_init(&a2, 0, "a", 6);
  stream_packet(&a, T0);
  stream_packet(&b, T0 + MS);
  stream_packet(&a2, T0 + 2 * MS);
  stream_packet(&b, T0 + 3 * MS);
  feed_ok(m, 0, a.bytes, 0, a.bytes->len, 0);
  feed_ok(m, 1, b.bytes, 0, b.bytes->len, 0);
  feed_ok(m, 0, a2.bytes, 0, a2.bytes->len, 0);
  ncap_merge_source_end(m, 0, NULL);
  ncap_merge_source_end(m, 1, NULL);
  ncap_merge_drain(m, 0, FALSE, out);
  Out o;
  out_parse(&o, out);
  g_assert_cmpuint(o.n_shb, ==, 1);
  g_assert_cmpuint(o.if_names->len, ==, 3);
  g_assert_cmpuint(o.pkts->len, ==, 4);
  guint32 want_if[] = { 0, 1, 2, 1 };
  for (guint i = 0; i < 4; i++) {
    g_assert_cmpuint(g_array_index(o.pkts, Pkt, i).ifid, ==, want_if[i]);
    g_assert_cmpuint(g_array_index(o.pkts, Pkt, i).ts_ns, ==, T0 + i * MS);
  }
  g_assert_cmpstr(if_name(&o, 2), ==, "a:eth0");
  out_clear(&o);
  stream_clear(&a);
  stream_clear(&b);
  stream_clear(&a2);
}

/* ---- the other byte order ---------------------------------------------- */

static void
swap16_at(uint8_t *p)
{
  uint8_t t = p[0];
  p[0] = p[1];
  p[1] = t;
}

static void
swap32_at(uint8_t *p)
{
  guint32 v;
  memcpy(&v, p, 4);
  v = GUINT32_SWAP_LE_BE(v);
  memcpy(p, &v, 4);
}

static void
swap64_at(uint8_t *p)
{
  guint64 v;
  memcpy(&v, p, 8);
  v = GUINT64_SWAP_LE_BE(v);
  memcpy(p, &v, 8);
}

/* Rewrites a host-order stream from our writer into the other byte order,
 * as a node of the other endianness would send it. */
static void
swap_stream(GByteArray *a)
{
  gsize off = 0;
  while (off < a->len) {
    uint8_t *b = a->data + off;
    guint32 type, total;
    memcpy(&type, b, 4);
    memcpy(&total, b + 4, 4);
    gsize fixed;
    switch (type) {
    case NCAP_PCAPNG_BT_SHB:
      swap32_at(b + 8);
      swap16_at(b + 12);
      swap16_at(b + 14);
      swap64_at(b + 16);
      fixed = 16;
      break;
    case NCAP_PCAPNG_BT_IDB:
      swap16_at(b + 8);
      swap32_at(b + 12);
      fixed = 8;
      break;
    case NCAP_PCAPNG_BT_EPB: {
      guint32 caplen;
      memcpy(&caplen, b + 20, 4);
      for (int i = 8; i < 28; i += 4)
        swap32_at(b + i);
      fixed = 20 + ((caplen + 3u) & ~3u);
      break;
    }
    case NCAP_PCAPNG_BT_ISB:
      for (int i = 8; i < 20; i += 4)
        swap32_at(b + i);
      fixed = 12;
      break;
    default:
      g_assert_not_reached();
    }
    uint8_t *o = b + 8 + fixed, *end = b + total - 4;
    while (end - o >= 4) {
      guint16 code, len;
      memcpy(&code, o, 2);
      memcpy(&len, o + 2, 2);
      swap16_at(o);
      swap16_at(o + 2);
      if (code == 0)
        break;
      if (len == 8 && type == NCAP_PCAPNG_BT_ISB && code <= 3) {
        swap32_at(o + 4);   /* isb_starttime/endtime: two 32-bit words */
        swap32_at(o + 8);
      } else if (len == 8) {
        swap64_at(o + 4);
      }
      o += 4 + ((len + 3u) & ~3u);
    }
    swap32_at(b);
    swap32_at(b + 4);
    swap32_at(b + total - 4);
    off += total;
  }
}

/* A node of the other byte order merges with a host-order one: its blocks
 * come out in ours, with times, ids and drop counts intact. */
static void
test_other_byte_order(void)
{
  NcapMergeConfig cfg = { .apply_clock_offset = true };
  g_autoptr(NcapMerge) m = ncap_merge_new(2, &cfg);
  ncap_merge_set_clock_offset(m, 1, -(gint64)MS);  /* 1 ms behind */
  g_autoptr(GByteArray) out = g_byte_array_new();
  Stream a, b;
  stream_init(&a, 0, "x86", 9);
  stream_init(&b, 1, "sparc", 9);
  for (guint k = 0; k < 50; k++) {
    stream_packet(&a, T0 + 2 * k * MS);
    stream_packet(&b, T0 + (2 * k + 1) * MS - MS);
  }
  stream_isb(&b, T0 + 100 * MS);
  swap_stream(b.bytes);
  g_autoptr(GRand) rand = g_rand_new_with_seed(3);
  Stream st[2] = { a, b };
  feed_random(m, st, 2, rand, out);
  Out o;
  out_parse(&o, out);
  g_assert_cmpuint(o.pkts->len, ==, 100);
  for (guint i = 0; i < 100; i++) {
    const Pkt *p = &g_array_index(o.pkts, Pkt, i);
    g_assert_cmpuint(p->node, ==, i % 2);
    g_assert_cmpuint(p->seq, ==, i / 2);
    g_assert_cmpuint(p->ts_ns, ==, T0 + i * MS);
    g_assert_cmpuint(p->packetid, ==, ((uint64_t)p->node << 32) | p->seq);
  }
  g_assert_cmpstr(if_name(&o, 1), ==, "sparc:eth0");
  g_assert_cmpuint(o.isbs->len, ==, 1);
  const Isb *isb = &g_array_index(o.isbs, Isb, 0);
  g_assert_cmpuint(isb->ts_ns, ==, T0 + 101 * MS);
  g_assert_cmpuint(isb->starttime, ==, T0 + MS);
  out_clear(&o);
  stream_clear(&a);
  stream_clear(&b);
}

/* ---- the real capinfos, tshark and mergecap ---------------------------- */

static char *
run(const char *const *argv)
{
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(GError) error = NULL;
  int status;
  g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH,
                             NULL, NULL, &out, &err, &status, &error));
  g_assert_no_error(error);
  /* tshark warns about running as root; anything else is a complaint. */
  g_auto(GStrv) lines = g_strsplit(err, "\n", -1);
  for (char **l = lines; *l; l++)
    if (**l && !strstr(*l, "Running as user \"root\""))
      g_error("%s wrote to stderr: %s", argv[0], *l);
  g_assert_true(g_spawn_check_wait_status(status, &error));
  g_assert_no_error(error);
  return g_steal_pointer(&out);  /* transfer full */
}

static char *
write_tmp(const char *dir, const char *name, const GByteArray *b)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename(dir, name, NULL);
  g_assert_true(g_file_set_contents(path, (const char *)b->data, b->len, &error));
  g_assert_no_error(error);
  return path;  /* transfer full */
}

static int
cmp_str(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One line per packet, sorted: the packet multiset of a file. */
static char *
packet_multiset(const char *path)
{
  const char *argv[] = { "tshark", "-r", path, "-T", "fields",
                         "-e", "frame.interface_name", "-e", "frame.time_epoch",
                         "-e", "frame.packet_id", "-e", "ip.src", "-e", "data.data",
                         NULL };
  g_autofree char *text = run(argv);
  g_strchomp(text);
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  guint n = g_strv_length(lines);
  qsort(lines, n, sizeof(char *), cmp_str);
  return g_strjoinv("\n", lines);  /* transfer full */
}

static void
test_real_tools(void)
{
  const char *tools[] = { "tshark", "capinfos", "mergecap" };
  for (guint i = 0; i < G_N_ELEMENTS(tools); i++) {
    g_autofree char *p = g_find_program_in_path(tools[i]);
    if (!p) {
      g_test_fail_printf("%s is needed (apt-get install tshark)", tools[i]);
      return;
    }
  }
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp("test-merge-XXXXXX", &error);
  g_assert_no_error(error);
  g_autoptr(GRand) rand = g_rand_new_with_seed(7);
  Stream st[3];
  const char *names[] = { "dc1-node", "dc2-node", "dc3-node" };
  char *files[3];
  for (guint i = 0; i < 3; i++) {
    stream_init(&st[i], i, names[i], i == 2 ? 6 : 9);
    uint64_t t = T0;
    for (guint k = 0; k < 100; k++) {
      t += (uint64_t)g_rand_int_range(rand, 1, 5000) * 1000;
      stream_packet(&st[i], t);
      if (k % 30 == 29)
        stream_isb(&st[i], t);
    }
    g_autofree char *fname = g_strdup_printf("%s.pcapng", names[i]);
    files[i] = write_tmp(dir, fname, st[i].bytes);
  }
  g_autoptr(NcapMerge) m = ncap_merge_new(3, &(NcapMergeConfig){ .version = "0.1.0" });
  g_autoptr(GByteArray) out = g_byte_array_new();
  feed_random(m, st, 3, rand, out);
  g_autofree char *merged = write_tmp(dir, "merged.pcapng", out);

  const char *cap_argv[] = { "capinfos", "-M", merged, NULL };
  g_autofree char *cap = run(cap_argv);
  g_test_message("capinfos:\n%s", cap);
  g_assert_nonnull(strstr(cap, "Number of packets:   300"));
  g_assert_nonnull(strstr(cap, "Number of interfaces in file: 3"));
  g_assert_nonnull(strstr(cap, "Capture application: nodecap 0.1.0 (merged from 3 nodes)"));
  g_assert_nonnull(strstr(cap, "Strict time order:   True"));
  for (guint i = 0; i < 3; i++) {
    g_autofree char *want = g_strdup_printf("Name = %s:eth0", names[i]);
    g_assert_nonnull(strstr(cap, want));
  }

  const char *ts_argv[] = { "tshark", "-r", merged, "-Y",
                            "frame.interface_name == \"dc2-node:eth0\"",
                            "-T", "fields", "-e", "frame.interface_name", "-e",
                            "ip.src", NULL };
  g_autofree char *ts = run(ts_argv);
  g_auto(GStrv) lines = g_strsplit(ts, "\n", -1);
  g_assert_cmpuint(g_strv_length(lines), ==, 101);  /* 100 and the last "" */
  g_assert_cmpstr(lines[0], ==, "dc2-node:eth0\t192.0.2.2");

  g_autofree char *remerged = g_build_filename(dir, "mergecap.pcapng", NULL);
  const char *mc_argv[] = { "mergecap", "-w", remerged, files[0], files[1], files[2],
                            NULL };
  g_autofree char *mc = run(mc_argv);
  g_autofree char *ours = packet_multiset(merged);
  g_autofree char *theirs = packet_multiset(remerged);
  g_assert_cmpstr(ours, ==, theirs);
  /* Non-vacuous: each line carries the node, the time and the payload. */
  g_assert_nonnull(strstr(ours, "dc3-node:eth0\t1700000000."));
  g_test_message("first of the multiset: %.*s", (int)strcspn(ours, "\n"), ours);
  g_test_message("mergecap and the merge agree on %u packets",
                 g_strv_length(lines) - 1 + 200);

  for (guint i = 0; i < 3; i++) {
    g_unlink(files[i]);
    g_free(files[i]);
    stream_clear(&st[i]);
  }
  g_unlink(merged);
  g_unlink(remerged);
  g_rmdir(dir);
}

/* What a user sees of a failed node with the real tools: the placeholder
 * interface in capinfos, the note as a packet comment in tshark. */
static void
test_failure_in_tshark(void)
{
  g_autofree char *tshark = g_find_program_in_path("tshark");
  if (!tshark) {
    g_test_fail_printf("tshark is needed (apt-get install tshark)");
    return;
  }
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp("test-merge-XXXXXX", &error);
  g_assert_no_error(error);
  g_autoptr(NcapMerge) m = ncap_merge_new(3, NULL);
  ncap_merge_set_source_name(m, 2, "never.example");
  g_autoptr(GByteArray) out = g_byte_array_new();
  Stream a, b;
  stream_init(&a, 0, "nodeA", 9);
  stream_init(&b, 1, "nodeB", 9);
  for (guint k = 0; k < 3; k++) {
    stream_packet(&a, T0 + (2 * k) * MS);
    stream_packet(&b, T0 + (2 * k + 1) * MS);
  }
  feed_ok(m, 0, a.bytes, 0, a.bytes->len, 0);
  feed_ok(m, 1, b.bytes, 0, b.bytes->len, 0);
  ncap_merge_source_end(m, 2, "connection refused");
  ncap_merge_drain(m, 0, FALSE, out);
  ncap_merge_source_end(m, 1, "channel closed by the node");
  gsize from = a.bytes->len;
  stream_packet(&a, T0 + 10 * MS);
  feed_ok(m, 0, a.bytes, from, a.bytes->len, 0);
  ncap_merge_source_end(m, 0, NULL);
  ncap_merge_drain(m, 0, FALSE, out);
  g_autofree char *path = write_tmp(dir, "failed.pcapng", out);

  const char *cap_argv[] = { "capinfos", "-M", path, NULL };
  g_autofree char *cap = run(cap_argv);
  g_assert_nonnull(strstr(cap, "Number of packets:   7"));
  g_assert_nonnull(strstr(cap, "Name = never.example:?"));
  const char *ts_argv[] = { "tshark", "-r", path, "-Y", "frame.comment", "-T", "fields",
                            "-e", "frame.interface_name", "-e", "frame.comment", NULL };
  g_autofree char *ts = run(ts_argv);
  g_test_message("tshark -Y frame.comment:\n%s", ts);
  g_assert_cmpstr(ts, ==,
                  /* never.example's record is timed at the oldest packet
                   * waiting (A's first), so it lands on the one after. */
                  "nodeB:eth0\tnode never.example failed: connection refused\n"
                  "nodeA:eth0\tnode nodeB failed: channel closed by the node\n");
  g_unlink(path);
  g_rmdir(dir);
  stream_clear(&a);
  stream_clear(&b);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/merge/interleave/two", test_interleave_two);
  g_test_add_func("/merge/interleave/three", test_interleave_three);
  g_test_add_func("/merge/quiet-source-isb", test_quiet_source_isb);
  g_test_add_func("/merge/silent-source-window", test_silent_source_window);
  g_test_add_func("/merge/window-bytes", test_window_bytes);
  g_test_add_func("/merge/out-of-order", test_out_of_order);
  g_test_add_func("/merge/source-failure", test_source_failure);
  g_test_add_func("/merge/torn-end", test_torn_end);
  g_test_add_func("/merge/clock-offset/recorded", test_clock_offset_recorded);
  g_test_add_func("/merge/clock-offset/applied", test_clock_offset_applied);
  g_test_add_func("/merge/clock-offset/rule", test_clock_offset_rule);
  g_test_add_func("/merge/clock-offset/measurement", test_clock_offset_measurement);
  g_test_add_func("/merge/malformed", test_malformed);
  g_test_add_func("/merge/mutations", test_mutations);
  g_test_add_func("/merge/new-section", test_new_section);
  g_test_add_func("/merge/other-byte-order", test_other_byte_order);
  g_test_add_func("/merge/real-tools", test_real_tools);
  g_test_add_func("/merge/failure-in-tshark", test_failure_in_tshark);
  return g_test_run();
}
