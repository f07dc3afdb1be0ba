#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A node without nodecap-helper (issue 24): the helper path points nowhere,
# the node has tcpdump and dumpcap. For tcpdump, dumpcap and auto (which
# picks dumpcap here), the README's `tshark -i nodecap` captures 1000
# numbered datagrams, all in order with their bytes, on the interface
# "127.0.0.1:lo" whose description says how; at the same time the helper
# (a CLI capture with the real helper path) captures the same datagrams,
# and frame.packet_id is equal packet by packet. Reload of the interfaces
# (extcap and CLI) works without the helper. Nothing of the capture program is left on the node.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/sshd.sh"
ncap_sshd_start
NC=$NCAP_BUILD/extcap/nodecap
N=1000
PORT=$(ncap_random_port 40000 49000)
NOHELPER=$NCAP_TMP/node/bin/not-installed/nodecap-helper

# The node's capture programs of this test (the wrapper and tcpdump/dumpcap).
prog_pids() { pgrep -af -- "udp port $PORT" | grep -e nodecap-agentless -e ' -w - ' | cut -d' ' -f1 || true; }
_no_prog() { [[ -z "$(prog_pids)" ]]; }

# Reload without the helper: the extcap's selector values and the CLI.
"$NC" --extcap-config --extcap-interface nodecap --extcap-reload-option remote-interface \
  --remote-host 127.0.0.1 --remote-port "$NCAP_SSH_PORT" --sshkey "$NCAP_SSH_KEY" \
  --known-hosts "$NCAP_KNOWN_HOSTS" --remote-helper "$NOHELPER" >"$NCAP_TMP/reload.out" 2>"$NCAP_TMP/reload.err" ||
  ncap_fail "reload without the helper: $(cat "$NCAP_TMP/reload.err")"
grep -q '^value {arg=11}{value=lo}' "$NCAP_TMP/reload.out" || ncap_fail "reload: lo not listed: $(cat "$NCAP_TMP/reload.out")"
grep -q '^value {arg=11}{value=any}' "$NCAP_TMP/reload.out" || ncap_fail "reload: any not listed"
# shellcheck disable=SC2046
"$NC" interfaces 127.0.0.1 $(ncap_cli_ssh_opts) --remote-helper "$NOHELPER" --json >"$NCAP_TMP/ifs.json" ||
  ncap_fail "interfaces --json without the helper"
[[ $(jq -r '.[].name' "$NCAP_TMP/ifs.json" | grep -c '^lo$') == 1 ]] || ncap_fail "CLI interfaces: $(cat "$NCAP_TMP/ifs.json")"
ncap_log "reload without the helper: $(grep -c '^value' "$NCAP_TMP/reload.out") interfaces"

run_one() {
  local with=$1 want_prog=$2 tag="al$RANDOM" out="$NCAP_TMP/$1.pcapng" ref="$NCAP_TMP/$1-helper.pcapng"
  : >"$NCAP_EXTCAP_LOG"
  # The README's command, with the helper path pointing nowhere.
  tshark -i nodecap "${NCAP_TSHARK_OPTS[@]}" -o "extcap.nodecap.remotehelper:$NOHELPER" \
    -o "extcap.nodecap.capturewith:$with" -o extcap.nodecap.remoteinterface:lo \
    -f "udp port $PORT" -c $N -a duration:60 -w "$out" 2>"$NCAP_TMP/tshark.err" &
  local tpid=$!
  ncap_on_exit "kill -9 $tpid"
  # The helper on the same datagrams, for the packet ids.
  # shellcheck disable=SC2046
  "$NC" capture 127.0.0.1 $(ncap_cli_ssh_opts) -i lo -f "udp port $PORT" --packet-limit $N \
    -w "$ref" --log-level info --log-file "$NCAP_TMP/ref.log" 2>"$NCAP_TMP/ref.err" &
  local cpid=$!
  ncap_on_exit "kill -9 $cpid"
  ncap_wait_for 45 grep -q "first bytes from the helper" "$NCAP_EXTCAP_LOG" ||
    ncap_fail "$with: the stream did not start: $(tail -3 "$NCAP_EXTCAP_LOG")"
  ncap_wait_for 45 grep -q "first bytes from the helper" "$NCAP_TMP/ref.log" ||
    ncap_fail "helper reference did not start"
  ncap_send_udp $N "$PORT" "$tag"
  ncap_wait_pid_exit $tpid 60
  local rc=$?
  [[ $rc -eq 0 ]] || ncap_fail "$with: tshark exited $rc: $(cat "$NCAP_TMP/tshark.err")"
  ncap_wait_pid_exit $cpid 60 || ncap_fail "helper reference capture failed: $(cat "$NCAP_TMP/ref.err")"
  grep -q "capturing with $want_prog" "$NCAP_EXTCAP_LOG" ||
    ncap_fail "$with: not captured with $want_prog: $(grep -i 'capturing with\|helper' "$NCAP_EXTCAP_LOG" | tail -3)"

  ncap_assert_file_clean "$out"
  tshark -r "$out" -Y "udp.dstport == $PORT" -T fields -e data.data >"$NCAP_TMP/got.txt" 2>/dev/null
  ncap_expected_udp_hex $N "$tag" >"$NCAP_TMP/want.txt"
  if ! cmp -s "$NCAP_TMP/want.txt" "$NCAP_TMP/got.txt"; then
    diff "$NCAP_TMP/want.txt" "$NCAP_TMP/got.txt" | head -5 >&2
    ncap_fail "$with: payloads differ: got $(wc -l <"$NCAP_TMP/got.txt") of $N datagrams"
  fi
  local names descr
  names=$(tshark -r "$out" -T fields -e frame.interface_name 2>/dev/null | sort -u | paste -sd,)
  ncap_assert_eq "127.0.0.1:lo" "$names" "$with: frame.interface_name"
  descr=$(tshark -r "$out" -T fields -e frame.interface_description 2>/dev/null | sort -u)
  [[ "$descr" =~ ^$want_prog\ [0-9.]+\;\ no\ node\ policy\ or\ audit ]] ||
    ncap_fail "$with: IDB description: $descr"
  # Same packet, same id as the helper's.
  tshark -r "$out" -Y "udp.dstport == $PORT" -T fields -e data.data -e frame.packet_id 2>/dev/null | sort >"$NCAP_TMP/ids-al.txt"
  tshark -r "$ref" -Y "udp.dstport == $PORT" -T fields -e data.data -e frame.packet_id 2>/dev/null | sort >"$NCAP_TMP/ids-helper.txt"
  ncap_assert_eq $N "$(wc -l <"$NCAP_TMP/ids-helper.txt")" "$with: datagrams in the helper's capture"
  cmp -s "$NCAP_TMP/ids-al.txt" "$NCAP_TMP/ids-helper.txt" ||
    ncap_fail "$with: packet ids differ from the helper's: $(diff "$NCAP_TMP/ids-al.txt" "$NCAP_TMP/ids-helper.txt" | head -3)"
  [[ -n "$(cut -f2 "$NCAP_TMP/ids-al.txt" | head -1)" ]] || ncap_fail "$with: no frame.packet_id"
  ncap_wait_for 10 _no_prog || ncap_fail "$with: capture program left on the node: $(prog_pids | paste -sd' ')"
  ncap_log "$with: $N/$N in order on 127.0.0.1:lo ($descr), packet ids = the helper's; nothing left"
}

run_one tcpdump tcpdump
run_one dumpcap dumpcap
run_one auto dumpcap
ncap_log "PASS: agentless capture with tcpdump, dumpcap and auto; reload without the helper"
