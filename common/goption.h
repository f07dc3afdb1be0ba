/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Command-line parsing of both programs (the helper's verbs, the extcap and
 * the CLI): GOptionContext, with its errors turned into ours in one way. */
#ifndef NCAP_GOPTION_H
#define NCAP_GOPTION_H

#include <glib.h>

/* g_option_context_parse_strv(ctx, args). A parse error (unknown option,
 * bad value, or an error set by an option callback) becomes
 * NCAP_ERROR_INVALID (exit 2) with GOption's message, after "PREFIX: "
 * when prefix is not NULL (a helper verb names itself). */
gboolean ncap_goption_parse_strv(GOptionContext *ctx, const char *prefix, char ***args,
                                 GError **error);
/* The same with g_option_context_parse(ctx, argc, argv). */
gboolean ncap_goption_parse(GOptionContext *ctx, const char *prefix, int *argc, char ***argv,
                            GError **error);

#endif
