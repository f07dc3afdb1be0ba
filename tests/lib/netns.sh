# SPDX-License-Identifier: GPL-2.0-or-later
# Test harness: three network namespaces chained A - B - C, a real sshd in
# each, for multi-node captures. Source tests/lib/common.sh first; root.
#
#   A data0 198.51.100.1/24 --- 198.51.100.2/24 data0 B data1 203.0.113.1/24
#                                    --- 203.0.113.2/24 data0 C
#
# B forwards (ip_forward=1); A routes 203.0.113.0/24 via B, C routes
# 198.51.100.0/24 via B. Every node's capture interface is "data0" (A's
# way out, B's and C's way in), so one -i names the path at every node
# and a packet A -> C is seen exactly once per node. The extcap and tshark
# run inside A (ncap_in_a), so nothing is added to the root namespace; the
# sshds listen on 198.51.100.1 (A), 198.51.100.2 (B) and 203.0.113.2 (C).
#
# Exports: NS_A NS_B NS_C, NODE_A NODE_B NODE_C (addresses = node names),
# NCAP_SSH_KEY NCAP_KNOWN_HOSTS NCAP_HELPER NCAP_EXTCAP, NCAP_NODES
# ("A,B,C"), NCAP_EXTCAP_LOG.

NODE_A=198.51.100.1
NODE_B=198.51.100.2
NODE_C=203.0.113.2

# Not for background jobs: $! would be a subshell (use ip netns exec).
ncap_in_a() { ip netns exec "$NS_A" "$@"; }

ncap_netns_setup() {
  [[ $(id -u) -eq 0 ]] || ncap_skip "network namespaces need root"
  command -v ip >/dev/null || ncap_fail "ip (iproute2) missing"
  local tag="n$$"
  NS_A="ncap-${tag}-a" NS_B="ncap-${tag}-b" NS_C="ncap-${tag}-c"
  local ns
  for ns in "$NS_A" "$NS_B" "$NS_C"; do
    ip netns add "$ns" || ncap_fail "ip netns add $ns"
    ncap_on_exit "ip netns del $ns"
    ip -n "$ns" link set lo up
  done
  ip -n "$NS_A" link add data0 type veth peer name data0 netns "$NS_B" ||
    ncap_fail "veth A-B"
  ip -n "$NS_B" link add data1 type veth peer name data0 netns "$NS_C" ||
    ncap_fail "veth B-C"
  ip -n "$NS_A" addr add 198.51.100.1/24 dev data0
  ip -n "$NS_B" addr add 198.51.100.2/24 dev data0
  ip -n "$NS_B" addr add 203.0.113.1/24 dev data1
  ip -n "$NS_C" addr add 203.0.113.2/24 dev data0
  ip -n "$NS_A" link set data0 up
  ip -n "$NS_B" link set data0 up
  ip -n "$NS_B" link set data1 up
  ip -n "$NS_C" link set data0 up
  ip -n "$NS_A" route add 203.0.113.0/24 via 198.51.100.2
  ip -n "$NS_C" route add 198.51.100.0/24 via 203.0.113.1
  ip netns exec "$NS_B" sysctl -q -w net.ipv4.ip_forward=1 || ncap_fail "ip_forward on B"

  # One client key and known_hosts for all nodes; a host key per node.
  local dir="$NCAP_TMP/sshd"
  mkdir -p "$dir" /run/sshd
  chmod 755 "$dir"
  ssh-keygen -q -t ed25519 -N '' -C nodecap-test-client -f "$dir/client_ed25519" || ncap_fail "ssh-keygen client"
  cp "$dir/client_ed25519.pub" "$dir/authorized_keys"
  NCAP_SSH_KEY="$dir/client_ed25519"
  NCAP_KNOWN_HOSTS="$NCAP_TMP/known_hosts"
  : >"$NCAP_KNOWN_HOSTS"

  mkdir -p "$NCAP_TMP/node/bin"
  chmod 755 "$NCAP_TMP/node" "$NCAP_TMP/node/bin"
  NCAP_HELPER="$NCAP_TMP/node/bin/nodecap-helper"
  ln -s "$NCAP_BUILD/remote/nodecap-helper" "$NCAP_HELPER"
  local extcap_dir
  extcap_dir=$(ncap_personal_extcap_dir)
  mkdir -p "$extcap_dir"
  NCAP_EXTCAP="$extcap_dir/nodecap"
  ln -s "$NCAP_BUILD/extcap/nodecap" "$NCAP_EXTCAP"
  NCAP_EXTCAP_LOG="$NCAP_TMP/extcap.log"
  NCAP_NODES="$NODE_A,$NODE_B,$NODE_C"
  export NS_A NS_B NS_C NCAP_SSH_KEY NCAP_KNOWN_HOSTS NCAP_HELPER NCAP_EXTCAP NCAP_EXTCAP_LOG
}

# ncap_netns_sshd X [extra sshd_config lines]: start node X's sshd (X = A,
# B or C); sets NCAP_SSHD_PID_X. A restart replaces the config.
ncap_netns_sshd() {
  local x=$1 extra=${2:-} ns addr dir pidvar
  ns="NS_$x" addr="NODE_$x" pidvar="NCAP_SSHD_PID_$x"
  ns=${!ns} addr=${!addr}
  dir="$NCAP_TMP/sshd/$x"
  mkdir -p "$dir/etc" "$dir/state/captures" "$dir/home"
  # The node's helper names nobody by default: this node's policy grants
  # root; private state and audit paths; an empty HOME (no rc files).
  cp "$NCAP_SRC/tests/lib/policy-all.conf" "$dir/etc/policy.conf"
  chmod 644 "$dir/etc/policy.conf"
  # sshd takes one SetEnv line (the first value of a name wins): the
  # caller's "SetEnv ..." words go first.
  local env="" other="$extra"
  if [[ "$extra" == SetEnv\ * ]]; then env=${extra#SetEnv }; other=""; fi
  env="$env HOME=$dir/home NCAP_SYSCONFDIR=$dir/etc NCAP_STATEDIR=$dir/state NCAP_CAPTURESDIR=$dir/state/captures NCAP_AUDITLOG=$dir/audit.log"
  [[ -f "$dir/host_ed25519" ]] ||
    ssh-keygen -q -t ed25519 -N '' -C "nodecap-test-$x" -f "$dir/host_ed25519" || ncap_fail "ssh-keygen host $x"
  grep -q "^$addr " "$NCAP_KNOWN_HOSTS" ||
    echo "$addr $(cut -d' ' -f1,2 "$dir/host_ed25519.pub")" >>"$NCAP_KNOWN_HOSTS"
  cat >"$dir/sshd_config" <<CFG
ListenAddress $addr
Port 22
HostKey $dir/host_ed25519
AuthorizedKeysFile $NCAP_TMP/sshd/authorized_keys
StrictModes no
UsePAM no
PermitRootLogin yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PidFile $dir/sshd.pid
LogLevel VERBOSE
MaxStartups 50
SetEnv $env
$other
CFG
  ip netns exec "$ns" /usr/sbin/sshd -D -e -f "$dir/sshd_config" 2>>"$dir/sshd.log" &
  printf -v "$pidvar" '%s' $!
  ncap_on_exit "kill ${!pidvar}; wait ${!pidvar}"
  ncap_wait_for 5 ip netns exec "$ns" bash -c "exec 3<>/dev/tcp/$addr/22" ||
    ncap_fail "sshd of $x did not start: $(tail -3 "$dir/sshd.log")"
}

ncap_netns_sshd_stop() {
  local pidvar="NCAP_SSHD_PID_$1"
  kill "${!pidvar}" 2>/dev/null
  wait "${!pidvar}" 2>/dev/null
}

# The extcap's -o options for the three nodes (host list given separately).
ncap_netns_tshark_opts() {
  NCAP_TSHARK_OPTS=(
    -o "extcap.nodecap.sshkey:$NCAP_SSH_KEY"
    -o "extcap.nodecap.knownhosts:$NCAP_KNOWN_HOSTS"
    -o "extcap.nodecap.remotehelper:$NCAP_HELPER"
    -o "extcap.nodecap.remoteinterface:data0"
    -o "extcap.nodecap.loglevel:info"
    -o "extcap.nodecap.logfile:$NCAP_EXTCAP_LOG"
  )
}

ncap_cli_ssh_opts() {
  echo "--sshkey $NCAP_SSH_KEY --known-hosts $NCAP_KNOWN_HOSTS --remote-helper $NCAP_HELPER"
}

# Helper processes of this test, in any namespace (one PID namespace).
ncap_helper_pids() {
  pgrep -af -- "$NCAP_HELPER" | grep -v -e '--remote-helper' -e 'remotehelper:' |
    cut -d' ' -f1 || true
}
_ncap_no_helper() { [[ -z "$(ncap_helper_pids)" ]]; }
ncap_assert_no_helper() {
  local what=${1:-""} timeout=${2:-5}
  if ! ncap_wait_for "$timeout" _ncap_no_helper; then
    ps -o pid,ppid,etime,args -p "$(ncap_helper_pids | paste -sd,)" >&2 || true
    ncap_fail "${what:+$what: }nodecap-helper still running after ${timeout}s"
  fi
}

# Wait until N nodes sent their first bytes (their captures are open).
_ncap_n_streams() { (($(grep -c "first bytes from the helper$" "$NCAP_EXTCAP_LOG" 2>/dev/null) >= $1)); }
ncap_wait_streams() {
  ncap_wait_for "${2:-30}" _ncap_n_streams "$1" ||
    ncap_fail "$1 streams did not start: $(tail -5 "$NCAP_EXTCAP_LOG" 2>&1)"
}

# ncap_wait_pid_exit PID TIMEOUT_S
ncap_wait_pid_exit() {
  local pid=$1 deadline=$((SECONDS + $2))
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then return 124; fi
    sleep 0.1
  done
  wait "$pid"
}

ncap_assert_file_clean() {
  local f=$1 errs
  capinfos "$f" >"$NCAP_TMP/capinfos.out" 2>"$NCAP_TMP/capinfos.err" ||
    ncap_fail "capinfos $f: $(cat "$NCAP_TMP/capinfos.err")"
  errs=$(grep -v 'Running as user "root"' "$NCAP_TMP/capinfos.err" || true)
  [[ -z "$errs" ]] || ncap_fail "capinfos $f warns: $errs"
}

# Send from A: udpgen to DST (numbered from START).
ncap_send_from_a() {
  local dst=$1 count=$2 start=$3 port=$4
  ncap_in_a python3 "$NCAP_SRC/tests/lib/udpgen.py" --dst "$dst" --port "$port" \
    --count "$count" --start "$start" --rate 2000
}

# ncap_plugin_tshark ARGS...: tshark as nobody with a private copy of the
# nodecap plugin (Wireshark ignores personal plugins as root; docs/wireshark-facts.md).
ncap_plugin_tshark() {
  local home="$NCAP_TMP/plugin-home"
  if [[ ! -d "$home" ]]; then
    local plugdir
    plugdir="$home/.local/lib/wireshark/plugins/$(ncap_ws_release)/epan"
    mkdir -p "$plugdir"
    cp "$NCAP_BUILD/plugin/nodecap.so" "$plugdir/"
    chown -R nobody:nogroup "$home"
  fi
  # NCAP_TSHARK_ENV (tests/sanitize.sh): the ASan runtime for a sanitized
  # plugin, as in plugin-lib.sh.
  # shellcheck disable=SC2086
  setpriv --reuid=nobody --regid=nogroup --clear-groups \
    env -i PATH="$PATH" HOME="$home" LC_ALL=C.UTF-8 ${NCAP_TSHARK_ENV:-} tshark "$@"
}

# ncap_assert_delays_ordered COUNT PLUGIN_ARGS...: per datagram to C, the
# plugin's nodecap.delay is 0 at A (its first node), > 0 at B and larger at
# C (tests/lib/multinode-delays.py), for exactly COUNT datagrams; logs the
# min/median delays of B and C.
ncap_assert_delays_ordered() {
  local count=$1 delays
  shift
  delays=$(ncap_plugin_tshark "$@" -Y "ip.dst == $NODE_C" -T fields -e data.data -e nodecap.node \
    -e nodecap.first_node -e nodecap.delay 2>/dev/null |
    python3 "$NCAP_SRC/tests/lib/multinode-delays.py" "$NODE_A" "$NODE_B" "$NODE_C") ||
    ncap_fail "nodecap.delay not ordered A < B < C: $delays"
  ncap_assert_eq "datagrams $count" "$(head -1 <<<"$delays")" "datagrams with a delay at A, B and C"
  ncap_log "nodecap.delay: $(tail -n +2 <<<"$delays" | paste -sd';')"
}

# Per interface, the udpgen sequence numbers of FILE as ranges, and
# "backwards N" (time steps down).
ncap_seq_summary() {
  tshark -r "$1" -T fields -e frame.interface_name -e frame.time_epoch -e ip.dst \
    -e data.data 2>/dev/null | python3 "$NCAP_SRC/tests/lib/multinode-check.py"
}

# ncap_netns_root_link X: a veth from the root namespace (the analyst) to
# node X alone, 198.51.100.253/30 (root) -- 198.51.100.254/30 (X): the
# root namespace reaches X there and nothing else of the lab (X does not
# forward for it). Start X's sshd with "ListenAddress $NCAP_JUMP_ADDR" as
# its extra line. Exports NCAP_JUMP_ADDR; X's host key is added to
# known_hosts under it by ncap_netns_jump_known_host.
ncap_netns_root_link() {
  local x=$1 ns="NS_$1" veth="ncj$$"
  ns=${!ns}
  ip link add "$veth" type veth peer name up0 netns "$ns" || ncap_fail "veth root-$x"
  ncap_on_exit "ip link del $veth"
  ip addr add 198.51.100.253/30 dev "$veth"
  ip link set "$veth" up
  ip -n "$ns" addr add 198.51.100.254/30 dev up0
  ip -n "$ns" link set up0 up
  NCAP_JUMP_ADDR=198.51.100.254
  export NCAP_JUMP_ADDR
}

# ncap_netns_jump_known_host X: X's host key under NCAP_JUMP_ADDR.
ncap_netns_jump_known_host() {
  echo "$NCAP_JUMP_ADDR $(cut -d' ' -f1,2 "$NCAP_TMP/sshd/$1/host_ed25519.pub")" >>"$NCAP_KNOWN_HOSTS"
}
