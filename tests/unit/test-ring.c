/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for remote/ring.c: rotation before the packet that would
 * overflow, the size bound (ISB included), ring removal of the oldest,
 * names, first_seq and the comment that carries it on each file's first
 * packet, counts, refusal of oversize packets, planted names
 * (O_EXCL|O_NOFOLLOW), the disk reserve. Files are read back with the
 * project's pcapng reader and, when present, the real capinfos. */
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ncap-error.h"
#include "ncap-format.h"
#include "pcapng.h"
#include "ring.h"

#define JOB "0123456789abcdef0123456789abcdef"

typedef struct {
  guint headers, trailers;
  guint64 isb_recv;
} Cb;

static void
header_cb(GByteArray *out, void *user)
{
  Cb *cb = user;
  cb->headers++;
  NcapShbInfo shb = {.userappl = "test-ring"};
  NcapIdbInfo idb = {.linktype = 1, .snaplen = 65535, .name = "t:lo",
                     .description = "nodecap session=1 sample=1", .tsresol = 9};
  ncap_pcapng_put_header(out, &shb, &idb);
}

static void
trailer_cb(GByteArray *out, void *user)
{
  Cb *cb = user;
  cb->trailers++;
  NcapIsb isb = {.present = NCAP_ISB_HAS_IFRECV | NCAP_ISB_HAS_IFDROP |
                            NCAP_ISB_HAS_STARTTIME | NCAP_ISB_HAS_ENDTIME,
                 .timestamp = 2000000000ull * 1000000000ull, .ifrecv = cb->isb_recv};
  ncap_pcapng_put_isb(out, &isb);
}

/* An EPB of a 14+20+8+payload UDP-ish frame. */
static GByteArray *
make_epb(guint i, gsize caplen, guint64 drops)
{
  g_autofree guint8 *data = g_malloc0(caplen);
  for (gsize k = 0; k < caplen; k++)
    data[k] = (guint8)(i + k);
  NcapEpb e = {.timestamp = 1700000000ull * 1000000000ull + i, .caplen = (uint32_t)caplen,
               .origlen = (uint32_t)caplen, .data = data, .has_packetid = true,
               .packetid = i + 1, .has_dropcount = drops > 0, .dropcount = drops};
  GByteArray *b = g_byte_array_new();
  ncap_pcapng_put_epb(b, &e);
  return b;
}

typedef struct {
  char *dir;
  int dirfd;
  Cb cb;
} Fixture;

static void
fx_setup(Fixture *fx, gconstpointer data)
{
  fx->dir = g_dir_make_tmp("test-ring-XXXXXX", NULL);
  fx->dirfd = open(fx->dir, O_RDONLY | O_DIRECTORY);
  memset(&fx->cb, 0, sizeof fx->cb);
}

static void
fx_teardown(Fixture *fx, gconstpointer data)
{
  close(fx->dirfd);
  g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", fx->dir);
  g_assert_cmpint(system(cmd), ==, 0);
  g_free(fx->dir);
}

static NcapRingConfig
config(Fixture *fx, guint64 file_size, guint max_files)
{
  NcapRingConfig c = {.dirfd = fx->dirfd, .node = "tn", .job_id = JOB,
                      .file_size = file_size, .max_files = max_files, .reserve = 0,
                      .gid = (gid_t)-1, .header = header_cb, .trailer = trailer_cb,
                      .user = &fx->cb};
  return c;
}

/* Read a file back: every block whole, SHB first, ISB last; returns the
 * EPB count. */
static guint
check_file(const char *dir, const char *name, guint64 max_size, guint64 *first_pid,
           char **first_comment)
{
  g_autofree char *path = g_build_filename(dir, name, NULL);
  g_autofree char *data = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(path, &data, &len, NULL));
  g_assert_cmpuint(len, <=, max_size);
  g_assert_cmpuint(ncap_pcapng_valid_prefix((guint8 *)data, len), ==, len);
  g_autoptr(NcapPcapngReader) r = ncap_pcapng_reader_new();
  gsize off = 0;
  guint epbs = 0;
  uint32_t first = 0, last = 0;
  while (off < len) {
    NcapPcapngBlock b;
    gsize used;
    g_assert_cmpint(ncap_pcapng_reader_next(r, (guint8 *)data + off, len - off, &b, &used, NULL),
                    ==, NCAP_PCAPNG_BLOCK);
    if (off == 0)
      first = b.type;
    last = b.type;
    if (b.type == NCAP_PCAPNG_BT_EPB) {
      NcapEpbParsed e;
      g_assert_true(ncap_pcapng_parse_epb(&b, &e, NULL));
      if (epbs == 0 && first_pid)
        *first_pid = e.packetid;
      if (epbs == 0 && first_comment)
        *first_comment = g_strdup(e.comment);
      else if (epbs > 0)
        g_assert_null(e.comment); /* only the first packet carries one */
      epbs++;
      ncap_epb_parsed_clear(&e);
    }
    off += used;
  }
  g_assert_cmphex(first, ==, NCAP_PCAPNG_BT_SHB);
  g_assert_cmphex(last, ==, NCAP_PCAPNG_BT_ISB);
  g_autofree char *capinfos = g_find_program_in_path("capinfos");
  if (capinfos) {
    g_autofree char *out = NULL, *err = NULL;
    int status = 0;
    const char *argv[] = {"capinfos", "-c", path, NULL};
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                               &out, &err, &status, NULL));
    g_assert_cmpint(status, ==, 0);
    g_assert_cmpstr(err, ==, "");
    g_autofree char *want = g_strdup_printf("Number of packets:   %u", epbs);
    g_assert_nonnull(strstr(out, want));
  }
  return epbs;
}

static void
test_rotation(Fixture *fx, gconstpointer data)
{
  const guint64 file_size = 10000;
  NcapRingConfig c = config(fx, file_size, 3);
  g_autoptr(NcapRing) ring = ncap_ring_new(&c);
  g_autoptr(GError) error = NULL;
  g_assert_true(ncap_ring_start(ring, 0, &error));
  g_assert_no_error(error);
  const guint n = 500;
  guint64 drops_total = 0;
  for (guint i = 0; i < n; i++) {
    guint64 drops = (i % 50 == 49) ? 2 : 0; /* some gaps */
    drops_total += drops;
    g_autoptr(GByteArray) epb = make_epb(i, 100 + (i % 7) * 13, drops);
    bool kept = false;
    g_assert_true(ncap_ring_write(ring, epb->data, epb->len, &kept, &error));
    g_assert_no_error(error);
    g_assert_true(kept);
  }
  g_assert_true(ncap_ring_finish(ring, &error));
  g_assert_no_error(error);
  g_assert_true(ncap_ring_finish(ring, &error)); /* idempotent */

  NcapRingStats st;
  ncap_ring_stats(ring, &st);
  GPtrArray *files = ncap_ring_files(ring);
  g_assert_cmpuint(files->len, ==, 3);
  g_assert_cmpuint(st.discarded_files, >, 0);
  g_assert_cmpuint(fx->cb.headers, ==, files->len + st.discarded_files);
  g_assert_cmpuint(fx->cb.trailers, >=, fx->cb.headers);

  /* Exactly 3 files on disk: the oldest were removed. */
  g_autoptr(GDir) d = g_dir_open(fx->dir, 0, NULL);
  guint on_disk = 0;
  while (g_dir_read_name(d))
    on_disk++;
  g_assert_cmpuint(on_disk, ==, 3);

  guint64 in_files = 0;
  guint64 expect_seq = 0;
  for (guint i = 0; i < files->len; i++) {
    NcapRingFile *f = g_ptr_array_index(files, i);
    g_assert_true(f->closed);
    g_assert_nonnull(f->sha256);
    g_autofree char *re = g_strdup_printf("^tn_%s_[0-9]{8}T[0-9]{6}Z_[0-9]{5}\\.pcapng$", JOB);
    g_assert_true(g_regex_match_simple(re, f->name, 0, 0));
    guint64 first_pid = 0;
    g_autofree char *comment = NULL;
    guint epbs = check_file(fx->dir, f->name, file_size, &first_pid, &comment);
    g_assert_cmpuint(epbs, ==, f->packets);
    in_files += epbs;
    /* first_seq = packets before it + drops before it (incl. its own). */
    guint first_index = (guint)first_pid - 1;
    guint64 seq = first_index;
    for (guint k = 0; k <= first_index; k++)
      if (k % 50 == 49)
        seq += 2;
    g_assert_cmpuint(f->first_seq, ==, seq);
    /* ... and the file's first packet says so (the IDB is the same in
     * every file: ncap-format.h). The file number is in the name. */
    guint fileno = (guint)g_ascii_strtoull(f->name + strlen(f->name) - 12, NULL, 10);
    g_autofree char *want = g_strdup_printf(
        NCAP_SEQ_COMMENT "%" G_GUINT64_FORMAT ": first packet of file %u of job %s", seq,
        fileno, JOB);
    g_assert_cmpstr(comment, ==, want);
    if (i > 0)
      g_assert_cmpuint(f->first_seq, >, expect_seq);
    expect_seq = f->first_seq;
    /* The sha256 is of the bytes on disk. */
    g_autofree char *path = g_build_filename(fx->dir, f->name, NULL);
    g_autofree char *content = NULL;
    gsize len;
    g_assert_true(g_file_get_contents(path, &content, &len, NULL));
    g_autofree char *sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (guint8 *)content, len);
    g_assert_cmpstr(sum, ==, f->sha256);
    g_assert_cmpuint(len, ==, f->size);
    struct stat sst;
    g_assert_cmpint(stat(path, &sst), ==, 0);
    g_assert_cmpuint(sst.st_mode & 0777, ==, 0640);
    /* Rotation happened before overflow: the file is close to full. */
    if (i + 1 < files->len)
      g_assert_cmpuint(len, >, file_size - 300);
  }
  g_assert_cmpuint(st.packets, ==, n);
  g_assert_cmpuint(in_files + st.discarded_packets, ==, n);
  /* The newest data is kept: the last packet is in the last file. */
  g_assert_cmpuint(st.refused, ==, 0);
  (void)drops_total;
}

static void
test_oversize(Fixture *fx, gconstpointer data)
{
  NcapRingConfig c = config(fx, 2000, 2);
  g_autoptr(NcapRing) ring = ncap_ring_new(&c);
  g_autoptr(GError) error = NULL;
  g_assert_true(ncap_ring_start(ring, 0, &error));
  bool kept = true;
  g_autoptr(GByteArray) big = make_epb(0, 3000, 0);
  g_assert_true(ncap_ring_write(ring, big->data, big->len, &kept, &error));
  g_assert_false(kept);
  g_autoptr(GByteArray) small = make_epb(1, 100, 1);
  g_assert_true(ncap_ring_write(ring, small->data, small->len, &kept, &error));
  g_assert_true(kept);
  g_assert_true(ncap_ring_finish(ring, &error));
  NcapRingStats st;
  ncap_ring_stats(ring, &st);
  g_assert_cmpuint(st.refused, ==, 1);
  g_assert_cmpuint(st.packets, ==, 1);
  NcapRingFile *f = g_ptr_array_index(ncap_ring_files(ring), 0);
  g_assert_cmpuint(check_file(fx->dir, f->name, 2000, NULL, NULL), ==, 1);
}

static void
test_planted(Fixture *fx, gconstpointer data)
{
  /* Plant symlinks at the names the first file may get (this second and
   * the next): the ring must refuse, not follow or reuse them. */
  g_autofree char *victim = g_build_filename(fx->dir, "victim", NULL);
  g_assert_true(g_file_set_contents(victim, "keep", -1, NULL));
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  for (int k = 0; k < 3; k++) {
    g_autofree char *name = ncap_ring_file_name("tn", JOB, now + k, 1);
    g_autofree char *path = g_build_filename(fx->dir, name, NULL);
    g_assert_cmpint(symlink(victim, path), ==, 0);
  }
  NcapRingConfig c = config(fx, 100000, 2);
  g_autoptr(NcapRing) ring = ncap_ring_new(&c);
  g_autoptr(GError) error = NULL;
  g_assert_false(ncap_ring_start(ring, 0, &error));
  g_assert_error(error, NCAP_ERROR, NCAP_ERROR_IO);
  g_autofree char *content = NULL;
  g_assert_true(g_file_get_contents(victim, &content, NULL, NULL));
  g_assert_cmpstr(content, ==, "keep");
}

static void
test_reserve(Fixture *fx, gconstpointer data)
{
  NcapRingConfig c = config(fx, 1000000, 2);
  c.reserve = G_MAXUINT64 / 4; /* more than any disk has */
  g_autoptr(NcapRing) ring = ncap_ring_new(&c);
  g_autoptr(GError) error = NULL;
  g_assert_false(ncap_ring_start(ring, 0, &error));
  g_assert_error(error, NCAP_ERROR, NCAP_ERROR_DISK_FULL);
  g_assert_cmpstr(error->message, ==, "disk full");
  bool kept = true;
  g_autoptr(GByteArray) epb = make_epb(0, 100, 0);
  g_clear_error(&error);
  g_assert_true(ncap_ring_write(ring, epb->data, epb->len, &kept, &error));
  g_assert_false(kept);
  g_assert_true(ncap_ring_finish(ring, &error));
  g_assert_cmpuint(ncap_ring_files(ring)->len, ==, 0);
}

static void
test_names(void)
{
  g_autofree char *n = ncap_ring_file_name("node-1", JOB, 1700000000, 42);
  g_assert_cmpstr(n, ==, "node-1_" JOB "_20231114T221320Z_00042.pcapng");
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/ring/names", test_names);
  g_test_add("/ring/rotation", Fixture, NULL, fx_setup, test_rotation, fx_teardown);
  g_test_add("/ring/oversize", Fixture, NULL, fx_setup, test_oversize, fx_teardown);
  g_test_add("/ring/planted", Fixture, NULL, fx_setup, test_planted, fx_teardown);
  g_test_add("/ring/reserve", Fixture, NULL, fx_setup, test_reserve, fx_teardown);
  return g_test_run();
}
