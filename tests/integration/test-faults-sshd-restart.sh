#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fault: the node's SSH server restarts during a capture.
#  1. Listener only (what Debian's ssh.service does, KillMode=process):
#     SIGTERM to the listener, start a new one. The running session is its
#     own process: the capture goes on untouched, and a new capture
#     connects to the new listener.
#  2. Listener and every session process killed (a crash, or a restart
#     that takes the sessions down): the client reports the loss with one
#     line and a non-zero exit, keeps a readable file; the helper on the
#     node sees its stdin/stdout close and exits; nothing is left.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/assert.sh"
source "$(dirname "$0")/../lib/faults-netns.sh"
ncap_faults_netns_setup
ncap_faults_sshd_start
N=$NCAP_BUILD/extcap/nodecap
PORT=47421

ip netns exec "$NS_NODE" python3 "$NCAP_SRC/tests/lib/udpgen.py" --port $PORT --count 200000 \
  --size 200 --rate 1000 &
GEN=$!
ncap_on_exit "kill $GEN"

# sshd processes in the node (listener and sessions).
node_sshd_pids() {
  local p
  for p in $(ip netns pids "$NS_NODE"); do
    [[ "$(cat /proc/"$p"/comm 2>/dev/null)" == sshd ]] && echo "$p"
  done
}

# start_capture NAME [time-limit]: CLI capture in the client namespace.
start_capture() {
  local name=$1
  shift
  # shellcheck disable=SC2046
  ip netns exec "$NS_CLIENT" "$N" capture "$NODE_ADDR" $(ncap_faults_cli_opts) -i lo \
    -f "udp port $PORT" --keepalive 2 --log-level info --log-file "$NCAP_TMP/$name.log" \
    "$@" -w "$NCAP_TMP/$name.pcapng" 2>"$NCAP_TMP/$name.err" &
  CLI=$!
  ncap_on_exit "kill -9 $CLI"
  ncap_wait_for 15 ncap_file_grows "$NCAP_TMP/$name.pcapng" ||
    ncap_fail "$name: the stream did not start: $(cat "$NCAP_TMP/$name.err")"
}

file_clean() {  # what FILE
  capinfos "$2" >/dev/null 2>"$NCAP_TMP/ci.err"
  assert_eq "$1: capinfos exit" 0 $?
  assert_empty "$1: capinfos warnings" "$(real_warnings "$NCAP_TMP/ci.err")"
  tshark -r "$2" >/dev/null 2>"$NCAP_TMP/ts.err"
  assert_empty "$1: tshark warnings" "$(real_warnings "$NCAP_TMP/ts.err")"
}

# 1. Listener restarted, sessions kept.
start_capture keep --time-limit 8
sleep 1
kill -TERM "$NCAP_SSHD_PID"
wait "$NCAP_SSHD_PID" 2>/dev/null
ncap_faults_sshd_start
ok "listener restarted (new pid $NCAP_SSHD_PID) during a capture"
s1=$(stat -c %s "$NCAP_TMP/keep.pcapng")
sleep 1.5
s2=$(stat -c %s "$NCAP_TMP/keep.pcapng")
((s2 > s1)) && ok "the capture goes on after the restart ($s1 -> $s2 bytes)" ||
  fail "the capture stopped growing after a listener-only restart"
# shellcheck disable=SC2046
ip netns exec "$NS_CLIENT" "$N" capture "$NODE_ADDR" $(ncap_faults_cli_opts) -i lo \
  -f "udp port $PORT" --packet-limit 50 -w "$NCAP_TMP/new.pcapng" 2>"$NCAP_TMP/new.err"
assert_eq "a new capture through the new listener" 0 $?
assert_eq "its packets" 50 "$(tshark -r "$NCAP_TMP/new.pcapng" 2>/dev/null | wc -l)"
ncap_wait_pid_exit "$CLI" 15
assert_eq "the first capture ends at its time limit, exit" 0 $?
file_clean keep "$NCAP_TMP/keep.pcapng"
ncap_wait_for 5 _ncap_no_helper && ok "no helper left after case 1" || fail "helper left after case 1"

# 2. Listener and sessions killed.
start_capture crash
ncap_wait_for 5 _ncap_some_helper || ncap_fail "crash: no helper on the node"
sleep 1
pids=$(node_sshd_pids | paste -sd' ')
(($(wc -w <<<"$pids") >= 2)) || ncap_fail "expected a listener and a session, got: $pids"
t0=$SECONDS
# shellcheck disable=SC2086
kill -KILL $pids
wait "$NCAP_SSHD_PID" 2>/dev/null
ncap_log "killed sshd: $pids"
ncap_wait_pid_exit "$CLI" 20
rc=$?
[[ $rc -ne 124 ]] || ncap_fail "crash: the client still runs 20 s after sshd died"
[[ $rc -ne 0 ]] && ok "crash: client exit status $rc after $((SECONDS - t0))s" ||
  fail "crash: client exit status 0 although its server died"
assert_eq "crash: lines on the client's stderr" 1 "$(grep -c . "$NCAP_TMP/crash.err")"
assert_match "crash: client's error line" "^nodecap: $NODE_ADDR: " "$(cat "$NCAP_TMP/crash.err")"
echo "   $(cat "$NCAP_TMP/crash.err")"
ncap_wait_for 10 _ncap_no_helper && ok "crash: node helper gone $((SECONDS - t0))s after sshd died" ||
  fail "crash: node helper still running: $(ncap_helper_pids)"
file_clean crash "$NCAP_TMP/crash.pcapng"
n=$(tshark -r "$NCAP_TMP/crash.pcapng" 2>/dev/null | wc -l)
((n > 100)) && ok "crash: $n packets kept" || fail "crash: only $n packets kept"

# The node is usable again once sshd is back.
ncap_faults_sshd_start
# shellcheck disable=SC2046
ip netns exec "$NS_CLIENT" "$N" capture "$NODE_ADDR" $(ncap_faults_cli_opts) -i lo \
  -f "udp port $PORT" --packet-limit 20 -w "$NCAP_TMP/after.pcapng" 2>"$NCAP_TMP/after.err"
assert_eq "a capture after sshd came back" 0 $?
kill "$GEN" 2>/dev/null
assert_empty "nodecap-helper processes left" "$(ncap_helper_pids)"
assert_empty "nodecap clients left" "$(pgrep -f -- "--remote-helper $NCAP_HELPER")"
summary
