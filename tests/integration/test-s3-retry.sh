#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# An unreachable bucket: the uploader keeps the file, records it pending
# with the retry reason, backs off, and after the bounded time records
# failed: <reason>; a server that comes back within that time gets the
# file, once.
set -u
. "$NCAP_SRC/tests/lib/assert.sh"
S3TMP=$(mktemp -d /tmp/ncap-s3r-XXXXXX)
. "$NCAP_SRC/tests/integration/s3-lib.sh"
UP="$NCAP_BUILD/tests/tools/ncap-s3-upload"
cleanup() { s3_stop; rm -rf "$S3TMP"; }
trap cleanup EXIT
s3_install || { echo "FAIL: cannot install s3rver"; exit 1; }

JOB=3333333333333333333333333333333c
NODE=node-r
mkdir -p "$S3TMP/files" "$S3TMP/rec"
head -c 200000 /dev/urandom >"$S3TMP/files/r_00000.pcapng"
head -c 200000 /dev/urandom >"$S3TMP/files/r_00001.pcapng"

# --- server down for good: bounded time, then failed, files kept ---------------
S3_PORT=$(s3_free_port)   # nothing listens there
s3_conf "$S3TMP/conf" "$S3_SECRET" "retry_seconds=3" "retry_initial_ms=200" "retry_max_ms=800" "timeout=2"
T0=$(date +%s)
OUT=$(printf '0 r_00000.pcapng\n1 r_00001.pcapng\n' |
  "$UP" --conf "$S3TMP/conf/nodecap.conf" --dest "s3://$S3_BUCKET/retry" --job $JOB \
    --node $NODE --dir "$S3TMP/files" --record-dir "$S3TMP/rec" --delete)
T=$(( $(date +%s) - T0 ))
ST=$(jq -r .files[0].upload <<<"$OUT")
assert_match "down: failed with the reason" "^failed: gave up after [0-9]+ attempts in 3 s: .*(Connection refused|Failed to connect)" "$ST"
A=$(jq -r .files[0].attempts <<<"$OUT")
[ "$A" -ge 3 ] && ok "down: retried ($A attempts)" || fail "down: only $A attempts"
assert_match "down: second file failed after one attempt" '^failed: ' "$(jq -r .files[1].upload <<<"$OUT")"
assert_eq "down: second file attempts" 1 "$(jq -r .files[1].attempts <<<"$OUT")"
[ "$T" -le 8 ] && ok "down: bounded time (${T}s)" || fail "down: took ${T}s"
[ -f "$S3TMP/files/r_00000.pcapng" ] && [ -f "$S3TMP/files/r_00001.pcapng" ] &&
  ok "down: files kept despite --delete" || fail "down: a file was removed"

# --- pending while it retries; server comes back; uploaded once ----------------
s3_conf "$S3TMP/conf" "$S3_SECRET" "retry_seconds=60" "retry_initial_ms=300" "retry_max_ms=1000" "timeout=2"
rm -f "$S3TMP/rec/$JOB.upload.json"
printf '0 r_00000.pcapng\n1 r_00001.pcapng\n' |
  "$UP" --conf "$S3TMP/conf/nodecap.conf" --dest "s3://$S3_BUCKET/retry" --job $JOB \
    --node $NODE --dir "$S3TMP/files" --record-dir "$S3TMP/rec" --delete >"$S3TMP/out2" &
DRV=$!
sleep 1.5
REC="$S3TMP/rec/$JOB.upload.json"
assert_eq "while down: pending" pending "$(jq -r .files[0].upload "$REC")"
assert_match "while down: reason says it retries" '^retrying in [0-9.]+ s: ' "$(jq -r .files[0].reason "$REC")"
s3_start "$S3_PORT" || exit 1
wait $DRV
assert_eq "back: both uploaded" "uploaded uploaded" "$(jq -r '[.files[].upload] | join(" ")' "$S3TMP/out2")"
assert_eq "back: objects" 2 "$(s3_list retry/ | wc -l)"
assert_eq "back: each object PUT once" 2 "$(s3_requests '"PUT","url":"/'"$S3_BUCKET"'/retry/[^"]*","len":[0-9]+,"status":200')"
[ ! -e "$S3TMP/files/r_00000.pcapng" ] && ok "back: deleted after confirmation" || fail "back: not deleted"

summary
