#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# three-node.sh BUILD OUT: a merged three-node capture for the release
# comparison. Three single-node files, as three nodes would save them
# (a -> b -> c on one path), made by ncap-mkpcapng and merged by mergecap:
# a drop of 2 at a before packet 9, packet 7 lost between a and b, packet 4
# lost between b and c, a drop of 1 at c before packet 12, and b's clock
# 1 ms ahead (recorded in its description). 200 ms apart, so every loss is
# more than max_delay_ms (1 s) before the end and is judged.
set -euo pipefail
BUILD=$1 OUT=$2
MK="$BUILD/tests/tools/ncap-mkpcapng"
D=$(mktemp -d /tmp/ncap-three-node.XXXXXX)
trap 'rm -rf "$D"' EXIT
B=1700000000000000000 MS=1000000
{
  echo "iface a:eth0 nodecap session=a11ce first_seq=1000 sample=1"
  for n in $(seq 1 20); do
    d=0; [ "$n" = 9 ] && d=2
    echo "pkt 0 $((B + n * 200 * MS)) $n drop=$d ttl=64"
  done
} | "$MK" "$D/a.pcapng" -
{
  echo "iface b:eth1 nodecap session=b0b first_seq=0 sample=1 clock_offset_ns=$MS"
  for n in $(seq 1 20); do
    [ "$n" = 7 ] && continue
    echo "pkt 0 $((B + n * 200 * MS + MS + 300000)) $n ttl=63"
  done
} | "$MK" "$D/b.pcapng" -
{
  echo "iface c:eth0 nodecap session=c0c0 first_seq=500 sample=1"
  for n in $(seq 1 20); do
    [ "$n" = 4 ] || [ "$n" = 7 ] && continue
    d=0; [ "$n" = 12 ] && d=1
    echo "pkt 0 $((B + n * 200 * MS + 700000)) $n drop=$d ttl=62"
  done
} | "$MK" "$D/c.pcapng" -
mergecap -F pcapng -w "$OUT" "$D/a.pcapng" "$D/b.pcapng" "$D/c.pcapng"
