#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fault: the captures directory becomes unwritable while a saved job runs
# (chattr +i: even root cannot create or rename into it). At stop the
# worker cannot move its files: the job must end failure with a clear
# reason that says where the files are, and the files must stay in the
# spool, whole and counted, not be deleted. Once the directory is
# writable again nothing is lost.
set -uo pipefail
T=$(mktemp -d)
trap 'chattr -i "$T/cap" 2>/dev/null; for p in $(pgrep -f -- "$T/bin/nodecap-helper"); do kill -9 $p; done 2>/dev/null; kill $(jobs -p) 2>/dev/null; rm -rf "$T"' EXIT
. "$(dirname "$0")/jobs-lib.sh"
mkdir -p "$T/state" "$T/cap" "$T/etc" "$T/bin"
ln -s "$NCAP_BUILD/remote/nodecap-helper" "$T/bin/nodecap-helper"
H=$T/bin/nodecap-helper
export NCAP_STATEDIR=$T/state NCAP_CAPTURESDIR=$T/cap NCAP_SYSCONFDIR=$T/etc NCAP_AUDITLOG=$T/audit.log
cp "$NCAP_SRC/tests/lib/policy-all.conf" "$T/etc/policy.conf"
PORT=47441
chattr +i "$T/cap" 2>/dev/null && chattr -i "$T/cap" ||
  { echo "SKIP: chattr +i not supported on $(df --output=fstype "$T" | tail -1)"; exit 77; }

$H start --json --node tn -i lo -f "udp dst port $PORT" --file-size 1 --max-size 5 > "$T/start.json" 2> "$T/start.err"
assert_eq "start" 0 $?
ID=$(jfield "$T/start.json" 'j["id"]')
WPID=$(jfield "$T/start.json" 'j["worker_pid"]')
$GEN --port $PORT --count 5000 --size 500
chattr +i "$T/cap"
ok "captures directory made immutable mid-job"
sleep 0.3
$H stop "$ID" --json > "$T/stop.json" 2> "$T/stop.err"
rc=$?
echo "   stop exit $rc: $(cat "$T/stop.err")"
wait_gone "$WPID" 10 && ok "worker gone after stop" || fail "worker still running"
assert_eq "stop's record says" failure "$(jfield "$T/stop.json" 'j["status"]')"
$H status "$ID" --json > "$T/s.json" 2> "$T/s.err"
assert_eq "status exit" 0 $?
st=$(jfield "$T/s.json" 'j["status"]')
reason=$(jfield "$T/s.json" 'j["reason"]')
echo "   status: $st: $reason"
assert_eq "job status" failure "$st"
assert_match "reason names the captures directory" "captures directory" "$reason"
assert_match "reason says where the files are" "spool/$ID" "$reason"
assert_eq "files in the captures dir" 0 "$(ls "$T/cap" | wc -l)"
spool=$T/state/spool/$ID
nsp=$(ls "$spool" 2>/dev/null | grep -c '\.pcapng$')
assert_eq "files kept in the spool = files in the record" "$(jfield "$T/s.json" 'len(j["files"])')" "$nsp"
total=0
for f in "$spool"/*.pcapng; do
  [ -f "$f" ] || continue
  capinfos "$f" > /dev/null 2> "$T/ci.err"
  assert_eq "capinfos on $(basename "$f")" 0 $?
  total=$((total + $(npackets "$f")))
done
assert_eq "record packets = packets in the spool files" "$(jfield "$T/s.json" 'j["packets"]')" "$total"
assert_eq "every packet sent is kept" 5000 "$total"

# Writable again: a new job works and moves its files; the old job's
# files are still where status said.
chattr -i "$T/cap"
$H start --json --node tn -i lo -f "udp dst port $PORT" > "$T/n.json" 2> "$T/n.err"
assert_eq "start once writable again" 0 $?
$GEN --port $PORT --count 10 --size 100
sleep 0.3
$H stop --json > "$T/n2.json"
assert_eq "new job" success "$(jfield "$T/n2.json" 'j["status"]')"
assert_eq "old job's files still in the spool" "$nsp" "$(ls "$spool" | grep -c '\.pcapng$')"
assert_empty "helper processes left" "$(pgrep -f -- "$H")"
summary
