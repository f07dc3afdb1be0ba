#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A failed capture call writes its error line to stderr BEFORE it opens and
# closes the fifo (docs/wireshark-facts.md). The other order loses the line
# by a race: tshark 4.0 answers dumpcap's EOF with SIGTERM, which kills an
# extcap that has not yet installed its stop handler (option errors, a
# refused connection) before it prints; 4.4/4.6 stop reading its stderr
# once the fifo ends. test-extcap-errors sees that race about one run in
# four; here strace shows the order of the two system calls, every run.
source "$(dirname "$0")/../lib/common.sh"

command -v strace >/dev/null || ncap_skip "strace not installed (packaging/install-deps)"

fifo="$NCAP_TMP/fifo"
mkfifo "$fifo"
dead=$(ncap_random_port 39000 39900)

# check NAME STATUS ARGS...: a capture call that must fail with STATUS,
# its line on stderr first, then the fifo opened for writing.
check() {
  local name=$1 want=$2 rc reader
  shift 2
  # The reader stands in for dumpcap: it holds the read end until EOF.
  timeout 20 cat "$fifo" >/dev/null &
  reader=$!
  strace -f -qq -e trace=openat,write -e signal=none -o "$NCAP_TMP/$name.trace" \
    "$NCAP_BUILD/extcap/nodecap" --capture --extcap-interface nodecap --fifo "$fifo" \
    --remote-host 127.0.0.1 --remote-port "$dead" --remote-interface lo "$@" \
    2>"$NCAP_TMP/$name.err"
  rc=$?
  wait "$reader" || ncap_fail "$name: the fifo was never opened and closed (reader: $?)"
  ncap_assert_eq "$want" "$rc" "$name: exit status"
  ncap_assert_eq 1 "$(wc -l <"$NCAP_TMP/$name.err")" "$name: stderr lines"
  local line open
  line=$(grep -n -m1 'write(2, "nodecap: ' "$NCAP_TMP/$name.trace" | cut -d: -f1)
  open=$(grep -n -m1 "openat(AT_FDCWD, \"$fifo\", O_WRONLY" "$NCAP_TMP/$name.trace" | cut -d: -f1)
  [[ -n "$line" ]] || ncap_fail "$name: no error line written: $(cat "$NCAP_TMP/$name.err")"
  [[ -n "$open" ]] || ncap_fail "$name: the fifo was not opened for writing"
  ((line < open)) || ncap_fail "$name: the fifo was released (trace line $open) before the error line was written (trace line $line)"
  ncap_log "$name: $(cat "$NCAP_TMP/$name.err") (written at trace line $line, fifo opened at $open)"
}

# Refused before connecting: no stop handler is installed yet.
check range 2 --snaplen 999999
# Nothing listening on the port.
check noserver 10
ncap_log "PASS: the error line comes before the fifo's EOF (range, no server)"
