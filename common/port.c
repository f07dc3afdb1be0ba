/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The portable layer: see port.h. The only file of extcap/ and common/
 * with a G_OS_WIN32 branch. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pipe2 (CMake defines it for the whole tree) */
#endif
#include "port.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#ifdef G_OS_WIN32
#include <windows.h>
#else
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <fcntl.h>
#include <termios.h>
#include <unistd.h>
#endif

#ifdef G_OS_WIN32

static void (*stop_cb)(int);

static BOOL WINAPI
on_console_ctrl(DWORD type)
{
  if (stop_cb != NULL && (type == CTRL_C_EVENT || type == CTRL_BREAK_EVENT ||
                          type == CTRL_CLOSE_EVENT)) {
    stop_cb(2 /* SIGINT */);
    return TRUE;
  }
  return FALSE;
}

void
ncap_port_init(void)
{
  WSADATA wsa;
  _setmode(0, _O_BINARY);
  _setmode(1, _O_BINARY);
  _setmode(2, _O_BINARY);
  WSAStartup(MAKEWORD(2, 2), &wsa);
}

int
ncap_port_pipe(int fds[2], bool nonblock)
{
  /* Anonymous pipes are named pipes underneath: ncap_port_poll() peeks
   * them. Writes of a few bytes into a 64 KiB pipe do not block. */
  (void)nonblock;
  return _pipe(fds, 65536, _O_BINARY | _O_NOINHERIT);
}

int
ncap_port_socketpair(int sv[2])
{
  SOCKET l, c = INVALID_SOCKET, a = INVALID_SOCKET;
  struct sockaddr_in addr = {.sin_family = AF_INET};
  int len = sizeof addr;

  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  l = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  if (l == INVALID_SOCKET)
    goto fail;
  if (bind(l, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(l, 1) != 0 ||
      getsockname(l, (struct sockaddr *)&addr, &len) != 0)
    goto fail;
  c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  if (c == INVALID_SOCKET || connect(c, (struct sockaddr *)&addr, sizeof addr) != 0)
    goto fail;
  a = accept(l, NULL, NULL);
  if (a == INVALID_SOCKET)
    goto fail;
  closesocket(l);
  SetHandleInformation((HANDLE)c, HANDLE_FLAG_INHERIT, 0);
  SetHandleInformation((HANDLE)a, HANDLE_FLAG_INHERIT, 0);
  sv[0] = (int)c;
  sv[1] = (int)a;
  return 0;
fail:
  if (l != INVALID_SOCKET)
    closesocket(l);
  if (c != INVALID_SOCKET)
    closesocket(c);
  errno = EIO;
  return -1;
}

int
ncap_port_close_socket(int fd)
{
  return closesocket((SOCKET)fd) == 0 ? 0 : -1;
}

static bool
is_socket(SOCKET s)
{
  int type;
  int len = sizeof type;
  return getsockopt(s, SOL_SOCKET, SO_TYPE, (char *)&type, &len) == 0;
}

/* revents of a non-socket entry, without waiting. */
static short
peek_fd(int fd, short events)
{
  HANDLE h = (HANDLE)_get_osfhandle(fd);
  DWORD avail = 0;

  if (h == INVALID_HANDLE_VALUE)
    return POLLNVAL;
  if (GetFileType(h) != FILE_TYPE_PIPE)
    return events & (POLLIN | POLLOUT);
  if (!PeekNamedPipe(h, NULL, 0, NULL, &avail, NULL)) {
    DWORD e = GetLastError();
    if (e == ERROR_BROKEN_PIPE || e == ERROR_PIPE_NOT_CONNECTED ||
        e == ERROR_NO_DATA)
      return POLLHUP;
    /* A write-only end of a named pipe cannot always be peeked: it is
     * then taken as alive. */
    return 0;
  }
  return avail > 0 ? (events & POLLIN) : 0;
}

int
ncap_port_poll(struct pollfd *fds, nfds_t nfds, int timeout_ms)
{
  /* Sockets wait in WSAPoll; pipes are peeked between slices of at most
   * 10 ms (the wake-up pipes of nodecap carry a few bytes, rarely). nfds
   * is small: a merge has at most NCAP_MERGE_MAX_SOURCES + 3. */
  WSAPOLLFD *socks = g_newa(WSAPOLLFD, nfds + 1);
  int *map = g_newa(int, nfds + 1);
  bool *sock = g_newa(bool, nfds + 1);
  ULONG ns = 0;
  gint64 deadline = timeout_ms < 0 ? G_MAXINT64
                                   : g_get_monotonic_time() + (gint64)timeout_ms * 1000;

  for (nfds_t i = 0; i < nfds; i++) {
    fds[i].revents = 0;
    sock[i] = is_socket(fds[i].fd);
    if (sock[i]) {
      socks[ns] = (WSAPOLLFD){.fd = fds[i].fd, .events = fds[i].events & (POLLRDNORM | POLLWRNORM)};
      map[ns++] = (int)i;
    }
  }
  for (;;) {
    int ready = 0;
    for (nfds_t i = 0; i < nfds; i++)
      if (!sock[i] && (fds[i].revents = peek_fd((int)fds[i].fd, fds[i].events)) != 0)
        ready++;
    gint64 left = deadline == G_MAXINT64 ? 10000 : deadline - g_get_monotonic_time();
    int slice = ready > 0 || left <= 0 ? 0 : (int)MIN((left + 999) / 1000, 10);
    if (ns > 0) {
      int r = WSAPoll(socks, ns, slice);
      if (r < 0) {
        errno = EIO;
        return -1;
      }
      for (ULONG k = 0; k < ns; k++)
        if ((fds[map[k]].revents = socks[k].revents) != 0)
          ready++;
    } else if (slice > 0) {
      Sleep((DWORD)slice);
    }
    if (ready > 0 || (deadline != G_MAXINT64 && g_get_monotonic_time() >= deadline))
      return ready;
  }
}

ssize_t
ncap_port_write(int fd, const void *buf, size_t len)
{
  HANDLE h = (HANDLE)_get_osfhandle(fd);
  DWORD done = 0;

  if (h == INVALID_HANDLE_VALUE) {
    errno = EBADF;
    return -1;
  }
  if (len > 0x40000000u)
    len = 0x40000000u;
  /* WriteFile, not write(): no text mode, and the pipe errors are ours
   * to map (msvcrt turns ERROR_NO_DATA into EINVAL). */
  if (!WriteFile(h, buf, (DWORD)len, &done, NULL)) {
    DWORD e = GetLastError();
    if (e == ERROR_NO_DATA || e == ERROR_BROKEN_PIPE || e == ERROR_PIPE_NOT_CONNECTED)
      errno = EPIPE;
    else if (e == ERROR_DISK_FULL || e == ERROR_HANDLE_DISK_FULL)
      errno = ENOSPC;
    else
      errno = EIO;
    return -1;
  }
  return (ssize_t)done;
}

int
ncap_port_fsync(int fd)
{
  return _commit(fd);
}

void
ncap_port_install_stop_handlers(void (*on_stop)(int), void (*on_alarm)(int))
{
  (void)on_alarm;
  stop_cb = on_stop;
  SetConsoleCtrlHandler(on_console_ctrl, TRUE);
}

void
ncap_port_on_interrupt(void (*handler)(int))
{
  stop_cb = handler;
  SetConsoleCtrlHandler(on_console_ctrl, TRUE);
}

void ncap_port_block_stop_signals(void) {}
void ncap_port_unblock_stop_signals(void) {}
void ncap_port_alarm_every(unsigned interval_ms) { (void)interval_ms; }

int
ncap_port_lock(int fd)
{
  HANDLE h = (HANDLE)_get_osfhandle(fd);
  OVERLAPPED ov = {0};
  if (h == INVALID_HANDLE_VALUE || !LockFileEx(h, LOCKFILE_EXCLUSIVE_LOCK, 0, MAXDWORD, MAXDWORD, &ov)) {
    errno = EIO;
    return -1;
  }
  return 0;
}

bool
ncap_port_fd_is_path(int fd, const char *path)
{
  (void)fd;
  (void)path;
  return true;
}

void
ncap_port_tcp_keepalive(int sock, int idle_s, int intvl_s, int cnt,
                        unsigned user_timeout_ms)
{
  DWORD on = 1, idle = (DWORD)idle_s, intvl = (DWORD)intvl_s, n = (DWORD)cnt;
  (void)user_timeout_ms; /* no TCP_USER_TIMEOUT: keepalives only */
  setsockopt((SOCKET)sock, SOL_SOCKET, SO_KEEPALIVE, (const char *)&on, sizeof on);
#ifdef TCP_KEEPIDLE
  setsockopt((SOCKET)sock, IPPROTO_TCP, TCP_KEEPIDLE, (const char *)&idle, sizeof idle);
  setsockopt((SOCKET)sock, IPPROTO_TCP, TCP_KEEPINTVL, (const char *)&intvl, sizeof intvl);
  setsockopt((SOCKET)sock, IPPROTO_TCP, TCP_KEEPCNT, (const char *)&n, sizeof n);
#else
  (void)idle; (void)intvl; (void)n;
#endif
}

gint64
ncap_port_real_time_ns(void)
{
  FILETIME ft;
  GetSystemTimePreciseAsFileTime(&ft);
  guint64 t = ((guint64)ft.dwHighDateTime << 32) | ft.dwLowDateTime;
  /* 100 ns units since 1601-01-01 */
  return (gint64)(t - G_GUINT64_CONSTANT(116444736000000000)) * 100;
}

char *
ncap_port_machine(void)
{
  return g_strdup("x86_64");
}

char *
ncap_port_os(void)
{
  g_autofree char *name = g_get_os_info(G_OS_INFO_KEY_PRETTY_NAME);
  return name != NULL ? g_steal_pointer(&name) : g_strdup("Windows");
}

int
ncap_port_rename_and_close(int fd, const char *from, const char *to)
{
  close(fd);
  return g_rename(from, to);
}

bool
ncap_port_stdin_is_tty(void)
{
  DWORD mode;
  return GetConsoleMode(GetStdHandle(STD_INPUT_HANDLE), &mode) != 0;
}

char *
ncap_port_ask_secret(const char *prompt, bool *interrupted)
{
  HANDLE in = GetStdHandle(STD_INPUT_HANDLE);
  HANDLE out = GetStdHandle(STD_ERROR_HANDLE);
  DWORD mode, n;
  *interrupted = false;
  if (!GetConsoleMode(in, &mode))
    return NULL;
  /* Line input without echo; Ctrl-C stays a signal (the console's). */
  SetConsoleMode(in, (mode & ~(DWORD)ENABLE_ECHO_INPUT) | ENABLE_LINE_INPUT);
  WriteConsoleA(out, prompt, (DWORD)strlen(prompt), &n, NULL);
  char buf[1024];
  BOOL ok = ReadConsoleA(in, buf, sizeof buf - 1, &n, NULL);
  SetConsoleMode(in, mode);
  WriteConsoleA(out, "\r\n", 2, &n, NULL);
  if (!ok || n == 0)
    return NULL;
  buf[n] = '\0';
  buf[strcspn(buf, "\r\n")] = '\0';
  char *line = g_strdup(buf);
  memset(buf, 0, sizeof buf);
  return line;
}

#else /* POSIX */

static sigset_t saved_mask;

void
ncap_port_init(void)
{
}

int
ncap_port_pipe(int fds[2], bool nonblock)
{
#ifdef __APPLE__ /* no pipe2 (untested, docs/windows.md) */
  if (pipe(fds) < 0)
    return -1;
  for (int i = 0; i < 2; i++) {
    fcntl(fds[i], F_SETFD, FD_CLOEXEC);
    if (nonblock)
      fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
  }
  return 0;
#else
  return pipe2(fds, O_CLOEXEC | (nonblock ? O_NONBLOCK : 0));
#endif
}

int
ncap_port_socketpair(int sv[2])
{
#ifdef SOCK_CLOEXEC
  return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
#else /* macOS (untested) */
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
    return -1;
  fcntl(sv[0], F_SETFD, FD_CLOEXEC);
  fcntl(sv[1], F_SETFD, FD_CLOEXEC);
  return 0;
#endif
}

int
ncap_port_close_socket(int fd)
{
  return close(fd);
}

int
ncap_port_poll(struct pollfd *fds, nfds_t nfds, int timeout_ms)
{
  return poll(fds, nfds, timeout_ms);
}

ssize_t
ncap_port_write(int fd, const void *buf, size_t len)
{
  return write(fd, buf, len);
}

int
ncap_port_fsync(int fd)
{
  return fsync(fd);
}

void
ncap_port_install_stop_handlers(void (*on_stop)(int), void (*on_alarm)(int))
{
  struct sigaction sa;

  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop;
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

void
ncap_port_on_interrupt(void (*handler)(int))
{
  struct sigaction sa;

  memset(&sa, 0, sizeof sa);
  sa.sa_handler = handler;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
}

void
ncap_port_block_stop_signals(void)
{
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGHUP);
  sigaddset(&block, SIGALRM);
  sigaddset(&block, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &block, &saved_mask);
}

void
ncap_port_unblock_stop_signals(void)
{
  pthread_sigmask(SIG_SETMASK, &saved_mask, NULL);
}

void
ncap_port_alarm_every(unsigned interval_ms)
{
  struct itimerval it = {{interval_ms / 1000, (interval_ms % 1000) * 1000},
                         {interval_ms / 1000, (interval_ms % 1000) * 1000}};
  setitimer(ITIMER_REAL, &it, NULL);
}

int
ncap_port_lock(int fd)
{
  int r;
  while ((r = flock(fd, LOCK_EX)) != 0 && errno == EINTR)
    ;
  return r;
}

bool
ncap_port_fd_is_path(int fd, const char *path)
{
  struct stat a, b;
  return fstat(fd, &a) == 0 && lstat(path, &b) == 0 && a.st_ino == b.st_ino &&
         a.st_dev == b.st_dev;
}

void
ncap_port_tcp_keepalive(int sock, int idle_s, int intvl_s, int cnt,
                        unsigned user_timeout_ms)
{
  int on = 1;
  setsockopt(sock, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
#ifdef __APPLE__
  setsockopt(sock, IPPROTO_TCP, TCP_KEEPALIVE, &idle_s, sizeof idle_s);
#else
  setsockopt(sock, IPPROTO_TCP, TCP_KEEPIDLE, &idle_s, sizeof idle_s);
#endif
  setsockopt(sock, IPPROTO_TCP, TCP_KEEPINTVL, &intvl_s, sizeof intvl_s);
  setsockopt(sock, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
#ifdef TCP_USER_TIMEOUT
  setsockopt(sock, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout_ms,
             sizeof user_timeout_ms);
#else
  (void)user_timeout_ms;
#endif
}

gint64
ncap_port_real_time_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (gint64)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

char *
ncap_port_machine(void)
{
  struct utsname un;
  return uname(&un) == 0 ? g_strdup(un.machine) : NULL;
}

char *
ncap_port_os(void)
{
  struct utsname un;
  return uname(&un) == 0 ? g_strdup_printf("%s %s", un.sysname, un.release) : NULL;
}

int
ncap_port_rename_and_close(int fd, const char *from, const char *to)
{
  int r = g_rename(from, to);
  int saved = errno;
  close(fd);
  errno = saved;
  return r;
}

bool
ncap_port_stdin_is_tty(void)
{
  return isatty(STDIN_FILENO) == 1;
}

char *
ncap_port_ask_secret(const char *prompt, bool *interrupted)
{
  struct termios old, noecho;
  GString *line = g_string_new(NULL);
  bool got = false;
  int fd;

  *interrupted = false;
  fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return g_string_free(line, TRUE), NULL;
  if (tcgetattr(fd, &old) == 0) {
    noecho = old;
    /* No echo; Ctrl-C is read as a character, so the echo comes back
     * before we stop as Ctrl-C asks. */
    noecho.c_lflag &= ~(tcflag_t)(ECHO | ISIG);
    noecho.c_lflag |= ECHONL;
    tcsetattr(fd, TCSAFLUSH, &noecho);
    ssize_t w = write(fd, prompt, strlen(prompt));
    (void)w;
    for (;;) {
      char c;
      ssize_t n = read(fd, &c, 1);
      if (n <= 0)
        break; /* EINTR (a stop) or the terminal gone: no answer */
      if (c == '\n' || c == '\r') {
        got = true;
        break;
      }
      if (c == (char)old.c_cc[VINTR]) {
        *interrupted = true;
        break;
      }
      g_string_append_c(line, c);
    }
    tcsetattr(fd, TCSAFLUSH, &old);
    if (!got) {
      w = write(fd, "\n", 1);
      (void)w;
    }
  }
  close(fd);
  if (!got) {
    memset(line->str, 0, line->len);
    g_string_free(line, TRUE);
    return NULL;
  }
  return g_string_free(line, FALSE);
}

#endif
