# SPDX-License-Identifier: GPL-2.0-or-later
# The capture tools the bench compares, each behind the same four calls:
#   tool_start TOOL OUT FILTER   start, wait until it captures (0) or give up (1)
#   tool_node_pids TOOL          pids of the process that reads the kernel ring
#   tool_stop TOOL               stop it; prints the kernel drops it reports, or -1
# TOOL is one of BENCH_TOOLS:
#   tcpdump         local `tcpdump -w` (no SSH): the lower bound
#   sshdump         Wireshark's sshdump via tshark, remote tcpdump over SSH
#   nodecap-tshark  the nodecap extcap via tshark
#   nodecap-cli     `nodecap capture HOST -w FILE`
#   nodecap-agentless  `nodecap capture HOST --capture-with tcpdump`: no helper,
#                   the node's tcpdump under nodecap's wrapper (docs/agentless.md),
#                   beside sshdump on the same tcpdump
#   helper-openssh  `ssh HOST nodecap-helper stream > FILE` (OpenSSH client):
#                   the node helper without our libssh client, to tell the two
#                   halves apart
# Every tool gets the same kernel buffer (BENCH_BUFFER_KIB, the helper's
# default 64 MiB): sshdump's tcpdump mode builds `tcpdump -U -i IFACE -w -
# FILTER`, which we run as a custom command with -B added, nothing else.
# Needs the sshd harness (tests/lib/sshd.sh) started.

BENCH_TOOLS=(tcpdump sshdump nodecap-tshark nodecap-cli nodecap-agentless helper-openssh)
SSHDUMP=/usr/lib/x86_64-linux-gnu/wireshark/extcap/sshdump

declare -A _TOOL_PID _TOOL_ERR _TOOL_FILTER
_tool_run=0

# A log line telling that the nodecap client got the helper's first bytes
# (the node's handle is open).
_tool_log_has_start() { grep -q "first bytes from the helper" "$1" 2>/dev/null; }
_tool_nonempty() { [[ -s $1 ]]; }
_tool_listening() { grep -q "listening on" "$1" 2>/dev/null; }
_tool_sshdump_up() { [[ -n "$(tool_node_pids sshdump)" ]]; }

tool_start() {
  local tool=$1 out=$2 filter=$3
  _tool_run=$((_tool_run + 1))
  local err="$BENCH_TMP/$tool-$_tool_run.err" log="$BENCH_TMP/$tool-$_tool_run.log"
  _TOOL_ERR[$tool]=$err
  _TOOL_FILTER[$tool]=$filter
  rm -f "$out"
  BENCH_T0=$(date +%s%N)
  case $tool in
    tcpdump)
      tcpdump -i lo -B "$BENCH_BUFFER_KIB" -w "$out" "$filter" 2>"$err" &
      _TOOL_PID[$tool]=$!
      ncap_wait_for 15 _tool_listening "$err" || return 1
      ;;
    sshdump)
      # known_hosts for sshdump's libssh: the private $HOME's.
      mkdir -p "$HOME/.ssh"
      cp "$NCAP_KNOWN_HOSTS" "$HOME/.ssh/known_hosts"
      tshark -q -i sshdump \
        -o "extcap.sshdump.remotehost:127.0.0.1" \
        -o "extcap.sshdump.remoteport:$NCAP_SSH_PORT" \
        -o "extcap.sshdump.remoteusername:root" \
        -o "extcap.sshdump.sshkey:$NCAP_SSH_KEY" \
        -o "extcap.sshdump.remoteinterface:lo" \
        -o "extcap.sshdump.remotefilter:$filter" \
        -o "extcap.sshdump.remotecapturecommandselect:other" \
        -o "extcap.sshdump.remotecapturecommand:tcpdump -U -B $BENCH_BUFFER_KIB -i lo -w - '$filter'" \
        -w "$out" 2>"$err" &
      _TOOL_PID[$tool]=$!
      ncap_wait_for 20 _tool_sshdump_up || return 1
      sleep 0.3 # tcpdump activates its handle within milliseconds of exec
      ;;
    nodecap-tshark)
      tshark -q -i nodecap \
        -o "extcap.nodecap.remotehost:127.0.0.1" \
        -o "extcap.nodecap.remoteport:$NCAP_SSH_PORT" \
        -o "extcap.nodecap.sshkey:$NCAP_SSH_KEY" \
        -o "extcap.nodecap.knownhosts:$NCAP_KNOWN_HOSTS" \
        -o "extcap.nodecap.remotehelper:$NCAP_HELPER" \
        -o "extcap.nodecap.remoteinterface:lo" \
        -o "extcap.nodecap.loglevel:info" \
        -o "extcap.nodecap.logfile:$log" \
        -f "$filter" -w "$out" 2>"$err" &
      _TOOL_PID[$tool]=$!
      ncap_wait_for 20 _tool_log_has_start "$log" || return 1
      ;;
    nodecap-cli)
      "$NCAP_BUILD/extcap/nodecap" capture 127.0.0.1 -p "$NCAP_SSH_PORT" \
        --sshkey "$NCAP_SSH_KEY" --known-hosts "$NCAP_KNOWN_HOSTS" \
        --remote-helper "$NCAP_HELPER" --log-level info --log-file "$log" \
        -i lo -f "$filter" -w "$out" 2>"$err" &
      _TOOL_PID[$tool]=$!
      ncap_wait_for 20 _tool_log_has_start "$log" || return 1
      ;;
    nodecap-agentless)
      "$NCAP_BUILD/extcap/nodecap" capture 127.0.0.1 -p "$NCAP_SSH_PORT" \
        --sshkey "$NCAP_SSH_KEY" --known-hosts "$NCAP_KNOWN_HOSTS" \
        --remote-helper "$BENCH_TMP/no-helper/nodecap-helper" --capture-with tcpdump \
        --log-level info --log-file "$log" \
        -i lo -f "$filter" -w "$out" 2>"$err" &
      _TOOL_PID[$tool]=$!
      ncap_wait_for 20 _tool_log_has_start "$log" || return 1
      ;;
    helper-openssh)
      # stdin: a fifo we hold open and never write, so the helper's
      # "stdin EOF ends the stream" rule fires only when ssh goes.
      [[ -p $BENCH_TMP/stdin.fifo ]] || mkfifo "$BENCH_TMP/stdin.fifo"
      exec 9<>"$BENCH_TMP/stdin.fifo"
      ssh -p "$NCAP_SSH_PORT" -i "$NCAP_SSH_KEY" -o BatchMode=yes \
        -o UserKnownHostsFile="$NCAP_KNOWN_HOSTS" -o StrictHostKeyChecking=yes \
        root@127.0.0.1 "$NCAP_HELPER stream --node bench -i lo -f '$filter'" \
        <"$BENCH_TMP/stdin.fifo" >"$out" 2>"$err" &
      _TOOL_PID[$tool]=$!
      ncap_wait_for 20 _tool_nonempty "$out" || return 1
      ;;
  esac
  # INT first: a SIGKILLed tshark orphans its dumpcap and extcap.
  ncap_on_exit "kill -INT ${_TOOL_PID[$tool]} && sleep 1; kill -9 ${_TOOL_PID[$tool]}"
  return 0
}

# Pids of the process reading the kernel ring for TOOL (for CPU and RSS).
tool_node_pids() {
  case $1 in
    tcpdump) echo "${_TOOL_PID[tcpdump]:-}" ;;
    sshdump)
      # sshdump's remote tcpdump: our exact command line (unique filter).
      ps -eo pid=,args= | grep -F -- "tcpdump -U -B $BENCH_BUFFER_KIB -i lo -w - ${_TOOL_FILTER[sshdump]}" |
        grep -v -e grep -e "bash -c" -e "sh -c" | awk '{print $1}'
      ;;
    nodecap-agentless)
      # The node's tcpdump (not its sh wrapper): our filter is in its argv.
      ps -eo pid=,args= | grep -F -- " -U -B 65536 " | grep -F -- "${_TOOL_FILTER[nodecap-agentless]}" |
        grep -v -e grep -e " sh -c" -e "^ *[0-9]* sh " | awk '{print $1}'
      ;;
    *) ncap_helper_pids ;;
  esac
}

# "cpu_seconds peak_rss_kib" of TOOL's ring reader, read from /proc now.
tool_cpu_rss() {
  local pid cpu=0 rss=0 hz
  hz=$(getconf CLK_TCK)
  for pid in $(tool_node_pids "$1"); do
    [[ -r /proc/$pid/stat ]] || continue
    read -r cpu rss < <(awk -v hz="$hz" -v c="$cpu" -v r="$rss" '
      FNR == 1 && FILENAME ~ /stat$/ { sub(/^.*\) /, ""); split($0, f, " ");
        c += (f[12] + f[13]) / hz }
      /^VmHWM:/ { if ($2 > r) r = $2 }
      END { printf "%.2f %d\n", c, r }' "/proc/$pid/stat" "/proc/$pid/status")
  done
  echo "$cpu $rss"
}

# Wait until TOOL has written all it will to FILE: the file has not grown
# and its ring reader has used no CPU (one clock tick of slack) for 1.5 s.
# CPU matters for buffered writers (tcpdump -w grows its file in bursts)
# and for packets still in the kernel ring. At most TIMEOUT_S (default 60).
_tool_ticks() {
  local pid t=0
  for pid in $(tool_node_pids "$1"); do
    t=$((t + $(awk '{ sub(/^.*\) /, ""); split($0, f, " "); print f[12] + f[13] }' "/proc/$pid/stat" 2>/dev/null || echo 0)))
  done
  echo "$t"
}
bench_wait_stable() {
  local tool=$1 f=$2 deadline=$((SECONDS + ${3:-60})) size ticks
  local -a sz tk
  # Idle, the helper still writes an ISB (88 bytes) and wakes every 100 ms:
  # "stable" is less than 4 KiB and 3 clock ticks over the last 1.5 s.
  while ((SECONDS < deadline)); do
    size=$(stat -c %s "$f" 2>/dev/null || echo 0)
    ticks=$(_tool_ticks "$tool")
    sz+=("$size") tk+=("$ticks")
    local n=${#sz[@]}
    if ((n >= 4 && sz[n - 1] - sz[n - 4] < 4096 && tk[n - 1] - tk[n - 4] <= 3)); then
      return 0
    fi
    sleep 0.5
  done
  return 1
}

_tool_wait() {
  local pid=$1 t=${2:-10}
  ncap_wait_pid_exit "$pid" "$t" >/dev/null 2>&1
  local rc=$?
  if ((rc == 124)); then
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  fi
  return $rc
}

# Stop TOOL. Prints the kernel drops the tool itself reports, -1 when it
# cannot say (runs in $(...): counters go to files in BENCH_TMP; sshdump's remote tcpdump is killed, its counters are lost;
# nodecap's drops are read from the file's EPBs and ISBs by the caller).
tool_stop() {
  local tool=$1 pid=${_TOOL_PID[$1]} drops=-1
  case $tool in
    tcpdump)
      kill -INT "$pid" 2>/dev/null
      _tool_wait "$pid"
      drops=$(awk '/packets dropped by kernel/ {print $1}' "${_TOOL_ERR[$tool]}")
      ;;
    sshdump)
      local left
      kill -INT "$pid" 2>/dev/null
      _tool_wait "$pid"
      # sshdump leaves its remote tcpdump running after every stop
      # (docs/wireshark-facts.md): count and kill it, by pid.
      sleep 0.5
      left=$(tool_node_pids sshdump)
      if [[ -n $left ]]; then
        echo "$left" >>"$BENCH_TMP/sshdump-left"
        kill $left 2>/dev/null
      fi
      echo run >>"$BENCH_TMP/sshdump-runs"
      ;;
    nodecap-tshark | nodecap-cli)
      kill -INT "$pid" 2>/dev/null
      _tool_wait "$pid"
      ncap_wait_for 5 _ncap_no_helper || echo left >>"$BENCH_TMP/helper-left"
      ;;
    nodecap-agentless)
      kill -INT "$pid" 2>/dev/null
      _tool_wait "$pid"
      echo run >>"$BENCH_TMP/agentless-runs"
      sleep 0.5
      [[ -z "$(tool_node_pids nodecap-agentless)" ]] || echo left >>"$BENCH_TMP/agentless-left"
      ;;
    helper-openssh)
      kill -TERM "$pid" 2>/dev/null
      _tool_wait "$pid"
      exec 9<&-
      ncap_wait_for 5 _ncap_no_helper || echo left >>"$BENCH_TMP/helper-left"
      ;;
  esac
  echo "${drops:--1}"
}
