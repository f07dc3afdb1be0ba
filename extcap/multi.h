/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Live capture on several nodes at once (docs/design.md "Multi-node",
 * docs/multinode.md): one SSH session per node, connected concurrently
 * (a thread per node, each with its own time-outs), the node's clock
 * offset measured at connect, every node's `nodecap-helper stream` merged
 * by common/merge into one pcapng stream written to Wireshark's fifo or a
 * file. A node that fails is reported (stderr, log, and a comment in the
 * stream) and the others keep flowing; the capture fails only when every
 * node failed. Every stop closes every channel, so no helper is left. */
#ifndef NCAP_MULTI_H
#define NCAP_MULTI_H

#include <glib.h>
#include <stdbool.h>

#include "agentless.h"
#include "options.h"
#include "report.h"
#include "ssh.h"

/* Defaults of --merge-window-ms / --merge-window-mb (common/merge.h). */
#define NCAP_MULTI_DEFAULT_WINDOW_MS 500
#define NCAP_MULTI_DEFAULT_WINDOW_MB 32
/* Their bounds: the CLI's help, the dialog's ranges and the check below. */
#define NCAP_MULTI_WINDOW_MS_MIN 1
#define NCAP_MULTI_WINDOW_MS_MAX 60000
#define NCAP_MULTI_WINDOW_MB_MIN 1
#define NCAP_MULTI_WINDOW_MB_MAX 4096

/* One source of the capture: a node, or one interface of a node when
 * several are captured there (ncap_multi_hosts_set_ifaces). */
typedef struct {
  char *target; /* as typed: "user@host:port" */
  char *name;   /* the node's name: the if_name prefix (NODE:IFACE) */
  char *iface;  /* NULL: the capture options' interface; else this one */
  char *source; /* messages and the report: name, or name:iface */
} NcapMultiHost;

/* Split a host list "nodeA,nodeB:2222,user@nodeC,[v6]:port" (spaces
 * around entries are ignored) and check each entry. Each node is named
 * after its host as typed without user@ and :port, like a single node;
 * when two entries share a host (two ports on one machine), both are
 * named by the whole entry, so if_names stay unique. An entry listed
 * twice is an error. Returns a GPtrArray of NcapMultiHost (transfer
 * full). */
GPtrArray *ncap_multi_parse_hosts(const char *list, GError **error);

/* The interface list of -i / --remote-interface, "eth0,eth1" (spaces
 * around entries are ignored), each checked as -i checks one (NULL: "-i:
 * an interface is required"). Refused, NCAP_ERROR_INVALID: an empty
 * entry, an interface listed twice, "any" with another name, and more
 * than NCAP_MERGE_MAX_SOURCES sources (n_hosts times the interfaces).
 * Returns a NULL-terminated vector of at least one name (transfer full). */
char **ncap_multi_parse_ifaces(const char *list, guint n_hosts,
                               GError **error);

/* With more than one interface, hosts becomes one source per (host,
 * interface), host by host: each keeps its host's target and name (so
 * its helper names the IDB NODE:IFACE and the plugin sees one node with
 * several interfaces), with iface set and source "NODE:IFACE". Each
 * source is its own SSH session and helper (libssh sessions are not
 * shared between threads). One interface: hosts is left as it is. */
void ncap_multi_hosts_set_ifaces(GPtrArray *hosts, char *const *ifaces);

typedef struct {
  guint64 window_ms;   /* 0 = NCAP_MULTI_DEFAULT_WINDOW_MS */
  guint64 window_mb;   /* 0 = NCAP_MULTI_DEFAULT_WINDOW_MB */
  bool clock_correct;  /* subtract each node's measured offset */
  bool allow_partial;  /* a capture where only some nodes failed succeeds */
  NcapCaptureWith capture_with; /* agentless.h; 0 = auto */
  NcapRemotePriv remote_priv;   /* for dumpcap/tcpdump on the node */
  NcapReport *report;  /* NULL, or told each source's stream (transfer
                        * none); source i is hosts[i] */
  const char *note;    /* NULL, or a comment on the first packet written
                        * (takes the merge path even for one node) */
} NcapMultiOpts;

/* --merge-window-ms / --merge-window-mb (NULL: not given, the default) into
 * mo, checked against the bounds above (NCAP_ERROR_INVALID). */
gboolean ncap_multi_opts_set_windows(NcapMultiOpts *mo, const char *ms,
                                     const char *mb, GError **error);

/* Capture on every host (base: the SSH options they share; each host's
 * user@ and :port override it) and write the merged stream to out_path
 * ("-" = stdout; a fifo is opened write-only). Runs until every node has
 * ended, a stop signal, or the reader went away. When every node failed:
 * with one node, that node's own error; with several, "all N nodes
 * failed: ..." with the first node's error code. When only some failed,
 * the others' packets are written in full and it fails with
 * NCAP_ERROR_PARTIAL (exit 20), unless mopts->allow_partial. */
gboolean ncap_multi_stream(const NcapSshConfig *base, GPtrArray *hosts,
                           const char *helper, const NcapCaptureOpts *opts,
                           const NcapMultiOpts *mopts, const char *out_path,
                           bool out_is_fifo, GError **error);

/* What the extcap and the CLI call: one node without clock correction
 * takes the direct relay (ncap_node_stream: the helper's bytes as they
 * are, measured ~25 % less CPU in nodecap than through the merge, 200k
 * packets on loopback), anything else ncap_multi_stream. */
gboolean ncap_multi_capture(const NcapSshConfig *base, GPtrArray *hosts,
                            const char *helper, const NcapCaptureOpts *opts,
                            const NcapMultiOpts *mopts, const char *out_path,
                            bool out_is_fifo, GError **error);

#endif
