#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Help and man pages: each verb's usage names the verb (no [OPTION...]
# twice); nodecap-helper --help shows the global options; every
# `nodecap-helper VERB --help` works without a policy and writes no audit
# line; nodecap(1) documents every verb, every option and every exit
# status; nodecap-helper(8) every exit status; man --warnings is clean.
source "$(dirname "$0")/../lib/common.sh"
X="$NCAP_BUILD/extcap/nodecap"
H="$NCAP_BUILD/remote/nodecap-helper"

for v in capture interfaces start stop status list delete fetch; do
  u=$("$X" "$v" --help | sed -n 2p)
  [[ "$u" == "  nodecap $v [OPTION"*"] "* ]] || ncap_fail "usage of $v: $u"
  ncap_assert_eq 1 "$(grep -o OPTION <<<"$u" | wc -l)" "[OPTION...] in the usage of $v: $u"
done

top=$("$H" --help) || ncap_fail "nodecap-helper --help: exit $?"
for w in "--ssh" "--as NAME" "--json" "--version" "\`interfaces\` needs no permission"; do
  ncap_assert_contains "$top" "$w" "nodecap-helper --help"
done

# No policy, and an audit log that cannot be written: help still works.
mkdir -p "$NCAP_TMP/etc"
for v in interfaces stream clock start stop status list delete fetch; do
  for log in "$NCAP_TMP/no/such/dir/audit.log" "$NCAP_TMP/audit.log"; do
    out=$(env NCAP_SYSCONFDIR="$NCAP_TMP/etc" NCAP_STATEDIR="$NCAP_TMP/state" NCAP_CAPTURESDIR="$NCAP_TMP/cap" \
      NCAP_AUDITLOG="$log" "$H" "$v" --help 2>&1)
    ncap_assert_eq 0 $? "nodecap-helper $v --help without a policy (audit $log): $out"
    ncap_assert_contains "$out" "nodecap-helper $v" "usage of nodecap-helper $v"
  done
done
[[ ! -s "$NCAP_TMP/audit.log" ]] || ncap_fail "help wrote an audit line: $(cat "$NCAP_TMP/audit.log")"

# The man pages.
python3 "$NCAP_SRC/packaging/man/mkman" "$NCAP_SRC/packaging/man/nodecap.man.md" "$NCAP_TMP/man" 0 >/dev/null ||
  ncap_fail "mkman"
for p in nodecap.1 nodecap-helper.8 nodecap.conf.5; do
  w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$NCAP_TMP/man/$p" 2>&1 >/dev/null)
  ncap_assert_eq "" "$w" "man --warnings $p"
done
page=$(LC_ALL=C.UTF-8 MANWIDTH=200 man -l "$NCAP_TMP/man/nodecap.1" 2>/dev/null | col -b)
for v in capture interfaces start stop status list delete fetch; do
  ncap_assert_contains "$page" "nodecap $v" "nodecap(1) synopsis names $v"
  for o in $("$X" "$v" --help-all | grep -o '^ *\(-[a-zA-Z], \)\?--[a-z-]*' | grep -o -- '--[a-z-]*' | grep -v '^--help'); do
    grep -q -- "$o" <<<"$page" || ncap_fail "nodecap(1) does not document $v's $o"
  done
done
sec=$(sed -n '/^EXIT STATUS/,/^FILES/p' <<<"$page")
for s in 1 2 3 4 5 6 7 8 9 10 11 12 13 14; do
  grep -Eq "^ +$s( |$)" <<<"$sec" || ncap_fail "nodecap(1) EXIT STATUS lacks $s"
done
hpage=$(LC_ALL=C.UTF-8 MANWIDTH=200 man -l "$NCAP_TMP/man/nodecap-helper.8" 2>/dev/null | col -b)
hsec=$(sed -n '/^EXIT STATUS/,/^FILES/p' <<<"$hpage")
for s in 1 2 3 4 5 6 7 8 9 14; do
  grep -Eq "^ +$s( |$)" <<<"$hsec" || ncap_fail "nodecap-helper(8) EXIT STATUS lacks $s"
done
ncap_assert_contains "$hpage" "Needs no permission" "nodecap-helper(8) on interfaces"
ncap_log "ok"
