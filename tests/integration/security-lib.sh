# SPDX-License-Identifier: GPL-2.0-or-later
# Shared setup of the policy/privilege/limits tests (sourced; not a test):
# real test users, the helper installed setuid/setgid ncaptest-svc +
# cap_net_raw+ep in a test prefix (lib/security.sh), a private temp dir,
# and run_denied.
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

# sec_audit_denials: the number of "denied" lines in the test helper's
# audit file, after checking every line is JSON with every field.
sec_audit_denials() {
  python3 - "$SEC_P/log/audit.log" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1]):
    e = json.loads(line)
    for k in ("time", "user", "uid", "verb", "args", "result", "reason", "peer"):
        assert k in e, (k, line)
    n += e["result"] == "denied"
print(n)
PY
}
