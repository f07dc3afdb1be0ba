/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The detached saved-job worker. See worker.h. */
#include "worker.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture.h"
#include "fdio.h"
#include "ncap-error.h"
#include "privs.h"
#include "security.h"
#include "ring.h"
#include "uploader.h"

#define MB 1000000ull
/* How long `start` waits for the worker to report. Opening a capture is
 * quick; this only guards against a worker stuck in the kernel. */
#define SPAWN_TIMEOUT_MS 30000

void
ncap_worker_ring_geometry(const NcapCaptureOpts *opts, guint64 *file_bytes,
                          guint *max_files)
{
  guint64 max_mb = MAX(opts->max_size_mb, 1);
  guint64 file_mb = MIN(MAX(opts->file_size_mb, 1), max_mb);
  *file_bytes = file_mb * MB;
  *max_files = (guint)((max_mb + file_mb - 1) / file_mb);
}

/* How long at most the stop keeps reading the kernel ring. */
#define NCAP_WORKER_RING_DRAIN_US (1 * G_USEC_PER_SEC)

typedef struct {
  NcapCapture *cap;
  NcapRing *ring;
  GError *ring_error;   /* first error of the ring: the job ends */
} WorkerCtx;

static void
put_header(GByteArray *out, void *user)
{
  ncap_capture_put_header(((WorkerCtx *)user)->cap, out);
}

static void
put_trailer(GByteArray *out, void *user)
{
  ncap_capture_put_isb(((WorkerCtx *)user)->cap, out);
}

static bool
ring_sink(const uint8_t *epb, gsize len, void *user)
{
  WorkerCtx *c = user;
  if (c->ring_error != NULL)
    return false;
  bool kept = false;
  if (!ncap_ring_write(c->ring, epb, len, &kept, &c->ring_error))
    return false;
  return kept;
}

/* ---- reporting to `start` ---------------------------------------------- */

static void
report(int fd, const GError *error)
{
  if (fd < 0)
    return;
  g_autofree char *line =
      error ? g_strdup_printf("ERR %d %s\n", error->code, error->message)
            : g_strdup("OK\n");
  for (char *p = line; error && p[1]; p++)
    if (*p == '\n')
      *p = ' ';
  ncap_write_full(fd, line, strlen(line));
}

/* ---- the worker process ------------------------------------------------ */

static void
update_record(NcapJob *job, WorkerCtx *c, bool final)
{
  NcapRingStats rs;
  ncap_ring_stats(c->ring, &rs);
  NcapCaptureStats cs;
  ncap_capture_stats(c->cap, &cs);
  job->packets = rs.packets;
  job->bytes = rs.bytes;
  job->discarded_packets = rs.discarded_packets;
  job->discarded_bytes = rs.discarded_bytes;
  job->discarded_files = rs.discarded_files;
  job->kernel_drops = cs.kernel_drops;
  g_ptr_array_set_size(job->files, 0);
  GPtrArray *files = ncap_ring_files(c->ring);
  for (guint i = 0; i < files->len; i++) {
    NcapRingFile *rf = g_ptr_array_index(files, i);
    NcapJobFile *f = ncap_job_file_new(rf->name);
    f->size = rf->size;
    f->packets = rf->packets;
    f->first_seq = rf->first_seq;
    f->sha256 = final ? g_strdup(rf->sha256) : NULL;
    g_ptr_array_add(job->files, f);
  }
}

/* Record the end of a job that never got to run. */
static void
fail_early(NcapJobStore *store, NcapJob *job, const GError *error, int report_fd)
{
  ncap_job_finish(job, NCAP_JOB_FAILURE, error->message);
  job->worker_pid = 0;
  g_autoptr(GError) save_err = NULL;
  ncap_jobstore_save(store, job, &save_err);
  ncap_jobstore_spool_remove(store, job->id);
  report(report_fd, error);
}

/* Detach from the caller's terminal and files; the stop signals come
 * through the returned signalfd (-1 with errno when it cannot be made). */
static int
worker_detach(int lock_fd, int report_fd)
{
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull >= 0) {
    dup2(devnull, STDIN_FILENO);
    dup2(devnull, STDOUT_FILENO);
    dup2(devnull, STDERR_FILENO);
    if (devnull > STDERR_FILENO)
      close(devnull);
  }
  int keep[] = {lock_fd, report_fd};
  ncap_fd_close_all_except(keep, G_N_ELEMENTS(keep));
  if (chdir("/") != 0) {
    /* not fatal: every path we use is absolute or dirfd-relative */
  }
  signal(SIGHUP, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  sigset_t stopset;
  sigemptyset(&stopset);
  sigaddset(&stopset, SIGTERM);
  sigaddset(&stopset, SIGINT);
  sigprocmask(SIG_BLOCK, &stopset, NULL);
  return signalfd(-1, &stopset, SFD_NONBLOCK | SFD_CLOEXEC);
}

/* Open the capture handle, then drop every privilege. Transfer full. */
static NcapCapture *
worker_open_capture(NcapHelper *h, const NcapCaptureOpts *opts, gsize buffer_size,
                    GError **error)
{
  g_autoptr(NcapCapture) cap = ncap_capture_new(opts, h->node);
  ncap_capture_set_clock_shift(cap, h->clock_shift_ns);
  if (buffer_size > 0)
    ncap_capture_set_buffer_size(cap, buffer_size);
  if (!ncap_capture_open(cap, error))
    return NULL;
  /* The handle is open: nothing more needs privilege. The worker becomes
   * the service user in every uid, so the caller cannot signal it; `stop`
   * goes through the helper and its policy. */
  if (!ncap_privs_drop_all(NCAP_PRIVS_TO_SERVICE, error))
    return NULL;
  return g_steal_pointer(&cap);
}

/* The job's spool directory with its reserve in place; -1 on error. */
static int
worker_open_spool(NcapJobStore *store, const NcapJob *job, GError **error)
{
  int spoolfd = ncap_jobstore_spool_open(store, job->id, TRUE, error);
  if (spoolfd < 0)
    return -1;
  /* Room for the final record and audit line, held as a preallocated file
   * and given back at the end: another writer may fill the disk while the
   * job runs, and the job must still be able to say how it ended. */
  int rfd = openat(spoolfd, NCAP_WORKER_RESERVE_NAME,
                   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  int rerr = rfd < 0 ? errno : posix_fallocate(rfd, 0, NCAP_WORKER_RECORD_RESERVE);
  if (rfd >= 0)
    close(rfd);
  if (rerr != 0) {
    unlinkat(spoolfd, NCAP_WORKER_RESERVE_NAME, 0);
    close(spoolfd);
    if (rerr == ENOSPC || rerr == EDQUOT)
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_DISK_FULL, "disk full");
    else
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO, "spool reserve: %s", g_strerror(rerr));
    return -1;
  }
  return spoolfd;
}

/* The stop: what the kernel ring held goes into the files
 * (docs/reliability.md "Stop"); a partly filled block retires within
 * NCAP_CAPTURE_RETIRE_MS. Bounded; the rest is counted as dropped. */
static void
worker_drain(WorkerCtx *ctx, int capfd, GError **fail)
{
  ncap_capture_stop(ctx->cap);
  gint64 deadline = g_get_monotonic_time() + NCAP_WORKER_RING_DRAIN_US;
  while (!ncap_capture_drained(ctx->cap) && g_get_monotonic_time() < deadline) {
    struct pollfd p = {.fd = capfd, .events = POLLIN};
    (void)poll(&p, capfd >= 0 ? 1 : 0, 10);
    if (ncap_capture_dispatch(ctx->cap, ring_sink, ctx, fail) < 0)
      return;
    if (ctx->ring_error) {
      *fail = g_steal_pointer(&ctx->ring_error);
      return;
    }
  }
  ncap_capture_discard_rest(ctx->cap);
}

/* The capture loop: until a stop signal, a limit or a failure (*fail). */
static const char *
worker_capture_loop(NcapJob *job, NcapJobStore *store, WorkerCtx *ctx, int sigfd,
                    NcapJobUploads *uploads, GError **fail)
{
  const char *stop_reason = NULL;   /* success */
  gint64 next_update = g_get_monotonic_time() + NCAP_WORKER_RECORD_INTERVAL_US;
  int capfd = ncap_capture_fd(ctx->cap);
  while (stop_reason == NULL && *fail == NULL) {
    struct pollfd pfd[2] = {{.fd = sigfd, .events = POLLIN},
                            {.fd = capfd, .events = POLLIN}};
    /* A short timeout: the engine checks the time limit when called, and
     * the record gets its counts even when no packet comes. */
    int pr = poll(pfd, capfd >= 0 ? 2 : 1, 250);
    if (pr < 0 && errno != EINTR) {
      g_set_error(fail, NCAP_ERROR, NCAP_ERROR_FAILED, "poll: %s", g_strerror(errno));
      break;
    }
    if (pr > 0 && (pfd[0].revents & POLLIN)) {
      struct signalfd_siginfo si;
      if (read(sigfd, &si, sizeof si) == (ssize_t)sizeof si)
        stop_reason = "stopped";
    }
    if (ncap_capture_dispatch(ctx->cap, ring_sink, ctx, fail) < 0)
      break;
    if (ctx->ring_error) {
      *fail = g_steal_pointer(&ctx->ring_error);
      break;
    }
    ncap_job_uploads_feed_closed(uploads, ncap_ring_files(ctx->ring));
    const char *lim = ncap_capture_limit_reached(ctx->cap);
    if (lim && stop_reason == NULL)
      stop_reason = lim;
    gint64 now = g_get_monotonic_time();
    if (now >= next_update) {
      next_update = now + NCAP_WORKER_RECORD_INTERVAL_US;
      /* Flush first: the record promises only packets in the files. */
      if (!ncap_ring_flush(ctx->ring, fail))
        break;
      update_record(job, ctx, false);
      g_autoptr(GError) save_err = NULL;
      ncap_jobstore_save(store, job, &save_err); /* retried next round */
    }
  }
  if (*fail == NULL)
    worker_drain(ctx, capfd, fail);
  return stop_reason;
}

/* Close the ring, move every file, record how the job ended. Takes fail
 * (transfer full, NULL = success with stop_reason). The exit status. */
static int
worker_finish(NcapHelper *h, NcapJob *job, NcapJobStore *store, WorkerCtx *ctx,
              int spoolfd, NcapJobUploads *uploads, const char *stop_reason, GError *fail_in)
{
  g_autoptr(GError) fail = fail_in;
  g_autoptr(GError) finish_err = NULL;
  if (!ncap_ring_finish(ctx->ring, &finish_err) && fail == NULL)
    fail = g_steal_pointer(&finish_err);
  ncap_capture_close(ctx->cap);
  unlinkat(spoolfd, NCAP_WORKER_RESERVE_NAME, 0);
  /* Move every file, even after a failure: what was written is kept. */
  GPtrArray *files = ncap_ring_files(ctx->ring);
  bool left_in_spool = false;
  for (guint i = 0; i < files->len; i++) {
    NcapRingFile *rf = g_ptr_array_index(files, i);
    g_autoptr(GError) mv_err = NULL;
    if (!ncap_jobstore_move_file(store, spoolfd, rf->name, &mv_err) &&
        !(ncap_job_uploads_may_have_removed(uploads, rf->name) &&
          faccessat(spoolfd, rf->name, F_OK, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT)) {
      left_in_spool = true;
      if (fail == NULL)
        fail = g_steal_pointer(&mv_err);
    }
  }
  /* A file that could not be moved (captures directory unwritable, ...)
   * stays in the spool, and the reason says where: removing the spool
   * below would delete packets the record promises. */
  if (left_in_spool) {
    char *msg = g_strdup_printf("%s; files kept in %s/spool/%s", fail->message,
                                h->statedir, job->id);
    g_free(fail->message);
    fail->message = msg;
  }
  /* Every file is closed and in the captures directory now. */
  ncap_job_uploads_finish(uploads, files);
  fsync(ncap_jobstore_captures_fd(store));
  close(spoolfd);
  update_record(job, ctx, true);
  job->worker_pid = 0;
  if (fail)
    ncap_job_finish(job, NCAP_JOB_FAILURE, fail->message);
  else
    ncap_job_finish(job, NCAP_JOB_SUCCESS, stop_reason);
  g_autoptr(GError) save_err = NULL;
  if (!ncap_jobstore_save(store, job, &save_err))
    return 1; /* the next status salvages from the captures directory */
  if (!left_in_spool)
    ncap_jobstore_spool_remove(store, job->id);
  return fail ? 1 : 0;
}

static int
worker_main(NcapHelper *h, NcapJob *job, const NcapCaptureOpts *opts,
            gsize buffer_size, int lock_fd, int report_fd)
{
  g_autoptr(GError) error = NULL;
  int sigfd = worker_detach(lock_fd, report_fd);

  g_autoptr(NcapJobStore) store = ncap_jobstore_open(h->statedir, h->capturesdir, &error);
  if (store == NULL) {
    report(report_fd, error);
    return 1;
  }
  if (sigfd < 0) {
    g_set_error(&error, NCAP_ERROR, NCAP_ERROR_FAILED, "signalfd: %s", g_strerror(errno));
    fail_early(store, job, error, report_fd);
    return 1;
  }

  g_autoptr(NcapCapture) cap = worker_open_capture(h, opts, buffer_size, &error);
  if (cap == NULL) {
    fail_early(store, job, error, report_fd);
    return 1;
  }
  int spoolfd = worker_open_spool(store, job, &error);
  if (spoolfd < 0) {
    fail_early(store, job, error, report_fd);
    return 1;
  }
  WorkerCtx ctx = {.cap = cap};
  NcapRingConfig rc = {
      .dirfd = spoolfd,
      .node = h->node,
      .job_id = job->id,
      .reserve = NCAP_WORKER_RESERVE_BYTES,
      .gid = ncap_jobstore_captures_gid(store),
      .header = put_header,
      .trailer = put_trailer,
      .user = &ctx,
  };
  ncap_worker_ring_geometry(opts, &rc.file_size, &rc.max_files);
  rc.file_duration_us = (gint64)opts->file_duration_s * G_USEC_PER_SEC;
  g_autoptr(NcapRing) ring = ncap_ring_new(&rc);
  ctx.ring = ring;
  if (!ncap_ring_start(ring, 0, &error)) {
    close(spoolfd);
    fail_early(store, job, error, report_fd);
    return 1;
  }

  job->status = NCAP_JOB_RUNNING;
  job->started = ncap_job_now_iso8601();
  job->worker_pid = getpid();
  update_record(job, &ctx, false);
  if (!ncap_jobstore_save(store, job, &error)) {
    ncap_ring_finish(ring, NULL);
    close(spoolfd);
    report(report_fd, error);
    return 1;
  }
  /* Uploads (--destination): a separate process without any privilege
   * or the capture handle; it gets each file once the ring closes it. */
  g_autoptr(GError) up_err = NULL;
  NcapJobUploads *uploads = ncap_job_uploads_start(h, job, spoolfd,
                                                   ncap_jobstore_captures_fd(store), &up_err);
  if (up_err) {
    ncap_ring_finish(ring, NULL);
    close(spoolfd);
    fail_early(store, job, up_err, report_fd);
    return 1;
  }
  report(report_fd, NULL);
  close(report_fd);

  GError *fail = NULL;
  const char *stop_reason = worker_capture_loop(job, store, &ctx, sigfd, uploads, &fail);
  return worker_finish(h, job, store, &ctx, spoolfd, uploads, stop_reason, fail);
}

/* ---- spawning ---------------------------------------------------------- */

/* Read the worker's one-line report. */
static gboolean
read_report(int fd, GError **error)
{
  char buf[1024];
  gsize len = 0;
  gint64 deadline = g_get_monotonic_time() + SPAWN_TIMEOUT_MS * 1000;
  while (len < sizeof buf - 1) {
    gint64 left_ms = (deadline - g_get_monotonic_time()) / 1000;
    if (left_ms <= 0) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_FAILED,
                  "the capture worker did not report within %d s", SPAWN_TIMEOUT_MS / 1000);
      return FALSE;
    }
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    int pr = poll(&pfd, 1, (int)left_ms);
    if (pr < 0 && errno == EINTR)
      continue;
    if (pr <= 0)
      continue;
    ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    len += (gsize)n;
    if (memchr(buf, '\n', len))
      break;
  }
  buf[len] = '\0';
  char *nl = strchr(buf, '\n');
  if (nl)
    *nl = '\0';
  if (strcmp(buf, "OK") == 0)
    return TRUE;
  int code = NCAP_ERROR_FAILED;
  const char *msg = "the capture worker died before it started";
  if (g_str_has_prefix(buf, "ERR ")) {
    char *end = NULL;
    long c = strtol(buf + 4, &end, 10);
    if (end && *end == ' ' && c >= NCAP_ERROR_FAILED && c <= NCAP_ERROR_CONFIG) {
      code = (int)c;
      msg = end + 1;
    }
  }
  g_set_error(error, NCAP_ERROR, code, "%s", msg);
  return FALSE;
}

gboolean
ncap_worker_spawn(NcapHelper *h, NcapJobStore *store, NcapJob *job,
                  const NcapCaptureOpts *opts, gsize buffer_size, int lock_fd,
                  GError **error)
{
  int pfd[2];
  if (pipe2(pfd, O_CLOEXEC) != 0) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_FAILED, "pipe: %s", g_strerror(errno));
    return FALSE;
  }
  fflush(NULL);
  pid_t child = fork();
  if (child < 0) {
    int e = errno;
    close(pfd[0]);
    close(pfd[1]);
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_FAILED, "fork: %s", g_strerror(e));
    return FALSE;
  }
  if (child == 0) {
    /* First child: new session, then fork again so the worker is not a
     * session leader and can never get a controlling terminal. */
    close(pfd[0]);
    if (setsid() < 0)
      _exit(1);
    pid_t grandchild = fork();
    if (grandchild < 0)
      _exit(1);
    if (grandchild > 0)
      _exit(0);
    _exit(worker_main(h, job, opts, buffer_size, lock_fd, pfd[1]));
  }
  close(pfd[1]);
  int status;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR)
    ;
  gboolean ok = read_report(pfd[0], error);
  close(pfd[0]);
  (void)store;
  return ok;
}
