#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Send N numbered UDP datagrams: payload "ncap-seq-%08d" padded with a
known byte pattern to SIZE bytes, so a test can check order and content.
Loopback or a test namespace only. With --signal-pid the sender itself
signals that process right after its last datagram left (a stop that
comes with no gap after the traffic)."""
import argparse
import os
import signal
import socket
import time

p = argparse.ArgumentParser()
p.add_argument("--dst", default="127.0.0.1")
p.add_argument("--port", type=int, default=47001)
p.add_argument("--count", type=int, default=1000)
p.add_argument("--size", type=int, default=64)
p.add_argument("--rate", type=float, default=0, help="packets/s, 0 = as fast as possible")
p.add_argument("--start", type=int, default=0)
p.add_argument("--signal-pid", type=int, default=0, help="signal this process after the last datagram")
p.add_argument("--signal", default="INT", help="INT or TERM (with --signal-pid)")
a = p.parse_args()

fam = socket.AF_INET6 if ":" in a.dst else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
t0 = time.monotonic()
for i in range(a.start, a.start + a.count):
    head = b"ncap-seq-%08d" % i
    pad = bytes((i + k) & 0xFF for k in range(max(0, a.size - len(head))))
    s.sendto(head + pad, (a.dst, a.port))
    if a.rate > 0:
        due = t0 + (i - a.start + 1) / a.rate
        d = due - time.monotonic()
        if d > 0:
            time.sleep(d)
if a.signal_pid:
    os.kill(a.signal_pid, getattr(signal, "SIG" + a.signal))
