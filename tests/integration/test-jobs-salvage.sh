#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Saved jobs survive the caller's session ending; a worker killed with
# SIGKILL is noticed by the next `status`, its files cut at their last
# whole block, moved, and the job marked failure "worker died", with no
# packet counted in the record missing from the files.
set -uo pipefail
T=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null; [ -n "${WPID:-}" ] && kill -9 $WPID 2>/dev/null; rm -rf "$T"' EXIT
. "$(dirname "$0")/jobs-lib.sh"
mkdir -p "$T/state" "$T/cap" "$T/etc"
export NCAP_STATEDIR=$T/state NCAP_CAPTURESDIR=$T/cap NCAP_SYSCONFDIR=$T/etc NCAP_AUDITLOG=$T/audit.log
[ -f "$NCAP_SRC/tests/lib/policy-all.conf" ] && cp "$NCAP_SRC/tests/lib/policy-all.conf" "$T/etc/policy.conf"

# 1. Start from a shell in its own session (as sshd runs a command), then
#    kill that whole session: the worker keeps running.
setsid bash -c "$H start --json --node tn -i lo -f 'udp dst port 47301' --file-size 1 --max-size 5 > '$T/start.json'; sleep 60" &
SESS=$!
for i in $(seq 50); do [ -s "$T/start.json" ] && break; sleep 0.1; done
ID=$(jfield "$T/start.json" 'j["id"]')
WPID=$(jfield "$T/start.json" 'j["worker_pid"]')
kill -KILL -- -"$SESS" 2>/dev/null; wait "$SESS" 2>/dev/null
sleep 0.3
kill -0 "$WPID" 2>/dev/null && ok "worker survives the caller's session being killed" ||
  fail "worker died with the caller's session"
$H status "$ID" --json > "$T/s1.json"
assert_eq "status while running" running "$(jfield "$T/s1.json" 'j["status"]')"

# 2. Traffic, let the worker record its counts, then SIGKILL it mid-capture
#    (more traffic still arriving, so a block may be half written).
$GEN --port 47301 --count 6000 --size 300
sleep 2.5
$GEN --port 47301 --count 3000 --size 300 &
GENPID=$!
sleep 0.05
kill -KILL "$WPID"
wait "$GENPID" 2>/dev/null
wait_gone "$WPID" 5 || fail "worker not gone after SIGKILL"
before=$(ls "$T/state/spool/$ID" | wc -l)
[ "$before" -ge 1 ] && ok "spool holds $before file(s) of the dead worker" || fail "no spool files"
recorded_before=$(python3 -c "import json;print(json.load(open('$T/state/jobs/$ID.json'))['packets'])")

$H status "$ID" --json > "$T/s2.json" 2> "$T/s2.err"
assert_eq "status exit after the kill" 0 $?
assert_eq "salvaged job" "failure worker died" "$(jfield "$T/s2.json" 'j["status"]+" "+j["reason"]')"
total=0
for f in "$T/cap"/*.pcapng; do
  capinfos "$f" > /dev/null 2> "$T/ci.err"; rc=$?
  assert_eq "capinfos status on salvaged $(basename "$f")" 0 $rc
  assert_empty "capinfos warnings" "$(cat "$T/ci.err")"
  n=$(tshark -r "$f" 2> "$T/ts.err" | wc -l)
  assert_empty "tshark warnings" "$(grep -v "Running as user" "$T/ts.err")"
  total=$((total + n))
done
nf=$(ls "$T/cap" | wc -l)
assert_eq "salvaged files in the record" "$nf" "$(jfield "$T/s2.json" 'len(j["files"])')"
rec=$(jfield "$T/s2.json" 'j["packets"]')
disc=$(jfield "$T/s2.json" 'j["discarded_packets"]')
assert_eq "record packets = packets in the files (+ overwritten)" "$rec" "$((total + disc))"
[ "$recorded_before" -le "$rec" ] && ok "the running record promised $recorded_before <= $rec salvaged" ||
  fail "the running record counted $recorded_before packets but only $rec reached the files"
[ "$total" -ge 6000 ] && ok "at least the 6000 packets flushed before the kill are in the files ($total)" ||
  fail "only $total packets salvaged"
for row in $(jfield "$T/s2.json" '" ".join(f["name"]+":"+f["sha256"] for f in j["files"])'); do
  assert_eq "sha256 of ${row%%:*}" "${row#*:}" "$(sha256sum < "$T/cap/${row%%:*}" | cut -d' ' -f1)"
done
[ ! -e "$T/state/spool/$ID" ] && ok "spool removed after salvage" || fail "spool left"

# 3. The lock was freed by the kill: a new job starts.
$H start --json --node tn -i lo -f "udp dst port 47302" > "$T/n.json" 2> "$T/n.err"
assert_eq "start after a dead worker" 0 $?
WPID=$(jfield "$T/n.json" 'j["worker_pid"]')
$H stop > /dev/null
summary
