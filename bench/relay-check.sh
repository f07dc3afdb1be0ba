#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What the stream checks (common/pcapng-check.c) cost the single-node path:
# the client's CPU per packet while it relays a big pcapng stream from a
# node, for two builds side by side in one run (the build without the
# checks, then the one with them, alternating). The node's helper is a
# script that `cat`s a prepared file, so the client's relay is all that
# differs; the output goes to /dev/null. Two measures:
#  - CPU (user + sys of the `nodecap capture` process, from wait4),
#    median of RUNS runs each, in ns per packet;
#  - instructions per packet (callgrind, one run of a smaller file each):
#    exact, and immune to the neighbours' load (perf has no hardware
#    counters on this machine, docs/wireshark-facts.md).
# Not a test: numbers are noisy on a shared machine; compare only within
# one run. See docs/performance.md "Stream checks".
#
#   bench/relay-check.sh BEFORE_BUILD AFTER_BUILD [--packets N] [--runs R]
#                        [--size BYTES] [--no-callgrind]
# BEFORE_BUILD/AFTER_BUILD: build directories (each with extcap/nodecap).
# Defaults: 2,000,000 packets of 64 bytes, 5 runs, callgrind on 200,000.
set -uo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NCAP_SRC=$(cd "$BENCH_DIR/.." && pwd)
BEFORE=$(realpath "${1:?before build dir}")
AFTER=$(realpath "${2:?after build dir}")
shift 2
PACKETS=2000000 RUNS=5 SIZE=64 CALLGRIND=1
while (($#)); do
  case $1 in
    --packets) PACKETS=$2; shift ;;
    --runs) RUNS=$2; shift ;;
    --size) SIZE=$2; shift ;;
    --no-callgrind) CALLGRIND=0 ;;
    *) echo "relay-check: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
export NCAP_BUILD=$AFTER NCAP_SRC
# The test harness's private sshd (tests/lib/sshd.sh) on 127.0.0.1.
source "$NCAP_SRC/tests/lib/common.sh"
source "$NCAP_SRC/tests/lib/sshd.sh"
ncap_sshd_start >/dev/null 2>&1

# mkstream FILE N: a pcapng stream as nodecap-helper writes it: SHB, one
# IDB (ns), N EPBs of SIZE-byte frames with epb_dropcount and epb_packetid.
mkstream() {
  python3 - "$1" "$2" "$SIZE" <<'PY'
import struct, sys
path, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def block(t, body):
    body += b"\0" * (-len(body) % 4)
    tot = len(body) + 12
    return struct.pack("<II", t, tot) + body + struct.pack("<I", tot)
def opt(c, v):
    return struct.pack("<HH", c, len(v)) + v + b"\0" * (-len(v) % 4)
with open(path, "wb") as f:
    f.write(block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1) + opt(0, b"")))
    f.write(block(1, struct.pack("<HHI", 1, 0, 262144) + opt(2, b"bench:lo") + opt(9, b"\x09") + opt(0, b"")))
    frame = bytes(range(256)) * (size // 256 + 1)
    frame = frame[:size]
    tail = opt(4, struct.pack("<Q", 0)) + opt(5, struct.pack("<Q", 1)) + opt(0, b"")
    buf = []
    for i in range(n):
        ts = 1700000000000000000 + i * 1000
        body = struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, size, size) + frame + b"\0" * (-size % 4) + tail
        buf.append(block(6, body))
        if len(buf) == 10000:
            f.write(b"".join(buf)); buf = []
    f.write(b"".join(buf))
PY
}
BIG="$NCAP_TMP/big.pcapng" SMALL="$NCAP_TMP/small.pcapng"
mkstream "$BIG" "$PACKETS"
mkstream "$SMALL" 200000
# The node: `stream` cats the file named in $NCAP_TMP/feed.
rm -f "$NCAP_HELPER"
cat >"$NCAP_HELPER" <<SH
#!/bin/sh
[ "\$1" = stream ] && exec cat "\$(cat $NCAP_TMP/feed)"
exit 2
SH
chmod 755 "$NCAP_HELPER"
# shellcheck disable=SC2207
SSHO=($(ncap_cli_ssh_opts))

# one BUILD FILE: CPU seconds (user+sys, from wait4's rusage: microsecond
# resolution, where /usr/bin/time prints hundredths) and wall seconds of
# one relay of FILE.
one() {
  echo "$2" >"$NCAP_TMP/feed"
  python3 - "$1/extcap/nodecap" "$NCAP_TMP/err" "${SSHO[@]}" <<'PY' ||
import os, sys, time
exe, errf, ssho = sys.argv[1], sys.argv[2], sys.argv[3:]
argv = [exe, "capture", "127.0.0.1"] + ssho + ["-i", "lo", "-w", "/dev/null"]
t0 = time.monotonic()
pid = os.fork()
if pid == 0:
    fd = os.open(errf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(fd, 2)
    os.execv(exe, argv)
_, status, ru = os.wait4(pid, 0)
wall = time.monotonic() - t0
if os.waitstatus_to_exitcode(status) != 0:
    sys.exit(1)
print("%.6f %.6f" % (ru.ru_utime + ru.ru_stime, wall))
PY
    { echo "relay-check: capture failed: $(cat "$NCAP_TMP/err")" >&2; exit 1; }
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

bytes=$(stat -c %s "$BIG")
printf 'relay-check: %d packets of %d bytes (%d MB of pcapng), %d runs each, %s\n' \
  "$PACKETS" "$SIZE" $((bytes / 1000000)) "$RUNS" "$(date -u +%Y-%m-%dT%H:%MZ)"
declare -A CPU WALL
for ((r = 1; r <= RUNS; r++)); do
  for b in before after; do
    dir=$BEFORE; [[ $b == after ]] && dir=$AFTER
    read -r cpu wall < <(one "$dir" "$BIG")
    CPU[$b]+="$cpu"$'\n'; WALL[$b]+="$wall"$'\n'
  done
done
printf '%-7s %12s %14s %12s %10s\n' build "cpu s (med)" "cpu ns/packet" "wall s (med)" "MB/s"
for b in before after; do
  c=$(printf '%s' "${CPU[$b]}" | median)
  w=$(printf '%s' "${WALL[$b]}" | median)
  awk -v b="$b" -v c="$c" -v w="$w" -v n="$PACKETS" -v B="$bytes" \
    'BEGIN { printf "%-7s %12.4f %14.1f %12.3f %10.0f\n", b, c, c * 1e9 / n, w, B / w / 1e6 }'
done

if ((CALLGRIND)); then
  declare -A IR
  printf '%-7s %22s\n' build "instructions/packet"
  for b in before after; do
    dir=$BEFORE; [[ $b == after ]] && dir=$AFTER
    echo "$SMALL" >"$NCAP_TMP/feed"
    valgrind --tool=callgrind --callgrind-out-file="$NCAP_TMP/cg.$b" \
      "$dir/extcap/nodecap" capture 127.0.0.1 "${SSHO[@]}" -i lo -w /dev/null \
      >/dev/null 2>"$NCAP_TMP/cg.$b.err" ||
      { echo "relay-check: callgrind run failed: $(tail -2 "$NCAP_TMP/cg.$b.err")" >&2; exit 1; }
    ir=$(awk '/^summary:/ { print $2 }' "$NCAP_TMP/cg.$b")
    IR[$b]=$ir
    awk -v b="$b" -v ir="$ir" 'BEGIN { printf "%-7s %22.0f\n", b, ir / 200000 }'
  done
  awk -v a="${IR[after]}" -v b="${IR[before]}" 'BEGIN { printf "after - before: %+.1f instructions/packet (%+.1f%%)\n", (a - b) / 200000, (a - b) * 100 / b }'
fi
