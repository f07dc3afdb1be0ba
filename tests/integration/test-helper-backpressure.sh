#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Back-pressure of the stream verb (issue 9): when the reader of stdout
# stops reading, the helper fills its output queue, then leaves the rest in
# the kernel ring instead of draining the ring into a full queue and
# dropping. With buffer_mb = 4 (ring 4 MiB + queue 4 MiB + 1 MiB pipe), a
# burst of 5000 x 1000 B sent while the reader is paused arrives whole once
# it reads again; a burst far beyond the buffers loses packets, and every
# loss is counted (epb_dropcount and the last ISB agree, delivered + lost =
# sent). The datagrams come from another network namespace over a veth
# pair: on lo the kernel ring would hold each datagram twice (the outgoing
# copy, which libpcap discards only after it took ring space, and the
# incoming one), and kernel drop counts would be in copies.
set -uo pipefail
. "$(dirname "$0")/../lib/assert.sh"

H=$NCAP_BUILD/remote/nodecap-helper
T=$(mktemp -d)
NS_S=ncap-bp$$-s NS_N=ncap-bp$$-n
trap 'kill $(jobs -p) 2>/dev/null; ip netns del $NS_S; ip netns del $NS_N; rm -rf "$T"' EXIT
ip netns add $NS_S && ip netns add $NS_N || { echo "FAIL: ip netns add"; exit 1; }
ip -n $NS_S link add data0 type veth peer name data0 netns $NS_N
ip -n $NS_S addr add 198.51.100.1/24 dev data0
ip -n $NS_N addr add 198.51.100.2/24 dev data0
ip -n $NS_S link set data0 up
ip -n $NS_N link set data0 up
GEN="python3 $NCAP_SRC/tests/lib/udpgen.py"
PCAPSUM="python3 $NCAP_SRC/bench/lib/pcapsum.py"
mkdir -p "$T/etc" "$T/state"
printf '[grant]\ncapture.stream = root\n' >"$T/etc/policy.conf"
printf '[streams]\nbuffer_mb = 4\n' >"$T/etc/nodecap.conf"
export NCAP_SYSCONFDIR=$T/etc NCAP_STATEDIR=$T/state NCAP_AUDITLOG=$T/audit.log

# run_paused NAME PORT COUNT: stream to a reader that starts reading only
# after COUNT datagrams were sent; then SIGTERM and wait.
run_paused() {
  local name=$1 port=$2 count=$3
  rm -f "$T/go.$name"
  ip netns exec $NS_N $H stream --node bp -i data0 -f "udp dst port $port" 2>"$T/$name.err" < <(sleep 120) |
    (while [[ ! -e $T/go.$name ]]; do sleep 0.05; done; exec cat >"$T/$name.pcapng") &
  local pid=$!
  sleep 1
  ip netns exec $NS_S $GEN --dst 198.51.100.2 --port "$port" --count "$count" --size 1000
  sleep 1 # the last block retires (50 ms) and the helper takes what fits
  local rss
  rss=$(awk '/^VmRSS/ {print $2}' /proc/"$(pgrep -f "nodecap-helper stream --node bp" | head -1)"/status 2>/dev/null)
  echo "${rss:-0}" >"$T/$name.rss"
  touch "$T/go.$name"
  sleep 2
  pkill -TERM -f "nodecap-helper stream --node bp"
  wait "$pid"
}

# 1. Within the buffers: everything arrives, nothing counted as lost.
run_paused fit 47061 5000
assert_empty "stream stderr" "$(cat "$T/fit.err")"
read -r n _ _ dc ifd osd < <($PCAPSUM "$T/fit.pcapng")
assert_eq "datagrams delivered after the pause" 5000 "$n"
assert_eq "epb_dropcount sum" -1 "$dc"
assert_eq "ISB ifdrop + osdrop" "0 0" "$ifd $osd"
capinfos "$T/fit.pcapng" >/dev/null 2>"$T/capinfos.err"
assert_eq "capinfos status" 0 $?
ok "paused reader: 5000 x 1000 B held in ring + queue, all delivered, 0 drops (helper RSS $(cat "$T/fit.rss") KiB)"

# 2. Far beyond the buffers: losses happen and every one is counted.
run_paused over 47062 30000
read -r n _ _ dc ifd osd < <($PCAPSUM "$T/over.pcapng")
((n < 30000)) || fail "30000 x 1000 B cannot fit 9 MiB of buffers, yet $n arrived"
((dc > 0)) || fail "no epb_dropcount although $((30000 - n)) datagrams are missing"
assert_eq "delivered + epb_dropcount" 30000 $((n + dc))
assert_eq "last ISB ifdrop + osdrop = epb_dropcount sum" "$dc" $((ifd + osd))
# The ISB also says which buffer overflowed: the kernel ring, since the
# helper stops taking packets when its queue is full.
assert_eq "ISB osdrop (queue overflow)" 0 "$osd"
ok "overrun: $n delivered, $dc counted lost (ifdrop $ifd, osdrop $osd) = 30000 sent"
summary
