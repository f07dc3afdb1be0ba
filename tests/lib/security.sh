# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by tests/integration/test-security-*.sh (run as root by ctest):
# real test users and groups, and a copy of nodecap-helper installed the way
# docs/design.md says: owned by a system user, setuid to it (never root), with
# the file capability cap_net_raw+ep; setgid to its group as well, so the
# saved-job worker is in the group of the captures directory (docs/security.md).
#
# An AT_SECURE helper ignores every path override, so the setuid copy is a
# separate build whose compiled-in paths point into SEC_P: the tests
# configure "$NCAP_BUILD/security-testprefix" with -DNCAP_SYSCONFDIR=... and
# build only the nodecap-helper target (incremental after the first run).
# The prefix is fixed so that build stays configured; it is recreated, root-
# owned, on every run.

SEC_P=/tmp/ncap-sectest
SEC_BUILD=$NCAP_BUILD/security-testprefix
SEC_H=$SEC_P/bin/nodecap-helper
SEC_SVC=ncaptest-svc
SEC_USERS="ncap-alice ncap-bob ncap-carol ncap-share"

sec_users_remove() {
  local u
  for u in $SEC_USERS $SEC_SVC; do
    if id "$u" >/dev/null 2>&1; then
      userdel -f "$u" 2>/dev/null
    fi
    getent group "$u" >/dev/null && groupdel "$u" 2>/dev/null
  done
  getent group ncap-ops >/dev/null && groupdel ncap-ops
  return 0
}

sec_users_create() {
  sec_users_remove
  groupadd ncap-ops || return 1
  useradd -r -M -d /nonexistent -s /usr/sbin/nologin -U "$SEC_SVC" || return 1
  # Real login shells: sshd runs a forced command through the shell.
  useradd -M -d "$SEC_P/home" -s /bin/bash -U ncap-alice || return 1
  useradd -M -d "$SEC_P/home" -s /bin/bash -U -G ncap-ops ncap-bob || return 1
  useradd -M -d "$SEC_P/home" -s /bin/bash -U -G ncap-ops ncap-carol || return 1
  useradd -M -d "$SEC_P/home" -s /bin/bash -U ncap-share || return 1
  # Not locked ("!"): sshd without PAM refuses a locked account's keys.
  local u
  for u in $SEC_USERS; do usermod -p '*' "$u" || return 1; done
}

# Build the test-prefix helper and install it setuid ncaptest-svc + caps.
sec_install_helper() {
  rm -rf "$SEC_P"
  mkdir -p "$SEC_P"/{bin,etc,home,state,log,captures} || return 1
  chmod 0755 "$SEC_P" "$SEC_P"/{bin,etc,home}
  chown "$SEC_SVC:$SEC_SVC" "$SEC_P"/{state,log,captures}
  chmod 0700 "$SEC_P"/{state,log,captures}
  if ! cmake -S "$NCAP_SRC" -B "$SEC_BUILD" -DNCAP_BUILD_PLUGIN=OFF \
      -DNCAP_SYSCONFDIR="$SEC_P/etc" -DNCAP_STATEDIR="$SEC_P/state" \
      -DNCAP_CAPTURESDIR="$SEC_P/captures" -DNCAP_LOGDIR="$SEC_P/log" \
      > "$SEC_P/cmake.log" 2>&1 ||
     ! cmake --build "$SEC_BUILD" --target nodecap-helper -j2 >> "$SEC_P/cmake.log" 2>&1; then
    cat "$SEC_P/cmake.log"
    return 1
  fi
  cp "$SEC_BUILD/remote/nodecap-helper" "$SEC_H"
  # chown first: it clears file capabilities.
  chown "$SEC_SVC:$SEC_SVC" "$SEC_H" && chmod 6755 "$SEC_H" &&
    setcap cap_net_raw+ep "$SEC_H"
}

# sec_policy TEXT: write the compiled-in policy (root-owned, 0644).
sec_policy() { printf '%b' "$1" > "$SEC_P/etc/policy.conf"; chmod 0644 "$SEC_P/etc/policy.conf"; }
sec_conf() { printf '%b' "$1" > "$SEC_P/etc/nodecap.conf"; chmod 0644 "$SEC_P/etc/nodecap.conf"; }

# sec_as USER CMD...: run CMD as USER (real uid, its groups), like a login.
sec_as() {
  local u=$1; shift
  setpriv --reuid="$u" --regid="$u" --init-groups "$@"
}

# Lines of the audit file (read as root).
sec_audit() { cat "$SEC_P/log/audit.log" 2>/dev/null; }
# Field of the last audit line: sec_audit_last FIELD
sec_audit_last() {
  tail -n 1 "$SEC_P/log/audit.log" | python3 -c 'import json,sys; v=json.loads(sys.stdin.read()).get(sys.argv[1]); print(v if not isinstance(v, list) else " ".join(v))' "$1"
}
