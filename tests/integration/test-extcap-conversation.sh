#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The extcap conversation as Wireshark and tshark hold it: interfaces with
# a version, DLTs, the config dialog (lowercase calls, groups, defaults),
# the interface reload over SSH, filter validation, and a missing host.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/sshd.sh"
ncap_sshd_start
X="$NCAP_BUILD/extcap/nodecap"

# --extcap-interfaces
out=$("$X" --extcap-interfaces --extcap-version=4.0) || ncap_fail "--extcap-interfaces exit $?"
ncap_assert_contains "$out" "extcap {version=" "--extcap-interfaces"
ncap_assert_contains "$out" "interface {value=nodecap}{display=Remote node capture}" "--extcap-interfaces"

# --extcap-dlts
out=$("$X" --extcap-dlts --extcap-interface nodecap) || ncap_fail "--extcap-dlts exit $?"
ncap_assert_eq "dlt {number=1}{name=EN10MB}{display=pcapng from the node}" "$out" "--extcap-dlts"

# --extcap-config: every call lowercase (uppercase makes tshark abort),
# numbers unique, groups as designed, the reload selector present.
cfg=$("$X" --extcap-config --extcap-interface nodecap) || ncap_fail "--extcap-config exit $?"
calls=$(grep -o '{call=[^}]*}' <<<"$cfg" | sed 's/{call=\(.*\)}/\1/')
[[ -n "$calls" ]] || ncap_fail "no arg lines in --extcap-config"
if grep -q '[A-Z]' <<<"$calls"; then ncap_fail "uppercase in a call: $(grep '[A-Z]' <<<"$calls")"; fi
nums=$(grep -o '^arg {number=[0-9]*}' <<<"$cfg" | sort | uniq -d)
[[ -z "$nums" ]] || ncap_fail "duplicate arg numbers: $nums"
for g in Node Capture "Save on node" Debug; do
  grep -q "{group=$g}" <<<"$cfg" || ncap_fail "group $g missing"
done
for c in --remote-host --remote-port --remote-username --remote-password \
  --remote-password-file --sshkey --sshkey-passphrase --known-hosts \
  --accept-new-host-key --remote-interface --more-interfaces --remote-filter --capture-type \
  --snaplen --remote-helper --log-level --log-file; do
  grep -q -- "{call=$c}" <<<"$cfg" || ncap_fail "option $c missing"
done
line=$(grep -- '{call=--remote-interface}' <<<"$cfg")
ncap_assert_contains "$line" "{reload=true}" "remote-interface"
ncap_assert_contains "$(grep -- '{call=--remote-host}' <<<"$cfg")" "{required=true}" "remote-host"
ncap_assert_contains "$(grep -- '{call=--remote-port}' <<<"$cfg")" "{default=22}{range=1,65535}" "remote-port"

# Reload: asks the node over SSH, answers with value lines only.
arg=$(sed -n 's/^arg {number=\([0-9]*\)}{call=--remote-interface}.*/\1/p' <<<"$cfg")
start=$SECONDS
rl=$("$X" --extcap-config --extcap-interface nodecap --extcap-reload-option remote-interface \
  --remote-host 127.0.0.1 --remote-port "$NCAP_SSH_PORT" --sshkey "$NCAP_SSH_KEY" \
  --known-hosts "$NCAP_KNOWN_HOSTS" --remote-helper "$NCAP_HELPER") || ncap_fail "reload exit $?"
grep -qv '^value ' <<<"$rl" && ncap_fail "reload printed a non-value line: $rl"
grep -q "^value {arg=$arg}{value=lo}{display=lo (127.0.0.1" <<<"$rl" || ncap_fail "reload does not list lo: $rl"
ncap_log "reload listed $(wc -l <<<"$rl") interfaces in $((SECONDS - start)) s"

# Reload against a port where nothing listens: a quick error, no prompt,
# nothing on stdout.
dead=$(ncap_random_port 39000 39900)
start=$SECONDS
rl=$("$X" --extcap-config --extcap-interface nodecap --extcap-reload-option remote-interface \
  --remote-host 127.0.0.1 --remote-port "$dead" --known-hosts "$NCAP_KNOWN_HOSTS" \
  2>"$NCAP_TMP/rl.err" </dev/null) && ncap_fail "reload to a dead port succeeded"
ncap_assert_eq "" "$rl" "reload stdout on error"
ncap_assert_contains "$(cat "$NCAP_TMP/rl.err")" "cannot connect to 127.0.0.1 port $dead" "reload error"
((SECONDS - start <= 6)) || ncap_fail "reload error took $((SECONDS - start)) s"

# tshark sees the interface in the personal extcap folder.
tshark -D 2>/dev/null | grep -q 'nodecap (Remote node capture)' || ncap_fail "tshark -D does not list nodecap"

# Filter validation (no host on this call): syntax checked locally.
"$X" --extcap-interface nodecap --extcap-capture-filter "udp port 53" >"$NCAP_TMP/v.out" ||
  ncap_fail "valid filter refused: $(cat "$NCAP_TMP/v.out")"
if "$X" --extcap-interface nodecap --extcap-capture-filter "udp prt 53" >"$NCAP_TMP/v.out" 2>/dev/null; then
  ncap_fail "bad filter accepted"
fi
ncap_assert_contains "$(cat "$NCAP_TMP/v.out")" 'filter "udp prt 53"' "filter verdict"

# tshark -i nodecap with no host (as wireshark -k does): a clear error.
tshark -i nodecap -a duration:5 -w "$NCAP_TMP/nohost.pcapng" 2>"$NCAP_TMP/nohost.err"
rc=$?
((rc != 0)) || ncap_fail "tshark without a host exited 0"
ncap_assert_extcap_error "$(cat "$NCAP_TMP/nohost.err")" "nodecap: no node given" "no host"
ncap_log "PASS: interfaces, dlts, config, reload, filter validation, missing host"
