/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Channel → fifo relay: see relay.h. */
#include "relay.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "log.h"
#include "ncap-error.h"
#include "node.h"
#include "ncap-text.h"
#include "pcapng-check.h"
#include "port.h"

/* Syscalls are the client's cost (a paravirtualised VM pays microseconds
 * per entry), and libssh 0.10 spends two per 4 KiB of stream whatever we
 * do: one poll() and one recv() of at most MAX_BUF_SIZE (4096, fixed when
 * libssh is built; socket.c). The rest is ours to keep small:
 *
 * - The channel window. libssh grows it to the size of a read (docs/wireshark-facts.md),
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
 * - stderr is read on idle wakeups, at the end, and after every
 *   RELAY_STDERR_READS reads that brought stdout: libssh keeps what the
 *   node writes to stderr until it is read, and each read re-opens the
 *   channel window (up to RELAY_WINDOW), so a node that floods stderr
 *   while its stream flows would otherwise make us hold all of it
 *   (docs/security.md "What a node can do to the analyst"). Draining it
 *   bounds that to a few windows, at the cost of one non-blocking poll per
 *   RELAY_STDERR_READS reads. */
#define RELAY_WINDOW (4u << 20)
#define RELAY_REGROW (512u << 10)
#define RELAY_READ (1u << 20)
#define RELAY_FLUSH_AT (256u << 10)
/* Only whole blocks that passed the stream checks (pcapng-check.h) go out;
 * the start of a block not yet whole stays in the buffer. Before a read,
 * the buffer holds less than RELAY_FLUSH_AT of checked bytes and less than
 * one block of unchecked ones: a window-sized read always fits. */
#define RELAY_BUF_SIZE \
  (RELAY_WINDOW + RELAY_FLUSH_AT + NCAP_PCAPNG_CHECK_MAX_BLOCK)
#define RELAY_LINGER_MS 10
#define RELAY_STDERR_READS 4
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

void
ncap_relay_ack(ssh_channel ch, gint64 now, gint64 *last_ack)
{
  if (now - *last_ack < NCAP_RELAY_ACK_US)
    return;
  *last_ack = now;
  /* One byte in one SSH packet; the helper reads its stdin all the time,
   * so the channel's window for it never fills. */
  (void)ssh_channel_write(ch, "\n", 1);
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

typedef enum { FLUSH_OK, FLUSH_END, FLUSH_FAIL } FlushResult;

/* Bytes at the start of the buffer that form whole checked blocks. */
static size_t
checked_ready(const NcapRelay *relay, const NcapPcapngCheck *chk)
{
  return (size_t)(ncap_pcapng_check_valid_end(chk) - relay->bytes);
}

/* Write out the whole checked blocks the buffer holds; the start of a
 * block not yet whole moves to the front. FLUSH_END: the relay ends with
 * *why set (a stop after the drain time, the reader gone); FLUSH_FAIL:
 * with *error set. */
static FlushResult
flush_out(NcapRelay *relay, const NcapPcapngCheck *chk, int outfd, char *buf,
          size_t *fill, const char **why, bool *out_dead, GError **error)
{
  int werr = 0;
  size_t ready = checked_ready(relay, chk);
  if (ready == 0)
    return FLUSH_OK;
  NcapRelayWrite wr = ncap_relay_write_all(outfd, buf, ready, &werr);

  switch (wr) {
  case NCAP_RELAY_WRITE_OK:
    relay->bytes += ready;
    *fill -= ready;
    if (*fill > 0)
      memmove(buf, buf + ready, *fill);
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

/* The node's stream broke the checks (check_error) or ended inside a
 * block: after the whole blocks before it, the output gets a packet whose
 * comment says so (frame.comment), and the relay's error names the node. */
static void
stream_refused(NcapRelay *relay, NcapSsh *ssh, const NcapPcapngCheck *chk,
               int outfd, bool out_dead, const char *problem, GError **error)
{
  g_autofree char *what = g_strdup_printf(
      "%s: the node sent a malformed stream: %s; the %" G_GUINT64_FORMAT
      " bytes before it are kept", ncap_ssh_host(ssh), problem,
      ncap_pcapng_check_valid_end(chk));
  ncap_log("%s", what);
  if (outfd >= 0 && !out_dead) {
    g_autoptr(GByteArray) note = g_byte_array_new();
    g_autofree char *comment = g_strdup_printf("nodecap: %s", what);
    ncap_pcapng_check_put_failure(chk, note, ncap_ssh_host(ssh), comment);
    int werr = 0;
    if (ncap_relay_write_all(outfd, (const char *)note->data, note->len,
                             &werr) != NCAP_RELAY_WRITE_OK)
      ncap_log("could not write the failure note to %s", relay->out_path);
  }
  g_set_error(error, NCAP_ERROR, NCAP_ERROR_MALFORMED, "%s", what);
}

typedef enum { IDLE_GO, IDLE_FAIL, IDLE_END } IdleResult;

/* Nothing to read: sleep on the socket, the stop pipe and the fifo's
 * reader. IDLE_END: the reader went away (why, out_dead). */
static IdleResult
relay_idle(NcapRelay *relay, NcapSsh *ssh, ssh_channel ch, int outfd,
           gint64 *last_io, const char **why, bool *out_dead, GError **error)
{
  /* Reading stderr may have taken stdout bytes (or the EOF) off the
   * socket into libssh: read them before sleeping on the socket. */
  if (ssh_channel_poll(ch, 0) != 0)
    return IDLE_GO;
  struct pollfd pfd[3];
  nfds_t nfds = 0;
  pfd[nfds++] = (struct pollfd){.fd = ssh_get_fd(ncap_ssh_session(ssh)),
                                .events = POLLIN};
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
    return IDLE_FAIL;
  }
  if (out_slot >= 0 && (pfd[out_slot].revents & (POLLERR | POLLHUP))) {
    *why = "reader of the output went away";
    *out_dead = true;
    return IDLE_END;
  }
  if (g_get_monotonic_time() - *last_io > KEEPALIVE_US) {
    ncap_ssh_keepalive(ssh);
    *last_io = g_get_monotonic_time();
  }
  return IDLE_GO;
}

/* The helper's stdout ended: its exit status, a stream cut inside a
 * block, or an empty output for a helper that sent nothing. */
static gboolean
relay_remote_ended(NcapRelay *relay, NcapSsh *ssh, ssh_channel ch,
                   NcapPcapngCheck *chk, int *outfd, bool out_dead,
                   GString *err, GError **error)
{
  char ebuf[4096];
  read_stderr(ch, err, ebuf, sizeof ebuf);
  int status = ncap_ssh_exit_status(ch);
  ncap_log("helper ended, exit status %d, %" G_GUINT64_FORMAT " bytes",
               status, relay->bytes);
  if (status != 0) {
    ncap_node_set_helper_error(error, ncap_ssh_host(ssh), relay->helper, status, err->str);
    return FALSE;
  } else if (!ncap_pcapng_check_at_boundary(chk)) {
    g_autofree char *cut = g_strdup_printf(
        "pcapng: stream ended inside a block (%" G_GUINT64_FORMAT
        " bytes of it)", ncap_pcapng_check_fed(chk) -
                             ncap_pcapng_check_valid_end(chk));
    stream_refused(relay, ssh, chk, *outfd, out_dead, cut, error);
    return FALSE;
  } else if (*outfd < 0 && !ncap_relay_open_output(relay->out_path, relay->out_is_fifo, outfd, error)) {
    /* Nothing came, but the helper succeeded: leave an empty output
     * rather than a missing one. */
    return FALSE;
  }
  return TRUE;
}

/* A stop: EOF to the helper, which flushes what it captured and exits.
 * Returns true (EOF sent). */
static bool
relay_send_stop(ssh_channel ch)
{
  ncap_relay_note_stop();
  ncap_log("stop requested: EOF to the helper, draining");
  ssh_channel_send_eof(ch);
  return true;
}

/* How much to ask of the channel: a window-sized read every RELAY_REGROW
 * bytes (since_grow), else RELAY_READ; never more than the buffer holds. */
static uint32_t
relay_read_size(size_t *since_grow, size_t fill)
{
  uint32_t want = RELAY_READ;
  if (*since_grow >= RELAY_REGROW) {
    want = RELAY_WINDOW;
    *since_grow = 0;
  }
  if (want > RELAY_BUF_SIZE - fill)
    want = (uint32_t)(RELAY_BUF_SIZE - fill);
  return want;
}

gboolean
ncap_relay_run(NcapRelay *relay, NcapSsh *ssh, ssh_channel ch, GError **error)
{
  /* Every node's stream is checked before a byte of it goes out. */
  g_autoptr(NcapPcapngCheck) chk = ncap_pcapng_check_new(NULL);
  g_autofree char *bad = NULL;
  ssh_session session = ncap_ssh_session(ssh);
  g_autofree char *buf = g_malloc(RELAY_BUF_SIZE);
  char ebuf[4096];
  g_autoptr(GString) err = g_string_new(NULL);
  int outfd = -1;
  gboolean ok = TRUE, remote_ended = FALSE;
  gint64 last_io = g_get_monotonic_time(), first_at = 0;
  unsigned reads_since_stderr = 0;
  const char *why = "stop requested";
  bool eof_sent = false, out_dead = false;
  gint64 last_ack = 0;
  /* fill: bytes buffered, not yet written; since_grow: bytes read since
   * the last window-sized read (the first read is one). */
  size_t fill = 0, since_grow = RELAY_REGROW;

  for (;;) {
    /* A stop first sends EOF to the helper, which then flushes what it
     * captured and exits: nothing already captured is lost (what the CLI's
     * Ctrl-C needs). A helper that does not end within DRAIN_US, or no
     * reader left, ends it the hard way. */
    if (stop_flag && !eof_sent)
      eof_sent = relay_send_stop(ch);
    if (ncap_relay_drain_expired()) {
      why = "stop requested, the helper did not end in time";
      break;
    }
    if (!eof_sent)
      ncap_relay_ack(ch, g_get_monotonic_time(), &last_ack);
    /* Wait for a whole packet at most until the buffered bytes are due,
     * or RELAY_LINGER_MS: a stop or a gone reader is seen that late at
     * worst while the stream flows; when it pauses, our own poll below
     * waits. */
    int timeout = RELAY_LINGER_MS;
    size_t ready = checked_ready(relay, chk);
    if (ready > 0) {
      gint64 left = first_at + RELAY_LINGER_MS * 1000 - g_get_monotonic_time();
      timeout = left > 0 ? (int)((left + 999) / 1000) : 0;
    }
    uint32_t want = relay_read_size(&since_grow, fill);
    int n = ssh_channel_read_timeout(ch, buf + fill, want, 0, timeout);
    if (n == SSH_ERROR) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_SSH,
                  "%s: connection lost: %s", ncap_ssh_host(ssh),
                  ssh_get_error(session));
      ok = FALSE;
      break;
    }
    gint64 now = g_get_monotonic_time();
    ncap_report_tick(relay->report);
    if (n > 0) {
      ncap_report_feed(relay->report, 0, (const guint8 *)buf + fill, (gsize)n);
      last_io = now;
      if (outfd < 0) {
        if (!ncap_relay_open_output(relay->out_path, relay->out_is_fifo, &outfd, error)) {
          ok = FALSE;
          break;
        }
        if (outfd < 0) /* stopped while waiting for the reader */
          break;
        ncap_log("first bytes from the helper, output %s open",
                     relay->out_path);
      }
      g_autoptr(GError) cerr = NULL;
      if (!ncap_pcapng_check_feed(chk, (const uint8_t *)buf + fill, (gsize)n,
                                  &cerr))
        bad = g_strdup(cerr->message);
      if (ready == 0)
        first_at = now;
      fill += (size_t)n;
      since_grow += (size_t)n;
      ready = checked_ready(relay, chk);
      if (bad || ready >= RELAY_FLUSH_AT ||
          (ready > 0 && now - first_at >= RELAY_LINGER_MS * 1000)) {
        FlushResult fr = flush_out(relay, chk, outfd, buf, &fill, &why, &out_dead, error);
        if (fr != FLUSH_OK) {
          ok = fr != FLUSH_FAIL;
          break;
        }
        first_at = now;
      }
      if (bad) {
        stream_refused(relay, ssh, chk, outfd, out_dead, bad, error);
        ok = FALSE;
        break;
      }
      if (++reads_since_stderr >= RELAY_STDERR_READS) {
        read_stderr(ch, err, ebuf, sizeof ebuf);
        reads_since_stderr = 0;
      }
      continue;
    }
    /* Nothing whole came in time: the buffered bytes are due, or the
     * helper's stdout ended. */
    if (ready > 0) {
      FlushResult fr = flush_out(relay, chk, outfd, buf, &fill, &why, &out_dead, error);
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
    read_stderr(ch, err, ebuf, sizeof ebuf);
    reads_since_stderr = 0;
    IdleResult ir = relay_idle(relay, ssh, ch, outfd, &last_io, &why,
                               &out_dead, error);
    if (ir == IDLE_FAIL) {
      ok = FALSE;
      break;
    }
    if (ir == IDLE_END)
      break;
  }

  /* Bytes read before a stop's deadline or a lost connection still go
   * out (the old loop wrote each read at once). */
  if (fill > 0 && outfd >= 0 && !out_dead &&
      flush_out(relay, chk, outfd, buf, &fill, &why, &out_dead,
                ok ? error : NULL) == FLUSH_FAIL)
    ok = FALSE;
  if (remote_ended) {
    if (!relay_remote_ended(relay, ssh, ch, chk, &outfd, out_dead, err, error))
      ok = FALSE;
  } else {
    ncap_log("closing the channel: %s", ok ? why : "error");
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
