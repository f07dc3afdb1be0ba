#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# --remote-priv with the real sudo and the real doas (opendoas) on the node
# (docs/agentless.md "Privilege on the node"). The test's sshd lets in a
# real account with no capture privilege of its own; the CLI captures on
# lo without the helper (--capture-with tcpdump, once dumpcap):
#  - sudo, a sudoers drop-in with NOPASSWD for tcpdump only: 200/200,
#    capinfos clean; Ctrl-C leaves no sudo, tcpdump or wrapper; the same
#    with dumpcap;
#  - sudo, a rule that needs a password: exit 18, one line naming sudo;
#  - none: tcpdump cannot open lo: one clear line, exit 13;
#  - doas, `permit nopass ... cmd tcpdump`: 200/200, nothing left after
#    Ctrl-C or --time-limit; a rule without nopass: exit 18, one line naming doas; no
#    rule for the program: doas's own line, exit 13.
# /etc/sudoers.d and /etc/doas.conf are restored on any exit.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/sshd.sh"

U=ncaptest-priv
DROPIN=/etc/sudoers.d/$U
DOAS=/etc/doas.conf
TCPDUMP=$(command -v tcpdump) || ncap_fail "tcpdump missing (packaging/install-deps)"
for t in sudo visudo doas; do
  command -v "$t" >/dev/null || ncap_fail "$t missing: apt-get install sudo opendoas (packaging/install-deps)"
done

# Anything a killed earlier run left: our drop-in, our account.
rm -f "$DROPIN"
if id "$U" >/dev/null 2>&1; then userdel -f "$U" 2>/dev/null; fi
getent group "$U" >/dev/null && groupdel "$U"
# doas.conf: keep what was there (or its absence) and put it back.
if [[ -e $DOAS ]]; then
  cp -p "$DOAS" "$NCAP_TMP/doas.conf.orig" || ncap_fail "cannot save $DOAS"
  ncap_on_exit "cp -p '$NCAP_TMP/doas.conf.orig' '$DOAS'"
else
  ncap_on_exit "rm -f '$DOAS'"
fi
ncap_on_exit "rm -f '$DROPIN'"

ncap_sshd_start
# A login shell and a home sshd can enter; '*': not locked (sshd without
# PAM refuses a locked account's keys), no password either.
useradd -M -d "$NCAP_NODE_HOME" -s /bin/bash -U "$U" || ncap_fail "useradd $U"
ncap_on_exit "userdel -f $U; groupdel $U"
usermod -p '*' "$U" || ncap_fail "usermod $U"
ncap_sshd_login_as "$U"

NC=$NCAP_BUILD/extcap/nodecap
PORT=$(ncap_random_port 40000 49000)
# shellcheck disable=SC2207
OPTS=($(ncap_cli_ssh_opts | sed "s#--remote-helper [^ ]*#--remote-helper $NCAP_TMP/node/bin/not-installed/nodecap-helper#")
  --log-level info --log-file "$NCAP_EXTCAP_LOG")

# What this test started on the node: every process of the account, and
# any process (root's sudo/doas, tcpdump's own account) naming our port.
left_pids() {
  { pgrep -u "$U" || true; pgrep -f -- "udp port $PORT" || true; } | sort -u
}
_nothing_left() { [[ -z "$(left_pids)" ]]; }
assert_nothing_left() {
  if ! ncap_wait_for "${2:-10}" _nothing_left; then
    ps -o pid,user,ruser,args -p "$(left_pids | paste -sd,)" >&2
    # shellcheck disable=SC2046
    kill -9 $(left_pids) 2>/dev/null
    ncap_fail "$1: processes left on the node"
  fi
}
# shellcheck disable=SC2016 # expanded when the cleanup runs
ncap_on_exit 'kill -9 $(left_pids)'

sudoers() {
  printf '%s\n' "$1" >"$NCAP_TMP/dropin"
  visudo -cf "$NCAP_TMP/dropin" >/dev/null || ncap_fail "visudo -cf refuses: $1"
  install -o root -g root -m 0440 "$NCAP_TMP/dropin" "$DROPIN"
  visudo -c >/dev/null || ncap_fail "visudo -c refuses the sudoers with $DROPIN"
}
doasconf() {
  printf '%s\n' "$1" >"$NCAP_TMP/doas.conf"
  doas -C "$NCAP_TMP/doas.conf" || ncap_fail "doas -C refuses: $1"
  install -o root -g root -m 0600 "$NCAP_TMP/doas.conf" "$DOAS"
}

# capture NAME PRIV WITH PRIVPROG: 200 datagrams through the CLI, Ctrl-C,
# everything in the file, nothing left on the node.
capture() {
  local name=$1 priv=$2 with=$3 prog=$4 rc n
  : >"$NCAP_EXTCAP_LOG"
  "$NC" capture 127.0.0.1 "${OPTS[@]}" --capture-with "$with" --remote-priv "$priv" \
    -i lo -f "udp port $PORT" -w "$NCAP_TMP/$name.pcapng" 2>"$NCAP_TMP/$name.err" &
  local cpid=$!
  ncap_on_exit "kill -9 $cpid"
  ncap_wait_for 45 grep -q "first bytes from the helper" "$NCAP_EXTCAP_LOG" ||
    ncap_fail "$name: did not start: $(cat "$NCAP_TMP/$name.err") $(tail -3 "$NCAP_EXTCAP_LOG")"
  # The real sudo/doas runs it, started by our account, as root.
  pgrep -u root -f -- "^$prog .*udp port $PORT" >/dev/null ||
    ncap_fail "$name: no $prog process for the capture: $(pgrep -af -- "udp port $PORT")"
  python3 "$NCAP_SRC/tests/lib/udpgen.py" --port "$PORT" --count 200 --rate 2000
  sleep 1
  kill -INT "$cpid"
  ncap_wait_pid_exit "$cpid" 30
  rc=$?
  ncap_assert_eq 0 "$rc" "$name: exit after Ctrl-C ($(cat "$NCAP_TMP/$name.err"))"
  assert_nothing_left "$name: after Ctrl-C"
  ncap_assert_file_clean "$NCAP_TMP/$name.pcapng"
  n=$(tshark -r "$NCAP_TMP/$name.pcapng" -Y 'udp contains "ncap-seq-"' 2>/dev/null | wc -l)
  ncap_assert_eq 200 "$n" "$name: datagrams in the file"
  local how
  how=$(tshark -r "$NCAP_TMP/$name.pcapng" -c 1 -T fields -e frame.interface_description 2>/dev/null)
  ncap_assert_contains "$how" "$with" "$name: IDB description"
  ncap_assert_contains "$how" " via $priv;" "$name: IDB description"
  ncap_log "ok: $name: $n of 200 datagrams, capinfos clean, IDB '${how%%;*}', nothing left after Ctrl-C"
}

# time_limit PRIV: the wrapper's own clock (--time-limit) ends tcpdump
# through sudo/doas: exit 0, nothing left.
time_limit() {
  local priv=$1 t0=$SECONDS dt
  "$NC" capture 127.0.0.1 "${OPTS[@]}" --capture-with tcpdump --remote-priv "$priv" -i lo \
    -f "udp port $PORT" --time-limit 2 -w "$NCAP_TMP/$priv-tl.pcapng" 2>"$NCAP_TMP/$priv-tl.err" ||
    ncap_fail "$priv --time-limit 2: exit $?: $(cat "$NCAP_TMP/$priv-tl.err")"
  dt=$((SECONDS - t0))
  ((dt >= 2 && dt <= 20)) || ncap_fail "$priv --time-limit 2 took ${dt}s"
  assert_nothing_left "$priv --time-limit 2"
  ncap_log "ok: $priv --time-limit 2: exit 0 after ${dt}s, nothing left"
}

# one_error NAME WANT_RC WANT_TEXT ARGS...: one line, its exit status,
# no output, nothing left.
source "$(dirname "$0")/agentless-lib.sh"
one_error() { agentless_one_error assert_nothing_left "$@"; }

# The account cannot capture by itself.
if timeout 5 setpriv --reuid="$U" --regid="$U" --init-groups "$TCPDUMP" -i lo -c 1 -w /dev/null >/dev/null 2>&1; then
  ncap_fail "$U can capture without privilege: the test proves nothing"
fi

# 1. sudo, NOPASSWD for tcpdump only.
sudoers "$U ALL=(root) NOPASSWD: $TCPDUMP"
capture sudo-tcpdump sudo tcpdump sudo
time_limit sudo
# The same rule does not let dumpcap through: sudo -n asks for a password.
if DUMPCAP=$(command -v dumpcap); then
  one_error sudo-not-dumpcap 18 "127.0.0.1: sudo on the node asks for a password" \
    --capture-with dumpcap --remote-priv sudo
  sudoers "$U ALL=(root) NOPASSWD: $DUMPCAP"
  capture sudo-dumpcap sudo dumpcap sudo
else
  ncap_fail "dumpcap missing (wireshark-common, packaging/install-deps)"
fi

# 2. sudo, a rule that needs the password.
sudoers "$U ALL=(root) $TCPDUMP"
one_error sudo-password 18 "127.0.0.1: sudo on the node asks for a password (nodecap never types one)" \
  --capture-with tcpdump --remote-priv sudo
rm -f "$DROPIN"

# 3. none: the account's own tcpdump cannot open lo.
one_error none 13 "127.0.0.1: tcpdump: lo: You don't have permission to perform this capture on that device: the SSH user has no capture privilege on the node; use --remote-priv sudo or doas" \
  --capture-with tcpdump --remote-priv none
one_error none-dumpcap 13 "127.0.0.1: dumpcap: You do not have permission to capture on device \"lo\": the SSH user has no capture privilege" \
  --capture-with dumpcap --remote-priv none

# 4. doas (opendoas), nopass for tcpdump only.
doasconf "permit nopass $U as root cmd $TCPDUMP"
capture doas-tcpdump doas tcpdump doas
time_limit doas
# 5. doas without nopass.
doasconf "permit $U as root cmd $TCPDUMP"
one_error doas-password 18 "127.0.0.1: doas on the node asks for a password (nodecap never types one)" \
  --capture-with tcpdump --remote-priv doas
# 6. doas with no rule for the program: doas -n refuses without asking.
doasconf "permit nopass $U as root cmd $DUMPCAP"
one_error doas-norule 13 "127.0.0.1: doas: Operation not permitted (exit 1)" \
  --capture-with tcpdump --remote-priv doas

ncap_log "PASS: real sudo and doas: NOPASSWD/nopass capture 200/200 with nothing left; password rules exit 18; none exit 13"
