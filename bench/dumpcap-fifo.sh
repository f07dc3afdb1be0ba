#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What reading an extcap's fifo costs Wireshark's dumpcap, per packet
# (issue 9: why the zero-loss rate under tshark is far below the CLI's).
# `tshark -i nodecap -w FILE` against a private sshd on 127.0.0.1, N x 512 B
# UDP datagrams on lo at a rate dumpcap keeps up with, and `perf stat` on
# the dumpcap process counting its system calls: they are dumpcap's work
# per pcapng block, whatever the extcap writes (sshdump's fifo is read the
# same way). Not a ctest test: run by hand after a build.
#
#   sudo bench/dumpcap-fifo.sh [--packets N] [--rate PPS] [--out FILE]
# Env: NCAP_BUILD (build dir, default <src>/build).
set -uo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NCAP_SRC=$(cd "$BENCH_DIR/.." && pwd)
: "${NCAP_BUILD:=$NCAP_SRC/build}"
export NCAP_SRC NCAP_BUILD
PACKETS=50000 RATE=20000 OUT=""
while (($#)); do
  case $1 in
    --packets) PACKETS=$2; shift ;;
    --rate) RATE=$2; shift ;;
    --out) OUT=$2; shift ;;
    -h | --help) sed -n '3,12p' "$0"; exit 0 ;;
    *) echo "dumpcap-fifo: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
: "${OUT:=$BENCH_DIR/results/dumpcap-fifo-$(date -u +%Y-%m-%d-%H%M).txt}"

. "$NCAP_SRC/tests/lib/common.sh"
. "$NCAP_SRC/tests/lib/sshd.sh"
BENCH_TMP=$NCAP_TMP
. "$BENCH_DIR/lib/traffic.sh"
for cmd in tshark perf trafgen capinfos; do
  command -v "$cmd" >/dev/null || ncap_fail "$cmd missing"
done
ncap_sshd_start

port=47555 out="$NCAP_TMP/fifo.pcapng" stat="$NCAP_TMP/perf.txt"
tshark -q -i nodecap "${NCAP_TSHARK_OPTS[@]}" -o extcap.nodecap.remoteinterface:lo \
  -f "udp dst port $port" -w "$out" 2>"$NCAP_TMP/tshark.err" &
tpid=$!
ncap_on_exit "kill -INT $tpid 2>/dev/null; sleep 1; kill -9 $tpid 2>/dev/null"
dc_pid() { pgrep -P "$tpid" -x dumpcap; }
ncap_wait_for 30 dc_pid || ncap_fail "no dumpcap under tshark"
dc=$(dc_pid)
ncap_wait_for 30 test -s "$out" || ncap_fail "tshark wrote nothing: $(tail -2 "$NCAP_TMP/tshark.err")"
sleep 1
perf stat -x, -e raw_syscalls:sys_enter,syscalls:sys_enter_read,syscalls:sys_enter_write,syscalls:sys_enter_pselect6 \
  -p "$dc" -o "$stat" &
ppid=$!
sleep 0.5
read -r sent secs < <(bench_send 512 "$port" "$PACKETS" "$RATE")
sleep 2
kill -INT "$ppid"; wait "$ppid"
kill -INT "$tpid"; wait "$tpid"
got=$(capinfos -c -M "$out" | awk '/Number of packets/ {print $NF}')
count() { awk -F, -v e="$1" '$3 == e { print $1 }' "$stat"; }
all=$(count raw_syscalls:sys_enter) rd=$(count syscalls:sys_enter_read)
wr=$(count syscalls:sys_enter_write) sel=$(count syscalls:sys_enter_pselect6)
{
  echo "dumpcap reading the nodecap extcap fifo, $(date -u +%Y-%m-%dT%H:%M:%SZ) ($(git -C "$NCAP_SRC" rev-parse --short HEAD 2>/dev/null || echo '?'))"
  echo "$(tshark --version 2>/dev/null | head -1); $(nproc) cores"
  echo "sent $sent x 512 B in ${secs}s; packets in tshark's file: $got"
  echo "dumpcap system calls while they passed: $all (read $rd, pselect6 $sel, write $wr)"
  awk -v a="$all" -v r="$rd" -v s="$sel" -v w="$wr" -v n="$got" 'BEGIN {
    if (n > 0) printf "per packet: %.2f system calls (read %.2f, pselect6 %.2f, write %.2f)\n", a / n, r / n, s / n, w / n }'
} | tee "$OUT"
