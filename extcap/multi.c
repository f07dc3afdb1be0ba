/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Multi-node live capture: see multi.h and docs/multinode.md ("How the
 * extcap drives it"). Threads only connect: each node's thread connects,
 * authenticates, measures the clock and starts the stream channel, then
 * hands its session to the main thread, which alone reads the channels,
 * feeds the merge and writes the output. A session is thus used by one
 * thread at a time, which is all libssh asks. */
#include "multi.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "merge.h"
#include "ncap-error.h"
#include "node.h"
#include "pcapng-check.h"
#include "port.h"
#include "relay.h"

/* libssh grows a channel's window to the size of a read (docs/wireshark-facts.md). */
#define MULTI_BUF_SIZE (4u << 20)
/* Reads of one node per round before the others get their turn. */
#define MULTI_READS_PER_ROUND 4
#define MULTI_STDERR_KEEP 8192
#define MULTI_KEEPALIVE_US (15 * G_USEC_PER_SEC)
/* Wake up at least this often: signals, keepalives, the merge window. */
#define MULTI_POLL_MAX_MS 100
#define MULTI_CLOCK_SAMPLES 3
/* The first answer waits for the helper to start: a login shell with a
 * heavy profile on a loaded node takes seconds. Later ones are one round
 * trip. */
#define MULTI_CLOCK_START_TIMEOUT_US (60 * G_USEC_PER_SEC)
#define MULTI_CLOCK_TIMEOUT_US (10 * G_USEC_PER_SEC)

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(NcapSshConfig, ncap_ssh_config_clear)

/* ---- host list -------------------------------------------------------- */

static void
multi_host_free(NcapMultiHost *h)
{
  g_free(h->target);
  g_free(h->name);
  g_free(h->iface);
  g_free(h->source);
  g_free(h);
}

gboolean
ncap_multi_opts_set_windows(NcapMultiOpts *mo, const char *ms, const char *mb,
                            GError **error)
{
  if (ms != NULL &&
      !ncap_parse_u64("--merge-window-ms", ms, NCAP_MULTI_WINDOW_MS_MIN,
                      NCAP_MULTI_WINDOW_MS_MAX, &mo->window_ms, error))
    return FALSE;
  if (mb != NULL &&
      !ncap_parse_u64("--merge-window-mb", mb, NCAP_MULTI_WINDOW_MB_MIN,
                      NCAP_MULTI_WINDOW_MB_MAX, &mo->window_mb, error))
    return FALSE;
  return TRUE;
}

GPtrArray *
ncap_multi_parse_hosts(const char *list, GError **error)
{
  g_autoptr(GPtrArray) hosts =
      g_ptr_array_new_with_free_func((GDestroyNotify)multi_host_free);
  g_auto(GStrv) parts = NULL;

  if (list == NULL || strspn(list, " \t,") == strlen(list)) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                "no node given: set the remote host (--remote-host)");
    return NULL;
  }
  parts = g_strsplit(list, ",", -1);
  for (char **p = parts; *p; p++) {
    g_auto(NcapSshConfig) cfg = {0};
    g_strstrip(*p);
    if (**p == '\0') {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                  "remote host list \"%s\": empty entry", list);
      return NULL;
    }
    if (!ncap_ssh_config_set_target(&cfg, *p, error))
      return NULL;
    for (guint i = 0; i < hosts->len; i++) {
      NcapMultiHost *o = g_ptr_array_index(hosts, i);
      if (strcmp(o->target, *p) == 0) {
        g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                    "remote host list \"%s\": %s is listed twice", list, *p);
        return NULL;
      }
    }
    if (hosts->len >= NCAP_MERGE_MAX_SOURCES) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                  "remote host list: at most %d nodes",
                  NCAP_MERGE_MAX_SOURCES);
      return NULL;
    }
    NcapMultiHost *h = g_new0(NcapMultiHost, 1);
    h->target = g_strdup(*p);
    h->name = g_steal_pointer(&cfg.host);
    g_ptr_array_add(hosts, h);
  }
  /* Same host twice (other port or user): the host alone would give two
   * nodes one name, and the plugin could not tell them apart. Decided on
   * the host names before any is changed. */
  g_autofree bool *clash = g_new0(bool, hosts->len ? hosts->len : 1);
  for (guint i = 0; i < hosts->len; i++)
    for (guint j = 0; j < hosts->len; j++)
      if (i != j &&
          strcmp(((NcapMultiHost *)g_ptr_array_index(hosts, i))->name,
                 ((NcapMultiHost *)g_ptr_array_index(hosts, j))->name) == 0)
        clash[i] = true;
  for (guint i = 0; i < hosts->len; i++) {
    NcapMultiHost *h = g_ptr_array_index(hosts, i);
    if (clash[i]) {
      g_free(h->name);
      h->name = g_strdup(h->target);
    }
    h->source = g_strdup(h->name);
  }
  return g_steal_pointer(&hosts);
}

char **
ncap_multi_parse_ifaces(const char *list, guint n_hosts, GError **error)
{
  g_auto(GStrv) parts = NULL;
  guint n;

  if (list == NULL) {
    ncap_capture_check_iface(NULL, error);
    return NULL;
  }
  parts = g_strsplit(list, ",", -1);
  n = g_strv_length(parts);
  for (guint i = 0; i < n; i++) {
    g_strstrip(parts[i]);
    if (parts[i][0] == '\0' && n > 1) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                  "interface list \"%s\": empty entry", list);
      return NULL;
    }
    if (!ncap_capture_check_iface(parts[i], error))
      return NULL;
    for (guint j = 0; j < i; j++)
      if (strcmp(parts[i], parts[j]) == 0) {
        g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                    "interface list \"%s\": %s is listed twice", list,
                    parts[i]);
        return NULL;
      }
  }
  for (guint i = 0; n > 1 && i < n; i++)
    if (strcmp(parts[i], "any") == 0) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                  "interface list \"%s\": \"any\" already captures every "
                  "interface; give it alone", list);
      return NULL;
    }
  if ((guint64)n * (n_hosts ? n_hosts : 1) > NCAP_MERGE_MAX_SOURCES) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                "interface list \"%s\": %u node(s) x %u interfaces is %u "
                "sources, at most %d", list, n_hosts, n, n_hosts * n,
                NCAP_MERGE_MAX_SOURCES);
    return NULL;
  }
  return g_steal_pointer(&parts);
}

void
ncap_multi_hosts_set_ifaces(GPtrArray *hosts, char *const *ifaces)
{
  guint n = hosts->len;

  if (g_strv_length((char **)ifaces) < 2)
    return;
  for (guint i = 0; i < n; i++) {
    NcapMultiHost *h = g_ptr_array_index(hosts, i);
    for (char *const *f = ifaces; *f; f++) {
      NcapMultiHost *s = g_new0(NcapMultiHost, 1);
      s->target = g_strdup(h->target);
      s->name = g_strdup(h->name);
      s->iface = g_strdup(*f);
      s->source = g_strdup_printf("%s:%s", h->name, *f);
      g_ptr_array_add(hosts, s);
    }
  }
  g_ptr_array_remove_range(hosts, 0, n);
}

/* ---- one node --------------------------------------------------------- */

typedef enum {
  NODE_CONNECTING, /* its thread runs */
  NODE_RUNNING,    /* the stream channel is ours to read */
  NODE_ENDED,      /* the helper ended cleanly, or we stopped it */
  NODE_FAILED,
} NodeState;

typedef struct {
  guint idx;
  char *name; /* the source's: messages, logs, the merge's comments */
  char *node; /* the node's: the if_name prefix (NODE:IFACE) */
  NcapSshConfig cfg;
  const char *helper;
  char *stream_cmd, *clock_cmd;
  NcapSsh *ssh;
  ssh_channel ch; /* transfer none: belongs to ssh */
  GThread *thread;
  int notify_fd;            /* the thread writes idx here when it is done */
  const gint *stop;         /* set by the main thread on a stop */
  /* Results of the thread, read after its notification. */
  GError *connect_error;
  bool have_offset;
  bool offset_used; /* main thread: given to the merge */
  gint64 offset_ns, rtt_ns;
  char *clock_note; /* why no offset was measured */
  /* Main thread. */
  NodeState state;
  GString *err;
  guint64 bytes;
  gint64 last_io;
  bool eof_sent;
  gint64 last_ack;          /* ncap_relay_ack */
  GError *failure;
  /* Without the helper (agentless.h): set by the thread, then main. */
  NcapCaptureWith with;
  NcapRemotePriv priv;
  const NcapCaptureOpts *opts;
  NcapCaptureOpts iface_opts; /* opts with this source's interface: a
                               * shallow copy, its pointers borrowed */
  NcapAgentless *conv;
  gint64 last_beat;
  NcapPcapngCheck *check; /* the stream checks, before the merge */
} MultiNode;

static void
multi_node_free(MultiNode *nd)
{
  ncap_agentless_free(nd->conv);
  ncap_ssh_free(nd->ssh);
  ncap_ssh_config_clear(&nd->cfg);
  g_free(nd->name);
  g_free(nd->node);
  g_free(nd->stream_cmd);
  g_free(nd->clock_cmd);
  g_clear_error(&nd->connect_error);
  g_clear_error(&nd->failure);
  ncap_pcapng_check_free(nd->check);
  g_free(nd->clock_note);
  if (nd->err)
    g_string_free(nd->err, TRUE);
  g_free(nd);
}

static gint64
real_ns(void)
{
  return ncap_port_real_time_ns();
}

/* Read one line from the clock channel; *t1 = when it arrived. */
static gboolean
clock_read_line(MultiNode *nd, ssh_channel ch, GString *pending,
                GString *err, gint64 timeout_us, gint64 *tn, gint64 *t1,
                GError **error)
{
  ssh_session s = ncap_ssh_session(nd->ssh);
  gint64 deadline = g_get_monotonic_time() + timeout_us;
  char buf[256];

  for (;;) {
    char *nl = memchr(pending->str, '\n', pending->len);
    if (nl != NULL) {
      char *end = NULL;
      *tn = g_ascii_strtoll(pending->str, &end, 10);
      gboolean good = end != pending->str && end == nl;
      g_string_erase(pending, 0, nl - pending->str + 1);
      if (!good) {
        g_set_error(error, NCAP_ERROR, NCAP_ERROR_REMOTE,
                    "clock: the helper's answer is not a time in ns");
        return FALSE;
      }
      return TRUE;
    }
    int n = ssh_channel_read_timeout(ch, buf, sizeof buf, 0, 100);
    int e;
    if (n == SSH_ERROR) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_SSH, "connection lost: %s",
                  ssh_get_error(s));
      return FALSE;
    }
    if (n > 0) {
      *t1 = real_ns();
      g_string_append_len(pending, buf, n);
      continue;
    }
    while ((e = ssh_channel_read_timeout(ch, buf, sizeof buf, 1, 0)) > 0)
      if (err->len < MULTI_STDERR_KEEP)
        g_string_append_len(err, buf, e);
    if (ssh_channel_is_eof(ch)) {
      int code, status = ncap_ssh_exit_status(ch);
      g_autofree char *text =
          ncap_node_helper_failure(nd->helper, status, err->str, &code);
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_REMOTE, "clock: %s",
                  status == 0 ? "the helper ended without an answer" : text);
      return FALSE;
    }
    if (g_get_monotonic_time() > deadline || g_atomic_int_get(nd->stop)) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_SSH,
                  "no answer to \"clock\" within %d s",
                  (int)(timeout_us / G_USEC_PER_SEC));
      return FALSE;
    }
  }
}

/* The node's clock minus ours, over a channel running `<helper> clock
 * --repeat` (started before the stream, so both helpers start at once):
 * per sample, t0 when we ask, tn the node's answer, t1 when it arrives;
 * offset = tn - (t0 + t1) / 2, error at most half the round trip. Of a
 * few samples the one with the shortest round trip wins. A node whose
 * helper has no clock verb still captures, without an offset. */
static void
measure_clock(MultiNode *nd, ssh_channel ch)
{
  g_autoptr(GString) pending = g_string_new(NULL);
  g_autoptr(GString) err = g_string_new(NULL);
  g_autoptr(GError) error = NULL;
  gint64 best_rtt = G_MAXINT64, best = 0, tn, t1;

  /* The first answer comes when the helper has started: not timed. */
  if (clock_read_line(nd, ch, pending, err, MULTI_CLOCK_START_TIMEOUT_US, &tn,
                      &t1, &error)) {
    for (int i = 0; i < MULTI_CLOCK_SAMPLES && !g_atomic_int_get(nd->stop);
         i++) {
      gint64 t0 = real_ns();
      if (ssh_channel_write(ch, "\n", 1) != 1) {
        g_set_error(&error, NCAP_ERROR, NCAP_ERROR_SSH, "clock: %s",
                    ssh_get_error(ncap_ssh_session(nd->ssh)));
        break;
      }
      if (!clock_read_line(nd, ch, pending, err, MULTI_CLOCK_TIMEOUT_US, &tn,
                           &t1, &error))
        break;
      gint64 off = tn - (t0 + (t1 - t0) / 2);
      ncap_log("node %s: clock sample %d: offset %" G_GINT64_FORMAT
                   " ns, round trip %" G_GINT64_FORMAT " ns",
                   nd->name, i + 1, off, t1 - t0);
      if (t1 - t0 < best_rtt) {
        best_rtt = t1 - t0;
        best = off;
      }
    }
  }
  if (best_rtt == G_MAXINT64) {
    nd->clock_note = g_strdup(error ? error->message : "stopped");
    return;
  }
  nd->have_offset = true;
  nd->offset_ns = best;
  nd->rtt_ns = best_rtt;
}

static gpointer
node_thread(gpointer data)
{
  MultiNode *nd = data;
  guint32 idx = nd->idx;
  ssh_channel clock_ch = NULL;

  /* A node whose helper was missing comes back here connected. */
  if (nd->ssh == NULL) {
    nd->ssh = ncap_ssh_new(&nd->cfg);
    if (!ncap_ssh_connect(nd->ssh, &nd->connect_error) ||
        g_atomic_int_get(nd->stop))
      goto done;
  }
  if (nd->with != NCAP_CAPTURE_WITH_AUTO &&
      nd->with != NCAP_CAPTURE_WITH_HELPER) {
    /* No helper: no clock verb either. */
    g_free(nd->clock_note);
    nd->clock_note = g_strdup("no helper on the node, not measured");
    if (!g_atomic_int_get(nd->stop))
      ncap_agentless_start(nd->ssh, nd->node, nd->helper, nd->with, nd->priv,
                           nd->opts, &nd->ch, &nd->conv, &nd->connect_error);
    goto done;
  }
  ssh_session s = ncap_ssh_session(nd->ssh);
  if (nd->clock_cmd != NULL)
    clock_ch = ssh_channel_new(s);
  if (clock_ch != NULL && (ssh_channel_open_session(clock_ch) != SSH_OK ||
                           ssh_channel_request_exec(clock_ch, nd->clock_cmd) !=
                               SSH_OK)) {
    nd->clock_note = g_strdup_printf("cannot run \"clock\": %s",
                                     ssh_get_error(s));
    ssh_channel_free(clock_ch);
    clock_ch = NULL;
  }
  /* The stream's helper starts while we time the clock; what it sends
   * meanwhile waits in libssh's buffer (and the node's ring). */
  if (!g_atomic_int_get(nd->stop))
    nd->ch = ncap_ssh_exec(nd->ssh, nd->stream_cmd, &nd->connect_error);
  if (clock_ch != NULL) {
    if (nd->ch != NULL)
      measure_clock(nd, clock_ch);
    if (ssh_channel_is_open(clock_ch)) {
      ssh_channel_send_eof(clock_ch);
      ssh_channel_close(clock_ch);
    }
    ssh_channel_free(clock_ch);
  }
done:
  /* Four bytes to a pipe are written at once. */
  {
    ssize_t w = write(nd->notify_fd, &idx, sizeof idx);
    (void)w;
  }
  return NULL;
}

static void
node_start_thread(MultiNode *nd)
{
  /* Stop signals go to the main thread only: its blocked write must be
   * interrupted (EINTR) to notice them. Every node thread, the first ones
   * and one started from the main loop (the fallback to dumpcap/tcpdump),
   * starts with them blocked. */
  ncap_port_block_stop_signals();
  g_autofree char *tname = g_strdup_printf("ncap-node-%u", nd->idx);
  nd->thread = g_thread_new(tname, node_thread, nd);
  ncap_port_unblock_stop_signals();
}

/* ---- the capture ------------------------------------------------------ */

/* Set on a stop; read by the connect threads. Static: a thread still
 * connecting at the end outlives the call. */
static gint multi_stop;

typedef struct {
  NcapMerge *merge;
  GPtrArray *nodes; /* MultiNode */
  guint n;
  const char *helper;
  const char *unit;    /* "nodes", or "sources" with several interfaces */
  bool quiet_failures; /* one node: its error is the final line */
  bool any_bytes;
  NcapReport *report;
} Multi;

static void
close_channel(MultiNode *nd)
{
  if (nd->ch != NULL && ssh_channel_is_open(nd->ch)) {
    ssh_channel_send_eof(nd->ch);
    ssh_channel_close(nd->ch);
  }
}

/* text_names_host: the message already says which host (ssh.c's connect
 * and authentication errors); else the node's name goes in front. */
static void
node_fail(Multi *mu, MultiNode *nd, int code, const char *text,
          bool text_names_host)
{
  if (nd->state == NODE_FAILED || nd->state == NODE_ENDED)
    return;
  nd->state = NODE_FAILED;
  close_channel(nd);
  ncap_report_node_failed(mu->report, nd->idx, text);
  ncap_merge_source_end(mu->merge, nd->idx, text);
  nd->failure = text_names_host
                    ? g_error_new(NCAP_ERROR, code, "%s", text)
                    : g_error_new(NCAP_ERROR, code, "%s: %s", nd->name, text);
  ncap_log("node %s failed: %s", nd->name, text);
  if (!mu->quiet_failures) {
    fprintf(stderr, "nodecap: %s: %s\n", nd->name, text);
    fflush(stderr);
  }
}

static void
node_end_clean(Multi *mu, MultiNode *nd, const char *why)
{
  nd->state = NODE_ENDED;
  close_channel(nd);
  ncap_merge_source_end(mu->merge, nd->idx, NULL);
  ncap_log("node %s: %s, %" G_GUINT64_FORMAT " bytes", nd->name, why,
               nd->bytes);
}

/* A node's thread is done: start reading it, or record its failure. */
static void
node_connected(Multi *mu, MultiNode *nd, bool stopping)
{
  g_thread_join(nd->thread);
  nd->thread = NULL;
  if (nd->state != NODE_CONNECTING)
    return;
  if (nd->connect_error != NULL) {
    node_fail(mu, nd, nd->connect_error->code, nd->connect_error->message,
              true);
    return;
  }
  /* The interfaces of one node share one clock: the first measurement
   * taken on it holds for all, or two measurements a few microseconds
   * apart could reorder that node's own interfaces. */
  for (guint j = 0; nd->have_offset && j < mu->n; j++) {
    MultiNode *o = g_ptr_array_index(mu->nodes, j);
    if (o != nd && o->offset_used && strcmp(o->node, nd->node) == 0) {
      nd->offset_ns = o->offset_ns;
      nd->rtt_ns = o->rtt_ns;
      break;
    }
  }
  if (nd->have_offset) {
    nd->offset_used = true;
    /* An offset within its own error bound cannot be told from 0 (equal
     * clocks always give one): applying it would only add that error, e.g.
     * swap the order of two nodes on one host microseconds apart. */
    gint64 applied = ncap_merge_set_clock_measurement(mu->merge, nd->idx,
                                                      nd->offset_ns, nd->rtt_ns);
    ncap_log("node %s: clock offset %" G_GINT64_FORMAT
                 " ns (node minus local; round trip %" G_GINT64_FORMAT
                 " ns, error at most half of it): %s, offset %" G_GINT64_FORMAT
                 " ns recorded", nd->name, nd->offset_ns, nd->rtt_ns,
                 applied == 0 ? "within its error, same as 0"
                              : "beyond its error, kept",
                 applied);
  } else {
    ncap_log("node %s: no clock offset (%s)", nd->name,
                 nd->clock_note ? nd->clock_note : "?");
  }
  if (nd->ch == NULL) { /* stopped before the stream started */
    node_end_clean(mu, nd, "stopped before the stream started");
    return;
  }
  nd->state = NODE_RUNNING;
  nd->last_io = g_get_monotonic_time();
  if (stopping) {
    ssh_channel_send_eof(nd->ch);
    nd->eof_sent = true;
  }
}

static void
keep_stderr(MultiNode *nd, const char *buf, int n)
{
  g_string_append_len(nd->err, buf, n);
  if (nd->err->len > MULTI_STDERR_KEEP)
    g_string_erase(nd->err, 0, nd->err->len - MULTI_STDERR_KEEP);
}

/* The node's bytes into the merge: as they are from the helper, through
 * the converter from tcpdump/dumpcap. */
static gboolean
node_feed(Multi *mu, MultiNode *nd, const uint8_t *data, gsize len,
          gint64 now, GError **error)
{
  if (nd->conv == NULL)
    return ncap_merge_feed(mu->merge, nd->idx, data, len, now, error);
  g_autoptr(GByteArray) out = g_byte_array_new();
  if (!ncap_agentless_feed(nd->conv, data, len, out, error))
    return FALSE;
  return out->len == 0 ||
         ncap_merge_feed(mu->merge, nd->idx, out->data, out->len, now, error);
}

static void node_start_thread(MultiNode *nd);

/* The channel ended. A helper missing under --capture-with auto: the same
 * session starts tcpdump/dumpcap instead (TRUE: handled). An agentless
 * program: its drops go into the closing ISB, a password prompt of sudo
 * or doas becomes its own error. */
static bool
node_agentless_end(Multi *mu, MultiNode *nd, int status, gint64 now)
{
  if (nd->conv == NULL) {
    if (status != 127 || nd->with != NCAP_CAPTURE_WITH_AUTO || nd->bytes > 0 ||
        nd->eof_sent)
      return false;
    ncap_log("node %s: helper %s not found (exit 127), trying dumpcap "
                 "and tcpdump", nd->name, mu->helper);
    nd->with = NCAP_CAPTURE_WITH_AGENTLESS;
    nd->ch = NULL;
    g_string_truncate(nd->err, 0);
    nd->state = NODE_CONNECTING;
    node_start_thread(nd);
    return true;
  }
  g_autoptr(GError) priv = NULL;
  if (ncap_agentless_priv_failure(nd->err->str, nd->priv, nd->name, &priv)) {
    node_fail(mu, nd, priv->code, priv->message, true);
    return true;
  }
  g_autoptr(GByteArray) out = g_byte_array_new();
  ncap_agentless_finish(nd->conv, nd->err->str, (guint64)real_ns(), out);
  if (out->len > 0)
    ncap_merge_feed(mu->merge, nd->idx, out->data, out->len, now, NULL);
  ncap_log("node %s: capture program ended, exit status %d, %"
               G_GUINT64_FORMAT " packets", nd->name, status,
               ncap_agentless_packets(nd->conv));
  /* tcpdump and dumpcap end with 0 on SIGTERM; with -c too. */
  if (status == 0 || nd->eof_sent) {
    node_end_clean(mu, nd, "capture program ended");
    return true;
  }
  return false;
}

/* Without the helper nothing on the node notices a cut network while the
 * filter matches nothing: the wrapper ends the program when these stop
 * coming (agentless.h). And a periodic ISB, as the helper writes. */
static void
node_agentless_tick(Multi *mu, MultiNode *nd, gint64 now)
{
  if (nd->conv == NULL || nd->eof_sent ||
      now - nd->last_beat < NCAP_AGENTLESS_HEARTBEAT_S * G_USEC_PER_SEC)
    return;
  nd->last_beat = now;
  ssh_channel_write(nd->ch, "\n", 1);
  g_autoptr(GByteArray) out = g_byte_array_new();
  ncap_agentless_put_isb(nd->conv, (guint64)real_ns(), out);
  if (out->len > 0)
    ncap_merge_feed(mu->merge, nd->idx, out->data, out->len, now, NULL);
}

/* Read what the node has (a few chunks at most), feed the merge. Returns
 * TRUE when more may be waiting in libssh's buffer. */
static bool
node_read(Multi *mu, MultiNode *nd, char *buf, gint64 now)
{
  ssh_session s = ncap_ssh_session(nd->ssh);
  int e;

  for (int k = 0; k < MULTI_READS_PER_ROUND; k++) {
    int r = ssh_channel_read_timeout(nd->ch, buf, MULTI_BUF_SIZE, 0, 0);
    if (r == SSH_ERROR) {
      g_autofree char *text =
          g_strdup_printf("ssh: connection lost: %s", ssh_get_error(s));
      node_fail(mu, nd, NCAP_ERROR_SSH, text, false);
      return false;
    }
    if (r == 0)
      break;
    if (nd->bytes == 0)
      ncap_log("node %s: first bytes from the helper", nd->name);
    nd->bytes += (guint64)r;
    ncap_report_feed(mu->report, nd->idx, (const guint8 *)buf, (gsize)r);
    nd->last_io = now;
    mu->any_bytes = true;
    g_autoptr(GError) error = NULL;
    /* A helper's stream gets the same checks as the single-node relay's:
     * only the whole valid blocks before a violation reach the merge
     * (tcpdump's and dumpcap's output is checked by the converter). */
    gboolean good = TRUE;
    guint64 valid = 0;
    gsize take = (gsize)r;
    if (nd->conv == NULL) {
      if (nd->check == NULL)
        nd->check = ncap_pcapng_check_new(NULL);
      guint64 before = ncap_pcapng_check_fed(nd->check);
      good = ncap_pcapng_check_feed(nd->check, (const uint8_t *)buf, (gsize)r,
                                    &error);
      valid = ncap_pcapng_check_valid_end(nd->check);
      take = good ? (gsize)r : valid > before ? (gsize)(valid - before) : 0;
    }
    g_autoptr(GError) merr = NULL;
    if (take > 0 &&
        !node_feed(mu, nd, (const uint8_t *)buf, take, now, &merr)) {
      node_fail(mu, nd, nd->conv ? NCAP_ERROR_REMOTE : NCAP_ERROR_MALFORMED,
                merr->message, true);
      return false;
    }
    if (!good) {
      g_autofree char *text = g_strdup_printf(
          "the node sent a malformed stream: %s; the %" G_GUINT64_FORMAT
          " bytes before it are kept", error->message, valid);
      node_fail(mu, nd, NCAP_ERROR_MALFORMED, text, false);
      return false;
    }
    if (k == MULTI_READS_PER_ROUND - 1)
      return true;
  }
  while ((e = ssh_channel_read_timeout(nd->ch, buf, 65536, 1, 0)) > 0)
    keep_stderr(nd, buf, e);
  if (ssh_channel_is_eof(nd->ch) || ssh_channel_is_closed(nd->ch)) {
    while ((e = ssh_channel_read_timeout(nd->ch, buf, 65536, 1, 0)) > 0)
      keep_stderr(nd, buf, e);
    int status = ncap_ssh_exit_status(nd->ch);
    if (node_agentless_end(mu, nd, status, now))
      return false;
    if (status == 0) {
      node_end_clean(mu, nd, "helper ended, exit status 0");
    } else if (nd->eof_sent && status < 0) {
      /* We asked it to end: sshd may close without an exit status. */
      node_end_clean(mu, nd, "helper ended after our EOF");
    } else {
      int code;
      g_autofree char *text =
          ncap_node_helper_failure(mu->helper, status, nd->err->str, &code);
      node_fail(mu, nd, code, text, false);
    }
  }
  return false;
}

static gboolean
all_failed_error(Multi *mu, GError **error)
{
  if (mu->n == 1) {
    MultiNode *nd = g_ptr_array_index(mu->nodes, 0);
    g_propagate_error(error, g_steal_pointer(&nd->failure));
    return FALSE;
  }
  g_autoptr(GString) msg = g_string_new(NULL);
  int code = NCAP_ERROR_FAILED;
  for (guint i = 0; i < mu->n; i++) {
    MultiNode *nd = g_ptr_array_index(mu->nodes, i);
    if (i == 0)
      code = nd->failure->code;
    /* The interfaces of one node usually fail alike: say it once. */
    bool said = false;
    for (guint j = 0; j < i && !said; j++)
      said = strcmp(((MultiNode *)g_ptr_array_index(mu->nodes, j))->failure->message,
                    nd->failure->message) == 0;
    if (!said)
      g_string_append_printf(msg, "%s%s", msg->len ? "; " : "", nd->failure->message);
  }
  g_set_error(error, NCAP_ERROR, code, "all %u %s failed: %s", mu->n,
              mu->unit, msg->str);
  return FALSE;
}

static gboolean
partial_error(Multi *mu, guint failed, GError **error)
{
  g_autoptr(GString) names = g_string_new(NULL);
  for (guint i = 0; i < mu->n; i++) {
    MultiNode *nd = g_ptr_array_index(mu->nodes, i);
    if (nd->state == NODE_FAILED)
      g_string_append_printf(names, "%s%s", names->len ? ", " : "", nd->name);
  }
  g_set_error(error, NCAP_ERROR, NCAP_ERROR_PARTIAL,
              "partial capture: %u of %u %s failed (%s); the others were "
              "captured (--allow-partial accepts this)", failed, mu->n,
              mu->unit, names->str);
  return FALSE;
}

static void
log_stats(Multi *mu)
{
  NcapMergeStats total;
  g_autofree NcapMergeSourceStats *per = g_new0(NcapMergeSourceStats, mu->n);

  ncap_merge_stats(mu->merge, &total, per);
  for (guint i = 0; i < mu->n; i++) {
    MultiNode *nd = g_ptr_array_index(mu->nodes, i);
    ncap_log("node %s: %" G_GUINT64_FORMAT " packets, %" G_GUINT64_FORMAT
                 " written out of order, %u interfaces, "
                 "%" G_GUINT64_FORMAT " bytes read%s",
                 nd->name, per[i].packets_in, per[i].out_of_order,
                 per[i].n_interfaces, nd->bytes,
                 per[i].failed ? ", failed" : "");
  }
  ncap_log("merge: %" G_GUINT64_FORMAT " packets written, %"
               G_GUINT64_FORMAT " out of order, %" G_GUINT64_FORMAT
               " released by the time window, %" G_GUINT64_FORMAT
               " by the byte window, peak %" G_GSIZE_FORMAT " bytes held",
               total.packets_out, total.out_of_order, total.released_by_window,
               total.released_by_bytes, total.peak_bytes_held);
}

/* The main loop's state, shared by its phases. */
typedef struct {
  const char *out_path;
  bool out_is_fifo;
  int notify_r;
  int outfd, werr;
  bool stopping, gone, write_failed;
  const char *why;
  gboolean ok;
} MultiLoop;

/* Distinct nodes among the sources (the same node's interfaces are
 * adjacent: ncap_multi_hosts_set_ifaces). */
static guint
multi_host_count(GPtrArray *hosts)
{
  guint n = 0;
  for (guint i = 0; i < hosts->len; i++)
    if (i == 0 ||
        strcmp(((NcapMultiHost *)g_ptr_array_index(hosts, i))->target,
               ((NcapMultiHost *)g_ptr_array_index(hosts, i - 1))->target) != 0)
      n++;
  return n;
}

/* One thread a node: each connects, measures its clock and starts the
 * helper, then tells the main thread on notify_w. */
static void
multi_start_nodes(Multi *mu, const NcapSshConfig *base, GPtrArray *hosts,
                  const NcapCaptureOpts *opts, const NcapMultiOpts *mo,
                  const char *clock_cmd, int notify_w)
{
  for (guint i = 0; i < mu->n; i++) {
    NcapMultiHost *h = g_ptr_array_index(hosts, i);
    MultiNode *nd = g_new0(MultiNode, 1);
    g_autoptr(GError) local = NULL;
    nd->idx = i;
    nd->name = g_strdup(h->source);
    nd->node = g_strdup(h->name);
    nd->helper = mu->helper;
    nd->notify_fd = notify_w;
    nd->stop = &multi_stop;
    nd->err = g_string_new(NULL);
    /* One node alone has nobody to be compared with: unless asked to
     * correct, it starts without the clock round trips (one helper start
     * less before the first packet). */
    if (multi_host_count(hosts) > 1 || mo->clock_correct)
      nd->clock_cmd = g_strdup(clock_cmd);
    else
      nd->clock_note = g_strdup("single node, not measured");
    nd->iface_opts = *opts;
    if (h->iface != NULL)
      nd->iface_opts.iface = h->iface;
    nd->opts = &nd->iface_opts;
    nd->stream_cmd = ncap_node_stream_command(mu->helper, nd->node, nd->opts);
    nd->with = mo->capture_with;
    nd->priv = mo->remote_priv;
    ncap_ssh_config_copy(&nd->cfg, base);
    /* parse_hosts checked the target already. */
    ncap_ssh_config_set_target(&nd->cfg, h->target, &local);
    ncap_merge_set_source_name(mu->merge, i, nd->name);
    if (h->iface != NULL) /* a failure before its IDB keeps NODE:IFACE */
      ncap_merge_set_source_placeholder(mu->merge, i, h->source);
    nd->state = NODE_CONNECTING;
    g_ptr_array_add(mu->nodes, nd);
    node_start_thread(nd);
  }
}

/* A stop request: EOF to every helper, once. FALSE when the drain has
 * run out of time (lp->why says so). */
static bool
multi_check_stop(Multi *mu, MultiLoop *lp)
{
  if (ncap_relay_stop_requested() && !lp->stopping) {
    /* EOF to every helper: each flushes what it captured and exits. */
    lp->stopping = true;
    ncap_relay_note_stop();
    g_atomic_int_set(&multi_stop, 1);
    ncap_log("stop requested: EOF to every helper, draining");
    for (guint i = 0; i < mu->n; i++) {
      MultiNode *nd = g_ptr_array_index(mu->nodes, i);
      if (nd->state == NODE_RUNNING && !nd->eof_sent) {
        ssh_channel_send_eof(nd->ch);
        nd->eof_sent = true;
      }
    }
  }
  if (lp->stopping && ncap_relay_drain_expired()) {
    lp->why = "stop requested, not every helper ended in time";
    return false;
  }
  return true;
}

/* Threads that are done, then a read from every running node. Returns
 * whether any node is still running or connecting; more: a node has more
 * to read at once. */
static bool
multi_step_nodes(Multi *mu, MultiLoop *lp, char *buf, gint64 now, bool *more)
{
  bool active = false;
  for (;;) {
    struct pollfd p = {.fd = lp->notify_r, .events = POLLIN};
    guint32 idx;
    if (ncap_port_poll(&p, 1, 0) <= 0 ||
        read(lp->notify_r, &idx, sizeof idx) != sizeof idx)
      break;
    if (idx < mu->n)
      node_connected(mu, g_ptr_array_index(mu->nodes, idx), lp->stopping);
  }

  for (guint i = 0; i < mu->n; i++) {
    MultiNode *nd = g_ptr_array_index(mu->nodes, i);
    if (nd->state == NODE_RUNNING && node_read(mu, nd, buf, now))
      *more = true;
    if (nd->state == NODE_RUNNING && !nd->eof_sent && nd->ch != NULL &&
        nd->conv == NULL) /* the helper, not tcpdump/dumpcap */
      ncap_relay_ack(nd->ch, now, &nd->last_ack);
    if (nd->state == NODE_RUNNING && !lp->stopping)
      node_agentless_tick(mu, nd, now);
    if (nd->state == NODE_RUNNING && !lp->stopping &&
        now - nd->last_io > MULTI_KEEPALIVE_US) {
      ncap_ssh_keepalive(nd->ssh);
      nd->last_io = now;
    }
    if (nd->state == NODE_RUNNING ||
        (nd->state == NODE_CONNECTING && !lp->stopping))
      active = true;
  }
  return active;
}

/* What the merge released goes out. FALSE ends the loop (lp->why). */
static bool
multi_write_out(Multi *mu, MultiLoop *lp, GByteArray *out, GError **error)
{
  /* The output opens with the first bytes of a helper: a capture whose
   * nodes all fail before capturing writes nothing, and the error line
   * is what tshark shows. */
  if (out->len == 0 || !mu->any_bytes)
    return true;
  if (lp->outfd < 0) {
    if (!ncap_relay_open_output(lp->out_path, lp->out_is_fifo, &lp->outfd,
                                error)) {
      lp->ok = FALSE;
      lp->why = "error";
      return false;
    }
    if (lp->outfd < 0) { /* stopped while waiting for the reader */
      lp->why = "stop requested before the reader opened the output";
      return false;
    }
    ncap_log("first bytes from the helper, output %s open", lp->out_path);
  }
  NcapRelayWrite wr = ncap_relay_write_all(lp->outfd, (const char *)out->data,
                                           out->len, &lp->werr);
  g_byte_array_set_size(out, 0);
  if (wr == NCAP_RELAY_WRITE_STOP) {
    lp->why = "stop requested, the reader did not take the rest in time";
    return false;
  }
  if (wr == NCAP_RELAY_WRITE_GONE) {
    lp->why = "reader of the output went away";
    lp->gone = true;
    return false;
  }
  if (wr == NCAP_RELAY_WRITE_FAIL) {
    g_set_error(error, NCAP_ERROR,
                lp->werr == ENOSPC ? NCAP_ERROR_DISK_FULL : NCAP_ERROR_IO,
                "write to %s: %s", lp->out_path, g_strerror(lp->werr));
    lp->ok = FALSE;
    lp->write_failed = true;
    lp->why = "error";
    return false;
  }
  return true;
}

/* Wait for a node, a thread, a stop or the merge's next deadline. FALSE
 * ends the loop (lp->why). */
static bool
multi_wait(Multi *mu, MultiLoop *lp, bool more, GError **error)
{
  struct pollfd pfd[NCAP_MERGE_MAX_SOURCES + 3];
  nfds_t nfds = 0;
  for (guint i = 0; i < mu->n; i++) {
    MultiNode *nd = g_ptr_array_index(mu->nodes, i);
    if (nd->state == NODE_RUNNING)
      pfd[nfds++] = (struct pollfd){
          .fd = ssh_get_fd(ncap_ssh_session(nd->ssh)), .events = POLLIN};
  }
  pfd[nfds++] = (struct pollfd){.fd = lp->notify_r, .events = POLLIN};
  if (ncap_relay_wake_fd() >= 0)
    pfd[nfds++] = (struct pollfd){.fd = ncap_relay_wake_fd(), .events = POLLIN};
  /* A pipe's writer gets POLLERR when the reader closes: tshark closes
   * the fifo before it signals us, and the stream may be idle. */
  int out_slot = -1;
  if (lp->outfd >= 0 && lp->out_is_fifo) {
    out_slot = (int)nfds;
    pfd[nfds++] = (struct pollfd){.fd = lp->outfd, .events = 0};
  }
  int timeout = MULTI_POLL_MAX_MS;
  gint64 deadline = ncap_merge_deadline(mu->merge);
  if (deadline != G_MAXINT64) {
    gint64 left = (deadline - g_get_monotonic_time() + 999) / 1000;
    if (left < timeout)
      timeout = left < 0 ? 0 : (int)left;
  }
  if (more)
    timeout = 0;
  int pr = ncap_port_poll(pfd, nfds, timeout);
  if (pr < 0 && errno != EINTR) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO, "poll: %s",
                g_strerror(errno));
    lp->ok = FALSE;
    lp->why = "error";
    return false;
  }
  if (out_slot >= 0 && (pfd[out_slot].revents & (POLLERR | POLLHUP))) {
    lp->why = "reader of the output went away";
    lp->gone = true;
    return false;
  }
  return true;
}

/* After the loop: every channel closed, the rest of the merge written,
 * the final status (all failed, partial). connecting receives the nodes
 * still connecting. */
static void
multi_finish(Multi *mu, MultiLoop *lp, const NcapMultiOpts *mo,
             GByteArray *out, guint *connecting, GError **error)
{
  /* Every channel closed: each helper sees EOF and ends. */
  g_atomic_int_set(&multi_stop, 1);
  ncap_log("closing every channel: %s", lp->why);
  for (guint i = 0; i < mu->n; i++) {
    MultiNode *nd = g_ptr_array_index(mu->nodes, i);
    if (nd->state == NODE_RUNNING)
      node_end_clean(mu, nd, lp->why);
  }
  ncap_relay_stop_timer_off();

  guint failed = 0;
  *connecting = 0;
  for (guint i = 0; i < mu->n; i++) {
    MultiNode *nd = g_ptr_array_index(mu->nodes, i);
    if (nd->state == NODE_FAILED)
      failed++;
    if (nd->state == NODE_CONNECTING)
      (*connecting)++;
  }
  if (lp->ok && failed == mu->n) {
    lp->ok = all_failed_error(mu, error);
  }
  /* A script must be able to tell a partial capture from a whole one:
   * the others' packets are written first, then this is the status. */
  bool partial = lp->ok && failed > 0 && !mo->allow_partial;
  if (!lp->gone && !lp->write_failed) {
    ncap_merge_drain(mu->merge, g_get_monotonic_time(), TRUE, out);
    /* Every node ended cleanly without a byte: an empty capture rather
     * than a missing file. */
    if (lp->outfd < 0 && lp->ok && !lp->stopping && *connecting == 0) {
      if (!ncap_relay_open_output(lp->out_path, lp->out_is_fifo, &lp->outfd,
                                  error))
        lp->ok = FALSE;
    }
    if (lp->outfd >= 0 && out->len > 0 && (mu->any_bytes || lp->ok)) {
      NcapRelayWrite wr = ncap_relay_write_all(
          lp->outfd, (const char *)out->data, out->len, &lp->werr);
      if (wr == NCAP_RELAY_WRITE_FAIL && lp->ok) {
        g_set_error(error, NCAP_ERROR,
                    lp->werr == ENOSPC ? NCAP_ERROR_DISK_FULL : NCAP_ERROR_IO,
                    "write to %s: %s", lp->out_path, g_strerror(lp->werr));
        lp->ok = FALSE;
      }
    }
  }
  if (lp->ok && partial)
    lp->ok = partial_error(mu, failed, error);
  log_stats(mu);
  if (lp->outfd >= 0 && lp->outfd != STDOUT_FILENO)
    close(lp->outfd);
}

/* The nodes' memory, but that of a thread still connecting. */
static void
multi_free_nodes(Multi *mu)
{
  for (guint i = 0; i < mu->n; i++) {
    MultiNode *nd = g_ptr_array_index(mu->nodes, i);
    if (nd->thread != NULL) {
      /* Still connecting after a stop: it sees the stop flag, starts no
       * helper, and dies with the process; its memory stays its own. */
      ncap_log("node %s: still connecting at the end, left behind",
                   nd->name);
      g_thread_unref(nd->thread);
      continue;
    }
    multi_node_free(nd);
  }
  g_ptr_array_free(mu->nodes, TRUE);
  ncap_merge_free(mu->merge);
}

gboolean
ncap_multi_stream(const NcapSshConfig *base, GPtrArray *hosts,
                  const char *helper, const NcapCaptureOpts *opts,
                  const NcapMultiOpts *mopts, const char *out_path,
                  bool out_is_fifo, GError **error)
{
  NcapMultiOpts defaults = {0};
  const NcapMultiOpts *mo = mopts ? mopts : &defaults;
  NcapMergeConfig mcfg = {
      .window_us = (gint64)(mo->window_ms ? mo->window_ms
                                          : NCAP_MULTI_DEFAULT_WINDOW_MS) *
                   1000,
      .window_bytes = (gsize)(mo->window_mb ? mo->window_mb
                                            : NCAP_MULTI_DEFAULT_WINDOW_MB)
                      << 20,
      .apply_clock_offset = mo->clock_correct,
      .version = PROJECT_VERSION,
  };
  Multi mu = {
      .n = hosts->len,
      .helper = helper ? helper : NCAP_DEFAULT_HELPER,
      .unit = hosts->len > 0 &&
                      ((NcapMultiHost *)g_ptr_array_index(hosts, 0))->iface
                  ? "sources"
                  : "nodes",
      .quiet_failures = hosts->len == 1,
      .report = mo->report,
  };
  MultiLoop lp = {
      .out_path = out_path,
      .out_is_fifo = out_is_fifo,
      .outfd = -1,
      .why = "every node ended",
      .ok = TRUE,
  };
  g_autofree char *buf = g_malloc(MULTI_BUF_SIZE);
  g_autoptr(GByteArray) out = g_byte_array_new();
  g_autofree char *clock_cmd = NULL;
  int notify[2] = {-1, -1};
  guint connecting = 0;

  g_return_val_if_fail(hosts->len >= 1 && hosts->len <= NCAP_MERGE_MAX_SOURCES,
                       FALSE);
  if (ncap_port_pipe(notify, false) < 0) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO, "pipe: %s",
                g_strerror(errno));
    return FALSE;
  }
  lp.notify_r = notify[0];
  {
    g_autofree char *qh = g_shell_quote(mu.helper);
    clock_cmd = g_strdup_printf("%s clock --repeat", qh);
  }
  mu.merge = ncap_merge_new(mu.n, &mcfg);
  if (mo->note != NULL)
    ncap_merge_add_note(mu.merge, mo->note);
  mu.nodes = g_ptr_array_new();
  ncap_relay_install_signals();

  multi_start_nodes(&mu, base, hosts, opts, mo, clock_cmd, notify[1]);
  ncap_log("multi-node capture on %u node(s), window %" G_GINT64_FORMAT
               " ms / %" G_GSIZE_FORMAT " MiB, clock correction %s",
               mu.n, mcfg.window_us / 1000, mcfg.window_bytes >> 20,
               mcfg.apply_clock_offset ? "on" : "off");

  for (;;) {
    gint64 now = g_get_monotonic_time();
    bool more = false, active;

    if (!multi_check_stop(&mu, &lp))
      break;
    active = multi_step_nodes(&mu, &lp, buf, now, &more);
    ncap_merge_drain(mu.merge, now, FALSE, out);
    ncap_report_tick(mu.report);
    if (!multi_write_out(&mu, &lp, out, error))
      break;
    if (!active)
      break;
    if (!multi_wait(&mu, &lp, more, error))
      break;
  }

  multi_finish(&mu, &lp, mo, out, &connecting, error);
  multi_free_nodes(&mu);
  /* A thread left behind may still write its notification. */
  if (connecting == 0)
    close(notify[1]);
  close(notify[0]);
  return lp.ok;
}

gboolean
ncap_multi_capture(const NcapSshConfig *base, GPtrArray *hosts,
                   const char *helper, const NcapCaptureOpts *opts,
                   const NcapMultiOpts *mopts, const char *out_path,
                   bool out_is_fifo, GError **error)
{
  NcapCaptureWith with = mopts ? mopts->capture_with : NCAP_CAPTURE_WITH_AUTO;
  if (hosts->len == 1 &&
      (mopts == NULL || (!mopts->clock_correct && mopts->note == NULL)) &&
      (with == NCAP_CAPTURE_WITH_AUTO || with == NCAP_CAPTURE_WITH_HELPER)) {
    g_auto(NcapSshConfig) cfg = {0};
    NcapMultiHost *h = g_ptr_array_index(hosts, 0);
    GError *local = NULL;
    ncap_ssh_config_copy(&cfg, base);
    if (!ncap_ssh_config_set_target(&cfg, h->target, error))
      return FALSE;
    if (ncap_node_stream(&cfg, helper, opts, out_path, out_is_fifo,
                         mopts ? mopts->report : NULL, &local))
      return TRUE;
    /* auto: a node without the helper is captured with its dumpcap or
     * tcpdump (the relay wrote nothing: it opens the output only with the
     * helper's first bytes). */
    if (with != NCAP_CAPTURE_WITH_AUTO || ncap_relay_stop_requested() ||
        !g_error_matches(local, NCAP_ERROR, NCAP_ERROR_REMOTE) ||
        strstr(local->message, "not found on the node (exit 127)") == NULL) {
      g_propagate_error(error, local);
      return FALSE;
    }
    ncap_log("%s; trying dumpcap and tcpdump", local->message);
    g_error_free(local);
    NcapMultiOpts mo = mopts ? *mopts : (NcapMultiOpts){0};
    mo.capture_with = NCAP_CAPTURE_WITH_AGENTLESS;
    return ncap_multi_stream(base, hosts, helper, opts, &mo, out_path,
                             out_is_fifo, error);
  }
  return ncap_multi_stream(base, hosts, helper, opts, mopts, out_path,
                           out_is_fifo, error);
}
