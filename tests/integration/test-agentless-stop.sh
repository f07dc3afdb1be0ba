#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Without the helper (issue 24), every stop must end the node's tcpdump or
# dumpcap, even when the filter has matched nothing for a while (where
# Wireshark's sshdump leaves its tcpdump behind): tshark -c, tshark -a
# duration with no matching packet at all, Ctrl-C (SIGINT) to tshark,
# SIGTERM and SIGKILL to the extcap, and Ctrl-C to the CLI (whose file
# then holds every datagram and a closing ISB with the program's drop
# count). Each with tcpdump, then with dumpcap: 0 processes left.
# (A cut network: test-agentless-linkcut.)
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/sshd.sh"
ncap_sshd_start
NC=$NCAP_BUILD/extcap/nodecap
PORT=$(ncap_random_port 40000 49000)
NOHELPER=$NCAP_TMP/node/bin/not-installed/nodecap-helper

prog_pids() { pgrep -af -- "udp port $PORT" | grep -e nodecap-agentless -e ' -w - ' | cut -d' ' -f1 || true; }
_no_prog() { [[ -z "$(prog_pids)" ]]; }
_some_prog() { [[ -n "$(prog_pids)" ]]; }
assert_no_prog() {
  ncap_wait_for "${2:-10}" _no_prog || {
    ps -o pid,etime,args -p "$(prog_pids | paste -sd,)" >&2
    ncap_fail "$1: capture program still running on the node"
  }
}
extcap_pid() { pgrep -f -- "--remote-helper $NOHELPER" | head -1; }
_started() { grep -q "first bytes from the helper" "$NCAP_EXTCAP_LOG"; }
wait_started() { ncap_wait_for 45 _started || ncap_fail "$1: the stream did not start: $(tail -3 "$NCAP_EXTCAP_LOG")"; }

start_tshark() {
  local name=$1
  shift
  : >"$NCAP_EXTCAP_LOG"
  tshark -i nodecap "${NCAP_TSHARK_OPTS[@]}" -o "extcap.nodecap.remotehelper:$NOHELPER" \
    -o "extcap.nodecap.capturewith:$WITH" -o extcap.nodecap.remoteinterface:lo \
    -f "udp port $PORT" "$@" -w "$NCAP_TMP/$name.pcapng" 2>"$NCAP_TMP/$name.err" &
  TPID=$!
  ncap_on_exit "kill -9 $TPID"
  wait_started "$name"
  _some_prog || ncap_fail "$name: no $WITH on the node"
}
finish_tshark() {
  local name=$1 rc
  ncap_wait_pid_exit "$TPID" 20
  rc=$?
  [[ $rc -ne 124 ]] || ncap_fail "$name: tshark still running"
  assert_no_prog "$WITH $name"
  return $rc
}

for WITH in tcpdump dumpcap; do
  # 1. tshark -c
  start_tshark count -c 10
  ncap_send_udp 50 "$PORT" cnt
  finish_tshark count || ncap_fail "count: tshark exit $?: $(cat "$NCAP_TMP/count.err")"
  ncap_assert_eq 10 "$(tshark -r "$NCAP_TMP/count.pcapng" 2>/dev/null | wc -l)" "$WITH: packets with -c 10"

  # 2. tshark -a duration, the filter matching nothing
  start_tshark duration -a duration:4
  finish_tshark duration || ncap_fail "duration: tshark exit $?: $(cat "$NCAP_TMP/duration.err")"
  ncap_assert_eq 0 "$(tshark -r "$NCAP_TMP/duration.pcapng" 2>/dev/null | wc -l)" "$WITH: packets with -a and no traffic"

  # 3. SIGINT to tshark
  start_tshark sigint
  sleep 1
  kill -INT "$TPID"
  finish_tshark sigint

  # 4. SIGTERM to the extcap (Wireshark's Stop)
  start_tshark sigterm
  x=$(extcap_pid)
  [[ -n "$x" ]] || ncap_fail "sigterm: no extcap process"
  kill -TERM "$x"
  assert_no_prog "$WITH: SIGTERM to the extcap"
  kill -INT "$TPID" 2>/dev/null
  finish_tshark sigterm

  # 5. SIGKILL to the extcap: sshd sees the connection close, the
  #    wrapper sees stdin EOF.
  start_tshark sigkill
  x=$(extcap_pid)
  [[ -n "$x" ]] || ncap_fail "sigkill: no extcap process"
  kill -KILL "$x"
  assert_no_prog "$WITH: SIGKILL to the extcap"
  kill -INT "$TPID" 2>/dev/null
  finish_tshark sigkill

  # 6. Ctrl-C to the CLI: what was captured is kept, with the drops.
  : >"$NCAP_EXTCAP_LOG"
  # shellcheck disable=SC2046
  "$NC" capture 127.0.0.1 $(ncap_cli_ssh_opts) --remote-helper "$NOHELPER" --capture-with "$WITH" \
    -i lo -f "udp port $PORT" -w "$NCAP_TMP/cli.pcapng" \
    --log-level info --log-file "$NCAP_EXTCAP_LOG" 2>"$NCAP_TMP/cli.err" &
  CPID=$!
  ncap_on_exit "kill -9 $CPID"
  wait_started cli
  ncap_send_udp 200 "$PORT" cli
  sleep 1
  kill -INT "$CPID"
  ncap_wait_pid_exit "$CPID" 20
  rc=$?
  ncap_assert_eq 0 "$rc" "$WITH: CLI exit after Ctrl-C ($(cat "$NCAP_TMP/cli.err"))"
  assert_no_prog "$WITH: Ctrl-C to the CLI"
  ncap_assert_eq 200 "$(tshark -r "$NCAP_TMP/cli.pcapng" 2>/dev/null | wc -l)" "$WITH: packets after the CLI's Ctrl-C"
  isb=$(python3 "$NCAP_SRC/tests/lib/pcapng-isb.py" "$NCAP_TMP/cli.pcapng")
  ncap_assert_eq "ifrecv=200 ifdrop=0" "$isb" "$WITH: closing ISB after Ctrl-C"
  ncap_log "ok: $WITH: -c, -a with nothing matching, SIGINT tshark, SIGTERM/SIGKILL extcap, CLI Ctrl-C ($isb): nothing left"
done
ncap_log "PASS: every stop path ends tcpdump and dumpcap on the node"
