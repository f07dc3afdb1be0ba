/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Descriptor plumbing shared by the helper's processes: writing a whole
 * buffer to a blocking fd (job records, fetch to stdout, the stream's
 * header, the worker's report) and closing every fd a child must not hold
 * (the saved-job worker, the uploader). */
#ifndef NCAP_FDIO_H
#define NCAP_FDIO_H
#include <glib.h>

/* Writes len bytes, retrying short writes and EINTR. Returns the bytes
 * written: len, or fewer with errno set by the write that failed. */
gsize ncap_write_full(int fd, const void *data, gsize len);

/* Close every descriptor >= 3 that is not in keep[] (0-2 and duplicates in
 * keep are fine; order does not matter). close_range where the kernel has
 * it, else a walk of /proc/self/fd. FALSE with errno set when neither
 * works (nothing was closed then). */
gboolean ncap_fd_close_all_except(const int *keep, int n_keep);

#endif
