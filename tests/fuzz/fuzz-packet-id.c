/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness for the packet identity hash (common/packet-id.c): it
 * runs on every captured packet, on the node and in the Wireshark plugin,
 * over frames anyone on the wire can shape. The input is one frame; it is
 * hashed under every link type the hash knows and some it does not, from
 * an exact-size heap copy so ASan sees any read past caplen.
 *
 * Besides "no crash", the properties the design relies on are checked:
 * never 0; the same L3 bytes hash the same under every framing (raw IP,
 * Ethernet with and without VLAN tags, Linux SLL and SLL2); and the fields
 * routers rewrite (IPv4 TTL, checksum, DSCP/ECN; IPv6 hop limit, traffic
 * class) and bytes past NCAP_PACKET_ID_L3_BYTES do not change the id. */
#include "fuzz-common.h"

#include <string.h>

#include "packet-id.h"

static const unsigned linktypes[] = {
  0, 1, 12, 14, 101, 108, 113, 228, 229, 276,
  /* not special-cased: hashed as whole frames */
  2, 9, 105, 127, 147, 220, 0xffff, 0xffffffffu,
};

/* ncap_packet_id on an exact-size copy of head + data. */
static uint64_t
id_framed(unsigned linktype, const uint8_t *head, size_t head_len,
          const uint8_t *data, size_t len)
{
  size_t n = head_len + len;
  uint8_t *buf = g_malloc(n ? n : 1);
  if (head_len)
    memcpy(buf, head, head_len);
  if (len)
    memcpy(buf + head_len, data, len);
  uint64_t id = ncap_packet_id(linktype, n ? buf : NULL, n);
  g_free(buf);
  FUZZ_CHECK(id != 0);
  return id;
}

static uint64_t
id_raw(unsigned linktype, const uint8_t *data, size_t len)
{
  return id_framed(linktype, NULL, 0, data, len);
}

/* The same L3 packet framed every way the hash understands. */
static void
check_framings(const uint8_t *l3, size_t len, uint64_t want)
{
  unsigned version = l3[0] >> 4;
  uint8_t et_hi = version == 4 ? 0x08 : 0x86, et_lo = version == 4 ? 0x00 : 0xdd;
  uint8_t eth[14] = { 0x02, 1, 2, 3, 4, 5, 0x02, 6, 7, 8, 9, 10, et_hi, et_lo };
  uint8_t eth2[14] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, et_hi, et_lo };
  uint8_t vlan[22] = { 0x02, 1, 2, 3, 4, 5, 0x02, 6, 7, 8, 9, 10,
                       0x88, 0xa8, 0x00, 0x64, 0x81, 0x00, 0x00, 0x0a, et_hi, et_lo };
  uint8_t sll[16] = { 0, 4, 0, 1, 0, 6, 0x02, 6, 7, 8, 9, 10, 0, 0, et_hi, et_lo };
  uint8_t sll2[20] = { et_hi, et_lo, 0, 0, 0, 0, 0, 2, 0, 1, 4, 6,
                       0x02, 6, 7, 8, 9, 10, 0, 0 };
  FUZZ_CHECK(id_raw(101, l3, len) == want);
  FUZZ_CHECK(id_raw(12, l3, len) == want);
  FUZZ_CHECK(id_raw(14, l3, len) == want);
  FUZZ_CHECK(id_raw(version == 4 ? 228 : 229, l3, len) == want);
  FUZZ_CHECK(id_framed(1, eth, sizeof eth, l3, len) == want);
  FUZZ_CHECK(id_framed(1, eth2, sizeof eth2, l3, len) == want);
  FUZZ_CHECK(id_framed(1, vlan, sizeof vlan, l3, len) == want);
  FUZZ_CHECK(id_framed(113, sll, sizeof sll, l3, len) == want);
  FUZZ_CHECK(id_framed(276, sll2, sizeof sll2, l3, len) == want);
  uint8_t af[4] = { 2, 0, 0, 0 };
  FUZZ_CHECK(id_framed(0, af, sizeof af, l3, len) == want);
  FUZZ_CHECK(id_framed(108, af, sizeof af, l3, len) == want);
}

/* Rewrites what a router may rewrite; the id must not move. */
static void
check_hop_fields(const uint8_t *l3, size_t len, uint64_t want)
{
  g_autofree uint8_t *c = g_memdup2(l3, len);
  unsigned version = l3[0] >> 4;
  if (version == 4 && len >= 20) {
    c[1] ^= 0xff;   /* DSCP/ECN */
    c[8] -= 1;      /* TTL */
    c[10] ^= 0x5a;  /* header checksum */
    c[11] ^= 0xa5;
  } else if (version == 6 && len >= 40) {
    c[0] ^= 0x0f;   /* traffic class, high nibble */
    c[1] ^= 0xf0;   /* traffic class, low nibble */
    c[7] -= 1;      /* hop limit */
  } else {
    return;
  }
  FUZZ_CHECK(id_raw(101, c, len) == want);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
  fuzz_glib_fatal();
  return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
  uint64_t first = 0;
  for (size_t i = 0; i < G_N_ELEMENTS(linktypes); i++) {
    uint64_t id = id_raw(linktypes[i], data, len);
    /* Deterministic: the same bytes again give the same id. */
    FUZZ_CHECK(id_raw(linktypes[i], data, len) == id);
    if (i == 0)
      first = id;
  }
  (void)first;
  /* Every caplen of the frame (snaplen cuts it anywhere). */
  for (size_t cut = 0; cut < len && cut < 64; cut++)
    (void)id_raw(1, data, cut);

  if (len == 0)
    return 0;
  unsigned version = data[0] >> 4;
  if (version != 4 && version != 6)
    return 0;
  uint64_t want = id_raw(101, data, len);
  check_framings(data, len, want);
  check_hop_fields(data, len, want);

  /* Bytes past the hashed prefix do not count. */
  if (len > NCAP_PACKET_ID_L3_BYTES) {
    g_autofree uint8_t *c = g_memdup2(data, len);
    for (size_t i = NCAP_PACKET_ID_L3_BYTES; i < len; i++)
      c[i] ^= 0x3c;
    FUZZ_CHECK(id_raw(101, c, len) == want);
  }
  return 0;
}
