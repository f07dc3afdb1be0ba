#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Nothing lost at the stop (issue 21, docs/reliability.md "Stop"):
#  1. `nodecap capture` over a real sshd, 100 datagrams to the captured
#     port, and the sender itself sends SIGINT (then SIGTERM) to the CLI
#     right after its last datagram: 100 of 100 in the file every time
#     (NCAP_STOP_REPS tries each, default 20), and the closing ISB adds up.
#     TPACKET_V3 hands a partly filled block over only when its timer
#     retires it, so a stop that does not wait for it loses the burst.
#  2. A real loss: the helper's reader stalls while 30000 x 1000 B arrive
#     (far beyond its 4 MiB ring + 4 MiB queue), the sender stops the
#     helper right after its last datagram: packets in the file + the
#     closing ISB's ifdrop + osdrop = what was sent, and ifrecv = sent.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/sshd.sh"
ncap_sshd_start
# shellcheck disable=SC2207
SSH_OPTS=($(ncap_cli_ssh_opts))
GEN="python3 $NCAP_SRC/tests/lib/udpgen.py"
COUNT="python3 $NCAP_SRC/tests/lib/isbcount.py"
REPS=${NCAP_STOP_REPS:-20}

# ---- 1. stop right after the burst ---------------------------------------
for sig in INT TERM; do
  bad=0
  for ((r = 1; r <= REPS; r++)); do
    port=$(ncap_random_port 40000 49000)
    out="$NCAP_TMP/$sig-$r.pcapng"
    : >"$NCAP_EXTCAP_LOG"
    "$NCAP_BUILD/extcap/nodecap" capture 127.0.0.1 "${SSH_OPTS[@]}" -i lo \
      -f "udp dst port $port" --log-level info --log-file "$NCAP_EXTCAP_LOG" \
      -w "$out" 2>"$NCAP_TMP/$sig-$r.err" &
    pid=$!
    ncap_on_exit "kill -9 $pid"
    ncap_wait_stream 15
    $GEN --port "$port" --count 100 --signal-pid "$pid" --signal "$sig"
    ncap_wait_pid_exit "$pid" 15
    rc=$?
    [[ $rc -ne 124 ]] || ncap_fail "SIG$sig try $r: the CLI still runs 15 s after the signal"
    read -r n ifrecv ifdrop osdrop usrdeliv _ < <($COUNT "$out")
    # In the file, and the closing ISB (ifrecv ifdrop osdrop usrdeliv)
    # says so.
    if [[ "$n $ifrecv $ifdrop $osdrop $usrdeliv" != "100 100 0 0 100" ]]; then
      bad=$((bad + 1))
      ncap_log "SIG$sig try $r: $n of 100 in the file (exit $rc; ISB ifrecv $ifrecv ifdrop $ifdrop osdrop $osdrop usrdeliv $usrdeliv)"
    fi
  done
  ncap_assert_no_helper "after the SIG$sig tries"
  ((bad == 0)) || ncap_fail "SIG$sig: $bad of $REPS tries lost datagrams at the stop or miscounted them"
  ncap_log "ok 1: SIG$sig from the sender right after its last datagram: 100/100 in $REPS of $REPS tries"
done

# ---- 2. a real loss is counted -------------------------------------------
H=$NCAP_BUILD/remote/nodecap-helper
NS_S=ncap-sd$$-s NS_N=ncap-sd$$-n
ip netns add $NS_S && ip netns add $NS_N || ncap_fail "ip netns add"
ncap_on_exit "ip netns del $NS_S; ip netns del $NS_N"
ip -n $NS_S link add data0 type veth peer name data0 netns $NS_N
ip -n $NS_S addr add 198.51.100.1/24 dev data0
ip -n $NS_N addr add 198.51.100.2/24 dev data0
ip -n $NS_S link set data0 up
ip -n $NS_N link set data0 up
mkdir -p "$NCAP_TMP/etc" "$NCAP_TMP/state"
printf '[grant]\ncapture.stream = root\n' >"$NCAP_TMP/etc/policy.conf"
printf '[streams]\nbuffer_mb = 4\n' >"$NCAP_TMP/etc/nodecap.conf"
go="$NCAP_TMP/go"
NCAP_SYSCONFDIR=$NCAP_TMP/etc NCAP_STATEDIR=$NCAP_TMP/state NCAP_AUDITLOG=$NCAP_TMP/audit.log \
  ip netns exec $NS_N "$H" stream --node sd -i data0 -f "udp dst port 47063" \
  2>"$NCAP_TMP/loss.err" < <(sleep 120) |
  (while [[ ! -e $go ]]; do sleep 0.05; done; exec cat >"$NCAP_TMP/loss.pcapng") &
rpid=$!
ncap_wait_for 10 pgrep -f "nodecap-helper stream --node sd" || ncap_fail "2: no helper"
hpid=$(pgrep -f "nodecap-helper stream --node sd" | head -1)
sleep 1
ip netns exec $NS_S $GEN --dst 198.51.100.2 --port 47063 --count 30000 --size 1000 \
  --signal-pid "$hpid" --signal TERM
touch "$go"
ncap_wait_for 15 bash -c "! kill -0 $hpid" || ncap_fail "2: helper alive 15 s after SIGTERM"
wait "$rpid"
read -r n ifrecv ifdrop osdrop usrdeliv dc < <($COUNT "$NCAP_TMP/loss.pcapng")
((n < 30000)) || ncap_fail "2: 30000 x 1000 B cannot fit 9 MiB of buffers, yet $n arrived"
ncap_assert_eq 30000 "$((n + ifdrop + osdrop))" "2: in the file ($n) + ifdrop ($ifdrop) + osdrop ($osdrop)"
ncap_assert_eq 30000 "$ifrecv" "2: ISB ifrecv"
ncap_assert_eq "$n" "$usrdeliv" "2: ISB usrdeliv"
ncap_log "ok 2: overrun stopped right after the burst: $n in the file, ifdrop $ifdrop + osdrop $osdrop = $((ifdrop + osdrop)) missing, ifrecv $ifrecv (epb_dropcount sum $dc)"
ncap_log "PASS: stop drains the ring; every loss at the stop counted"
