#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Summarise a capture file for the bench without tshark's per-packet cost:
# packets, first/last timestamp (ns), the sum of epb_dropcount, and the last
# ISB's ifdrop/osdrop. Reads pcap (tcpdump -w) and pcapng (dumpcap, nodecap).
# Prints one line: "packets first_ns last_ns dropcount_sum isb_ifdrop isb_osdrop"
# (-1 where the file has no such information); with --ports instead one line
# per UDP destination port: "port packets first_ns". A truncated tail (a capture
# stopped mid-write) ends the count at the last whole record.
import collections
import struct
import sys

PORTS = collections.Counter()
FIRST_BY_PORT = {}


def note(data, ts):
    """Ethernet/IPv4/UDP destination port, for --ports."""
    if len(data) >= 38 and data[12:14] == b"\x08\x00" and data[23] == 17:
        ihl = (data[14] & 0x0F) * 4
        if len(data) >= 14 + ihl + 4:
            port = struct.unpack(">H", data[14 + ihl + 2:14 + ihl + 4])[0]
            PORTS[port] += 1
            FIRST_BY_PORT.setdefault(port, ts)


def pcap(f, magic):
    # magic as read little-endian: A1B2C3D4/A1B23C4D (LE, us/ns),
    # D4C3B2A1/4D3CB2A1 (BE, us/ns)
    end = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    nano = magic in (0xA1B23C4D, 0x4D3CB2A1)
    f.read(20)
    n, first, last = 0, -1, -1
    while True:
        h = f.read(16)
        if len(h) < 16:
            break
        sec, frac, incl, _ = struct.unpack(end + "IIII", h)
        data = f.read(incl)
        if len(data) < incl:
            break
        ts = sec * 1_000_000_000 + (frac if nano else frac * 1000)
        note(data, ts)
        if first < 0:
            first = ts
        last = ts
        n += 1
    return n, first, last, -1, -1, -1


def pcapng(f):
    n, first, last, dsum, ifdrop, osdrop = 0, -1, -1, -1, -1, -1
    end = "<"
    tsres = {}  # interface id -> units per second
    nif = 0
    while True:
        h = f.read(8)
        if len(h) < 8:
            break
        btype, blen = struct.unpack(end + "II", h)
        if btype == 0x0A0D0D0A:
            bom = f.read(4)
            end = "<" if bom == b"\x4d\x3c\x2b\x1a" else ">"
            blen = struct.unpack(end + "I", h[4:])[0]
            body = f.read(blen - 12)
            nif = 0
            tsres = {}
            if len(body) < blen - 12:
                break
            continue
        body = f.read(blen - 8)
        if len(body) < blen - 8:
            break
        body = body[:-4]
        if btype == 1:  # IDB
            res = 1_000_000
            opts = body[8:]
            for code, val in options(opts, end):
                if code == 9 and val:
                    b = val[0]
                    res = 2 ** (b & 0x7F) if b & 0x80 else 10 ** b
            tsres[nif] = res
            nif += 1
        elif btype == 6:  # EPB
            ifid, hi, lo, caplen = struct.unpack(end + "IIII", body[:16])
            raw = (hi << 32) | lo
            res = tsres.get(ifid, 1_000_000)
            ts = raw * 1_000_000_000 // res
            note(body[20:20 + caplen], ts)
            if first < 0:
                first = ts
            last = ts
            n += 1
            opts = body[20 + ((caplen + 3) & ~3):]
            for code, val in options(opts, end):
                if code == 4 and len(val) == 8:  # epb_dropcount
                    dsum = max(dsum, 0) + struct.unpack(end + "Q", val)[0]
        elif btype == 5:  # ISB
            for code, val in options(body[12:], end):
                if code == 5 and len(val) == 8:
                    ifdrop = struct.unpack(end + "Q", val)[0]
                if code == 7 and len(val) == 8:
                    osdrop = struct.unpack(end + "Q", val)[0]
    return n, first, last, dsum, ifdrop, osdrop


def options(buf, end):
    i = 0
    while i + 4 <= len(buf):
        code, ln = struct.unpack(end + "HH", buf[i:i + 4])
        if code == 0:
            return
        yield code, buf[i + 4:i + 4 + ln]
        i += 4 + ((ln + 3) & ~3)


def main():
    try:
        f = open(sys.argv[1], "rb")
    except OSError:
        print("0 -1 -1 -1 -1 -1")
        return
    with f:
        head = f.read(4)
        if len(head) < 4:
            print("0 -1 -1 -1 -1 -1")
            return
        magic = struct.unpack("<I", head)[0]
        if magic == 0x0A0D0D0A:
            f.seek(0)
            r = pcapng(f)
        else:
            r = pcap(f, magic)
    if len(sys.argv) > 2 and sys.argv[2] == "--ports":
        # "port count first_ns" per UDP destination port
        for port in sorted(PORTS):
            print(port, PORTS[port], FIRST_BY_PORT[port])
        return
    print(" ".join(str(x) for x in r))


if __name__ == "__main__":
    main()
