#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The extcap's Save on node through tshark, over a real sshd: a saved job
# starts with the live capture, keeps running after it (the default) and
# is then fetched with `nodecap fetch --all` from two hosts at once; with
# "stop the ring when the live capture stops" it ends with the capture.
# The CLI verbs themselves: test-cli-jobs.sh.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/sshd.sh"

. "$(dirname "$0")/jobs-lib.sh"
jobs_cli_setup

# 1. the extcap's Save on node through tshark: a saved job starts with the
# live capture and (by default) keeps running after it.
feed() { # feed PID: datagrams until PID exits (at most 15 s)
  local i=0
  while kill -0 "$1" 2>/dev/null && ((i < 75)); do
    "${GEN[@]}" --count 10 --size 100 2>/dev/null
    sleep 0.2
    i=$((i + 1))
  done
}
timeout 60 tshark -i nodecap "${NCAP_TSHARK_OPTS[@]}" -o extcap.nodecap.remoteinterface:lo -o extcap.nodecap.saveonnode:true \
  -o extcap.nodecap.maxsize:3 -o extcap.nodecap.filesize:1 \
  -f "udp dst port $PORT" -c 20 -w "$NCAP_TMP/live.pcapng" 2>"$NCAP_TMP/ts.err" &
ts=$!
feed $ts
wait $ts
ncap_assert_eq 0 $? "tshark with Save on node: $(cat "$NCAP_TMP/ts.err")"
ncap_assert_eq 20 "$(npk "$NCAP_TMP/live.pcapng")" "live packets"
"$X" list "$HOST" "${SSHO[@]}" --json >"$NCAP_TMP/l2.json" || ncap_fail "list after the extcap"
SID=$(jget "$NCAP_TMP/l2.json" '[x["id"] for x in j if x["status"] == "running"][0]') ||
  ncap_fail "no running saved job after the live capture: $(cat "$NCAP_TMP/l2.json")"
grep -q "saved job $SID started" "$NCAP_EXTCAP_LOG" || ncap_fail "job id not in the extcap log"
ncap_assert_eq "lo (udp dst port $PORT) 3 1" \
  "$(jget "$NCAP_TMP/l2.json" "[' '.join([x['request']['iface'], x['request']['filter'], str(x['request']['max_size_mb']), str(x['request']['file_size_mb'])]) for x in j if x['id']=='$SID'][0]")" \
  "saved job's request follows the dialog"
"${GEN[@]}" --count 30 --size 100
sleep 0.5
"$X" stop "$HOST" "${SSHO[@]}" "$SID" >/dev/null || ncap_fail "stop of the extcap's job"
"$X" status "$HOST" "${SSHO[@]}" "$SID" --json >"$NCAP_TMP/s2.json"
p=$(jget "$NCAP_TMP/s2.json" 'j["packets"]')
((p >= 50)) || ncap_fail "the saved job recorded $p packets, expected at least 50 (20 live + 30 after)"
pass "extcap Save on node: job $SID ran past the live capture ($p packets)"
# fetch --all from two hosts at once (the same node twice, so the same
# files into one directory at the same time: one fetches, one finds it).
mkdir "$NCAP_TMP/dl3"
"$X" fetch "$HOST,root@$HOST" "${SSHO[@]}" --all -o "$NCAP_TMP/dl3" --json >"$NCAP_TMP/all.json" 2>"$NCAP_TMP/all.err"
ncap_assert_eq 0 $? "fetch --all of two hosts: $(cat "$NCAP_TMP/all.err")"
n2=$(jget "$NCAP_TMP/s2.json" 'len(j["files"])')
ncap_assert_eq "$n2" "$(ls "$NCAP_TMP/dl3"/*.pcapng | wc -l)" "files fetched by --all"
ncap_assert_eq "$((2 * n2)) $n2" "$(jget "$NCAP_TMP/all.json" 'str(len(j)) + " " + str(sum(1 for x in j if x["result"] == "fetched"))')" "two hosts: each file fetched once, found once"
ncap_assert_eq "" "$(ls -A "$NCAP_TMP/dl3" | grep -v '\.pcapng$')" "nothing but .pcapng files"
ncap_assert_eq "$(jget "$NCAP_TMP/s2.json" 'j["packets"] - j["discarded_packets"]')" \
  "$(mergecap -w "$NCAP_TMP/all3.pcapng" "$NCAP_TMP/dl3"/*.pcapng && npk "$NCAP_TMP/all3.pcapng")" "packets of the fetched job"
pass "fetch --all from two hosts"

# 2. ... and with "stop the ring when the live capture stops" it ends with it.
timeout 60 tshark -i nodecap "${NCAP_TSHARK_OPTS[@]}" -o extcap.nodecap.remoteinterface:lo -o extcap.nodecap.saveonnode:true \
  -o extcap.nodecap.stopsavedonexit:true -o extcap.nodecap.deleteonstart:true \
  -f "udp dst port $PORT" -c 10 -w "$NCAP_TMP/live2.pcapng" 2>"$NCAP_TMP/ts2.err" &
ts=$!
feed $ts
wait $ts
ncap_assert_eq 0 $? "tshark with stop-saved-on-exit: $(cat "$NCAP_TMP/ts2.err")"
ok=0
for _ in $(seq 50); do
  "$X" list "$HOST" "${SSHO[@]}" --json >"$NCAP_TMP/l3.json" 2>/dev/null &&
    [[ "$(jget "$NCAP_TMP/l3.json" 'len(j)')" == 1 ]] &&
    [[ "$(jget "$NCAP_TMP/l3.json" 'j[0]["status"] + " " + j[0]["reason"]')" == "success stopped" ]] && { ok=1; break; }
  sleep 0.2
done
((ok)) || ncap_fail "saved job not stopped with the live capture (or older job not deleted on start): $(cat "$NCAP_TMP/l3.json")"
pass "extcap Save on node with stop-on-exit and delete-on-start"
ncap_assert_no_helper "end" 10
ncap_log "all passed"
