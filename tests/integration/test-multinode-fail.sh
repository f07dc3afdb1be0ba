#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Three namespace nodes A -> B -> C, `nodecap capture A,B,C` (the CLI):
#  1. C's sshd is down: one stderr line for C, a failure comment in the
#     stream, A and B captured in full, exit 20 (a partial capture) with
#     a second line naming C;
#  2. B's clock is 2 s ahead (NCAP_TEST_CLOCK_OFFSET_NS via sshd's
#     SetEnv): the offset measured at connect is in B's IDB description,
#     and with --clock-correct every datagram's times at A, B, C line up;
#     --sample 4 --sample-by hash reaches every helper and every node keeps
#     the same datagrams; Ctrl-C ends it with no helper left;
#  3. C's SSH session is killed mid-capture: reported on stderr and in the
#     stream, A and B keep arriving; with --allow-partial, exit 0.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/netns.sh"
ncap_netns_setup
ncap_netns_sshd A
ncap_netns_sshd B
PORT=47002
# shellcheck disable=SC2207
SSH_OPTS=($(ncap_cli_ssh_opts))

# cli OUT ERR [args...]: the CLI inside A, in the background (CLI_PID).
cli() {
  local out=$1 err=$2
  shift 2
  ip netns exec "$NS_A" "$NCAP_BUILD/extcap/nodecap" capture "$NCAP_NODES" "${SSH_OPTS[@]}" \
    -i data0 -f "udp port $PORT" --log-level info --log-file "$NCAP_EXTCAP_LOG" \
    "$@" -w "$out" 2>"$err" &
  CLI_PID=$!
  ncap_on_exit "kill -9 $CLI_PID"
}

# ---- 1. a node that cannot be reached ------------------------------------
: >"$NCAP_EXTCAP_LOG"
OUT="$NCAP_TMP/down.pcapng"
cli "$OUT" "$NCAP_TMP/down.err" --packet-limit 100
ncap_wait_streams 2 40
ncap_send_from_a "$NODE_B" 100 0 $PORT
ncap_wait_pid_exit $CLI_PID 30
rc=$?
[[ $rc -eq 20 ]] || ncap_fail "1: capture exited $rc, not 20 (partial): $(cat "$NCAP_TMP/down.err")"
err=$(cat "$NCAP_TMP/down.err")
ncap_assert_eq 2 "$(wc -l <<<"$err")" "1: stderr lines ($err)"
ncap_assert_contains "$err" "nodecap: $NODE_C: cannot connect to $NODE_C port 22" "1: stderr"
ncap_assert_contains "$err" "nodecap: partial capture: 1 of 3 nodes failed ($NODE_C)" "1: stderr"
ncap_assert_file_clean "$OUT"
summary=$(ncap_seq_summary "$OUT" | grep -v -e '^backwards' -e '^late')
ncap_assert_eq "$NODE_A:data0 0-99
$NODE_B:data0 0-99" "$summary" "1: datagrams of A and B"
comment=$(tshark -r "$OUT" -Y frame.comment -T fields -e frame.comment 2>/dev/null | head -1)
ncap_assert_contains "$comment" "node $NODE_C failed: cannot connect to $NODE_C port 22" "1: comment in the stream"
grep -q "node $NODE_C failed: cannot connect" "$NCAP_EXTCAP_LOG" || ncap_fail "1: failure not in the log"
ncap_assert_no_helper "1: after the packet limit"
ncap_log "ok 1: $err; comment \"$comment\""

# ---- 2. B's clock 2 s ahead, corrected; sampling by hash ----------------
SHIFT=2000000000
ncap_netns_sshd_stop B
ncap_netns_sshd B "SetEnv NCAP_TEST_CLOCK_OFFSET_NS=$SHIFT"
ncap_netns_sshd C
: >"$NCAP_EXTCAP_LOG"
OUT="$NCAP_TMP/clock.pcapng"
cli "$OUT" "$NCAP_TMP/clock.err" --clock-correct --sample 4 --sample-by hash
ncap_wait_streams 3 60
ncap_send_from_a "$NODE_C" 400 0 $PORT
sleep 1
kill -INT $CLI_PID
ncap_wait_pid_exit $CLI_PID 20
rc=$?
[[ $rc -eq 0 ]] || ncap_fail "2: capture exited $rc: $(cat "$NCAP_TMP/clock.err")"
ncap_assert_no_helper "2: after Ctrl-C"
[[ ! -s "$NCAP_TMP/clock.err" ]] || ncap_fail "2: stderr: $(cat "$NCAP_TMP/clock.err")"
ncap_assert_file_clean "$OUT"
n_hash=$(grep -c "exec on .*'stream'.*'--sample' '4' '--sample-by' 'hash'" "$NCAP_EXTCAP_LOG")
ncap_assert_eq 3 "$n_hash" "2: helpers started with --sample-by hash"
summary=$(ncap_seq_summary "$OUT" | grep -v -e '^backwards' -e '^late')
ncap_log "2: per node: $(paste -sd';' <<<"$summary")"
sets=$(cut -d' ' -f2 <<<"$summary" | sort -u)
ncap_assert_eq 3 "$(wc -l <<<"$summary")" "2: nodes with datagrams"
ncap_assert_eq 1 "$(wc -l <<<"$sets")" "2: the same datagrams at every node"
kept=$(tshark -r "$OUT" -Y "frame.interface_name == \"$NODE_A:data0\"" 2>/dev/null | wc -l)
((kept > 40 && kept < 200)) || ncap_fail "2: --sample 4 kept $kept of 400"
descr=$(tshark -r "$OUT" -T fields -e frame.interface_name -e frame.interface_description 2>/dev/null | sort -u)
off_b=$(grep "^$NODE_B:" <<<"$descr" | sed -n 's/.*clock_offset_ns=\(-\?[0-9]*\).*/\1/p')
off_a=$(grep "^$NODE_A:" <<<"$descr" | sed -n 's/.*clock_offset_ns=\(-\?[0-9]*\).*/\1/p')
[[ -n "$off_b" && -n "$off_a" ]] || ncap_fail "2: no clock_offset_ns: $descr"
(( off_b - SHIFT < 100000000 && SHIFT - off_b < 100000000 )) ||
  ncap_fail "2: B's offset $off_b ns, expected $SHIFT +- 100 ms"
(( off_a < 100000000 && off_a > -100000000 )) || ncap_fail "2: A's offset $off_a ns, expected about 0"
# Far beyond its error bound (half a round trip), B's offset is applied as
# measured; the measurement is recorded beside it.
meas_b=$(grep "^$NODE_B:" <<<"$descr" | sed -n 's/.*clock_measured_ns=\(-\?[0-9]*\).*/\1/p')
ncap_assert_eq "$off_b" "$meas_b" "2: B's applied offset vs. its measured one"
grep "^$NODE_B:" <<<"$descr" | grep -q "clock_corrected=1" || ncap_fail "2: B not marked clock_corrected=1: $descr"
# Per datagram: latest minus earliest sighting (A, B, C) after correction.
spread=$(tshark -r "$OUT" -T fields -e frame.time_epoch -e data.data 2>/dev/null | python3 -c '
import sys
from decimal import Decimal
t = {}
for l in sys.stdin:
    ts, d = l.split()
    t.setdefault(d, []).append(Decimal(ts))
print(max(max(v) - min(v) for v in t.values()))')
python3 -c "import sys; sys.exit(0 if float('$spread') < 0.1 else 1)" ||
  ncap_fail "2: datagram times at A, B, C spread by $spread s after correction"
ncap_log "ok 2: B offset $off_b ns (A $off_a ns), corrected spread $spread s, $kept of 400 kept at every node"

# ---- 3. C's session killed mid-capture ---------------------------------
: >"$NCAP_EXTCAP_LOG"
OUT="$NCAP_TMP/kill.pcapng"
cli "$OUT" "$NCAP_TMP/kill.err" --allow-partial
ncap_wait_streams 3 60
ncap_send_from_a "$NODE_C" 50 0 $PORT
sleep 1
# The per-connection sshd processes of C (children of the sshd we started).
kids=$(pgrep -P "$NCAP_SSHD_PID_C" | paste -sd' ')
[[ -n "$kids" ]] || ncap_fail "3: no session of C's sshd"
kill -9 $kids
ncap_wait_for 20 grep -q "node $NODE_C failed" "$NCAP_EXTCAP_LOG" ||
  ncap_fail "3: C's failure not noticed: $(tail -3 "$NCAP_EXTCAP_LOG")"
ncap_send_from_a "$NODE_C" 50 50 $PORT
sleep 1
kill -INT $CLI_PID
ncap_wait_pid_exit $CLI_PID 20
rc=$?
[[ $rc -eq 0 ]] || ncap_fail "3: capture exited $rc: $(cat "$NCAP_TMP/kill.err")"
ncap_assert_no_helper "3: after Ctrl-C" 10
err=$(cat "$NCAP_TMP/kill.err")
ncap_assert_contains "$err" "nodecap: $NODE_C: " "3: stderr"
ncap_assert_file_clean "$OUT"
summary=$(ncap_seq_summary "$OUT" | grep -v -e '^backwards' -e '^late')
ncap_assert_eq "$NODE_A:data0 0-99
$NODE_B:data0 0-99
$NODE_C:data0 0-49" "$summary" "3: datagrams per node"
comment=$(tshark -r "$OUT" -Y frame.comment -T fields -e frame.comment 2>/dev/null | head -1)
ncap_assert_contains "$comment" "node $NODE_C failed" "3: comment in the stream"
ncap_log "ok 3: $err; comment \"$comment\""
ncap_log "PASS"
