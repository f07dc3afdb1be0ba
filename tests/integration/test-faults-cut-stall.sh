#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# After a management-link cut, the node's helper ends within its stall
# time-out (default 30 s), measured from the cut (issue 21,
# docs/reliability.md "Cut"). sshd keeps reading the helper's output into
# its socket buffer and the client's channel window for a while after the
# cut, so the helper's own queue keeps moving: counted from the queue, the
# helper ran 64 s at ~1000 pps of 200 B. The client acknowledges on the
# helper's stdin every second (`stream --client-acks`); no acknowledgement
# gets through a cut, so the helper ends on time. Namespace lab
# (tests/lib/faults-netns.sh), the node's link set down mid-capture.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/assert.sh"
source "$(dirname "$0")/../lib/faults-netns.sh"
ncap_faults_netns_setup
ncap_faults_sshd_start
N=$NCAP_BUILD/extcap/nodecap
PORT=47412
BOUND=${NCAP_CUT_BOUND:-36}  # the 30 s time-out, 1 s between acks, slack

out=$NCAP_TMP/cut.pcapng
ip netns exec "$NS_NODE" python3 "$NCAP_SRC/tests/lib/udpgen.py" --port $PORT --count 200000 \
  --size 200 --rate 1000 &
gen=$!
ncap_on_exit "kill $gen"
# shellcheck disable=SC2046
ip netns exec "$NS_CLIENT" "$N" capture "$NODE_ADDR" $(ncap_faults_cli_opts) -i lo -f "udp port $PORT" \
  --keepalive 2 --log-level info --log-file "$NCAP_TMP/cli.log" -w "$out" 2>"$NCAP_TMP/cli.err" &
cli=$!
ncap_on_exit "kill -9 $cli"
ncap_wait_for 15 ncap_file_grows "$out" || ncap_fail "the stream did not start: $(cat "$NCAP_TMP/cli.err")"
ncap_wait_for 5 _ncap_some_helper || ncap_fail "no helper on the node"
sleep 2
ok "stream running at ~1000 pps ($(stat -c %s "$out") bytes so far), helper $(ncap_helper_pids | paste -sd,)"

t0=$(date +%s.%N)
ncap_link_down
ncap_log "management link down"
ncap_wait_for 100 _ncap_no_helper
dt=$(echo "$(date +%s.%N) - $t0" | bc)
if _ncap_no_helper; then
  ncap_log "helper gone ${dt}s after the cut"
else
  ncap_fail "helper still running ${dt}s after the cut"
fi
(($(echo "$dt <= $BOUND" | bc))) && ok "helper ended ${dt}s after the cut (<= ${BOUND}s: stall time-out 30 s)" ||
  fail "helper ended ${dt}s after the cut, beyond the 30 s stall time-out (bound ${BOUND}s)"
reason=$(grep '"reason":"output stalled' "$NCAP_NODE_AUDIT" | tail -1)
assert_match "the helper's reason (audit)" '"result":"error","reason":"output stalled: no acknowledgement from the reader for 30 s' "$reason"
ncap_wait_pid_exit "$cli" 30
[[ $? -ne 124 ]] || fail "the client still runs"
summary
