/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Writing a whole buffer to a blocking fd, shared by the helper's verbs
 * (job records, fetch to stdout, the stream's header). */
#ifndef NCAP_FDIO_H
#define NCAP_FDIO_H
#include <glib.h>

/* Writes len bytes, retrying short writes and EINTR. Returns the bytes
 * written: len, or fewer with errno set by the write that failed. */
gsize ncap_write_full(int fd, const void *data, gsize len);

#endif
