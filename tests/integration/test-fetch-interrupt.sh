#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Ctrl-C (SIGINT) or SIGTERM during `nodecap fetch` (issue 21, docs/cli.md
# "fetch"): the partial file is removed, the files completed and verified
# so far are listed, nodecap exits 130 / 143, and a re-run keeps those and
# fetches the rest. The node's `fetch` goes through a wrapper that
# throttles it to ~400 kB/s, so the signal lands in the middle of a file.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/sshd.sh"
ST=$NCAP_TMP/state CAP=$NCAP_TMP/cap ETC=$NCAP_TMP/etc
mkdir -p "$ST" "$CAP" "$ETC"
cp "$NCAP_SRC/tests/lib/policy-all.conf" "$ETC/policy.conf"
NCAP_SSHD_SETENV="NCAP_STATEDIR=$ST NCAP_CAPTURESDIR=$CAP NCAP_SYSCONFDIR=$ETC NCAP_AUDITLOG=$NCAP_TMP/audit.log"
ncap_sshd_start
X="$NCAP_BUILD/extcap/nodecap"
HOST=127.0.0.1
PORT=$(ncap_random_port 40000 49000)
SSHO=(-p "$NCAP_SSH_PORT" --sshkey "$NCAP_SSH_KEY" --known-hosts "$NCAP_KNOWN_HOSTS"
  --log-level info --log-file "$NCAP_EXTCAP_LOG")
jget() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }
ncap_on_exit "NCAP_STATEDIR=$ST NCAP_CAPTURESDIR=$CAP NCAP_SYSCONFDIR=$ETC NCAP_AUDITLOG=$NCAP_TMP/audit.log $NCAP_BUILD/remote/nodecap-helper stop"

SLOW=$NCAP_TMP/slow-helper
cat >"$SLOW" <<SH
#!/bin/bash
if [ "\$1" = fetch ]; then
  "$NCAP_HELPER" "\$@" | python3 -c '
import sys, time
t0, n = time.monotonic(), 0
while True:
    b = sys.stdin.buffer.read(16384)
    if not b:
        break
    sys.stdout.buffer.write(b); sys.stdout.buffer.flush()
    n += len(b)
    d = t0 + n / 400000 - time.monotonic()
    if d > 0:
        time.sleep(d)'
  exit \${PIPESTATUS[0]}
fi
exec "$NCAP_HELPER" "\$@"
SH
chmod 755 "$SLOW"

# A finished job of three 1 MB files.
"$X" start "$HOST" "${SSHO[@]}" --remote-helper "$NCAP_HELPER" -i lo -f "udp dst port $PORT" \
  --file-size 1 --max-size 5 --json >"$NCAP_TMP/start.json" || ncap_fail "start failed"
ID=$(jget "$NCAP_TMP/start.json" 'j["id"]')
python3 "$NCAP_SRC/tests/lib/udpgen.py" --port "$PORT" --count 4000 --size 600 --rate 20000
sleep 0.5
"$X" stop "$HOST" "${SSHO[@]}" --remote-helper "$NCAP_HELPER" >/dev/null || ncap_fail "stop failed"
"$X" status "$HOST" "${SSHO[@]}" --remote-helper "$NCAP_HELPER" "$ID" --json >"$NCAP_TMP/rec.json"
NFILES=$(jget "$NCAP_TMP/rec.json" 'len(j["files"])')
((NFILES >= 3)) || ncap_fail "the job has $NFILES files, want 3 or more"

# interrupt SIG STATUS: fetch slowly into a new directory, signal it once
# the first file is in and the second is under way.
interrupt() {
  local sig=$1 want=$2 dir=$NCAP_TMP/dl-$1 pid rc
  mkdir -p "$dir"
  # As from a terminal: a script's background job would ignore SIGINT.
  python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])' \
    "$X" fetch "$HOST" "${SSHO[@]}" --remote-helper "$SLOW" "$ID" -o "$dir" \
    >"$NCAP_TMP/$sig.out" 2>"$NCAP_TMP/$sig.err" &
  pid=$!
  ncap_on_exit "kill -9 $pid"
  ncap_wait_for 30 bash -c "ls '$dir'/*.pcapng && [[ -s \$(ls '$dir'/.*.part | head -1) ]]" ||
    ncap_fail "$sig: no file completed with the next under way: $(ls -a "$dir")"
  kill -"$sig" "$pid"
  ncap_wait_pid_exit "$pid" 10
  rc=$?
  ncap_assert_eq "$want" "$rc" "$sig: exit status ($(cat "$NCAP_TMP/$sig.err"))"
  ncap_assert_eq "" "$(ls -a "$dir" | grep '\.part$')" "$sig: partial files left"
  local done
  done=$(ls "$dir"/*.pcapng | wc -l)
  ((done >= 1 && done < NFILES)) || ncap_fail "$sig: $done of $NFILES files in the directory"
  ncap_assert_eq "$done" "$(grep -c 'sha256 ok$' "$NCAP_TMP/$sig.out")" "$sig: files listed as verified"
  ncap_assert_contains "$(cat "$NCAP_TMP/$sig.err")" \
    "nodecap: $HOST: fetch interrupted (SIG$sig): $done of $NFILES files completed and verified (listed on stdout), partial file removed: $dir/." \
    "$sig: the message"
  ncap_assert_eq 1 "$(grep -c . "$NCAP_TMP/$sig.err")" "$sig: stderr lines"
  ncap_assert_no_helper "$sig: after the interrupted fetch"
  # The re-run keeps what is verified and fetches the rest.
  "$X" fetch "$HOST" "${SSHO[@]}" --remote-helper "$NCAP_HELPER" "$ID" -o "$dir" \
    >"$NCAP_TMP/$sig.re.out" 2>"$NCAP_TMP/$sig.re.err"
  ncap_assert_eq 0 $? "$sig: re-run exit status ($(cat "$NCAP_TMP/$sig.re.err"))"
  ncap_assert_eq "$done" "$(grep -c 'already here' "$NCAP_TMP/$sig.re.out")" "$sig: re-run keeps the verified files"
  ncap_assert_eq "$NFILES" "$(grep -c 'sha256 ok' "$NCAP_TMP/$sig.re.out")" "$sig: re-run: every file verified"
  ncap_assert_eq "$NFILES" "$(ls "$dir"/*.pcapng | wc -l)" "$sig: files after the re-run"
  ncap_log "ok: SIG$sig mid-file: exit $rc, $done of $NFILES kept, .part removed; re-run completed the rest: $(cat "$NCAP_TMP/$sig.err")"
}
interrupt INT 130
interrupt TERM 143
ncap_log "PASS: an interrupted fetch removes its partial file, says what is complete, exits 130/143, and resumes"
