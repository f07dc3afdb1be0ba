/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What an operator sees while `nodecap capture` runs (docs/cli.md
 * "What capture prints"): a "capturing on NODE:IFACE ..." line once every
 * node is capturing, a live status line on a terminal (packets, bytes and
 * drops per node, redrawn about once a second with \r, never scrolling),
 * and tcpdump's closing summary per node. The numbers come from the
 * pcapng each node's helper sends: EPBs are counted as they pass, and the
 * helper's ISBs (periodic, and one at the end) give what its filter
 * received and what the kernel and its buffer dropped. The relay and the
 * multi-node loop feed it the bytes they read; it never touches the
 * stream itself. Used by one thread. */
#ifndef NCAP_REPORT_H
#define NCAP_REPORT_H

#include <glib.h>
#include <stdbool.h>
#include <stdio.h>

typedef enum {
  NCAP_REPORT_TTY,   /* capturing line, live status line, summary: out */
  NCAP_REPORT_QUIET, /* only the summary, on stderr */
  NCAP_REPORT_JSON,  /* only the summary as one JSON object, on out */
} NcapReportMode;

typedef struct NcapReport NcapReport;

/* out: where the TTY and JSON modes write (stdout, or stderr when the
 * pcapng goes to stdout); transfer none, must outlive the report. */
NcapReport *ncap_report_new(NcapReportMode mode, FILE *out); /* transfer full */
void ncap_report_free(NcapReport *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NcapReport, ncap_report_free)

/* Sources (nodes, or one interface of a node: ncap_multi_hosts_set_ifaces)
 * are numbered 0..n-1 in the order they are added; each is counted, shown
 * and summarised as source ("NODE" or "NODE:IFACE"); --json gives both
 * "node" and "source" (a node alone: both its name). */
void ncap_report_add_source(NcapReport *r, const char *node,
                            const char *source);
/* Bytes of node idx's pcapng stream, in order. */
void ncap_report_feed(NcapReport *r, guint idx, const guint8 *data, gsize len);
/* The node failed (text names the cause) or ended cleanly. */
void ncap_report_node_failed(NcapReport *r, guint idx, const char *text);
/* Redraw the status line when a second has passed; cheap otherwise. */
void ncap_report_tick(NcapReport *r);
/* End the status line and print the summary (once). */
void ncap_report_finish(NcapReport *r);

/* A table with a header row and columns as wide as their widest cell
 * (two spaces apart; the last column is not padded). header and each
 * row are NULL-terminated string vectors of the same length; rows is a
 * GPtrArray of them (transfer none). Nothing at all when rows is empty
 * and header_if_empty is false. */
void ncap_report_table(FILE *fp, const char *const *header, GPtrArray *rows,
                       bool header_if_empty);

/* Per-node counters, for tests and the summary. */
typedef struct {
  guint64 packets;  /* EPBs seen */
  guint64 bytes;    /* their original (wire) lengths */
  guint64 received; /* last ISBs: packets the node's filter received */
  guint64 dropped;  /* last ISBs: kernel + helper buffer drops */
  guint n_interfaces;
  bool failed;
} NcapReportCounts;
gboolean ncap_report_counts(const NcapReport *r, guint idx,
                            NcapReportCounts *out);

#endif
