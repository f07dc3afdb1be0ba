#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fault: the path to the node dies in the middle of a stream, two ways:
#  - link-down: the node's interface goes down (the router then answers
#    "host unreachable");
#  - blackhole: the router silently stops forwarding (a dead WAN path:
#    neither end hears anything; only keepalives can tell).
# A node namespace with a real sshd, traffic generated inside it, and
# `nodecap capture NODE -w FILE` running in a client namespace. Expected:
# the client reports the loss within its keepalive bound (--keepalive 2:
# given up about 4-6 s after the last byte), exits non-zero with one clear
# line, and keeps what it received (a file capinfos and tshark read without
# a warning, packets in order); the node's helper notices that its reader
# stalled (--stall-timeout 3, once sshd's buffers and the SSH window are
# full) and exits with that reason in the audit log; no nodecap or
# nodecap-helper process is left.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/assert.sh"
source "$(dirname "$0")/../lib/faults-netns.sh"
ncap_faults_netns_setup
ncap_faults_sshd_start
N=$NCAP_BUILD/extcap/nodecap
PORT=47411

# seq_check FILE: "ok N" when the udpgen sequence numbers in FILE strictly
# increase, else what is wrong.
seq_check() {
  tshark -r "$1" -T fields -e data.data 2>/dev/null | python3 -c '
import sys
prev, n = -1, 0
for line in sys.stdin:
    h = line.strip()
    if not h:
        continue
    s = int(bytes.fromhex(h[:34])[9:17])
    if s <= prev:
        print("seq %d after %d" % (s, prev)); sys.exit()
    prev, n = s, n + 1
print("ok %d" % n)'
}

# NCAP_FAULT_RATE/SIZE/COUNT change the traffic (by hand: a heavier load
# makes a cut in the middle of a pcapng block more likely).
run_cut() {
  local how=$1 out=$NCAP_TMP/$1.pcapng log=$NCAP_TMP/$1.log err=$NCAP_TMP/$1.err
  local gen cli t0 rc dt size pk stalls
  stalls=$(grep -c '"reason":"output stalled' "$NCAP_NODE_AUDIT" 2>/dev/null)
  # Traffic inside the node, on its loopback: it goes on after the cut, so
  # the helper has data its stalled reader cannot take.
  ip netns exec "$NS_NODE" python3 "$NCAP_SRC/tests/lib/udpgen.py" --port $PORT --count ${NCAP_FAULT_COUNT:-200000} \
    --size ${NCAP_FAULT_SIZE:-200} --rate ${NCAP_FAULT_RATE:-2000} &
  gen=$!
  ncap_on_exit "kill $gen"
  # shellcheck disable=SC2046
  ip netns exec "$NS_CLIENT" "$N" capture "$NODE_ADDR" $(ncap_faults_cli_opts) -i lo -f "udp port $PORT" \
    --stall-timeout 3 --keepalive 2 --log-level info --log-file "$log" -w "$out" 2>"$err" &
  cli=$!
  ncap_on_exit "kill -9 $cli"
  ncap_wait_for 15 ncap_file_grows "$out" || ncap_fail "$how: the stream did not start: $(cat "$err")"
  ncap_wait_for 5 _ncap_some_helper || ncap_fail "$how: no helper on the node"
  sleep 1
  ok "$how: stream running ($(stat -c %s "$out") bytes so far), helper pid $(ncap_helper_pids | paste -sd,)"

  t0=$SECONDS
  "ncap_$(tr - _ <<<"$how")"
  ncap_log "$how: path cut"
  ncap_wait_pid_exit "$cli" 25
  rc=$?
  dt=$((SECONDS - t0))
  [[ $rc -ne 124 ]] || ncap_fail "$how: the client still runs 25 s after the cut"
  [[ $rc -ne 0 ]] && ok "$how: client exit status $rc after ${dt}s" || fail "$how: client exit status 0 after a lost path"
  ((dt <= 10)) && ok "$how: loss reported within the keepalive bound (${dt}s <= 10s)" ||
    fail "$how: loss reported after ${dt}s"
  assert_eq "$how: lines on the client's stderr" 1 "$(grep -c . "$err")"
  assert_match "$how: client's error line" "^nodecap: $NODE_ADDR: connection lost: " "$(cat "$err")"
  echo "   $(cat "$err")"

  # The node's side: sshd stops reading once its buffers are full; the
  # helper must end on its stall time-out and say so.
  if ncap_wait_for 25 _ncap_no_helper; then
    ok "$how: node helper gone $((SECONDS - t0))s after the cut"
  else
    fail "$how: node helper still running: $(ncap_helper_pids)"
  fi
  assert_match "$how: the helper's reason (audit)" '"result":"error","reason":"output stalled' \
    "$(grep '"reason":"output stalled' "$NCAP_NODE_AUDIT" | tail -1)"
  assert_eq "$how: stall lines in the audit" $((stalls + 1)) \
    "$(grep -c '"reason":"output stalled' "$NCAP_NODE_AUDIT")"

  # What the client received is kept, readable, whole blocks only.
  size=$(stat -c %s "$out")
  capinfos "$out" >"$NCAP_TMP/ci.out" 2>"$NCAP_TMP/ci.err"
  assert_eq "$how: capinfos exit on the kept file ($size bytes)" 0 $?
  assert_empty "$how: capinfos warnings" "$(real_warnings "$NCAP_TMP/ci.err")"
  tshark -r "$out" >/dev/null 2>"$NCAP_TMP/ts.err"
  assert_empty "$how: tshark warnings" "$(real_warnings "$NCAP_TMP/ts.err")"
  pk=$(seq_check "$out")
  assert_match "$how: kept packets in order" '^ok [0-9]{3,}' "$pk"

  kill "$gen" 2>/dev/null
  wait "$gen" 2>/dev/null
  pgrep -f -- "--remote-helper $NCAP_HELPER" >/dev/null && fail "$how: a nodecap client is left" ||
    ok "$how: no nodecap client left"
}

run_cut blackhole
# Heal the path for the second case (the old sessions are dead: kill
# what sshd still holds for them, keep the listener).
ip netns exec "$NS_ROUTER" sysctl -q -w net.ipv4.ip_forward=1
run_cut link-down

assert_empty "nodecap-helper processes left" "$(ncap_helper_pids)"
summary
