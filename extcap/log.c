/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The program's log: see log.h. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "ncap-error.h"
#include "ncap-text.h"

static FILE *log_fp;
static int log_level = 1; /* 0 error, 1 warning, 2 info, 3 debug */

gboolean
ncap_log_init(const char *level, const char *path, GError **error)
{
  static const char *names[] = {"error", "warning", "info", "debug"};

  if (level != NULL && *level != '\0') {
    int i;
    for (i = 0; i < 4; i++)
      if (g_ascii_strcasecmp(level, names[i]) == 0)
        break;
    if (i == 4) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                  "--log-level %s: must be error, warning, info or debug",
                  level);
      return FALSE;
    }
    log_level = i;
  }
  if (path != NULL && *path != '\0') {
    log_fp = fopen(path, "a");
    if (log_fp == NULL) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO, "--log-file %s: %s",
                  path, g_strerror(errno));
      return FALSE;
    }
  }
  return TRUE;
}

int
ncap_log_level(void)
{
  return log_level;
}

gboolean
ncap_log_enabled(void)
{
  return log_fp != NULL;
}

void
ncap_log_line(const char *tag, const char *text)
{
  if (log_fp == NULL)
    return;
  g_autoptr(GDateTime) now = g_date_time_new_now_local();
  g_autofree char *ts = g_date_time_format(now, "%Y-%m-%d %H:%M:%S.%f");
  /* Log lines quote nodes (banners, stderr, names): escaped and bounded,
   * one line each. */
  g_autofree char *clean = ncap_text_clean(text, -1, NCAP_TEXT_MESSAGE_MAX);
  fprintf(log_fp, "%s [%d] %s: %s\n", ts, (int)getpid(), tag, clean);
  fflush(log_fp);
}

void
ncap_log(const char *fmt, ...)
{
  if (log_fp == NULL)
    return;
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  ncap_log_line("nodecap", msg);
}
