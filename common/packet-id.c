/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The packet identity hash (see packet-id.h). The same packet must hash the
 * same at every node, whatever the framing (Ethernet, SLL, raw IP) and
 * whatever the node's CPU: so the L3 bytes are copied into a small buffer,
 * the fields routers rewrite are zeroed, and the buffer is hashed reading
 * its bytes explicitly in little-endian order. Free of GLib: the Wireshark
 * plugin compiles this file too. */
#include "packet-id.h"

#include <string.h>

/* Hash constants (odd 64-bit values with mixed bits, as in wyhash). */
#define K0 0xa0761d6478bd642full
#define K1 0xe7037ed1a0b428dbull
#define K2 0x8ebc6af09c88c6e3ull
#define K3 0x589965cc75374cc3ull

/* Hash domains, so an L3 hash never equals a whole-frame hash by accident. */
#define SEED_IP 0x6e6f64656361702bull     /* "nodecap+" */
#define SEED_FRAME 0x6672616d652d2d2dull  /* "frame---" */

static inline uint64_t
rd64le(const uint8_t *p)
{
  return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
         (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 |
         (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}

/* 64x64 -> 128 bit multiply, folded: the wyhash "mum" mixer. */
static inline uint64_t
mum(uint64_t a, uint64_t b)
{
#ifdef __SIZEOF_INT128__
  unsigned __int128 r = (unsigned __int128)a * b;
  return (uint64_t)r ^ (uint64_t)(r >> 64);
#else
  uint64_t ha = a >> 32, la = (uint32_t)a, hb = b >> 32, lb = (uint32_t)b;
  uint64_t rh = ha * hb, rm0 = ha * lb, rm1 = hb * la, rl = la * lb;
  uint64_t t = rl + (rm0 << 32), c = t < rl;
  uint64_t lo = t + (rm1 << 32);
  c += lo < t;
  uint64_t hi = rh + (rm0 >> 32) + (rm1 >> 32) + c;
  return lo ^ hi;
#endif
}

/* buf has n bytes followed by zeros up to the next multiple of 16. */
static uint64_t
hash_buf(const uint8_t *buf, size_t n, uint64_t seed)
{
  uint64_t h = seed ^ mum(seed ^ K0, (uint64_t)n ^ K1);
  /* Unrolled: this runs once per captured packet (bench/: instructions
   * per packet). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 4
#endif
  for (size_t i = 0; i < n; i += 16)
    h = mum(rd64le(buf + i) ^ K1, rd64le(buf + i + 8) ^ h);
  h = mum(h ^ K2, (uint64_t)n ^ K3);
  return h ? h : K3;  /* 0 means "no id" */
}

static inline unsigned
rd16be(const uint8_t *p)
{
  return (unsigned)p[0] << 8 | p[1];
}

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86dd

/* Offset of the L3 header in the frame, or -1 when the frame is not IP (or
 * too short to say). */
static long
l3_offset(unsigned linktype, const uint8_t *d, size_t len)
{
  size_t off;
  unsigned proto;
  switch (linktype) {
  case 1: /* Ethernet; lo on Linux too, with zero MACs */
    if (len < 14)
      return -1;
    off = 12;
    proto = rd16be(d + off);
    /* 802.1Q, 802.1ad and the old QinQ type: skip each 4-byte tag. */
    while (proto == 0x8100 || proto == 0x88a8 || proto == 0x9100) {
      off += 4;
      if (len < off + 2)
        return -1;
      proto = rd16be(d + off);
    }
    off += 2;
    break;
  case 113: /* Linux cooked v1: protocol in the last 2 of 16 bytes */
    if (len < 16)
      return -1;
    proto = rd16be(d + 14);
    off = 16;
    break;
  case 276: /* Linux cooked v2: protocol first, 20 bytes */
    if (len < 20)
      return -1;
    proto = rd16be(d);
    off = 20;
    break;
  case 101: case 12: case 14: case 228: case 229: /* raw IP */
    return 0;
  case 0: case 108: /* BSD loopback: the 4-byte family's byte order varies */
    return len >= 4 ? 4 : -1;
  default:
    return -1;
  }
  if (proto != ETH_P_IP && proto != ETH_P_IPV6)
    return -1;
  return (long)off;
}

/* Zeroes the checksum of the transport header at buf[off..n). */
static void
zero_l4_checksum(uint8_t *buf, size_t n, size_t off, unsigned proto)
{
  size_t at;
  switch (proto) {
  case 6: at = 16; break;    /* TCP */
  case 17: at = 6; break;    /* UDP */
  case 136: at = 6; break;   /* UDP-Lite */
  case 1: at = 2; break;     /* ICMP */
  case 58: at = 2; break;    /* ICMPv6 */
  default: return;
  }
  size_t i = off + at;
  if (i < n)
    buf[i] = 0;
  if (i + 1 < n)
    buf[i + 1] = 0;
}

/* IPv4 in buf[0..*n): zeroes DSCP/ECN, TTL, checksum and the L4 checksum;
 * cuts *n at the total length (Ethernet padding is not the packet's). */
static void
norm_ipv4(uint8_t *buf, size_t *n)
{
  if (*n < 20)
    return;
  size_t ihl = (size_t)(buf[0] & 0x0f) * 4;
  size_t tot = rd16be(buf + 2);
  if (tot >= 20 && tot < *n)  /* 0 with TSO: keep what was captured */
    *n = tot;
  buf[1] = 0;
  buf[8] = 0;
  buf[10] = buf[11] = 0;
  unsigned frag_off = rd16be(buf + 6) & 0x1fff;
  if (ihl >= 20 && frag_off == 0)
    zero_l4_checksum(buf, *n, ihl, buf[9]);
}

/* IPv6: zeroes traffic class and hop limit, then walks the extension
 * headers that may precede TCP/UDP/ICMPv6 to zero the L4 checksum. */
static void
norm_ipv6(uint8_t *buf, size_t *n)
{
  if (*n < 40)
    return;
  size_t plen = rd16be(buf + 4);
  if (plen && plen + 40 < *n)  /* 0 = jumbogram: keep what was captured */
    *n = plen + 40;
  buf[0] &= 0xf0;
  buf[1] &= 0x0f;
  buf[7] = 0;
  unsigned nh = buf[6];
  size_t off = 40;
  for (int i = 0; i < 8; i++) {
    if (nh == 0 || nh == 43 || nh == 60) {  /* hop-by-hop, routing, dest */
      if (off + 2 > *n)
        return;
      unsigned next = buf[off];
      off += ((size_t)buf[off + 1] + 1) * 8;
      nh = next;
    } else if (nh == 44) {  /* fragment: only the first has the L4 header */
      if (off + 8 > *n || (rd16be(buf + off + 2) & 0xfff8) != 0)
        return;
      nh = buf[off];
      off += 8;
    } else {
      break;
    }
  }
  zero_l4_checksum(buf, *n, off, nh);
}

uint64_t
ncap_packet_id(unsigned linktype, const uint8_t *data, size_t caplen)
{
  /* The zero tail lets hash_buf read whole 16-byte steps. */
  uint8_t buf[NCAP_PACKET_ID_L3_BYTES + 16];
  long l3 = data ? l3_offset(linktype, data, caplen) : -1;
  unsigned version = 0;
  if (l3 >= 0 && (size_t)l3 < caplen)
    version = data[l3] >> 4;
  if (version != 4 && version != 6) {
    size_t n = caplen < NCAP_PACKET_ID_L3_BYTES ? caplen : NCAP_PACKET_ID_L3_BYTES;
    if (n)
      memcpy(buf, data, n);
    memset(buf + n, 0, 16); /* hash_buf reads at most 15 bytes past n */
    return hash_buf(buf, n, SEED_FRAME);
  }
  size_t n = caplen - (size_t)l3;
  if (n > NCAP_PACKET_ID_L3_BYTES)
    n = NCAP_PACKET_ID_L3_BYTES;
  memcpy(buf, data + l3, n);
  if (version == 4)
    norm_ipv4(buf, &n);
  else
    norm_ipv6(buf, &n);
  memset(buf + n, 0, 16);
  return hash_buf(buf, n, SEED_IP);
}
