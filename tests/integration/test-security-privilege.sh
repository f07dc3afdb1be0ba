#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The permission policy and the privilege model, with real users and a
# helper installed setuid/setgid ncaptest-svc + cap_net_raw+ep (never root):
# who may stream, deny over grant, root without a grant, CapEff 0 while a
# stream runs, path overrides ignored when AT_SECURE, a writable policy
# refused, the simple-capture rate limit, and the audit trail of it all.
set -uo pipefail
. "$(dirname "$0")/../lib/assert.sh"
. "$(dirname "$0")/../lib/security.sh"

[ "$(id -u)" = 0 ] || { echo "needs root (useradd, setcap)"; exit 77; }
T=$(mktemp -d); chmod 0755 "$T"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  sec_users_remove
  rm -rf "$T" "$SEC_P"
}
trap cleanup EXIT
GEN="python3 $NCAP_SRC/tests/lib/udpgen.py"

sec_users_create || { fail "create test users"; summary; exit 1; }
sec_install_helper || { fail "build/install the setuid test helper"; summary; exit 1; }
ok "helper installed: $(stat -c '%A %U' "$SEC_H") $(getcap "$SEC_H" | cut -d' ' -f2-)"
ALICE=$(id -u ncap-alice)

# run_denied USER: a capture as USER must be refused, print one line, exit 3
# and open nothing (no stream byte, no rate/slot state).
run_denied() {
  local who=$1 what=$2
  rm -rf "$SEC_P/state/rate"
  sec_as "$who" "$SEC_H" stream -i lo --time-limit 1 > "$T/out" 2> "$T/err" < /dev/null
  local rc=$?
  assert_eq "$what: exit status" 3 $rc
  assert_match "$what: message" "^nodecap-helper: permission denied: capture\.stream for user $who \(groups: [^)]*\): (not granted in|refused by the \[deny\] section of) $SEC_P/etc/policy\.conf" "$(cat "$T/err")"
  assert_eq "$what: stream bytes" 0 "$(stat -c %s "$T/out")"
  assert_eq "$what: no rate/slot state" "" "$(ls "$SEC_P/state/rate" 2>/dev/null)"
  assert_eq "$what: audited" "denied $who" "$(sec_audit_last result) $(sec_audit_last user)"
}

# 1. Empty policy: nobody, not even root.
sec_policy ''
run_denied ncap-alice "no grant, alice"
run_denied root "no grant, root"

# 2. Grants name other users only.
sec_policy '[grant]\ncapture.stream = ncap-carol\ncaptures.read = ncap-alice\n'
run_denied ncap-alice "alice granted another permission only"

# 3. Granted by name: a real capture as alice, privileges dropped while it runs.
sec_policy '[grant]\ncapture.stream = ncap-alice\n'
# (setpriv directly, not the sec_as function: $! must be the helper itself)
setpriv --reuid=ncap-alice --regid=ncap-alice --init-groups \
  "$SEC_H" stream -i lo -f "udp dst port 47101" > "$T/a.pcapng" 2> "$T/a.err" < <(sleep 30) &
pid=$!; PIDS+=($pid)
sleep 1.5
st=/proc/$pid/status
assert_eq "running stream CapEff" 0000000000000000 "$(awk '/^CapEff:/{print $2}' $st)"
assert_eq "running stream CapPrm" 0000000000000000 "$(awk '/^CapPrm:/{print $2}' $st)"
assert_eq "running stream CapAmb" 0000000000000000 "$(awk '/^CapAmb:/{print $2}' $st)"
assert_eq "running stream NoNewPrivs" 1 "$(awk '/^NoNewPrivs:/{print $2}' $st)"
assert_eq "running stream Uid (real effective saved fs)" "$ALICE $ALICE $ALICE $ALICE" \
  "$(awk '/^Uid:/{print $2, $3, $4, $5}' $st)"
$GEN --port 47101 --count 50 --size 80
sleep 0.5
kill -TERM $pid; wait $pid; rc=$?
assert_eq "alice stream exit status" 0 $rc
assert_empty "alice stream stderr" "$(cat "$T/a.err")"
assert_eq "alice captured packets" 50 "$(tshark -r "$T/a.pcapng" 2>/dev/null | wc -l)"
assert_match "audit: alice allowed then ok" "allowed.*ok" \
  "$(grep '"user":"ncap-alice"' "$SEC_P/log/audit.log" | tail -n 2 | python3 -c 'import json,sys; print(" ".join(json.loads(l)["result"] for l in sys.stdin))')"
assert_eq "audit file mode/owner" "600 $SEC_SVC" "$(stat -c '%a %U' "$SEC_P/log/audit.log")"

# 4. Granted through @group: bob is in ncap-ops.
sec_policy '[grant]\ncapture.stream = @ncap-ops\n'
setpriv --reuid=ncap-bob --regid=ncap-bob --init-groups \
  "$SEC_H" stream -i lo -f "udp dst port 47102" --packet-limit 5 > "$T/b.pcapng" 2> "$T/b.err" < <(sleep 30) &
pid=$!; PIDS+=($pid)
sleep 1.5
$GEN --port 47102 --count 5 --size 80
wait_gone $pid 5 || fail "bob stream did not end at its packet limit"
wait $pid; rc=$?
assert_eq "bob (@ncap-ops) stream exit status" 0 $rc
assert_eq "bob captured packets" 5 "$(tshark -r "$T/b.pcapng" 2>/dev/null | wc -l)"
run_denied ncap-alice "alice not in the granted group"

# 5. Deny overrides every grant: carol is in the granted group, bob is
#    granted by name and by group, both are denied; alice by @group.
sec_policy '[grant]\ncapture.stream = @ncap-ops;ncap-bob;ncap-alice\n[deny]\ncapture.stream = ncap-bob;ncap-carol\n'
run_denied ncap-bob "bob granted but denied by name"
run_denied ncap-carol "carol granted by group, denied by name"
sec_policy '[grant]\ncapture.stream = ncap-alice\n[deny]\ncapture.stream = @ncap-alice\n'
run_denied ncap-alice "alice granted by name, denied by her group"

# 6. AT_SECURE: a policy of the caller's own choosing is ignored.
sec_policy ''
mkdir -p "$T/evil"; printf '[grant]\ncapture.stream = ncap-alice\n' > "$T/evil/policy.conf"
chown -R ncap-alice "$T/evil"
rm -rf "$SEC_P/state/rate"
sec_as ncap-alice env NCAP_SYSCONFDIR="$T/evil" NCAP_STATEDIR="$T/evil" NCAP_AUDITLOG="$T/evil/audit" \
  "$SEC_H" stream -i lo --time-limit 1 > "$T/out" 2> "$T/err" < /dev/null
assert_eq "NCAP_SYSCONFDIR override when setuid: exit status" 3 $?
assert_match "NCAP_SYSCONFDIR override when setuid: message" \
  "^nodecap-helper: permission denied: capture\.stream for user [^ ]+ \(groups: [^)]*\): not granted in $SEC_P/etc/policy\.conf" "$(cat "$T/err")"
assert_eq "override audit file not written" "" "$(ls "$T/evil/audit" 2>/dev/null)"

# 7. A policy file others could have written is refused.
sec_policy '[grant]\ncapture.stream = ncap-alice\n'
chmod 0666 "$SEC_P/etc/policy.conf"
sec_as ncap-alice "$SEC_H" stream -i lo --time-limit 1 > "$T/out" 2> "$T/err" < /dev/null
assert_eq "world-writable policy: exit status" 14 $?
assert_match "world-writable policy: message" "policy.conf: refused: writable by group or others" "$(cat "$T/err")"
assert_eq "world-writable policy: stream bytes" 0 "$(stat -c %s "$T/out")"
chmod 0644 "$SEC_P/etc/policy.conf"
chown ncap-alice "$SEC_P/etc/policy.conf"
sec_as ncap-alice "$SEC_H" stream -i lo --time-limit 1 > "$T/out" 2> "$T/err" < /dev/null
assert_eq "policy owned by the caller: exit status" 14 $?
assert_match "policy owned by the caller: message" "must be owned by root" "$(cat "$T/err")"
chown root "$SEC_P/etc/policy.conf"

# 8. One simple request a minute: the second is refused with the wait.
rm -rf "$SEC_P/state/rate"
sec_as ncap-alice "$SEC_H" stream -i lo --type simple --time-limit 1 > "$T/s1" 2> "$T/s1.err" < /dev/null
assert_eq "first simple capture: exit status" 0 $?
sec_as ncap-alice "$SEC_H" stream -i lo --type simple --time-limit 1 > "$T/s2" 2> "$T/s2.err" < /dev/null
assert_eq "second simple capture within 60 s: exit status" 4 $?
assert_match "second simple capture: message" \
  "^nodecap-helper: rate limit: one simple capture per 60 s; try again in (59|60) s$" "$(cat "$T/s2.err")"
assert_eq "second simple capture: stream bytes" 0 "$(stat -c %s "$T/s2")"
assert_eq "rate state owned by the service user" "$SEC_SVC 600" \
  "$(stat -c '%U %a' "$SEC_P/state/rate/$ALICE")"
assert_match "audit: rate refusal" "rate limit" "$(sec_audit_last reason)"
# A full capture is not rate limited; the interval is configurable.
sec_as ncap-alice "$SEC_H" stream -i lo --time-limit 1 > "$T/s3" 2> "$T/s3.err" < /dev/null
assert_eq "full capture after a simple one: exit status" 0 $?
sec_conf '[rate]\nsimple_interval = 0\n'
sec_as ncap-alice "$SEC_H" stream -i lo --type simple --time-limit 1 > /dev/null 2> "$T/s4.err" < /dev/null
assert_eq "simple_interval = 0: exit status" 0 $?

# 9. Per-user stream cap from nodecap.conf.
sec_conf '[streams]\nmax_per_user = 1\n'
setpriv --reuid=ncap-alice --regid=ncap-alice --init-groups \
  "$SEC_H" stream -i lo > /dev/null 2>&1 < <(sleep 30) &
pid=$!; PIDS+=($pid)
sleep 1
sec_as ncap-alice "$SEC_H" stream -i lo --time-limit 1 > /dev/null 2> "$T/c.err" < /dev/null
assert_eq "second concurrent stream: exit status" 4 $?
assert_eq "second concurrent stream: message" \
  "nodecap-helper: too many concurrent streams for ncap-alice (limit 1); stop one first" "$(cat "$T/c.err")"
kill -TERM $pid; wait $pid

# 10. A saved job's detached worker: every uid becomes the service user, no
#     capability is left, and the caller cannot signal it; stop goes through
#     the helper and the policy.
sec_conf ''
sec_policy '[grant]\ncapture.save = ncap-alice\n'
sec_as ncap-alice "$SEC_H" start -i lo --time-limit 60 --json > "$T/job.json" 2> "$T/job.err" < /dev/null
assert_eq "start as alice: exit status" 0 $?
wpid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["worker_pid"])' "$T/job.json" 2>/dev/null)
SVC=$(id -u "$SEC_SVC")
if [ -n "$wpid" ] && [ -r /proc/$wpid/status ]; then
  PIDS+=($wpid)
  st=/proc/$wpid/status
  assert_eq "worker Uid (real effective saved fs)" "$SVC $SVC $SVC $SVC" "$(awk '/^Uid:/{print $2, $3, $4, $5}' $st)"
  SVCG=$(getent group "$SEC_SVC" | cut -d: -f3)
  assert_eq "worker Gid (real effective saved fs)" "$SVCG $SVCG $SVCG $SVCG" "$(awk '/^Gid:/{print $2, $3, $4, $5}' $st)"
  assert_eq "worker CapEff" 0000000000000000 "$(awk '/^CapEff:/{print $2}' $st)"
  assert_eq "worker CapPrm" 0000000000000000 "$(awk '/^CapPrm:/{print $2}' $st)"
  sec_as ncap-alice kill -TERM "$wpid" 2> /dev/null
  assert_eq "alice cannot signal the worker" 1 $?
  sec_as ncap-alice "$SEC_H" stop > /dev/null 2> "$T/stop.err" < /dev/null
  assert_eq "stop as alice (capture.save): exit status" 0 $?
  wait_gone "$wpid" 10 && ok "worker ended after stop" || fail "worker still running after stop"
else
  fail "no running worker after start: $(cat "$T/job.err")"
fi
sec_policy ''
sec_as ncap-alice "$SEC_H" start -i lo --time-limit 60 > /dev/null 2> "$T/job2.err" < /dev/null
assert_eq "start without capture.save: exit status" 3 $?
assert_match "start without capture.save: message" "^nodecap-helper: permission denied: capture\.save for user ncap-alice \(groups: [^)]*\): not granted in $SEC_P/etc/policy\.conf \(the node's admin adds \"capture\.save = ncap-alice\" under \[grant\]\)$" "$(cat "$T/job2.err")"

# 11. Every denial above is in the audit file, as JSON lines.
n=$(python3 - "$SEC_P/log/audit.log" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1]):
    e = json.loads(line)
    for k in ("time", "user", "uid", "verb", "args", "result", "reason", "peer"):
        assert k in e, (k, line)
    n += e["result"] == "denied"
print(n)
PY
)
# sections 1-6: eight refused callers; section 10: one
assert_eq "denials in the audit file" 9 "$n"

summary
