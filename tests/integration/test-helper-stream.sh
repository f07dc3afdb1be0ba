#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# nodecap-helper stream run locally (no SSH): real libpcap on lo, real
# tshark/capinfos reading the stream; every stop path ends the process.
set -uo pipefail
. "$(dirname "$0")/../lib/assert.sh"

H=$NCAP_BUILD/remote/nodecap-helper
T=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$T"' EXIT
GEN="python3 $NCAP_SRC/tests/lib/udpgen.py"
# Nobody may capture until the policy says so, root included (docs/design.md):
# this unprivileged build honours the path overrides, so grant root here.
mkdir -p "$T/etc" "$T/state"; printf '[grant]\ncapture.stream = root\n' > "$T/etc/policy.conf"
export NCAP_SYSCONFDIR=$T/etc NCAP_STATEDIR=$T/state NCAP_AUDITLOG=$T/audit.log

# 1. 1000 numbered datagrams arrive, in order, with the right bytes.
$H stream --node testnode -i lo -f "udp dst port 47011" > "$T/a.pcapng" 2> "$T/a.err" < <(sleep 30) &
pid=$!
sleep 1
$GEN --port 47011 --count 1000 --size 100
sleep 0.5
kill -TERM $pid; wait $pid; rc=$?
assert_eq "stream exit status after SIGTERM" 0 $rc
assert_empty "stream stderr" "$(cat "$T/a.err")"
capinfos "$T/a.pcapng" > "$T/capinfos.txt" 2> "$T/capinfos.err"
assert_eq "capinfos status" 0 $?
assert_empty "capinfos warnings" "$(cat "$T/capinfos.err")"
n=$(tshark -r "$T/a.pcapng" 2>"$T/tshark.err" | wc -l)
assert_eq "packets captured" 1000 "$n"
assert_empty "tshark warnings" "$(real_warnings "$T/tshark.err")"
tshark -r "$T/a.pcapng" -T fields -e data.data 2>/dev/null > "$T/payloads.txt"
python3 - "$T/payloads.txt" <<'PY' || fail "payloads out of order or wrong"
import sys
lines = open(sys.argv[1]).read().split()
assert len(lines) == 1000, len(lines)
for i, h in enumerate(lines):
    b = bytes.fromhex(h)
    head = b"ncap-seq-%08d" % i
    pad = bytes((i + k) & 0xFF for k in range(100 - len(head)))
    assert b == head + pad, (i, b[:20])
PY
ok "1000 datagrams in order with the right bytes"
ifn=$(tshark -r "$T/a.pcapng" -T fields -e frame.interface_name -c 1 2>/dev/null)
assert_eq "if_name" "testnode:lo" "$ifn"
pid_ids=$(tshark -r "$T/a.pcapng" -T fields -e frame.packet_id 2>/dev/null | sort -u | wc -l)
assert_eq "distinct packet ids (one per distinct datagram)" 1000 "$pid_ids"

# 2. stdin EOF stops it (the SSH channel closing).
( sleep 1 ) | $H stream --node testnode -i lo -f "udp dst port 47012" > "$T/b.pcapng" 2>"$T/b.err" &
pid=$!
wait_gone $pid 5 || fail "stream did not stop at stdin EOF"
wait $pid; assert_eq "exit after stdin EOF" 0 $?
ok "stdin EOF stops the stream"

# 3. Reader gone (SIGPIPE/EPIPE) stops it.
( $H stream --node testnode -i lo < <(sleep 30) 2>"$T/c.err" | head -c 100 > /dev/null ) &
sleep 0.5
$GEN --port 47013 --count 200 --size 200
sleep 1
if pgrep -f "nodecap-helper stream --node testnode -i lo$" >/dev/null; then fail "helper still running after its reader left"; fi
ok "reader gone stops the stream"

# 4. Bad filter: one line, exit 2, nothing on stdout.
$H stream -i lo -f "udp prt 53" > "$T/d.out" 2> "$T/d.err" < /dev/null
assert_eq "bad filter exit status" 2 $?
assert_eq "bad filter stdout bytes" 0 "$(stat -c %s "$T/d.out")"
assert_eq "bad filter stderr lines" 1 "$(wc -l < "$T/d.err")"
assert_match "bad filter message" 'nodecap-helper: filter "udp prt 53": .*syntax error' "$(cat "$T/d.err")"

# 5. Unknown interface: exit 5, nothing on stdout.
$H stream -i nosuch0 > "$T/e.out" 2> "$T/e.err" < /dev/null
assert_eq "unknown interface exit status" 5 $?
assert_eq "unknown interface stdout bytes" 0 "$(stat -c %s "$T/e.out")"
assert_match "unknown interface message" 'nodecap-helper: interface "nosuch0": no such interface' "$(cat "$T/e.err")"

# 6. A reader that never reads: the stall time-out ends the helper.
mkfifo "$T/fifo"
exec 7<>"$T/fifo"    # keeps the fifo open, never reads
$H stream --node testnode -i lo -f "udp dst port 47016" --stall-timeout 2 > "$T/fifo" 2> "$T/f.err" < <(sleep 60) &
pid=$!
sleep 0.5
$GEN --port 47016 --count 3000 --size 1400
wait_gone $pid 10 || fail "stalled helper still running"
wait $pid; rc=$?
exec 7<&-
assert_eq "stall exit status" 9 $rc
assert_match "stall message" 'output stalled' "$(cat "$T/f.err")"

# 7. Packet limit ends the stream cleanly.
$H stream --node testnode -i lo -f "udp dst port 47017" --packet-limit 10 > "$T/g.pcapng" 2>"$T/g.err" < <(sleep 30) &
pid=$!
sleep 0.5
$GEN --port 47017 --count 50
wait_gone $pid 5 || fail "packet limit did not stop the stream"
assert_eq "packets with --packet-limit 10" 10 "$(tshark -r "$T/g.pcapng" 2>/dev/null | wc -l)"

# 8. Interface statistics blocks were written (periodic and final).
assert_match "ISBs in the stream" 'Number of stat entries = [1-9]' "$(cat "$T/capinfos.txt")"

summary
