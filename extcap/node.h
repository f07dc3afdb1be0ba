/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the analyst side asks of one node, shared by the extcap and the
 * CLI: the helper command lines (every word quoted with g_shell_quote, as
 * a forced-command helper parses them with g_shell_parse_argv), a live
 * stream relayed to a fifo or file, and the interface list. */
#ifndef NCAP_NODE_H
#define NCAP_NODE_H

#include <glib.h>
#include <stdbool.h>

#include "options.h"
#include "report.h"
#include "ssh.h"

#define NCAP_DEFAULT_HELPER "nodecap-helper"

/* "<helper> stream --node <node> <capture argv>", quoted. Transfer full. */
char *ncap_node_stream_command(const char *helper, const char *node,
                               const NcapCaptureOpts *opts);

/* Connect, start the stream and relay it to out_path ("-" = stdout) until
 * the helper ends or we are stopped. report: NULL, or told what passes
 * (transfer none). */
gboolean ncap_node_stream(const NcapSshConfig *cfg, const char *helper,
                          const NcapCaptureOpts *opts, const char *out_path,
                          bool out_is_fifo, NcapReport *report,
                          GError **error);

typedef struct {
  char *name, *description;
  char **addresses;
  bool up;
} NcapNodeIface;
void ncap_node_iface_free(NcapNodeIface *iface);

/* Run "<helper> interfaces --json" with a hard time-out for the whole
 * call. Returns a GPtrArray of NcapNodeIface (transfer full); raw_json,
 * when not NULL, gets the helper's output (transfer full). */
GPtrArray *ncap_node_interfaces(const NcapSshConfig *cfg, const char *helper,
                                int timeout_ms, char **raw_json,
                                GError **error);

#endif
