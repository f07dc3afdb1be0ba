#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# package-check.sh OUT_DIR: run inside a matrix chroot (as root). Builds
# the analyst package with packaging/build-debs for the release it runs
# on, installs it, checks that this release's tshark loads the plugin from
# its own plugins/<major.minor>/epan and lists the extcap, then purges it
# so the cached chroot stays clean.
set -uo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$1
fail() { echo "package: FAIL: $*"; exit 1; }
rel=$(tshark --version 2>/dev/null | sed -n '1s/^TShark (Wireshark) \([0-9]*\.[0-9]*\)\..*/\1/p')
purge() { apt-get purge -y -qq nodecap nodecap-helper </dev/null >/dev/null 2>&1 || true; }
purge
trap purge EXIT
rm -rf /nodecap/build-deb "$OUT"
"$SRC/packaging/build-debs" -B /nodecap/build-deb -o "$OUT" >"$OUT.log" 2>&1 ||
  fail "build-debs: $(tail -1 "$OUT.log")"
deb=$(ls "$OUT"/nodecap_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || fail "no nodecap_*.deb in $OUT"
contents=$(dpkg-deb -c "$deb")
grep -q "/wireshark/plugins/$rel/epan/nodecap.so$" <<<"$contents" ||
  fail "$deb has no plugins/$rel/epan/nodecap.so"
dpkg-deb -f "$deb" Depends | grep -q "(>= $rel)" ||
  fail "$deb does not depend on libwireshark $rel: $(dpkg-deb -f "$deb" Depends)"
apt-get install -y -qq --no-install-recommends "$deb" </dev/null >>"$OUT.log" 2>&1 ||
  fail "apt-get install $deb: $(grep -m1 '^E:' "$OUT.log")"
plugins=$(tshark -G plugins 2>/dev/null)
echo "$plugins" | grep -E "^nodecap\.so[[:space:]].*/plugins/$rel/epan/nodecap\.so$" ||
  fail "tshark -G plugins does not list the installed nodecap.so: $plugins"
ifaces=$(tshark -D 2>/dev/null)
grep -q 'nodecap (Remote node capture)' <<<"$ifaces" ||
  fail "tshark -D does not list the installed extcap"
echo "package: $(basename "$deb") installs on Wireshark $rel; tshark -G plugins lists it"
