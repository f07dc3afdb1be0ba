#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Issue 6 with real traffic on lo through the real helper: simple captures
# cut at 160 bytes, --sample N keeps exactly one in N, packet/byte/time
# limits end the capture cleanly, the structured filter passes only the
# matching flow and is what if_filter records, the node re-checks every
# range itself, and an admin can raise a maximum in nodecap.conf. The seed's
# ring (--max-size 30 --file-size 10): test-jobs-ring.sh.
set -uo pipefail
. "$(dirname "$0")/jobs-lib.sh"
T=$(mktemp -d)
trap 'pkill -f "$T/" 2>/dev/null; kill $(jobs -p) 2>/dev/null; rm -rf "$T"' EXIT
mkdir -p "$T/etc" "$T/state" "$T/cap"
cp "$NCAP_SRC/tests/lib/policy-all.conf" "$T/etc/policy.conf"
# This test runs several simple captures in a row: no once-a-minute limit
# (the rate limit has its own test, test-security-limits).
RATE='[rate]\nsimple_interval = 0\n'
printf "$RATE" > "$T/etc/nodecap.conf"
export NCAP_STATEDIR=$T/state NCAP_CAPTURESDIR=$T/cap NCAP_SYSCONFDIR=$T/etc NCAP_AUDITLOG=$T/audit.log
TS() { tshark "$@" 2>/dev/null; }

# stream_run OUT -- helper options... : run a stream until the generator is
# done (stdin EOF ends it) or a limit ends it first.
stream_bg() {
  local out=$1 t=100; shift
  $H stream --node optnode "$@" > "$out" 2> "$out.err" < <(sleep "${HOLD:-5}") &
  SPID=$!
  # The header is written once the capture handle is open.
  while [ ! -s "$out" ] && [ $t -gt 0 ]; do sleep 0.1; t=$((t - 1)); done
  [ -s "$out" ] || fail "stream $* did not start: $(cat "$out.err")"
}

# 1. simple: every frame cut to <= 160 bytes (1000-byte datagrams).
stream_bg "$T/simple.pcapng" -i lo --type simple -f "udp dst port 47201"
$GEN --port 47201 --count 300 --size 1000
wait $SPID; assert_eq "simple stream exit" 0 $?
max=$(TS -r "$T/simple.pcapng" -T fields -e frame.cap_len | sort -n | tail -1)
n=$(TS -r "$T/simple.pcapng" | wc -l)
assert_eq "simple: packets" 300 "$n"
assert_eq "simple: largest frame.cap_len" 160 "$max"
assert_match "simple: if_snaplen" "Capture length = 160" "$(capinfos "$T/simple.pcapng" 2>/dev/null)"

# 2. --sample 10 over 1000 packets: exactly 100, the 1st, 11th, 21st ...
stream_bg "$T/sample.pcapng" -i lo --type simple --sample 10 -f "udp dst port 47202"
$GEN --port 47202 --count 1000 --size 64
wait $SPID
assert_eq "sample 10 of 1000" 100 "$(TS -r "$T/sample.pcapng" | wc -l)"
first=$(TS -r "$T/sample.pcapng" -T fields -e data.data -c 2 | xxd -r -p | tr -c 'a-z0-9-' ' ')
assert_match "sample keeps packets 0 and 10" "ncap-seq-00000000.*ncap-seq-00000010" "$first"

# 3. packet limit: exactly N, and the helper ends by itself.
HOLD=20 stream_bg "$T/plim.pcapng" -i lo -f "udp dst port 47203" --packet-limit 37
$GEN --port 47203 --count 200
wait_gone $SPID 5 || fail "packet limit did not end the stream"
assert_eq "packet limit 37" 37 "$(TS -r "$T/plim.pcapng" | wc -l)"

# 4. byte limit: captured bytes reach the limit, and exceed it by less than
#    one packet.
HOLD=20 stream_bg "$T/blim.pcapng" -i lo -f "udp dst port 47204" --byte-limit 50000
$GEN --port 47204 --count 200 --size 1000
wait_gone $SPID 5 || fail "byte limit did not end the stream"
sum=$(TS -r "$T/blim.pcapng" -T fields -e frame.cap_len | python3 -c 'import sys; print(sum(int(x) for x in sys.stdin.read().split()))')
if [ "$sum" -ge 50000 ] && [ "$sum" -lt $((50000 + 1042)) ]; then ok "byte limit: $sum bytes for a 50000 limit"; else fail "byte limit: $sum bytes"; fi
assert_match "byte limit file readable" "Number of packets" "$(capinfos "$T/blim.pcapng" 2>&1)"

# 5. time limit ends the capture (stdin kept open for 20 s).
t0=$(date +%s%N)
HOLD=20 stream_bg "$T/tlim.pcapng" -i lo -f "udp dst port 47205" --time-limit 2
wait_gone $SPID 6 || fail "time limit did not end the stream"
el=$(( ($(date +%s%N) - t0) / 1000000 ))
if [ $el -ge 1900 ] && [ $el -lt 4500 ]; then ok "time limit 2 s ended after $el ms"; else fail "time limit: $el ms"; fi
assert_match "time limit: ISB written" "Number of stat entries = [1-9]" "$(capinfos "$T/tlim.pcapng" 2>/dev/null)"

# 6. structured filter: three flows (v4 to 47206/47207, v6 to 47206);
#    only the v4 UDP flow to 47206 passes, and if_filter records it.
stream_bg "$T/flt.pcapng" -i lo --dst-host 127.0.0.1 --dst-port 47206 --proto udp
$GEN --port 47206 --count 50
$GEN --port 47207 --count 50
$GEN --dst ::1 --port 47206 --count 50
wait $SPID
assert_eq "structured filter: packets" 50 "$(TS -r "$T/flt.pcapng" | wc -l)"
assert_eq "structured filter: only the matching flow" "127.0.0.1 47206" \
  "$(TS -r "$T/flt.pcapng" -T fields -e ip.dst -e udp.dstport | sort -u | tr '\t' ' ')"
assert_match "if_filter records the built filter" \
  "Filter string = \(dst host 127.0.0.1\) and \(udp dst port 47206\)" "$(capinfos "$T/flt.pcapng" 2>/dev/null)"
stream_bg "$T/flt6.pcapng" -i lo --dst-host ::1 --proto udp -f "udp dst port 47206"
$GEN --port 47206 --count 20
$GEN --dst ::1 --port 47206 --count 30
wait $SPID
assert_eq "IPv6 structured filter" 30 "$(TS -r "$T/flt6.pcapng" -Y ipv6 | wc -l)"
assert_eq "IPv6 structured filter: nothing else" 30 "$(TS -r "$T/flt6.pcapng" | wc -l)"

# 7. The node re-checks every value: one line naming option, value, range;
#    exit 2; nothing written.
check_refused() {  # expected-regex helper-args...
  local re=$1; shift
  $H stream "$@" > "$T/r.out" 2> "$T/r.err" < /dev/null
  local rc=$?
  if [ $rc -eq 2 ] && [ ! -s "$T/r.out" ] && [ "$(wc -l < "$T/r.err")" -eq 1 ] && [[ "$(cat "$T/r.err")" =~ $re ]]; then
    ok "node refuses $* : $(cat "$T/r.err")"
  else
    fail "node accepted or unclear for $* (rc=$rc): $(cat "$T/r.err")"
  fi
}
check_refused '--time-limit 301: out of range \(1-300' -i lo --type simple --time-limit 301
check_refused '--packet-limit 10001: out of range \(1-10000' -i lo --type simple --packet-limit 10001
check_refused '--packet-limit 0: out of range' -i lo --packet-limit 0
check_refused '--byte-limit 1000000001: out of range \(1-1000000000' -i lo --byte-limit 1000000001
check_refused '--snaplen -1: not a number' -i lo --snaplen -1
check_refused '--snaplen 18446744073709551616' -i lo --snaplen 18446744073709551616
check_refused '--src-port 65536: out of range \(0-65535' -i lo --src-port 65536
check_refused '--src-host' -i lo --src-host not-an-address
check_refused '--proto' -i lo --proto bogus
check_refused '--type' -i lo --type medium

# 8. The admin raises a maximum in nodecap.conf: simple 400 s is accepted.
printf "$RATE[limits]\nsimple_time_max = 600\n" > "$T/etc/nodecap.conf"
$H stream -i lo --type simple --time-limit 400 -f "udp dst port 47208" > "$T/adm.pcapng" 2> "$T/adm.err" < <(sleep 1)
assert_eq "simple --time-limit 400 with simple_time_max = 600" 0 $?
check_refused '--time-limit 601: out of range \(1-600' -i lo --type simple --time-limit 601
printf "$RATE" > "$T/etc/nodecap.conf"

summary
