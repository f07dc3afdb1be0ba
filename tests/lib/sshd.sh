# SPDX-License-Identifier: GPL-2.0-or-later
# Test harness: a private sshd on 127.0.0.1 with its own host key, a client
# key, a known_hosts naming it, the nodecap extcap installed in the test's
# personal Wireshark folder, and the node's helper at a path unique to this
# test (so "no helper remains" never sees another test's processes).
# Source tests/lib/common.sh first. Runs as root (sshd needs it).
#
# The node's helper gets its environment from one sshd SetEnv line (sshd
# takes only the first such line, and the first value of a name in it):
# NCAP_SSHD_SETENV ("NAME=value ...") comes first, so a test's own values
# (state-dir overrides of the saved-job tests, HOME) win over the defaults
# (an empty HOME, and the node's etc/state/captures/audit paths).
#
# Exports: NCAP_SSH_PORT NCAP_SSH_KEY NCAP_KNOWN_HOSTS NCAP_HELPER
#          NCAP_EXTCAP NCAP_SSH_LOG, and NCAP_TSHARK_OPTS (an array of -o
#          options naming host, port, key, known_hosts and helper).
#
# Logins are as root unless a test calls ncap_sshd_login_as USER (after
# ncap_sshd_start): then ncap_cli_ssh_opts names that user.

ncap_sshd_start() {
  [[ $(id -u) -eq 0 ]] || ncap_skip "sshd harness needs root"
  [[ -x /usr/sbin/sshd ]] || ncap_fail "/usr/sbin/sshd missing (apt-get install openssh-server)"
  local dir="$NCAP_TMP/sshd" try port
  mkdir -p "$dir" /run/sshd
  chmod 755 "$dir"
  ssh-keygen -q -t ed25519 -N '' -C nodecap-test-host -f "$dir/host_ed25519" || ncap_fail "ssh-keygen host"
  ssh-keygen -q -t ed25519 -N '' -C nodecap-test-client -f "$dir/client_ed25519" || ncap_fail "ssh-keygen client"
  cp "$dir/client_ed25519.pub" "$dir/authorized_keys"
  NCAP_SSH_LOG="$dir/sshd.log"

  # The node's helper names nobody by default, root included: give this
  # test's node a policy granting root everything, and private state,
  # captures and audit paths. sshd hands them to the helper (SetEnv); a
  # test helper is not setuid, so it honours them.
  NCAP_NODE_ETC="$NCAP_TMP/node/etc"; NCAP_NODE_STATE="$NCAP_TMP/node/state"
  NCAP_NODE_CAPTURES="$NCAP_NODE_STATE/captures"; NCAP_NODE_AUDIT="$NCAP_TMP/node/audit.log"
  # An empty HOME for the node's shell: sshd runs the helper through the
  # login shell, and root's rc files on a developer machine (pyenv init...)
  # can cost seconds per command.
  NCAP_NODE_HOME="$NCAP_TMP/node/home"
  mkdir -p "$NCAP_NODE_ETC" "$NCAP_NODE_CAPTURES" "$NCAP_NODE_HOME"
  cp "$NCAP_SRC/tests/lib/policy-all.conf" "$NCAP_NODE_ETC/policy.conf"
  chmod 644 "$NCAP_NODE_ETC/policy.conf"
  export NCAP_NODE_ETC NCAP_NODE_STATE NCAP_NODE_CAPTURES NCAP_NODE_AUDIT
  : "${NCAP_SSHD_EXTRA_CONFIG:=}"
  # NCAP_SSHD_SETENV: extra VAR=value words for the node's environment
  # (sshd keeps only the first SetEnv line, so they must go on this one).
  : "${NCAP_SSHD_SETENV:=}"

  for try in 1 2 3 4 5; do
    port=$(ncap_random_port 30000 39000)
    cat >"$dir/sshd_config" <<CFG
ListenAddress 127.0.0.1
Port $port
HostKey $dir/host_ed25519
AuthorizedKeysFile $dir/authorized_keys
StrictModes no
UsePAM no
PermitRootLogin yes
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitUserEnvironment no
PidFile $dir/sshd.pid
LogLevel VERBOSE
MaxStartups 50
SetEnv ${NCAP_SSHD_SETENV:-} HOME=$NCAP_NODE_HOME NCAP_SYSCONFDIR=$NCAP_NODE_ETC NCAP_STATEDIR=$NCAP_NODE_STATE NCAP_CAPTURESDIR=$NCAP_NODE_CAPTURES NCAP_AUDITLOG=$NCAP_NODE_AUDIT
$NCAP_SSHD_EXTRA_CONFIG
CFG
    /usr/sbin/sshd -D -e -f "$dir/sshd_config" 2>>"$NCAP_SSH_LOG" &
    NCAP_SSHD_PID=$!
    if ncap_wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port"; then
      break
    fi
    kill "$NCAP_SSHD_PID" 2>/dev/null
    wait "$NCAP_SSHD_PID" 2>/dev/null
    NCAP_SSHD_PID=
  done
  [[ -n "${NCAP_SSHD_PID:-}" ]] || ncap_fail "sshd did not start: $(tail -3 "$NCAP_SSH_LOG")"
  ncap_on_exit "kill $NCAP_SSHD_PID; wait $NCAP_SSHD_PID"

  NCAP_SSH_PORT=$port
  NCAP_SSH_KEY="$dir/client_ed25519"
  NCAP_KNOWN_HOSTS="$NCAP_TMP/known_hosts"
  echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$dir/host_ed25519.pub")" >"$NCAP_KNOWN_HOSTS"

  # The helper under a path only this test uses.
  mkdir -p "$NCAP_TMP/node/bin"
  chmod 755 "$NCAP_TMP/node" "$NCAP_TMP/node/bin"
  NCAP_HELPER="$NCAP_TMP/node/bin/nodecap-helper"
  ln -s "$NCAP_BUILD/remote/nodecap-helper" "$NCAP_HELPER"

  # tshark scans the personal extcap folder even as root (docs/wireshark-facts.md).
  local extcap_dir
  extcap_dir=$(ncap_personal_extcap_dir)
  mkdir -p "$extcap_dir"
  NCAP_EXTCAP="$extcap_dir/nodecap"
  ln -s "$NCAP_BUILD/extcap/nodecap" "$NCAP_EXTCAP"

  NCAP_TSHARK_OPTS=(
    -o "extcap.nodecap.remotehost:127.0.0.1"
    -o "extcap.nodecap.remoteport:$NCAP_SSH_PORT"
    -o "extcap.nodecap.sshkey:$NCAP_SSH_KEY"
    -o "extcap.nodecap.knownhosts:$NCAP_KNOWN_HOSTS"
    -o "extcap.nodecap.remotehelper:$NCAP_HELPER"
    -o "extcap.nodecap.loglevel:info"
    -o "extcap.nodecap.logfile:$NCAP_TMP/extcap.log"
  )
  NCAP_EXTCAP_LOG="$NCAP_TMP/extcap.log"
  export NCAP_SSH_PORT NCAP_SSH_KEY NCAP_KNOWN_HOSTS NCAP_HELPER NCAP_EXTCAP NCAP_SSH_LOG NCAP_EXTCAP_LOG
  ncap_log "sshd pid $NCAP_SSHD_PID on 127.0.0.1:$NCAP_SSH_PORT"
}

# ncap_sshd_login_as USER: log in as USER (a real account the test made,
# not locked, with a home sshd can enter) instead of root. The one
# authorized_keys file serves every account; sshd reads it as that user.
ncap_sshd_login_as() {
  chmod 644 "$NCAP_TMP/sshd/authorized_keys"
  NCAP_SSH_USER=$1
}

# The nodecap options for the CLI, same connection.
ncap_cli_ssh_opts() {
  echo "-p $NCAP_SSH_PORT --sshkey $NCAP_SSH_KEY --known-hosts $NCAP_KNOWN_HOSTS --remote-helper $NCAP_HELPER${NCAP_SSH_USER:+ -l $NCAP_SSH_USER}"
}

# Processes running this test's helper (or a shell running it). The
# extcap's and tshark's own command lines name the path too, as an option
# value: leave those out.
ncap_helper_pids() {
  pgrep -af -- "$NCAP_HELPER" | grep -v -e '--remote-helper' -e 'remotehelper:' |
    cut -d' ' -f1 || true
}
_ncap_no_helper() { [[ -z "$(ncap_helper_pids)" ]]; }
_ncap_some_helper() { [[ -n "$(ncap_helper_pids)" ]]; }

# Fail unless no helper of this test is left within TIMEOUT_S (default 5).
ncap_assert_no_helper() {
  local what=${1:-""} timeout=${2:-5}
  if ! ncap_wait_for "$timeout" _ncap_no_helper; then
    ps -o pid,ppid,etime,args -p "$(ncap_helper_pids | paste -sd,)" >&2 || true
    ncap_fail "${what:+$what: }nodecap-helper still running after ${timeout}s"
  fi
}

# Wait until the extcap has the helper's first bytes: from then on the
# node's capture handle is open and packets sent are captured.
_ncap_stream_started() { grep -q "first bytes from the helper" "$NCAP_EXTCAP_LOG"; }
# Starting the helper over SSH takes seconds on a loaded machine (sshd runs
# it through the login shell, which reads the account's rc files): waits
# are never shorter than NCAP_MIN_WAIT (45 s) — they return as soon as the
# condition holds, so a generous bound costs nothing when things work.
_ncap_wait_bound() { local w=${1:-0} m=${NCAP_MIN_WAIT:-45}; echo $(( w > m ? w : m )); }
ncap_wait_stream() {
  local w; w=$(_ncap_wait_bound "${1:-}")
  ncap_wait_for "$w" _ncap_stream_started ||
    ncap_fail "the stream did not start within ${w}s: $(tail -3 "$NCAP_EXTCAP_LOG" 2>&1)"
}

# Wait until a helper of this test runs (the capture has started).
ncap_wait_helper() {
  local w; w=$(_ncap_wait_bound "${1:-}")
  ncap_wait_for "$w" _ncap_some_helper ||
    ncap_fail "no nodecap-helper started within ${w}s"
}

# ncap_tshark_start OUT ERR [tshark args...]: tshark -i nodecap with the
# harness's connection options, in the background (NCAP_TSHARK_PID).
ncap_tshark_start() {
  local out=$1 err=$2
  shift 2
  tshark -i nodecap "${NCAP_TSHARK_OPTS[@]}" "$@" -w "$out" 2>"$err" &
  NCAP_TSHARK_PID=$!
  ncap_on_exit "kill -9 $NCAP_TSHARK_PID"
}

# ncap_wait_pid_exit PID TIMEOUT_S: wait for a child, return its status
# (124 if it outlives the timeout).
ncap_wait_pid_exit() {
  local pid=$1 deadline=$((SECONDS + $2))
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then return 124; fi
    sleep 0.1
  done
  wait "$pid"
}

# The extcap process of this test (its argv names our helper path).
ncap_extcap_pid() { pgrep -f -- "--remote-helper $NCAP_HELPER" | head -1; }

# tshark must read FILE without a warning on stderr.
ncap_assert_file_clean() {
  local f=$1 errs
  capinfos "$f" >"$NCAP_TMP/capinfos.out" 2>"$NCAP_TMP/capinfos.err" ||
    ncap_fail "capinfos $f: $(cat "$NCAP_TMP/capinfos.err")"
  errs=$(grep -v 'Running as user "root"' "$NCAP_TMP/capinfos.err" || true)
  [[ -z "$errs" ]] || ncap_fail "capinfos $f warns: $errs"
  tshark -r "$f" >/dev/null 2>"$NCAP_TMP/tshark-r.err" ||
    ncap_fail "tshark -r $f: $(cat "$NCAP_TMP/tshark-r.err")"
  errs=$(grep -v 'Running as user "root"' "$NCAP_TMP/tshark-r.err" || true)
  [[ -z "$errs" ]] || ncap_fail "tshark -r $f warns: $errs"
}
