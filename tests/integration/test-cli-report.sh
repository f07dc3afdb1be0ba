#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What `nodecap capture` shows (docs/cli.md "What capture prints"): on a
# terminal (a real pty) the "capturing on" line, a live status line
# redrawn in place, tcpdump's closing summary; in a pipe or with -q only
# the summary, on stderr; --json one JSON object, for several nodes.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/sshd.sh"
ncap_sshd_start
X="$NCAP_BUILD/extcap/nodecap"
PTY="$NCAP_SRC/tests/lib/pty-run.py"
PORT=$(ncap_random_port 40000 49000)
SSHO=(-p "$NCAP_SSH_PORT" --sshkey "$NCAP_SSH_KEY" --known-hosts "$NCAP_KNOWN_HOSTS"
  --remote-helper "$NCAP_HELPER" --log-level info --log-file "$NCAP_EXTCAP_LOG")
# A second name for the same node, for a two-node capture.
echo "[localhost]:$NCAP_SSH_PORT $(cut -d' ' -f1,2 "$NCAP_TMP/sshd/host_ed25519.pub")" >>"$NCAP_KNOWN_HOSTS"

# send_when FILE REGEX COUNT TAG: once FILE matches REGEX, COUNT datagrams.
send_when() {
  ncap_wait_for 30 grep -aq "$2" "$1" || return 1
  sleep 0.3
  ncap_send_udp "$3" "$PORT" "$4"
}

# 1. On a terminal: the capturing line, the live line, Ctrl-C, the summary.
T="$NCAP_TMP/tty.txt"
: >"$T"
send_when "$T" "capturing on 127.0.0.1:lo" 20 tty &
sender=$!
"$PTY" --transcript "$T" --timeout 40 --int-when '127\.0\.0\.1: 20 packets, ' -- \
  "$X" capture 127.0.0.1 "${SSHO[@]}" -i lo -f "udp port $PORT" -w "$NCAP_TMP/tty.pcapng"
rc=$?
wait $sender
ncap_assert_eq 0 "$rc" "capture on a tty, Ctrl-C: $(cat -A "$T" | tail -5)"
tty_text=$(cat "$T")
ncap_assert_contains "$tty_text" "capturing on 127.0.0.1:lo (Ctrl-C to stop)" "capturing line"
ncap_assert_contains "$tty_text" $'\r\e[K127.0.0.1: 20 packets, 2.1 kB, 0 dropped' "live status line"
ncap_assert_contains "$tty_text" "127.0.0.1: 20 packets captured, 20 received by filter, 0 dropped" "summary on the tty"
# The status line is redrawn in place: between the capturing line and the
# summary there is exactly one line feed, however many redraws.
nl=$(sed -n '/capturing on/,/packets captured/p' "$T" | wc -l)
ncap_assert_eq 3 "$nl" "lines from 'capturing on' to the summary (status line scrolled?)"
ncap_assert_eq 20 "$(tshark -r "$NCAP_TMP/tty.pcapng" 2>/dev/null | wc -l)" "packets in the tty capture"
ncap_log "tty transcript: $(tr '\r' '~' <"$T" | tail -3)"

# 2. In a pipe: nothing on stdout, the summary on stderr.
: >"$NCAP_EXTCAP_LOG"
timeout 30 "$X" capture 127.0.0.1 "${SSHO[@]}" -i lo -f "udp port $PORT" --packet-limit 7 \
  -w "$NCAP_TMP/pipe.pcapng" >"$NCAP_TMP/pipe.out" 2>"$NCAP_TMP/pipe.err" &
x=$!
ncap_wait_stream 20
ncap_send_udp 7 "$PORT" pipe
wait $x
ncap_assert_eq 0 $? "capture in a pipe: $(cat "$NCAP_TMP/pipe.err")"
ncap_assert_eq "" "$(cat "$NCAP_TMP/pipe.out")" "stdout of a piped capture"
ncap_assert_eq "127.0.0.1: 7 packets captured, 7 received by filter, 0 dropped" \
  "$(cat "$NCAP_TMP/pipe.err")" "stderr of a piped capture"

# 3. -q on a terminal: no capturing line, no status line, the summary.
T="$NCAP_TMP/quiet.txt"
: >"$T"
: >"$NCAP_EXTCAP_LOG"
(ncap_wait_stream 20 && ncap_send_udp 4 "$PORT" quiet) &
sender=$!
"$PTY" --transcript "$T" --timeout 40 -- \
  "$X" capture 127.0.0.1 "${SSHO[@]}" -q -i lo -f "udp port $PORT" --packet-limit 4 -w "$NCAP_TMP/quiet.pcapng"
ncap_assert_eq 0 $? "capture -q on a tty: $(cat "$T")"
wait $sender
[[ "$(cat "$T")" != *"capturing on"* && "$(cat "$T")" != *$'\r\e[K'* ]] ||
  ncap_fail "-q drew a status line: $(cat -A "$T")"
ncap_assert_contains "$(cat "$T")" "127.0.0.1: 4 packets captured, 4 received by filter, 0 dropped" "summary with -q"

# 4. --json, two nodes (two names of this node), pcapng on stdout: the
# summary is one JSON object on stderr.
: >"$NCAP_EXTCAP_LOG"
timeout 40 "$X" capture 127.0.0.1,localhost "${SSHO[@]}" --json -i lo -f "udp port $PORT" \
  --packet-limit 5 -w - >"$NCAP_TMP/json.pcapng" 2>"$NCAP_TMP/json.err" &
x=$!
ncap_wait_for 30 grep -q "first bytes from the helper" "$NCAP_EXTCAP_LOG"
sleep 1
ncap_send_udp 5 "$PORT" json
wait $x
ncap_assert_eq 0 $? "capture --json: $(cat "$NCAP_TMP/json.err")"
python3 - "$NCAP_TMP/json.err" <<'PY' || ncap_fail "--json summary: $(cat "$NCAP_TMP/json.err")"
import json, sys
j = json.loads(open(sys.argv[1]).read())
nodes = {n["node"]: n for n in j["nodes"]}
assert set(nodes) == {"127.0.0.1", "localhost"}, nodes
for name, n in nodes.items():
    assert n["packets_captured"] == 5, n
    assert n["received_by_filter"] >= 5, n
    assert n["result"] == "ok", n
    assert n["interfaces"] == [name + ":lo"], n
assert j["packets_captured"] == 10, j
PY
ncap_assert_eq 10 "$(tshark -r "$NCAP_TMP/json.pcapng" 2>/dev/null | wc -l)" "packets of the two-node capture"
# 5. interfaces: a header row, then aligned columns.
"$X" interfaces 127.0.0.1 "${SSHO[@]}" >"$NCAP_TMP/if.out" || ncap_fail "interfaces"
ncap_log "interfaces:"$'\n'"$(cat "$NCAP_TMP/if.out")"
python3 - "$NCAP_TMP/if.out" <<'PY' || ncap_fail "interfaces table: $(cat "$NCAP_TMP/if.out")"
import sys
lines = open(sys.argv[1]).read().splitlines()
head = lines[0]
assert head.split() == ["NAME", "STATE", "ADDRESSES", "DESCRIPTION"], head
cols = [head.index(c) for c in ("STATE", "ADDRESSES")]
assert any(l.split()[0] == "lo" for l in lines[1:]), lines
for l in lines[1:]:
    for c in cols:
        assert l[c - 2:c] == "  " and l[c] != " ", (l, head)
PY
ncap_assert_no_helper "report tests"
ncap_log "ok"
