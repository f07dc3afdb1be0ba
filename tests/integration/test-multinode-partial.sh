#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A live multi-node capture where some node failed exits with its own
# status (20, NCAP_ERROR_PARTIAL) so a script can tell it from a whole
# capture, unless --allow-partial (CLI) / allow-partial (extcap, tshark)
# is given. The failed node stays in stderr and in a frame.comment; the
# other node's packets are all in the file either way. Two nodes: our sshd
# as 127.0.0.1, and localhost on a port where nothing listens.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/sshd.sh"
ncap_sshd_start
# shellcheck disable=SC2207
SSH_OPTS=($(ncap_cli_ssh_opts))
DEAD=$(ncap_random_port 20000 29000)
HOSTS="127.0.0.1,localhost:$DEAD"

# run NAME [args]: the CLI, 20 datagrams, packet limit 20.
run() {
  local name=$1 port
  shift
  port=$(ncap_random_port 40000 49000)
  : >"$NCAP_EXTCAP_LOG"
  "$NCAP_BUILD/extcap/nodecap" capture "$HOSTS" "${SSH_OPTS[@]}" -i lo \
    -f "udp dst port $port" --packet-limit 20 --log-level info \
    --log-file "$NCAP_EXTCAP_LOG" "$@" -w "$NCAP_TMP/$name.pcapng" 2>"$NCAP_TMP/$name.err" &
  local pid=$!
  ncap_on_exit "kill -9 $pid"
  ncap_wait_stream 15
  ncap_send_udp 20 "$port" "$name"
  ncap_wait_pid_exit "$pid" 30
  RC=$?
  ERR=$(cat "$NCAP_TMP/$name.err")
  N=$(tshark -r "$NCAP_TMP/$name.pcapng" -Y "frame.interface_name == \"127.0.0.1:lo\"" 2>/dev/null | wc -l)
  COMMENT=$(tshark -r "$NCAP_TMP/$name.pcapng" -Y frame.comment -T fields -e frame.comment 2>/dev/null | head -1)
}

run cli
ncap_assert_eq 20 "$RC" "CLI exit status with one of two nodes failed ($ERR)"
ncap_assert_contains "$ERR" "nodecap: partial capture: 1 of 2 nodes failed (localhost)" "CLI stderr"
ncap_assert_contains "$ERR" "cannot connect" "CLI stderr names the node's failure"
ncap_assert_eq 20 "$N" "packets of the node that worked"
ncap_assert_contains "$COMMENT" "failed" "frame.comment"
ncap_log "ok: CLI exit 20: $(tail -1 <<<"$ERR")"

run allow --allow-partial
ncap_assert_eq 0 "$RC" "CLI exit status with --allow-partial ($ERR)"
ncap_assert_contains "$ERR" "cannot connect" "--allow-partial: the node's failure still on stderr"
ncap_assert_eq 20 "$N" "--allow-partial: packets of the node that worked"
ncap_log "ok: --allow-partial exit 0"

# The extcap under tshark: the status reaches tshark as its error line.
for allow in false true; do
  port=$(ncap_random_port 40000 49000)
  : >"$NCAP_EXTCAP_LOG"
  ncap_tshark_start "$NCAP_TMP/ts-$allow.pcapng" "$NCAP_TMP/ts-$allow.err" \
    -o "extcap.nodecap.remotehost:$HOSTS" -o extcap.nodecap.remoteinterface:lo \
    -o extcap.nodecap.packetlimit:20 -o "extcap.nodecap.allowpartial:$allow" \
    -f "udp dst port $port"
  ncap_wait_stream 15
  ncap_send_udp 20 "$port" ts
  ncap_wait_pid_exit "$NCAP_TSHARK_PID" 30
  err=$(cat "$NCAP_TMP/ts-$allow.err")
  n=$(tshark -r "$NCAP_TMP/ts-$allow.pcapng" -Y "frame.interface_name == \"127.0.0.1:lo\"" 2>/dev/null | wc -l)
  ncap_assert_eq 20 "$n" "tshark allowpartial:$allow: packets of the node that worked"
  if [[ $allow == false ]]; then
    ncap_assert_contains "$err" "partial capture: 1 of 2 nodes failed" "tshark allowpartial:false: error line"
  elif grep -q "partial capture" <<<"$err"; then
    ncap_fail "tshark allowpartial:true still reports an error: $err"
  fi
  ncap_log "ok: extcap allow-partial $allow: $(grep -m1 -i error <<<"$err" || echo 'no error')"
done
ncap_assert_no_helper "at the end"
ncap_log "PASS: partial capture exits 20 unless --allow-partial"
