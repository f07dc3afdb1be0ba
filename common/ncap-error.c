/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "ncap-error.h"

#include <stdio.h>

#include "ncap-text.h"

G_DEFINE_QUARK(nodecap-error-quark, ncap_error)

int
ncap_error_exit_status(const GError *error)
{
  if (error == NULL)
    return 0;
  if (error->domain != NCAP_ERROR)
    return 1;
  if (error->code == NCAP_ERROR_SIGINT || error->code == NCAP_ERROR_SIGTERM)
    return error->code;
  if (error->code < NCAP_ERROR_FAILED || error->code > NCAP_ERROR_LAST)
    return 1;
  return error->code;
}

void
ncap_error_print(const char *prog, const GError *error)
{
  g_autofree char *flat = g_strdup(error ? error->message : "unknown error");
  for (char *p = flat; *p; p++)
    if (*p == '\n' || *p == '\r')
      *p = ' ';
  /* Messages carry text from nodes: never a control character to the
   * terminal (the node's part was already cut to NCAP_TEXT_LINE_MAX). */
  g_autofree char *line = ncap_text_clean(flat, -1, NCAP_TEXT_MESSAGE_MAX);
  if (prog)
    fprintf(stderr, "%s: %s\n", prog, line);
  else
    fprintf(stderr, "%s\n", line);
  fflush(stderr);
}
