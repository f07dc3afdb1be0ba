#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Saved jobs with --destination s3://BUCKET/PREFIX, end to end against a
# real S3-protocol server on loopback (s3rver behind the SigV4 gate): bad
# destinations refused before anything is captured; a ring job on lo whose
# every file ends in the bucket with the record's sha256 and whose objects
# mergecap into the job's packet count; the server stopped while the job
# runs and started again (every file arrives, none twice); wrong
# credentials (failed: <reason>, files kept); --upload-delete.
set -uo pipefail
T=$(mktemp -d)
S3TMP=$T/s3
mkdir -p "$S3TMP"
. "$(dirname "$0")/jobs-lib.sh"
. "$NCAP_SRC/tests/integration/s3-lib.sh"
cleanup() { kill $(jobs -p) 2>/dev/null; s3_stop; rm -rf "$T"; }
trap cleanup EXIT
mkdir -p "$T/state" "$T/cap" "$T/etc"
export NCAP_STATEDIR=$T/state NCAP_CAPTURESDIR=$T/cap NCAP_SYSCONFDIR=$T/etc NCAP_AUDITLOG=$T/audit.log
[ -f "$NCAP_SRC/tests/lib/policy-all.conf" ] && cp "$NCAP_SRC/tests/lib/policy-all.conf" "$T/etc/policy.conf"

s3_install || { echo "FAIL: cannot install s3rver"; exit 1; }
s3_start || exit 1
echo "s3rver on 127.0.0.1:$S3_PORT"
# nodecap.conf [upload] + credentials; small parts so files go multipart.
setconf() {  # setconf SECRET
  s3_conf "$T/creds" "$1" "multipart_threshold=600K" "part_size=300K" \
    "retry_seconds=20" "retry_initial_ms=300" "retry_max_ms=1000" "timeout=3"
  cp "$T/creds/nodecap.conf" "$T/etc/nodecap.conf"
}
setconf "$S3_SECRET"
# wait_uploads ID SECONDS: until no file of the job is pending.
wait_uploads() {
  local t=$(( $2 * 10 ))
  while [ $t -gt 0 ]; do
    $H status "$1" --json > "$T/wu.json" 2>/dev/null &&
      [ "$(jfield "$T/wu.json" 'sum(1 for f in j["files"] if f.get("upload","pending")=="pending")')" = 0 ] &&
      return 0
    sleep 0.2; t=$((t - 1))
  done
  return 1
}

# --- 1. bad input: one line, exit status, nothing captured --------------------
check_refused() {  # what expected-status regex args...
  local what=$1 want=$2 re=$3; shift 3
  $H start --node tn -i lo "$@" > "$T/bad.out" 2> "$T/bad.err"
  local rc=$?
  assert_eq "$what: exit status" "$want" "$rc"
  assert_match "$what: message" "$re" "$(cat "$T/bad.err")"
  assert_eq "$what: one line" 1 "$(wc -l < "$T/bad.err")"
}
check_refused "unknown scheme" 2 'unknown scheme "ftp"' --destination ftp://bucket/x
check_refused "invalid bucket" 2 'bucket "Bad_Bucket"' --destination s3://Bad_Bucket/x
check_refused "ip bucket" 2 'must not be an IP address' --destination s3://192.168.0.1/x
check_refused "delete without destination" 2 'needs --destination' --upload-delete
mv "$T/creds/s3.conf" "$T/creds/s3.conf.away"
check_refused "missing credentials file" 14 "credentials file $T/creds/s3.conf: no such file" \
  --destination "s3://$S3_BUCKET/x"
mv "$T/creds/s3.conf.away" "$T/creds/s3.conf"
chmod 644 "$T/creds/s3.conf"
check_refused "world-readable credentials" 14 'readable by others' --destination "s3://$S3_BUCKET/x"
chmod 600 "$T/creds/s3.conf"
assert_eq "nothing captured by refused starts" "" "$(ls "$T/cap"; ls "$T/state/jobs" 2>/dev/null | grep json)"

# --- 2. a ring job; the server goes away mid-job and comes back ---------------
$H start --json --node tn -i lo -f "udp dst port 47301" --file-size 1 --max-size 20 \
  --destination "s3://$S3_BUCKET/e2e/" > "$T/start.json" 2> "$T/start.err"
assert_eq "start exit status" 0 $?
ID=$(jfield "$T/start.json" 'j["id"]')
assert_eq "start shows the destination" "s3://$S3_BUCKET/e2e/" "$(jfield "$T/start.json" 'j["request"]["destination"]')"
WPID=$(jfield "$T/start.json" 'j["worker_pid"]')
UPID=$(pgrep -P "$WPID" | head -1)
if [ -n "$UPID" ]; then
  assert_eq "uploader CapEff" 0000000000000000 "$(awk '/^CapEff/ {print $2}' /proc/$UPID/status)"
  assert_eq "uploader NoNewPrivs" 1 "$(awk '/^NoNewPrivs/ {print $2}' /proc/$UPID/status)"
  # The capture socket is the worker's alone.
  n=$(ls -l /proc/$UPID/fd 2>/dev/null | grep -c 'socket:' || true)
  assert_eq "uploader holds no socket before it connects" 0 "$n"
else
  fail "uploader process not found under worker $WPID"
fi
$GEN --port 47301 --count 6000 --size 400        # ~2.6 MB: a few files
sleep 1.5
s3_stop                                           # server gone while files close
$GEN --port 47301 --count 6000 --size 400
sleep 1
$H status "$ID" --json > "$T/mid.json"
PEND=$(jfield "$T/mid.json" 'sum(1 for f in j["files"] if f.get("upload")=="pending")')
[ "$PEND" -ge 1 ] && ok "while the server is down: $PEND file(s) pending" || fail "nothing pending while down"
s3_start "$S3_PORT" || exit 1
$H stop "$ID" --json > "$T/stop.json" 2> "$T/stop.err"
assert_eq "stop exit status" 0 $?
wait_uploads "$ID" 60 && ok "uploads done" || fail "uploads still pending"
$H status "$ID" --json > "$T/st.json"
NF=$(jfield "$T/st.json" 'len(j["files"])')
[ "$NF" -ge 3 ] && ok "job has $NF files" || fail "job has only $NF files"
assert_eq "every file uploaded" "$NF" "$(jfield "$T/st.json" 'sum(1 for f in j["files"] if f["upload"]=="uploaded")')"
assert_eq "objects in the bucket" "$NF" "$(s3_list e2e/ | wc -l)"
mkdir -p "$T/dl"
for i in $(seq 0 $((NF - 1))); do
  name=$(jfield "$T/st.json" "j['files'][$i]['name']")
  key=$(jfield "$T/st.json" "[u['key'] for u in j['upload']['files'] if u['name']=='$name'][0]")
  assert_match "key of $name" "^e2e/pcap_${ID}_tn_[0-9]{5}\\.pcapng\$" "$key"
  s3_get "$key" "$T/dl/$(basename "$key")" || fail "GET $key"
  assert_eq "sha256 of $key = record" "$(jfield "$T/st.json" "j['files'][$i]['sha256']")" \
    "$(sha256sum < "$T/dl/$(basename "$key")" | cut -d' ' -f1)"
done
# None twice: one successful PUT (or multipart completion) per object.
SINGLE=$(s3_requests "\"PUT\",\"url\":\"/$S3_BUCKET/e2e/[^?\"]*\",\"len\":[0-9]+,\"status\":200")
MULTI=$(s3_requests "\"POST\",\"url\":\"/$S3_BUCKET/e2e/[^\"]*\\?uploadId=[^\"]*\",\"len\":[0-9]+,\"status\":200")
assert_eq "objects written once each (PUT $SINGLE + multipart $MULTI)" "$NF" "$((SINGLE + MULTI))"
[ "$MULTI" -ge 1 ] && ok "large files went multipart ($MULTI)" || fail "no multipart upload"
(cd "$T/dl" && mergecap -w ../merged.pcapng *.pcapng 2> ../merge.err); rc=$?
assert_eq "mergecap of the objects" 0 $rc
assert_eq "merged packets = job packets" "$(jfield "$T/st.json" 'j["packets"]')" "$(npackets "$T/merged.pcapng")"
assert_eq "local files kept (no --upload-delete)" "$NF" "$(ls "$T/cap" | grep -c "_${ID}_")"
$H status "$ID" > "$T/st.txt"
assert_match "status text shows upload states" "upload tn_${ID}_[0-9TZ]+_00001\\.pcapng: uploaded" "$(cat "$T/st.txt")"
$H list > "$T/list.txt"
assert_match "list shows the upload summary" "$ID .*upload: $NF uploaded, 0 pending, 0 failed" "$(cat "$T/list.txt")"

# --- 3. wrong credentials: failed with the reason, files stay -----------------
setconf "wrong-secret"
$H start --json --node tn -i lo -f "udp dst port 47302" --file-size 1 --max-size 5 \
  --destination "s3://$S3_BUCKET/bad" --upload-delete > "$T/s2.json" 2>&1
ID2=$(jfield "$T/s2.json" 'j["id"]')
$GEN --port 47302 --count 3000 --size 400
sleep 0.5
$H stop "$ID2" > /dev/null
wait_uploads "$ID2" 30 || fail "wrong key: still pending"
$H status "$ID2" --json > "$T/st2.json"
assert_match "wrong key: failed with the server's reason" '^failed: .*HTTP 403 SignatureDoesNotMatch' \
  "$(jfield "$T/st2.json" 'j["files"][0]["upload"]')"
NF2=$(jfield "$T/st2.json" 'len(j["files"])')
assert_eq "wrong key: files kept on the node" "$NF2" "$(ls "$T/cap" | grep -c "_${ID2}_")"
assert_empty "wrong key: nothing in the bucket" "$(s3_list bad/)"

# --- 4. --upload-delete: removed only once confirmed ---------------------------
setconf "$S3_SECRET"
$H start --json --node tn -i lo -f "udp dst port 47303" --file-size 1 --max-size 5 \
  --destination "s3://$S3_BUCKET/del" --upload-delete > "$T/s3.json" 2>&1
ID3=$(jfield "$T/s3.json" 'j["id"]')
$GEN --port 47303 --count 3000 --size 400
sleep 0.5
$H stop "$ID3" > /dev/null
assert_eq "delete: job success" success "$(jfield <($H status "$ID3" --json) 'j["status"]')"
wait_uploads "$ID3" 30 || fail "delete: still pending"
$H status "$ID3" --json > "$T/st3.json"
NF3=$(jfield "$T/st3.json" 'len(j["files"])')
assert_eq "delete: every file uploaded" "$NF3" "$(jfield "$T/st3.json" 'sum(1 for f in j["files"] if f["upload"]=="uploaded")')"
assert_eq "delete: every file marked deleted" "$NF3" "$(jfield "$T/st3.json" 'sum(1 for f in j["upload"]["files"] if f["deleted"])')"
assert_eq "delete: no local file left" 0 "$(ls "$T/cap" | grep -c "_${ID3}_" || true)"
assert_eq "delete: objects there" "$NF3" "$(s3_list del/ | wc -l)"

# delete removes the upload record too
$H delete "$ID3" > /dev/null 2>&1
[ ! -e "$T/state/uploads/$ID3.upload.json" ] && ok "delete removes the upload record" || fail "upload record left"

# --- 5. policy: captures.upload is needed, the refusal is audited -----------
if [ -f "$NCAP_SRC/remote/policy.h" ]; then
  grep -v '^captures.upload' "$T/etc/policy.conf" > "$T/etc/policy.noupload"
  cp "$T/etc/policy.conf" "$T/etc/policy.all"
  cp "$T/etc/policy.noupload" "$T/etc/policy.conf"
  : > "$T/audit.log"
  check_refused "without captures.upload" 3 '^nodecap-helper: permission denied: captures.upload for user [^ ]+ \(groups: [^)]*\): not granted in ' \
    --destination "s3://$S3_BUCKET/x"
  assert_match "refusal audited" '"result":"denied","reason":"permission denied: captures.upload"' \
    "$(cat "$T/audit.log")"
  assert_eq "nothing started without captures.upload" "" "$($H list --json | jq -r '.[] | select(.status=="running") | .id')"
  # Without --destination the same user may still start a job.
  $H start --json --node tn -i lo -f "udp dst port 47304" --time-limit 1 > "$T/s5.json" 2>&1
  assert_eq "plain start still allowed" running "$(jfield "$T/s5.json" 'j["status"]')"
  wait_finished "$(jfield "$T/s5.json" 'j["id"]')" 10 || fail "plain job did not end"
  cp "$T/etc/policy.all" "$T/etc/policy.conf"
else
  echo "note: policy module not built in: captures.upload check not tested here"
fi

summary
