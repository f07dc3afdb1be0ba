/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Privilege handling of nodecap-helper: see privs.h for the model. */
#include "privs.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "ncap-error.h"

/* Process-wide by nature: there is one set of credentials per process. */
static struct {
  bool done;
  uid_t ruid, euid;
  gid_t rgid, egid;
  bool secure;
} privs;

void
ncap_privs_init(void)
{
  if (privs.done)
    return;
  privs.ruid = getuid();
  privs.euid = geteuid();
  privs.rgid = getgid();
  privs.egid = getegid();
  privs.secure = getauxval(AT_SECURE) != 0;
  privs.done = true;

  /* Keep only what opening a capture needs. Everything else is dropped from
   * the permitted set here, before any input is parsed; a root caller (for
   * whom the kernel fills every set) keeps no more than anyone else. */
  cap_t cur = cap_get_proc();
  cap_flag_value_t have = CAP_CLEAR;
  if (cur) {
    cap_get_flag(cur, CAP_NET_RAW, CAP_PERMITTED, &have);
    cap_free(cur);
  }
  cap_t want = cap_init();
  if (!want)
    return;
  if (have == CAP_SET) {
    cap_value_t keep[] = {CAP_NET_RAW};
    cap_set_flag(want, CAP_PERMITTED, 1, keep, CAP_SET);
    cap_set_flag(want, CAP_EFFECTIVE, 1, keep, CAP_SET);
  }
  (void)cap_set_proc(want); /* checked for real in ncap_privs_drop_all */
  cap_free(want);
}

uid_t ncap_privs_caller_uid(void) { ncap_privs_init(); return privs.ruid; }
gid_t ncap_privs_caller_gid(void) { ncap_privs_init(); return privs.rgid; }
uid_t ncap_privs_service_uid(void) { ncap_privs_init(); return privs.euid; }
gid_t ncap_privs_service_gid(void) { ncap_privs_init(); return privs.egid; }
bool ncap_privs_secure(void) { ncap_privs_init(); return privs.secure; }

void
ncap_privs_clear_env(void)
{
  if (!ncap_privs_secure())
    return;
  clearenv();
  /* Nothing here runs a program, but libraries may look PATH up. */
  setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1);
}

gboolean
ncap_privs_read_status_caps(const char *key, guint64 *out)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents("/proc/self/status", &text, NULL, NULL))
    return FALSE;
  g_autofree char *prefix = g_strdup_printf("%s:", key);
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  for (char **l = lines; *l; l++) {
    if (g_str_has_prefix(*l, prefix)) {
      char *end = NULL;
      const char *v = *l + strlen(prefix);
      errno = 0;
      guint64 n = g_ascii_strtoull(v, &end, 16);
      if (errno != 0 || end == v)
        return FALSE;
      *out = n;
      return TRUE;
    }
  }
  return FALSE;
}

static gboolean
fail(GError **error, const char *step)
{
  int e = errno;
  g_set_error(error, NCAP_ERROR, NCAP_ERROR_FAILED,
              "cannot drop privileges: %s: %s", step, g_strerror(e));
  return FALSE;
}

gboolean
ncap_privs_drop_caps(GError **error)
{
  /* The bounding set can only shrink with CAP_SETPCAP, which we never hold
   * (the file grants cap_net_raw only); try anyway for a root caller of an
   * unprivileged build. NO_NEW_PRIVS below makes it moot for any exec. */
  for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++) {
    if (cap_get_bound(c) == 1 && cap_drop_bound(c) != 0)
      break;
  }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 &&
      errno != EINVAL)
    return fail(error, "clear ambient capabilities");

  cap_t none = cap_init(); /* every flag clear */
  if (!none)
    return fail(error, "cap_init");
  int rc = cap_set_proc(none);
  cap_free(none);
  if (rc != 0)
    return fail(error, "clear capability sets");

  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return fail(error, "PR_SET_NO_NEW_PRIVS");
  /* Changing euid already clears it (suid_dumpable 0); say so explicitly for
   * the case where no id changed (caller is the service user, or root). */
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
    return fail(error, "PR_SET_DUMPABLE");

  /* What the kernel reports is what counts. */
  guint64 eff = 1, prm = 1, inh = 1;
  if (!ncap_privs_read_status_caps("CapEff", &eff) ||
      !ncap_privs_read_status_caps("CapPrm", &prm) ||
      !ncap_privs_read_status_caps("CapInh", &inh) || eff != 0 || prm != 0 ||
      inh != 0) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_FAILED,
                "cannot drop privileges: CapEff %016" G_GINT64_MODIFIER
                "x CapPrm %016" G_GINT64_MODIFIER "x CapInh %016"
                G_GINT64_MODIFIER "x after the drop",
                eff, prm, inh);
    return FALSE;
  }
  return TRUE;
}

gboolean
ncap_privs_drop_all(NcapPrivsTarget target, GError **error)
{
  ncap_privs_init();
  uid_t uid = target == NCAP_PRIVS_TO_CALLER ? privs.ruid : privs.euid;
  gid_t gid = target == NCAP_PRIVS_TO_CALLER ? privs.rgid : privs.egid;

  /* Ids first, while nothing else has changed: setresuid to one of our own
   * real/effective/saved ids needs no capability. */
  if (setresgid(gid, gid, gid) != 0)
    return fail(error, "setresgid");
  if (setresuid(uid, uid, uid) != 0)
    return fail(error, "setresuid");

  if (!ncap_privs_drop_caps(error))
    return FALSE;

  /* Trust, but verify: what the kernel reports is what counts. */
  uid_t r, e, s;
  gid_t gr, ge, gs;
  if (getresuid(&r, &e, &s) != 0 || getresgid(&gr, &ge, &gs) != 0)
    return fail(error, "getresuid");
  if (r != uid || e != uid || s != uid || gr != gid || ge != gid || gs != gid) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_FAILED,
                "cannot drop privileges: ids are %u/%u/%u, wanted %u",
                (unsigned)r, (unsigned)e, (unsigned)s, (unsigned)uid);
    return FALSE;
  }
  return TRUE;
}
