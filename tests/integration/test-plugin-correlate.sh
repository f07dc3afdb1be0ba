#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Cross-node correlation in tshark two-pass mode on files built with
# ncap-mkpcapng (every expected value is known from the spec):
#  (b) nodes a, b; b saw packets 1..12 except 7 (and 11, which is too close
#      to the end to judge): exactly packet 7's frame at a is unmatched, under
#      the flow rule and under node_order; delays, path, seen_at are right,
#      b's clock offset is applied, and not a second time to times marked
#      clock_corrected=1;
#  (c) the same file without epb_packetid: the plugin computes the same ids
#      and the same verdicts;
#  (d) two single-node files merged with mergecap still correlate;
#  three nodes a -> b -> c with c missing packet 4: flagged at b, "c".
. "$(dirname "$0")/plugin-lib.sh"

B=1700000000000000000
MS=1000000
# b's clock runs 1 ms ahead and says so; the true a -> b delay is 250 us.
spec_a() {
  echo "iface a:eth0 nodecap session=c0ffee first_seq=0 sample=1"
}
spec_b() {
  echo "iface b:eth1 nodecap session=c0ffee first_seq=0 sample=1 clock_offset_ns=$MS"
}
# pkts IFA IFB: the packets of both nodes (IFB empty: skip b's).
pkts() {
  local ia=$1 ib=$2 n t
  for n in $(seq 1 12); do
    t=$((B + n * 100 * MS)); [ "$n" = 11 ] && t=$((B + 1900 * MS)); [ "$n" = 12 ] && t=$((B + 2000 * MS))
    [ -n "$ia" ] && echo "pkt $ia $t $n ttl=64"
    [ -n "$ib" ] && [ "$n" != 7 ] && [ "$n" != 11 ] && echo "pkt $ib $((t + ${B_AHEAD:-MS} + 250000)) $n ttl=63"
  done
  return 0
}
{ spec_a; spec_b; pkts 0 1; } | mk "$T/ab.pcapng"
{ spec_a; spec_b; pkts 0 1; } | mk "$T/ab-noid.pcapng" --no-packetid

F=(-T fields -E separator=' ' -E occurrence=a -E aggregator=';')

# ---- (b) flow rule (node_order empty) ------------------------------------
out=$(tsf -2 -r "$T/ab.pcapng" -Y nodecap.unmatched "${F[@]}" -e frame.number -e ip.id \
        -e nodecap.node -e nodecap.unmatched -e _ws.expert.message)
expect "(b) flow rule: only packet 7 at a" "13 0x0007 a b Seen at a but never at b" "$out"

out=$(tsf -2 -r "$T/ab.pcapng" -o nodecap.node_order:a,b -Y nodecap.unmatched "${F[@]}" \
        -e frame.number -e nodecap.unmatched)
expect "(b) node_order a,b: only packet 7 at a" "13 b" "$out"
out=$(tsf -2 -r "$T/ab.pcapng" -o nodecap.node_order:b,a -Y nodecap.unmatched "${F[@]}" \
        -e frame.number -e nodecap.unmatched)
expect "(b) node_order b,a (listed backwards): same" "13 b" "$out"

table() {
  tsf -2 -r "$1" "${@:2}" "${F[@]}" -e frame.number -e ip.id -e nodecap.node -e nodecap.seq \
     -e nodecap.seen_count -e nodecap.first_node -e nodecap.delay -e nodecap.path \
     -e nodecap.seen_at -e nodecap.unmatched | sed 's/ *$//'
}
expected_ab="1 0x0001 a 0 2 a 0.000000000 a -> b b:eth1 frame 2
2 0x0001 b 0 2 a 0.000250000 a -> b a:eth0 frame 1
3 0x0002 a 1 2 a 0.000000000 a -> b b:eth1 frame 4
4 0x0002 b 1 2 a 0.000250000 a -> b a:eth0 frame 3
5 0x0003 a 2 2 a 0.000000000 a -> b b:eth1 frame 6
6 0x0003 b 2 2 a 0.000250000 a -> b a:eth0 frame 5
7 0x0004 a 3 2 a 0.000000000 a -> b b:eth1 frame 8
8 0x0004 b 3 2 a 0.000250000 a -> b a:eth0 frame 7
9 0x0005 a 4 2 a 0.000000000 a -> b b:eth1 frame 10
10 0x0005 b 4 2 a 0.000250000 a -> b a:eth0 frame 9
11 0x0006 a 5 2 a 0.000000000 a -> b b:eth1 frame 12
12 0x0006 b 5 2 a 0.000250000 a -> b a:eth0 frame 11
13 0x0007 a 6 1 a 0.000000000 a  b
14 0x0008 a 7 2 a 0.000000000 a -> b b:eth1 frame 15
15 0x0008 b 6 2 a 0.000250000 a -> b a:eth0 frame 14
16 0x0009 a 8 2 a 0.000000000 a -> b b:eth1 frame 17
17 0x0009 b 7 2 a 0.000250000 a -> b a:eth0 frame 16
18 0x000a a 9 2 a 0.000000000 a -> b b:eth1 frame 19
19 0x000a b 8 2 a 0.000250000 a -> b a:eth0 frame 18
20 0x000b a 10 1 a 0.000000000 a
21 0x000c a 11 2 a 0.000000000 a -> b b:eth1 frame 22
22 0x000c b 9 2 a 0.000250000 a -> b a:eth0 frame 21"
out=$(table "$T/ab.pcapng")
expect "(b) seen_at, delay, path, seq for every frame" "$expected_ab" "$out"

out=$(tsf -2 -r "$T/ab.pcapng" -o nodecap.clock_offset:FALSE -Y 'frame.number == 2' "${F[@]}" -e nodecap.delay)
expect "(b) without the clock offset the raw delay shows" "0.001250000" "$out"
# Times the merge already corrected (--clock-correct: clock_corrected=1)
# keep the offset in the description for the record; it is not taken off
# a second time.
{
  spec_a
  echo "iface b:eth1 nodecap session=c0ffee first_seq=0 sample=1 clock_offset_ns=$MS clock_measured_ns=$MS clock_rtt_ns=400000 clock_corrected=1"
  B_AHEAD=0 pkts 0 1
} | mk "$T/ab-corrected.pcapng"
out=$(table "$T/ab-corrected.pcapng")
expect "(b) clock_corrected=1: the offset is not applied twice" "$expected_ab" "$out"

# One pass only: per-packet fields, no correlation yet (documented).
out=$(tsf -r "$T/ab.pcapng" -Y 'frame.number == 2' "${F[@]}" -e nodecap.node -e nodecap.seq -e nodecap.seen_count)
expect "one pass: node and seq, no sightings" "b 0 " "$out"

# ---- (c) no epb_packetid: the plugin computes the identity ---------------
out=$(table "$T/ab-noid.pcapng")
expect "(c) computed ids: same table" "$expected_ab" "$out"
ids_file=$(ts -r "$T/ab.pcapng" -T fields -e nodecap.id)
ids_comp=$(ts -r "$T/ab-noid.pcapng" -T fields -e nodecap.id)
expect "(c) computed ids equal the writer's epb_packetid" "$ids_file" "$ids_comp"
out=$(ts -r "$T/ab-noid.pcapng" -Y 'nodecap.id.computed' | wc -l)
expect "(c) every id marked computed" "22" "$out"
out=$(ts -r "$T/ab.pcapng" -Y 'nodecap.id.computed' | wc -l)
expect "(c) ids from the file are not marked computed" "0" "$out"
id1=$(ts -r "$T/ab.pcapng" -Y 'frame.number == 1' -T fields -e nodecap.id)
out=$(ts -r "$T/ab.pcapng" -Y "frame.packet_id == $id1" -T fields -e frame.number | tr '\n' ' ')
[ "$out" = "1 2 " ] || fail "frame.packet_id == nodecap.id ($id1) finds frames '$out', not '1 2 '"
echo "ok: (c) nodecap.id is frame.packet_id"

# ---- (d) mergecap of single-node files ------------------------------------
{ spec_a; pkts 0 ""; } | mk "$T/a.pcapng"
{ spec_b; pkts "" 0; } | mk "$T/b.pcapng"
mergecap -w "$T/merged.pcapng" "$T/a.pcapng" "$T/b.pcapng"
chmod a+r "$T/merged.pcapng"
out=$(table "$T/merged.pcapng")
expect "(d) merged file: same table" "$expected_ab" "$out"
out=$(tsf -2 -r "$T/merged.pcapng" -Y nodecap.unmatched "${F[@]}" -e frame.number -e ip.id -e nodecap.unmatched)
expect "(d) merged file: only packet 7 at a" "13 0x0007 b" "$out"

# ---- three nodes a -> b -> c, c missing packet 4 --------------------------
{
  echo "iface a:eth0 nodecap"
  echo "iface b:eth0 nodecap"
  echo "iface c:eth0 nodecap"
  for n in $(seq 1 8); do
    t=$((B + n * 100 * MS))
    echo "pkt 0 $t $n ttl=64"
    echo "pkt 1 $((t + 200000)) $n ttl=63"
    [ "$n" != 4 ] && echo "pkt 2 $((t + 500000)) $n ttl=62"
  done
  t=$((B + 2000 * MS)); echo "pkt 0 $t 99"; echo "pkt 1 $((t + 1)) 99"; echo "pkt 2 $((t + 2)) 99"
} | mk "$T/abc.pcapng"
out=$(tsf -2 -r "$T/abc.pcapng" -o nodecap.node_order:a,b,c -Y nodecap.unmatched "${F[@]}" \
        -e ip.id -e nodecap.node -e nodecap.path -e nodecap.unmatched)
expect "a->b->c: packet 4 vanished after b" "0x0004 b a -> b c" "$out"
out=$(tsf -2 -r "$T/abc.pcapng" -Y nodecap.unmatched "${F[@]}" -e ip.id -e nodecap.node -e nodecap.unmatched)
expect "a->b->c flow rule: same" "0x0004 b c" "$out"
out=$(tsf -2 -r "$T/abc.pcapng" -Y 'ip.id == 2' "${F[@]}" -e nodecap.node -e nodecap.delay -e nodecap.path)
expect "a->b->c: delays ordered" "a 0.000000000 a -> b -> c
b 0.000200000 a -> b -> c
c 0.000500000 a -> b -> c" "$out"
