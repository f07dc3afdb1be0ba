/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for common/packet-id.c: the identity hash ignores exactly the
 * bytes that change hop by hop, and the framing around the L3 packet. */
#include <glib.h>
#include <string.h>

#include "packet-id.h"

/* An IPv4/TCP packet, checksums filled with junk: only identity matters. */
static gsize
make_ipv4_tcp(uint8_t *p, gsize payload, uint8_t ttl, uint8_t tos, uint16_t csum,
              uint16_t tcp_csum)
{
  gsize tot = 20 + 20 + payload;
  memset(p, 0, tot);
  p[0] = 0x45;
  p[1] = tos;
  p[2] = tot >> 8;
  p[3] = tot & 0xff;
  p[4] = 0xbe, p[5] = 0xef;      /* id */
  p[6] = 0x40;                   /* DF */
  p[8] = ttl;
  p[9] = 6;
  p[10] = csum >> 8, p[11] = csum & 0xff;
  memcpy(p + 12, (uint8_t[]){ 192, 0, 2, 10, 203, 0, 113, 20 }, 8);
  uint8_t *t = p + 20;
  t[0] = 0xc3, t[1] = 0x50, t[2] = 0, t[3] = 80;  /* ports 50000 -> 80 */
  t[4] = 1, t[7] = 9;                             /* seq */
  t[12] = 0x50, t[13] = 0x18;                     /* PSH ACK */
  t[14] = 0xff, t[15] = 0xff;
  t[16] = tcp_csum >> 8, t[17] = tcp_csum & 0xff;
  for (gsize i = 0; i < payload; i++)
    t[20 + i] = (uint8_t)(i * 13 + 1);
  return tot;
}

static gsize
make_ipv6_udp(uint8_t *p, gsize payload, uint8_t hlim, uint8_t tclass,
              uint16_t udp_csum)
{
  gsize plen = 8 + payload;
  memset(p, 0, 40 + plen);
  p[0] = 0x60 | tclass >> 4;
  p[1] = (uint8_t)(tclass << 4) | 0x0a;  /* flow label bits kept */
  p[2] = 0xbc, p[3] = 0xde;
  p[4] = plen >> 8, p[5] = plen & 0xff;
  p[6] = 17;
  p[7] = hlim;
  p[8] = 0x20, p[9] = 0x01, p[10] = 0x0d, p[11] = 0xb8, p[23] = 1;  /* 2001:db8::1 */
  p[24] = 0x20, p[25] = 0x01, p[26] = 0x0d, p[27] = 0xb8, p[39] = 2;
  uint8_t *u = p + 40;
  u[0] = 0x30, u[1] = 0x39, u[2] = 0, u[3] = 53;
  u[4] = plen >> 8, u[5] = plen & 0xff;
  u[6] = udp_csum >> 8, u[7] = udp_csum & 0xff;
  for (gsize i = 0; i < payload; i++)
    u[8 + i] = (uint8_t)(i ^ 0x5a);
  return 40 + plen;
}

/* Wraps an L3 packet in a link-layer header; returns the frame length. */
static gsize
frame(unsigned linktype, uint8_t *out, const uint8_t *l3, gsize n, unsigned tags)
{
  unsigned etype = (l3[0] >> 4) == 6 ? 0x86dd : 0x0800;
  gsize h = 0;
  switch (linktype) {
  case 1:
    memset(out, 0, 12);  /* Linux lo: zero MACs */
    if (tags) {
      out[0] = 0x02, out[5] = 0x01, out[6] = 0x02, out[11] = 0x02;
    }
    h = 12;
    for (unsigned i = 0; i < tags; i++) {
      unsigned tpid = (i == 0 && tags > 1) ? 0x88a8 : 0x8100;
      out[h] = tpid >> 8, out[h + 1] = tpid & 0xff;
      out[h + 2] = 0, out[h + 3] = 10 + i;
      h += 4;
    }
    out[h] = etype >> 8, out[h + 1] = etype & 0xff;
    h += 2;
    break;
  case 113:
    memset(out, 0, 16);
    out[1] = 4;  /* outgoing */
    out[3] = 1;  /* ARPHRD_ETHER */
    out[5] = 6;
    out[14] = etype >> 8, out[15] = etype & 0xff;
    h = 16;
    break;
  case 276:
    memset(out, 0, 20);
    out[0] = etype >> 8, out[1] = etype & 0xff;
    out[7] = 3;  /* ifindex */
    out[9] = 1;
    out[11] = 6;
    h = 20;
    break;
  case 0:  /* DLT_NULL: family in the writer's host order (here LE) */
    memcpy(out, (uint8_t[]){ etype == 0x0800 ? 2 : 10, 0, 0, 0 }, 4);
    h = 4;
    break;
  case 108:  /* DLT_LOOP: network order */
    memcpy(out, (uint8_t[]){ 0, 0, 0, etype == 0x0800 ? 2 : 24 }, 4);
    h = 4;
    break;
  default:  /* raw IP */
    h = 0;
  }
  memcpy(out + h, l3, n);
  return h + n;
}

static void
test_ipv4_mutable_fields(void)
{
  uint8_t a[600], b[600];
  gsize n = make_ipv4_tcp(a, 100, 64, 0x00, 0x1234, 0xaaaa);
  uint64_t id = ncap_packet_id(101, a, n);
  g_assert_cmphex(id, !=, 0);
  /* Another hop: TTL down, checksum recomputed, DSCP remarked, ECN CE. */
  g_assert_cmpuint(make_ipv4_tcp(b, 100, 63, 0xb8 | 3, 0x4321, 0xbbbb), ==, n);
  g_assert_cmphex(ncap_packet_id(101, b, n), ==, id);
  /* Payload differs by one byte: another packet. */
  b[n - 1] ^= 1;
  g_assert_cmphex(ncap_packet_id(101, b, n), !=, id);
  /* So does the IP id, the addresses, the ports, or the TCP flags. */
  static const gsize offs[] = { 4, 12, 19, 20, 23, 33 };
  for (gsize i = 0; i < G_N_ELEMENTS(offs); i++) {
    gsize off = offs[i];
    memcpy(b, a, n);
    b[off] ^= 0x10;
    g_assert_cmphex(ncap_packet_id(101, b, n), !=, id);
  }
}

static void
test_udp_icmp_checksum(void)
{
  uint8_t a[200], b[200];
  gsize n = make_ipv6_udp(a, 50, 64, 0, 0x1111);
  make_ipv6_udp(b, 50, 1, 0xfe, 0x2222);
  uint64_t id = ncap_packet_id(101, a, n);
  g_assert_cmphex(ncap_packet_id(101, b, n), ==, id);  /* hop limit, tclass, csum */
  b[40 + 8] ^= 0xff;
  g_assert_cmphex(ncap_packet_id(101, b, n), !=, id);
  /* Flow label is not mutable hop by hop: it counts. */
  make_ipv6_udp(b, 50, 64, 0, 0x1111);
  b[3] ^= 1;
  g_assert_cmphex(ncap_packet_id(101, b, n), !=, id);

  /* IPv4 UDP and ICMP: the checksum is ignored, the rest is not. */
  static const unsigned protos[] = { 17, 1 };
  for (gsize i = 0; i < G_N_ELEMENTS(protos); i++) {
    unsigned proto = protos[i];
    gsize m = make_ipv4_tcp(a, 40, 64, 0, 0, 0);
    a[9] = proto;
    memcpy(b, a, m);
    gsize csum_at = 20 + (proto == 17 ? 6 : 2);
    b[csum_at] = 0x77, b[csum_at + 1] = 0x88;
    g_assert_cmphex(ncap_packet_id(101, a, m), ==, ncap_packet_id(101, b, m));
    b[csum_at + 2] ^= 1;
    g_assert_cmphex(ncap_packet_id(101, a, m), !=, ncap_packet_id(101, b, m));
  }

  /* IPv6 with a hop-by-hop header before UDP: the UDP checksum is found. */
  gsize m = make_ipv6_udp(a, 20, 64, 0, 0x1111);
  uint8_t c[200], d[200];
  memcpy(c, a, 40);
  c[6] = 0;  /* hop-by-hop */
  memcpy(c + 48, a + 40, m - 40);
  memset(c + 40, 0, 8);
  c[40] = 17;
  c[5] += 8;
  memcpy(d, c, m + 8);
  d[48 + 6] = 0x99, d[48 + 7] = 0x99;
  g_assert_cmphex(ncap_packet_id(101, c, m + 8), ==, ncap_packet_id(101, d, m + 8));
}

static void
test_framings(void)
{
  uint8_t l3v4[400], l3v6[400], f[500];
  gsize n4 = make_ipv4_tcp(l3v4, 200, 64, 0, 1, 2);
  gsize n6 = make_ipv6_udp(l3v6, 200, 64, 0, 3);
  const unsigned types[] = { 1, 113, 276, 101, 12, 14, 0, 108 };
  for (int v = 0; v < 2; v++) {
    const uint8_t *l3 = v ? l3v6 : l3v4;
    gsize n = v ? n6 : n4;
    uint64_t id = ncap_packet_id(101, l3, n);
    for (gsize i = 0; i < G_N_ELEMENTS(types); i++) {
      gsize fl = frame(types[i], f, l3, n, 0);
      g_assert_cmphex(ncap_packet_id(types[i], f, fl), ==, id);
    }
    /* 802.1Q and QinQ tags, and real MACs, are skipped too. */
    for (unsigned tags = 1; tags <= 2; tags++) {
      gsize fl = frame(1, f, l3, n, tags);
      g_assert_cmphex(ncap_packet_id(1, f, fl), ==, id);
    }
  }
  /* Ethernet pads a short packet to 60 bytes; the padding is not hashed. */
  uint8_t small[64];
  gsize ns = make_ipv4_tcp(small, 0, 64, 0, 0, 0);
  uint64_t id = ncap_packet_id(101, small, ns);
  gsize fl = frame(1, f, small, ns, 0);
  memset(f + fl, 0xee, 60 - fl);
  g_assert_cmphex(ncap_packet_id(1, f, 60), ==, id);
}

static void
test_truncation(void)
{
  uint8_t l3[1500], f[1600];
  gsize n = make_ipv4_tcp(l3, 1400, 64, 0, 0, 0);
  uint64_t id = ncap_packet_id(101, l3, n);
  /* A snaplen that keeps 160 bytes of L3 hashes the same as the whole. */
  g_assert_cmphex(ncap_packet_id(101, l3, NCAP_PACKET_ID_L3_BYTES), ==, id);
  frame(276, f, l3, n, 0);
  g_assert_cmphex(ncap_packet_id(276, f, 20 + NCAP_PACKET_ID_L3_BYTES), ==, id);
  frame(1, f, l3, n, 1);
  g_assert_cmphex(ncap_packet_id(1, f, 18 + NCAP_PACKET_ID_L3_BYTES), ==, id);
  /* Bytes after the first 160 do not count... */
  l3[NCAP_PACKET_ID_L3_BYTES + 5] ^= 1;
  g_assert_cmphex(ncap_packet_id(101, l3, n), ==, id);
  /* ...but byte 159 does. */
  l3[NCAP_PACKET_ID_L3_BYTES - 1] ^= 1;
  g_assert_cmphex(ncap_packet_id(101, l3, n), !=, id);
  /* Fewer bytes captured is another id (it cannot be known to be equal). */
  g_assert_cmphex(ncap_packet_id(101, l3, 100), !=, id);
}

static void
test_never_zero_and_safe(void)
{
  /* Every prefix of every framing, and junk: no 0, no read past caplen
   * (each input is an exact-size allocation, for ASan). */
  uint8_t l3[300], f[400];
  gsize n = make_ipv6_udp(l3, 100, 64, 0, 0);
  const unsigned types[] = { 1, 113, 276, 101, 0, 108, 147 };
  for (gsize i = 0; i < G_N_ELEMENTS(types); i++) {
    gsize fl = frame(types[i], f, l3, n, types[i] == 1 ? 2 : 0);
    for (gsize cut = 0; cut <= fl; cut++) {
      g_autofree uint8_t *copy = g_memdup2(f, cut);
      g_assert_cmphex(ncap_packet_id(types[i], copy, cut), !=, 0);
    }
  }
  g_assert_cmphex(ncap_packet_id(1, NULL, 0), !=, 0);
  GRand *rand = g_rand_new_with_seed(42);
  GHashTable *seen = g_hash_table_new(g_int64_hash, g_int64_equal);
  static gint64 ids[2000];
  for (int i = 0; i < 2000; i++) {
    uint8_t buf[64];
    gsize len = g_rand_int_range(rand, 1, sizeof buf);
    for (gsize j = 0; j < len; j++)
      buf[j] = (uint8_t)g_rand_int(rand);
    buf[0] = (buf[0] & 0x0f) | (i % 2 ? 0x40 : 0x60);  /* look like IP */
    ids[i] = (gint64)ncap_packet_id(101, buf, len);
    g_assert_cmpint(ids[i], !=, 0);
    g_hash_table_add(seen, &ids[i]);
  }
  /* Random inputs give distinct ids (a collision here means a weak mix). */
  g_assert_cmpuint(g_hash_table_size(seen), >, 1990);
  g_hash_table_destroy(seen);
  g_rand_free(rand);
}

static void
test_non_ip(void)
{
  /* ARP over Ethernet: the first 160 bytes of the frame are hashed. */
  uint8_t arp[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1,
                      0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1 };
  uint64_t id = ncap_packet_id(1, arp, sizeof arp);
  arp[30] ^= 1;
  g_assert_cmphex(ncap_packet_id(1, arp, sizeof arp), !=, id);
  /* An unknown link type hashes the frame. */
  uint8_t other[200];
  for (gsize i = 0; i < sizeof other; i++)
    other[i] = (uint8_t)i;
  g_assert_cmphex(ncap_packet_id(147, other, 200), ==, ncap_packet_id(147, other, 160));
}

/* The ids must not change between builds, compilers or CPUs: a node running
 * a newer helper must still match an older one. These values are pinned. */
static void
test_known_answers(void)
{
  uint8_t l3[400];
  gsize n = make_ipv4_tcp(l3, 200, 64, 0, 0, 0);
  uint64_t v4 = ncap_packet_id(101, l3, n);
  n = make_ipv6_udp(l3, 30, 64, 0, 0);
  uint64_t v6 = ncap_packet_id(101, l3, n);
  uint64_t raw = ncap_packet_id(147, (const uint8_t *)"nodecap", 7);
  g_test_message("known answers: %016" G_GINT64_MODIFIER "x %016" G_GINT64_MODIFIER
                 "x %016" G_GINT64_MODIFIER "x", v4, v6, raw);
  g_assert_cmphex(v4, ==, G_GUINT64_CONSTANT(0x314b1c892a109d23));
  g_assert_cmphex(v6, ==, G_GUINT64_CONSTANT(0x1dcb6e7d8aa833f8));
  g_assert_cmphex(raw, ==, G_GUINT64_CONSTANT(0x04a1c4b77026164a));
}

/* The same over many packets: every framing, IPv4 and IPv6 with every
 * transport whose checksum is zeroed, options, extension headers,
 * fragments, truncation at every length and random bytes. One digest of
 * all ids is pinned, so an optimisation of the hash cannot change any id
 * unnoticed (fixed seed: the same packets on every run). */
static void
test_known_answers_many(void)
{
  static const unsigned linktypes[] = { 1, 113, 276, 101, 0, 147 };
  static const uint8_t protos[] = { 6, 17, 136, 1, 58, 47, 0, 43, 44, 60 };
  GRand *r = g_rand_new_with_seed(20261125);
  uint64_t digest = 0;
  uint8_t pkt[320];
  for (int i = 0; i < 20000; i++) {
    for (gsize j = 0; j < sizeof pkt; j++)
      pkt[j] = (uint8_t)g_rand_int(r);
    unsigned lt = linktypes[g_rand_int_range(r, 0, G_N_ELEMENTS(linktypes))];
    gsize l3 = lt == 1 ? 14 : lt == 113 ? 16 : lt == 276 ? 20 : lt == 0 ? 4 : 0;
    unsigned ver = g_rand_int_range(r, 0, 3); /* 0: v4, 1: v6, 2: random */
    unsigned eth = ver == 0 ? 0x0800 : ver == 1 ? 0x86dd : 0x0806;
    if (lt == 1) {
      if (g_rand_boolean(r)) { /* one VLAN tag */
        pkt[12] = 0x81, pkt[13] = 0x00;
        l3 += 4;
      }
      pkt[l3 - 2] = (uint8_t)(eth >> 8), pkt[l3 - 1] = (uint8_t)eth;
    } else if (lt == 113) {
      pkt[14] = (uint8_t)(eth >> 8), pkt[15] = (uint8_t)eth;
    } else if (lt == 276) {
      pkt[0] = (uint8_t)(eth >> 8), pkt[1] = (uint8_t)eth;
    }
    uint8_t proto = protos[g_rand_int_range(r, 0, G_N_ELEMENTS(protos))];
    gsize len = (gsize)g_rand_int_range(r, 0, (gint32)sizeof pkt + 1);
    if (ver == 0) {
      pkt[l3] = (uint8_t)(0x40 | g_rand_int_range(r, 5, 8)); /* IHL 5..7 */
      gsize tot = (gsize)g_rand_int_range(r, 0, 400);
      pkt[l3 + 2] = (uint8_t)(tot >> 8), pkt[l3 + 3] = (uint8_t)tot;
      if (g_rand_boolean(r))
        pkt[l3 + 6] = pkt[l3 + 7] = 0; /* not a fragment */
      pkt[l3 + 9] = proto;
    } else if (ver == 1) {
      pkt[l3] = (uint8_t)(0x60 | (pkt[l3] & 0x0f));
      gsize plen = (gsize)g_rand_int_range(r, 0, 300);
      pkt[l3 + 4] = (uint8_t)(plen >> 8), pkt[l3 + 5] = (uint8_t)plen;
      pkt[l3 + 6] = proto;
      pkt[l3 + 40] = protos[g_rand_int_range(r, 0, G_N_ELEMENTS(protos))];
      pkt[l3 + 41] = (uint8_t)g_rand_int_range(r, 0, 3);
    }
    uint64_t id = ncap_packet_id(lt, pkt, len);
    digest = (digest ^ id) * G_GUINT64_CONSTANT(0x100000001b3);
  }
  g_rand_free(r);
  g_test_message("digest of 20000 ids: %016" G_GINT64_MODIFIER "x", digest);
  g_assert_cmphex(digest, ==, G_GUINT64_CONSTANT(0x2a1903edb0b08b28));
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/packet-id/ipv4-mutable-fields", test_ipv4_mutable_fields);
  g_test_add_func("/packet-id/checksums-ipv6", test_udp_icmp_checksum);
  g_test_add_func("/packet-id/framings", test_framings);
  g_test_add_func("/packet-id/truncation", test_truncation);
  g_test_add_func("/packet-id/never-zero", test_never_zero_and_safe);
  g_test_add_func("/packet-id/non-ip", test_non_ip);
  g_test_add_func("/packet-id/known-answers", test_known_answers);
  g_test_add_func("/packet-id/known-answers-many", test_known_answers_many);
  return g_test_run();
}
