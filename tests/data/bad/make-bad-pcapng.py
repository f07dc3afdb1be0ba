#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Regenerates the hostile pcapng inputs in this folder (little-endian).
# Each one must be rejected by the reader or the block parsers
# (tests/unit/test-pcapng.c, /pcapng/bad-files).
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def pad4(b):
    return b + b"\0" * (-len(b) % 4)


def opt(code, val):
    return struct.pack("<HH", code, len(val)) + pad4(val)


def block(btype, body, total=None, trailer=None):
    n = 12 + len(body)
    return struct.pack("<II", btype, n if total is None else total) + body + \
        struct.pack("<I", n if trailer is None else trailer)


def shb(magic=0x1A2B3C4D, major=1, opts=b""):
    return block(0x0A0D0D0A, struct.pack("<IHHq", magic, major, 0, -1) + opts)


def idb(linktype=1, opts=b""):
    return block(1, struct.pack("<HHI", linktype, 0, 262144) + opts)


def epb(ifid=0, data=b"\x45" + b"\0" * 59, caplen=None, opts=b""):
    cl = len(data) if caplen is None else caplen
    return block(6, struct.pack("<IIIII", ifid, 0, 1, cl, len(data)) + pad4(data) + opts)


def isb(ifid=0, opts=b""):
    return block(5, struct.pack("<III", ifid, 0, 1) + opts)


END = opt(0, b"")
HEAD = shb() + idb()
FILES = {
    "bad-magic": shb(magic=0x11223344) + idb(),
    "not-shb-first": idb() + shb(),
    "shb-version-2": shb(major=2) + idb(),
    "shb-too-short": block(0x0A0D0D0A, struct.pack("<IHH", 0x1A2B3C4D, 1, 0)),
    "len-too-small": HEAD + struct.pack("<III", 1, 8, 8),
    "len-zero": HEAD + struct.pack("<II", 6, 0) + b"\0" * 32,
    "len-not-multiple-of-4": HEAD + block(1, struct.pack("<HHI", 1, 0, 0) + b"ab"),
    "len-huge": HEAD + struct.pack("<II", 6, 0xFFFFFFF0) + b"\0" * 64,
    "len-over-max": HEAD + struct.pack("<II", 6, 16 * 1024 * 1024 + 4) + b"\0" * 64,
    "trailer-mismatch": HEAD + epb()[:-4] + struct.pack("<I", 1234),
    "zeroed-tail": HEAD + epb() + b"\0" * 256,
    "epb-unknown-interface": HEAD + epb(ifid=1),
    "epb-before-idb": shb() + epb(),
    "isb-unknown-interface": HEAD + isb(ifid=7, opts=opt(4, struct.pack("<Q", 5)) + END),
    "epb-caplen-exceeds-block": HEAD + epb(data=b"\x45" + b"\0" * 59, caplen=61),
    "epb-caplen-huge": HEAD + epb(caplen=0xFFFFFFFF),
    "epb-too-short": HEAD + block(6, struct.pack("<IIII", 0, 0, 0, 0)),
    "idb-too-short": shb() + block(1, struct.pack("<HH", 1, 0)),
    "isb-too-short": HEAD + block(5, struct.pack("<II", 0, 0)),
    "idb-option-overrun": shb() + idb(opts=struct.pack("<HH", 2, 200) + b"eth0"),
    "shb-option-overrun": shb(opts=struct.pack("<HH", 4, 0xFFFF) + b"abcd") + idb(),
    "epb-option-overrun": HEAD + epb(opts=struct.pack("<HH", 5, 8) + b"\0\0\0\0"),
    "isb-option-overrun": HEAD + isb(opts=struct.pack("<HH", 4, 12) + b"\0" * 8),
    "epb-packetid-bad-length": HEAD + epb(opts=opt(5, b"\1\2\3\4") + END),
    "epb-dropcount-bad-length": HEAD + epb(opts=opt(4, b"\1") + END),
    "isb-starttime-bad-length": HEAD + isb(opts=opt(2, b"\0" * 4) + END),
    "idb-tsresol-bad-length": shb() + idb(opts=opt(9, b"\x09\x09") + END),
    "spb-before-idb": shb() + block(3, struct.pack("<I", 4) + b"abcd"),
    "second-section-forgets-interfaces": HEAD + epb() + shb() + epb(),
    "byte-order-mismatch": HEAD + struct.pack(">III", 6, 32, 0) + b"\0" * 20,
    "truncated-mid-block": (HEAD + epb())[:-9],
    "truncated-mid-header": (HEAD + epb())[: len(HEAD) + 6],
    "garbage": b"GET / HTTP/1.0\r\n\r\n" + b"\xff" * 46,
}

for name, data in FILES.items():
    with open(os.path.join(HERE, name + ".pcapng"), "wb") as f:
        f.write(data)
