#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The bench works: bench/run.sh --smoke (3000 packets of 512 B, one short
# zero-loss step, no callgrind) prints a results table with a row for every
# tool and the ratio lines; bench/soak.sh --seconds 20 runs its ring job and
# end checks, and --mode stream --seconds 15 the stream helper and its end
# checks; bench/dumpcap-fifo.sh counts dumpcap's system calls per packet.
# Speed is not asserted: the machine is shared.
set -uo pipefail
. "$(dirname "$0")/../lib/assert.sh"

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
timeout 170 "$NCAP_SRC/bench/run.sh" --smoke >"$T/out" 2>"$T/err"
rc=$?
assert_eq "bench/run.sh --smoke exit status" 0 $rc
out=$(cat "$T/out")
assert_match "burst header" '== burst: 3000 x 512 B' "$out"
for tool in tcpdump sshdump nodecap-tshark nodecap-cli nodecap-agentless helper-openssh; do
  # tool, sent, delivered (a number each)
  assert_match "table row for $tool" "(^|
)$tool +[0-9]+ +[0-9]+ " "$out"
done
assert_match "zero-loss section" '== zero-loss search' "$out"
for tool in nodecap-tshark nodecap-cli helper-openssh; do
  assert_match "ratio $tool/sshdump" "ratio delivered $tool/sshdump 512B: [0-9.]+" "$out"
  assert_match "ratio $tool/tcpdump" "ratio delivered $tool/tcpdump 512B: [0-9.]+" "$out"
done
assert_match "start-to-first-packet ratio" 'ratio start-to-first-packet nodecap-tshark/sshdump: ' "$out"
assert_match "ratio nodecap-agentless/sshdump" "ratio delivered nodecap-agentless/sshdump 512B: [0-9.]+" "$out"
assert_match "agentless first packet ratio" 'ratio start-to-first-packet nodecap-agentless/sshdump: [0-9.]+' "$out"
assert_match "agentless leaves no tcpdump" 'nodecap-agentless left its remote tcpdump running after 0 of [1-9][0-9]* stops' "$out"
assert_match "sshdump leftovers reported" 'sshdump left its remote tcpdump running after [0-9]+ of [0-9]+ stops' "$out"
assert_eq "nodecap helpers left running" "nodecap helpers left running after a stop: 0" \
  "$(grep '^nodecap helpers left' "$T/out")"

# bench/soak.sh works (~35 s): a 20 s ring job sampled every 5 s; its end
# checks (record = sent, files clean) must pass. Flatness over 20 s says
# little, and ASan's quarantine grows the heap on purpose: the verdict is
# only asserted without sanitizers.
timeout 120 "$NCAP_SRC/bench/soak.sh" --seconds 20 --interval 5 --out "$T/soak.txt" \
  >"$T/soak.out" 2>"$T/soak.err"
rc=$?
soak=$(cat "$T/soak.out")
assert_match "soak: end checks" 'checks failed: 0\)' "$soak"
assert_match "soak: record = datagrams sent" 'ok +record packets \+ kernel drops = datagrams sent: 40000' "$soak"
assert_match "soak: ring wrapped" 'record: 40000 packets, [1-9][0-9]* files' "$soak"
rows=$(grep -cE '^[0-9]+\.[0-9] +[0-9]+ ' "$T/soak.txt")
[[ $rows -ge 4 ]] && ok "soak: $rows samples in the results file" || fail "soak: $rows samples in the results file"
if [[ -z "${ASAN_OPTIONS:-}" ]]; then
  assert_eq "soak.sh exit status" 0 $rc
  assert_match "soak: verdict" 'verdict: flat' "$soak"
fi

# bench/soak.sh --mode stream (~25 s): the live stream helper for 15 s,
# sampled every 5 s; it exits 0 on SIGTERM and its output holds every
# datagram, capinfos-clean, no drops in the last ISB.
timeout 90 "$NCAP_SRC/bench/soak.sh" --mode stream --seconds 15 --interval 5 \
  --out "$T/soak-stream.txt" >"$T/soak-stream.out" 2>"$T/soak-stream.err"
rc=$?
ss=$(cat "$T/soak-stream.out")
assert_match "soak stream: end checks" 'checks failed: 0\)' "$ss"
assert_match "soak stream: exit 0 on SIGTERM" 'ok +stream helper exit status after SIGTERM: 0' "$ss"
assert_match "soak stream: packets = datagrams sent" 'ok +packets in the stream file = datagrams sent: 30000' "$ss"
assert_match "soak stream: no drops in the last ISB" 'ok +last ISB ifdrop osdrop: 0 0' "$ss"
rows=$(grep -cE '^[0-9]+\.[0-9] +[0-9]+ ' "$T/soak-stream.txt")
[[ $rows -ge 4 ]] && ok "soak stream: $rows samples in the results file" || fail "soak stream: $rows samples in the results file"
if [[ -z "${ASAN_OPTIONS:-}" ]]; then
  assert_eq "soak.sh --mode stream exit status" 0 $rc
  assert_match "soak stream: verdict" 'verdict: flat' "$ss"
fi

# bench/dumpcap-fifo.sh works (~15 s): tshark -i nodecap, 2000 datagrams,
# dumpcap's system calls counted per packet of tshark's file.
timeout 90 "$NCAP_SRC/bench/dumpcap-fifo.sh" --packets 2000 --rate 5000 \
  --out "$T/fifo.txt" >"$T/fifo.out" 2>"$T/fifo.err"
rc=$?
assert_eq "dumpcap-fifo.sh exit status" 0 $rc
fifo=$(cat "$T/fifo.txt" 2>/dev/null)
assert_match "dumpcap-fifo: every datagram in tshark's file" 'packets in tshark.s file: 2000[^0-9]' "$fifo"
assert_match "dumpcap-fifo: a per-packet count" 'per packet: [0-9]+\.[0-9]+ system calls \(read [0-9.]+' "$fifo"
summary
