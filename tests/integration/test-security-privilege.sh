#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The privilege model, with real users and the helper installed
# setuid/setgid ncaptest-svc + cap_net_raw+ep (never root): CapEff 0 and the
# caller's uids while a stream runs, path overrides ignored when AT_SECURE,
# a saved job's worker as the service user that the caller cannot signal.
# The policy itself: test-security-policy.sh; limits:
# test-security-limits.sh.
. "$(dirname "$0")/security-lib.sh"

# 1. Granted by name: a real capture as alice, privileges dropped while it runs.
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

# 2. AT_SECURE: a policy of the caller's own choosing is ignored.
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

# 3. A saved job's detached worker: every uid becomes the service user, no
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

# Every denial above is in the audit file, as JSON lines.
n=$(sec_audit_denials)
# sections 2 and 3: one refused caller each
assert_eq "denials in the audit file" 2 "$n"


summary
