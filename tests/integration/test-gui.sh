#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The nodecap extcap in the real Wireshark Qt GUI, under Xvfb, driven by
# widget role and name over AT-SPI (tests/gui/gui_driver.py; docs/gui.md):
# the interface is listed; the gear opens one tab per --extcap-config group;
# every option has its widget and tooltip; Reload fills the remote interface
# list from the test node (tests/lib/sshd.sh); an out-of-range value turns
# red and disables Save; Save closes the dialog and keeps the values; Start
# captures the node's datagrams (status bar "Packets: 200"), Stop leaves no
# nodecap-helper; with Save on node ticked, the saved job's id is in the
# first packet's 'Packet comments' and names a job on the node (then
# deleted); a merged two-node file shows the plugin's nodecap tree.
#
# Screenshots, the extcap's call log and Wireshark's log go to $NCAP_TMP/gui;
# on failure they are kept under ${NCAP_GUI_KEEP:-/tmp}/ncap-test-gui-*.
# NCAP_GUI_OUT=DIR keeps them in DIR on success too;
# NCAP_GUI_UPDATE_DOCS=1 refreshes docs/img/gui-*.png from this run.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/sshd.sh"

PY=/usr/bin/python3 # Debian's, with python3-pyatspi (root's python3 may be pyenv's)
for t in Xvfb xdotool import convert wireshark dbus-run-session setpriv; do
  command -v "$t" >/dev/null ||
    ncap_skip "$t missing (packaging/install-deps: wireshark-qt xvfb xdotool imagemagick dbus-daemon at-spi2-core python3-pyatspi)"
done
"$PY" -c 'import pyatspi' 2>/dev/null || ncap_skip "$PY cannot import pyatspi (apt-get install python3-pyatspi)"
[[ -x /usr/libexec/at-spi-bus-launcher ]] || ncap_skip "at-spi-bus-launcher missing (apt-get install at-spi2-core)"
[[ -e "$NCAP_BUILD/plugin/nodecap.so" ]] || ncap_fail "$NCAP_BUILD/plugin/nodecap.so missing: build first"

OUT="$NCAP_TMP/gui"
mkdir -p "$OUT"
DRIVER="$NCAP_SRC/tests/gui/gui_driver.py"
START=$SECONDS

# Keep screenshots and logs of a failed run (the temp dir goes away).
keep_artifacts() {
  local dest
  dest=$(mktemp -d "${NCAP_GUI_KEEP:-/tmp}/ncap-test-gui-failed.XXXXXX")
  cp -a "$OUT/." "$dest/"
  cp "$NCAP_EXTCAP_LOG" "$NCAP_SSH_LOG" "$dest/" 2>/dev/null || true
  ncap_log "screenshots and logs kept in $dest"
}
gui_fail() {
  keep_artifacts
  ncap_fail "$*"
}

# ---- The node, the extcap (through a wrapper logging every call) ---------
ncap_sshd_start
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

# The connection to the node as saved preferences (what "Save parameter(s)
# on capture start" writes); remote interface and filter are set in the
# dialog by the driver.
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

# ---- A private X server --------------------------------------------------
Xvfb -displayfd 5 -screen 0 1280x1024x24 -nolisten tcp 5>"$NCAP_TMP/display" \
  >"$NCAP_TMP/xvfb.log" 2>&1 &
XVFB_PID=$!
ncap_on_exit "kill $XVFB_PID; wait $XVFB_PID"
ncap_wait_for 20 test -s "$NCAP_TMP/display" || ncap_fail "Xvfb did not start: $(cat "$NCAP_TMP/xvfb.log")"
DISPLAY=":$(head -1 "$NCAP_TMP/display")"
ncap_log "Xvfb on $DISPLAY"

# gui_session USER DIR CMD...: CMD in its own D-Bus session bus (the AT-SPI
# bus is started from it), with the accessibility of Qt switched on, as
# USER with HOME=DIR/home. dbus-run-session ends the bus when the driver
# exits, and the AT-SPI bus and registry it started end with it.
gui_session() {
  local user=$1 dir=$2 as=()
  shift 2
  mkdir -p "$dir/home" "$dir/xdg"
  chmod 700 "$dir/xdg"
  if [[ $user != root ]]; then
    chown -R "$user" "$dir/home" "$dir/xdg"
    as=(setpriv --reuid="$user" --regid="$(id -gn "$user")" --clear-groups)
  fi
  "${as[@]}" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$dir/home" LC_ALL=C.UTF-8 \
    XDG_RUNTIME_DIR="$dir/xdg" DISPLAY="$DISPLAY" QT_LINUX_ACCESSIBILITY_ALWAYS_ON=1 \
    GUI_OUT="$OUT" GUI_WAIT="${NCAP_GUI_WAIT:-90}" "$@" \
    dbus-run-session -- "$PY" "$DRIVER" "${GUI_ARGS[@]}"
}

# ---- 1. Live: list, dialog, Reload, range, Save, Start/Stop (as root) ----
# Root's own HOME ($HOME of common.sh) holds the extcap and preferences.
mkdir -p "$NCAP_TMP/root-session"
ln -s "$HOME" "$NCAP_TMP/root-session/home"
GUI_ARGS=(live)
gui_session root "$NCAP_TMP/root-session" GUI_EXTCAP="$NCAP_BUILD/extcap/nodecap" \
  GUI_CALLS="$CALLS" GUI_PREFS="$WSCONF/preferences" GUI_UDP_PORT="$UDP_PORT" \
  GUI_HELPER="$NCAP_HELPER" GUI_EXTCAP_LOG="$NCAP_EXTCAP_LOG" 2>>"$OUT/driver.log" |
  tee "$OUT/driver-live.out"
st=${PIPESTATUS[0]}
((st == 0)) || gui_fail "$(sed -n 's/^FAIL //p' "$OUT/driver-live.out" | head -1 || echo "driver exited $st: $(tail -3 "$OUT/driver.log")")"
ncap_assert_no_helper "after the GUI's Stop"

# ---- 2. A merged two-node capture in the packet details (as nobody) ------
# Wireshark loads a personal plugin only when not root (docs/wireshark-facts.md): this
# instance runs as nobody, with nodecap.so in its personal plugin folder.
USER_DIR="$NCAP_TMP/nobody-session"
mkdir -p "$USER_DIR/home/.local/lib/wireshark/plugins/4.0/epan" "$USER_DIR/home/.config/wireshark"
cp "$NCAP_BUILD/plugin/nodecap.so" "$USER_DIR/home/.local/lib/wireshark/plugins/4.0/epan/"
printf 'gui.update.enabled: FALSE\ngui.ask_unsaved: FALSE\n' >"$USER_DIR/home/.config/wireshark/preferences"
MERGED="$USER_DIR/two-nodes.pcapng"
B=1700000000000000000
{
  echo "iface a:eth0 nodecap session=c0ffee first_seq=0 sample=1"
  echo "iface b:eth1 nodecap session=c0ffee first_seq=0 sample=1"
  for n in 1 2 3 4 5 6; do
    echo "pkt 0 $((B + n * 100000000)) $n ttl=64"
    echo "pkt 1 $((B + n * 100000000 + 250000)) $n ttl=63"
  done
} | "$NCAP_BUILD/tests/tools/ncap-mkpcapng" "$MERGED" - || ncap_fail "ncap-mkpcapng"
chmod 755 "$USER_DIR"
chmod 644 "$MERGED"
chmod 777 "$OUT"
GUI_ARGS=(details "$MERGED")
gui_session nobody "$USER_DIR" 2>>"$OUT/driver.log" | tee "$OUT/driver-details.out"
st=${PIPESTATUS[0]}
((st == 0)) || gui_fail "$(sed -n 's/^FAIL //p' "$OUT/driver-details.out" | head -1 || echo "driver exited $st: $(tail -3 "$OUT/driver.log")")"

# ---- Screenshots for docs/img ---------------------------------------------
if [[ -n "${NCAP_GUI_OUT:-}" ]]; then
  mkdir -p "$NCAP_GUI_OUT" && cp -a "$OUT/." "$NCAP_GUI_OUT/"
  ncap_log "screenshots and logs in $NCAP_GUI_OUT"
fi
if [[ -n "${NCAP_GUI_UPDATE_DOCS:-}" ]]; then
  # the dialog's screenshots cut to the dialog, the others whole
  for pair in 01-interface-list:gui-interface-list 02-options-node.crop:gui-options-node \
    05-options-out-of-range.crop:gui-options-range 04-reload-list.crop:gui-reload-list \
    08-capturing:gui-capturing 10-packet-details:gui-packet-details; do
    cp "$OUT/${pair%%:*}.png" "$NCAP_SRC/docs/img/${pair#*:}.png" || gui_fail "no screenshot ${pair%%:*}.png for docs/img"
  done
  ncap_log "docs/img/gui-*.png refreshed"
fi
ncap_log "PASS: GUI by widget names: list, tabs, $(grep -c '^arg ' <("$NCAP_BUILD/extcap/nodecap" --extcap-config --extcap-interface nodecap)) options with tooltips, Reload, range, Save, Start/Stop (200 packets), Save-on-node job id, plugin tree ($((SECONDS - START)) s)"
