/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nodecap post-dissector: for every packet of a nodecap capture, the node
 * and interface that saw it, its derived sequence number and the gap before
 * it; across nodes (the same identity hash, docs/design.md "The stream format"),
 * where else it was seen, the delay since its first sighting, its path, and
 * whether it vanished before a node it should have crossed.
 *
 * Correlation needs the whole file, so the first pass (!fd->visited) only
 * indexes, in O(1) per packet, and later passes (tshark -2, the GUI's
 * redissection) read the index. Storage is a few flat arrays: one
 * NcapSighting per indexed frame, chained per identity hash. */
#include <string.h>

#include <glib.h>
#include <epan/packet.h>
#include <epan/epan.h>
#include <epan/expert.h>
#include <epan/prefs.h>
#include <epan/address.h>
#include <wiretap/wtap.h>
#include <wiretap/pcap-encap.h>

#include "ncap-format.h"
#include "packet-id.h"
#include "packet-nodecap.h"
#include "ncap-ws-compat.h"

/* More sightings than this of one identity hash are not one packet crossing
 * a few nodes but repeated identical frames (STP, a replayed datagram):
 * correlating them would be quadratic and meaningless. */
#define NCAP_MAX_SIGHTINGS 64
/* Nodes that can take part in the flow-based "unmatched" rule (bit masks). */
#define NCAP_MAX_FLOW_NODES 64

typedef struct {
  gboolean is_nodecap;
  char *node;              /* part of if_name before the last ':' */
  char *iface;             /* after it */
  char *session;           /* if_description "session=", NULL when absent */
  guint node_idx;
  guint64 first_seq;       /* sequence number of the first packet here
                           * (IDB description, older files), moved by each
                           * ring file's first packet (NCAP_SEQ_COMMENT) */
  guint64 sample;          /* 1 = every packet */
  gint64 clock_offset_ns;  /* node clock minus reference clock */
  unsigned linktype;       /* LINKTYPE_*, for computing identity hashes */
  guint64 count;           /* packets indexed on this interface so far */
  guint64 drops;           /* sum of their epb_dropcount */
  gint64 last_ts_ns;       /* latest raw time stamp indexed */
  gboolean has_ts;
} NcapIface;

enum {
  NCAP_S_HAS_GAP = 1 << 0,
  NCAP_S_ID_COMPUTED = 1 << 1,
};

typedef struct {
  guint64 id;
  guint64 flow;            /* 0: not IP, takes no part in "unmatched" */
  gint64 ts_ns;            /* raw (node clock) time stamp */
  guint64 seq;
  guint64 gap;
  guint32 frame;
  guint32 ifid;
  guint32 next;            /* index + 1 of the next sighting of this id */
  guint32 chain_len;       /* sightings of this id up to and including me */
  guint8 flags;
} NcapSighting;

static int proto_nodecap = -1;
static int hf_node = -1;
static int hf_iface = -1;
static int hf_session = -1;
static int hf_seq = -1;
static int hf_gap = -1;
static int hf_skipped = -1;
static int hf_id = -1;
static int hf_id_computed = -1;
static int hf_seen_count = -1;
static int hf_first_node = -1;
static int hf_delay = -1;
static int hf_path = -1;
static int hf_seen_at = -1;
static int hf_seen_frame = -1;
static int hf_unmatched = -1;
static gint ett_nodecap = -1;
static gint ett_seen_at = -1;
static expert_field ei_gap = EI_INIT;
static expert_field ei_skipped = EI_INIT;
static expert_field ei_unmatched = EI_INIT;
static expert_field ei_duplicates = EI_INIT;

/* Preferences. */
static const char *pref_node_order = "";
static guint pref_max_delay_ms = 1000;
static ncap_ws_bool_pref pref_clock_offset = TRUE;
static GHashTable *order_pos;   /* node name -> position + 1 in node_order */
static guint order_len;

/* The index of the open file; reset by init/cleanup routines. */
static GPtrArray *ifaces;       /* NcapIface * by interface id, NULL = unseen */
static GPtrArray *nodes;        /* node names (owned by ifaces) by node_idx */
static GHashTable *node_idx;    /* node name -> node_idx + 1 */
static GArray *sightings;       /* NcapSighting */
static GArray *frame_map;       /* guint32 by frame number: sighting index + 1 */
static GHashTable *by_id;       /* identity hash -> newest sighting index + 1 */
static GHashTable *flow_nodes;  /* flow hash -> guint64 mask of nodes */
static GHashTable *skipped_at;  /* frame -> sequence numbers not in this capture
                                 * before it (a ring file left out); rare */

/* 64-bit keys stored in the pointer itself: the index holds one entry per
 * packet, and a separate allocation per key would double its memory. */
#if GLIB_SIZEOF_VOID_P >= 8
#define KEY(v) ((gpointer)(guintptr)(v))
#define VAL(p) ((guint64)(guintptr)(p))
static guint key_hash(gconstpointer k) { return (guint)(VAL(k) ^ (VAL(k) >> 32)); }
static gboolean key_equal(gconstpointer a, gconstpointer b) { return a == b; }
#else
#error "nodecap plugin needs 64-bit pointers"
#endif

static void
iface_free(gpointer p)
{
  NcapIface *i = p;

  if (i == NULL)
    return;
  g_free(i->node);
  g_free(i->iface);
  g_free(i->session);
  g_free(i);
}

static void
nodecap_init(void)
{
  ifaces = g_ptr_array_new_with_free_func(iface_free);
  nodes = g_ptr_array_new();
  node_idx = g_hash_table_new(g_str_hash, g_str_equal);
  sightings = g_array_new(FALSE, FALSE, sizeof(NcapSighting));
  frame_map = g_array_new(FALSE, TRUE, sizeof(guint32));
  by_id = g_hash_table_new(key_hash, key_equal);
  flow_nodes = g_hash_table_new(key_hash, key_equal);
  skipped_at = g_hash_table_new(key_hash, key_equal);
}

static void
nodecap_cleanup(void)
{
  g_clear_pointer(&skipped_at, g_hash_table_destroy);
  g_clear_pointer(&flow_nodes, g_hash_table_destroy);
  g_clear_pointer(&by_id, g_hash_table_destroy);
  g_clear_pointer(&frame_map, g_array_unref);
  g_clear_pointer(&sightings, g_array_unref);
  g_clear_pointer(&node_idx, g_hash_table_destroy);
  g_clear_pointer(&nodes, g_ptr_array_unref);
  g_clear_pointer(&ifaces, g_ptr_array_unref);
}

static void
nodecap_prefs_apply(void)
{
  g_clear_pointer(&order_pos, g_hash_table_destroy);
  order_pos = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  order_len = 0;
  g_auto(GStrv) names = g_strsplit_set(pref_node_order ? pref_node_order : "", ", ", -1);
  for (guint i = 0; names[i] != NULL; i++) {
    if (names[i][0] == '\0' || g_hash_table_contains(order_pos, names[i]))
      continue;
    order_len++;
    g_hash_table_insert(order_pos, g_strdup(names[i]), GUINT_TO_POINTER(order_len));
  }
}

/* if_description is "nodecap key=value ...": unknown words are skipped, so
 * newer helpers can add items. */
static void
parse_description(NcapIface *i, const char *descr)
{
  if (descr == NULL)
    return;
  g_auto(GStrv) words = g_strsplit_set(descr, " \t", -1);
  gboolean corrected = FALSE;
  for (guint w = 0; words[w] != NULL; w++) {
    char *eq = strchr(words[w], '=');
    if (eq == NULL)
      continue;
    *eq = '\0';
    const char *key = words[w], *val = eq + 1;
    if (strcmp(key, "session") == 0 && val[0] != '\0') {
      g_free(i->session);
      i->session = g_strdup(val);
    } else if (strcmp(key, "first_seq") == 0) {
      i->first_seq = g_ascii_strtoull(val, NULL, 10);
    } else if (strcmp(key, "sample") == 0) {
      guint64 s = g_ascii_strtoull(val, NULL, 10);
      i->sample = s ? s : 1;
    } else if (strcmp(key, "clock_offset_ns") == 0) {
      i->clock_offset_ns = g_ascii_strtoll(val, NULL, 10);
    } else if (strcmp(key, "clock_corrected") == 0) {
      corrected = strcmp(val, "1") == 0;
    }
  }
  /* The merge already took the offset off these times (--clock-correct):
   * subtracting it again would move them by as much the other way. */
  if (corrected)
    i->clock_offset_ns = 0;
}

/* The LINKTYPE_* value for a WTAP_ENCAP_*: wiretap's own mapping is not
 * exported, its inverse is; only link types the identity hash parses
 * matter, the rest hash raw bytes whatever the number. */
static unsigned
linktype_of(int encap)
{
  static const unsigned known[] = { 1, 101, 113, 276, 0, 108, 12, 14, 228, 229 };

  for (guint k = 0; k < G_N_ELEMENTS(known); k++)
    if (wtap_pcap_encap_to_wtap_encap((int)known[k]) == encap)
      return known[k];
  return 0xFFFFu;
}

static NcapIface *
iface_get(packet_info *pinfo, guint32 ifid)
{
  if (ifid < ifaces->len && g_ptr_array_index(ifaces, ifid) != NULL)
    return g_ptr_array_index(ifaces, ifid);

  NcapIface *i = g_new0(NcapIface, 1);
  i->sample = 1;
  i->linktype = linktype_of(pinfo->rec->rec_header.packet_header.pkt_encap);
  const char *name = ncap_ws_interface_name(pinfo, ifid);
  const char *descr = ncap_ws_interface_description(pinfo, ifid);
  const char *colon = name ? strrchr(name, ':') : NULL;
  /* Wireshark falls back to the description when if_name is absent. */
  if (colon != NULL && colon != name && colon[1] != '\0' &&
      !(descr != NULL && strcmp(name, descr) == 0)) {
    i->is_nodecap = TRUE;
    i->node = g_strndup(name, (gsize)(colon - name));
    i->iface = g_strdup(colon + 1);
    parse_description(i, descr);
    gpointer n = g_hash_table_lookup(node_idx, i->node);
    if (n == NULL) {
      g_ptr_array_add(nodes, i->node);
      n = GUINT_TO_POINTER(nodes->len);
      g_hash_table_insert(node_idx, i->node, n);
    }
    i->node_idx = GPOINTER_TO_UINT(n) - 1;
  }
  if (ifid >= ifaces->len)
    g_ptr_array_set_size(ifaces, (gint)ifid + 1);
  g_ptr_array_index(ifaces, ifid) = i;
  return i;
}

static guint64
flow_hash(const packet_info *pinfo)
{
  if (pinfo->net_src.type != AT_IPv4 && pinfo->net_src.type != AT_IPv6)
    return 0;
  guint64 h = 1469598103934665603ull;
  h = add_address_to_hash64(h, &pinfo->net_src);
  h = add_address_to_hash64(h, &pinfo->net_dst);
  h = h * 1099511628211ull ^ pinfo->ptype;
  h = h * 1099511628211ull ^ pinfo->srcport;
  h = h * 1099511628211ull ^ pinfo->destport;
  return h ? h : 1;
}

/* The sequence number a ring file's first packet carries in its comment
 * (ncap-format.h): a line of a comment that starts with NCAP_SEQ_COMMENT. */
static gboolean
seq_anchor(wtap_block_t block, guint64 *seq)
{
  char *c;
  const gsize plen = strlen(NCAP_SEQ_COMMENT);

  for (guint n = 0; n < 16 && wtap_block_get_nth_string_option_value(
                                 block, OPT_COMMENT, n, &c) == WTAP_OPTTYPE_SUCCESS;
       n++) {
    for (const char *line = c; line != NULL; line = strchr(line, '\n')) {
      if (*line == '\n')
        line++;
      if (strncmp(line, NCAP_SEQ_COMMENT, plen) != 0 || !g_ascii_isdigit(line[plen]))
        continue;
      *seq = g_ascii_strtoull(line + plen, NULL, 10);
      return TRUE;
    }
  }
  return FALSE;
}

static const NcapSighting *
index_frame(tvbuff_t *tvb, packet_info *pinfo, NcapIface *i, guint32 ifid)
{
  NcapSighting s = { 0 };
  wtap_block_t block = pinfo->rec->block;
  guint64 v;

  if (block != NULL &&
      wtap_block_get_uint64_option_value(block, OPT_PKT_DROPCOUNT, &v) == WTAP_OPTTYPE_SUCCESS) {
    s.gap = v;
    s.flags |= NCAP_S_HAS_GAP;
  }
  if (block != NULL &&
      wtap_block_get_uint64_option_value(block, OPT_PKT_PACKETID, &v) == WTAP_OPTTYPE_SUCCESS && v != 0) {
    s.id = v;
  } else {
    guint len = tvb_captured_length(tvb);
    s.id = ncap_packet_id(i->linktype, tvb_get_ptr(tvb, 0, len), len);
    s.flags |= NCAP_S_ID_COMPUTED;
  }
  i->drops += s.gap;
  guint64 anchor;
  if (block != NULL && seq_anchor(block, &anchor)) {
    /* A ring file starts here: its number wins over the count so far. A
     * jump forward means packets of this interface that are not in this
     * capture (a ring file left out of the merge, or overwritten). */
    guint64 expect = i->first_seq + i->count + i->drops;
    if (i->count > 0 && anchor > expect)
      g_hash_table_insert(skipped_at, KEY(pinfo->num), KEY(anchor - expect));
    i->first_seq = anchor - i->count - i->drops;
  }
  s.seq = i->first_seq + i->count + i->drops;
  i->count++;
  s.ts_ns = (gint64)pinfo->abs_ts.secs * 1000000000 + pinfo->abs_ts.nsecs;
  if (!i->has_ts || s.ts_ns > i->last_ts_ns)
    i->last_ts_ns = s.ts_ns;
  i->has_ts = TRUE;
  s.frame = pinfo->num;
  s.ifid = ifid;
  s.flow = flow_hash(pinfo);

  guint32 idx = sightings->len;
  guint32 head = GPOINTER_TO_UINT(g_hash_table_lookup(by_id, KEY(s.id)));
  s.next = head;
  s.chain_len = head ? g_array_index(sightings, NcapSighting, head - 1).chain_len + 1 : 1;
  g_array_append_val(sightings, s);
  g_hash_table_insert(by_id, KEY(s.id), GUINT_TO_POINTER(idx + 1));

  if (s.flow != 0 && i->node_idx < NCAP_MAX_FLOW_NODES) {
    guint64 mask = VAL(g_hash_table_lookup(flow_nodes, KEY(s.flow)));
    g_hash_table_insert(flow_nodes, KEY(s.flow), KEY(mask | (G_GUINT64_CONSTANT(1) << i->node_idx)));
  }

  if (pinfo->num >= frame_map->len)
    g_array_set_size(frame_map, pinfo->num + 1);
  g_array_index(frame_map, guint32, pinfo->num) = idx + 1;
  return &g_array_index(sightings, NcapSighting, idx);
}

static const NcapSighting *
lookup_frame(guint32 num)
{
  if (num >= frame_map->len)
    return NULL;
  guint32 idx = g_array_index(frame_map, guint32, num);
  return idx ? &g_array_index(sightings, NcapSighting, idx - 1) : NULL;
}

static NcapIface *
iface_of(const NcapSighting *s)
{
  return g_ptr_array_index(ifaces, s->ifid);
}

/* Time on the reference clock: the node's clock minus its offset. */
static gint64
corrected_ns(const NcapSighting *s)
{
  return pref_clock_offset ? s->ts_ns - iface_of(s)->clock_offset_ns : s->ts_ns;
}

static gint
sighting_cmp(gconstpointer a, gconstpointer b)
{
  const NcapSighting *x = *(NcapSighting *const *)a, *y = *(NcapSighting *const *)b;
  gint64 tx = corrected_ns(x), ty = corrected_ns(y);

  if (tx != ty)
    return tx < ty ? -1 : 1;
  return x->frame < y->frame ? -1 : x->frame > y->frame;
}

/* The end of the capture on the reference clock. */
static gint64
capture_end_ns(void)
{
  gint64 end = G_MININT64;

  for (guint k = 0; k < ifaces->len; k++) {
    NcapIface *i = g_ptr_array_index(ifaces, k);
    if (i == NULL || !i->has_ts)
      continue;
    gint64 t = pref_clock_offset ? i->last_ts_ns - i->clock_offset_ns : i->last_ts_ns;
    end = MAX(end, t);
  }
  return end;
}

static guint
order_pos_of(const NcapSighting *s)
{
  return order_pos ? GPOINTER_TO_UINT(g_hash_table_lookup(order_pos, iface_of(s)->node)) : 0;
}

/* node_order rule: the packet moves along the listed path, forward when it
 * was first seen nearer the list's start, backward otherwise; walking from
 * where it entered, the first listed node that did not see it is where it
 * vanished, and the sighting just before that node carries the verdict.
 * Returns the missing node (transfer none) and sets *culprit. */
static const char *
unmatched_by_order(const NcapSighting **set, guint n, const NcapSighting **culprit)
{
  const NcapSighting **first_at = g_newa(const NcapSighting *, order_len);
  const NcapSighting **last_at = g_newa(const NcapSighting *, order_len);
  guint lo = G_MAXUINT, hi = 0;

  memset(first_at, 0, sizeof(*first_at) * order_len);
  memset(last_at, 0, sizeof(*last_at) * order_len);
  for (guint k = 0; k < n; k++) {   /* set is sorted by time */
    guint p = order_pos_of(set[k]);
    if (p == 0)
      continue;
    p--;
    if (first_at[p] == NULL)
      first_at[p] = set[k];
    last_at[p] = set[k];
    lo = MIN(lo, p);
    hi = MAX(hi, p);
  }
  if (lo == G_MAXUINT || order_len < 2)
    return NULL;

  int dir;
  if (lo == hi)   /* seen at one listed node: only an end tells the direction */
    dir = lo == 0 ? 1 : lo == order_len - 1 ? -1 : 0;
  else
    dir = sighting_cmp(&first_at[lo], &first_at[hi]) <= 0 ? 1 : -1;
  if (dir == 0)
    return NULL;

  guint start = dir > 0 ? lo : hi;
  for (gint p = (gint)start + dir; p >= 0 && p < (gint)order_len; p += dir) {
    if (first_at[p] == NULL) {
      *culprit = last_at[p - dir];
      GHashTableIter it;
      gpointer key, val;
      g_hash_table_iter_init(&it, order_pos);
      while (g_hash_table_iter_next(&it, &key, &val))
        if (GPOINTER_TO_UINT(val) == (guint)p + 1)
          return key;
      return NULL;
    }
  }
  return NULL;
}

/* Flow rule (node_order empty): every node that saw some packet of this
 * packet's flow (addresses, ports, transport, one direction) should have
 * seen this one too; the latest sighting carries the verdict. */
static char *
unmatched_by_flow(const NcapSighting *self, const NcapSighting **set, guint n,
                  const NcapSighting **culprit, wmem_allocator_t *pool)
{
  if (self->flow == 0)
    return NULL;
  guint64 expected = VAL(g_hash_table_lookup(flow_nodes, KEY(self->flow)));
  guint64 seen = 0;
  for (guint k = 0; k < n; k++) {
    guint ni = iface_of(set[k])->node_idx;
    if (ni < NCAP_MAX_FLOW_NODES)
      seen |= G_GUINT64_CONSTANT(1) << ni;
  }
  guint64 missing = expected & ~seen;
  if (missing == 0)
    return NULL;
  *culprit = set[n - 1];
  wmem_strbuf_t *names = wmem_strbuf_new(pool, "");
  for (guint b = 0; b < NCAP_MAX_FLOW_NODES && b < nodes->len; b++) {
    if (missing & (G_GUINT64_CONSTANT(1) << b)) {
      if (wmem_strbuf_get_len(names) > 0)
        wmem_strbuf_append(names, ",");
      wmem_strbuf_append(names, g_ptr_array_index(nodes, b));
    }
  }
  return wmem_strbuf_finalize(names);
}

static void
add_correlation(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo,
                const NcapSighting *self)
{
  guint32 head = GPOINTER_TO_UINT(g_hash_table_lookup(by_id, KEY(self->id)));
  const NcapSighting *h = &g_array_index(sightings, NcapSighting, head - 1);
  proto_item *ti;

  if (h->chain_len > NCAP_MAX_SIGHTINGS) {
    ti = proto_tree_add_uint(tree, hf_seen_count, tvb, 0, 0, h->chain_len);
    proto_item_set_generated(ti);
    expert_add_info_format(pinfo, ti, &ei_duplicates,
                           "Identity hash seen %u times: repeated identical frames, not correlated",
                           h->chain_len);
    return;
  }

  /* Sightings more than max-delay apart are different packets that happen
   * to have the same bytes. */
  gint64 window = (gint64)pref_max_delay_ms * 1000000;
  gint64 me = corrected_ns(self);
  const NcapSighting **set = wmem_alloc(pinfo->pool, sizeof(*set) * h->chain_len);
  guint n = 0;
  for (guint32 k = head; k != 0; k = g_array_index(sightings, NcapSighting, k - 1).next) {
    const NcapSighting *s = &g_array_index(sightings, NcapSighting, k - 1);
    gint64 d = corrected_ns(s) - me;
    if (d <= window && d >= -window)
      set[n++] = s;
  }
  qsort(set, n, sizeof(*set), (int (*)(const void *, const void *))sighting_cmp);

  const NcapSighting *first = set[0];
  ti = proto_tree_add_uint(tree, hf_seen_count, tvb, 0, 0, n);
  proto_item_set_generated(ti);
  ti = proto_tree_add_string(tree, hf_first_node, tvb, 0, 0, iface_of(first)->node);
  proto_item_set_generated(ti);
  nstime_t delay;
  gint64 dns = me - corrected_ns(first);
  delay.secs = (time_t)(dns / 1000000000);
  delay.nsecs = (int)(dns % 1000000000);
  ti = proto_tree_add_time(tree, hf_delay, tvb, 0, 0, &delay);
  proto_item_set_generated(ti);

  wmem_strbuf_t *path = wmem_strbuf_new(pinfo->pool, "");
  const char *prev = NULL;
  for (guint k = 0; k < n; k++) {
    const char *node = iface_of(set[k])->node;
    if (prev != NULL && strcmp(prev, node) == 0)
      continue;   /* in and out of one node is one hop */
    if (prev != NULL)
      wmem_strbuf_append(path, " -> ");
    wmem_strbuf_append(path, node);
    prev = node;
  }
  ti = proto_tree_add_string(tree, hf_path, tvb, 0, 0, wmem_strbuf_get_str(path));
  proto_item_set_generated(ti);

  for (guint k = 0; k < n; k++) {
    const NcapSighting *s = set[k];
    if (s == self)
      continue;
    const NcapIface *si = iface_of(s);
    ti = proto_tree_add_string_format_value(
        tree, hf_seen_at, tvb, 0, 0,
        wmem_strdup_printf(pinfo->pool, "%s:%s frame %u", si->node, si->iface, s->frame),
        "%s:%s frame %u (%+.6f s)", si->node, si->iface, s->frame,
        (double)(corrected_ns(s) - me) / 1e9);
    proto_item_set_generated(ti);
    proto_tree *st = proto_item_add_subtree(ti, ett_seen_at);
    ti = proto_tree_add_uint(st, hf_seen_frame, tvb, 0, 0, s->frame);
    proto_item_set_generated(ti);
  }

  const NcapSighting *culprit = NULL;
  const char *missing = order_len > 0
      ? unmatched_by_order(set, n, &culprit)
      : unmatched_by_flow(self, set, n, &culprit, pinfo->pool);
  /* Near the end its next sighting may simply not be in the file yet. */
  if (missing != NULL && culprit == self && corrected_ns(self) <= capture_end_ns() - window) {
    ti = proto_tree_add_string(tree, hf_unmatched, tvb, 0, 0, missing);
    proto_item_set_generated(ti);
    expert_add_info_format(pinfo, ti, &ei_unmatched,
                           "Seen at %s but never at %s", iface_of(self)->node, missing);
  }
}

static int
dissect_nodecap(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
  if (pinfo->rec == NULL || pinfo->rec->rec_type != REC_TYPE_PACKET ||
      !(pinfo->rec->presence_flags & WTAP_HAS_INTERFACE_ID) || ifaces == NULL)
    return 0;
  guint32 ifid = pinfo->rec->rec_header.packet_header.interface_id;

  const NcapSighting *s = lookup_frame(pinfo->num);
  if (s == NULL) {
    if (pinfo->fd->visited)
      return 0;   /* not a nodecap interface */
    NcapIface *i = iface_get(pinfo, ifid);
    if (!i->is_nodecap)
      return 0;
    s = index_frame(tvb, pinfo, i, ifid);
  }
  const NcapIface *i = iface_of(s);

  proto_item *top = proto_tree_add_item(tree, proto_nodecap, tvb, 0, 0, ENC_NA);
  proto_item_append_text(top, ", %s:%s seq %" G_GUINT64_FORMAT, i->node, i->iface, s->seq);
  proto_tree *nt = proto_item_add_subtree(top, ett_nodecap);
  proto_item *ti;

  proto_tree_add_string(nt, hf_node, tvb, 0, 0, i->node);
  proto_tree_add_string(nt, hf_iface, tvb, 0, 0, i->iface);
  if (i->session != NULL)
    proto_tree_add_string(nt, hf_session, tvb, 0, 0, i->session);
  ti = proto_tree_add_uint64(nt, hf_seq, tvb, 0, 0, s->seq);
  proto_item_set_generated(ti);
  if (s->flags & NCAP_S_HAS_GAP) {
    ti = proto_tree_add_uint64(nt, hf_gap, tvb, 0, 0, s->gap);
    if (s->gap > 0)
      expert_add_info_format(pinfo, ti, &ei_gap,
                             "%" G_GUINT64_FORMAT " packet(s) lost on %s:%s before this one",
                             s->gap, i->node, i->iface);
  }
  guint64 skipped = VAL(g_hash_table_lookup(skipped_at, KEY(pinfo->num)));
  if (skipped > 0) {
    ti = proto_tree_add_uint64(nt, hf_skipped, tvb, 0, 0, skipped);
    proto_item_set_generated(ti);
    expert_add_info_format(pinfo, ti, &ei_skipped,
                           "%" G_GUINT64_FORMAT " packet(s) of %s:%s before this one are "
                           "not in this capture (a saved file of the ring left out)",
                           skipped, i->node, i->iface);
  }
  ti = proto_tree_add_uint64(nt, hf_id, tvb, 0, 0, s->id);
  if (s->flags & NCAP_S_ID_COMPUTED) {
    proto_item_set_generated(ti);
    ti = proto_tree_add_boolean(nt, hf_id_computed, tvb, 0, 0, TRUE);
    proto_item_set_generated(ti);
  }

  /* The index is complete only once the first pass is over. */
  if (pinfo->fd->visited)
    add_correlation(nt, tvb, pinfo, s);
  return tvb_captured_length(tvb);
}

void
ncap_proto_register_nodecap(void)
{
  static hf_register_info hf[] = {
    { &hf_node, { "Node", "nodecap.node", FT_STRING, BASE_NONE, NULL, 0x0,
        "Node that captured the packet (if_name before the last ':')", HFILL } },
    { &hf_iface, { "Interface", "nodecap.iface", FT_STRING, BASE_NONE, NULL, 0x0,
        "Interface on the node (if_name after the last ':')", HFILL } },
    { &hf_session, { "Session", "nodecap.session", FT_STRING, BASE_NONE, NULL, 0x0,
        "Capture session id from the interface description", HFILL } },
    { &hf_seq, { "Sequence", "nodecap.seq", FT_UINT64, BASE_DEC, NULL, 0x0,
        "Packet's number on its interface: where its file starts (first packet's "
        "comment, or first_seq) + position + earlier drops", HFILL } },
    { &hf_gap, { "Gap", "nodecap.gap", FT_UINT64, BASE_DEC, NULL, 0x0,
        "Packets lost on this interface just before this one (epb_dropcount)", HFILL } },
    { &hf_skipped, { "Not in this capture", "nodecap.not_here", FT_UINT64, BASE_DEC, NULL, 0x0,
        "Packets of this interface before this one that are in none of the merged "
        "files (a ring file left out): not a capture loss", HFILL } },
    { &hf_id, { "Identity", "nodecap.id", FT_UINT64, BASE_HEX, NULL, 0x0,
        "Identity hash: the same for the same packet at every node (epb_packetid)", HFILL } },
    { &hf_id_computed, { "Identity computed", "nodecap.id.computed", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
        "The file had no epb_packetid: the plugin computed the identity hash", HFILL } },
    { &hf_seen_count, { "Sightings", "nodecap.seen_count", FT_UINT32, BASE_DEC, NULL, 0x0,
        "Times this packet was captured in this file, this one included", HFILL } },
    { &hf_first_node, { "First seen at", "nodecap.first_node", FT_STRING, BASE_NONE, NULL, 0x0,
        "Node of the earliest sighting", HFILL } },
    { &hf_delay, { "Delay", "nodecap.delay", FT_RELATIVE_TIME, BASE_NONE, NULL, 0x0,
        "Time since the earliest sighting of this packet", HFILL } },
    { &hf_path, { "Path", "nodecap.path", FT_STRING, BASE_NONE, NULL, 0x0,
        "Nodes that saw this packet, in time order", HFILL } },
    { &hf_seen_at, { "Also seen at", "nodecap.seen_at", FT_STRING, BASE_NONE, NULL, 0x0,
        "Another sighting: node:iface frame N", HFILL } },
    { &hf_seen_frame, { "Frame", "nodecap.seen_frame", FT_FRAMENUM, BASE_NONE, NULL, 0x0,
        "Frame number of another sighting", HFILL } },
    { &hf_unmatched, { "Unmatched", "nodecap.unmatched", FT_STRING, BASE_NONE, NULL, 0x0,
        "Node(s) this packet should have crossed next but never appeared at", HFILL } },
  };
  static gint *ett[] = { &ett_nodecap, &ett_seen_at };
  static ei_register_info ei[] = {
    { &ei_gap, { "nodecap.gap.expert", PI_SEQUENCE, PI_NOTE,
        "Packets lost before this one", EXPFILL } },
    { &ei_skipped, { "nodecap.not_here.expert", PI_SEQUENCE, PI_NOTE,
        "Packets before this one are in a file not merged here", EXPFILL } },
    { &ei_unmatched, { "nodecap.unmatched.expert", PI_SEQUENCE, PI_WARN,
        "Packet never appeared at the next node", EXPFILL } },
    { &ei_duplicates, { "nodecap.duplicates.expert", PI_PROTOCOL, PI_CHAT,
        "Repeated identical frames", EXPFILL } },
  };

  proto_nodecap = proto_register_protocol("nodecap: where the packet was seen", "nodecap", "nodecap");
  proto_register_field_array(proto_nodecap, hf, G_N_ELEMENTS(hf));
  proto_register_subtree_array(ett, G_N_ELEMENTS(ett));
  expert_module_t *em = expert_register_protocol(proto_nodecap);
  expert_register_field_array(em, ei, G_N_ELEMENTS(ei));

  module_t *m = prefs_register_protocol(proto_nodecap, nodecap_prefs_apply);
  prefs_register_string_preference(m, "node_order", "Node order",
      "Comma-separated node names along the path (a,b,c): a packet seen at one "
      "should appear at the next. Empty: every node that saw a packet's flow should "
      "see the packet.", &pref_node_order);
  prefs_register_uint_preference(m, "max_delay_ms", "Maximum delay (ms)",
      "Longest time a packet takes between nodes: packets this close to the end "
      "of the capture are never flagged unmatched, and sightings further apart "
      "are different packets.", 10, &pref_max_delay_ms);
  prefs_register_bool_preference(m, "clock_offset", "Apply clock offsets",
      "Subtract each interface's clock_offset_ns (from its description) from its "
      "time stamps before comparing nodes.", &pref_clock_offset);

  register_init_routine(nodecap_init);
  register_cleanup_routine(nodecap_cleanup);
  nodecap_prefs_apply();
}

void
ncap_proto_reg_handoff_nodecap(void)
{
  dissector_handle_t h = create_dissector_handle(dissect_nodecap, proto_nodecap);
  register_postdissector(h);
}
