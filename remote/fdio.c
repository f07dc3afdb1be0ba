/* SPDX-License-Identifier: GPL-2.0-or-later */
/* See fdio.h. */
#include "fdio.h"

#include <errno.h>
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
