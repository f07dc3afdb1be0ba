/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness for the multi-node merge (common/merge.c): the extcap
 * feeds it the pcapng streams of nodes it may not trust, split anywhere as
 * SSH delivers them. The input is a small program: byte 0 picks the number
 * of sources (1-4) and byte 1 the config (clock correction, a tiny window
 * in time and bytes); then each op is one byte (low 2 bits: source):
 *   op>>2 % 8 = 0..3  feed the next N bytes (N = next byte) to the source
 *               4     advance the clock by (next byte) * 10 ms
 *               5     drain
 *               6     end the source cleanly / 7: end it as failed
 * After the program every source is ended and everything flushed.
 *
 * Checked: the output is always one valid pcapng stream (the reader takes
 * all of it: one section, EPBs and ISBs refer to IDBs written before them;
 * every block goes through its parser);
 * feed errors are NCAP_ERROR_INVALID "node ...: pcapng: ..."; at the end
 * nothing is held, every EPB parsed from a source was written ("nothing is
 * dropped"), and the output holds exactly packets_out EPBs. */
#include "fuzz-common.h"

#include <string.h>

#include "merge.h"
#include "ncap-error.h"
#include "pcapng.h"

/* Reads out completely; returns the number of EPBs. */
static guint64
check_output(const GByteArray *out)
{
  g_autofree uint8_t *copy = g_memdup2(out->data, out->len);
  g_autoptr(NcapPcapngReader) r = ncap_pcapng_reader_new();
  gsize off = 0;
  guint64 epbs = 0;
  while (off < out->len) {
    NcapPcapngBlock b;
    gsize used = 0;
    g_autoptr(GError) error = NULL;
    NcapPcapngStatus st =
        ncap_pcapng_reader_next(r, copy + off, out->len - off, &b, &used, &error);
    if (st != NCAP_PCAPNG_BLOCK)
      fprintf(stderr, "merged output refused at %zu of %u: %s\n", off, out->len,
              error ? error->message : "needs more bytes");
    FUZZ_CHECK(st == NCAP_PCAPNG_BLOCK);
    /* The merge writes one section. */
    FUZZ_CHECK((off == 0) == (b.type == NCAP_PCAPNG_BT_SHB));
    FUZZ_CHECK(b.type == NCAP_PCAPNG_BT_SHB || b.type == NCAP_PCAPNG_BT_IDB ||
               b.type == NCAP_PCAPNG_BT_EPB || b.type == NCAP_PCAPNG_BT_ISB);
    if (b.type == NCAP_PCAPNG_BT_EPB) {
      NcapEpbParsed p;
      g_autoptr(GError) perr = NULL;
      /* Source options pass through unread, so a bad option value (an
       * 8-byte option of length 1) may reach the output: structurally
       * valid, which is what the reader checked; parsing must not crash. */
      if (!ncap_pcapng_parse_epb(&b, &p, &perr))
        FUZZ_CHECK(g_str_has_prefix(perr->message, "pcapng: "));
      ncap_epb_parsed_clear(&p);
      epbs++;
    } else if (b.type == NCAP_PCAPNG_BT_IDB) {
      NcapIdbParsed p;
      (void)ncap_pcapng_parse_idb(&b, &p, NULL);
      ncap_idb_parsed_clear(&p);
    } else if (b.type == NCAP_PCAPNG_BT_ISB) {
      NcapIsbParsed p;
      (void)ncap_pcapng_parse_isb(&b, &p, NULL);
    }
    off += used;
  }
  return epbs;
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
  if (len < 2)
    return 0;
  guint n = 1 + data[0] % 4;
  NcapMergeConfig cfg = {
    .apply_clock_offset = data[1] & 1,
    .window_us = (data[1] & 2) ? 1000 : 0,
    .window_bytes = (data[1] & 4) ? 256 : 0,
    .version = "fuzz",
  };
  g_autoptr(NcapMerge) m = ncap_merge_new(n, &cfg);
  if (data[1] & 8)
    for (guint s = 0; s < n; s++)
      ncap_merge_set_clock_offset(m, s, (gint64)(s + 1) * ((data[1] & 16) ? 1 : -1) *
                                            1000000000ll);
  if (data[1] & 32)
    ncap_merge_set_source_name(m, 0, "node-a");
  g_autoptr(GByteArray) out = g_byte_array_new();
  gint64 now = 1000000;
  gboolean *dead = g_new0(gboolean, n);
  size_t i = 2;
  while (i < len) {
    guint op = data[i++];
    guint src = (op & 3) % n;
    switch ((op >> 2) % 8) {
    case 0: case 1: case 2: case 3: {
      if (i >= len)
        break;
      size_t want = data[i++];
      size_t k = MIN(want, len - i);
      g_autoptr(GError) error = NULL;
      /* An exact-size copy: ASan sees reads past what was fed. */
      g_autofree uint8_t *chunk = g_memdup2(data + i, k);
      i += k;
      if (!ncap_merge_feed(m, src, chunk, k, now, &error)) {
        FUZZ_CHECK(error && error->domain == NCAP_ERROR &&
                   error->code == NCAP_ERROR_INVALID);
        FUZZ_CHECK(g_str_has_prefix(error->message, "node "));
        if (!dead[src])
          ncap_merge_source_end(m, src, error->message);
        dead[src] = TRUE;
      }
      break;
    }
    case 4:
      now += (i < len ? data[i++] : 1) * 10000;
      break;
    case 5:
      ncap_merge_drain(m, now, FALSE, out);
      break;
    case 6:
    case 7:
      ncap_merge_source_end(m, src, ((op >> 2) % 8) == 7 ? "link down" : NULL);
      dead[src] = TRUE;
      break;
    }
    gint64 dl = ncap_merge_deadline(m);
    FUZZ_CHECK(dl == G_MAXINT64 || dl >= 0);
  }
  for (guint s = 0; s < n; s++)
    ncap_merge_source_end(m, s, NULL);
  FUZZ_CHECK(ncap_merge_all_ended(m));
  ncap_merge_drain(m, now, TRUE, out);
  g_free(dead);

  NcapMergeStats total;
  NcapMergeSourceStats *per = g_new0(NcapMergeSourceStats, n);
  ncap_merge_stats(m, &total, per);
  guint64 in = 0;
  for (guint s = 0; s < n; s++) {
    in += per[s].packets_in;
    FUZZ_CHECK(per[s].ended);
    FUZZ_CHECK(per[s].queued == 0 && per[s].bytes_held == 0);
  }
  g_free(per);
  FUZZ_CHECK(total.bytes_held == 0);
  FUZZ_CHECK(total.packets_out == in);
  FUZZ_CHECK(check_output(out) == total.packets_out);
  return 0;
}
