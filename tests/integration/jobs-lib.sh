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

# jobs_cli_setup: the setup of the analyst-side job tests (test-cli-jobs*.sh,
# after lib/common.sh and lib/sshd.sh): a private sshd whose helper keeps
# its state in this test's directories, the nodecap CLI ($X, $HOST,
# ${SSHO[@]}), a UDP generator on a random port (${GEN[@]}), jget/npk/pass,
# and no saved-job worker left at the end. NODECAP_CONF (optional): a
# nodecap.conf for the node's helper (test-s3-cli.sh: its S3 credentials).
jobs_cli_setup() {
  # The node's helper keeps its state in this test's directories (the
  # helper honours these only when it is not privileged); sshd hands them
  # to it with SetEnv.
  ST=$NCAP_TMP/state CAP=$NCAP_TMP/cap ETC=$NCAP_TMP/etc
  mkdir -p "$ST" "$CAP" "$ETC"
  [[ -f "$NCAP_SRC/tests/lib/policy-all.conf" ]] && cp "$NCAP_SRC/tests/lib/policy-all.conf" "$ETC/policy.conf"
  [[ -z "${1:-}" ]] || cp "$1" "$ETC/nodecap.conf"
  NCAP_SSHD_SETENV="NCAP_STATEDIR=$ST NCAP_CAPTURESDIR=$CAP NCAP_SYSCONFDIR=$ETC NCAP_AUDITLOG=$NCAP_TMP/audit.log"
  ncap_sshd_start

  X="$NCAP_BUILD/extcap/nodecap"
  HOST="127.0.0.1"
  PORT=$(ncap_random_port 40000 49000)
  SSHO=(-p "$NCAP_SSH_PORT" --sshkey "$NCAP_SSH_KEY" --known-hosts "$NCAP_KNOWN_HOSTS"
    --remote-helper "$NCAP_HELPER" --log-level info --log-file "$NCAP_EXTCAP_LOG")
  GEN=(python3 "$NCAP_SRC/tests/lib/udpgen.py" --port "$PORT")
  jget() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }
  npk() { capinfos -M -c -T -r "$1" | cut -f2; }
  # No worker may outlive the test, whatever happens.
  ncap_on_exit "NCAP_STATEDIR=$ST NCAP_CAPTURESDIR=$CAP NCAP_SYSCONFDIR=$ETC NCAP_AUDITLOG=$NCAP_TMP/audit.log $NCAP_BUILD/remote/nodecap-helper stop"
  pass() { ncap_log "ok ($SECONDS s): $*"; }
}
