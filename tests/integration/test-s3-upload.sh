#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The uploader against a real S3-protocol server on loopback (s3rver behind
# a SigV4-checking gate): single PUT, multipart with a tiny threshold,
# objects listed and read back with matching sha256, upload record states,
# nothing sent twice on a second run, a wrong secret refused by the server
# (failed: ... 403 SignatureDoesNotMatch, file kept), delete-after-upload
# only after confirmation, and the uploader process holding no capability.
set -u
. "$NCAP_SRC/tests/lib/assert.sh"
S3TMP=$(mktemp -d /tmp/ncap-s3-XXXXXX)
. "$NCAP_SRC/tests/integration/s3-lib.sh"
UP="$NCAP_BUILD/tests/tools/ncap-s3-upload"
cleanup() { s3_stop; rm -rf "$S3TMP"; }
trap cleanup EXIT

s3_install || { echo "FAIL: cannot install s3rver"; exit 1; }
s3_start || exit 1
echo "s3rver on 127.0.0.1:$S3_PORT"

JOB=0123456789abcdef0123456789abcdef
NODE=node-a
mkdir -p "$S3TMP/files" "$S3TMP/rec"
head -c 300000 /dev/urandom >"$S3TMP/files/a_00000.pcapng"
head -c 1000000 /dev/urandom >"$S3TMP/files/a_00001.pcapng"   # multipart: 4 parts of 256K + 1
: >"$S3TMP/files/a_00002.pcapng"                              # empty file: a valid object
SHA0=$(sha256sum <"$S3TMP/files/a_00000.pcapng" | cut -d' ' -f1)

# --- single PUT and multipart ------------------------------------------------
s3_conf "$S3TMP/conf" "$S3_SECRET" "multipart_threshold=512K" "part_size=256K" "retry_seconds=5"
OUT=$(printf '0 a_00000.pcapng %s\n1 a_00001.pcapng\n2 a_00002.pcapng\n' "$SHA0" |
  "$UP" --conf "$S3TMP/conf/nodecap.conf" --dest "s3://$S3_BUCKET/caps/east" --job $JOB \
    --node $NODE --dir "$S3TMP/files" --record-dir "$S3TMP/rec")
assert_eq "uploader exit" 0 $?
for seq in 0 1 2; do
  st=$(jq -r ".files[$seq].upload" <<<"$OUT")
  assert_eq "file $seq upload state" uploaded "$st"
done
assert_eq "record saved as json" "$(jq -r .files[0].upload "$S3TMP/rec/$JOB.upload.json")" uploaded
assert_eq "file 1 went multipart" 4 "$(jq -r '.files[1].parts' <<<"$OUT")"
assert_eq "file 0 single PUT" 0 "$(jq -r '.files[0].parts' <<<"$OUT")"
assert_eq "part uploads seen by the server" 4 "$(s3_requests '"PUT","url":"[^"]*partNumber=')"
assert_eq "CreateMultipartUpload seen" 1 "$(s3_requests '"POST","url":"[^"]*\?uploads=')"
assert_eq "CompleteMultipartUpload seen" 1 "$(s3_requests '"POST","url":"[^"]*\?uploadId=.*"status":200')"

LIST=$(s3_list caps/east/)
EXPECT=$(printf 'caps/east/pcap_%s_%s_%05d.pcapng\n' $JOB $NODE 0 $JOB $NODE 1 $JOB $NODE 2)
assert_eq "objects in the bucket" "$EXPECT" "$LIST"
for seq in 0 1 2; do
  key=$(printf 'caps/east/pcap_%s_%s_%05d.pcapng' $JOB $NODE $seq)
  s3_get "$key" "$S3TMP/got_$seq" || fail "GET $key"
  want=$(sha256sum <"$S3TMP/files/a_0000$seq.pcapng" | cut -d' ' -f1)
  got=$(sha256sum <"$S3TMP/got_$seq" | cut -d' ' -f1)
  assert_eq "object $seq sha256 = file sha256" "$want" "$got"
  assert_eq "object $seq sha256 = record sha256" "$(jq -r ".files[$seq].sha256" <<<"$OUT")" "$got"
done
[ -f "$S3TMP/files/a_00000.pcapng" ] && ok "files kept without --upload-delete" || fail "file removed"

# --- second run: nothing is sent twice ---------------------------------------
PUTS_BEFORE=$(s3_requests '"PUT"')
OUT2=$(printf '0 a_00000.pcapng\n1 a_00001.pcapng\n' |
  "$UP" --conf "$S3TMP/conf/nodecap.conf" --dest "s3://$S3_BUCKET/caps/east" --job $JOB \
    --node $NODE --dir "$S3TMP/files" --record-dir "$S3TMP/rec")
assert_eq "second run: no PUT at all" "$PUTS_BEFORE" "$(s3_requests '"PUT"')"
assert_eq "second run: still uploaded" uploaded "$(jq -r .files[1].upload <<<"$OUT2")"
# A new record (other job) for an object already there: HEAD finds it.
OUT3=$(printf '0 a_00000.pcapng\n' |
  "$UP" --conf "$S3TMP/conf/nodecap.conf" --dest "s3://$S3_BUCKET/caps/east" --job $JOB \
    --node $NODE --dir "$S3TMP/files" --record-dir "$S3TMP/files")
assert_eq "fresh record, object there: uploaded without PUT" "uploaded $PUTS_BEFORE" \
  "$(jq -r .files[0].upload <<<"$OUT3") $(s3_requests '"PUT"')"
rm -f "$S3TMP/files/$JOB.upload.json"

# --- signatures are checked: wrong secret, wrong key ---------------------------
s3_conf "$S3TMP/bad" "not-the-secret" "retry_seconds=5"
JOB=1111111111111111111111111111111b   # new job: a record of its own
OUT=$(printf '0 a_00000.pcapng\n' |
  "$UP" --conf "$S3TMP/bad/nodecap.conf" --dest "s3://$S3_BUCKET/wrong" --job $JOB \
    --node $NODE --dir "$S3TMP/files" --record-dir "$S3TMP/rec" --delete)
ST=$(jq -r .files[0].upload <<<"$OUT")
assert_match "wrong secret: failed with the server's reason" '^failed: .*HTTP 403 SignatureDoesNotMatch' "$ST"
assert_eq "wrong secret: one attempt (not retried)" 1 "$(jq -r .files[0].attempts <<<"$OUT")"
[ -f "$S3TMP/files/a_00000.pcapng" ] && ok "wrong secret: file kept despite --delete" || fail "file removed"
assert_empty "wrong secret: nothing under wrong/" "$(s3_list wrong/)"
sed -i "s/^access_key=.*/access_key=SOMEONEELSE/; s/^secret_key=.*/secret_key=$S3_SECRET/" "$S3TMP/bad/s3.conf"
OUT=$(printf '0 a_00000.pcapng\n' |
  "$UP" --conf "$S3TMP/bad/nodecap.conf" --dest "s3://$S3_BUCKET/wrong" --job $JOB \
    --node $NODE --dir "$S3TMP/files" --record-dir "$S3TMP/rec")
assert_match "unknown access key: failed" '^failed: .*HTTP 403 InvalidAccessKeyId' "$(jq -r .files[0].upload <<<"$OUT")"
# The gate, not s3rver, refused the bad signature: s3rver alone would take it.
assert_match "gate logged SignatureDoesNotMatch" '"error":"SignatureDoesNotMatch"' "$(cat "$S3TMP/s3requests.log")"
# Signed by libcurl: the gate checked AWS4-HMAC-SHA256 for every accepted
# request; a plain unsigned request is refused.
CODE=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$S3_PORT/$S3_BUCKET/caps/east/x")
assert_eq "unsigned GET refused" 403 "$CODE"
# A body that does not match its signed hash is refused (payload checked).
CODE=$(printf 'xyz' | curl -s -o /dev/null -w '%{http_code}' --aws-sigv4 "aws:amz:$S3_REGION:s3" \
  -u "$S3_ACCESS:$S3_SECRET" -H "x-amz-content-sha256: $S3_EMPTY_SHA" -T - \
  "http://127.0.0.1:$S3_PORT/$S3_BUCKET/tampered")
assert_eq "payload not matching x-amz-content-sha256 refused" 400 "$CODE"

# --- delete after upload, only once confirmed ----------------------------------
JOB=2222222222222222222222222222222d
cp "$S3TMP/files/a_00000.pcapng" "$S3TMP/files/d_00005.pcapng"
OUT=$(printf '5 d_00005.pcapng\n' |
  "$UP" --conf "$S3TMP/conf/nodecap.conf" --dest "s3://$S3_BUCKET/del" --job $JOB \
    --node $NODE --dir "$S3TMP/files" --record-dir "$S3TMP/rec" --delete)
assert_eq "delete: uploaded and deleted" "uploaded true" \
  "$(jq -r '.files[] | select(.name=="d_00005.pcapng") | "\(.upload) \(.deleted)"' <<<"$OUT")"
[ ! -e "$S3TMP/files/d_00005.pcapng" ] && ok "delete: local file removed" || fail "file still there"
s3_get "del/pcap_${JOB}_${NODE}_00005.pcapng" "$S3TMP/got_d" &&
  assert_eq "delete: object intact" "$SHA0" "$(sha256sum <"$S3TMP/got_d" | cut -d' ' -f1)"
# A file whose content differs from the sha256 the job recorded is refused.
OUT=$(printf '1 a_00001.pcapng %s\n' "$SHA0" |
  "$UP" --conf "$S3TMP/conf/nodecap.conf" --dest "s3://$S3_BUCKET/del" --job $JOB \
    --node $NODE --dir "$S3TMP/files" --record-dir "$S3TMP/rec" --delete)
assert_match "changed file not uploaded" '^failed: .*sha256 differs' \
  "$(jq -r '.files[] | select(.name=="a_00001.pcapng") | .upload' <<<"$OUT")"
[ -f "$S3TMP/files/a_00001.pcapng" ] && ok "changed file kept" || fail "changed file removed"

# --- the uploader process holds nothing ---------------------------------------
# A slow feed keeps it alive long enough to read its status.
( sleep 2; printf '0 a_00000.pcapng\n' ) |
  "$UP" --conf "$S3TMP/conf/nodecap.conf" --dest "s3://$S3_BUCKET/caps/east" --job $JOB \
    --node $NODE --dir "$S3TMP/files" --record-dir "$S3TMP/rec" >/dev/null &
DRV=$!
sleep 1
CHILD=$(pgrep -P $DRV | head -1)
if [ -n "$CHILD" ]; then
  assert_eq "uploader CapEff" 0000000000000000 "$(awk '/^CapEff/ {print $2}' /proc/$CHILD/status)"
  assert_eq "uploader CapPrm" 0000000000000000 "$(awk '/^CapPrm/ {print $2}' /proc/$CHILD/status)"
  assert_eq "uploader NoNewPrivs" 1 "$(awk '/^NoNewPrivs/ {print $2}' /proc/$CHILD/status)"
  NFD=$(ls /proc/$CHILD/fd | wc -l)
  # stdin/out/err (/dev/null), the feed, the record dir, the file dir.
  assert_eq "uploader open descriptors" 6 "$NFD"
else
  fail "uploader child not found"
fi
wait $DRV

summary
