/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pcapng writer and reader. Knows pcapng and nothing else: no libpcap, no
 * SSH. One function per block (as in Wireshark's writecap/pcapio.c). The
 * writer produces host-endian sections (what
 * libpcap and dumpcap do), the reader accepts both byte orders.
 *
 * Writer: ncap_pcapng_put_*() append one whole block to a GByteArray and
 * return the number of bytes appended. The hot path (one EPB per packet)
 * can instead size a block with ncap_pcapng_epb_len() and encode it into
 * caller memory with ncap_pcapng_encode_epb(): no allocation per packet.
 *
 * Reader: an incremental parser over a byte buffer (a file mapped or read,
 * or bytes arriving from an SSH channel), so the same code serves tests,
 * salvage of killed jobs, and the extcap's multi-node merge. */
#ifndef NCAP_PCAPNG_H
#define NCAP_PCAPNG_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define NCAP_PCAPNG_BT_SHB 0x0A0D0D0Au
#define NCAP_PCAPNG_BT_IDB 0x00000001u
#define NCAP_PCAPNG_BT_SPB 0x00000003u
#define NCAP_PCAPNG_BT_NRB 0x00000004u
#define NCAP_PCAPNG_BT_ISB 0x00000005u
#define NCAP_PCAPNG_BT_EPB 0x00000006u
#define NCAP_PCAPNG_BT_DSB 0x0000000Au

/* "enhanced packet block", ... for messages; "block" for other types
 * (transfer none). */
const char *ncap_pcapng_block_name(uint32_t type);
#define NCAP_PCAPNG_BYTE_ORDER_MAGIC 0x1A2B3C4Du

/* Largest block the reader accepts (guards against hostile lengths). */
#define NCAP_PCAPNG_MAX_BLOCK (16u * 1024u * 1024u)

/* Option codes used by nodecap. */
enum {
  NCAP_OPT_ENDOFOPT = 0,
  NCAP_OPT_COMMENT = 1,
  NCAP_OPT_SHB_HARDWARE = 2,
  NCAP_OPT_SHB_OS = 3,
  NCAP_OPT_SHB_USERAPPL = 4,
  NCAP_OPT_IF_NAME = 2,
  NCAP_OPT_IF_DESCRIPTION = 3,
  NCAP_OPT_IF_TSRESOL = 9,
  NCAP_OPT_IF_FILTER = 11,    /* first byte 0 = libpcap filter string */
  NCAP_OPT_EPB_FLAGS = 2,
  NCAP_OPT_EPB_DROPCOUNT = 4,
  NCAP_OPT_EPB_PACKETID = 5,
  NCAP_OPT_ISB_STARTTIME = 2,
  NCAP_OPT_ISB_ENDTIME = 3,
  NCAP_OPT_ISB_IFRECV = 4,
  NCAP_OPT_ISB_IFDROP = 5,
  NCAP_OPT_ISB_OSDROP = 7,
  NCAP_OPT_ISB_USRDELIV = 8,
};

/* ---- writer ------------------------------------------------------------ */

typedef struct {
  const char *hardware;  /* shb_hardware, NULL = omitted */
  const char *os;        /* shb_os */
  const char *userappl;  /* shb_userappl */
  const char *comment;   /* opt_comment */
} NcapShbInfo;

typedef struct {
  uint16_t linktype;        /* LINKTYPE_* (1 = Ethernet, 772 = loopback ...) */
  uint32_t snaplen;
  const char *name;         /* if_name: "<node>:<iface>" */
  const char *description;  /* if_description, NULL = omitted */
  const char *filter;       /* if_filter (BPF text), NULL/"" = omitted */
  uint8_t tsresol;          /* if_tsresol: 6 = microseconds, 9 = nanoseconds */
} NcapIdbInfo;

typedef struct {
  uint32_t interface_id;
  uint64_t timestamp;       /* in the interface's if_tsresol units */
  uint32_t caplen;
  uint32_t origlen;
  const uint8_t *data;      /* caplen bytes */
  bool has_packetid;
  uint64_t packetid;        /* epb_packetid: the identity hash */
  bool has_dropcount;
  uint64_t dropcount;       /* epb_dropcount: lost since previous packet */
  const char *comment;      /* NULL = omitted */
} NcapEpb;

enum {
  NCAP_ISB_HAS_STARTTIME = 1 << 0,
  NCAP_ISB_HAS_ENDTIME = 1 << 1,
  NCAP_ISB_HAS_IFRECV = 1 << 2,
  NCAP_ISB_HAS_IFDROP = 1 << 3,
  NCAP_ISB_HAS_OSDROP = 1 << 4,
  NCAP_ISB_HAS_USRDELIV = 1 << 5, /* isb_usrdeliv: packets in the stream */
};

typedef struct {
  uint32_t interface_id;
  uint64_t timestamp;       /* if_tsresol units */
  unsigned present;         /* NCAP_ISB_HAS_* */
  uint64_t starttime, endtime; /* if_tsresol units */
  uint64_t ifrecv, ifdrop, osdrop, usrdeliv;
  const char *comment;
} NcapIsb;

gsize ncap_pcapng_put_shb(GByteArray *buf, const NcapShbInfo *shb);
gsize ncap_pcapng_put_idb(GByteArray *buf, const NcapIdbInfo *idb);
gsize ncap_pcapng_put_epb(GByteArray *buf, const NcapEpb *epb);
gsize ncap_pcapng_put_isb(GByteArray *buf, const NcapIsb *isb);

/* ---- the EPB encoder, inline: it runs once per captured packet, and
 * inlined into the capture loop the NcapEpb it is given costs nothing
 * (bench/: instructions per packet). Host-order unaligned stores: memcpy
 * compiles to a plain store. ---- */

#define NCAP_PCAPNG_PAD4(n) (((n) + 3u) & ~(gsize)3u)

static inline uint8_t *
ncap_pcapng_w16(uint8_t *p, uint16_t v)
{
  memcpy(p, &v, 2);
  return p + 2;
}

static inline uint8_t *
ncap_pcapng_w32(uint8_t *p, uint32_t v)
{
  memcpy(p, &v, 4);
  return p + 4;
}

static inline uint8_t *
ncap_pcapng_w64(uint8_t *p, uint64_t v)
{
  memcpy(p, &v, 8);
  return p + 8;
}

/* An option header: code and length, each 16 bits in host order. */
static inline uint8_t *
ncap_pcapng_wopt(uint8_t *p, uint16_t code, uint16_t len)
{
  return ncap_pcapng_w16(ncap_pcapng_w16(p, code), len);
}

/* An option whose value is 8 bytes. */
static inline uint8_t *
ncap_pcapng_wopt_u64(uint8_t *p, uint16_t code, uint64_t v)
{
  return ncap_pcapng_w64(ncap_pcapng_wopt(p, code, 8), v);
}

/* pcapng timestamps (EPB, isb_starttime/endtime) are two 32-bit words,
 * high first, each in the section's byte order. */
static inline uint8_t *
ncap_pcapng_wts(uint8_t *p, uint64_t ts)
{
  p = ncap_pcapng_w32(p, (uint32_t)(ts >> 32));
  return ncap_pcapng_w32(p, (uint32_t)ts);
}

static inline uint8_t *
ncap_pcapng_block_head(uint8_t *p, uint32_t type, gsize total)
{
  return ncap_pcapng_w32(ncap_pcapng_w32(p, type), (uint32_t)total);
}

/* A string option (comments, filters; cut at 65532 bytes): its size, and
 * writing it. */
gsize ncap_pcapng_str_opt_len(const char *s);
uint8_t *ncap_pcapng_wopt_str(uint8_t *p, uint16_t code, const char *s);

/* Exact size in bytes of the EPB that ncap_pcapng_encode_epb() writes. */
static inline gsize
ncap_pcapng_epb_len(const NcapEpb *epb)
{
  gsize opts = (epb->has_packetid ? 12 : 0) + (epb->has_dropcount ? 12 : 0) +
               (epb->comment ? ncap_pcapng_str_opt_len(epb->comment) : 0);
  if (opts)
    opts += 4;
  return 32 + NCAP_PCAPNG_PAD4((gsize)epb->caplen) + opts;
}

/* Encode into dst, which has at least ncap_pcapng_epb_len() bytes. Returns
 * the bytes written. */
static inline gsize
ncap_pcapng_encode_epb(uint8_t *dst, const NcapEpb *epb)
{
  gsize total = ncap_pcapng_epb_len(epb);
  gsize padded = NCAP_PCAPNG_PAD4((gsize)epb->caplen);
  uint8_t *p = ncap_pcapng_block_head(dst, NCAP_PCAPNG_BT_EPB, total);
  p = ncap_pcapng_w32(p, epb->interface_id);
  p = ncap_pcapng_wts(p, epb->timestamp);
  p = ncap_pcapng_w32(p, epb->caplen);
  p = ncap_pcapng_w32(p, epb->origlen);
  if (padded) {
    ncap_pcapng_w32(p + padded - 4, 0);  /* zero the padding, then the data over it */
    memcpy(p, epb->data, epb->caplen);
    p += padded;
  }
  if (total - padded > 32) {
    if (epb->comment)
      p = ncap_pcapng_wopt_str(p, NCAP_OPT_COMMENT, epb->comment);
    if (epb->has_dropcount)
      p = ncap_pcapng_wopt_u64(p, NCAP_OPT_EPB_DROPCOUNT, epb->dropcount);
    if (epb->has_packetid)
      p = ncap_pcapng_wopt_u64(p, NCAP_OPT_EPB_PACKETID, epb->packetid);
    p = ncap_pcapng_wopt(p, NCAP_OPT_ENDOFOPT, 0);
  }
  ncap_pcapng_w32(p, (uint32_t)total);
  return total;
}

/* Convenience for tests and small tools: SHB + one IDB. */
gsize ncap_pcapng_put_header(GByteArray *buf, const NcapShbInfo *shb,
                             const NcapIdbInfo *idb);

/* ---- reader ------------------------------------------------------------ */

typedef struct {
  uint32_t type;
  uint32_t total_len;       /* whole block, header and trailer included */
  const uint8_t *block;     /* start of the block (points into the input) */
  const uint8_t *body;      /* after type and length */
  uint32_t body_len;        /* total_len - 12 */
  bool swapped;             /* section is in the other byte order */
} NcapPcapngBlock;

typedef enum {
  NCAP_PCAPNG_NEED_MORE = 0, /* not a whole block yet: feed more bytes */
  NCAP_PCAPNG_BLOCK = 1,     /* *out holds one block, *consumed is its size */
  NCAP_PCAPNG_ERROR = -1,    /* malformed: GError set */
} NcapPcapngStatus;

typedef struct NcapPcapngReader NcapPcapngReader;

NcapPcapngReader *ncap_pcapng_reader_new(void);         /* transfer full */
void ncap_pcapng_reader_free(NcapPcapngReader *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NcapPcapngReader, ncap_pcapng_reader_free)

/* Look at data[0..len) for the next whole block. The first block ever fed
 * must be an SHB. Checks: length a multiple of 4, >= 12, <= MAX_BLOCK,
 * leading and trailing lengths equal, SHB byte-order magic. Tracks IDBs
 * (count and linktype/tsresol per interface) so EPB/ISB interface ids are
 * checked against them. */
NcapPcapngStatus ncap_pcapng_reader_next(NcapPcapngReader *r,
                                         const uint8_t *data, gsize len,
                                         NcapPcapngBlock *out, gsize *consumed,
                                         GError **error);

guint ncap_pcapng_reader_n_interfaces(const NcapPcapngReader *r);
/* Per-interface facts from the IDBs seen so far (index < n_interfaces). */
uint16_t ncap_pcapng_reader_linktype(const NcapPcapngReader *r, guint ifid);
uint8_t ncap_pcapng_reader_tsresol(const NcapPcapngReader *r, guint ifid);

/* Decoded views of blocks. Strings are newly allocated (transfer full),
 * NULL when the option is absent. */
typedef struct {
  uint16_t linktype;
  uint32_t snaplen;
  char *name, *description, *filter;
  uint8_t tsresol;          /* 6 when the option is absent */
} NcapIdbParsed;
void ncap_idb_parsed_clear(NcapIdbParsed *idb);

typedef struct {
  uint32_t interface_id;
  uint64_t timestamp;
  uint32_t caplen, origlen;
  const uint8_t *data;      /* transfer none: points into the block */
  bool has_packetid;
  uint64_t packetid;
  bool has_dropcount;
  uint64_t dropcount;
  char *comment;
} NcapEpbParsed;
void ncap_epb_parsed_clear(NcapEpbParsed *epb);

typedef struct {
  uint32_t interface_id;
  uint64_t timestamp;
  unsigned present;
  uint64_t starttime, endtime, ifrecv, ifdrop, osdrop, usrdeliv;
} NcapIsbParsed;

typedef struct {
  char *hardware, *os, *userappl, *comment;
} NcapShbParsed;
void ncap_shb_parsed_clear(NcapShbParsed *shb);

gboolean ncap_pcapng_parse_shb(const NcapPcapngBlock *b, NcapShbParsed *out, GError **error);
gboolean ncap_pcapng_parse_idb(const NcapPcapngBlock *b, NcapIdbParsed *out, GError **error);
gboolean ncap_pcapng_parse_epb(const NcapPcapngBlock *b, NcapEpbParsed *out, GError **error);
gboolean ncap_pcapng_parse_isb(const NcapPcapngBlock *b, NcapIsbParsed *out, GError **error);

/* Bytes at the start of data[0..len) that form whole, valid blocks (first
 * one an SHB): used to cut a killed job's file at its last good block. A
 * block is kept only when its leading and trailing lengths agree, so a
 * zeroed or torn tail is cut. */
gsize ncap_pcapng_valid_prefix(const uint8_t *data, gsize len);

/* Byte-order helpers for code that rewrites blocks in place (the merger
 * renumbers interface ids). */
uint32_t ncap_pcapng_get32(const uint8_t *p, bool swapped);
void ncap_pcapng_set32(uint8_t *p, bool swapped, uint32_t v);

#endif
