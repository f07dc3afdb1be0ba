#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Count a pcapng file's packets and read its last ISB (first interface).
Prints one line: "epbs ifrecv ifdrop osdrop usrdeliv dropcount_sum"
(-1 for an ISB option that is missing). Little-endian files only (what
nodecap writes)."""
import struct
import sys

OPTS = {4: "ifrecv", 5: "ifdrop", 7: "osdrop", 8: "usrdeliv"}


def options(buf):
    out = {}
    i = 0
    while i + 4 <= len(buf):
        code, ln = struct.unpack_from("<HH", buf, i)
        if code == 0:
            break
        out[code] = buf[i + 4:i + 4 + ln]
        i += 4 + ((ln + 3) & ~3)
    return out


data = open(sys.argv[1], "rb").read()
i, epbs, dropsum, isb = 0, 0, 0, None
while i + 12 <= len(data):
    btype, blen = struct.unpack_from("<II", data, i)
    if blen < 12 or i + blen > len(data):
        break
    body = data[i + 8:i + blen - 4]
    if btype == 6:
        epbs += 1
        caplen = struct.unpack_from("<I", body, 12)[0]
        o = options(body[20 + ((caplen + 3) & ~3):])
        if 4 in o:
            dropsum += struct.unpack("<Q", o[4])[0]
    elif btype == 5 and struct.unpack_from("<I", body, 0)[0] == 0:
        isb = options(body[12:])
    i += blen
vals = [-1] * 4
if isb is not None:
    for k, (code, _) in enumerate(OPTS.items()):
        if code in isb:
            vals[k] = struct.unpack("<Q", isb[code])[0]
print(epbs, *vals, dropsum)
