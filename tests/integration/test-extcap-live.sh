#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The first vertical slice: tshark -i nodecap against a real sshd on
# loopback; 1000 numbered UDP datagrams must all arrive, in order, with
# their bytes, on an interface named "127.0.0.1:lo", and nothing may stay
# running on the node afterwards.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/sshd.sh"
ncap_sshd_start

N=1000
PORT=$(ncap_random_port 40000 49000)
TAG="ncap$RANDOM"
OUT="$NCAP_TMP/live.pcapng"

ncap_tshark_start "$OUT" "$NCAP_TMP/tshark.err" \
  -o extcap.nodecap.remoteinterface:lo -f "udp port $PORT" \
  -c $N -a duration:30
ncap_wait_stream 15
ncap_send_udp $N "$PORT" "$TAG"
ncap_wait_pid_exit "$NCAP_TSHARK_PID" 40
rc=$?
[[ $rc -eq 0 ]] || ncap_fail "tshark exited $rc: $(cat "$NCAP_TMP/tshark.err")"
ncap_assert_no_helper "after tshark -c $N"

ncap_assert_file_clean "$OUT"
tshark -r "$OUT" -Y "udp.dstport == $PORT" -T fields -e data.data \
  >"$NCAP_TMP/got.txt" 2>/dev/null
ncap_expected_udp_hex $N "$TAG" >"$NCAP_TMP/want.txt"
if ! cmp -s "$NCAP_TMP/want.txt" "$NCAP_TMP/got.txt"; then
  diff "$NCAP_TMP/want.txt" "$NCAP_TMP/got.txt" | head -5 >&2
  ncap_fail "payloads differ: got $(wc -l <"$NCAP_TMP/got.txt") of $N datagrams"
fi
names=$(tshark -r "$OUT" -T fields -e frame.interface_name 2>/dev/null | sort -u | paste -sd,)
ncap_assert_eq "127.0.0.1:lo" "$names" "frame.interface_name"
count=$(tshark -r "$OUT" -Y 'frame.interface_name == "127.0.0.1:lo"' 2>/dev/null | wc -l)
ncap_assert_eq "$N" "$count" "packets on 127.0.0.1:lo"
ncap_log "PASS: $N datagrams in order with their bytes on 127.0.0.1:lo; no helper left"
