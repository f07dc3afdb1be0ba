#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Correlation with hash sampling, live: three nodes A -> B -> C, a blackhole
# route on B for 203.0.113.77, one `tshark -i nodecap` with the extcap's
# --sample 4 --sample-by hash. Every node keeps the packets whose identity
# hash is 0 mod 4 (the same packets everywhere: the hash ignores what B
# rewrites), so the file holds, for the datagrams A kept (a non-empty strict
# subset of each batch): the same ones at B, those to C at C; the plugin
# sees every kept datagram to C 3 times with delays A=0 < B < C, and
# `-Y nodecap.unmatched` is exactly the kept datagrams to .77, at B,
# missing C. Ctrl-C to tshark ends it with no helper left.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/netns.sh"
ncap_netns_setup
for x in A B C; do ncap_netns_sshd "$x"; done
ncap_netns_tshark_opts
ip -n "$NS_B" route add blackhole 203.0.113.77/32 || ncap_fail "blackhole route on B"

PORT=47003
N=4
OUT="$NCAP_TMP/sample.pcapng"
ip netns exec "$NS_A" tshark -i nodecap "${NCAP_TSHARK_OPTS[@]}" \
  -o "extcap.nodecap.remotehost:$NCAP_NODES" -o "extcap.nodecap.sample:$N" \
  -o extcap.nodecap.sampleby:hash -f "udp port $PORT" \
  -a duration:90 -w "$OUT" 2>"$NCAP_TMP/tshark.err" &
TPID=$!
ncap_on_exit "kill -9 $TPID"
ncap_wait_streams 3 40
# 100 to .77 (lost at B), 100 + 100 to C; the plugin judges no packet
# within max_delay_ms (1 s) of the end, hence the pause before the last
# batch.
ncap_send_from_a 203.0.113.77 100 1000 $PORT
ncap_send_from_a "$NODE_C" 100 0 $PORT
sleep 1.5
ncap_send_from_a "$NODE_C" 100 100 $PORT
# The merge holds packets up to its 500 ms window; tshark closes the fifo
# on Ctrl-C, so give it time to write them first.
sleep 2
kill -INT $TPID
ncap_wait_pid_exit $TPID 20
rc=$?
[[ $rc -eq 0 ]] || ncap_fail "tshark exited $rc: $(cat "$NCAP_TMP/tshark.err")"
ncap_assert_no_helper "after Ctrl-C to tshark" 10
ncap_assert_file_clean "$OUT"
n_hash=$(grep -c "exec on .*'stream'.*'--sample' '$N' '--sample-by' 'hash'" "$NCAP_EXTCAP_LOG")
ncap_assert_eq 3 "$n_hash" "helpers started with --sample $N --sample-by hash"

# Per node, the udpgen numbers it kept; and every kept packet's identity
# hash (epb_packetid, frame.packet_id) is 0 mod N: the sampling rule.
sets=$(tshark -r "$OUT" -T fields -e frame.interface_name -e frame.packet_id -e data.data 2>/dev/null |
  python3 -c '
import sys
n, seqs, bad = int(sys.argv[1]), {}, 0
for l in sys.stdin:
    f = l.rstrip("\n").split("\t")
    if len(f) < 3 or not f[2]:
        continue
    if int(f[1], 0) % n:
        bad += 1
    p = bytes.fromhex(f[2])
    seqs.setdefault(f[0], []).append(int(p[9:17]))
print("bad_ids %d" % bad)
for k in sorted(seqs):
    print(k, " ".join(str(x) for x in sorted(seqs[k])))' "$N")
ncap_assert_eq "bad_ids 0" "$(head -1 <<<"$sets")" "packets whose identity hash is not 0 mod $N"
at() { sed -n "s/^$1:data0 //p" <<<"$sets" | tr ' ' '\n'; }
a_all=$(at "$NODE_A")
a_77=$(awk '$1 >= 1000' <<<"$a_all")
a_c=$(awk '$1 < 1000' <<<"$a_all")
k77=$(grep -c . <<<"$a_77")
kc=$(grep -c . <<<"$a_c")
# Non-empty strict subsets (for 100 and 200 datagrams, a chance of (3/4)^100
# to keep none, (1/4)^100 to keep all).
((k77 > 0 && k77 < 100)) || ncap_fail "A kept $k77 of 100 datagrams to .77"
((kc > 0 && kc < 200)) || ncap_fail "A kept $kc of 200 datagrams to C"
ncap_assert_eq "$a_all" "$(at "$NODE_B")" "B kept the same datagrams as A"
ncap_assert_eq "$a_c" "$(at "$NODE_C")" "C kept A's datagrams to C"

# The plugin, with its defaults.
chmod a+r "$OUT"
PLUG=(-2 -r "$OUT" -o "nodecap.node_order:$NCAP_NODES")
seen=$(ncap_plugin_tshark "${PLUG[@]}" -Y "ip.dst == $NODE_C" -T fields -e nodecap.seen_count 2>/dev/null | sort | uniq -c | sed 's/^ *//')
ncap_assert_eq "$((3 * kc)) 3" "$seen" "nodecap.seen_count of packets to C"
unm=$(ncap_plugin_tshark "${PLUG[@]}" -Y nodecap.unmatched -T fields -e frame.interface_name -e ip.dst \
  -e nodecap.unmatched -e data.data 2>/dev/null)
where=$(cut -f1-3 <<<"$unm" | sort | uniq -c | sed 's/^ *//')
ncap_assert_eq "$k77 $NODE_B:data0	203.0.113.77	$NODE_C" "$where" "nodecap.unmatched: where"
useqs=$(cut -f4 <<<"$unm" | python3 -c '
import sys
print("\n".join(str(x) for x in sorted(int(bytes.fromhex(l.strip())[9:17]) for l in sys.stdin if l.strip())))')
ncap_assert_eq "$a_77" "$useqs" "nodecap.unmatched: the datagrams to .77 that A kept"
ncap_assert_delays_ordered "$kc" "${PLUG[@]}"
ncap_log "PASS: --sample $N --sample-by hash: A kept $kc of 200 to C and $k77 of 100 to .77, B the same, C those to C; seen_count 3 for $((3 * kc)), the $k77 kept to .77 unmatched at B; no helper left"
