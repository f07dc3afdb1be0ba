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
#include "helper.h"
#include "ncap-error.h"
#include "pcapng.h"

/* Queue between the capture and stdout. 64 MiB holds about half a second
 * of a saturated gigabit link, on top of the kernel ring. */
#define QUEUE_BYTES (64u * 1024 * 1024)
/* ISBs go out periodically: tshark closes the fifo before it signals the
 * extcap, so an ISB written only at the very end is lost (FACTS.md). */
#define ISB_PERIOD_US (1 * G_USEC_PER_SEC)
/* At the end, how long to keep trying to hand over what is queued. */
#define DRAIN_US (2 * G_USEC_PER_SEC)

typedef struct {
  guint8 *buf;
  gsize cap, head, tail;  /* bytes [head, tail) are pending */
} Queue;

static bool
queue_put(const uint8_t *data, gsize len, void *user)
{
  Queue *q = user;
  if (q->tail + len > q->cap) {
    if (q->head == 0 || q->tail - q->head + len > q->cap)
      return false;
    memmove(q->buf, q->buf + q->head, q->tail - q->head);
    q->tail -= q->head;
    q->head = 0;
  }
  memcpy(q->buf + q->tail, data, len);
  q->tail += len;
  return true;
}

static gsize
queue_len(const Queue *q)
{
  return q->tail - q->head;
}

/* Queue a block built in a GByteArray. Headers and ISBs are not packets:
 * they must not be lost, so they may exceed the bound. */
static void
queue_put_always(Queue *q, GByteArray *ba)
{
  if (!queue_put(ba->data, ba->len, q)) {
    q->cap = q->tail + ba->len + QUEUE_BYTES / 4;
    q->buf = g_realloc(q->buf, q->cap);
    queue_put(ba->data, ba->len, q);
  }
  g_byte_array_set_size(ba, 0);
}

#define FLUSH_READER_GONE (-2)

/* Write what stdout takes now. Returns bytes written, FLUSH_READER_GONE on
 * EPIPE (the reader went away: a normal end), or -1 with error. */
static gssize
queue_flush(Queue *q, int fd, GError **error)
{
  gsize total = 0;
  while (queue_len(q) > 0) {
    ssize_t n = write(fd, q->buf + q->head, MIN(queue_len(q), (gsize)(4u << 20)));
    if (n > 0) {
      q->head += (gsize)n;
      total += (gsize)n;
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      break;
    if (n < 0 && errno == EPIPE) {
      return FLUSH_READER_GONE;
    }
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO, "writing the stream: %s",
                n < 0 ? g_strerror(errno) : "short write");
    return -1;
  }
  if (q->head == q->tail)
    q->head = q->tail = 0;
  return (gssize)total;
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

gboolean
ncap_verb_stream(NcapHelper *h, int argc, char **argv, GError **error)
{
  NcapCaptureArgs args = { 0 };
  gboolean no_exclude = FALSE, ignore_stdin = FALSE;
  char *node_opt = NULL;
  g_autofree GOptionEntry *cap_entries = ncap_capture_option_entries(&args, false, true);
  GOptionEntry entries[] = {
    { "node", 0, 0, G_OPTION_ARG_STRING, &node_opt,
      "Node name written in if_name (\"<node>:<iface>\"); default: host name", "NAME" },
    { "no-exclude-ssh", 0, 0, G_OPTION_ARG_NONE, &no_exclude,
      "Also capture this SSH session's own packets", NULL },
    { "ignore-stdin", 0, 0, G_OPTION_ARG_NONE, &ignore_stdin,
      "Do not stop at stdin EOF (local use with </dev/null)", NULL },
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
  Queue q = { 0 };
  int sfd = -1;
  sigset_t oldmask;

  if (!g_option_context_parse(ctx, &argc, &argv, error)) {
    if (*error)
      (*error)->domain = NCAP_ERROR, (*error)->code = NCAP_ERROR_INVALID;
    goto out;
  }
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

  cap = ncap_capture_new(&opts, h->node);
  ncap_capture_set_clock_shift(cap, h->clock_shift_ns);
  if (!no_exclude) {
    g_autofree char *ex = ssh_exclusion();
    if (ex)
      ncap_capture_set_exclude(cap, ex);
  }
  if (!ncap_capture_open(cap, error))
    goto out;
  /* From here on the handle is open: nothing below needs privilege. */

  sfd = signal_fd_setup(&oldmask);
  int out_fd = STDOUT_FILENO;
  int fl = fcntl(out_fd, F_GETFL);
  if (fl >= 0)
    fcntl(out_fd, F_SETFL, fl | O_NONBLOCK);

  q.cap = QUEUE_BYTES;
  q.buf = g_malloc(q.cap);
  ncap_capture_put_header(cap, ba, 0);
  queue_put_always(&q, ba);

  gint64 last_progress = g_get_monotonic_time();
  gint64 next_isb = last_progress + ISB_PERIOD_US;
  gboolean stdin_open = !ignore_stdin;
  gboolean done = FALSE, reader_gone = FALSE;
  const char *why = NULL;
  guint64 stall_us = opts.stall_timeout * G_USEC_PER_SEC;

  while (!done) {
    struct pollfd pfd[4];
    int n = 0, i_cap, i_out = -1, i_in = -1, i_sig;
    pfd[i_cap = n++] = (struct pollfd){ ncap_capture_fd(cap), POLLIN, 0 };
    pfd[i_sig = n++] = (struct pollfd){ sfd, POLLIN, 0 };
    if (queue_len(&q) > 0)
      pfd[i_out = n++] = (struct pollfd){ out_fd, POLLOUT, 0 };
    if (stdin_open)
      pfd[i_in = n++] = (struct pollfd){ STDIN_FILENO, POLLIN, 0 };

    gint64 now = g_get_monotonic_time();
    int timeout = (int)MAX(0, (next_isb - now) / 1000);
    timeout = MIN(timeout, 100);
    if (poll(pfd, (nfds_t)n, timeout) < 0 && errno != EINTR) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO, "poll: %s", g_strerror(errno));
      goto out;
    }

    if (pfd[i_sig].revents & POLLIN) {
      struct signalfd_siginfo si;
      if (read(sfd, &si, sizeof si) == (ssize_t)sizeof si)
        why = "signal", done = TRUE;
    }
    if (i_in >= 0 && (pfd[i_in].revents & (POLLIN | POLLHUP | POLLERR))) {
      char junk[512];
      ssize_t r = read(STDIN_FILENO, junk, sizeof junk);
      if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN))
        why = "end of input", done = TRUE, stdin_open = FALSE;
    }
    if (i_out >= 0 && (pfd[i_out].revents & (POLLERR | POLLHUP)) &&
        !(pfd[i_out].revents & POLLOUT)) {
      reader_gone = TRUE;
      break;
    }

    /* Always drain the ring: with TPACKET_V3 a block may be ready before
     * poll says so, and draining is what keeps the kernel from dropping. */
    if (ncap_capture_dispatch(cap, queue_put, &q, error) < 0)
      goto out;
    if (ncap_capture_limit_reached(cap)) {
      why = ncap_capture_limit_reached(cap);
      done = TRUE;
    }

    now = g_get_monotonic_time();
    if (now >= next_isb) {
      ncap_capture_put_isb(cap, ba);
      queue_put_always(&q, ba);
      next_isb = now + ISB_PERIOD_US;
    }

    if (queue_len(&q) > 0) {
      g_autoptr(GError) werr = NULL;
      gssize w = queue_flush(&q, out_fd, &werr);
      if (w == FLUSH_READER_GONE) {
        reader_gone = TRUE;
        break;
      }
      if (w < 0) {
        g_propagate_error(error, g_steal_pointer(&werr));
        goto out;
      }
      if (w > 0 || queue_len(&q) == 0)
        last_progress = now;
      else if ((guint64)(now - last_progress) >= stall_us) {
        g_set_error(error, NCAP_ERROR, NCAP_ERROR_STALLED,
                    "output stalled: the reader took nothing for %" G_GUINT64_FORMAT
                    " s; stopping", opts.stall_timeout);
        goto out;
      }
    } else {
      last_progress = now;
    }
  }

  if (!reader_gone) {
    /* Final statistics, then hand over what is queued, briefly: after
     * stdin EOF the channel is usually gone and writes fail fast. */
    ncap_capture_put_isb(cap, ba);
    queue_put_always(&q, ba);
    gint64 deadline = g_get_monotonic_time() + DRAIN_US;
    while (queue_len(&q) > 0 && g_get_monotonic_time() < deadline) {
      struct pollfd p = { out_fd, POLLOUT, 0 };
      if (poll(&p, 1, 100) > 0 && (p.revents & POLLOUT)) {
        if (queue_flush(&q, out_fd, NULL) < 0)
          break;
      } else if (p.revents & (POLLERR | POLLHUP)) {
        break;
      }
    }
  }
  (void)why;
  ok = TRUE;

out:
  if (sfd >= 0)
    close(sfd);
  g_free(q.buf);
  ncap_capture_args_clear(&args);
  ncap_capture_opts_clear(&opts);
  g_free(node_opt);
  return ok;
}
