# SPDX-License-Identifier: GPL-2.0-or-later
# Shared setup for the plugin's integration tests (sourced, not run).
# Wireshark ignores the personal plugin folder and WIRESHARK_PLUGIN_DIR when
# run as root (docs/wireshark-facts.md), so tshark runs as `nobody` with a private HOME
# holding a copy of nodecap.so; nothing is installed system-wide.
set -euo pipefail

: "${NCAP_BUILD:?NCAP_BUILD (build dir) must be set}"
PLUGIN_SO="$NCAP_BUILD/plugin/nodecap.so"
MKPCAPNG="$NCAP_BUILD/tests/tools/ncap-mkpcapng"
for f in "$PLUGIN_SO" "$MKPCAPNG"; do
  [ -e "$f" ] || { echo "missing $f: build first" >&2; exit 1; }
done
command -v tshark >/dev/null || { echo "tshark not installed" >&2; exit 1; }

T=$(mktemp -d /tmp/ncap-plugin-test.XXXXXX)
trap 'rm -rf "$T"' EXIT
chmod 755 "$T"
# A plugin is loaded only from its own release's folder (plugins/4.0,
# 4.4, 4.6): take the release from the tshark that will run.
WS_RELEASE=$(tshark --version | sed -n '1s/^TShark (Wireshark) \([0-9]*\.[0-9]*\)\..*/\1/p')
[ -n "$WS_RELEASE" ] || { echo "cannot read the Wireshark release from tshark --version" >&2; exit 1; }
PLUGDIR="$T/home/.local/lib/wireshark/plugins/$WS_RELEASE/epan"
mkdir -p "$PLUGDIR"
cp "$PLUGIN_SO" "$PLUGDIR/"
chmod -R a+rX "$T"

if [ "$(id -u)" = 0 ]; then
  chown -R nobody:nogroup "$T/home"
  AS_USER=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
else
  AS_USER=()
fi

# tshark as the unprivileged user, with the private plugin folder.
# NCAP_TSHARK_ENV (set by tests/sanitize.sh): extra VAR=value words, e.g.
# LD_PRELOAD of the ASan runtime so tshark can load a sanitized plugin.
ts() {
  # shellcheck disable=SC2086
  "${AS_USER[@]}" env -i PATH="$PATH" HOME="$T/home" LC_ALL=C.UTF-8 \
    ${NCAP_TSHARK_ENV:-} tshark "$@"
}

# ts with -T fields and a space separator: tshark 4.4 and later escape the
# separator inside a value ("Seen\ at\ a"), 4.0 does not (and has no -E
# escape= to turn it off); undo it so one expectation fits every release.
tsf() {
  ts "$@" | sed 's/\\ / /g'
}

# mk OUT [--no-packetid]: spec on stdin; the file is readable by nobody.
mk() {
  local out=$1; shift
  "$MKPCAPNG" "$@" "$out" -
  chmod a+r "$out"
}

fail() { echo "FAIL: $*" >&2; exit 1; }

# expect NAME EXPECTED ACTUAL
expect() {
  if [ "$2" != "$3" ]; then
    printf 'FAIL: %s\n--- expected\n%s\n--- got\n%s\n' "$1" "$2" "$3" >&2
    exit 1
  fi
  echo "ok: $1"
}
