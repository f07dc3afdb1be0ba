# SPDX-License-Identifier: GPL-2.0-or-later
# Shared setup of the saved-job integration tests (sourced; not a test).
. "$(dirname "$0")/../lib/assert.sh"
H=$NCAP_BUILD/remote/nodecap-helper
GEN="python3 $NCAP_SRC/tests/lib/udpgen.py"
# jfield JSON-FILE EXPR: a field of a job record (python expression on j).
jfield() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }
# wait_finished ID SECONDS: until status says success/failure.
wait_finished() {
  local t=$(( $2 * 10 ))
  while [ $t -gt 0 ]; do
    $H status "$1" --json > "$T/wf.json" 2>/dev/null &&
      case "$(jfield "$T/wf.json" 'j["status"]')" in success|failure) return 0;; esac
    sleep 0.1; t=$((t - 1))
  done
  return 1
}
# count packets of a pcapng file (capinfos, machine-readable)
npackets() { capinfos -M -c -T -r "$1" | cut -f2; }
