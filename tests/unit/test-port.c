/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for common/port.c, the portable layer. Built for Linux by
 * ctest, and for Windows by tests/integration/test-windows-wine.sh, which
 * runs it under Wine: the same assertions hold on both (where Windows
 * differs by design, the test says so). */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "port.h"

static void
test_pipe_poll(void)
{
  int fds[2];
  guint32 v = 0x01020304, got = 0;

  g_assert_cmpint(ncap_port_pipe(fds, false), ==, 0);
  struct pollfd p = {.fd = fds[0], .events = POLLIN};
  /* Nothing yet: the whole timeout passes. */
  gint64 t0 = g_get_monotonic_time();
  g_assert_cmpint(ncap_port_poll(&p, 1, 50), ==, 0);
  g_assert_cmpint(g_get_monotonic_time() - t0, >=, 40 * 1000);
  /* Four bytes: readable at once. */
  g_assert_cmpint(write(fds[1], &v, sizeof v), ==, sizeof v);
  t0 = g_get_monotonic_time();
  g_assert_cmpint(ncap_port_poll(&p, 1, 5000), ==, 1);
  g_assert_true(p.revents & POLLIN);
  g_assert_cmpint(g_get_monotonic_time() - t0, <, 1000 * 1000);
  g_assert_cmpint(read(fds[0], &got, sizeof got), ==, sizeof got);
  g_assert_cmpuint(got, ==, v);
  /* The writer gone: the reader sees the hang-up. */
  close(fds[1]);
  g_assert_cmpint(ncap_port_poll(&p, 1, 1000), ==, 1);
  g_assert_true(p.revents & (POLLHUP | POLLIN));
  close(fds[0]);
}

static void
on_stop(int sig)
{
  (void)sig;
}

static void
test_write_reader_gone(void)
{
  int fds[2];

  /* SIGPIPE ignored (POSIX): the write fails instead of killing us. */
  ncap_port_install_stop_handlers(on_stop, on_stop);
  g_assert_cmpint(ncap_port_pipe(fds, false), ==, 0);
  g_assert_cmpint(ncap_port_write(fds[1], "abc", 3), ==, 3);
  close(fds[0]);
  errno = 0;
  g_assert_cmpint(ncap_port_write(fds[1], "abc", 3), ==, -1);
  g_assert_cmpint(errno, ==, EPIPE);
  close(fds[1]);
}

static void
test_socketpair(void)
{
  int sv[2];
  char buf[8] = {0};

  g_assert_cmpint(ncap_port_socketpair(sv), ==, 0);
  g_assert_cmpint(send(sv[0], "ping", 4, MSG_NOSIGNAL), ==, 4);
  struct pollfd p = {.fd = sv[1], .events = POLLIN};
  g_assert_cmpint(ncap_port_poll(&p, 1, 5000), ==, 1);
  g_assert_cmpint(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT), ==, 4);
  g_assert_cmpstr(buf, ==, "ping");
  g_assert_cmpint(send(sv[1], "pong", 4, MSG_NOSIGNAL), ==, 4);
  p.fd = sv[0];
  g_assert_cmpint(ncap_port_poll(&p, 1, 5000), ==, 1);
  g_assert_cmpint(recv(sv[0], buf, sizeof buf, 0), ==, 4);
  g_assert_cmpstr(buf, ==, "pong");
  /* One end closed: the other reads EOF. */
  g_assert_cmpint(ncap_port_close_socket(sv[0]), ==, 0);
  p.fd = sv[1];
  g_assert_cmpint(ncap_port_poll(&p, 1, 5000), ==, 1);
  g_assert_cmpint(recv(sv[1], buf, sizeof buf, 0), ==, 0);
  g_assert_cmpint(ncap_port_close_socket(sv[1]), ==, 0);
}

static void
test_lock_and_path(void)
{
  g_autofree char *dir = g_dir_make_tmp("ncap-port-XXXXXX", NULL);
  g_autofree char *a = g_build_filename(dir, "a.part", NULL);
  g_autofree char *b = g_build_filename(dir, "b", NULL);

  int fd = open(a, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  g_assert_cmpint(fd, >=, 0);
  g_assert_cmpint(ncap_port_lock(fd), ==, 0);
  g_assert_true(ncap_port_fd_is_path(fd, a));
  g_assert_cmpint(ncap_port_write(fd, "x\n", 2), ==, 2);
  g_assert_cmpint(ncap_port_fsync(fd), ==, 0);
  close(fd);
  /* Binary: no CR added on Windows. */
  g_autofree char *text = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(a, &text, &len, NULL));
  g_assert_cmpuint(len, ==, 2);
  /* g_rename replaces an existing file on both systems. */
  g_assert_true(g_file_set_contents(b, "old", -1, NULL));
  g_assert_cmpint(g_rename(a, b), ==, 0);
  g_clear_pointer(&text, g_free);
  g_assert_true(g_file_get_contents(b, &text, &len, NULL));
  g_assert_cmpstr(text, ==, "x\n");
  g_unlink(b);
  g_rmdir(dir);
}

static void
test_names_and_time(void)
{
  g_autofree char *os = ncap_port_os();
  g_autofree char *machine = ncap_port_machine();
  g_assert_nonnull(os);
  g_assert_nonnull(machine);
  gint64 ns = ncap_port_real_time_ns();
  gint64 us = g_get_real_time();
  g_assert_cmpint(ns / 1000 - us, <, G_USEC_PER_SEC);
  g_assert_cmpint(us - ns / 1000, <, G_USEC_PER_SEC);
}

int
main(int argc, char **argv)
{
  ncap_port_init();
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/port/pipe-poll", test_pipe_poll);
  g_test_add_func("/port/write-reader-gone", test_write_reader_gone);
  g_test_add_func("/port/socketpair", test_socketpair);
  g_test_add_func("/port/lock-and-path", test_lock_and_path);
  g_test_add_func("/port/names-and-time", test_names_and_time);
  return g_test_run();
}
