#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The script face: `nodecap capture HOST ... -w FILE|-` with a packet
# limit, to a file and to stdout, user@host:port forms, Ctrl-C; and
# `nodecap interfaces HOST [--json]`.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/sshd.sh"
ncap_sshd_start
X="$NCAP_BUILD/extcap/nodecap"
PORT=$(ncap_random_port 40000 49000)
SSHO=(--sshkey "$NCAP_SSH_KEY" --known-hosts "$NCAP_KNOWN_HOSTS" --remote-helper "$NCAP_HELPER"
  --log-level info --log-file "$NCAP_EXTCAP_LOG")

# feed_until PID TAG: numbered datagrams until PID exits (at most 10 s).
feed_until() {
  local pid=$1 tag=$2 i=0
  while kill -0 "$pid" 2>/dev/null && ((i < 50)); do
    ncap_send_udp 10 "$PORT" "$tag" 2>/dev/null
    sleep 0.2
    i=$((i + 1))
  done
}

# 1. capture to a file, stopped by the helper's packet limit.
timeout 30 "$X" capture "root@127.0.0.1:$NCAP_SSH_PORT" "${SSHO[@]}" -i lo -f "udp port $PORT" \
  --packet-limit 25 -w "$NCAP_TMP/cli.pcapng" 2>"$NCAP_TMP/cli.err" &
x=$!
feed_until $x cli
wait $x
ncap_assert_eq 0 $? "capture exit status: $(cat "$NCAP_TMP/cli.err")"
ncap_assert_no_helper "cli packet limit"
ncap_assert_file_clean "$NCAP_TMP/cli.pcapng"
ncap_assert_eq 25 "$(tshark -r "$NCAP_TMP/cli.pcapng" 2>/dev/null | wc -l)" "packets with --packet-limit 25"
ncap_assert_eq "127.0.0.1:lo" "$(tshark -r "$NCAP_TMP/cli.pcapng" -T fields -e frame.interface_name 2>/dev/null | sort -u)" "if_name"

# 2. capture to stdout (-w -) piped into tshark, port given by -p.
timeout 30 "$X" capture 127.0.0.1 -p "$NCAP_SSH_PORT" "${SSHO[@]}" -i lo -f "udp port $PORT" \
  --packet-limit 5 -w - 2>"$NCAP_TMP/stdout.err" >"$NCAP_TMP/stdout.pcapng" &
x=$!
feed_until $x out
wait $x
ncap_assert_eq 0 $? "capture -w - exit status: $(cat "$NCAP_TMP/stdout.err")"
ncap_assert_eq 5 "$(tshark -r - <"$NCAP_TMP/stdout.pcapng" 2>/dev/null | wc -l)" "packets on stdout"

# 3. Ctrl-C ends the capture cleanly, the file is complete.
: >"$NCAP_EXTCAP_LOG"
timeout 30 "$X" capture 127.0.0.1 -p "$NCAP_SSH_PORT" "${SSHO[@]}" -i lo -f "udp port $PORT" \
  -w "$NCAP_TMP/int.pcapng" 2>"$NCAP_TMP/int.err" &
x=$!
ncap_wait_stream 20
ncap_send_udp 7 "$PORT" int
sleep 0.5
kill -INT $x
wait $x
ncap_assert_eq 0 $? "capture exit status after SIGINT: $(cat "$NCAP_TMP/int.err")"
ncap_assert_no_helper "cli SIGINT"
ncap_assert_file_clean "$NCAP_TMP/int.pcapng"
ncap_assert_eq 7 "$(tshark -r "$NCAP_TMP/int.pcapng" 2>/dev/null | wc -l)" "packets before SIGINT"

# 4. A bad filter: the helper's line, its exit status (2), no file.
timeout 30 "$X" capture 127.0.0.1 -p "$NCAP_SSH_PORT" "${SSHO[@]}" -i lo -f "udp prt 1" \
  -w "$NCAP_TMP/bad.pcapng" 2>"$NCAP_TMP/bad.err"
ncap_assert_eq 2 $? "exit status for a bad filter"
ncap_assert_contains "$(cat "$NCAP_TMP/bad.err")" 'nodecap: 127.0.0.1: nodecap-helper: filter "udp prt 1"' "bad filter"
[[ ! -e "$NCAP_TMP/bad.pcapng" ]] || ncap_fail "file created for a failed capture"

# 5. Out of range locally, before connecting.
timeout 30 "$X" capture 127.0.0.1 -p "$NCAP_SSH_PORT" "${SSHO[@]}" -i lo --type simple --time-limit 301 \
  -w "$NCAP_TMP/range.pcapng" 2>"$NCAP_TMP/range.err"
ncap_assert_eq 2 $? "exit status for --time-limit 301 (simple)"
ncap_assert_contains "$(cat "$NCAP_TMP/range.err")" "--time-limit 301" "range error"

# 6. interfaces, table and JSON.
out=$(timeout 30 "$X" interfaces 127.0.0.1 -p "$NCAP_SSH_PORT" "${SSHO[@]}") || ncap_fail "interfaces exit $?"
grep -Eq '^lo +up +127\.0\.0\.1' <<<"$out" || ncap_fail "interfaces table lacks lo: $out"
json=$(timeout 30 "$X" interfaces 127.0.0.1 -p "$NCAP_SSH_PORT" "${SSHO[@]}" --json) || ncap_fail "interfaces --json exit $?"
python3 -c 'import json,sys; l=json.loads(sys.argv[1]); assert any(i["name"]=="lo" and i["up"] for i in l), l' "$json" ||
  ncap_fail "interfaces --json: $json"

# 7. Usage errors.
"$X" capture 2>"$NCAP_TMP/u.err"
ncap_assert_eq 2 $? "capture without a host"
ncap_assert_contains "$(cat "$NCAP_TMP/u.err")" "no node given" "usage"
"$X" frobnicate 2>"$NCAP_TMP/u.err"
ncap_assert_eq 2 $? "unknown verb"
ncap_log "PASS: capture (limit, stdout, SIGINT, bad filter, range), interfaces (table, json), usage"
