#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Print the last Interface Statistics Block of a pcapng file (one
section, host byte order as nodecap writes it) as "ifrecv=N ifdrop=N",
with "-" for an absent counter; "none" when the file has no ISB."""
import struct
import sys

data = open(sys.argv[1], "rb").read()
off, last = 0, None
while off + 12 <= len(data):
    btype, blen = struct.unpack_from("<II", data, off)
    if blen < 12 or off + blen > len(data):
        break
    if btype == 5:
        opts, o, vals = data[off + 20:off + blen - 4], 0, {}
        while o + 4 <= len(opts):
            code, olen = struct.unpack_from("<HH", opts, o)
            if code == 0:
                break
            if olen == 8:
                vals[code] = struct.unpack_from("<Q", opts, o + 4)[0]
            o += 4 + ((olen + 3) & ~3)
        last = "ifrecv=%s ifdrop=%s" % (vals.get(4, "-"), vals.get(5, "-"))
    off += blen
print(last or "none")
