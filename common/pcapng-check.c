/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Incremental pcapng stream checker (see pcapng-check.h). Each block goes
 * through three phases: gather its first bytes (type, length and the fixed
 * fields the checks read: at most 28 bytes, copied), skip its body, gather
 * its 4-byte trailer. Only the gathered bytes are copied; the body is
 * stepped over, so a feed costs O(blocks), not O(bytes). A block that
 * lies whole in the bytes fed (nearly all of them: the relay reads up to
 * megabytes at a time) is checked in place, without the copies. */
#include "pcapng-check.h"

#include <stdarg.h>
#include <string.h>

#include "ncap-error.h"
#include "pcapng.h"

#define HEAD_MAX 28u

struct NcapPcapngCheck {
  guint32 max_block, max_idbs;
  guint64 fed;          /* bytes fed */
  guint64 block_start;  /* stream offset of the block being read */
  guint64 valid_end;    /* just past the last whole valid block */
  guint64 blocks;
  uint8_t head[HEAD_MAX];
  const uint8_t *hp;    /* the header bytes: head, or the caller's bytes */
  guint head_have, head_need;
  uint32_t type, total; /* total 0: the header is not parsed yet */
  guint64 pos;          /* bytes of the current block seen */
  uint8_t tail[4];
  guint tail_have;
  bool have_shb;        /* a valid SHB was accepted */
  bool swapped;         /* byte order of the current section */
  bool pending_shb_swapped;
  guint section_idbs, n_idbs;
  bool have_ts;
  uint32_t last_if;
  uint64_t last_ts;
  bool failed;
  char *error_msg;      /* the first violation, repeated on later feeds */
};

NcapPcapngCheck *
ncap_pcapng_check_new(const NcapPcapngCheckLimits *limits)
{
  NcapPcapngCheck *c = g_new0(NcapPcapngCheck, 1);
  c->max_block = limits && limits->max_block ? limits->max_block
                                             : NCAP_PCAPNG_CHECK_MAX_BLOCK;
  c->max_idbs = limits && limits->max_idbs ? limits->max_idbs
                                           : NCAP_PCAPNG_CHECK_MAX_IDBS;
  c->head_need = 8;
  c->hp = c->head;
  return c; /* transfer full */
}

void
ncap_pcapng_check_free(NcapPcapngCheck *c)
{
  if (!c)
    return;
  g_free(c->error_msg);
  g_free(c);
}

guint64
ncap_pcapng_check_valid_end(const NcapPcapngCheck *c)
{
  return c->valid_end;
}

guint64
ncap_pcapng_check_fed(const NcapPcapngCheck *c)
{
  return c->fed;
}

gboolean
ncap_pcapng_check_at_boundary(const NcapPcapngCheck *c)
{
  return !c->failed && c->valid_end == c->fed;
}

gboolean
ncap_pcapng_check_failed(const NcapPcapngCheck *c)
{
  return c->failed;
}

guint64
ncap_pcapng_check_blocks(const NcapPcapngCheck *c)
{
  return c->blocks;
}

guint
ncap_pcapng_check_n_idbs(const NcapPcapngCheck *c)
{
  return c->n_idbs;
}

static gboolean
check_fail(NcapPcapngCheck *c, GError **error, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

static gboolean
check_fail(NcapPcapngCheck *c, GError **error, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *what = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  c->failed = true;
  c->error_msg = g_strdup_printf("pcapng: %s (block at byte %" G_GUINT64_FORMAT
                                 ")", what, c->block_start);
  g_set_error(error, NCAP_ERROR, NCAP_ERROR_MALFORMED, "%s", c->error_msg);
  return FALSE;
}

/* Bytes after type and length that the checks read (the block's fixed
 * fields; a valid block is at least 12 + this long). */
static guint
fixed_len(uint32_t type)
{
  switch (type) {
  case NCAP_PCAPNG_BT_SHB: return 16; /* magic, version, section length */
  case NCAP_PCAPNG_BT_IDB: return 8;  /* linktype, reserved, snaplen */
  case NCAP_PCAPNG_BT_EPB: return 20; /* ifid, ts hi, ts lo, caplen, origlen */
  case NCAP_PCAPNG_BT_ISB: return 12; /* ifid, ts hi, ts lo */
  case NCAP_PCAPNG_BT_SPB: return 4;  /* origlen */
  default: return 0;
  }
}

static uint32_t
head32(const NcapPcapngCheck *c, guint off, bool swapped)
{
  return ncap_pcapng_get32(c->hp + off, swapped);
}

/* The first 8 bytes are in: type and length. Sets head_need to what the
 * fixed-field checks need. */
static gboolean
check_type_len(NcapPcapngCheck *c, GError **error)
{
  uint32_t raw = head32(c, 0, false);
  if (raw == NCAP_PCAPNG_BT_SHB) {
    /* Its length's byte order comes from the magic after it. */
    if (c->head_need < 12) {
      c->head_need = 12;
      return TRUE;
    }
    uint32_t magic = head32(c, 8, false);
    if (magic == NCAP_PCAPNG_BYTE_ORDER_MAGIC)
      c->pending_shb_swapped = false;
    else if (magic == GUINT32_SWAP_LE_BE(NCAP_PCAPNG_BYTE_ORDER_MAGIC))
      c->pending_shb_swapped = true;
    else
      return check_fail(c, error,
                        "section header block has bad byte-order magic 0x%08x",
                        magic);
    c->type = raw;
  } else {
    if (!c->have_shb)
      return check_fail(c, error, "stream does not start with a section "
                        "header block (first word 0x%08x)", raw);
    c->type = head32(c, 0, c->swapped);
  }
  bool sw = c->type == NCAP_PCAPNG_BT_SHB ? c->pending_shb_swapped : c->swapped;
  uint32_t total = head32(c, 4, sw);
  if (total % 4 != 0 || total < 12)
    return check_fail(c, error, "%s (type 0x%08x) has bad length %u",
                      ncap_pcapng_block_name(c->type), c->type, total);
  if (total > c->max_block)
    return check_fail(c, error, "%s (type 0x%08x) length %u exceeds the "
                      "limit of %u bytes", ncap_pcapng_block_name(c->type), c->type,
                      total, c->max_block);
  if (total < 12 + fixed_len(c->type))
    return check_fail(c, error, "%s too short (%u bytes)",
                      ncap_pcapng_block_name(c->type), total);
  c->total = total;
  c->head_need = 8 + fixed_len(c->type);
  return TRUE;
}

/* Every fixed field is in. */
static gboolean
check_fixed(NcapPcapngCheck *c, GError **error)
{
  bool sw = c->type == NCAP_PCAPNG_BT_SHB ? c->pending_shb_swapped : c->swapped;
  switch (c->type) {
  case NCAP_PCAPNG_BT_SHB: {
    uint16_t major; /* the first 16 bits after the magic */
    memcpy(&major, c->hp + 12, 2);
    if (sw)
      major = GUINT16_SWAP_LE_BE(major);
    if (major != 1)
      return check_fail(c, error, "unsupported pcapng version %u", major);
    break;
  }
  case NCAP_PCAPNG_BT_IDB:
    if (c->n_idbs >= c->max_idbs)
      return check_fail(c, error, "more than %u interface description blocks",
                        c->max_idbs);
    break;
  case NCAP_PCAPNG_BT_EPB:
  case NCAP_PCAPNG_BT_ISB: {
    uint32_t ifid = head32(c, 8, sw);
    if (ifid >= c->section_idbs)
      return check_fail(c, error, "%s refers to interface %u, but the section "
                        "declares %u", ncap_pcapng_block_name(c->type), ifid,
                        c->section_idbs);
    if (c->type == NCAP_PCAPNG_BT_EPB) {
      uint32_t caplen = head32(c, 20, sw);
      if (caplen > c->total - 32)
        return check_fail(c, error, "enhanced packet block captured length "
                          "%u exceeds the block (%u bytes)", caplen, c->total);
    }
    break;
  }
  case NCAP_PCAPNG_BT_SPB:
    if (c->section_idbs == 0)
      return check_fail(c, error, "simple packet block before any interface");
    break;
  default:
    break;
  }
  return TRUE;
}

/* The trailer is in: the block is whole. */
static gboolean
accept_block(NcapPcapngCheck *c, GError **error)
{
  bool sw = c->type == NCAP_PCAPNG_BT_SHB ? c->pending_shb_swapped : c->swapped;
  uint32_t trailer = ncap_pcapng_get32(c->tail, sw);
  if (trailer != c->total)
    return check_fail(c, error, "%s length %u does not match its trailing "
                      "length %u", ncap_pcapng_block_name(c->type), c->total, trailer);
  switch (c->type) {
  case NCAP_PCAPNG_BT_SHB:
    c->have_shb = true;
    c->swapped = sw;
    c->section_idbs = 0;
    c->have_ts = false;
    break;
  case NCAP_PCAPNG_BT_IDB:
    c->section_idbs++;
    c->n_idbs++;
    break;
  case NCAP_PCAPNG_BT_EPB:
  case NCAP_PCAPNG_BT_ISB:
    c->last_if = head32(c, 8, sw);
    c->last_ts = ((uint64_t)head32(c, 12, sw) << 32) | head32(c, 16, sw);
    c->have_ts = true;
    break;
  default:
    break;
  }
  c->blocks++;
  c->valid_end = c->block_start + c->total;
  c->block_start = c->valid_end;
  c->total = 0;
  c->head_have = c->tail_have = 0;
  c->head_need = 8;
  c->pos = 0;
  return TRUE;
}

static inline uint32_t
rd32(const uint8_t *p, bool swapped)
{
  uint32_t v;
  memcpy(&v, p, 4);
  return swapped ? GUINT32_SWAP_LE_BE(v) : v;
}

/* The hot path: a run of whole, valid EPBs at data, checked in place with
 * no call and no copy (about 30 instructions a packet; bench/
 * relay-check.sh). Stops at the first block that is anything else, or not
 * whole, or not valid: the general path then takes it and says what is
 * wrong. Returns the bytes it took. */
static gsize
epb_run(NcapPcapngCheck *c, const uint8_t *data, gsize len)
{
  const bool sw = c->swapped;
  gsize off = 0;
  while (len - off >= HEAD_MAX) {
    const uint8_t *p = data + off;
    uint32_t total = rd32(p + 4, sw);
    if (rd32(p, sw) != NCAP_PCAPNG_BT_EPB || total > len - off ||
        total < 32 || total % 4 != 0 || total > c->max_block ||
        rd32(p + 8, sw) >= c->section_idbs || rd32(p + 20, sw) > total - 32 ||
        rd32(p + total - 4, sw) != total)
      break;
    c->last_if = rd32(p + 8, sw);
    c->last_ts = ((uint64_t)rd32(p + 12, sw) << 32) | rd32(p + 16, sw);
    off += total;
    c->blocks++;
  }
  if (off > 0) {
    c->have_ts = true;
    c->valid_end += off;
    c->block_start = c->valid_end;
    c->fed += off;
  }
  return off;
}

/* A block that starts at data and lies whole in data[0..len), in a section
 * already open: the same checks, on the caller's bytes. Returns the bytes
 * it took (0: not such a block, take the general path), or -1 with error. */
static gssize
check_in_place(NcapPcapngCheck *c, const uint8_t *data, gsize len,
               GError **error)
{
  if (len < HEAD_MAX || !c->have_shb ||
      ncap_pcapng_get32(data, false) == NCAP_PCAPNG_BT_SHB)
    return 0;
  uint32_t total = ncap_pcapng_get32(data + 4, c->swapped);
  if (total > len)
    return 0;
  c->hp = data;
  c->head_have = c->head_need = 8;
  gboolean ok = check_type_len(c, error) && check_fixed(c, error);
  if (ok) {
    memcpy(c->tail, data + total - 4, 4);
    ok = accept_block(c, error);
  }
  c->hp = c->head;
  if (!ok)
    return -1;
  c->fed += total;
  return (gssize)total;
}

gboolean
ncap_pcapng_check_feed(NcapPcapngCheck *c, const uint8_t *data, gsize len,
                       GError **error)
{
  if (c->failed) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_MALFORMED, "%s", c->error_msg);
    return FALSE;
  }
  while (len > 0) {
    if (c->total == 0 && c->head_have == 0 && c->have_shb) {
      gsize run = epb_run(c, data, len);
      data += run;
      len -= run;
      if (len == 0)
        break;
      gssize took = check_in_place(c, data, len, error);
      if (took < 0)
        return FALSE;
      if (took > 0) {
        data += took;
        len -= (gsize)took;
        continue;
      }
    }
    if (c->total == 0 || c->head_have < c->head_need) {
      /* Header phase: copy until head_need bytes are in. */
      guint take = (guint)MIN((gsize)(c->head_need - c->head_have), len);
      memcpy(c->head + c->head_have, data, take);
      c->head_have += take;
      c->pos += take;
      c->fed += take;
      data += take;
      len -= take;
      if (c->head_have < c->head_need)
        return TRUE;
      if (c->total == 0) {
        if (!check_type_len(c, error))
          return FALSE;
        if (c->head_have < c->head_need)
          continue;
      }
      if (!check_fixed(c, error))
        return FALSE;
      continue;
    }
    /* Body phase: step over it up to the trailer. */
    guint64 body_end = c->total - 4;
    if (c->pos < body_end) {
      gsize skip = (gsize)MIN(body_end - c->pos, (guint64)len);
      c->pos += skip;
      c->fed += skip;
      data += skip;
      len -= skip;
      continue;
    }
    /* Trailer phase. */
    guint take = (guint)MIN((gsize)(4 - c->tail_have), len);
    memcpy(c->tail + c->tail_have, data, take);
    c->tail_have += take;
    c->pos += take;
    c->fed += take;
    data += take;
    len -= take;
    if (c->tail_have == 4 && !accept_block(c, error))
      return FALSE;
  }
  return TRUE;
}

void
ncap_pcapng_check_put_failure(const NcapPcapngCheck *c, GByteArray *out,
                              const char *node, const char *comment)
{
  uint32_t ifid = 0;
  uint64_t ts = 0;
  /* Our writer writes host order: a section of the other order gets a
   * section of ours after it. */
  bool need_shb = !c->have_shb || c->swapped;
  bool need_idb = need_shb || c->section_idbs == 0;

  if (need_shb) {
    NcapShbInfo shb = {.userappl = "nodecap (stream check)"};
    ncap_pcapng_put_shb(out, &shb);
  }
  if (need_idb) {
    g_autofree char *name = g_strdup_printf("%s:?", node ? node : "node");
    NcapIdbInfo idb = {
        .linktype = 1,
        .snaplen = 0,
        .name = name,
        .description = "placeholder: the node's stream was refused",
        .tsresol = 6,
    };
    ncap_pcapng_put_idb(out, &idb);
    ifid = 0;
    ts = (uint64_t)g_get_real_time();
  } else if (c->have_ts) {
    ifid = c->last_if;
    ts = c->last_ts;
  }
  NcapEpb epb = {
      .interface_id = ifid,
      .timestamp = ts,
      .caplen = 0,
      .origlen = 0,
      .data = NULL,
      .comment = comment,
  };
  ncap_pcapng_put_epb(out, &epb);
}
