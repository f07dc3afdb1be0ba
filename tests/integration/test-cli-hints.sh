#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every command nodecap suggests keeps the connection options as given
# (-p, -l, --sshkey, --known-hosts, --remote-helper ...) and runs as
# printed: the test runs each printed hint and checks it did its job.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/sshd.sh"
. "$(dirname "$0")/jobs-lib.sh"
jobs_cli_setup
# The key under a path with a space: the hint must quote it.
mkdir -p "$NCAP_TMP/my keys"
cp "$NCAP_SSH_KEY" "$NCAP_TMP/my keys/id"
SSHO=(-p "$NCAP_SSH_PORT" -l root --sshkey "$NCAP_TMP/my keys/id" --known-hosts "$NCAP_KNOWN_HOSTS"
  --remote-helper "$NCAP_HELPER")

# The "(... nodecap VERB ...)" command in an error line, run through bash with
# nodecap meaning this build's binary.
hint_of() { grep -o 'nodecap [a-z]\+ [^()]*)' <<<"$1" | tail -1 | sed 's/)$//'; }
run_hint() {
  local cmd=$1
  [[ -n "$cmd" ]] || ncap_fail "no hint found"
  (nodecap() { "$X" "$@"; }; eval "$cmd")
}

"$X" start 127.0.0.1 "${SSHO[@]}" -i lo -f "udp port 9" --json >"$NCAP_TMP/start.json" 2>"$NCAP_TMP/start.err" ||
  ncap_fail "start: $(cat "$NCAP_TMP/start.err")"
ID=$(jget "$NCAP_TMP/start.json" 'j["id"]')

# 1. fetch of a running job: "stop it first (nodecap stop ...)".
"$X" fetch 127.0.0.1 "${SSHO[@]}" "$ID" -o "$NCAP_TMP" 2>"$NCAP_TMP/fetch.err"
ncap_assert_eq 4 $? "fetch of a running job"
h=$(hint_of "$(cat "$NCAP_TMP/fetch.err")")
ncap_log "fetch's hint: $h"
ncap_assert_eq "nodecap stop 127.0.0.1 -p $NCAP_SSH_PORT -l root --sshkey '$NCAP_TMP/my keys/id' --known-hosts $NCAP_KNOWN_HOSTS --remote-helper $NCAP_HELPER $ID" \
  "$h" "fetch's hint"

# 2. a second start: the node's own hint "(stop ID)" becomes the whole
# command; running it as printed stops the job.
"$X" start 127.0.0.1 "${SSHO[@]}" -i lo 2>"$NCAP_TMP/busy.err"
ncap_assert_eq 4 $? "second start"
h=$(hint_of "$(cat "$NCAP_TMP/busy.err")")
ncap_log "start's hint: $h"
ncap_assert_contains "$h" "nodecap stop 127.0.0.1 -p $NCAP_SSH_PORT -l root --sshkey '$NCAP_TMP/my keys/id'" "start's hint"
run_hint "$h" >"$NCAP_TMP/stop.out" 2>"$NCAP_TMP/stop.err" || ncap_fail "the printed stop failed: $(cat "$NCAP_TMP/stop.err")"
st=$(HOME=$NCAP_TMP "$X" status 127.0.0.1 "${SSHO[@]}" "$ID" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
ncap_assert_eq success "$st" "job status after the printed stop"

# 3. a file the job does not have: "(see nodecap status ...)", runnable.
"$X" fetch 127.0.0.1 "${SSHO[@]}" "$ID" nosuch.pcapng -o "$NCAP_TMP" 2>"$NCAP_TMP/nofile.err"
ncap_assert_eq 5 $? "fetch of a file not in the record"
h=$(hint_of "$(cat "$NCAP_TMP/nofile.err")")
ncap_log "nofile: $(cat "$NCAP_TMP/nofile.err")"
ncap_assert_contains "$h" "nodecap status 127.0.0.1 -p $NCAP_SSH_PORT -l root" "status hint"
out=$(run_hint "$h") || ncap_fail "the printed status failed"
ncap_assert_contains "$out" "$ID" "output of the printed status"
ncap_log "ok"
