#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Nothing lost at the stop, extcap paths (issue 21, docs/reliability.md
# "Stop"; test-stop-drain.sh does the CLI):
#  1. The extcap run as Wireshark runs it (--capture --fifo, a reader on
#     the fifo), 100 datagrams, and the sender itself sends SIGTERM (then
#     SIGINT) to the extcap right after its last datagram: 100 of 100 in
#     what the reader got, and the closing ISB adds up
#     (NCAP_STOP_REPS tries each, default 10).
#  2. tshark -i nodecap -c 150, 100 datagrams, SIGINT to tshark right after
#     the last one.
#  3. tshark -a duration:2 with 100 datagrams sent early and near the end.
#  4. tshark -a duration:2 while datagrams flow through the stop.
# For 2-4 the file holds what the extcap wrote before tshark's stop, with
# no gap; see docs/reliability.md "Stop" for what a stop from tshark loses.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/sshd.sh"
NCAP_STOP_REPS=${NCAP_STOP_REPS:-10}
source "$(dirname "$0")/stop-lib.sh"
ncap_sshd_start

# ---- 1. the extcap on a fifo, signalled right after the burst -------------
for sig in TERM INT; do
  bad=0
  for ((r = 1; r <= REPS; r++)); do
    port=$(ncap_random_port 40000 49000)
    fifo="$NCAP_TMP/$sig-$r.fifo" out="$NCAP_TMP/$sig-$r.pcapng"
    mkfifo "$fifo"
    : >"$NCAP_EXTCAP_LOG"
    cat "$fifo" >"$out" &
    reader=$!
    ncap_on_exit "kill -9 $reader"
    "$NCAP_BUILD/extcap/nodecap" --capture --extcap-interface nodecap --fifo "$fifo" \
      --remote-host 127.0.0.1 --remote-port "$NCAP_SSH_PORT" --sshkey "$NCAP_SSH_KEY" \
      --known-hosts "$NCAP_KNOWN_HOSTS" --remote-helper "$NCAP_HELPER" \
      --remote-interface lo --remote-filter "udp dst port $port" \
      --log-level info --log-file "$NCAP_EXTCAP_LOG" 2>"$NCAP_TMP/$sig-$r.err" &
    x=$!
    ncap_on_exit "kill -9 $x"
    ncap_wait_stream 15
    $GEN --port "$port" --count 100 --signal-pid "$x" --signal "$sig"
    ncap_wait_pid_exit "$x" 15
    rc=$?
    [[ $rc -ne 124 ]] || ncap_fail "SIG$sig try $r: the extcap still runs 15 s after the signal"
    ncap_wait_pid_exit "$reader" 5 || true
    ncap_stop_all_there "$out" 100 "SIG$sig try $r (exit $rc)" || bad=$((bad + 1))
  done
  ncap_assert_no_helper "after the SIG$sig tries"
  ((bad == 0)) || ncap_fail "SIG$sig to the extcap: $bad of $REPS tries lost datagrams at the stop or miscounted them"
  ncap_log "ok 1: SIG$sig to the extcap right after the last datagram: 100/100 in $REPS of $REPS tries"
done

# ---- 2 and 3: tshark stops ----------------------------------------------
# dumpcap stops reading the fifo the moment tshark stops (SIGINT, -a, -c)
# and closes it before tshark sends the extcap SIGTERM (docs/
# wireshark-facts.md), so what the helper drains after that cannot reach
# the file, and neither can the closing ISB. What must hold: everything
# the extcap had written before the stop is in the file, the file is
# clean, the last ISB that reached it adds up and claims no packet the
# file lacks, and no helper is left.

# tshark_try NAME PORT [tshark args]: start tshark, wait for the stream.
tshark_try() {
  local name=$1 port=$2
  shift 2
  : >"$NCAP_EXTCAP_LOG"
  ncap_tshark_start "$NCAP_TMP/$name.pcapng" "$NCAP_TMP/$name.err" \
    -o extcap.nodecap.remoteinterface:lo -f "udp dst port $port" "$@"
  ncap_wait_stream 15
}
# tshark_done NAME: tshark ended with 0, the file is clean, no helper
# left, the last ISB adds up; sets N (packets in the file) and IFRECV.
tshark_done() {
  local name=$1 rc n ifrecv ifdrop osdrop usrdeliv
  ncap_wait_pid_exit "$NCAP_TSHARK_PID" 20
  rc=$?
  ncap_assert_eq 0 "$rc" "$name: tshark exit status: $(cat "$NCAP_TMP/$name.err")"
  ncap_assert_no_helper "$name"
  ncap_assert_file_clean "$NCAP_TMP/$name.pcapng"
  read -r n ifrecv ifdrop osdrop usrdeliv _ < <($COUNT "$NCAP_TMP/$name.pcapng")
  if ((ifrecv >= 0)); then
    ncap_assert_eq "$ifrecv" "$((usrdeliv + ifdrop + osdrop))" "$name: last ISB ifrecv = usrdeliv + ifdrop + osdrop"
    ((usrdeliv <= n)) || ncap_fail "$name: the last ISB says $usrdeliv delivered, the file has $n"
  fi
  N=$n IFRECV=$ifrecv
}
TREPS=${NCAP_TSHARK_STOP_REPS:-5}

# 2. tshark -c 150, 100 datagrams, SIGINT to tshark. Right after the last
#    datagram: measured (the datagrams are still in the helper's ring or
#    on their way); 0.5 s later: all 100 must be there.
for gap in 0 0.5; do
  got=()
  for ((r = 1; r <= TREPS; r++)); do
    port=$(ncap_random_port 40000 49000)
    tshark_try "c-$gap-$r" "$port" -c 150
    if [[ $gap == 0 ]]; then
      $GEN --port "$port" --count 100 --signal-pid "$NCAP_TSHARK_PID" --signal INT
    else
      $GEN --port "$port" --count 100
      sleep "$gap"
      kill -INT "$NCAP_TSHARK_PID"
    fi
    tshark_done "c-$gap-$r"
    got+=("$N")
    [[ $gap == 0 ]] || ncap_assert_eq 100 "$N" "tshark -c 150, SIGINT $gap s after the 100th datagram, try $r: packets in the file"
  done
  ncap_log "ok 2: tshark -c 150, SIGINT ${gap} s after the last of 100 datagrams: in the file ${got[*]}"
done

# 3. tshark -a duration:2, 100 datagrams 0.5 s after the stream started
#    (well before the stop): all there; then 100 datagrams ending about
#    when the stop comes (~1.9 s after the stream's first bytes here, give
#    or take the sender's start-up), measured.
for at in 0.5 1.8; do
  got=()
  for ((r = 1; r <= TREPS; r++)); do
    port=$(ncap_random_port 40000 49000)
    tshark_try "a-$at-$r" "$port" -a duration:2
    sleep "$at"
    $GEN --port "$port" --count 100 --rate 1000
    tshark_done "a-$at-$r"
    got+=("$N/$IFRECV")
    [[ $at != 0.5 ]] || ncap_assert_eq 100 "$N" "tshark -a duration:2, 100 datagrams at +$at s, try $r: packets in the file"
  done
  ncap_log "ok 3: tshark -a duration:2, 100 datagrams at +$at s: in the file/last ISB ifrecv ${got[*]}"
done
# 4. tshark -a duration:2 while datagrams flow through the stop (1000/s
#    for 3 s): the file holds a gapless prefix of them, 0..N-1 (a stop from
#    tshark loses only the tail that had not reached the fifo).
port=$(ncap_random_port 40000 49000)
tshark_try flow "$port" -a duration:2
$GEN --port "$port" --count 3000 --rate 1000 &
gen=$!
tshark_done flow
wait "$gen"
seqs=$(tshark -r "$NCAP_TMP/flow.pcapng" -T fields -e udp.payload 2>/dev/null |
  python3 -c 'import sys
s = [int(bytes.fromhex(l.strip())[9:17]) for l in sys.stdin if l.strip()]
print(len(s), int(s == list(range(len(s)))))')
read -r n prefix <<<"$seqs"
((n > 0)) || ncap_fail "flow: no datagram in the file"
ncap_assert_eq 1 "$prefix" "flow: the $n datagrams in the file are 0..$((n - 1)) with no gap"
ncap_log "ok 4: tshark -a duration:2 through a 1000/s flow: datagrams 0..$((n - 1)) in the file, no gap (last ISB ifrecv $IFRECV)"
ncap_log "PASS: the extcap drains on SIGTERM/SIGINT; tshark stops keep all the extcap wrote before them"
