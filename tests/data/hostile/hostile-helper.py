#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# A hostile or broken node: stands in for nodecap-helper behind a real sshd
# (tests/integration/test-security-hostile-node.sh). The mode is read from
# the file named by HOSTILE_MODE_FILE (set in this script's wrapper); the
# `clock` verb goes to the real helper so a two-node capture connects.
#
# Stream modes write a valid prefix (SHB, IDB "<node>:lo", 5 packets) then
# the bad part, then wait for the client to close stdin (at most 10 s): a
# client that notices closes at once, one that does not keeps waiting.
import os
import random
import select
import struct
import sys
import time

MODE = open(os.environ["HOSTILE_MODE_FILE"]).read().strip()
REAL = os.environ["HOSTILE_REAL_HELPER"]
args = sys.argv[1:]
verb = args[0] if args else ""


def block(btype, body):
    body += b"\0" * (-len(body) % 4)
    total = len(body) + 12
    return struct.pack("<II", btype, total) + body + struct.pack("<I", total)


def opt(code, val):
    return struct.pack("<HH", code, len(val)) + val + b"\0" * (-len(val) % 4)


def shb():
    return block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1) + opt(0, b""))


def idb(name):
    return block(1, struct.pack("<HHI", 1, 0, 262144) + opt(2, name.encode()) +
                 opt(9, b"\x09") + opt(0, b""))


def epb(ifid, i):
    frame = bytes(range(14)) + b"hostile node packet %d" % i
    ts = int(time.time() * 1e9)
    return block(6, struct.pack("<IIIII", ifid, ts >> 32, ts & 0xFFFFFFFF,
                                len(frame), len(frame)) + frame + b"\0" * (-len(frame) % 4))


def node_name():
    return args[args.index("--node") + 1] if "--node" in args else "node"


def prefix():
    return shb() + idb(node_name() + ":lo") + b"".join(epb(0, i) for i in range(5))


def wait_close(limit=10.0):
    end = time.time() + limit
    while time.time() < end:
        r, _, _ = select.select([0], [], [], 0.2)
        if r and not os.read(0, 65536):
            return


def out(data):
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


ESC = b"\x1b]0;PWNED-TITLE\x07\x1b[2J\x1b[31mred\xc2\x9b2J"
JOB = "0123456789abcdef0123456789abcdef"

if verb == "clock":
    os.execv(REAL, [REAL] + args)

if verb == "stream":
    if MODE == "badlen":
        out(prefix() + struct.pack("<II", 6, 0xFFFFFFF0) + b"\0" * 64)
    elif MODE == "garbage":
        out(prefix() + random.Random(27).randbytes(4096))
    elif MODE == "undeclared":
        out(prefix() + epb(7, 99))
    elif MODE == "manyidbs":
        out(prefix())
        one = idb("x")
        for _ in range(200):  # 200 x 500 = 100000 interfaces
            out(one * 500)
    elif MODE == "stderr10m":
        out(prefix())
        sys.stderr.buffer.write(b"\x1b[2J" + b"A" * (10 << 20) + ESC + b" end\n")
        sys.stderr.flush()
        sys.exit(1)
    elif MODE == "stderrflood":
        # A valid stream with 200 MB of stderr woven into it: the client
        # must not hold the node's stderr while the stream flows.
        out(prefix())
        chunk = (b"\x1b[2J" + b"B" * 1023) * 1024
        for i in range(200):
            sys.stderr.buffer.write(chunk)
            sys.stderr.flush()
            out(b"".join(epb(0, i * 10 + k) for k in range(10)))
        sys.exit(0)
    elif MODE == "escapes":
        out(prefix())
        sys.stderr.buffer.write(b"error: " + ESC + b"\n")
        sys.stderr.flush()
        sys.exit(1)
    else:
        sys.exit(99)
    wait_close()
    sys.exit(0)

# Job records whose text carries escape sequences (as JSON escapes and,
# in the plain status text, raw).
record = {
    "id": JOB, "status": "failure", "started": "2026-12-05T00:00:00Z",
    "packets": 5, "reason": ESC.decode("utf-8"),
    "files": [{"name": "\x1b[31mevil\x1b]0;T\x07.pcapng", "size": 10,
               "sha256": "0" * 64, "packets": 1}],
}
running = dict(record, id="f" * 32, status="\x1b[2Jrunning\x07", files=[])
if verb in ("list", "status"):
    import json
    if verb == "list":
        text = json.dumps([running, record])
    elif "--json" in args:
        text = json.dumps(record)
    else:
        text = ("job %s\nstatus: failure\nreason: " % JOB) + ESC.decode("utf-8") + "\n"
    sys.stdout.write(text + "\n")
    sys.stderr.buffer.write(b"note: " + ESC + b"\n")
    sys.exit(0)
if verb == "fetch":
    out(b"\x1b[2J" * 4)
    sys.exit(0)
if verb == "interfaces":
    import json
    print(json.dumps([
        {"name": "lo", "description": ESC.decode("utf-8"), "up": True,
         "addresses": ["127.0.0.1\x1b[2J"]},
        {"name": "ev\x1b[2Jil", "description": "x", "up": True, "addresses": []},
    ]))
    sys.exit(0)
sys.exit(2)
