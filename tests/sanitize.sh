#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The whole test suite under AddressSanitizer, LeakSanitizer and
# UndefinedBehaviorSanitizer: a second build directory configured with
# -DNCAP_SANITIZE=ON, then every ctest test. Fails when a test fails or when
# any process (also one a test started in the background and did not wait
# for) wrote a sanitizer report: reports go to files under the build
# directory so none is lost in a test's redirected stderr.
#
#   tests/sanitize.sh [BUILD_DIR] [-- CTEST_ARGS...]   (default build-sanitize)
#
# ctest runs the integration tests as root, as in CI.
set -uo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$SRC/build-sanitize
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
  BUILD=$(realpath -m "$1"); shift
fi
[ "${1:-}" = "--" ] && shift

cmake -S "$SRC" -B "$BUILD" -DNCAP_SANITIZE=ON -DNCAP_WERROR=ON \
  -DCMAKE_BUILD_TYPE=Debug >/dev/null || { echo "sanitize: configure failed" >&2; exit 1; }
cmake --build "$BUILD" -j2 || { echo "sanitize: build failed" >&2; exit 1; }

LOGS=$BUILD/sanitizer-reports
rm -rf "$LOGS"; mkdir -p "$LOGS"
# Tests may run programs as nobody: the report folder must be writable.
chmod 1777 "$LOGS"
# abort_on_error/halt_on_error: the first report kills the process, so a
# test cannot pass after one. log_path: every report also lands in a file.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:fast_unwind_on_malloc=0:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1:log_path=$LOGS/asan"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$LOGS/ubsan"
export LSAN_OPTIONS="suppressions=$SRC/tests/lsan.supp:print_suppressions=0"
# The plugin is built sanitized too; tshark is not, so it needs the ASan
# runtime preloaded to load it (plugin-lib.sh passes NCAP_TSHARK_ENV on).
# Leak checking stays off in tshark: its own exit-time leaks are not ours.
# Its extcap children would inherit the preload (androiddump then hangs at
# exit in p11-kit under ASan): tshark runs as nobody there, so
# WIRESHARK_EXTCAP_DIR points it at an empty folder instead.
ASAN_RT=$(gcc -print-file-name=libasan.so)
mkdir -p "$BUILD/no-extcaps"
export NCAP_TSHARK_ENV="WIRESHARK_EXTCAP_DIR=$BUILD/no-extcaps LD_PRELOAD=$ASAN_RT ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:log_path=$LOGS/asan-tshark UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:log_path=$LOGS/ubsan-tshark"
# GLib's own caches (type system, quarks) are not leaks of ours.
export G_SLICE=always-malloc G_DEBUG=gc-friendly
# The fuzz smoke test builds its own clang/libFuzzer harnesses; a shorter
# run is enough here (the normal ctest runs them longer).
export NCAP_FUZZ_SECONDS=${NCAP_FUZZ_SECONDS:-10}

status=0
(cd "$BUILD" && ctest --output-on-failure "$@") || status=1

shopt -s nullglob
reports=("$LOGS"/*)
if [ ${#reports[@]} -gt 0 ]; then
  echo "sanitize: ${#reports[@]} sanitizer report(s):" >&2
  for f in "${reports[@]}"; do
    echo "===== $f" >&2
    cat "$f" >&2
  done
  status=1
fi
if [ $status = 0 ]; then
  echo "sanitize: all tests passed, no sanitizer report"
fi
exit $status
