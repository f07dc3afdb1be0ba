#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Merge order under load (issue 21, docs/multinode.md "Order"): one sshd
# reached under two and three names (127.0.0.1, localhost, root@localhost),
# so every node captures the same datagrams on lo; NCAP_ORDER_REPS runs of
# each (default 20) while a busy loop runs on every core. The merged file's
# frame.time_epoch never goes backwards unless the packet's frame.comment
# says it was written out of order, and every node's 500 datagrams are in.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/sshd.sh"
ncap_sshd_start
# shellcheck disable=SC2207
SSH_OPTS=($(ncap_cli_ssh_opts))
# Three streams of one user at once (the default allows 2).
printf '[streams]\nmax_per_user = 4\n' >"$NCAP_NODE_ETC/nodecap.conf"
chmod 644 "$NCAP_NODE_ETC/nodecap.conf"
# The same host key under the other names.
key=$(cut -d' ' -f2,3 "$NCAP_KNOWN_HOSTS")
echo "[localhost]:$NCAP_SSH_PORT $key" >>"$NCAP_KNOWN_HOSTS"
GEN="python3 $NCAP_SRC/tests/lib/udpgen.py"
CHECK="python3 $NCAP_SRC/tests/lib/order-check.py"
REPS=${NCAP_ORDER_REPS:-20}

# A busy loop per core for the whole test (the load of a shared machine).
for ((c = 0; c < $(nproc); c++)); do
  (while :; do :; done) &
  ncap_on_exit "kill $!"
done

total_late=0
for hosts in "127.0.0.1,localhost" "127.0.0.1,localhost,root@localhost"; do
  nodes=$(tr ',' '\n' <<<"$hosts" | wc -l)
  for ((r = 1; r <= REPS; r++)); do
    port=$(ncap_random_port 40000 49000)
    out="$NCAP_TMP/order-$nodes-$r.pcapng"
    : >"$NCAP_EXTCAP_LOG"
    "$NCAP_BUILD/extcap/nodecap" capture "$hosts" "${SSH_OPTS[@]}" -i lo \
      -f "udp dst port $port" --packet-limit 500 --log-level info \
      --log-file "$NCAP_EXTCAP_LOG" -w "$out" 2>"$NCAP_TMP/order.err" &
    pid=$!
    ncap_on_exit "kill -9 $pid"
    ncap_wait_for 60 bash -c "(( \$(grep -c 'node .*: first bytes from the helper' '$NCAP_EXTCAP_LOG') >= $nodes ))" ||
      ncap_fail "$nodes nodes, run $r: not every stream started: $(tail -3 "$NCAP_EXTCAP_LOG")"
    sleep 0.5
    $GEN --port "$port" --count 500 --rate 5000
    ncap_wait_pid_exit "$pid" 60
    rc=$?
    [[ $rc -eq 0 ]] || ncap_fail "$nodes nodes, run $r: exit $rc: $(cat "$NCAP_TMP/order.err")"
    res=$(tshark -r "$out" -T fields -e frame.time_epoch -e frame.comment -e frame.interface_name \
      2>/dev/null | $CHECK 2>"$NCAP_TMP/order.why")
    read -r _ n _ late _ silent _ per <<<"$res"
    total_late=$((total_late + late))
    [[ $silent -eq 0 ]] || ncap_fail "$nodes nodes, run $r: $silent unannounced out-of-order packets ($res): $(cat "$NCAP_TMP/order.why")"
    ncap_assert_eq $((500 * nodes)) "$n" "$nodes nodes, run $r: packets ($per)"
    if ((late > 0)); then
      grep -q "out of order" "$NCAP_EXTCAP_LOG" || ncap_fail "$nodes nodes, run $r: $late late packets not in the log"
    fi
  done
  ncap_log "ok: $nodes node names, $REPS runs under load: 0 unannounced out-of-order packets"
done
ncap_assert_no_helper "at the end"
ncap_log "PASS: merge order kept ($total_late late packets in all, each announced in frame.comment)"
