#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# nodecap bench: in one run, over the same private sshd on 127.0.0.1, compare
# local `tcpdump -w`, Wireshark's sshdump (tcpdump mode) and nodecap (the
# extcap under tshark, the `nodecap capture` CLI, and the helper under the
# OpenSSH client) on the same trafgen traffic on lo, at the same kernel
# buffer size. Prints a table (and ratio lines) and, for full runs, writes it
# to bench/results/<UTC date>.txt. Not a test: numbers are noisy on a shared
# machine; compare only within one run. See docs/performance.md.
#
#   sudo bench/run.sh [--smoke] [--long] [--sizes "64 512 1500"] [--count N]
#                     [--rates "50000 100000 ..."] [--step S] [--no-callgrind]
#                     [--tools "tcpdump sshdump ..."] [--pin] [--out FILE]
#                     [--no-ladder]  (bursts only: no zero-loss search)
# --pin: the sender (trafgen, and the kernel's lo path it runs) on CPU 0,
# everything else (sshd and what it starts, every tool) on CPU 1. Unpinned,
# a tool that uses more CPU also slows the sender, so the zero-loss search
# then finds how fast trafgen can go beside the tool, not where the tool
# starts to lose; pinned, every tool sees the same offered rates and has
# one core for all of its processes.
# Env: NCAP_BUILD (build dir, default <src>/build).
set -uo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NCAP_SRC=$(cd "$BENCH_DIR/.." && pwd)
: "${NCAP_BUILD:=$NCAP_SRC/build}"
export NCAP_SRC NCAP_BUILD

SMOKE=0 LONG=0 CALLGRIND=1
SIZES="64 512 1500" COUNT=200000 STEP_S=5
RATES="50000 100000 150000 200000 250000 300000 350000 0"
LADDER_SIZE=512 OUT="" TOOLS="" PIN=0 LADDER=1
while (($#)); do
  case $1 in
    --smoke) SMOKE=1 ;;
    --long) LONG=1 ;;
    --sizes) SIZES=$2; shift ;;
    --count) COUNT=$2; shift ;;
    --rates) RATES=$2; shift ;;
    --step) STEP_S=$2; shift ;;
    --no-callgrind) CALLGRIND=0 ;;
    --no-ladder) LADDER=0 ;;
    --tools) TOOLS=$2; shift ;;
    --pin) PIN=1 ;;
    --out) OUT=$2; shift ;;
    -h | --help) sed -n '3,21p' "$0"; exit 0 ;;
    *) echo "bench: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
if ((SMOKE)); then
  # < 60 s on an idle machine: one burst per tool, no search, no callgrind
  SIZES=512 COUNT=3000 CALLGRIND=0
fi
((LONG)) && STEP_S=60

# tests/lib: the same sshd harness and helpers the integration tests use.
: "${BENCH_TESTLIB:=$NCAP_SRC/tests/lib}"
. "$BENCH_TESTLIB/common.sh"
. "$BENCH_TESTLIB/sshd.sh"
. "$BENCH_DIR/lib/traffic.sh"
. "$BENCH_DIR/lib/tools.sh"
BENCH_TMP=$NCAP_TMP
BENCH_BUFFER_KIB=65536 # the helper's default kernel buffer (remote/capture.c)
[[ -n $TOOLS ]] && read -ra BENCH_TOOLS <<<"$TOOLS"
PCAPSUM="python3 $BENCH_DIR/lib/pcapsum.py"

for bin in "$NCAP_BUILD/remote/nodecap-helper" "$NCAP_BUILD/extcap/nodecap"; do
  [[ -x $bin ]] || ncap_fail "$bin missing: build first (cmake --build build)"
done
for cmd in tshark tcpdump trafgen capinfos ssh; do
  command -v "$cmd" >/dev/null || ncap_fail "$cmd missing"
done
[[ -x $SSHDUMP ]] || ncap_fail "$SSHDUMP missing (apt-get install tshark)"
if ((CALLGRIND)) && ! command -v valgrind >/dev/null; then
  ncap_log "valgrind missing: no instruction counts"
  CALLGRIND=0
fi

if ((PIN)); then
  (($(nproc) >= 2)) || ncap_fail "--pin needs 2 CPUs"
  taskset -p -c 1 $$ >/dev/null || ncap_fail "taskset failed"
  export BENCH_SEND_CPU=0
fi
ncap_sshd_start

# Ports: one per (size, tool) burst and per ladder step; the probe stream
# (start-to-first-packet) has its own.
PORT_BASE=47400
PROBE_PORT=47399

REPORT="$BENCH_TMP/report.txt"
say() { printf '%s\n' "$*" | tee -a "$REPORT"; }

pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", 100 * a / b; else print "n/a" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0 && a >= 0) printf "%.2f", a / b; else print "n/a" }'; }

# count_port FILE PORT -> packets to that UDP port
count_port() { $PCAPSUM "$1" --ports | awk -v p="$2" '$1 == p { n = $2 } END { print n + 0 }'; }
first_port_ns() { $PCAPSUM "$1" --ports | awk -v p="$2" '$1 == p { n = $3 } END { print n ? n : 0 }'; }

# Drops as the file tells them (nodecap: EPB epb_dropcount sum, and the
# helper's last ISB ifdrop + osdrop when the file holds it).
file_drops() {
  local s
  read -ra s < <($PCAPSUM "$1")
  local d=${s[3]} i=${s[4]} o=${s[5]}
  ((i >= 0)) && ((o >= 0)) && i=$((i + o))
  ((i > d)) && d=$i
  echo "$d"
}

declare -A DELIV SENT DROPS FIRST CPU RSS ZL NETDROP

# On this kernel a TPACKET_V3 block that is partly filled when traffic
# stops is not handed to the reader by its timeout (checked: tcpdump -B
# 65536 showed 3000 "received by filter", 2564 captured, 3 s after a
# burst), for every libpcap tool alike. A short trickle on the probe port
# (in every filter, counted apart: 20000 x 512 B in 1 s) fills and retires the last block.
bench_flush_ring() {
  sleep 0.5
  bench_send 512 "$PROBE_PORT" 20000 20000 >/dev/null
}


# The capture filter of a session: the measured ports inbound only (on lo
# the kernel ring would otherwise hold each datagram twice, the outgoing
# copy too, which libpcap discards only after it took ring space), the
# probe port in both directions. libpcap 1.10 filters the first ring block
# after pcap_setfilter in user space, where "inbound" cannot be evaluated:
# that block's packets are all rejected, silently (every libpcap tool
# alike). In user space the load of the packet type aborts the whole
# program (reject), so the probe test must come first: "X or (inbound and
# Y)" accepts a probe packet before "inbound" is reached (measured: with
# "inbound" first, tcpdump's first probe packet came one block timeout,
# 1000 ms, late, the helper's 50 ms). Then start-to-first-packet is
# measured, not that.
bench_filter() { echo "udp and (dst port $PROBE_PORT or (inbound and ($1)))"; }

# Packets the kernel dropped before any packet socket saw them (the
# per-CPU backlog of lo full: /proc/net/softnet_stat, 2nd column, hex).
softnet_drops() {
  local s=0 _a d _r
  while read -r _a d _r; do s=$((s + 16#$d)); done </proc/net/softnet_stat
  echo "$s"
}

# Right after a tool started: probe packets that fill (and retire) the
# first ring block, which libpcap filters in user space (see bench_filter),
# so no measured packet lands in it: 1000 x 512 B at 20 kpps, ~0.6 MB.
bench_prime() { bench_send 512 "$PROBE_PORT" 1000 20000 >/dev/null; }

# One burst session: TOOL, SIZE, PORT.
burst() {
  local tool=$1 size=$2 port=$3 out="$BENCH_TMP/burst-$tool-$size.pcap"
  local filter
  filter=$(bench_filter "dst port $port")
  local k="$tool,$size" sent secs cpu rss drops
  # The probe runs from just before the launch until the tool captures: its
  # first packet in the file dates the start.
  bench_probe_start "$PROBE_PORT"
  sleep 0.3
  if ! tool_start "$tool" "$out" "$filter"; then
    bench_probe_stop
    ncap_log "$tool did not start: $(tail -2 "${_TOOL_ERR[$tool]}")"
    tool_stop "$tool" >/dev/null
    DELIV[$k]=0 SENT[$k]=0 DROPS[$k]=-1 FIRST[$k]=-1 CPU[$k]=-1 RSS[$k]=-1 NETDROP[$k]=0
    return
  fi
  sleep 0.5
  bench_probe_stop
  bench_prime
  local nd0
  nd0=$(softnet_drops)
  read -r sent secs < <(bench_send "$size" "$port" "$COUNT")
  NETDROP[$k]=$(($(softnet_drops) - nd0))
  bench_flush_ring
  bench_wait_stable "$tool" "$out" 60
  read -r cpu rss < <(tool_cpu_rss "$tool")
  drops=$(tool_stop "$tool")
  case $tool in nodecap-* | helper-*) drops=$(file_drops "$out") ;; esac
  SENT[$k]=$sent
  DELIV[$k]=$(count_port "$out" "$port")
  DROPS[$k]=$drops
  local f
  f=$(first_port_ns "$out" "$PROBE_PORT")
  if ((f > 0)); then FIRST[$k]=$(((f - BENCH_T0) / 1000000)); else FIRST[$k]=-1; fi
  CPU[$k]=$cpu RSS[$k]=$rss
  ncap_log "burst $tool ${size}B: sent $sent in ${secs}s, delivered ${DELIV[$k]}, drops $drops, dropped by lo before capture ${NETDROP[$k]}"
}

# One zero-loss ladder session for TOOL at LADDER_SIZE: step i sends
# STEP_S seconds at RATES[i] to port PORT_BASE+500+i; a pause lets queues
# drain between steps. Result: the highest achieved rate with zero loss at
# that step and every slower one.
ladder() {
  local tool=$1 out="$BENCH_TMP/ladder-$tool.pcap" i=0 rate sent secs
  local base=$((PORT_BASE + 500))
  local -a r_sent r_secs rates
  read -ra rates <<<"$RATES"
  local ports="" j
  for ((j = 0; j < ${#rates[@]}; j++)); do ports+="${ports:+ or }dst port $((base + j))"; done
  local filter
  filter=$(bench_filter "$ports")
  if ! tool_start "$tool" "$out" "$filter"; then
    ncap_log "$tool did not start for the ladder"
    tool_stop "$tool" >/dev/null
    ZL[$tool]=-1
    return
  fi
  bench_prime
  for rate in "${rates[@]}"; do
    local n
    if ((rate > 0)); then n=$((rate * STEP_S)); else n=$((400000 * STEP_S)); fi
    read -r sent secs < <(bench_send "$LADDER_SIZE" $((base + i)) "$n" "$([[ $rate -gt 0 ]] && echo "$rate")")
    r_sent[i]=$sent r_secs[i]=$secs
    i=$((i + 1))
    sleep 1.5
  done
  bench_flush_ring
  bench_wait_stable "$tool" "$out" 60
  tool_stop "$tool" >/dev/null
  local best=0 got
  LADDER_LINES[$tool]=""
  for ((i = 0; i < ${#rates[@]}; i++)); do
    got=$(count_port "$out" $((base + i)))
    local achieved
    achieved=$(awk -v n="${r_sent[i]}" -v s="${r_secs[i]}" 'BEGIN { printf "%d", (s > 0 ? n / s : 0) }')
    LADDER_LINES[$tool]+="${achieved}:${got}/${r_sent[i]} "
    if ((got == r_sent[i] && r_sent[i] > 0)); then
      ((best >= 0)) && ((achieved > best)) && best=$achieved
    else
      best=$((-best - 1)) # first loss: freeze (negative marks frozen)
      break
    fi
  done
  ((best < 0)) && best=$((-best - 1))
  ZL[$tool]=$best
  ncap_log "ladder $tool: ${LADDER_LINES[$tool]} -> zero loss up to $best pps"
}
declare -A LADDER_LINES

# Instructions per packet, callgrind, helper (local, no SSH) vs tcpdump -w:
# two runs of the same length (4 s of traffic), 2000 packets at 500 pps and
# 10000 at 2500 pps; difference / difference, so start-up and everything
# that goes with time rather than packets (timer wake-ups, statistics
# blocks) cancel out, and only the per-packet cost is left.
IPP_HELPER=-1 IPP_TCPDUMP=-1
callgrind_one() {
  local who=$1 n=$2 port=$3 rate=$4 out="$BENCH_TMP/cg-$1-$2.pcap" cg="$BENCH_TMP/cg-$1-$2.out"
  local err="$BENCH_TMP/cg-$1-$2.err" pid filter="udp dst port $port"
  if [[ $who == helper ]]; then
    # The node's policy and paths, as sshd hands them to the helper.
    NCAP_SYSCONFDIR=$NCAP_NODE_ETC NCAP_STATEDIR=$NCAP_NODE_STATE \
      NCAP_AUDITLOG=$NCAP_NODE_AUDIT valgrind --tool=callgrind --callgrind-out-file="$cg" \
      "$NCAP_BUILD/remote/nodecap-helper" stream --node bench -i lo -f "$filter" \
      --ignore-stdin >"$out" 2>"$err" </dev/null &
    pid=$!
    ncap_wait_for 60 _tool_nonempty "$out" || { kill "$pid"; wait "$pid"; echo "-1 0"; return; }
  else
    # -Z root: as user tcpdump it could not write the callgrind output
    valgrind --tool=callgrind --callgrind-out-file="$cg" \
      tcpdump -Z root -i lo -B "$BENCH_BUFFER_KIB" -w "$out" "$filter" 2>"$err" &
    pid=$!
    ncap_wait_for 60 _tool_listening "$err" || { kill "$pid"; wait "$pid"; echo "-1 0"; return; }
  fi
  ncap_on_exit "kill -9 $pid"
  bench_send 512 "$port" "$n" "$rate" >/dev/null
  sleep 3 # under valgrind: let the last block retire and be processed
  if [[ $who == helper ]]; then kill -TERM "$pid"; else kill -INT "$pid"; fi
  ncap_wait_pid_exit "$pid" 60 >/dev/null 2>&1
  local ir
  ir=$(awk '/^(summary|totals):/ { print $2; exit }' "$cg" 2>/dev/null)
  echo "${ir:--1} $(count_port "$out" "$port")"
}
callgrind_pair() {
  local who=$1 port=$2 i1 d1 i2 d2
  read -r i1 d1 < <(callgrind_one "$who" 2000 "$port" 500)
  read -r i2 d2 < <(callgrind_one "$who" 10000 $((port + 1)) 2500)
  ncap_log "callgrind $who: $i1 Ir/$d1 pkts, $i2 Ir/$d2 pkts"
  if ((i1 > 0 && i2 > 0 && d2 > d1)); then
    echo $(((i2 - i1) / (d2 - d1)))
  else
    echo -1
  fi
}

# ---- run ----
NOW=$(date -u +%Y-%m-%dT%H:%M:%SZ)
: >"$REPORT"
say "nodecap bench $NOW  ($(git -C "$NCAP_SRC" rev-parse --short HEAD 2>/dev/null || echo '?'))"
say "host: $(uname -sr), $(nproc --all) cores; load at start: $(uptime | sed 's/.*load average: //')"
say "mode: $( ((SMOKE)) && echo smoke || { ((LONG)) && echo long || echo normal; })," \
  "kernel buffer ${BENCH_BUFFER_KIB} KiB for every tool, filter 'udp and (dst port PROBE or (inbound and dst port P))'," \
  "traffic trafgen -P1 on lo (127.0.0.1 -> 127.0.0.1 UDP)$( ((PIN)) && echo ", pinned: sender on CPU 0, sshd and tools on CPU 1")"

for size in $SIZES; do
  for tool in "${BENCH_TOOLS[@]}"; do
    burst "$tool" "$size" $((PORT_BASE + size % 397))
    PORT_BASE=$((PORT_BASE + 1))
  done
done
((SMOKE || !LADDER)) || for tool in "${BENCH_TOOLS[@]}"; do ladder "$tool"; done
if ((CALLGRIND)); then
  IPP_HELPER=$(callgrind_pair helper 47380)
  IPP_TCPDUMP=$(callgrind_pair tcpdump 47390)
fi

# ---- report ----
has_tool() { [[ " ${BENCH_TOOLS[*]} " == *" $1 "* ]]; }
say ""
say "load after the run: $(uptime | sed 's/.*load average: //')"
for size in $SIZES; do
  say ""
  say "== burst: $COUNT x $size B at top speed, one burst per tool =="
  say "$(printf '%-15s %8s %9s %8s %7s %7s %8s %8s %9s %7s %7s %7s' \
    tool sent delivered kdrops lodrop deliv% /sshdump /tcpdump first-ms cpu-s us/pkt rss-MiB)"
  for tool in "${BENCH_TOOLS[@]}"; do
    k="$tool,$size"
    d=${DELIV[$k]} s=${SENT[$k]}
    p=$(pct "$d" "$s")
    pp_ss=n/a pp_td=n/a
    has_tool sshdump && pp_ss=$(ratio "$p" "$(pct "${DELIV[sshdump,$size]}" "${SENT[sshdump,$size]}")")
    has_tool tcpdump && pp_td=$(ratio "$p" "$(pct "${DELIV[tcpdump,$size]}" "${SENT[tcpdump,$size]}")")
    usp=$(awk -v c="${CPU[$k]}" -v n="$d" 'BEGIN { if (c >= 0 && n > 0) printf "%.2f", c * 1e6 / n; else print "n/a" }')
    rss=$(awk -v r="${RSS[$k]}" 'BEGIN { if (r > 0) printf "%.1f", r / 1024; else print "n/a" }')
    dr=${DROPS[$k]}; ((dr < 0)) && dr=n/a
    fm=${FIRST[$k]}; ((fm < 0)) && fm=n/a
    say "$(printf '%-15s %8s %9s %8s %7s %7s %8s %8s %9s %7s %7s %7s' \
      "$tool" "$s" "$d" "$dr" "${NETDROP[$k]:-0}" "$p" "$pp_ss" "$pp_td" "$fm" "${CPU[$k]}" "$usp" "$rss")"
  done
done
say ""
say "(delivered: packets of the burst in the saved file; kdrops: drops the tool"
say " reports (tcpdump: 'dropped by kernel'; nodecap: epb_dropcount / ISB"
say " ifdrop+osdrop; sshdump: n/a, its remote tcpdump is killed); lodrop: sent"
say " but dropped by lo's backlog before any capture saw them (softnet_stat);"
say " /sshdump and"
say " /tcpdump: ratio of delivered %; first-ms: launch to first captured packet"
say " of a 1000 pps side stream; cpu-s, rss: the process reading the kernel ring"
say " (node helper, sshdump's remote tcpdump, local tcpdump) read from /proc)"
say ""
((SMOKE)) && say "== zero-loss search: skipped (--smoke) ==" ||
say "== zero-loss search: $LADDER_SIZE B, ${STEP_S}s per step, rates (pps, 0 = top speed): $RATES =="
say "$(printf '%-15s %10s  %s' tool zero-loss steps\(achieved-pps:delivered/sent\))"
for tool in "${BENCH_TOOLS[@]}"; do
  say "$(printf '%-15s %10s  %s' "$tool" "${ZL[$tool]:-n/a}" "${LADDER_LINES[$tool]:-}")"
done
say ""
say "== instructions per packet (callgrind, local, 512 B, 4 s of traffic each: (I(10000 at 2500 pps)-I(2000 at 500 pps))/8000) =="
if ((CALLGRIND)); then
  say "nodecap-helper stream: $IPP_HELPER   tcpdump -w: $IPP_TCPDUMP"
else
  say "skipped ($( ((SMOKE)) && echo --smoke || echo --no-callgrind))"
fi
say ""
say "== ratios =="
for size in $SIZES; do
  for tool in nodecap-tshark nodecap-cli nodecap-agentless helper-openssh; do
    has_tool "$tool" || continue
    k="$tool,$size"
    p=$(pct "${DELIV[$k]}" "${SENT[$k]}")
    has_tool sshdump && say "ratio delivered $tool/sshdump ${size}B: $(ratio "$p" "$(pct "${DELIV[sshdump,$size]}" "${SENT[sshdump,$size]}")")"
    has_tool tcpdump && say "ratio delivered $tool/tcpdump ${size}B: $(ratio "$p" "$(pct "${DELIV[tcpdump,$size]}" "${SENT[tcpdump,$size]}")")"
  done
done
for tool in nodecap-tshark nodecap-cli nodecap-agentless; do
  has_tool "$tool" && has_tool sshdump || continue
  # median over sizes of start-to-first-packet
  a=$(for s in $SIZES; do echo "${FIRST[$tool,$s]}"; done | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}')
  b=$(for s in $SIZES; do echo "${FIRST[sshdump,$s]}"; done | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}')
  say "ratio start-to-first-packet $tool/sshdump: $(ratio "$a" "$b") ($a ms vs $b ms)"
done
for tool in nodecap-tshark nodecap-cli helper-openssh; do
  has_tool "$tool" && has_tool tcpdump || continue
  say "ratio zero-loss rate $tool/tcpdump: $(ratio "${ZL[$tool]:--1}" "${ZL[tcpdump]:--1}")"
done
((CALLGRIND)) && say "ratio instructions/packet helper/tcpdump: $(ratio "$IPP_HELPER" "$IPP_TCPDUMP")"
cnt() { [[ -f $BENCH_TMP/$1 ]] && wc -l <"$BENCH_TMP/$1" || echo 0; }
has_tool nodecap-agentless && say "nodecap-agentless left its remote tcpdump running after $(cnt agentless-left) of $(cnt agentless-runs) stops"
has_tool sshdump && say "sshdump left its remote tcpdump running after $(cnt sshdump-left) of $(cnt sshdump-runs) stops (the bench killed it by pid each time)"
say "nodecap helpers left running after a stop: $(cnt helper-left)"

if ((!SMOKE)); then
  [[ -n $OUT ]] || OUT="$NCAP_SRC/bench/results/$(date -u +%Y-%m-%d-%H%M).txt"
fi
if [[ -n $OUT ]]; then
  mkdir -p "$(dirname "$OUT")"
  cp "$REPORT" "$OUT"
  ncap_log "results written to $OUT"
fi
