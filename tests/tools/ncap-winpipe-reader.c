/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A tiny Wireshark for the Windows tests (built with mingw-w64, run under
 * Wine): creates the named pipe \\.\pipe\NAME the way Wireshark does,
 * starts the extcap with --fifo naming it, and reads the capture into
 * OUT. MODE:
 *   all        read until the extcap closes the pipe, then wait for it;
 *   close N    after N bytes close the pipe (Wireshark's stop, first
 *              half), then wait for the extcap to end by itself;
 *   terminate N after N bytes TerminateProcess the extcap (Wireshark's
 *              stop on Windows).
 * Prints "exit=<extcap exit code> bytes=<bytes read>" on stdout.
 * Usage: ncap-winpipe-reader NAME OUT MODE [N] -- EXTCAP ARGS... */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
append_arg(char *cmd, size_t size, const char *arg)
{
  /* CommandLineToArgvW rules: quote, double the backslashes before a quote. */
  size_t len = strlen(cmd);
  if (len > 0)
    cmd[len++] = ' ';
  cmd[len++] = '"';
  for (const char *p = arg; *p && len + 4 < size; p++) {
    size_t bs = 0;
    while (p[bs] == '\\')
      bs++;
    if (p[bs] == '"' || p[bs] == '\0') {
      for (size_t i = 0; i < bs * 2; i++)
        cmd[len++] = '\\';
      p += bs;
      if (*p == '\0')
        break;
      cmd[len++] = '\\';
      cmd[len++] = '"';
      continue;
    }
    for (size_t i = 0; i < bs; i++)
      cmd[len++] = '\\';
    p += bs;
    cmd[len++] = *p;
  }
  cmd[len++] = '"';
  cmd[len] = '\0';
}

int
main(int argc, char **argv)
{
  if (argc < 5) {
    fprintf(stderr, "usage: %s NAME OUT all|close N|terminate N -- EXTCAP ARGS...\n", argv[0]);
    return 2;
  }
  const char *name = argv[1], *out = argv[2], *mode = argv[3];
  long long limit = -1;
  int i = 4;
  if (strcmp(mode, "all") != 0)
    limit = atoll(argv[i++]);
  if (i >= argc || strcmp(argv[i], "--") != 0) {
    fprintf(stderr, "missing --\n");
    return 2;
  }
  i++;
  char pipe[512];
  snprintf(pipe, sizeof pipe, "\\\\.\\pipe\\%s", name);
  HANDLE hp = CreateNamedPipeA(pipe, PIPE_ACCESS_INBOUND,
                               PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT, 1,
                               65536, 65536, 0, NULL);
  if (hp == INVALID_HANDLE_VALUE) {
    fprintf(stderr, "CreateNamedPipe %s: error %lu\n", pipe, GetLastError());
    return 1;
  }
  static char cmd[32768];
  cmd[0] = '\0';
  for (; i < argc; i++)
    append_arg(cmd, sizeof cmd, argv[i]);
  append_arg(cmd, sizeof cmd, "--fifo");
  append_arg(cmd, sizeof cmd, pipe);
  STARTUPINFOA si = {.cb = sizeof si};
  PROCESS_INFORMATION pi;
  if (!CreateProcessA(NULL, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi)) {
    fprintf(stderr, "CreateProcess: error %lu\n", GetLastError());
    return 1;
  }
  FILE *f = fopen(out, "wb");
  if (f == NULL) {
    fprintf(stderr, "cannot open %s\n", out);
    return 1;
  }
  long long total = 0;
  if (!ConnectNamedPipe(hp, NULL) && GetLastError() != ERROR_PIPE_CONNECTED) {
    /* The extcap may have ended before opening the pipe: nothing to read. */
    fprintf(stderr, "ConnectNamedPipe: error %lu\n", GetLastError());
  } else {
    static char buf[65536];
    for (;;) {
      DWORD want = sizeof buf, n = 0;
      if (limit >= 0 && limit - total < (long long)want)
        want = (DWORD)(limit - total);
      if (want == 0)
        break;
      if (!ReadFile(hp, buf, want, &n, NULL) && GetLastError() != ERROR_MORE_DATA)
        break;
      fwrite(buf, 1, n, f);
      total += n;
    }
  }
  fclose(f);
  if (strcmp(mode, "terminate") == 0) {
    TerminateProcess(pi.hProcess, 1);
    CloseHandle(hp);
  } else {
    CloseHandle(hp);
  }
  DWORD code = 259;
  if (WaitForSingleObject(pi.hProcess, 30000) == WAIT_OBJECT_0)
    GetExitCodeProcess(pi.hProcess, &code);
  printf("exit=%lu bytes=%lld\n", code, total);
  fflush(stdout);
  return 0;
}
