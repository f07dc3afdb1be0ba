#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Three nodes A -> B -> C (network namespaces, a real sshd each), one
# `tshark -i nodecap -o extcap.nodecap.remotehost:A,B,C`: one pcapng with
# three interfaces "<node>:data0", every datagram at every node it crossed,
# in time order, capinfos clean; the plugin correlates them (seen_count 3)
# and, with a blackhole route on B for 203.0.113.77, flags exactly those
# datagrams (node_order A,B,C) as never reaching C; with the plugin's
# defaults (clock offsets applied) every datagram to C has nodecap.delay 0
# at A (its first sighting), > 0 at B and larger still at C. tshark -c
# ends it and no nodecap-helper is left in any namespace.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/netns.sh"
ncap_netns_setup
for x in A B C; do ncap_netns_sshd "$x"; done
ncap_netns_tshark_opts
ip -n "$NS_B" route add blackhole 203.0.113.77/32 || ncap_fail "blackhole route on B"

PORT=47001
OUT="$NCAP_TMP/multi.pcapng"
# A: 350 out, B: 350 in (50 dropped there), C: 300 in.
ip netns exec "$NS_A" tshark -i nodecap "${NCAP_TSHARK_OPTS[@]}" \
  -o "extcap.nodecap.remotehost:$NCAP_NODES" -f "udp port $PORT" \
  -c 1000 -a duration:60 -w "$OUT" 2>"$NCAP_TMP/tshark.err" &
TPID=$!
ncap_on_exit "kill -9 $TPID"
ncap_wait_streams 3 40
start=$SECONDS
ncap_send_from_a 203.0.113.77 50 1000 $PORT
ncap_send_from_a "$NODE_C" 150 0 $PORT
# The plugin never judges a packet within max_delay_ms (1 s) of the end.
sleep 1.5
ncap_send_from_a "$NODE_C" 150 150 $PORT
ncap_wait_pid_exit $TPID 40
rc=$?
[[ $rc -eq 0 ]] || ncap_fail "tshark exited $rc: $(cat "$NCAP_TMP/tshark.err")"
ncap_log "tshark -c 1000 done $((SECONDS - start)) s after the first datagram"
ncap_assert_no_helper "after tshark -c"

ncap_assert_file_clean "$OUT"
nif=$(sed -n 's/^Number of interfaces in file: *//p' "$NCAP_TMP/capinfos.out")
ncap_assert_eq 3 "$nif" "interfaces in the file"
names=$(tshark -r "$OUT" -T fields -e frame.interface_name 2>/dev/null | sort -u | paste -sd,)
ncap_assert_eq "$NODE_A:data0,$NODE_B:data0,$NODE_C:data0" "$names" "interface names"

summary=$(ncap_seq_summary "$OUT")
ncap_log "per interface: $(paste -sd';' <<<"$summary")"
want="$NODE_A:data0 0-299,1000-1049
$NODE_B:data0 0-299,1000-1049
$NODE_C:data0 0-299"
ncap_assert_eq "$want" "$(grep -v -e '^backwards' -e '^late' <<<"$summary")" "datagrams per node"
back=$(sed -n 's/^backwards //p' <<<"$summary")
late=$(sed -n 's/^late //p' <<<"$summary")
ooo=$(sed -n 's/.*merge: .* written, \([0-9]*\) out of order.*/\1/p' "$NCAP_EXTCAP_LOG" | tail -1)
[[ -n "$ooo" ]] || ncap_fail "no merge statistics in the log"
ncap_assert_eq "$ooo" "$late" "packets older than one before them vs. counted out of order"
ncap_log "time order: $late packets late ($back steps backwards), $ooo counted out of order by the merge"
descr=$(tshark -r "$OUT" -T fields -e frame.interface_name -e frame.interface_description 2>/dev/null | sort -u)
grep -q "clock_offset_ns=" <<<"$descr" || ncap_fail "no clock_offset_ns in the IDB descriptions: $descr"
# The namespaces share one kernel clock, so each measured offset lies
# within its own error bound (half the round trip: the node read its clock
# between our two readings) and the extcap applies it as 0, recording the
# measurement beside it.
for x in "$NODE_A" "$NODE_B" "$NODE_C"; do
  d=$(grep "^$x:data0" <<<"$descr")
  [[ "$d" =~ clock_offset_ns=0\ clock_measured_ns=-?[0-9]+\ clock_rtt_ns=[0-9]+ ]] ||
    ncap_fail "$x: expected clock_offset_ns=0 with the measurement recorded: $d"
done
n_zero=$(grep -c "clock offset .* within its error, same as 0, offset 0 ns recorded" "$NCAP_EXTCAP_LOG")
ncap_assert_eq 3 "$n_zero" "offsets logged as within their error"

# The plugin, with its defaults (nodecap.clock_offset TRUE): packets to C
# seen 3 times; packets to .77 unmatched at B. The recorded offsets are 0
# (above), so the ~10 us from A to B is not drowned by measurement error.
chmod a+r "$OUT"
PLUG=(-2 -r "$OUT" -o "nodecap.node_order:$NCAP_NODES")
seen=$(ncap_plugin_tshark "${PLUG[@]}" -Y "ip.dst == $NODE_C" -T fields -e nodecap.seen_count 2>/dev/null | sort | uniq -c | sed 's/^ *//')
ncap_assert_eq "900 3" "$seen" "nodecap.seen_count of packets to C"
unm=$(ncap_plugin_tshark "${PLUG[@]}" -Y nodecap.unmatched -T fields -e frame.interface_name -e ip.dst -e nodecap.unmatched \
  2>/dev/null | sort | uniq -c | sed 's/^ *//')
ncap_assert_eq "50 $NODE_B:data0	203.0.113.77	$NODE_C" "$unm" "nodecap.unmatched"

# Per datagram to C: delay 0 at A, its first node; 0 < delay at B < at C.
ncap_assert_delays_ordered "300" "${PLUG[@]}"
ncap_log "PASS: 3 nodes merged (1000 packets, names, order), offsets 0, seen_count 3 for 900, 50 unmatched at B, delays A=0 < B < C; no helper left"
