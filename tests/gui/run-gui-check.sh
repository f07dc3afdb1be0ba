#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The GUI check by hand: runs the ctest GUI test (tests/integration/
# test-gui.sh, widgets found by role and name over AT-SPI; docs/gui.md) and
# keeps its screenshots and logs in OUTDIR. --update-docs also copies the
# screenshots used by docs/gui.md and README.md to docs/img/.
#
# Usage: NCAP_BUILD=build tests/gui/run-gui-check.sh [--update-docs] OUTDIR
set -euo pipefail
if [[ ${1:-} == --update-docs ]]; then
  export NCAP_GUI_UPDATE_DOCS=1
  shift
fi
OUT=${1:?usage: run-gui-check.sh [--update-docs] OUTDIR}
mkdir -p "$OUT"
NCAP_GUI_OUT=$(cd "$OUT" && pwd)
export NCAP_GUI_OUT
: "${NCAP_BUILD:?NCAP_BUILD (the build dir) must be set}"
NCAP_BUILD=$(cd "$NCAP_BUILD" && pwd)
export NCAP_BUILD
exec bash "$(dirname "$0")/../integration/test-gui.sh"
