/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Forced-command mode: `nodecap-helper --ssh` in authorized_keys
 * (restrict,command="nodecap-helper --ssh"). sshd puts what the client asked
 * to run in SSH_ORIGINAL_COMMAND; this module turns it into an argv without
 * a shell and lets through only what the helper itself would accept:
 *
 *  - no NUL, newline or other control character, at most 8 KiB;
 *  - no '#' outside quotes (g_shell_parse_argv would silently drop the rest
 *    of the line as a comment, so what runs would differ from what the
 *    client sent);
 *  - split with g_shell_parse_argv (no expansion: ';', '|', '`', '$()'
 *    stay literal text inside a token, and then fail the allow-list);
 *  - the first token is the helper: a word whose basename is
 *    "nodecap-helper";
 *  - then the global options (--json, --node NAME), exactly one known verb,
 *    and only that verb's options, each option's value the next token or
 *    after '='; positional words only where the verb takes them (a job id of
 *    32 hex digits, a file name without '/'). A "--", a bundle of short
 *    options, an option value that starts with '-', --ssh, --as, or any
 *    other token is refused with a message naming it. */
#ifndef NCAP_SSHCMD_H
#define NCAP_SSHCMD_H

#include <glib.h>

/* Verbs the forced command accepts, NULL-terminated. Transfer none. */
const char *const *ncap_sshcmd_verbs(void);

/* Check and split command. Returns the argv to run, with argv[0] set to
 * "nodecap-helper" (transfer full, g_strfreev), and *verb_index (if not
 * NULL) the index of the verb in it. Error NCAP_ERROR_INVALID
 * "forced command: <why>". */
char **ncap_sshcmd_parse(const char *command, int *verb_index,
                         GError **error);

/* Does the forced command let option `name` ("-i", "--src-host") through
 * for verb (or as a global option when verb is NULL)? For tests that keep
 * this allow-list in step with common/options.c. */
gboolean ncap_sshcmd_allows_option(const char *verb, const char *name);

/* Index of the verb in a helper argv (global options skipped), or -1. */
int ncap_sshcmd_find_verb(int argc, char **argv);

#endif
