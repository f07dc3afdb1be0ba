/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The CLI's SSH options (-p, -l, --sshkey, -J, --remote-helper ...): one
 * option group parsed the same way by every verb (cli.c's capture and
 * interfaces, cli-jobs.c's saved-job verbs), turned into the connection to
 * one node. See docs/cli.md. */
#ifndef NCAP_CLI_SSH_H
#define NCAP_CLI_SSH_H

#include <glib.h>

#include "ssh.h"

typedef struct NcapCliSsh NcapCliSsh;
NcapCliSsh *ncap_cli_ssh_new(void); /* transfer full */
void ncap_cli_ssh_free(NcapCliSsh *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NcapCliSsh, ncap_cli_ssh_free)
/* The option group filling s; transfer full (to a GOptionContext). */
GOptionGroup *ncap_cli_ssh_group(NcapCliSsh *s);
/* The helper path on the node; transfer none. */
const char *ncap_cli_ssh_helper(const NcapCliSsh *s);
/* The connection options as given, for a command printed as a hint
 * (" -p 2222 --sshkey FILE ..."; empty when none; never a password).
 * Transfer full. */
char *ncap_cli_ssh_hint_options(const NcapCliSsh *s);
/* The connection to one node (sets up logging). */
gboolean ncap_cli_ssh_config(const NcapCliSsh *s, const char *host,
                             NcapSshConfig *cfg, GError **error);

#endif
