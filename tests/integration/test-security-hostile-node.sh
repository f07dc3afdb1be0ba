#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A compromised or broken node cannot mislead or harm the analyst
# (docs/security.md "What a node can do to the analyst"). The node's
# nodecap-helper is replaced by a scripted hostile one
# (tests/data/hostile/hostile-helper.py) behind a real sshd, and the CLI
# captures from one node and from two (the same sshd under two names):
#  - a block length of 0xFFFFFFF0, random bytes after a valid header, a
#    packet for an undeclared interface, 100000 IDBs: exit 19 (malformed
#    stream), one line naming the node and the problem, the valid prefix
#    kept and readable by capinfos with a frame.comment saying why;
#  - a 10 MB stderr line, escape sequences on stderr: a non-zero exit, the
#    node's text cut to 1 KiB and escaped; 200 MB of stderr woven into a
#    valid stream: the capture whole, the client's memory bounded;
#  - escape sequences in job records and file names from list, status,
#    fetch and interfaces: escaped on the terminal, the file refused.
# Every run: max RSS under a bound (/usr/bin/time -v), no control
# character in what reached the terminal, no helper left on the node.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/sshd.sh"
command -v capinfos >/dev/null || ncap_fail "capinfos missing (apt-get install tshark)"
[[ -x /usr/bin/time ]] || ncap_fail "/usr/bin/time missing (apt-get install time)"

MODE_FILE="$NCAP_TMP/mode"
NCAP_SSHD_SETENV="HOSTILE_MODE_FILE=$MODE_FILE HOSTILE_REAL_HELPER=$NCAP_BUILD/remote/nodecap-helper"
ncap_sshd_start
# The hostile helper at the harness's helper path, so ncap_helper_pids
# (and "nothing left on the node") sees it.
rm -f "$NCAP_HELPER"
cp "$NCAP_SRC/tests/data/hostile/hostile-helper.py" "$NCAP_HELPER"
chmod 755 "$NCAP_HELPER"

X="$NCAP_BUILD/extcap/nodecap"
# shellcheck disable=SC2207
SSHO=($(ncap_cli_ssh_opts))
ONE=127.0.0.1
TWO=127.0.0.1,root@127.0.0.1
# The client's bound: its relay buffer (~5 MiB), libssh's channel window
# (4 MiB) and the merge window are far below this; a client that held
# the node's 10 MB stderr line or 100000 interfaces whole goes past it.
RSS_MAX_KB=${NCAP_HOSTILE_RSS_MAX_KB:-40000}
# In the sanitizer pass nodecap carries ASan: its quarantine keeps freed
# memory (256 MB by default) and its allocator and shadow memory add a
# fixed overhead, so the quarantine is made small and the bound doubled; a
# buffer that grows with what the node sends (200 MB of stderr) still
# goes far past it.
if ldd "$NCAP_BUILD/extcap/nodecap" | grep -q libasan; then
  export ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=1"
  RSS_MAX_KB=$((RSS_MAX_KB * 2))
fi
FAILS=0

# What reached the terminal must hold no control character but newlines:
# no C0 byte, no DEL, no C1 (UTF-8 U+0080-U+009F, or a lone 0x80-0x9f).
no_controls() {
  python3 - "$@" <<'PY'
import re, sys
bad = re.compile(rb"[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]")
for path in sys.argv[1:]:
    data = open(path, "rb").read()
    m = bad.search(data)
    if m:
        print("%s: control byte %r at %d" % (path, m.group(), m.start()))
        sys.exit(1)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        print("%s: not UTF-8 at %d" % (path, e.start))
        sys.exit(1)
PY
}

# check NAME COND MESSAGE: a failed check is reported and counted, and the
# test goes on, so one run shows every case (on main too).
check() {
  local name=$1 msg=$3
  if eval "$2"; then return 0; fi
  ncap_log "FAIL $name: $msg"
  FAILS=$((FAILS + 1))
  return 1
}

# run NAME CMD...: runs the client under /usr/bin/time -v with stdout and
# stderr captured; sets RC, RSS (KiB), OUT_F, ERR_F.
run() {
  local name=$1
  shift
  OUT_F="$NCAP_TMP/$name.stdout"
  ERR_F="$NCAP_TMP/$name.stderr"
  /usr/bin/time -v -o "$NCAP_TMP/$name.time" timeout 120 "$@" >"$OUT_F" 2>"$ERR_F"
  RC=$?
  RSS=$(awk -F: '/Maximum resident set size/ {print $2 + 0}' "$NCAP_TMP/$name.time")
  # /usr/bin/time reports a non-zero exit on its own stderr line: not ours.
}

common_checks() {
  local name=$1
  check "$name" "[[ \${RSS:-0} -gt 0 && \$RSS -lt $RSS_MAX_KB ]]" "max RSS ${RSS:-?} KiB (bound $RSS_MAX_KB)"
  local bad
  bad=$(no_controls "$OUT_F" "$ERR_F") ||
    check "$name" false "control character on the terminal: $bad"
  if ! ncap_wait_for 5 _ncap_no_helper; then
    check "$name" false "helper still running on the node: $(ncap_helper_pids | paste -sd' ')"
    for p in $(ncap_helper_pids); do kill -9 "$p" 2>/dev/null; done
  fi
}

# ---- malformed streams -----------------------------------------------------
for nodes in one two; do
  hosts=$ONE; nprefix=5
  [[ $nodes == two ]] && { hosts=$TWO; nprefix=10; }
  for mode in badlen garbage undeclared manyidbs; do
    name="$mode-$nodes"
    echo "$mode" >"$MODE_FILE"
    pcap="$NCAP_TMP/$name.pcapng"
    run "$name" "$X" capture "$hosts" "${SSHO[@]}" -i lo -w "$pcap"
    err=$(cat "$ERR_F")
    check "$name" "[[ $RC -eq 19 ]]" "exit $RC, want 19 (malformed stream): ${err:0:300}"
    check "$name" "grep -q '^nodecap: 127.0.0.1: the node sent a malformed stream: pcapng: ' '$ERR_F'" "no line naming the node and the problem: ${err:0:300}"
    if [[ $nodes == one ]]; then
      check "$name" "[[ \$(wc -l <'$ERR_F') -eq 1 ]]" "stderr is not one line: ${err:0:300}"
    fi
    if capinfos -c -M "$pcap" >"$NCAP_TMP/$name.capinfos" 2>&1; then
      n=$(awk -F: '/Number of packets/ {print $2 + 0}' "$NCAP_TMP/$name.capinfos")
      check "$name" "[[ $n -ge $nprefix ]]" "valid prefix lost: $n packets, want >= $nprefix"
      comment=$(tshark -r "$pcap" -Y frame.comment -T fields -e frame.comment 2>/dev/null | head -1)
      check "$name" "[[ \"\$comment\" == *'malformed stream'* ]]" "no frame.comment saying why: '$comment'"
    else
      check "$name" false "capinfos refuses the file: $(tail -1 "$NCAP_TMP/$name.capinfos")"
    fi
    common_checks "$name"
    ncap_log "$name: exit $RC, rss ${RSS}KiB, $(head -c 300 "$ERR_F" | head -1)"
  done
done

# ---- the extcap under tshark (single node): the same refusal ---------------
echo badlen >"$MODE_FILE"
name=tshark-badlen
pcap="$NCAP_TMP/$name.pcapng"
run "$name" tshark -i nodecap "${NCAP_TSHARK_OPTS[@]}" -o extcap.nodecap.remoteinterface:lo -w "$pcap"
# tshark 4.0 itself exits 0 once packets were captured, whatever the
# extcap's status: the line it shows is what the user sees.
check "$name" "[[ $RC -ne 124 ]]" "tshark did not end"
check "$name" "grep -qE 'Error (by|from) extcap pipe: nodecap: 127.0.0.1: the node sent a malformed stream: pcapng: ' '$ERR_F'" "tshark does not show the line: $(head -c 300 "$ERR_F")"
if capinfos -c -M "$pcap" >"$NCAP_TMP/$name.capinfos" 2>&1; then
  n=$(awk -F: '/Number of packets/ {print $2 + 0}' "$NCAP_TMP/$name.capinfos")
  check "$name" "[[ $n -ge 5 ]]" "valid prefix lost: $n packets"
  comment=$(tshark -r "$pcap" -Y frame.comment -T fields -e frame.comment 2>/dev/null | head -1)
  check "$name" "[[ \"\$comment\" == *'malformed stream'* ]]" "no frame.comment saying why: '$comment'"
else
  check "$name" false "capinfos refuses tshark's file: $(tail -1 "$NCAP_TMP/$name.capinfos")"
fi
bad=$(no_controls "$ERR_F") || check "$name" false "control character on the terminal: $bad"
ncap_assert_no_helper "$name"
ncap_log "$name: exit $RC: $(grep -m1 'Error by extcap' "$ERR_F" | head -c 200)"

# ---- the node's stderr -------------------------------------------------------
for nodes in one two; do
  hosts=$ONE; maxline=1300
  [[ $nodes == two ]] && { hosts=$TWO; maxline=2600; }
  for mode in stderr10m escapes; do
    name="$mode-$nodes"
    echo "$mode" >"$MODE_FILE"
    pcap="$NCAP_TMP/$name.pcapng"
    run "$name" "$X" capture "$hosts" "${SSHO[@]}" -i lo -w "$pcap"
    check "$name" "[[ $RC -ne 0 ]]" "exit 0 although the helper failed"
    longest=$(awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }' "$ERR_F")
    check "$name" "[[ $longest -le $maxline ]]" "a stderr line of $longest bytes (bound $maxline)"
    if [[ $mode == escapes ]]; then
      check "$name" "grep -q 'x1b\]0;PWNED' '$ERR_F'" "the escape is not shown escaped: $(head -c 200 "$ERR_F")"
    else
      check "$name" "grep -q 'bytes more)' '$ERR_F'" "the cut is not said: $(head -c 200 "$ERR_F")"
    fi
    if [[ -s $pcap ]]; then
      capinfos "$pcap" >/dev/null 2>&1 || check "$name" false "capinfos refuses the prefix"
    fi
    common_checks "$name"
    ncap_log "$name: exit $RC, rss ${RSS}KiB, longest stderr line $longest"
  done
done

# ---- stderr flooded while the stream flows: a valid capture, bounded -------
for nodes in one two; do
  hosts=$ONE; want=2005
  [[ $nodes == two ]] && { hosts=$TWO; want=4010; }
  name="stderrflood-$nodes"
  echo stderrflood >"$MODE_FILE"
  pcap="$NCAP_TMP/$name.pcapng"
  run "$name" "$X" capture "$hosts" "${SSHO[@]}" -i lo -w "$pcap"
  check "$name" "[[ $RC -eq 0 ]]" "exit $RC for a valid stream: $(head -c 300 "$ERR_F")"
  n=$(capinfos -c -M "$pcap" 2>/dev/null | awk -F: '/Number of packets/ {print $2 + 0}')
  check "$name" "[[ '$n' == $want ]]" "packets ${n:-none}, want $want"
  common_checks "$name"
  ncap_log "$name: exit $RC, rss ${RSS}KiB (200 MB of stderr), $n packets"
done

# ---- job records, file names, interfaces ----------------------------------
echo jobs >"$MODE_FILE"
JOB=0123456789abcdef0123456789abcdef
for nodes in one two; do
  hosts=$ONE
  [[ $nodes == two ]] && hosts=$TWO
  name="list-$nodes"
  run "$name" "$X" list "$hosts" "${SSHO[@]}"
  check "$name" "grep -q 'x1b\\]0;PWNED' '$OUT_F'" "the reason is not shown escaped: $(head -c 300 "$OUT_F")"
  common_checks "$name"
  ncap_log "$name: exit $RC: $(grep -m1 PWNED "$OUT_F" | head -c 200)"

  name="status-$nodes"
  run "$name" "$X" status "$hosts" "${SSHO[@]}" "$JOB"
  check "$name" "grep -q 'x1b\\]0;PWNED' '$OUT_F'" "the status text is not shown escaped: $(head -c 300 "$OUT_F")"
  common_checks "$name"

  name="fetch-$nodes"
  mkdir -p "$NCAP_TMP/dl-$nodes"
  run "$name" "$X" fetch "$hosts" "${SSHO[@]}" "$JOB" -o "$NCAP_TMP/dl-$nodes"
  check "$name" "[[ $RC -ne 0 ]]" "a file named with escapes was not refused"
  check "$name" "[[ -z \"\$(ls -A '$NCAP_TMP/dl-$nodes')\" ]]" "files written: $(ls -A "$NCAP_TMP/dl-$nodes" | od -c | head -2)"
  common_checks "$name"
  ncap_log "$name: exit $RC: $(head -1 "$ERR_F")"

  name="fetch-all-$nodes"
  run "$name" "$X" fetch "$hosts" "${SSHO[@]}" --all -o "$NCAP_TMP/dl-$nodes"
  check "$name" "[[ $RC -ne 0 ]]" "a file named with escapes was not refused"
  # The running job's note quotes its status, escapes and all.
  check "$name" "grep -q 'is still \\\\x1b\[2Jrunning\\\\x07: not fetched' '$ERR_F'" "no escaped note for the running job: $(head -c 300 "$ERR_F")"
  common_checks "$name"
  ncap_log "$name: exit $RC: $(head -1 "$ERR_F")"
done
name=interfaces
run "$name" "$X" interfaces "$ONE" "${SSHO[@]}"
check "$name" "[[ $RC -eq 0 ]]" "exit $RC: $(cat "$ERR_F")"
check "$name" "! grep -q '^ev' '$OUT_F'" "an interface named with escapes is listed"
common_checks "$name"
run interfaces-json "$X" interfaces "$ONE" "${SSHO[@]}" --json
common_checks interfaces-json

[[ $FAILS -eq 0 ]] || ncap_fail "$FAILS check(s) failed"
ncap_log "PASS: malformed streams, stderr, job records, file names and interfaces from a hostile node, one node and two"
