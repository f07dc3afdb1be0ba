# SPDX-License-Identifier: GPL-2.0-or-later
# Fault-injection harness: "client", "router" and "node" network
# namespaces, a real sshd inside the node, the client (nodecap) inside the
# client namespace. Nothing is added to the root namespace, so tests of
# several agents or runs never clash, and cutting a link only cuts this
# test's path. Source tests/lib/common.sh first; needs root.
#
#   client lnk0 192.0.2.1/24 --- 192.0.2.254 router 198.51.100.254
#                                  --- 198.51.100.2/24 lnk0 node
#                                       sshd :22, nodecap-helper
#
# Two ways to cut the path: the node's lnk0 down (ncap_link_down: the
# node loses its link; the router answers "host unreachable"), or the
# router silently stops forwarding (ncap_blackhole: what a dead WAN path
# looks like, neither end hears anything; only keepalives find out).
#
# The node's helper gets private policy (root holds every permission,
# tests/lib/policy-all.conf), state, captures and audit paths through
# sshd's SetEnv (a test helper is not setuid, so it honours them).
#
# Exports: NS_CLIENT NS_ROUTER NS_NODE NODE_ADDR NCAP_SSH_KEY NCAP_KNOWN_HOSTS
# NCAP_HELPER NCAP_NODE_ETC NCAP_NODE_STATE NCAP_NODE_CAPTURES
# NCAP_NODE_AUDIT NCAP_SSHD_PID NCAP_SSH_LOG.

NODE_ADDR=198.51.100.2
CLIENT_ADDR=192.0.2.1

# (Run in the background with `ip netns exec` itself, not these: $! must be
# the process, not a subshell.)
ncap_in_client() { ip netns exec "$NS_CLIENT" "$@"; }
ncap_in_node() { ip netns exec "$NS_NODE" "$@"; }
ncap_link_down() { ip -n "$NS_NODE" link set lnk0 down; }
# With forwarding off a Linux router drops transit packets without an ICMP
# error (ip_error() returns early): a silent black hole.
ncap_blackhole() { ip netns exec "$NS_ROUTER" sysctl -q -w net.ipv4.ip_forward=0; }

# Every process in the node namespace, killed (sshd listener, its session
# processes, helpers): what a test leaves behind must not outlive it.
ncap_node_kill_all() {
  local p
  for p in $(ip netns pids "$NS_NODE" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
  for p in $(ip netns pids "$NS_CLIENT" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
  return 0
}

ncap_faults_netns_setup() {
  [[ $(id -u) -eq 0 ]] || ncap_skip "network namespaces need root"
  command -v ip >/dev/null || ncap_fail "ip (iproute2) missing"
  [[ -x /usr/sbin/sshd ]] || ncap_fail "/usr/sbin/sshd missing (apt-get install openssh-server)"
  NS_CLIENT="ncapf-$$-c" NS_ROUTER="ncapf-$$-r" NS_NODE="ncapf-$$-n"
  local ns
  for ns in "$NS_CLIENT" "$NS_ROUTER" "$NS_NODE"; do
    ip netns add "$ns" || ncap_fail "ip netns add $ns"
    ncap_on_exit "ip netns del $ns"
    ip -n "$ns" link set lo up
  done
  # Runs before the namespaces go (the cleanup stack is LIFO).
  ncap_on_exit ncap_node_kill_all
  ip -n "$NS_CLIENT" link add lnk0 type veth peer name lnkc netns "$NS_ROUTER" ||
    ncap_fail "veth client-router"
  ip -n "$NS_NODE" link add lnk0 type veth peer name lnkn netns "$NS_ROUTER" ||
    ncap_fail "veth node-router"
  ip -n "$NS_CLIENT" addr add "$CLIENT_ADDR/24" dev lnk0
  ip -n "$NS_ROUTER" addr add 192.0.2.254/24 dev lnkc
  ip -n "$NS_ROUTER" addr add 198.51.100.254/24 dev lnkn
  ip -n "$NS_NODE" addr add "$NODE_ADDR/24" dev lnk0
  ip -n "$NS_CLIENT" link set lnk0 up
  ip -n "$NS_ROUTER" link set lnkc up
  ip -n "$NS_ROUTER" link set lnkn up
  ip -n "$NS_NODE" link set lnk0 up
  ip -n "$NS_CLIENT" route add default via 192.0.2.254
  ip -n "$NS_NODE" route add default via 198.51.100.254
  ip netns exec "$NS_ROUTER" sysctl -q -w net.ipv4.ip_forward=1 || ncap_fail "ip_forward on the router"

  local dir="$NCAP_TMP/sshd"
  mkdir -p "$dir" /run/sshd
  chmod 755 "$dir"
  ssh-keygen -q -t ed25519 -N '' -C nodecap-test-host -f "$dir/host_ed25519" || ncap_fail "ssh-keygen host"
  ssh-keygen -q -t ed25519 -N '' -C nodecap-test-client -f "$dir/client_ed25519" || ncap_fail "ssh-keygen client"
  cp "$dir/client_ed25519.pub" "$dir/authorized_keys"
  NCAP_SSH_KEY="$dir/client_ed25519"
  NCAP_KNOWN_HOSTS="$NCAP_TMP/known_hosts"
  echo "$NODE_ADDR $(cut -d' ' -f1,2 "$dir/host_ed25519.pub")" >"$NCAP_KNOWN_HOSTS"
  NCAP_SSH_LOG="$dir/sshd.log"

  NCAP_NODE_ETC="$NCAP_TMP/node/etc"; NCAP_NODE_STATE="$NCAP_TMP/node/state"
  NCAP_NODE_CAPTURES="$NCAP_NODE_STATE/captures"; NCAP_NODE_AUDIT="$NCAP_TMP/node/audit.log"
  mkdir -p "$NCAP_NODE_ETC" "$NCAP_NODE_CAPTURES" "$NCAP_TMP/node/bin"
  chmod 755 "$NCAP_TMP/node" "$NCAP_TMP/node/bin"
  cp "$NCAP_SRC/tests/lib/policy-all.conf" "$NCAP_NODE_ETC/policy.conf"
  chmod 644 "$NCAP_NODE_ETC/policy.conf"
  # The helper under a path only this test uses: "no helper left" never
  # sees another test's processes.
  NCAP_HELPER="$NCAP_TMP/node/bin/nodecap-helper"
  ln -s "$NCAP_BUILD/remote/nodecap-helper" "$NCAP_HELPER"
  cat >"$dir/sshd_config" <<CFG
ListenAddress $NODE_ADDR
Port 22
HostKey $dir/host_ed25519
AuthorizedKeysFile $dir/authorized_keys
StrictModes no
UsePAM no
PermitRootLogin yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitUserEnvironment no
PidFile $dir/sshd.pid
LogLevel VERBOSE
MaxStartups 50
SetEnv NCAP_SYSCONFDIR=$NCAP_NODE_ETC NCAP_STATEDIR=$NCAP_NODE_STATE NCAP_CAPTURESDIR=$NCAP_NODE_CAPTURES NCAP_AUDITLOG=$NCAP_NODE_AUDIT
CFG
  export NS_CLIENT NS_ROUTER NS_NODE NODE_ADDR NCAP_SSH_KEY NCAP_KNOWN_HOSTS NCAP_HELPER \
    NCAP_NODE_ETC NCAP_NODE_STATE NCAP_NODE_CAPTURES NCAP_NODE_AUDIT NCAP_SSH_LOG
}

# (Re)start the node's sshd listener; sets NCAP_SSHD_PID.
ncap_faults_sshd_start() {
  ip netns exec "$NS_NODE" /usr/sbin/sshd -D -e -f "$NCAP_TMP/sshd/sshd_config" 2>>"$NCAP_SSH_LOG" &
  NCAP_SSHD_PID=$!
  ncap_wait_for 5 ncap_in_client bash -c "exec 3<>/dev/tcp/$NODE_ADDR/22" ||
    ncap_fail "sshd in the node did not start: $(tail -3 "$NCAP_SSH_LOG")"
  export NCAP_SSHD_PID
}

# The CLI's connection options for the node.
ncap_faults_cli_opts() {
  echo "--sshkey $NCAP_SSH_KEY --known-hosts $NCAP_KNOWN_HOSTS --remote-helper $NCAP_HELPER"
}

# Helpers of this test (one PID namespace, so pgrep sees the node's); the
# client's own argv names the path as an option value: leave it out.
ncap_helper_pids() {
  pgrep -af -- "$NCAP_HELPER" | grep -v -e '--remote-helper' | cut -d' ' -f1 || true
}
_ncap_no_helper() { [[ -z "$(ncap_helper_pids)" ]]; }
_ncap_some_helper() { [[ -n "$(ncap_helper_pids)" ]]; }

# Processes left in the node namespace other than the sshd listener, one
# "pid args" a line (empty when clean).
ncap_node_leftovers() {
  local p
  for p in $(ip netns pids "$NS_NODE" 2>/dev/null); do
    [[ "$p" == "${NCAP_SSHD_PID:-}" ]] && continue
    [[ -n "${NCAP_NODE_KEEP_PIDS:-}" && " $NCAP_NODE_KEEP_PIDS " == *" $p "* ]] && continue
    echo "$p $(tr '\0' ' ' </proc/"$p"/cmdline 2>/dev/null)"
  done
}
_ncap_node_clean() { [[ -z "$(ncap_node_leftovers)" ]]; }

# The stream has started once the file has more than the pcapng header.
ncap_file_grows() { [[ -s "$1" ]] && (($(stat -c %s "$1") > 1000)); }

# ncap_wait_pid_exit PID TIMEOUT_S: wait for a child, return its status
# (124 if it outlives the timeout).
ncap_wait_pid_exit() {
  local pid=$1 deadline=$((SECONDS + $2))
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then return 124; fi
    sleep 0.1
  done
  wait "$pid"
}
