#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Debian packages: build them from the tree with packaging/build-debs,
# install with `apt-get install ./*.deb`, check what the packages set up
# (tshark sees the extcap and plugin, the helper's owner/mode/capability,
# user, directories, man pages), capture through the installed helper as an
# unprivileged user granted in the policy, then purge and check that only
# the captures remain. Leaves the system as it was.
#
# The install is real (dpkg, maintainer scripts, adduser, setcap), but by
# default it happens in a private mount namespace where /usr, /etc and /var
# are copy-on-write overlays: other programs on the machine (other test runs
# using tshark) never see the global plugin and extcap appear. Set
# NCAP_PKG_TEST_SYSTEM=1 to install on the real system (a throwaway CI
# container).
set -uo pipefail
. "$(dirname "$0")/../lib/assert.sh"
SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")

if [ "$(id -u)" -ne 0 ]; then echo "skip: needs root (installs packages)"; exit 77; fi

if [ "${NCAP_PKG_TEST_SYSTEM:-0}" != 1 ] && [ -z "${NCAP_PKG_OVERLAY:-}" ]; then
  OV=$(mktemp -d /tmp/ncap-pkg-overlay.XXXXXX)
  NCAP_PKG_OVERLAY=$OV unshare --mount --propagation private bash "$SELF"
  rc=$?
  rmdir "$OV" 2>/dev/null
  exit $rc
fi
if [ -n "${NCAP_PKG_OVERLAY:-}" ]; then
  mount -t tmpfs -o mode=0755 ncap-pkg "$NCAP_PKG_OVERLAY" || { echo "FAIL: tmpfs for the overlay"; exit 1; }
  for d in usr etc var; do
    mkdir -p "$NCAP_PKG_OVERLAY/$d.up" "$NCAP_PKG_OVERLAY/$d.work"
    mount -t overlay overlay -o "lowerdir=/$d,upperdir=$NCAP_PKG_OVERLAY/$d.up,workdir=$NCAP_PKG_OVERLAY/$d.work" "/$d" ||
      { echo "FAIL: overlay on /$d (run with NCAP_PKG_TEST_SYSTEM=1 in a throwaway container)"; exit 1; }
  done
  echo "note: installing in a private mount namespace (overlays on /usr /etc /var)"
fi

export DEBIAN_FRONTEND=noninteractive
T=$(mktemp -d /tmp/ncap-pkg-test.XXXXXX)
chmod 755 "$T"
TUSER=ncap-pkgtest
GEN="python3 $NCAP_SRC/tests/lib/udpgen.py"
EXTCAP_DIR=/usr/lib/x86_64-linux-gnu/wireshark/extcap
PLUGIN=/usr/lib/x86_64-linux-gnu/wireshark/plugins/4.0/epan/nodecap.so

for p in nodecap nodecap-helper; do
  if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    echo "FAIL: $p is already installed here; this test installs and purges it (remove it first)"
    exit 1
  fi
done
had_nodecap_user=0; getent passwd nodecap >/dev/null && had_nodecap_user=1
had_nodecap_group=0; getent group nodecap >/dev/null && had_nodecap_group=1
getent passwd | sort > "$T/passwd.before"

cleanup() {
  kill $(jobs -p) 2>/dev/null
  for p in nodecap nodecap-helper; do
    if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "installed"; then
      apt-get purge -y -qq "$p" </dev/null >/dev/null 2>&1
    fi
  done
  getent passwd "$TUSER" >/dev/null && userdel "$TUSER" 2>/dev/null
  rm -rf /var/lib/nodecap
  if [ $had_nodecap_user = 0 ] && getent passwd nodecap >/dev/null; then userdel nodecap 2>/dev/null; fi
  if [ $had_nodecap_group = 0 ] && getent group nodecap >/dev/null; then groupdel nodecap 2>/dev/null; fi
  rm -rf "$T"
}
trap cleanup EXIT

# 1. Build the packages.
"$NCAP_SRC/packaging/build-debs" -B "$NCAP_BUILD/deb-build" -o "$T/debs" > "$T/build.log" 2>&1
rc=$?
assert_eq "build-debs exit status" 0 $rc
[ $rc -eq 0 ] || { tail -20 "$T/build.log"; summary; exit 1; }
debs=$(cd "$T/debs" && ls *.deb | tr '\n' ' ')
assert_match "packages built" 'nodecap-helper_[0-9.]+-1_amd64\.deb' "$debs"
assert_match "packages built" '(^| )nodecap_[0-9.]+-1_amd64\.deb' "$debs"
assert_match "nodecap depends on the 4.0 libwireshark ABI" 'libwireshark16 \(>= 4\.0\), libwireshark16 \(<< 4\.1~\)' \
  "$(dpkg-deb -f "$T"/debs/nodecap_*.deb Depends)"
has_extcap=0
dpkg-deb -c "$T"/debs/nodecap_*.deb | grep -q "wireshark/extcap/nodecap$" && has_extcap=1

# 2. Install, no stdin, no prompt.
(cd "$T/debs" && apt-get install -y -q --no-install-recommends ./*.deb) </dev/null > "$T/install.log" 2>&1
rc=$?
assert_eq "apt-get install ./*.deb exit status" 0 $rc
[ $rc -eq 0 ] || { tail -20 "$T/install.log"; summary; exit 1; }

# 3. What the packages set up.
assert_match "user nodecap" '^uid=[0-9]+\(nodecap\) gid=[0-9]+\(nodecap\)' "$(id nodecap)"
assert_eq "nodecap's home" /var/lib/nodecap "$(getent passwd nodecap | cut -d: -f6)"
H=/usr/bin/nodecap-helper
assert_eq "helper owner, group, mode (setuid+setgid nodecap)" "nodecap nodecap 6755" "$(stat -c '%U %G %a' $H)"
assert_eq "helper capability" "$H cap_net_raw=ep" "$(getcap $H)"
assert_eq "/var/lib/nodecap" "nodecap nodecap 700" "$(stat -c '%U %G %a' /var/lib/nodecap)"
assert_eq "captures directory" "nodecap nodecap 2770" "$(stat -c '%U %G %a' /var/lib/nodecap/captures)"
assert_eq "/var/log/nodecap" "nodecap nodecap 750" "$(stat -c '%U %G %a' /var/log/nodecap)"
assert_eq "audit file" "nodecap nodecap 600" "$(stat -c '%U %G %a' /var/log/nodecap/audit.log)"
assert_eq "policy.conf" "root nodecap 640" "$(stat -c '%U %G %a' /etc/nodecap/policy.conf)"
assert_eq "nodecap.conf" "root root 644" "$(stat -c '%U %G %a' /etc/nodecap/nodecap.conf)"
assert_eq "default policy grants nothing (no active line)" "" \
  "$(grep -Ev '^[[:space:]]*(#|$)' /etc/nodecap/policy.conf)"
assert_match "conffiles" '/etc/nodecap/policy.conf [0-9a-f]{32}' "$(dpkg-query -W -f='${Conffiles}' nodecap-helper)"
assert_eq "logrotate config" /etc/logrotate.d/nodecap-helper "$(dpkg -L nodecap-helper | grep logrotate.d/)"
if command -v logrotate >/dev/null; then
  logrotate -d /etc/logrotate.d/nodecap-helper > "$T/logrotate.log" 2>&1
  assert_eq "logrotate -d accepts the config" 0 $?
fi

tshark -G plugins 2>/dev/null > "$T/plugins.txt"
assert_match "tshark -G plugins lists nodecap.so" "nodecap\.so[[:space:]]+[0-9.]+[[:space:]]+dissector[[:space:]]+$PLUGIN" \
  "$(grep nodecap "$T/plugins.txt")"
if [ $has_extcap = 1 ]; then
  assert_match "tshark -D lists nodecap" '[0-9]+\. nodecap \(' "$(tshark -D 2>/dev/null | grep nodecap)"
  assert_eq "/usr/bin/nodecap" "$EXTCAP_DIR/nodecap" "$(readlink /usr/bin/nodecap)"
else
  echo "note: the tree has no extcap yet; tshark -D not checked"
fi

for page in "1 nodecap" "8 nodecap-helper" "5 nodecap.conf"; do
  set -- $page
  assert_eq "man -w $1 $2" "/usr/share/man/man$1/$2.$1.gz" "$(man -w "$1" "$2" 2>&1)"
  assert_empty "man --warnings $2($1)" "$(MANWIDTH=80 man --warnings "$1" "$2" 2>&1 >/dev/null)"
done
assert_eq "man -w nodecap" /usr/share/man/man1/nodecap.1.gz "$(man -w nodecap)"

# 4. A capture through the installed helper, by an unprivileged user.
useradd -M -s /bin/sh "$TUSER"
run_as_user() { setpriv --reuid="$TUSER" --regid="$TUSER" --init-groups "$@"; }
if grep -q "permission denied" $H; then
  has_policy=1
else
  has_policy=0
  echo "note: this helper has no policy module yet; policy checks not run"
fi

if [ $has_policy = 1 ]; then
  # As installed, the policy grants nothing: not to the user, not to root.
  run_as_user $H stream -i lo --packet-limit 1 --time-limit 2 </dev/null > "$T/denied.out" 2> "$T/denied.err"
  assert_match "ungranted user is refused" 'permission denied: capture\.stream' "$(cat "$T/denied.err")"
  assert_eq "nothing written when refused" 0 "$(stat -c %s "$T/denied.out")"
  $H stream -i lo --packet-limit 1 --time-limit 2 </dev/null > "$T/root.out" 2> "$T/root.err"
  assert_match "root is refused too" 'permission denied: capture\.stream' "$(cat "$T/root.err")"
fi

printf '[grant]\ncapture.stream = %s\n' "$TUSER" > /etc/nodecap/policy.conf
run_as_user $H stream -i lo -f "udp dst port 47311" --packet-limit 5 \
  > "$T/cap.pcapng" 2> "$T/cap.err" < <(sleep 20) &
pid=$!
sleep 1
# $! is the subshell bash forks for the redirections: find the helper itself.
hpid=$(pgrep -n -f "^$H stream -i lo -f udp dst port 47311")
status=$(grep -E '^(Uid|CapEff):' /proc/${hpid:-0}/status 2>/dev/null)
uid_t=$(id -u "$TUSER"); uid_n=$(id -u nodecap)
assert_match "running helper: real uid = caller, effective = nodecap" \
  "Uid:[[:space:]]+$uid_t[[:space:]]+$uid_n[[:space:]]" "$status"
assert_match "running helper: effective uid is not root" "Uid:[[:space:]]+[0-9]+[[:space:]]+[1-9]" "$status"
if [ $has_policy = 1 ]; then
  assert_match "running helper holds no capability" 'CapEff:[[:space:]]+0000000000000000' "$status"
fi
$GEN --port 47311 --count 20 --rate 200
wait_gone $pid 10 || fail "helper did not stop at --packet-limit 5"
wait $pid
assert_eq "stream exit status" 0 $?
assert_empty "stream stderr" "$(cat "$T/cap.err")"
assert_eq "packets captured by the installed helper" 5 "$(tshark -r "$T/cap.pcapng" 2>/dev/null | wc -l)"
assert_match "interface name" ':lo$' "$(tshark -r "$T/cap.pcapng" -T fields -e frame.interface_name -c 1 2>/dev/null)"
if [ $has_policy = 1 ]; then
  assert_match "audit line for the stream" "\"$TUSER\"" "$(cat /var/log/nodecap/audit.log)"
fi

# A saved job through the installed helper: the worker runs as nodecap in
# the package's state directory and leaves its file in the captures
# directory, which must survive the purge.
if $H start --help >/dev/null 2>&1; then
  printf '[grant]\ncapture.stream = %s\ncapture.save = %s\ncaptures.read = %s\n' \
    "$TUSER" "$TUSER" "$TUSER" > /etc/nodecap/policy.conf
  run_as_user $H start -i lo -f "udp dst port 47312" --packet-limit 5 --json </dev/null > "$T/start.json" 2> "$T/start.err"
  assert_eq "saved job start exit status" 0 $?
  assert_empty "saved job start stderr" "$(cat "$T/start.err")"
  sleep 1
  $GEN --port 47312 --count 20 --rate 200
  st=
  for _ in $(seq 50); do
    st=$(run_as_user $H status --json </dev/null 2>/dev/null |
         python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])' 2>/dev/null)
    [ "$st" = success ] || [ "$st" = failure ] && break
    sleep 0.2
  done
  assert_eq "saved job status" success "$st"
  kept=$(cd /var/lib/nodecap/captures && ls)
  assert_match "saved file in the captures directory" '\.pcapng$' "$kept"
  assert_eq "saved file: group nodecap, mode 640" "nodecap 640" \
    "$(stat -c '%G %a' /var/lib/nodecap/captures/$kept)"
  assert_eq "packets in the saved file" 5 "$(tshark -r /var/lib/nodecap/captures/$kept 2>/dev/null | wc -l)"
else
  echo "note: this helper has no saved jobs; a stand-in file plays the finished capture"
  kept=kept.pcapng
  install -o nodecap -g nodecap -m 0640 "$T/cap.pcapng" /var/lib/nodecap/captures/$kept
fi

# 5. Purge.
apt-get purge -y -q nodecap nodecap-helper </dev/null > "$T/purge.log" 2>&1
assert_eq "apt-get purge exit status" 0 $?
assert_eq "packages gone" "" "$(dpkg -l nodecap nodecap-helper 2>/dev/null | grep '^[ip]i')"
for f in $H $PLUGIN $EXTCAP_DIR/nodecap /usr/bin/nodecap /etc/nodecap /var/log/nodecap \
         /etc/logrotate.d/nodecap-helper /usr/share/man/man1/nodecap.1.gz; do
  if [ -e "$f" ] || [ -L "$f" ]; then fail "$f left after purge"; fi
done
ok "helper, plugin, extcap, configuration, logs and man pages removed"
assert_eq "only the captures are left" \
  "/var/lib/nodecap /var/lib/nodecap/captures /var/lib/nodecap/captures/$kept" \
  "$(find /var/lib/nodecap | sort | tr '\n' ' ' | sed 's/ $//')"
assert_match "the nodecap user is kept (Debian practice)" '\(nodecap\)' "$(id nodecap 2>&1)"

# 6. Back to how it was.
userdel "$TUSER"
rm -rf /var/lib/nodecap
[ $had_nodecap_user = 0 ] && userdel nodecap
[ $had_nodecap_group = 0 ] && getent group nodecap >/dev/null && groupdel nodecap
getent passwd | sort > "$T/passwd.after"
assert_empty "accounts changed" "$(diff "$T/passwd.before" "$T/passwd.after")"

summary
