#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Regenerates the committed seed corpora under tests/fuzz/corpus/ (run by
# hand, as root, when the formats change; the fuzzers only read the
# committed files). Seeds are real: dumpcap captures on lo of traffic this
# script sends to itself, text2pcap and nodecap's own writer
# (ncap-mkpcapng), plus a big-endian section; packet-id seeds are the frames
# and the L3 packets of those captures.
#   tests/fuzz/make-seeds.sh BUILD_DIR   (a main build with ncap-mkpcapng)
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:?usage: make-seeds.sh BUILD_DIR}
C=$SRC/tests/fuzz/corpus
T=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$T"' EXIT
mkdir -p "$C/pcapng" "$C/packet-id" "$C/options"

# 1. dumpcap on lo: IPv4 UDP, IPv6 UDP, TCP handshake (SHB/IDB/EPB/ISB as
#    Wireshark writes them). Snaplen 200 keeps the seeds small.
dumpcap -q -i lo -s 200 -f "port 47931 or port 47932" -c 8 -w "$T/lo.pcapng" &
cap=$!
sleep 1.5
python3 - <<'PY'
import socket
for fam, dst in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    for i in range(2):
        s.sendto(b"nodecap seed %d" % i * 3, (dst, 47931))
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 47932)); srv.listen(1)
c = socket.create_connection(("127.0.0.1", 47932)); a, _ = srv.accept()
c.sendall(b"GET / HTTP/1.0\r\n\r\n"); a.recv(100)
c.close(); a.close()
PY
wait $cap
cp "$T/lo.pcapng" "$C/pcapng/dumpcap-lo.pcapng"; chmod 644 "$C/pcapng/dumpcap-lo.pcapng"

# 2. text2pcap: an Ethernet/IPv4/UDP and a raw IPv6 file.
printf '0000 00 11 22 33 44 55 66 77 88 99 aa bb 08 00 45 00\n0010 00 20 00 01 00 00 40 11 f9 c4 c0 00 02 01 c6 33\n0020 64 4d 9c 40 00 09 00 0c 00 00 61 62 63 64\n' \
  | text2pcap -q - "$C/pcapng/text2pcap-eth.pcapng"
printf '0000 60 00 00 00 00 08 11 40 20 01 0d b8 00 00 00 00\n0010 00 00 00 00 00 00 00 01 20 01 0d b8 00 00 00 00\n0020 00 00 00 00 00 00 00 02 9c 40 00 35 00 08 00 00\n' \
  | text2pcap -q -l 101 - "$C/pcapng/text2pcap-raw6.pcapng"

# 3. nodecap's writer: two interfaces, ids, drop counts, comments.
"$BUILD/tests/tools/ncap-mkpcapng" "$C/pcapng/ncap-two-ifaces.pcapng" - <<'SPEC'
iface nodeA:eth0 first node
iface nodeB:eth1
pkt 0 1000000000 1
pkt 1 1000000500 1 ttl=63
pkt 0 1000001000 2 drop=3
pkt 1 1000002000 3 noid dport=53
SPEC

# 4. A big-endian section (the reader swaps), then a little-endian one.
python3 - "$C/pcapng/two-sections-be-le.pcapng" <<'PY'
import struct, sys
def blk(e, t, body):
    body += b"\0" * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack(e + "II", t, n) + body + struct.pack(e + "I", n)
def opt(e, code, val):
    return struct.pack(e + "HH", code, len(val)) + val + b"\0" * (-len(val) % 4)
def section(e):
    shb = blk(e, 0x0A0D0D0A, struct.pack(e + "IHHq", 0x1A2B3C4D, 1, 0, -1)
              + opt(e, 4, b"seed") + opt(e, 0, b""))
    idb = blk(e, 1, struct.pack(e + "HHI", 101, 0, 65535)
              + opt(e, 2, b"n:lo") + opt(e, 9, b"\x09") + opt(e, 0, b""))
    pkt = bytes.fromhex("4500001c0001000040117cc9c0000201c633644d9c4000350008f7c1")
    epb = blk(e, 6, struct.pack(e + "IIIII", 0, 1, 2, len(pkt), len(pkt)) + pkt
              + b"\0" * (-len(pkt) % 4)
              + opt(e, 5, struct.pack(e + "Q", 0x1234)) + opt(e, 4, struct.pack(e + "Q", 1))
              + opt(e, 1, b"hello") + opt(e, 0, b""))
    isb = blk(e, 5, struct.pack(e + "III", 0, 1, 3) + opt(e, 2, struct.pack(e + "II", 0, 1))
              + opt(e, 4, struct.pack(e + "Q", 10)) + opt(e, 0, b""))
    spb = blk(e, 3, struct.pack(e + "I", 4) + b"abcd")
    return shb + idb + epb + isb + spb
open(sys.argv[1], "wb").write(section(">") + section("<"))
PY

# 5. packet-id: every frame (Ethernet on lo) and its L3 packet.
python3 - "$C/packet-id" "$C/pcapng"/*.pcapng <<'PY'
import hashlib, os, struct, sys
out = sys.argv[1]
def frames(path):
    d = open(path, "rb").read(); off = 0; e = "<"; lts = []
    while off + 12 <= len(d):
        t = struct.unpack_from("<I", d, off)[0]
        if t == 0x0A0D0D0A:
            e = "<" if struct.unpack_from("<I", d, off + 8)[0] == 0x1A2B3C4D else ">"; lts = []
        t, n = struct.unpack_from(e + "II", d, off)
        if t == 1: lts.append(struct.unpack_from(e + "H", d, off + 8)[0])
        if t == 6:
            ifid, _, _, cap, _ = struct.unpack_from(e + "IIIII", d, off + 8)
            yield lts[ifid], d[off + 28: off + 28 + cap]
        off += n
for p in sys.argv[2:]:
    for lt, f in frames(p):
        for data in ((f, f[14:]) if lt == 1 else (f,)):
            name = hashlib.sha1(data).hexdigest()[:16]
            open(os.path.join(out, name), "wb").write(data)
PY
# IPv6 with a hop-by-hop header and a fragment header before UDP, and ICMP.
python3 - "$C/packet-id" <<'PY'
import os, sys
out = sys.argv[1]
v6 = bytes.fromhex("6000000000200040" + "20010db8" + "00" * 11 + "01" + "20010db8" + "00" * 11 + "02")
hbh = bytes.fromhex("2c00010400000000")          # next: fragment
frag = bytes.fromhex("1100000100000001")         # next: UDP, offset 0
udp = bytes.fromhex("9c40003500080000")
open(os.path.join(out, "ipv6-hbh-frag-udp"), "wb").write(v6 + hbh + frag + udp)
icmp = bytes.fromhex("45000020000100004001f7bbc0000201c633644d0800f7fd000100016e636170")
open(os.path.join(out, "ipv4-icmp-echo"), "wb").write(icmp)
PY
# 6. options: byte 0 = mode (bit 0 saved, bit 1 ignore unknown), argv
#    strings separated by NUL, then "\0\0" and a nodecap.conf. From the
#    unit tests' hostile lists and the documented examples.
python3 - "$C/options" <<'PY'
import os, sys
out = sys.argv[1]
limits = b"[limits]\nsimple_time_max=60\nsnaplen_max=1500\nmax_size_max=50\nstall_timeout_max=10\n"
cases = {
  "stream-basic": (0, ["-i", "eth0", "-f", "udp port 53"], b""),
  "stream-structured": (0, ["-i", "lo", "--src-host", "2001:DB8::1", "--dst-host", "2001:db8::2",
                            "--src-port", "40000", "--dst-port", "53", "--proto", "udp",
                            "--stall-timeout", "5"], b""),
  "simple-limits": (0, ["-i", "eth1", "--type", "simple", "--snaplen", "100", "--time-limit", "30",
                        "--packet-limit", "500", "--sample", "10", "--sample-by", "hash"], limits),
  "saved-ring": (1, ["--interface=ens3", "--max-size", "40", "--file-size", "5",
                     "--delete-on-start", "--byte-limit", "1000000", "--proto", "gre"], limits),
  "saved-proto-num": (1, ["-i", "vlan.10", "--proto", "132", "--dst-port", "9",
                          "-f", "(tcp) and not (port 22)"], b""),
  "hostile-filter": (0, ["-i", "lo", "-f", "tcp) or (udp"], b""),
  "hostile-iface": (0, ["-i", "../../etc", "-f", "ip\nand udp"], b""),
  "hostile-numbers": (1, ["-i", "lo", "--snaplen", "-5", "--time-limit", "+5", "--sample", " 3",
                          "--packet-limit", "18446744073709551616", "--max-size", "0x10"], b""),
  "mixed-families": (0, ["-i", "lo", "--src-host", "192.0.2.1", "--dst-host", "::1"], b""),
  "ignore-unknown": (2, ["-i", "lo", "--bogus", "x", "-Z", "--", "-f", "tcp"], b""),
  "limits-bad": (0, ["-i", "lo"], b"[limits]\ntime_max=0\nsnaplen_max=999999\nbogus=1\n"),
  "limits-huge": (1, ["-i", "lo", "--max-size", "18446744073709"],
                  b"[limits]\nmax_size_max=18446744073709\nfile_size_max=1\n"),
}
for name, (mode, argv, conf) in cases.items():
    data = bytes([mode]) + b"\0".join(a.encode() for a in argv)
    if conf:
        data += b"\0\0" + conf
    open(os.path.join(out, name), "wb").write(data)
PY
# 7. job records (remote/job.c), as docs/jobs.md shows them: running,
#    finished with a ring of files, failed, and a torn one.
python3 - "$C/job" <<'PY'
import json, os, sys
out = sys.argv[1]; os.makedirs(out, exist_ok=True)
req = {"iface": "eth0", "filter": "(udp port 53)", "type": "full", "snaplen": 262144,
       "time_limit": 0, "packet_limit": 0, "byte_limit": 0, "max_size_mb": 30,
       "file_size_mb": 10, "delete_on_start": False,
       "argv": ["-i", "eth0", "-f", "udp port 53", "--max-size", "30"]}
base = {"version": 1, "id": "0123456789abcdef0123456789abcdef", "owner": "alice",
        "node": "node1", "submitted": "2024-05-01T12:00:00.123456Z",
        "started": "2024-05-01T12:00:00.223456Z", "ended": None, "request": req,
        "status": "running", "reason": None, "packets": 20000, "bytes": 8840000,
        "kernel_drops": 0, "discarded_packets": 14217, "discarded_bytes": 6283914,
        "discarded_files": 7, "worker_pid": 4242,
        "files": [{"name": "node1-0123456789abcdef0123456789abcdef-00008.pcapng",
                   "size": 999568, "sha256": None, "first_seq": 14217, "packets": 2031}]}
def w(name, rec):
    open(os.path.join(out, name), "w").write(json.dumps(rec, indent=2) + "\n")
w("running", base)
done = dict(base, status="success", reason="packet limit", ended="2024-05-01T12:05:00.000001Z",
            worker_pid=0)
done["files"] = [dict(base["files"][0], sha256="ab" * 32),
                 {"name": "node1-x-00009.pcapng", "size": 24, "sha256": "cd" * 32,
                  "first_seq": 16248, "packets": 0}]
w("success-ring", done)
w("failure", dict(base, status="failure", reason="disk full", files=[], worker_pid=0,
                  request={"iface": "lo"}))
w("pending-minimal", {"id": "fedcba9876543210fedcba9876543210", "submitted": "x",
                      "status": "pending", "files": []})
open(os.path.join(out, "torn"), "w").write(json.dumps(base)[:200])
PY
# 8. merge programs (tests/fuzz/fuzz-merge.c): the pcapng seeds fed to 2-3
#    sources in chunks, with clock steps, drains and ends.
python3 - "$C/merge" "$C/pcapng" <<'PY'
import os, sys
out, pc = sys.argv[1], sys.argv[2]; os.makedirs(out, exist_ok=True)
files = [open(os.path.join(pc, f), "rb").read() for f in sorted(os.listdir(pc))]
def prog(n, cfg, streams, chunk, end_fail=False):
    b = bytearray([n - 1, cfg]); pos = [0] * len(streams); live = True
    while live:
        live = False
        for s, d in enumerate(streams):
            if pos[s] < len(d):
                k = d[pos[s]:pos[s] + chunk]; pos[s] += len(k); live = True
                b += bytes([(0 << 2) | s, len(k)]) + k
        b += bytes([4 << 2, 7, 5 << 2])   # time +70 ms, drain
    b += bytes([(7 if end_fail else 6) << 2 | 0])
    return bytes(b)
seeds = {
  "two-nodes": prog(2, 0, [files[0], files[1]], 200),
  "three-nodes-clock": prog(3, 1 | 8 | 32, [files[1], files[2], files[4]], 97),
  "tiny-window-fail": prog(2, 2 | 4 | 16 | 8, [files[4], files[0]], 61, end_fail=True),
  "one-node": prog(1, 0, [files[3]], 255),
}
for name, data in seeds.items():
    open(os.path.join(out, name), "wb").write(data)
PY
echo "seeds in $C: $(find "$C" -type f | wc -l) files, $(du -sh "$C" | cut -f1)"
