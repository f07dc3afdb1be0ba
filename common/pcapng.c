/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pcapng writer and reader (see pcapng.h). The writer emits host-endian
 * sections; the reader accepts both byte orders and treats every length in
 * its input as hostile: nothing is read before it is known to lie inside
 * the block, and the block inside the buffer. */
#include "pcapng.h"

#include <stdarg.h>
#include <string.h>

#include "ncap-error.h"

#define PAD4(n) NCAP_PCAPNG_PAD4(n)

/* ---- writer ------------------------------------------------------------ */

/* Bytes of an option carrying n value bytes (header + padded value). */
static inline gsize
opt_len(gsize n)
{
  return 4 + PAD4(n);
}

/* Options longer than 65535 bytes cannot be encoded: truncate the string
 * (comments, filters), keeping the file valid. */
static gsize
str_opt_value_len(const char *s)
{
  gsize n = strlen(s);
  return n > 65532 ? 65532 : n;
}

gsize
ncap_pcapng_str_opt_len(const char *s)
{
  return s ? opt_len(str_opt_value_len(s)) : 0;
}

/* Writes a string option (value padded with zero bytes). */
uint8_t *
ncap_pcapng_wopt_str(uint8_t *p, uint16_t code, const char *s)
{
  gsize n = str_opt_value_len(s);
  gsize padded = PAD4(n);
  p = ncap_pcapng_wopt(p, code, (uint16_t)n);
  if (padded)
    memset(p + padded - 4, 0, 4);  /* the last word holds the padding */
  memcpy(p, s, n);
  return p + padded;
}

/* Appends room for a block of total bytes and returns where to write it. */
static uint8_t *
grow(GByteArray *buf, gsize total)
{
  guint old = buf->len;
  g_byte_array_set_size(buf, old + (guint)total);
  return buf->data + old;
}

gsize
ncap_pcapng_put_shb(GByteArray *buf, const NcapShbInfo *shb)
{
  gsize opts = ncap_pcapng_str_opt_len(shb->hardware) + ncap_pcapng_str_opt_len(shb->os) +
               ncap_pcapng_str_opt_len(shb->userappl) + ncap_pcapng_str_opt_len(shb->comment);
  if (opts)
    opts += 4;
  gsize total = 12 + 16 + opts;
  uint8_t *p = ncap_pcapng_block_head(grow(buf, total), NCAP_PCAPNG_BT_SHB, total);
  p = ncap_pcapng_w32(p, NCAP_PCAPNG_BYTE_ORDER_MAGIC);
  p = ncap_pcapng_w16(p, 1);
  p = ncap_pcapng_w16(p, 0);
  p = ncap_pcapng_w64(p, UINT64_MAX);  /* section length -1: not known while streaming */
  if (shb->comment)
    p = ncap_pcapng_wopt_str(p, NCAP_OPT_COMMENT, shb->comment);
  if (shb->hardware)
    p = ncap_pcapng_wopt_str(p, NCAP_OPT_SHB_HARDWARE, shb->hardware);
  if (shb->os)
    p = ncap_pcapng_wopt_str(p, NCAP_OPT_SHB_OS, shb->os);
  if (shb->userappl)
    p = ncap_pcapng_wopt_str(p, NCAP_OPT_SHB_USERAPPL, shb->userappl);
  if (opts)
    p = ncap_pcapng_wopt(p, NCAP_OPT_ENDOFOPT, 0);
  ncap_pcapng_w32(p, (uint32_t)total);
  return total;
}

gsize
ncap_pcapng_put_idb(GByteArray *buf, const NcapIdbInfo *idb)
{
  const char *filter = idb->filter && *idb->filter ? idb->filter : NULL;
  /* if_filter: one type byte (0 = libpcap filter string), then the text. */
  gsize filter_n = filter ? MIN(strlen(filter), (gsize)65531) : 0;
  uint8_t tsresol = idb->tsresol ? idb->tsresol : 6;
  gsize opts = ncap_pcapng_str_opt_len(idb->name) + ncap_pcapng_str_opt_len(idb->description) +
               (filter ? opt_len(filter_n + 1) : 0) + opt_len(1) + 4;
  gsize total = 12 + 8 + opts;
  uint8_t *p = ncap_pcapng_block_head(grow(buf, total), NCAP_PCAPNG_BT_IDB, total);
  p = ncap_pcapng_w16(p, idb->linktype);
  p = ncap_pcapng_w16(p, 0);
  p = ncap_pcapng_w32(p, idb->snaplen);
  if (idb->name)
    p = ncap_pcapng_wopt_str(p, NCAP_OPT_IF_NAME, idb->name);
  if (idb->description)
    p = ncap_pcapng_wopt_str(p, NCAP_OPT_IF_DESCRIPTION, idb->description);
  if (filter) {
    gsize padded = PAD4(filter_n + 1);
    p = ncap_pcapng_wopt(p, NCAP_OPT_IF_FILTER, (uint16_t)(filter_n + 1));
    memset(p + padded - 4, 0, 4);
    p[0] = 0;
    memcpy(p + 1, filter, filter_n);
    p += padded;
  }
  p = ncap_pcapng_wopt(p, NCAP_OPT_IF_TSRESOL, 1);
  p = ncap_pcapng_w32(p, 0);
  p[-4] = tsresol;
  p = ncap_pcapng_wopt(p, NCAP_OPT_ENDOFOPT, 0);
  ncap_pcapng_w32(p, (uint32_t)total);
  return total;
}

gsize
ncap_pcapng_put_epb(GByteArray *buf, const NcapEpb *epb)
{
  gsize total = ncap_pcapng_epb_len(epb);
  return ncap_pcapng_encode_epb(grow(buf, total), epb);
}

gsize
ncap_pcapng_put_isb(GByteArray *buf, const NcapIsb *isb)
{
  unsigned has = isb->present;
  gsize opts = ncap_pcapng_str_opt_len(isb->comment);
  for (unsigned bit = NCAP_ISB_HAS_STARTTIME; bit <= NCAP_ISB_HAS_USRDELIV; bit <<= 1)
    if (has & bit)
      opts += 12;
  if (opts)
    opts += 4;
  gsize total = 12 + 12 + opts;
  uint8_t *p = ncap_pcapng_block_head(grow(buf, total), NCAP_PCAPNG_BT_ISB, total);
  p = ncap_pcapng_w32(p, isb->interface_id);
  p = ncap_pcapng_wts(p, isb->timestamp);
  if (isb->comment)
    p = ncap_pcapng_wopt_str(p, NCAP_OPT_COMMENT, isb->comment);
  if (has & NCAP_ISB_HAS_STARTTIME)
    p = ncap_pcapng_wts(ncap_pcapng_wopt(p, NCAP_OPT_ISB_STARTTIME, 8), isb->starttime);
  if (has & NCAP_ISB_HAS_ENDTIME)
    p = ncap_pcapng_wts(ncap_pcapng_wopt(p, NCAP_OPT_ISB_ENDTIME, 8), isb->endtime);
  if (has & NCAP_ISB_HAS_IFRECV)
    p = ncap_pcapng_wopt_u64(p, NCAP_OPT_ISB_IFRECV, isb->ifrecv);
  if (has & NCAP_ISB_HAS_IFDROP)
    p = ncap_pcapng_wopt_u64(p, NCAP_OPT_ISB_IFDROP, isb->ifdrop);
  if (has & NCAP_ISB_HAS_OSDROP)
    p = ncap_pcapng_wopt_u64(p, NCAP_OPT_ISB_OSDROP, isb->osdrop);
  if (has & NCAP_ISB_HAS_USRDELIV)
    p = ncap_pcapng_wopt_u64(p, NCAP_OPT_ISB_USRDELIV, isb->usrdeliv);
  if (opts)
    p = ncap_pcapng_wopt(p, NCAP_OPT_ENDOFOPT, 0);
  ncap_pcapng_w32(p, (uint32_t)total);
  return total;
}

gsize
ncap_pcapng_put_header(GByteArray *buf, const NcapShbInfo *shb,
                       const NcapIdbInfo *idb)
{
  gsize n = ncap_pcapng_put_shb(buf, shb);
  return n + ncap_pcapng_put_idb(buf, idb);
}

/* ---- byte order -------------------------------------------------------- */

uint32_t
ncap_pcapng_get32(const uint8_t *p, bool swapped)
{
  uint32_t v;
  memcpy(&v, p, 4);
  return swapped ? GUINT32_SWAP_LE_BE(v) : v;
}

void
ncap_pcapng_set32(uint8_t *p, bool swapped, uint32_t v)
{
  if (swapped)
    v = GUINT32_SWAP_LE_BE(v);
  memcpy(p, &v, 4);
}

static uint16_t
get16(const uint8_t *p, bool swapped)
{
  uint16_t v;
  memcpy(&v, p, 2);
  return swapped ? GUINT16_SWAP_LE_BE(v) : v;
}

static uint64_t
get64(const uint8_t *p, bool swapped)
{
  uint64_t v;
  memcpy(&v, p, 8);
  return swapped ? GUINT64_SWAP_LE_BE(v) : v;
}

static uint64_t
get_ts(const uint8_t *p, bool swapped)
{
  return ((uint64_t)ncap_pcapng_get32(p, swapped) << 32) |
         ncap_pcapng_get32(p + 4, swapped);
}

/* ---- options ----------------------------------------------------------- */

/* Fixed part of each block body, before its options. */
static uint32_t
fixed_body_len(uint32_t type)
{
  switch (type) {
  case NCAP_PCAPNG_BT_SHB: return 16;
  case NCAP_PCAPNG_BT_IDB: return 8;
  case NCAP_PCAPNG_BT_EPB: return 20;
  case NCAP_PCAPNG_BT_ISB: return 12;
  case NCAP_PCAPNG_BT_SPB: return 4;
  default: return 0;
  }
}

typedef struct {
  const uint8_t *p, *end;
  bool swapped;
} OptIter;

/* Next option: 1 = code, val and len set, 0 = end of options, -1 = an option
 * runs past the block. */
static int
opt_next(OptIter *it, uint16_t *code, const uint8_t **val, uint16_t *len)
{
  if (it->end - it->p < 4)
    return 0;  /* no opt_endofopt: options may simply stop */
  *code = get16(it->p, it->swapped);
  *len = get16(it->p + 2, it->swapped);
  if (*code == NCAP_OPT_ENDOFOPT)
    return 0;
  gsize padded = PAD4((gsize)*len);
  if ((gsize)(it->end - it->p - 4) < padded)
    return -1;
  *val = it->p + 4;
  it->p += 4 + padded;
  return 1;
}

static void
opt_iter_init(OptIter *it, const NcapPcapngBlock *b, uint32_t fixed)
{
  /* Clamped, so a block built by hand with a short body yields no options. */
  it->p = b->body + MIN(fixed, b->body_len);
  it->end = b->body + b->body_len;
  it->swapped = b->swapped;
}

const char *
ncap_pcapng_block_name(uint32_t type)
{
  switch (type) {
  case NCAP_PCAPNG_BT_SHB: return "section header block";
  case NCAP_PCAPNG_BT_IDB: return "interface description block";
  case NCAP_PCAPNG_BT_EPB: return "enhanced packet block";
  case NCAP_PCAPNG_BT_ISB: return "interface statistics block";
  case NCAP_PCAPNG_BT_SPB: return "simple packet block";
  default: return "block";
  }
}

/* Walks a block's options only to check they stay inside it. */
static gboolean
check_options(const NcapPcapngBlock *b, uint32_t fixed, GError **error)
{
  OptIter it;
  uint16_t code = 0, len = 0;
  const uint8_t *val;
  int rc;
  opt_iter_init(&it, b, fixed);
  while ((rc = opt_next(&it, &code, &val, &len)) > 0)
    ;
  if (rc < 0) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                "pcapng: %s option %u runs past the end of the block",
                ncap_pcapng_block_name(b->type), code);
    return FALSE;
  }
  return TRUE;
}

static gboolean
bad_opt_len(const NcapPcapngBlock *b, uint16_t code, uint16_t len, GError **error)
{
  g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
              "pcapng: %s option %u has bad length %u", ncap_pcapng_block_name(b->type),
              code, len);
  return FALSE;
}

static gboolean
short_block(const NcapPcapngBlock *b, uint32_t want, GError **error)
{
  if (b->body_len >= want)
    return FALSE;
  g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
              "pcapng: %s too short (%u bytes)", ncap_pcapng_block_name(b->type),
              b->total_len);
  return TRUE;
}

/* ---- reader ------------------------------------------------------------ */

typedef struct {
  uint16_t linktype;
  uint8_t tsresol;
} IfaceInfo;

struct NcapPcapngReader {
  bool in_section;
  bool swapped;
  GArray *ifaces;  /* IfaceInfo, of the current section */
};

NcapPcapngReader *
ncap_pcapng_reader_new(void)
{
  NcapPcapngReader *r = g_new0(NcapPcapngReader, 1);
  r->ifaces = g_array_new(FALSE, FALSE, sizeof(IfaceInfo));
  return r;  /* transfer full */
}

void
ncap_pcapng_reader_free(NcapPcapngReader *r)
{
  if (!r)
    return;
  g_array_free(r->ifaces, TRUE);
  g_free(r);
}

guint
ncap_pcapng_reader_n_interfaces(const NcapPcapngReader *r)
{
  return r->ifaces->len;
}

uint16_t
ncap_pcapng_reader_linktype(const NcapPcapngReader *r, guint ifid)
{
  g_return_val_if_fail(ifid < r->ifaces->len, 0);
  return g_array_index(r->ifaces, IfaceInfo, ifid).linktype;
}

uint8_t
ncap_pcapng_reader_tsresol(const NcapPcapngReader *r, guint ifid)
{
  g_return_val_if_fail(ifid < r->ifaces->len, 6);
  return g_array_index(r->ifaces, IfaceInfo, ifid).tsresol;
}

static NcapPcapngStatus
reader_fail(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static NcapPcapngStatus
reader_fail(GError **error, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID, "pcapng: %s", msg);
  return NCAP_PCAPNG_ERROR;
}

/* The interface id an EPB or ISB refers to must come from an IDB seen. */
static NcapPcapngStatus
check_ifid(const NcapPcapngReader *r, const NcapPcapngBlock *b, GError **error)
{
  uint32_t ifid = ncap_pcapng_get32(b->body, b->swapped);
  if (ifid >= r->ifaces->len)
    return reader_fail(error, "%s refers to interface %u, but the section defines %u",
                       ncap_pcapng_block_name(b->type), ifid, r->ifaces->len);
  return NCAP_PCAPNG_BLOCK;
}

NcapPcapngStatus
ncap_pcapng_reader_next(NcapPcapngReader *r, const uint8_t *data, gsize len,
                        NcapPcapngBlock *out, gsize *consumed, GError **error)
{
  *consumed = 0;
  if (len < 4)
    return NCAP_PCAPNG_NEED_MORE;
  /* The type word of an SHB reads the same in both byte orders. */
  uint32_t type = ncap_pcapng_get32(data, false);
  bool is_shb = type == NCAP_PCAPNG_BT_SHB;
  if (!is_shb && !r->in_section)
    return reader_fail(error, "not a pcapng file (no section header block)");

  bool swapped = r->swapped;
  if (is_shb) {
    if (len < 12)
      return NCAP_PCAPNG_NEED_MORE;
    uint32_t magic = ncap_pcapng_get32(data + 8, false);
    if (magic == NCAP_PCAPNG_BYTE_ORDER_MAGIC)
      swapped = false;
    else if (magic == GUINT32_SWAP_LE_BE(NCAP_PCAPNG_BYTE_ORDER_MAGIC))
      swapped = true;
    else
      return reader_fail(error, "section header block has bad byte-order magic 0x%08x",
                         magic);
  } else {
    type = ncap_pcapng_get32(data, swapped);
    if (len < 8)
      return NCAP_PCAPNG_NEED_MORE;
  }

  uint32_t total = ncap_pcapng_get32(data + 4, swapped);
  if (total < 12 || total % 4 != 0 || total > NCAP_PCAPNG_MAX_BLOCK)
    return reader_fail(error, "%s (type 0x%08x) has bad length %u", ncap_pcapng_block_name(type),
                       type, total);
  if (total < 12 + fixed_body_len(type))
    return reader_fail(error, "%s too short (%u bytes)", ncap_pcapng_block_name(type), total);
  if (len < total)
    return NCAP_PCAPNG_NEED_MORE;
  uint32_t trailer = ncap_pcapng_get32(data + total - 4, swapped);
  if (trailer != total)
    return reader_fail(error, "%s length %u does not match its trailing length %u",
                       ncap_pcapng_block_name(type), total, trailer);

  NcapPcapngBlock b = {
    .type = type,
    .total_len = total,
    .block = data,
    .body = data + 8,
    .body_len = total - 12,
    .swapped = swapped,
  };

  switch (type) {
  case NCAP_PCAPNG_BT_SHB: {
    uint16_t major = get16(b.body + 4, swapped);
    if (major != 1)
      return reader_fail(error, "unsupported pcapng version %u.%u", major,
                         get16(b.body + 6, swapped));
    if (!check_options(&b, 16, error))
      return NCAP_PCAPNG_ERROR;
    /* A new section: byte order and interfaces start over. */
    r->in_section = true;
    r->swapped = swapped;
    g_array_set_size(r->ifaces, 0);
    break;
  }
  case NCAP_PCAPNG_BT_IDB: {
    IfaceInfo info = { get16(b.body, swapped), 6 };
    OptIter it;
    uint16_t code = 0, olen = 0;
    const uint8_t *val;
    int rc;
    opt_iter_init(&it, &b, 8);
    while ((rc = opt_next(&it, &code, &val, &olen)) > 0)
      if (code == NCAP_OPT_IF_TSRESOL && olen >= 1)
        info.tsresol = val[0];
    if (rc < 0)
      return reader_fail(error, "interface description block option %u runs past "
                         "the end of the block", code);
    g_array_append_val(r->ifaces, info);
    break;
  }
  case NCAP_PCAPNG_BT_EPB: {
    if (check_ifid(r, &b, error) != NCAP_PCAPNG_BLOCK)
      return NCAP_PCAPNG_ERROR;
    uint32_t caplen = ncap_pcapng_get32(b.body + 12, swapped);
    if (caplen > b.body_len - 20)
      return reader_fail(error, "enhanced packet block captured length %u exceeds "
                         "the block (%u bytes)", caplen, total);
    if (!check_options(&b, 20 + (uint32_t)PAD4((gsize)caplen), error))
      return NCAP_PCAPNG_ERROR;
    break;
  }
  case NCAP_PCAPNG_BT_ISB:
    if (check_ifid(r, &b, error) != NCAP_PCAPNG_BLOCK)
      return NCAP_PCAPNG_ERROR;
    if (!check_options(&b, 12, error))
      return NCAP_PCAPNG_ERROR;
    break;
  case NCAP_PCAPNG_BT_SPB:
    if (r->ifaces->len == 0)
      return reader_fail(error, "simple packet block before any interface");
    break;
  default:
    break;  /* other blocks pass through unread */
  }

  *out = b;
  *consumed = total;
  return NCAP_PCAPNG_BLOCK;
}

gsize
ncap_pcapng_valid_prefix(const uint8_t *data, gsize len)
{
  g_autoptr(NcapPcapngReader) r = ncap_pcapng_reader_new();
  gsize off = 0;
  for (;;) {
    NcapPcapngBlock b;
    gsize used;
    if (ncap_pcapng_reader_next(r, data + off, len - off, &b, &used, NULL) !=
        NCAP_PCAPNG_BLOCK)
      return off;
    off += used;
  }
}

/* ---- block parsers ----------------------------------------------------- */

static gboolean
wrong_type(const NcapPcapngBlock *b, uint32_t want, GError **error)
{
  if (b->type == want)
    return FALSE;
  g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
              "pcapng: expected a %s, got block type 0x%08x", ncap_pcapng_block_name(want),
              b->type);
  return TRUE;
}

static gboolean
opt_overrun(const NcapPcapngBlock *b, uint16_t code, GError **error)
{
  g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
              "pcapng: %s option %u runs past the end of the block",
              ncap_pcapng_block_name(b->type), code);
  return FALSE;
}

static char *
opt_strdup(const uint8_t *val, uint16_t len)
{
  return g_strndup((const char *)val, len);
}

/* Replaces *dst (a repeated option keeps its last value). */
static void
set_str(char **dst, char *s)
{
  g_free(*dst);
  *dst = s;
}

void
ncap_shb_parsed_clear(NcapShbParsed *shb)
{
  g_clear_pointer(&shb->hardware, g_free);
  g_clear_pointer(&shb->os, g_free);
  g_clear_pointer(&shb->userappl, g_free);
  g_clear_pointer(&shb->comment, g_free);
}

gboolean
ncap_pcapng_parse_shb(const NcapPcapngBlock *b, NcapShbParsed *out, GError **error)
{
  memset(out, 0, sizeof *out);
  if (wrong_type(b, NCAP_PCAPNG_BT_SHB, error) || short_block(b, 16, error))
    return FALSE;
  OptIter it;
  uint16_t code = 0, len = 0;
  const uint8_t *val;
  int rc;
  opt_iter_init(&it, b, 16);
  while ((rc = opt_next(&it, &code, &val, &len)) > 0) {
    switch (code) {
    case NCAP_OPT_COMMENT: set_str(&out->comment, opt_strdup(val, len)); break;
    case NCAP_OPT_SHB_HARDWARE: set_str(&out->hardware, opt_strdup(val, len)); break;
    case NCAP_OPT_SHB_OS: set_str(&out->os, opt_strdup(val, len)); break;
    case NCAP_OPT_SHB_USERAPPL: set_str(&out->userappl, opt_strdup(val, len)); break;
    default: break;
    }
  }
  if (rc < 0) {
    ncap_shb_parsed_clear(out);
    return opt_overrun(b, code, error);
  }
  return TRUE;
}

void
ncap_idb_parsed_clear(NcapIdbParsed *idb)
{
  g_clear_pointer(&idb->name, g_free);
  g_clear_pointer(&idb->description, g_free);
  g_clear_pointer(&idb->filter, g_free);
}

gboolean
ncap_pcapng_parse_idb(const NcapPcapngBlock *b, NcapIdbParsed *out, GError **error)
{
  memset(out, 0, sizeof *out);
  if (wrong_type(b, NCAP_PCAPNG_BT_IDB, error) || short_block(b, 8, error))
    return FALSE;
  out->linktype = get16(b->body, b->swapped);
  out->snaplen = ncap_pcapng_get32(b->body + 4, b->swapped);
  out->tsresol = 6;
  OptIter it;
  uint16_t code = 0, len = 0;
  const uint8_t *val;
  int rc;
  opt_iter_init(&it, b, 8);
  while ((rc = opt_next(&it, &code, &val, &len)) > 0) {
    switch (code) {
    case NCAP_OPT_IF_NAME: set_str(&out->name, opt_strdup(val, len)); break;
    case NCAP_OPT_IF_DESCRIPTION:
      set_str(&out->description, opt_strdup(val, len));
      break;
    case NCAP_OPT_IF_FILTER:
      /* Only type 0 (libpcap filter text) is a string; bytecode is skipped. */
      if (len >= 1 && val[0] == 0)
        set_str(&out->filter, opt_strdup(val + 1, len - 1));
      break;
    case NCAP_OPT_IF_TSRESOL:
      if (len != 1) {
        ncap_idb_parsed_clear(out);
        return bad_opt_len(b, code, len, error);
      }
      out->tsresol = val[0];
      break;
    default: break;
    }
  }
  if (rc < 0) {
    ncap_idb_parsed_clear(out);
    return opt_overrun(b, code, error);
  }
  return TRUE;
}

void
ncap_epb_parsed_clear(NcapEpbParsed *epb)
{
  g_clear_pointer(&epb->comment, g_free);
}

gboolean
ncap_pcapng_parse_epb(const NcapPcapngBlock *b, NcapEpbParsed *out, GError **error)
{
  memset(out, 0, sizeof *out);
  if (wrong_type(b, NCAP_PCAPNG_BT_EPB, error) || short_block(b, 20, error))
    return FALSE;
  bool sw = b->swapped;
  out->interface_id = ncap_pcapng_get32(b->body, sw);
  out->timestamp = get_ts(b->body + 4, sw);
  out->caplen = ncap_pcapng_get32(b->body + 12, sw);
  out->origlen = ncap_pcapng_get32(b->body + 16, sw);
  if (out->caplen > b->body_len - 20) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                "pcapng: enhanced packet block captured length %u exceeds the "
                "block (%u bytes)", out->caplen, b->total_len);
    return FALSE;
  }
  out->data = b->body + 20;
  OptIter it;
  uint16_t code = 0, len = 0;
  const uint8_t *val;
  int rc;
  opt_iter_init(&it, b, 20 + (uint32_t)PAD4((gsize)out->caplen));
  while ((rc = opt_next(&it, &code, &val, &len)) > 0) {
    switch (code) {
    case NCAP_OPT_COMMENT: set_str(&out->comment, opt_strdup(val, len)); break;
    case NCAP_OPT_EPB_DROPCOUNT:
    case NCAP_OPT_EPB_PACKETID:
      if (len != 8) {
        ncap_epb_parsed_clear(out);
        return bad_opt_len(b, code, len, error);
      }
      if (code == NCAP_OPT_EPB_DROPCOUNT) {
        out->has_dropcount = true;
        out->dropcount = get64(val, sw);
      } else {
        out->has_packetid = true;
        out->packetid = get64(val, sw);
      }
      break;
    default: break;
    }
  }
  if (rc < 0) {
    ncap_epb_parsed_clear(out);
    return opt_overrun(b, code, error);
  }
  return TRUE;
}

gboolean
ncap_pcapng_parse_isb(const NcapPcapngBlock *b, NcapIsbParsed *out, GError **error)
{
  memset(out, 0, sizeof *out);
  if (wrong_type(b, NCAP_PCAPNG_BT_ISB, error) || short_block(b, 12, error))
    return FALSE;
  bool sw = b->swapped;
  out->interface_id = ncap_pcapng_get32(b->body, sw);
  out->timestamp = get_ts(b->body + 4, sw);
  OptIter it;
  uint16_t code = 0, len = 0;
  const uint8_t *val;
  int rc;
  opt_iter_init(&it, b, 12);
  while ((rc = opt_next(&it, &code, &val, &len)) > 0) {
    uint64_t *dst = NULL;
    unsigned bit = 0;
    bool is_ts = false;
    switch (code) {
    case NCAP_OPT_ISB_STARTTIME:
      dst = &out->starttime, bit = NCAP_ISB_HAS_STARTTIME, is_ts = true;
      break;
    case NCAP_OPT_ISB_ENDTIME:
      dst = &out->endtime, bit = NCAP_ISB_HAS_ENDTIME, is_ts = true;
      break;
    case NCAP_OPT_ISB_IFRECV: dst = &out->ifrecv, bit = NCAP_ISB_HAS_IFRECV; break;
    case NCAP_OPT_ISB_IFDROP: dst = &out->ifdrop, bit = NCAP_ISB_HAS_IFDROP; break;
    case NCAP_OPT_ISB_OSDROP: dst = &out->osdrop, bit = NCAP_ISB_HAS_OSDROP; break;
    case NCAP_OPT_ISB_USRDELIV: dst = &out->usrdeliv, bit = NCAP_ISB_HAS_USRDELIV; break;
    default: break;
    }
    if (!dst)
      continue;
    if (len != 8)
      return bad_opt_len(b, code, len, error);
    *dst = is_ts ? get_ts(val, sw) : get64(val, sw);
    out->present |= bit;
  }
  if (rc < 0)
    return opt_overrun(b, code, error);
  return TRUE;
}
