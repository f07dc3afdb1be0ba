# SPDX-License-Identifier: GPL-2.0-or-later
# Tiny assertion helpers for the integration tests: each check prints one
# "ok"/"FAIL" line; `summary` prints "N passed, N failed" and sets the
# exit status.
NCAP_PASS=0
NCAP_FAIL=0
ok()   { NCAP_PASS=$((NCAP_PASS + 1)); echo "ok: $*"; }
fail() { NCAP_FAIL=$((NCAP_FAIL + 1)); echo "FAIL: $*"; }
assert_eq() {   # what expected actual
  if [ "$2" == "$3" ]; then ok "$1 = $3"; else fail "$1: expected '$2', got '$3'"; fi
}
assert_empty() { if [ -z "$2" ]; then ok "$1 empty"; else fail "$1 not empty: $2"; fi; }
assert_match() {  # what regex actual
  if [[ "$3" =~ $2 ]]; then ok "$1 matches /$2/"; else fail "$1: '$3' does not match /$2/"; fi
}
# wait_gone PID SECONDS: true once the process is gone (or a zombie).
wait_gone() {
  local pid=$1 t=$(( $2 * 10 ))
  while [ $t -gt 0 ]; do
    if ! kill -0 "$pid" 2>/dev/null; then return 0; fi
    if [ "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" = Z ]; then return 0; fi
    sleep 0.1; t=$((t - 1))
  done
  return 1
}
summary() {
  echo "$NCAP_PASS passed, $NCAP_FAIL failed"
  [ "$NCAP_FAIL" -eq 0 ]
}
# tshark/capinfos stderr minus the "Running as user root" notice, which
# is not a warning about the file.
real_warnings() { grep -v 'Running as user "root"' "$1" || true; }
