/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Channel → fifo relay: see relay.h. */
#include "relay.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "ncap-error.h"
#include "port.h"

/* Syscalls are the client's cost (a paravirtualised VM pays microseconds
 * per entry), and libssh 0.10 spends two per 4 KiB of stream whatever we
 * do: one poll() and one recv() of at most MAX_BUF_SIZE (4096, fixed when
 * libssh is built; socket.c). The rest is ours to keep small:
 *
 * - The channel window. libssh grows it to the size of a read (FACTS.md),
 *   and a big window keeps a long fat path full, but it sends a
 *   WINDOW_ADJUST (a sendto()) on every read whose size exceeds what the
 *   window and its buffer hold, so a read of a constant 4 MiB sent one per
 *   SSH packet (32 KiB). Instead one read in RELAY_REGROW bytes asks for
 *   RELAY_WINDOW, the others for RELAY_READ, which the window still covers
 *   (RELAY_READ <= RELAY_WINDOW - RELAY_REGROW): the window stays between
 *   3.5 and 4 MiB for one adjust per 512 KiB.
 * - Writes. Reads accumulate in the buffer and go out in one write() once
 *   it holds RELAY_FLUSH_AT bytes, or RELAY_LINGER_MS after its first byte
 *   (a slow stream still reaches Wireshark at once), or when the stream
 *   ends or stops.
 * - Waiting. libssh waits for the next whole packet itself (a read with a
 *   timeout: each of its polls either brings data or ends the wait). A
 *   read with timeout 0 returns after one 4 KiB recv() without a whole
 *   packet, and the old loop then read stderr and polled again, for
 *   nothing, several times per packet. Only once the stream pauses do we
 *   poll ourselves: the stop pipe and a fifo reader's going away must wake
 *   us, and libssh watches only its socket.
 * - stderr is read on idle wakeups (at most every RELAY_STDERR_MS) and at
 *   the end, not between reads. */
#define RELAY_WINDOW (4u << 20)
#define RELAY_REGROW (512u << 10)
#define RELAY_READ (1u << 20)
#define RELAY_FLUSH_AT (256u << 10)
/* Before a read, the buffer holds less than RELAY_FLUSH_AT: a window-sized
 * read always fits. */
#define RELAY_BUF_SIZE (RELAY_WINDOW + RELAY_FLUSH_AT)
#define RELAY_LINGER_MS 10
#define RELAY_STDERR_MS 200
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
void
ncap_relay_note_stop(void)
{
  if (stop_seen_at != 0)
    return;
  stop_seen_at = g_get_monotonic_time();
  ncap_port_alarm_every(100);
}

bool
ncap_relay_drain_expired(void)
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
  if (wake_pipe[0] < 0 && ncap_port_pipe(wake_pipe, true) < 0)
    wake_pipe[0] = wake_pipe[1] = -1;
  ncap_port_install_stop_handlers(on_stop_signal, on_alarm);
}

bool
ncap_relay_stop_requested(void)
{
  return stop_flag != 0;
}

int
ncap_relay_wake_fd(void)
{
  return wake_pipe[0];
}

void
ncap_relay_stop_timer_off(void)
{
  ncap_port_alarm_every(0);
}

NcapRelayWrite
ncap_relay_write_all(int fd, const char *buf, size_t len, int *err)
{
  while (len > 0) {
    ssize_t w = ncap_port_write(fd, buf, len);
    if (w < 0) {
      if (errno == EINTR) {
        if (stop_flag) {
          ncap_relay_note_stop();
          if (ncap_relay_drain_expired())
            return NCAP_RELAY_WRITE_STOP;
        }
        continue;
      }
      *err = errno;
      return errno == EPIPE ? NCAP_RELAY_WRITE_GONE : NCAP_RELAY_WRITE_FAIL;
    }
    buf += w;
    len -= (size_t)w;
  }
  return NCAP_RELAY_WRITE_OK;
}

gboolean
ncap_relay_open_output(const char *path, bool is_fifo, int *fd,
                       GError **error)
{
  if (strcmp(path, "-") == 0) {
    *fd = STDOUT_FILENO;
    return TRUE;
  }
  int flags = is_fifo ? O_WRONLY | O_CLOEXEC
                      : O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC;
  do
    *fd = open(path, flags, 0644);
  while (*fd < 0 && errno == EINTR && !stop_flag);
  if (*fd < 0) {
    if (stop_flag)
      return TRUE;
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO, "cannot open %s: %s",
                path, g_strerror(errno));
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

char *
ncap_relay_helper_failure(const char *helper, int status, const char *err,
                          int *code)
{
  g_autofree char *line = ncap_ssh_last_line(err);

  *code = NCAP_ERROR_REMOTE;
  if (status == 127)
    return g_strdup_printf("helper %s not found on the node (exit 127)%s%s",
                           helper, *line ? ": " : "", line);
  if (status == 126)
    return g_strdup_printf("helper %s cannot be run on the node (exit 126)%s%s",
                           helper, *line ? ": " : "", line);
  if (status < 0 && *line == '\0')
    return g_strdup_printf("helper %s ended without an exit status", helper);
  if (status > 0)
    *code = ncap_ssh_remote_error_code(status);
  if (*line)
    return g_steal_pointer(&line);
  return g_strdup_printf("helper %s exited with status %d", helper, status);
}

static void
remote_failure(NcapRelay *relay, NcapSsh *ssh, int status, const char *err,
               GError **error)
{
  int code;
  g_autofree char *text =
      ncap_relay_helper_failure(relay->helper, status, err, &code);
  g_set_error(error, NCAP_ERROR, code, "%s: %s", ncap_ssh_host(ssh), text);
}

typedef enum { FLUSH_OK, FLUSH_END, FLUSH_FAIL } FlushResult;

/* Write out what the buffer holds. FLUSH_END: the relay ends with *why
 * set (a stop after the drain time, the reader gone); FLUSH_FAIL: with
 * *error set. */
static FlushResult
flush_out(NcapRelay *relay, int outfd, const char *buf, size_t *fill,
          const char **why, bool *out_dead, GError **error)
{
  int werr = 0;
  NcapRelayWrite wr = ncap_relay_write_all(outfd, buf, *fill, &werr);

  switch (wr) {
  case NCAP_RELAY_WRITE_OK:
    relay->bytes += *fill;
    *fill = 0;
    return FLUSH_OK;
  case NCAP_RELAY_WRITE_STOP:
    *why = "stop requested, the reader did not take the rest in time";
    break;
  case NCAP_RELAY_WRITE_GONE:
    *why = "reader of the output went away";
    break;
  case NCAP_RELAY_WRITE_FAIL:
    g_set_error(error, NCAP_ERROR,
                werr == ENOSPC ? NCAP_ERROR_DISK_FULL : NCAP_ERROR_IO,
                "write to %s: %s", relay->out_path, g_strerror(werr));
    *out_dead = true;
    return FLUSH_FAIL;
  }
  *out_dead = true;
  return FLUSH_END;
}

static void
read_stderr(ssh_channel ch, GString *err, char *scratch, size_t size)
{
  int e;
  while ((e = ssh_channel_read_timeout(ch, scratch, (uint32_t)size, 1, 0)) > 0)
    keep_stderr(err, scratch, e);
}

gboolean
ncap_relay_run(NcapRelay *relay, NcapSsh *ssh, ssh_channel ch, GError **error)
{
  ssh_session session = ncap_ssh_session(ssh);
  g_autofree char *buf = g_malloc(RELAY_BUF_SIZE);
  char ebuf[4096];
  g_autoptr(GString) err = g_string_new(NULL);
  int outfd = -1;
  gboolean ok = TRUE, remote_ended = FALSE;
  gint64 last_io = g_get_monotonic_time(), first_at = 0, last_stderr = 0;
  const char *why = "stop requested";
  bool eof_sent = false, out_dead = false;
  /* fill: bytes buffered, not yet written; since_grow: bytes read since
   * the last window-sized read (the first read is one). */
  size_t fill = 0, since_grow = RELAY_REGROW;

  for (;;) {
    /* A stop first sends EOF to the helper, which then flushes what it
     * captured and exits: nothing already captured is lost (what the CLI's
     * Ctrl-C needs). A helper that does not end within DRAIN_US, or no
     * reader left, ends it the hard way. */
    if (stop_flag && !eof_sent) {
      ncap_relay_note_stop();
      ncap_ssh_log("stop requested: EOF to the helper, draining");
      ssh_channel_send_eof(ch);
      eof_sent = true;
    }
    if (ncap_relay_drain_expired()) {
      why = "stop requested, the helper did not end in time";
      break;
    }
    /* Wait for a whole packet at most until the buffered bytes are due,
     * or RELAY_LINGER_MS: a stop or a gone reader is seen that late at
     * worst while the stream flows; when it pauses, our own poll below
     * waits. */
    int timeout = RELAY_LINGER_MS;
    if (fill > 0) {
      gint64 left = first_at + RELAY_LINGER_MS * 1000 - g_get_monotonic_time();
      timeout = left > 0 ? (int)((left + 999) / 1000) : 0;
    }
    uint32_t want = RELAY_READ;
    if (since_grow >= RELAY_REGROW) {
      want = RELAY_WINDOW;
      since_grow = 0;
    }
    int n = ssh_channel_read_timeout(ch, buf + fill, want, 0, timeout);
    if (n == SSH_ERROR) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_SSH,
                  "%s: connection lost: %s", ncap_ssh_host(ssh),
                  ssh_get_error(session));
      ok = FALSE;
      break;
    }
    gint64 now = g_get_monotonic_time();
    if (n > 0) {
      last_io = now;
      if (outfd < 0) {
        if (!ncap_relay_open_output(relay->out_path, relay->out_is_fifo, &outfd, error)) {
          ok = FALSE;
          break;
        }
        if (outfd < 0) /* stopped while waiting for the reader */
          break;
        ncap_ssh_log("first bytes from the helper, output %s open",
                     relay->out_path);
      }
      if (fill == 0)
        first_at = now;
      fill += (size_t)n;
      since_grow += (size_t)n;
      if (fill >= RELAY_FLUSH_AT || now - first_at >= RELAY_LINGER_MS * 1000) {
        FlushResult fr = flush_out(relay, outfd, buf, &fill, &why, &out_dead, error);
        if (fr != FLUSH_OK) {
          ok = fr != FLUSH_FAIL;
          break;
        }
      }
      continue;
    }
    /* Nothing whole came in time: the buffered bytes are due, or the
     * helper's stdout ended. */
    if (fill > 0) {
      FlushResult fr = flush_out(relay, outfd, buf, &fill, &why, &out_dead, error);
      if (fr != FLUSH_OK) {
        ok = fr != FLUSH_FAIL;
        break;
      }
      continue;
    }
    if (ssh_channel_is_eof(ch) || ssh_channel_is_closed(ch)) {
      remote_ended = TRUE;
      break;
    }

    /* Idle. */
    if (now - last_stderr >= RELAY_STDERR_MS * 1000) {
      read_stderr(ch, err, ebuf, sizeof ebuf);
      last_stderr = now;
      /* Reading stderr may have taken stdout bytes (or the EOF) off the
       * socket into libssh: read them before sleeping on the socket. */
      if (ssh_channel_poll(ch, 0) != 0)
        continue;
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
    int pr = ncap_port_poll(pfd, nfds, stop_seen_at ? 100 : 1000);
    if (pr < 0 && errno != EINTR) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO, "poll: %s",
                  g_strerror(errno));
      ok = FALSE;
      break;
    }
    if (out_slot >= 0 && (pfd[out_slot].revents & (POLLERR | POLLHUP))) {
      why = "reader of the output went away";
      out_dead = true;
      break;
    }
    if (g_get_monotonic_time() - last_io > KEEPALIVE_US) {
      ncap_ssh_keepalive(ssh);
      last_io = g_get_monotonic_time();
    }
  }

  /* Bytes read before a stop's deadline or a lost connection still go
   * out (the old loop wrote each read at once). */
  if (fill > 0 && outfd >= 0 && !out_dead &&
      flush_out(relay, outfd, buf, &fill, &why, &out_dead,
                ok ? error : NULL) == FLUSH_FAIL)
    ok = FALSE;
  if (remote_ended) {
    read_stderr(ch, err, ebuf, sizeof ebuf);
    int status = ssh_channel_get_exit_status(ch);
    ncap_ssh_log("helper ended, exit status %d, %" G_GUINT64_FORMAT " bytes",
                 status, relay->bytes);
    if (status != 0) {
      remote_failure(relay, ssh, status, err->str, error);
      ok = FALSE;
    } else if (outfd < 0 && !ncap_relay_open_output(relay->out_path, relay->out_is_fifo, &outfd, error)) {
      /* Nothing came, but the helper succeeded: leave an empty output
       * rather than a missing one. */
      ok = FALSE;
    }
  } else {
    ncap_ssh_log("closing the channel: %s", ok ? why : "error");
  }
  ncap_relay_stop_timer_off();
  /* EOF on the helper's stdin, then close: the helper exits on either. */
  if (ssh_channel_is_open(ch)) {
    ssh_channel_send_eof(ch);
    ssh_channel_close(ch);
  }
  if (outfd >= 0 && outfd != STDOUT_FILENO)
    close(outfd);
  return ok;
}
