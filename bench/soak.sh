#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# nodecap soak bench: one capture runs for --minutes at a steady packet
# rate in a network namespace of its own, while its process's memory
# (VmRSS, VmHWM, RssAnon from /proc/PID/status) and open fd count
# (/proc/PID/fd) are sampled every --interval seconds.
#  --mode job (default): a saved ring job (`nodecap-helper start`, the
#    detached worker writing a ring of pcapng files). The ring is small, so
#    it wraps many times (files created, finished, removed all the time).
#    At the end the job is stopped and its record checked against what was
#    sent and what the ring kept (capinfos clean, counts, sha256).
#  --mode stream: the live stream helper (`nodecap-helper stream`, as sshd
#    runs it for the extcap), run locally; its stdin a fifo that never sends
#    EOF, its stdout a pipe to `cat` into a file in the temp dir (deleted at
#    the end). At the end it is stopped with SIGTERM and the file checked:
#    exit status 0, capinfos clean, packets = datagrams sent, the last ISB's
#    ifdrop/osdrop 0. Its output queue and kernel ring are faulted in at
#    start (buffer_mb each), so its RSS is ~130 MB from the first sample.
# Prints a table and a verdict, and writes them to --out. Not a test: see
# docs/reliability.md ("Soak").
#
#   sudo bench/soak.sh [--mode job|stream] [--minutes M | --seconds S]
#                      [--interval S] [--rate PPS] [--size B]
#                      [--file-size MB] [--max-size MB] [--out FILE]
#   defaults: job, 31 min, 60 s, 2000 pps of 64-byte UDP payloads, 1 MB
#   files, a 3 MB ring (job mode); out: bench/results/soak-<UTC date>.txt
#   (soak-stream-<UTC date>.txt in stream mode). --seconds is for smoke
#   runs (tests/integration/test-bench-smoke.sh).
# "flat": RSS at the last sample exceeds the first sample (taken one
# interval after start: the warm-up) by at most 1024 KiB, and the fd count
# is the same at every sample. Exit 0 when flat and every check passed.
# Env: NCAP_BUILD (build dir, default <src>/build).
set -uo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NCAP_SRC=$(cd "$BENCH_DIR/.." && pwd)
: "${NCAP_BUILD:=$NCAP_SRC/build}"
export NCAP_SRC NCAP_BUILD

MODE=job MINUTES=31 DURATION="" INTERVAL=60 RATE=2000 SIZE=64 FILE_MB=1 MAX_MB=3 OUT=""
RSS_BOUND_KIB=1024 # the documented "flat" bound (docs/reliability.md)
while (($#)); do
  case $1 in
    --mode) MODE=$2; shift ;;
    --minutes) MINUTES=$2; shift ;;
    --seconds) DURATION=$2; shift ;;
    --interval) INTERVAL=$2; shift ;;
    --rate) RATE=$2; shift ;;
    --size) SIZE=$2; shift ;;
    --file-size) FILE_MB=$2; shift ;;
    --max-size) MAX_MB=$2; shift ;;
    --out) OUT=$2; shift ;;
    -h | --help) sed -n '3,33p' "$0"; exit 0 ;;
    *) echo "soak: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ $MODE == job || $MODE == stream ]] || { echo "soak: --mode is job or stream" >&2; exit 2; }
: "${DURATION:=$((MINUTES * 60))}"
for v in MINUTES DURATION INTERVAL RATE SIZE FILE_MB MAX_MB; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "soak: every number must be a positive integer (${v}=${!v})" >&2; exit 2; }
done
: "${OUT:=$NCAP_SRC/bench/results/soak-$([[ $MODE == stream ]] && echo stream-)$(date -u +%Y-%m-%d-%H%M).txt}"

# tests/lib: the temp dir, HOME and cleanup stack the integration tests use.
. "$NCAP_SRC/tests/lib/common.sh"
[[ $(id -u) -eq 0 ]] || ncap_fail "run as root (network namespace, capture)"
H=$NCAP_BUILD/remote/nodecap-helper
[[ -x $H ]] || ncap_fail "$H missing: build first (cmake --build build)"
for cmd in ip python3 capinfos; do
  command -v "$cmd" >/dev/null || ncap_fail "$cmd missing"
done
HELPER_EXE=$(readlink -f "$H")
EXTCAP_EXE=$(readlink -f "$NCAP_BUILD/extcap/nodecap" 2>/dev/null || true)

# A namespace of our own: its lo carries the traffic; nothing touches the
# host's lo, and deleting the namespace removes it all.
NS="ncap-soak-$$"
ip netns add "$NS" || ncap_fail "ip netns add $NS"
ncap_on_exit "ip netns del $NS"
ip -n "$NS" link set lo up
inns() { ip netns exec "$NS" "$@"; }

T=$NCAP_TMP
mkdir -p "$T/state/captures" "$T/etc"
cp "$NCAP_SRC/tests/lib/policy-all.conf" "$T/etc/policy.conf"
export NCAP_STATEDIR=$T/state NCAP_CAPTURESDIR=$T/state/captures \
  NCAP_SYSCONFDIR=$T/etc NCAP_AUDITLOG=$T/audit.log
CAP=$NCAP_CAPTURESDIR
PORT=47601
SECONDS_TOTAL=$DURATION
COUNT=$((RATE * SECONDS_TOTAL))

REPORT="$T/report.txt"
say() { printf '%s\n' "$*" | tee -a "$REPORT"; }
FAILS=0
check() { # check WHAT EXPECTED ACTUAL
  if [[ "$2" == "$3" ]]; then say "ok   $1: $3"; else say "FAIL $1: expected $2, got $3"; FAILS=$((FAILS + 1)); fi
}
jfield() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }

# Every process we start is stopped by pid on exit, the job first (a
# clean stop moves its files), then the worker itself if it is still there.
# In stream mode WPID is the stream helper itself, and the stdin holder
# and the output reader are stopped the same way.
ID="" WPID="" GENPID="" HOLDPID="" CATPID=""
ncap_on_exit '[[ -n $GENPID ]] && kill $GENPID'
ncap_on_exit '[[ -n $ID ]] && inns $H stop $ID; [[ -n $WPID ]] && kill -0 $WPID && kill -9 $WPID'
ncap_on_exit '[[ -n $HOLDPID ]] && kill $HOLDPID; [[ -n $CATPID ]] && kill $CATPID'

STREAM="$T/stream.pcapng"
if [[ $MODE == job ]]; then
  inns "$H" start --json --node soak -i lo -f "udp dst port $PORT" \
    --file-size "$FILE_MB" --max-size "$MAX_MB" >"$T/start.json" 2>"$T/start.err" ||
    ncap_fail "start: $(cat "$T/start.err")"
  ID=$(jfield "$T/start.json" 'j["id"]')
  WPID=$(jfield "$T/start.json" 'j["worker_pid"]')
  [[ $(jfield "$T/start.json" 'j["status"]') == running ]] || ncap_fail "start: job not running"
else
  # stdin: a fifo whose only writer (a sleep) never writes, so no EOF
  # until the end (as an SSH channel that stays open); stdout: a pipe, as
  # to sshd, read by cat into the file. ip netns exec execs the helper, so
  # $! is the helper itself.
  mkfifo "$T/in.fifo" "$T/out.fifo"
  sleep $((DURATION + 3600)) >"$T/in.fifo" &
  HOLDPID=$!
  cat "$T/out.fifo" >"$STREAM" &
  CATPID=$!
  ip netns exec "$NS" "$H" stream --node soak -i lo -f "udp dst port $PORT" \
    <"$T/in.fifo" >"$T/out.fifo" 2>"$T/stream.err" &
  WPID=$!
  # The section header is written once the capture is open: only then
  # does the generator start, so that every datagram is seen.
  ncap_wait_for 30 test -s "$STREAM" ||
    ncap_fail "stream: no output after 30 s: $(cat "$T/stream.err")"
  [[ $(readlink "/proc/$WPID/exe") == "$HELPER_EXE" ]] || ncap_fail "stream: pid $WPID is not the helper"
fi
T0=$SECONDS

# The generator paces in batches of 1/100 s (cheap on a shared 2-core
# machine); payload "soak-%010d" padded to --size, numbered from 0.
# Not through inns (a function): $! must be the generator itself, so that
# the cleanup's kill reaches it (ip netns exec execs its command).
ip netns exec "$NS" python3 - "$COUNT" "$SIZE" "$RATE" "$PORT" <<'PY' &
import socket, sys, time
count, size, rate, port = (int(a) for a in sys.argv[1:])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
batch = max(1, rate // 100)
t0 = time.monotonic()
i = 0
while i < count:
    for _ in range(min(batch, count - i)):
        s.sendto((b"soak-%010d" % i).ljust(size, b"."), ("127.0.0.1", port))
        i += 1
    d = t0 + i / rate - time.monotonic()
    if d > 0:
        time.sleep(d)
PY
GENPID=$!

# nodecap processes other than the worker (a long-lived one would be a
# leak of its own: a local ring job has only the worker).
others() {
  # one find, not a readlink per process: cheap on a loaded machine
  find /proc/[0-9]*/exe -maxdepth 0 \( -lname "$HELPER_EXE" -o -lname "${EXTCAP_EXE:-/nonexistent}" \) \
    -printf '%h\n' 2>/dev/null | grep -vcx "/proc/$WPID"
}
status_kib() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$WPID/status"; }

# job mode:    t_s rss hwm anon fds packets discarded_files spool_files others cpu_s
# stream mode: t_s rss hwm anon fds out_bytes - - others cpu_s
SAMPLES="$T/samples.tsv"
sample() {
  [[ -r /proc/$WPID/status ]] || { say "FAIL worker $WPID gone at $((SECONDS - T0)) s"; FAILS=$((FAILS + 1)); return 1; }
  local rss hwm anon fds pk df sp cpu
  rss=$(status_kib VmRSS) hwm=$(status_kib VmHWM) anon=$(status_kib RssAnon)
  fds=$(ls "/proc/$WPID/fd" | wc -l)
  # utime + stime (fields 14, 15; the name in field 2 has no spaces here)
  cpu=$(awk -v hz="$(getconf CLK_TCK)" '{ printf "%.1f", ($14 + $15) / hz }' "/proc/$WPID/stat")
  if [[ $MODE == job ]]; then
    inns "$H" status "$ID" --json >"$T/st.json" 2>/dev/null &&
      pk=$(jfield "$T/st.json" 'j["packets"]') df=$(jfield "$T/st.json" 'j["discarded_files"]') ||
      pk=? df=?
    sp=$(ls -A "$NCAP_STATEDIR/spool/$ID" 2>/dev/null | wc -l)
  else
    pk=$(stat -c %s "$STREAM") df=- sp=-
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$((SECONDS - T0))" "$rss" "$hwm" "$anon" \
    "$fds" "$pk" "$df" "$sp" "$(others)" "$cpu" >>"$SAMPLES"
  printf "[soak] t=%ss rss=%s KiB fds=%s $([[ $MODE == job ]] && echo packets || echo out_bytes)=%s\n" "$((SECONDS - T0))" "$rss" "$fds" "$pk" >&2
}

say "== nodecap soak: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(uname -r), $(nproc) cpus"
if [[ $MODE == job ]]; then
  say "job $ID, worker pid $WPID; ring --file-size $FILE_MB --max-size $MAX_MB on lo of netns $NS"
else
  say "stream helper pid $WPID (nodecap-helper stream, stdin a fifo held open, stdout a pipe to cat into a file) on lo of netns $NS"
fi
say "traffic: $COUNT UDP datagrams of $SIZE B payload at $RATE pps over $SECONDS_TOTAL s; sample every $INTERVAL s"
sample
FDLIST="?"
next=$INTERVAL
while ((SECONDS - T0 < SECONDS_TOTAL)); do
  left=$((T0 + next - SECONDS))
  ((left > 0)) && sleep "$left"
  sample || break
  [[ $FDLIST == "?" ]] && FDLIST=$(for fd in /proc/$WPID/fd/*; do
    printf '%s=%s ' "${fd##*/}" "$(readlink "$fd" | sed "s|$T/state/spool/$ID/||; s|$T/|T/|; s|soak_${ID}_|soak_ID_|")"
  done)
  next=$((next + INTERVAL))
done
# The generator may lag on a busy machine: let it finish (bounded).
for _ in $(seq 1 600); do kill -0 "$GENPID" 2>/dev/null || break; sleep 1; done
if kill -0 "$GENPID" 2>/dev/null; then
  say "FAIL generator still sending 600 s after the end"; FAILS=$((FAILS + 1))
  kill "$GENPID"
fi
wait "$GENPID" 2>/dev/null
GENPID=""
SENT_S=$((SECONDS - T0))
sleep 3 # the capture's block time-out and the 2 s record rewrite (job) / the 1 s ISB (stream)
sample
sampled=$(wc -l <"$SAMPLES")

if [[ $MODE == job ]]; then
  inns "$H" stop "$ID" --json >"$T/stop.json" 2>"$T/stop.err"
  check "stop exit status" 0 $?
  for _ in $(seq 1 50); do kill -0 "$WPID" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$WPID" 2>/dev/null && { say "FAIL worker $WPID still running after stop"; FAILS=$((FAILS + 1)); } ||
    { say "ok   worker gone after stop"; WPID=""; }
  inns "$H" status "$ID" --json >"$T/final.json" 2>/dev/null
  same=$(python3 -c 'import json,sys; a,b=(json.load(open(f)) for f in sys.argv[1:]); print("same record" if a == b else "differ")' "$T/stop.json" "$T/final.json")
  check "status after stop = the record stop printed" "same record" "$same"
  check "status, reason" "success stopped" "$(jfield "$T/final.json" 'j["status"]+" "+j["reason"]')"
  REC=$(jfield "$T/final.json" 'j["packets"]')
  DROPS=$(jfield "$T/final.json" 'j["kernel_drops"]')
  DISC=$(jfield "$T/final.json" 'j["discarded_packets"]')
  DISCF=$(jfield "$T/final.json" 'j["discarded_files"]')
  check "record packets + kernel drops = datagrams sent" "$COUNT" "$((REC + DROPS))"
  check "kernel drops" 0 "$DROPS"
  NFILES_WANT=$(((MAX_MB + FILE_MB - 1) / FILE_MB))
  check "files in the captures dir" "$NFILES_WANT" "$(ls "$CAP" | wc -l)"
  check "files in the record" "$NFILES_WANT" "$(jfield "$T/final.json" 'len(j["files"])')"
  kept=0 bad=0 seen=0
  while IFS=$'\t' read -r name rsize rsha rpk; do
    f="$CAP/$name"
    [[ -f $f ]] || { say "FAIL $name in the record, not in $CAP"; bad=$((bad + 1)); continue; }
    capinfos "$f" >/dev/null 2>"$T/ci.err" || { say "FAIL capinfos $name: $(cat "$T/ci.err")"; bad=$((bad + 1)); }
    errs=$(grep -v 'Running as user "root"' "$T/ci.err" || true)
    [[ -z $errs ]] || { say "FAIL capinfos warns on $name: $errs"; bad=$((bad + 1)); }
    n=$(capinfos -M -c -T -r "$f" | cut -f2)
    [[ $n == "$rpk" ]] || { say "FAIL $name holds $n packets, record says $rpk"; bad=$((bad + 1)); }
    [[ $(stat -c %s "$f") == "$rsize" ]] || { say "FAIL $name size differs from the record"; bad=$((bad + 1)); }
    [[ $(sha256sum <"$f" | cut -d' ' -f1) == "$rsha" ]] || { say "FAIL $name sha256 differs from the record"; bad=$((bad + 1)); }
    ((rsize <= FILE_MB * 1000000)) || { say "FAIL $name is $rsize bytes > $FILE_MB MB"; bad=$((bad + 1)); }
    kept=$((kept + n))
    seen=$((seen + 1))
  done < <(python3 -c 'import json,sys
for f in json.load(open(sys.argv[1]))["files"]:
    print("\t".join(str(f[k]) for k in ("name", "size", "sha256", "packets")))' "$T/final.json")
  check "kept files examined" "$NFILES_WANT" "$seen"
  check "kept files: capinfos clean, counts, sizes and sha256 = record" 0 "$bad"
  check "record packets = packets in the kept files + overwritten" "$REC" "$((kept + DISC))"
  check "spool empty after stop" 0 "$(ls -A "$NCAP_STATEDIR/spool" | wc -l)"
else
  # SIGTERM, as sshd sends when the channel closes; the helper writes a
  # last ISB and drains its queue (2 s at most) before exiting.
  kill -TERM "$WPID"
  for _ in $(seq 1 100); do kill -0 "$WPID" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$WPID" 2>/dev/null; then
    say "FAIL stream helper $WPID still running 10 s after SIGTERM"; FAILS=$((FAILS + 1))
  else
    wait "$WPID"
    check "stream helper exit status after SIGTERM" 0 $?
    WPID=""
  fi
  # cat sees EOF once the helper is gone (nobody else holds the pipe).
  for _ in $(seq 1 50); do kill -0 "$CATPID" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$CATPID" 2>/dev/null && { say "FAIL reader still running after the helper"; FAILS=$((FAILS + 1)); } ||
    { wait "$CATPID"; CATPID=""; }
  kill "$HOLDPID" 2>/dev/null; wait "$HOLDPID" 2>/dev/null; HOLDPID=""
  check "helper stderr" "" "$(cat "$T/stream.err")"
  capinfos "$STREAM" >/dev/null 2>"$T/ci.err"
  check "capinfos exit status on the stream file" 0 $?
  check "capinfos warnings" "" "$(grep -v 'Running as user "root"' "$T/ci.err")"
  OUTB=$(stat -c %s "$STREAM")
  read -r SPK _ _ _ IFDROP OSDROP < <(python3 "$NCAP_SRC/bench/lib/pcapsum.py" "$STREAM")
  check "packets in the stream file = datagrams sent" "$COUNT" "$SPK"
  check "last ISB ifdrop osdrop" "0 0" "$IFDROP $OSDROP"
  rm -f "$STREAM" # ~140 B a packet: do not keep hundreds of MB until exit
fi
check "nodecap processes left" 0 "$(WPID=none others)"

# The table and the verdict.
say ""
if [[ $MODE == job ]]; then
  say "$(printf '%-8s %9s %9s %9s %5s %11s %8s %6s %6s %7s' minute rss_kib hwm_kib anon_kib fds packets rotated spool others cpu_s)"
  while IFS=$'\t' read -r t rss hwm anon fds pk df sp ot cpu; do
    say "$(printf '%-8s %9s %9s %9s %5s %11s %8s %6s %6s %7s' "$(awk -v t="$t" 'BEGIN { printf "%.1f", t / 60 }')" \
      "$rss" "$hwm" "$anon" "$fds" "$pk" "$df" "$sp" "$ot" "$cpu")"
  done <"$SAMPLES"
  say "(rotated = files overwritten so far; spool = entries in the job's spool incl. .reserve; others = other"
  say " nodecap processes; cpu_s = the worker's user+system CPU seconds)"
else
  say "$(printf '%-8s %9s %9s %9s %5s %11s %6s %7s' minute rss_kib hwm_kib anon_kib fds out_bytes others cpu_s)"
  while IFS=$'\t' read -r t rss hwm anon fds pk df sp ot cpu; do
    say "$(printf '%-8s %9s %9s %9s %5s %11s %6s %7s' "$(awk -v t="$t" 'BEGIN { printf "%.1f", t / 60 }')" \
      "$rss" "$hwm" "$anon" "$fds" "$pk" "$ot" "$cpu")"
  done <"$SAMPLES"
  say "(out_bytes = pcapng bytes the reader got so far; others = other nodecap processes;"
  say " cpu_s = the stream helper's user+system CPU seconds)"
fi
say "$([[ $MODE == job ]] && echo worker || echo helper) fds at the reference sample: $FDLIST"
say ""
if [[ $MODE == job ]]; then
  say "sent $COUNT datagrams in ${SENT_S} s ($(awk -v c="$COUNT" -v s="$SENT_S" 'BEGIN { printf "%.0f", c / s }') pps achieved); record: $REC packets, $DISCF files ($DISC packets) overwritten by the ring, $kept kept in $NFILES_WANT files"
else
  say "sent $COUNT datagrams in ${SENT_S} s ($(awk -v c="$COUNT" -v s="$SENT_S" 'BEGIN { printf "%.0f", c / s }') pps achieved); stream: $SPK packets, $OUTB bytes of pcapng, last ISB ifdrop $IFDROP osdrop $OSDROP"
fi
VERDICT=short
if ((sampled >= 3)); then
  # warm-up: the first sample (at t=0) is before the capture saw a packet;
  # the second (one interval in) is the reference.
  read -r rss1 fds1 < <(sed -n 2p "$SAMPLES" | cut -f2,5)
  read -r rssN < <(tail -1 "$SAMPLES" | cut -f2)
  read -r rmin rmax < <(tail -n +2 "$SAMPLES" | cut -f2 | sort -n | sed -n '1p;$p' | paste -sd' ')
  fdset=$(cut -f5 "$SAMPLES" | sort -u | paste -sd,)
  growth=$((rssN - rss1))
  say "RSS: ${rss1} KiB at the reference sample, ${rssN} KiB at the end: growth ${growth} KiB (min ${rmin}, max ${rmax} after warm-up); bound ${RSS_BOUND_KIB} KiB"
  say "fds: $fdset over all $sampled samples"
  if ((growth <= RSS_BOUND_KIB)) && [[ $fdset != *,* ]]; then VERDICT=flat; else VERDICT="NOT flat"; fi
fi
say "verdict: $VERDICT ($(((SECONDS - T0) / 60)) min $(((SECONDS - T0) % 60)) s, checks failed: $FAILS)"
mkdir -p "$(dirname "$OUT")"
cp "$REPORT" "$OUT" && ncap_log "results written to $OUT"
[[ $VERDICT == flat && $FAILS -eq 0 ]]
