/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "ncap-error.h"

#include <stdio.h>

G_DEFINE_QUARK(nodecap-error-quark, ncap_error)

int
ncap_error_exit_status(const GError *error)
{
  if (error == NULL)
    return 0;
  if (error->domain != NCAP_ERROR || error->code < NCAP_ERROR_FAILED ||
      error->code > NCAP_ERROR_PRIV)
    return 1;
  return error->code;
}

void
ncap_error_print(const char *prog, const GError *error)
{
  g_autofree char *line = g_strdup(error ? error->message : "unknown error");
  for (char *p = line; *p; p++)
    if (*p == '\n' || *p == '\r')
      *p = ' ';
  if (prog)
    fprintf(stderr, "%s: %s\n", prog, line);
  else
    fprintf(stderr, "%s\n", line);
  fflush(stderr);
}
