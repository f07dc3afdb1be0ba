#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Reads `tshark -2 -T fields -e data.data -e nodecap.node -e
nodecap.first_node -e nodecap.delay` lines (tab-separated) on stdin; argv:
the nodes A B C of the path in order. Checks, per datagram (by payload),
that it was seen once at each node, first at A with delay 0, and that
0 < delay at B < delay at C. Prints "datagrams N", then the min and median
delay at B and at C in microseconds; exits 1 after naming the first
datagram that breaks the rule."""
import statistics
import sys
from decimal import Decimal

a, b, c = sys.argv[1:4]
seen = {}
for line in sys.stdin:
    f = line.rstrip("\n").split("\t")
    if len(f) < 4 or not f[0] or not f[3]:
        continue
    data, node, first, delay = f[0], f[1], f[2], Decimal(f[3])
    seen.setdefault(data, []).append((node, first, delay))

bad, db, dc = [], [], []
for data, s in seen.items():
    label = bytes.fromhex(data)[:17].decode("ascii", "replace")
    by = {}
    for node, first, delay in s:
        if first != a:
            bad.append("%s: first node %s at %s" % (label, first, node))
        by.setdefault(node, []).append(delay)
    if sorted(by) != sorted([a, b, c]) or any(len(v) != 1 for v in by.values()):
        bad.append("%s: sightings %s" % (label, s))
        continue
    ta, tb, tc = by[a][0], by[b][0], by[c][0]
    if not (ta == 0 and 0 < tb < tc):
        bad.append("%s: delays A %s B %s C %s" % (label, ta, tb, tc))
    db.append(tb)
    dc.append(tc)

print("datagrams %d" % len(seen))
if db:
    us = lambda d: "%.1f" % (d * 1000000)
    print("B delay min %s us median %s us" % (us(min(db)), us(statistics.median(db))))
    print("C delay min %s us median %s us" % (us(min(dc)), us(statistics.median(dc))))
for x in bad[:5]:
    print(x)
sys.exit(1 if bad or not seen else 0)
