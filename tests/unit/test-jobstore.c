/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for remote/jobstore.c: layout, the run lock (held = busy,
 * released when the holder goes), salvage of a dead worker's job (files
 * cut at the last whole block, torn and zeroed tails, moved, counted,
 * failure "worker died"), no salvage while the lock is held, list/latest/
 * find_running, delete (never a running job), and the same-filesystem
 * check. */
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jobstore.h"
#include "ncap-error.h"
#include "pcapng.h"

typedef struct {
  char *root, *state, *caps;
  NcapJobStore *store;
} Fixture;

static void
fx_setup(Fixture *fx, gconstpointer data)
{
  fx->root = g_dir_make_tmp("test-jobstore-XXXXXX", NULL);
  fx->state = g_build_filename(fx->root, "state", NULL);
  fx->caps = g_build_filename(fx->root, "captures", NULL);
  g_assert_cmpint(g_mkdir(fx->state, 0700), ==, 0);
  g_assert_cmpint(g_mkdir(fx->caps, 0770), ==, 0);
  g_autoptr(GError) error = NULL;
  fx->store = ncap_jobstore_open(fx->state, fx->caps, &error);
  g_assert_no_error(error);
}

static void
fx_teardown(Fixture *fx, gconstpointer data)
{
  ncap_jobstore_free(fx->store);
  g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", fx->root);
  g_assert_cmpint(system(cmd), ==, 0);
  g_free(fx->root);
  g_free(fx->state);
  g_free(fx->caps);
}

/* A pcapng file of n packets, as bytes. */
static GByteArray *
make_file(guint n)
{
  GByteArray *b = g_byte_array_new();
  NcapShbInfo shb = {.userappl = "test"};
  NcapIdbInfo idb = {.linktype = 1, .snaplen = 65535, .name = "t:lo", .tsresol = 9};
  ncap_pcapng_put_header(b, &shb, &idb);
  guint8 data[120];
  for (guint i = 0; i < n; i++) {
    memset(data, (int)i, sizeof data);
    NcapEpb e = {.timestamp = 1700000000000000000ull + i, .caplen = 100 + i % 20,
                 .origlen = 100 + i % 20, .data = data};
    ncap_pcapng_put_epb(b, &e);
  }
  return b;
}

static void
test_layout(Fixture *fx, gconstpointer data)
{
  g_autofree char *jobs = g_build_filename(fx->state, "jobs", NULL);
  g_autofree char *spool = g_build_filename(fx->state, "spool", NULL);
  struct stat st;
  g_assert_cmpint(stat(jobs, &st), ==, 0);
  g_assert_cmpuint(st.st_mode & 0777, ==, 0700);
  g_assert_cmpint(stat(spool, &st), ==, 0);
  g_assert_cmpuint(st.st_mode & 0777, ==, 0700);
  /* A missing captures directory is a configuration error. */
  g_autofree char *nowhere = g_build_filename(fx->root, "nowhere", NULL);
  g_autoptr(GError) error = NULL;
  g_assert_null(ncap_jobstore_open(fx->state, nowhere, &error));
  g_assert_error(error, NCAP_ERROR, NCAP_ERROR_CONFIG);
}

static void
test_other_fs(void)
{
  /* /dev/shm is a tmpfs; skip when the temp dir is on the same device. */
  struct stat a, b;
  if (stat("/dev/shm", &a) != 0 || stat(g_get_tmp_dir(), &b) != 0 || a.st_dev == b.st_dev) {
    g_test_skip("no second filesystem at hand");
    return;
  }
  g_autofree char *state = g_dir_make_tmp("test-jobstore-fs-XXXXXX", NULL);
  g_autofree char *caps = g_strdup("/dev/shm/test-jobstore-XXXXXX");
  g_assert_nonnull(g_mkdtemp(caps));
  g_autoptr(GError) error = NULL;
  g_assert_null(ncap_jobstore_open(state, caps, &error));
  g_assert_error(error, NCAP_ERROR, NCAP_ERROR_CONFIG);
  g_assert_nonnull(strstr(error->message, "different filesystems"));
  g_autofree char *cmd = g_strdup_printf("rm -rf '%s' '%s'", state, caps);
  g_assert_cmpint(system(cmd), ==, 0);
}

static void
test_lock(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  gboolean busy = TRUE;
  g_assert_false(ncap_jobstore_lock_held(fx->store));
  int fd = ncap_jobstore_trylock(fx->store, &busy, &error);
  g_assert_cmpint(fd, >=, 0);
  g_assert_false(busy);
  g_assert_true(ncap_jobstore_lock_held(fx->store));
  g_assert_cmpint(ncap_jobstore_trylock(fx->store, &busy, &error), ==, -1);
  g_assert_true(busy);
  g_assert_no_error(error);
  close(fd);
  g_assert_false(ncap_jobstore_lock_held(fx->store));

  /* A child that takes the lock and is killed releases it. */
  int p[2];
  g_assert_cmpint(pipe(p), ==, 0);
  pid_t pid = fork();
  if (pid == 0) {
    gboolean b;
    int lfd = ncap_jobstore_trylock(fx->store, &b, NULL);
    (void)lfd;
    (void)!write(p[1], "x", 1);
    pause();
    _exit(0);
  }
  char c;
  g_assert_cmpint(read(p[0], &c, 1), ==, 1);
  g_assert_true(ncap_jobstore_lock_held(fx->store));
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  g_assert_false(ncap_jobstore_lock_held(fx->store));
  close(p[0]);
  close(p[1]);
}

static NcapJob *
running_job(Fixture *fx, const char *node)
{
  NcapJob *job = ncap_job_new("alice", node);
  job->status = NCAP_JOB_RUNNING;
  job->started = ncap_job_now_iso8601();
  job->worker_pid = 999999;
  job->packets = 3; /* what the worker had flushed when last recorded */
  g_autoptr(GError) error = NULL;
  g_assert_true(ncap_jobstore_save(fx->store, job, &error));
  return job;
}

static void
write_spool_file(Fixture *fx, const char *id, const char *name, const GByteArray *b)
{
  g_autoptr(GError) error = NULL;
  int sfd = ncap_jobstore_spool_open(fx->store, id, TRUE, &error);
  g_assert_no_error(error);
  int fd = openat(sfd, name, O_WRONLY | O_CREAT | O_EXCL, 0640);
  g_assert_cmpint(fd, >=, 0);
  g_assert_cmpint(write(fd, b->data, b->len), ==, (ssize_t)b->len);
  close(fd);
  close(sfd);
}

static void
test_salvage(Fixture *fx, gconstpointer data)
{
  g_autoptr(NcapJob) job = running_job(fx, "tn");
  g_autofree char *n1 = g_strdup_printf("tn_%s_20240101T000000Z_00001.pcapng", job->id);
  g_autofree char *n2 = g_strdup_printf("tn_%s_20240101T000001Z_00002.pcapng", job->id);
  g_autofree char *n3 = g_strdup_printf("tn_%s_20240101T000002Z_00003.pcapng", job->id);
  /* 1: complete. 2: a torn last block (killed mid-write). 3: a zeroed
   * tail (a crash after the size grew, before the data). */
  g_autoptr(GByteArray) f1 = make_file(10);
  g_autoptr(GByteArray) f2 = make_file(7);
  gsize f2_good = f2->len;
  g_autoptr(GByteArray) extra = make_file(1);
  g_byte_array_append(f2, extra->data + extra->len - 60, 50); /* half an EPB */
  g_autoptr(GByteArray) f3 = make_file(5);
  gsize f3_good = f3->len;
  guint8 zeros[4096] = {0};
  g_byte_array_append(f3, zeros, sizeof zeros);
  write_spool_file(fx, job->id, n1, f1);
  write_spool_file(fx, job->id, n2, f2);
  write_spool_file(fx, job->id, n3, f3);
  /* A file of another job and a stray file are left alone. */
  write_spool_file(fx, job->id, "stray.txt", f1);

  /* While the lock is held (a live worker), nothing is touched. */
  gboolean busy;
  g_autoptr(GError) error = NULL;
  int lfd = ncap_jobstore_trylock(fx->store, &busy, &error);
  g_assert_cmpint(lfd, >=, 0);
  pid_t pid = fork();
  if (pid == 0) {
    /* Another process (status) refreshing: must see the lock held. */
    NcapJobStore *s = ncap_jobstore_open(fx->state, fx->caps, NULL);
    _exit(ncap_jobstore_refresh(s, NULL) ? 0 : 1);
  }
  int status;
  waitpid(pid, &status, 0);
  g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  g_autoptr(NcapJob) still = ncap_jobstore_load(fx->store, job->id, &error);
  g_assert_cmpint(still->status, ==, NCAP_JOB_RUNNING);
  g_autoptr(NcapJob) live = ncap_jobstore_find_running(fx->store, &error);
  g_assert_nonnull(live);
  g_assert_cmpstr(live->id, ==, job->id);
  close(lfd);

  /* The worker is gone: refresh salvages. */
  g_assert_null(ncap_jobstore_find_running(fx->store, &error));
  g_assert_true(ncap_jobstore_refresh(fx->store, &error));
  g_assert_no_error(error);
  g_autoptr(NcapJob) done = ncap_jobstore_load(fx->store, job->id, &error);
  g_assert_no_error(error);
  g_assert_cmpint(done->status, ==, NCAP_JOB_FAILURE);
  g_assert_cmpstr(done->reason, ==, "worker died");
  g_assert_nonnull(done->ended);
  g_assert_cmpuint(done->files->len, ==, 3);
  g_assert_cmpuint(done->packets, ==, 10 + 7 + 5);
  gsize sizes[] = {f1->len, f2_good, f3_good};
  guint packets[] = {10, 7, 5};
  for (guint i = 0; i < 3; i++) {
    NcapJobFile *f = g_ptr_array_index(done->files, i);
    g_autofree char *path = g_build_filename(fx->caps, f->name, NULL);
    g_autofree char *content = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(path, &content, &len, NULL));
    g_assert_cmpuint(len, ==, sizes[i]);
    g_assert_cmpuint(f->size, ==, sizes[i]);
    g_assert_cmpuint(f->packets, ==, packets[i]);
    g_assert_cmpuint(ncap_pcapng_valid_prefix((guint8 *)content, len), ==, len);
    g_autofree char *sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (guint8 *)content, len);
    g_assert_cmpstr(sum, ==, f->sha256);
  }
  /* The spool is gone. */
  g_autofree char *spool = g_build_filename(fx->state, "spool", job->id, NULL);
  g_assert_false(g_file_test(spool, G_FILE_TEST_EXISTS));
  /* A second refresh changes nothing. */
  g_assert_true(ncap_jobstore_refresh(fx->store, &error));
  g_autoptr(NcapJob) again = ncap_jobstore_load(fx->store, job->id, &error);
  g_assert_cmpstr(again->ended, ==, done->ended);
}

static void
test_salvage_moved(Fixture *fx, gconstpointer data)
{
  /* Killed after moving a file, before the final record. */
  g_autoptr(NcapJob) job = running_job(fx, "tn");
  g_autofree char *n1 = g_strdup_printf("tn_%s_20240101T000000Z_00001.pcapng", job->id);
  g_autoptr(GByteArray) f1 = make_file(4);
  g_autofree char *path = g_build_filename(fx->caps, n1, NULL);
  g_assert_true(g_file_set_contents(path, (char *)f1->data, f1->len, NULL));
  g_autoptr(GError) error = NULL;
  g_assert_true(ncap_jobstore_refresh(fx->store, &error));
  g_autoptr(NcapJob) done = ncap_jobstore_load(fx->store, job->id, &error);
  g_assert_cmpint(done->status, ==, NCAP_JOB_FAILURE);
  g_assert_cmpuint(done->files->len, ==, 1);
  g_assert_cmpuint(done->packets, ==, 4);
}

static void
test_list_delete(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_assert_null(ncap_jobstore_latest(fx->store, &error));
  g_assert_error(error, NCAP_ERROR, NCAP_ERROR_NOT_FOUND);
  g_clear_error(&error);

  g_autoptr(NcapJob) a = ncap_job_new("alice", "tn");
  g_autofree char *fa = g_strdup_printf("tn_%s_20240101T000000Z_00001.pcapng", a->id);
  g_ptr_array_add(a->files, ncap_job_file_new(fa));
  ncap_job_finish(a, NCAP_JOB_SUCCESS, "stopped");
  g_assert_true(ncap_jobstore_save(fx->store, a, &error));
  g_autofree char *pa = g_build_filename(fx->caps, fa, NULL);
  g_assert_true(g_file_set_contents(pa, "x", 1, NULL));
  g_usleep(2000);
  g_autoptr(NcapJob) b = ncap_job_new("bob", "tn");
  g_assert_true(ncap_jobstore_save(fx->store, b, &error));
  /* Junk in jobs/ is skipped. */
  g_autofree char *junk = g_build_filename(fx->state, "jobs", "notes.txt", NULL);
  g_assert_true(g_file_set_contents(junk, "x", 1, NULL));

  g_autoptr(GPtrArray) jobs = ncap_jobstore_list(fx->store, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(jobs->len, ==, 2);
  g_assert_cmpstr(((NcapJob *)g_ptr_array_index(jobs, 0))->id, ==, a->id);
  g_autoptr(NcapJob) latest = ncap_jobstore_latest(fx->store, &error);
  g_assert_cmpstr(latest->id, ==, b->id);

  /* b is pending: never deleted. */
  g_assert_false(ncap_jobstore_delete(fx->store, b, &error));
  g_assert_error(error, NCAP_ERROR, NCAP_ERROR_BUSY);
  g_clear_error(&error);
  g_assert_true(ncap_jobstore_delete(fx->store, a, &error));
  g_assert_no_error(error);
  g_assert_false(g_file_test(pa, G_FILE_TEST_EXISTS));
  g_assert_null(ncap_jobstore_load(fx->store, a->id, &error));
  g_assert_error(error, NCAP_ERROR, NCAP_ERROR_NOT_FOUND);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add("/jobstore/layout", Fixture, NULL, fx_setup, test_layout, fx_teardown);
  g_test_add_func("/jobstore/other-fs", test_other_fs);
  g_test_add("/jobstore/lock", Fixture, NULL, fx_setup, test_lock, fx_teardown);
  g_test_add("/jobstore/salvage", Fixture, NULL, fx_setup, test_salvage, fx_teardown);
  g_test_add("/jobstore/salvage-moved", Fixture, NULL, fx_setup, test_salvage_moved, fx_teardown);
  g_test_add("/jobstore/list-delete", Fixture, NULL, fx_setup, test_list_delete, fx_teardown);
  return g_test_run();
}
