#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fault: the node "reboots" in the middle of a saved ring job: every
# nodecap-helper process of this node dies at once by SIGKILL (the worker
# mid-rotation, a live `stream`, a `status` in flight), as a power cut
# would leave them. Then, as after boot: `status` notices the dead worker,
# salvages the files (cut at the last whole block), moves them, and marks
# the job failure with the reason; the counts are truthful (record =
# packets in the files + packets the ring overwrote, never more); `list`
# agrees; a new `start` takes the freed lock and ends with success.
# (Only this test's processes are killed, found by their private helper
# path and killed by pid: other tests on the machine keep theirs.)
set -uo pipefail
T=$(mktemp -d)
trap 'for p in $(pgrep -f -- "$T/bin/nodecap-helper"); do kill -9 $p; done 2>/dev/null; kill $(jobs -p) 2>/dev/null; rm -rf "$T"' EXIT
. "$(dirname "$0")/jobs-lib.sh"
mkdir -p "$T/state" "$T/cap" "$T/etc" "$T/bin"
ln -s "$NCAP_BUILD/remote/nodecap-helper" "$T/bin/nodecap-helper"
H=$T/bin/nodecap-helper
export NCAP_STATEDIR=$T/state NCAP_CAPTURESDIR=$T/cap NCAP_SYSCONFDIR=$T/etc NCAP_AUDITLOG=$T/audit.log
cp "$NCAP_SRC/tests/lib/policy-all.conf" "$T/etc/policy.conf"
PORT=47431

# A ring of 1 MB files, 3 MB in all, that rotates several times.
$H start --json --node tn -i lo -f "udp dst port $PORT" --file-size 1 --max-size 3 > "$T/start.json" 2> "$T/start.err"
assert_eq "start" 0 $?
ID=$(jfield "$T/start.json" 'j["id"]')
# A live stream too, and traffic running while everything dies.
sleep 30 | $H stream --node tn -i lo -f "udp dst port $PORT" > "$T/stream.pcapng" 2> "$T/stream.err" &
STREAMPID=$!
$GEN --port $PORT --count 14000 --size 500 --rate 8000
# Past a record update (every 2 s): the record promises these packets.
sleep 2.5
cp "$T/state/jobs/$ID.json" "$T/running.json"
recorded_before=$(jfield "$T/running.json" 'j["packets"]')
# More traffic while everything dies: a block may be half written.
$GEN --port $PORT --count 400 --size 500 --rate 8000 &
GENPID=$!
sleep 0.02
$H status "$ID" --json > /dev/null 2>&1 &
pids=$(pgrep -f -- "$H" | paste -sd' ')
(($(wc -w <<<"$pids") >= 2)) && ok "helper processes before the power cut: $pids" || fail "expected a worker and a stream, got: $pids"
# shellcheck disable=SC2086
kill -KILL $pids 2>/dev/null
for p in $pids; do wait_gone "$p" 5 || fail "pid $p survived SIGKILL"; done
wait "$GENPID" 2>/dev/null
wait "$STREAMPID" 2>/dev/null
assert_empty "helper processes after the cut" "$(pgrep -f -- "$H")"
assert_eq "record still says" running "$(jfield "$T/state/jobs/$ID.json" 'j["status"]')"
spooled=$(ls "$T/state/spool/$ID" | grep -c '\.pcapng$')
((spooled >= 1)) && ok "$spooled ring file(s) left in the spool" || fail "no file in the spool"

# "Boot": the first status salvages.
$H status "$ID" --json > "$T/s.json" 2> "$T/s.err"
assert_eq "status exit after the reboot" 0 $?
assert_empty "status stderr" "$(cat "$T/s.err")"
assert_eq "job status" "failure" "$(jfield "$T/s.json" 'j["status"]')"
assert_eq "job reason" "worker died" "$(jfield "$T/s.json" 'j["reason"]')"
assert_match "ended time recorded" '^[0-9]{4}-' "$(jfield "$T/s.json" 'j["ended"]')"
total=0
for f in "$T/cap"/*.pcapng; do
  capinfos "$f" > /dev/null 2> "$T/ci.err"
  assert_eq "capinfos on salvaged $(basename "$f")" 0 $?
  assert_empty "capinfos warnings" "$(real_warnings "$T/ci.err")"
  total=$((total + $(npackets "$f")))
done
nf=$(ls "$T/cap" | wc -l)
assert_eq "files in captures = files in the record" "$nf" "$(jfield "$T/s.json" 'len(j["files"])')"
for row in $(jfield "$T/s.json" '" ".join(f["name"]+":"+str(f["packets"])+":"+f["sha256"] for f in j["files"])'); do
  IFS=: read -r name pk sha <<<"$row"
  [ -f "$T/cap/$name" ] || { fail "record names $name, not in the captures dir"; continue; }
  assert_eq "packets of $name (record vs file)" "$pk" "$(npackets "$T/cap/$name")"
  assert_eq "sha256 of $name" "$sha" "$(sha256sum < "$T/cap/$name" | cut -d' ' -f1)"
done
rec=$(jfield "$T/s.json" 'j["packets"]')
disc=$(jfield "$T/s.json" 'j["discarded_packets"]')
assert_eq "record packets = in files ($total) + overwritten ($disc)" "$rec" "$((total + disc))"
# What the running record promised: each file it listed holds at least
# the packets it counted, unless the ring removed it since (by design: it
# is then older than every file left).
python3 - "$T/running.json" "$T/s.json" > "$T/promise.out" <<'PY'
import json, sys
run, fin = (json.load(open(p)) for p in sys.argv[1:3])
left = {f["name"]: f for f in fin["files"]}
first = min(left) if left else ""
bad, rotated = [], 0
for f in run["files"]:
    if f["name"] in left:
        if left[f["name"]]["packets"] < f["packets"]:
            bad.append("%s: %d < %d" % (f["name"], left[f["name"]]["packets"], f["packets"]))
    elif f["name"] < first:
        rotated += 1
    else:
        bad.append(f["name"] + " lost")
print("BAD " + "; ".join(bad) if bad else "ok %d files kept their packets, %d rotated out" % (len(run["files"]) - rotated, rotated))
PY
assert_match "the running record's promise ($recorded_before packets)" '^ok' "$(cat "$T/promise.out")"
echo "   $(cat "$T/promise.out")"
[ ! -e "$T/state/spool/$ID" ] && ok "spool emptied by the salvage" || fail "spool left: $(ls "$T/state/spool/$ID")"
$H list --json > "$T/list.json"
assert_eq "list agrees" "failure worker died" \
  "$(jfield "$T/list.json" '" ".join(x["status"]+" "+x["reason"] for x in j if x["id"]=="'"$ID"'")')"
# The killed stream's output is not promised by anything; it is only
# checked to be a pcapng prefix (no garbage after the kill).
capinfos "$T/stream.pcapng" >/dev/null 2>&1 && ok "the killed stream's output is whole blocks" ||
  ok "the killed stream's output ends mid-block (nothing promised it): $(stat -c %s "$T/stream.pcapng") bytes"

# The lock died with the worker: a new job runs and ends cleanly.
$H start --json --node tn -i lo -f "udp dst port $PORT" > "$T/n.json" 2> "$T/n.err"
assert_eq "start after the reboot" 0 $?
ID2=$(jfield "$T/n.json" 'j["id"]')
$GEN --port $PORT --count 100 --size 100
sleep 0.3
$H stop "$ID2" --json > "$T/stop.json"
assert_eq "new job" "success stopped 100" "$(jfield "$T/stop.json" 'j["status"]+" "+j["reason"]+" "+str(j["packets"])')"
sleep 0.2
assert_empty "helper processes at the end" "$(pgrep -f -- "$H")"
summary
