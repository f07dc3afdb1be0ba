#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Upload destinations from the analyst's side, over a real sshd, against a
# real S3-protocol server on loopback (s3rver behind the SigV4 gate,
# s3-lib.sh): a bad destination is refused by nodecap itself, one line and
# a non-zero exit, before any connection; `nodecap start 127.0.0.1 ...
# --destination s3://BUCKET/PREFIX` then traffic and `nodecap stop` ends
# with every file of the job in the bucket, its sha256 that of the job
# record (`nodecap status --json`); the extcap's Save on node with an
# upload destination and "delete once uploaded" (through tshark) does the
# same and leaves no file on the node. The node side: test-s3-jobs.sh.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/assert.sh" # wait_gone, used by s3_stop
source "$(dirname "$0")/../lib/sshd.sh"
S3TMP=$NCAP_TMP/s3
mkdir -p "$S3TMP"
source "$NCAP_SRC/tests/integration/s3-lib.sh"

s3_install || ncap_fail "cannot install s3rver"
s3_start || ncap_fail "s3rver did not start"
ncap_on_exit "s3_stop"

# The node's nodecap.conf names the credentials file (root's, 0600: the
# helper under sshd is root and not setuid here).
s3_conf "$NCAP_TMP/creds" "$S3_SECRET" "retry_seconds=20" "retry_initial_ms=300" \
  "retry_max_ms=1000" "timeout=3"
. "$(dirname "$0")/jobs-lib.sh"
jobs_cli_setup "$NCAP_TMP/creds/nodecap.conf"
# wait_uploads ID: until no file of the job is pending (at most 60 s).
wait_uploads() {
  local t=300
  while ((t > 0)); do
    "$X" status "$HOST" "${SSHO[@]}" "$1" --json >"$NCAP_TMP/wu.json" 2>/dev/null &&
      [[ "$(jget "$NCAP_TMP/wu.json" 'sum(1 for f in j["files"] if f.get("upload","pending")=="pending")')" == 0 ]] &&
      return 0
    sleep 0.2
    t=$((t - 1))
  done
  return 1
}
# check_objects STATUS_JSON PREFIX: every file of the record is in the
# bucket under PREFIX/pcap_<job>_<node>_<seq>.pcapng, its sha256 the
# record's.
check_objects() {
  local rec=$1 prefix=$2 n i name key want got
  n=$(jget "$rec" 'len(j["files"])')
  ((n >= 1)) || ncap_fail "the job has no file: $(cat "$rec")"
  ncap_assert_eq "$n" "$(jget "$rec" 'sum(1 for f in j["files"] if f["upload"]=="uploaded")')" \
    "files uploaded (record: $(jget "$rec" '[f["upload"] for f in j["files"]]'))"
  ncap_assert_eq "$n" "$(s3_list "$prefix/" | wc -l)" "objects under $prefix/"
  mkdir -p "$NCAP_TMP/dl-$prefix"
  for ((i = 0; i < n; i++)); do
    name=$(jget "$rec" "j['files'][$i]['name']")
    key=$(jget "$rec" "[u['key'] for u in j['upload']['files'] if u['name']=='$name'][0]")
    [[ "$key" =~ ^$prefix/pcap_[0-9a-f]{32}_[A-Za-z0-9._-]+_[0-9]{5}\.pcapng$ ]] || ncap_fail "object key of $name: $key"
    s3_get "$key" "$NCAP_TMP/dl-$prefix/$i.pcapng" || ncap_fail "GET $key"
    want=$(jget "$rec" "j['files'][$i]['sha256']")
    got=$(sha256sum <"$NCAP_TMP/dl-$prefix/$i.pcapng" | cut -d' ' -f1)
    ncap_assert_eq "$want" "$got" "sha256 of $key"
  done
  echo "$n"
}

# 1. bad input: nodecap's own one-line error and exit status 2, before any
# connection (sshd accepts nobody) and with no job on the node.
accepted() { grep -c 'Accepted publickey' "$NCAP_SSH_LOG" || true; }
before=$(accepted)
refused() { # refused REGEX ARGS...
  local re=$1
  shift
  "$X" start "$HOST" "${SSHO[@]}" -i lo --node tn "$@" >"$NCAP_TMP/bad.out" 2>"$NCAP_TMP/bad.err"
  local rc=$?
  ncap_assert_eq 2 "$rc" "exit status of start $*"
  ncap_assert_eq 1 "$(wc -l <"$NCAP_TMP/bad.err")" "error lines of start $*: $(cat "$NCAP_TMP/bad.err")"
  [[ "$(cat "$NCAP_TMP/bad.err")" =~ $re ]] || ncap_fail "message of start $*: $(cat "$NCAP_TMP/bad.err")"
  pass "refused: $(cat "$NCAP_TMP/bad.err")"
}
refused 'unknown scheme "ftp" \(only s3:// is supported\)' --destination ftp://x
refused 'no bucket name' --destination s3:///x
refused 'needs --destination' --upload-delete
ncap_assert_eq "$before" "$(accepted)" "SSH logins by refused starts"
ncap_assert_eq "" "$(ls "$CAP"; ls "$ST/jobs" 2>/dev/null)" "files or jobs made by refused starts"
# A destination only the node can judge (bucket rules) comes back as the
# node's one line, relayed with its exit status.
refused 'bucket "Bad_Bucket"' --destination s3://Bad_Bucket/x
ncap_assert_eq "" "$(ls "$CAP"; ls "$ST/jobs" 2>/dev/null | grep json)" "jobs made by the node's refusal"

# 2. nodecap start ... --destination over SSH, traffic, stop: every file in
# the bucket with the record's sha256; the local files stay.
"$X" start "$HOST" "${SSHO[@]}" -i lo --node tn -f "udp dst port $PORT" --file-size 1 --max-size 10 \
  --destination "s3://$S3_BUCKET/cli" --json >"$NCAP_TMP/start.json" 2>"$NCAP_TMP/start.err"
ncap_assert_eq 0 $? "start exit status: $(cat "$NCAP_TMP/start.err")"
ID=$(jget "$NCAP_TMP/start.json" 'j["id"]')
ncap_assert_eq "s3://$S3_BUCKET/cli" "$(jget "$NCAP_TMP/start.json" 'j["request"]["destination"]')" "destination in the record"
"${GEN[@]}" --count 4000 --size 600 --rate 20000 # ~2.4 MB: three files
sleep 0.5
"$X" stop "$HOST" "${SSHO[@]}" "$ID" >"$NCAP_TMP/stop.out" 2>"$NCAP_TMP/stop.err"
ncap_assert_eq 0 $? "stop exit status: $(cat "$NCAP_TMP/stop.err")"
wait_uploads "$ID" || ncap_fail "uploads still pending: $(cat "$NCAP_TMP/wu.json")"
"$X" status "$HOST" "${SSHO[@]}" "$ID" --json >"$NCAP_TMP/st.json" || ncap_fail "status --json"
n=$(check_objects "$NCAP_TMP/st.json" cli) || exit 1
ncap_assert_eq "$n" "$(ls "$CAP" | grep -c "_${ID}_")" "local files kept (no --upload-delete)"
"$X" status "$HOST" "${SSHO[@]}" "$ID" >"$NCAP_TMP/st.txt"
ncap_assert_contains "$(cat "$NCAP_TMP/st.txt")" "uploaded" "status text shows the upload"
pass "nodecap start --destination: $n files in the bucket, sha256 = record"

# 3. the extcap's Save on node with an upload destination and "delete once
# uploaded", stopped with the live capture: its files end in the bucket
# and nowhere on the node.
feed() { # feed PID: datagrams until PID exits (at most 15 s)
  local i=0
  while kill -0 "$1" 2>/dev/null && ((i < 75)); do
    "${GEN[@]}" --count 10 --size 100 2>/dev/null
    sleep 0.2
    i=$((i + 1))
  done
}
timeout 60 tshark -i nodecap "${NCAP_TSHARK_OPTS[@]}" -o extcap.nodecap.remoteinterface:lo \
  -o extcap.nodecap.saveonnode:true -o extcap.nodecap.stopsavedonexit:true \
  -o "extcap.nodecap.savedestination:s3://$S3_BUCKET/gui" -o extcap.nodecap.saveuploaddelete:true \
  -f "udp dst port $PORT" -c 20 -w "$NCAP_TMP/live.pcapng" 2>"$NCAP_TMP/ts.err" &
ts=$!
feed $ts
wait $ts
ncap_assert_eq 0 $? "tshark with Save on node and a destination: $(cat "$NCAP_TMP/ts.err")"
SID=$(sed -n 's/.*saved job \([0-9a-f]\{32\}\) started.*/\1/p' "$NCAP_EXTCAP_LOG" | tail -1)
[[ -n "$SID" ]] || ncap_fail "no saved job in the extcap log"
grep -q "saved job $SID started on $HOST, uploading to s3://$S3_BUCKET/gui" "$NCAP_EXTCAP_LOG" ||
  ncap_fail "the extcap log does not show the destination"
wait_uploads "$SID" || ncap_fail "uploads still pending: $(cat "$NCAP_TMP/wu.json")"
"$X" status "$HOST" "${SSHO[@]}" "$SID" --json >"$NCAP_TMP/s2.json" || ncap_fail "status --json"
ncap_assert_eq "s3://$S3_BUCKET/gui True" \
  "$(jget "$NCAP_TMP/s2.json" 'j["upload"]["destination"] + " " + str(j["upload"]["delete_after_upload"])')" \
  "the saved job's upload request"
n2=$(check_objects "$NCAP_TMP/s2.json" gui) || exit 1
ncap_assert_eq 0 "$(ls "$CAP" | grep -c "_${SID}_")" "files left on the node (--save-upload-delete)"
pass "extcap Save on node: job $SID, $n2 file(s) uploaded and removed from the node"
ncap_log "PASS"
