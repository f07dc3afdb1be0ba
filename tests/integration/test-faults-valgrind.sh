#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The main path under valgrind: `nodecap capture` (the CLI) against the
# local sshd harness, and `nodecap-helper stream` run locally, each a
# short capture with real traffic, under memcheck with
# --error-exitcode=99 and definite leaks counted as errors. Suppressions:
# tests/valgrind.supp (one-time library allocations only).
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/assert.sh"
source "$(dirname "$0")/../lib/sshd.sh"
command -v valgrind >/dev/null || ncap_fail "valgrind missing (apt-get install valgrind)"
ncap_sshd_start
PORT=47461
export G_SLICE=always-malloc G_DEBUG=gc-friendly
VG=(valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
  --show-leak-kinds=definite --suppressions="$NCAP_SRC/tests/valgrind.supp" --num-callers=30)

# 1. The CLI, end to end over SSH: a packet limit ends it.
# shellcheck disable=SC2046
"${VG[@]}" --log-file="$NCAP_TMP/vg-cli.log" "$NCAP_BUILD/extcap/nodecap" capture 127.0.0.1 \
  $(ncap_cli_ssh_opts) -i lo -f "udp port $PORT" --packet-limit 200 \
  -w "$NCAP_TMP/cli.pcapng" 2>"$NCAP_TMP/cli.err" &
CLI=$!
ncap_on_exit "kill -9 $CLI"
ncap_wait_helper 60
sleep 1
(for i in 1 2 3 4 5 6 7 8 9 10; do ncap_send_udp 50 "$PORT" vg; sleep 0.5; kill -0 $CLI 2>/dev/null || break; done) &
ncap_wait_pid_exit "$CLI" 60
rc=$?
assert_eq "CLI under valgrind: exit status (99 = valgrind errors)" 0 "$rc"
grep -E "ERROR SUMMARY|definitely lost" "$NCAP_TMP/vg-cli.log" | sed 's/^==[0-9]*== /   cli: /'
[[ $rc -eq 0 ]] || sed -n '/Invalid\|uninitialised\|definitely lost in/,+25p' "$NCAP_TMP/vg-cli.log" | head -80
assert_eq "CLI packets" 200 "$(tshark -r "$NCAP_TMP/cli.pcapng" 2>/dev/null | wc -l)"
ncap_assert_no_helper "after the CLI" 10

# 2. The helper's stream, locally (no SSH): stdin EOF after the traffic.
export NCAP_SYSCONFDIR=$NCAP_NODE_ETC NCAP_STATEDIR=$NCAP_NODE_STATE \
  NCAP_CAPTURESDIR=$NCAP_NODE_CAPTURES NCAP_AUDITLOG=$NCAP_NODE_AUDIT
mkfifo "$NCAP_TMP/in"
"${VG[@]}" --log-file="$NCAP_TMP/vg-helper.log" "$NCAP_HELPER" stream --node vg -i lo \
  -f "udp port $PORT" <"$NCAP_TMP/in" >"$NCAP_TMP/helper.pcapng" 2>"$NCAP_TMP/helper.err" &
HS=$!
ncap_on_exit "kill -9 $HS"
exec 8>"$NCAP_TMP/in"
ncap_wait_for 60 bash -c "[ -s '$NCAP_TMP/helper.pcapng' ]" || ncap_fail "the helper under valgrind wrote nothing: $(cat "$NCAP_TMP/helper.err")"
sleep 1
ncap_send_udp 300 "$PORT" vh
sleep 2
exec 8>&-   # EOF on stdin: the helper flushes and ends
ncap_wait_pid_exit "$HS" 60
rc=$?
assert_eq "helper stream under valgrind: exit status (99 = valgrind errors)" 0 "$rc"
grep -E "ERROR SUMMARY|definitely lost" "$NCAP_TMP/vg-helper.log" | sed 's/^==[0-9]*== /   helper: /'
[[ $rc -eq 0 ]] || sed -n '/Invalid\|uninitialised\|definitely lost in/,+25p' "$NCAP_TMP/vg-helper.log" | head -80
assert_eq "helper packets" 300 "$(tshark -r "$NCAP_TMP/helper.pcapng" 2>/dev/null | wc -l)"
assert_empty "nodecap-helper processes left" "$(ncap_helper_pids)"
summary
