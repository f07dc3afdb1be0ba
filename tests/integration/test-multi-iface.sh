#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Several interfaces of one node in one capture (docs/cli.md "Several
# interfaces"): `nodecap capture -i lo,DUM` (and -i repeated), tshark with
# extcap.nodecap.remoteinterface:lo,DUM, and --capture-with tcpdump, against
# a real sshd on this machine. DUM is one end of a veth pair made here
# (198.51.100.1/24, TEST-NET-2; the peer, .2, in a namespace of its own):
# datagrams to 198.51.100.2 leave through it, those to 127.0.0.1 through lo. Each run: one pcapng interface per
# source named 127.0.0.1:lo / 127.0.0.1:DUM, each with exactly the
# datagrams sent on it, in time order, and no helper left; on a pty the
# capturing line, status line and summary name each source. Then the
# refusals (exit 2, `start` with a list too), a missing interface (exit 20
# naming it) and the per-user stream limit (three interfaces, default 2).
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/sshd.sh"
ncap_sshd_start
X="$NCAP_BUILD/extcap/nodecap"
PORT=$(ncap_random_port 40000 49000)
SSHO=(-p "$NCAP_SSH_PORT" --sshkey "$NCAP_SSH_KEY" --known-hosts "$NCAP_KNOWN_HOSTS"
  --remote-helper "$NCAP_HELPER" --log-level info --log-file "$NCAP_EXTCAP_LOG")
ORDER="$NCAP_SRC/tests/lib/order-check.py"

DUM="nmi$$a"
DUM2="nmi$$b"
NS="ncap-mi-$$"
ip netns add "$NS" || ncap_fail "ip netns add"
ncap_on_exit "ip netns del $NS"
ip link add "$DUM" type veth peer name nmipeer netns "$NS" || ncap_fail "veth $DUM"
ncap_on_exit "ip link del $DUM"
ip addr add 198.51.100.1/24 dev "$DUM" && ip link set "$DUM" up || ncap_fail "$DUM up"
ip -n "$NS" addr add 198.51.100.2/24 dev nmipeer && ip -n "$NS" link set nmipeer up || ncap_fail "peer up"
ip link add "$DUM2" type veth peer name "${DUM2}p" || ncap_fail "veth $DUM2"
ncap_on_exit "ip link del $DUM2"
ip link set "$DUM2" up && ip link set "${DUM2}p" up || ncap_fail "$DUM2 up"
# A permanent neighbour: no ARP, only the datagrams cross DUM.
mac=$(ip -n "$NS" -o link show nmipeer | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
ip neigh replace 198.51.100.2 lladdr "$mac" dev "$DUM" nud permanent || ncap_fail "neighbour 198.51.100.2"

# send N_LO N_DUM TAG: datagrams to lo and to the dummy.
send() {
  ncap_send_udp "$1" "$PORT" "$3-lo"
  python3 "$NCAP_SRC/tests/lib/udpgen.py" --dst 198.51.100.2 --port "$PORT" --count "$2" --size 64
}
# Both sources' helpers have sent their first bytes.
_two_streams() { (($(grep -c "first bytes from the helper" "$NCAP_EXTCAP_LOG") >= 2)); }
wait_two() { ncap_wait_for 45 _two_streams || ncap_fail "two streams did not start: $(tail -5 "$NCAP_EXTCAP_LOG")"; }
# check FILE N_LO N_DUM WHAT: two interfaces, named, counted, in order.
check() {
  local f=$1 what=$4
  ncap_assert_file_clean "$f"
  ncap_assert_eq 2 "$(sed -n 's/^Number of interfaces in file: *//p' "$NCAP_TMP/capinfos.out")" "$what: interfaces"
  local per
  per=$(tshark -r "$f" -T fields -e frame.interface_name 2>/dev/null | sort | uniq -c | awk '{print $2 "=" $1}' | paste -sd,)
  ncap_assert_eq "127.0.0.1:lo=$2,127.0.0.1:$DUM=$3" "$per" "$what: datagrams per interface"
  local o
  o=$(tshark -r "$f" -T fields -e frame.time_epoch -e frame.comment -e frame.interface_name 2>/dev/null | python3 "$ORDER")
  [[ "$o" == *" late 0 "* ]] || ncap_fail "$what: not in time order: $o"
  ncap_log "$what: $per; $o"
}

# 1. CLI, comma list, --json, ended by Ctrl-C (SIGINT).
: >"$NCAP_EXTCAP_LOG"
"$X" capture 127.0.0.1 "${SSHO[@]}" --json -i "lo,$DUM" -f "udp port $PORT" \
  -w "$NCAP_TMP/cli.pcapng" >"$NCAP_TMP/cli.json" 2>"$NCAP_TMP/cli.err" &
x=$!
ncap_on_exit "kill -9 $x"
wait_two
send 30 20 cli
sleep 1.5
kill -INT $x
ncap_wait_pid_exit $x 30
ncap_assert_eq 0 $? "capture -i lo,$DUM: $(cat "$NCAP_TMP/cli.err")"
check "$NCAP_TMP/cli.pcapng" 30 20 "CLI -i lo,$DUM"
python3 - "$NCAP_TMP/cli.json" "$DUM" <<'PY' || ncap_fail "--json: $(cat "$NCAP_TMP/cli.json")"
import json, sys
j = json.load(open(sys.argv[1]))
src = {n["source"]: n for n in j["nodes"]}
dum = "127.0.0.1:" + sys.argv[2]
assert sorted(src) == sorted(["127.0.0.1:lo", dum]), src.keys()
assert all(n["node"] == "127.0.0.1" for n in j["nodes"]), j
assert src["127.0.0.1:lo"]["packets_captured"] == 30, src
assert src[dum]["packets_captured"] == 20, src
assert src["127.0.0.1:lo"]["interfaces"] == ["127.0.0.1:lo"], src
assert src[dum]["interfaces"] == [dum], src
assert j["packets_captured"] == 50, j
PY
ncap_assert_no_helper "after the CLI capture"
ncap_assert_eq 2 "$(grep -c "Accepted publickey" "$NCAP_SSH_LOG")" "SSH sessions: one per source"

# 2. CLI, -i repeated, ends by itself (--packet-limit per source); the
# summary in a pipe names each source.
: >"$NCAP_EXTCAP_LOG"
"$X" capture 127.0.0.1 "${SSHO[@]}" -i lo -i "$DUM" -f "udp port $PORT" --packet-limit 5 \
  -w "$NCAP_TMP/rep.pcapng" >"$NCAP_TMP/rep.out" 2>"$NCAP_TMP/rep.err" &
x=$!
ncap_on_exit "kill -9 $x"
wait_two
send 5 5 rep
ncap_wait_pid_exit $x 30
ncap_assert_eq 0 $? "capture -i lo -i $DUM: $(cat "$NCAP_TMP/rep.err")"
check "$NCAP_TMP/rep.pcapng" 5 5 "CLI -i lo -i $DUM"
ncap_assert_eq "127.0.0.1:lo: 5 packets captured, 5 received by filter, 0 dropped
127.0.0.1:$DUM: 5 packets captured, 5 received by filter, 0 dropped" "$(cat "$NCAP_TMP/rep.err")" "summary per source"
ncap_assert_no_helper "after -i repeated"

# 2b. On a terminal (a real pty): the capturing line lists both sources,
# the status line has one entry per source, the summary one line each.
T="$NCAP_TMP/tty.txt"
: >"$T"
: >"$NCAP_EXTCAP_LOG"
(ncap_wait_for 45 grep -aq "capturing on" "$T" && sleep 0.3 && send 7 3 tty) &
sender=$!
"$NCAP_SRC/tests/lib/pty-run.py" --transcript "$T" --timeout 60 \
  --int-when "127\.0\.0\.1:$DUM: 3 packets, " -- \
  "$X" capture 127.0.0.1 "${SSHO[@]}" -i "lo,$DUM" -f "udp port $PORT" -w "$NCAP_TMP/tty.pcapng"
rc=$?
wait $sender
ncap_assert_eq 0 "$rc" "capture on a tty: $(tail -c 600 "$T" | cat -A)"
tty_text=$(cat "$T")
ncap_assert_contains "$tty_text" "capturing on 127.0.0.1:lo, 127.0.0.1:$DUM (Ctrl-C to stop)" "capturing line"
ncap_assert_contains "$tty_text" "127.0.0.1:lo: 7 packets, 742 B, 0 dropped  |  127.0.0.1:$DUM: 3 packets, 318 B, 0 dropped" "status line per source"
ncap_assert_contains "$tty_text" "127.0.0.1:lo: 7 packets captured, 7 received by filter, 0 dropped" "tty summary, lo"
ncap_assert_contains "$tty_text" "127.0.0.1:$DUM: 3 packets captured, 3 received by filter, 0 dropped" "tty summary, $DUM"
ncap_log "tty: $(tr '\r' '~' <"$T" | tail -3 | paste -sd'|')"
ncap_assert_no_helper "after the tty capture"

# 3. tshark through the extcap: the dialog's selector and its "More
# interfaces" field (Wireshark 4.0's selector takes no typed list), then
# the selector's preference itself as a comma list.
for variant in more list; do
  if [[ $variant == more ]]; then
    prefs=(-o "extcap.nodecap.remoteinterface:lo" -o "extcap.nodecap.moreinterfaces:$DUM")
  else
    prefs=(-o "extcap.nodecap.remoteinterface:lo,$DUM")
  fi
  : >"$NCAP_EXTCAP_LOG"
  ncap_tshark_start "$NCAP_TMP/ts-$variant.pcapng" "$NCAP_TMP/ts.err" "${prefs[@]}" -f "udp port $PORT" -c 24
  wait_two
  send 12 12 "ts$variant"
  ncap_wait_pid_exit "$NCAP_TSHARK_PID" 40
  ncap_assert_eq 0 $? "tshark ${prefs[*]}: $(cat "$NCAP_TMP/ts.err")"
  check "$NCAP_TMP/ts-$variant.pcapng" 12 12 "tshark ${prefs[*]}"
  ncap_assert_no_helper "after tshark -c ($variant)"
done

# 4. Agentless: tcpdump on the node, one per interface.
: >"$NCAP_EXTCAP_LOG"
"$X" capture 127.0.0.1 "${SSHO[@]}" --capture-with tcpdump -i "lo,$DUM" -f "udp port $PORT" \
  -w "$NCAP_TMP/td.pcapng" >"$NCAP_TMP/td.out" 2>"$NCAP_TMP/td.err" &
x=$!
ncap_on_exit "kill -9 $x"
# tcpdump writes its file header once its handle is open: that is each
# source's first bytes.
wait_two
(($(pgrep -c -x tcpdump) >= 2)) || ncap_fail "fewer than two tcpdumps on the node: $(pgrep -af tcpdump)"
send 8 6 td
sleep 1.5
kill -INT $x
ncap_wait_pid_exit $x 30
ncap_assert_eq 0 $? "--capture-with tcpdump -i lo,$DUM: $(cat "$NCAP_TMP/td.err")"
check "$NCAP_TMP/td.pcapng" 8 6 "tcpdump -i lo,$DUM"
_no_tcpdump() { ! pgrep -f "tcpdump .*udp port $PORT"; }
ncap_wait_for 10 _no_tcpdump || ncap_fail "tcpdump left on the node: $(pgrep -af "tcpdump .*udp port $PORT")"

# 5. Refusals: one line each, exit 2, before any connection.
refuse() {
  local want=$1
  shift
  "$X" capture 127.0.0.1 "${SSHO[@]}" "$@" -w "$NCAP_TMP/r.pcapng" >"$NCAP_TMP/r.out" 2>"$NCAP_TMP/r.err"
  local rc=$?
  ncap_assert_eq 2 "$rc" "$* (stderr: $(cat "$NCAP_TMP/r.err"))"
  ncap_assert_eq 1 "$(wc -l <"$NCAP_TMP/r.err")" "$*: one line"
  ncap_assert_contains "$(cat "$NCAP_TMP/r.err")" "$want" "$*"
}
refuse 'interface list "lo,,eth0": empty entry' -i lo,,eth0
refuse 'interface list "lo,": empty entry' -i lo,
refuse 'interface list "lo,eth0,lo": lo is listed twice' -i lo,eth0,lo
refuse 'interface list "lo,eth0,lo": lo is listed twice' -i lo -i eth0 -i lo
refuse '"any" already captures every interface; give it alone' -i any,lo
many=$(seq -f 'if%g' 1 257 | paste -sd,)
refuse "1 node(s) x 257 interfaces is 257 sources, at most 256" -i "$many"
many=$(seq -f 'if%g' 1 129 | paste -sd,)
"$X" capture 127.0.0.1,localhost "${SSHO[@]}" -i "$many" -w "$NCAP_TMP/r.pcapng" 2>"$NCAP_TMP/r.err"
ncap_assert_eq 2 $? "2 hosts x 129 interfaces"
ncap_assert_contains "$(cat "$NCAP_TMP/r.err")" "2 node(s) x 129 interfaces is 258 sources, at most 256" "hosts x interfaces"
refuse '-i "lo eth0": not a valid interface name' -i "lo eth0,x"
"$X" start 127.0.0.1 "${SSHO[@]}" -i "lo,$DUM" 2>"$NCAP_TMP/r.err"
ncap_assert_eq 2 $? "start -i lo,$DUM"
ncap_assert_eq "nodecap: start: -i lo,$DUM: a saved job captures one interface (several interfaces at once: nodecap capture -i lo,$DUM)" \
  "$(cat "$NCAP_TMP/r.err")" "start with a list"
ncap_assert_eq "" "$(ncap_helper_pids)" "no helper started by a refusal"

# 6. One interface missing on the node: the other is captured, the
# capture fails as partial (exit 20) naming NODE:IFACE; --allow-partial 0.
for mode in strict allow; do
  : >"$NCAP_EXTCAP_LOG"
  extra=()
  [[ $mode == allow ]] && extra=(--allow-partial)
  "$X" capture 127.0.0.1 "${SSHO[@]}" "${extra[@]}" -i "lo,nosuch9" -f "udp port $PORT" --packet-limit 4 \
    -w "$NCAP_TMP/miss.pcapng" >"$NCAP_TMP/miss.out" 2>"$NCAP_TMP/miss.err" &
  x=$!
  ncap_on_exit "kill -9 $x"
  ncap_wait_stream 45
  send 4 0 miss
  ncap_wait_pid_exit $x 30
  rc=$?
  err=$(cat "$NCAP_TMP/miss.err")
  ncap_assert_contains "$err" "nodecap: 127.0.0.1:nosuch9: " "$mode: the failed source is named"
  if [[ $mode == strict ]]; then
    ncap_assert_eq 20 "$rc" "missing interface: $err"
    ncap_assert_contains "$err" "partial capture: 1 of 2 sources failed (127.0.0.1:nosuch9)" "partial line"
  else
    ncap_assert_eq 0 "$rc" "missing interface, --allow-partial: $err"
  fi
  ncap_assert_eq 4 "$(tshark -r "$NCAP_TMP/miss.pcapng" -Y 'frame.interface_name == "127.0.0.1:lo"' 2>/dev/null | wc -l)" \
    "$mode: lo captured in full"
  ncap_assert_no_helper "after a missing interface ($mode)"
  ncap_log "$mode: exit $rc: $(paste -sd'|' <<<"$err")"
done

# 7. Three interfaces against the default per-user limit of 2 streams
# (docs/security.md): the third helper is refused with the limit's own
# message, the other two capture; partial, exit 20.
: >"$NCAP_EXTCAP_LOG"
# Stopped (Ctrl-C) once two stream and the third was refused: no time
# limit that a slow login could outlast.
"$X" capture 127.0.0.1 "${SSHO[@]}" -i "lo,$DUM,$DUM2" -f "udp port $PORT" \
  -w "$NCAP_TMP/lim.pcapng" >"$NCAP_TMP/lim.out" 2>"$NCAP_TMP/lim.err" &
x=$!
ncap_on_exit "kill -9 $x"
wait_two
ncap_wait_for 45 grep -q "too many concurrent streams" "$NCAP_TMP/lim.err" ||
  ncap_fail "no source refused by the stream limit: $(cat "$NCAP_TMP/lim.err")"
kill -INT $x
ncap_wait_pid_exit $x 30
rc=$?
err=$(cat "$NCAP_TMP/lim.err")
ncap_assert_eq 20 "$rc" "three interfaces, limit 2: $err"
ncap_assert_contains "$err" "too many concurrent streams for root (limit 2, nodecap.conf [streams] max_per_user; each interface of a capture is one); stop one first" "the limit's message"
ncap_assert_contains "$err" "partial capture: 1 of 3 sources failed" "one of three refused"
# The refused source keeps its place as an interface without packets
# whose description says it failed (the merge's rule for a node that
# fails before its capture starts).
ci=$(capinfos "$NCAP_TMP/lim.pcapng" 2>/dev/null)
ncap_assert_eq 3 "$(sed -n 's/^Number of interfaces in file: *//p' <<<"$ci")" "interfaces, one a failed placeholder"
ncap_assert_eq 1 "$(grep -c 'failed before its capture started' <<<"$ci")" "the refused source's placeholder"
# ... named NODE:IFACE like the others (the plugin: one node, three
# interfaces), never "127.0.0.1:lo:?".
names=$(sed -n 's/^ *Name = //p' <<<"$ci" | sort | paste -sd,)
ncap_assert_eq "127.0.0.1:lo,127.0.0.1:$DUM,127.0.0.1:$DUM2" "$names" "interface names with a refused source"
ncap_assert_no_helper "after the limit"
ncap_log "limit: exit $rc: $(paste -sd'|' <<<"$err")"

# 8. Every source fails alike (nothing listens on the port): one line per
# source, and the closing line says the shared cause once; exit 10.
"$X" capture 127.0.0.1 -p "$(ncap_random_port 20000 29000)" --known-hosts "$NCAP_KNOWN_HOSTS" \
  -i "lo,$DUM" -w "$NCAP_TMP/none.pcapng" >/dev/null 2>"$NCAP_TMP/none.err"
rc=$?
err=$(cat "$NCAP_TMP/none.err")
ncap_assert_eq 10 "$rc" "every source refused: $err"
ncap_assert_eq 3 "$(wc -l <"$NCAP_TMP/none.err")" "one line per source and the closing line"
last=$(tail -1 "$NCAP_TMP/none.err")
ncap_assert_eq 1 "$(grep -o 'Connection refused' <<<"$last" | wc -l)" "the shared cause said once: $last"
ncap_assert_contains "$last" "all 2 sources failed: cannot connect to 127.0.0.1 port" "the closing line"
ncap_log "PASS"
