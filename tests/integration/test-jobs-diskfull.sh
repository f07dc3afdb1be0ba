#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Disk full ends a saved job cleanly: failure "disk full", the files it
# wrote kept, moved and readable. Two ways to fill: the reserve check
# before a rotation (a 2 MB tmpfs cannot hold a second 1 MB file plus the
# reserve), and ENOSPC in the middle of a file (another writer fills the
# disk while the job runs).
set -uo pipefail
T=$(mktemp -d)
cleanup() {
  kill $(jobs -p) 2>/dev/null
  [ -n "${WPID:-}" ] && kill -9 "$WPID" 2>/dev/null
  sleep 0.2
  umountpoint "$T/fs"
  rm -rf "$T"
}
umountpoint() { mountpoint -q "$1" && umount "$1"; }
trap cleanup EXIT
. "$(dirname "$0")/jobs-lib.sh"
mkdir -p "$T/fs" "$T/etc"
mount -t tmpfs -o size=2m,mode=0755 nodecap-test "$T/fs" || { echo "cannot mount tmpfs"; exit 1; }
setup() { rm -rf "$T/fs"/*; mkdir -p "$T/fs/state" "$T/fs/cap"; }
export NCAP_STATEDIR=$T/fs/state NCAP_CAPTURESDIR=$T/fs/cap NCAP_SYSCONFDIR=$T/etc NCAP_AUDITLOG=$T/audit.log
[ -f "$NCAP_SRC/tests/lib/policy-all.conf" ] && cp "$NCAP_SRC/tests/lib/policy-all.conf" "$T/etc/policy.conf"

check_files() {
  local total=0 f
  for f in "$T/fs/cap"/*.pcapng; do
    [ -e "$f" ] || { fail "no files kept"; return; }
    capinfos "$f" > /dev/null 2> "$T/ci.err"; rc=$?
    assert_eq "capinfos status on $(basename "$f")" 0 $rc
    assert_empty "capinfos warnings" "$(cat "$T/ci.err")"
    total=$((total + $(npackets "$f")))
  done
  assert_eq "record packets = packets in the kept files" "$(jfield "$1" 'j["packets"]')" "$total"
  [ "$total" -gt 0 ] && ok "$total packets kept" || fail "no packets kept"
}

# 1. The reserve check at rotation.
setup
$H start --json --node tn -i lo -f "udp dst port 47401" --file-size 1 --max-size 3 > "$T/a.json" 2> "$T/a.err"
assert_eq "start on the small tmpfs" 0 $?
ID=$(jfield "$T/a.json" 'j["id"]'); WPID=$(jfield "$T/a.json" 'j["worker_pid"]')
$GEN --port 47401 --count 8000 --size 400
wait_finished "$ID" 10 || fail "job did not end on disk full"
$H status "$ID" --json > "$T/a2.json"
assert_eq "job end (reserve check)" "failure disk full" "$(jfield "$T/a2.json" 'j["status"]+" "+j["reason"]')"
wait_gone "$WPID" 5 && ok "worker exited" || fail "worker still running"
check_files "$T/a2.json"

# 2. ENOSPC in the middle of a file.
setup
$H start --json --node tn -i lo -f "udp dst port 47402" --file-size 1 --max-size 3 > "$T/b.json" 2> "$T/b.err"
assert_eq "start on the emptied tmpfs" 0 $?
ID=$(jfield "$T/b.json" 'j["id"]'); WPID=$(jfield "$T/b.json" 'j["worker_pid"]')
$GEN --port 47402 --count 300 --size 400
sleep 2.5   # the worker flushes and records these
avail=$(df --output=avail -B1 "$T/fs" | tail -1)
dd if=/dev/zero of="$T/fs/filler" bs=4096 count=$(( (avail - 200000) / 4096 )) status=none
$GEN --port 47402 --count 3000 --size 400
wait_finished "$ID" 10 || fail "job did not end on ENOSPC"
$H status "$ID" --json > "$T/b2.json"
assert_eq "job end (ENOSPC mid-file)" "failure disk full" "$(jfield "$T/b2.json" 'j["status"]+" "+j["reason"]')"
wait_gone "$WPID" 5 && ok "worker exited" || fail "worker still running"
check_files "$T/b2.json"
summary
