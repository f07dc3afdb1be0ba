#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# nodecap.exe (packaging/windows/build) under Wine against the test sshd:
# 1. --extcap-interfaces/--extcap-dlts/--extcap-config byte-identical to
#    the Linux build;
# 2. `nodecap.exe capture ... -w out.pcapng`: 1000 numbered datagrams, all,
#    in order, capinfos clean; the Linux nodecap captures the same ones;
# 3. the extcap writes into a Windows named pipe made by a mingw reader
#    (tests/tools/ncap-winpipe-reader.c, as Wireshark does); when the
#    reader closes the pipe, or terminates the process, no helper remains;
# 4. unknown host key, bad filter, refused port: the same line and exit
#    status as Linux;
# 5. a multi-node capture of two node names;
# 6. a key path with spaces and backslashes works, a missing .ssh folder
#    is a clear error, a key file with CRLF line ends works.
# 5b. JSON (json-mini in the Windows build, json-glib on Linux): start,
#    interfaces (helper and agentless), list of two hosts and of a host
#    that refuses, --json, print the same as Linux.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/sshd.sh"
source "$(dirname "$0")/../lib/wine.sh"
ncap_wine_start
# The node's helper keeps step 5b's saved job in this test's directories.
ST=$NCAP_TMP/state CAP=$NCAP_TMP/cap ETC=$NCAP_TMP/etc
mkdir -p "$ST" "$CAP" "$ETC"
cp "$NCAP_SRC/tests/lib/policy-all.conf" "$ETC/policy.conf"
NCAP_SSHD_SETENV="NCAP_STATEDIR=$ST NCAP_CAPTURESDIR=$CAP NCAP_SYSCONFDIR=$ETC NCAP_AUDITLOG=$NCAP_TMP/audit.log"
ncap_sshd_start
ncap_on_exit "NCAP_STATEDIR=$ST NCAP_CAPTURESDIR=$CAP NCAP_SYSCONFDIR=$ETC NCAP_AUDITLOG=$NCAP_TMP/audit.log $NCAP_BUILD/remote/nodecap-helper stop"
W=$NCAP_WIN_EXE
L=$NCAP_BUILD/extcap/nodecap
P=$(ncap_random_port 40000 49000)
WKEY=$(ncap_winpath "$NCAP_SSH_KEY")
WKH=$(ncap_winpath "$NCAP_KNOWN_HOSTS")
WLOG=$NCAP_TMP/win.log
NCAP_EXTCAP_LOG=$WLOG
WSSH=(-p "$NCAP_SSH_PORT" --sshkey "$WKEY" --known-hosts "$WKH" --remote-helper "$NCAP_HELPER"
  --log-level info --log-file "$(ncap_winpath "$WLOG")")
LSSH=(-p "$NCAP_SSH_PORT" --sshkey "$NCAP_SSH_KEY" --known-hosts "$NCAP_KNOWN_HOSTS"
  --remote-helper "$NCAP_HELPER" --log-level info --log-file "$NCAP_TMP/linux.log")

# feed_until PID TAG: datagrams until PID exits (at most 20 s).
feed_until() {
  local pid=$1 tag=$2 i=0
  while kill -0 "$pid" 2>/dev/null && ((i < 100)); do
    ncap_send_udp 10 "$P" "$tag" 2>/dev/null
    sleep 0.2
    i=$((i + 1))
  done
}

# 0. The portable layer's unit test (tests/unit/test-port.c), built for
# Windows against the shipped DLLs: pipes, poll, EPIPE, lock, binary files.
export PKG_CONFIG_LIBDIR=$NCAP_MINGW_PREFIX/lib/pkgconfig:/usr/x86_64-w64-mingw32/lib/pkgconfig
# shellcheck disable=SC2046
x86_64-w64-mingw32-gcc -std=gnu11 -O2 -Wall -Wextra -Werror -Wno-unused-parameter \
  -I"$NCAP_SRC/common" -o "$NCAP_TMP/test-port.exe" "$NCAP_SRC/tests/unit/test-port.c" \
  "$NCAP_SRC/common/port.c" $(pkg-config --cflags --libs glib-2.0) -lws2_32 ||
  ncap_fail "building test-port.exe"
unset PKG_CONFIG_LIBDIR
WINEPATH=$(ncap_winpath "$(dirname "$W")") ncap_wine "$NCAP_TMP/test-port.exe" >"$NCAP_TMP/test-port.out" 2>&1 ||
  ncap_fail "test-port.exe under Wine: $(tail -5 "$NCAP_TMP/test-port.out")"
ncap_log "0. test-port.exe: $(grep -c '^ok' "$NCAP_TMP/test-port.out") tests ok under Wine"

# 1. The extcap conversation, byte for byte.
for args in "--extcap-interfaces" "--extcap-interface nodecap --extcap-dlts" \
  "--extcap-interface nodecap --extcap-config"; do
  # shellcheck disable=SC2086
  "$L" $args >"$NCAP_TMP/linux.out" || ncap_fail "linux nodecap $args"
  # shellcheck disable=SC2086
  ncap_wine "$W" $args >"$NCAP_TMP/win.out" 2>"$NCAP_TMP/win.err" ||
    ncap_fail "nodecap.exe $args: $(cat "$NCAP_TMP/win.err")"
  cmp "$NCAP_TMP/linux.out" "$NCAP_TMP/win.out" >&2 ||
    { diff "$NCAP_TMP/linux.out" "$NCAP_TMP/win.out" | head -5 >&2; ncap_fail "$args differs from Linux"; }
done
ncap_log "1. extcap conversation identical to Linux ($(wc -c <"$NCAP_TMP/win.out") bytes of config)"

# 2. 1000 datagrams, Windows and Linux side by side.
N=1000
TAG="win$RANDOM"
: >"$WLOG"
ncap_wine "$W" capture 127.0.0.1 "${WSSH[@]}" -i lo -f "udp port $P" --packet-limit $N \
  -w "$(ncap_winpath "$NCAP_TMP/win.pcapng")" 2>"$NCAP_TMP/win-cap.err" &
wpid=$!
ncap_on_exit "kill -9 $wpid"
"$L" capture 127.0.0.1 "${LSSH[@]}" -i lo -f "udp port $P" --packet-limit $N \
  -w "$NCAP_TMP/linux.pcapng" 2>"$NCAP_TMP/linux-cap.err" &
lpid=$!
ncap_on_exit "kill -9 $lpid"
ncap_wait_stream 60
NCAP_EXTCAP_LOG=$NCAP_TMP/linux.log ncap_wait_stream 60
ncap_send_udp $N "$P" "$TAG"
ncap_wait_pid_exit $wpid 60
rc=$?
ncap_assert_eq 0 $rc "nodecap.exe capture exit status: $(cat "$NCAP_TMP/win-cap.err")"
ncap_wait_pid_exit $lpid 60
ncap_assert_eq 0 $? "linux capture exit status: $(cat "$NCAP_TMP/linux-cap.err")"
ncap_assert_no_helper "after the 1000-datagram captures"
ncap_assert_file_clean "$NCAP_TMP/win.pcapng"
ncap_expected_udp_hex $N "$TAG" >"$NCAP_TMP/want.txt"
for side in win linux; do
  tshark -r "$NCAP_TMP/$side.pcapng" -Y "udp.dstport == $P" -T fields -e data.data \
    >"$NCAP_TMP/$side.txt" 2>/dev/null
  cmp -s "$NCAP_TMP/want.txt" "$NCAP_TMP/$side.txt" ||
    ncap_fail "$side: got $(wc -l <"$NCAP_TMP/$side.txt") of $N datagrams, or not in order"
done
ncap_assert_eq "127.0.0.1:lo" \
  "$(tshark -r "$NCAP_TMP/win.pcapng" -T fields -e frame.interface_name 2>/dev/null | sort -u | paste -sd,)" \
  "interface name in the Windows capture"
ncap_log "2. $N datagrams in order, capinfos clean, the same as the Linux capture"

# 3. Into a named pipe, as Wireshark on Windows: read all / close / terminate.
READER=$NCAP_TMP/ncap-winpipe-reader.exe
x86_64-w64-mingw32-gcc -O2 -Wall -Wextra -Werror -o "$READER" \
  "$NCAP_SRC/tests/tools/ncap-winpipe-reader.c" || ncap_fail "building the pipe reader"
XARGS=(--capture --extcap-interface nodecap --remote-host 127.0.0.1 --remote-port "$NCAP_SSH_PORT"
  --sshkey "$WKEY" --known-hosts "$WKH" --remote-helper "$NCAP_HELPER" --remote-interface lo
  --extcap-capture-filter "udp port $P" --log-level info --log-file "$(ncap_winpath "$WLOG")")
pipe_run() { # MODE [N] [extra extcap args]: runs the reader in the background (rpid)
  local mode=$1; shift
  local n=()
  [[ $mode == all ]] || { n=("$1"); shift; }
  : >"$WLOG"
  ncap_wine "$READER" "ncap-$RANDOM" "$(ncap_winpath "$NCAP_TMP/pipe.pcapng")" "$mode" "${n[@]}" \
    -- "$W" "${XARGS[@]}" "$@" >"$NCAP_TMP/reader.out" 2>"$NCAP_TMP/reader.err" &
  rpid=$!
  ncap_on_exit "kill -9 $rpid"
}
pipe_run all --packet-limit 50
ncap_wait_stream 60
feed_until $rpid pipe
ncap_wait_pid_exit $rpid 60
ncap_assert_eq "exit=0" "$(cut -d' ' -f1 "$NCAP_TMP/reader.out")" \
  "extcap exit into the pipe: $(cat "$NCAP_TMP/reader.out" "$NCAP_TMP/reader.err")"
ncap_assert_file_clean "$NCAP_TMP/pipe.pcapng"
ncap_assert_eq 50 "$(tshark -r "$NCAP_TMP/pipe.pcapng" 2>/dev/null | wc -l)" "packets through the named pipe"
ncap_assert_no_helper "after a packet-limited capture into the pipe"
ncap_log "3. pipe reader all: $(cat "$NCAP_TMP/reader.out"), 50 packets, capinfos clean; no helper left"
for mode in close terminate; do
  pipe_run "$mode" 1000
  ncap_wait_stream 60
  ncap_wait_helper 30
  feed_until $rpid "$mode"
  ncap_wait_pid_exit $rpid 60 || ncap_fail "reader ($mode) did not end: $(cat "$NCAP_TMP/reader.err")"
  grep -q '^exit=' "$NCAP_TMP/reader.out" || ncap_fail "reader ($mode): $(cat "$NCAP_TMP/reader.err")"
  code=$(sed -n 's/^exit=\([0-9]*\).*/\1/p' "$NCAP_TMP/reader.out")
  [[ $code != 259 ]] || ncap_fail "the extcap still runs 30 s after the reader's $mode"
  ncap_assert_no_helper "after the reader's $mode" 15
  ncap_log "3. pipe reader $mode: $(cat "$NCAP_TMP/reader.out"); no helper left"
done

# 4. Errors: the same line (paths aside) and exit status as Linux.
err_same() { # WHAT, then the capture arguments after the host, for both
  local what=$1; shift
  local lrc wrc
  "$L" capture "$@" -w "$NCAP_TMP/e.pcapng" 2>"$NCAP_TMP/e-linux.err"
  lrc=$?
  # Local files take Windows paths; the helper's path is the node's.
  local wargs=() a prev=
  for a in "$@"; do
    case $prev in
      --sshkey | --known-hosts) wargs+=("$(ncap_winpath "$a")") ;;
      *) wargs+=("$a") ;;
    esac
    prev=$a
  done
  ncap_wine "$W" capture "${wargs[@]}" -w "$(ncap_winpath "$NCAP_TMP/e.pcapng")" 2>"$NCAP_TMP/e-win.err"
  wrc=$?
  ((lrc != 0)) || ncap_fail "$what: linux exit 0"
  ncap_assert_eq "$lrc" "$wrc" "$what: exit status (windows: $(cat "$NCAP_TMP/e-win.err"))"
  ncap_assert_eq 1 "$(wc -l <"$NCAP_TMP/e-win.err")" "$what: one line on stderr"
  local wline lline
  lline=$(cat "$NCAP_TMP/e-linux.err")
  wline=$(cat "$NCAP_TMP/e-win.err")
  for a in "$@"; do
    [[ $a == /* ]] && wline=${wline//"$(ncap_winpath "$a")"/$a}
  done
  ncap_assert_eq "$lline" "$wline" "$what: error line"
  ncap_log "4. $what: exit $wrc, \"$wline\""
}
: >"$NCAP_TMP/empty_known_hosts"
err_same "unknown host key" 127.0.0.1 -p "$NCAP_SSH_PORT" --sshkey "$NCAP_SSH_KEY" \
  --known-hosts "$NCAP_TMP/empty_known_hosts" --remote-helper "$NCAP_HELPER" -i lo
err_same "bad filter" 127.0.0.1 -p "$NCAP_SSH_PORT" --sshkey "$NCAP_SSH_KEY" \
  --known-hosts "$NCAP_KNOWN_HOSTS" --remote-helper "$NCAP_HELPER" -i lo -f "tcp prt 80"
CLOSED=$(ncap_random_port 39000 39999)
err_same "refused port" 127.0.0.1 -p "$CLOSED" --sshkey "$NCAP_SSH_KEY" \
  --known-hosts "$NCAP_KNOWN_HOSTS" --remote-helper "$NCAP_HELPER" -i lo --connect-timeout 5
ncap_assert_no_helper "after the error cases"

# 5. Two node names (one sshd): one interface per node.
echo "[localhost]:$NCAP_SSH_PORT $(cut -d' ' -f1,2 "$NCAP_TMP/sshd/host_ed25519.pub")" >>"$NCAP_KNOWN_HOSTS"
: >"$WLOG"
ncap_wine "$W" capture 127.0.0.1,localhost "${WSSH[@]}" -i lo -f "udp port $P" --packet-limit 20 \
  -w "$(ncap_winpath "$NCAP_TMP/multi.pcapng")" 2>"$NCAP_TMP/multi.err" &
mpid=$!
ncap_on_exit "kill -9 $mpid"
feed_until $mpid multi
ncap_wait_pid_exit $mpid 60
ncap_assert_eq 0 $? "multi-node exit status: $(cat "$NCAP_TMP/multi.err")"
ncap_assert_file_clean "$NCAP_TMP/multi.pcapng"
ncap_assert_eq "127.0.0.1:lo,localhost:lo" \
  "$(tshark -r "$NCAP_TMP/multi.pcapng" -T fields -e frame.interface_name 2>/dev/null | sort -u | paste -sd,)" \
  "interfaces of the two-node capture"
ncap_assert_eq 40 "$(tshark -r "$NCAP_TMP/multi.pcapng" 2>/dev/null | wc -l)" "packets of the two-node capture"
ncap_assert_no_helper "after the two-node capture"
ncap_log "5. two-node capture: 127.0.0.1:lo and localhost:lo, 40 packets"

# 5b. JSON: the Windows build parses and generates with json-mini
# (packaging/windows/json-mini), Linux with json-glib; the output must be
# the same bytes. `interfaces --json` parses the helper's list (and prints
# it); without a helper it is generated (JsonBuilder); `start --json`
# parses the job record; `list` of two hosts parses both arrays and prints
# them pretty in one object.
same_out() { # WHAT FILE-SUFFIX VERB HOST [ARGS...] (ARGS override the SSH options)
  local what=$1 sfx=$2 verb=$3 host=$4; shift 4
  "$L" "$verb" "$host" "${LSSH[@]}" "$@" >"$NCAP_TMP/j-linux.$sfx" 2>"$NCAP_TMP/j-linux.err" ||
    ncap_fail "linux $what: $(cat "$NCAP_TMP/j-linux.err")"
  ncap_wine "$W" "$verb" "$host" "${WSSH[@]}" "$@" >"$NCAP_TMP/j-win.$sfx" 2>"$NCAP_TMP/j-win.err" ||
    ncap_fail "nodecap.exe $what: $(cat "$NCAP_TMP/j-win.err")"
  cmp "$NCAP_TMP/j-linux.$sfx" "$NCAP_TMP/j-win.$sfx" >&2 ||
    { diff "$NCAP_TMP/j-linux.$sfx" "$NCAP_TMP/j-win.$sfx" | head -10 >&2; ncap_fail "$what differs from Linux"; }
}
same_out "interfaces --json" ifs.json interfaces 127.0.0.1 --json
python3 -c 'import json,sys; l=json.load(open(sys.argv[1])); assert any(i["name"]=="lo" for i in l)' \
  "$NCAP_TMP/j-win.ifs.json" || ncap_fail "interfaces --json has no lo"
ncap_log "5b. interfaces --json: $(wc -c <"$NCAP_TMP/j-win.ifs.json") bytes, the same as Linux"
same_out "interfaces --json without the helper (agentless)" ifs0.json \
  interfaces 127.0.0.1 --json --remote-helper "$NCAP_TMP/no-such-helper"
ncap_log "5b. agentless interfaces --json (generated): $(head -c 60 "$NCAP_TMP/j-win.ifs0.json")..."
ncap_wine "$W" start 127.0.0.1 "${WSSH[@]}" -i lo -f "udp port $P" --json \
  >"$NCAP_TMP/start.json" 2>"$NCAP_TMP/start.err" || ncap_fail "nodecap.exe start: $(cat "$NCAP_TMP/start.err")"
JOB=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$NCAP_TMP/start.json") ||
  ncap_fail "start --json: $(cat "$NCAP_TMP/start.json")"
for i in 1 2 3 4 5; do ncap_send_udp 10 "$P" "job$i é \"\\" 2>/dev/null; sleep 0.2; done
ncap_wine "$W" stop 127.0.0.1 "${WSSH[@]}" "$JOB" >"$NCAP_TMP/stop.out" 2>"$NCAP_TMP/stop.err" ||
  ncap_fail "nodecap.exe stop: $(cat "$NCAP_TMP/stop.err")"
same_out "list of two hosts --json" list.json list 127.0.0.1,localhost --json
python3 - "$NCAP_TMP/j-win.list.json" "$JOB" <<'PY' || ncap_fail "list --json of two hosts: $(head -20 "$NCAP_TMP/j-win.list.json")"
import json, sys
j = json.load(open(sys.argv[1]))
assert sorted(j) == ["127.0.0.1", "localhost"], j
for h in j.values():
    assert [r["id"] for r in h] == [sys.argv[2]], h
    assert h[0]["packets"] > 0 and h[0]["files"], h
PY
ncap_log "5b. start/stop job $JOB; list of two hosts --json: $(wc -l <"$NCAP_TMP/j-win.list.json") lines, the same as Linux"
# A host that refuses: its entry is an object built from an error
# (json_object_set_*_member, json_node_take_object), the exit status too.
"$L" list 127.0.0.1,127.0.0.2 "${LSSH[@]}" --json >"$NCAP_TMP/j-linux.err.json" 2>/dev/null
lrc=$?
ncap_wine "$W" list 127.0.0.1,127.0.0.2 "${WSSH[@]}" --json >"$NCAP_TMP/j-win.err.json" 2>/dev/null
wrc=$?
((lrc != 0)) || ncap_fail "list with a refusing host: linux exit 0"
ncap_assert_eq "$lrc" "$wrc" "list with a refusing host: exit status"
cmp "$NCAP_TMP/j-linux.err.json" "$NCAP_TMP/j-win.err.json" >&2 ||
  { diff "$NCAP_TMP/j-linux.err.json" "$NCAP_TMP/j-win.err.json" | head -10 >&2; ncap_fail "list with a refusing host differs from Linux"; }
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["127.0.0.2"]["exit_status"] > 0 and "refused" in j["127.0.0.2"]["error"], j' \
  "$NCAP_TMP/j-win.err.json" || ncap_fail "list with a refusing host: $(cat "$NCAP_TMP/j-win.err.json")"
ncap_log "5b. list with a refusing host --json: exit $wrc, $(grep -A2 '"127.0.0.2"' "$NCAP_TMP/j-win.err.json" | tr -s ' \n' ' '), the same as Linux"

# 5c. fetch on Windows: the job's files into a new folder (created), each
# checked against its sha256, the same bytes as the node's; Windows cannot
# rename an open file, so the .part is closed before its rename
# (ncap_port_rename_and_close).
FW="$NCAP_TMP/fetch w"
ncap_wine "$W" fetch 127.0.0.1 "${WSSH[@]}" "$JOB" -o "Z:$FW" \
  >"$NCAP_TMP/fetch.out" 2>"$NCAP_TMP/fetch.err" ||
  ncap_fail "nodecap.exe fetch: exit $?: $(cat "$NCAP_TMP/fetch.err")"
nfw=$(ls "$FW"/*.pcapng 2>/dev/null | wc -l)
((nfw >= 1)) || ncap_fail "fetch: no file in $FW: $(cat "$NCAP_TMP/fetch.out" "$NCAP_TMP/fetch.err")"
! ls -a "$FW" | grep -q '\.part$' || ncap_fail "fetch: a .part file is left in $FW"
for f in "$FW"/*.pcapng; do ncap_assert_file_clean "$f"; done
ncap_log "5c. fetch of job $JOB: $nfw file(s) in a new folder with a space, verified, capinfos clean, no .part left"

# 6. Windows paths and files.
small_capture() { # OUT ERR KEY [known_hosts]: 5 packets
  local kh=${4-$WKH}
  ncap_wine "$W" capture 127.0.0.1 -p "$NCAP_SSH_PORT" --sshkey "$3" ${kh:+--known-hosts "$kh"} \
    --remote-helper "$NCAP_HELPER" -i lo -f "udp port $P" --packet-limit 5 \
    -w "$1" 2>"$2" &
  spid=$!
  ncap_on_exit "kill -9 $spid"
  feed_until $spid small
  ncap_wait_pid_exit $spid 60
}
mkdir -p "$NCAP_TMP/dir with space"
cp "$NCAP_SSH_KEY" "$NCAP_TMP/dir with space/my key"
small_capture "$(ncap_winpath "$NCAP_TMP/dir with space/out file.pcapng")" "$NCAP_TMP/s.err" \
  "$(ncap_winpath "$NCAP_TMP/dir with space/my key")"
ncap_assert_eq 0 $? "key and output under a path with spaces and backslashes: $(cat "$NCAP_TMP/s.err")"
ncap_assert_eq 5 "$(tshark -r "$NCAP_TMP/dir with space/out file.pcapng" 2>/dev/null | wc -l)" "packets (path with spaces)"
ncap_log "6. key and output path with spaces and backslashes: works"

sed 's/$/\r/' "$NCAP_SSH_KEY" >"$NCAP_TMP/crlf_key"
small_capture "$(ncap_winpath "$NCAP_TMP/crlf.pcapng")" "$NCAP_TMP/crlf.err" "$(ncap_winpath "$NCAP_TMP/crlf_key")"
rc=$?
if ((rc == 0)); then
  ncap_assert_eq 5 "$(tshark -r "$NCAP_TMP/crlf.pcapng" 2>/dev/null | wc -l)" "packets (CRLF key)"
  ncap_log "6. key file with CRLF line ends: works"
else
  ncap_assert_eq 1 "$(wc -l <"$NCAP_TMP/crlf.err")" "CRLF key: one error line"
  ncap_assert_contains "$(cat "$NCAP_TMP/crlf.err")" "key" "CRLF key error names the key"
  ncap_log "6. key file with CRLF line ends: exit $rc, $(cat "$NCAP_TMP/crlf.err")"
fi

# No --known-hosts and no %USERPROFILE%\.ssh: a clear error naming the file.
profile=$(ncap_wine cmd /c 'echo %USERPROFILE%' 2>/dev/null | tr -d '\r')
unixprofile=$(ncap_wine winepath -u "$profile" 2>/dev/null | tr -d '\r')
[[ -n $unixprofile && ! -e "$unixprofile/.ssh" ]] || ncap_fail "expected no .ssh in the Wine profile $profile ($unixprofile)"
small_capture "$(ncap_winpath "$NCAP_TMP/nossh.pcapng")" "$NCAP_TMP/nossh.err" "$WKEY" ""
rc=$?
((rc != 0)) || ncap_fail "no .ssh folder: exit 0"
ncap_assert_eq 1 "$(wc -l <"$NCAP_TMP/nossh.err")" "no .ssh folder: one error line"
ncap_assert_contains "$(cat "$NCAP_TMP/nossh.err")" "$profile\\.ssh\\known_hosts" "no .ssh folder: the error names the file"
ncap_log "6. no .ssh folder: exit $rc, $(cat "$NCAP_TMP/nossh.err")"

# 7. What ships: the zip holds exactly the stage (exe + imported DLLs) and
# runs from where it is unpacked; the installer puts the same files into
# %APPDATA%\Wireshark\extcap, nodecap.exe runs from there, the
# uninstaller removes them.
WB=$(dirname "$(dirname "$W")")
ZIP=$(ls "$WB"/nodecap-*-windows-x64.zip)
SETUP=$(ls "$WB"/nodecap-*-windows-x64-setup.exe)
mkdir -p "$NCAP_TMP/unzip"
python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$ZIP" "$NCAP_TMP/unzip"
ncap_assert_eq "$(ls "$WB/stage" | paste -sd' ')" "$(ls "$NCAP_TMP/unzip" | paste -sd' ')" "files in the zip"
ncap_wine "$NCAP_TMP/unzip/nodecap.exe" --extcap-interfaces >"$NCAP_TMP/zip.out" 2>&1 ||
  ncap_fail "nodecap.exe from the zip: $(cat "$NCAP_TMP/zip.out")"
appdata=$(ncap_wine cmd /c 'echo %APPDATA%' 2>/dev/null | tr -d '\r')
extdir=$(ncap_wine winepath -u "$appdata\\Wireshark\\extcap" 2>/dev/null | tr -d '\r')
[[ -n $extdir ]] || ncap_fail "no %APPDATA% in the Wine prefix"
ncap_on_exit "rm -rf '$extdir' '$(dirname "$extdir")/nodecap'"
ncap_wine "$SETUP" /S || ncap_fail "installer /S exited $?"
ncap_assert_eq "$(ls "$WB/stage" | paste -sd' ')" "$(ls "$extdir" | paste -sd' ')" "files installed in %APPDATA%\\Wireshark\\extcap"
ncap_wine "$extdir/nodecap.exe" --extcap-interfaces >"$NCAP_TMP/inst.out" 2>&1 ||
  ncap_fail "installed nodecap.exe: $(cat "$NCAP_TMP/inst.out")"
cmp -s "$NCAP_TMP/zip.out" "$NCAP_TMP/inst.out" || ncap_fail "installed nodecap.exe answers differently"
ncap_wine "$(dirname "$extdir")/nodecap/uninstall.exe" /S _?="$(ncap_winpath "$(dirname "$extdir")/nodecap")" ||
  ncap_fail "uninstaller exited $?"
left=$(ls "$extdir" 2>/dev/null | paste -sd' ')
ncap_assert_eq "" "$left" "files left in the extcap folder after uninstalling"
ncap_log "7. zip = $(ls "$NCAP_TMP/unzip" | wc -l) files, runs unpacked; installer into $appdata\\Wireshark\\extcap, runs, uninstalls"

ncap_assert_no_helper "at the end"
ncap_log "PASS: nodecap.exe under $NCAP_WINE_VERSION"
