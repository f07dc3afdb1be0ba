#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Run a command on a real terminal (a pty), as an operator would, and keep
everything it drew in a transcript file (raw bytes, flushed as they come).

  pty-run.py --transcript FILE [--timeout S] [--int-when REGEX]
             [--answer REGEX TEXT]... [--rows R --cols C] -- CMD ARG...

--int-when: send SIGINT (as Ctrl-C would) once the output matches REGEX.
--answer:   type TEXT and Enter when the output matches REGEX (once each):
            a passphrase prompt. The terminal's echo flag at that moment is
            written to the transcript as "[pty-run: echo on|off]".
Exits with the command's exit status (128+N for signal N); 124 on time-out.
"""
import argparse
import os
import pty
import re
import select
import signal
import sys
import termios
import time
import fcntl
import struct


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--transcript", required=True)
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--int-when")
    ap.add_argument("--answer", nargs=2, action="append", default=[])
    ap.add_argument("--rows", type=int, default=40)
    ap.add_argument("--cols", type=int, default=200)
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd

    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", a.rows, a.cols, 0, 0))
    out = open(a.transcript, "wb")
    seen = b""
    answers = [(re.compile(p.encode()), t) for p, t in a.answer]
    int_re = re.compile(a.int_when.encode()) if a.int_when else None
    deadline = time.monotonic() + a.timeout
    status = None
    while True:
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            out.write(b"\n[pty-run: time-out]\n")
            out.close()
            sys.exit(124)
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                data = os.read(fd, 65536)
            except OSError:
                data = b""
            if not data:
                break
            out.write(data)
            out.flush()
            seen += data
            if int_re is not None and int_re.search(seen):
                int_re = None
                os.kill(pid, signal.SIGINT)
            for i, (rx, text) in enumerate(answers):
                if rx is not None and rx.search(seen):
                    # Give the program time to turn echo off first.
                    time.sleep(0.2)
                    lflag = termios.tcgetattr(fd)[3]
                    echo = "on" if lflag & termios.ECHO else "off"
                    out.write(("[pty-run: echo %s]" % echo).encode())
                    os.write(fd, text.encode() + b"\r")
                    answers[i] = (None, text)
                    seen = b""
        else:
            done, st = os.waitpid(pid, os.WNOHANG)
            if done:
                status = st
                # Drain what is left.
                try:
                    while select.select([fd], [], [], 0.1)[0]:
                        data = os.read(fd, 65536)
                        if not data:
                            break
                        out.write(data)
                except OSError:
                    pass
                break
    if status is None:
        _, status = os.waitpid(pid, 0)
    out.close()
    if os.WIFSIGNALED(status):
        sys.exit(128 + os.WTERMSIG(status))
    sys.exit(os.WEXITSTATUS(status))


if __name__ == "__main__":
    main()
