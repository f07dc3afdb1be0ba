#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# SSH trust and authentication through the real extcap and sshd:
# an unknown host key is refused with its fingerprint, accepted (and
# saved) only with accept-new-host-key; a changed key is refused even
# then; a wrong key or a wrong password is an authentication error; a
# password never appears in the log. No helper is left in any case.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/sshd.sh"
ncap_sshd_start
X="$NCAP_BUILD/extcap/nodecap"
FP=$(ssh-keygen -lf "$NCAP_TMP/sshd/host_ed25519.pub" | cut -d' ' -f2)

# Capture through the extcap directly (as tshark calls it) into a fifo we
# read; prints stderr into $NCAP_TMP/$name.err, returns the exit status.
# extra args replace the harness defaults that follow them.
PORT=$(ncap_random_port 40000 49000)
direct() {
  local name=$1
  shift
  rm -f "$NCAP_TMP/$name.fifo"
  mkfifo "$NCAP_TMP/$name.fifo"
  (timeout 20 cat "$NCAP_TMP/$name.fifo" >"$NCAP_TMP/$name.pcapng") &
  local reader=$!
  timeout 20 "$X" --capture --extcap-interface nodecap --fifo "$NCAP_TMP/$name.fifo" \
    --remote-host 127.0.0.1 --remote-port "$NCAP_SSH_PORT" --remote-helper "$NCAP_HELPER" \
    --remote-interface lo --remote-filter "udp port $PORT" --packet-limit 3 \
    --log-level debug --log-file "$NCAP_TMP/$name.log" "$@" 2>"$NCAP_TMP/$name.err" &
  local x=$!
  # Feed a few packets until the helper's limit ends the capture.
  for _ in $(seq 1 40); do
    kill -0 $x 2>/dev/null || break
    ncap_send_udp 1 "$PORT" "$name" 2>/dev/null
    sleep 0.2
  done
  wait $x
  local rc=$?
  kill $reader 2>/dev/null
  wait $reader 2>/dev/null
  ncap_assert_no_helper "$name"
  return $rc
}

# 1. Unknown host key (empty known_hosts): refused, fingerprint named.
: >"$NCAP_TMP/kh_empty"
direct unknown --sshkey "$NCAP_SSH_KEY" --known-hosts "$NCAP_TMP/kh_empty"
ncap_assert_eq 11 $? "exit status for an unknown host key"
err=$(cat "$NCAP_TMP/unknown.err")
ncap_assert_contains "$err" "unknown host key for [127.0.0.1]:$NCAP_SSH_PORT" "unknown key"
ncap_assert_contains "$err" "$FP" "unknown key fingerprint"
ncap_assert_eq 1 "$(wc -l <"$NCAP_TMP/unknown.err")" "one stderr line"
[[ ! -s "$NCAP_TMP/kh_empty" ]] || ncap_fail "known_hosts written without accept-new"

# 2. Same with accept-new: works, the key is saved, and a second run
#    verifies against it.
: >"$NCAP_TMP/kh_new"
direct acceptnew --sshkey "$NCAP_SSH_KEY" --known-hosts "$NCAP_TMP/kh_new" --accept-new-host-key true
rc=$?
[[ $rc -eq 0 ]] || ncap_fail "accept-new capture exit $rc: $(cat "$NCAP_TMP/acceptnew.err")"
n=$(tshark -r "$NCAP_TMP/acceptnew.pcapng" 2>/dev/null | wc -l)
ncap_assert_eq 3 "$n" "packets with accept-new (packet limit 3)"
ssh-keygen -F "[127.0.0.1]:$NCAP_SSH_PORT" -f "$NCAP_TMP/kh_new" >/dev/null ||
  ncap_fail "accepted key not in known_hosts: $(cat "$NCAP_TMP/kh_new")"
direct again --sshkey "$NCAP_SSH_KEY" --known-hosts "$NCAP_TMP/kh_new"
ncap_assert_eq 0 $? "second run against the saved key"

# 3. Changed key: refused even with accept-new, file untouched.
ssh-keygen -q -t ed25519 -N '' -f "$NCAP_TMP/other_host"
echo "[127.0.0.1]:$NCAP_SSH_PORT $(cut -d' ' -f1,2 "$NCAP_TMP/other_host.pub")" >"$NCAP_TMP/kh_changed"
cp "$NCAP_TMP/kh_changed" "$NCAP_TMP/kh_changed.orig"
direct changed --sshkey "$NCAP_SSH_KEY" --known-hosts "$NCAP_TMP/kh_changed" --accept-new-host-key true
ncap_assert_eq 11 $? "exit status for a changed host key"
ncap_assert_contains "$(cat "$NCAP_TMP/changed.err")" "host key for [127.0.0.1]:$NCAP_SSH_PORT has CHANGED" "changed key"
ncap_assert_contains "$(cat "$NCAP_TMP/changed.err")" "$FP" "changed key fingerprint"
cmp -s "$NCAP_TMP/kh_changed" "$NCAP_TMP/kh_changed.orig" || ncap_fail "known_hosts modified on a changed key"

# 4. Wrong key: an authentication error.
ssh-keygen -q -t ed25519 -N '' -f "$NCAP_TMP/wrong_key"
direct wrongkey --sshkey "$NCAP_TMP/wrong_key" --known-hosts "$NCAP_KNOWN_HOSTS"
ncap_assert_eq 12 $? "exit status for a wrong key"
ncap_assert_contains "$(cat "$NCAP_TMP/wrongkey.err")" "authentication failed for root@127.0.0.1" "wrong key"

# 5. Wrong password (argv and file): an authentication error, and the
#    password is in no log.
PW="nodecap-wrong-$RANDOM$RANDOM"
direct wrongpw --remote-password "$PW" --known-hosts "$NCAP_KNOWN_HOSTS"
ncap_assert_eq 12 $? "exit status for a wrong password"
ncap_assert_contains "$(cat "$NCAP_TMP/wrongpw.err")" "authentication failed for root@127.0.0.1" "wrong password"
ncap_assert_contains "$(cat "$NCAP_TMP/wrongpw.err")" "password" "wrong password: method named"
echo "$PW" >"$NCAP_TMP/pwfile"
direct wrongpwfile --remote-password-file "$NCAP_TMP/pwfile" --known-hosts "$NCAP_KNOWN_HOSTS"
ncap_assert_eq 12 $? "exit status for a wrong password file"
if grep -rqF -- "$PW" "$NCAP_TMP"/*.log "$NCAP_TMP"/*.err; then
  ncap_fail "the password appears in a log: $(grep -rlF -- "$PW" "$NCAP_TMP"/*.log "$NCAP_TMP"/*.err)"
fi

# 6. A key file that does not exist: a clear error naming it.
direct nokey --sshkey "$NCAP_TMP/no_such_key" --known-hosts "$NCAP_KNOWN_HOSTS"
ncap_assert_eq 12 $? "exit status for a missing key file"
ncap_assert_contains "$(cat "$NCAP_TMP/nokey.err")" "private key $NCAP_TMP/no_such_key: No such file or directory" "missing key"

# 7. libssh never writes on stderr, even at debug level: every stderr
#    above is exactly one line.
for f in "$NCAP_TMP"/*.err; do
  lines=$(wc -l <"$f")
  [[ $lines -le 1 ]] || ncap_fail "$f has $lines lines: $(head -3 "$f")"
done
ncap_log "PASS: unknown/accept-new/changed host key, wrong key, wrong password (argv, file), missing key"
