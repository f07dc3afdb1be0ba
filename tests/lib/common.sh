# SPDX-License-Identifier: GPL-2.0-or-later
# Shared shell helpers for the integration tests (sourced, bash).
# Every test gets its own temp dir and HOME, and a cleanup stack run on
# exit, so a failing test leaves nothing behind.

set -uo pipefail

: "${NCAP_BUILD:?NCAP_BUILD (the build dir) must be set}"
: "${NCAP_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
export NCAP_BUILD NCAP_SRC

NCAP_TEST_NAME=$(basename "${0%.sh}")
NCAP_TMP=$(mktemp -d "/tmp/ncap-${NCAP_TEST_NAME}.XXXXXX")
chmod 755 "$NCAP_TMP"
export NCAP_TMP

_ncap_cleanups=()
ncap_on_exit() { _ncap_cleanups+=("$1"); }
_ncap_run_cleanups() {
  local i
  for ((i = ${#_ncap_cleanups[@]} - 1; i >= 0; i--)); do
    eval "${_ncap_cleanups[$i]}" >/dev/null 2>&1 || true
  done
  if [[ -z "${NCAP_KEEP_TMP:-}" ]]; then rm -rf "$NCAP_TMP"; fi
}
trap _ncap_run_cleanups EXIT
trap 'exit 130' INT TERM

ncap_log() { printf '[%s] %s\n' "$NCAP_TEST_NAME" "$*" >&2; }
ncap_fail() {
  printf '[%s] FAIL: %s\n' "$NCAP_TEST_NAME" "$*" >&2
  exit 1
}
# A skip is honest on a developer's machine that lacks a part; in CI
# (CI=true) every part is installed by run-tests, so a skip there is a
# failure, never a pass.
ncap_skip() {
  if [ "${CI:-}" = true ]; then
    printf '[%s] FAIL (skip not allowed in CI): %s\n' "$NCAP_TEST_NAME" "$*" >&2
    exit 1
  fi
  printf '[%s] SKIP: %s\n' "$NCAP_TEST_NAME" "$*" >&2
  exit 77
}

# A HOME of our own: tshark's personal config (and extcap folder) and
# libssh's defaults never touch the real user's files.
export HOME="$NCAP_TMP/home"
mkdir -p "$HOME"
unset XDG_CONFIG_HOME SSH_AUTH_SOCK SSH_AGENT_PID DISPLAY
export LC_ALL=C.UTF-8

# The personal extcap folder of the tshark on PATH, under $HOME. 4.4 and
# later print it in -G folders (~/.local/lib/wireshark/extcap) and no
# longer scan ~/.config/wireshark/extcap; 4.0 scans that one without
# listing it (docs/wireshark-facts.md).
ncap_personal_extcap_dir() {
  local d
  d=$(tshark -G folders 2>/dev/null | sed -n 's/^Personal Extcap path:[[:space:]]*//p')
  echo "${d:-$HOME/.config/wireshark/extcap}"
}

# The Wireshark release (4.0, 4.4, 4.6) of the tshark on PATH: a plugin
# loads only from plugins/<release>/epan.
ncap_ws_release() {
  tshark --version | sed -n '1s/^TShark (Wireshark) \([0-9]*\.[0-9]*\)\..*/\1/p'
}

# ncap_assert_extcap_error TSHARK_STDERR LINE WHAT: tshark showed the
# extcap's stderr LINE: "Error by extcap pipe: LINE" in 4.0, "Error from
# extcap pipe: LINE" in 4.4 and 4.6.
ncap_assert_extcap_error() {
  [[ "$1" == *"Error by extcap pipe: $2"* || "$1" == *"Error from extcap pipe: $2"* ]] ||
    ncap_fail "$3: 'Error by/from extcap pipe: $2' not found in: $1"
}

# ncap_assert_eq EXPECTED ACTUAL WHAT
ncap_assert_eq() {
  [[ "$1" == "$2" ]] || ncap_fail "$3: expected '$1', got '$2'"
}
# ncap_assert_contains HAYSTACK NEEDLE WHAT
ncap_assert_contains() {
  [[ "$1" == *"$2"* ]] || ncap_fail "$3: '$2' not found in: $1"
}

# A random free-looking port in [lo, hi).
ncap_random_port() {
  local lo=${1:-40000} hi=${2:-49000}
  echo $((lo + (RANDOM * 32768 + RANDOM) % (hi - lo)))
}

# ncap_send_udp COUNT PORT TAG: COUNT datagrams to 127.0.0.1:PORT whose
# payload is "TAG-%06d" padded to 64 bytes with '.', numbered from 0.
ncap_send_udp() {
  python3 - "$1" "$2" "$3" <<'PY'
import socket, sys, time
n, port, tag = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(n):
    s.sendto(("%s-%06d" % (tag, i)).encode().ljust(64, b"."), ("127.0.0.1", port))
    if i % 50 == 49:
        time.sleep(0.002)  # keep well inside the capture's buffers
PY
}

# The hex payloads ncap_send_udp sends, one per line (tshark's data.data).
ncap_expected_udp_hex() {
  python3 - "$1" "$2" <<'PY'
import sys
n, tag = int(sys.argv[1]), sys.argv[2]
for i in range(n):
    print(("%s-%06d" % (tag, i)).encode().ljust(64, b".").hex())
PY
}

# ncap_wait_for TIMEOUT_S CMD...: poll CMD every 0.1 s until it succeeds.
ncap_wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  while ! "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}
