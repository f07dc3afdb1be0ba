#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Saved jobs from the analyst's side, over a real sshd: nodecap start /
# status / stop / list / fetch / delete, the node's errors relayed (busy,
# hostile id, unknown file), fetch's sha256 check against the job record
# (a file tampered with on the node is caught and kept as .bad), mergecap
# of the fetched directory, several hosts in one call. The extcap's Save
# on node: test-cli-jobs-extcap.sh.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/sshd.sh"

. "$(dirname "$0")/jobs-lib.sh"
jobs_cli_setup

# 1. start over SSH: a ring of 1 MB files.
"$X" start "$HOST" "${SSHO[@]}" -i lo -f "udp dst port $PORT" --file-size 1 --max-size 5 --json \
  >"$NCAP_TMP/start.json" 2>"$NCAP_TMP/start.err"
ncap_assert_eq 0 $? "start exit status: $(cat "$NCAP_TMP/start.err")"
ID=$(jget "$NCAP_TMP/start.json" 'j["id"]')
[[ "$ID" =~ ^[0-9a-f]{32}$ ]] || ncap_fail "start printed no job id: $(cat "$NCAP_TMP/start.json")"
ncap_assert_eq running "$(jget "$NCAP_TMP/start.json" 'j["status"]')" "status in start's record"
pass "start $ID"

# 2. status (by id, JSON; and the default job, text) says running.
"$X" status "$HOST" "${SSHO[@]}" "$ID" --json >"$NCAP_TMP/status.json" || ncap_fail "status --json failed"
ncap_assert_eq running "$(jget "$NCAP_TMP/status.json" 'j["status"]')" "status --json"
out=$("$X" status "$HOST" "${SSHO[@]}")
ncap_assert_contains "$out" "job:          $ID" "status text names the job"
ncap_assert_contains "$out" "status:       running" "status text"
pass "status running"

# 3. a second start: the node's busy error, one line, exit 4.
"$X" start "$HOST" "${SSHO[@]}" -i lo >"$NCAP_TMP/busy.out" 2>"$NCAP_TMP/busy.err"
rc=$?
ncap_assert_eq 4 $rc "second start exit status (busy)"
ncap_assert_eq 1 "$(wc -l <"$NCAP_TMP/busy.err")" "busy error lines"
ncap_assert_contains "$(cat "$NCAP_TMP/busy.err")" "nodecap: $HOST: " "busy error names the node"
ncap_assert_contains "$(cat "$NCAP_TMP/busy.err")" "job $ID is already running" "busy error names the job"
ncap_assert_eq "" "$(cat "$NCAP_TMP/busy.out")" "busy start stdout"
pass "busy: $(cat "$NCAP_TMP/busy.err")"

# 4. traffic (about 2.4 MB: three files), then stop.
"${GEN[@]}" --count 4000 --size 600 --rate 20000
sleep 0.5
"$X" stop "$HOST" "${SSHO[@]}" >"$NCAP_TMP/stop.out" 2>"$NCAP_TMP/stop.err"
ncap_assert_eq 0 $? "stop exit status: $(cat "$NCAP_TMP/stop.err")"
ncap_assert_contains "$(cat "$NCAP_TMP/stop.out")" "status:       success: stopped" "stop prints the final record"
pass "stop"

# 5. list: the job, success, with its packet count; --json passes the
# node's array through.
"$X" list "$HOST" "${SSHO[@]}" >"$NCAP_TMP/list.out" || ncap_fail "list failed"
row=$(grep "^$ID" "$NCAP_TMP/list.out") || ncap_fail "list has no row for $ID: $(cat "$NCAP_TMP/list.out")"
[[ "$row" =~ ^$ID\ +success\ +[0-9T:-]+\ +4000\ + ]] || ncap_fail "list row: $row"
head -1 "$NCAP_TMP/list.out" | grep -q '^ID  *STATUS  *STARTED  *PACKETS  *FILES  *REASON' || ncap_fail "list header: $(head -1 "$NCAP_TMP/list.out")"
"$X" list "$HOST" "${SSHO[@]}" --json >"$NCAP_TMP/list.json" || ncap_fail "list --json failed"
ncap_assert_eq "$ID success 4000" "$(jget "$NCAP_TMP/list.json" '" ".join([j[0]["id"], j[0]["status"], str(j[0]["packets"])])')" "list --json"
pass "list: $row"

# 6. fetch the whole job into a directory, with the progress display.
"$X" status "$HOST" "${SSHO[@]}" "$ID" --json >"$NCAP_TMP/rec.json"
NFILES=$(jget "$NCAP_TMP/rec.json" 'len(j["files"])')
INFILES=$(jget "$NCAP_TMP/rec.json" 'j["packets"] - j["discarded_packets"]')
((NFILES >= 3)) || ncap_fail "expected at least 3 files in the record, got $NFILES"
mkdir "$NCAP_TMP/dl"
"$X" fetch "$HOST" "${SSHO[@]}" "$ID" -o "$NCAP_TMP/dl" --progress >"$NCAP_TMP/fetch.out" 2>"$NCAP_TMP/fetch.err"
ncap_assert_eq 0 $? "fetch exit status: $(cat "$NCAP_TMP/fetch.err")"
ncap_assert_eq "$NFILES" "$(grep -c 'sha256 ok$' "$NCAP_TMP/fetch.out")" "files reported verified"
ncap_assert_contains "$(cat "$NCAP_TMP/fetch.err")" "fetch: $NFILES/$NFILES files" "progress line"
ncap_assert_contains "$(cat "$NCAP_TMP/fetch.err")" "100%" "progress reaches 100%"
ncap_assert_eq "$NFILES" "$(ls "$NCAP_TMP/dl"/*.pcapng | wc -l)" "fetched .pcapng files"
ncap_assert_eq "" "$(ls -A "$NCAP_TMP/dl" | grep -v '\.pcapng$')" "nothing else in the directory"
total=0
for f in "$NCAP_TMP/dl"/*.pcapng; do
  n=$(basename "$f")
  ncap_assert_eq "$(jget "$NCAP_TMP/rec.json" "[x['sha256'] for x in j['files'] if x['name']=='$n'][0]")" \
    "$(sha256sum "$f" | cut -d' ' -f1)" "sha256 of $n"
  cmp -s "$f" "$CAP/$n" || ncap_fail "$n differs from the node's file"
  capinfos "$f" >/dev/null 2>"$NCAP_TMP/ci.err" || ncap_fail "capinfos $n: $(cat "$NCAP_TMP/ci.err")"
  [[ -z "$(grep -v 'Running as user "root"' "$NCAP_TMP/ci.err")" ]] || ncap_fail "capinfos $n warns: $(cat "$NCAP_TMP/ci.err")"
  total=$((total + $(npk "$f")))
done
ncap_assert_eq "$INFILES" "$total" "packets in the fetched files = record packets - overwritten"
mergecap -w "$NCAP_TMP/all.pcapng" "$NCAP_TMP/dl"/*.pcapng 2>"$NCAP_TMP/merge.err"
ncap_assert_eq 0 $? "mergecap of the directory: $(cat "$NCAP_TMP/merge.err")"
ncap_assert_file_clean "$NCAP_TMP/all.pcapng"
ncap_assert_eq "$total" "$(npk "$NCAP_TMP/all.pcapng")" "packets after mergecap"
pass "fetch: $NFILES files, $total packets, verified and merged"

# 7. fetch again: files already here and right are not fetched again.
out=$("$X" fetch "$HOST" "${SSHO[@]}" "$ID" -o "$NCAP_TMP/dl" 2>&1) || ncap_fail "second fetch: $out"
ncap_assert_eq "$NFILES" "$(grep -c 'already here' <<<"$out")" "second fetch keeps verified files"
# ... and a partial or damaged local file is replaced.
first=$(ls "$NCAP_TMP/dl" | head -1)
truncate -s 100 "$NCAP_TMP/dl/$first"
"$X" fetch "$HOST" "${SSHO[@]}" "$ID" "$first" -o "$NCAP_TMP/dl" --json >"$NCAP_TMP/one.json" || ncap_fail "fetch of one file failed"
ncap_assert_eq "fetched $first" "$(jget "$NCAP_TMP/one.json" 'j[0]["result"] + " " + j[0]["file"]')" "fetch one named file (--json)"
cmp -s "$NCAP_TMP/dl/$first" "$CAP/$first" || ncap_fail "damaged local file not replaced"
pass "refetch: verified files kept, damaged one replaced"

# 8. node errors relayed: a file not in the record, hostile ids.
"$X" fetch "$HOST" "${SSHO[@]}" "$ID" nosuch.pcapng -o "$NCAP_TMP/dl" 2>"$NCAP_TMP/e.err"
ncap_assert_eq 5 $? "fetch of a file not in the record"
# (each call costs an SSH login: a few ids per verb)
for bad in "/etc/passwd" "${ID^^}"; do
  "$X" status "$HOST" "${SSHO[@]}" "$bad" >/dev/null 2>"$NCAP_TMP/e.err"
  ncap_assert_eq 2 $? "status of hostile id '$bad'"
  ncap_assert_eq 1 "$(wc -l <"$NCAP_TMP/e.err")" "hostile id error lines"
done
"$X" fetch "$HOST" "${SSHO[@]}" "../$ID" -o "$NCAP_TMP/dl" 2>"$NCAP_TMP/e.err"
ncap_assert_eq 2 $? "fetch of hostile id '../$ID'"
"$X" delete "$HOST" "${SSHO[@]}" "*" 2>"$NCAP_TMP/e.err"
ncap_assert_eq 2 $? "delete of hostile id '*'"
pass "hostile ids refused by the node: $(cat "$NCAP_TMP/e.err")"

# 9. a file tampered with on the node after the record was written (same
# size, one byte changed): integrity error, kept as .bad, not as .pcapng.
victim=$(jget "$NCAP_TMP/rec.json" 'j["files"][1]["name"]')
printf '\xff' | dd of="$CAP/$victim" bs=1 seek=5000 conv=notrunc status=none
mkdir "$NCAP_TMP/dl2"
"$X" fetch "$HOST" "${SSHO[@]}" "$ID" -o "$NCAP_TMP/dl2" >"$NCAP_TMP/t.out" 2>"$NCAP_TMP/t.err"
rc=$?
ncap_assert_eq 6 $rc "fetch of a tampered file: exit status"
ncap_assert_contains "$(cat "$NCAP_TMP/t.err")" "integrity check failed for $victim" "integrity error"
[[ -f "$NCAP_TMP/dl2/$victim.bad" ]] || ncap_fail "tampered file not kept as .bad"
[[ ! -e "$NCAP_TMP/dl2/$victim" ]] || ncap_fail "tampered file kept under its .pcapng name"
ncap_assert_eq "$((NFILES - 1))" "$(ls "$NCAP_TMP/dl2"/*.pcapng | wc -l)" "the other files are fetched"
ncap_assert_eq "" "$(ls -A "$NCAP_TMP/dl2" | grep '\.part$')" "no partial file left"
pass "tampered: $(head -c 200 "$NCAP_TMP/t.err")"

# 10. several hosts in one call (the same node under two names): each
# answer prefixed by its host; a dead one reported, the others shown.
out=$("$X" list "$HOST,root@$HOST" "${SSHO[@]}") || ncap_fail "list of two hosts: $out"
ncap_assert_eq 2 "$(grep -c "$ID" <<<"$out")" "two-host list rows"
grep -q "^root@$HOST  $ID" <<<"$out" || ncap_fail "two-host list has no NODE column: $out"
dead=$(ncap_random_port 39000 39900)
"$X" status "$HOST,$HOST:$dead" "${SSHO[@]}" "$ID" >"$NCAP_TMP/m.out" 2>"$NCAP_TMP/m.err"
ncap_assert_eq 10 $? "status with one dead host: exit status of the failure"
grep -q "^$HOST: status:       success: stopped" "$NCAP_TMP/m.out" || ncap_fail "live host's answer missing: $(cat "$NCAP_TMP/m.out")"
ncap_assert_contains "$(cat "$NCAP_TMP/m.err")" "cannot connect to $HOST port $dead" "dead host reported"
ncap_assert_contains "$(cat "$NCAP_TMP/m.err")" "1 of 2 nodes failed" "summary line"
"$X" status "$HOST,root@$HOST" "${SSHO[@]}" "$ID" --json >"$NCAP_TMP/m.json" || ncap_fail "two-host status --json"
ncap_assert_eq "success success" "$(jget "$NCAP_TMP/m.json" "j['$HOST']['status'] + ' ' + j['root@$HOST']['status']")" "two-host JSON"
pass "multi-host"

# 11. delete: gone from list and from the captures directory.
"$X" delete "$HOST" "${SSHO[@]}" "$ID" >"$NCAP_TMP/del.out" || ncap_fail "delete failed"
ncap_assert_contains "$(cat "$NCAP_TMP/del.out")" "deleted $ID" "delete output"
"$X" list "$HOST" "${SSHO[@]}" | grep -q "$ID" && ncap_fail "deleted job still listed"
ncap_assert_eq 0 "$(ls "$CAP" | wc -l)" "files left in the captures directory"
"$X" status "$HOST" "${SSHO[@]}" "$ID" 2>"$NCAP_TMP/e.err"
ncap_assert_eq 5 $? "status of a deleted job"
pass "delete"

ncap_assert_no_helper "end" 10
ncap_log "all passed"
