#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Reads `tshark -T fields -e frame.time_epoch -e frame.comment
-e frame.interface_name` lines on stdin and prints "packets N late L
unannounced U per-interface NAME:COUNT,...": late packets are older than
one written before them; unannounced ones are late without a
frame.comment saying so."""
import sys
from decimal import Decimal

top, n, late, silent, per = None, 0, 0, 0, {}
for line in sys.stdin:
    f = line.rstrip("\n").split("\t")
    if not f or not f[0]:
        continue
    n += 1
    t = Decimal(f[0])
    comment = f[1] if len(f) > 1 else ""
    name = f[2] if len(f) > 2 else ""
    per[name] = per.get(name, 0) + 1
    if top is not None and t < top:
        late += 1
        if "out of order" not in comment:
            silent += 1
            if silent <= 5:
                print("unannounced: %s is %.6f s behind %s" % (name, top - t, top),
                      file=sys.stderr)
    else:
        top = t
print("packets %d late %d unannounced %d per-interface %s" %
      (n, late, silent, ",".join("%s:%d" % kv for kv in sorted(per.items()))))
