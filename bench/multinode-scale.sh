#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# nodecap multi-node scaling bench (issue 13): N = 1, 2, 4, 8 nodes, each a
# network namespace with its own real sshd and nodecap-helper, each sending
# UDP at the same fixed rate from inside itself; one `nodecap capture
# n1,n2,...` merges them, under /usr/bin/time -v. Prints, per N: sent,
# delivered, loss, the client's CPU seconds (user+sys), CPU µs per packet,
# its peak RSS, and CPU/pkt(N) / CPU/pkt(1): the merge's cost per packet must
# not grow with N. Not a ctest test: run by hand, as root, after a build.
#
#   sudo bench/multinode-scale.sh [--nodes "1 2 4 8"] [--rate PPS] [--seconds S]
#                                 [--size BYTES] [--out FILE]
# Env: NCAP_BUILD (build dir, default <src>/build).
#
# Topology (nothing is added to the root namespace, so runs of other people
# on this machine never clash): a "hub" namespace where nodecap runs, and per
# node i (0-based) a namespace with a veth pair, TEST-NET 198.51.100.0/24 cut
# into /30s:  hub v<i> 198.51.100.<4i+1>/30 --- 198.51.100.<4i+2>/30 data0 node
# Each node's helper captures data0 with the filter "udp dst port P"; its
# traffic (tests/lib/udpgen.py) goes to the hub's address, so the SSH stream
# back to the hub on the same link is not captured.
set -uo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NCAP_SRC=$(cd "$BENCH_DIR/.." && pwd)
: "${NCAP_BUILD:=$NCAP_SRC/build}"
export NCAP_SRC NCAP_BUILD

NODES="1 2 4 8" RATE=2000 SECONDS_PER_RUN=10 SIZE=64 OUT=""
while (($#)); do
  case $1 in
    --nodes) NODES=$2; shift ;;
    --rate) RATE=$2; shift ;;
    --seconds) SECONDS_PER_RUN=$2; shift ;;
    --size) SIZE=$2; shift ;;
    --out) OUT=$2; shift ;;
    -h | --help) sed -n '3,13p' "$0"; exit 0 ;;
    *) echo "multinode-scale: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

. "$NCAP_SRC/tests/lib/common.sh"
[[ $(id -u) -eq 0 ]] || ncap_fail "needs root (network namespaces, sshd)"
for bin in "$NCAP_BUILD/remote/nodecap-helper" "$NCAP_BUILD/extcap/nodecap"; do
  [[ -x $bin ]] || ncap_fail "$bin missing: build first (cmake --build build)"
done
[[ -x /usr/bin/time ]] || ncap_fail "/usr/bin/time missing (apt-get install time)"
[[ -x /usr/sbin/sshd ]] || ncap_fail "/usr/sbin/sshd missing"
command -v capinfos >/dev/null || ncap_fail "capinfos missing"

MAXN=0
for n in $NODES; do ((n > MAXN)) && MAXN=$n; done
((MAXN <= 60)) || ncap_fail "at most 60 nodes (one /30 each in 198.51.100.0/24)"
PORT=47501
COUNT=$((RATE * SECONDS_PER_RUN))
TAG="ncb$$"
NS_HUB="$TAG-hub"
hub_addr() { echo "198.51.100.$((4 * $1 + 1))"; }
node_addr() { echo "198.51.100.$((4 * $1 + 2))"; }
node_ns() { echo "$TAG-n$1"; }

# Everything in our namespaces dies before they go (LIFO cleanup stack).
kill_ns_procs() {
  local ns p
  for ns in "$NS_HUB" $(for ((i = 0; i < MAXN; i++)); do node_ns $i; done); do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
  done
  return 0
}

ip netns add "$NS_HUB" || ncap_fail "ip netns add $NS_HUB"
ncap_on_exit "ip netns del $NS_HUB"
ip -n "$NS_HUB" link set lo up

dir="$NCAP_TMP/sshd"
mkdir -p "$dir" /run/sshd "$NCAP_TMP/node/bin"
chmod 755 "$dir" "$NCAP_TMP/node" "$NCAP_TMP/node/bin"
ssh-keygen -q -t ed25519 -N '' -C nodecap-bench-host -f "$dir/host_ed25519" || ncap_fail "ssh-keygen host"
ssh-keygen -q -t ed25519 -N '' -C nodecap-bench-client -f "$dir/client_ed25519" || ncap_fail "ssh-keygen client"
cp "$dir/client_ed25519.pub" "$dir/authorized_keys"
KNOWN="$NCAP_TMP/known_hosts"
: >"$KNOWN"
HELPER="$NCAP_TMP/node/bin/nodecap-helper"
ln -s "$NCAP_BUILD/remote/nodecap-helper" "$HELPER"

for ((i = 0; i < MAXN; i++)); do
  ns=$(node_ns $i) a=$(node_addr $i)
  ip netns add "$ns" || ncap_fail "ip netns add $ns"
  ncap_on_exit "ip netns del $ns"
  ip -n "$ns" link set lo up
  ip -n "$NS_HUB" link add "v$i" type veth peer name data0 netns "$ns" || ncap_fail "veth $i"
  ip -n "$NS_HUB" addr add "$(hub_addr $i)/30" dev "v$i"
  ip -n "$ns" addr add "$a/30" dev data0
  ip -n "$NS_HUB" link set "v$i" up
  ip -n "$ns" link set data0 up
  echo "$a $(cut -d' ' -f1,2 "$dir/host_ed25519.pub")" >>"$KNOWN"
  # Per node: private policy (root may stream), state, captures, audit log,
  # and an empty HOME (sshd runs the helper through root's login shell),
  # as tests/lib/sshd.sh does.
  nd="$NCAP_TMP/node/$i"
  mkdir -p "$nd/etc" "$nd/state/captures" "$nd/home"
  cp "$NCAP_SRC/tests/lib/policy-all.conf" "$nd/etc/policy.conf"
  chmod 644 "$nd/etc/policy.conf"
  cat >"$nd/sshd_config" <<CFG
ListenAddress $a
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
PidFile $nd/sshd.pid
LogLevel INFO
MaxStartups 50
SetEnv HOME=$nd/home NCAP_SYSCONFDIR=$nd/etc NCAP_STATEDIR=$nd/state NCAP_CAPTURESDIR=$nd/state/captures NCAP_AUDITLOG=$nd/audit.log
CFG
  ip netns exec "$ns" /usr/sbin/sshd -D -e -f "$nd/sshd_config" 2>>"$nd/sshd.log" &
done
ncap_on_exit kill_ns_procs
for ((i = 0; i < MAXN; i++)); do
  ncap_wait_for 10 ip netns exec "$NS_HUB" bash -c "exec 3<>/dev/tcp/$(node_addr $i)/22" ||
    ncap_fail "sshd of node $i did not start: $(tail -3 "$NCAP_TMP/node/$i/sshd.log")"
done

REPORT="$NCAP_TMP/report.txt"
say() { printf '%s\n' "$*" | tee -a "$REPORT"; }
# The client logs "node X: first bytes from the helper" per node of a
# multi-node capture; one node takes the single-node path, whose line ends
# "first bytes from the helper, output FILE open".
_n_started() {
  if (($2 == 1)); then grep -q "first bytes from the helper" "$1" 2>/dev/null
  else (($(grep -c "node .*: first bytes from the helper$" "$1" 2>/dev/null) >= $2)); fi
}

# run_n N: one capture of N nodes; sets RES="sent delivered cpu_s rss_kb".
run_n() {
  local n=$1 hosts="" i out="$NCAP_TMP/out-$1.pcapng" log="$NCAP_TMP/nodecap-$1.log"
  local tv="$NCAP_TMP/time-$1.txt" pids=() cpid
  for ((i = 0; i < n; i++)); do hosts+="${hosts:+,}$(node_addr $i)"; done
  rm -f "$out" "$log"
  # Each helper stops after COUNT packets (--packet-limit is per node);
  # the time limit only bounds a run that lost packets.
  ip netns exec "$NS_HUB" /usr/bin/time -v -o "$tv" "$NCAP_BUILD/extcap/nodecap" capture "$hosts" \
    -i data0 -f "udp dst port $PORT" --packet-limit "$COUNT" \
    --time-limit $((SECONDS_PER_RUN + 40)) -w "$out" \
    --sshkey "$dir/client_ed25519" --known-hosts "$KNOWN" --remote-helper "$HELPER" \
    --log-level info --log-file "$log" 2>"$NCAP_TMP/nodecap-$n.err" &
  cpid=$!
  ncap_wait_for 60 _n_started "$log" "$n" ||
    ncap_fail "N=$n: streams did not start: $(tail -n5 "$log" 2>&1; tail -n5 "$NCAP_TMP/nodecap-$n.err" 2>&1)"
  local ts0; ts0=$(date +%s.%N)
  for ((i = 0; i < n; i++)); do
    ip netns exec "$(node_ns $i)" python3 "$NCAP_SRC/tests/lib/udpgen.py" --dst "$(hub_addr $i)" \
      --port $PORT --count "$COUNT" --size "$SIZE" --rate "$RATE" >/dev/null &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i"; done
  SEND_S=$(awk -v a="$ts0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
  ncap_wait_pid_exit_any "$cpid" $((SECONDS_PER_RUN + 60))
  local pkts cpu rss
  pkts=$(capinfos -M -c "$out" 2>/dev/null | sed -n 's/^Number of packets: *//p')
  cpu=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {printf "%.2f", u + s}' "$tv")
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): *//p' "$tv")
  RES="$((n * COUNT)) ${pkts:-0} $cpu ${rss:-0}"
}

ncap_wait_pid_exit_any() {
  local pid=$1 deadline=$((SECONDS + $2))
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      kill -INT "$pid" 2>/dev/null
      sleep 2
      kill -KILL "$pid" 2>/dev/null
      break
    fi
    sleep 0.2
  done
  wait "$pid" 2>/dev/null
}

say "nodecap multinode-scale $(date -u +%Y-%m-%dT%H:%M:%SZ)  ($(git -C "$NCAP_SRC" rev-parse --short HEAD 2>/dev/null || echo '?'))"
say "host: $(uname -sr), $(nproc) cores; load at start: $(uptime | sed 's/.*load average: //')"
say "per node: $RATE pps x ${SECONDS_PER_RUN} s = $COUNT UDP datagrams of $SIZE B payload (udpgen.py, inside the node's namespace)"
say "send s: from the first sender's start to the last one's end (the achieved rate)"
say "client: nodecap capture N hosts -i data0 -f 'udp dst port $PORT' --packet-limit $COUNT, under /usr/bin/time -v"
say ""
say "| N | sent | send s | delivered | loss % | nodecap CPU s | CPU µs/pkt | peak RSS MB | CPU/pkt vs N=1 |"
say "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
base=""
for n in $NODES; do
  ((n <= MAXN)) || continue
  run_n "$n"
  read -r sent got cpu rss <<<"$RES"
  loss=$(awk -v s="$sent" -v g="$got" 'BEGIN {printf "%.2f", s ? 100 * (s - g) / s : 0}')
  per=$(awk -v c="$cpu" -v g="$got" 'BEGIN {printf "%.2f", g ? c * 1e6 / g : 0}')
  [[ -n $base ]] || base=$per
  ratio=$(awk -v p="$per" -v b="$base" 'BEGIN {printf "%.2f", (b > 0 ? p / b : 0)}')
  mb=$(awk -v k="$rss" 'BEGIN {printf "%.1f", k / 1024}')
  say "| $n | $sent | $SEND_S | $got | $loss | $cpu | $per | $mb | $ratio |"
done
say ""
say "load after the run: $(uptime | sed 's/.*load average: //')"
say "merge statistics (last run): $(grep 'merge:' "$NCAP_TMP/nodecap-$n.log" 2>/dev/null | tail -1 | sed 's/^.*merge:/merge:/')"

[[ -n $OUT ]] || OUT="$NCAP_SRC/bench/results/multinode-scale-$(date -u +%Y-%m-%d-%H%M).txt"
mkdir -p "$(dirname "$OUT")"
cp "$REPORT" "$OUT"
ncap_log "written to $OUT"
