#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Failures of helper-less capture (issue 24), each one line with its own
# exit status and nothing left running. The node's sshd gives sessions a
# PATH of one directory holding sh, the few tools the wrapper uses and
# tcpdump — no nodecap-helper, no dumpcap:
#  - auto without helper and dumpcap: captured with tcpdump; --time-limit
#    ends it (the wrapper's clock);
#  - --capture-with dumpcap: "no capture program on the node", exit 17
#    (CLI, and tshark's "Error by extcap pipe:");
#  - (--remote-priv sudo/doas asking for a password, exit 18: the real
#    programs for a non-root login in test-agentless-priv);
#  - --sample with tcpdump: refused before connecting, exit 2;
#  - `nodecap start` (a saved capture): needs the helper, says so, exit 13.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/sshd.sh"
MIN=$NCAP_TMP/minbin
mkdir -p "$MIN"
for t in sh head ls mktemp wc sleep rm cat; do ln -s "$(command -v $t)" "$MIN/$t"; done
ln -s "$(command -v tcpdump)" "$MIN/tcpdump"
chmod 755 "$MIN"
chmod 755 "$NCAP_TMP"
export NCAP_SSHD_SETENV="PATH=$MIN"
ncap_sshd_start
NC=$NCAP_BUILD/extcap/nodecap
PORT=$(ncap_random_port 40000 49000)
NOHELPER=nodecap-helper  # by name: not in the node's PATH
prog_pids() { pgrep -af -- "udp port $PORT" | grep -e nodecap-agentless -e ' -w - ' | cut -d' ' -f1 || true; }
_no_prog() { [[ -z "$(prog_pids)" ]]; }
# shellcheck disable=SC2207
OPTS=($(ncap_cli_ssh_opts | sed "s#--remote-helper [^ ]*#--remote-helper $NOHELPER#") --log-level info --log-file "$NCAP_EXTCAP_LOG")

# auto: no helper, no dumpcap -> tcpdump
: >"$NCAP_EXTCAP_LOG"
"$NC" capture 127.0.0.1 "${OPTS[@]}" -i lo -f "udp port $PORT" --packet-limit 5 -w "$NCAP_TMP/auto.pcapng" 2>"$NCAP_TMP/auto.err" &
cpid=$!
ncap_on_exit "kill -9 $cpid"
ncap_wait_for 45 grep -q "first bytes from the helper" "$NCAP_EXTCAP_LOG" || ncap_fail "auto: did not start: $(cat "$NCAP_TMP/auto.err")"
ncap_send_udp 5 "$PORT" auto
ncap_wait_pid_exit $cpid 30 || ncap_fail "auto: exit $?: $(cat "$NCAP_TMP/auto.err")"
grep -q "capturing with tcpdump" "$NCAP_EXTCAP_LOG" || ncap_fail "auto did not fall back to tcpdump: $(grep -i 'helper\|capturing' "$NCAP_EXTCAP_LOG" | tail -3)"
ncap_assert_eq 5 "$(tshark -r "$NCAP_TMP/auto.pcapng" 2>/dev/null | wc -l)" "auto: packets"

# --time-limit: the wrapper on the node ends tcpdump (it has no such option).
t0=$SECONDS
"$NC" capture 127.0.0.1 "${OPTS[@]}" --capture-with tcpdump -i lo -f "udp port $PORT" --time-limit 2 \
  -w "$NCAP_TMP/tl.pcapng" 2>"$NCAP_TMP/tl.err" || ncap_fail "--time-limit: exit $?: $(cat "$NCAP_TMP/tl.err")"
dt=$((SECONDS - t0))
((dt >= 2 && dt <= 15)) || ncap_fail "--time-limit 2 took ${dt}s"
ncap_wait_for 5 _no_prog || ncap_fail "--time-limit: tcpdump left"
ncap_log "--time-limit 2 with tcpdump: ended after ${dt}s"

# one_error NAME WANT_RC WANT_TEXT ARGS...: the CLI fails with one line.
source "$(dirname "$0")/agentless-lib.sh"
prog_left() { ncap_wait_for 10 _no_prog || ncap_fail "$1: capture program left on the node"; }
one_error() { agentless_one_error prog_left "$@"; }
one_error no-dumpcap 17 "127.0.0.1: no capture program on the node (dumpcap not found" --capture-with dumpcap
one_error sample 2 "--sample needs nodecap-helper on the node" --capture-with tcpdump --sample 10

# Saved captures need the helper: `start` says so.
"$NC" start 127.0.0.1 "${OPTS[@]}" -i lo >/dev/null 2>"$NCAP_TMP/start.err"
rc=$?
ncap_log "start without the helper: exit $rc: $(cat "$NCAP_TMP/start.err")"
ncap_assert_eq 13 "$rc" "start without the helper: exit status"
ncap_assert_contains "$(cat "$NCAP_TMP/start.err")" "saved captures need nodecap-helper" "start without the helper"

# The same refusal through tshark.
tshark -i nodecap "${NCAP_TSHARK_OPTS[@]}" -o "extcap.nodecap.remotehelper:$NOHELPER" \
  -o extcap.nodecap.capturewith:dumpcap -o extcap.nodecap.remoteinterface:lo \
  -f "udp port $PORT" -a duration:20 -w "$NCAP_TMP/t.pcapng" >/dev/null 2>"$NCAP_TMP/t.err"
grep -qE "Error (by|from) extcap pipe: nodecap: 127.0.0.1: no capture program on the node" "$NCAP_TMP/t.err" ||
  ncap_fail "tshark did not show the error: $(cat "$NCAP_TMP/t.err")"
ncap_wait_for 10 _no_prog || ncap_fail "tshark: capture program left on the node"
# The interface list made without the helper is bounded as the helper's:
# a node's `ip -o link` naming an interface with a terminal escape or with
# braces (an extcap field's end) has it left out, not printed.
cat >"$MIN/ip" <<'SH'
#!/bin/sh
printf '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536\n'
printf '2: ev\033]0;owned\007il: <BROADCAST,UP> mtu 1500\n'
printf '3: x}{display=fake}{default=true: <BROADCAST,UP> mtu 1500\n'
SH
chmod 755 "$MIN/ip"
# shellcheck disable=SC2046
"$NC" interfaces 127.0.0.1 $(ncap_cli_ssh_opts) --remote-helper "$NOHELPER" >"$NCAP_TMP/ifs.txt" 2>"$NCAP_TMP/ifs.err" ||
  ncap_fail "interfaces without the helper: exit $?: $(cat "$NCAP_TMP/ifs.err")"
grep -q '^lo ' "$NCAP_TMP/ifs.txt" || ncap_fail "interfaces: lo missing: $(cat "$NCAP_TMP/ifs.txt")"
! grep -q $'\033' "$NCAP_TMP/ifs.txt" || ncap_fail "interfaces: the node's escape sequence reached the terminal"
! grep -q '[{}]' "$NCAP_TMP/ifs.txt" || ncap_fail "interfaces: a name with braces was listed: $(cat "$NCAP_TMP/ifs.txt")"
rm -f "$MIN/ip"
# A node whose listing answers less than its own tag ("x", exit 0) gives
# an empty list, read within the answer (valgrind: no uninitialised read).
mv "$MIN/sh" "$MIN/sh.real"
printf '#!/bin/bash\nprintf x\n' >"$MIN/sh"
chmod 755 "$MIN/sh"
# Under the sanitizer pass the binary carries ASan, which checks the same
# read itself (valgrind cannot run an ASan binary).
MEMCHECK=(valgrind -q --error-exitcode=99)
ldd "$NC" | grep -q libasan && MEMCHECK=()
# shellcheck disable=SC2046
"${MEMCHECK[@]}" "$NC" interfaces 127.0.0.1 $(ncap_cli_ssh_opts) --remote-helper "$NOHELPER" \
  >"$NCAP_TMP/ifs-short.txt" 2>"$NCAP_TMP/ifs-short.err"
rc=$?
mv -f "$MIN/sh.real" "$MIN/sh"
ncap_assert_eq 0 "$rc" "interfaces with a short answer: exit status (99 = valgrind errors; 134 = an ASan report): $(head -c 600 "$NCAP_TMP/ifs-short.err")"
ncap_log "PASS: auto -> tcpdump; no dumpcap exit 17; --sample refused exit 2; tshark shows the line"
