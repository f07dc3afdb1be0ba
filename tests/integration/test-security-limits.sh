#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Per-user limits of the helper, with real users and the helper installed
# setuid/setgid ncaptest-svc + cap_net_raw+ep: one simple capture a minute
# (configurable) and the concurrent-stream cap of nodecap.conf.
. "$(dirname "$0")/security-lib.sh"

sec_policy '[grant]\ncapture.stream = ncap-alice\n'

# 1. One simple request a minute: the second is refused with the wait.
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

# 2. Per-user stream cap from nodecap.conf.
sec_conf '[streams]\nmax_per_user = 1\n'
setpriv --reuid=ncap-alice --regid=ncap-alice --init-groups \
  "$SEC_H" stream -i lo > /dev/null 2>&1 < <(sleep 30) &
pid=$!; PIDS+=($pid)
sleep 1
sec_as ncap-alice "$SEC_H" stream -i lo --time-limit 1 > /dev/null 2> "$T/c.err" < /dev/null
assert_eq "second concurrent stream: exit status" 4 $?
assert_eq "second concurrent stream: message" \
  "nodecap-helper: too many concurrent streams for ncap-alice (limit 1, nodecap.conf [streams] max_per_user; each interface of a capture is one); stop one first" "$(cat "$T/c.err")"
kill -TERM $pid; wait $pid

summary
