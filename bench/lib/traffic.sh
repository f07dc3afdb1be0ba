# SPDX-License-Identifier: GPL-2.0-or-later
# Bench traffic: trafgen (netsniff-ng) frames of a fixed size, IPv4/UDP
# 127.0.0.1 -> 127.0.0.1 on lo, one destination port per stream so one
# capture file can be split by port afterwards. trafgen runs with
# --no-sock-mem and --notouch-irq: the machine is shared, and trafgen would
# otherwise retune system-wide socket memory and IRQ affinity.

# bench_trafgen_conf FILE SIZE DPORT: one frame of SIZE bytes on the wire
# (Ethernet header included, no FCS), UDP to 127.0.0.1:DPORT.
bench_trafgen_conf() {
  local file=$1 size=$2 dport=$3
  ((size >= 60)) || size=60
  cat >"$file" <<CFG
{
  0x00,0x00,0x00,0x00,0x00,0x00, 0x00,0x00,0x00,0x00,0x00,0x00, c16(0x0800),
  0x45, 0x00, c16($((size - 14))), c16(0), c16(0x4000), 64, 17, csumip(14, 33),
  127,0,0,1, 127,0,0,1,
  c16(47899), c16($dport), c16($((size - 34))), c16(0),
  fill(0x62, $((size - 42)))
}
CFG
}

# bench_send SIZE DPORT COUNT [RATE_PPS]: send COUNT frames, at top speed or
# paced. Prints "sent seconds" (sent from trafgen's own report, seconds of
# wall time).
bench_send() {
  local size=$1 dport=$2 count=$3 rate=${4:-}
  local conf="$BENCH_TMP/trafgen-$size-$dport.cfg" out="$BENCH_TMP/trafgen.out"
  [[ -f $conf ]] || bench_trafgen_conf "$conf" "$size" "$dport"
  local t0 t1 sent
  t0=$(date +%s%N)
  # BENCH_SEND_CPU (run.sh --pin): the sender alone on that CPU.
  setsid ${BENCH_SEND_CPU:+taskset -c "$BENCH_SEND_CPU"} trafgen --dev lo --conf "$conf" \
    -n "$count" -P1 --no-sock-mem --notouch-irq ${rate:+--rate "${rate}pps"} >"$out" 2>&1
  t1=$(date +%s%N)
  sent=$(tr -d '\r' <"$out" | awk '/packets outgoing/ {print $1; exit}')
  echo "${sent:-0} $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", (b - a) / 1e9}')"
}

# A slow background stream (for start-to-first-packet): one packet every
# 1 ms (about 900 pps) to DPORT until bench_probe_stop. Not --rate
# 1000pps: trafgen sends that as one burst of 1000 packets (2.5 ms) once a
# second, and start-to-first-packet then only told which second's burst a
# tool caught first (values 0.7, 1.7, 2.7 s...).
bench_probe_start() {
  local dport=$1 conf="$BENCH_TMP/trafgen-probe.cfg"
  bench_trafgen_conf "$conf" 100 "$dport"
  # Own session, and a subshell between us and it: when a child we wait
  # for dies of SIGINT, bash acts as if it had been interrupted itself.
  rm -f "$BENCH_TMP/probe.pid"
  (
    setsid trafgen --dev lo --conf "$conf" -P1 --no-sock-mem --notouch-irq \
      --gap 1ms >"$BENCH_TMP/probe.out" 2>&1 &
    echo $! >"$BENCH_TMP/probe.pid"
    wait
  ) 2>/dev/null &
  BENCH_PROBE_SUB=$!
  ncap_wait_for 5 test -s "$BENCH_TMP/probe.pid"
  BENCH_PROBE_PID=$(cat "$BENCH_TMP/probe.pid")
  ncap_on_exit "kill -9 -- -$BENCH_PROBE_PID"
}
bench_probe_stop() {
  [[ -n ${BENCH_PROBE_PID:-} ]] || return 0
  # trafgen (master and worker) in its own session: end the whole group.
  kill -9 -- "-$BENCH_PROBE_PID" 2>/dev/null
  wait "$BENCH_PROBE_SUB" 2>/dev/null
  BENCH_PROBE_PID=
}
