/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Security glue of nodecap-helper (see security.h). What init learns about
 * the request (policy, audit fd, the request itself) is kept in the
 * NcapSecurity record of the NcapHelper every verb already receives. */
#include "security.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "ncap-error.h"
#include "policy.h"
#include "ratelimit.h"
#include "sshcmd.h"

#ifndef NCAP_SYSCONFDIR
#define NCAP_SYSCONFDIR "/etc/nodecap"
#endif
#ifndef NCAP_STATEDIR
#define NCAP_STATEDIR "/var/lib/nodecap"
#endif
#ifndef NCAP_CAPTURESDIR
#define NCAP_CAPTURESDIR "/var/lib/nodecap/captures"
#endif
#ifndef NCAP_AUDITLOG
#define NCAP_AUDITLOG "/var/log/nodecap/audit.log"
#endif

#define DEFAULT_SIMPLE_INTERVAL 60
#define DEFAULT_MAX_STREAMS 2
#define DEFAULT_BUFFER_MB 64
#define MAX_BUFFER_MB 4096

struct NcapSecurity {
  NcapPolicy *policy;
  GError *policy_error;
  NcapAudit *audit;
  GError *audit_error;
  char **argv_owned;      /* the checked forced command (main's argv) */
  char **argv_strings;    /* its strings: GOption reorders argv_owned */
  char *ssh_connection;
  char *verb;
  char **args;
  char *as_name;          /* --as NAME, honoured */
  char *account;          /* login account when --as is in force */
  bool checked;           /* a permission check ran */
  bool denial_logged;     /* the final error is a logged denial/refusal */
  int slot_fd;
};

/* The state of h's request; made on first use, so a verb called without
 * ncap_security_init (a unit test) still finds one. */
static NcapSecurity *
sec_of(NcapHelper *h)
{
  if (!h->security) {
    h->security = g_new0(NcapSecurity, 1);
    h->security->slot_fd = -1;
  }
  return h->security;
}

static const char *const audited_verbs[] = {
  "stream", "start", "stop", "fetch", "delete", NULL,
};

static bool
verb_is_audited(const char *verb)
{
  return verb && g_strv_contains(audited_verbs, verb);
}

static void
audit_event(NcapHelper *h, const char *verb, const char *const *args,
            const char *result, const char *reason, GError **error)
{
  NcapSecurity *sec = sec_of(h);
  NcapAuditEvent ev = {
    .user = h->caller_name,
    .uid = h->caller_uid,
    .account = sec->account,
    .verb = verb ? verb : sec->verb,
    .args = args ? args : (const char *const *)sec->args,
    .result = result,
    .reason = reason,
    .ssh_connection = sec->ssh_connection,
  };
  ncap_audit_log(sec->audit, &ev, error);
}

/* The one place that reads the environment for paths: only when the kernel
 * says the exec was not privileged (then the caller could run their own
 * build anyway, so an override grants nothing). */
static char *
path_setting(NcapHelper *h, const char *env, const char *compiled)
{
  const char *v = h->secure ? NULL : g_getenv(env);
  return g_strdup(v && *v ? v : compiled);
}

/* Open a root-owned configuration file; missing = empty. */
static GKeyFile *
load_config(NcapHelper *h, const char *path, GError **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new();
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
  if (fd < 0 && errno == ENOENT)
    return g_steal_pointer(&kf);
  if (fd < 0) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_CONFIG, "%s: %s", path,
                g_strerror(errno));
    return NULL;
  }
  uid_t trusted = h->secure ? (uid_t)-1 : h->caller_uid;
  if (!ncap_policy_check_file(fd, path, trusted, error)) {
    close(fd);
    return NULL;
  }
  g_autoptr(GMappedFile) map = g_mapped_file_new_from_fd(fd, FALSE, NULL);
  close(fd);
  g_autoptr(GError) local = NULL;
  if (!map || !g_key_file_load_from_data(
                  kf, g_mapped_file_get_contents(map) ? g_mapped_file_get_contents(map) : "",
                  g_mapped_file_get_length(map), G_KEY_FILE_NONE, &local)) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_CONFIG, "%s: %s", path,
                local ? local->message : "cannot read");
    return NULL;
  }
  return g_steal_pointer(&kf);
}

/* An unsigned key of nodecap.conf in [0, max]; missing = def. */
static gboolean
conf_uint(NcapHelper *h, const char *group, const char *key, guint def,
          guint max, guint *out, GError **error)
{
  *out = def;
  if (!h->config || !g_key_file_has_key(h->config, group, key, NULL))
    return TRUE;
  g_autofree char *v = g_key_file_get_value(h->config, group, key, NULL);
  /* GKeyFile has no trailing comments; the shipped nodecap.conf writes
   * "simple_interval = 60   # s", so allow one after the number. */
  char *hash = v ? strchr(v, '#') : NULL;
  if (hash)
    *hash = '\0';
  guint64 n = 0;
  if (!v || !g_ascii_string_to_unsigned(g_strstrip(v), 10, 0, max, &n, NULL)) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_CONFIG,
                "%s/nodecap.conf: [%s] %s: not a number in 0-%u",
                h->sysconfdir, group, key, max);
    return FALSE;
  }
  *out = (guint)n;
  return TRUE;
}

/* A per-user key: [user:NAME] key, else [fallback_group] key, else def. */
static gboolean
user_uint(NcapHelper *h, const char *key, const char *fallback_group,
          const char *fallback_key, guint def, guint max, guint *out,
          GError **error)
{
  g_autofree char *group = g_strdup_printf("user:%s", h->caller_name);
  if (!conf_uint(h, fallback_group, fallback_key, def, max, out, error))
    return FALSE;
  return conf_uint(h, group, key, *out, max, out, error);
}

static gboolean
validate_config(NcapHelper *h, GError **error)
{
  guint v;
  if (!conf_uint(h, "rate", "simple_interval", DEFAULT_SIMPLE_INTERVAL,
                 86400, &v, error) ||
      !conf_uint(h, "streams", "max_per_user", DEFAULT_MAX_STREAMS, 1000, &v,
                 error) ||
      !conf_uint(h, "streams", "buffer_mb", DEFAULT_BUFFER_MB, MAX_BUFFER_MB,
                 &v, error))
    return FALSE;
  g_auto(GStrv) groups = g_key_file_get_groups(h->config, NULL);
  for (char **g = groups; *g; g++) {
    if (!g_str_has_prefix(*g, "user:"))
      continue;
    if (!conf_uint(h, *g, "max_streams", 0, 1000, &v, error) ||
        !conf_uint(h, *g, "buffer_mb", 0, MAX_BUFFER_MB, &v, error) ||
        !conf_uint(h, *g, "simple_interval", 0, 86400, &v, error))
      return FALSE;
  }
  return TRUE;
}

static char *
name_of_uid(uid_t uid)
{
  struct passwd pw, *res = NULL;
  char buf[4096];
  if (getpwuid_r(uid, &pw, buf, sizeof buf, &res) == 0 && res)
    return g_strdup(pw.pw_name);
  /* No account: a name no policy entry can match. */
  return g_strdup_printf("#%u", (unsigned)uid);
}

static bool
valid_as_name(const char *n)
{
  gsize len = strlen(n);
  if (len == 0 || len > 32 || !(g_ascii_islower(n[0]) || n[0] == '_'))
    return false;
  for (; *n; n++)
    if (!(g_ascii_islower(*n) || g_ascii_isdigit(*n) || *n == '_' ||
          *n == '-' || *n == '.'))
      return false;
  return true;
}

/* `--as NAME` is honoured only for the shared account of root-owned
 * nodecap.conf, and only in forced-command mode (checked by the caller). */
static gboolean
check_as(NcapHelper *h, const char *name, GError **error)
{
  if (!valid_as_name(name)) {
    g_autofree char *esc = g_strescape(name, NULL);
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                "--as \"%s\": not a valid user name", esc);
    return FALSE;
  }
  g_autofree char *shared =
      g_key_file_get_string(h->config, "ssh", "shared_account", NULL);
  if (shared)
    g_strstrip(shared);
  struct passwd pw, *res = NULL;
  char buf[4096];
  if (!shared || !*shared ||
      getpwnam_r(shared, &pw, buf, sizeof buf, &res) != 0 || !res ||
      pw.pw_uid != h->caller_uid) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_PERMISSION,
                "permission denied: --as is only honoured for the shared "
                "account named in nodecap.conf [ssh] shared_account");
    return FALSE;
  }
  return TRUE;
}

/* Loaded at start, while the process may still read it; a broken policy is
 * only an error for the verbs that need it (interfaces does not). */
static void
load_policy(NcapHelper *h)
{
  NcapSecurity *sec = sec_of(h);
  g_autofree char *path = g_build_filename(h->sysconfdir, "policy.conf", NULL);
  uid_t trusted = h->secure ? (uid_t)-1 : h->caller_uid;
  g_clear_error(&sec->policy_error);
  sec->policy = ncap_policy_load(path, trusted, &sec->policy_error);
}

static void
remember_request(NcapSecurity *sec, int argc, char **argv)
{
  int vi = ncap_sshcmd_find_verb(argc, argv);
  g_free(sec->verb);
  g_strfreev(sec->args);
  sec->verb = g_strdup(vi > 0 ? argv[vi] : (argc > 1 ? argv[1] : ""));
  GPtrArray *a = g_ptr_array_new();
  for (int i = 1; i < argc; i++)
    if (i != vi)
      g_ptr_array_add(a, g_strdup(argv[i]));
  g_ptr_array_add(a, NULL);
  sec->args = (char **)g_ptr_array_free(a, FALSE);
}

gboolean
ncap_security_init(NcapHelper *h, int *argc, char ***argv, GError **error)
{
  NcapSecurity *sec = sec_of(h);
  ncap_privs_init();
  /* Read what sshd gave us before the environment may be cleared. */
  sec->ssh_connection = g_strdup(g_getenv("SSH_CONNECTION"));
  g_autofree char *original = g_strdup(g_getenv("SSH_ORIGINAL_COMMAND"));

  h->caller_uid = ncap_privs_caller_uid();
  h->caller_gid = ncap_privs_caller_gid();
  h->secure = ncap_privs_secure();
  h->caller_name = name_of_uid(h->caller_uid);
  h->sysconfdir = path_setting(h, "NCAP_SYSCONFDIR", NCAP_SYSCONFDIR);
  h->statedir = path_setting(h, "NCAP_STATEDIR", NCAP_STATEDIR);
  h->capturesdir = path_setting(h, "NCAP_CAPTURESDIR", NCAP_CAPTURESDIR);
  h->auditlog = path_setting(h, "NCAP_AUDITLOG", NCAP_AUDITLOG);
  ncap_privs_clear_env();
  /* The stream verb leaves its own SSH session out of the capture using
   * SSH_CONNECTION: keep it across the clearing, but only well formed (it
   * shapes nothing but the caller's own capture filter). */
  if (h->secure && sec->ssh_connection) {
    g_autofree char *ip = NULL;
    guint port = 0;
    if (ncap_audit_parse_peer(sec->ssh_connection, &ip, &port))
      g_setenv("SSH_CONNECTION", sec->ssh_connection, TRUE);
  }

  remember_request(sec, *argc, *argv);
  sec->audit = ncap_audit_open(h->auditlog, &sec->audit_error);
  if (!sec->audit) /* still log to syslog; audited verbs will fail closed */
    sec->audit = ncap_audit_open(NULL, NULL);

  g_autofree char *conf_path = g_build_filename(h->sysconfdir, "nodecap.conf", NULL);
  h->config = load_config(h, conf_path, error);
  if (!h->config || !validate_config(h, error))
    return FALSE;

  /* --ssh / --as: only as the exact forced-command line. */
  int n = *argc;
  char **av = *argv;
  bool ssh = n >= 2 && strcmp(av[1], "--ssh") == 0;
  const char *as = NULL;
  bool bad = false;
  if (ssh) {
    if (n == 4 && strcmp(av[2], "--as") == 0)
      as = av[3];
    else if (n == 3 && g_str_has_prefix(av[2], "--as="))
      as = av[2] + 5;
    else if (n != 2)
      bad = true; /* nothing else may ride on the forced-command line */
  } else {
    for (int i = 1; i < n; i++)
      if (strcmp(av[i], "--ssh") == 0 || strcmp(av[i], "--as") == 0 ||
          g_str_has_prefix(av[i], "--as=") || g_str_has_prefix(av[i], "--ssh="))
        bad = true;
  }
  if (bad) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                "--ssh and --as are only for an authorized_keys forced "
                "command: command=\"nodecap-helper --ssh [--as NAME]\"");
    audit_event(h, "ssh", NULL, "refused", (*error)->message, NULL);
    sec->denial_logged = true;
    return FALSE;
  }
  if (!ssh) {
    load_policy(h);
    return TRUE;
  }

  h->forced_command = true;
  if (as) {
    if (!check_as(h, as, error)) {
      audit_event(h, "ssh", NULL, "refused", (*error)->message, NULL);
      sec->denial_logged = true;
      return FALSE;
    }
    sec->account = h->caller_name;
    sec->as_name = g_strdup(as);
    h->caller_name = g_strdup(as);
  }
  int vi = -1;
  char **cmd = ncap_sshcmd_parse(original, &vi, error);
  if (!cmd) {
    const char *raw[] = {original ? original : "", NULL};
    audit_event(h, "ssh", raw, "refused", (*error)->message, NULL);
    sec->denial_logged = true;
    return FALSE;
  }
  /* Keep the real program path as argv[0]: messages name the binary. */
  g_free(cmd[0]);
  cmd[0] = g_strdup(av[0]);
  sec->argv_owned = cmd;
  gsize ncmd = g_strv_length(cmd) + 1;
  sec->argv_strings = g_new(char *, ncmd);
  memcpy(sec->argv_strings, cmd, sizeof(char *) * ncmd);
  *argv = cmd;
  *argc = (int)g_strv_length(cmd);
  remember_request(sec, *argc, *argv);
  load_policy(h);
  return TRUE;
}

const NcapPolicy *
ncap_security_policy(NcapHelper *h, GError **error)
{
  NcapSecurity *sec = sec_of(h);
  sec->checked = true;
  if (!sec->policy && !sec->policy_error)
    load_policy(h);
  if (sec->policy)
    return sec->policy;
  g_propagate_error(error, g_error_copy(sec->policy_error));
  audit_event(h, NULL, NULL, "error", sec->policy_error->message, NULL);
  sec->denial_logged = true;
  return NULL;
}

gboolean
ncap_security_audit_decision(NcapHelper *h, const char *perm, GError *denial,
                             GError **error)
{
  NcapSecurity *sec = sec_of(h);
  bool audited = verb_is_audited(sec->verb);
  if (denial) {
    audit_event(h, NULL, NULL, "denied", denial->message, NULL);
    sec->denial_logged = true;
    g_propagate_error(error, denial);
    return FALSE;
  }
  /* Fail closed: an audited action does not run unaudited. */
  if (audited && sec->audit_error) {
    g_propagate_error(error, g_error_copy(sec->audit_error));
    sec->denial_logged = true;
    return FALSE;
  }
  g_autoptr(GError) werr = NULL;
  g_autofree char *why = g_strdup_printf("granted %s", perm);
  audit_event(h, NULL, NULL, "allowed", why, audited ? &werr : NULL);
  if (werr) {
    g_propagate_error(error, g_steal_pointer(&werr));
    sec->denial_logged = true;
    return FALSE;
  }
  return TRUE;
}

guint
ncap_security_simple_interval(NcapHelper *h)
{
  guint v = DEFAULT_SIMPLE_INTERVAL;
  user_uint(h, "simple_interval", "rate", "simple_interval",
            DEFAULT_SIMPLE_INTERVAL, 86400, &v, NULL);
  return v;
}

guint
ncap_security_max_streams(NcapHelper *h)
{
  guint v = DEFAULT_MAX_STREAMS;
  user_uint(h, "max_streams", "streams", "max_per_user", DEFAULT_MAX_STREAMS,
            1000, &v, NULL);
  return v;
}

gsize
ncap_security_buffer_size(NcapHelper *h)
{
  guint mb = DEFAULT_BUFFER_MB;
  user_uint(h, "buffer_mb", "streams", "buffer_mb", DEFAULT_BUFFER_MB,
            MAX_BUFFER_MB, &mb, NULL);
  if (mb == 0)
    mb = 1;
  return (gsize)mb * 1024 * 1024;
}

gboolean
ncap_security_rate_simple(NcapHelper *h, GError **error)
{
  NcapSecurity *sec = sec_of(h);
  g_autofree char *key = ncap_ratelimit_key(h->caller_uid, sec->as_name);
  return ncap_ratelimit_take_simple(h->statedir, key,
                                    ncap_security_simple_interval(h),
                                    g_get_real_time() / G_USEC_PER_SEC, error);
}

gboolean
ncap_security_stream_slot(NcapHelper *h, GError **error)
{
  NcapSecurity *sec = sec_of(h);
  if (sec->slot_fd >= 0)
    return TRUE;
  g_autofree char *key = ncap_ratelimit_key(h->caller_uid, sec->as_name);
  sec->slot_fd = ncap_ratelimit_stream_slot(h->statedir, key, h->caller_name,
                                           ncap_security_max_streams(h), error);
  return sec->slot_fd >= 0;
}

void
ncap_security_finish(NcapHelper *h, const GError *error)
{
  NcapSecurity *sec = sec_of(h);
  if ((sec->checked || verb_is_audited(sec->verb)) && !sec->denial_logged)
    audit_event(h, NULL, NULL, error ? "error" : "ok",
                error ? error->message : NULL, NULL);
  ncap_policy_free(sec->policy);
  ncap_audit_free(sec->audit);
  g_clear_error(&sec->policy_error);
  g_clear_error(&sec->audit_error);
  g_clear_pointer(&sec->ssh_connection, g_free);
  g_clear_pointer(&sec->verb, g_free);
  g_clear_pointer(&sec->args, g_strfreev);
  g_clear_pointer(&sec->as_name, g_free);
  g_clear_pointer(&sec->account, g_free);
  if (sec->slot_fd >= 0)
    close(sec->slot_fd);
  /* Last call of main: nothing uses argv after this. */
  g_clear_pointer(&sec->argv_strings, g_strfreev);
  g_clear_pointer(&sec->argv_owned, g_free);
  g_clear_pointer(&h->security, g_free);
}
