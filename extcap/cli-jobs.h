/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The analyst side of saved jobs: `nodecap start|stop|status|list|delete|
 * fetch HOST[,HOST...]`, each running `nodecap-helper <verb>` on the node
 * over SSH (one session per node, nodes in parallel), and the extcap's
 * *Save on node* (start a job before the live stream, maybe stop it after).
 * The node is the authority: ids, permissions and the one-job lock are
 * checked there and its one-line errors are relayed with its exit status.
 * `fetch` checks every file it downloads against the sha256 in the job
 * record and keeps the node's file names, so `mergecap -w all.pcapng
 * DIR/NAME...` (every .pcapng file) works. See docs/cli.md. */
#ifndef NCAP_CLI_JOBS_H
#define NCAP_CLI_JOBS_H

#include <glib.h>

#include "options.h"
#include "ssh.h"

#define NCAP_CLI_JOBS_USAGE                                                  \
  "  start HOST[,HOST...] -i IFACE [capture options] [--max-size MB]\n"      \
  "        [--file-size MB] [--delete-on-start]\n"                           \
  "        [--destination s3://BUCKET/PREFIX [--upload-delete]] [--json]\n"   \
  "  stop HOST[,HOST...] [ID] [--json]\n"                                     \
  "  status HOST[,HOST...] [ID] [--json]\n"                                   \
  "  list HOST[,HOST...] [--json]\n"                                          \
  "  delete HOST[,HOST...] ID|--all [--json]\n"                               \
  "  fetch HOST[,HOST...] ID [FILE...]|--all [-o DIR] [--json]\n"

/* argv[0] is the program, argv[1] the verb (start, stop, status, list,
 * delete or fetch). */
gboolean ncap_cli_jobs_run(int argc, char **argv, GError **error);

/* A light local check of an upload destination (scheme s3://, a bucket
 * name), so a typo fails before any connection; the node's parser
 * (remote/s3.c) is the authority on bucket and prefix rules. */
gboolean ncap_jobs_check_destination(const char *destination, GError **error);

/* The extcap's Save on node: run `<helper> start <opts> --json` on the
 * node (opts as for a saved job: max/file size, delete on start), with
 * `--destination D [--upload-delete]` when destination is not NULL.
 * Returns the job id; transfer full. */
char *ncap_jobs_start_saved(const NcapSshConfig *cfg, const char *helper,
                            const NcapCaptureOpts *opts,
                            const char *destination, bool upload_delete,
                            GError **error);
/* `<helper> stop ID` on the node (waits until the job has finished). */
gboolean ncap_jobs_stop_saved(const NcapSshConfig *cfg, const char *helper,
                              const char *id, GError **error);

/* The CLI's SSH options (the capture verb's), implemented in cli.c so both
 * files parse them the same way. */
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
