#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Reads `tshark -T fields -e frame.interface_name -e frame.time_epoch
-e ip.dst -e data.data` lines (tab-separated) on stdin and prints, per
interface, the udpgen sequence numbers it holds as ranges ("0-299,1000-1049"),
then "backwards N": how many times frame.time_epoch went down, and "late
N": packets older than one before them (the merge's out_of_order)."""
import sys
from decimal import Decimal

seqs, back, late, last, top = {}, 0, 0, None, None
for line in sys.stdin:
    f = line.rstrip("\n").split("\t")
    if len(f) < 4 or not f[3]:
        continue
    t = Decimal(f[1])
    if last is not None and t < last:
        back += 1
    last = t
    if top is not None and t < top:
        late += 1
    top = t if top is None or t > top else top
    payload = bytes.fromhex(f[3])
    if not payload.startswith(b"ncap-seq-"):
        continue
    seqs.setdefault(f[0], []).append(int(payload[9:17]))

def ranges(v):
    v = sorted(v)
    out, start, prev = [], None, None
    for x in v:
        if start is None:
            start = prev = x
        elif x == prev + 1:
            prev = x
        else:
            out.append("%d-%d" % (start, prev) if start != prev else str(start))
            start = prev = x
    if start is not None:
        out.append("%d-%d" % (start, prev) if start != prev else str(start))
    dup = len(v) - len(set(v))
    return ",".join(out) + (" dup=%d" % dup if dup else "")

for name in sorted(seqs):
    print("%s %s" % (name, ranges(seqs[name])))
print("backwards %d" % back)
print("late %d" % late)
