#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds the libFuzzer harnesses (tests/fuzz, clang) and runs each for a
# bounded time. Fails (exit 1) on any crash, leak, sanitizer report,
# timeout or out-of-memory; the input that did it is left in
# BUILD/artifacts/<harness>/ and its path printed.
#
#   tests/fuzz/run-fuzzers.sh [--seconds N] [--hour] [--build DIR] [HARNESS...]
#
# --seconds N   per harness (default 60, or $NCAP_FUZZ_SECONDS)
# --hour        3600 s per harness (hand runs; see docs/hardening.md)
# --build DIR   where the clang build and the working corpora go
#               (default build-fuzz in the source tree)
# HARNESS       pcapng, options, packet-id ... (default: every fuzz-*.c)
#
# Each harness starts from its committed seeds (tests/fuzz/corpus/<name>/)
# plus, for pcapng, every file in tests/data/bad/; inputs it finds are kept
# in BUILD/corpus/<name>/ (never in the source tree), so a later run goes on
# from there.
set -uo pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
FUZZ=$SRC/tests/fuzz
SECONDS_EACH=${NCAP_FUZZ_SECONDS:-60}
BUILD=$SRC/build-fuzz
HARNESSES=()
while [ $# -gt 0 ]; do
  case $1 in
    --seconds) SECONDS_EACH=$2; shift 2 ;;
    --hour) SECONDS_EACH=3600; shift ;;
    --build) BUILD=$(realpath -m "$2"); shift 2 ;;
    -h|--help) sed -n '3,20p' "$0"; exit 0 ;;
    -*) echo "run-fuzzers: unknown option $1" >&2; exit 2 ;;
    *) HARNESSES+=("$1"); shift ;;
  esac
done
if [ ${#HARNESSES[@]} -eq 0 ]; then
  for f in "$FUZZ"/fuzz-*.c; do
    n=$(basename "$f" .c); HARNESSES+=("${n#fuzz-}")
  done
fi

CC=""
for c in clang-14 clang; do
  command -v "$c" >/dev/null && { CC=$(command -v "$c"); break; }
done
[ -n "$CC" ] || { echo "run-fuzzers: clang not found (apt-get install clang-14 libclang-rt-14-dev)" >&2; exit 1; }

cmake -S "$FUZZ" -B "$BUILD" -DCMAKE_C_COMPILER="$CC" -DCMAKE_BUILD_TYPE= >/dev/null ||
  { echo "run-fuzzers: configure failed" >&2; exit 1; }
cmake --build "$BUILD" -j2 >/dev/null || {
  cmake --build "$BUILD" 2>&1 | tail -30 >&2
  echo "run-fuzzers: build failed" >&2; exit 1; }

# Sanitizer reports are crashes; leaks too (libFuzzer checks them itself).
# GLib's slice allocator would hide leaked slices in its pools: plain
# malloc. Harnesses whose libraries have known leaks (lsan.supp, matched on
# the library call that leaked) unwind slowly on malloc: GLib has no frame
# pointers, so the fast unwinder stops at g_malloc and the leak could not
# be told apart; slow unwinding costs a lot, so only those do it.
export G_SLICE=always-malloc
ASAN_BASE="abort_on_error=1:detect_leaks=1:strict_string_checks=1"
SLOW_UNWIND=" job "
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export LSAN_OPTIONS="suppressions=$FUZZ/lsan.supp:print_suppressions=0"

failed=()
for h in "${HARNESSES[@]}"; do
  bin=$BUILD/fuzz-$h
  [ -x "$bin" ] || { echo "run-fuzzers: no harness $h" >&2; failed+=("$h"); continue; }
  work=$BUILD/corpus/$h
  art=$BUILD/artifacts/$h
  mkdir -p "$work" "$art"
  seeds=("$FUZZ/corpus/$h")
  [ "$h" = pcapng ] && seeds+=("$SRC/tests/data/bad")
  dict=()
  [ -f "$FUZZ/$h.dict" ] && dict=(-dict="$FUZZ/$h.dict")
  export ASAN_OPTIONS=$ASAN_BASE
  [[ $SLOW_UNWIND == *" $h "* ]] &&
    export ASAN_OPTIONS="$ASAN_BASE:fast_unwind_on_malloc=0:malloc_context_size=14"
  log=$BUILD/fuzz-$h.log
  echo "run-fuzzers: $h for ${SECONDS_EACH}s (log $log)"
  # -error_exitcode: libFuzzer's default 77 would read as "skipped" in ctest.
  # -timeout 10: no input may take 10 s. -rss_limit_mb: the reader caps a
  # block at 16 MB; 2 GB means a real runaway.
  "$bin" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -error_exitcode=1 -timeout_exitcode=1 -print_final_stats=1 \
    -artifact_prefix="$art/" "${dict[@]}" "$work" "${seeds[@]}" > "$log" 2>&1
  rc=$?
  stats=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1)
  if [ $rc -ne 0 ]; then
    echo "run-fuzzers: $h FAILED (exit $rc)" >&2
    grep -E 'ERROR|SUMMARY|invariant failed|Test unit written|GLib' "$log" | head -20 >&2
    failed+=("$h")
  else
    echo "run-fuzzers: $h ok: ${stats:-?} inputs, ${cov:-cov ?}, corpus $(ls "$work" | wc -l) files"
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "run-fuzzers: FAILED: ${failed[*]} (inputs in $BUILD/artifacts/)" >&2
  exit 1
fi
echo "run-fuzzers: all ${#HARNESSES[@]} harnesses ran ${SECONDS_EACH}s without a finding"
