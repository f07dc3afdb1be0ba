/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The analyst side of saved jobs: `nodecap start|stop|status|list|delete|
 * fetch HOST[,HOST...]`, each running `nodecap-helper <verb>` on the node
 * over SSH (one session per node, nodes in parallel), and the extcap's
 * *Save on node* (start a job before the live stream, maybe stop it after).
 * The node is the authority: ids, permissions and the one-job lock are
 * checked there and its one-line errors are relayed with its exit status.
 * Records, fetch and Save on node are jobs.c's; the SSH options cli-ssh.c's.
 * `fetch` checks every file it downloads against the sha256 in the job
 * record and keeps the node's file names, so `mergecap -w all.pcapng
 * DIR/NAME...` (every .pcapng file) works. See docs/cli.md. */
#ifndef NCAP_CLI_JOBS_H
#define NCAP_CLI_JOBS_H

#include <glib.h>

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

#endif
