#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Save on node from Wireshark/tshark: the GUI user sees the saved job's id
# as the comment of the first packet of the live capture (frame.comment),
# with the command that fetches it, and that command works as printed.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/sshd.sh"
. "$(dirname "$0")/jobs-lib.sh"
jobs_cli_setup

timeout 60 tshark -i nodecap "${NCAP_TSHARK_OPTS[@]}" -o extcap.nodecap.remoteinterface:lo \
  -o extcap.nodecap.saveonnode:true -o extcap.nodecap.stopsavedonexit:true \
  -f "udp dst port $PORT" -c 10 -w "$NCAP_TMP/live.pcapng" 2>"$NCAP_TMP/ts.err" &
ts=$!
i=0
while kill -0 $ts 2>/dev/null && ((i < 75)); do
  python3 "$NCAP_SRC/tests/lib/udpgen.py" --port "$PORT" --count 5 --size 100 2>/dev/null
  sleep 0.2
  i=$((i + 1))
done
wait $ts
ncap_assert_eq 0 $? "tshark with Save on node: $(cat "$NCAP_TMP/ts.err")"
ID=$(jq -r '.[0].id' < <("$X" list 127.0.0.1 "${SSHO[@]}" --json))
[[ "$ID" =~ ^[0-9a-f]{32}$ ]] || ncap_fail "no saved job on the node"
c=$(tshark -r "$NCAP_TMP/live.pcapng" -Y frame.comment -T fields -e frame.comment 2>/dev/null)
ncap_log "first packet's comment: $c"
ncap_assert_eq 1 "$(grep -c . <<<"$c")" "packets with a comment"
ncap_assert_eq "nodecap: saved job $ID on 127.0.0.1; it stops with this capture; fetch it with: nodecap fetch 127.0.0.1 $ID" \
  "$c" "the job id in the capture"
ncap_assert_eq 10 "$(tshark -r "$NCAP_TMP/live.pcapng" 2>/dev/null | wc -l)" "live packets"
ncap_assert_eq "127.0.0.1:lo" "$(tshark -r "$NCAP_TMP/live.pcapng" -T fields -e frame.interface_name 2>/dev/null | sort -u)" "live if_name"
# The saved ring's interface carries the same name as the live one.
"$X" fetch 127.0.0.1 "${SSHO[@]}" "$ID" -o "$NCAP_TMP/dl" >/dev/null 2>"$NCAP_TMP/fetch.err" || ncap_fail "fetch: $(cat "$NCAP_TMP/fetch.err")"
ncap_assert_eq "127.0.0.1:lo" "$(tshark -r "$(ls "$NCAP_TMP"/dl/*.pcapng | head -1)" -T fields -e frame.interface_name 2>/dev/null | sort -u)" "saved if_name"
ls "$NCAP_TMP"/dl/127.0.0.1_"$ID"_*.pcapng >/dev/null || ncap_fail "saved file names: $(ls "$NCAP_TMP/dl")"
ncap_log "ok"
