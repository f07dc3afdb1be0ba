/* SPDX-License-Identifier: GPL-2.0-or-later */
/* extcap/jobs.c without a node: the job record the helper answers with,
 * and the local half of a fetch (sha256 of a file, the locked .part file,
 * "already here" and the verdict on a download). The download itself is
 * covered by tests/integration/test-cli-jobs.sh and test-fetch-interrupt.sh
 * against a real sshd. */
#include <glib.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobs.h"
#include "ncap-error.h"

static const char data[] = "0123456789 nodecap";

static char *
tmpdir(void)
{
  g_autoptr(GError) e = NULL;
  char *d = g_dir_make_tmp("test-jobs-XXXXXX", &e);
  g_assert_no_error(e);
  return d;
}

static void
rmdir_all(const char *dir)
{
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  const char *n;
  while (d && (n = g_dir_read_name(d)) != NULL) {
    g_autofree char *p = g_build_filename(dir, n, NULL);
    g_unlink(p);
  }
  g_rmdir(dir);
}

static NcapJobFile *
job_file(const char *name, const char *content)
{
  NcapJobFile *f = g_new0(NcapJobFile, 1);
  f->name = g_strdup(name);
  f->sha256 = g_compute_checksum_for_string(G_CHECKSUM_SHA256, content, -1);
  f->size = strlen(content);
  return f;
}

static JsonObject *
parse_object(const char *text)
{
  g_autoptr(GError) e = NULL;
  g_autoptr(JsonNode) root = ncap_jobs_parse_json("node", text, &e);
  g_assert_no_error(e);
  g_assert_true(JSON_NODE_HOLDS_OBJECT(root));
  return json_object_ref(json_node_get_object(root));
}

static void
test_sha256(void)
{
  g_autofree char *dir = tmpdir();
  g_autofree char *path = g_build_filename(dir, "a.pcapng", NULL);
  g_autofree char *want =
      g_compute_checksum_for_string(G_CHECKSUM_SHA256, data, -1);
  guint64 size = 1;
  g_assert_true(g_file_set_contents(path, data, -1, NULL));
  g_autofree char *got = ncap_jobs_file_sha256(path, &size);
  g_assert_cmpstr(got, ==, want);
  g_assert_cmpuint(size, ==, strlen(data));
  g_assert_true(ncap_jobs_sha256_valid(want));
  g_assert_false(ncap_jobs_sha256_valid(""));
  g_assert_false(ncap_jobs_sha256_valid(NULL));
  g_autofree char *notx = g_strnfill(64, 'g');
  g_assert_false(ncap_jobs_sha256_valid(notx));
  /* A missing file has no sum. */
  g_autofree char *none = g_build_filename(dir, "missing", NULL);
  g_assert_null(ncap_jobs_file_sha256(none, &size));
  g_assert_cmpuint(size, ==, 0);
  rmdir_all(dir);
}

static void
test_present(void)
{
  g_autofree char *dir = tmpdir();
  g_autofree char *path = g_build_filename(dir, "a.pcapng", NULL);
  NcapJobFile *f = job_file("a.pcapng", data);

  g_assert_false(ncap_jobs_file_present(path, f)); /* not here */
  g_assert_true(g_file_set_contents(path, data, -1, NULL));
  g_assert_true(ncap_jobs_file_present(path, f)); /* here and right */
  g_assert_true(g_file_set_contents(path, "0123456789 NODECAP", -1, NULL));
  g_assert_false(ncap_jobs_file_present(path, f)); /* same size, other bytes */
  g_assert_true(g_file_set_contents(path, "0123", -1, NULL));
  g_assert_false(ncap_jobs_file_present(path, f)); /* a partial copy */
  ncap_job_file_free(f);
  rmdir_all(dir);
}

static void
test_part(void)
{
  g_autofree char *dir = tmpdir();
  g_autofree char *part = ncap_jobs_part_path(dir, "a.pcapng");
  g_autofree char *want = g_build_filename(dir, ".a.pcapng.part", NULL);
  g_autoptr(GError) e = NULL;
  g_assert_cmpstr(part, ==, want); /* hidden: outside the *.pcapng glob */

  /* An earlier run's partial file is opened as it is (the fetch truncates
   * it), and locked against a second fetch of the same file. */
  g_assert_true(g_file_set_contents(part, "old", -1, NULL));
  int fd = ncap_jobs_part_lock(part, &e);
  g_assert_no_error(e);
  g_assert_cmpint(fd, >=, 0);
  struct stat st;
  g_assert_cmpint(fstat(fd, &st), ==, 0);
  g_assert_cmpint(st.st_size, ==, 3);
  int other = open(part, O_WRONLY);
  g_assert_cmpint(other, >=, 0);
  g_assert_cmpint(flock(other, LOCK_EX | LOCK_NB), !=, 0);
  close(fd);
  g_assert_cmpint(flock(other, LOCK_EX | LOCK_NB), ==, 0);
  close(other);

  /* A directory that is not there is an I/O error naming the file. */
  g_autofree char *gone = g_build_filename(dir, "no", ".x.part", NULL);
  g_assert_cmpint(ncap_jobs_part_lock(gone, &e), ==, -1);
  g_assert_error(e, NCAP_ERROR, NCAP_ERROR_IO);
  g_assert_nonnull(strstr(e->message, gone));
  rmdir_all(dir);
}

static void
test_verdict(void)
{
  NcapJobFile *f = job_file("a.pcapng", data);
  gsize n = strlen(data);
  g_autofree char *other =
      g_compute_checksum_for_string(G_CHECKSUM_SHA256, "x", -1);

  g_assert_cmpint(ncap_jobs_verdict(f, n, f->sha256, 0), ==, NCAP_JOBS_OK);
  /* All the bytes, other content: corrupt, whatever the helper says. */
  g_assert_cmpint(ncap_jobs_verdict(f, n, other, 0), ==, NCAP_JOBS_CORRUPT);
  g_assert_cmpint(ncap_jobs_verdict(f, n, other, 1), ==, NCAP_JOBS_CORRUPT);
  /* Short, the helper content: corrupt (it sent a different file). */
  g_assert_cmpint(ncap_jobs_verdict(f, 3, other, 0), ==, NCAP_JOBS_CORRUPT);
  /* Short, the helper failed: its error is the message. */
  g_assert_cmpint(ncap_jobs_verdict(f, 3, other, 1), ==,
                  NCAP_JOBS_HELPER_FAILED);
  /* The right bytes but a failed helper is still the helper's error. */
  g_assert_cmpint(ncap_jobs_verdict(f, n, f->sha256, 2), ==,
                  NCAP_JOBS_HELPER_FAILED);
  ncap_job_file_free(f);
}

static void
test_record(void)
{
  g_autoptr(GError) e = NULL;
  g_autoptr(JsonObject) job = parse_object(
      "{\"id\":\"0123\",\"status\":\"success\",\"files\":[{\"name\":"
      "\"n-1.pcapng\",\"size\":12,\"packets\":3,\"sha256\":\"ABCDEF\"},"
      "{\"name\":\"n-2.pcapng\",\"size\":-5}, 7]}");
  g_assert_true(ncap_jobs_record_finished(job));
  g_assert_cmpstr(ncap_jobs_jstr(job, "id"), ==, "0123");
  g_assert_null(ncap_jobs_jstr(job, "files"));
  g_autoptr(GPtrArray) files = ncap_jobs_record_files("node", job, &e);
  g_assert_no_error(e);
  g_assert_cmpuint(files->len, ==, 2);
  NcapJobFile *f = g_ptr_array_index(files, 0);
  g_assert_cmpstr(f->name, ==, "n-1.pcapng");
  g_assert_cmpstr(f->sha256, ==, "abcdef"); /* compared in lower case */
  g_assert_cmpuint(f->size, ==, 12);
  g_assert_cmpuint(f->packets, ==, 3);
  f = g_ptr_array_index(files, 1);
  g_assert_cmpuint(f->size, ==, 0); /* negative: none */
  g_assert_cmpstr(f->sha256, ==, "");

  g_autoptr(JsonObject) running =
      parse_object("{\"status\":\"running\",\"files\":[]}");
  g_assert_false(ncap_jobs_record_finished(running));

  /* A name from the node is never a path or a hidden file. */
  static const char *bad[] = {"../x.pcapng", "a/b", ".hidden", "a b"};
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GError) e2 = NULL;
    g_autofree char *text = g_strdup_printf(
        "{\"status\":\"success\",\"files\":[{\"name\":\"%s\"}]}", bad[i]);
    g_autoptr(JsonObject) o = parse_object(text);
    g_assert_null(ncap_jobs_record_files("node", o, &e2));
    g_assert_error(e2, NCAP_ERROR, NCAP_ERROR_REMOTE);
  }
  g_autoptr(GError) e3 = NULL;
  g_assert_null(ncap_jobs_parse_json("node", "not json", &e3));
  g_assert_error(e3, NCAP_ERROR, NCAP_ERROR_REMOTE);
}

static void
test_destination(void)
{
  static const char *good[] = {"s3://bucket", "S3://b/p/q"};
  static const char *bad[] = {"bucket", "gs://b", "s3://", "s3:///p"};
  for (gsize i = 0; i < G_N_ELEMENTS(good); i++)
    g_assert_true(ncap_jobs_check_destination(good[i], NULL));
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GError) e = NULL;
    g_assert_false(ncap_jobs_check_destination(bad[i], &e));
    g_assert_error(e, NCAP_ERROR, NCAP_ERROR_INVALID);
  }
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/jobs/sha256", test_sha256);
  g_test_add_func("/jobs/present", test_present);
  g_test_add_func("/jobs/part", test_part);
  g_test_add_func("/jobs/verdict", test_verdict);
  g_test_add_func("/jobs/record", test_record);
  g_test_add_func("/jobs/destination", test_destination);
  return g_test_run();
}
