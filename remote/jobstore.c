/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Saved-job state on disk: records, spool, lock, salvage. See jobstore.h. */
#include "jobstore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ncap-error.h"
#include "pcapng.h"

struct NcapJobStore {
  char *statedir, *capturesdir;
  int statefd, jobsfd, spoolfd, capfd;
  gid_t cap_gid;
};

static gboolean
errno_error(GError **error, int e, const char *fmt, const char *arg)
{
  g_autofree char *what = g_strdup_printf(fmt, arg);
  g_set_error(error, NCAP_ERROR,
              (e == ENOSPC || e == EDQUOT) ? NCAP_ERROR_DISK_FULL : NCAP_ERROR_IO,
              "%s: %s", what, g_strerror(e));
  return FALSE;
}

static int
open_subdir(int parent, const char *parent_path, const char *name, gboolean create,
            GError **error)
{
  if (create && mkdirat(parent, name, 0700) != 0 && errno != EEXIST) {
    g_autofree char *p = g_build_filename(parent_path, name, NULL);
    errno_error(error, errno, "creating %s", p);
    return -1;
  }
  int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    g_autofree char *p = g_build_filename(parent_path, name, NULL);
    g_set_error(error, NCAP_ERROR, e == ENOENT ? NCAP_ERROR_NOT_FOUND : NCAP_ERROR_IO,
                "%s: %s", p, g_strerror(e));
  }
  return fd;
}

void
ncap_jobstore_free(NcapJobStore *s)
{
  if (s == NULL)
    return;
  int fds[] = {s->statefd, s->jobsfd, s->spoolfd, s->capfd};
  for (unsigned i = 0; i < G_N_ELEMENTS(fds); i++)
    if (fds[i] >= 0)
      close(fds[i]);
  g_free(s->statedir);
  g_free(s->capturesdir);
  g_free(s);
}

NcapJobStore *
ncap_jobstore_open(const char *statedir, const char *capturesdir, GError **error)
{
  g_autoptr(NcapJobStore) s = g_new0(NcapJobStore, 1);
  s->statefd = s->jobsfd = s->spoolfd = s->capfd = -1;
  s->statedir = g_strdup(statedir);
  s->capturesdir = g_strdup(capturesdir);
  s->statefd = open(statedir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (s->statefd < 0) {
    int e = errno;
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_CONFIG, "state directory %s: %s",
                statedir, g_strerror(e));
    return NULL;
  }
  if ((s->jobsfd = open_subdir(s->statefd, statedir, "jobs", TRUE, error)) < 0 ||
      (s->spoolfd = open_subdir(s->statefd, statedir, "spool", TRUE, error)) < 0)
    return NULL;
  s->capfd = open(capturesdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (s->capfd < 0) {
    int e = errno;
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_CONFIG, "captures directory %s: %s",
                capturesdir, g_strerror(e));
    return NULL;
  }
  struct stat spool_st, cap_st;
  if (fstat(s->spoolfd, &spool_st) != 0 || fstat(s->capfd, &cap_st) != 0) {
    errno_error(error, errno, "%s", "stat of the spool/captures directory");
    return NULL;
  }
  if (spool_st.st_dev != cap_st.st_dev) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_CONFIG,
                "the spool %s/spool and the captures directory %s are on different "
                "filesystems: finished files move by rename, so put both on one "
                "filesystem", statedir, capturesdir);
    return NULL;
  }
  s->cap_gid = cap_st.st_gid;
  return g_steal_pointer(&s);
}

int ncap_jobstore_jobs_fd(NcapJobStore *s) { return s->jobsfd; }
int ncap_jobstore_captures_fd(NcapJobStore *s) { return s->capfd; }
gid_t ncap_jobstore_captures_gid(NcapJobStore *s) { return s->cap_gid; }
const char *ncap_jobstore_capturesdir(NcapJobStore *s) { return s->capturesdir; }

static int
open_lock_file(NcapJobStore *s, GError **error)
{
  int fd = openat(s->statefd, "run.lock",
                  O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    errno_error(error, errno, "%s/run.lock", s->statedir);
  return fd;
}

int
ncap_jobstore_trylock(NcapJobStore *s, gboolean *busy, GError **error)
{
  *busy = FALSE;
  int fd = open_lock_file(s, error);
  if (fd < 0)
    return -1;
  while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EINTR)
      continue;
    int e = errno;
    close(fd);
    if (e == EWOULDBLOCK) {
      *busy = TRUE;
      return -1;
    }
    errno_error(error, e, "locking %s/run.lock", s->statedir);
    return -1;
  }
  return fd;
}

gboolean
ncap_jobstore_lock_held(NcapJobStore *s)
{
  gboolean busy = FALSE;
  g_autoptr(GError) error = NULL;
  int fd = ncap_jobstore_trylock(s, &busy, &error);
  if (fd >= 0) {
    close(fd);
    return FALSE;
  }
  /* An error opening the lock file: treat as held, so nothing is salvaged
   * on a guess. */
  return TRUE;
}

gboolean
ncap_jobstore_save(NcapJobStore *s, const NcapJob *job, GError **error)
{
  return ncap_job_save(job, s->jobsfd, error);
}

NcapJob *
ncap_jobstore_load(NcapJobStore *s, const char *id, GError **error)
{
  return ncap_job_load(s->jobsfd, id, error);
}

static gint
cmp_submitted(gconstpointer a, gconstpointer b)
{
  const NcapJob *ja = *(NcapJob *const *)a, *jb = *(NcapJob *const *)b;
  int c = g_strcmp0(ja->submitted, jb->submitted);
  return c != 0 ? c : strcmp(ja->id, jb->id);
}

/* Names of a directory's entries (not . and ..). dirfd is not consumed. */
static GPtrArray *
dir_names(int dirfd, GError **error)
{
  int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    errno_error(error, errno, "%s", "opening a directory");
    return NULL;
  }
  DIR *d = fdopendir(fd);
  if (d == NULL) {
    close(fd);
    errno_error(error, errno, "%s", "reading a directory");
    return NULL;
  }
  GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
  struct dirent *de;
  while ((de = readdir(d)) != NULL)
    if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
      g_ptr_array_add(names, g_strdup(de->d_name));
  closedir(d);
  return names;
}

GPtrArray *
ncap_jobstore_list(NcapJobStore *s, GError **error)
{
  g_autoptr(GPtrArray) names = dir_names(s->jobsfd, error);
  if (names == NULL)
    return NULL;
  GPtrArray *jobs = g_ptr_array_new_with_free_func((GDestroyNotify)ncap_job_free);
  for (guint i = 0; i < names->len; i++) {
    const char *n = g_ptr_array_index(names, i);
    if (strlen(n) != NCAP_JOB_ID_LEN + 5 || !g_str_has_suffix(n, ".json"))
      continue;
    g_autofree char *id = g_strndup(n, NCAP_JOB_ID_LEN);
    if (!ncap_job_id_valid(id, NULL))
      continue;
    g_autoptr(GError) local = NULL;
    NcapJob *job = ncap_job_load(s->jobsfd, id, &local);
    if (job == NULL) {
      fprintf(stderr, "nodecap-helper: warning: %s\n", local->message);
      continue;
    }
    g_ptr_array_add(jobs, job);
  }
  g_ptr_array_sort(jobs, cmp_submitted);
  return jobs;
}

NcapJob *
ncap_jobstore_latest(NcapJobStore *s, GError **error)
{
  g_autoptr(GPtrArray) jobs = ncap_jobstore_list(s, error);
  if (jobs == NULL)
    return NULL;
  if (jobs->len == 0) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_NOT_FOUND, "no saved jobs on this node");
    return NULL;
  }
  return g_ptr_array_steal_index(jobs, jobs->len - 1);
}

NcapJob *
ncap_jobstore_find_running(NcapJobStore *s, GError **error)
{
  if (!ncap_jobstore_lock_held(s))
    return NULL;
  g_autoptr(GPtrArray) jobs = ncap_jobstore_list(s, error);
  if (jobs == NULL)
    return NULL;
  for (guint i = jobs->len; i-- > 0;) {
    NcapJob *j = g_ptr_array_index(jobs, i);
    if (!ncap_job_finished(j))
      return g_ptr_array_steal_index(jobs, i);
  }
  return NULL;
}

int
ncap_jobstore_spool_open(NcapJobStore *s, const char *id, gboolean create,
                         GError **error)
{
  if (!ncap_job_id_valid(id, error))
    return -1;
  g_autofree char *parent = g_build_filename(s->statedir, "spool", NULL);
  return open_subdir(s->spoolfd, parent, id, create, error);
}

void
ncap_jobstore_spool_remove(NcapJobStore *s, const char *id)
{
  if (!ncap_job_id_valid(id, NULL))
    return;
  int fd = openat(s->spoolfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0) {
    g_autoptr(GPtrArray) names = dir_names(fd, NULL);
    for (guint i = 0; names && i < names->len; i++)
      unlinkat(fd, g_ptr_array_index(names, i), 0);
    close(fd);
  }
  unlinkat(s->spoolfd, id, AT_REMOVEDIR);
}

gboolean
ncap_jobstore_move_file(NcapJobStore *s, int spoolfd, const char *name,
                        GError **error)
{
  if (renameat2(spoolfd, name, s->capfd, name, RENAME_NOREPLACE) == 0)
    return TRUE;
  if (errno == EINVAL) {
    /* A filesystem without RENAME_NOREPLACE: link refuses to replace too. */
    if (linkat(spoolfd, name, s->capfd, name, 0) == 0) {
      unlinkat(spoolfd, name, 0);
      return TRUE;
    }
  }
  return errno_error(error, errno, "moving %s to the captures directory", name);
}

/* Does name look like a file of job id: "<node>_<id>_<time>_<seq>.pcapng"? */
static gboolean
is_job_file(const char *name, const char *id)
{
  g_autofree char *needle = g_strdup_printf("_%s_", id);
  return name[0] != '.' && strchr(name, '/') == NULL &&
         g_str_has_suffix(name, ".pcapng") && strstr(name, needle) != NULL;
}

/* Cut a file at its last whole block and describe what is left. Returns
 * NULL when nothing of it is a pcapng file (the file is then removed). */
static NcapJobFile *
salvage_file(int dirfd, const char *name, guint64 *caplen_sum, GError **error)
{
  int fd = openat(dirfd, name, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    errno_error(error, errno, "salvage: opening %s", name);
    return NULL;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO, "salvage: %s is not a regular file",
                name);
    return NULL;
  }
  gsize len = (gsize)st.st_size;
  const guint8 *data = NULL;
  if (len > 0) {
    void *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
      int e = errno;
      close(fd);
      errno_error(error, e, "salvage: reading %s", name);
      return NULL;
    }
    data = m;
  }
  gsize valid = len > 0 ? ncap_pcapng_valid_prefix(data, len) : 0;
  NcapJobFile *f = NULL;
  if (valid > 0) {
    f = ncap_job_file_new(name);
    f->size = valid;
    f->sha256 = g_compute_checksum_for_data(G_CHECKSUM_SHA256, data, valid);
    g_autoptr(NcapPcapngReader) r = ncap_pcapng_reader_new();
    gsize off = 0;
    NcapPcapngBlock b;
    gsize used;
    while (off < valid &&
           ncap_pcapng_reader_next(r, data + off, valid - off, &b, &used, NULL) ==
               NCAP_PCAPNG_BLOCK) {
      if (b.type == NCAP_PCAPNG_BT_EPB) {
        NcapEpbParsed e;
        if (ncap_pcapng_parse_epb(&b, &e, NULL)) {
          f->packets++;
          *caplen_sum += e.caplen;
          ncap_epb_parsed_clear(&e);
        }
      }
      off += used;
    }
  }
  if (len > 0)
    munmap((void *)data, len);
  if (valid == 0) {
    close(fd);
    unlinkat(dirfd, name, 0);
    return NULL;
  }
  if (valid < len && (ftruncate(fd, (off_t)valid) != 0 || fsync(fd) != 0)) {
    int e = errno;
    close(fd);
    ncap_job_file_free(f);
    errno_error(error, e, "salvage: cutting %s", name);
    return NULL;
  }
  close(fd);
  return f;
}

static gint
cmp_file_name(gconstpointer a, gconstpointer b)
{
  const NcapJobFile *fa = *(NcapJobFile *const *)a, *fb = *(NcapJobFile *const *)b;
  return strcmp(fa->name, fb->name);
}

static gboolean
salvage_job(NcapJobStore *s, NcapJob *job, GError **error)
{
  g_autoptr(GPtrArray) files =
      g_ptr_array_new_with_free_func((GDestroyNotify)ncap_job_file_free);
  guint64 caplen_sum = 0;
  /* Files already moved (the worker died between the move and the final
   * record) and files still in the spool. */
  g_autoptr(GPtrArray) cap_names = dir_names(s->capfd, error);
  if (cap_names == NULL)
    return FALSE;
  for (guint i = 0; i < cap_names->len; i++) {
    const char *n = g_ptr_array_index(cap_names, i);
    if (!is_job_file(n, job->id))
      continue;
    g_autoptr(GError) ferr = NULL;
    NcapJobFile *f = salvage_file(s->capfd, n, &caplen_sum, &ferr);
    if (ferr) {
      g_propagate_error(error, g_steal_pointer(&ferr));
      return FALSE;
    }
    if (f)
      g_ptr_array_add(files, f);
  }
  g_autoptr(GError) local = NULL;
  int spoolfd = ncap_jobstore_spool_open(s, job->id, FALSE, &local);
  if (spoolfd >= 0) {
    /* The worker's preallocated room for the final record (worker.h):
     * give it back first, the record below needs it on a full disk. */
    unlinkat(spoolfd, ".reserve", 0);
    g_autoptr(GPtrArray) names = dir_names(spoolfd, error);
    if (names == NULL) {
      close(spoolfd);
      return FALSE;
    }
    for (guint i = 0; i < names->len; i++) {
      const char *n = g_ptr_array_index(names, i);
      if (!is_job_file(n, job->id))
        continue;
      g_autoptr(GError) ferr = NULL;
      NcapJobFile *f = salvage_file(spoolfd, n, &caplen_sum, &ferr);
      if (ferr) {
        g_propagate_error(error, g_steal_pointer(&ferr));
        close(spoolfd);
        return FALSE;
      }
      if (f == NULL)
        continue;
      if (!ncap_jobstore_move_file(s, spoolfd, n, error)) {
        ncap_job_file_free(f);
        close(spoolfd);
        return FALSE;
      }
      g_ptr_array_add(files, f);
    }
    fsync(s->capfd);
    close(spoolfd);
  } else if (!g_error_matches(local, NCAP_ERROR, NCAP_ERROR_NOT_FOUND)) {
    g_propagate_error(error, g_steal_pointer(&local));
    return FALSE;
  }
  g_ptr_array_sort(files, cmp_file_name);
  /* Counts now describe exactly what the files hold (plus what the ring
   * had already discarded), never more. */
  guint64 packets = 0;
  for (guint i = 0; i < files->len; i++) {
    NcapJobFile *f = g_ptr_array_index(files, i);
    NcapJobFile *old = ncap_job_find_file(job, f->name);
    if (old)
      f->first_seq = old->first_seq;
    packets += f->packets;
  }
  job->packets = job->discarded_packets + packets;
  job->bytes = job->discarded_bytes + caplen_sum;
  g_ptr_array_unref(job->files);
  job->files = g_steal_pointer(&files);
  job->worker_pid = 0;
  ncap_job_finish(job, NCAP_JOB_FAILURE, "worker died");
  if (!ncap_jobstore_save(s, job, error))
    return FALSE;
  ncap_jobstore_spool_remove(s, job->id);
  return TRUE;
}

int
ncap_jobstore_salvage_locked(NcapJobStore *s, GError **error)
{
  g_autoptr(GPtrArray) jobs = ncap_jobstore_list(s, error);
  if (jobs == NULL)
    return -1;
  int n = 0;
  for (guint i = 0; i < jobs->len; i++) {
    NcapJob *job = g_ptr_array_index(jobs, i);
    if (ncap_job_finished(job))
      continue;
    if (!salvage_job(s, job, error))
      return -1;
    n++;
  }
  return n;
}

gboolean
ncap_jobstore_refresh(NcapJobStore *s, GError **error)
{
  gboolean busy = FALSE;
  int fd = ncap_jobstore_trylock(s, &busy, error);
  if (fd < 0)
    return busy; /* a live worker holds it: nothing to salvage */
  int n = ncap_jobstore_salvage_locked(s, error);
  close(fd);
  return n >= 0;
}

gboolean
ncap_jobstore_delete(NcapJobStore *s, const NcapJob *job, GError **error)
{
  if (!ncap_job_finished(job)) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_BUSY,
                "job %s is %s: stop it before deleting it", job->id,
                ncap_job_status_name(job->status));
    return FALSE;
  }
  for (guint i = 0; i < job->files->len; i++) {
    NcapJobFile *f = g_ptr_array_index(job->files, i);
    if (strchr(f->name, '/') || f->name[0] == '.')
      continue; /* ncap_job_from_json refuses these; never a path */
    if (unlinkat(s->capfd, f->name, 0) != 0 && errno != ENOENT)
      return errno_error(error, errno, "deleting %s", f->name);
  }
  ncap_jobstore_spool_remove(s, job->id);
  g_autofree char *rec = g_strdup_printf("%s.json", job->id);
  if (unlinkat(s->jobsfd, rec, 0) != 0 && errno != ENOENT)
    return errno_error(error, errno, "deleting the record of job %s", job->id);
  fsync(s->jobsfd);
  return TRUE;
}
