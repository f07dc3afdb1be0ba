/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copies the helper's pcapng stream from an exec channel to Wireshark's
 * fifo (or a file, or stdout), and ends it so that nothing stays running
 * on the node: on SIGTERM/SIGINT/SIGHUP, on the fifo's reader going away,
 * and on our own exit the channel is closed, which the helper sees as
 * stdin EOF. The output is opened only once the helper has sent its first
 * bytes: a helper that fails before capturing writes nothing, and its
 * stderr line becomes our error, so tshark shows it. Bytes go out in
 * writes of up to 256 KiB, at most 10 ms after they arrived (few syscalls
 * per MB: see relay.c). */
#ifndef NCAP_RELAY_H
#define NCAP_RELAY_H

#include <glib.h>
#include <stdbool.h>

#include "ssh.h"

/* SIGTERM/SIGINT/SIGHUP set a flag and wake the relay; SIGPIPE is
 * ignored (EPIPE is handled). Call before the helper is started. */
void ncap_relay_install_signals(void);
/* True once a stop signal arrived. */
bool ncap_relay_stop_requested(void);

/* The read end of the pipe a stop signal writes to: poll it to wake up. */
int ncap_relay_wake_fd(void);
/* A stop was seen: start the drain clock (and a 100 ms timer that
 * interrupts a write blocked by a stuck reader). Idempotent. */
void ncap_relay_note_stop(void);
/* The helpers had their time to flush after a stop. */
bool ncap_relay_drain_expired(void);
void ncap_relay_stop_timer_off(void);

/* The client's acknowledgement to the helper (`stream --client-acks`,
 * docs/reliability.md "Cut"): one byte on the helper's stdin every
 * NCAP_RELAY_ACK_US while the stream runs. The helper ends when none
 * arrives for its stall time-out: after a cut, sshd's buffers and the
 * channel window still take its output for a minute, but no
 * acknowledgement gets through. Call it on every turn of the loop until
 * the EOF is sent; *last_ack is the time of the last one. */
#define NCAP_RELAY_ACK_US (1 * G_USEC_PER_SEC)
void ncap_relay_ack(ssh_channel ch, gint64 now, gint64 *last_ack);

/* Open the output: "-" = stdout, a fifo O_WRONLY only (waits for its
 * reader), else create/truncate. *fd < 0 with TRUE: stopped while
 * waiting. */
gboolean ncap_relay_open_output(const char *path, bool is_fifo, int *fd,
                                GError **error);

typedef enum {
  NCAP_RELAY_WRITE_OK,
  NCAP_RELAY_WRITE_STOP, /* stopped and the drain time is over */
  NCAP_RELAY_WRITE_GONE, /* EPIPE: the reader went away */
  NCAP_RELAY_WRITE_FAIL, /* *err holds errno */
} NcapRelayWrite;
NcapRelayWrite ncap_relay_write_all(int fd, const char *buf, size_t len,
                                    int *err);

typedef struct {
  const char *out_path;  /* fifo/file path, or "-" for stdout */
  bool out_is_fifo;      /* open O_WRONLY only (never create) */
  const char *helper;    /* for messages: the helper path on the node */
  guint64 bytes;         /* out: bytes written */
} NcapRelay;

/* Relay until the helper ends, a stop signal, or the reader is gone.
 * A stop is not an error. The helper's non-zero exit is an error whose
 * message is "<host>: <the helper's stderr line>" and whose code follows
 * the helper's exit status (ncap_ssh_remote_error_code). */
gboolean ncap_relay_run(NcapRelay *relay, NcapSsh *ssh, ssh_channel ch,
                        GError **error);

#endif
