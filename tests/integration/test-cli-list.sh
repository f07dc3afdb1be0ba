#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Saved jobs as an operator reads them: list's aligned columns with
# several hosts, PACKETS of the files still there (not what the ring
# overwrote), times with Z, no start time for a job that never started,
# no header when every node failed; fetch -o DIR makes DIR; --progress
# never into a file; job ids shortened to a unique prefix.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/sshd.sh"
ST=$NCAP_TMP/state CAP=$NCAP_TMP/cap ETC=$NCAP_TMP/etc
mkdir -p "$ST" "$CAP" "$ETC"
cp "$NCAP_SRC/tests/lib/policy-all.conf" "$ETC/policy.conf"
NCAP_SSHD_SETENV="NCAP_STATEDIR=$ST NCAP_CAPTURESDIR=$CAP NCAP_SYSCONFDIR=$ETC NCAP_AUDITLOG=$NCAP_TMP/audit.log"
ncap_sshd_start
ncap_on_exit "NCAP_STATEDIR=$ST NCAP_CAPTURESDIR=$CAP NCAP_SYSCONFDIR=$ETC NCAP_AUDITLOG=$NCAP_TMP/audit.log $NCAP_BUILD/remote/nodecap-helper stop"
echo "[localhost]:$NCAP_SSH_PORT $(cut -d' ' -f1,2 "$NCAP_TMP/sshd/host_ed25519.pub")" >>"$NCAP_KNOWN_HOSTS"
X="$NCAP_BUILD/extcap/nodecap"
PORT=$(ncap_random_port 40000 49000)
SSHO=(-p "$NCAP_SSH_PORT" --sshkey "$NCAP_SSH_KEY" --known-hosts "$NCAP_KNOWN_HOSTS" --remote-helper "$NCAP_HELPER")
jget() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }

# 1. A ring of two 1 MB files, filled about twice over, then stopped.
"$X" start 127.0.0.1 "${SSHO[@]}" -i lo -f "udp dst port $PORT" --file-size 1 --max-size 2 --json \
  >"$NCAP_TMP/start.json" 2>"$NCAP_TMP/start.err" || ncap_fail "start: $(cat "$NCAP_TMP/start.err")"
ID=$(jget "$NCAP_TMP/start.json" 'j["id"]')
python3 "$NCAP_SRC/tests/lib/udpgen.py" --port "$PORT" --count 8000 --size 600 --rate 20000
sleep 0.5
"$X" stop 127.0.0.1 "${SSHO[@]}" >/dev/null 2>"$NCAP_TMP/stop.err" || ncap_fail "stop: $(cat "$NCAP_TMP/stop.err")"
"$X" status 127.0.0.1 "${SSHO[@]}" "$ID" --json >"$NCAP_TMP/rec.json"
total=$(jget "$NCAP_TMP/rec.json" 'j["packets"]')
infiles=$(jget "$NCAP_TMP/rec.json" 'sum(f["packets"] for f in j["files"])')
((infiles < total)) || ncap_fail "the ring overwrote nothing ($infiles of $total): test traffic too small"

# 2. A job that never started: an interface the node does not have.
"$X" start 127.0.0.1 "${SSHO[@]}" -i nosuch0 >/dev/null 2>"$NCAP_TMP/bad.err"
ncap_log "start on nosuch0: exit $?: $(cat "$NCAP_TMP/bad.err")"

# 3. list on one host, then on two (two names of this node).
"$X" list 127.0.0.1 "${SSHO[@]}" >"$NCAP_TMP/list1.out" || ncap_fail "list"
"$X" list 127.0.0.1,localhost "${SSHO[@]}" >"$NCAP_TMP/list2.out" || ncap_fail "list of two hosts"
ncap_log "list of two hosts:"$'\n'"$(cat "$NCAP_TMP/list2.out")"
python3 - "$NCAP_TMP/list1.out" "$NCAP_TMP/list2.out" "$ID" "$infiles" <<'PY' || ncap_fail "list tables"
import re, sys
one, two, jid, infiles = open(sys.argv[1]).read().splitlines(), open(sys.argv[2]).read().splitlines(), sys.argv[3], sys.argv[4]
def check(lines, cols):
    head = lines[0]
    assert head.split() == cols, head
    starts = [head.index(c) for c in cols]
    for row in lines[1:]:
        # Every cell starts under its header (REASON may hold spaces).
        for c, s in zip(cols[:-1], starts[:-1]):
            assert s == 0 or row[s - 2:s] == "  " and row[s] != " ", (c, row, head)
    return starts
check(one, ["ID", "STATUS", "STARTED", "PACKETS", "FILES", "REASON"])
s = check(two, ["NODE", "ID", "STATUS", "STARTED", "PACKETS", "FILES", "REASON"])
rows = [r for r in two[1:] if jid in r]
assert len(rows) == 2 and {r.split()[0] for r in rows} == {"127.0.0.1", "localhost"}, rows
for r in rows:
    f = r.split()
    assert f[3] == "-" or re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", f[3]), r
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", f[3]), ("started", r)
    assert f[4] == infiles, ("PACKETS must count the files still there", r, infiles)
# A job that failed before it started shows no start time.
for r in two[1:]:
    f = r.split()
    if f[2] == "failure" and "nosuch0" in r:
        assert f[3] == "-", ("a failed start has no start time", r)
PY
grep -q "nosuch0" "$NCAP_TMP/list1.out" || ncap_log "(the node refused nosuch0 before making a job)"

# 4. Every node failed: errors only, no header on stdout.
"$X" list 127.0.0.1 -p 1 --sshkey "$NCAP_SSH_KEY" --known-hosts "$NCAP_KNOWN_HOSTS" --connect-timeout 2 \
  >"$NCAP_TMP/fail.out" 2>"$NCAP_TMP/fail.err"
ncap_assert_eq 10 $? "list of an unreachable node"
ncap_assert_eq "" "$(cat "$NCAP_TMP/fail.out")" "stdout of a list whose nodes all failed"

# 5. fetch by a unique prefix into a directory that does not exist yet;
# --progress with stderr in a file draws nothing.
P=${ID:0:8}
"$X" fetch 127.0.0.1 "${SSHO[@]}" "$P" -o "$NCAP_TMP/new/sub" --progress >"$NCAP_TMP/fetch.out" 2>"$NCAP_TMP/fetch.err"
ncap_assert_eq 0 $? "fetch by prefix: $(cat "$NCAP_TMP/fetch.err")"
ncap_assert_contains "$(cat "$NCAP_TMP/fetch.err")" "nodecap: created directory $NCAP_TMP/new/sub" "fetch says it made DIR"
ncap_assert_contains "$(cat "$NCAP_TMP/fetch.err")" "nodecap: 127.0.0.1: job $P is $ID" "fetch says which job the prefix matched"
grep -q $'\r' "$NCAP_TMP/fetch.err" && ncap_fail "--progress wrote \\r into a file: $(cat -A "$NCAP_TMP/fetch.err")"
grep -q $'\e' "$NCAP_TMP/fetch.err" && ncap_fail "--progress wrote escape codes into a file"
n=$(cat "$NCAP_TMP"/new/sub/*.pcapng | wc -c)
((n > 1000000)) || ncap_fail "fetched files: $(ls -l "$NCAP_TMP/new/sub")"

# 6. A prefix shorter than 6 goes to the node as typed (not an id); an
# unknown prefix is "not found"; an ambiguous one lists the candidates
# (a second record that shares the first 6 digits, made on the node).
"$X" status 127.0.0.1 "${SSHO[@]}" "${ID:0:5}" >/dev/null 2>"$NCAP_TMP/short.err"
ncap_assert_eq 2 $? "5-digit prefix"
other=${ID:0:6}$(printf '%026x' 12345)
[[ "$other" != "$ID" ]] || other=${ID:0:6}$(printf '%026x' 54321)
sed "s/$ID/$other/g" "$ST/jobs/$ID.json" >"$ST/jobs/$other.json"
"$X" status 127.0.0.1 "${SSHO[@]}" "${ID:0:6}" >/dev/null 2>"$NCAP_TMP/amb.err"
ncap_assert_eq 2 $? "ambiguous prefix: $(cat "$NCAP_TMP/amb.err")"
ncap_assert_contains "$(cat "$NCAP_TMP/amb.err")" "job id prefix ${ID:0:6} is ambiguous: " "ambiguous prefix"
ncap_assert_contains "$(cat "$NCAP_TMP/amb.err")" "$ID" "candidates listed"
ncap_assert_contains "$(cat "$NCAP_TMP/amb.err")" "$other" "candidates listed"
out=$("$X" status 127.0.0.1 "${SSHO[@]}" "${ID:0:7}" 2>"$NCAP_TMP/seven.err")
ncap_assert_eq 0 $? "7-digit prefix: $(cat "$NCAP_TMP/seven.err")"
ncap_assert_contains "$out" "$ID" "status by prefix"
U=ffffff0
[[ $ID == ffffff0* || $other == ffffff0* ]] && U=eeeeee0
"$X" status 127.0.0.1 "${SSHO[@]}" "$U" >/dev/null 2>"$NCAP_TMP/none.err"
ncap_assert_eq 5 $? "unknown prefix: $(cat "$NCAP_TMP/none.err")"
ncap_assert_eq "nodecap: 127.0.0.1: no job id starts with $U" "$(cat "$NCAP_TMP/none.err")" "unknown prefix"
ncap_log "ok"
