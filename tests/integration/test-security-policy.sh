#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The permission policy, with real users and the helper installed
# setuid/setgid ncaptest-svc + cap_net_raw+ep (never root): nobody by
# default (root included), grants by name and @group, deny over grant, a
# policy file others could write refused, and the audit trail of it.
# Privilege drop: test-security-privilege.sh; rate and stream limits:
# test-security-limits.sh.
. "$(dirname "$0")/security-lib.sh"

# 1. Empty policy: nobody, not even root.
sec_policy ''
run_denied ncap-alice "no grant, alice"
run_denied root "no grant, root"

# 2. Grants name other users only.
sec_policy '[grant]\ncapture.stream = ncap-carol\ncaptures.read = ncap-alice\n'
run_denied ncap-alice "alice granted another permission only"

# 3. Granted through @group: bob is in ncap-ops.
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

# 4. Deny overrides every grant: carol is in the granted group, bob is
#    granted by name and by group, both are denied; alice by @group.
sec_policy '[grant]\ncapture.stream = @ncap-ops;ncap-bob;ncap-alice\n[deny]\ncapture.stream = ncap-bob;ncap-carol\n'
run_denied ncap-bob "bob granted but denied by name"
run_denied ncap-carol "carol granted by group, denied by name"
sec_policy '[grant]\ncapture.stream = ncap-alice\n[deny]\ncapture.stream = @ncap-alice\n'
run_denied ncap-alice "alice granted by name, denied by her group"

# 5. A policy file others could have written is refused.
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

# Every denial above is in the audit file, as JSON lines.
n=$(sec_audit_denials)
# sections 1-4: seven refused callers
assert_eq "denials in the audit file" 7 "$n"


summary
