#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Key errors name the actual cause (missing, unreadable, not a key,
# encrypted without a passphrase, wrong passphrase); on a terminal (a real
# pty) the passphrase is asked with echo off, as ssh does; with stdin not
# a terminal nothing is ever asked.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/sshd.sh"
ncap_sshd_start
X="$NCAP_BUILD/extcap/nodecap"
PTY="$NCAP_SRC/tests/lib/pty-run.py"
O=(-p "$NCAP_SSH_PORT" --known-hosts "$NCAP_KNOWN_HOSTS" --remote-helper "$NCAP_HELPER" --connect-timeout 5)
K=$NCAP_TMP/enc_key
ssh-keygen -q -t ed25519 -N 'right horse' -C enc -f "$K" || ncap_fail "ssh-keygen"
cat "$K.pub" >>"$NCAP_TMP/sshd/authorized_keys"

# interfaces with a key; stdin is never a terminal here.
try() {
  local name=$1
  shift
  timeout 30 "$X" interfaces 127.0.0.1 "${O[@]}" "$@" </dev/null >"$NCAP_TMP/$name.out" 2>"$NCAP_TMP/$name.err"
}

try missing --sshkey "$NCAP_TMP/nope"
ncap_assert_eq 12 $? "missing key: exit status"
ncap_assert_eq "nodecap: private key $NCAP_TMP/nope: No such file or directory" "$(cat "$NCAP_TMP/missing.err")" "missing key"

echo "not a key" >"$NCAP_TMP/junk"
try junk --sshkey "$NCAP_TMP/junk"
ncap_assert_eq 12 $? "not a key: exit status"
ncap_assert_eq "nodecap: private key $NCAP_TMP/junk: not a private key libssh can read" "$(cat "$NCAP_TMP/junk.err")" "not a key"

try noprompt --sshkey "$K"
ncap_assert_eq 12 $? "encrypted key, no passphrase, no tty: exit status"
ncap_assert_eq "nodecap: private key $K is encrypted and no passphrase was given (--sshkey-passphrase, or load it into ssh-agent)" \
  "$(cat "$NCAP_TMP/noprompt.err")" "encrypted key without a passphrase"

try wrong --sshkey "$K" --sshkey-passphrase 'wrong horse'
ncap_assert_eq 12 $? "wrong passphrase: exit status"
ncap_assert_eq "nodecap: private key $K: wrong passphrase" "$(cat "$NCAP_TMP/wrong.err")" "wrong passphrase"

try right --sshkey "$K" --sshkey-passphrase 'right horse'
ncap_assert_eq 0 $? "right passphrase: $(cat "$NCAP_TMP/right.err")"

# Unreadable: the key is root's (0600), nodecap runs as nobody.
cp "$K" "$NCAP_TMP/root_key"
chmod 600 "$NCAP_TMP/root_key"
chmod 644 "$NCAP_KNOWN_HOSTS"
setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME="$NCAP_TMP" \
  timeout 30 "$X" interfaces 127.0.0.1 "${O[@]}" --sshkey "$NCAP_TMP/root_key" </dev/null 2>"$NCAP_TMP/unread.err" >/dev/null
ncap_assert_eq 12 $? "unreadable key: exit status"
ncap_assert_eq "nodecap: private key $NCAP_TMP/root_key: cannot read it: Permission denied" "$(cat "$NCAP_TMP/unread.err")" "unreadable key"

# On a terminal: asked without echo, then it works.
T=$NCAP_TMP/pty.txt
"$PTY" --transcript "$T" --timeout 30 --answer "Enter passphrase for key '$K': " 'right horse' -- \
  "$X" interfaces 127.0.0.1 "${O[@]}" --sshkey "$K"
ncap_assert_eq 0 $? "passphrase typed on a tty: $(cat "$T")"
ncap_assert_contains "$(cat "$T")" "Enter passphrase for key '$K': [pty-run: echo off]" "prompt, echo off"
[[ "$(cat "$T")" != *"right horse"* ]] || ncap_fail "the passphrase was echoed: $(cat "$T")"
grep -aEq '^lo ' "$T" || ncap_fail "no interface list after the passphrase: $(cat "$T")"

# A wrong one typed three times: asked three times, then the cause.
T=$NCAP_TMP/pty-wrong.txt
"$PTY" --transcript "$T" --timeout 30 --answer "Enter passphrase" 'no1' --answer "Enter passphrase" 'no2' \
  --answer "Enter passphrase" 'no3' -- "$X" interfaces 127.0.0.1 "${O[@]}" --sshkey "$K"
ncap_assert_eq 12 $? "three wrong passphrases on a tty"
ncap_assert_eq 3 "$(grep -ao "Enter passphrase" "$T" | wc -l)" "prompts for three wrong passphrases"
ncap_assert_contains "$(cat "$T")" "nodecap: private key $K: wrong passphrase (3 tries)" "after three tries"
ncap_log "ok"
