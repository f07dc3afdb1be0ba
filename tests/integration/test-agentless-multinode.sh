#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A multi-node capture mixing helper and helper-less nodes (issue 24): the
# namespace lab A - B - C, the helper named "nodecap-helper" (found by
# PATH), in the PATH of A's and C's sessions but not of B's. One
# `nodecap capture A,B,C` (auto): A and C use the helper, B its dumpcap;
# every datagram A sends to C is seen at all three nodes with the same
# frame.packet_id (the client's hash for B = the helpers' for A and C), B's
# interface description says it was captured with dumpcap, and nothing is
# left running on any node.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/netns.sh"
ncap_netns_setup
SYS=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
ncap_netns_sshd A "SetEnv PATH=$NCAP_TMP/node/bin:$SYS"
ncap_netns_sshd B "SetEnv PATH=$SYS"
ncap_netns_sshd C "SetEnv PATH=$NCAP_TMP/node/bin:$SYS"
NC=$NCAP_BUILD/extcap/nodecap
PORT=47124
prog_pids() { pgrep -af -- "udp port $PORT" | grep -e nodecap-agentless -e ' -w - ' | cut -d' ' -f1 || true; }
_no_prog() { [[ -z "$(prog_pids)" ]]; }

OUT=$NCAP_TMP/mixed.pcapng
: >"$NCAP_EXTCAP_LOG"
ip netns exec "$NS_A" "$NC" capture "$NCAP_NODES" --sshkey "$NCAP_SSH_KEY" --known-hosts "$NCAP_KNOWN_HOSTS" \
  --remote-helper nodecap-helper -i data0 -f "udp port $PORT" --packet-limit 300 \
  --log-level info --log-file "$NCAP_EXTCAP_LOG" -w "$OUT" 2>"$NCAP_TMP/err" &
CPID=$!
ncap_on_exit "kill -9 $CPID"
ncap_wait_streams 3 60
ncap_send_from_a "$NODE_C" 300 0 $PORT
ncap_wait_pid_exit $CPID 60
rc=$?
[[ $rc -eq 0 ]] || ncap_fail "mixed capture exited $rc: $(cat "$NCAP_TMP/err")"
grep -q "node $NODE_B: helper nodecap-helper not found (exit 127), trying dumpcap and tcpdump" "$NCAP_EXTCAP_LOG" ||
  ncap_fail "B did not fall back: $(grep "$NODE_B" "$NCAP_EXTCAP_LOG" | tail -3)"
ncap_assert_file_clean "$OUT"

descr=$(tshark -r "$OUT" -T fields -e frame.interface_name -e frame.interface_description 2>/dev/null | sort -u)
grep -q "^$NODE_B:data0	dumpcap [0-9.]*; no node policy or audit" <<<"$descr" || ncap_fail "B's IDB: $descr"
grep -q "^$NODE_A:data0	nodecap session=" <<<"$descr" || ncap_fail "A's IDB: $descr"
grep -q "^$NODE_C:data0	nodecap session=" <<<"$descr" || ncap_fail "C's IDB: $descr"
counts=$(tshark -r "$OUT" -Y "udp.dstport == $PORT" -T fields -e frame.interface_name 2>/dev/null |
  sort | uniq -c | sed 's/^ *//' | paste -sd,)
ncap_assert_eq "300 $NODE_A:data0,300 $NODE_B:data0,300 $NODE_C:data0" "$counts" "datagrams per node"
# Per datagram: three sightings, one packet id.
ids=$(tshark -r "$OUT" -Y "udp.dstport == $PORT" -T fields -e data.data -e frame.packet_id 2>/dev/null |
  sort -u | cut -f1 | uniq -c | sed 's/^ *//' | cut -d' ' -f1 | sort | uniq -c | sed 's/^ *//')
ncap_assert_eq "300 1" "$ids" "datagrams with exactly one packet id across A (helper), B (dumpcap), C (helper)"
ncap_wait_for 10 _no_prog || ncap_fail "dumpcap left on B"
ncap_log "PASS: A and C by helper, B by dumpcap, 300 datagrams each, one packet id per datagram at all three"
