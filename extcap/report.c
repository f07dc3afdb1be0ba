/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The capture's status line and summary: see report.h. */
#include "report.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "pcapng.h"

#define REPORT_TICK_US G_USEC_PER_SEC

typedef struct {
  guint64 recv, drop;
} IfStats;

typedef struct {
  char *name; /* the source: the node, or NODE:IFACE (several interfaces) */
  char *node;
  NcapPcapngReader *reader;
  GByteArray *pending; /* the start of a block not yet whole */
  bool broken;         /* the stream did not parse: stop counting */
  GPtrArray *ifaces;   /* char*: if_name of each IDB */
  GArray *ifstats;     /* IfStats per interface, from the latest ISB */
  guint64 packets, bytes;
  bool failed;
  char *failure;
} ReportNode;

struct NcapReport {
  NcapReportMode mode;
  FILE *out;
  GPtrArray *nodes;
  bool announced; /* "capturing on" printed */
  bool line_drawn;
  bool finished;
  gint64 last_draw;
};

static void
report_node_free(ReportNode *n)
{
  g_free(n->name);
  g_free(n->node);
  ncap_pcapng_reader_free(n->reader);
  g_byte_array_unref(n->pending);
  g_ptr_array_unref(n->ifaces);
  g_array_unref(n->ifstats);
  g_free(n->failure);
  g_free(n);
}

NcapReport *
ncap_report_new(NcapReportMode mode, FILE *out)
{
  NcapReport *r = g_new0(NcapReport, 1);
  r->mode = mode;
  r->out = out;
  r->nodes = g_ptr_array_new_with_free_func((GDestroyNotify)report_node_free);
  return r;
}

void
ncap_report_free(NcapReport *r)
{
  if (r == NULL)
    return;
  g_ptr_array_unref(r->nodes);
  g_free(r);
}

void
ncap_report_add_source(NcapReport *r, const char *node, const char *source)
{
  ReportNode *n = g_new0(ReportNode, 1);
  n->name = g_strdup(source);
  n->node = g_strdup(node);
  n->reader = ncap_pcapng_reader_new();
  n->pending = g_byte_array_new();
  n->ifaces = g_ptr_array_new_with_free_func(g_free);
  n->ifstats = g_array_new(FALSE, TRUE, sizeof(IfStats));
  g_ptr_array_add(r->nodes, n);
}

static void
clear_line(NcapReport *r)
{
  if (r->line_drawn) {
    fputs("\r\033[K", r->out);
    r->line_drawn = false;
  }
}

/* Every node that has not failed has sent its interfaces (and one has). */
static void
maybe_announce(NcapReport *r)
{
  guint live = 0;
  if (r->announced || r->mode != NCAP_REPORT_TTY)
    return;
  for (guint i = 0; i < r->nodes->len; i++) {
    ReportNode *n = g_ptr_array_index(r->nodes, i);
    if (n->failed)
      continue;
    if (n->ifaces->len == 0)
      return;
    live++;
  }
  if (live == 0)
    return;
  g_autoptr(GString) s = g_string_new("capturing on ");
  bool first = true;
  for (guint i = 0; i < r->nodes->len; i++) {
    ReportNode *n = g_ptr_array_index(r->nodes, i);
    for (guint k = 0; !n->failed && k < n->ifaces->len; k++) {
      g_string_append_printf(s, "%s%s", first ? "" : ", ",
                             (char *)g_ptr_array_index(n->ifaces, k));
      first = false;
    }
  }
  clear_line(r);
  fprintf(r->out, "%s (Ctrl-C to stop)\n", s->str);
  fflush(r->out);
  r->announced = true;
  r->last_draw = 0; /* the status line follows at once */
}

static void
on_block(ReportNode *n, const NcapPcapngBlock *b)
{
  switch (b->type) {
  case NCAP_PCAPNG_BT_IDB: {
    NcapIdbParsed idb = {0};
    if (ncap_pcapng_parse_idb(b, &idb, NULL)) {
      g_ptr_array_add(n->ifaces, g_strdup(idb.name ? idb.name : "?"));
      g_array_set_size(n->ifstats, n->ifaces->len);
    }
    ncap_idb_parsed_clear(&idb);
    break;
  }
  case NCAP_PCAPNG_BT_EPB:
    if (b->body_len >= 20) {
      NcapEpbParsed epb = {0};
      if (ncap_pcapng_parse_epb(b, &epb, NULL)) {
        n->packets++;
        n->bytes += epb.origlen;
      }
      ncap_epb_parsed_clear(&epb);
    }
    break;
  case NCAP_PCAPNG_BT_ISB: {
    NcapIsbParsed isb = {0};
    if (ncap_pcapng_parse_isb(b, &isb, NULL) &&
        isb.interface_id < n->ifstats->len) {
      IfStats *st = &g_array_index(n->ifstats, IfStats, isb.interface_id);
      st->recv = isb.ifrecv;
      st->drop = isb.ifdrop + isb.osdrop;
    }
    break;
  }
  default:
    break;
  }
}

/* Whole blocks at the start of data; returns the bytes they take. */
static gsize
scan(ReportNode *n, const guint8 *data, gsize len)
{
  gsize off = 0;
  while (!n->broken && off < len) {
    NcapPcapngBlock b;
    gsize used = 0;
    NcapPcapngStatus st = ncap_pcapng_reader_next(n->reader, data + off,
                                                  len - off, &b, &used, NULL);
    if (st == NCAP_PCAPNG_NEED_MORE)
      break;
    if (st == NCAP_PCAPNG_ERROR) {
      n->broken = true; /* the merge or the reader reports it */
      break;
    }
    on_block(n, &b);
    off += used;
  }
  return off;
}

void
ncap_report_feed(NcapReport *r, guint idx, const guint8 *data, gsize len)
{
  if (r == NULL || idx >= r->nodes->len)
    return;
  ReportNode *n = g_ptr_array_index(r->nodes, idx);
  guint before = n->ifaces->len;
  if (n->broken)
    return;
  if (n->pending->len == 0) {
    gsize used = scan(n, data, len);
    if (used < len)
      g_byte_array_append(n->pending, data + used, (guint)(len - used));
  } else {
    g_byte_array_append(n->pending, data, (guint)len);
    gsize used = scan(n, n->pending->data, n->pending->len);
    g_byte_array_remove_range(n->pending, 0, (guint)used);
  }
  if (n->broken)
    g_byte_array_set_size(n->pending, 0);
  if (n->ifaces->len != before)
    maybe_announce(r);
}

void
ncap_report_node_failed(NcapReport *r, guint idx, const char *text)
{
  if (r == NULL || idx >= r->nodes->len)
    return;
  ReportNode *n = g_ptr_array_index(r->nodes, idx);
  if (n->failed)
    return;
  n->failed = true;
  n->failure = g_strdup(text);
  /* The node's error line goes to stderr: start it on a clean line. */
  if (r->mode == NCAP_REPORT_TTY) {
    clear_line(r);
    fflush(r->out);
  }
  maybe_announce(r);
}

static void
node_totals(const ReportNode *n, guint64 *recv, guint64 *drop)
{
  *recv = *drop = 0;
  for (guint k = 0; k < n->ifstats->len; k++) {
    const IfStats *st = &g_array_index(n->ifstats, IfStats, k);
    *recv += st->recv;
    *drop += st->drop;
  }
}

static void
human_bytes(char *buf, gsize size, guint64 v)
{
  static const char *unit[] = {"B", "kB", "MB", "GB", "TB"};
  double d = (double)v;
  guint u = 0;
  while (d >= 1000 && u + 1 < G_N_ELEMENTS(unit)) {
    d /= 1000;
    u++;
  }
  if (u == 0)
    g_snprintf(buf, size, "%" G_GUINT64_FORMAT " B", v);
  else
    g_snprintf(buf, size, "%.1f %s", d, unit[u]);
}

void
ncap_report_tick(NcapReport *r)
{
  if (r == NULL || r->mode != NCAP_REPORT_TTY || !r->announced || r->finished)
    return;
  gint64 now = g_get_monotonic_time();
  if (r->last_draw != 0 && now - r->last_draw < REPORT_TICK_US)
    return;
  r->last_draw = now;
  g_autoptr(GString) s = g_string_new("\r\033[K");
  for (guint i = 0; i < r->nodes->len; i++) {
    ReportNode *n = g_ptr_array_index(r->nodes, i);
    guint64 recv, drop;
    char b[32];
    node_totals(n, &recv, &drop);
    human_bytes(b, sizeof b, n->bytes);
    g_string_append_printf(s, "%s%s: ", i ? "  |  " : "", n->name);
    if (n->failed)
      g_string_append(s, "failed");
    else
      g_string_append_printf(s,
                             "%" G_GUINT64_FORMAT " packets, %s, %"
                             G_GUINT64_FORMAT " dropped",
                             n->packets, b, drop);
  }
  fputs(s->str, r->out);
  fflush(r->out);
  r->line_drawn = true;
}

static void
print_json(NcapReport *r)
{
  g_autoptr(JsonBuilder) jb = json_builder_new();
  guint64 tp = 0, tb = 0, tr = 0, td = 0;
  json_builder_begin_object(jb);
  json_builder_set_member_name(jb, "nodes");
  json_builder_begin_array(jb);
  for (guint i = 0; i < r->nodes->len; i++) {
    ReportNode *n = g_ptr_array_index(r->nodes, i);
    guint64 recv, drop;
    node_totals(n, &recv, &drop);
    tp += n->packets;
    tb += n->bytes;
    tr += recv;
    td += drop;
    json_builder_begin_object(jb);
    json_builder_set_member_name(jb, "node");
    json_builder_add_string_value(jb, n->node);
    json_builder_set_member_name(jb, "source");
    json_builder_add_string_value(jb, n->name);
    json_builder_set_member_name(jb, "interfaces");
    json_builder_begin_array(jb);
    for (guint k = 0; k < n->ifaces->len; k++)
      json_builder_add_string_value(jb, g_ptr_array_index(n->ifaces, k));
    json_builder_end_array(jb);
    json_builder_set_member_name(jb, "packets_captured");
    json_builder_add_int_value(jb, (gint64)n->packets);
    json_builder_set_member_name(jb, "bytes_captured");
    json_builder_add_int_value(jb, (gint64)n->bytes);
    json_builder_set_member_name(jb, "received_by_filter");
    json_builder_add_int_value(jb, (gint64)recv);
    json_builder_set_member_name(jb, "dropped");
    json_builder_add_int_value(jb, (gint64)drop);
    json_builder_set_member_name(jb, "result");
    json_builder_add_string_value(jb, n->failed ? "failed" : "ok");
    if (n->failed) {
      json_builder_set_member_name(jb, "error");
      json_builder_add_string_value(jb, n->failure ? n->failure : "");
    }
    json_builder_end_object(jb);
  }
  json_builder_end_array(jb);
  json_builder_set_member_name(jb, "packets_captured");
  json_builder_add_int_value(jb, (gint64)tp);
  json_builder_set_member_name(jb, "bytes_captured");
  json_builder_add_int_value(jb, (gint64)tb);
  json_builder_set_member_name(jb, "received_by_filter");
  json_builder_add_int_value(jb, (gint64)tr);
  json_builder_set_member_name(jb, "dropped");
  json_builder_add_int_value(jb, (gint64)td);
  json_builder_end_object(jb);
  g_autoptr(JsonGenerator) gen = json_generator_new();
  g_autoptr(JsonNode) root = json_builder_get_root(jb);
  json_generator_set_root(gen, root);
  g_autofree char *text = json_generator_to_data(gen, NULL);
  fprintf(r->out, "%s\n", text);
}

void
ncap_report_finish(NcapReport *r)
{
  if (r == NULL || r->finished)
    return;
  r->finished = true;
  if (r->mode == NCAP_REPORT_JSON) {
    print_json(r);
    fflush(r->out);
    return;
  }
  FILE *fp = r->mode == NCAP_REPORT_TTY ? r->out : stderr;
  if (r->mode == NCAP_REPORT_TTY) {
    /* The last numbers stay on screen, then the summary below them. */
    r->last_draw = 0;
    if (r->announced) {
      ncap_report_tick(r);
      fputc('\n', r->out);
    }
    r->line_drawn = false;
  }
  /* tcpdump's three numbers, one line per node. */
  for (guint i = 0; i < r->nodes->len; i++) {
    ReportNode *n = g_ptr_array_index(r->nodes, i);
    guint64 recv, drop;
    if (n->failed && n->ifaces->len == 0)
      continue; /* its error line says it all */
    node_totals(n, &recv, &drop);
    fprintf(fp,
            "%s: %" G_GUINT64_FORMAT " packets captured, %" G_GUINT64_FORMAT
            " received by filter, %" G_GUINT64_FORMAT " dropped%s\n",
            n->name, n->packets, recv, drop, n->failed ? " (node failed)" : "");
  }
  fflush(fp);
}

gboolean
ncap_report_counts(const NcapReport *r, guint idx, NcapReportCounts *out)
{
  if (r == NULL || idx >= r->nodes->len)
    return FALSE;
  const ReportNode *n = g_ptr_array_index(r->nodes, idx);
  out->packets = n->packets;
  out->bytes = n->bytes;
  node_totals(n, &out->received, &out->dropped);
  out->n_interfaces = n->ifaces->len;
  out->failed = n->failed;
  return TRUE;
}

void
ncap_report_table(FILE *fp, const char *const *header, GPtrArray *rows,
                  bool header_if_empty)
{
  guint ncol = g_strv_length((char **)header);
  g_autofree gsize *width = g_new0(gsize, ncol ? ncol : 1);

  if (rows->len == 0 && !header_if_empty)
    return;
  for (guint c = 0; c < ncol; c++)
    width[c] = g_utf8_strlen(header[c], -1);
  for (guint r = 0; r < rows->len; r++) {
    char **row = g_ptr_array_index(rows, r);
    for (guint c = 0; c < ncol && row[c]; c++)
      width[c] = MAX(width[c], (gsize)g_utf8_strlen(row[c], -1));
  }
  for (guint r = 0; r <= rows->len; r++) {
    const char *const *row =
        r == 0 ? header : (const char *const *)g_ptr_array_index(rows, r - 1);
    g_autoptr(GString) line = g_string_new(NULL);
    for (guint c = 0; c < ncol; c++) {
      const char *cell = row[c] ? row[c] : "";
      g_string_append(line, cell);
      if (c + 1 < ncol) {
        for (gsize k = g_utf8_strlen(cell, -1); k < width[c] + 2; k++)
          g_string_append_c(line, ' ');
      }
    }
    while (line->len > 0 && line->str[line->len - 1] == ' ')
      g_string_truncate(line, line->len - 1);
    fprintf(fp, "%s\n", line->str);
  }
}
