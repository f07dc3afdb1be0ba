/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Multi-node merge (see merge.h). Each source has an input buffer (only
 * the tail of a block split across feeds is copied; whole blocks are
 * parsed straight from the caller's bytes), and a FIFO of blocks ready to
 * go out: one growing byte array plus a ring of small index entries, both
 * reused, so a packet costs a copy and no allocation. The merge step scans
 * the k sources once per packet: O(k), fine for the tens of nodes a live
 * capture has. */
#include "merge.h"

#include <stdarg.h>
#include <string.h>

#include "ncap-error.h"
#include "pcapng.h"
#include "port.h"

__extension__ typedef unsigned __int128 u128;
__extension__ typedef __int128 s128;

/* Compact a buffer once its consumed prefix is this large and at least
 * half of it: amortised O(1) per byte, and no memmove per block. */
#define COMPACT_MIN (64u * 1024u)

typedef struct {
  guint32 global_id;
  uint64_t ups;          /* if_tsresol units per second */
  int64_t offset_units;  /* subtracted from times; 0 when not applied */
  NcapIsbParsed last_isb; /* the node's latest counters (present 0: none) */
} Iface;

typedef struct {
  uint64_t off;          /* logical position in the source's queue bytes */
  guint32 len;
  bool is_epb;
  bool is_failure;       /* the failure record: its note goes out with it */
  uint64_t ts_ns;        /* ordering key */
  gint64 arrival_us;
} Item;

typedef struct {
  char *name;
  bool name_set;
  char *placeholder; /* NULL: "<name>:?" */
  NcapPcapngReader *reader;
  bool seen_shb;
  GByteArray *in;        /* unparsed input (a block split across feeds) */
  gsize in_off;
  GArray *ifaces;        /* Iface, current section, by local id */
  GArray *all_ifaces;    /* Iface, every section: for the failure record */
  /* Queue: bytes of logical positions [base, base + q->len) are in q. */
  GByteArray *q;
  uint64_t base;
  Item *items;           /* ring */
  guint icap, ihead, icount;
  gsize held;
  uint64_t watermark_ns;
  bool has_watermark;
  gint64 last_arrival_us;
  bool has_clock_offset;
  gint64 clock_offset_ns;
  bool has_clock_measurement;  /* measured and rtt known (recorded too) */
  gint64 clock_measured_ns, clock_rtt_ns;
  bool ended, failed, broken;
  char *note;            /* "node X failed: ..." until its record goes out */
  guint64 packets_in, packets_out, isbs, dropped_blocks, out_of_order;
  guint64 out_of_order_reported; /* in a closing ISB already */
} Source;

/* The head's time is kept beside the source so sifting touches one
 * array, not every source's ring. */
typedef struct {
  uint64_t ts_ns;
  guint idx;
} HeapEntry;

struct NcapMerge {
  guint n;
  Source *src;
  gint64 window_us;
  gsize window_bytes;
  bool apply_clock_offset;
  GByteArray *hdr;       /* SHB and IDBs not yet drained: always go first */
  GPtrArray *notes;      /* failure notes for the next packet written */
  HeapEntry *heap;       /* drain's min-heap of sources by head time */
  guint n_global_ifaces;
  uint64_t last_out_ns;
  bool has_out;
  gsize bytes_held, peak_bytes_held;
  guint64 packets_out, out_of_order, released_by_window, released_by_bytes;
};

/* ---- time units -------------------------------------------------------- */

static bool
units_per_sec(uint8_t tsresol, uint64_t *ups)
{
  unsigned e = tsresol & 0x7fu;
  if (tsresol & 0x80u) {
    if (e > 63)
      return false;
    *ups = (uint64_t)1 << e;
    return true;
  }
  if (e > 19)  /* 10^20 does not fit 64 bits */
    return false;
  uint64_t v = 1;
  while (e--)
    v *= 10;
  *ups = v;
  return true;
}

static uint64_t
clamp_u64(u128 v)
{
  return v > UINT64_MAX ? UINT64_MAX : (uint64_t)v;
}

static uint64_t
units_to_ns(uint64_t t, uint64_t ups)
{
  return clamp_u64((u128)t * 1000000000u / ups);
}

static uint64_t
ns_to_units(uint64_t ns, uint64_t ups)
{
  return clamp_u64((u128)ns * ups / 1000000000u);
}

static int64_t
offset_to_units(gint64 offset_ns, uint64_t ups)
{
  s128 v = (s128)offset_ns * (s128)ups / 1000000000;
  if (v > INT64_MAX)
    return INT64_MAX;
  if (v < INT64_MIN)
    return INT64_MIN;
  return (int64_t)v;
}

/* t - off, kept inside [0, UINT64_MAX]: a corrected time never wraps. */
static uint64_t
correct(uint64_t t, int64_t off)
{
  if (off >= 0)
    return t > (uint64_t)off ? t - (uint64_t)off : 0;
  uint64_t add = (uint64_t)(-(off + 1)) + 1;
  return UINT64_MAX - t < add ? UINT64_MAX : t + add;
}

static uint64_t
get_ts(const uint8_t *p, bool swapped)
{
  return ((uint64_t)ncap_pcapng_get32(p, swapped) << 32) |
         ncap_pcapng_get32(p + 4, swapped);
}

static void
set_ts(uint8_t *p, bool swapped, uint64_t ts)
{
  ncap_pcapng_set32(p, swapped, (uint32_t)(ts >> 32));
  ncap_pcapng_set32(p + 4, swapped, (uint32_t)ts);
}

/* ---- queue ------------------------------------------------------------- */

static Item *
queue_push(Source *s)
{
  if (s->icount == s->icap) {
    guint ncap = s->icap ? s->icap * 2 : 64;
    Item *n = g_new(Item, ncap);
    for (guint i = 0; i < s->icount; i++)
      n[i] = s->items[(s->ihead + i) % s->icap];
    g_free(s->items);
    s->items = n;
    s->icap = ncap;
    s->ihead = 0;
  }
  return &s->items[(s->ihead + s->icount++) % s->icap];
}

static Item *
queue_head(Source *s)
{
  return s->icount ? &s->items[s->ihead] : NULL;
}

static const uint8_t *
item_bytes(const Source *s, const Item *it)
{
  return s->q->data + (it->off - s->base);
}

/* Records the block just appended to s->q at logical position off. */
static void
queue_add(NcapMerge *m, Source *s, uint64_t off, bool is_epb, uint64_t ts_ns,
          gint64 arrival_us)
{
  guint32 len = (guint32)(s->base + s->q->len - off);
  Item *it = queue_push(s);
  *it = (Item){ off, len, is_epb, false, ts_ns, arrival_us };
  s->held += len;
  m->bytes_held += len;
  if (m->bytes_held > m->peak_bytes_held)
    m->peak_bytes_held = m->bytes_held;
}

static void
queue_pop(NcapMerge *m, Source *s)
{
  Item *it = &s->items[s->ihead];
  s->held -= it->len;
  m->bytes_held -= it->len;
  s->ihead = (s->ihead + 1) % s->icap;
  s->icount--;
  if (s->icount == 0) {
    s->base += s->q->len;
    g_byte_array_set_size(s->q, 0);
    return;
  }
  gsize consumed = (gsize)(s->items[s->ihead].off - s->base);
  if (consumed >= COMPACT_MIN && consumed >= s->q->len / 2) {
    g_byte_array_remove_range(s->q, 0, (guint)consumed);
    s->base += consumed;
  }
}

/* ---- blocks from a source ---------------------------------------------- */

static gboolean
source_fail(Source *s, GError **error, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static gboolean
source_fail(Source *s, GError **error, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID, "%s", msg);
  return FALSE;
}

static void
emit_idb(NcapMerge *m, Source *s, const NcapIdbInfo *info, uint64_t ups,
         int64_t offset_units, bool current_section)
{
  Iface f = { m->n_global_ifaces++, ups, offset_units, { 0 } };
  ncap_pcapng_put_idb(m->hdr, info);
  if (current_section)
    g_array_append_val(s->ifaces, f);
  g_array_append_val(s->all_ifaces, f);
}

static gboolean
handle_idb(NcapMerge *m, Source *s, const NcapPcapngBlock *b, GError **error)
{
  NcapIdbParsed p;
  if (!ncap_pcapng_parse_idb(b, &p, error))
    return FALSE;
  uint64_t ups;
  /* tsresol 0 (whole seconds) is refused too: our writer reads 0 as "the
   * default, microseconds", so it could not be re-emitted faithfully. */
  if (p.tsresol == 0 || !units_per_sec(p.tsresol, &ups)) {
    ncap_idb_parsed_clear(&p);
    return source_fail(s, error, "pcapng: interface description block has "
                       "unsupported if_tsresol 0x%02x", p.tsresol);
  }
  if (!s->name_set && p.name && strrchr(p.name, ':') && p.name[0] != ':') {
    g_free(s->name);
    s->name = g_strndup(p.name, (gsize)(strrchr(p.name, ':') - p.name));
    s->name_set = true;
  }
  g_autofree char *desc = NULL;
  if (s->has_clock_offset) {
    /* clock_corrected says whether the times in this file already had the
     * offset taken off, so nobody subtracts it twice. */
    g_autofree char *measured =
        s->has_clock_measurement
            ? g_strdup_printf(" clock_measured_ns=%" G_GINT64_FORMAT
                              " clock_rtt_ns=%" G_GINT64_FORMAT,
                              s->clock_measured_ns, s->clock_rtt_ns)
            : NULL;
    desc = g_strdup_printf("%s%sclock_offset_ns=%" G_GINT64_FORMAT "%s%s",
                           p.description ? p.description : "",
                           p.description ? " " : "", s->clock_offset_ns,
                           measured ? measured : "",
                           m->apply_clock_offset ? " clock_corrected=1" : "");
  }
  NcapIdbInfo info = {
    .linktype = p.linktype,
    .snaplen = p.snaplen,
    .name = p.name,
    .description = desc ? desc : p.description,
    .filter = p.filter,
    .tsresol = p.tsresol,
  };
  int64_t off = m->apply_clock_offset && s->has_clock_offset
                    ? offset_to_units(s->clock_offset_ns, ups)
                    : 0;
  emit_idb(m, s, &info, ups, off, true);
  ncap_idb_parsed_clear(&p);
  return TRUE;
}

static void
advance_watermark(Source *s, uint64_t ts_ns)
{
  if (!s->has_watermark || ts_ns > s->watermark_ns) {
    s->watermark_ns = ts_ns;
    s->has_watermark = true;
  }
}

static gboolean
handle_epb(NcapMerge *m, Source *s, const NcapPcapngBlock *b, gint64 now_us,
           GError **error)
{
  bool sw = b->swapped;
  uint32_t local = ncap_pcapng_get32(b->body, sw);
  /* The reader checked local against its own count, which ours mirrors. */
  const Iface *f = &g_array_index(s->ifaces, Iface, local);
  uint64_t ts = correct(get_ts(b->body + 4, sw), f->offset_units);
  uint64_t off = s->base + s->q->len;

  if (!sw) {
    /* The common case: our byte order. Copy and patch in place, keeping
     * every option the node wrote. */
    g_byte_array_append(s->q, b->block, b->total_len);
    uint8_t *dst = s->q->data + (off - s->base);
    ncap_pcapng_set32(dst + 8, false, f->global_id);
    if (f->offset_units)
      set_ts(dst + 12, false, ts);
  } else {
    /* A node of the other byte order: re-encode in ours. Options other
     * than comment, dropcount and packetid are not carried over. */
    NcapEpbParsed p;
    if (!ncap_pcapng_parse_epb(b, &p, error))
      return FALSE;
    NcapEpb e = {
      .interface_id = f->global_id,
      .timestamp = ts,
      .caplen = p.caplen,
      .origlen = p.origlen,
      .data = p.data,
      .has_packetid = p.has_packetid,
      .packetid = p.packetid,
      .has_dropcount = p.has_dropcount,
      .dropcount = p.dropcount,
      .comment = p.comment,
    };
    gsize len = ncap_pcapng_epb_len(&e);
    g_byte_array_set_size(s->q, s->q->len + (guint)len);
    ncap_pcapng_encode_epb(s->q->data + (off - s->base), &e);
    ncap_epb_parsed_clear(&p);
  }
  uint64_t ts_ns = units_to_ns(ts, f->ups);
  queue_add(m, s, off, true, ts_ns, now_us);
  advance_watermark(s, ts_ns);
  s->packets_in++;
  return TRUE;
}

/* The ISB's opt_comment, which ncap_pcapng_parse_isb() does not return. */
static char *
isb_comment(const NcapPcapngBlock *b)
{
  const uint8_t *p = b->body + 12, *end = b->body + b->body_len;
  while (end - p >= 4) {
    uint16_t code, len;
    memcpy(&code, p, 2);
    memcpy(&len, p + 2, 2);
    if (b->swapped) {
      code = GUINT16_SWAP_LE_BE(code);
      len = GUINT16_SWAP_LE_BE(len);
    }
    gsize padded = ((gsize)len + 3u) & ~(gsize)3u;
    if (code == 0 || (gsize)(end - p - 4) < padded)
      break;
    if (code == 1)
      return g_strndup((const char *)p + 4, len);
    p += 4 + padded;
  }
  return NULL;
}

static gboolean
handle_isb(NcapMerge *m, Source *s, const NcapPcapngBlock *b, gint64 now_us,
           GError **error)
{
  NcapIsbParsed p;
  if (!ncap_pcapng_parse_isb(b, &p, error))
    return FALSE;
  Iface *f = &g_array_index(s->ifaces, Iface, p.interface_id);
  f->last_isb = p;
  g_autofree char *comment = isb_comment(b);
  NcapIsb isb = {
    .interface_id = f->global_id,
    .timestamp = correct(p.timestamp, f->offset_units),
    .present = p.present,
    .starttime = correct(p.starttime, f->offset_units),
    .endtime = correct(p.endtime, f->offset_units),
    .ifrecv = p.ifrecv,
    .ifdrop = p.ifdrop,
    .osdrop = p.osdrop,
    .usrdeliv = p.usrdeliv,
    .comment = comment,
  };
  uint64_t off = s->base + s->q->len;
  ncap_pcapng_put_isb(s->q, &isb);
  uint64_t ts_ns = units_to_ns(isb.timestamp, f->ups);
  queue_add(m, s, off, false, ts_ns, now_us);
  advance_watermark(s, ts_ns);
  s->isbs++;
  return TRUE;
}

static gboolean
handle_block(NcapMerge *m, Source *s, const NcapPcapngBlock *b, gint64 now_us,
             GError **error)
{
  switch (b->type) {
  case NCAP_PCAPNG_BT_SHB:
    /* A new section from this node (the reader reset its interfaces):
     * its IDBs will get new global ids; the SHB itself is ours to write. */
    if (s->seen_shb)
      g_array_set_size(s->ifaces, 0);
    s->seen_shb = true;
    return TRUE;
  case NCAP_PCAPNG_BT_IDB:
    return handle_idb(m, s, b, error);
  case NCAP_PCAPNG_BT_EPB:
    return handle_epb(m, s, b, now_us, error);
  case NCAP_PCAPNG_BT_ISB:
    return handle_isb(m, s, b, now_us, error);
  default:
    s->dropped_blocks++;
    return TRUE;
  }
}

static Source *min_head(const NcapMerge *m);
static void report_out_of_order(NcapMerge *m, GByteArray *out);

/* ---- public ------------------------------------------------------------ */

NcapMerge *
ncap_merge_new(guint n_sources, const NcapMergeConfig *cfg)
{
  g_return_val_if_fail(n_sources >= 1 && n_sources <= NCAP_MERGE_MAX_SOURCES, NULL);
  NcapMergeConfig defaults = { 0 };
  if (!cfg)
    cfg = &defaults;
  NcapMerge *m = g_new0(NcapMerge, 1);
  m->n = n_sources;
  m->window_us = cfg->window_us > 0 ? cfg->window_us : NCAP_MERGE_DEFAULT_WINDOW_US;
  m->window_bytes = cfg->window_bytes ? cfg->window_bytes
                                      : NCAP_MERGE_DEFAULT_WINDOW_BYTES;
  m->apply_clock_offset = cfg->apply_clock_offset;
  m->hdr = g_byte_array_new();
  m->notes = g_ptr_array_new_with_free_func(g_free);
  m->src = g_new0(Source, n_sources);
  m->heap = g_new(HeapEntry, n_sources);
  for (guint i = 0; i < n_sources; i++) {
    Source *s = &m->src[i];
    s->name = g_strdup_printf("source %u", i);
    s->reader = ncap_pcapng_reader_new();
    s->in = g_byte_array_new();
    s->ifaces = g_array_new(FALSE, FALSE, sizeof(Iface));
    s->all_ifaces = g_array_new(FALSE, FALSE, sizeof(Iface));
    s->q = g_byte_array_new();
  }

  g_autofree char *os = ncap_port_os();
  g_autofree char *machine = ncap_port_machine();
  g_autofree char *appl = g_strdup_printf(
      "nodecap %s (merged from %u node%s)", cfg->version ? cfg->version : "0",
      n_sources, n_sources == 1 ? "" : "s");
  NcapShbInfo shb = {
    .hardware = machine,
    .os = os,
    .userappl = appl,
  };
  ncap_pcapng_put_shb(m->hdr, &shb);
  return m;  /* transfer full */
}

void
ncap_merge_free(NcapMerge *m)
{
  if (!m)
    return;
  for (guint i = 0; i < m->n; i++) {
    Source *s = &m->src[i];
    g_free(s->name);
    g_free(s->placeholder);
    g_free(s->note);
    ncap_pcapng_reader_free(s->reader);
    g_byte_array_unref(s->in);
    g_array_free(s->ifaces, TRUE);
    g_array_free(s->all_ifaces, TRUE);
    g_byte_array_unref(s->q);
    g_free(s->items);
  }
  g_free(m->src);
  g_free(m->heap);
  g_byte_array_unref(m->hdr);
  g_ptr_array_unref(m->notes);
  g_free(m);
}

void
ncap_merge_set_source_name(NcapMerge *m, guint src, const char *name)
{
  g_return_if_fail(src < m->n && name);
  g_free(m->src[src].name);
  m->src[src].name = g_strdup(name);
  m->src[src].name_set = true;
}

void
ncap_merge_set_source_placeholder(NcapMerge *m, guint src, const char *if_name)
{
  g_return_if_fail(src < m->n && if_name);
  g_free(m->src[src].placeholder);
  m->src[src].placeholder = g_strdup(if_name);
}

const char *
ncap_merge_source_name(const NcapMerge *m, guint src)
{
  g_return_val_if_fail(src < m->n, NULL);
  return m->src[src].name;  /* transfer none */
}

void
ncap_merge_set_clock_offset(NcapMerge *m, guint src, gint64 offset_ns)
{
  g_return_if_fail(src < m->n);
  m->src[src].has_clock_offset = true;
  m->src[src].clock_offset_ns = offset_ns;
  m->src[src].has_clock_measurement = false;
}

gint64
ncap_merge_clock_offset_applied(gint64 measured_ns, gint64 rtt_ns)
{
  /* The caller's midpoint is t0 + (t1 - t0) / 2, rounded down, so with
   * equal clocks measured_ns lies in [-(rtt / 2), rtt - rtt / 2]: the
   * bound is half the round trip rounded up. A negative round trip (a
   * clock stepped mid-sample) bounds nothing. */
  if (rtt_ns < 0)
    return measured_ns;
  gint64 bound = rtt_ns / 2 + rtt_ns % 2;
  if (measured_ns >= -bound && measured_ns <= bound)
    return 0;
  return measured_ns;
}

gint64
ncap_merge_set_clock_measurement(NcapMerge *m, guint src, gint64 measured_ns,
                                 gint64 rtt_ns)
{
  g_return_val_if_fail(src < m->n, 0);
  gint64 applied = ncap_merge_clock_offset_applied(measured_ns, rtt_ns);
  ncap_merge_set_clock_offset(m, src, applied);
  m->src[src].has_clock_measurement = true;
  m->src[src].clock_measured_ns = measured_ns;
  m->src[src].clock_rtt_ns = rtt_ns;
  return applied;
}

gboolean
ncap_merge_feed(NcapMerge *m, guint src, const uint8_t *data, gsize len,
                gint64 now_us, GError **error)
{
  g_return_val_if_fail(src < m->n, FALSE);
  Source *s = &m->src[src];
  if (s->ended || s->broken) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                "node %s: stream already %s", s->name,
                s->broken ? "failed" : "ended");
    return FALSE;
  }
  if (len == 0)
    return TRUE;
  s->last_arrival_us = now_us;

  /* Parse straight from the caller's bytes unless a block is pending. */
  bool direct = s->in->len == s->in_off;
  const uint8_t *p = data;
  gsize avail = len;
  if (!direct) {
    g_byte_array_append(s->in, data, (guint)len);
    p = s->in->data + s->in_off;
    avail = s->in->len - s->in_off;
  }

  gsize done = 0;
  g_autoptr(GError) local = NULL;
  for (;;) {
    NcapPcapngBlock b;
    gsize used = 0;
    NcapPcapngStatus st = ncap_pcapng_reader_next(s->reader, p + done, avail - done,
                                                  &b, &used, &local);
    if (st == NCAP_PCAPNG_NEED_MORE)
      break;
    if (st == NCAP_PCAPNG_ERROR || !handle_block(m, s, &b, now_us, &local)) {
      s->broken = true;
      g_byte_array_set_size(s->in, 0);
      s->in_off = 0;
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID, "node %s: %s", s->name,
                  local ? local->message : "pcapng: bad block");
      return FALSE;
    }
    done += used;
  }

  if (direct) {
    g_byte_array_set_size(s->in, 0);
    s->in_off = 0;
    if (done < len)
      g_byte_array_append(s->in, data + done, (guint)(len - done));
  } else {
    s->in_off += done;
    if (s->in_off == s->in->len) {
      g_byte_array_set_size(s->in, 0);
      s->in_off = 0;
    } else if (s->in_off >= COMPACT_MIN && s->in_off >= s->in->len / 2) {
      g_byte_array_remove_range(s->in, 0, (guint)s->in_off);
      s->in_off = 0;
    }
  }
  return TRUE;
}

void
ncap_merge_source_end(NcapMerge *m, guint src, const char *reason)
{
  g_return_if_fail(src < m->n);
  Source *s = &m->src[src];
  if (s->ended)
    return;
  s->ended = true;
  if (!reason && !s->broken && s->in->len > s->in_off)
    reason = "stream ended inside a block";
  g_byte_array_set_size(s->in, 0);
  s->in_off = 0;
  if (!reason)
    return;
  s->failed = true;

  if (s->all_ifaces->len == 0) {
    /* Nothing to hang the comment on: a placeholder interface, so the
     * record lands in the file and names the node. */
    g_autofree char *name = s->placeholder ? g_strdup(s->placeholder)
                                           : g_strdup_printf("%s:?", s->name);
    g_autofree char *desc = g_strdup_printf(
        "nodecap node %s failed before its capture started", s->name);
    NcapIdbInfo info = {
      .linktype = 1,
      .snaplen = 262144,
      .name = name,
      .description = desc,
      .tsresol = 9,
    };
    emit_idb(m, s, &info, 1000000000u, 0, false);
  }
  /* The record's time: where this node got to; else where the output got
   * to; else the oldest packet waiting; 0 only if there is nothing at all. */
  uint64_t ts_ns = 0;
  const Source *oldest = min_head(m);
  if (s->has_watermark)
    ts_ns = s->watermark_ns;
  else if (m->has_out)
    ts_ns = m->last_out_ns;
  else if (oldest)
    ts_ns = oldest->items[oldest->ihead].ts_ns;
  /* The caller may hand us our own feed error: name the node once. */
  g_autofree char *prefix = g_strdup_printf("node %s: ", s->name);
  if (g_str_has_prefix(reason, prefix))
    reason += strlen(prefix);
  g_autofree char *comment = g_strdup_printf("node %.255s failed: %.1000s", s->name,
                                             reason);
  /* Wireshark 4.0 shows no ISB comment anywhere; a packet comment it does
   * show (frame.comment, Expert Info): the first packet written after the
   * record carries it too. */
  s->note = g_strdup(comment);
  for (guint i = 0; i < s->all_ifaces->len; i++) {
    const Iface *f = &g_array_index(s->all_ifaces, Iface, i);
    NcapIsb isb = {
      .interface_id = f->global_id,
      .timestamp = ns_to_units(ts_ns, f->ups),
      .comment = comment,
    };
    uint64_t off = s->base + s->q->len;
    ncap_pcapng_put_isb(s->q, &isb);
    queue_add(m, s, off, false, ts_ns, s->last_arrival_us);
    if (i == 0)
      s->items[(s->ihead + s->icount - 1) % s->icap].is_failure = true;
  }
}

/* Head order: time, then source index, so ties are deterministic. */
static bool
head_before(const Source *a, const Source *b)
{
  uint64_t ta = a->items[a->ihead].ts_ns, tb = b->items[b->ihead].ts_ns;
  return ta < tb || (ta == tb && a < b);
}

/* The source whose head has the smallest time (ties: lowest index). */
static Source *
min_head(const NcapMerge *m)
{
  Source *best = NULL;
  for (guint i = 0; i < m->n; i++) {
    Source *s = &m->src[i];
    if (s->icount && (!best || head_before(s, best)))
      best = s;
  }
  return best;
}

static inline bool
entry_before(const HeapEntry *a, const HeapEntry *b)
{
  return a->ts_ns < b->ts_ns || (a->ts_ns == b->ts_ns && a->idx < b->idx);
}

static void
heap_down(HeapEntry *h, guint n, guint i)
{
  HeapEntry x = h[i];
  for (;;) {
    guint l = 2 * i + 1, r = l + 1, min = l;
    if (l >= n)
      break;
    if (r < n && entry_before(&h[r], &h[l]))
      min = r;
    if (!entry_before(&h[min], &x))
      break;
    h[i] = h[min];
    i = min;
  }
  h[i] = x;
}

/* Appends a (host byte order) EPB with one opt_comment per note added
 * before its end of options. */
static void
append_with_notes(GByteArray *out, const uint8_t *blk, guint32 len,
                  const GPtrArray *notes)
{
  uint32_t caplen = ncap_pcapng_get32(blk + 20, false);
  gsize cut = 28 + (((gsize)caplen + 3u) & ~(gsize)3u);
  gsize end = len - 4;
  /* Keep the node's options, up to (not including) opt_endofopt. */
  while (cut + 4 <= end) {
    uint16_t code, olen;
    memcpy(&code, blk + cut, 2);
    memcpy(&olen, blk + cut + 2, 2);
    gsize next = cut + 4 + (((gsize)olen + 3u) & ~(gsize)3u);
    if (code == 0 || next > end)
      break;
    cut = next;
  }
  guint start = out->len;
  g_byte_array_append(out, blk, (guint)cut);
  for (guint i = 0; i < notes->len; i++) {
    const char *note = g_ptr_array_index(notes, i);
    uint16_t code = 1, n = (uint16_t)strlen(note);
    static const uint8_t zero[4];
    g_byte_array_append(out, (const uint8_t *)&code, 2);
    g_byte_array_append(out, (const uint8_t *)&n, 2);
    g_byte_array_append(out, (const uint8_t *)note, n);
    g_byte_array_append(out, zero, (-n) & 3u);
  }
  static const uint8_t endofopt[4];
  g_byte_array_append(out, endofopt, 4);
  uint32_t total = out->len - start + 4;
  g_byte_array_append(out, (const uint8_t *)&total, 4);
  ncap_pcapng_set32(out->data + start + 4, false, total);
}

void
ncap_merge_add_note(NcapMerge *m, const char *text)
{
  /* An option holds at most 65535 bytes; notes are short sentences. */
  g_ptr_array_add(m->notes, g_strndup(text, 1000));
}

void
ncap_merge_drain(NcapMerge *m, gint64 now_us, gboolean flush_all, GByteArray *out)
{
  if (m->hdr->len) {
    g_byte_array_append(out, m->hdr->data, m->hdr->len);
    g_byte_array_set_size(m->hdr, 0);
  }
  /* Per drain, O(k): a heap of the sources with something queued, and the
   * frontier: the time up to which every live source with nothing queued
   * has vouched (its watermark). Watermarks do not move while draining,
   * and a source only joins the frontier when its queue runs dry, so
   * each packet then costs O(log k). */
  guint hn = 0;
  bool blocked = false;       /* a live empty source without a watermark */
  bool has_frontier = false;
  uint64_t frontier = 0;
  for (guint i = 0; i < m->n; i++) {
    Source *s = &m->src[i];
    if (s->icount) {
      m->heap[hn++] = (HeapEntry){ s->items[s->ihead].ts_ns, i };
    } else if (!s->ended && !s->broken) {
      if (!s->has_watermark)
        blocked = true;
      else if (!has_frontier || s->watermark_ns < frontier)
        frontier = s->watermark_ns;
      has_frontier = true;
    }
  }
  for (guint i = hn / 2; i-- > 0;)
    heap_down(m->heap, hn, i);

  while (hn) {
    Source *s = &m->src[m->heap[0].idx];
    const Item *it = queue_head(s);
    const char *why = "every node had passed its time";
    if (!flush_all && has_frontier && (blocked || it->ts_ns > frontier)) {
      if (now_us - it->arrival_us >= m->window_us) {
        m->released_by_window++;
        why = "released by the merge time window";
      } else if (m->bytes_held > m->window_bytes) {
        m->released_by_bytes++;
        why = "released by the merge byte window";
      } else {
        break;
      }
    } else if (flush_all) {
      why = "flushed at the end";
    }
    bool late = it->is_epb && m->has_out && it->ts_ns < m->last_out_ns;
    if (late) {
      /* Never silent: the packet itself says so (frame.comment). */
      g_ptr_array_add(m->notes, g_strdup_printf(
          "nodecap merge: written out of order, %" G_GUINT64_FORMAT
          " us older than a packet written before it (node %s; %s)",
          (m->last_out_ns - it->ts_ns) / 1000, s->name, why));
      s->out_of_order++;
    }
    if (it->is_epb && m->notes->len) {
      append_with_notes(out, item_bytes(s, it), it->len, m->notes);
      g_ptr_array_set_size(m->notes, 0);
    } else {
      g_byte_array_append(out, item_bytes(s, it), it->len);
    }
    if (it->is_failure && s->note)
      g_ptr_array_add(m->notes, g_steal_pointer(&s->note));
    if (it->is_epb) {
      s->packets_out++;
      m->packets_out++;
      if (late)
        m->out_of_order++;
      else
        m->last_out_ns = it->ts_ns;
      m->has_out = true;
    }
    queue_pop(m, s);
    if (s->icount) {
      m->heap[0].ts_ns = s->items[s->ihead].ts_ns;
    } else {
      m->heap[0] = m->heap[--hn];
      if (!s->ended && !s->broken) {
        /* Its watermark is at least the time just written: it may now
         * hold the others back from there on. */
        if (!has_frontier || s->watermark_ns < frontier)
          frontier = s->watermark_ns;
        has_frontier = true;
      }
    }
    heap_down(m->heap, hn, 0);
  }
  if (hn == 0 && (flush_all || ncap_merge_all_ended(m)))
    report_out_of_order(m, out);
}

/* Once everything is written (the end of the capture): for each node that
 * had packets written out of order, one more ISB per interface repeating
 * its latest counters, with a comment that counts them. Each such packet
 * also carries its own comment (frame.comment). */
static void
report_out_of_order(NcapMerge *m, GByteArray *out)
{
  for (guint i = 0; i < m->n; i++) {
    Source *s = &m->src[i];
    if (s->out_of_order == s->out_of_order_reported)
      continue;
    g_autofree char *comment = g_strdup_printf(
        "nodecap merge: %" G_GUINT64_FORMAT " packets of node %.255s written "
        "out of order (each says so in its comment)", s->out_of_order, s->name);
    for (guint k = 0; k < s->ifaces->len; k++) {
      const Iface *f = &g_array_index(s->ifaces, Iface, k);
      const NcapIsbParsed *p = &f->last_isb;
      NcapIsb isb = {
        .interface_id = f->global_id,
        .timestamp = ns_to_units(m->last_out_ns, f->ups),
        .present = p->present,
        .starttime = correct(p->starttime, f->offset_units),
        .endtime = correct(p->endtime, f->offset_units),
        .ifrecv = p->ifrecv,
        .ifdrop = p->ifdrop,
        .osdrop = p->osdrop,
        .usrdeliv = p->usrdeliv,
        .comment = comment,
      };
      ncap_pcapng_put_isb(out, &isb);
    }
    s->out_of_order_reported = s->out_of_order;
  }
}

gint64
ncap_merge_deadline(const NcapMerge *m)
{
  const Source *s = min_head(m);
  if (!s)
    return G_MAXINT64;
  return s->items[s->ihead].arrival_us + m->window_us;
}

gboolean
ncap_merge_all_ended(const NcapMerge *m)
{
  for (guint i = 0; i < m->n; i++)
    if (!m->src[i].ended)
      return FALSE;
  return TRUE;
}

void
ncap_merge_stats(const NcapMerge *m, NcapMergeStats *total,
                 NcapMergeSourceStats *per_source)
{
  if (total) {
    *total = (NcapMergeStats){
      .packets_out = m->packets_out,
      .out_of_order = m->out_of_order,
      .released_by_window = m->released_by_window,
      .released_by_bytes = m->released_by_bytes,
      .bytes_held = m->bytes_held,
      .peak_bytes_held = m->peak_bytes_held,
      .n_interfaces = m->n_global_ifaces,
    };
  }
  if (per_source) {
    for (guint i = 0; i < m->n; i++) {
      const Source *s = &m->src[i];
      per_source[i] = (NcapMergeSourceStats){
        .packets_in = s->packets_in,
        .packets_out = s->packets_out,
        .isbs = s->isbs,
        .dropped_blocks = s->dropped_blocks,
        .out_of_order = s->out_of_order,
        .bytes_held = s->held,
        .queued = s->icount,
        .n_interfaces = s->all_ifaces->len,
        .clock_offset_ns = s->clock_offset_ns,
        .ended = s->ended,
        .failed = s->failed,
      };
    }
  }
}
