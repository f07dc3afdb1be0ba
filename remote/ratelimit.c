/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Per-user rate and concurrency limits (see ratelimit.h). */
#include "ratelimit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ncap-error.h"

char *
ncap_ratelimit_key(uid_t uid, const char *as_name)
{
  if (as_name)
    return g_strdup_printf("as-%s", as_name);
  return g_strdup_printf("%u", (unsigned)uid);
}

/* Open <statedir>/rate, creating it 0700. Never follows a symlink. */
static int
open_rate_dir(const char *statedir, GError **error)
{
  g_autofree char *dir = g_build_filename(statedir, "rate", NULL);
  if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO, "rate state %s: %s", dir,
                g_strerror(errno));
    return -1;
  }
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO, "rate state %s: %s", dir,
                g_strerror(errno));
  return fd;
}

static bool
safe_key(const char *key)
{
  if (!key || !*key || key[0] == '.' || strlen(key) > 200)
    return false;
  for (const char *k = key; *k; k++)
    if (!(g_ascii_isalnum(*k) || *k == '-' || *k == '_' || *k == '.'))
      return false;
  return true;
}

gboolean
ncap_ratelimit_take_simple(const char *statedir, const char *key,
                           guint interval, gint64 now, GError **error)
{
  if (interval == 0)
    return TRUE;
  if (!safe_key(key)) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID, "bad user key");
    return FALSE;
  }
  int dfd = open_rate_dir(statedir, error);
  if (dfd < 0)
    return FALSE;
  int fd = openat(dfd, key, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  int e = errno;
  close(dfd);
  if (fd < 0) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO, "rate state %s/rate/%s: %s",
                statedir, key, g_strerror(e));
    return FALSE;
  }
  gboolean ok = FALSE;
  if (flock(fd, LOCK_EX) != 0) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO, "rate state lock: %s",
                g_strerror(errno));
    goto out;
  }
  char buf[64] = {0};
  ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  gint64 last = 0;
  if (n > 0) {
    buf[n] = '\0';
    last = g_ascii_strtoll(buf, NULL, 10);
  }
  /* A last time in the future (clock set back) would lock the user out for
   * as long; count it as at most one interval ago. */
  if (last > now)
    last = now;
  if (last > 0 && now - last < (gint64)interval) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_BUSY,
                "rate limit: one simple capture per %u s; try again in %"
                G_GINT64_FORMAT " s",
                interval, (gint64)interval - (now - last));
    goto out;
  }
  int len = snprintf(buf, sizeof buf, "%" G_GINT64_FORMAT "\n", now);
  if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)len, 0) != len) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO, "rate state write: %s",
                g_strerror(errno));
    goto out;
  }
  ok = TRUE;
out:
  close(fd); /* releases the lock */
  return ok;
}

int
ncap_ratelimit_stream_slot(const char *statedir, const char *key,
                           const char *user, guint max_streams,
                           GError **error)
{
  if (!safe_key(key)) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID, "bad user key");
    return -1;
  }
  int dfd = open_rate_dir(statedir, error);
  if (dfd < 0)
    return -1;
  for (guint i = 0; i < max_streams; i++) {
    g_autofree char *name = g_strdup_printf("%s.stream%u", key, i);
    int fd = openat(dfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO, "stream slot %s: %s", name,
                  g_strerror(errno));
      close(dfd);
      return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
      close(dfd);
      return fd;
    }
    close(fd);
  }
  close(dfd);
  g_set_error(error, NCAP_ERROR, NCAP_ERROR_BUSY,
              "too many concurrent streams for %s (limit %u, nodecap.conf [streams] "
              "max_per_user; each interface of a capture is one); stop one first",
              user ? user : key, max_streams);
  return -1;
}
