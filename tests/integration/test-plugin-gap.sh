#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# One node, a drop count of 3 before packet 5: nodecap.seq jumps by 4,
# nodecap.gap is 3 with an expert note; the IDB's first_seq is honoured.
. "$(dirname "$0")/plugin-lib.sh"

B=1700000000000000000
{
  echo "iface a:eth0 nodecap session=5eed first_seq=100 sample=1"
  for n in 1 2 3 4 5 6 7; do
    d=0; [ "$n" = 5 ] && d=3
    echo "pkt 0 $((B + n * 1000000)) $n drop=$d"
  done
} | mk "$T/gap.pcapng"

out=$(ts -r "$T/gap.pcapng" -T fields -E separator=' ' -e frame.number -e nodecap.node \
        -e nodecap.iface -e nodecap.session -e nodecap.seq -e nodecap.gap)
expect "seq/gap per packet" "1 a eth0 5eed 100 0
2 a eth0 5eed 101 0
3 a eth0 5eed 102 0
4 a eth0 5eed 103 0
5 a eth0 5eed 107 3
6 a eth0 5eed 108 0
7 a eth0 5eed 109 0" "$out"

out=$(ts -r "$T/gap.pcapng" -Y 'nodecap.gap > 0' -T fields -e frame.number -e _ws.expert.message)
expect "nodecap.gap > 0 finds packet 5" "5	3 packet(s) lost on a:eth0 before this one" "$out"
out=$(ts -r "$T/gap.pcapng" -Y '_ws.expert.severity == note && _ws.expert.group == sequence' \
        -T fields -e frame.number)
expect "the gap is a Sequence note in expert info" "5" "$out"

# A description without nodecap items: defaults (first_seq 0).
{
  echo "iface n1:lo"
  echo "pkt 0 $B 1"
  echo "pkt 0 $((B + 1000)) 2 drop=2"
} | mk "$T/plain.pcapng"
out=$(ts -r "$T/plain.pcapng" -T fields -E separator=' ' -e nodecap.node -e nodecap.seq -e nodecap.gap)
expect "defaults without description" "n1 0 0
n1 3 2" "$out"

# A pcapng whose interface is not named <node>:<iface> gets no nodecap tree.
{ echo "iface eth0"; echo "pkt 0 $B 1"; } | mk "$T/other.pcapng"
out=$(ts -r "$T/other.pcapng" -Y nodecap | wc -l)
expect "non-nodecap file untouched" "0" "$out"
