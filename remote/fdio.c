/* SPDX-License-Identifier: GPL-2.0-or-later */
/* See fdio.h. */
#include "fdio.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

gsize
ncap_write_full(int fd, const void *data, gsize len)
{
  const char *p = data;
  gsize done = 0;
  while (done < len) {
    ssize_t n = write(fd, p + done, len - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    done += (gsize)n;
  }
  return done;
}

static int
cmp_int(const void *a, const void *b)
{
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

/* Without close_range (kernels before 5.9): walk /proc/self/fd. */
static gboolean
close_by_proc(const int *keep, int n_keep)
{
  DIR *d = opendir("/proc/self/fd");
  if (!d)
    return FALSE;
  g_autoptr(GArray) fds = g_array_new(FALSE, FALSE, sizeof(int));
  struct dirent *e;
  while ((e = readdir(d))) {
    if (!g_ascii_isdigit(e->d_name[0]))
      continue;
    int fd = atoi(e->d_name);
    if (fd > 2 && fd != dirfd(d))
      g_array_append_val(fds, fd);
  }
  closedir(d);
  for (guint i = 0; i < fds->len; i++) {
    int fd = g_array_index(fds, int, i);
    if (!bsearch(&fd, keep, (gsize)n_keep, sizeof(int), cmp_int))
      close(fd);
  }
  return TRUE;
}

gboolean
ncap_fd_close_all_except(const int *keep, int n_keep)
{
  g_autofree int *sorted = g_new(int, MAX(n_keep, 1));
  int n = 0;
  for (int i = 0; i < n_keep; i++)
    if (keep[i] > 2)
      sorted[n++] = keep[i];
  qsort(sorted, (gsize)n, sizeof(int), cmp_int);
  unsigned from = 3;
  for (int i = 0; i < n; i++) {
    if ((unsigned)sorted[i] > from &&
        close_range(from, (unsigned)sorted[i] - 1, 0) != 0)
      return close_by_proc(sorted, n);
    from = (unsigned)sorted[i] + 1;
  }
  if (close_range(from, ~0u, 0) != 0)
    return close_by_proc(sorted, n);
  return TRUE;
}
