#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The nodecap extcap in the real Wireshark Qt GUI, under Xvfb, against the
# test node (tests/lib/sshd.sh): the interface is listed, its options
# dialog opens with one tab per group, tooltips and range checks, Reload
# asks the node for its interfaces, the dialog's values are saved, and a
# capture started from the GUI writes the node's packets to a file.
#
# Usage: NCAP_BUILD=build tests/gui/run-gui-check.sh OUTDIR
# OUTDIR receives the screenshots (NN-name.png), the extcap's call log and
# the capture file. Needs: wireshark-qt xvfb xdotool imagemagick.
#
# Coordinates: without a window manager the main window is moved to 0,0
# and sized 1280x800, so the welcome page's layout is fixed; the selected
# interface row is found by its highlight colour, and the options dialog's
# widgets are clicked at offsets from the dialog's own origin (measured on
# Debian bookworm's Wireshark 4.0 with its default Qt style and fonts).

OUT=${1:?usage: run-gui-check.sh OUTDIR}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/sshd.sh"

for t in Xvfb xdotool import convert wireshark capinfos; do
  command -v "$t" >/dev/null || ncap_skip "$t missing (apt-get install wireshark-qt xvfb xdotool imagemagick)"
done

# Debian's bash sources root's ~/.bashrc for every command sshd runs; a
# slow one (pyenv) pushes the reload past its 5 s answer limit. The node's
# HOME is its own empty directory here.
mkdir -p "$NCAP_TMP/node/home"
NCAP_SSHD_SETENV="HOME=$NCAP_TMP/node/home"
ncap_sshd_start

# Log every call Wireshark makes to the extcap, and the answers to reloads,
# through a wrapper in the personal extcap folder.
CALLS="$OUT/extcap-calls.log"
: >"$CALLS"
rm -f "$NCAP_EXTCAP"
cat >"$NCAP_EXTCAP" <<EOF
#!/bin/bash
printf 'CALL %s\n' "\$*" >>"$CALLS"
case " \$* " in
*" --extcap-reload-option "*)
  "$NCAP_BUILD/extcap/nodecap" "\$@" | tee -a "$CALLS"
  exit "\${PIPESTATUS[0]}" ;;
esac
exec "$NCAP_BUILD/extcap/nodecap" "\$@"
EOF
chmod 755 "$NCAP_EXTCAP"

# The connection to the test node as saved preferences (what "Save
# parameter(s) on capture start" writes); remote interface and filter are
# left for the dialog.
UDP_PORT=$(ncap_random_port 45000 46000)
WSCONF="$HOME/.config/wireshark"
mkdir -p "$WSCONF"
cat >"$WSCONF/preferences" <<EOF
gui.update.enabled: FALSE
gui.ask_unsaved: FALSE
extcap.nodecap.remotehost: 127.0.0.1
extcap.nodecap.remoteport: $NCAP_SSH_PORT
extcap.nodecap.sshkey: $NCAP_SSH_KEY
extcap.nodecap.knownhosts: $NCAP_KNOWN_HOSTS
extcap.nodecap.remotehelper: $NCAP_HELPER
extcap.nodecap.loglevel: info
extcap.nodecap.logfile: $NCAP_EXTCAP_LOG
EOF
export XDG_RUNTIME_DIR="$NCAP_TMP/xdg"
mkdir -m 700 -p "$XDG_RUNTIME_DIR"

# A private X server on a free display number.
Xvfb -displayfd 5 -screen 0 1280x800x24 -nolisten tcp 5>"$NCAP_TMP/display" \
  >"$NCAP_TMP/xvfb.log" 2>&1 &
XVFB_PID=$!
ncap_on_exit "kill $XVFB_PID; wait $XVFB_PID"
ncap_wait_for 10 test -s "$NCAP_TMP/display" || ncap_fail "Xvfb did not start: $(cat "$NCAP_TMP/xvfb.log")"
export DISPLAY=":$(head -1 "$NCAP_TMP/display")"
ncap_log "Xvfb on $DISPLAY"

shot() { import -window root "$OUT/$1.png" || ncap_fail "screenshot $1"; ncap_log "screenshot $OUT/$1.png"; }
click() { xdotool mousemove "$1" "$2" click 1; sleep "${3:-0.7}"; }
win() { xdotool search --name "$1" 2>/dev/null | head -1; }
_has_win() { [[ -n "$(win "$1")" ]]; }
_no_win() { [[ -z "$(win "$1")" ]]; }
WS_PID=
ws_start() {
  wireshark "$@" >>"$OUT/wireshark.log" 2>&1 &
  WS_PID=$!
  ncap_on_exit "kill $WS_PID"
}
# Quit with Ctrl+Q (focus set by hand: there is no window manager).
ws_quit() {
  local w
  w=$(xdotool search --onlyvisible --name "$1" | head -1)
  [[ -n "$w" ]] || ncap_fail "no window '$1' to quit"
  xdotool windowfocus "$w"
  xdotool key ctrl+q
  ncap_wait_pid_exit "$WS_PID" 20 >/dev/null || ncap_fail "wireshark did not quit"
}
# y of the selected (highlighted) row in the welcome page's list, from the
# colour of column x=900 of a screenshot.
selected_row_y() {
  import -window root "$NCAP_TMP/probe.png" 2>/dev/null || return 1
  convert "$NCAP_TMP/probe.png" -crop 1x800+900+0 +repage txt:- |
    sed -n 's/^0,\([0-9]*\): (\([0-9]*\),\([0-9]*\),\([0-9]*\).*/\1 \2 \3 \4/p' |
    awk '$2 < 100 && $4 > 150 { if (!n++) first = $1; last = $1 }
         END { if (n >= 10 && n <= 30) print int((first + last) / 2); else exit 1 }'
}

# ---- 1. The interface list ------------------------------------------------
ws_start -i nodecap
ncap_wait_for 60 _has_win "The Wireshark Network Analyzer" || ncap_fail "no main window"
MAIN=$(win "The Wireshark Network Analyzer")
xdotool windowmove "$MAIN" 0 0 windowsize "$MAIN" 1280 800
ROW_Y=
for _ in $(seq 60); do
  ROW_Y=$(selected_row_y) && break
  sleep 0.5
done
[[ -n "$ROW_Y" ]] || ncap_fail "no selected interface row on the welcome page"
sleep 1
shot 01-interface-list
ncap_log "nodecap row (selected by -i nodecap) at y=$ROW_Y"

# ---- 2. The options dialog: gear icon at the row's left --------------------
click 169 "$ROW_Y" 2
ncap_wait_for 15 _has_win "Interface Options" || ncap_fail "the gear did not open the Interface Options"
DLG=$(win "Interface Options")
title=$(xdotool getwindowname "$DLG")
ncap_assert_eq "Wireshark · Interface Options: Remote node capture: nodecap" "$title" "dialog title"
eval "$(xdotool getwindowgeometry --shell "$DLG")"
DX=$X DY=$Y
ncap_log "dialog '$title' at $DX,$DY ${WIDTH}x${HEIGHT}"
dclick() { click $((DX + $1)) $((DY + $2)) "${3:-0.7}"; }
dhover() { xdotool mousemove $((DX + $1)) $((DY + $2)); sleep "${3:-2}"; }

dhover 350 92 # SSH port: its tooltip
shot 02-options-node

dclick 108 26 # the Capture tab
dhover 600 450 0.5
shot 03-options-capture

# Reload: Wireshark calls the extcap with --extcap-reload-option.
dclick 464 61 0.5
_reloaded() { grep -q '^value {arg=11}{value=lo}' "$CALLS"; }
ncap_wait_for 15 _reloaded || ncap_fail "no reload answer listing lo: $(tail -5 "$CALLS")"
grep -q -- '^CALL .*--extcap-config .*--extcap-reload-option remote-interface' "$CALLS" ||
  ncap_fail "no --extcap-reload-option remote-interface call: $(cat "$CALLS")"
sleep 1
dclick 266 61 1 # open the remote interface list
shot 04-reload-list
xdotool type lo
xdotool key Return
sleep 0.5

# Capture filter on the node, typed into the dialog.
dclick 348 92 0.3
xdotool type "udp dst port $UDP_PORT"

# A snapshot length out of range: the field turns red, Save is disabled.
dclick 348 309 0.3
xdotool key ctrl+a
xdotool type 300000
dhover 460 309 2
shot 05-options-out-of-range
dclick 563 309 0.5 # the field's reset button: back to the default

dclick 203 26 # Save on node
dhover 600 450 0.5
shot 06-options-save-on-node
dclick 295 26 # Debug
dhover 600 450 0.5
shot 07-options-debug

dclick 376 515 1 # Save
ncap_wait_for 5 _no_win "Interface Options" || ncap_fail "the dialog did not close on Save"
grep -qx 'extcap.nodecap.remoteinterface: lo' "$WSCONF/preferences" ||
  ncap_fail "the dialog did not save remote interface lo: $(grep remoteinterface "$WSCONF/preferences")"
grep -qx "extcap.nodecap.remotefilter: udp dst port $UDP_PORT" "$WSCONF/preferences" ||
  ncap_fail "the dialog did not save the filter: $(grep remotefilter "$WSCONF/preferences")"
ws_quit "The Wireshark Network Analyzer"
ncap_log "dialog saved remote interface lo and filter 'udp dst port $UDP_PORT'"

# ---- 3. A capture started from the GUI, with what the dialog saved -------
CAP="$OUT/gui-capture.pcapng"
rm -f "$CAP"
: >"$NCAP_EXTCAP_LOG"
ws_start -i nodecap -k -w "$CAP"
ncap_wait_stream 30
ncap_send_udp 200 "$UDP_PORT" GUI
_has_200() { [[ -s "$CAP" ]] && (($(tshark -r "$CAP" -Y "data.data contains \"GUI-\"" 2>/dev/null | wc -l) >= 200)); }
ncap_wait_for 20 _has_200 || ncap_fail "the GUI capture did not get 200 datagrams"
CAPW=$(win "Capturing from")
[[ -n "$CAPW" ]] || ncap_fail "no 'Capturing from' window"
ncap_assert_eq "Capturing from Remote node capture: nodecap" "$(xdotool getwindowname "$CAPW")" "capture window"
xdotool windowmove "$CAPW" 0 0 windowsize "$CAPW" 1280 800
sleep 1.5
shot 08-capturing
click 53 41 2 # Stop
ncap_wait_for 15 _no_win "Capturing from" || ncap_fail "the capture did not stop"
ws_quit "gui-capture"
ncap_assert_no_helper "after Stop"
pgrep -f -- "-w $CAP" >/dev/null && ncap_fail "dumpcap left running"

ncap_assert_file_clean "$CAP"
got=$(tshark -r "$CAP" -Y "udp.dstport == $UDP_PORT" -T fields -e frame.interface_name -e data.data 2>/dev/null |
  sort -u)
want=$(ncap_expected_udp_hex 200 GUI | sed 's/^/127.0.0.1:lo\t/' | sort -u)
[[ "$got" == "$want" ]] || ncap_fail "the GUI capture does not hold the 200 datagrams on 127.0.0.1:lo"
cp "$NCAP_EXTCAP_LOG" "$OUT/extcap.log"
ncap_log "PASS: list, dialog (tabs, tooltip, range), reload lists lo, saved values, GUI capture of 200 datagrams ($(capinfos -c "$CAP" | sed -n 's/.*packets: *//p') packets)"
