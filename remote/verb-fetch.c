/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `nodecap-helper fetch ID [FILE]`: write one finished file of a saved job
 * to stdout. FILE is looked up by exact name in the job's record and opened
 * relative to the captures directory without following links; it is never
 * used as a path. The sha256 of what was sent is checked against the record
 * and a mismatch fails the call (after the bytes: the client also checks). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdio.h"
#include "helper.h"
#include "job.h"
#include "jobstore.h"
#include "ncap-error.h"
#include "goption.h"
#include "security.h"

#define FETCH_CHUNK (1024 * 1024)

static gboolean
write_all(int fd, const guint8 *p, gsize len, GError **error)
{
  if (ncap_write_full(fd, p, len) == len)
    return TRUE;
  g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO, "fetch: writing to stdout: %s",
              g_strerror(errno));
  return FALSE;
}

gboolean
ncap_verb_fetch(NcapHelper *h, int argc, char **argv, GError **error)
{
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Accepted for symmetry (output is the file)", NULL},
      {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new(
      "ID [FILE] - write a saved file to stdout (FILE: a name from `status ID`)");
  g_option_context_add_main_entries(ctx, entries, NULL);
  if (!ncap_goption_parse(ctx, "fetch", &argc, &argv, error))
    return FALSE;
  if (argc < 2 || argc > 3) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID, "fetch: give a job id and optionally a file name");
    return FALSE;
  }
  const char *id = argv[1], *want = argc == 3 ? argv[2] : NULL;
  if (!ncap_job_id_valid(id, error))
    return FALSE;
  if (!ncap_policy_require(h, "captures.read", error))
    return FALSE;
  g_autoptr(NcapJobStore) store = ncap_jobstore_open(h->statedir, h->capturesdir, error);
  if (store == NULL || !ncap_jobstore_refresh(store, error))
    return FALSE;
  g_autoptr(NcapJob) job = ncap_jobstore_load(store, id, error);
  if (job == NULL)
    return FALSE;
  if (!ncap_job_finished(job)) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_BUSY,
                "fetch: job %s is still %s; its files can be fetched once it has finished",
                job->id, ncap_job_status_name(job->status));
    return FALSE;
  }
  NcapJobFile *f = NULL;
  if (want) {
    f = ncap_job_find_file(job, want);
    if (f == NULL) {
      g_autofree char *shown = g_strndup(want, 80);
      for (char *p = shown; *p; p++)
        if (!g_ascii_isprint(*p))
          *p = '?';
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_NOT_FOUND,
                  "fetch: job %s has no file \"%s\" (see status %s)", job->id, shown, job->id);
      return FALSE;
    }
  } else if (job->files->len == 1) {
    f = g_ptr_array_index(job->files, 0);
  } else if (job->files->len == 0) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_NOT_FOUND, "fetch: job %s has no files", job->id);
    return FALSE;
  } else {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                "fetch: job %s has %u files; name one (see status %s)", job->id,
                job->files->len, job->id);
    return FALSE;
  }
  int fd = openat(ncap_jobstore_captures_fd(store), f->name,
                  O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    int e = errno;
    g_set_error(error, NCAP_ERROR, e == ENOENT ? NCAP_ERROR_NOT_FOUND : NCAP_ERROR_IO,
                "fetch: %s: %s", f->name, g_strerror(e));
    return FALSE;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (guint64)st.st_size != f->size) {
    close(fd);
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO,
                "fetch: %s is not the file the job recorded (changed since)", f->name);
    return FALSE;
  }
  g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
  g_autofree guint8 *buf = g_malloc(FETCH_CHUNK);
  guint64 sent = 0;
  for (;;) {
    ssize_t n = read(fd, buf, FETCH_CHUNK);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int e = errno;
      close(fd);
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO, "fetch: reading %s: %s", f->name,
                  g_strerror(e));
      return FALSE;
    }
    if (n == 0)
      break;
    g_checksum_update(sum, buf, (gssize)n);
    if (!write_all(STDOUT_FILENO, buf, (gsize)n, error)) {
      close(fd);
      return FALSE;
    }
    sent += (guint64)n;
  }
  close(fd);
  if (sent != f->size || (f->sha256 && strcmp(f->sha256, g_checksum_get_string(sum)) != 0)) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO,
                "fetch: %s does not match its sha256 in the job record", f->name);
    return FALSE;
  }
  return TRUE;
}
