#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Errors reach the user through tshark as "Error by extcap pipe: <line>"
# (4.0; "Error from extcap pipe: <line>" in 4.4 and 4.6)
# with a non-zero exit, and leave nothing running on the node: a bad BPF
# (tshark -f and the dialog's filter), an unknown interface, a helper that
# is not installed on the node, an out-of-range option.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/sshd.sh"
ncap_sshd_start

# run_tshark NAME [args...]: capture that must fail; sets ERR (stderr text)
run_tshark() {
  local name=$1 rc
  shift
  timeout 30 tshark -i nodecap "${NCAP_TSHARK_OPTS[@]}" "$@" -a duration:10 \
    -w "$NCAP_TMP/$name.pcapng" 2>"$NCAP_TMP/$name.err"
  rc=$?
  ERR=$(grep -v 'Running as user "root"' "$NCAP_TMP/$name.err")
  ((rc != 0 && rc != 124)) || ncap_fail "$name: tshark exit $rc (want a quick failure): $ERR"
  ncap_assert_no_helper "$name"
}

# Bad BPF from tshark -f (arrives as --extcap-capture-filter).
run_tshark badbpf -o extcap.nodecap.remoteinterface:lo -f "udp prt 53"
ncap_assert_extcap_error "$ERR" "nodecap: 127.0.0.1: nodecap-helper: filter" "bad -f"
ncap_assert_contains "$ERR" "syntax error" "bad -f"
ncap_log "bad -f: $(grep 'Error by extcap' <<<"$ERR")"

# Bad BPF in the dialog's remote filter.
run_tshark badremote -o extcap.nodecap.remoteinterface:lo -o "extcap.nodecap.remotefilter:tcp portx 1"
ncap_assert_extcap_error "$ERR" "nodecap: 127.0.0.1: nodecap-helper: filter" "bad remote filter"

# Unknown interface on the node.
run_tshark noiface -o extcap.nodecap.remoteinterface:nosuch0
ncap_assert_extcap_error "$ERR" "nodecap: 127.0.0.1: nodecap-helper: interface \"nosuch0\": no such interface" "unknown interface"

# The helper is not installed on the node.
run_tshark nohelper -o extcap.nodecap.capturewith:helper -o extcap.nodecap.remoteinterface:lo -o extcap.nodecap.remotehelper:/nonexistent/nodecap-helper
ncap_assert_extcap_error "$ERR" "nodecap: 127.0.0.1: helper /nonexistent/nodecap-helper not found on the node (exit 127)" "missing helper"

# Out of range: refused before connecting.
run_tshark range -o extcap.nodecap.remoteinterface:lo -o extcap.nodecap.snaplen:999999
ncap_assert_extcap_error "$ERR" "nodecap: --snaplen 999999" "snaplen range"

# Nothing listening on the port.
dead=$(ncap_random_port 39000 39900)
run_tshark noserver -o extcap.nodecap.remoteinterface:lo -o extcap.nodecap.remoteport:$dead
ncap_assert_extcap_error "$ERR" "nodecap: cannot connect to 127.0.0.1 port $dead" "no server"

# The extcap's own exit status follows the helper's (2 = bad filter).
"$NCAP_BUILD/extcap/nodecap" --capture --extcap-interface nodecap --fifo "$NCAP_TMP/never" \
  --remote-host 127.0.0.1 --remote-port "$NCAP_SSH_PORT" --sshkey "$NCAP_SSH_KEY" \
  --known-hosts "$NCAP_KNOWN_HOSTS" --remote-helper "$NCAP_HELPER" \
  --remote-interface lo --remote-filter "udp prt 1" 2>"$NCAP_TMP/direct.err"
ncap_assert_eq 2 $? "extcap exit status on a bad filter"
ncap_assert_eq 1 "$(wc -l <"$NCAP_TMP/direct.err")" "stderr lines on a bad filter"
[[ ! -e "$NCAP_TMP/never" ]] || ncap_fail "the output was created although the helper failed"
ncap_log "PASS: bad -f, bad remote filter, unknown interface, missing helper, range, no server"
