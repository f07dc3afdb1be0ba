/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for remote/job.c: id checks (hostile ids), random ids, JSON
 * round trip, atomic save/load, records that are not ours. */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "job.h"
#include "ncap-error.h"

static void
test_id_valid(void)
{
  g_assert_true(ncap_job_id_valid("0123456789abcdef0123456789abcdef", NULL));
  const char *bad[] = {
      "",
      "../x",
      "/etc/passwd",
      "*",
      "0123456789abcdef0123456789abcde",   /* 31 */
      "0123456789abcdef0123456789abcdef0", /* 33 */
      "0123456789ABCDEF0123456789abcdef",  /* uppercase */
      "0123456789abcdef0123456789abcdeg",  /* not hex */
      "../../../../../../../../etc/passw", /* 32 chars, not hex */
      "0123456789abcdef/123456789abcdef",
      "0123456789abcdef0123456789abcde\n",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GError) error = NULL;
    g_assert_false(ncap_job_id_valid(bad[i], &error));
    g_assert_error(error, NCAP_ERROR, NCAP_ERROR_INVALID);
    g_assert_null(strchr(error->message, '\n'));
  }
  g_autoptr(GError) error = NULL;
  g_assert_false(ncap_job_id_valid(NULL, &error));
  g_assert_error(error, NCAP_ERROR, NCAP_ERROR_INVALID);
}

static void
test_new_ids(void)
{
  g_autoptr(NcapJob) a = ncap_job_new("alice", "n1");
  g_autoptr(NcapJob) b = ncap_job_new("alice", "n1");
  g_assert_true(ncap_job_id_valid(a->id, NULL));
  g_assert_true(ncap_job_id_valid(b->id, NULL));
  g_assert_cmpstr(a->id, !=, b->id);
  g_assert_cmpint(a->status, ==, NCAP_JOB_PENDING);
  /* Fixed-width UTC time: sorts as text. */
  g_assert_cmpuint(strlen(a->submitted), ==, 27);
  g_assert_true(g_str_has_suffix(a->submitted, "Z"));
  g_assert_cmpint(g_strcmp0(a->submitted, b->submitted), <=, 0);
}

static NcapJob *
sample_job(void)
{
  NcapJob *job = ncap_job_new("alice", "node1");
  job->status = NCAP_JOB_SUCCESS;
  job->reason = g_strdup("packet limit");
  job->started = ncap_job_now_iso8601();
  job->ended = ncap_job_now_iso8601();
  job->packets = 1234;
  job->bytes = 567890;
  job->kernel_drops = 7;
  job->discarded_packets = 100;
  job->discarded_bytes = 6400;
  job->discarded_files = 1;
  job->worker_pid = 4242;
  NcapJobFile *f = ncap_job_file_new("node1_x_20240101T000000Z_00002.pcapng");
  f->size = 999000;
  f->sha256 = g_strdup("ab");
  f->first_seq = 100;
  f->packets = 1134;
  g_ptr_array_add(job->files, f);
  NcapCaptureOpts opts = {.iface = (char *)"lo", .bpf = (char *)"udp", .src_port = -1,
                          .dst_port = 53, .proto = -1, .snaplen = 262144, .sample = 1,
                          .max_size_mb = 30, .file_size_mb = 10};
  job->request = ncap_job_request_from_opts(&opts);
  return job;
}

static void
assert_same(const NcapJob *a, const NcapJob *b)
{
  g_assert_cmpstr(a->id, ==, b->id);
  g_assert_cmpstr(a->owner, ==, b->owner);
  g_assert_cmpstr(a->node, ==, b->node);
  g_assert_cmpstr(a->submitted, ==, b->submitted);
  g_assert_cmpstr(a->started, ==, b->started);
  g_assert_cmpstr(a->ended, ==, b->ended);
  g_assert_cmpint(a->status, ==, b->status);
  g_assert_cmpstr(a->reason, ==, b->reason);
  g_assert_cmpuint(a->packets, ==, b->packets);
  g_assert_cmpuint(a->bytes, ==, b->bytes);
  g_assert_cmpuint(a->kernel_drops, ==, b->kernel_drops);
  g_assert_cmpuint(a->discarded_packets, ==, b->discarded_packets);
  g_assert_cmpuint(a->discarded_bytes, ==, b->discarded_bytes);
  g_assert_cmpuint(a->discarded_files, ==, b->discarded_files);
  g_assert_cmpint(a->worker_pid, ==, b->worker_pid);
  g_assert_cmpuint(a->files->len, ==, b->files->len);
  for (guint i = 0; i < a->files->len; i++) {
    NcapJobFile *fa = g_ptr_array_index(a->files, i), *fb = g_ptr_array_index(b->files, i);
    g_assert_cmpstr(fa->name, ==, fb->name);
    g_assert_cmpuint(fa->size, ==, fb->size);
    g_assert_cmpstr(fa->sha256, ==, fb->sha256);
    g_assert_cmpuint(fa->first_seq, ==, fb->first_seq);
    g_assert_cmpuint(fa->packets, ==, fb->packets);
  }
  g_assert_true(json_node_equal(a->request, b->request));
}

static void
test_json_roundtrip(void)
{
  g_autoptr(NcapJob) job = sample_job();
  g_autofree char *text = ncap_job_to_string(job, true);
  g_assert_nonnull(strstr(text, "\"status\" : \"success\""));
  g_assert_nonnull(strstr(text, "\"iface\" : \"lo\""));
  g_assert_nonnull(strstr(text, "\"dst_port\" : 53"));
  g_autoptr(GError) error = NULL;
  g_autoptr(NcapJob) back = ncap_job_from_data(text, strlen(text), &error);
  g_assert_no_error(error);
  assert_same(job, back);
  /* A pending job: nulls survive. */
  g_autoptr(NcapJob) p = ncap_job_new(NULL, "n");
  g_autofree char *ptext = ncap_job_to_string(p, false);
  g_autoptr(NcapJob) pback = ncap_job_from_data(ptext, strlen(ptext), &error);
  g_assert_no_error(error);
  g_assert_null(pback->started);
  g_assert_null(pback->owner);
  g_assert_null(pback->reason);
}

static void
test_not_ours(void)
{
  g_autoptr(NcapJob) job = sample_job();
  g_autofree char *good = ncap_job_to_string(job, false);
  struct {
    const char *from, *to;
  } edits[] = {
      {"node1_x_20240101T000000Z_00002.pcapng", "../../etc/shadow"},
      {"node1_x_20240101T000000Z_00002.pcapng", ".hidden"},
      {"\"success\"", "\"done\""},
      {"\"packets\":1234", "\"packets\":-1"},
      {"\"packets\":1234", "\"packets\":\"many\""},
      {job->id, "../x"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(edits); i++) {
    g_autofree char *bad = NULL;
    char *at = strstr(good, edits[i].from);
    g_assert_nonnull(at);
    bad = g_strdup_printf("%.*s%s%s", (int)(at - good), good, edits[i].to,
                          at + strlen(edits[i].from));
    g_autoptr(GError) error = NULL;
    g_autoptr(NcapJob) j = ncap_job_from_data(bad, strlen(bad), &error);
    g_assert_null(j);
    g_assert_error(error, NCAP_ERROR, NCAP_ERROR_IO);
  }
  g_autoptr(GError) error = NULL;
  g_assert_null(ncap_job_from_data("[1,2]", 5, &error));
  g_assert_error(error, NCAP_ERROR, NCAP_ERROR_IO);
  g_clear_error(&error);
  g_assert_null(ncap_job_from_data("{\"id\":", 6, &error));
  g_assert_error(error, NCAP_ERROR, NCAP_ERROR_IO);
}

static void
test_save_load(void)
{
  g_autofree char *dir = g_dir_make_tmp("test-job-XXXXXX", NULL);
  int dirfd = open(dir, O_RDONLY | O_DIRECTORY);
  g_assert_cmpint(dirfd, >=, 0);
  g_autoptr(NcapJob) job = sample_job();
  g_autoptr(GError) error = NULL;

  /* A planted symlink at the temp name must not be followed. */
  g_autofree char *target = g_build_filename(dir, "target", NULL);
  g_assert_true(g_file_set_contents(target, "precious", -1, NULL));
  g_autofree char *tmpname = g_strdup_printf("%s/.%s.json.tmp", dir, job->id);
  g_assert_cmpint(symlink(target, tmpname), ==, 0);

  g_assert_true(ncap_job_save(job, dirfd, &error));
  g_assert_no_error(error);
  g_autofree char *content = NULL;
  g_assert_true(g_file_get_contents(target, &content, NULL, NULL));
  g_assert_cmpstr(content, ==, "precious");
  g_assert_false(g_file_test(tmpname, G_FILE_TEST_EXISTS | G_FILE_TEST_IS_SYMLINK));

  g_autofree char *path = g_strdup_printf("%s/%s.json", dir, job->id);
  struct stat st;
  g_assert_cmpint(stat(path, &st), ==, 0);
  g_assert_cmpuint(st.st_mode & 0777, ==, 0600);

  g_autoptr(NcapJob) back = ncap_job_load(dirfd, job->id, &error);
  g_assert_no_error(error);
  assert_same(job, back);

  /* Saving again replaces it (rename over). */
  job->packets = 99;
  g_assert_true(ncap_job_save(job, dirfd, &error));
  g_autoptr(NcapJob) back2 = ncap_job_load(dirfd, job->id, &error);
  g_assert_cmpuint(back2->packets, ==, 99);

  /* Unknown and hostile ids. */
  g_assert_null(ncap_job_load(dirfd, "00000000000000000000000000000000", &error));
  g_assert_error(error, NCAP_ERROR, NCAP_ERROR_NOT_FOUND);
  g_clear_error(&error);
  g_assert_null(ncap_job_load(dirfd, "../target", &error));
  g_assert_error(error, NCAP_ERROR, NCAP_ERROR_INVALID);
  g_clear_error(&error);

  /* A record whose content names another id is refused. */
  g_autoptr(NcapJob) other = sample_job();
  g_autofree char *otext = ncap_job_to_string(other, false);
  g_autofree char *fake = g_strdup_printf("%s/%s.json", dir, "11111111111111111111111111111111");
  g_assert_true(g_file_set_contents(fake, otext, -1, NULL));
  g_assert_null(ncap_job_load(dirfd, "11111111111111111111111111111111", &error));
  g_assert_error(error, NCAP_ERROR, NCAP_ERROR_IO);
  g_clear_error(&error);

  /* A symlinked record is not followed. */
  g_autofree char *link = g_strdup_printf("%s/%s.json", dir, "22222222222222222222222222222222");
  g_assert_cmpint(symlink(path, link), ==, 0);
  g_assert_null(ncap_job_load(dirfd, "22222222222222222222222222222222", &error));
  g_assert_error(error, NCAP_ERROR, NCAP_ERROR_IO);
  g_clear_error(&error);

  close(dirfd);
  g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", dir);
  g_assert_cmpint(system(cmd), ==, 0);
}

static void
test_describe(void)
{
  g_autoptr(NcapJob) job = sample_job();
  g_autofree char *text = ncap_job_describe(job);
  g_assert_nonnull(strstr(text, "status:       success: packet limit"));
  g_assert_nonnull(strstr(text, "node1_x_20240101T000000Z_00002.pcapng"));
  g_autofree char *row = ncap_job_table_row(job);
  g_assert_true(g_str_has_prefix(row, job->id));
  g_assert_nonnull(strstr(row, "packet limit"));
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/job/id-valid", test_id_valid);
  g_test_add_func("/job/new-ids", test_new_ids);
  g_test_add_func("/job/json-roundtrip", test_json_roundtrip);
  g_test_add_func("/job/not-ours", test_not_ours);
  g_test_add_func("/job/save-load", test_save_load);
  g_test_add_func("/job/describe", test_describe);
  return g_test_run();
}
