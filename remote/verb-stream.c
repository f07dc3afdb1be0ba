/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `nodecap-helper stream`: capture now, pcapng to stdout.
 *
 * One thread, one poll loop. The kernel ring is drained into a bounded
 * user-space queue whenever it has data, and the queue goes to stdout only
 * when stdout can take it (non-blocking writes): a slow SSH channel never
 * stalls the capture, and a full queue is counted as drops, never silent.
 * The loop ends on stdin EOF (the SSH channel closed), SIGINT/SIGTERM/
 * SIGHUP, a broken stdout (SIGPIPE is ignored and EPIPE taken as the
 * reader's end), a limit, or a stall of the reader longer than
 * --stall-timeout. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "capture.h"
#include "fdio.h"
#include "helper.h"
#include "ncap-error.h"
#include "goption.h"
#include "pcapng.h"
#include "queue.h"
#include "security.h"

/* The queue between the capture and stdout is as large as the kernel ring
 * (both from nodecap.conf's buffer_mb, default 64 MiB: about half a second
 * of a saturated gigabit link each), and never smaller than this. */
#define QUEUE_MIN_BYTES (4u * 1024 * 1024)
/* Drain the kernel ring only while the queue has room for a block or two;
 * the engine itself stops at a block's end once the queue nears full
 * (queue_commit). When the reader is slower than the link, the backlog
 * stays in the kernel ring, so the two buffers add up instead of the queue
 * overflowing into drops while the ring sits empty (bench/: a 512 B burst
 * under tshark lost 25 % that way, as osdrop). */
#define QUEUE_MIN_FREE (2 * NCAP_CAPTURE_BLOCK_MAX)
/* ISBs go out periodically: tshark closes the fifo before it signals the
 * extcap, so an ISB written only at the very end is lost (docs/wireshark-facts.md). */
#define ISB_PERIOD_US (1 * G_USEC_PER_SEC)
/* At the end, how long to keep trying to hand over what is queued. */
#define DRAIN_US (2 * G_USEC_PER_SEC)
/* At a stop, how long at most to keep reading the kernel ring for the
 * blocks it held (a partly filled one retires within
 * NCAP_CAPTURE_RETIRE_MS): well inside the client's own 3 s drain. */
#define RING_DRAIN_US (500 * 1000)

/* Headers and ISBs may use this last part of the queue, packets not. */
#define QUEUE_TAIL_KEEP (1u << 20)

/* The engine encodes into areas of at most this much (capture.h), so it
 * checks the queue's room every QUEUE_AREA bytes rather than per packet. */
#define QUEUE_AREA (256u * 1024)
G_STATIC_ASSERT(QUEUE_MIN_FREE >= NCAP_CAPTURE_BLOCK_MAX + QUEUE_AREA);

static uint8_t *
queue_reserve(gsize min, gsize *avail, void *user)
{
  return ncap_queue_reserve_area(user, min, QUEUE_AREA, avail);
}

static bool
queue_commit(gsize len, void *user)
{
  ncap_queue_commit(user, len);
  return ncap_queue_room(user) >= NCAP_CAPTURE_BLOCK_MAX + QUEUE_AREA;
}

/* Queue a block built in a GByteArray (not a packet: may use the kept
 * tail of the queue). */
static void
queue_put_block(NcapQueue *q, GByteArray *ba)
{
  (void)ncap_queue_put_always(q, ba->data, ba->len);
  g_byte_array_set_size(ba, 0);
}

/* "not (tcp and host C and port CP and host S and port SP)" for our own
 * SSH session, from SSH_CONNECTION ("client_ip client_port server_ip
 * server_port"). Each field is checked; anything odd means no exclusion
 * (the filter is a convenience, not a security boundary). */
static char *
ssh_exclusion(void)
{
  const char *conn = g_getenv("SSH_CONNECTION");
  if (conn == NULL)
    return NULL;
  g_auto(GStrv) f = g_strsplit(conn, " ", -1);
  if (g_strv_length(f) != 4)
    return NULL;
  for (int i = 0; i < 4; i++) {
    gboolean port = (i % 2) == 1;
    guint64 v;
    if (port) {
      if (!ncap_parse_u64("SSH_CONNECTION", f[i], 1, 65535, &v, NULL))
        return NULL;
    } else {
      unsigned char a[sizeof(struct in6_addr)];
      if (inet_pton(AF_INET, f[i], a) != 1 && inet_pton(AF_INET6, f[i], a) != 1)
        return NULL;
    }
  }
  return g_strdup_printf("not (tcp and host %s and port %s and host %s and port %s)",
                         f[0], f[1], f[2], f[3]);
}

static int
signal_fd_setup(sigset_t *old)
{
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  sigprocmask(SIG_BLOCK, &set, old);
  signal(SIGPIPE, SIG_IGN);
  return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* The stop: every packet the kernel held when it came goes into the
 * stream (docs/reliability.md "Stop"). Keep reading the ring, and writing
 * the queue so it has room, until every block open at the stop has
 * retired and been read, or RING_DRAIN_US; what is still in the ring then
 * is counted as dropped. FALSE only on a capture error. */
static gboolean
drain_ring(NcapCapture *cap, NcapQueue *q, int out_fd, GError **error)
{
  ncap_capture_stop(cap);
  gint64 deadline = g_get_monotonic_time() + RING_DRAIN_US;
  while (!ncap_capture_drained(cap) && g_get_monotonic_time() < deadline) {
    gboolean room = ncap_queue_room(q) >= QUEUE_MIN_FREE;
    struct pollfd pfd[2] = {
      { room ? ncap_capture_fd(cap) : -1, POLLIN, 0 },
      { ncap_queue_len(q) > 0 ? out_fd : -1, POLLOUT, 0 },
    };
    (void)poll(pfd, 2, 10);
    if (room && ncap_capture_dispatch_into(cap, queue_reserve, queue_commit, q, error) < 0)
      return FALSE;
    if (ncap_queue_len(q) > 0 &&
        ncap_queue_flush(q, out_fd, NULL) < 0)
      break;
  }
  ncap_capture_discard_rest(cap);
  return TRUE;
}

/* The stream's state between its phases. */
typedef struct {
  NcapCapture *cap;
  NcapQueue *q;
  GByteArray *ba; /* scratch for a block */
  int sfd, out_fd;
  gboolean stdin_open, client_acks, reader_gone;
  guint64 stall_timeout; /* seconds */
  const char *why; /* why the loop ended; for a debugger */
} StreamLoop;

/* Capture into the queue and the queue to stdout until a stop, a limit,
 * a gone reader (lp->reader_gone) or an error (FALSE). */
static gboolean
stream_loop(StreamLoop *lp, GError **error)
{
  gint64 last_progress = g_get_monotonic_time();
  /* With --client-acks, the reader's last byte on stdin: after a cut, sshd
   * and the channel window go on taking our output for a minute
   * (docs/reliability.md "Cut"), but nothing comes back. */
  gint64 last_ack = last_progress;
  gint64 next_isb = last_progress + ISB_PERIOD_US;
  gboolean done = FALSE;
  guint64 stall_us = lp->stall_timeout * G_USEC_PER_SEC;
  /* The reader acknowledges every second: a time-out under three of its
   * periods would take an ack's ordinary lateness for a cut (as the
   * agentless heartbeat, extcap/agentless.h). */
  guint64 ack_us = MAX(stall_us, 3 * G_USEC_PER_SEC);

  while (!done) {
    struct pollfd pfd[4];
    int n = 0, i_cap, i_out = -1, i_in = -1, i_sig;
    gboolean room = ncap_queue_room(lp->q) >= QUEUE_MIN_FREE;
    /* A negative fd is ignored by poll: without room, wait for stdout. */
    pfd[i_cap = n++] = (struct pollfd){ room ? ncap_capture_fd(lp->cap) : -1, POLLIN, 0 };
    pfd[i_sig = n++] = (struct pollfd){ lp->sfd, POLLIN, 0 };
    if (ncap_queue_len(lp->q) > 0)
      pfd[i_out = n++] = (struct pollfd){ lp->out_fd, POLLOUT, 0 };
    if (lp->stdin_open)
      pfd[i_in = n++] = (struct pollfd){ STDIN_FILENO, POLLIN, 0 };

    gint64 now = g_get_monotonic_time();
    int timeout = (int)MAX(0, (next_isb - now) / 1000);
    timeout = MIN(timeout, 100);
    if (poll(pfd, (nfds_t)n, timeout) < 0 && errno != EINTR) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO, "poll: %s", g_strerror(errno));
      return FALSE;
    }

    if (pfd[i_sig].revents & POLLIN) {
      struct signalfd_siginfo si;
      if (read(lp->sfd, &si, sizeof si) == (ssize_t)sizeof si)
        lp->why = "signal", done = TRUE;
    }
    if (i_in >= 0 && (pfd[i_in].revents & (POLLIN | POLLHUP | POLLERR))) {
      char junk[512];
      ssize_t r = read(STDIN_FILENO, junk, sizeof junk);
      if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN))
        lp->why = "end of input", done = TRUE, lp->stdin_open = FALSE;
      else if (r > 0)
        last_ack = g_get_monotonic_time();
    }
    if (i_out >= 0 && (pfd[i_out].revents & (POLLERR | POLLHUP)) &&
        !(pfd[i_out].revents & POLLOUT)) {
      lp->reader_gone = TRUE;
      break;
    }

    /* Drain whenever there is room: with TPACKET_V3 a block may be ready before
     * poll says so, and draining is what keeps the kernel from dropping. */
    if (room && ncap_capture_dispatch_into(lp->cap, queue_reserve, queue_commit, lp->q, error) < 0)
      return FALSE;
    if (ncap_capture_limit_reached(lp->cap)) {
      lp->why = ncap_capture_limit_reached(lp->cap);
      done = TRUE;
    }

    now = g_get_monotonic_time();
    if (now >= next_isb) {
      ncap_capture_put_isb(lp->cap, lp->ba);
      queue_put_block(lp->q, lp->ba);
      next_isb = now + ISB_PERIOD_US;
    }

    if (ncap_queue_len(lp->q) > 0) {
      g_autoptr(GError) werr = NULL;
      gssize w = ncap_queue_flush(lp->q, lp->out_fd, &werr);
      if (w == NCAP_QUEUE_READER_GONE) {
        lp->reader_gone = TRUE;
        break;
      }
      if (w < 0) {
        g_propagate_error(error, g_steal_pointer(&werr));
        return FALSE;
      }
      if (w > 0 || ncap_queue_len(lp->q) == 0)
        last_progress = now;
      else if ((guint64)(now - last_progress) >= stall_us) {
        g_set_error(error, NCAP_ERROR, NCAP_ERROR_STALLED,
                    "output stalled: the reader took nothing for %" G_GUINT64_FORMAT
                    " s; stopping", lp->stall_timeout);
        return FALSE;
      }
    } else {
      last_progress = now;
    }
    if (lp->client_acks && lp->stdin_open && !done &&
        (guint64)(now - last_ack) >= ack_us) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_STALLED,
                  "output stalled: no acknowledgement from the reader for %"
                  G_GUINT64_FORMAT " s; stopping", ack_us / G_USEC_PER_SEC);
      return FALSE;
    }
  }

  return TRUE;
}

/* The rest of the ring, then the final statistics, then what is queued,
 * briefly. */
static gboolean
stream_finish(StreamLoop *lp, GError **error)
{
  if (!lp->reader_gone && !drain_ring(lp->cap, lp->q, lp->out_fd, error))
    return FALSE;
  if (!lp->reader_gone) {
    /* Final statistics, then hand over what is queued, briefly: after
     * stdin EOF the channel is usually gone and writes fail fast. */
    ncap_capture_put_isb(lp->cap, lp->ba);
    queue_put_block(lp->q, lp->ba);
    gint64 deadline = g_get_monotonic_time() + DRAIN_US;
    while (ncap_queue_len(lp->q) > 0 && g_get_monotonic_time() < deadline) {
      struct pollfd p = { lp->out_fd, POLLOUT, 0 };
      if (poll(&p, 1, 100) > 0 && (p.revents & POLLOUT)) {
        if (ncap_queue_flush(lp->q, lp->out_fd, NULL) < 0)
          break;
      } else if (p.revents & (POLLERR | POLLHUP)) {
        break;
      }
    }
  }
  return TRUE;
}

gboolean
ncap_verb_stream(NcapHelper *h, int argc, char **argv, GError **error)
{
  NcapCaptureArgs args = { 0 };
  gboolean no_exclude = FALSE, ignore_stdin = FALSE, client_acks = FALSE;
  char *node_opt = NULL;
  g_autofree GOptionEntry *cap_entries = ncap_capture_option_entries(&args, false, true);
  GOptionEntry entries[] = {
    { "node", 0, 0, G_OPTION_ARG_STRING, &node_opt,
      "Node name written in if_name (\"<node>:<iface>\"); default: host name", "NAME" },
    { "no-exclude-ssh", 0, 0, G_OPTION_ARG_NONE, &no_exclude,
      "Also capture this SSH session's own packets", NULL },
    { "ignore-stdin", 0, 0, G_OPTION_ARG_NONE, &ignore_stdin,
      "Do not stop at stdin EOF (local use with </dev/null)", NULL },
    { "client-acks", 0, 0, G_OPTION_ARG_NONE, &client_acks,
      "The reader acknowledges on stdin every second: stop when it has not "
      "for --stall-timeout seconds", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("- capture now, pcapng to stdout");
  g_option_context_set_help_enabled(ctx, TRUE);
  g_option_context_add_main_entries(ctx, cap_entries, NULL);
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_option_context_set_description(ctx,
      "Stops at stdin EOF, SIGINT/SIGTERM/SIGHUP, a broken stdout, a limit, or\n"
      "when the reader takes nothing for --stall-timeout seconds.");

  NcapCaptureOpts opts = { 0 };
  gboolean ok = FALSE;
  g_autoptr(NcapCapture) cap = NULL;
  g_autoptr(GByteArray) ba = g_byte_array_new();
  g_autoptr(NcapQueue) q = NULL;
  int sfd = -1;
  sigset_t oldmask;

  /* Help is not a capture: GLib prints it and exits 0, before any
   * permission check or audit line. */
  if (ncap_verb_help_requested(argc, argv))
    g_option_context_parse(ctx, &argc, &argv, NULL);
  /* Policy before anything else: a denied call opens nothing. */
  if (!ncap_policy_require(h, "capture.stream", error))
    goto out;
  if (!ncap_goption_parse(ctx, NULL, &argc, &argv, error))
    goto out;
  if (argc > 1) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                "stream: unexpected argument \"%s\"", argv[1]);
    goto out;
  }
  if (!ncap_capture_opts_from_args(&args, &h->limits, &opts, error))
    goto out;
  if (node_opt) {
    g_free(h->node);
    h->node = g_strdup(node_opt);
  }

  if (opts.type == NCAP_CAPTURE_SIMPLE && !ncap_security_rate_simple(h, error))
    goto out;
  if (!ncap_security_stream_slot(h, error))
    goto out;

  cap = ncap_capture_new(&opts, h->node);
  gsize buffer_bytes = ncap_security_buffer_size(h);
  ncap_capture_set_buffer_size(cap, buffer_bytes);
  ncap_capture_set_clock_shift(cap, h->clock_shift_ns);
  if (!no_exclude) {
    g_autofree char *ex = ssh_exclusion();
    if (ex)
      ncap_capture_set_exclude(cap, ex);
  }
  if (!ncap_capture_open(cap, error))
    goto out;
  /* From here on the handle is open: nothing below needs privilege. */
  if (!ncap_privs_drop_all(NCAP_PRIVS_TO_CALLER, error))
    goto out;

  sfd = signal_fd_setup(&oldmask);
  int out_fd = STDOUT_FILENO;
  /* The header goes out before the queue is built: prefaulting a 64 MiB
   * queue takes 50-300 ms on a loaded node, and the reader can open the
   * interface meanwhile. Packets wait in the kernel ring, stamped on
   * arrival, so this changes when bytes flow, not the timestamps. A few
   * hundred bytes into a fresh pipe: one blocking write; whatever it did
   * not take (a reader already gone) is queued below as before. */
  ncap_capture_put_header(cap, ba);
  g_byte_array_remove_range(ba, 0, (guint)ncap_write_full(out_fd, ba->data, ba->len));
  /* A larger pipe to sshd means fewer, larger writes (ignored when stdout
   * is not a pipe, or the system's pipe-max-size is lower). */
  (void)fcntl(out_fd, F_SETPIPE_SZ, 1 << 20);
  int fl = fcntl(out_fd, F_GETFL);
  if (fl >= 0)
    fcntl(out_fd, F_SETFL, fl | O_NONBLOCK);

  q = ncap_queue_new(MAX(buffer_bytes, QUEUE_MIN_BYTES), QUEUE_TAIL_KEEP);
  if (ba->len > 0)
    queue_put_block(q, ba);

  StreamLoop lp = {
      .cap = cap,
      .q = q,
      .ba = ba,
      .sfd = sfd,
      .out_fd = out_fd,
      .stdin_open = !ignore_stdin,
      .client_acks = client_acks,
      .stall_timeout = opts.stall_timeout,
  };
  if (!stream_loop(&lp, error))
    goto out;
  if (!stream_finish(&lp, error))
    goto out;
  ok = TRUE;

out:
  if (sfd >= 0)
    close(sfd);
  ncap_capture_args_clear(&args);
  ncap_capture_opts_clear(&opts);
  g_free(node_opt);
  return ok;
}
