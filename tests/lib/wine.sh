# SPDX-License-Identifier: GPL-2.0-or-later
# Test harness for the Windows build under Wine. Source tests/lib/common.sh
# first. The build is packaging/windows/build's (NCAP_WINDOWS_BUILD,
# default $NCAP_SRC/build-windows): its stage/ folder holds nodecap.exe and
# the DLLs of the zip, so what is tested is what ships.
# A missing build or a wine64 that cannot start is a FAILURE, not a skip:
# CI runs these tests on purpose (run-tests builds the Windows side first).
#
# Exports: NCAP_WIN_EXE (Unix path of nodecap.exe), NCAP_MINGW_PREFIX (the
# dependency prefix that build used), WINEPREFIX; defines
# ncap_wine (runs a Windows program; HOME is unset so that GLib and libssh
# use %USERPROFILE%, as on Windows) and ncap_winpath (Unix path -> Z:\...).

ncap_wine_start() {
  local build=${NCAP_WINDOWS_BUILD:-$NCAP_SRC/build-windows}
  NCAP_WIN_EXE=$build/stage/nodecap.exe
  [[ -f "$NCAP_WIN_EXE" ]] ||
    ncap_fail "no $NCAP_WIN_EXE: run packaging/windows/build first (run-tests does)"
  NCAP_MINGW_PREFIX=$(sed -n 's/^NCAP_MINGW_PREFIX:PATH=//p' "$build/CMakeCache.txt" 2>/dev/null)
  [[ -d "$NCAP_MINGW_PREFIX" ]] || ncap_fail "no dependency prefix recorded in $build/CMakeCache.txt"
  export NCAP_MINGW_PREFIX
  NCAP_WINE=$(command -v wine64 || echo /usr/lib/wine/wine64)
  [[ -x "$NCAP_WINE" ]] || ncap_fail "wine64 is not installed (packaging/windows/build installs it)"
  local ver
  ver=$("$NCAP_WINE" --version 2>/dev/null) || ncap_fail "wine64 --version failed: wine64 cannot start"
  # One prefix per Wine version, made once (about 10-20 s) and shared by
  # the tests: a flock keeps two first runs from racing.
  export WINEPREFIX=/var/cache/nodecap/wine-prefix-${ver// /_}
  export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
  mkdir -p /var/cache/nodecap
  (
    flock 9
    if [[ ! -e "$WINEPREFIX/.nodecap-ready" ]]; then
      rm -rf "$WINEPREFIX"
      "$NCAP_WINE" wineboot --init </dev/null >"$NCAP_TMP/wineboot.log" 2>&1 &&
        { "$(dirname "$NCAP_WINE")/wineserver" -w 2>/dev/null || true; }
      [[ -d "$WINEPREFIX/drive_c" ]] && touch "$WINEPREFIX/.nodecap-ready"
    fi
  ) 9>/var/cache/nodecap/wine-prefix.lock
  [[ -e "$WINEPREFIX/.nodecap-ready" ]] ||
    ncap_fail "wine64 cannot start: no prefix in $WINEPREFIX ($(tail -2 "$NCAP_TMP/wineboot.log" 2>/dev/null))"
  NCAP_WINE_VERSION=$ver
  export NCAP_WIN_EXE NCAP_WINE NCAP_WINE_VERSION
  local out
  out=$(ncap_wine "$NCAP_WIN_EXE" --extcap-interfaces 2>&1) ||
    ncap_fail "wine64 cannot run nodecap.exe: $out"
  ncap_log "$ver runs nodecap.exe: $(grep -c . <<<"$out") lines of --extcap-interfaces"
}

ncap_wine() { env -u HOME "$NCAP_WINE" "$@"; }

ncap_winpath() { local p=$1; printf 'Z:%s' "${p//\//\\}"; }
