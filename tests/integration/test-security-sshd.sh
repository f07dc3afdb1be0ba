#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Forced-command mode through a real sshd: keys with
# restrict,command="nodecap-helper --ssh [--as NAME]" for real test users;
# the allowed command streams; every hostile SSH_ORIGINAL_COMMAND of
# tests/data/ssh-hostile-commands.txt is refused (exit 2, one line), runs
# nothing outside the helper (a canary file is never created) and is
# audited with the peer address; --as is honoured only for the shared
# account named in nodecap.conf.
set -uo pipefail
. "$(dirname "$0")/../lib/assert.sh"
. "$(dirname "$0")/../lib/security.sh"

[ "$(id -u)" = 0 ] || { echo "needs root (useradd, setcap, sshd)"; exit 77; }
CANARY=/tmp/ncap-canary-pwned
rm -f "$CANARY"
T=$(mktemp -d); chmod 0755 "$T"
SSHD_PID=
cleanup() {
  [ -n "$SSHD_PID" ] && kill "$SSHD_PID" 2>/dev/null && wait "$SSHD_PID" 2>/dev/null
  sec_users_remove
  rm -rf "$T" "$SEC_P" "$CANARY"
}
trap cleanup EXIT

sec_users_create || { fail "create test users"; summary; exit 1; }
sec_install_helper || { fail "build/install the setuid test helper"; summary; exit 1; }
sec_policy '[grant]\ncapture.stream = ncap-alice;ncap-bob;ncap-carol\n[deny]\ncapture.stream = ncap-carol\n'
sec_conf '[ssh]\nshared_account = ncap-share\n[rate]\nsimple_interval = 0\n'

# Keys and authorized_keys (root-owned, as an admin would write them).
mkdir -p "$SEC_P/keys" /run/sshd
for k in alice share-bob share-carol bob-as; do
  ssh-keygen -q -t ed25519 -N '' -C "ncap-test-$k" -f "$T/$k" || fail "ssh-keygen $k"
done
ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey"
ak() { echo "restrict,command=\"$1\" $(cat "$T/$2.pub")"; }
ak "$SEC_H --ssh" alice > "$SEC_P/keys/ncap-alice"
{ ak "$SEC_H --ssh --as ncap-bob" share-bob; ak "$SEC_H --ssh --as ncap-carol" share-carol; } > "$SEC_P/keys/ncap-share"
ak "$SEC_H --ssh --as ncap-alice" bob-as > "$SEC_P/keys/ncap-bob"
chmod 0644 "$SEC_P/keys"/*

# A private sshd on a free loopback port. StrictModes no: the keys live
# under /tmp, which is world-writable.
for try in 1 2 3 4 5; do
  PORT=$((30000 + RANDOM % 9000))
  cat > "$T/sshd_config" <<CFG
ListenAddress 127.0.0.1
Port $PORT
HostKey $T/hostkey
AuthorizedKeysFile $SEC_P/keys/%u
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitUserEnvironment no
PidFile $T/sshd.pid
LogLevel VERBOSE
CFG
  /usr/sbin/sshd -D -e -f "$T/sshd_config" 2>> "$T/sshd.log" &
  SSHD_PID=$!
  for i in $(seq 50); do
    (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break 2
    sleep 0.1
  done
  kill $SSHD_PID 2>/dev/null; wait $SSHD_PID 2>/dev/null; SSHD_PID=
done
[ -n "$SSHD_PID" ] || { fail "sshd did not start: $(tail -3 "$T/sshd.log")"; summary; exit 1; }
echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 "$T/hostkey.pub")" > "$T/known_hosts"

# nssh KEY USER COMMAND: the command string reaches sshd exactly as given.
nssh() {
  local key=$1 user=$2; shift 2
  ssh -T -i "$T/$key" -p "$PORT" -o BatchMode=yes -o IdentitiesOnly=yes \
    -o UserKnownHostsFile="$T/known_hosts" -o StrictHostKeyChecking=yes \
    -o LogLevel=ERROR "$user@127.0.0.1" "$@"
}

# 1. The allowed command runs and streams, as alice, with nothing dropped.
nssh alice ncap-alice "nodecap-helper stream -i lo -f 'udp dst port 47201' --packet-limit 5" \
  > "$T/a.pcapng" 2> "$T/a.err" < <(sleep 20) &
pid=$!
sleep 2
python3 "$NCAP_SRC/tests/lib/udpgen.py" --port 47201 --count 5 --size 80
wait_gone $pid 10 || fail "ssh stream did not end at its packet limit"
wait $pid; rc=$?
assert_eq "forced-command stream: exit status" 0 $rc
assert_empty "forced-command stream: stderr" "$(cat "$T/a.err")"
assert_eq "forced-command stream: packets" 5 "$(tshark -r "$T/a.pcapng" 2>/dev/null | wc -l)"
nssh alice ncap-alice "/usr/local/bin/nodecap-helper interfaces" > "$T/if.out" 2> "$T/if.err" < /dev/null
assert_eq "interfaces by any helper path: exit status" 0 $?
assert_match "interfaces lists lo" "lo" "$(cat "$T/if.out")"
assert_eq "audit: stream over ssh (user verb result peer)" \
  "ncap-alice stream ok 127.0.0.1" \
  "$(grep '"verb":"stream"' "$SEC_P/log/audit.log" | tail -n 1 | python3 -c 'import json,sys; e=json.loads(sys.stdin.read()); print(e["user"], e["verb"], e["result"], e["peer"])')"

# 2. Hostile commands: refused, audited, nothing outside the helper runs.
before=$(grep -c '"result":"refused"' "$SEC_P/log/audit.log")
n=0; bad=0
while IFS= read -r line; do
  [[ -z "$line" || "$line" == "# "* ]] && continue
  cmd=$(printf '%b.' "$line"); cmd=${cmd%.}  # keep a trailing newline
  nssh alice ncap-alice "$cmd" > "$T/h.out" 2> "$T/h.err" < /dev/null
  rc=$?
  err=$(cat "$T/h.err")
  n=$((n + 1))
  if [ $rc -ne 2 ] || [[ "$err" != "nodecap-helper: forced command: "* ]] || [ "$(wc -l < "$T/h.err")" -ne 1 ] || [ -s "$T/h.out" ]; then
    bad=$((bad + 1)); fail "hostile command not cleanly refused: [$line] rc=$rc err=$err"
  fi
done < "$NCAP_SRC/tests/data/ssh-hostile-commands.txt"
assert_eq "hostile commands refused with exit 2 and one line" 0 $bad
ok "$n hostile commands sent"
assert_eq "canary file never created" "absent" "$([ -e "$CANARY" ] && echo present || echo absent)"
after=$(grep -c '"result":"refused"' "$SEC_P/log/audit.log")
assert_eq "each hostile command audited as refused" $n $((after - before))
last=$(tail -n 1 "$SEC_P/log/audit.log")
assert_match "refusal audit names the command and peer" \
  '"verb":"ssh","args":\["nodecap-helper stream -f .*"peer":"127.0.0.1"' "$last"

# 3. No command at all (an interactive login): refused.
nssh alice ncap-alice > "$T/n.out" 2> "$T/n.err" < /dev/null
assert_eq "no command: exit status" 2 $?
assert_eq "no command: message" \
  "nodecap-helper: forced command: no command given (SSH_ORIGINAL_COMMAND is not set)" "$(cat "$T/n.err")"

# 4. The shared account: --as names the person; policy and audit use it.
nssh share-bob ncap-share "nodecap-helper stream -i lo --time-limit 1" > "$T/s.pcapng" 2> "$T/s.err" < <(sleep 10)
assert_eq "shared account --as ncap-bob: exit status" 0 $?
assert_eq "audit: --as user and login account" "ncap-bob ncap-share ok" \
  "$(tail -n 1 "$SEC_P/log/audit.log" | python3 -c 'import json,sys; e=json.loads(sys.stdin.read()); print(e["user"], e.get("account"), e["result"])')"
nssh share-carol ncap-share "nodecap-helper stream -i lo --time-limit 1" > "$T/s2" 2> "$T/s2.err" < /dev/null
assert_eq "shared account --as ncap-carol (denied): exit status" 3 $?
assert_match "shared account --as ncap-carol: message" "^nodecap-helper: permission denied: capture\.stream for user ncap-carol \(groups: " "$(cat "$T/s2.err")"

# 5. --as from an account that is not the shared one: refused.
nssh bob-as ncap-bob "nodecap-helper stream -i lo --time-limit 1" > "$T/b" 2> "$T/b.err" < /dev/null
assert_eq "--as on a personal account: exit status" 3 $?
assert_match "--as on a personal account: message" "--as is only honoured for the shared account" "$(cat "$T/b.err")"
assert_eq "--as on a personal account: stream bytes" 0 "$(stat -c %s "$T/b")"
# ... and never outside forced-command mode, even for the shared account.
sec_as ncap-share "$SEC_H" --as ncap-bob stream -i lo > "$T/l" 2> "$T/l.err" < /dev/null
assert_eq "--as without --ssh: exit status" 2 $?

summary
