/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The portable layer: every call of extcap/ and common/ that POSIX and
 * Windows spell differently goes through here (GLib's where it has one).
 * Files that include this header use open/read/write/close on file
 * descriptors and struct pollfd/POLLIN as usual; on Windows:
 *  - O_CLOEXEC means "not inherited, binary" (a pcapng stream must never
 *    go through text mode), O_NOFOLLOW and O_NONBLOCK mean nothing;
 *  - struct pollfd comes from winsock2.h and ncap_port_poll() accepts
 *    sockets (WSAPoll), pipes (PeekNamedPipe: POLLIN when bytes wait,
 *    POLLHUP when the other end is gone) and other files (always ready);
 *  - there are no signals: Wireshark ends an extcap with TerminateProcess,
 *    which closes the SSH socket, and the node's helper ends on EOF.
 *    Ctrl-C/Ctrl-Break in a console count as a stop. */
#ifndef NCAP_PORT_H
#define NCAP_PORT_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#ifdef G_OS_WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
#include <fcntl.h>
#include <io.h>
#include <unistd.h>
#undef O_CLOEXEC
#define O_CLOEXEC (_O_NOINHERIT | _O_BINARY)
#define O_NOFOLLOW 0
#define O_NONBLOCK 0
typedef unsigned long nfds_t;
#define NCAP_PORT_DEVNULL "NUL"
#define MSG_NOSIGNAL 0 /* no SIGPIPE on Windows */
#define MSG_DONTWAIT 0 /* callers recv only what poll said is there */
#define SHUT_RDWR SD_BOTH
#else
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#define NCAP_PORT_DEVNULL "/dev/null"
#endif

/* Once at the start of main: stdio in binary mode, Winsock started. */
void ncap_port_init(void);

/* A pipe whose ends are not inherited; nonblock: both ends. -1 + errno. */
int ncap_port_pipe(int fds[2], bool nonblock);

/* A connected stream socket pair, not inherited (POSIX: AF_UNIX; Windows:
 * two TCP sockets on 127.0.0.1). -1 + errno. Close each end with
 * ncap_port_close_socket. */
int ncap_port_socketpair(int sv[2]);
int ncap_port_close_socket(int fd);

/* poll(2), also for sockets and pipes on Windows (see above). */
int ncap_port_poll(struct pollfd *fds, nfds_t nfds, int timeout_ms);

/* write(2); on Windows a pipe whose reader is gone fails with EPIPE. */
ssize_t ncap_port_write(int fd, const void *buf, size_t len);

/* fsync(2) (_commit on Windows). */
int ncap_port_fsync(int fd);

/* Stop handling. on_stop runs for SIGTERM/SIGINT/SIGHUP (POSIX, without
 * SA_RESTART so a blocked write returns EINTR) or a console Ctrl-C/Break
 * (Windows, on another thread); on_alarm for SIGALRM; SIGPIPE ignored. */
void ncap_port_install_stop_handlers(void (*on_stop)(int), void (*on_alarm)(int));
/* handler(SIGINT or SIGTERM) for those two only (POSIX, no SA_RESTART),
 * or for a console Ctrl-C/Break (Windows; SIGINT). */
void ncap_port_on_interrupt(void (*handler)(int));
/* Block the stop signals in this thread (and threads it starts) / put
 * the previous mask back. No-ops on Windows. */
void ncap_port_block_stop_signals(void);
void ncap_port_unblock_stop_signals(void);
/* A periodic SIGALRM every interval_ms (0: off) that interrupts a blocked
 * write after a stop. Windows has no such thing: a no-op. */
void ncap_port_alarm_every(unsigned interval_ms);

/* Exclusive advisory lock on an open file (blocks; EINTR retried). */
int ncap_port_lock(int fd);
/* TRUE when path still names the file open as fd (no rename/replace
 * since it was opened). Windows has no inode numbers: always TRUE there,
 * the lock being mandatory. */
bool ncap_port_fd_is_path(int fd, const char *path);

/* TCP keepalive after idle_s, probes every intvl_s, cnt of them; unacked
 * data gives up after user_timeout_ms where the system has that. */
void ncap_port_tcp_keepalive(int sock, int idle_s, int intvl_s, int cnt,
                             unsigned user_timeout_ms);

/* Wall-clock time in nanoseconds since 1970 (CLOCK_REALTIME; on Windows
 * GetSystemTimePreciseAsFileTime, 100 ns steps). */
gint64 ncap_port_real_time_ns(void);

/* The machine ("x86_64") and system ("Linux 6.1.0-..", "Windows 10 ..")
 * for a pcapng section header. transfer full, NULL when unknown. */
char *ncap_port_machine(void);
char *ncap_port_os(void);

/* Rename a file that fd holds open (and locked), then close fd (also on
 * failure). POSIX renames the open file, so the lock is held across the
 * rename; Windows cannot rename an open file and closes it first.
 * 0, or -1 + errno. */
int ncap_port_rename_and_close(int fd, const char *from, const char *to);

/* True when standard input is a terminal (a prompt may be shown). */
bool ncap_port_stdin_is_tty(void);

/* Show prompt on the terminal and read one line with echo off (ssh's
 * passphrase prompt). transfer full: the line without its end, NULL when
 * there is no terminal or nothing was entered; *interrupted: Ctrl-C was
 * typed (the caller raises the stop). */
char *ncap_port_ask_secret(const char *prompt, bool *interrupted);

#endif
