#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# One interface per node across the files of a ring (issue 26, docs/jobs.md
# "One interface across the files"): a saved job's files all carry the same
# SHB and IDB, so mergecap of the job's files gives ONE interface; the first
# packet of each file carries "nodecap seq=N: ..." so the plugin numbers the
# packets of a file merged or read alone (nodecap.seq = the datagram's own
# number here, since every datagram of the filter is counted), and a file
# left out of the merge is shown as packets "not in this capture", not as a
# loss. Two jobs (two node names) merged with `mergecap -I any` give one
# interface per node. Real helper (local, as root), real mergecap, capinfos
# and tshark with the plugin.
. "$(dirname "$0")/plugin-lib.sh"
set +e
. "$(dirname "$0")/jobs-lib.sh"
mkdir -p "$T/state" "$T/cap" "$T/etc" "$T/r"
export NCAP_STATEDIR=$T/state NCAP_CAPTURESDIR=$T/cap NCAP_SYSCONFDIR=$T/etc NCAP_AUDITLOG=$T/audit.log
cp "$NCAP_SRC/tests/lib/policy-all.conf" "$T/etc/policy.conf"
PORT=$((47300 + RANDOM % 500))
trap 'for p in ${WPIDS:-}; do kill $p 2>/dev/null; done; rm -rf "$T"' EXIT

# run_job NODE COUNT: a job on lo, 1 MB files, at most 4; COUNT datagrams
# of 400 bytes, then stop. Leaves the record in $T/NODE.json.
run_job() {
  local node=$1 count=$2
  $H start --json --node "$node" -i lo -f "udp dst port $PORT" --file-size 1 --max-size 4 \
    > "$T/$node-start.json" 2> "$T/$node-start.err"
  assert_eq "$node: start exit status" 0 $?
  local id wpid
  id=$(jfield "$T/$node-start.json" 'j["id"]')
  wpid=$(jfield "$T/$node-start.json" 'j["worker_pid"]')
  WPIDS="${WPIDS:-} $wpid"
  $GEN --port $PORT --count "$count" --size 400 --rate 20000
  sleep 0.5
  $H stop "$id" --json > "$T/$node.json" 2> "$T/$node-stop.err"
  assert_eq "$node: stop exit status" 0 $?
  wait_gone "$wpid" 5 || fail "$node: worker still running after stop"
  assert_eq "$node: every datagram recorded" "$count" "$(jfield "$T/$node.json" 'j["packets"]')"
}

# seq_check FILE WHAT: nodecap.seq equals the datagram's own number
# (payload "ncap-seq-%08d") for every packet; prints the packet count.
seq_check() {
  tsf -r "$1" -T fields -e nodecap.seq -e data.data > "$T/seq.txt" 2> "$T/seq.err"
  [ -s "$T/seq.txt" ] || fail "$2: tshark printed nothing: $(head -3 "$T/seq.err")"
  python3 - "$T/seq.txt" "$2" <<'EOF'
import sys
bad = n = 0
for line in open(sys.argv[1]):
    seq, data = line.split()
    n += 1
    want = int(bytes.fromhex(data[:34])[9:].decode())
    if int(seq) != want:
        if bad < 3:
            print(f"{sys.argv[2]}: packet {n}: nodecap.seq {seq}, datagram {want}", file=sys.stderr)
        bad += 1
print(n if bad == 0 else f"{bad}-wrong")
EOF
}

# 1. One job that rotates past its ring: 6 files' worth, 4 kept.
run_job tn 14000
files=$(jfield "$T/tn.json" '" ".join(f["name"] for f in j["files"])')
nfiles=$(echo $files | wc -w)
assert_eq "tn: files kept by the ring" 4 "$nfiles"
assert_match "tn: older files were overwritten" '^[1-9]' "$(jfield "$T/tn.json" 'j["discarded_files"]')"
for f in $files; do cp "$T/cap/$f" "$T/r/"; done
chmod a+r "$T/r"/*
set -- $files
F1=$T/r/$1 F2=$T/r/$2 F3=$T/r/$3 F4=$T/r/$4

# Every file: the same SHB + IDB bytes (up to the first EPB).
python3 - "$F1" "$F2" "$F3" "$F4" > "$T/hdr.txt" <<'EOF'
import struct, sys
heads = set()
for p in sys.argv[1:]:
    b = open(p, "rb").read()
    off = 0
    while True:
        t, n = struct.unpack_from("<II", b, off)
        if t == 6:
            break
        off += n
    heads.add(b[:off])
print(len(heads))
EOF
assert_eq "distinct SHB+IDB headers among the 4 files" 1 "$(cat "$T/hdr.txt")"
desc=$(tsf -r "$F1" -c 1 -T fields -e frame.interface_description 2>/dev/null)
assert_match "IDB description: session and sampling, no per-file first_seq" '^nodecap session=[0-9a-f]{16} sample=1$' "$desc"

# The first packet of each file names its sequence number (= the record's
# first_seq), the others carry no comment.
for k in 0 1 2 3; do
  f=$T/r/$(jfield "$T/tn.json" "j['files'][$k]['name']")
  want=$(jfield "$T/tn.json" "j['files'][$k]['first_seq']")
  c=$(tsf -r "$f" -c 1 -T fields -e frame.comment 2>/dev/null)
  assert_match "file $((k + 1)): first packet's comment" "^nodecap seq=$want: first packet of file [0-9]+ of job [0-9a-f]{32}\$" "$c"
  assert_eq "file $((k + 1)): packets with a comment" 1 "$(tsf -r "$f" -Y frame.comment 2>/dev/null | wc -l)"
done

# 2. mergecap of the job's files (default mode): ONE interface.
mergecap -w "$T/r/all.pcapng" "$F1" "$F2" "$F3" "$F4" 2> "$T/merge.err"
assert_eq "mergecap status" 0 $?
assert_empty "mergecap warnings" "$(cat "$T/merge.err")"
chmod a+r "$T/r/all.pcapng"
assert_eq "interfaces in the merged ring" 1 "$(capinfos -M -I "$T/r/all.pcapng" | grep -c 'Interface #')"
assert_eq "interface names in the merged ring" "tn:lo" \
  "$(tsf -r "$T/r/all.pcapng" -T fields -e frame.interface_name 2>/dev/null | sort -u)"
total=0; for f in "$F1" "$F2" "$F3" "$F4"; do total=$((total + $(npackets "$f"))); done
assert_eq "merged packets" "$total" "$(npackets "$T/r/all.pcapng")"
assert_eq "nodecap.seq = datagram number, merged ring" "$total" "$(seq_check "$T/r/all.pcapng" merged)"
assert_empty "merged ring: nothing reported missing" \
  "$(tsf -r "$T/r/all.pcapng" -Y nodecap.not_here 2>/dev/null)"
# tshark and capinfos read it without a warning.
capinfos "$T/r/all.pcapng" > /dev/null 2> "$T/ci.err"
assert_empty "capinfos warnings on the merged ring" "$(real_warnings "$T/ci.err")"

# 3. One file read alone: its numbers start where the comment says.
n3=$(npackets "$F3")
assert_eq "nodecap.seq = datagram number, file 3 alone" "$n3" "$(seq_check "$F3" file3)"

# 4. A file left out (files 1, 3, 4): the jump is shown as packets not in
# this capture (file 2's count), never as a loss.
mergecap -w "$T/r/gap.pcapng" "$F1" "$F3" "$F4" 2>/dev/null
chmod a+r "$T/r/gap.pcapng"
assert_eq "interfaces with a file left out" 1 "$(capinfos -M -I "$T/r/gap.pcapng" | grep -c 'Interface #')"
n2=$(npackets "$F2")
assert_eq "not_here on the first packet of file 3 = file 2's packets" "$n2" \
  "$(tsf -r "$T/r/gap.pcapng" -Y nodecap.not_here -T fields -e nodecap.not_here 2>/dev/null)"
assert_match "expert note names the interface" "packet\\(s\\) of tn:lo before this one are not in this capture" \
  "$(tsf -r "$T/r/gap.pcapng" -z expert,note -q 2>/dev/null)"
assert_empty "no gap (loss) reported" "$(tsf -r "$T/r/gap.pcapng" -Y 'nodecap.gap > 0' 2>/dev/null)"
assert_eq "nodecap.seq = datagram number, file 2 left out" "$((total - n2))" "$(seq_check "$T/r/gap.pcapng" gap)"

# 5. Two jobs, two node names: mergecap -I any keeps one interface per node.
PORT=$((PORT + 1))
run_job tn2 3000
for f in $(jfield "$T/tn2.json" '" ".join(f["name"] for f in j["files"])'); do cp "$T/cap/$f" "$T/r/"; done
chmod a+r "$T/r"/*
mergecap -I any -w "$T/r/two.pcapng" "$T/r"/tn_*.pcapng "$T/r"/tn2_*.pcapng 2>/dev/null
assert_eq "mergecap -I any status" 0 $?
chmod a+r "$T/r/two.pcapng"
assert_eq "interfaces of two jobs merged with -I any" 2 "$(capinfos -M -I "$T/r/two.pcapng" | grep -c 'Interface #')"
assert_eq "their names" "tn2:lo tn:lo" \
  "$(tsf -r "$T/r/two.pcapng" -T fields -e frame.interface_name 2>/dev/null | sort -u | xargs)"

summary
