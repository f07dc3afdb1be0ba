#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fault: the node's wall clock is stepped back an hour in the middle of a
# ring capture (an NTP step, an admin's `date -s`). The worker runs under
# libfaketime (Debian package faketime) whose offset it re-reads from a
# file on every call, so the step happens mid-job without touching the
# machine's clock; the monotonic clock is left alone (as a real step
# would). Packet timestamps come from the kernel and are not stepped.
# Expected: the ring keeps rotating; file names still sort in sequence
# order (their time part never goes backwards); every file is clean and
# the packets, read in name order, are in send order; the record's counts
# hold; its times are not nonsense (ended >= started).
set -uo pipefail
T=$(mktemp -d)
trap 'for p in $(pgrep -f -- "$T/bin/nodecap-helper"); do kill -9 $p; done 2>/dev/null; kill $(jobs -p) 2>/dev/null; rm -rf "$T"' EXIT
. "$(dirname "$0")/jobs-lib.sh"
FT=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1
[ -f "$FT" ] || FT=$(find /usr/lib -name libfaketime.so.1 2>/dev/null | head -1)
if [ -z "$FT" ] || [ ! -f "$FT" ]; then
  echo "SKIP: libfaketime missing (apt-get install faketime)"; exit 77
fi
mkdir -p "$T/state" "$T/cap" "$T/etc" "$T/bin"
ln -s "$NCAP_BUILD/remote/nodecap-helper" "$T/bin/nodecap-helper"
H=$T/bin/nodecap-helper
export NCAP_STATEDIR=$T/state NCAP_CAPTURESDIR=$T/cap NCAP_SYSCONFDIR=$T/etc NCAP_AUDITLOG=$T/audit.log
cp "$NCAP_SRC/tests/lib/policy-all.conf" "$T/etc/policy.conf"
PORT=47451

echo "+0" > "$T/faketime"
LD_PRELOAD=$FT FAKETIME_TIMESTAMP_FILE=$T/faketime FAKETIME_NO_CACHE=1 \
  FAKETIME_DONT_FAKE_MONOTONIC=1 \
  $H start --json --node tn -i lo -f "udp dst port $PORT" --file-size 1 --max-size 20 > "$T/start.json" 2> "$T/start.err"
assert_eq "start under libfaketime" 0 $?
ID=$(jfield "$T/start.json" 'j["id"]')
WPID=$(jfield "$T/start.json" 'j["worker_pid"]')
tr '\0' '\n' < "/proc/$WPID/environ" | grep -q '^LD_PRELOAD=.*faketime' &&
  ok "the worker runs under libfaketime" || fail "the worker lost LD_PRELOAD: the step cannot be injected"

$GEN --port $PORT --count 5000 --size 500 --start 0        # ~2.7 files
sleep 1.2
echo "-1h" > "$T/faketime"
ok "wall clock of the worker stepped back 1 h"
sleep 1.2
$GEN --port $PORT --count 5000 --size 500 --start 5000     # ~2.7 more files
sleep 0.5
$H stop "$ID" --json > "$T/stop.json" 2> "$T/stop.err"
assert_eq "stop" 0 $?
wait_gone "$WPID" 5 && ok "worker gone" || fail "worker still running"
assert_eq "job" "success stopped" "$(jfield "$T/stop.json" 'j["status"]+" "+j["reason"]')"

ls "$T/cap" > "$T/names"
nf=$(wc -l < "$T/names")
[ "$nf" -ge 5 ] && ok "the ring rotated across the step: $nf files" || fail "only $nf files"
sed 's/.*_\([0-9]*\)\.pcapng$/\1/' "$T/names" > "$T/seqs"
assert_eq "names in sort order = names in sequence order" "$(sort -n "$T/seqs" | paste -sd,)" "$(paste -sd, "$T/seqs")"
echo "   $(sed 's/^tn_[0-9a-f]*_//' "$T/names" | paste -sd' ')"
total=0
for f in $(sed "s|^|$T/cap/|" "$T/names"); do
  capinfos "$f" > /dev/null 2> "$T/ci.err"
  assert_eq "capinfos on $(basename "$f")" 0 $?
  assert_empty "capinfos warnings" "$(real_warnings "$T/ci.err")"
  total=$((total + $(npackets "$f")))
done
assert_eq "packets in the files = record" "$(jfield "$T/stop.json" 'j["packets"]')" "$total"
assert_eq "every packet sent is kept" 10000 "$total"
# Read in name order, the payload sequence and the kernel timestamps rise.
for f in $(sed "s|^|$T/cap/|" "$T/names"); do
  tshark -r "$f" -T fields -e frame.time_epoch -e data.data 2>/dev/null
done | python3 -c '
import sys
pt, ps, n = 0.0, -1, 0
for line in sys.stdin:
    t, h = line.split()
    s = int(bytes.fromhex(h[:34])[9:17])
    if s != ps + 1 or float(t) < pt:
        print("at %d: seq %d after %d, time %s after %f" % (n, s, ps, t, pt)); sys.exit()
    pt, ps, n = float(t), s, n + 1
print("ok %d packets in order" % n)' > "$T/order"
assert_eq "packets in name order" "ok 10000 packets in order" "$(cat "$T/order")"
started=$(jfield "$T/stop.json" 'j["started"]')
ended=$(jfield "$T/stop.json" 'j["ended"]')
echo "   record: started $started ended $ended"
[[ ! "$ended" < "$started" ]] && ok "record: ended >= started" || fail "record: ended $ended before started $started"
assert_empty "helper processes left" "$(pgrep -f -- "$H")"
summary
