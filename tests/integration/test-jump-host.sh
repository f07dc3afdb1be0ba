#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Jump hosts (issue 24). The namespace lab A - B - C (tests/lib/netns.sh)
# plus one veth from the root namespace (the analyst) to B only: the
# analyst reaches B's sshd at NCAP_JUMP_ADDR and has no route to A or C.
# Through B (libssh's direct-tcpip, no OpenSSH client):
#  - a direct capture of C fails, `nodecap capture C -J B` gets every
#    datagram A sends to C, and so does `tshark -i nodecap` with
#    extcap.nodecap.proxyjump;
#  - B's key unknown, or changed, in known_hosts: refused with a "jump host"
#    line and exit 16; C's own key unknown behind a good jump: exit 11; B
#    refusing our key: exit 15;
#  - a Host alias with ProxyJump in $HOME/.ssh/config, with the key and
#    known_hosts taken from $HOME/.ssh (no --sshkey/--known-hosts): works;
#    so does another ProxyCommand there (run by libssh: POSIX only);
#  - A, B and C in one multi-node capture through B: each sees its
#    datagrams; no nodecap-helper is left anywhere.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/netns.sh"
ncap_netns_setup
ncap_netns_root_link B
ncap_netns_sshd A
ncap_netns_sshd B "ListenAddress $NCAP_JUMP_ADDR"
ncap_netns_sshd C
ncap_netns_jump_known_host B
NC=$NCAP_BUILD/extcap/nodecap
LOG=$NCAP_EXTCAP_LOG
# shellcheck disable=SC2207
SSH_OPTS=($(ncap_cli_ssh_opts) --log-level info --log-file "$LOG")
JUMP="root@$NCAP_JUMP_ADDR"
# One node: the log says "first bytes from the helper, output ... open".
_one_stream() { grep -q "first bytes from the helper" "$LOG"; }
wait_one_stream() { ncap_wait_for 40 _one_stream || ncap_fail "the stream did not start: $(tail -3 "$LOG")"; }

# 1. No route from the analyst to C: a direct attempt fails.
"$NC" interfaces "root@$NODE_C" "${SSH_OPTS[@]}" --connect-timeout 3 >/dev/null 2>"$NCAP_TMP/direct.err"
rc=$?
[[ $rc -ne 0 ]] || ncap_fail "the analyst reached C directly: the lab is wrong"
ncap_log "direct to C: exit $rc ($(cat "$NCAP_TMP/direct.err"))"
"$NC" interfaces "root@$NODE_C" "${SSH_OPTS[@]}" -J "$JUMP" >"$NCAP_TMP/ifs.out" 2>&1 ||
  ncap_fail "interfaces of C through B: $(cat "$NCAP_TMP/ifs.out")"
grep -q '^data0 ' "$NCAP_TMP/ifs.out" || ncap_fail "C's data0 not listed: $(cat "$NCAP_TMP/ifs.out")"

# 2. CLI capture of C through B.
PORT=47024
: >"$LOG"
"$NC" capture "root@$NODE_C" -J "$JUMP" "${SSH_OPTS[@]}" -i data0 -f "udp port $PORT" \
  --packet-limit 200 -w "$NCAP_TMP/cli.pcapng" 2>"$NCAP_TMP/cli.err" &
CPID=$!
ncap_on_exit "kill -9 $CPID"
wait_one_stream
ncap_send_from_a "$NODE_C" 200 0 $PORT
ncap_wait_pid_exit $CPID 40
rc=$?
[[ $rc -eq 0 ]] || ncap_fail "CLI capture through the jump exited $rc: $(cat "$NCAP_TMP/cli.err")"
grep -q "jump via $JUMP to $NODE_C port 22: channel open" "$LOG" ||
  ncap_fail "the log does not show the jump: $(grep -i jump "$LOG" | tail -3)"
n=$(tshark -r "$NCAP_TMP/cli.pcapng" -Y "udp.dstport == $PORT" 2>/dev/null | wc -l)
ncap_assert_eq 200 "$n" "datagrams captured at C through the jump (CLI)"
name=$(tshark -r "$NCAP_TMP/cli.pcapng" -T fields -e frame.interface_name 2>/dev/null | sort -u)
ncap_assert_eq "$NODE_C:data0" "$name" "interface name"
ncap_assert_no_helper "after the CLI capture"

# 3. tshark -i nodecap through the jump (the dialog's Jump host(s) field).
ncap_netns_tshark_opts
: >"$LOG"
tshark -i nodecap "${NCAP_TSHARK_OPTS[@]}" -o "extcap.nodecap.remotehost:root@$NODE_C" \
  -o "extcap.nodecap.proxyjump:$JUMP" -f "udp port $PORT" -c 100 -a duration:60 \
  -w "$NCAP_TMP/tshark.pcapng" 2>"$NCAP_TMP/tshark.err" &
TPID=$!
ncap_on_exit "kill -9 $TPID"
wait_one_stream
ncap_send_from_a "$NODE_C" 100 1000 $PORT
ncap_wait_pid_exit $TPID 40
rc=$?
[[ $rc -eq 0 ]] || ncap_fail "tshark through the jump exited $rc: $(cat "$NCAP_TMP/tshark.err")"
n=$(tshark -r "$NCAP_TMP/tshark.pcapng" -Y "udp.dstport == $PORT" 2>/dev/null | wc -l)
ncap_assert_eq 100 "$n" "datagrams captured at C through the jump (tshark)"
ncap_assert_no_helper "after tshark -c"

# 4. The jump host's key: unknown, then changed; the node's key unknown.
KH=$NCAP_TMP/kh-unknown
grep -v "^$NCAP_JUMP_ADDR " "$NCAP_KNOWN_HOSTS" >"$KH"
"$NC" interfaces "root@$NODE_C" -J "$JUMP" --sshkey "$NCAP_SSH_KEY" --known-hosts "$KH" \
  --remote-helper "$NCAP_HELPER" >/dev/null 2>"$NCAP_TMP/unknown.err"
rc=$?
err=$(cat "$NCAP_TMP/unknown.err")
ncap_log "unknown jump key: exit $rc: $err"
ncap_assert_eq 16 "$rc" "exit status for an unknown jump host key"
ncap_assert_contains "$err" "jump host $JUMP: unknown host key for $NCAP_JUMP_ADDR" "unknown jump key message"
ncap_assert_eq 1 "$(wc -l <"$NCAP_TMP/unknown.err")" "lines on stderr"

KH=$NCAP_TMP/kh-changed
ssh-keygen -q -t ed25519 -N '' -f "$NCAP_TMP/other_host" || ncap_fail "ssh-keygen"
grep -v "^$NCAP_JUMP_ADDR " "$NCAP_KNOWN_HOSTS" >"$KH"
echo "$NCAP_JUMP_ADDR $(cut -d' ' -f1,2 "$NCAP_TMP/other_host.pub")" >>"$KH"
"$NC" interfaces "root@$NODE_C" -J "$JUMP" --sshkey "$NCAP_SSH_KEY" --known-hosts "$KH" \
  --remote-helper "$NCAP_HELPER" >/dev/null 2>"$NCAP_TMP/changed.err"
rc=$?
err=$(cat "$NCAP_TMP/changed.err")
ncap_log "changed jump key: exit $rc: $err"
ncap_assert_eq 16 "$rc" "exit status for a changed jump host key"
ncap_assert_contains "$err" "jump host $JUMP: host key for $NCAP_JUMP_ADDR has CHANGED" "changed jump key message"

KH=$NCAP_TMP/kh-node-unknown
grep -v "^$NODE_C " "$NCAP_KNOWN_HOSTS" >"$KH"
"$NC" interfaces "root@$NODE_C" -J "$JUMP" --sshkey "$NCAP_SSH_KEY" --known-hosts "$KH" \
  --remote-helper "$NCAP_HELPER" >/dev/null 2>"$NCAP_TMP/node-unknown.err"
rc=$?
ncap_assert_eq 11 "$rc" "exit status for the node's unknown key behind the jump"
ncap_assert_contains "$(cat "$NCAP_TMP/node-unknown.err")" "unknown host key for $NODE_C" "node key message"

# The jump host refuses the login (a key it does not know): exit 15.
ssh-keygen -q -t ed25519 -N '' -f "$NCAP_TMP/stranger" || ncap_fail "ssh-keygen"
"$NC" interfaces "root@$NODE_C" -J "$JUMP" --sshkey "$NCAP_TMP/stranger" --known-hosts "$NCAP_KNOWN_HOSTS" \
  --remote-helper "$NCAP_HELPER" >/dev/null 2>"$NCAP_TMP/refused.err"
rc=$?
ncap_log "jump refuses: exit $rc: $(cat "$NCAP_TMP/refused.err")"
ncap_assert_eq 15 "$rc" "exit status when the jump host refuses"
ncap_assert_contains "$(cat "$NCAP_TMP/refused.err")" "jump host $JUMP: authentication failed" "refusal message"

# 5. A Host alias with ProxyJump in $HOME/.ssh/config; key and known_hosts
# from $HOME/.ssh too.
mkdir -p "$HOME/.ssh"
chmod 700 "$HOME/.ssh"
cp "$NCAP_SSH_KEY" "$HOME/.ssh/id_ed25519"
cp "$NCAP_KNOWN_HOSTS" "$HOME/.ssh/known_hosts"
cat >"$HOME/.ssh/config" <<CFG
Host bastion
  HostName $NCAP_JUMP_ADDR
  User root
Host node-c
  HostName $NODE_C
  User root
  ProxyJump bastion
CFG
"$NC" interfaces node-c --remote-helper "$NCAP_HELPER" --log-level info --log-file "$LOG" \
  >"$NCAP_TMP/alias.out" 2>&1 || ncap_fail "Host alias with ProxyJump: $(cat "$NCAP_TMP/alias.out")"
grep -q '^data0 ' "$NCAP_TMP/alias.out" || ncap_fail "alias: data0 not listed: $(cat "$NCAP_TMP/alias.out")"
grep -q "ssh_config: ProxyJump bastion" "$LOG" || ncap_fail "the alias's ProxyJump is not in the log"
ncap_log "Host alias node-c (ProxyJump bastion) from \$HOME/.ssh/config: interfaces listed"
# Any other ProxyCommand is run by libssh (POSIX): here one that enters
# B's namespace and connects from there.
cat >"$HOME/.ssh/config" <<CFG
Host node-c-pc
  HostName $NODE_C
  User root
  ProxyCommand ip netns exec $NS_B bash -c 'exec 3<>/dev/tcp/%h/%p; cat <&3 & exec cat >&3'
CFG
"$NC" interfaces node-c-pc --remote-helper "$NCAP_HELPER" --log-level info --log-file "$LOG" \
  >"$NCAP_TMP/pc.out" 2>&1 || ncap_fail "ProxyCommand from ssh_config: $(cat "$NCAP_TMP/pc.out")"
grep -q '^data0 ' "$NCAP_TMP/pc.out" || ncap_fail "ProxyCommand: data0 not listed: $(cat "$NCAP_TMP/pc.out")"
grep -q "ssh_config: ProxyCommand ip netns exec" "$LOG" || ncap_fail "the ProxyCommand is not in the log"
ncap_log "ProxyCommand from \$HOME/.ssh/config (run by libssh): interfaces listed"
rm -f "$HOME/.ssh/config" "$HOME/.ssh/id_ed25519" "$HOME/.ssh/known_hosts"

# 6. Three nodes through one jump host.
: >"$LOG"
"$NC" capture "root@$NODE_A,root@$NODE_B,root@$NODE_C" -J "$JUMP" "${SSH_OPTS[@]}" -i data0 \
  -f "udp port $PORT" --packet-limit 150 -w "$NCAP_TMP/multi.pcapng" 2>"$NCAP_TMP/multi.err" &
MPID=$!
ncap_on_exit "kill -9 $MPID"
ncap_wait_streams 3 60
ncap_send_from_a "$NODE_C" 150 2000 $PORT
ncap_wait_pid_exit $MPID 40
rc=$?
[[ $rc -eq 0 ]] || ncap_fail "multi-node through the jump exited $rc: $(cat "$NCAP_TMP/multi.err")"
ncap_assert_eq 3 "$(grep -c "jump via $JUMP to .* channel open" "$LOG")" "jump channels"
counts=$(tshark -r "$NCAP_TMP/multi.pcapng" -Y "udp.dstport == $PORT" -T fields -e frame.interface_name 2>/dev/null |
  sort | uniq -c | sed 's/^ *//' | paste -sd,)
ncap_assert_eq "150 $NODE_A:data0,150 $NODE_B:data0,150 $NODE_C:data0" "$counts" "datagrams per node"
ncap_assert_no_helper "after the multi-node capture"
ncap_log "PASS: C captured through B (CLI 200/200, tshark 100/100), no direct route; jump key unknown/changed exit 16, refused 15, node key unknown 11; ssh_config alias; A,B,C through B 150 each"
