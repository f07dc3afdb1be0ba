/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The program's log: a file the user names (--log-file), never stderr nor
 * the capture; every line time-stamped, with the pid and a tag, node text
 * in it escaped and bounded (ncap-text.h). Used by every module of the
 * analyst side; ssh.c routes libssh's own log here (ncap_ssh_log_init). */
#ifndef NCAP_LOG_H
#define NCAP_LOG_H

#include <glib.h>

/* Open the log. level: "error", "warning" (default), "info", "debug";
 * path: NULL or "" = no log. NCAP_ERROR_INVALID for a bad level,
 * NCAP_ERROR_IO when the file cannot be opened. Call once. */
gboolean ncap_log_init(const char *level, const char *path, GError **error);

/* 0 error, 1 warning, 2 info, 3 debug. */
int ncap_log_level(void);
/* TRUE when a log file is open. */
gboolean ncap_log_enabled(void);

/* One line "TIME [PID] TAG: TEXT" (text escaped, cut at 4 KiB). */
void ncap_log_line(const char *tag, const char *text);
/* One line of our own (tag "nodecap"). */
void ncap_log(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

#endif
