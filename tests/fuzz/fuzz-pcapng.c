/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness for the pcapng reader (common/pcapng.c): the code that
 * reads streams from nodes the analyst may not trust, and salvages killed
 * jobs' files. The input is a byte stream; it is read
 *  1. at once: ncap_pcapng_reader_next() in a loop, every block through its
 *     parse_*() function, with the reader's promises checked;
 *  2. in chunks (sizes drawn from the input), as bytes arrive from an SSH
 *     channel: NEED_MORE must be said until a block is whole, and the
 *     blocks and the final verdict must be those of 1;
 *  3. by ncap_pcapng_valid_prefix(), which must cut exactly where 1 stopped;
 *  4. by the stream checker (common/pcapng-check.c) that every node's
 *     stream passes on the single-node relay and the merge: fed whole and
 *     in chunks it must give the same verdict; with the reader's limits it
 *     accepts at least the reader's valid prefix (it reads headers only);
 *     and its failure note after a valid prefix must leave a file the
 *     reader reads to the end.
 * Every buffer handed to the reader is an exact-size heap copy, so ASan
 * sees any read past what the reader was given. */
#include "fuzz-common.h"

#include <string.h>

#include "ncap-error.h"
#include "pcapng-check.h"
#include "pcapng.h"

typedef struct {
  uint32_t type, total_len;
} Seen;

/* Parses one block as its type says and checks what the reader promised. */
static void
parse_block(NcapPcapngReader *r, const NcapPcapngBlock *b)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = TRUE;
  switch (b->type) {
  case NCAP_PCAPNG_BT_SHB: {
    NcapShbParsed p;
    ok = ncap_pcapng_parse_shb(b, &p, &error);
    ncap_shb_parsed_clear(&p);
    /* The reader already walked the SHB's options: nothing left to refuse. */
    FUZZ_CHECK(ok);
    FUZZ_CHECK(ncap_pcapng_reader_n_interfaces(r) == 0);
    break;
  }
  case NCAP_PCAPNG_BT_IDB: {
    NcapIdbParsed p;
    guint n = ncap_pcapng_reader_n_interfaces(r);
    FUZZ_CHECK(n >= 1);
    ok = ncap_pcapng_parse_idb(b, &p, &error);
    if (ok) {
      FUZZ_CHECK(p.linktype == ncap_pcapng_reader_linktype(r, n - 1));
      FUZZ_CHECK(p.tsresol == ncap_pcapng_reader_tsresol(r, n - 1));
      if (p.name)
        (void)strlen(p.name);
      if (p.filter)
        (void)strlen(p.filter);
    }
    ncap_idb_parsed_clear(&p);
    break;
  }
  case NCAP_PCAPNG_BT_EPB: {
    NcapEpbParsed p;
    ok = ncap_pcapng_parse_epb(b, &p, &error);
    if (ok) {
      FUZZ_CHECK(p.interface_id < ncap_pcapng_reader_n_interfaces(r));
      FUZZ_CHECK(p.data >= b->body + 20);
      FUZZ_CHECK(p.data + p.caplen <= b->block + b->total_len - 4);
      /* Touch every packet byte: ASan checks they lie in the input. */
      unsigned sum = 0;
      for (uint32_t i = 0; i < p.caplen; i++)
        sum += p.data[i];
      (void)sum;
      if (p.comment)
        (void)strlen(p.comment);
    }
    ncap_epb_parsed_clear(&p);
    break;
  }
  case NCAP_PCAPNG_BT_ISB: {
    NcapIsbParsed p;
    ok = ncap_pcapng_parse_isb(b, &p, &error);
    if (ok)
      FUZZ_CHECK(p.interface_id < ncap_pcapng_reader_n_interfaces(r));
    break;
  }
  default:
    break;
  }
  if (!ok) {
    FUZZ_CHECK(error != NULL);
    FUZZ_CHECK(error->domain == NCAP_ERROR);
    FUZZ_CHECK(g_str_has_prefix(error->message, "pcapng: "));
  }
}

/* Checks one reader result against the input it was given. */
static void
check_result(NcapPcapngStatus st, const uint8_t *in, gsize len,
             const NcapPcapngBlock *b, gsize used, const GError *error)
{
  switch (st) {
  case NCAP_PCAPNG_BLOCK:
    FUZZ_CHECK(error == NULL);
    FUZZ_CHECK(used == b->total_len);
    FUZZ_CHECK(used >= 12 && used % 4 == 0 && used <= len);
    FUZZ_CHECK(used <= NCAP_PCAPNG_MAX_BLOCK);
    FUZZ_CHECK(b->block == in);
    FUZZ_CHECK(b->body == in + 8);
    FUZZ_CHECK(b->body_len == b->total_len - 12);
    break;
  case NCAP_PCAPNG_NEED_MORE:
    FUZZ_CHECK(error == NULL);
    FUZZ_CHECK(used == 0);
    break;
  case NCAP_PCAPNG_ERROR:
    FUZZ_CHECK(error != NULL);
    FUZZ_CHECK(error->domain == NCAP_ERROR);
    FUZZ_CHECK(g_str_has_prefix(error->message, "pcapng: "));
    FUZZ_CHECK(used == 0);
    break;
  default:
    FUZZ_CHECK(!"unknown status");
  }
}

/* Reads all of data at once; returns the final status and where it
 * stopped, and the blocks seen. */
static NcapPcapngStatus
read_whole(const uint8_t *data, gsize len, GArray *seen, gsize *stop)
{
  g_autoptr(NcapPcapngReader) r = ncap_pcapng_reader_new();
  gsize off = 0;
  for (;;) {
    NcapPcapngBlock b;
    gsize used = 99;
    g_autoptr(GError) error = NULL;
    NcapPcapngStatus st =
        ncap_pcapng_reader_next(r, data + off, len - off, &b, &used, &error);
    check_result(st, data + off, len - off, &b, used, error);
    if (st != NCAP_PCAPNG_BLOCK) {
      *stop = off;
      return st;
    }
    Seen s = { b.type, b.total_len };
    g_array_append_val(seen, s);
    parse_block(r, &b);
    off += used;
  }
}

/* Feeds data in chunks, as an SSH channel delivers it. Chunk sizes come
 * from a small generator seeded by the input, so a crash reproduces. */
static void
read_chunked(const uint8_t *data, gsize len, const GArray *whole,
             NcapPcapngStatus whole_st, gsize whole_stop)
{
  g_autoptr(NcapPcapngReader) r = ncap_pcapng_reader_new();
  g_autoptr(GByteArray) pending = g_byte_array_new();
  guint32 seed = 2166136261u;
  for (gsize i = 0; i < len && i < 64; i++)
    seed = (seed ^ data[i]) * 16777619u;
  gsize fed = 0, done = 0;
  guint nblocks = 0;
  NcapPcapngStatus st = NCAP_PCAPNG_NEED_MORE;
  while (fed < len || st == NCAP_PCAPNG_BLOCK) {
    if (st != NCAP_PCAPNG_BLOCK) {
      seed = seed * 1103515245u + 12345u;
      gsize chunk = 1 + (seed >> 16) % 97;  /* 1..97 bytes */
      if ((seed >> 8) % 8 == 0)
        chunk = len;  /* sometimes everything left */
      chunk = MIN(chunk, len - fed);
      g_byte_array_append(pending, data + fed, (guint)chunk);
      fed += chunk;
    }
    /* Exact-size copy of what is pending. */
    g_autofree uint8_t *buf = g_memdup2(pending->data, pending->len);
    NcapPcapngBlock b;
    gsize used = 99;
    g_autoptr(GError) error = NULL;
    st = ncap_pcapng_reader_next(r, buf, pending->len, &b, &used, &error);
    check_result(st, buf, pending->len, &b, used, error);
    if (st == NCAP_PCAPNG_ERROR) {
      /* Refused on partial data only if the whole read refused it too,
       * at the same place. */
      FUZZ_CHECK(whole_st == NCAP_PCAPNG_ERROR);
      FUZZ_CHECK(done == whole_stop);
      FUZZ_CHECK(nblocks == whole->len);
      return;
    }
    if (st == NCAP_PCAPNG_BLOCK) {
      FUZZ_CHECK(nblocks < whole->len);
      const Seen *s = &g_array_index(whole, Seen, nblocks);
      FUZZ_CHECK(s->type == b.type && s->total_len == b.total_len);
      parse_block(r, &b);
      nblocks++;
      done += used;
      g_byte_array_remove_range(pending, 0, (guint)used);
    }
  }
  /* Everything fed, nothing more to read: the whole read ended the same. */
  FUZZ_CHECK(nblocks == whole->len);
  FUZZ_CHECK(done == whole_stop);
  FUZZ_CHECK(whole_st == NCAP_PCAPNG_NEED_MORE);
}

/* 4: the stream checker, against itself (chunked) and the reader. */
static void
check_stream(const uint8_t *data, gsize len, gsize reader_stop)
{
  g_autofree uint8_t *copy = g_memdup2(data, len ? len : 1);
  NcapPcapngCheckLimits lim = {.max_block = NCAP_PCAPNG_MAX_BLOCK,
                               .max_idbs = G_MAXUINT32};
  g_autoptr(NcapPcapngCheck) whole = ncap_pcapng_check_new(&lim);
  g_autoptr(GError) werr = NULL;
  gboolean wok = ncap_pcapng_check_feed(whole, copy, len, &werr);
  guint64 wend = ncap_pcapng_check_valid_end(whole);
  FUZZ_CHECK(wok == (werr == NULL));
  FUZZ_CHECK(wend <= len && wend % 4 == 0);
  FUZZ_CHECK(wend >= reader_stop);
  if (!wok) {
    FUZZ_CHECK(werr->domain == NCAP_ERROR && werr->code == NCAP_ERROR_MALFORMED);
    FUZZ_CHECK(g_str_has_prefix(werr->message, "pcapng: "));
  } else {
    FUZZ_CHECK(ncap_pcapng_check_fed(whole) == len);
  }

  /* Chunks of 1..13 bytes, sizes from the input: same verdict and end. */
  g_autoptr(NcapPcapngCheck) bits = ncap_pcapng_check_new(&lim);
  g_autoptr(GError) berr = NULL;
  gboolean bok = TRUE;
  guint32 seed = (guint32)len * 2654435761u;
  for (gsize off = 0; bok && off < len;) {
    seed = seed * 1103515245u + 12345u;
    gsize n = MIN(1 + (seed >> 16) % 13, len - off);
    g_autofree uint8_t *chunk = g_memdup2(data + off, n);
    bok = ncap_pcapng_check_feed(bits, chunk, n, &berr);
    off += n;
  }
  FUZZ_CHECK(bok == wok);
  FUZZ_CHECK(ncap_pcapng_check_valid_end(bits) == wend);
  FUZZ_CHECK(ncap_pcapng_check_blocks(bits) == ncap_pcapng_check_blocks(whole));
  if (!wok)
    FUZZ_CHECK(strcmp(berr->message, werr->message) == 0);

  /* Where the reader agrees the prefix is whole and valid, the note after
   * it keeps the file valid to its end. */
  if (wend == reader_stop) {
    g_autoptr(GByteArray) file = g_byte_array_new();
    g_byte_array_append(file, data, (guint)wend);
    ncap_pcapng_check_put_failure(whole, file, "fuzz", "fuzz: refused");
    FUZZ_CHECK(ncap_pcapng_valid_prefix(file->data, file->len) == file->len);
  }
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
  g_autoptr(GArray) seen = g_array_new(FALSE, FALSE, sizeof(Seen));
  gsize stop = 0;
  NcapPcapngStatus st = read_whole(data, len, seen, &stop);
  read_chunked(data, len, seen, st, stop);
  FUZZ_CHECK(ncap_pcapng_valid_prefix(data, len) == stop);
  check_stream(data, len, stop);
  return 0;
}
