/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Channel → fifo relay: see relay.h. */
#include "relay.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "ncap-error.h"

/* libssh grows the channel window to the size of a read (FACTS.md): a big
 * read keeps a long fat path full. */
#define RELAY_BUF_SIZE (4u << 20)
#define STDERR_KEEP 8192
#define KEEPALIVE_US (15 * G_USEC_PER_SEC)
/* After a stop signal: how long the helper gets to flush what it holds. */
#define DRAIN_US (3 * G_USEC_PER_SEC)

static volatile sig_atomic_t stop_flag;
static int wake_pipe[2] = {-1, -1};
static gint64 stop_seen_at; /* monotonic µs when the loop saw the stop */

static void
on_alarm(int sig)
{
  (void)sig; /* only interrupts a blocked write while draining */
}

/* Note the stop once; from then a 100 ms timer interrupts a write that a
 * stuck reader blocks, so the drain deadline is always checked. */
static void
note_stop(void)
{
  if (stop_seen_at != 0)
    return;
  stop_seen_at = g_get_monotonic_time();
  struct itimerval it = {{0, 100 * 1000}, {0, 100 * 1000}};
  setitimer(ITIMER_REAL, &it, NULL);
}

static bool
drain_expired(void)
{
  return stop_seen_at != 0 &&
         g_get_monotonic_time() - stop_seen_at > DRAIN_US;
}

static void
on_stop_signal(int sig)
{
  int saved = errno;
  (void)sig;
  stop_flag = 1;
  if (wake_pipe[1] >= 0) {
    ssize_t r = write(wake_pipe[1], "x", 1);
    (void)r;
  }
  errno = saved;
}

void
ncap_relay_install_signals(void)
{
  struct sigaction sa;

  if (wake_pipe[0] < 0 && pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
    wake_pipe[0] = wake_pipe[1] = -1;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  /* No SA_RESTART: a write blocked on a full fifo must return EINTR so a
   * stop is noticed at once. */
  sa.sa_flags = 0;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
}

bool
ncap_relay_stop_requested(void)
{
  return stop_flag != 0;
}

typedef enum { WRITE_OK, WRITE_STOP, WRITE_GONE, WRITE_FAIL } WriteResult;

static WriteResult
write_all(int fd, const char *buf, size_t len, int *err)
{
  while (len > 0) {
    ssize_t w = write(fd, buf, len);
    if (w < 0) {
      if (errno == EINTR) {
        if (stop_flag) {
          note_stop();
          if (drain_expired())
            return WRITE_STOP;
        }
        continue;
      }
      *err = errno;
      return errno == EPIPE ? WRITE_GONE : WRITE_FAIL;
    }
    buf += w;
    len -= (size_t)w;
  }
  return WRITE_OK;
}

static gboolean
open_output(NcapRelay *relay, int *fd, GError **error)
{
  if (strcmp(relay->out_path, "-") == 0) {
    *fd = STDOUT_FILENO;
    return TRUE;
  }
  int flags = relay->out_is_fifo ? O_WRONLY | O_CLOEXEC
                                 : O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC;
  do
    *fd = open(relay->out_path, flags, 0644);
  while (*fd < 0 && errno == EINTR && !stop_flag);
  if (*fd < 0) {
    if (stop_flag)
      return TRUE;
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO, "cannot open %s: %s",
                relay->out_path, g_strerror(errno));
    return FALSE;
  }
  return TRUE;
}

static void
keep_stderr(GString *err, const char *buf, int n)
{
  g_string_append_len(err, buf, n);
  if (err->len > STDERR_KEEP)
    g_string_erase(err, 0, err->len - STDERR_KEEP);
}

static void
remote_failure(NcapRelay *relay, NcapSsh *ssh, int status, const char *err,
               GError **error)
{
  g_autofree char *line = ncap_ssh_last_line(err);
  const char *host = ncap_ssh_host(ssh);

  if (status == 127)
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_REMOTE,
                "%s: helper %s not found on the node (exit 127)%s%s", host,
                relay->helper, *line ? ": " : "", line);
  else if (status == 126)
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_REMOTE,
                "%s: helper %s cannot be run on the node (exit 126)%s%s", host,
                relay->helper, *line ? ": " : "", line);
  else if (*line)
    g_set_error(error, NCAP_ERROR, ncap_ssh_remote_error_code(status), "%s: %s",
                host, line);
  else if (status < 0)
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_REMOTE,
                "%s: helper %s ended without an exit status", host,
                relay->helper);
  else
    g_set_error(error, NCAP_ERROR, ncap_ssh_remote_error_code(status),
                "%s: helper %s exited with status %d", host, relay->helper,
                status);
}

gboolean
ncap_relay_run(NcapRelay *relay, NcapSsh *ssh, ssh_channel ch, GError **error)
{
  ssh_session session = ncap_ssh_session(ssh);
  g_autofree char *buf = g_malloc(RELAY_BUF_SIZE);
  g_autoptr(GString) err = g_string_new(NULL);
  int outfd = -1, werr = 0;
  gboolean ok = TRUE, remote_ended = FALSE;
  gint64 last_io = g_get_monotonic_time();
  const char *why = "stop requested";
  bool eof_sent = false;

  for (;;) {
    /* A stop first sends EOF to the helper, which then flushes what it
     * captured and exits: nothing already captured is lost (what the CLI's
     * Ctrl-C needs). A helper that does not end within DRAIN_US, or no
     * reader left, ends it the hard way. */
    if (stop_flag && !eof_sent) {
      note_stop();
      ncap_ssh_log("stop requested: EOF to the helper, draining");
      ssh_channel_send_eof(ch);
      eof_sent = true;
    }
    if (drain_expired()) {
      why = "stop requested, the helper did not end in time";
      break;
    }
    int n = ssh_channel_read_timeout(ch, buf, RELAY_BUF_SIZE, 0, 0);
    if (n == SSH_ERROR) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_SSH,
                  "%s: connection lost: %s", ncap_ssh_host(ssh),
                  ssh_get_error(session));
      ok = FALSE;
      break;
    }
    if (n > 0) {
      last_io = g_get_monotonic_time();
      if (outfd < 0) {
        if (!open_output(relay, &outfd, error)) {
          ok = FALSE;
          break;
        }
        if (outfd < 0) /* stopped while waiting for the reader */
          break;
        ncap_ssh_log("first bytes from the helper, output %s open",
                     relay->out_path);
      }
      WriteResult wr = write_all(outfd, buf, (size_t)n, &werr);
      if (wr == WRITE_STOP)
        break;
      if (wr == WRITE_GONE) {
        why = "reader of the output went away";
        break;
      }
      if (wr == WRITE_FAIL) {
        g_set_error(error, NCAP_ERROR,
                    werr == ENOSPC ? NCAP_ERROR_DISK_FULL : NCAP_ERROR_IO,
                    "write to %s: %s", relay->out_path, g_strerror(werr));
        ok = FALSE;
        break;
      }
      relay->bytes += (guint64)n;
      continue; /* drain what libssh already holds before polling */
    }
    int e;
    while ((e = ssh_channel_read_timeout(ch, buf, 65536, 1, 0)) > 0)
      keep_stderr(err, buf, e);
    if (ssh_channel_is_eof(ch) || ssh_channel_is_closed(ch)) {
      remote_ended = TRUE;
      break;
    }

    struct pollfd pfd[3];
    nfds_t nfds = 0;
    pfd[nfds++] = (struct pollfd){.fd = ssh_get_fd(session), .events = POLLIN};
    if (wake_pipe[0] >= 0)
      pfd[nfds++] = (struct pollfd){.fd = wake_pipe[0], .events = POLLIN};
    /* A pipe's writer gets POLLERR when the reader closes: tshark closes
     * the fifo before it signals us, and the stream may be idle. */
    int out_slot = -1;
    if (outfd >= 0 && relay->out_is_fifo) {
      out_slot = (int)nfds;
      pfd[nfds++] = (struct pollfd){.fd = outfd, .events = 0};
    }
    int pr = poll(pfd, nfds, stop_seen_at ? 100 : 1000);
    if (pr < 0 && errno != EINTR) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO, "poll: %s",
                  g_strerror(errno));
      ok = FALSE;
      break;
    }
    if (out_slot >= 0 && (pfd[out_slot].revents & (POLLERR | POLLHUP))) {
      why = "reader of the output went away";
      break;
    }
    if (g_get_monotonic_time() - last_io > KEEPALIVE_US) {
      ncap_ssh_keepalive(ssh);
      last_io = g_get_monotonic_time();
    }
  }

  if (remote_ended) {
    int e;
    while ((e = ssh_channel_read_timeout(ch, buf, 65536, 1, 0)) > 0)
      keep_stderr(err, buf, e);
    int status = ssh_channel_get_exit_status(ch);
    ncap_ssh_log("helper ended, exit status %d, %" G_GUINT64_FORMAT " bytes",
                 status, relay->bytes);
    if (status != 0) {
      remote_failure(relay, ssh, status, err->str, error);
      ok = FALSE;
    } else if (outfd < 0 && !open_output(relay, &outfd, error)) {
      /* Nothing came, but the helper succeeded: leave an empty output
       * rather than a missing one. */
      ok = FALSE;
    }
  } else {
    ncap_ssh_log("closing the channel: %s", ok ? why : "error");
  }
  struct itimerval off = {{0, 0}, {0, 0}};
  setitimer(ITIMER_REAL, &off, NULL);
  /* EOF on the helper's stdin, then close: the helper exits on either. */
  if (ssh_channel_is_open(ch)) {
    ssh_channel_send_eof(ch);
    ssh_channel_close(ch);
  }
  if (outfd >= 0 && outfd != STDOUT_FILENO)
    close(outfd);
  return ok;
}
