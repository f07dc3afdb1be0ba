#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every libFuzzer harness (tests/fuzz/fuzz-*.c) built with clang and run for
# a short bounded time (NCAP_FUZZ_SECONDS, default 25 s each) from its seed
# corpus; tests/data/bad/ is replayed by the pcapng harness first. Fails on
# any crash, leak, sanitizer report or broken invariant. clang is required:
# if it is missing it is installed (clang-14, libclang-rt-14-dev), never
# skipped.
set -uo pipefail
. "$(dirname "$0")/../lib/assert.sh"

: "${NCAP_BUILD:?}" "${NCAP_SRC:?}"
if ! command -v clang-14 >/dev/null && ! command -v clang >/dev/null; then
  echo "clang missing: installing clang-14 libclang-rt-14-dev"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q clang-14 libclang-rt-14-dev >/dev/null ||
    { fail "could not install clang-14"; summary; exit 1; }
fi

SECS=${NCAP_FUZZ_SECONDS:-25}
out=$("$NCAP_SRC/tests/fuzz/run-fuzzers.sh" --seconds "$SECS" --build "$NCAP_BUILD/fuzz" 2>&1)
rc=$?
echo "$out"
assert_eq "run-fuzzers exit status" 0 $rc

# Each harness really ran (a harness that exits at once would pass above).
for src in "$NCAP_SRC"/tests/fuzz/fuzz-*.c; do
  h=$(basename "$src" .c); h=${h#fuzz-}
  n=$(echo "$out" | sed -n "s/^run-fuzzers: $h ok: \([0-9]*\) inputs.*/\1/p")
  if [ -z "$n" ]; then
    fail "$h: no result line"
  elif [ "$n" -lt 500 ]; then
    fail "$h: only $n inputs in ${SECS}s"
  else
    ok "$h: $n inputs in ${SECS}s, no finding"
  fi
done
summary
