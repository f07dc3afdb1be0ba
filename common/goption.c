/* SPDX-License-Identifier: GPL-2.0-or-later */
/* See goption.h. */
#include "goption.h"

#include "ncap-error.h"

static gboolean
invalid(const char *prefix, GError *local, GError **error)
{
  const char *msg = local ? local->message : "invalid arguments";
  if (prefix)
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID, "%s: %s", prefix, msg);
  else
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID, "%s", msg);
  g_clear_error(&local);
  return FALSE;
}

gboolean
ncap_goption_parse_strv(GOptionContext *ctx, const char *prefix, char ***args, GError **error)
{
  GError *local = NULL;
  if (!g_option_context_parse_strv(ctx, args, &local))
    return invalid(prefix, local, error);
  return TRUE;
}

gboolean
ncap_goption_parse(GOptionContext *ctx, const char *prefix, int *argc, char ***argv,
                   GError **error)
{
  GError *local = NULL;
  if (!g_option_context_parse(ctx, argc, argv, &local))
    return invalid(prefix, local, error);
  return TRUE;
}
