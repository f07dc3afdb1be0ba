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
#include "ssh.h"

#define NCAP_DEFAULT_HELPER "nodecap-helper"

/* The one mapping of a helper that ended with a non-zero status to the
 * text of an error (no host prefix): 127 "helper H not found on the node
 * (exit 127)", 126 "helper H cannot be run on the node (exit 126)", no
 * status (< 0) "helper H ended without an exit status", else the helper's
 * last stderr line (or "helper H failed without a message") and
 * " (exit N)"; the last stderr line follows ": " in the first three.
 * *code: the NCAP_ERROR code (the helper's own for N, else REMOTE).
 * Transfer full. */
char *ncap_node_helper_failure(const char *helper, int status, const char *err,
                               int *code);
/* The same as an error "<host>: <text>" with that code. */
void ncap_node_set_helper_error(GError **error, const char *host, const char *helper,
                                int status, const char *err);

/* "<helper> <verb> <args...>", every word quoted with g_shell_quote: the
 * node may run the helper as a forced command that splits it with
 * g_shell_parse_argv. Transfer full. */
char *ncap_node_helper_command(const char *helper, const char *verb,
                               const char *const *args);

/* "<helper> stream --node <node> <capture argv>", quoted. Transfer full. */
char *ncap_node_stream_command(const char *helper, const char *node,
                               const NcapCaptureOpts *opts);

/* Connect, start the stream and relay it to out_path ("-" = stdout) until
 * the helper ends or we are stopped. */
gboolean ncap_node_stream(const NcapSshConfig *cfg, const char *helper,
                          const NcapCaptureOpts *opts, const char *out_path,
                          bool out_is_fifo, GError **error);

/* Bounds on a node's interface list (docs/security.md): interfaces kept,
 * bytes of a name (longer ones are left out), bytes of a description or
 * address (longer ones are cut), addresses per interface. */
#define NCAP_NODE_MAX_IFACES 1024u
#define NCAP_NODE_IFACE_NAME_MAX 256u
#define NCAP_NODE_IFACE_TEXT_MAX 256u
#define NCAP_NODE_MAX_ADDRESSES 64u

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
