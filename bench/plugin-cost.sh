#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# nodecap plugin cost bench (issue 14): a merged three-node capture of
# --packets packets (default 1,000,000), read with `tshark -2` by an
# unprivileged user, with the nodecap plugin in that user's personal plugin
# folder and without it, under /usr/bin/time -v: wall seconds, peak RSS,
# and the ratio with/without. Not a ctest test: run by hand after a build
# (as root: tshark then runs as nobody, as tests/integration/plugin-lib.sh
# does, since Wireshark ignores personal plugins as root).
#
#   sudo bench/plugin-cost.sh [--packets N] [--out FILE]
# Env: NCAP_BUILD (build dir, default <src>/build).
#
# The file (tests/tools' ncap-mkpcapng): interfaces "A:data0", "B:data0",
# "C:data0"; UDP datagrams on 64 flows (destination ports) cross A, B, C,
# 10 µs apart, one every ms, each with its epb_packetid; one in 100 is
# lost after B (seen at A and B only), which the plugin's flow rule (no
# node_order preference) flags as nodecap.unmatched. Rows:
#   without   no plugin, -Y "udp.dstport == 1" (valid without the plugin,
#             matches nothing, so every packet is dissected and filtered)
#   with      the plugin, -Y nodecap.unmatched (the use case)
#   with-idle the plugin loaded, same filter as "without": what loading it
#             costs a user who does not look at its fields
set -uo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NCAP_SRC=$(cd "$BENCH_DIR/.." && pwd)
: "${NCAP_BUILD:=$NCAP_SRC/build}"
export NCAP_SRC NCAP_BUILD

PACKETS=1000000 OUT=""
while (($#)); do
  case $1 in
    --packets) PACKETS=$2; shift ;;
    --out) OUT=$2; shift ;;
    -h | --help) sed -n '3,24p' "$0"; exit 0 ;;
    *) echo "plugin-cost: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

. "$NCAP_SRC/tests/lib/common.sh"
PLUGIN_SO="$NCAP_BUILD/plugin/nodecap.so"
MKPCAPNG="$NCAP_BUILD/tests/tools/ncap-mkpcapng"
for f in "$PLUGIN_SO" "$MKPCAPNG"; do
  [[ -e $f ]] || ncap_fail "$f missing: build first (cmake --build build)"
done
[[ -x /usr/bin/time ]] || ncap_fail "/usr/bin/time missing (apt-get install time)"
command -v tshark >/dev/null || ncap_fail "tshark missing"

# Two private HOMEs: one with the plugin in the personal folder, one empty.
HOME_WITH="$NCAP_TMP/home-with" HOME_WITHOUT="$NCAP_TMP/home-without"
mkdir -p "$HOME_WITH/.local/lib/wireshark/plugins/4.0/epan" "$HOME_WITHOUT"
cp "$PLUGIN_SO" "$HOME_WITH/.local/lib/wireshark/plugins/4.0/epan/"
if [[ $(id -u) -eq 0 ]]; then
  chown -R nobody:nogroup "$HOME_WITH" "$HOME_WITHOUT"
  AS_USER=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
else
  AS_USER=()
fi

FILE="$NCAP_TMP/merged.pcapng"
SPEC="$NCAP_TMP/merged.spec"
t0=$(date +%s)
python3 - "$PACKETS" "$NCAP_TMP/expected" >"$SPEC" <<'PY'
import sys
total, spacing = int(sys.argv[1]), 1000000  # one datagram per ms
w = sys.stdout.write
w("iface A:data0\niface B:data0\niface C:data0\n")
base = 1764000000 * 10**9
n = k = 0
lost = []
while n < total:
    t = base + k * spacing
    hops = (0, 1) if k % 100 == 99 else (0, 1, 2)
    if len(hops) == 2:
        lost.append(t)
    for h in hops:
        if n == total:
            break
        w("pkt %d %d %d ttl=%d dport=%d\n" % (h, t + h * 10000, k, 64 - h, 5000 + k % 64))
        n += 1
    k += 1
# The plugin judges no packet within max_delay_ms (1 s) of the file's end;
# each one it judges is flagged once, at B (the last node that saw it).
end = base + (k - 1) * spacing
open(sys.argv[2], "w").write("%d\n" % (sum(1 for t in lost if t + 10000 < end - 10**9)))
PY
"$MKPCAPNG" "$FILE" "$SPEC" || ncap_fail "ncap-mkpcapng failed"
rm -f "$SPEC"
chmod 755 "$NCAP_TMP"
chmod 644 "$FILE"
n=$(capinfos -M -c "$FILE" 2>/dev/null | sed -n 's/^Number of packets: *//p')
[[ $n == "$PACKETS" ]] || ncap_fail "the file holds $n packets, not $PACKETS"
ncap_log "built $FILE ($PACKETS packets, $(du -m "$FILE" | cut -f1) MB) in $(($(date +%s) - t0)) s"

REPORT="$NCAP_TMP/report.txt"
say() { printf '%s\n' "$*" | tee -a "$REPORT"; }

# run NAME HOME FILTER: tshark -2 as the user; sets WALL RSS_MB LINES.
run() {
  local name=$1 home=$2 filter=$3 tv="$NCAP_TMP/time-$1.txt"
  /usr/bin/time -v -o "$tv" "${AS_USER[@]}" env -i PATH="$PATH" HOME="$home" LC_ALL=C.UTF-8 \
    tshark -2 -r "$FILE" -Y "$filter" >"$NCAP_TMP/out-$name.txt" 2>"$NCAP_TMP/err-$name.txt" ||
    ncap_fail "$name: tshark failed: $(tail -n3 "$NCAP_TMP/err-$name.txt")"
  WALL=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): *//p' "$tv" |
    awk -F: '{s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.2f", s}')
  CPU=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {printf "%.2f", u + s}' "$tv")
  RSS_MB=$(sed -n 's/.*Maximum resident set size (kbytes): *//p' "$tv" | awk '{printf "%.1f", $1 / 1024}')
  LINES=$(wc -l <"$NCAP_TMP/out-$name.txt")
}

say "nodecap plugin-cost $(date -u +%Y-%m-%dT%H:%M:%SZ)  ($(git -C "$NCAP_SRC" rev-parse --short HEAD 2>/dev/null || echo '?'))"
say "host: $(uname -sr), $(nproc) cores; load at start: $(uptime | sed 's/.*load average: //'); $(tshark -v 2>/dev/null | head -1)"
say "file: $PACKETS packets, 3 nodes (A:data0 B:data0 C:data0), 64 flows, 1 in 100 lost after B; $(du -m "$FILE" | cut -f1) MB"
say "command: tshark -2 -r FILE -Y FILTER as $( ((${#AS_USER[@]})) && echo nobody || id -un), under /usr/bin/time -v"
say ""
# The file in the page cache before the first timed run, so the first row
# does not pay for the disk.
cat "$FILE" >/dev/null
say "| run | plugin | filter | wall s | CPU s | peak RSS MB | lines shown |"
say "|---|---|---|---:|---:|---:|---:|"
run without "$HOME_WITHOUT" "udp.dstport == 1"
W0=$WALL R0=$RSS_MB
say "| without | no | udp.dstport == 1 | $WALL | $CPU | $RSS_MB | $LINES |"
run with "$HOME_WITH" "nodecap.unmatched"
W1=$WALL R1=$RSS_MB
say "| with | yes | nodecap.unmatched | $WALL | $CPU | $RSS_MB | $LINES |"
UNMATCHED=$LINES
run with-idle "$HOME_WITH" "udp.dstport == 1"
say "| with-idle | yes | udp.dstport == 1 | $WALL | $CPU | $RSS_MB | $LINES |"
say ""
say "ratio with/without: wall $(awk -v a="$W1" -v b="$W0" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'), peak RSS $(awk -v a="$R1" -v b="$R0" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}')"
say "ratio with-idle/without: wall $(awk -v a="$WALL" -v b="$W0" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'), peak RSS $(awk -v a="$RSS_MB" -v b="$R0" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}')"
say "nodecap.unmatched shown: $UNMATCHED (expected $(cat "$NCAP_TMP/expected"): each lost datagram once, at B, but for the last second)"
say "load after the run: $(uptime | sed 's/.*load average: //')"

[[ -n $OUT ]] || OUT="$NCAP_SRC/bench/results/plugin-cost-$(date -u +%Y-%m-%d-%H%M).txt"
mkdir -p "$(dirname "$OUT")"
cp "$REPORT" "$OUT"
ncap_log "written to $OUT"
