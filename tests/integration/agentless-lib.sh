# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by the agentless tests (sourced; not a test), after lib/common.sh.

# agentless_one_error LEFT NAME WANT_RC WANT_TEXT ARGS...: `nodecap
# capture` on 127.0.0.1's lo ("$NC", "${OPTS[@]}", $PORT of the test) with
# ARGS fails with exactly one line containing WANT_TEXT and exit WANT_RC,
# writes no packet, and then the function LEFT NAME finds nothing left
# running on the node.
agentless_one_error() {
  local left=$1 name=$2 want_rc=$3 want=$4 rc
  shift 4
  : >"$NCAP_EXTCAP_LOG"
  "$NC" capture 127.0.0.1 "${OPTS[@]}" -i lo -f "udp port $PORT" -w "$NCAP_TMP/$name.pcapng" "$@" \
    >/dev/null 2>"$NCAP_TMP/$name.err"
  rc=$?
  ncap_log "$name: exit $rc: $(cat "$NCAP_TMP/$name.err")"
  ncap_assert_eq "$want_rc" "$rc" "$name: exit status"
  ncap_assert_eq 1 "$(wc -l <"$NCAP_TMP/$name.err")" "$name: lines on stderr"
  ncap_assert_contains "$(cat "$NCAP_TMP/$name.err")" "$want" "$name: message"
  [[ ! -s "$NCAP_TMP/$name.pcapng" ]] || ncap_fail "$name: output written"
  "$left" "$name"
}
