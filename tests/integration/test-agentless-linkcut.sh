#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Without the helper (issue 24), a cut network must still end the node's
# tcpdump, even when its filter matches nothing (sshdump's tcpdump runs on
# for ever there, docs/wireshark-facts.md): the client, in its own namespace, captures
# with --capture-with tcpdump and a filter nothing matches; the router
# then silently stops forwarding. The client gives up on its keepalive
# (--keepalive 2) with one line and a non-zero exit; on the node the
# wrapper sees no heartbeat for the stall time-out (--stall-timeout 6) and
# ends tcpdump: no capture program is left.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/assert.sh"
source "$(dirname "$0")/../lib/faults-netns.sh"
ncap_faults_netns_setup
ncap_faults_sshd_start
N=$NCAP_BUILD/extcap/nodecap
PORT=47424
NOHELPER=$NCAP_TMP/node/bin/not-installed/nodecap-helper
prog_pids() { pgrep -af -- "udp port $PORT" | grep -e nodecap-agentless -e ' -w - ' | cut -d' ' -f1 || true; }
_no_prog() { [[ -z "$(prog_pids)" ]]; }
_some_prog() { [[ -n "$(prog_pids)" ]]; }
log=$NCAP_TMP/cli.log
_started() { grep -q "first bytes from the helper" "$log" 2>/dev/null; }

ip netns exec "$NS_CLIENT" "$N" capture "$NODE_ADDR" --sshkey "$NCAP_SSH_KEY" --known-hosts "$NCAP_KNOWN_HOSTS" \
  --remote-helper "$NOHELPER" --capture-with tcpdump -i lo -f "udp port $PORT" \
  --stall-timeout 6 --keepalive 2 --log-level info --log-file "$log" -w "$NCAP_TMP/out.pcapng" 2>"$NCAP_TMP/err" &
cli=$!
ncap_on_exit "kill -9 $cli"
ncap_wait_for 45 _started || ncap_fail "the stream did not start: $(cat "$NCAP_TMP/err")"
ncap_wait_for 5 _some_prog || ncap_fail "no tcpdump on the node"
# Idle for longer than the stall time-out: the heartbeats keep it alive.
sleep 8
_some_prog || ncap_fail "tcpdump ended while the link was up: $(tail -3 "$log")"
t0=$SECONDS
ncap_blackhole
ncap_wait_pid_exit $cli 30
rc=$?
[[ $rc -ne 124 ]] || ncap_fail "the client did not notice the cut within 30 s"
[[ $rc -ne 0 ]] || ncap_fail "the client exited 0 after a cut"
ncap_assert_eq 1 "$(wc -l <"$NCAP_TMP/err")" "lines on stderr ($(cat "$NCAP_TMP/err"))"
ncap_log "client: exit $rc after $((SECONDS - t0)) s: $(cat "$NCAP_TMP/err")"
ncap_wait_for 30 _no_prog || {
  ps -o pid,etime,args -p "$(prog_pids | paste -sd,)" >&2
  ncap_fail "tcpdump still running on the node $((SECONDS - t0)) s after the cut"
}
ncap_log "PASS: tcpdump on the node ended $((SECONDS - t0)) s after the cut (stall time-out 6 s, no matching packet)"
