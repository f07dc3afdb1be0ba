/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Privilege of nodecap-helper. The helper is installed setuid `nodecap`
 * (never root) with the file capability cap_net_raw+ep, so at exec it runs as
 * ruid = caller, euid = suid = nodecap, CapEff = CAP_NET_RAW. This module
 * records who called before anything else can run, narrows the capability
 * sets to CAP_NET_RAW at once (a root caller gets every capability from the
 * kernel's "root is special" rule: keep none of them), and drops everything
 * for good once the capture handle is open (models: dumpcap's
 * relinquish_privs_except_capture, OpenBSD tcpdump's privsep). */
#ifndef NCAP_PRIVS_H
#define NCAP_PRIVS_H

#include <glib.h>
#include <stdbool.h>
#include <sys/types.h>

/* Call first thing in main(). Records the real/effective ids at exec and
 * getauxval(AT_SECURE), then keeps only CAP_NET_RAW in the permitted and
 * effective sets (or nothing if it is not permitted). Never fails: a
 * failure to narrow is reported by the later ncap_privs_drop_all(). */
void ncap_privs_init(void);

uid_t ncap_privs_caller_uid(void);   /* real uid at exec */
gid_t ncap_privs_caller_gid(void);   /* real gid at exec */
uid_t ncap_privs_service_uid(void);  /* effective uid at exec (nodecap) */
gid_t ncap_privs_service_gid(void);  /* effective gid at exec */
/* getauxval(AT_SECURE): setuid/setgid or file capabilities. When true the
 * environment is not trusted and path overrides are ignored. */
bool ncap_privs_secure(void);

/* When secure: clearenv() and set a fixed PATH. Read what you need from the
 * environment (SSH_ORIGINAL_COMMAND, SSH_CONNECTION) before calling. */
void ncap_privs_clear_env(void);

typedef enum {
  /* A stream in the caller's session: every uid and gid becomes the
   * caller's. The process then holds nothing the caller lacks except the
   * open packet socket and audit fd, and is not dumpable, so the caller
   * cannot ptrace it to steal them. */
  NCAP_PRIVS_TO_CALLER,
  /* The detached worker of a saved job: every uid becomes the service user
   * (nodecap), so the caller cannot signal or ptrace it; the gids become
   * the effective gid at exec (nodecap when the binary is also setgid). */
  NCAP_PRIVS_TO_SERVICE,
} NcapPrivsTarget;

/* Drop every privilege for good: clear all capability sets (permitted,
 * effective, inheritable), the ambient set, the bounding set where allowed,
 * PR_SET_NO_NEW_PRIVS, not dumpable, setresgid/setresuid so real = effective
 * = saved (ids first, then ncap_privs_drop_caps). Then checks that
 * /proc/self/status shows CapEff, CapPrm and CapInh 0 and that the uids are
 * what was asked. Error NCAP_ERROR_FAILED naming the step
 * that failed; the caller must then stop (no capture may go on). */
gboolean ncap_privs_drop_all(NcapPrivsTarget target, GError **error);

/* The capability half of ncap_privs_drop_all, for a process whose ids are
 * already what they should be (the uploader, forked by the worker after its
 * drop): clear the bounding set where allowed, the ambient set and every
 * capability set, PR_SET_NO_NEW_PRIVS, not dumpable; then check that
 * /proc/self/status shows CapEff, CapPrm and CapInh 0. Error
 * NCAP_ERROR_FAILED naming the step that failed. */
gboolean ncap_privs_drop_caps(GError **error);

/* Read "CapEff:" (or another key) of /proc/self/status as a number.
 * Returns FALSE when it cannot be read. */
gboolean ncap_privs_read_status_caps(const char *key, guint64 *out);

#endif
