#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every way a capture stops must end the helper on the node (Wireshark's
# sshdump leaves its remote tcpdump running in all of these): tshark -a
# duration, tshark -c, Ctrl-C (SIGINT) to tshark, SIGTERM and SIGKILL to
# the extcap, and the fifo's reader going away.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/sshd.sh"
ncap_sshd_start
PORT=$(ncap_random_port 40000 49000)

# start_tshark NAME [args]: a capture on lo for our port; waits until the
# stream runs.
start_tshark() {
  local name=$1
  shift
  : >"$NCAP_EXTCAP_LOG"
  ncap_tshark_start "$NCAP_TMP/$name.pcapng" "$NCAP_TMP/$name.err" \
    -o extcap.nodecap.remoteinterface:lo -f "udp port $PORT" "$@"
  ncap_wait_stream 15
}
finish_tshark() {
  local name=$1 rc
  ncap_wait_pid_exit "$NCAP_TSHARK_PID" 15
  rc=$?
  [[ $rc -ne 124 ]] || ncap_fail "$name: tshark still running"
  ncap_assert_no_helper "$name"
  return $rc
}

# 1. tshark -a duration
start_tshark duration -a duration:3
ncap_send_udp 20 "$PORT" dur
finish_tshark duration || ncap_fail "duration: tshark exit $?: $(cat "$NCAP_TMP/duration.err")"
n=$(tshark -r "$NCAP_TMP/duration.pcapng" 2>/dev/null | wc -l)
ncap_assert_eq 20 "$n" "packets with -a duration"
ncap_log "ok: -a duration"

# 2. tshark -c N (more packets than N arrive)
start_tshark count -c 10
ncap_send_udp 50 "$PORT" cnt
finish_tshark count || ncap_fail "count: tshark exit $?: $(cat "$NCAP_TMP/count.err")"
n=$(tshark -r "$NCAP_TMP/count.pcapng" 2>/dev/null | wc -l)
ncap_assert_eq 10 "$n" "packets with -c 10"
ncap_log "ok: -c"

# 3. SIGINT to tshark (Ctrl-C)
start_tshark sigint
ncap_send_udp 5 "$PORT" int
sleep 0.5
kill -INT "$NCAP_TSHARK_PID"
finish_tshark sigint
ncap_log "ok: SIGINT to tshark (exit $?)"

# 4. SIGTERM to the extcap (what Wireshark's Stop does)
start_tshark sigterm
x=$(ncap_extcap_pid)
[[ -n "$x" ]] || ncap_fail "sigterm: no extcap process"
kill -TERM "$x"
ncap_assert_no_helper "sigterm to the extcap"
ncap_wait_for 5 bash -c "! kill -0 $x" || ncap_fail "extcap alive 5 s after SIGTERM"
kill -INT "$NCAP_TSHARK_PID" 2>/dev/null
finish_tshark sigterm
ncap_log "ok: SIGTERM to the extcap"

# 5. SIGKILL to the extcap: the TCP connection closes, sshd closes the
#    channel, the helper sees EOF.
start_tshark sigkill
x=$(ncap_extcap_pid)
[[ -n "$x" ]] || ncap_fail "sigkill: no extcap process"
kill -KILL "$x"
ncap_assert_no_helper "sigkill to the extcap"
kill -INT "$NCAP_TSHARK_PID" 2>/dev/null
finish_tshark sigkill
ncap_log "ok: SIGKILL to the extcap"

# 6. The fifo's reader goes away while the stream is idle, then while it
#    flows: the extcap closes the channel and exits 0.
for mode in idle flowing; do
  fifo="$NCAP_TMP/$mode.fifo"
  mkfifo "$fifo"
  : >"$NCAP_EXTCAP_LOG"
  "$NCAP_BUILD/extcap/nodecap" --capture --extcap-interface nodecap --fifo "$fifo" \
    --remote-host 127.0.0.1 --remote-port "$NCAP_SSH_PORT" --sshkey "$NCAP_SSH_KEY" \
    --known-hosts "$NCAP_KNOWN_HOSTS" --remote-helper "$NCAP_HELPER" \
    --remote-interface lo --remote-filter "udp port $PORT" \
    --log-level info --log-file "$NCAP_EXTCAP_LOG" 2>"$NCAP_TMP/$mode.err" &
  x=$!
  ncap_on_exit "kill -9 $x"
  exec 7<"$fifo"          # the reader
  ncap_wait_stream 15
  sender=
  if [[ $mode == flowing ]]; then
    (ncap_send_udp 3000 "$PORT" flow) &
    sender=$!
    sleep 0.2
  fi
  exec 7<&-               # reader gone
  ncap_wait_pid_exit "$x" 10
  rc=$?
  ncap_assert_eq 0 "$rc" "extcap exit status after its reader left ($mode): $(cat "$NCAP_TMP/$mode.err")"
  ncap_assert_no_helper "reader gone ($mode)"
  grep -q "reader of the output went away" "$NCAP_EXTCAP_LOG" || ncap_fail "$mode: log does not say why it stopped"
  [[ -z "$sender" ]] || wait "$sender"
  ncap_log "ok: fifo reader gone ($mode)"
done
ncap_log "PASS: -a duration, -c, SIGINT to tshark, SIGTERM/SIGKILL to the extcap, reader gone"
