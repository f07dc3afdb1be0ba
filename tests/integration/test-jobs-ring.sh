#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Saved jobs, run locally as root (no SSH): a ring of files on lo that
# rotates several times, the one-job lock, fetch by id, hostile ids,
# --delete-on-start, delete, limits ending a job with success, and the
# seed's ring (50 MB into --max-size 30 --file-size 10 leaves 3 files).
set -uo pipefail
T=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null; [ -n "${WPID:-}" ] && kill $WPID 2>/dev/null; rm -rf "$T"' EXIT
. "$(dirname "$0")/jobs-lib.sh"
mkdir -p "$T/state" "$T/cap" "$T/etc"
export NCAP_STATEDIR=$T/state NCAP_CAPTURESDIR=$T/cap NCAP_SYSCONFDIR=$T/etc NCAP_AUDITLOG=$T/audit.log
[ -f "$NCAP_SRC/tests/lib/policy-all.conf" ] && cp "$NCAP_SRC/tests/lib/policy-all.conf" "$T/etc/policy.conf"

# 1. A ring of 1 MB files, 3 MB in all, over ~8.8 MB of traffic.
$H start --json --node tn -i lo -f "udp dst port 47201" --file-size 1 --max-size 3 > "$T/start.json" 2> "$T/start.err"
assert_eq "start exit status" 0 $?
assert_empty "start stderr" "$(cat "$T/start.err")"
ID=$(jfield "$T/start.json" 'j["id"]')
assert_match "job id" '^[0-9a-f]{32}$' "$ID"
assert_eq "status after start" running "$(jfield "$T/start.json" 'j["status"]')"
WPID=$(jfield "$T/start.json" 'j["worker_pid"]')
kill -0 "$WPID" 2>/dev/null && ok "worker $WPID alive" || fail "worker not alive"
[ "$(ps -o sid= -p "$WPID" | tr -d ' ')" != "$(ps -o sid= -p $$ | tr -d ' ')" ] &&
  ok "worker in another session than the caller" || fail "worker shares the caller's session"

# 2. A second start while one runs: busy (exit 4), naming the running job.
$H start --node tn -i lo > "$T/second.out" 2> "$T/second.err"
assert_eq "second start exit status (busy)" 4 $?
assert_match "second start names the running job" "$ID" "$(cat "$T/second.err")"

$GEN --port 47201 --count 20000 --size 400
sleep 0.3
$H stop "$ID" --json > "$T/stop.json" 2> "$T/stop.err"
assert_eq "stop exit status" 0 $?
wait_gone "$WPID" 5 && ok "worker gone after stop" || fail "worker still running after stop"
assert_eq "status after stop" success "$(jfield "$T/stop.json" 'j["status"]')"
assert_eq "reason" stopped "$(jfield "$T/stop.json" 'j["reason"]')"

nfiles=$(ls "$T/cap" | wc -l)
assert_eq "files in the captures dir (ring of 3)" 3 "$nfiles"
assert_eq "files in the record" 3 "$(jfield "$T/stop.json" 'len(j["files"])')"
assert_match "some old files were overwritten" '^[1-9]' "$(jfield "$T/stop.json" 'j["discarded_files"]')"
total=0
for f in "$T/cap"/*; do
  sz=$(stat -c %s "$f")
  [ "$sz" -le 1000000 ] && ok "$(basename "$f"): $sz bytes <= 1,000,000" || fail "$(basename "$f") is $sz bytes"
  capinfos "$f" > /dev/null 2> "$T/ci.err"; rc=$?
  assert_eq "capinfos status on $(basename "$f")" 0 $rc
  assert_empty "capinfos warnings" "$(cat "$T/ci.err")"
  total=$((total + $(npackets "$f")))
done
assert_match "file names" "^tn_${ID}_[0-9]{8}T[0-9]{6}Z_[0-9]{5}\\.pcapng\$" "$(ls "$T/cap" | head -1)"
rec=$(jfield "$T/stop.json" 'j["packets"]')
disc=$(jfield "$T/stop.json" 'j["discarded_packets"]')
assert_eq "record packets = packets in files + overwritten" "$rec" "$((total + disc))"
assert_eq "every packet sent was recorded" 20000 "$rec"
# The newest data is kept: the last datagram sent is in the last file.
last=$(ls "$T/cap" | tail -1)
tshark -r "$T/cap/$last" -T fields -e data.data 2>/dev/null | tail -1 | cut -c1-34 > "$T/lastpayload"
assert_eq "last datagram in the newest file" "$(printf 'ncap-seq-%08d' 19999 | xxd -p)" "$(cat "$T/lastpayload")"
(cd "$T" && mergecap -w all.pcapng cap/*.pcapng 2> merge.err); rc=$?
assert_eq "mergecap status" 0 $rc
assert_eq "merged packets" "$total" "$(npackets "$T/all.pcapng")"
assert_eq "files are mode 0640" 640 "$(stat -c %a "$T/cap/$last")"
[ -z "$(ls "$T/state/spool")" ] && ok "spool empty after the move" || fail "spool not empty"

# 3. fetch by id writes exactly the file; the sha256 is the record's.
name=$(jfield "$T/stop.json" 'j["files"][2]["name"]')
want=$(jfield "$T/stop.json" 'j["files"][2]["sha256"]')
$H fetch "$ID" "$name" > "$T/fetched" 2> "$T/fetch.err"
assert_eq "fetch exit status" 0 $?
assert_eq "fetched sha256 = record" "$want" "$(sha256sum < "$T/fetched" | cut -d' ' -f1)"
cmp -s "$T/fetched" "$T/cap/$name" && ok "fetched bytes equal the file" || fail "fetched bytes differ"
$H fetch "$ID" > /dev/null 2> "$T/fetch2.err"
assert_eq "fetch without FILE on a 3-file job (exit 2)" 2 $?
$H fetch "$ID" "../../etc/passwd" > "$T/f3" 2> "$T/fetch3.err"
assert_eq "fetch of a path (not a recorded name) exit 5" 5 $?
assert_empty "nothing written for a path" "$(cat "$T/f3")"

# 4. Hostile ids are refused before anything is opened (exit 2).
for bad in "../x" "/etc/passwd" "*" "$(printf 'z%.0s' {1..32})" "${ID^^}" "${ID}0" "../../../../../../../etc/shadow.."; do
  for verb in status fetch delete stop; do
    $H $verb "$bad" > "$T/h.out" 2> "$T/h.err"; rc=$?
    [ $rc -eq 2 ] && grep -q "is not a job id" "$T/h.err" && [ ! -s "$T/h.out" ] ||
      { fail "$verb '$bad': exit $rc, $(cat "$T/h.err")"; continue; }
  done
done
ok "hostile ids refused by status/fetch/delete/stop"

# 5. A packet limit ends a job with success "packet limit"; the time limit too.
$H start --json --node tn -i lo -f "udp dst port 47202" --packet-limit 50 > "$T/p.json"
PID2=$(jfield "$T/p.json" 'j["id"]')
$GEN --port 47202 --count 200 --size 100
wait_finished "$PID2" 10 || fail "packet-limit job did not finish"
$H status "$PID2" --json > "$T/p2.json"
assert_eq "packet limit job status" "success packet limit 50" \
  "$(jfield "$T/p2.json" 'j["status"]+" "+j["reason"]+" "+str(j["packets"])')"
$H start --json --node tn -i lo -f "udp dst port 47203" --time-limit 1 > "$T/t.json"
TID=$(jfield "$T/t.json" 'j["id"]')
wait_finished "$TID" 10 || fail "time-limit job did not finish"
$H status "$TID" --json > "$T/t2.json"
assert_eq "time limit job" "success time limit" "$(jfield "$T/t2.json" 'j["status"]+" "+j["reason"]')"

# 6. Bad filter / unknown interface: start itself fails clearly.
$H start --node tn -i lo -f "udp prt 53" > /dev/null 2> "$T/bf.err"
assert_eq "bad filter exit status" 2 $?
assert_match "bad filter message" 'filter' "$(cat "$T/bf.err")"
$H start --node tn -i nosuch0 > /dev/null 2> "$T/bi.err"
assert_eq "unknown interface exit status" 5 $?

# 7. list shows the jobs; --delete-on-start removes older finished ones.
$H list > "$T/list.txt"
assert_match "list shows the ring job" "$ID +success" "$(cat "$T/list.txt")"
$H start --json --node tn -i lo -f "udp dst port 47204" --delete-on-start > "$T/d.json"
DID=$(jfield "$T/d.json" 'j["id"]')
left=$(ls "$T/cap" | grep -v "_${DID}_" | wc -l)
assert_eq "older captures deleted on start" 0 "$left"
$H status "$ID" > /dev/null 2>&1
assert_eq "older job record deleted (status exit 5)" 5 $?
$H delete "$DID" > /dev/null 2> "$T/del.err"
assert_eq "delete of a running job refused (busy)" 4 $?
$H stop > /dev/null
$H delete --all > "$T/delall.txt"
assert_match "delete --all" "deleted $DID" "$(cat "$T/delall.txt")"
assert_eq "captures dir empty" 0 "$(ls "$T/cap" | wc -l)"

# 8. The seed's ring: 50 MB of traffic, --max-size 30 --file-size 10 ->
#    exactly 3 files, none over 10 MB, the newest data kept, the oldest
#    gone, and record = files + what the ring discarded.
$H start --node ringnode -i lo -f "udp dst port 47209" --max-size 30 --file-size 10 --json > "$T/start.json" 2> "$T/start.err"
assert_eq "start exit" 0 $?
id=$(jfield "$T/start.json" 'j["id"]')
$GEN --port 47209 --count 40000 --size 1250 --rate 40000
sleep 1
$H stop "$id" > /dev/null 2>&1
wait_finished "$id" 20 || fail "ring job did not finish"
$H status "$id" --json > "$T/st.json"
assert_eq "ring job status" success "$(jfield "$T/st.json" 'j["status"]')"
files=$(ls "$T/cap"/ringnode_${id}_*.pcapng 2>/dev/null | wc -l)
assert_eq "ring: files kept" 3 "$files"
big=$(for f in "$T/cap"/ringnode_${id}_*.pcapng; do stat -c %s "$f"; done | sort -n | tail -1)
if [ "$big" -le 10000000 ]; then ok "ring: largest file $big bytes <= 10,000,000"; else fail "ring: file of $big bytes"; fi
inf=0; for f in "$T/cap"/ringnode_${id}_*.pcapng; do
  capinfos "$f" > /dev/null 2> "$T/ci.err" || fail "capinfos $f"
  [ -s "$T/ci.err" ] && grep -v 'Running as user' "$T/ci.err" | grep -q . && fail "capinfos warns on $f"
  inf=$((inf + $(npackets "$f"))); done
last=$(ls "$T/cap"/ringnode_${id}_*.pcapng | tail -1)
assert_match "ring: newest datagram kept" "ncap-seq-00039999" "$(tshark 2>/dev/null -r "$last" -T fields -e data.data | tail -1 | xxd -r -p | head -c 17)"
oldest=$(ls "$T/cap"/ringnode_${id}_*.pcapng | head -1)
assert_match "ring: oldest data gone (first kept is not datagram 0)" "ncap-seq-000[1-3][0-9]" \
  "$(tshark 2>/dev/null -r "$oldest" -T fields -e data.data -c 1 | xxd -r -p | head -c 17)"
rec=$(jfield "$T/st.json" 'j["packets"]')
disc=$(jfield "$T/st.json" 'j["discarded_packets"]')
assert_eq "ring: record counts every packet captured" 40000 "$rec"
assert_eq "ring: record = packets in the files + discarded by the ring" "$rec" "$((inf + disc))"
summary
